// JSON text for the commands that print JSON (plugins --json, layout --json).
#pragma once

#include <string>
#include <string_view>

namespace attnlab::cli {

/// `text` as a JSON string, quotes included.
std::string json_string(std::string_view text);

}  // namespace attnlab::cli
