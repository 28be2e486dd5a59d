#include "attnlab/experiment/config_tree.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "attnlab/error.hpp"

namespace attnlab {
namespace {

// YAML would read these plain scalars as something other than the text they hold.
bool needs_quotes(const std::string& text) {
  if (text.empty()) return true;
  static const char* const kSpecial[] = {"~",  "null", "Null", "NULL", "yes", "no", "Yes",
                                         "No", "on",   "off",  "On",   "Off", "y",  "n"};
  for (const char* special : kSpecial)
    if (text == special) return true;
  if (text.find_first_of(":#{}[],&*!|>'\"%@`\n") != std::string::npos) return true;
  return text.front() == ' ' || text.back() == ' ' || text.front() == '-' || text.front() == '?';
}

bool looks_numeric_or_bool(const std::string& text) {
  if (text == "true" || text == "false") return true;
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size();
}

void emit(YAML::Emitter& out, const ConfigNode& node) {
  switch (node.kind()) {
    case ConfigNode::Kind::null:
      out << YAML::Null;
      break;
    case ConfigNode::Kind::scalar:
      if (needs_quotes(node.text()) && !looks_numeric_or_bool(node.text()))
        out << YAML::DoubleQuoted << node.text();
      else
        out << node.text();
      break;
    case ConfigNode::Kind::sequence: {
      bool flat = true;
      for (const ConfigNode& item : node.items()) flat = flat && item.is_scalar();
      if (flat) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const ConfigNode& item : node.items()) emit(out, item);
      out << YAML::EndSeq;
      break;
    }
    case ConfigNode::Kind::map:
      out << YAML::BeginMap;
      for (const ConfigNode::Entry& entry : node.entries()) {
        out << YAML::Key << entry.key << YAML::Value;
        emit(out, entry.value);
      }
      out << YAML::EndMap;
      break;
  }
}

}  // namespace

namespace {
constexpr std::string_view kCommandLine = "command line (-o ";
}  // namespace

std::string SourceLocation::command_line(const std::string& assignment) {
  return fmt::format("{}{})", kCommandLine, assignment);
}

bool SourceLocation::on_command_line() const {
  return std::string_view(file).substr(0, kCommandLine.size()) == kCommandLine;
}

std::string SourceLocation::str() const {
  if (line <= 0) return file.empty() ? "(default)" : file;
  return fmt::format("{}:{}:{}", file, line, column);
}

ConfigNode ConfigNode::scalar(std::string text, SourceLocation where) {
  ConfigNode node;
  node.kind_ = Kind::scalar;
  node.text_ = std::move(text);
  node.location_ = std::move(where);
  return node;
}

ConfigNode ConfigNode::null(SourceLocation where) {
  ConfigNode node;
  node.location_ = std::move(where);
  return node;
}

ConfigNode ConfigNode::sequence(SourceLocation where) {
  ConfigNode node;
  node.kind_ = Kind::sequence;
  node.location_ = std::move(where);
  return node;
}

ConfigNode ConfigNode::map(SourceLocation where) {
  ConfigNode node;
  node.kind_ = Kind::map;
  node.location_ = std::move(where);
  return node;
}

const std::string& ConfigNode::text() const {
  if (kind_ != Kind::scalar)
    throw ConfigError(
        fmt::format("{}: expected a single value, found {}", location_.str(), describe()));
  return text_;
}

// Out of line: the move of a ConfigNode needs Entry complete, which it is not
// inside the class (clang instantiates it there).
void ConfigNode::push_back(ConfigNode item) {
  items_.push_back(std::move(item));
}

const ConfigNode* ConfigNode::find(std::string_view key) const {
  for (const Entry& entry : entries_)
    if (entry.key == key) return &entry.value;
  return nullptr;
}

ConfigNode* ConfigNode::find(std::string_view key) {
  for (Entry& entry : entries_)
    if (entry.key == key) return &entry.value;
  return nullptr;
}

const SourceLocation& ConfigNode::key_location(std::string_view key) const {
  for (const Entry& entry : entries_)
    if (entry.key == key)
      return entry.key_location.line > 0 ? entry.key_location : entry.value.location();
  return location_;
}

void ConfigNode::set(std::string key, ConfigNode value, SourceLocation key_where) {
  if (kind_ == Kind::null) kind_ = Kind::map;
  for (Entry& entry : entries_)
    if (entry.key == key) {
      entry.value = std::move(value);
      if (key_where.line > 0) entry.key_location = std::move(key_where);
      return;
    }
  entries_.push_back({std::move(key), std::move(key_where), std::move(value)});
}

void ConfigNode::append(std::string key, ConfigNode value, SourceLocation key_where) {
  kind_ = Kind::map;
  entries_.push_back({std::move(key), std::move(key_where), std::move(value)});
}

void ConfigNode::erase(std::string_view key) {
  std::erase_if(entries_, [&](const Entry& entry) { return entry.key == key; });
}

const ConfigNode* ConfigNode::at_path(std::string_view dotted) const {
  const ConfigNode* node = this;
  while (node != nullptr) {
    const auto dot = dotted.find('.');
    node = node->is_map() ? node->find(dotted.substr(0, dot)) : nullptr;
    if (dot == std::string_view::npos) return node;
    dotted.remove_prefix(dot + 1);
  }
  return nullptr;
}

void ConfigNode::set_path(std::string_view dotted, ConfigNode value, const SourceLocation& what) {
  ConfigNode* node = this;
  std::string walked;
  for (;;) {
    const auto dot = dotted.find('.');
    const std::string key(dotted.substr(0, dot));
    if (key.empty())
      throw ConfigError(fmt::format("{}: '{}' is not a dotted key like model.d_model", what.str(),
                                    walked + std::string(dotted)));
    if (!node->is_map() && !node->is_null())
      throw ConfigError(fmt::format("{}: cannot set '{}' inside '{}', which is {} (at {})",
                                    what.str(), key, walked, node->describe(),
                                    node->location().str()));
    walked += walked.empty() ? key : "." + key;
    if (dot == std::string_view::npos) {
      node->set(key, std::move(value), what);
      return;
    }
    if (node->find(key) == nullptr) node->set(key, ConfigNode::map(what), what);
    node = node->find(key);
    dotted.remove_prefix(dot + 1);
  }
}

void ConfigNode::merge(const ConfigNode& over) {
  if (!is_map() || !over.is_map()) {
    *this = over;
    return;
  }
  for (const Entry& entry : over.entries_) {
    ConfigNode* mine = find(entry.key);
    if (mine != nullptr && mine->is_map() && entry.value.is_map())
      mine->merge(entry.value);
    else
      set(entry.key, entry.value, entry.key_location);
  }
}

std::string ConfigNode::describe() const {
  switch (kind_) {
    case Kind::null:
      return "nothing";
    case Kind::scalar:
      return fmt::format("'{}'", text_);
    case Kind::sequence:
      return "a list";
    case Kind::map:
      return "a map";
  }
  return "?";
}

std::string to_yaml(const ConfigNode& node) {
  YAML::Emitter out;
  out.SetIndent(2);
  emit(out, node);
  return std::string(out.c_str()) + "\n";
}

}  // namespace attnlab
