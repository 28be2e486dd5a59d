// The names of recorded tensors' dimensions, declared once: every record() call
// of the built-ins names its axes with these, and readers (the recorder's head
// selection, activation patching, the Python tools through each dataset's
// `dims` attribute) look for these. docs/hdf5-layout.md lists which tensor has
// which. A plugin may name axes of its own tensors otherwise.
#pragma once

#include <string_view>

namespace attnlab::dims {

/// One row per input sequence; a tensor without it is the same for every example.
inline constexpr std::string_view example = "example";
/// A query head (one per head of the layout).
inline constexpr std::string_view head = "head";
/// A key/value head; fewer than `head` when the layout shares them (mqa, gqa).
inline constexpr std::string_view kv_head = "kv_head";
/// Query and key positions of attention scores and weights.
inline constexpr std::string_view query = "query";
inline constexpr std::string_view key = "key";
/// A position of a sequence (embeddings, residual stream, FFN).
inline constexpr std::string_view position = "position";
/// A model or head feature (d_model, d_k, d_ffn).
inline constexpr std::string_view feature = "feature";
/// An output of the model: a token of its output vocabulary, or a class of an
/// encoder's task (the last axis of the logits).
inline constexpr std::string_view output = "output";

}  // namespace attnlab::dims
