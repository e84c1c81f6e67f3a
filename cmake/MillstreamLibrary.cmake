# Source globbing for "one library per folder": millstream_glob_sources collects
# every .cc below a folder that is not a test, millstream_glob_tests the *_test.cc
# files that the folder's unit-test executable is built from.
function(millstream_glob_sources out dir)
  file(GLOB_RECURSE all CONFIGURE_DEPENDS ${dir}/*.cc)
  list(FILTER all EXCLUDE REGEX "_test\\.cc$")
  set(${out} ${all} PARENT_SCOPE)
endfunction()

function(millstream_glob_tests out dir)
  file(GLOB_RECURSE all CONFIGURE_DEPENDS ${dir}/*_test.cc)
  set(${out} ${all} PARENT_SCOPE)
endfunction()
