// Embedding lookup and dropout: ops whose extra input is not a float tensor.
#include <cstring>
#include <memory>
#include <vector>

#include "attnlab/ops.hpp"
#include "ops/op_support.hpp"
#include "tensor/eigen.hpp"

namespace attnlab::ops {

Tensor embedding(const Tensor& table, std::span<const int32_t> ids, const Shape& ids_shape) {
  if (table.rank() != 2)
    detail::shape_error("embedding", "table must be [V, D], got {}", shape_string(table.shape()));
  if (static_cast<int64_t>(ids.size()) != element_count(ids_shape))
    detail::shape_error("embedding", "{} ids do not fill shape {}", ids.size(),
                        shape_string(ids_shape));
  const int64_t vocab = table.size(0), width = table.size(1);
  for (int32_t id : ids)
    if (id < 0 || id >= vocab)
      detail::shape_error("embedding", "token id {} is outside the vocabulary [0, {})", id, vocab);
  Shape out_shape = ids_shape;
  out_shape.push_back(width);
  Tensor out = detail::new_output("embedding", out_shape);
  for (std::size_t i = 0; i < ids.size(); ++i)
    std::memcpy(out.data() + static_cast<int64_t>(i) * width, table.data() + ids[i] * width,
                static_cast<std::size_t>(width) * sizeof(float));
  if (!detail::needs_backward({&table})) return out;
  std::vector<int32_t> kept(ids.begin(), ids.end());
  detail::record_backward(out, {table}, [table, kept, width](const float* g) {
    float* gt = detail::grad_of(table);
    if (!gt) return;
    for (std::size_t i = 0; i < kept.size(); ++i)  // serial: repeated ids add into one row
      detail::array(gt + kept[i] * width, width) +=
          detail::array(g + static_cast<int64_t>(i) * width, width);
  });
  return out;
}

Tensor dropout(const Tensor& x, float p, std::mt19937_64& rng) {
  if (!(p >= 0.0f && p < 1.0f))
    throw ConfigError(fmt::format("dropout: probability must be in [0, 1), got {}", p));
  if (p == 0.0f) return x;
  // Uniform in [0, 1) from the top 53 bits: the same mask for a seed on every platform.
  auto keep = std::make_shared<detail::Buffer>(x.numel());
  const float kept_scale = 1.0f / (1.0f - p);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
    keep->data()[i] = u >= p ? kept_scale : 0.0f;
  }
  Tensor out = detail::new_output("dropout", x.shape());
  const auto mask = detail::array(keep->data(), x.numel());
  detail::array(out.data(), x.numel()) = detail::array(x.data(), x.numel()) * mask;
  if (detail::needs_backward({&x}))
    detail::record_backward(out, {x}, [x, keep](const float* g) {
      if (float* gx = detail::grad_of(x))
        detail::array(gx, x.numel()) +=
            detail::array(g, x.numel()) * detail::array(keep->data(), x.numel());
    });
  return out;
}

}  // namespace attnlab::ops
