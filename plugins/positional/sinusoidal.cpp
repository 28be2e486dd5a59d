// sinusoidal: the fixed encoding of Vaswani et al. 2017, added to the embeddings:
//   PE[t, 2i] = sin(t / base^(2i/D)),  PE[t, 2i+1] = cos(t / base^(2i/D)),  base = 10000
#include <attnlab/error.hpp>
#include <attnlab/model/positional_encoding.hpp>
#include <attnlab/plugin.hpp>

namespace attnlab {
namespace {

class SinusoidalPositions final : public PositionalEncoding {
 public:
  SinusoidalPositions(int64_t d_model, double base) : d_model_(d_model), base_(base) {}

  Tensor embedding_term(Positions positions) const override {
    return sinusoidal_table(positions, d_model_, base_);  // [T, D]
  }

 private:
  int64_t d_model_;
  double base_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_positional({
      .name = "sinusoidal",
      .description = "fixed sin/cos features added to the token embeddings (Vaswani et al. 2017)",
      .parameters = {{"base", ParameterType::number, "10000",
                      "wavelength base of the sin/cos features (base 1 would give every feature "
                      "pair the same wavelength)",
                      at_least(2)}},
      .capabilities =
          {.embeddings = true, .rotates_qk = false, .score_bias = false, .extrapolates = true},
      .factory =
          [](const Parameters& p, const PositionalEncoding::BuildContext& c) {
            if (c.d_model % 2 != 0)
              throw ConfigError(
                  fmt::format("positional encoding 'sinusoidal' pairs sin/cos features: d_model = "
                              "{} must be even",
                              c.d_model));
            return std::make_unique<SinusoidalPositions>(c.d_model, p.number("base"));
          },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
