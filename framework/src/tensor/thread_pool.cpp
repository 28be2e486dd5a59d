#include "tensor/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "attnlab/threads.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace attnlab::detail {
namespace {

thread_local bool inside_region = false;

// Pauses an idle worker spins before it sleeps (a few tens of microseconds).
// Measured (bench/threads_under_load.sh): 20000 (~0.3 ms) made 2 threads 1.65x
// slower than 1 with the other core busy, 2000 keeps them even.
constexpr int kWorkerSpins = 2000;
constexpr int kWorkerYields = 2000;
// Pauses a caller spins before it sleeps until the workers' chunks are done:
// few, so that its core falls idle and Linux may move there a worker that
// another process crowds on its own core (measured: no worse than 2000).
constexpr int kCallerSpins = 100;

void cpu_relax() {
#if defined(__x86_64__)
  _mm_pause();
#endif
}

// One call of parallel_run: chunks of indices handed out from `next`.
struct Job {
  const std::function<void(int64_t)>* body = nullptr;
  int64_t count = 0, chunk = 1, chunks = 0;
  std::atomic<int64_t> next{0};       // the next chunk to take
  std::atomic<int64_t> remaining{0};  // chunks not yet finished
  std::atomic<int64_t> taken_by_workers{0};
  std::mutex failure_mutex;
  std::exception_ptr failure;
};

// Watches whether the workers get a share of the work. With another process
// on the other cores, a woken worker seldom runs before the caller has taken
// every chunk, and waking it for each region slowed the caller down (measured:
// 2 threads 1.06x the time of 1 with the other core busy). When, over a window
// of regions, the workers took under a quarter of their fair share of the
// chunks, the caller runs every region alone (workers asleep) for a while, then
// tries again; the while doubles as long as the workers stay crowded out, so a
// busy machine costs one window now and then, and a window misjudged on an idle
// one costs little. Who runs an index never changes what it computes.
class ShareMonitor {
 public:
  using Clock = std::chrono::steady_clock;

  bool run_alone() const { return alone_ && Clock::now() < alone_until_; }

  void record(int64_t chunks, int64_t taken_by_workers, int threads) {
    alone_ = false;
    chunks_ += chunks;
    by_workers_ += taken_by_workers;
    if (++regions_ < kWindowRegions) return;
    const double fair_share = static_cast<double>(threads - 1) / threads;
    const double share = static_cast<double>(by_workers_) / static_cast<double>(chunks_);
    if (share < fair_share / 4) {
      alone_ = true;
      alone_until_ = Clock::now() + alone_for_;
      alone_for_ = std::min(2 * alone_for_, kMaxAlone);
    } else {
      alone_for_ = kMinAlone;
    }
    regions_ = chunks_ = by_workers_ = 0;
  }

 private:
  // A training step of the smallest shipped model runs about 45 regions.
  static constexpr int64_t kWindowRegions = 128;
  static constexpr Clock::duration kMinAlone = std::chrono::milliseconds(100);
  static constexpr Clock::duration kMaxAlone = std::chrono::seconds(2);
  int64_t regions_ = 0, chunks_ = 0, by_workers_ = 0;
  bool alone_ = false;
  Clock::time_point alone_until_;
  Clock::duration alone_for_ = kMinAlone;
};

class Pool {
 public:
  Pool() { resize(available_cpus()); }
  ~Pool() { resize(1); }

  void resize(int threads) {
    std::lock_guard caller(run_mutex_);
    {
      std::lock_guard lock(mutex_);
      quit_ = true;
    }
    wake_.notify_all();
    for (std::thread& worker : workers_) worker.join();
    workers_.clear();
    quit_ = false;
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { work_loop(); });
    threads_ = threads;
  }

  int threads() const { return threads_; }

  void run(int64_t count, const std::function<void(int64_t)>& body) {
    if (inside_region) {  // nested: the region's own thread does it (never lock twice)
      serial(count, body);
      return;
    }
    std::unique_lock caller(run_mutex_, std::try_to_lock);
    if (!caller.owns_lock() || threads_ == 1 || shares_.run_alone()) {
      serial(count, body);  // (another thread uses the pool, or the workers are crowded out)
      return;
    }
    auto job = std::make_shared<Job>();
    job->body = &body;
    job->count = count;
    // A few chunks per thread: a slow thread delays the end by one small chunk at most.
    job->chunk = std::max<int64_t>(1, count / (4 * threads_));
    job->chunks = (count + job->chunk - 1) / job->chunk;
    job->remaining = job->chunks;
    {
      std::lock_guard lock(mutex_);
      current_ = job;
      ++generation_;
    }
    wake_.notify_all();
    take_chunks(*job, false);
    wait_until_done(*job);
    {
      std::lock_guard lock(mutex_);
      current_.reset();
    }
    shares_.record(job->chunks, job->taken_by_workers.load(), threads_);
    if (job->failure) std::rethrow_exception(job->failure);
  }

 private:
  static void serial(int64_t count, const std::function<void(int64_t)>& body) {
    const bool outer = !inside_region;
    inside_region = true;
    try {
      for (int64_t i = 0; i < count; ++i) body(i);
    } catch (...) {
      inside_region = !outer;
      throw;
    }
    inside_region = !outer;
  }

  void take_chunks(Job& job, bool is_worker) {
    inside_region = true;
    for (int64_t c; (c = job.next.fetch_add(1)) < job.chunks;) {
      if (is_worker) job.taken_by_workers.fetch_add(1);
      const int64_t end = std::min(job.count, (c + 1) * job.chunk);
      try {
        for (int64_t i = c * job.chunk; i < end; ++i) (*job.body)(i);
      } catch (...) {
        std::lock_guard lock(job.failure_mutex);
        if (!job.failure) job.failure = std::current_exception();
      }
      if (job.remaining.fetch_sub(1) == 1) {
        std::lock_guard lock(mutex_);  // the caller may be about to wait
        done_.notify_all();
      }
    }
    inside_region = false;
  }

  void wait_until_done(Job& job) {
    for (int spin = 0; spin < kCallerSpins && job.remaining.load() > 0; ++spin) cpu_relax();
    if (job.remaining.load() == 0) return;
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return job.remaining.load() == 0; });
  }

  void work_loop() {
    uint64_t seen = 0;
    for (;;) {
      std::shared_ptr<Job> job;
      {
        // A short spin for the next region of the same step, then sleep.
        for (int spin = 0; spin < kWorkerSpins && generation_.load() == seen && !quit_; ++spin)
          cpu_relax();
        for (int yield = 0; yield < kWorkerYields && generation_.load() == seen && !quit_; ++yield)
          std::this_thread::yield();
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return quit_ || generation_.load() != seen; });
        if (quit_) return;
        seen = generation_.load();
        job = current_;
      }
      if (job) take_chunks(*job, true);  // a late thread finds nothing left: fine
    }
  }

  std::mutex run_mutex_;  // one caller at a time
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::shared_ptr<Job> current_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> quit_{false};
  std::vector<std::thread> workers_;
  int threads_ = 1;
  ShareMonitor shares_;  // used by the caller holding run_mutex_ only
};

Pool& pool() {
  static Pool* instance = new Pool;  // never destroyed: no join racing static destruction
  return *instance;
}

}  // namespace

void set_pool_threads(int threads) {
  if (threads != pool().threads()) pool().resize(threads);
}

int pool_threads() {
  return pool().threads();
}

bool in_parallel_region() {
  return inside_region;
}

void parallel_run(int64_t count, const std::function<void(int64_t)>& body) {
  pool().run(count, body);
}

}  // namespace attnlab::detail
