// attnlab's exceptions as Python exceptions, each carrying attnlab's message:
//
//   attnlab.Error        (RuntimeError)          attnlab::Error: anything attnlab refuses
//   attnlab.ConfigError  (Error, ValueError)     a configuration, argument or input that cannot
//   work attnlab.ShapeError   (Error, ValueError)     operands whose shapes do not fit
//   attnlab.IoError      (Error)                 a file that cannot be read or written, or is
//   damaged
//
// ConfigError and ShapeError are ValueErrors too, so that `except ValueError`
// catches bad input as Python code expects. IoError cannot also be an OSError:
// CPython refuses a class with both RuntimeError's and OSError's layouts.
#include <Python.h>

#include <exception>

#include "attnlab/error.hpp"
#include "bindings.hpp"

namespace attnlab::python {
namespace {

// Created once, when the module is imported, and kept for the process: the
// translator below runs long after bind_errors returned.
struct ErrorTypes {
  PyObject* error = nullptr;
  PyObject* config = nullptr;
  PyObject* shape = nullptr;
  PyObject* io = nullptr;
};

ErrorTypes& error_types() {
  static ErrorTypes types;
  return types;
}

PyObject* new_error_type(py::module_& module, const char* name, const char* doc, py::tuple bases) {
  const std::string qualified = std::string("attnlab.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
  if (type == nullptr) throw py::error_already_set();
  module.add_object(name, py::reinterpret_borrow<py::object>(type));
  return type;  // the new reference is the one error_types() keeps
}

void translate(std::exception_ptr thrown) {
  const ErrorTypes& types = error_types();
  try {
    std::rethrow_exception(thrown);
  } catch (const ShapeError& e) {
    PyErr_SetString(types.shape, e.what());
  } catch (const ConfigError& e) {
    PyErr_SetString(types.config, e.what());
  } catch (const IoError& e) {
    PyErr_SetString(types.io, e.what());
  } catch (const Error& e) {
    PyErr_SetString(types.error, e.what());
  }
  // Anything else propagates to pybind11's own translation (std::exception
  // becomes RuntimeError with its message, py::error_already_set stays itself).
}

}  // namespace

void bind_errors(py::module_& module) {
  ErrorTypes& types = error_types();
  types.error =
      new_error_type(module, "Error",
                     "Base of every error attnlab raises; its message says what was found and "
                     "what was expected.",
                     py::make_tuple(py::handle(PyExc_RuntimeError)));
  types.config = new_error_type(
      module, "ConfigError",
      "A configuration, an argument or an input that cannot work (an unknown key, a token "
      "outside the vocabulary, parameters that do not fit the model).",
      py::make_tuple(py::handle(types.error), py::handle(PyExc_ValueError)));
  types.shape = new_error_type(
      module, "ShapeError", "Operands whose shapes do not fit; the message names both shapes.",
      py::make_tuple(py::handle(types.error), py::handle(PyExc_ValueError)));
  types.io = new_error_type(
      module, "IoError",
      "A file that cannot be read or written, or is damaged (its kind, schema, seal or checksums "
      "do not hold).",
      py::make_tuple(py::handle(types.error)));
  py::register_exception_translator(&translate);
}

}  // namespace attnlab::python
