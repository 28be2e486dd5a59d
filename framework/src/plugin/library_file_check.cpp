#include "library_file_check.hpp"

#include <elf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "attnlab/error.hpp"

namespace attnlab {
namespace {

#if defined(__x86_64__)
constexpr Elf64_Half kMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr Elf64_Half kMachine = EM_AARCH64;
#else
#error "attnlab's plugin check knows the ELF machine of x86-64 and AArch64 only"
#endif

[[noreturn]] void refuse(const std::filesystem::path& library, const std::string& why) {
  throw ConfigError(
      fmt::format("plugin {}: cannot be loaded as a shared library: {}", library.string(), why));
}

bool read_at(int fd, void* into, std::size_t size, uint64_t offset) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t got = ::pread(fd, static_cast<char*>(into) + done, size - done,
                                static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    done += static_cast<std::size_t>(got);
  }
  return true;
}

// Whether [offset, offset + size) lies within a file of `file_size` bytes.
bool within(uint64_t offset, uint64_t size, uint64_t file_size) {
  return offset <= file_size && size <= file_size - offset;
}

void check_elf(const std::filesystem::path& library, int fd, uint64_t file_size) {
  Elf64_Ehdr header{};
  if (!read_at(fd, &header, sizeof header, 0) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0)
    refuse(library, "it is not an ELF file (too short, or no ELF magic number)");
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB ||
      header.e_machine != kMachine)
    refuse(library, "it was built for another kind of machine");
  if (header.e_type != ET_DYN) refuse(library, "it is an ELF file but not a shared library");
  const uint64_t program_headers = uint64_t{header.e_phnum} * header.e_phentsize;
  const uint64_t section_headers = uint64_t{header.e_shnum} * header.e_shentsize;
  if (header.e_phentsize != sizeof(Elf64_Phdr) ||
      !within(header.e_phoff, program_headers, file_size) ||
      (header.e_shoff != 0 && !within(header.e_shoff, section_headers, file_size)))
    refuse(library, fmt::format("it is truncated or damaged: its headers reach past its {} bytes",
                                file_size));
  std::vector<Elf64_Phdr> segments(header.e_phnum);
  if (!read_at(fd, segments.data(), program_headers, header.e_phoff))
    refuse(library, "its program headers cannot be read");
  for (const Elf64_Phdr& segment : segments)
    if (segment.p_type == PT_LOAD && !within(segment.p_offset, segment.p_filesz, file_size))
      refuse(library,
             fmt::format("it is truncated: a segment ends at byte {}, but the file has {} bytes",
                         segment.p_offset + segment.p_filesz, file_size));
}

bool others_may_write(const struct stat& info) {
  return (info.st_mode & S_IWOTH) != 0;
}

void check_ownership(const std::filesystem::path& library, const struct stat& file) {
  const char* allow = std::getenv("ATTNLAB_ALLOW_WRITABLE_PLUGINS");
  if (allow != nullptr && std::string(allow) == "1") return;
  const auto refuse_writable = [&](const std::string& what) {
    throw ConfigError(fmt::format(
        "plugin {}: refused: {} can be written by every user, so anyone could replace the code "
        "attnlab would run (chmod o-w it, or set ATTNLAB_ALLOW_WRITABLE_PLUGINS=1 to load it "
        "anyway)",
        library.string(), what));
  };
  if (others_may_write(file)) refuse_writable("the library");
  const std::filesystem::path folder = library.parent_path();
  struct stat parent {};
  if (::stat(folder.c_str(), &parent) != 0) return;
  const bool sticky = (parent.st_mode & S_ISVTX) != 0;  // others cannot replace our files there
  const bool ours = file.st_uid == ::geteuid() || file.st_uid == 0;
  if (others_may_write(parent) && !(sticky && ours))
    refuse_writable(fmt::format("its folder {}", folder.string()));
}

}  // namespace

void check_library_file(const std::filesystem::path& library) {
  const int fd = ::open(library.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) refuse(library, std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) refuse(library, "not a regular file");
  check_ownership(library, info);
  check_elf(library, fd, static_cast<uint64_t>(info.st_size));
}

}  // namespace attnlab
