// How much memory tensors hold: what a memory benchmark or a curious user asks.
// Tensor storage is pooled (framework/src/tensor/buffer.cpp): a freed buffer is
// parked for the next tensor of its size instead of going back to the system.
#pragma once

#include <cstdint>

namespace attnlab {

struct TensorMemory {
  int64_t live_bytes = 0;       // held by tensors now
  int64_t peak_live_bytes = 0;  // the most ever held at once
  int64_t parked_bytes = 0;     // freed, kept for reuse
};

TensorMemory tensor_memory();

}  // namespace attnlab
