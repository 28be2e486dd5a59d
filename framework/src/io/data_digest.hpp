// The digest of a dataset's values that a sealed file stores beside it
// (attribute kDataDigestAttribute): the sum, modulo 2^64, over every element of
// mix(word + index * 0x9E3779B97F4A7C15), where `word` is the element's stored
// little-endian bytes as an unsigned integer, `index` its position in row-major
// order and mix the SplitMix64 finaliser. A sum, so rows written in any order
// and read back in any blocks give the same digest; position-dependent, so
// moved or zeroed values do not. analysis/attnlab_files/ computes the same
// with NumPy (tested against this on real files). For io/ sources only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace attnlab::detail {

/// Digest of `count` elements of `element_bytes` (1 to 8) each, stored
/// little-endian at `data`, the first of which has row-major index `first_index`.
uint64_t data_digest(const void* data, std::size_t count, std::size_t element_bytes,
                     uint64_t first_index);

/// The digest of `count` zero elements from `first_index` on (rows never written
/// read back as HDF5's fill value, 0).
uint64_t zeros_digest(uint64_t count, uint64_t first_index);

/// 16 lowercase hex digits, as stored in the attribute.
std::string digest_text(uint64_t digest);

}  // namespace attnlab::detail
