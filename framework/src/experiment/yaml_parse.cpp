// YAML text into a ConfigNode tree, within bounds (YamlBounds): a file is read
// once, and only if it is a regular file or a pipe; the text must be UTF-8; the
// tree may nest only so deep and hold only so many values once aliases are
// expanded. The tree is built from the
// parser's events rather than from YAML::Node, because an alias is only seen
// as such there: YAML::Node shares the aliased node, and copying that share
// into our tree is what let a 700-byte alias bomb allocate gigabytes.
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <sstream>
#include <unordered_map>

#include "attnlab/error.hpp"
#include "attnlab/experiment/config_tree.hpp"

namespace attnlab {
namespace {

SourceLocation location_of(const YAML::Mark& mark, const std::string& origin) {
  if (mark.is_null()) return {origin, 0, 0};
  return {origin, mark.line + 1, mark.column + 1};
}

// Line and column (1-based) of byte `offset` of `text`.
SourceLocation location_of_byte(const std::string& text, std::size_t offset,
                                const std::string& origin) {
  int line = 1, column = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++column;  // continuation bytes belong to the character before
    }
  }
  return {origin, line, column};
}

// Offset of the first byte that is not part of well-formed UTF-8 (no overlong
// forms, no surrogates, nothing above U+10FFFF), or nullopt.
std::optional<std::size_t> first_invalid_utf8(const std::string& text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char lead = byte(i);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;   // overlong
      if (lead == 0xED) high = 0x9F;  // surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;   // overlong
      if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
      return i;
    }
    if (i + length > text.size() || byte(i + 1) < low || byte(i + 1) > high) return i;
    for (std::size_t k = 2; k < length; ++k)
      if ((byte(i + k) & 0xC0) != 0x80) return i;
    i += length;
  }
  return std::nullopt;
}

// Builds the tree from parser events, expanding aliases by copy within the budget.
class TreeBuilder final : public YAML::EventHandler {
 public:
  TreeBuilder(std::string origin, const YamlBounds& bounds)
      : origin_(std::move(origin)), bounds_(bounds) {}

  ConfigNode take_root() { return root_ ? std::move(*root_) : ConfigNode::null({origin_, 0, 0}); }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    count(1, where(mark), "this value takes");
    finish(ConfigNode::null(where(mark)), anchor);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    count(1, where(mark), "this value takes");
    finish(ConfigNode::scalar(value, where(mark)), anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (!bounds_.aliases)
      throw ConfigError(fmt::format(
          "{}: an alias (*name), which attnlab never writes: the file was edited or replaced",
          where(mark).str()));
    const auto known = anchors_.find(anchor);
    if (known == anchors_.end())
      throw ConfigError(
          fmt::format("{}: this alias refers to a value that contains it", where(mark).str()));
    count(known->second.values, where(mark), "this alias expands");
    finish(known->second.node, 0);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(ConfigNode::sequence(where(mark)), anchor, mark);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(ConfigNode::map(where(mark)), anchor, mark);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    ConfigNode node;
    YAML::anchor_t anchor = 0;
    std::size_t values_before = 0;                         // values counted when it opened
    std::optional<ConfigNode> key;                         // a map's key waiting for its value
    std::unordered_map<std::string, SourceLocation> keys;  // a map's keys so far
  };
  struct Anchored {
    ConfigNode node;
    std::size_t values = 0;
  };

  SourceLocation where(const YAML::Mark& mark) const { return location_of(mark, origin_); }

  // Counts values made, copies of anchored ones included: a copy costs what it holds.
  void count(std::size_t values, const SourceLocation& where, const char* what) {
    values_ += values;
    if (values_ <= bounds_.values) return;
    throw ConfigError(fmt::format(
        "{}: {} the document past {} values (anchors and aliases are copied); an experiment "
        "file needs far fewer",
        where.str(), what, bounds_.values));
  }

  void open(ConfigNode node, YAML::anchor_t anchor, const YAML::Mark& mark) {
    if (static_cast<int>(stack_.size()) >= bounds_.depth)
      throw ConfigError(fmt::format(
          "{}: lists and maps nest deeper than {} levels here; an experiment file needs a few",
          where(mark).str(), bounds_.depth));
    count(1, where(mark), "this value takes");
    stack_.push_back({std::move(node), anchor, values_ - 1, std::nullopt, {}});
  }

  void close() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    if (frame.anchor != 0) {
      const std::size_t values = values_ - frame.values_before;
      count(values, frame.node.location(), "this anchor's copy takes");
      anchors_[frame.anchor] = {frame.node, values};
    }
    attach(std::move(frame.node));
  }

  void finish(ConfigNode node, YAML::anchor_t anchor) {
    if (anchor != 0) anchors_[anchor] = {node, 1};
    attach(std::move(node));
  }

  void attach(ConfigNode node) {
    if (stack_.empty()) {
      root_ = std::move(node);
      return;
    }
    Frame& parent = stack_.back();
    if (parent.node.is_sequence()) {
      parent.node.push_back(std::move(node));
    } else if (!parent.key) {
      if (!node.is_scalar())
        throw ConfigError(fmt::format("{}: a key must be a plain name, found {}",
                                      node.location().str(), node.describe()));
      parent.key = std::move(node);
    } else {
      std::string key = parent.key->text();
      const auto [first, fresh] = parent.keys.emplace(key, parent.key->location());
      if (!fresh)
        throw ConfigError(fmt::format("{}: key '{}' appears twice (first at {})",
                                      parent.key->location().str(), key, first->second.str()));
      parent.node.append(std::move(key), std::move(node), parent.key->location());
      parent.key.reset();
    }
  }

  std::string origin_;
  YamlBounds bounds_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, Anchored> anchors_;
  std::optional<ConfigNode> root_;
  std::size_t values_ = 0;
};

std::string describe_file_type(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

[[noreturn]] void too_large(const std::string& path, std::size_t max_bytes) {
  throw IoError(
      fmt::format("{}: is larger than {} KiB; a YAML file of attnlab's is a few KiB "
                  "(is this the right file?)",
                  path, max_bytes / 1024));
}

// Reads what a pipe delivers, at most max_bytes, waiting at most kPipeTimeout for data.
std::string read_pipe(int fd, const std::string& path, std::size_t max_bytes) {
  constexpr auto kPipeTimeout = std::chrono::seconds(10);
  const auto deadline = std::chrono::steady_clock::now() + kPipeTimeout;
  std::string text;
  char buffer[65536];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd ready{fd, POLLIN, 0};
    const int polled = ::poll(&ready, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (polled == 0)
      throw IoError(fmt::format("{}: a pipe that delivered no end of text within {} s", path,
                                kPipeTimeout.count()));
    if (polled < 0 && errno == EINTR) continue;
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got == 0) return text;
    if (got < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      throw IoError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
    }
    text.append(buffer, static_cast<std::size_t>(got));
    if (text.size() > max_bytes) too_large(path, max_bytes);
  }
}

std::string read_regular(int fd, const std::string& path, std::size_t max_bytes) {
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got == 0) return text;
    if (got < 0) {
      if (errno == EINTR) continue;
      throw IoError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
    }
    text.append(buffer, static_cast<std::size_t>(got));
    if (text.size() > max_bytes) too_large(path, max_bytes);
  }
}

}  // namespace

std::string read_yaml_text(const std::string& path, std::size_t max_bytes, const char* expected) {
  // O_NONBLOCK: opening a FIFO that no one writes to would otherwise wait forever.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT) throw IoError(fmt::format("{}: no such file", path));
    throw IoError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0)
    throw IoError(fmt::format("{}: cannot inspect: {}", path, std::strerror(errno)));
  if (S_ISFIFO(info.st_mode)) return read_pipe(fd, path, max_bytes);
  if (!S_ISREG(info.st_mode))
    throw IoError(
        fmt::format("{}: is {}, expected {}", path, describe_file_type(info.st_mode), expected));
  if (static_cast<std::size_t>(info.st_size) > max_bytes) too_large(path, max_bytes);
  return read_regular(fd, path, max_bytes);
}

ConfigNode parse_yaml(const std::string& text, const std::string& origin,
                      const YamlBounds& bounds) {
  if (const auto bad = first_invalid_utf8(text))
    throw ConfigError(fmt::format(
        "{}: byte 0x{:02X} is not UTF-8; YAML files (and everything attnlab stores) are UTF-8 "
        "text",
        location_of_byte(text, *bad, origin).str(), static_cast<unsigned char>(text[*bad])));
  std::istringstream input(text);
  TreeBuilder builder(origin, bounds);
  try {
    YAML::Parser parser(input);
    parser.HandleNextDocument(builder);
  } catch (const YAML::DeepRecursion& e) {
    throw ConfigError(fmt::format("{}: lists and maps nest too deeply ({} levels)",
                                  location_of(e.mark, origin).str(), e.depth()));
  } catch (const YAML::Exception& e) {
    throw ConfigError(
        fmt::format("{}: YAML syntax error: {}", location_of(e.mark, origin).str(), e.msg));
  }
  return builder.take_root();
}

ConfigNode load_yaml_file(const std::string& path, const YamlBounds& bounds) {
  return parse_yaml(read_yaml_text(path, bounds.bytes), path, bounds);
}

}  // namespace attnlab
