// The head-layout plugin interface: how many query heads, how many key/value
// heads, and how wide each head is. "Head count" is an ablation axis, and how
// width follows it is a choice:
//   split  d_k = d_model / h  (the seed note: total width fixed, more heads = thinner heads)
//   fixed  d_k = head_dim     (width grows with h; Bhojanapalli et al. 2020)
// and key/value heads may be shared: multi-head (one per query head),
// multi-query (one for all), grouped-query (groups dividing the heads), or
// projected up from one shared low-rank latent (multi-head latent attention).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "attnlab/registry/registry.hpp"

namespace attnlab {

struct HeadDimensions {
  int64_t query_heads;
  int64_t kv_heads;  // divides query_heads; query head i uses kv head i / (query_heads / kv_heads)
  int64_t head_width;  // d_k = d_v
  /// Width of a latent that keys and values are projected up from, itself a
  /// projection of the input (multi-head latent attention); 0 = none, keys
  /// and values are projected from the input directly.
  int64_t kv_latent = 0;
};

class HeadLayout {
 public:
  static constexpr const char* kKind = "head layout";
  static constexpr const char* kPlural = "head layouts";
  static constexpr const char* kKey = "heads";
  struct Capabilities {
    static constexpr std::array<CapabilityField<Capabilities>, 0> fields() { return {}; }
  };
  struct BuildContext {
    int64_t d_model;
    int64_t heads;  // the model's head count (the usual ablation axis)
  };

  virtual ~HeadLayout() = default;
  virtual HeadDimensions dimensions() const = 0;
};

/// A layout whose dimensions are known when it is built (all built-ins).
class StaticHeadLayout final : public HeadLayout {
 public:
  explicit StaticHeadLayout(HeadDimensions dimensions) : dimensions_(dimensions) {}
  HeadDimensions dimensions() const override { return dimensions_; }

 private:
  HeadDimensions dimensions_;
};

/// The `width` and `head_dim` parameters every built-in layout declares.
std::vector<ParameterSpec> head_width_parameters();

/// The registry of head layouts (built-ins: plugins/heads/).
inline Registry<HeadLayout>& head_layout_registry() {
  return registry_of<HeadLayout>();
}

/// d_k = d_model / heads, the width of multi-head attention's split heads.
/// Throws ConfigError unless heads >= 1 divides d_model.
int64_t split_head_width(int64_t d_model, int64_t heads);

/// Head width from the shared `width` and `head_dim` parameters: "split" gives
/// d_model / heads (which must divide), "fixed" gives head_dim (which must be >= 1).
/// Throws ConfigError naming the numbers.
int64_t resolve_head_width(const Parameters& parameters, const HeadLayout::BuildContext& context,
                           const char* layout);

}  // namespace attnlab
