/*
 * fuzz_mtrace.c — the glibc mtrace importer (bench/host/trace.h:
 * trace_import_mtrace): the input is the text of an mtrace log.  The
 * rules live with the importer, in bench/host/trace_fuzz.c
 * (hl_mtrace_fuzz_one): any text is refused with a line number inside
 * it, or imported into ops that build a trace file the reader accepts,
 * holding exactly those ops.
 */
#include <stddef.h>
#include <stdint.h>

#include "bench/host/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return hl_mtrace_fuzz_one(data, size);
}
