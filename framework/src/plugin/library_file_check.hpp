// Checks of a plugin library's file before it is handed to the dynamic loader,
// which maps the file and trusts it: a truncated library kills the process with
// SIGBUS inside dlopen, and a library that other users can replace runs their
// code in ours.
#pragma once

#include <filesystem>

namespace attnlab {

/// Throws ConfigError naming the library unless it is an ELF shared library for
/// this machine whose headers and loadable segments lie within the file, and
/// unless it or its folder can be written by other users (refused unless the
/// environment sets ATTNLAB_ALLOW_WRITABLE_PLUGINS=1; a sticky folder such as
/// /tmp is accepted for a library owned by this user or by root).
void check_library_file(const std::filesystem::path& library);

}  // namespace attnlab
