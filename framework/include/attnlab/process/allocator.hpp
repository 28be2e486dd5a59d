// How a process of attnlab's uses the C library's allocator.
#pragma once

namespace attnlab {

/// Keeps freed memory in the process for reuse instead of handing it back to
/// the kernel at once. Called first thing by a program's main (it sets a
/// process-wide policy: a library does not choose it for its host).
///
/// glibc (the only C library attnlab is built for) maps large blocks afresh
/// (over 128 KiB at first; the threshold rises as such blocks are freed) and
/// returns freed heap tops to the kernel; every later use of such memory then
/// faults its pages in again, zero-filled, and a page fault is expensive in a
/// virtual machine. Fixed thresholds also end glibc's adjusting of them. The
/// thread that writes recorded activations (buffers of a few hundred KiB, freed
/// as soon as written) spent about 40% of its time on those faults, and a
/// recorded trial of experiments/attention_maps.yaml ran 20% longer for them
/// (docs/performance.md, "Recording"). The memory kept is what a trial has
/// already used at its peak. Returns false when glibc refused a setting
/// (results stay the same; only the speed of the default policy is lost).
[[nodiscard]] bool retain_freed_memory();

}  // namespace attnlab
