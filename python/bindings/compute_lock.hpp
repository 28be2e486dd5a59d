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

/// h5py's lock on the HDF5 library, when h5py is loaded, held across a call
/// into attnlab: h5py reads HDF5 from any Python thread, attnlab reads it too
/// and checks files in forked children, and a child forked while another
/// thread is inside HDF5 would wait forever for a lock that no thread of it
/// holds. Taken with the GIL (h5py waits for it without the GIL).
class H5pyLock {
 public:
  H5pyLock() {
    const py::dict modules = py::module_::import("sys").attr("modules");
    if (!modules.contains("h5py")) return;
    try {
      lock_ = py::module_::import("h5py._objects").attr("phil");
      lock_.attr("acquire")();
    } catch (const py::error_already_set&) {
      lock_ = py::object();  // an h5py without that lock: nothing to hold
    }
  }
  ~H5pyLock() {
    if (!lock_) return;
    py::gil_scoped_acquire gil;
    lock_.attr("release")();
    lock_ = py::object();
  }
  H5pyLock(const H5pyLock&) = delete;
  H5pyLock& operator=(const H5pyLock&) = delete;

 private:
  py::object lock_;
};

/// Runs `work` with the GIL released and the compute lock held; `work` must
/// not touch a Python object. h5py's lock (H5pyLock) is taken first, then the
/// GIL released, then the compute lock taken (a thread waiting for it never
/// holds the GIL); they are given back in the reverse order. An exception
/// leaves as it came, with the GIL held again.
template <class Work>
auto without_gil(Work&& work) {
  const H5pyLock h5py_lock;
  py::gil_scoped_release released;
  std::lock_guard<std::mutex> lock(compute_mutex());
  return std::forward<Work>(work)();
}

}  // namespace attnlab::python
