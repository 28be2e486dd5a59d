// Closes an HDF5 identifier when it goes out of scope (for the io/ sources only).
#pragma once

#include <hdf5.h>

namespace attnlab::detail {

class Hdf5Handle {
 public:
  Hdf5Handle(hid_t id, herr_t (*closer)(hid_t)) : id_(id), close_(closer) {}
  ~Hdf5Handle() {
    if (id_ >= 0) close_(id_);
  }
  Hdf5Handle(const Hdf5Handle&) = delete;
  Hdf5Handle& operator=(const Hdf5Handle&) = delete;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  /// Closes now and says whether HDF5 succeeded. Writers must call it: HDF5
  /// writes a dataset's cached chunks when the dataset is closed, and the
  /// destructor cannot report that write failing (a full disk).
  bool close() {
    const hid_t id = id_;
    id_ = -1;
    return id < 0 || close_(id) >= 0;
  }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

}  // namespace attnlab::detail
