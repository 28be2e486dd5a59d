// Small models for tests, and the whole-model gradient check they share.
#pragma once

#include <attnlab/model/config.hpp>
#include <attnlab/nn/module.hpp>
#include <functional>
#include <string>

namespace attnlab::testing {

/// d_model 8, 2 heads, FFN 16, 2 encoder and 2 decoder layers, vocabulary 7
/// (target 6), 3 classes, max_length 16, GELU (no kink for finite differences).
TransformerConfig tiny_config();

/// One decoder layer of width `d_model`, 2 heads, FFN 16, vocabulary 5,
/// max_length 16: the smallest model a file's round trip needs.
TransformerConfig small_decoder_config(int64_t d_model = 8);

/// gradient_error over every parameter of `model` with the whole-model settings:
/// deep float32 forwards carry rounding noise of ~1e-4 / (h / 0.04) into each
/// numeric derivative, so h = 8e-2 (smooth GELU model, fourth-order formula) and
/// gradients under 0.1 in norm are compared against 0.1. `max_elements` per tensor.
double model_gradient_error(const Module& model, const std::function<Tensor()>& forward,
                            std::string* report, int64_t max_elements = 12);

}  // namespace attnlab::testing
