// Which executable runs the trials of attnlab.run. `attnlab run` runs each
// trial in a worker process of its own executable (`attnlab trial TICKET ...`,
// run/trial_scheduler.hpp), so that a crash in one trial cannot take the
// others down; from Python that executable is the attnlab command line that
// goes with this module, not the Python interpreter.
#pragma once

#include <string>

namespace attnlab::python {

/// $ATTNLAB_EXECUTABLE when set; else, for the module installed by `cmake
/// --install` (PREFIX/share/attnlab/python/attnlab/), PREFIX/bin/attnlab; for
/// the module of a build tree, that build's framework/cli/attnlab.
/// ConfigError naming what was looked for where, when it is not there.
std::string worker_program();

}  // namespace attnlab::python
