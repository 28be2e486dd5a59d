// The safetensors format (huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON naming each tensor's dtype, shape and
// data_offsets [begin, end) into the byte buffer that follows, plus an optional
// "__metadata__" object of strings; then the buffer, every byte of it indexed
// by exactly one tensor. attnlab writes and reads float32 ("F32") tensors,
// in the order given, the header padded with spaces to a multiple of 8 bytes.
// Layout and the files attnlab export writes beside it: docs/interchange.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "attnlab/tensor.hpp"

namespace attnlab {

/// The largest header a reader accepts (the reference implementation's limit):
/// a file that claims more is refused before anything is allocated.
inline constexpr uint64_t kSafetensorsMaxHeaderBytes = 100'000'000;

struct SafetensorsContent {
  std::vector<std::pair<std::string, Tensor>> tensors;  // in the order of their offsets
  std::map<std::string, std::string> metadata;          // "__metadata__"
};

/// The bytes of a safetensors file of `content` (ConfigError naming `path`
/// for a name that cannot be one, as write_safetensors).
std::string safetensors_bytes(const SafetensorsContent& content, const std::string& path);

/// Writes `content` to `path` atomically (complete or not at all). Refuses
/// (ConfigError) an empty or duplicate name, or the name "__metadata__".
void write_safetensors(const std::filesystem::path& path, const SafetensorsContent& content);

/// Reads `path`. IoError naming the file and what is wrong when it is not a
/// well-formed safetensors file of float32 tensors: too short, a header length
/// past the file or above kSafetensorsMaxHeaderBytes, JSON that does not parse
/// or lacks a field, nests deeper than a header or holds more than 10 million
/// values (refused while parsing), names a tensor twice, another dtype, offsets
/// that do not match the shape, leave a hole, overlap or run past the end.
SafetensorsContent read_safetensors(const std::filesystem::path& path);

}  // namespace attnlab
