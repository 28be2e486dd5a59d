// Command-line flags that stand for `-o KEY=VALUE` overrides of an
// experiment's keys (attnlab train, attnlab eval): errors name the flag as the
// user gave it, not the override it became.
#pragma once

#include <string>
#include <vector>

#include "attnlab/error.hpp"

namespace attnlab::cli {

/// One flag as the override it stands for.
struct FlagOverride {
  std::string assignment;  // KEY=VALUE
  std::string as_given;    // --flag VALUE
};

/// The assignments of `overrides`, in order.
std::vector<std::string> assignments(const std::vector<FlagOverride>& overrides);

/// `error` with each override it names by its flag as given, and without the
/// note on which trial of a plan failed (these commands have one trial).
ConfigError naming_flags(const ConfigError& error, const std::vector<FlagOverride>& overrides);

}  // namespace attnlab::cli
