# tests/exec.cmake — heaplab exec and its preload shim (bench/exec/):
# our test program under every heap allocator and installed baseline,
# real sort, crashes, timeouts, bad input.  Label: exec.
# The program is never sanitized (the shim is preloaded into it) and is
# built with -fno-builtin so GCC keeps every malloc/free pair.
add_executable(exec_prog exec/exec_prog.c)
target_compile_options(exec_prog PRIVATE -O1 -fno-builtin -Wall -Wextra -Werror)
target_link_libraries(exec_prog PRIVATE pthread)
add_dependencies(exec_prog heaplab-exec)

add_test(NAME exec_cli
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/exec/exec.sh
                 $<TARGET_FILE:heaplab> $<TARGET_FILE:heaplab-testbuild>
                 $<TARGET_FILE:exec_prog>)
set_tests_properties(exec_cli PROPERTIES LABELS "cli;exec" TIMEOUT 600)
