#include "ops/gemm_kernel.hpp"

#include <fmt/format.h>

#include "attnlab/error.hpp"
#include "attnlab/matrix_kernel.hpp"
#include "ops/batched_gemm.hpp"
#include "tensor/eigen.hpp"

#if ATTNLAB_HAVE_ONEDNN
#include <dnnl.h>

#include "ops/onednn_threads.hpp"
#endif

namespace attnlab::detail {
namespace {

using StridedMatrix = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;
using StridedOutput = Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>>;

template <class Left, class Right>
void eigen_product(StridedOutput c, const Left& left, const Right& right, bool accumulate,
                   float alpha) {
  if (accumulate)
    c.noalias() += alpha * (left * right);
  else
    c.noalias() = alpha * (left * right);
}

void eigen_gemm(StridedOperand a, StridedOperand b, float* c, int64_t ldc, int64_t m, int64_t n,
                int64_t k, bool accumulate, float alpha) {
  const StridedOutput out(c, m, n, Eigen::OuterStride<>(ldc));
  const StridedMatrix a_stored(a.data, a.transposed ? k : m, a.transposed ? m : k,
                               Eigen::OuterStride<>(a.stride));
  const StridedMatrix b_stored(b.data, b.transposed ? n : k, b.transposed ? k : n,
                               Eigen::OuterStride<>(b.stride));
  if (!a.transposed && !b.transposed) eigen_product(out, a_stored, b_stored, accumulate, alpha);
  if (!a.transposed && b.transposed)
    eigen_product(out, a_stored, b_stored.transpose(), accumulate, alpha);
  if (a.transposed && !b.transposed)
    eigen_product(out, a_stored.transpose(), b_stored, accumulate, alpha);
  if (a.transposed && b.transposed)
    eigen_product(out, a_stored.transpose(), b_stored.transpose(), accumulate, alpha);
}

#if ATTNLAB_HAVE_ONEDNN
// Measured on the reference machine (AMD EPYC, AVX-512; docs/performance.md,
// build/bench/gemm_kernels): oneDNN's JIT sgemm runs the projection, FFN and
// weight-gradient products at 180-200 GFLOP/s on one thread where Eigen's
// reaches 110-135; on per-head products the two are closer (oneDNN ahead on
// p v, Eigen on a 64x64x32 q k^T). Each oneDNN call costs about 0.25 us more,
// so products below this many multiply-adds (the per-head products of small
// models, where Eigen is faster) stay with Eigen.
constexpr int64_t kSmallProduct = int64_t{1} << 15;

void onednn_gemm(StridedOperand a, StridedOperand b, float* c, int64_t ldc, int64_t m, int64_t n,
                 int64_t k, bool accumulate, float alpha) {
  const OneOpenMpThread serial;
  const dnnl_status_t status =
      dnnl_sgemm(a.transposed ? 'T' : 'N', b.transposed ? 'T' : 'N', m, n, k, alpha, a.data,
                 a.stride, b.data, b.stride, accumulate ? 1.0f : 0.0f, c, ldc);
  if (status != dnnl_success)
    throw Error(fmt::format("oneDNN sgemm failed on a {}x{}x{} product (status {})", m, n, k,
                            static_cast<int>(status)));
}
#endif

}  // namespace

void serial_gemm(StridedOperand a, StridedOperand b, float* c, int64_t ldc, int64_t m, int64_t n,
                 int64_t k, bool accumulate, float alpha) {
#if ATTNLAB_HAVE_ONEDNN
  if (m * n * k >= kSmallProduct) {
    onednn_gemm(a, b, c, ldc, m, n, k, accumulate, alpha);
    return;
  }
#endif
  eigen_gemm(a, b, c, ldc, m, n, k, accumulate, alpha);
}

}  // namespace attnlab::detail

namespace attnlab {

std::string matrix_kernel() {
  const std::string eigen =
      fmt::format("Eigen {}.{}.{}", EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION);
#if ATTNLAB_HAVE_ONEDNN
  const dnnl_version_t* v = dnnl_version();
  return fmt::format(
      "oneDNN {}.{}.{} sgemm, {} below {} multiply-adds, oneDNN's batched matmul for per-head "
      "products of at most {}",
      v->major, v->minor, v->patch, eigen, detail::kSmallProduct, detail::kTinyBatchedProduct);
#else
  return eigen + " (built without oneDNN)";
#endif
}

}  // namespace attnlab
