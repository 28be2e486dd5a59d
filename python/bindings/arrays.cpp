#include "arrays.hpp"

#include <fmt/format.h>

#include <memory>

#include "attnlab/error.hpp"

namespace attnlab::python {

py::array tensor_array(const Tensor& tensor, bool writable) {
  // The capsule's handle keeps the tensor's pooled buffer from going back to
  // the pool while NumPy can still reach it.
  auto handle = std::make_unique<Tensor>(tensor);
  float* values = handle->data();
  py::capsule owner(handle.get(), [](void* held) { delete static_cast<Tensor*>(held); });
  handle.release();  // the capsule owns it now
  py::array array(py::dtype::of<float>(), tensor.shape(), values, owner);
  if (!writable) array.attr("setflags")(py::arg("write") = false);
  return array;
}

template <class T>
py::array vector_array(std::vector<T> values, const std::vector<int64_t>& shape) {
  auto held = std::make_unique<std::vector<T>>(std::move(values));
  T* data = held->data();
  py::capsule owner(held.get(), [](void* vector) { delete static_cast<std::vector<T>*>(vector); });
  held.release();
  return py::array(py::dtype::of<T>(), shape, data, owner);
}

template py::array vector_array(std::vector<int32_t>, const std::vector<int64_t>&);
template py::array vector_array(std::vector<int64_t>, const std::vector<int64_t>&);
template py::array vector_array(std::vector<float>, const std::vector<int64_t>&);
template py::array vector_array(std::vector<double>, const std::vector<int64_t>&);

bool is_integer_dtype(const py::dtype& dtype) {
  return dtype.kind() == 'i' || dtype.kind() == 'u';
}

Tensor tensor_from_python(py::handle value, const std::string& what) {
  py::array array;
  try {
    // numpy.asarray reads lists, NumPy arrays as they are, and torch tensors
    // through their __array__.
    array = py::module_::import("numpy").attr("asarray")(value).cast<py::array>();
  } catch (const py::error_already_set& e) {
    throw ConfigError(
        fmt::format("{}: cannot be read as an array of numbers ({})", what, e.what()));
  }
  const char kind = array.dtype().kind();
  if (kind != 'f' && !is_integer_dtype(array.dtype()))
    throw ConfigError(fmt::format("{}: found values of dtype {}, expected real numbers", what,
                                  py::str(array.dtype()).cast<std::string>()));
  const auto floats = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(array);
  if (!floats) throw py::error_already_set();
  const Shape shape(floats.shape(), floats.shape() + floats.ndim());
  return Tensor::from_values(shape, {floats.data(), static_cast<std::size_t>(floats.size())});
}

}  // namespace attnlab::python
