/*
 * no_test_allocators.c — the `heaplab` binary has no test-only allocators
 * (heaplab-testbuild links test_allocators.c instead).
 */
#include "bench/host/cli.h"

const struct hl_allocator *const hl_test_allocators[] = {NULL};
