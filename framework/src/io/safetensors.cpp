#include "attnlab/io/safetensors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "attnlab/error.hpp"
#include "attnlab/io/atomic_file.hpp"

namespace attnlab {
namespace {

static_assert(std::endian::native == std::endian::little,
              "safetensors stores little-endian bytes, copied here as they are");

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr const char* kMetadataKey = "__metadata__";
constexpr uint64_t kFloatBytes = sizeof(float);
// A header nests 3 deep (tensors, their fields, a shape's sizes); a hostile
// one is refused while it is parsed, before it can take memory or stack.
constexpr int kMaxHeaderDepth = 3;
constexpr uint64_t kMaxHeaderValues = 10'000'000;

// A value for an error message: short, whatever the header holds.
std::string preview(const Json& value) {
  if ((value.is_array() || value.is_object()) && value.size() > 8)
    return fmt::format("{} of {} items", value.is_array() ? "a list" : "an object", value.size());
  const std::string text = value.dump();
  return text.size() > 200 ? text.substr(0, 200) + "..." : text;
}

// Parses the header, refusing while it parses: nesting deeper than a header's,
// more values than any model has, a top level that is a list, a name twice.
Json parse_header(const std::string& text, const std::string& file) {
  uint64_t values = 0;
  std::set<std::string> names;
  const Json::parser_callback_t check = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (depth > kMaxHeaderDepth)
      throw IoError(
          fmt::format("{}: its header nests deeper than a safetensors header does", file));
    if (depth == 0 && event == Json::parse_event_t::array_start)
      throw IoError(fmt::format("{}: its header is a list, expected a JSON object", file));
    if (++values > kMaxHeaderValues)
      throw IoError(
          fmt::format("{}: its header holds more than {} values", file, kMaxHeaderValues));
    if (depth == 1 && event == Json::parse_event_t::key &&
        !names.insert(parsed.get<std::string>()).second)
      throw IoError(
          fmt::format("{}: its header names '{}' twice", file, parsed.get<std::string>()));
    return true;
  };
  try {
    return Json::parse(text, check);
  } catch (const Json::parse_error& e) {
    throw IoError(fmt::format("{}: its header is not JSON: {}", file, e.what()));
  }
}

std::string header_text(const SafetensorsContent& content) {
  Json header = Json::object();
  if (!content.metadata.empty()) header[kMetadataKey] = content.metadata;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : content.tensors) {
    const uint64_t bytes = static_cast<uint64_t>(tensor.numel()) * kFloatBytes;
    header[name] = {
        {"dtype", "F32"}, {"shape", tensor.shape()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the buffer starts 8-byte aligned
  return text;
}

void check_names(const SafetensorsContent& content, const std::string& path) {
  std::set<std::string> seen;
  for (const auto& entry : content.tensors) {
    const std::string& name = entry.first;
    if (name.empty() || name == kMetadataKey)
      throw ConfigError(fmt::format("{}: '{}' cannot name a tensor", path, name));
    if (!seen.insert(name).second)
      throw ConfigError(fmt::format("{}: two tensors are named '{}'", path, name));
  }
}

// One tensor's entry of the header, checked against the buffer it indexes.
struct Entry {
  std::string name;
  Shape shape;
  uint64_t begin = 0, end = 0;
};

uint64_t unsigned_field(const Json& value, const std::string& what, const std::string& where) {
  if (!value.is_number_unsigned())
    throw IoError(
        fmt::format("{}: {} is {}, expected a non-negative integer", where, what, preview(value)));
  return value.get<uint64_t>();
}

Entry entry_of(const std::string& name, const Json& value, const std::string& where,
               uint64_t buffer_bytes) {
  if (!value.is_object() || !value.contains("dtype") || !value.contains("shape") ||
      !value.contains("data_offsets"))
    throw IoError(fmt::format("{}: expected an object with dtype, shape and data_offsets, found {}",
                              where, preview(value)));
  const Json& dtype = value["dtype"];
  if (dtype != "F32")
    throw IoError(
        fmt::format("{}: dtype {}, expected \"F32\" (attnlab's parameters are float32: "
                    "convert first, e.g. with tensor.float() in PyTorch)",
                    where, preview(dtype)));
  Entry entry{name, {}, 0, 0};
  const Json& shape = value["shape"];
  if (!shape.is_array())
    throw IoError(fmt::format("{}: shape {} is not a list", where, preview(shape)));
  uint64_t count = 1;
  for (const Json& size : shape) {
    const uint64_t n = unsigned_field(size, "a dimension", where);
    // Each size and the product bounded by the buffer: neither overflows, nor an allocation.
    const uint64_t most = buffer_bytes / kFloatBytes;
    if (n > most || (n != 0 && count > most / n))
      throw IoError(fmt::format("{}: shape {} holds more values than the file's {} bytes", where,
                                preview(shape), buffer_bytes));
    count *= n;
    entry.shape.push_back(static_cast<int64_t>(n));
  }
  const Json& offsets = value["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2)
    throw IoError(
        fmt::format("{}: data_offsets {}, expected [begin, end]", where, preview(offsets)));
  entry.begin = unsigned_field(offsets[0], "data_offsets[0]", where);
  entry.end = unsigned_field(offsets[1], "data_offsets[1]", where);
  if (entry.end < entry.begin)
    throw IoError(fmt::format("{}: data_offsets [{}, {}] end before they begin", where, entry.begin,
                              entry.end));
  if (entry.end - entry.begin != count * kFloatBytes)
    throw IoError(fmt::format(
        "{}: data_offsets [{}, {}] span {} bytes, but shape {} of F32 needs {}", where, entry.begin,
        entry.end, entry.end - entry.begin, preview(shape), count * kFloatBytes));
  return entry;
}

// Every byte of the buffer belongs to exactly one tensor (the format's rule).
void check_coverage(std::vector<Entry>& entries, uint64_t buffer_bytes, const std::string& file) {
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) {  // an empty tensor before the one it shares a
              return std::pair(a.begin, a.end) < std::pair(b.begin, b.end);  // start with
            });
  uint64_t at = 0;
  for (const Entry& e : entries) {
    if (e.begin != at)
      throw IoError(fmt::format("{}: tensor '{}' starts at byte {} of the data, expected {} ({})",
                                file, e.name, e.begin, at,
                                e.begin > at ? "a hole before it" : "it overlaps the one before"));
    at = e.end;
  }
  if (at != buffer_bytes)
    throw IoError(
        fmt::format("{}: the tensors index {} bytes of data, but the file holds {} "
                    "after its header",
                    file, at, buffer_bytes));
}

std::map<std::string, std::string> metadata_of(const Json& value, const std::string& file) {
  if (!value.is_object())
    throw IoError(
        fmt::format("{}: __metadata__ is {}, expected an object of strings", file, preview(value)));
  std::map<std::string, std::string> metadata;
  for (const auto& [key, text] : value.items()) {
    if (!text.is_string())
      throw IoError(
          fmt::format("{}: __metadata__.{} is {}, expected a string", file, key, preview(text)));
    metadata[key] = text.get<std::string>();
  }
  return metadata;
}

void read_exactly(std::ifstream& in, char* to, uint64_t bytes, const std::string& file) {
  in.read(to, static_cast<std::streamsize>(bytes));
  if (!in || static_cast<uint64_t>(in.gcount()) != bytes)
    throw IoError(fmt::format("{}: cannot read {} bytes: truncated while reading", file, bytes));
}

}  // namespace

std::string safetensors_bytes(const SafetensorsContent& content, const std::string& path) {
  check_names(content, path);
  const std::string header = header_text(content);
  std::string bytes;
  const uint64_t length = header.size();
  bytes.append(reinterpret_cast<const char*>(&length), sizeof length);
  bytes += header;
  for (const auto& entry : content.tensors) {
    const Tensor& tensor = entry.second;
    bytes.append(reinterpret_cast<const char*>(tensor.data()),
                 static_cast<std::size_t>(tensor.numel()) * kFloatBytes);
  }
  return bytes;
}

void write_safetensors(const fs::path& path, const SafetensorsContent& content) {
  write_file_atomically(path, safetensors_bytes(content, path.string()));
}

SafetensorsContent read_safetensors(const fs::path& path) {
  const std::string file = path.string();
  std::error_code error;
  const uint64_t size = fs::file_size(path, error);
  if (error) throw IoError(fmt::format("{}: cannot read: {}", file, error.message()));
  if (size < 8)
    throw IoError(
        fmt::format("{}: {} bytes, too short for a safetensors file (an 8-byte header "
                    "length comes first)",
                    file, size));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("{}: cannot open: {}", file, std::strerror(errno)));
  uint64_t header_bytes = 0;
  read_exactly(in, reinterpret_cast<char*>(&header_bytes), sizeof header_bytes, file);
  if (header_bytes > kSafetensorsMaxHeaderBytes)
    throw IoError(
        fmt::format("{}: its header claims {} bytes, more than the {} a safetensors "
                    "header may have",
                    file, header_bytes, kSafetensorsMaxHeaderBytes));
  if (header_bytes > size - 8)
    throw IoError(
        fmt::format("{}: its header claims {} bytes, but only {} follow: truncated, or "
                    "not a safetensors file",
                    file, header_bytes, size - 8));
  std::string text(header_bytes, '\0');
  read_exactly(in, text.data(), header_bytes, file);
  const Json header = parse_header(text, file);
  if (!header.is_object())
    throw IoError(
        fmt::format("{}: its header is {}, expected a JSON object", file, preview(header)));
  const uint64_t buffer_bytes = size - 8 - header_bytes;
  SafetensorsContent content;
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == kMetadataKey)
      content.metadata = metadata_of(value, file);
    else
      entries.push_back(
          entry_of(name, value, fmt::format("{}: tensor '{}'", file, name), buffer_bytes));
  }
  check_coverage(entries, buffer_bytes, file);
  for (const Entry& e : entries) {  // in the order of their offsets: one pass over the file
    std::vector<float> values(static_cast<std::size_t>(element_count(e.shape)));
    read_exactly(in, reinterpret_cast<char*>(values.data()), e.end - e.begin, file);
    content.tensors.emplace_back(e.name, Tensor::from_values(e.shape, values));
  }
  return content;
}

}  // namespace attnlab
