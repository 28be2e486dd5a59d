// One thread pool serves every op and every GEMM (framework/src/tensor/
// thread_pool.hpp: chunks handed out on demand, idle threads asleep), so a busy
// machine slows a trial down gracefully instead of stalling it.
#pragma once

namespace attnlab {

/// Threads used by ops from now on (>= 1). The default is available_cpus().
void set_thread_count(int threads);
int thread_count();

/// The CPUs this process may run on: those of its affinity mask, no more than
/// its cgroup's CPU quota (cpu.max) allows, rounded up, and inside a SLURM job
/// no more than the job's CPUs on this node (SLURM_CPUS_ON_NODE, else
/// SLURM_CPUS_PER_TASK); at least 1.
int available_cpus();

}  // namespace attnlab
