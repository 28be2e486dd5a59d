// An enum's names, listed once: the schema offers them as a key's choices,
// configurations decode through them (anything else is an error, never a
// silent default), and to_string() prints them.
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "attnlab/error.hpp"

namespace attnlab {

template <class Enum>
class NamedChoices {
 public:
  NamedChoices(std::initializer_list<std::pair<const char*, Enum>> table) : table_(table) {}

  std::vector<std::string> names() const {
    std::vector<std::string> all;
    for (const auto& [name, value] : table_) all.emplace_back(name);
    return all;
  }

  std::string name(Enum value) const {
    for (const auto& [name, v] : table_)
      if (v == value) return name;
    throw ConfigError("an enum value without a name");  // a table missing a value: a bug
  }

  /// The value named `text`; a ConfigError naming `what` (e.g. the key) otherwise.
  Enum decode(std::string_view text, std::string_view what) const {
    for (const auto& [name, value] : table_)
      if (text == name) return value;
    throw ConfigError(
        fmt::format("{}: '{}' is not one of {}", what, text, fmt::join(names(), " | ")));
  }

 private:
  std::vector<std::pair<const char*, Enum>> table_;
};

}  // namespace attnlab
