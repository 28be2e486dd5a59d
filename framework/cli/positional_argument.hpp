// The commands that take one positional argument (a file or a folder) besides
// their options: one parse for all, so --help and the checks behave alike.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

namespace attnlab::cli {

/// Parses `arguments` as `options` (which declare --help) plus at most one
/// positional argument, stored into `positional`. With --help, prints the
/// options and `help_note` and returns true (nothing else is checked then).
bool parse_with_positional(const std::vector<std::string>& arguments,
                           const boost::program_options::options_description& options,
                           std::string& positional, const std::string& help_note = "");

}  // namespace attnlab::cli
