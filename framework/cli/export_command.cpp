// `attnlab export FILE --output DIR [--format safetensors]`: a trained model
// for other tools (docs/interchange.md).
#include <fmt/format.h>

#include <boost/program_options.hpp>

#include "attnlab/error.hpp"
#include "attnlab/io/model_export.hpp"
#include "commands.hpp"
#include "positional_argument.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {

int run_export(const std::vector<std::string>& arguments) {
  std::string file, output, format = "safetensors";
  po::options_description options("attnlab export FILE --output DIR [options]");
  options.add_options()("help,h", "show this text")(
      "output", po::value(&output),
      "the folder to write the weights and config.json into (created if missing)")(
      "format", po::value(&format)->default_value(format),
      "safetensors (model.safetensors) or torch (pytorch_model.bin, what torch.save writes for "
      "a state dict: torch.load reads it)");
  if (parse_with_positional(arguments, options, file,
                            "Writes the trained parameters of a trial file of a run "
                            "(OUTPUT/trials/<id>.h5), or of a checkpoint that stores its "
                            "configuration (attnlab train --checkpoint, attnlab import), as "
                            "DIR/model.safetensors (float32, under their dotted names; "
                            "DIR/pytorch_model.bin with --format torch) and DIR/config.json "
                            "(its resolved "
                            "configuration), replacing those files if DIR has them; DIR may "
                            "not lie inside a run's output directory. Layout: "
                            "docs/interchange.md in attnlab's source.\n"
                            "e.g. attnlab export runs/heads/trials/<id>.h5 --output exported/"))
    return 0;
  if (file.empty() || output.empty())
    throw ConfigError(
        "expected a trial file and --output DIR, e.g. attnlab export runs/NAME/trials/<id>.h5 "
        "--output exported/");
  const ExportedModel exported =
      export_model(file, output, weights_format_names().decode(format, "--format"));
  fmt::print("wrote {} ({} tensors) and {}\n", exported.weights.string(), exported.parameters,
             exported.config.string());
  return 0;
}

}  // namespace attnlab::cli
