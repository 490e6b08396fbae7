# tests/core.cmake — the tests of bench/core/ (included last by
# tests/CMakeLists.txt, so hl_testlib and hl_unit_test() are defined).
hl_unit_test(test_hist SOURCES test_hist.c LIBS hl_core)
hl_unit_test(test_plan SOURCES test_plan.c LIBS hl_core)
hl_unit_test(test_runner SOURCES test_runner.c
             LIBS hl_core hl_allocators hl_workloads)
# The leak detector (bench/core/leak.h) and the runner's WARMUP feeding it.
hl_unit_test(test_leak SOURCES test_leak.c LIBS hl_core hl_allocators hl_workloads)

# bench/core/ as the i386 kernel will link it: alone (only hl_* symbols
# of allocators/, workloads/ and the port may stay undefined), then with
# the i386 allocators and workloads (only the port seam may stay).
if(TARGET hl_core_i386 AND TARGET hl_workloads_i386 AND TARGET hl_allocators_i386)
  add_test(NAME freestanding_core
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/freestanding_core.sh
                   $<TARGET_OBJECTS:hl_core_i386> --
                   $<TARGET_OBJECTS:hl_allocators_i386>
                   $<TARGET_OBJECTS:hl_workloads_i386>
           COMMAND_EXPAND_LISTS)
  set_tests_properties(freestanding_core PROPERTIES LABELS freestanding)
endif()

# The line protocol: its formatter (bench/core/proto.c) and its one reader
# (bench/host/lineproto.c).
# Not hl_unit_test: hl_testlib would put the port library before hl_core
# on the link line (a checked build's hl_panic unresolved); hl_lineproto
# brings the port itself, last.
add_executable(test_lineproto test_lineproto.c)
target_link_libraries(test_lineproto PRIVATE hl_lineproto PkgConfig::CMOCKA)
add_test(NAME test_lineproto COMMAND test_lineproto)
set_tests_properties(test_lineproto PROPERTIES LABELS unit)
hl_unit_test(test_vm SOURCES test_vm.c LIBS hl_core)

# The cache model (bench/core/cachemodel.h) against hand-computed
# hit/miss sequences.
hl_unit_test(test_cachemodel SOURCES test_cachemodel.c LIBS hl_core)
