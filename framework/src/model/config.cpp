#include "attnlab/model/config.hpp"

#include <fmt/format.h>

#include "attnlab/error.hpp"

namespace attnlab {
namespace {

void require_positive(const char* field, int64_t value) {
  if (value < 1) throw ConfigError(fmt::format("model.{} must be >= 1, got {}", field, value));
}

}  // namespace

void TransformerConfig::validate() const {
  require_positive("vocab_size", vocab_size);
  require_positive("d_model", d_model);
  require_positive("heads", heads);
  if (ffn_dim < 0)
    throw ConfigError(
        fmt::format("model.ffn must be >= 0 (0: attention-only blocks), got {}", ffn_dim));
  if (max_length < 1)
    throw ConfigError(fmt::format(
        "model.max_length must be >= 1, got {} (configure_for_task sets 0 to the longest "
        "sequence trained or evaluated)",
        max_length));
  if (random_positions < 0)
    throw ConfigError(fmt::format(
        "positional.randomized must be 0 (positions 0, 1, 2, ...) or a range L >= the longest "
        "sequence, got {}",
        random_positions));
  require_positive("num_classes", num_classes);
  if (encoder_layers < 0 || decoder_layers < 0)
    throw ConfigError(fmt::format("layer counts must be >= 0, got encoder {} and decoder {}",
                                  encoder_layers, decoder_layers));
  if (!(dropout >= 0.0f && dropout < 1.0f))
    throw ConfigError(fmt::format("model.dropout must be in [0, 1), got {}", dropout));
}

const NamedChoices<NormPlacement>& norm_placement_names() {
  static const NamedChoices<NormPlacement> names{{"pre", NormPlacement::pre},
                                                 {"post", NormPlacement::post}};
  return names;
}

const NamedChoices<DecoderMask>& decoder_mask_names() {
  static const NamedChoices<DecoderMask> names{{"causal", DecoderMask::causal},
                                               {"none", DecoderMask::none}};
  return names;
}

const NamedChoices<MemoryAccess>& memory_access_names() {
  static const NamedChoices<MemoryAccess> names{{"full", MemoryAccess::full},
                                                {"mean", MemoryAccess::mean}};
  return names;
}

const NamedChoices<Activation>& activation_names() {
  static const NamedChoices<Activation> names{{"relu", Activation::relu},
                                              {"gelu", Activation::gelu}};
  return names;
}

std::string to_string(NormPlacement norm) {
  return norm_placement_names().name(norm);
}

std::string to_string(Activation activation) {
  return activation_names().name(activation);
}

}  // namespace attnlab
