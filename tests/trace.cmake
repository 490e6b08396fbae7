# tests/trace.cmake — trace files: the reader, builder, importers and fuzz
# entry points (cmocka), heaplab record on our own test program, real
# glibc mtrace files, bad input.  Label: trace.
# (hl_port_host again after hl_workloads: the workloads call hl_panic)
hl_unit_test(test_trace SOURCES test_trace.c
             LIBS hl_trace hl_workloads hl_port_host LABELS "unit;trace")

# A trace as a workload (workloads/replay.c) through the runner on every
# heap allocator.
hl_unit_test(test_replay SOURCES test_replay.c
             LIBS hl_trace hl_core hl_allocators hl_workloads hl_port_host
             LABELS "unit;trace")

# The recorded programs: never sanitized (the recorder is preloaded into
# them), and -fno-builtin so that GCC keeps every malloc/free pair.
foreach(p record_prog mtrace_prog)
  add_executable(${p} trace/${p}.c)
  target_compile_options(${p} PRIVATE -O1 -fno-builtin -Wall -Wextra -Werror)
  target_link_libraries(${p} PRIVATE pthread)
endforeach()

foreach(t record mtrace bad_input)
  add_test(NAME trace_${t}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/trace/${t}.sh
                   $<TARGET_FILE:heaplab> $<TARGET_FILE:heaplab-testbuild>
                   $<TARGET_FILE:record_prog> $<TARGET_FILE:mtrace_prog>)
  set_tests_properties(trace_${t} PROPERTIES LABELS "cli;trace" TIMEOUT 600
                       SKIP_RETURN_CODE 77)
endforeach()

# The shipped traces (workloads/traces/*.hltrace.xz) read, and agree with
# their PROVENANCE.md (ops, peak live bytes, threads, unknown frees).
add_test(NAME trace_shipped
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/trace/shipped.sh
                 $<TARGET_FILE:heaplab> $<TARGET_FILE:heaplab-testbuild>
                 ${PROJECT_SOURCE_DIR}/workloads/traces)
set_tests_properties(trace_shipped PROPERTIES LABELS "cli;trace" TIMEOUT 600)

# The fuzz entry points (bench/host/trace_fuzz.c) are libFuzzer targets of
# tests/fuzz (fuzz_trace, fuzz_mtrace: checked preset, label fuzz,
# docs/fuzzing.md); test_trace runs them over every single-byte corruption.

# Traces as a workload (trace:PATH) on the host: a shipped trace on several
# allocators and a baseline with the header's checksum, the whole folder,
# bad paths and corrupt files.
add_test(NAME trace_replay
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/trace/replay.sh
                 $<TARGET_FILE:heaplab> $<TARGET_FILE:heaplab-testbuild>
                 ${PROJECT_SOURCE_DIR}/workloads/traces)
set_tests_properties(trace_replay PROPERTIES LABELS "cli;trace" TIMEOUT 1200)

# A trace replayed in the i386 kernel too (a multiboot module): host and
# kernel checksums equal; a trace too big for the guest is an error row.
if(HEAPLAB_BUILD_I386)
  find_program(HL_QEMU_I386 qemu-system-i386)
  if(HL_QEMU_I386)
    add_test(NAME trace_replay_kernel
             COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/kernel/replay_env.sh
                     $<TARGET_FILE:heaplab> ${PROJECT_SOURCE_DIR}/workloads/traces)
    set_tests_properties(trace_replay_kernel PROPERTIES LABELS "kernel;qemu;trace"
      TIMEOUT 1200 ENVIRONMENT
      "HEAPLAB_QEMU=${HL_QEMU_I386};HEAPLAB_KERNEL=${PROJECT_BINARY_DIR}/kernel_port/heaplab-kernel.elf")
  endif()
endif()
