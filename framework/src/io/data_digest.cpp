#include "data_digest.hpp"

#include <fmt/format.h>

#include <bit>
#include <cstring>

namespace attnlab::detail {
namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;

uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

uint64_t data_digest(const void* data, std::size_t count, std::size_t element_bytes,
                     uint64_t first_index) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  uint64_t sum = 0;
  if (std::endian::native == std::endian::little && element_bytes == 4) {  // float32, int32
    for (std::size_t i = 0; i < count; ++i) {
      uint32_t word;
      std::memcpy(&word, bytes + i * 4, 4);
      sum += mix(word + (first_index + i) * kGolden);
    }
    return sum;
  }
  for (std::size_t i = 0; i < count; ++i) {
    uint64_t word = 0;  // little-endian, whatever this machine's order
    for (std::size_t b = 0; b < element_bytes; ++b)
      word |= static_cast<uint64_t>(bytes[i * element_bytes + b]) << (8 * b);
    sum += mix(word + (first_index + i) * kGolden);
  }
  return sum;
}

uint64_t zeros_digest(uint64_t count, uint64_t first_index) {
  uint64_t sum = 0;
  for (uint64_t i = 0; i < count; ++i) sum += mix((first_index + i) * kGolden);
  return sum;
}

std::string digest_text(uint64_t digest) {
  return fmt::format("{:016x}", digest);
}

}  // namespace attnlab::detail
