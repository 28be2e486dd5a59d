#include "ops/batched_gemm.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "attnlab/error.hpp"
#include "ops/gemm.hpp"
#include "tensor/parallel.hpp"

#if ATTNLAB_HAVE_ONEDNN
#include <cstddef>
#include <cstring>
#include <dnnl.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include "ops/onednn_threads.hpp"
#endif

namespace attnlab::detail {
namespace {

#if ATTNLAB_HAVE_ONEDNN
// Multiply-adds one call should take: enough items that a call's fixed cost
// (a few microseconds) is small against them, and calls enough to share.
constexpr int64_t kCallWork = int64_t{1} << 16;

// What a matmul primitive is made for: the shapes, the layout of each operand
// and what it does with C. Primitives take ~0.3 ms to make, so each is made once.
struct PrimitiveKey {
  int64_t items, m, n, k, a_step, b_step, c_step;
  bool transpose_a, transpose_b, accumulate;
  uint32_t alpha_bits;
  auto fields() const {
    return std::tie(items, m, n, k, a_step, b_step, c_step, transpose_a, transpose_b, accumulate,
                    alpha_bits);
  }
  bool operator<(const PrimitiveKey& other) const { return fields() < other.fields(); }
};

struct Matmul {
  dnnl::matmul primitive;
  dnnl::memory::desc a, b, c, scratchpad;
};

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// op(X) of items x rows x cols: X_i row-major (strides cols, 1) or, transposed,
// stored cols x rows (strides 1, rows).
dnnl::memory::desc operand_desc(int64_t items, int64_t rows, int64_t cols, int64_t step,
                                bool transposed) {
  const dnnl::memory::dims strides =
      transposed ? dnnl::memory::dims{step, 1, rows} : dnnl::memory::dims{step, cols, 1};
  return {{items, rows, cols}, dnnl::memory::data_type::f32, strides};
}

std::shared_ptr<const Matmul> make_matmul(const PrimitiveKey& key, float alpha) {
  auto made = std::make_shared<Matmul>();
  made->a = operand_desc(key.items, key.m, key.k, key.a_step, key.transpose_a);
  made->b = operand_desc(key.items, key.k, key.n, key.b_step, key.transpose_b);
  made->c = operand_desc(key.items, key.m, key.n, key.c_step, false);
  dnnl::primitive_attr attributes;
  // Each call brings its own scratch memory: oneDNN's own is shared, and calls
  // of one primitive run on several threads at once.
  attributes.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  // float32 throughout, whatever ONEDNN_DEFAULT_FPMATH_MODE says.
  attributes.set_fpmath_mode(dnnl::fpmath_mode::strict);
  if (alpha != 1.0f) attributes.set_output_scales(0, {alpha});
  if (key.accumulate) {  // C = alpha A B + C
    dnnl::post_ops sum;
    sum.append_sum(1.0f);
    attributes.set_post_ops(sum);
  }
  const dnnl::matmul::primitive_desc description(dnnl::matmul::desc(made->a, made->b, made->c),
                                                 attributes, cpu_engine());
  made->primitive = dnnl::matmul(description);
  made->scratchpad = description.scratchpad_desc();
  return made;
}

std::shared_ptr<const Matmul> matmul_for(const PrimitiveKey& key, float alpha) {
  static std::mutex mutex;
  static std::map<PrimitiveKey, std::shared_ptr<const Matmul>> made;
  constexpr std::size_t kMaxKept = 512;  // evaluation at many lengths adds shapes
  std::lock_guard lock(mutex);
  auto found = made.find(key);
  if (found != made.end()) return found->second;
  if (made.size() >= kMaxKept) made.clear();  // a call running one holds its own reference
  return made.emplace(key, make_matmul(key, alpha)).first->second;
}

void run_matmul(const PrimitiveKey& key, float alpha, const float* a, const float* b, float* c) {
  const OneOpenMpThread serial;
  thread_local dnnl::stream stream(cpu_engine());
  const std::shared_ptr<const Matmul> made = matmul_for(key, alpha);
  const Matmul& matmul = *made;
  dnnl::memory a_memory(matmul.a, cpu_engine(), const_cast<float*>(a));
  dnnl::memory b_memory(matmul.b, cpu_engine(), const_cast<float*>(b));
  dnnl::memory c_memory(matmul.c, cpu_engine(), c);
  thread_local std::vector<std::byte> scratch;
  scratch.resize(std::max(scratch.size(), matmul.scratchpad.get_size()));
  dnnl::memory scratch_memory(matmul.scratchpad, cpu_engine(), scratch.data());
  matmul.primitive.execute(stream, {{DNNL_ARG_SRC, a_memory},
                                    {DNNL_ARG_WEIGHTS, b_memory},
                                    {DNNL_ARG_DST, c_memory},
                                    {DNNL_ARG_SCRATCHPAD, scratch_memory}});
  stream.wait();
}
#endif

}  // namespace

void batched_gemm(BatchedOperand a, BatchedOperand b, float* c, int64_t c_step, int64_t batch,
                  int64_t m, int64_t n, int64_t k, bool accumulate, float alpha) {
  const int64_t work = m * n * k;
  if (batch == 0) return;
  if (batch == 1) {  // one product: gemm splits it over the pool when it is large
    gemm({a.data, a.transposed}, {b.data, b.transposed}, c, m, n, k, accumulate, alpha);
    return;
  }
#if ATTNLAB_HAVE_ONEDNN
  if (work > 0 && work <= kTinyBatchedProduct && a.step > 0 &&
      b.step > 0) {  // (a shared operand: one product per item)
    const int64_t items = std::clamp<int64_t>(kCallWork / work, 1, batch);
    const int64_t calls = (batch + items - 1) / items;
    uint32_t alpha_bits;
    std::memcpy(&alpha_bits, &alpha, sizeof alpha_bits);
    parallel_for(calls, items * work, [&](int64_t call) {
      const int64_t first = call * items;
      const PrimitiveKey key{std::min(items, batch - first),
                             m,
                             n,
                             k,
                             a.step,
                             b.step,
                             c_step,
                             a.transposed,
                             b.transposed,
                             accumulate,
                             alpha_bits};
      try {
        run_matmul(key, alpha, a.data + first * a.step, b.data + first * b.step,
                   c + first * c_step);
      } catch (const dnnl::error& e) {
        throw Error(fmt::format("oneDNN matmul failed on {} items of {}x{}x{}: {}", key.items, m, n,
                                k, e.what()));
      }
    });
    return;
  }
#endif
  parallel_for(batch, work, [&](int64_t i) {
    gemm({a.data + i * a.step, a.transposed}, {b.data + i * b.step, b.transposed}, c + i * c_step,
         m, n, k, accumulate, alpha);
  });
}

}  // namespace attnlab::detail
