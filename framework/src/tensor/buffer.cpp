#include "tensor/buffer.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "attnlab/tensor_memory.hpp"

namespace attnlab::detail {
namespace {

// Above this many parked bytes, freed buffers go back to the system instead.
constexpr int64_t kMaxPooledBytes = int64_t{4} << 30;
constexpr std::size_t kAlignment = 64;  // one cache line, the widest AVX-512 load

struct Pool {
  std::mutex mutex;
  std::unordered_map<int64_t, std::vector<float*>> free_by_size;
  int64_t parked_bytes = 0;
  int64_t live_bytes = 0, peak_live_bytes = 0;
};

Pool& pool() {
  static Pool* instance = new Pool;  // never destroyed: buffers may die during static teardown
  return *instance;
}

float* allocate_fresh(int64_t count) {
  const std::size_t bytes =
      (static_cast<std::size_t>(count) * sizeof(float) + kAlignment - 1) / kAlignment * kAlignment;
  void* memory = std::aligned_alloc(kAlignment, bytes == 0 ? kAlignment : bytes);
  if (memory == nullptr) throw std::bad_alloc();
  return static_cast<float*>(memory);
}

}  // namespace

Buffer::Buffer(int64_t count) : data_(nullptr), size_(count) {
  Pool& p = pool();
  const int64_t bytes = count * static_cast<int64_t>(sizeof(float));
  const auto count_live = [&] {
    p.live_bytes += bytes;
    p.peak_live_bytes = std::max(p.peak_live_bytes, p.live_bytes);
  };
  {
    std::lock_guard lock(p.mutex);
    auto it = p.free_by_size.find(count);
    if (it != p.free_by_size.end() && !it->second.empty()) {
      data_ = it->second.back();
      it->second.pop_back();
      p.parked_bytes -= bytes;
      count_live();
      return;
    }
  }
  data_ = allocate_fresh(count);  // may throw: counted only once it holds memory
  std::lock_guard lock(p.mutex);
  count_live();
}

Buffer::~Buffer() {
  Pool& p = pool();
  const int64_t bytes = size_ * static_cast<int64_t>(sizeof(float));
  {
    std::lock_guard lock(p.mutex);
    p.live_bytes -= bytes;
    if (p.parked_bytes + bytes <= kMaxPooledBytes) {
      p.free_by_size[size_].push_back(data_);
      p.parked_bytes += bytes;
      return;
    }
  }
  std::free(data_);
}

void Buffer::fill_zero() {
  std::memset(data_, 0, static_cast<std::size_t>(size_) * sizeof(float));
}

}  // namespace attnlab::detail

namespace attnlab {

TensorMemory tensor_memory() {
  detail::Pool& p = detail::pool();
  std::lock_guard lock(p.mutex);
  return {p.live_bytes, p.peak_live_bytes, p.parked_bytes};
}

}  // namespace attnlab
