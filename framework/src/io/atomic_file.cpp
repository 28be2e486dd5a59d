#include "attnlab/io/atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <limits>

#include "attnlab/error.hpp"

namespace attnlab {
namespace {

std::string host_name() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return host;
}

// Whether `pid` runs on this host; a zombie (killed, not yet reaped: common when
// the init of a container does not reap orphans) does not.
bool process_alive(pid_t pid) {
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (!std::getline(stat, line)) return ::kill(pid, 0) == 0 || errno != ESRCH;
  const auto close = line.rfind(')');  // the command name may hold spaces and parentheses
  return close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'Z';
}

void sync_path(const std::filesystem::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) throw IoError(fmt::format("{}: cannot open to flush it to disk", path.string()));
  const int synced = ::fsync(fd);
  ::close(fd);
  if (synced != 0) throw IoError(fmt::format("{}: cannot flush it to disk", path.string()));
}

}  // namespace

constexpr std::string_view kTemporaryMark = ".partial-";

std::filesystem::path temporary_path(const std::filesystem::path& path) {
  return path.string() + fmt::format("{}{}-{}", kTemporaryMark, host_name(), getpid());
}

bool is_temporary_name(const std::string& name) {
  return name.find(kTemporaryMark) != std::string::npos;
}

void publish_file(const std::filesystem::path& temporary, const std::filesystem::path& path) {
  sync_path(temporary, O_RDONLY);
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error)
    throw IoError(fmt::format("{}: cannot rename {} to it: {}", path.string(), temporary.string(),
                              error.message()));
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : ".";
  sync_path(folder, O_RDONLY | O_DIRECTORY);
}

int remove_abandoned_temporaries(const std::filesystem::path& folder) {
  const std::string mine = fmt::format("{}{}-", kTemporaryMark, host_name());
  int removed = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
    const std::string name = entry.path().filename().string();
    const auto at = name.rfind(mine);
    if (at == std::string::npos) continue;
    const std::string pid_text = name.substr(at + mine.size());
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    long pid_value = 0;  // a name no process of ours made (an overflowing pid) is not ours
    const auto [end, parsed] =
        std::from_chars(pid_text.data(), pid_text.data() + pid_text.size(), pid_value);
    if (parsed != std::errc() || end != pid_text.data() + pid_text.size() || pid_value <= 0 ||
        pid_value > std::numeric_limits<pid_t>::max())
      continue;
    const auto pid = static_cast<pid_t>(pid_value);
    if (process_alive(pid)) continue;
    std::error_code ignored;
    removed += std::filesystem::remove(entry.path(), ignored) ? 1 : 0;
  }
  return removed;
}

namespace {

// `path` as a new, empty regular file (whatever had the name, a link included,
// is removed without being followed); returns the open descriptor.
int create_fresh_file(const std::filesystem::path& path) {
  std::error_code ignored;
  std::filesystem::remove(path, ignored);  // a stale one, or a link planted under the name
  // O_EXCL|O_NOFOLLOW: a new regular file, never another file reached through a link.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    throw IoError(fmt::format("{}: cannot create: {}", path.string(), std::strerror(errno)));
  return fd;
}

}  // namespace

int open_log_for_append(const char* path) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    struct stat status {};
    if (::fstat(fd, &status) != 0) {
      ::close(fd);
      return -1;
    }
    if (S_ISREG(status.st_mode) && status.st_nlink <= 1) return fd;
    ::close(fd);
    if (!S_ISREG(status.st_mode)) {  // a fifo or a device planted under the name
      errno = EINVAL;
      return -1;
    }
    if (::unlink(path) != 0) return -1;  // the other name keeps its file
  }
  errno = EEXIST;  // linked again between the unlink and the open: someone works against us
  return -1;
}

void write_atomically(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path& temporary)>& write) {
  const std::filesystem::path temporary = temporary_path(path);
  try {
    write(temporary);
    publish_file(temporary, path);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw;
  }
}

namespace {

// Writes `text` into the new file `temporary`, every byte checked; errors name `path`.
void write_text(const std::filesystem::path& temporary, const std::string& text,
                const std::filesystem::path& path) {
  const int fd = create_fresh_file(temporary);
  std::size_t written = 0;
  int error = 0;
  while (written < text.size()) {
    const ssize_t wrote = ::write(fd, text.data() + written, text.size() - written);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) {
      error = wrote < 0 ? errno : ENOSPC;
      break;
    }
    written += static_cast<std::size_t>(wrote);
  }
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0)
    throw IoError(fmt::format("{}: cannot write: {}", path.string(), std::strerror(error)));
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, const std::string& text) {
  write_atomically(
      path, [&](const std::filesystem::path& temporary) { write_text(temporary, text, path); });
}

void write_files_together(const std::vector<std::pair<std::filesystem::path, std::string>>& files) {
  std::vector<std::filesystem::path> temporaries, published;
  try {
    for (const auto& [path, text] : files) {
      temporaries.push_back(temporary_path(path));
      write_text(temporaries.back(), text, path);
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
      publish_file(temporaries[i], files[i].first);
      published.push_back(files[i].first);
    }
  } catch (...) {
    std::error_code ignored;  // nothing of a set that could not be written whole stays
    for (const auto& temporary : temporaries) std::filesystem::remove(temporary, ignored);
    for (const auto& path : published) std::filesystem::remove(path, ignored);
    throw;
  }
}

}  // namespace attnlab
