// How a call into attnlab's computations runs from Python: without the GIL
// (other Python threads go on), and one at a time in the process. attnlab's
// thread pool, its registries and a model's head gates are shared state that
// its command line only ever drives from one thread; the lock keeps it so
// when several Python threads call in.
#pragma once

#include <mutex>
#include <utility>

#include "bindings.hpp"

namespace attnlab::python {

inline std::mutex& compute_mutex() {
  static std::mutex mutex;
  return mutex;
}

/// Runs `work` with the GIL released and the compute lock held; `work` must
/// not touch a Python object. The lock is taken after the GIL is released
/// (a thread waiting for it never holds the GIL), and released before the GIL
/// is taken back. An exception leaves as it came, with the GIL held again.
template <class Work>
auto without_gil(Work&& work) {
  py::gil_scoped_release released;
  std::lock_guard<std::mutex> lock(compute_mutex());
  return std::forward<Work>(work)();
}

}  // namespace attnlab::python
