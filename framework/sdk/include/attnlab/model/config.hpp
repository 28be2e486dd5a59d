// The shape of a Transformer: every size and switch a model is built from.
#pragma once

#include <cstdint>
#include <string>

#include "attnlab/nn/layers.hpp"
#include "attnlab/registry/registry.hpp"

namespace attnlab {

enum class NormPlacement {
  pre,   // x + f(LN(x)), plus a final LayerNorm (GPT-2 style; trains without warm-up tricks)
  post,  // LN(x + f(x)) as in Vaswani et al. 2017
};
/// "pre", "post".
const NamedChoices<NormPlacement>& norm_placement_names();

/// What a decoder's self-attention may see.
enum class DecoderMask {
  causal,  // position t sees positions <= t (generation works as trained)
  none,    // every position: teacher forcing can read the answer (the ablation of the mask)
};
/// "causal", "none".
const NamedChoices<DecoderMask>& decoder_mask_names();

/// What an encoder-decoder's cross-attention reads from the encoder.
enum class MemoryAccess {
  full,  // every encoder state: each decoder position can align with any source position
  mean,  // the mean of the valid encoder states, one key per example (the ablation of
         // cross-attention's alignment: a fixed-size summary, as in RNN encoder-decoders)
};
/// "full", "mean".
const NamedChoices<MemoryAccess>& memory_access_names();

/// How an encoder-only classifier reads out its labels.
enum class ClassifierHead {
  sequence,  // mean of the valid positions -> one label per sequence: [B, C]
  token,     // one label per position: [B, S, C]
};

/// The defaults here are the experiment schema's defaults (it reads them from here).
struct TransformerConfig {
  int64_t vocab_size = 16;        // source (encoder) vocabulary, or the LM vocabulary
  int64_t target_vocab_size = 0;  // encoder-decoder target vocabulary; 0 = vocab_size
  int64_t d_model = 64;
  int64_t heads = 4;      // must divide d_model
  int64_t ffn_dim = 256;  // 0 = attention-only blocks (no feed-forward sublayer)
  int64_t encoder_layers = 2;
  int64_t decoder_layers = 2;
  Activation activation = Activation::relu;
  NormPlacement norm = NormPlacement::pre;
  DecoderMask decoder_mask = DecoderMask::causal;
  MemoryAccess memory = MemoryAccess::full;  // encoder-decoder only
  float dropout = 0.0f;
  float layer_norm_eps = 1e-5f;
  ComponentChoice positional{"sinusoidal", {}};  // positional encoding (a registered name)
  int64_t random_positions = 0;  // 0: tokens at 0, 1, 2, ...; L: at an increasing random subset
                                 // of [0, L) drawn per pass (Ruoss et al. 2023); L >= max_length
  int64_t max_length = 0;   // longest sequence a learned table covers; 0 = configure_for_task's
                            // choice (the longest sequence trained or evaluated)
  int64_t num_classes = 2;  // encoder-only classifiers
  ClassifierHead readout = ClassifierHead::token;  // encoder-only: per position or per sequence
  ComponentChoice attention{"softmax", {}};        // attention variant of every attention layer
  ComponentChoice head_layout{"mha", {}};  // query/key-value heads and head width, from `heads`

  int64_t target_vocab() const { return target_vocab_size > 0 ? target_vocab_size : vocab_size; }
  /// Throws ConfigError naming the first field that cannot work.
  void validate() const;
};

std::string to_string(NormPlacement norm);
std::string to_string(Activation activation);

}  // namespace attnlab
