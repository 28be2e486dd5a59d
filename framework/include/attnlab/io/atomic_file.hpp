// Files that appear complete or not at all: written under a temporary name
// that is unique to this process on this host, flushed to disk, then renamed
// over the final name (atomic on POSIX file systems). Concurrent writers of the
// same file never touch each other's temporary; the last rename wins. A
// temporary is always a new regular file: never written through a planted link.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace attnlab {

/// "<path>.partial-<host>-<pid>": the temporary name this process writes `path` under.
std::filesystem::path temporary_path(const std::filesystem::path& path);
/// Whether a file name is such a temporary (of any process, any host).
bool is_temporary_name(const std::string& name);

/// Makes a finished temporary file durable and gives it its final name:
/// fsync of the file, rename, fsync of the folder. Throws IoError on failure.
void publish_file(const std::filesystem::path& temporary, const std::filesystem::path& path);

/// Removes temporary files in `folder` left by processes of this host that no
/// longer run (a kill -9 or a crash); those of live processes and of other hosts
/// are kept. Returns how many were removed.
int remove_abandoned_temporaries(const std::filesystem::path& folder);

/// The one atomic write every file of attnlab goes through: `write` fills the
/// temporary it is given (temporary_path(path)) and closes it, checking every
/// step; then publish_file gives it its final name. If anything throws, the
/// publish included, the temporary is removed and the exception goes on.
void write_atomically(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path& temporary)>& write);

/// Files that belong together (a model's weights and its configuration): every
/// one is written in full under its temporary name before any is published,
/// so that a failed write leaves none. If a publish fails, those already
/// published are removed too. (A crash between two renames can still leave
/// one new beside one old: readers of such a set check that they match.)
void write_files_together(const std::vector<std::pair<std::filesystem::path, std::string>>& files);

/// Opens the log `path` to append to (created if missing), never through a
/// symbolic link (fails with ELOOP) and never into a file that has another name
/// as well (a hard link: it is unlinked and the log begun anew, so the other
/// file stays as it was). Returns the descriptor (close-on-exec), or -1 with
/// errno set. Async-signal-safe: a forked child may call it before exec.
int open_log_for_append(const char* path);

/// Writes `text` to `path` atomically (write_atomically with a checked write and close).
void write_file_atomically(const std::filesystem::path& path, const std::string& text);

}  // namespace attnlab
