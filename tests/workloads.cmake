# tests/workloads.cmake — the tests of workloads/ (included last by
# tests/CMakeLists.txt, so hl_testlib and hl_unit_test() are defined).
include(CheckCSourceCompiles)

hl_unit_test(test_workloads SOURCES test_workloads.c LIBS hl_workloads)
hl_unit_test(test_opbuf SOURCES test_opbuf.c LIBS hl_workloads)

# "name checksum" at defaults and seed 1, natively and as a hosted 32-bit
# (ILP32) program: the i386 and x86-64 op streams must be the same bits,
# and both must equal the goldens written in test_workloads.c.
add_executable(wl_checksums wl_checksums_main.c port_stub.c)
target_link_libraries(wl_checksums PRIVATE hl_workloads)

set(CMAKE_REQUIRED_FLAGS -m32)
set(CMAKE_REQUIRED_LINK_OPTIONS -m32)
check_c_source_compiles("#include <stdio.h>
int main(void) { printf(\"%d\", 1); return 0; }" HL_HAVE_HOSTED_M32)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_REQUIRED_LINK_OPTIONS)

if(HL_HAVE_HOSTED_M32)
  # Not hl_options: its sanitizers have no 32-bit runtime here.
  add_executable(wl_checksums32 wl_checksums_main.c port_stub.c ${HL_WORKLOAD_SOURCES})
  target_include_directories(wl_checksums32 PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_definitions(wl_checksums32 PRIVATE HL_CHECK_LEVEL=${HEAPLAB_CHECK_LEVEL})
  target_compile_options(wl_checksums32 PRIVATE -m32 -Wall -Wextra -Werror)
  target_link_options(wl_checksums32 PRIVATE -m32)
  add_test(NAME workloads_i386_same_streams
           COMMAND wl_checksums --compare $<TARGET_FILE:wl_checksums32>
                   ${CMAKE_CURRENT_SOURCE_DIR}/test_workloads.c)
  # Where this machine's kernel cannot execute 32-bit programs, the binary
  # runs under qemu-i386 (qemu-user); without it, 77 (ctest then reports
  # the test as skipped, not passed).
  find_program(HL_QEMU_I386_USER qemu-i386)
  set_tests_properties(workloads_i386_same_streams PROPERTIES LABELS unit
                       SKIP_RETURN_CODE 77)
  if(HL_QEMU_I386_USER)
    set_tests_properties(workloads_i386_same_streams PROPERTIES
                         ENVIRONMENT "HEAPLAB_QEMU_I386_USER=${HL_QEMU_I386_USER}")
  endif()
else()
  message(WARNING "gcc -m32 cannot build a hosted program here (gcc-multilib?): "
                  "the i386 == x86-64 op stream test is not registered")
endif()

# workloads/ as the i386 kernel will link them.
if(TARGET hl_workloads_i386)
  add_test(NAME freestanding_workloads
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/freestanding_i386.sh hl_workloads
                   $<TARGET_OBJECTS:hl_workloads_i386>
           COMMAND_EXPAND_LISTS)
  set_tests_properties(freestanding_workloads PROPERTIES LABELS freestanding)
endif()
