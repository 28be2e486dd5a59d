// The exceptions attnlab throws. Every message says what was found and what
// was expected, so the user can act on it; the CLI prints it and exits non-zero.
#pragma once

#include <stdexcept>
#include <string>

namespace attnlab {

/// Base of every attnlab error.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An op got operands whose shapes do not fit; the message names the op and the shapes.
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// A model or run configuration that cannot work (h not dividing d_model, ...).
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// A file that cannot be read or written, or holds something unexpected.
class IoError : public Error {
 public:
  using Error::Error;
};

}  // namespace attnlab
