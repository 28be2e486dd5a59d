#include "attnlab/io/atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <fstream>

#include "attnlab/error.hpp"

namespace attnlab {
namespace {

void sync_path(const std::filesystem::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) throw IoError(fmt::format("{}: cannot open to flush it to disk", path.string()));
  const int synced = ::fsync(fd);
  ::close(fd);
  if (synced != 0) throw IoError(fmt::format("{}: cannot flush it to disk", path.string()));
}

}  // namespace

std::filesystem::path temporary_path(const std::filesystem::path& path) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return path.string() + fmt::format(".partial-{}-{}", host, getpid());
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

void write_file_atomically(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path temporary = temporary_path(path);
  {
    std::ofstream out(temporary, std::ios::binary);
    out << text;
    out.close();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      throw IoError(fmt::format("{}: cannot write (disk full?)", temporary.string()));
    }
  }
  publish_file(temporary, path);
}

}  // namespace attnlab
