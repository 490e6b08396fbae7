# The heaplab command's tests: the statistics (cmocka) and the CLI
# scripts in tests/cli/ (bash + awk), each given the heaplab and
# heaplab-testbuild binaries.  Label: cli.
hl_unit_test(test_stats SOURCES test_stats.c LIBS hl_stats LABELS unit)
hl_unit_test(test_summary SOURCES test_summary.c LIBS hl_summary LABELS unit)

foreach(t run_csv crash_timeout isolation bad_input smoke clock_sweep launches
        plot plot_bad_input compare_stats merge)
  add_test(NAME cli_${t}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/${t}.sh
                   $<TARGET_FILE:heaplab> $<TARGET_FILE:heaplab-testbuild>)
  set_tests_properties(cli_${t} PROPERTIES LABELS cli TIMEOUT 600)
endforeach()
