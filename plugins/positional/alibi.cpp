// alibi: attention with linear biases (Press et al. 2021). Head h adds
// -m_h * distance(query, key) to its scores; no position enters the embeddings.
// Slopes: for a power-of-two head count n, m_k = 2^(-8k/n), k = 1..n (h = 8:
// 1/2, 1/4, ..., 1/256). Otherwise, as the paper's reference code: the slopes of
// the largest power of two p <= n, then every other slope of 2p for the rest.
// Distance is j - i's magnitude: i - j under a causal mask (later keys are
// masked anyway), |i - j| for bidirectional attention.
#include <attnlab/model/positional_encoding.hpp>
#include <attnlab/plugin.hpp>
#include <cmath>
#include <vector>

namespace attnlab {

/// Exposed for tests (tests/plugins): the per-head slopes for `heads` heads.
std::vector<double> alibi_slopes(int64_t heads);

std::vector<double> alibi_slopes(int64_t heads) {
  auto power_of_two_slopes = [](int64_t n) {
    std::vector<double> slopes;
    const double start = std::pow(2.0, -8.0 / static_cast<double>(n));
    for (int64_t k = 1; k <= n; ++k) slopes.push_back(std::pow(start, static_cast<double>(k)));
    return slopes;
  };
  int64_t p = 1;
  while (p * 2 <= heads) p *= 2;
  std::vector<double> slopes = power_of_two_slopes(p);
  const std::vector<double> finer = power_of_two_slopes(2 * p);
  for (int64_t k = 0; static_cast<int64_t>(slopes.size()) < heads; k += 2)
    slopes.push_back(finer[k]);
  return slopes;
}

namespace {

class AlibiPositions final : public PositionalEncoding {
 public:
  explicit AlibiPositions(int64_t heads) : slopes_(alibi_slopes(heads)) {}

  Tensor score_bias(Positions query_positions, Positions key_positions,
                    bool causal) const override {
    const int64_t heads = static_cast<int64_t>(slopes_.size());
    const auto queries = static_cast<int64_t>(query_positions.size());
    const auto keys = static_cast<int64_t>(key_positions.size());
    Tensor bias = Tensor::zeros({heads, queries, keys});  // [h, T, S]
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < queries; ++i) {
        const int64_t position = query_positions[static_cast<std::size_t>(i)];
        for (int64_t j = 0; j < keys; ++j) {
          const int64_t key = key_positions[static_cast<std::size_t>(j)];
          const int64_t distance = causal ? position - key : std::abs(position - key);
          bias.data()[(h * queries + i) * keys + j] =
              static_cast<float>(-slopes_[h] * static_cast<double>(distance));
        }
      }
    return bias;
  }

 private:
  std::vector<double> slopes_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_positional({
      .name = "alibi",
      .description = "per-head linear distance penalty on the attention scores (Press et al. 2021)",
      .parameters = {},
      .capabilities =
          {.embeddings = false, .rotates_qk = false, .score_bias = true, .extrapolates = true},
      .factory =
          [](const Parameters&, const PositionalEncoding::BuildContext& c) {
            return std::make_unique<AlibiPositions>(c.heads);
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
