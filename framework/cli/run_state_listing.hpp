// How `attnlab status` and `attnlab merge` say where a run stands: the counts,
// then who runs what, what diverged or failed and why, and what is missing.
#pragma once

#include <string>

#include "attnlab/run/run_status.hpp"

namespace attnlab::cli {

/// "finished 10, failed 1, running 2, missing 11 (of 24)", with "diverged N"
/// after finished when any did.
std::string state_counts(const RunStatus& status);

/// The running, diverged, failed and missing trials, at most `most` lines of
/// each kind (0: all); "" when every trial finished.
std::string state_listing(const RunStatus& status, const OutputLayout& layout, std::size_t most);

/// What a complete run holds: "every trial finished", or how many diverged.
std::string completion_text(const RunStatus& status);

}  // namespace attnlab::cli
