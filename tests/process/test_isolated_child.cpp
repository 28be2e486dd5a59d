// A function run in a forked child: each way the child can end is told apart,
// and only what the function itself returned counts as returned.
#include <unistd.h>

#include <atomic>
#include <attnlab/error.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <new>
#include <thread>

#include "process/isolated_child.hpp"

using namespace attnlab;
using Kind = ChildOutcome::Kind;
using std::chrono::seconds;

namespace {

ChildOutcome run(const std::function<std::string()>& work, seconds cpu = seconds(20),
                 seconds wall = seconds(60)) {
  return run_in_child(work, "test", cpu, wall);
}

}  // namespace

TEST_CASE("a child's return value and exceptions come back as such") {
  const ChildOutcome returned = run([] { return std::string("all \x1f well"); });
  REQUIRE(returned.kind == Kind::returned);
  REQUIRE(returned.text == "all \x1f well");
  REQUIRE(run([] { return std::string(); }).kind == Kind::returned);  // empty is a value

  const ChildOutcome refused = run([]() -> std::string { throw ConfigError("bad value"); });
  REQUIRE(refused.kind == Kind::threw_error);
  REQUIRE(refused.text == "bad value");
  const ChildOutcome other = run([]() -> std::string { throw std::bad_alloc(); });
  REQUIRE(other.kind == Kind::threw_other);
}

TEST_CASE("a child that exits without returning did not return, whatever its status") {
  for (const int status : {0, 1}) {
    const ChildOutcome outcome = run([status]() -> std::string { ::_exit(status); });
    REQUIRE(outcome.kind == Kind::vanished);
    REQUIRE(outcome.exit_status == status);
    REQUIRE_THAT(describe(outcome, "the checks", seconds(20), seconds(60)),
                 Catch::Matchers::Contains("without reporting"));
  }
}

TEST_CASE("a crash, a spin and a wait are told apart") {
  const ChildOutcome crashed = run([]() -> std::string { std::abort(); });
  REQUIRE(crashed.kind == Kind::crashed);
  REQUIRE_THAT(describe(crashed, "reading it", seconds(20), seconds(60)),
               Catch::Matchers::Contains("reading it crashed (signal"));

  const ChildOutcome spun = run(
      []() -> std::string {
        std::atomic<uint64_t> count{0};
        for (;;) count.fetch_add(1, std::memory_order_relaxed);
      },
      seconds(1), seconds(30));
  REQUIRE(spun.kind == Kind::out_of_cpu);

  const auto start = std::chrono::steady_clock::now();
  const ChildOutcome waited = run(
      []() -> std::string {
        std::this_thread::sleep_for(std::chrono::hours(1));
        return "";
      },
      seconds(20), seconds(1));
  REQUIRE(waited.kind == Kind::stalled);
  REQUIRE(std::chrono::steady_clock::now() - start < seconds(10));
  REQUIRE_THAT(describe(waited, "the checks", seconds(20), seconds(1)),
               Catch::Matchers::Contains("within 1 s (waiting, not computing)"));
}
