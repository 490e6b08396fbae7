# allocators/ compiled exactly as the i386 kernel will link them:
# -m32 -ffreestanding, no libc headers (-nostdinc; only the compiler's own
# stddef.h/stdint.h/stdbool.h/stdalign.h), no PIC.  A test
# (tests/freestanding_i386.sh) links them with `ld -m elf_i386 -r` and
# checks that they reference nothing but the port hooks, mem* and libgcc.
set(_srcs ${PROJECT_SOURCE_DIR}/allocators/registry.c
          ${PROJECT_SOURCE_DIR}/allocators/param.c)
foreach(a IN LISTS HL_ALLOCATOR_NAMES)
  list(APPEND _srcs ${PROJECT_SOURCE_DIR}/allocators/${a}.c)
endforeach()
add_library(hl_allocators_i386 OBJECT ${_srcs})
target_include_directories(hl_allocators_i386 PRIVATE ${PROJECT_SOURCE_DIR})
target_compile_definitions(hl_allocators_i386 PRIVATE HL_CHECK_LEVEL=${HEAPLAB_CHECK_LEVEL})
target_compile_options(hl_allocators_i386 PRIVATE ${HL_I386_FLAGS})
# The host build type's flags (-O3, sanitizers) must not leak in.
set_target_properties(hl_allocators_i386 PROPERTIES
  C_STANDARD 11 C_EXTENSIONS OFF INTERPROCEDURAL_OPTIMIZATION OFF)
