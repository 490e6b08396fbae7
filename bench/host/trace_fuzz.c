/*
 * trace_fuzz.c — the fuzz entry points of trace.h, for the libFuzzer
 * framework (tests/fuzz wraps each in LLVMFuzzerTestOneInput) and for the
 * deterministic corruption test (tests/test_trace.c).  What must hold:
 *
 * hl_trace_fuzz_one (the reader, workloads/trace.c): any bytes are
 *   either refused with a reason and an offset inside the file, or
 *   accepted; an accepted file places its ops exactly at the end, its
 *   counts add up to nops, its peak is at least its end-live bytes.
 *   Memory: the scratch is 8 bytes per slot, at most half the file.
 * hl_mtrace_fuzz_one (the importer): any text is refused with a line
 *   number inside the text, or imported into ops that build a file the
 *   reader accepts (the round trip), holding exactly those ops.
 * A broken rule aborts (libFuzzer keeps the input).
 */
#include "bench/host/trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allocators/util.h"

#define REQUIRE(cond, what)                                                   \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "trace fuzz: %s:%d: %s\n", __FILE__, __LINE__,    \
                    what);                                                    \
            abort();                                                          \
        }                                                                     \
    } while (0)

int hl_trace_fuzz_one(const uint8_t *data, size_t size)
{
    uint8_t *f = aligned_alloc(16, (size + 16) / 16 * 16);
    REQUIRE(f, "out of memory");
    if (size)
        memcpy(f, data, size);
    struct hl_opbuf_header h;
    struct hl_trace_error e = {0};
    if (hl_trace_header(f, size, &h, &e) != 0) {
        REQUIRE(e.why && e.why[0] && e.at <= size, "header refusal without a "
                "reason or beyond the file");
        free(f);
        return 0;
    }
    uint64_t sb = hl_trace_scratch_bytes(&h);
    REQUIRE(sb <= HL_MAX((uint64_t)8, (uint64_t)size / 2), "scratch beyond half the file");
    void *scratch = malloc(sb ? sb : 8);
    REQUIRE(scratch, "out of memory");
    struct hl_trace t;
    if (hl_trace_open(f, size, scratch, sb, &t, &e) != 0) {
        REQUIRE(e.why && e.why[0] && e.at <= size, "refusal without a reason "
                "or beyond the file");
    } else {
        REQUIRE(t.h.header_bytes + t.nops * sizeof(struct hl_op) == size,
                "ops not at the end of the file");
        uint64_t sum = 0;
        for (int k = 0; k < HL_OP_NKINDS; k++)
            sum += t.st.ops_by_kind[k];
        REQUIRE(sum == t.nops, "op counts do not add up");
        REQUIRE(t.st.unknown_frees <= t.st.ops_by_kind[HL_OP_FREE],
                "more unknown frees than frees");
        REQUIRE(t.st.peak_live_bytes >= t.st.end_live_bytes &&
                    t.st.peak_live_blocks >= t.st.end_live_blocks,
                "peak below the end");
        REQUIRE(t.st.threads_used <= t.h.nthreads, "thread beyond the count");
    }
    free(scratch);
    free(f);
    return 0;
}

int hl_mtrace_fuzz_one(const uint8_t *data, size_t size)
{
    struct trace_builder b;
    trace_builder_init(&b);
    uint64_t line = 0;
    const char *why = NULL;
    if (trace_import_mtrace((const char *)data, size, &b, &line, &why) != 0) {
        uint64_t lines = 1;
        for (size_t i = 0; i < size; i++)
            lines += data[i] == '\n';
        REQUIRE(why && why[0] && line >= 1 && line <= lines,
                "refusal without a reason or beyond the last line");
        trace_builder_free(&b);
        return 0;
    }
    char err[256];
    size_t n = 0;
    uint8_t *f = trace_file_build("source=mtrace\n", 14, b.ops, b.nops, b.nslots,
                                  b.nthreads, &n, err, sizeof err);
    if (!f) {
        fprintf(stderr, "trace fuzz: %s\n", err);
        abort();
    }
    struct hl_opbuf_header h;
    struct hl_trace_error e;
    REQUIRE(hl_trace_header(f, n, &h, &e) == 0, "built header refused");
    void *scratch = malloc(hl_trace_scratch_bytes(&h) + 8);
    struct hl_trace t;
    REQUIRE(scratch && hl_trace_open(f, n, scratch, hl_trace_scratch_bytes(&h),
                                     &t, &e) == 0,
            "built trace refused");
    REQUIRE(t.nops == b.nops &&
                (!b.nops ||
                 !memcmp(t.ops, b.ops, (size_t)b.nops * sizeof *b.ops)),
            "ops changed on the round trip");
    REQUIRE(t.st.unknown_frees == b.c.unknown_frees, "unknown frees miscounted");
    free(scratch);
    free(f);
    trace_builder_free(&b);
    return 0;
}
