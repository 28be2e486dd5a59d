// The output directory of an experiment before a run: its plan (plan.yaml,
// with a fingerprint of the trials) and the refusal to mix in another plan.
#pragma once

#include "attnlab/experiment/experiment.hpp"
#include "attnlab/run/results.hpp"

namespace attnlab::cli {

/// Creates the directory, removes temporaries of killed runs of this host, and
/// writes plan.yaml. A directory holding another plan is refused (ConfigError)
/// unless `force`, which moves what belongs to the old plan to superseded/.
void prepare_output_directory(const Experiment& experiment, const OutputLayout& layout, bool force);

}  // namespace attnlab::cli
