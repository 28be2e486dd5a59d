// Runs write jobs on a thread of their own, in the order they were submitted,
// so that the thread producing the data goes on computing while it is written
// (recorded activations: hundreds of MB a trial, in page-cache copies and
// syscalls that would otherwise stall training).
//
// At most `byte_limit` bytes of submitted data wait at a time: submit() blocks
// beyond it, so memory stays bounded when writing is slower than computing. A
// single job larger than the limit still runs, alone. The first job that
// throws stops the writer: later jobs are dropped, and the error is rethrown on
// the submitting thread by the next submit() or by finish(). Whatever the jobs
// write must not be touched by other threads until finish() returns.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace attnlab {

class BackgroundWriter {
 public:
  /// `prepare_thread` runs on the writer's thread before its first job.
  explicit BackgroundWriter(std::size_t byte_limit, std::function<void()> prepare_thread = {});
  /// abandon(), its error ignored (after an error or an exception elsewhere:
  /// nothing the jobs write is published then).
  ~BackgroundWriter();
  BackgroundWriter(const BackgroundWriter&) = delete;
  BackgroundWriter& operator=(const BackgroundWriter&) = delete;

  /// Queues `job`, which holds `bytes` of data until it has run; rethrows an
  /// earlier job's error instead of queueing.
  void submit(std::function<void()> job, std::size_t bytes);
  /// Returns when every submitted job has run; rethrows the first job's error.
  void finish();
  /// Drops the jobs still waiting, waits for the one running (if any) and
  /// returns the first job's error, if one failed; submit() must not follow.
  std::exception_ptr abandon();

 private:
  struct Job {
    std::function<void()> run;
    std::size_t bytes;
  };
  void work();
  void rethrow_failure();  // with mutex_ held

  std::size_t byte_limit_;
  std::function<void()> prepare_thread_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Job> jobs_;
  std::size_t pending_bytes_ = 0;  // of queued jobs and the one running
  bool running_job_ = false;
  bool stopping_ = false;
  std::exception_ptr failure_;
  std::thread thread_;  // started by the first submit
};

}  // namespace attnlab
