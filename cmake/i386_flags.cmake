# HL_I386_FLAGS: how every freestanding i386 object of heaplab is compiled
# (allocators/, workloads/, bench/core/ and the kernel): -m32
# -ffreestanding, no libc headers (-nostdinc; only the compiler's own
# stddef.h/stdint.h/stdbool.h/stdalign.h), no PIC, no FPU/SIMD.
execute_process(
  COMMAND ${CMAKE_C_COMPILER} -m32 -print-file-name=include
  OUTPUT_VARIABLE HL_CC_INCLUDE OUTPUT_STRIP_TRAILING_WHITESPACE)

set(HL_I386_FLAGS
  -m32 -march=i686 -ffreestanding -nostdlib -nostdinc -isystem ${HL_CC_INCLUDE}
  -fno-pic -fno-pie -fno-stack-protector -fno-builtin-malloc
  -mno-sse -mno-mmx -mno-80387
  -std=c11 -O2 -Wall -Wextra -Werror CACHE INTERNAL "")

