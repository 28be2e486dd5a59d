// Pooled float storage. Training repeats the same shapes every step, so freed
// buffers are kept per size and handed out again: on this VM a page fault costs
// ~1.5 us per 4 KiB, and re-faulting a step's activations would dominate it.
#pragma once

#include <cstdint>

namespace attnlab::detail {

class Buffer {
 public:
  /// `count` floats with unspecified contents.
  explicit Buffer(int64_t count);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  float* data() { return data_; }
  const float* data() const { return data_; }
  int64_t size() const { return size_; }
  void fill_zero();

 private:
  float* data_;
  int64_t size_;
};

}  // namespace attnlab::detail
