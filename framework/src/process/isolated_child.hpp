// Running a function in a forked child with CPU and wall-time limits, so that
// whatever it does (crash, spin, wait forever, exit) cannot take this process
// with it. Reading possibly damaged files and checking untrusted plugins both
// need it.
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
    stalled,      // did not end within its wall time without spinning (a hung disk, a wait)
    vanished,     // ended without reporting (the work called exit, or a sanitizer ended it)
  };
  Kind kind = Kind::returned;
  std::string text;
  int signal = 0;
  int exit_status = 0;  // of a child that vanished
};

/// What happened, as the end of a sentence about `activity` ("reading it",
/// "the checks"): "reading it crashed (signal 11, Segmentation fault)".
/// For kinds other than returned.
std::string describe(const ChildOutcome& outcome, const std::string& activity,
                     std::chrono::seconds cpu_time, std::chrono::seconds wall_time);

/// Runs `work` in a forked child that dies with this process and holds none of
/// its descriptors, limited to `cpu_time` of CPU and killed after `wall_time`.
/// Only what `work` returns or throws counts: a child that ends any other way
/// (exit(0) included) did not return. The caller must not have started the
/// compute thread pool's workers (a forked child has no threads but its own).
/// Throws IoError (naming `what`) only if no child can be had (no pipe, no fork).
ChildOutcome run_in_child(const std::function<std::string()>& work, const std::string& what,
                          std::chrono::seconds cpu_time, std::chrono::seconds wall_time);

}  // namespace attnlab
