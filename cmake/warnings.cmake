# Warnings for our own targets. g++ 12 reports -Wmaybe-uninitialized inside its own
# AVX-512 intrinsic headers once Eigen's kernels are inlined into our code; that
# noise is not ours and would drown real warnings, so that one check is off.
function(attnlab_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion -Wno-maybe-uninitialized)
endfunction()

function(attnlab_set_codegen target)
  if(ATTNLAB_NATIVE)
    target_compile_options(${target} PUBLIC -march=native)
  endif()
  if(ATTNLAB_SANITIZE)
    target_compile_options(${target} PUBLIC -fsanitize=address,undefined -fno-omit-frame-pointer
                                            -fno-sanitize-recover=undefined)
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  endif()
endfunction()
