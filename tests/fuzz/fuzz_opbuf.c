/*
 * fuzz_opbuf.c — the op buffer / trace file reader's checks
 * (hl_opbuf_header_check, hl_opbuf_validate): the input is a whole trace
 * file.
 *
 * Checked: a header accepted for a file of n bytes places the ops inside
 * it (header_bytes >= 64, 16-aligned, header_bytes + 16 * nops == n,
 * meta within the header); a refusal names a reason and an offset inside
 * the header; validate accepts exactly the ops the documented rules allow
 * (recomputed here) and on refusal names the first bad op.
 */
#include <stdlib.h>
#include <string.h>

#include "workloads/opbuf.h"
#include "tests/fuzz/fuzz.h"

static bool op_ok(const struct hl_op *o, uint64_t nslots, uint32_t nthreads)
{
    if (o->kind >= HL_OP_NKINDS || o->slot >= nslots || o->thread >= nthreads)
        return false;
    if (o->kind == HL_OP_ALIGNED ? o->align_log2 > HL_OPBUF_MAX_ALIGN_LOG2
                                 : o->align_log2 != 0)
        return false;
    return o->kind != HL_OP_FREE || o->bytes == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hl_opbuf_header h;
    if (size < sizeof h) {
        memset(&h, 0, sizeof h);
        memcpy(&h, data, size);
    } else {
        memcpy(&h, data, sizeof h);
    }
    const char *why = NULL;
    size_t at = (size_t)-1;
    if (hl_opbuf_header_check(&h, size, &why, &at) != 0) {
        FZ_REQUIRE(why && why[0] && at <= size,
                   "header refused without a reason or at offset %zu", at);
        return 0;
    }
    FZ_REQUIRE(size >= sizeof h && h.header_bytes >= sizeof h &&
                   h.header_bytes % 16 == 0 && h.header_bytes <= size &&
                   (size - h.header_bytes) / 16 == h.nops &&
                   (size - h.header_bytes) % 16 == 0 &&
                   (uint64_t)sizeof h + h.meta_bytes <= h.header_bytes &&
                   h.nthreads >= 1,
               "header accepted for %zu bytes: header_bytes %u, nops %llu, "
               "meta %u",
               size, h.header_bytes, (unsigned long long)h.nops,
               h.meta_bytes);
    size_t n = (size_t)h.nops;
    struct hl_op *ops = malloc(n * sizeof *ops + 1);
    memcpy(ops, data + h.header_bytes, n * sizeof *ops);
    size_t bad = (size_t)-1, first_bad = n;
    why = NULL;
    int rc = hl_opbuf_validate(ops, n, h.nslots, h.nthreads, &bad, &why);
    for (size_t i = 0; i < n && first_bad == n; i++)
        if (!op_ok(&ops[i], h.nslots, h.nthreads))
            first_bad = i;
    if (first_bad == n)
        FZ_REQUIRE(rc == 0, "validate refused op %zu (%s), the rules allow "
                   "it", bad, why ? why : "?");
    else
        FZ_REQUIRE(rc == -1 && bad == first_bad && why && why[0],
                   "validate: rc %d, bad %zu; the rules say op %zu is bad",
                   rc, bad, first_bad);
    free(ops);
    return 0;
}
