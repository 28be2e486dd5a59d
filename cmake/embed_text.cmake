# attnlab_embed_text(<output.cpp> <input file> <C++ function name>): a source
# file defining `const char* <function>()` that returns the file's text, so a
# file in the repository and the copy built into the executable cannot differ.
function(attnlab_embed_text output input function)
  file(READ ${input} text)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${input})
  file(CONFIGURE OUTPUT ${output}
       CONTENT "// Generated from ${input} by cmake/embed_text.cmake.\nnamespace attnlab {\nconst char* ${function}() {\n  return R\"attnlab_text(${text})attnlab_text\";\n}\n}  // namespace attnlab\n"
       @ONLY)
endfunction()
