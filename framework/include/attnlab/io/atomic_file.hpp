// Files that appear complete or not at all: written under a temporary name
// that is unique to this process on this host, flushed to disk, then renamed
// over the final name (atomic on POSIX file systems). Concurrent writers of the
// same file never touch each other's temporary; the last rename wins. A
// temporary is always a new regular file: never written through a planted link.
#pragma once

#include <filesystem>
#include <string>

namespace attnlab {

/// "<path>.partial-<host>-<pid>": the temporary name this process writes `path` under.
std::filesystem::path temporary_path(const std::filesystem::path& path);

/// Makes a finished temporary file durable and gives it its final name:
/// fsync of the file, rename, fsync of the folder. Throws IoError on failure.
void publish_file(const std::filesystem::path& temporary, const std::filesystem::path& path);

/// Removes temporary files in `folder` left by processes of this host that no
/// longer run (a kill -9 or a crash); those of live processes and of other hosts
/// are kept. Returns how many were removed.
int remove_abandoned_temporaries(const std::filesystem::path& folder);

/// Writes `text` to `path` atomically (temporary file, checked close, publish_file).
void write_file_atomically(const std::filesystem::path& path, const std::string& text);

}  // namespace attnlab
