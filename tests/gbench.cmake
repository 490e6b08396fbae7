# tests/gbench.cmake — bench/gbench: heaplab-micro as a smoke test with
# tiny counts whose JSON is checked field by field (gbench_micro_smoke),
# Google Benchmark's own compare.py reading two of its reports
# (gbench_compare), and the C shim on its own (gbench_shim).  Label: gbench.
if(NOT TARGET heaplab-micro)
  return()
endif()

# jemalloc is preloaded by the smoke test when installed (and the build is
# not sanitized); compare.py comes from Debian's libbenchmark-tools.  Both
# are found here and passed on, so that a missing one makes the test fail
# with a message rather than pass without checking.
find_file(HL_JEMALLOC_SO libjemalloc.so.2
          PATHS /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib64
                /usr/local/lib /usr/lib
          NO_DEFAULT_PATH)
if(NOT HL_JEMALLOC_SO)
  set(HL_JEMALLOC_SO "")
endif()
# mimalloc and tcmalloc: --with-baselines preloads them after jemalloc.
find_file(HL_MIMALLOC_SO libmimalloc.so.2
          PATHS /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib64
                /usr/local/lib /usr/lib
          NO_DEFAULT_PATH)
find_file(HL_TCMALLOC_SO libtcmalloc_minimal.so.4
          PATHS /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib64
                /usr/local/lib /usr/lib
          NO_DEFAULT_PATH)
foreach(_v HL_MIMALLOC_SO HL_TCMALLOC_SO)
  if(NOT ${_v})
    set(${_v} "")
  endif()
endforeach()
find_file(HL_GBENCH_COMPARE_PY compare.py
          PATHS /usr/share/benchmark /usr/local/share/benchmark
          NO_DEFAULT_PATH)

set(_gb ${CMAKE_CURRENT_SOURCE_DIR}/gbench)
add_test(NAME gbench_micro_smoke
         COMMAND bash ${_gb}/smoke.sh $<TARGET_FILE:heaplab-micro>
                 "${HEAPLAB_SANITIZE}" ${HEAPLAB_CHECK_LEVEL}
                 "${HL_JEMALLOC_SO}" "${HL_MIMALLOC_SO}" "${HL_TCMALLOC_SO}")
add_test(NAME gbench_compare
         COMMAND bash ${_gb}/compare.sh $<TARGET_FILE:heaplab-micro>
                 "${HL_GBENCH_COMPARE_PY}")
set_tests_properties(gbench_micro_smoke gbench_compare PROPERTIES
                     LABELS gbench TIMEOUT 120)

# The shim on its own: every call of gbench_shim.h, checked in the report.
# (hl_gbench_shim_selftest is defined in bench/gbench/CMakeLists.txt,
# where C++ is enabled, so that CMake links it with the C++ runtime.)
add_test(NAME gbench_shim
         COMMAND bash ${_gb}/shim.sh $<TARGET_FILE:hl_gbench_shim_selftest>)
set_tests_properties(gbench_shim PROPERTIES LABELS gbench TIMEOUT 120)
