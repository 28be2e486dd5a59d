#include "zip_store.hpp"

#include <fmt/format.h>

#include <boost/crc.hpp>
#include <cstdint>
#include <limits>

#include "attnlab/error.hpp"

namespace attnlab::detail {
namespace {

constexpr std::size_t kAlignment = 64;       // of every entry's data (torch.save's)
constexpr uint16_t kPaddingTag = 0x4246;     // "FB": the extra field torch.save pads with
constexpr uint16_t kVersionNeeded = 20;      // 2.0: stored entries, folders
constexpr uint16_t kDosDate = (1 << 5) | 1;  // 1980-01-01, 00:00: no time, so bytes repeat

void put16(std::string& out, uint16_t value) {
  out.push_back(static_cast<char>(value & 0xff));
  out.push_back(static_cast<char>(value >> 8));
}

void put32(std::string& out, uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>(value >> shift));
}

uint32_t crc32_of(const std::string& data) {
  boost::crc_32_type crc;
  crc.process_bytes(data.data(), data.size());
  return crc.checksum();
}

// What the central directory repeats of an entry.
struct Written {
  const std::string* name;
  uint32_t crc, size, offset;
};

}  // namespace

std::string zip_store_bytes(const std::vector<std::pair<std::string, std::string>>& entries,
                            const std::string& path) {
  constexpr uint64_t kMost = std::numeric_limits<uint32_t>::max();
  uint64_t total = 0;
  for (const auto& [name, data] : entries) total += name.size() * 2 + data.size() + kAlignment + 76;
  if (total >= kMost || entries.size() >= 0xffff)
    throw ConfigError(fmt::format(
        "{}: {} entries of {} bytes need a ZIP64 archive, which attnlab does not write; export "
        "with --format safetensors",
        path, entries.size(), total));
  std::string out;
  std::vector<Written> written;
  for (const auto& [name, data] : entries) {
    const auto offset = static_cast<uint32_t>(out.size());
    const uint32_t crc = crc32_of(data);
    constexpr std::size_t kLocalHeader = 30, kExtraHeader = 4;
    const std::size_t unpadded = out.size() + kLocalHeader + name.size() + kExtraHeader;
    const std::size_t padding = (kAlignment - unpadded % kAlignment) % kAlignment;
    put32(out, 0x04034b50);
    put16(out, kVersionNeeded);
    put16(out, 0);  // flags
    put16(out, 0);  // stored
    put16(out, 0);  // time
    put16(out, kDosDate);
    put32(out, crc);
    put32(out, static_cast<uint32_t>(data.size()));  // compressed: the same
    put32(out, static_cast<uint32_t>(data.size()));
    put16(out, static_cast<uint16_t>(name.size()));
    put16(out, static_cast<uint16_t>(kExtraHeader + padding));
    out += name;
    put16(out, kPaddingTag);
    put16(out, static_cast<uint16_t>(padding));
    out.append(padding, 'Z');
    out += data;
    written.push_back({&name, crc, static_cast<uint32_t>(data.size()), offset});
  }
  const auto directory_offset = static_cast<uint32_t>(out.size());
  for (const Written& entry : written) {
    put32(out, 0x02014b50);
    put16(out, kVersionNeeded);  // made by: MS-DOS attributes, version 2.0
    put16(out, kVersionNeeded);
    put16(out, 0);
    put16(out, 0);
    put16(out, 0);
    put16(out, kDosDate);
    put32(out, entry.crc);
    put32(out, entry.size);
    put32(out, entry.size);
    put16(out, static_cast<uint16_t>(entry.name->size()));
    put16(out, 0);  // extra
    put16(out, 0);  // comment
    put16(out, 0);  // disk
    put16(out, 0);  // internal attributes
    put32(out, 0);  // external attributes
    put32(out, entry.offset);
    out += *entry.name;
  }
  const auto directory_size = static_cast<uint32_t>(out.size() - directory_offset);
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, static_cast<uint16_t>(written.size()));
  put16(out, static_cast<uint16_t>(written.size()));
  put32(out, directory_size);
  put32(out, directory_offset);
  put16(out, 0);  // comment
  return out;
}

}  // namespace attnlab::detail
