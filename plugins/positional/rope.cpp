// rope: rotary position embedding (Su et al. 2021). Inside every self-attention
// layer, each pair of features (2i, 2i+1) of q and k is rotated by the angle
// position * theta_i, theta_i = base^(-2i / d_k). Then q_m . k_n depends on the
// positions only through the offset m - n.
#include <attnlab/error.hpp>
#include <attnlab/model/positional_encoding.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/plugin.hpp>
#include <cmath>

namespace attnlab {
namespace {

class RotaryPositions final : public PositionalEncoding {
 public:
  RotaryPositions(int64_t head_width, double base) : head_width_(head_width), base_(base) {}

  std::pair<Tensor, Tensor> rotate(const Tensor& q, int64_t query_offset, const Tensor& k,
                                   int64_t key_offset) const override {
    return {apply(q, query_offset), apply(k, key_offset)};
  }

 private:
  // x [B, h, T, d] at positions offset .. offset + T - 1.
  Tensor apply(const Tensor& x, int64_t offset) const {
    const int64_t length = x.size(-2);
    Tensor cosines =
        Tensor::zeros({length, head_width_});  // [T, d], each value twice (one per pair member)
    Tensor sines = Tensor::zeros({length, head_width_});
    for (int64_t t = 0; t < length; ++t)
      for (int64_t i = 0; i < head_width_ / 2; ++i) {
        const double theta =
            std::pow(base_, -2.0 * static_cast<double>(i) / static_cast<double>(head_width_));
        const double angle = static_cast<double>(offset + t) * theta;
        for (int64_t member = 0; member < 2; ++member) {
          cosines.data()[t * head_width_ + 2 * i + member] = static_cast<float>(std::cos(angle));
          sines.data()[t * head_width_ + 2 * i + member] = static_cast<float>(std::sin(angle));
        }
      }
    // Each pair (a, b) becomes (a cos - b sin, b cos + a sin): x cos + (-b, a) sin.
    Shape pairs = x.shape();
    pairs.back() = head_width_ / 2;
    pairs.push_back(2);
    const Tensor split = ops::reshape(x, pairs);  // [B, h, T, d/2, 2]
    const Tensor first = ops::slice(split, -1, 0, 1), second = ops::slice(split, -1, 1, 1);
    const Tensor turned =
        ops::reshape(ops::concat(std::vector{ops::scale(second, -1.0f), first}, -1), x.shape());
    return ops::add(ops::mul(x, cosines), ops::mul(turned, sines));  // [B, h, T, d]
  }

  int64_t head_width_;
  double base_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_positional({
      .name = "rope",
      .description = "rotary embedding of q and k in every self-attention layer (Su et al. 2021)",
      .parameters = {{"base", ParameterType::number, "10000",
                      "wavelength base theta_i = base^(-2i/d_k) (base 1 would rotate every "
                      "feature pair alike)",
                      at_least(2)}},
      .capabilities =
          {.embeddings = false, .rotates_qk = true, .score_bias = false, .extrapolates = true},
      .factory =
          [](const Parameters& p, const PositionalEncoding::BuildContext& c) {
            if (c.head_width % 2 != 0)
              throw ConfigError(fmt::format(
                  "positional encoding 'rope' rotates feature pairs: d_k = {} must be even",
                  c.head_width));
            return std::make_unique<RotaryPositions>(c.head_width, p.number("base"));
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
