// oneDNN runs a call on OpenMP's threads unless the calling thread's OpenMP
// limit is 1. attnlab's own pool already gives each call one thread, so the
// limit is lowered for the call only: an OpenMP program around attnlab keeps its
// own setting. (Only in builds with oneDNN.)
#pragma once

#include <dnnl_config.h>

#if DNNL_CPU_THREADING_RUNTIME != DNNL_RUNTIME_OMP
#error \
    "attnlab limits each oneDNN call to one thread through OpenMP: this oneDNN runs on another threading runtime; configure with -DATTNLAB_ONEDNN=OFF or use Debian's libdnnl-dev"
#endif

// The OpenMP API of the runtime oneDNN runs on (omp.h is not on every compiler's path).
extern "C" int omp_get_max_threads();
extern "C" void omp_set_num_threads(int threads);

namespace attnlab::detail {

class OneOpenMpThread {
 public:
  OneOpenMpThread() : previous_(omp_get_max_threads()) {
    if (previous_ != 1) omp_set_num_threads(1);
  }
  ~OneOpenMpThread() {
    if (previous_ != 1) omp_set_num_threads(previous_);
  }
  OneOpenMpThread(const OneOpenMpThread&) = delete;
  OneOpenMpThread& operator=(const OneOpenMpThread&) = delete;

 private:
  int previous_;
};

}  // namespace attnlab::detail
