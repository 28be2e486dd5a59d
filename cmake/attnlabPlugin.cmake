# attnlab_add_plugin(NAME source...): builds an out-of-tree plugin as a loadable
# module lib<NAME>.so against attnlab. Symbols are hidden except the two entry
# points ATTNLAB_PLUGIN(...) exports, so nothing of the plugin leaks into (or
# clashes with) attnlab or other plugins.
function(attnlab_add_plugin name)
  add_library(${name} MODULE ${ARGN})
  target_link_libraries(${name} PRIVATE attnlab::attnlab)
  target_compile_features(${name} PRIVATE cxx_std_20)
  set_target_properties(${name} PROPERTIES CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
                                           PREFIX "lib")
endfunction()
