# Warnings for our own targets. g++ 12 reports -Wmaybe-uninitialized inside its own
# AVX-512 intrinsic headers once Eigen's kernels are inlined into our code; that
# noise is not ours and would drown real warnings, so that one check is off.
function(attnlab_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion
                                           $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
endfunction()

# Code generation of our own targets. Sanitizer flags travel to whatever links a
# target (in this build tree only); -march=native does not leave the target, so an
# installed attnlab imposes neither on plugin authors.
function(attnlab_set_codegen target)
  if(ATTNLAB_NATIVE)
    target_compile_options(${target} PRIVATE -march=native)
  endif()
  if(ATTNLAB_SANITIZE)
    set(flags -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    target_compile_options(${target} PUBLIC $<BUILD_INTERFACE:${flags}>)
    target_link_options(${target} PUBLIC $<BUILD_INTERFACE:-fsanitize=address,undefined>)
  endif()
  if(ATTNLAB_FUZZ)  # coverage for the fuzzer, without libFuzzer's main()
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
endfunction()
