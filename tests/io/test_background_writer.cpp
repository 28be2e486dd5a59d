// The writer thread behind recorded activations: order, errors, bounded memory
// and a clean stop.
#include <attnlab/error.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "io/background_writer.hpp"  // from the framework's sources

using namespace attnlab;
using Catch::Matchers::Contains;
using namespace std::chrono_literals;

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
  BackgroundWriter writer(1000);
  bool later_ran = false;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  writer.submit([released] { released.wait(); }, 1);  // holds the queue until all is queued
  writer.submit([] { throw IoError("trial.h5: cannot write rows: No space left on device"); }, 1);
  writer.submit([&later_ran] { later_ran = true; }, 1);
  release.set_value();
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
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  writer.submit([released] { released.wait(); }, 60);
  // 60 + 60 bytes exceed the limit: the second submit waits for the first job.
  auto second = std::async(std::launch::async, [&] { writer.submit([] {}, 60); });
  REQUIRE(second.wait_for(200ms) == std::future_status::timeout);
  release.set_value();
  REQUIRE(second.wait_for(60s) == std::future_status::ready);
  second.get();
  // A job over the limit on its own is accepted once the queue is empty.
  writer.submit([] {}, 500);
  writer.finish();
}

TEST_CASE("destroying a background writer drops the jobs still waiting and joins its thread") {
  bool dropped_ran = false;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::thread releaser;
  {
    BackgroundWriter writer(1000);
    writer.submit([released] { released.wait(); }, 1);
    writer.submit([&dropped_ran] { dropped_ran = true; }, 1);
    releaser = std::thread([&release] {
      std::this_thread::sleep_for(50ms);  // the destructor is waiting by then
      release.set_value();
    });
  }  // an exception in training ends a trial this way: its file is not published
  releaser.join();
  REQUIRE_FALSE(dropped_ran);
}
