// A ZIP archive of uncompressed ("stored") entries, as PyTorch's torch.save
// writes its files: each entry's data starts at a multiple of 64 bytes (padded
// through the local header's extra field), so a reader may map it in place.
// Archives past 4 GiB (ZIP64) are refused. For io/ sources only.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace attnlab::detail {

/// The bytes of an archive holding `entries` (name, data) in this order.
/// ConfigError naming `path` when it would need ZIP64 (4 GiB or more, or
/// 65535 entries or more).
std::string zip_store_bytes(const std::vector<std::pair<std::string, std::string>>& entries,
                            const std::string& path);

}  // namespace attnlab::detail
