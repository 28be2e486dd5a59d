// learned: a trained table of absolute position vectors added to the embeddings
// (Vaswani et al. 2017 Table 3 (E); BERT, GPT-2). It has no row past its
// length, so a longer sequence is an error rather than a silent wrap-around.
// Its rows start at the token embeddings' scale (N(0, 1), as torch.nn.Embedding):
// with GPT-2's 0.02 beside N(0, 1) tokens an encoder stays a bag of words (the
// gradient of a position row averages to zero while the model ignores
// positions), which experiments/positional_encodings.yaml showed.
#include <attnlab/error.hpp>
#include <attnlab/model/positional_encoding.hpp>
#include <attnlab/nn/init.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/plugin.hpp>
#include <vector>

namespace attnlab {
namespace {

class LearnedPositions final : public PositionalEncoding {
 public:
  LearnedPositions(int64_t length, int64_t d_model, float init_std, Rng& rng) : length_(length) {
    table_ = add_parameter("weight", init::normal({length, d_model}, init_std, rng));  // [L, D]
  }

  Tensor embedding_term(Positions positions) const override {
    std::vector<int32_t> rows;
    for (const int64_t position : positions) {
      if (position < 0 || position >= length_)
        throw ConfigError(fmt::format(
            "positional encoding 'learned' has a table of {} positions but position {} was asked "
            "for; raise its 'length' (or model.max_length) or use an encoding that extrapolates",
            length_, position));
      rows.push_back(static_cast<int32_t>(position));
    }
    return ops::embedding(table_, rows, {static_cast<int64_t>(rows.size())});  // [T, D]
  }

 private:
  int64_t length_;
  Tensor table_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_positional({
      .name = "learned",
      .description = "trained absolute position table added to the token embeddings",
      .parameters = {{"length", ParameterType::integer, "0",
                      "positions in the table; 0 = the model's max_length (or "
                      "positional.randomized, if larger)",
                      at_least(0)},
                     {"init_std", ParameterType::number, "1",
                      "standard deviation of the initial values; 1 = the token embeddings' "
                      "scale (a much smaller table never breaks an encoder's symmetry: "
                      "experiments/positional_encodings.yaml)",
                      at_least(0)}},
      .capabilities =
          {.embeddings = true, .rotates_qk = false, .score_bias = false, .extrapolates = false},
      .factory =
          [](const Parameters& p, const PositionalEncoding::BuildContext& c) {
            const int64_t length = p.integer("length") == 0 ? c.max_length : p.integer("length");
            if (length < 1)
              throw ConfigError(fmt::format(
                  "positional encoding 'learned': length must be >= 1, got {}", length));
            return std::make_unique<LearnedPositions>(
                length, c.d_model, static_cast<float>(p.number("init_std")), c.rng);
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
