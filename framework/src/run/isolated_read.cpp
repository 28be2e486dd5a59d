#include "isolated_read.hpp"

#include <fmt/format.h>

#include <cstring>

#include "isolated_child.hpp"

namespace attnlab {

std::string read_isolated(const std::function<std::string()>& read, const std::string& what,
                          std::chrono::seconds cpu_time) {
  const ChildOutcome outcome = run_in_child(read, what, cpu_time);
  using Kind = ChildOutcome::Kind;
  switch (outcome.kind) {
    case Kind::returned:
      return outcome.text;
    case Kind::threw_error:  // what the file holds made attnlab refuse it
      throw DamagedFile(outcome.text);
    case Kind::threw_other:  // bad_alloc and the like: not the file's fault
      throw IoError(fmt::format("{}: cannot be checked: {}", what, outcome.text));
    case Kind::crashed:
      throw DamagedFile(
          fmt::format("{}: damaged: reading it crashed the HDF5 library (signal "
                      "{}, {})",
                      what, outcome.signal, strsignal(outcome.signal)));
    case Kind::out_of_cpu:
      throw DamagedFile(fmt::format("{}: damaged: reading it did not end within {} s of CPU time",
                                    what, cpu_time.count()));
    case Kind::killed:
      throw IoError(fmt::format("{}: reading it was killed from outside (out of memory?)", what));
    case Kind::stalled:
      throw IoError(fmt::format("{}: reading it stalled for {} s (a hung disk or file system?)",
                                what, 10 * cpu_time.count()));
  }
  throw IoError(fmt::format("{}: cannot be checked", what));  // unreachable: every kind returns
}

}  // namespace attnlab
