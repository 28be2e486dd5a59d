// One thread's matrix-product speed, in GFLOP/s, of each kernel attnlab could
// call for the products of its reference workload and of small models: Eigen,
// oneDNN's sgemm and (when built with it) OpenBLAS's sgemm, on the same
// row-major operands. What chose the kernel behind framework/src/ops/gemm_kernel.cpp.
//   usage: gemm_kernels     (OpenBLAS uses the kernel OPENBLAS_CORETYPE names, if set)
#include <dnnl.h>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#if ATTNLAB_BENCH_OPENBLAS
#include <cblas.h>
extern "C" char* openblas_get_corename(void);
extern "C" void openblas_set_num_threads(int threads);
#endif

extern "C" void omp_set_num_threads(int threads);

namespace {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Map = Eigen::Map<Matrix>;
using ConstMap = Eigen::Map<const Matrix>;

struct Product {
  const char* name;
  int m, n, k;
  bool transpose_a, transpose_b;
};

// C = op(A) op(B); A stored k x m when transposed, B stored n x k when transposed.
void eigen_product(const Product& p, const float* a, const float* b, float* c) {
  Map out(c, p.m, p.n);
  const ConstMap as(a, p.transpose_a ? p.k : p.m, p.transpose_a ? p.m : p.k);
  const ConstMap bs(b, p.transpose_b ? p.n : p.k, p.transpose_b ? p.k : p.n);
  if (!p.transpose_a && !p.transpose_b) out.noalias() = as * bs;
  if (!p.transpose_a && p.transpose_b) out.noalias() = as * bs.transpose();
  if (p.transpose_a && !p.transpose_b) out.noalias() = as.transpose() * bs;
  if (p.transpose_a && p.transpose_b) out.noalias() = as.transpose() * bs.transpose();
}

void onednn_product(const Product& p, const float* a, const float* b, float* c) {
  dnnl_sgemm(p.transpose_a ? 'T' : 'N', p.transpose_b ? 'T' : 'N', p.m, p.n, p.k, 1.0f, a,
             p.transpose_a ? p.m : p.k, b, p.transpose_b ? p.k : p.n, 0.0f, c, p.n);
}

#if ATTNLAB_BENCH_OPENBLAS
void openblas_product(const Product& p, const float* a, const float* b, float* c) {
  cblas_sgemm(CblasRowMajor, p.transpose_a ? CblasTrans : CblasNoTrans,
              p.transpose_b ? CblasTrans : CblasNoTrans, p.m, p.n, p.k, 1.0f, a,
              p.transpose_a ? p.m : p.k, b, p.transpose_b ? p.k : p.n, 0.0f, c, p.n);
}
#endif

using Kernel = std::function<void(const Product&, const float*, const float*, float*)>;

// Median of 7 timed batches, each about 0.1 s.
double gflops(const Kernel& kernel, const Product& p, const std::vector<float>& a,
              const std::vector<float>& b, std::vector<float>& c) {
  const double flops = 2.0 * p.m * p.n * p.k;
  const int repeats = std::max(1, static_cast<int>(2e10 / flops));  // 0.1 s at 200 GFLOP/s
  std::vector<double> seconds;
  for (int batch = 0; batch < 7; ++batch) {
    const auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < repeats; ++r) kernel(p, a.data(), b.data(), c.data());
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return flops * repeats / seconds[3] / 1e9;
}

}  // namespace

int main() {
  omp_set_num_threads(1);  // oneDNN's OpenMP: one thread, as attnlab calls it
  std::vector<std::pair<const char*, Kernel>> kernels{{"Eigen", eigen_product},
                                                      {"oneDNN", onednn_product}};
#if ATTNLAB_BENCH_OPENBLAS
  openblas_set_num_threads(1);
  static const std::string openblas = std::string("OpenBLAS ") + openblas_get_corename();
  kernels.emplace_back(openblas.c_str(), openblas_product);
#endif
  const std::vector<Product> products{
      {"projection 2048x128x128 (x W^T)", 2048, 128, 128, false, true},
      {"FFN in 2048x512x128 (x W^T)", 2048, 512, 128, false, true},
      {"FFN out 2048x128x512 (x W^T)", 2048, 128, 512, false, true},
      {"input gradient 2048x128x128 (dY W)", 2048, 128, 128, false, false},
      {"weight gradient 128x128x2048 (dY^T X)", 128, 128, 2048, true, false},
      {"per head q k^T 64x64x32", 64, 64, 32, false, true},
      {"per head p v 64x32x64", 64, 32, 64, false, false},
      {"small projection 1024x32x32", 1024, 32, 32, false, true},
      {"small weight gradient 32x32x1024", 32, 32, 1024, true, false},
      {"small per head q k^T 32x32x8", 32, 32, 8, false, true},
      {"small per head p v 32x8x32", 32, 8, 32, false, false},
  };
  std::printf("%-40s", "product m x n x k, GFLOP/s on 1 thread");
  for (const auto& [name, kernel] : kernels) std::printf(" %18s", name);
  std::printf("\n");
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (const Product& p : products) {
    std::vector<float> a(static_cast<std::size_t>(p.m) * p.k),
        b(static_cast<std::size_t>(p.k) * p.n), c(static_cast<std::size_t>(p.m) * p.n);
    for (float& x : a) x = uniform(rng);
    for (float& x : b) x = uniform(rng);
    std::printf("%-40s", p.name);
    for (const auto& [name, kernel] : kernels) std::printf(" %18.1f", gflops(kernel, p, a, b, c));
    std::printf("\n");
  }
}
