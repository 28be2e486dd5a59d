#include "attnlab/threads.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <Eigen/Core>

#include "attnlab/error.hpp"

namespace attnlab {

void set_thread_count(int threads) {
  if (threads < 1) throw ConfigError(fmt::format("thread count must be >= 1, got {}", threads));
  omp_set_num_threads(threads);
  Eigen::setNbThreads(threads);
}

int thread_count() {
  return omp_get_max_threads();
}

}  // namespace attnlab
