// fire: functional interpolation for relative positions (Li et al. 2023,
// "Functional Interpolation for Relative Positions Improves Long Context
// Transformers"). A small learned network of the normalised distance gives
// each head's score bias:
//   bias(i, j) = f_theta( psi(i - j) / psi(max(L, i)) ),  psi(x) = log(c x + 1)
// f_theta: 1 -> hidden (ReLU) -> heads, c > 0 and the threshold L learned.
// Dividing by psi(max(L, i)) maps every distance a query can see into [0, 1],
// so a longer sequence interpolates instead of reaching unseen inputs. The
// paper's bias is causal (j <= i); bidirectional attention (not in the paper)
// uses |i - j|. c starts at 0.1 and L at the parameter `threshold` (16: below
// the training lengths, so positions past it are interpolated; never tied to
// max_length, which attnlab may set from the evaluation lengths); both are
// learned, and clamped (c >= 1e-3, L >= 1) where used.
#include <attnlab/model/positional_encoding.hpp>
#include <attnlab/nn/init.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/plugin.hpp>
#include <cmath>
#include <limits>

namespace attnlab {
namespace {

class FunctionalInterpolationBias final : public PositionalEncoding {
 public:
  FunctionalInterpolationBias(int64_t heads, int64_t hidden, double threshold, Rng& rng) {
    first_weight_ = add_parameter("in_weight", init::uniform({1, hidden}, 1.0f, rng));
    first_bias_ = add_parameter("in_bias", init::uniform({hidden}, 1.0f, rng));
    const float bound = 1.0f / std::sqrt(static_cast<float>(hidden));
    second_weight_ = add_parameter("out_weight", init::uniform({hidden, heads}, bound, rng));
    second_bias_ = add_parameter("out_bias", init::uniform({heads}, bound, rng));
    scale_ = add_parameter("c", Tensor::full({}, 0.1f));
    threshold_ = add_parameter("threshold", Tensor::full({}, static_cast<float>(threshold)));
  }

  Tensor score_bias(Positions query_positions, Positions key_positions, bool) const override {
    const auto queries = static_cast<int64_t>(query_positions.size());
    const auto keys = static_cast<int64_t>(key_positions.size());
    Tensor distance = Tensor::zeros({queries, keys, 1}), position = Tensor::zeros({queries, 1, 1});
    for (int64_t i = 0; i < queries; ++i) {
      const int64_t at = query_positions[static_cast<std::size_t>(i)];
      position.data()[i] = static_cast<float>(std::max<int64_t>(at, 0));
      for (int64_t j = 0; j < keys; ++j)
        distance.data()[i * keys + j] =
            static_cast<float>(std::abs(at - key_positions[static_cast<std::size_t>(j)]));
    }
    const float none = std::numeric_limits<float>::infinity();
    const Tensor c = ops::clamp(scale_, 1e-3f, none);
    const Tensor threshold = ops::clamp(threshold_, 1.0f, none);
    auto psi = [&](const Tensor& x) { return ops::log1p(ops::mul(c, x)); };
    // max(L, i): the position where it exceeds the learned threshold, else the threshold.
    Tensor beyond = Tensor::zeros(position.shape());
    const float at_least = threshold.item();
    for (int64_t i = 0; i < queries; ++i)
      beyond.data()[i] = position.data()[i] > at_least ? 1.0f : 0.0f;
    const Tensor normaliser =
        ops::where(beyond, position, ops::add(Tensor::zeros(position.shape()), threshold));
    const Tensor input = ops::div(psi(distance), psi(normaliser));  // [T, S, 1]
    const Tensor hidden = ops::relu(ops::add(ops::matmul(input, first_weight_), first_bias_));
    const Tensor out = ops::add(ops::matmul(hidden, second_weight_), second_bias_);  // [T, S, h]
    return ops::transpose(ops::transpose(out, 0, 2), 1, 2);                          // [h, T, S]
  }

 private:
  Tensor first_weight_, first_bias_, second_weight_, second_bias_, scale_, threshold_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_positional({
      .name = "fire",
      .description = "a learned network of the log-distance normalised by the query's position, "
                     "per head (Li et al. 2023)",
      .parameters = {{"hidden", ParameterType::integer, "32", "the network's hidden width",
                      at_least(1)},
                     {"threshold", ParameterType::number, "16",
                      "L's initial value: positions beyond it are normalised by their own psi",
                      in_range(1, 1e6)}},
      .capabilities =
          {.embeddings = false, .rotates_qk = false, .score_bias = true, .extrapolates = true},
      .factory =
          [](const Parameters& p, const PositionalEncoding::BuildContext& c) {
            return std::make_unique<FunctionalInterpolationBias>(c.heads, p.integer("hidden"),
                                                                 p.number("threshold"), c.rng);
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
