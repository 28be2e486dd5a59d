// Running a function in a forked child with a CPU-time limit, so that whatever
// it does (crash, spin, exhaust memory) cannot take this process with it.
// Reading possibly damaged files and checking untrusted plugins both need it.
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace attnlab {

/// How the child ended, and the text it returned or the message it threw.
struct ChildOutcome {
  enum class Kind {
    returned,     // `work` returned `text`
    threw_error,  // `work` threw an attnlab::Error (message in `text`)
    threw_other,  // another exception (bad_alloc and the like), message in `text`
    crashed,      // killed by signal `signal` (a segfault, an abort)
    out_of_cpu,   // spun past its CPU time
    killed,       // SIGKILL before its CPU time: the OOM killer or an operator
    stalled,      // neither ended nor spun for ten times its CPU time (a hung disk?)
  };
  Kind kind = Kind::returned;
  std::string text;
  int signal = 0;
};

/// Runs `work` in a forked child that dies with this process and holds none of
/// its descriptors, limited to `cpu_time` of CPU. Throws IoError (naming `what`)
/// only if no child can be had (no pipe, no fork).
ChildOutcome run_in_child(const std::function<std::string()>& work, const std::string& what,
                          std::chrono::seconds cpu_time);

}  // namespace attnlab
