// Deliberately broken plugins, one per library, selected by BAD_PLUGIN_KIND.
#include <attnlab/plugin.hpp>
#include <stdexcept>

#if BAD_PLUGIN_KIND == 1  // a name clash
static void register_duplicate(attnlab::PluginRegistrar& registrar) {
  registrar.add_attention(
      {.name = "softmax",
       .description = "clashes with the built-in",
       .parameters = {},
       .capabilities = {},
       .factory = [](const attnlab::Parameters&, const attnlab::AttentionVariant::BuildContext&) {
         return std::unique_ptr<attnlab::AttentionVariant>();
       }});
}
ATTNLAB_PLUGIN(register_duplicate)
#elif BAD_PLUGIN_KIND == 2  // registration throws
static void register_throwing(attnlab::PluginRegistrar&) {
  throw std::runtime_error("the plugin's own setup failed");
}
ATTNLAB_PLUGIN(register_throwing)
#elif BAD_PLUGIN_KIND == 3  // built for another API version
extern "C" __attribute__((visibility("default"))) int attnlab_plugin_api_version() noexcept {
  return 999;
}
extern "C" __attribute__((visibility("default"))) const char* attnlab_plugin_register(
    void*) noexcept {
  return nullptr;
}
#elif BAD_PLUGIN_KIND == 5  // registers itself at static initialisation, like a built-in
namespace {
const bool registered = [] {
  attnlab::attention_registry().add(
      {.name = "test_static_init",
       .description = "bypasses the registrar",
       .parameters = {},
       .capabilities = {},
       .factory = [](const attnlab::Parameters&, const attnlab::AttentionVariant::BuildContext&) {
         return std::unique_ptr<attnlab::AttentionVariant>();
       }});
  return true;
}();
}  // namespace
#elif BAD_PLUGIN_KIND == 6  // a valid variant that crashes its process when it trains
#include <attnlab/attention/attention_variant.hpp>
#include <cstdlib>
namespace {
// Aborts on batches of more than one sequence: validation's dry run (one
// sequence) passes, the trial's worker process dies in its first training step.
class CrashingAttention final : public attnlab::AttentionVariant {
 public:
  attnlab::AttentionResult attend(const attnlab::Tensor& q, const attnlab::Tensor& k,
                                  const attnlab::Tensor& v, const attnlab::AttentionMask& mask,
                                  const attnlab::Tensor& score_bias,
                                  const attnlab::ForwardContext&) const override {
    if (q.size(0) > 1) std::abort();
    return attnlab::scaled_dot_product_attention(q, k, v, mask, score_bias);
  }
};
}  // namespace
static void register_crashing(attnlab::PluginRegistrar& registrar) {
  registrar.add_attention(
      {.name = "test_crash",
       .description = "aborts the process when it trains (batch > 1)",
       .parameters = {},
       .capabilities = {.causal_mask = true,
                        .padding_mask = true,
                        .returns_weights = true,
                        .score_bias = true,
                        .head_gating = true,
                        .cached_generation = true,
                        .cross_attention = true},
       .factory = [](const attnlab::Parameters&, const attnlab::AttentionVariant::BuildContext&)
           -> std::unique_ptr<attnlab::AttentionVariant> {
         return std::make_unique<CrashingAttention>();
       }});
}
ATTNLAB_PLUGIN(register_crashing)
#elif BAD_PLUGIN_KIND == 7  // variants that break promises they make, for check-plugin
#include <attnlab/attention/attention_variant.hpp>
namespace {
using attnlab::AttentionMask;
using attnlab::AttentionResult;
using attnlab::ForwardContext;
using attnlab::Tensor;
namespace ops = attnlab::ops;

// Claims the score bias but drops it (the mutation of `cosine` the old suite missed).
class BiasBlindAttention final : public attnlab::AttentionVariant {
 public:
  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor&,
                         const ForwardContext&) const override {
    return attnlab::scaled_dot_product_attention(q, k, v, mask, Tensor());
  }
};

// Claims head gating but adds every head's output to each.
class HeadMixingAttention final : public attnlab::AttentionVariant {
 public:
  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& bias,
                         const ForwardContext&) const override {
    AttentionResult r = attnlab::scaled_dot_product_attention(q, k, v, mask, bias);
    const Tensor first_head = ops::slice(r.output, 1, 0, 1);  // [B, 1, T, d]
    r.output = ops::add(r.output, ops::scale(first_head, 0.5f));
    r.weights = Tensor();  // no longer output == weights v
    return r;
  }
};

// Claims the causal mask but lets every query see every key.
class CausalLeakAttention final : public attnlab::AttentionVariant {
 public:
  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& bias,
                         const ForwardContext&) const override {
    AttentionMask seen_all = mask;
    seen_all.causal = false;
    return attnlab::scaled_dot_product_attention(q, k, v, seen_all, bias);
  }
};

// Claims padding masks but attends to padded keys too.
class PaddingBlindAttention final : public attnlab::AttentionVariant {
 public:
  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& bias,
                         const ForwardContext&) const override {
    AttentionMask unpadded = mask;
    unpadded.key_lengths.clear();
    return attnlab::scaled_dot_product_attention(q, k, v, unpadded, bias);
  }
};

// Right values, wrong gradients: the keys are cut from the graph.
class DetachedKeysAttention final : public attnlab::AttentionVariant {
 public:
  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& bias,
                         const ForwardContext&) const override {
    return attnlab::scaled_dot_product_attention(q, k.detach(), v, mask, bias);
  }
};

// Scales scores by the number of keys, visible or not: causal, but a query
// attends differently over a cache of its past than over the whole sequence
// (the defect the kit found in `sigmoid`).
class KeyCountAttention final : public attnlab::AttentionVariant {
 public:
  AttentionResult attend(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionMask& mask, const Tensor& bias,
                         const ForwardContext&) const override {
    const auto keys = static_cast<float>(k.shape()[2]);
    return attnlab::scaled_dot_product_attention(ops::scale(q, keys), k, v, mask, bias);
  }
};

template <class Variant>
attnlab::Registry<attnlab::AttentionVariant>::Entry entry(const char* name, bool weights) {
  return {
      .name = name,
      .description = "breaks a promise it makes (conformance test)",
      .parameters = {},
      .capabilities = {.causal_mask = true,
                       .padding_mask = true,
                       .returns_weights = weights,
                       .score_bias = true,
                       .head_gating = true,
                       .cached_generation = true,
                       .cross_attention = true},
      .factory = [](const attnlab::Parameters&, const attnlab::AttentionVariant::BuildContext&)
          -> std::unique_ptr<attnlab::AttentionVariant> { return std::make_unique<Variant>(); }};
}
}  // namespace
static void register_broken_promises(attnlab::PluginRegistrar& registrar) {
  registrar.add_attention(entry<BiasBlindAttention>("test_bias_blind", true));
  registrar.add_attention(entry<HeadMixingAttention>("test_head_mixing", false));
  registrar.add_attention(entry<CausalLeakAttention>("test_causal_leak", true));
  registrar.add_attention(entry<PaddingBlindAttention>("test_padding_blind", true));
  registrar.add_attention(entry<DetachedKeysAttention>("test_detached_keys", true));
  registrar.add_attention(entry<KeyCountAttention>("test_key_count", true));
}
ATTNLAB_PLUGIN(register_broken_promises)
#elif BAD_PLUGIN_KIND == 4  // no entry points at all
extern "C" __attribute__((visibility("default"))) int some_other_function() {
  return 1;
}
#endif
