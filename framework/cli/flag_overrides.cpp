#include "flag_overrides.hpp"

#include <fmt/format.h>

#include <regex>

namespace attnlab::cli {

std::vector<std::string> assignments(const std::vector<FlagOverride>& overrides) {
  std::vector<std::string> texts;
  for (const FlagOverride& o : overrides) texts.push_back(o.assignment);
  return texts;
}

ConfigError naming_flags(const ConfigError& error, const std::vector<FlagOverride>& overrides) {
  std::string message = error.what();
  message = message.substr(0, message.find("\n  (in arm "));
  for (const FlagOverride& o : overrides) {
    const std::string label = fmt::format("command line (-o {})", o.assignment);
    const std::string named = fmt::format("command line ({})", o.as_given);
    // From past each replacement: the flag's name may contain the label (-o flags do).
    for (std::size_t at = 0; (at = message.find(label, at)) != std::string::npos;
         at += named.size()) {
      std::size_t end = at + label.size();  // and its line:column inside the value, if any
      static const std::regex kLineColumn(R"(^:\d+:\d+)");
      std::smatch place;
      const std::string rest = message.substr(end, 32);
      if (std::regex_search(rest, place, kLineColumn)) end += place.length(0);
      message.replace(at, end - at, named);
    }
  }
  return ConfigError(message);
}

}  // namespace attnlab::cli
