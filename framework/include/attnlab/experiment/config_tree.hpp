// A YAML document as a tree that remembers where every value came from (file,
// line, column), so that an error found after merging a base file, expanding an
// ablation and applying command-line overrides still points at the text to fix.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attnlab {

/// Where a value was written: a file (or "command line") and a 1-based line and column.
struct SourceLocation {
  std::string file;
  int line = 0;  // 0 = no position (a default filled in by attnlab)
  int column = 0;
  /// "file:line:col", or just the file when there is no position.
  std::string str() const;
  /// Written on the command line (-o KEY=VALUE), not in a file.
  bool on_command_line() const;
  /// The `file` of a value given as `-o ASSIGNMENT`.
  static std::string command_line(const std::string& assignment);
};

class ConfigNode {
 public:
  enum class Kind { null, scalar, sequence, map };
  struct Entry;

  ConfigNode() = default;
  static ConfigNode null(SourceLocation where = {});
  static ConfigNode scalar(std::string text, SourceLocation where = {});
  static ConfigNode sequence(SourceLocation where = {});
  static ConfigNode map(SourceLocation where = {});

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::null; }
  bool is_scalar() const { return kind_ == Kind::scalar; }
  bool is_sequence() const { return kind_ == Kind::sequence; }
  bool is_map() const { return kind_ == Kind::map; }
  const SourceLocation& location() const { return location_; }
  /// The text of a scalar (throws ConfigError for other kinds).
  const std::string& text() const;

  const std::vector<ConfigNode>& items() const { return items_; }
  void push_back(ConfigNode item);
  const std::vector<Entry>& entries() const { return entries_; }

  /// The value under `key` of a map, or nullptr.
  const ConfigNode* find(std::string_view key) const;
  ConfigNode* find(std::string_view key);
  /// Location of the key itself (the value's location if the key is unknown).
  const SourceLocation& key_location(std::string_view key) const;
  /// Sets `key` (replacing its value in place, or appending it).
  void set(std::string key, ConfigNode value, SourceLocation key_where = {});
  /// Appends `key`, which the caller knows is not there yet (no search: a parser's use).
  void append(std::string key, ConfigNode value, SourceLocation key_where);
  void erase(std::string_view key);

  /// The value at a dotted path ("model.d_model"), or nullptr.
  const ConfigNode* at_path(std::string_view dotted) const;
  /// Sets the value at a dotted path, creating maps on the way; a non-map in the
  /// way is a ConfigError naming `what` (where the assignment came from).
  void set_path(std::string_view dotted, ConfigNode value, const SourceLocation& what);

  /// Deep merge: maps merge key by key, anything else in `over` replaces.
  void merge(const ConfigNode& over);

  /// A short rendering for messages: the scalar text, or "a map"/"a list".
  std::string describe() const;

 private:
  Kind kind_ = Kind::null;
  std::string text_;
  std::vector<ConfigNode> items_;
  std::vector<Entry> entries_;
  SourceLocation location_;
};

struct ConfigNode::Entry {
  std::string key;
  SourceLocation key_location;
  ConfigNode value;
};

/// Bounds on what attnlab reads as YAML (docs/reliability.md): bytes in one
/// file, values once aliases are expanded, and nesting of lists and maps.
struct YamlBounds {
  std::size_t bytes = 1 << 20;
  std::size_t values = 200000;
  int depth = 64;
  bool aliases = true;  // false: an alias is refused (files attnlab writes hold none)
};
/// Files attnlab wrote itself (plans, trial tickets): a plan of kMaxTrials
/// trials holds about 90,000 values, a ticket a few thousand and the experiment
/// file's text (itself at most 1 MiB) twice. No aliases: attnlab writes none, so
/// a file with one was edited, and an alias bomb cannot expand there.
inline constexpr YamlBounds kWrittenYamlBounds{std::size_t{64} << 20, 1000000, 64, false};

/// Parses YAML text (the first document); `origin` names it in locations and
/// errors. Text that is not UTF-8, syntax errors, duplicate keys and anything
/// beyond the bounds are ConfigErrors with file:line:col.
ConfigNode parse_yaml(const std::string& text, const std::string& origin,
                      const YamlBounds& bounds = {});
/// Reads a file once: a regular file or a pipe (which must deliver its text within
/// 10 s), at most `max_bytes`; anything else (a folder, a device) is refused
/// (IoError saying `expected`, what the file should have been).
std::string read_yaml_text(const std::string& path, std::size_t max_bytes = YamlBounds{}.bytes,
                           const char* expected = "a YAML file");
/// read_yaml_text, then parse_yaml.
ConfigNode load_yaml_file(const std::string& path, const YamlBounds& bounds = {});
/// Block-style YAML text of the tree, keys in order; scalars that YAML would read
/// as something else are quoted.
std::string to_yaml(const ConfigNode& node);

}  // namespace attnlab
