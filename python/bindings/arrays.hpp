// Arrays between attnlab and NumPy without copying where memory allows.
//
// A NumPy array made from a pointer alone copies it silently; these give the
// array a base instead, a capsule that owns the C++ storage (a handle on a
// tensor, or a moved vector), so the values live exactly as long as the array
// or any view of it, whatever becomes of the object they came from.
#pragma once

#include <pybind11/numpy.h>

#include <cstdint>
#include <string>
#include <vector>

#include "attnlab/tensor.hpp"
#include "bindings.hpp"

namespace attnlab::python {

/// A float32 array over `tensor`'s own values (row-major, its shape): a view,
/// no copy. Read-only unless `writable`; writing through a writable one
/// changes the tensor itself.
py::array tensor_array(const Tensor& tensor, bool writable);

/// An array that takes over `values` (moved, no copy), shaped `shape`, writable.
template <class T>
py::array vector_array(std::vector<T> values, const std::vector<int64_t>& shape);

/// Values given from Python (a NumPy array, a torch tensor, nested lists) as a
/// float32 tensor (a copy: the caller keeps its own). ConfigError naming `what`
/// for anything that is not an array of real numbers.
Tensor tensor_from_python(py::handle value, const std::string& what);

/// Whether NumPy's dtype `dtype` holds integers (signed or unsigned, not bool).
bool is_integer_dtype(const py::dtype& dtype);

}  // namespace attnlab::python
