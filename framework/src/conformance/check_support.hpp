// What every conformance check shares: running a check so that nothing a
// component throws escapes, and the small models the model-level checks use.
#pragma once

#include <functional>
#include <random>
#include <stdexcept>
#include <string>

#include "attnlab/conformance/conformance.hpp"
#include "attnlab/conformance/gradient_check.hpp"
#include "attnlab/error.hpp"
#include "attnlab/model/config.hpp"
#include "attnlab/model/token_batch.hpp"
#include "attnlab/tensor.hpp"
#include "parameter_settings.hpp"
#include "shape_cases.hpp"

namespace attnlab::conformance {

/// Thrown by a check body with what it measured.
class CheckFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A component refused a case with a clear error (a ConfigError where it is
/// built, or where an encoding or task is asked for a length it does not
/// have): the case is skipped, not failed. A ConfigError anywhere else fails.
class Refused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// `make()`, with a ConfigError it throws turned into Refused.
template <class Make>
auto refusing(Make make) {
  try {
    return make();
  } catch (const ConfigError& error) {
    throw Refused(error.what());
  }
}

/// Runs `body`, which returns what it measured or throws CheckFailed; any
/// other exception fails the check with its message.
Check run_check(std::string name, const std::function<std::string()>& body);
Check skipped_check(std::string name, std::string why);

/// Fails with `what` unless `holds`.
void require(bool holds, const std::string& what);

/// The shapes of a property over attention inputs: the defaults (batch ≤ 5,
/// heads ≤ 8, lengths ≤ 96, width ≤ 32; lengths ≤ 256 when thorough).
ShapeLimits attention_limits(const CheckOptions& options);
/// Small shapes, for checks that cost a forward pass per perturbed element
/// (finite differences) or build a model per case.
ShapeLimits small_limits(const CheckOptions& options);

/// `limits` drawing from `settings` too.
ShapeLimits with_settings(ShapeLimits limits, const std::vector<ParameterSetting>& settings);
/// describe(shape) with its setting named ("..., with window=1"; nothing for
/// the defaults).
std::string describe(const AttentionShape& shape, const std::vector<ParameterSetting>& settings);
/// ", with window=1", or "" for the defaults.
std::string with_setting(const AttentionShape& shape,
                         const std::vector<ParameterSetting>& settings);

/// How a failing case is named: describe(shape) unless the check reads the
/// shape's fields as something else (a task's batch, length and setting).
using CaseDescription = std::function<std::string(const AttentionShape&)>;

/// Runs `property` over the cases of `options` within `limits` (a third of
/// them, at least 8, when `fewer`). Returns "<described>: N cases of seed S,
/// the largest reaching <case>; k of n parameter settings", or fails with what
/// failed at the smallest failing case, the case it was shrunk from and how to
/// replay it. A case the component refuses (Refused) is skipped; every case
/// refused is a failure.
std::string over_shapes(const CheckOptions& options, const ShapeLimits& limits,
                        const std::string& described, const ShapeProperty& property,
                        bool fewer = false, const CaseDescription& describe_case = {});

/// A generator seeded from `shape` and `salt`: the same choices each time the
/// property runs on that shape (shrinking needs a property that is a function
/// of the shape).
std::mt19937_64 shape_rng(const AttentionShape& shape, uint64_t salt);

/// Whether every element is finite.
bool all_finite(const Tensor& t);

/// Adds uniform noise in [-0.3, 0.3) to every parameter of `module`, the same
/// each time: components are checked away from their initial values.
void perturb_parameters(const Module& module);

/// Fails unless the gradient of every input matches finite differences to a
/// relative error of 1e-3 at some step of `steps` (tried largest first; each
/// input at the step that suits it: a steep but correct function defeats a
/// large step, float32 rounding a small one, and a wrong gradient matches at
/// none). `options` gives the other settings. Returns the worst input's
/// error at its best step.
double require_gradients(const std::function<Tensor()>& forward,
                         const std::vector<GradCheckInput>& inputs, GradCheckOptions options,
                         std::initializer_list<double> steps = {4e-2, 1e-2, 2.5e-3, 1e-3});

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
/// key/value cache agree (tokens, and logits within 1e-5): `rows` prompts of
/// `prompt` tokens continued by `continued` tokens.
std::string require_cached_generation_matches(const TransformerConfig& config, int64_t rows = 2,
                                              int64_t prompt = 3, int64_t continued = 6);

/// Cached generation over many model shapes: heads and head width from the
/// case, its batch as prompts, its queries as the prompt length and its keys
/// as the tokens generated after it (max_length 64). `configure` sets the
/// component under test, with one of its `settings`, on the small model.
std::string cached_generation_over_shapes(
    const CheckOptions& options, const std::vector<ParameterSetting>& settings,
    const std::function<void(TransformerConfig&, const ParameterSetting&)>& configure);

}  // namespace attnlab::conformance
