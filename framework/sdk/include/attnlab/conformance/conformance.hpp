// The conformance checks every component is held to: the promises its
// capabilities make, gradients, masks, score biases, head gating, batch
// independence, determinism and cached generation. attnlab's own tests run
// them on every built-in, and `attnlab check-plugin LIB.so` runs them on every
// component a library registers, so a plugin author gets the same verdict out
// of tree.
//
// Each check is a property over many seeded cases (batch sizes, head counts,
// query and key lengths, widths, evaluation lengths, parameter settings),
// the edge cases first. A failing case is shrunk to a smallest one that still
// fails, reported with the case index and seed that replay it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attnlab/model/config.hpp"

namespace attnlab::conformance {

/// One check on one component: its verdict and what was measured.
struct Check {
  std::string name;  // e.g. "score_bias"
  bool passed = false;
  bool skipped = false;  // not applicable (a capability not claimed)
  std::string detail;    // what was measured, or why it was skipped
};

struct ComponentReport {
  std::string kind;  // e.g. "attention variant"
  std::string name;
  std::string origin;
  std::vector<Check> checks;
  /// Every check that ran passed (skipped ones do not count against it).
  bool passed() const;
};

/// Which cases the checks run on.
struct CheckOptions {
  uint64_t seed = 1;
  /// Cases per property; 0 = the default (kDefaultCases, or kThoroughCases
  /// with `thorough`). Gradient and cached-generation checks run a third of
  /// them, at least 8.
  int64_t cases = 0;
  /// Only this case of every property (the index a failure reports).
  std::optional<int64_t> replay;
  /// More cases and longer sequences (lengths to 256): for authors, not CI.
  bool thorough = false;

  static constexpr int64_t kDefaultCases = 24, kThoroughCases = 200;
  int64_t case_count() const {
    return cases > 0 ? cases : thorough ? kThoroughCases : kDefaultCases;
  }
};

/// The model the model-level checks build, small enough to check in
/// milliseconds: d_model 8, 2 heads, FFN 16, 2 layers of each stack, GELU (no
/// kink for finite differences), vocabulary 7, max_length 16.
TransformerConfig small_model_config();

/// Every check for the registered component `name` of each kind. An exception
/// thrown by the component is a failed check, never an escape.
ComponentReport check_attention_variant(const std::string& name, const CheckOptions& options = {});
ComponentReport check_positional_encoding(const std::string& name,
                                          const CheckOptions& options = {});
ComponentReport check_head_layout(const std::string& name, const CheckOptions& options = {});
ComponentReport check_task(const std::string& name, const CheckOptions& options = {});

/// Reports for every registered component whose origin is `origin` (every
/// component when empty) and, if `component` is given, whose name it is, in
/// the order `attnlab plugins` lists them. Each
/// component is checked in a child process of its own: one that crashes or
/// runs past 120 s of CPU (1800 s when thorough), or three times that in all,
/// fails a check "runs" saying so, and the others are still checked. Throws
/// IoError only if no child process can be had.
std::vector<ComponentReport> check_components(std::string_view origin = {},
                                              const CheckOptions& options = {},
                                              std::string_view component = {});

}  // namespace attnlab::conformance
