// Sub-commands of the attnlab executable; each returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace attnlab::cli {

int run_train(const std::vector<std::string>& arguments);
int run_plugins(const std::vector<std::string>& arguments);

}  // namespace attnlab::cli
