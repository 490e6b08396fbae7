/*
 * trace_merge.c — the recorder's raw records (bench/record/raw.h) into a
 * trace: sorted by their sequence number (the process's one global
 * order), then fed to the builder, which maps addresses to slots.
 */
#include "bench/host/trace.h"

#include <stdlib.h>
#include <string.h>

#include "bench/record/raw.h"

static int by_seq(const void *a, const void *b)
{
    uint64_t x = ((const struct hl_raw_rec *)a)->seq;
    uint64_t y = ((const struct hl_raw_rec *)b)->seq;
    return x < y ? -1 : x > y;
}

/* A realloc between its two halves, per thread. */
struct pending {
    bool active, unknown;
    uint64_t addr, slot;
};

int trace_merge_raw(void *raw, size_t raw_bytes, struct trace_builder *b,
                    const char **why)
{
    size_t n = raw_bytes / sizeof(struct hl_raw_rec);
    struct hl_raw_rec *r = raw;
    struct pending *pend = calloc(UINT16_MAX + 1, sizeof *pend);
    if (!pend) {
        *why = "out of memory";
        return -1;
    }
    if (raw_bytes % sizeof *r)
        b->c.lost_records++; /* a torn last write */
    /* one thread's records are already in order: no sort */
    size_t i0 = 1;
    while (i0 < n && r[i0 - 1].seq < r[i0].seq)
        i0++;
    if (i0 < n)
        qsort(r, n, sizeof *r, by_seq);
    uint64_t expect = 0;
    for (size_t i = 0; i < n && !b->oom; i++) {
        const struct hl_raw_rec *x = &r[i];
        if (x->seq != expect) {
            if (x->seq < expect) { /* a duplicate: not ours */
                *why = "two raw records with one sequence number";
                free(pend);
                return -1;
            }
            b->c.lost_records += x->seq - expect;
        }
        expect = x->seq + 1;
        struct pending *p = &pend[x->thread];
        switch (x->kind) {
        case HL_RAW_ALLOC:
        case HL_RAW_CALLOC:
        case HL_RAW_ALIGNED:
            if (!x->addr) {
                b->c.failed_allocs++;
                break;
            }
            trace_b_alloc(b,
                          x->kind == HL_RAW_ALLOC    ? HL_OP_ALLOC
                          : x->kind == HL_RAW_CALLOC ? HL_OP_CALLOC
                                                     : HL_OP_ALIGNED,
                          x->kind == HL_RAW_ALIGNED ? x->align_log2 : 0,
                          x->thread, x->addr, x->bytes);
            break;
        case HL_RAW_FREE:
            if (!x->addr)
                b->c.free_null++;
            else
                trace_b_free(b, x->thread, x->addr);
            break;
        case HL_RAW_REALLOC_OUT:
            if (p->active) /* its IN half was lost */
                b->c.lost_records++;
            p->active = true;
            p->addr = x->addr;
            p->slot = trace_b_realloc_out(b, x->addr, &p->unknown);
            break;
        case HL_RAW_REALLOC_IN:
            if (!p->active) { /* its OUT half was lost: an alloc */
                b->c.lost_records++;
                p->addr = 0;
                p->slot = TRACE_NO_SLOT;
                p->unknown = false;
            }
            p->active = false;
            trace_b_realloc_in(b, x->thread, p->addr, p->slot, p->unknown,
                               x->addr, x->bytes);
            break;
        case HL_RAW_USABLE:
            b->c.usable_size_calls++;
            break;
        default:
            *why = "a raw record of an unknown kind";
            free(pend);
            return -1;
        }
    }
    free(pend);
    if (b->oom) {
        *why = "out of memory (or more than 2^32 live blocks)";
        return -1;
    }
    return 0;
}
