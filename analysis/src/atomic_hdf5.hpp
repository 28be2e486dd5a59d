// An HDF5 file written under a temporary name and renamed only when complete
// (private to analysis/): a killed command leaves the old file or none.
#pragma once

#include <filesystem>
#include <functional>

#include "attnlab/io/atomic_file.hpp"
#include "attnlab/io/hdf5_file.hpp"

namespace attnlab::analysis {

inline void write_hdf5_atomically(const std::filesystem::path& path,
                                  const std::function<void(Hdf5File&)>& fill) {
  const std::filesystem::path partial = temporary_path(path);
  try {
    Hdf5File file(partial.string(), Hdf5File::Mode::create);
    fill(file);
    file.close();  // throws if HDF5 could not finish: the file must not be published then
    publish_file(partial, path);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(partial, ignored);
    throw;
  }
}

}  // namespace attnlab::analysis
