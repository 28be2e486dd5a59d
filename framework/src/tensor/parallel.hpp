// Work splitting over the single OpenMP pool. Each index is handled by exactly
// one thread with a static schedule, so results never depend on the thread count.
#pragma once

#include <omp.h>

#include <cstdint>

namespace attnlab::detail {

// Below this many floats touched, threading costs more than it saves.
constexpr int64_t kParallelWorkThreshold = 1 << 15;

template <class Body>
void parallel_for(int64_t count, int64_t work_per_item, const Body& body) {
  const bool worth_it = count > 1 && count * work_per_item >= kParallelWorkThreshold &&
                        !omp_in_parallel() && omp_get_max_threads() > 1;
  if (!worth_it) {
    for (int64_t i = 0; i < count; ++i) body(i);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; ++i) body(i);
}

}  // namespace attnlab::detail
