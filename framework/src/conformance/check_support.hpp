// What every conformance check shares: running a check so that nothing a
// component throws escapes, and the small models the model-level checks use.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

#include "attnlab/conformance/conformance.hpp"
#include "attnlab/model/config.hpp"
#include "attnlab/model/token_batch.hpp"
#include "attnlab/tensor.hpp"

namespace attnlab::conformance {

/// Thrown by a check body with what it measured.
class CheckFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Runs `body`, which returns what it measured or throws CheckFailed; any
/// other exception fails the check with its message.
Check run_check(std::string name, const std::function<std::string()>& body);
Check skipped_check(std::string name, std::string why);

/// Fails with `what` unless `holds`.
void require(bool holds, const std::string& what);

/// `component`, or a failure if the factory returned none.
template <class Pointer>
Pointer built(Pointer component) {
  require(component != nullptr, "the factory returned no component (a null pointer)");
  return component;
}

/// max |a - b| over every element (infinity if the shapes differ; NaN stays NaN).
float max_difference(const Tensor& a, const Tensor& b);

/// `rows` x `length` tokens cycling through 1 .. 6.
TokenBatch counting_tokens(int64_t rows, int64_t length);

/// The greedy generation of a decoder-only model with and without its
/// key/value cache agree (tokens, and logits within 1e-5).
std::string require_cached_generation_matches(const TransformerConfig& config);

}  // namespace attnlab::conformance
