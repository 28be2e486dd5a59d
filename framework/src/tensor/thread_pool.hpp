// attnlab's one pool of threads, serving every op and the GEMMs. It is built to
// degrade gracefully on a busy machine, where OpenMP's static schedule with
// spinning workers made 2 threads 8x slower than 1 once another process held a
// core (a region waited a whole time slice for a descheduled thread):
//   - work is handed out in chunks from a shared counter, so whoever is running
//     takes the next chunk, and the caller works too;
//   - the caller waits only for chunks that were taken, never for a thread that
//     has not woken up yet (a late thread finds nothing left and goes back to sleep);
//   - idle threads block on a condition variable after a few microseconds of
//     spinning, leaving the core to whoever else needs it;
//   - when the workers are crowded out (they took under a quarter of their
//     share of recent regions), the caller runs the next regions alone, so a
//     second thread that cannot run costs next to nothing.
// Each index is handled by exactly one thread, and what it computes does not
// depend on which thread that is, so results do not depend on scheduling.
#pragma once

#include <cstdint>
#include <functional>

namespace attnlab::detail {

/// Threads used from now on (the caller plus threads - 1 workers), >= 1.
void set_pool_threads(int threads);
int pool_threads();

/// Whether the calling thread is inside a parallel region (nested ones run serially).
bool in_parallel_region();

/// Runs body(i) for every i in [0, count), in parallel when the pool has more
/// than one thread and the caller is not already inside a region. An exception
/// thrown by body is rethrown here (the first one, after every taken chunk ended).
void parallel_run(int64_t count, const std::function<void(int64_t)>& body);

}  // namespace attnlab::detail
