/*
 * port_stub.c — allocators/port.h for the small hosted programs that are
 * also built with -m32 (tests/wl_checksums_main.c): stdio only, so it
 * links against a plain 32-bit libc (bench/host/port_host.c is built for
 * the host's word size with the project's options and sanitizers).
 */
#include <stdio.h>
#include <stdlib.h>

#include "allocators/port.h"

_Noreturn void hl_panic(const char *file, int line, const char *msg)
{
    fflush(stdout);
    fprintf(stderr, "heaplab: panic at %s:%d: %s\n", file, line, msg);
    abort();
}

void hl_report(const char *allocator, const char *what, const void *ptr,
               size_t bytes)
{
    fprintf(stderr, "heaplab: %s: %s: %p (%lu bytes)\n", allocator, what, ptr,
            (unsigned long)bytes);
}

void hl_log(const char *line) { fprintf(stderr, "heaplab: %s\n", line); }
