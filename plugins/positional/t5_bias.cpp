// t5_bias: T5's bucketed relative position bias (Raffel et al. 2020). The offset
// key - query falls in one of `buckets` buckets (exact for small offsets,
// logarithmic up to `max_distance`, and split by direction unless attention is
// causal); each bucket has a learned scalar per head, added to the scores. One
// table serves every layer of the stack, as in T5.
#include <algorithm>
#include <attnlab/error.hpp>
#include <attnlab/model/positional_encoding.hpp>
#include <attnlab/nn/init.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/plugin.hpp>
#include <cmath>

namespace attnlab {

/// Exposed for tests: the bucket of relative position key - query.
int32_t t5_bucket(int64_t relative, bool bidirectional, int64_t buckets, int64_t max_distance);

int32_t t5_bucket(int64_t relative, bool bidirectional, int64_t buckets, int64_t max_distance) {
  int64_t bucket = 0, distance = 0;
  if (bidirectional) {
    buckets /= 2;
    if (relative > 0) bucket += buckets;
    distance = std::abs(relative);
  } else {
    distance = std::max<int64_t>(-relative, 0);  // only the past has distinct buckets
  }
  const int64_t exact = buckets / 2;
  if (distance < exact) return static_cast<int32_t>(bucket + distance);
  const double scaled = std::log(static_cast<double>(distance) / static_cast<double>(exact)) /
                        std::log(static_cast<double>(max_distance) / static_cast<double>(exact)) *
                        static_cast<double>(buckets - exact);
  return static_cast<int32_t>(bucket +
                              std::min<int64_t>(exact + static_cast<int64_t>(scaled), buckets - 1));
}

namespace {

class T5RelativeBias final : public PositionalEncoding {
 public:
  T5RelativeBias(int64_t buckets, int64_t max_distance, int64_t heads, float init_std, Rng& rng)
      : buckets_(buckets), max_distance_(max_distance) {
    table_ =
        add_parameter("weight", init::normal({buckets, heads}, init_std, rng));  // [buckets, h]
  }

  Tensor score_bias(Positions query_positions, Positions key_positions,
                    bool causal) const override {
    const auto queries = static_cast<int64_t>(query_positions.size());
    const auto keys = static_cast<int64_t>(key_positions.size());
    std::vector<int32_t> ids(static_cast<std::size_t>(queries * keys));
    for (int64_t i = 0; i < queries; ++i)
      for (int64_t j = 0; j < keys; ++j)
        ids[i * keys + j] = t5_bucket(key_positions[static_cast<std::size_t>(j)] -
                                          query_positions[static_cast<std::size_t>(i)],
                                      !causal, buckets_, max_distance_);
    const Tensor per_pair = ops::embedding(table_, ids, {queries, keys});  // [T, S, h]
    return ops::transpose(ops::transpose(per_pair, 1, 2), 0, 1);           // [h, T, S]
  }

 private:
  int64_t buckets_, max_distance_;
  Tensor table_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_positional({
      .name = "t5_bias",
      .description = "learned per-head bias of bucketed relative positions (Raffel et al. 2020)",
      .parameters = {{"buckets", ParameterType::integer, "32",
                      "number of relative-position buckets", at_least(4)},
                     {"max_distance", ParameterType::integer, "128",
                      "offset from which all share the last bucket (> buckets / 2)", at_least(3)},
                     {"init_std", ParameterType::number, "0.02",
                      "standard deviation of the initial biases", at_least(0)}},
      .capabilities =
          {.embeddings = false, .rotates_qk = false, .score_bias = true, .extrapolates = true},
      .factory =
          [](const Parameters& p, const PositionalEncoding::BuildContext& c) {
            const int64_t buckets = p.integer("buckets"), max_distance = p.integer("max_distance");
            if (max_distance <= buckets / 2)
              throw ConfigError(
                  fmt::format("positional encoding 't5_bias': need max_distance > buckets / 2, got "
                              "buckets {} and max_distance {}",
                              buckets, max_distance));
            return std::make_unique<T5RelativeBias>(
                buckets, max_distance, c.heads, static_cast<float>(p.number("init_std")), c.rng);
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
