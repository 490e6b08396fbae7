/*
 * fuzz_trace.c — the trace file reader (workloads/trace.h:
 * hl_trace_header, hl_trace_open): the input is a whole .hltrace file.
 * The rules live with the reader, in bench/host/trace_fuzz.c
 * (hl_trace_fuzz_one), which tests/test_trace.c also runs over every
 * single-byte corruption of a valid file: any bytes are refused with a
 * reason and an offset inside the file, or accepted with ops placed
 * exactly at the end, counts that add up, a peak at least the end.
 */
#include <stddef.h>
#include <stdint.h>

#include "bench/host/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return hl_trace_fuzz_one(data, size);
}
