// The plugin API version must change whenever what crosses the plugin boundary
// does: a plugin built against other structs would be loaded and misread them.
// This test records the boundary's layout for the current version; a change
// to any of it without a version bump fails here. (Sizes are those of x86-64
// Linux, where attnlab is built and tested; a new virtual function is not
// seen, so bump the version for those by hand.)
#include <attnlab/plugin.hpp>
#include <catch2/catch.hpp>
#include <string>

using namespace attnlab;

namespace {

template <class Component>
std::string kind_layout() {
  using Entry = typename Registry<Component>::Entry;
  using Capabilities = typename Registry<Component>::Capabilities;
  std::string layout = fmt::format("{}: entry {}, capabilities {} [", Component::kKind,
                                   sizeof(Entry), sizeof(Capabilities));
  const Capabilities capabilities{};
  const auto* base = reinterpret_cast<const char*>(&capabilities);
  for (const auto& field : Capabilities::fields())  // names and where each lives: order matters
    layout += fmt::format(" {}@{}", field.name,
                          reinterpret_cast<const char*>(&(capabilities.*field.member)) - base);
  return layout +
         fmt::format(" ], build context {}; ", sizeof(typename Registry<Component>::BuildContext));
}

std::string boundary_layout() {
  std::string layout;
  ComponentKinds::for_each([&]<class Component>() { layout += kind_layout<Component>(); });
  return layout + fmt::format(
                      "parameter spec {}, registrar {}, attention result {}, mask {}, "
                      "task batch {}, token batch {}, forward context {}",
                      sizeof(ParameterSpec), sizeof(PluginRegistrar), sizeof(AttentionResult),
                      sizeof(AttentionMask), sizeof(TaskBatch), sizeof(TokenBatch),
                      sizeof(ForwardContext));
}

// The layout of API 7 (explicit positions; ForwardContext::position_rng;
// cached_generation), kept by 8, whose change (Task::validation_task()) is in a
// vtable this test cannot see.
const char* const kLayoutOf7 =
    "attention variant: entry 160, capabilities 7 [ causal_mask@0 padding_mask@1 "
    "returns_weights@2 score_bias@3 head_gating@4 cached_generation@5 cross_attention@6 ], "
    "build context 24; "
    "positional encoding: entry 160, capabilities 4 [ embeddings@0 rotates_qk@1 score_bias@2 "
    "extrapolates@3 ], build context 40; head layout: entry 160, capabilities 1 [ ], build "
    "context 16; task: entry 160, capabilities 6 [ encoder@0 decoder@1 encoder_decoder@2 "
    "sequence_labels@3 pads@4 byte_tokens@5 ], build context 1; parameter spec 144, registrar "
    "128, attention result 48, mask 32, task batch 152, token batch 64, forward context 32";

// kPluginApiVersion -> the layout it was released with.
const std::map<int, std::string> kReleasedLayouts{
    {2,
     "attention variant: entry 160, capabilities 5 [ causal_mask@0 padding_mask@1 "
     "returns_weights@2 score_bias@3 head_gating@4 ], build context 24; positional encoding: "
     "entry 160, capabilities 4 [ embeddings@0 rotates_qk@1 score_bias@2 extrapolates@3 ], "
     "build context 40; head layout: entry 160, capabilities 1 [ ], build context 16; task: "
     "entry 160, capabilities 3 [ encoder@0 decoder@1 encoder_decoder@2 ], build context 1; "
     "parameter spec 144, registrar 128, attention result 48, mask 32, task batch 152, token "
     "batch 64"},
    {3,
     "attention variant: entry 160, capabilities 5 [ causal_mask@0 padding_mask@1 "
     "returns_weights@2 score_bias@3 head_gating@4 ], build context 24; positional encoding: "
     "entry 160, capabilities 4 [ embeddings@0 rotates_qk@1 score_bias@2 extrapolates@3 ], "
     "build context 40; head layout: entry 160, capabilities 1 [ ], build context 16; task: "
     "entry 160, capabilities 5 [ encoder@0 decoder@1 encoder_decoder@2 sequence_labels@3 "
     "pads@4 ], build context 1; parameter spec 144, registrar 128, attention result 48, mask "
     "32, task batch 152, token batch 64, forward context 24"},
    {4,  // the layout of 3: record() returns a tensor, observers gained replace()
     "attention variant: entry 160, capabilities 5 [ causal_mask@0 padding_mask@1 "
     "returns_weights@2 score_bias@3 head_gating@4 ], build context 24; positional encoding: "
     "entry 160, capabilities 4 [ embeddings@0 rotates_qk@1 score_bias@2 extrapolates@3 ], "
     "build context 40; head layout: entry 160, capabilities 1 [ ], build context 16; task: "
     "entry 160, capabilities 5 [ encoder@0 decoder@1 encoder_decoder@2 sequence_labels@3 "
     "pads@4 ], build context 1; parameter spec 144, registrar 128, attention result 48, mask "
     "32, task batch 152, token batch 64, forward context 24"},
    {5,  // record() declares replaceability, observers get a RecordedTensor; byte_tokens
     "attention variant: entry 160, capabilities 5 [ causal_mask@0 padding_mask@1 "
     "returns_weights@2 score_bias@3 head_gating@4 ], build context 24; positional encoding: "
     "entry 160, capabilities 4 [ embeddings@0 rotates_qk@1 score_bias@2 extrapolates@3 ], "
     "build context 40; head layout: entry 160, capabilities 1 [ ], build context 16; task: "
     "entry 160, capabilities 6 [ encoder@0 decoder@1 encoder_decoder@2 sequence_labels@3 "
     "pads@4 byte_tokens@5 ], build context 1; parameter spec 144, registrar 128, attention "
     "result 48, mask 32, task batch 152, token batch 64, forward context 24"},
    {6,  // the layout of 5: the conformance checks take CheckOptions
     "attention variant: entry 160, capabilities 5 [ causal_mask@0 padding_mask@1 "
     "returns_weights@2 score_bias@3 head_gating@4 ], build context 24; positional encoding: "
     "entry 160, capabilities 4 [ embeddings@0 rotates_qk@1 score_bias@2 extrapolates@3 ], "
     "build context 40; head layout: entry 160, capabilities 1 [ ], build context 16; task: "
     "entry 160, capabilities 6 [ encoder@0 decoder@1 encoder_decoder@2 sequence_labels@3 "
     "pads@4 byte_tokens@5 ], build context 1; parameter spec 144, registrar 128, attention "
     "result 48, mask 32, task batch 152, token batch 64, forward context 24"},
    {7, kLayoutOf7},
    {8, kLayoutOf7},  // Task::validation_task(): the vtable changed, not the layout
};

}  // namespace

TEST_CASE("the plugin API version changes whenever the plugin boundary does") {
  INFO("layout now: " << boundary_layout());
  INFO(
      "if this changed on purpose, bump kPluginApiVersion in plugin.hpp, say why there, and "
      "record the layout above under the new version in this test");
  REQUIRE(kReleasedLayouts.count(kPluginApiVersion) == 1);
  REQUIRE(boundary_layout() == kReleasedLayouts.at(kPluginApiVersion));
}
