#include "background_writer.hpp"

#include <signal.h>

namespace attnlab {

BackgroundWriter::BackgroundWriter(std::size_t byte_limit, std::function<void()> prepare_thread)
    : byte_limit_(byte_limit), prepare_thread_(std::move(prepare_thread)) {}

BackgroundWriter::~BackgroundWriter() {
  abandon();
}

std::exception_ptr BackgroundWriter::abandon() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  return failure_;
}

void BackgroundWriter::rethrow_failure() {
  if (failure_) std::rethrow_exception(failure_);
}

void BackgroundWriter::submit(std::function<void()> job, std::size_t bytes) {
  std::unique_lock lock(mutex_);
  if (!thread_.joinable()) thread_ = std::thread([this] { work(); });
  // Alone, a job may exceed the limit: waiting for an empty queue bounds memory
  // at one job plus the limit.
  changed_.wait(lock, [&] {
    return failure_ || pending_bytes_ == 0 || pending_bytes_ + bytes <= byte_limit_;
  });
  rethrow_failure();
  jobs_.push_back({std::move(job), bytes});
  pending_bytes_ += bytes;
  changed_.notify_all();
}

void BackgroundWriter::finish() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return failure_ || (jobs_.empty() && !running_job_); });
  rethrow_failure();
}

void BackgroundWriter::work() {
  // A stop request (SIGINT, SIGTERM) is the training thread's to act on; a
  // write in this thread is never interrupted by its handler.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  if (prepare_thread_) prepare_thread_();
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    running_job_ = true;
    lock.unlock();
    std::exception_ptr failure;
    try {
      job.run();
    } catch (...) {
      failure = std::current_exception();
    }
    job.run = nullptr;  // the data it held is released before the bytes are returned
    lock.lock();
    running_job_ = false;
    pending_bytes_ -= job.bytes;
    if (failure) {
      failure_ = failure;
      for (const Job& dropped : jobs_) pending_bytes_ -= dropped.bytes;
      jobs_.clear();
    }
    changed_.notify_all();
  }
}

}  // namespace attnlab
