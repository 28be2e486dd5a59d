// A model's parameters as the file torch.save writes for a state dict (its
// zip format, version 3): what `attnlab export --format torch` writes, read
// by torch.load (weights_only=True too) as an OrderedDict of float32 CPU
// tensors under attnlab's dotted names. Layout: docs/interchange.md.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "attnlab/tensor.hpp"

namespace attnlab {

/// The bytes of a torch.save file of `tensors` (name, value) in this order:
/// archive/data.pkl (a protocol-2 pickle of an OrderedDict whose values
/// rebuild contiguous float32 tensors from storages), archive/data/<i> (each
/// tensor's values, little-endian), archive/byteorder and archive/version.
/// ConfigError naming `path` when the archive would pass 4 GiB.
std::string torch_state_dict_bytes(const std::vector<std::pair<std::string, Tensor>>& tensors,
                                   const std::string& path);

}  // namespace attnlab
