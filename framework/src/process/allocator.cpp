#include "attnlab/process/allocator.hpp"

#include <malloc.h>

namespace attnlab {

void retain_freed_memory() {
  // Setting either threshold also turns off glibc's adjusting of them.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);   // only blocks of 32 MiB and more are mapped alone
  mallopt(M_TRIM_THRESHOLD, 256 << 20);  // a free heap top is kept up to 256 MiB
}

}  // namespace attnlab
