// How a process of attnlab's uses the C library's allocator.
#pragma once

namespace attnlab {

/// Whether this build's allocator is AddressSanitizer's, which replaces glibc's.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitizerAllocator = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kSanitizerAllocator = true;
#else
inline constexpr bool kSanitizerAllocator = false;
#endif
#else
inline constexpr bool kSanitizerAllocator = false;
#endif

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
/// (results stay the same; only speed is lost); true also in a sanitizer
/// build, whose allocator replaces glibc's and takes no settings.
[[nodiscard]] bool retain_freed_memory();

}  // namespace attnlab
