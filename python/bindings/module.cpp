// attnlab._core: attnlab from Python, behind the pure-Python package
// python/attnlab (docs/python.md). It links the attnlab library and the
// analysis library; nothing of them is compiled again here.
#include <fmt/format.h>
#include <pybind11/pybind11.h>

#include "attnlab/error.hpp"
#include "attnlab/threads.hpp"
#include "attnlab/version.hpp"
#include "bindings.hpp"
#include "compute_lock.hpp"

namespace attnlab::python {

void bind_process_settings(py::module_& module) {
  module.def(
      "version", [] { return std::string(version()); }, "The attnlab release, e.g. '0.1.0'.");
  module.def("threads", &thread_count,
             "Threads attnlab's own computations use in this process (forward passes, "
             "generation); trials of attnlab.run use train.threads each.");
  module.def(
      "set_threads",
      [](int threads) {
        constexpr int kMostThreads = 256;  // train.threads' bound
        if (threads < 1 || threads > kMostThreads)
          throw ConfigError(
              fmt::format("set_threads: found {}, expected 1 to {}", threads, kMostThreads));
        without_gil([&] { set_thread_count(threads); });
      },
      py::arg("threads"),
      "Sets the threads of this process's computations (default: the CPUs it may use).");
}

}  // namespace attnlab::python

PYBIND11_MODULE(_core, module) {
  namespace python = attnlab::python;
  module.doc() = "attnlab's compiled core; use it through the attnlab package (docs/python.md).";
  python::bind_errors(module);
  python::bind_process_settings(module);
  python::bind_plugins(module);
  python::bind_experiments(module);
  python::bind_model(module);
  python::bind_output_dir(module);
  python::bind_runs(module);
  python::bind_comparison(module);
}
