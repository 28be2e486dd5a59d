// `attnlab import DIR --output FILE`: a model from safetensors and its
// config.json into an attnlab checkpoint that stores its configuration
// (docs/interchange.md).
#include <fmt/format.h>

#include <boost/program_options.hpp>

#include "attnlab/error.hpp"
#include "attnlab/io/model_import.hpp"
#include "commands.hpp"
#include "positional_argument.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {

int run_import(const std::vector<std::string>& arguments) {
  std::string source, output;
  po::options_description options("attnlab import DIR --output FILE.h5 [options]");
  options.add_options()("help,h", "show this text")(
      "output", po::value(&output), "the checkpoint to write (replaced if it exists)");
  if (parse_with_positional(
          arguments, options, source,
          "Reads DIR/model.safetensors and DIR/config.json (as attnlab export writes them, or a "
          "tool after training: DIR may also be the .safetensors file, with config.json beside "
          "it), builds the model the configuration describes, checked as an experiment is, "
          "fills it with the weights (every parameter by name and shape, nothing more), and "
          "writes a checkpoint that stores the configuration, which attnlab eval reads. "
          "Layout: docs/interchange.md in attnlab's source.\n"
          "e.g. attnlab import exported/ --output imported.h5 && attnlab eval imported.h5"))
    return 0;
  if (source.empty() || output.empty())
    throw ConfigError(
        "expected a folder (or .safetensors file) and --output FILE.h5, e.g. attnlab import "
        "exported/ --output imported.h5");
  const ImportedModel imported = import_model(source, output);
  fmt::print("read {} ({} tensors) and {}; wrote {}\n", imported.weights.string(),
             imported.parameters, imported.config.string(), imported.checkpoint.string());
  return 0;
}

}  // namespace attnlab::cli
