// Which code computes attnlab's matrix products in this build. Float sums, and
// so results, depend on it: `attnlab version` and the benchmarks print it.
#pragma once

#include <string>

namespace attnlab {

/// e.g. "oneDNN 2.6.3 sgemm, Eigen 3.4.0 below 32768 multiply-adds".
std::string matrix_kernel();

}  // namespace attnlab
