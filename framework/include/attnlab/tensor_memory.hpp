// How much memory tensors hold, for memory benchmarks and for a user who wants
// to see what a model's training takes. Tensor storage is pooled
// (framework/src/tensor/buffer.cpp): a freed buffer is parked for the next
// tensor of its size, up to 4 GiB parked, instead of going back to the system.
#pragma once

#include <cstdint>

namespace attnlab {

struct TensorMemory {
  int64_t live_bytes = 0;       // held by tensors now
  int64_t peak_live_bytes = 0;  // the most held at once since the process started
  int64_t parked_bytes = 0;     // freed, kept for reuse
};

/// The tensor storage of the whole process, every thread's: the floats of
/// tensors only, not their alignment padding, not the graph's bookkeeping, not
/// the memory of oneDNN, Eigen or HDF5. Safe to call from any thread.
TensorMemory tensor_memory();

}  // namespace attnlab
