// attnlab command line. Every error becomes one message on stderr and exit code 1.
#include <fmt/format.h>

#include <boost/program_options/errors.hpp>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "attnlab/version.hpp"
#include "commands.hpp"

namespace {

constexpr const char* kUsage = R"(usage: attnlab [COMMAND] [OPTIONS]

commands:
  train      train a small decoder-only Transformer on copy/reverse and print its
             loss curve (the default when no command is given)
  plugins    list every registered component with its parameters and capabilities
             (--json for tools; --plugin LIBRARY loads a plugin first)
  version    print the attnlab version
  help       show this text

'attnlab train --help' lists the training options.
)";

int dispatch(const std::vector<std::string>& arguments) {
  if (arguments.empty()) return attnlab::cli::run_train({});
  const std::string& command = arguments.front();
  const std::vector<std::string> rest(arguments.begin() + 1, arguments.end());
  if (command == "train") return attnlab::cli::run_train(rest);
  if (command == "plugins") return attnlab::cli::run_plugins(rest);
  if (command == "version" || command == "--version") {
    fmt::print("attnlab {}\n", attnlab::version());
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    fmt::print("{}", kUsage);
    return 0;
  }
  if (!command.empty() && command[0] == '-') return attnlab::cli::run_train(arguments);
  fmt::print(stderr, "attnlab: unknown command '{}'\n\n{}", command, kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return dispatch(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const boost::program_options::error& e) {
    fmt::print(stderr, "attnlab: {} (see 'attnlab train --help')\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "attnlab: error: {}\n", e.what());
    return 1;
  }
}
