#include "isolated_read.hpp"

#include <fmt/format.h>

#include "../process/isolated_child.hpp"

namespace attnlab {

std::string read_isolated(const std::function<std::string()>& read, const std::string& what,
                          std::chrono::seconds cpu_time) {
  const std::chrono::seconds wall_time = 10 * cpu_time;
  const ChildOutcome outcome = run_in_child(read, what, cpu_time, wall_time);
  using Kind = ChildOutcome::Kind;
  switch (outcome.kind) {
    case Kind::returned:
      return outcome.text;
    case Kind::threw_error:  // what the file holds made attnlab refuse it
      throw DamagedFile(outcome.text);
    case Kind::crashed:  // the file's bytes crashed or hung the HDF5 library
    case Kind::out_of_cpu:
      throw DamagedFile(fmt::format("{}: damaged: {}", what,
                                    describe(outcome, "reading it", cpu_time, wall_time)));
    default:  // bad_alloc, the OOM killer, a hung disk: the machine's fault, not the file's
      throw IoError(fmt::format("{}: cannot be checked: {}", what,
                                describe(outcome, "reading it", cpu_time, wall_time)));
  }
}

}  // namespace attnlab
