// One thread pool (OpenMP) serves every op and Eigen's GEMMs, so two pools never
// spin against each other on a small machine.
#pragma once

namespace attnlab {

/// Threads used by ops from now on (>= 1).
void set_thread_count(int threads);
int thread_count();

}  // namespace attnlab
