// Cross-entropy fused with log-softmax (one pass, stable, exact gradient).
#include <cmath>
#include <memory>
#include <vector>

#include "attnlab/ops.hpp"
#include "ops/op_support.hpp"
#include "tensor/eigen.hpp"
#include "tensor/parallel.hpp"

namespace attnlab::ops {

Tensor cross_entropy(const Tensor& logits, std::span<const int32_t> targets, int32_t ignore_index) {
  if (logits.rank() < 1) detail::shape_error("cross_entropy", "logits need a class axis");
  const int64_t classes = logits.size(-1);
  const int64_t rows = classes == 0 ? 0 : logits.numel() / classes;
  if (static_cast<int64_t>(targets.size()) != rows)
    detail::shape_error("cross_entropy", "logits {} have {} rows but {} targets were given",
                        shape_string(logits.shape()), rows, targets.size());
  int64_t counted = 0;
  for (int32_t t : targets) {
    if (t == ignore_index) continue;
    if (t < 0 || t >= classes)
      detail::shape_error("cross_entropy", "target {} is outside [0, {}) (ignore_index is {})", t,
                          classes, ignore_index);
    ++counted;
  }
  // Per-row log-sum-exp, kept for the backward.
  auto log_totals = std::make_shared<std::vector<float>>(rows);
  std::vector<double> row_loss(rows, 0.0);
  const float* px = logits.data();
  detail::parallel_for(rows, classes, [&](int64_t r) {
    if (targets[r] == ignore_index) return;
    const auto in = detail::array(px + r * classes, classes);
    const float peak = in.maxCoeff();
    (*log_totals)[r] = peak + std::log((in - peak).exp().sum());
    row_loss[r] = static_cast<double>((*log_totals)[r]) - px[r * classes + targets[r]];
  });
  double total = 0.0;
  for (double l : row_loss) total += l;  // fixed order: same sum for any thread count
  Tensor out = detail::new_output("cross_entropy", {});
  out.data()[0] = counted == 0 ? 0.0f : static_cast<float>(total / static_cast<double>(counted));
  if (counted == 0 || !detail::needs_backward({&logits})) return out;
  std::vector<int32_t> kept_targets(targets.begin(), targets.end());
  detail::record_backward(out, {logits}, [=](const float* g) {
    const detail::GradTarget gx = detail::grad_target(logits);
    if (!gx) return;
    const float* x = logits.data();
    const float factor = g[0] / static_cast<float>(counted);
    // d loss / d x = (softmax(x) - onehot(target)) / counted
    detail::parallel_for(rows, classes, [&](int64_t r) {
      const int32_t target = kept_targets[r];
      auto grad_row = detail::array(gx.data + r * classes, classes);
      if (target == ignore_index) {
        if (gx.overwrite) grad_row.setZero();
        return;
      }
      detail::store_grad(
          gx.overwrite, grad_row,
          (detail::array(x + r * classes, classes) - (*log_totals)[r]).exp() * factor);
      grad_row[target] -= factor;
    });
  });
  return out;
}

}  // namespace attnlab::ops
