// Work splitting over attnlab's one thread pool (tensor/thread_pool.hpp). Each
// index is handled by exactly one thread, so results never depend on the
// thread count or on scheduling.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>

#include "tensor/thread_pool.hpp"

namespace attnlab::detail {

// Below this many floats touched, threading costs more than it saves.
constexpr int64_t kParallelWorkThreshold = 1 << 15;

template <class Body>
void parallel_for(int64_t count, int64_t work_per_item, const Body& body) {
  const bool worth_it = count > 1 && count * work_per_item >= kParallelWorkThreshold &&
                        pool_threads() > 1 && !in_parallel_region();
  if (!worth_it) {
    for (int64_t i = 0; i < count; ++i) body(i);
    return;
  }
  parallel_run(count, std::function<void(int64_t)>(std::cref(body)));
}

/// body(begin, end) over [0, count) in fixed chunks of elements, in parallel:
/// for elementwise work over a whole tensor.
template <class Body>
void parallel_chunks(int64_t count, const Body& body) {
  constexpr int64_t kChunk = 4096;
  parallel_for((count + kChunk - 1) / kChunk, kChunk, [&](int64_t chunk) {
    const int64_t begin = chunk * kChunk;
    body(begin, std::min(count, begin + kChunk));
  });
}

}  // namespace attnlab::detail
