// glibc takes attnlab's allocator settings, and they change where a block comes from.
#include <malloc.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "attnlab/process/allocator.hpp"

TEST_CASE("process: with freed memory retained, a 4 MiB block comes from the heap, not a mapping") {
  REQUIRE(attnlab::retain_freed_memory());
  if constexpr (attnlab::kSanitizerAllocator) return;  // glibc's allocator is not in use
  const std::size_t mappings_before = mallinfo2().hblks;
  void* volatile block = std::malloc(4 << 20);  // volatile: the pair is not optimised away
  REQUIRE(block != nullptr);
  const std::size_t mappings_during = mallinfo2().hblks;
  std::free(block);
  // glibc's default would map it alone (above 128 KiB), adding a mapping.
  CHECK(mappings_during == mappings_before);
}
