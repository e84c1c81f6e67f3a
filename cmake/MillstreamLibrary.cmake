# millstream_folder_library(NAME DIR [DEPS ...]): one library per folder from every
# .cc file in DIR (recursively) that is not a test, plus one test executable from the
# *_test.cc files, registered with ctest under the label "unit".
function(millstream_glob_sources out dir)
  file(GLOB_RECURSE all CONFIGURE_DEPENDS ${dir}/*.cc)
  list(FILTER all EXCLUDE REGEX "_test\\.cc$")
  set(${out} ${all} PARENT_SCOPE)
endfunction()

function(millstream_glob_tests out dir)
  file(GLOB_RECURSE all CONFIGURE_DEPENDS ${dir}/*_test.cc)
  set(${out} ${all} PARENT_SCOPE)
endfunction()
