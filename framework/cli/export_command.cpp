// `attnlab export FILE --output DIR [--format safetensors]`: a trained model
// for other tools (docs/interchange.md).
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <iostream>

#include "attnlab/error.hpp"
#include "attnlab/io/model_export.hpp"
#include "commands.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {

int run_export(const std::vector<std::string>& arguments) {
  std::string file, output, format = "safetensors";
  po::options_description options("export options");
  options.add_options()("output,o", po::value(&output),
                        "the folder to write model.safetensors and config.json into (created "
                        "if missing)")(
      "format", po::value(&format)->default_value(format),
      "safetensors (the only one yet: NumPy, PyTorch and the Hugging Face tools read it)")(
      "help,h", "show this help");
  po::options_description hidden;
  hidden.add_options()("file", po::value(&file));
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map values;
  po::store(po::command_line_parser(arguments).options(all).positional(positional).run(), values);
  po::notify(values);
  if (values.count("help") != 0) {
    fmt::print(
        "usage: attnlab export TRIAL_FILE --output DIR [--format safetensors]\n\n"
        "Writes a trial's trained parameters as DIR/model.safetensors (float32, under\n"
        "their dotted names) and DIR/config.json (its resolved configuration).\n\n");
    std::cout << options;
    return 0;
  }
  if (file.empty() || output.empty())
    throw ConfigError(
        "expected a trial file and --output DIR, e.g. attnlab export "
        "runs/x/trials/<id>.h5 --output exported/");
  if (format != "safetensors")
    throw ConfigError(fmt::format("--format: found '{}', expected safetensors", format));
  const ExportedModel exported = export_model(file, output);
  fmt::print("wrote {} ({} tensors) and {}\n", exported.weights.string(), exported.parameters,
             exported.config.string());
  return 0;
}

}  // namespace attnlab::cli
