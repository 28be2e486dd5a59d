#include "attnlab/process/allocator.hpp"

#include <malloc.h>

namespace attnlab {

bool retain_freed_memory() {
  if constexpr (kSanitizerAllocator) return true;  // (its mallopt always fails)
  // Setting either threshold also turns off glibc's adjusting of them. Only
  // blocks of 32 MiB and more are mapped alone; a free heap top is kept up to
  // 256 MiB. mallopt returns 1 on success.
  const bool mapped = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1;
  const bool trimmed = mallopt(M_TRIM_THRESHOLD, 256 << 20) == 1;
  return mapped && trimmed;
}

}  // namespace attnlab
