# The heaplab command's tests: the statistics (cmocka) and the CLI
# scripts in tests/cli/ (bash + awk), each given the heaplab and
# heaplab-testbuild binaries.  Label: cli.
hl_unit_test(test_stats SOURCES test_stats.c LIBS hl_stats LABELS unit)
# Not hl_unit_test: hl_summary reads the allocator registry (runcells:
# an older run's alloc_params), whose checked build needs the port after
# it; hl_testlib would put the port first (tests/kernel.cmake, test_qemu_proto).
foreach(t test_summary test_csvread)
  add_executable(${t} ${t}.c)
  target_link_libraries(${t} PRIVATE hl_summary PkgConfig::CMOCKA)
  add_test(NAME ${t} COMMAND ${t})
  set_tests_properties(${t} PROPERTIES LABELS unit)
endforeach()

# The child-process helper (bench/host/proc.c) on real /bin/sh children.
# Linked like test_qemu_proto (tests/kernel.cmake says why: hl_cli brings
# the port itself, in order).
add_executable(test_proc test_proc.c ${PROJECT_SOURCE_DIR}/bench/host/no_test_allocators.c)
target_link_libraries(test_proc PRIVATE hl_cli PkgConfig::CMOCKA)
add_test(NAME test_proc COMMAND test_proc)
set_tests_properties(test_proc PROPERTIES LABELS unit TIMEOUT 120)
# A child's rows taken rep by rep (bench/host/cellrows.c), into real files.
add_executable(test_cellrows test_cellrows.c ${PROJECT_SOURCE_DIR}/bench/host/no_test_allocators.c)
target_link_libraries(test_cellrows PRIVATE hl_cli PkgConfig::CMOCKA)
add_test(NAME test_cellrows COMMAND test_cellrows)
set_tests_properties(test_cellrows PROPERTIES LABELS unit)

foreach(t run_csv crash_timeout isolation bad_input smoke clock_sweep launches
        plot plot_bad_input compare_stats big_region merge resident leaks vm)
  add_test(NAME cli_${t}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/${t}.sh
                   $<TARGET_FILE:heaplab> $<TARGET_FILE:heaplab-testbuild>)
  set_tests_properties(cli_${t} PROPERTIES LABELS cli TIMEOUT 600)
endforeach()

# Every reader of a run through the one CSV reader (bench/host/csvread.h):
# a renamed or missing column refused in one line by each command.
add_test(NAME cli_renamed_column
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/renamed_column.sh
                 $<TARGET_FILE:heaplab> $<TARGET_FILE:heaplab-testbuild>)
set_tests_properties(cli_renamed_column PROPERTIES LABELS cli TIMEOUT 600)
