#include "positional_argument.hpp"

#include <iostream>

namespace po = boost::program_options;

namespace attnlab::cli {

bool parse_with_positional(const std::vector<std::string>& arguments,
                           const po::options_description& options, std::string& positional,
                           const std::string& help_note) {
  po::options_description hidden;
  hidden.add_options()("positional", po::value(&positional));
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description position;
  position.add("positional", 1);
  po::variables_map values;
  po::store(po::command_line_parser(arguments).options(all).positional(position).run(), values);
  if (values.count("help") != 0) {
    std::cout << options << "\n" << help_note << (help_note.empty() ? "" : "\n");
    return true;
  }
  po::notify(values);
  return false;
}

}  // namespace attnlab::cli
