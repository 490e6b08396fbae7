# The fuzz targets (tests/fuzz/, docs/fuzzing.md) in ctest, when
# HEAPLAB_FUZZ is ON (the checked preset: one preset runs them).  They
# need clang with libFuzzer, which the presets' gcc is not: tests/fuzz is
# configured and built as a project of its own (an ExternalProject in
# build/<preset>/fuzz) whenever the main build runs.  Without clang the
# tests are registered as skipped (exit 77), never as passed.
#
# Tests: fuzz_alloc/<allocator> for every allocator the registry holds
# (read from the fuzz build's allocators.txt at test time, so a new
# allocator needs no line here), fuzz_<target> for every other target of
# tests/fuzz/CMakeLists.txt's HL_FUZZ_TARGETS (targets.txt); each runs
# HEAPLAB_FUZZ_SECONDS seconds after replaying its seeds and regressions.
set(HEAPLAB_FUZZ_SECONDS 5 CACHE STRING "seconds per bounded fuzz test")
set(_fz_src ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
set(_fz_bin ${CMAKE_BINARY_DIR}/fuzz)
set(_fz_ctest ${CMAKE_CURRENT_BINARY_DIR}/fuzz_tests.cmake)

find_program(HEAPLAB_FUZZ_CC NAMES clang clang-14 clang-15 clang-16)
set(_fz_ok FALSE)
if(HEAPLAB_FUZZ_CC)
  # Does it link a libFuzzer target with ASan and UBSan?
  set(_probe ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe)
  file(WRITE ${_probe}.c "#include <stddef.h>\n#include <stdint.h>\n"
       "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)"
       "{ (void)d; (void)n; return 0; }\n")
  execute_process(COMMAND ${HEAPLAB_FUZZ_CC} -fsanitize=fuzzer,address,undefined
                          ${_probe}.c -o ${_probe}
                  RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
  if(_rc EQUAL 0)
    set(_fz_ok TRUE)
  endif()
endif()

if(_fz_ok)
  message(STATUS "fuzz targets: ${HEAPLAB_FUZZ_CC} (libFuzzer), built in ${_fz_bin}")
  include(ExternalProject)
  ExternalProject_Add(hl_fuzz
    SOURCE_DIR ${_fz_src}
    BINARY_DIR ${_fz_bin}
    CMAKE_ARGS -DCMAKE_C_COMPILER=${HEAPLAB_FUZZ_CC}
               -DHEAPLAB_SOURCE_DIR=${PROJECT_SOURCE_DIR}
               -DCMAKE_BUILD_TYPE=RelWithDebInfo
    BUILD_ALWAYS ON
    INSTALL_COMMAND ""
    USES_TERMINAL_BUILD OFF)
  file(WRITE ${_fz_ctest} "
set(_run ${_fz_src}/run.sh)
set(_work ${_fz_bin}/runs)
if(NOT EXISTS ${_fz_bin}/allocators.txt OR NOT EXISTS ${_fz_bin}/targets.txt)
  add_test(fuzz_not_built sh -c \"echo 'fuzz: ${_fz_bin} is not built (cmake --build first)'; exit 1\")
  return()
endif()
file(STRINGS ${_fz_bin}/targets.txt _targets)
file(STRINGS ${_fz_bin}/allocators.txt _allocs)
foreach(t IN LISTS _targets)
  if(t STREQUAL \"alloc\")
    foreach(a IN LISTS _allocs)
      add_test(fuzz_alloc/\${a} \${_run} ${_fz_bin}/fuzz_alloc alloc ${HEAPLAB_FUZZ_SECONDS} ${_fz_src} \${_work} \${a})
      set_tests_properties(fuzz_alloc/\${a} PROPERTIES LABELS fuzz TIMEOUT 300)
    endforeach()
  else()
    add_test(fuzz_\${t} \${_run} ${_fz_bin}/fuzz_\${t} \${t} ${HEAPLAB_FUZZ_SECONDS} ${_fz_src} \${_work})
    set_tests_properties(fuzz_\${t} PROPERTIES LABELS fuzz TIMEOUT 300)
  endif()
endforeach()
")
else()
  message(STATUS "fuzz targets: no clang with libFuzzer (-fsanitize=fuzzer): fuzz tests skip")
  file(WRITE ${_fz_ctest} "
add_test(fuzz sh -c \"echo 'fuzz: skipped: no clang with libFuzzer (apt-get install clang)'; exit 77\")
set_tests_properties(fuzz PROPERTIES LABELS fuzz SKIP_RETURN_CODE 77)
")
endif()
set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${_fz_ctest})
