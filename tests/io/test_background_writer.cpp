// The writer thread behind recorded activations: order, errors, bounded memory
// and a clean stop.
#include <attnlab/error.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "io/background_writer.hpp"  // from the framework's sources

using namespace attnlab;
using Catch::Matchers::Contains;
using namespace std::chrono_literals;

namespace {

// Holds a job until the test opens it.
class Gate {
 public:
  void wait() const { opened_.wait(); }
  void open() { promise_.set_value(); }

 private:
  std::promise<void> promise_;
  std::shared_future<void> opened_ = promise_.get_future().share();
};

// `submit` (running on another thread) stays blocked while `gate` holds the
// writer's job, and returns once it is opened.
template <class Result>
void require_blocked_until_opened(Gate& gate, std::future<Result>& submit) {
  REQUIRE(submit.wait_for(200ms) == std::future_status::timeout);
  gate.open();
  REQUIRE(submit.wait_for(60s) == std::future_status::ready);
}

// Calls `on_destroy` when the last copy of it goes: a job that holds one tells
// when the job itself is destroyed, run or dropped.
class DestroyNotice {
 public:
  explicit DestroyNotice(std::function<void()> on_destroy) : on_destroy_(std::move(on_destroy)) {}
  DestroyNotice(const DestroyNotice&) = delete;
  DestroyNotice& operator=(const DestroyNotice&) = delete;
  ~DestroyNotice() { on_destroy_(); }

 private:
  std::function<void()> on_destroy_;
};

}  // namespace

TEST_CASE("a background writer runs every job in the order given, and finish waits for them") {
  std::vector<int> ran;  // touched by the writer's thread only until finish()
  BackgroundWriter writer(100);
  for (int i = 0; i < 200; ++i)
    writer.submit(
        [&ran, i] {
          if (i % 50 == 0) std::this_thread::sleep_for(2ms);  // the submitter gets ahead
          ran.push_back(i);
        },
        10);
  writer.finish();
  REQUIRE(ran.size() == 200);
  for (int i = 0; i < 200; ++i) REQUIRE(ran[static_cast<std::size_t>(i)] == i);
  writer.finish();  // nothing pending: returns at once
}

TEST_CASE(
    "a failed background write is rethrown by finish and by every later submit, and the "
    "jobs queued after it never run") {
  Gate first;
  BackgroundWriter writer(1000);
  bool later_ran = false;
  writer.submit([&first] { first.wait(); }, 1);  // holds the queue until all is queued
  writer.submit([] { throw IoError("trial.h5: cannot write rows: No space left on device"); }, 1);
  writer.submit([&later_ran] { later_ran = true; }, 1);
  first.open();
  REQUIRE_THROWS_WITH(writer.finish(), Contains("No space left on device"));
  REQUIRE_FALSE(later_ran);
  bool after_ran = false;
  REQUIRE_THROWS_WITH(writer.submit([&after_ran] { after_ran = true; }, 1),
                      Contains("No space left on device"));
  REQUIRE_THROWS_AS(writer.finish(), IoError);
  REQUIRE_FALSE(after_ran);
}

TEST_CASE("a background writer holds at most its byte limit of waiting jobs, or one job alone") {
  BackgroundWriter writer(100);
  struct Case {
    std::size_t held, submitted;
  };
  // 60 + 60 bytes exceed the limit: the second submit waits for the first job.
  // A job over the limit on its own waits for an empty queue, then is accepted.
  for (const Case c : {Case{60, 60}, Case{1, 500}}) {
    Gate gate;
    writer.submit([&gate] { gate.wait(); }, c.held);
    auto waiting = std::async(std::launch::async, [&] { writer.submit([] {}, c.submitted); });
    require_blocked_until_opened(gate, waiting);
    waiting.get();
    writer.finish();
  }
}

TEST_CASE("a submit waiting for room rethrows the error of the job it waited for") {
  BackgroundWriter writer(100);
  Gate failing;
  writer.submit(
      [&failing] {
        failing.wait();
        throw IoError("trial.h5: cannot write rows: No space left on device");
      },
      90);
  bool queued_ran = false;
  auto waiting =
      std::async(std::launch::async, [&] { writer.submit([&] { queued_ran = true; }, 90); });
  require_blocked_until_opened(failing, waiting);
  REQUIRE_THROWS_WITH(waiting.get(), Contains("No space left on device"));
  REQUIRE_THROWS_AS(writer.finish(), IoError);
  REQUIRE_FALSE(queued_ran);
}

TEST_CASE("destroying a background writer drops the jobs still waiting and joins its thread") {
  bool dropped_ran = false;
  bool running_finished = false;
  std::promise<void> started, dropped;
  Gate running;
  std::thread releaser;
  {
    BackgroundWriter writer(1000);
    writer.submit(
        [&started, &running, &running_finished] {
          started.set_value();
          running.wait();
          running_finished = true;
        },
        1);
    // Destroyed when dropped (it cannot run first: the job before it waits).
    auto notice = std::make_shared<DestroyNotice>([&dropped] { dropped.set_value(); });
    writer.submit([&dropped_ran, notice] { dropped_ran = true; }, 1);
    notice.reset();
    started.get_future().wait();  // the first job runs: the destructor must wait for it
    releaser = std::thread([&running, &dropped] {
      dropped.get_future().wait();  // the destructor has dropped the second job
      running.open();
    });
  }  // an exception in training ends a trial this way: its file is not published
  releaser.join();
  REQUIRE(running_finished);  // joined, not detached
  REQUIRE_FALSE(dropped_ran);
}

TEST_CASE("abandon drops the jobs waiting, waits for the running one and returns its error") {
  BackgroundWriter writer(1000);
  std::promise<void> started;
  Gate running;
  writer.submit(
      [&started, &running] {
        started.set_value();
        running.wait();
        throw IoError("trial.h5: cannot write rows: No space left on device");
      },
      1);
  bool dropped_ran = false;
  writer.submit([&dropped_ran] { dropped_ran = true; }, 1);
  started.get_future().wait();
  auto abandoned = std::async(std::launch::async, [&] { return writer.abandon(); });
  require_blocked_until_opened(running, abandoned);
  const std::exception_ptr failure = abandoned.get();
  REQUIRE(failure);
  REQUIRE_THROWS_WITH(std::rethrow_exception(failure), Contains("No space left on device"));
  REQUIRE_FALSE(dropped_ran);
  BackgroundWriter idle(1000);
  REQUIRE_FALSE(idle.abandon());  // nothing submitted, nothing failed
}
