/*
 * trace.c — the trace reader (trace.h): a whole file validated in one
 * pass over the header, the meta text and the ops, with the slots' state
 * kept in caller-given scratch.  Freestanding.
 */
#include "workloads/trace.h"

#include "allocators/util.h"

#define HDR_AT(field) offsetof(struct hl_opbuf_header, field)

static int fail(struct hl_trace_error *e, const char *why, uint64_t at)
{
    e->why = why;
    e->at = at;
    return -1;
}

int hl_trace_header(const void *file, uint64_t file_bytes,
                    struct hl_opbuf_header *h, struct hl_trace_error *e)
{
    hl_memset(h, 0, sizeof *h);
    if (file_bytes)
        hl_memcpy(h, file, file_bytes < sizeof *h ? (size_t)file_bytes : sizeof *h);
    const char *why = NULL;
    size_t at = 0;
    if (hl_opbuf_header_check(h, file_bytes, &why, &at) != 0)
        return fail(e, why, at);
    if (h->nslots > HL_MAX(h->nops, (uint64_t)1))
        return fail(e, "slot count above the op count", HDR_AT(nslots));
    return 0;
}

uint64_t hl_trace_scratch_bytes(const struct hl_opbuf_header *h)
{
    return h->nslots * HL_TRACE_SCRATCH_PER_SLOT;
}

/* Every line "key=value": a non-empty key of no '=' and no NUL. */
static int check_meta(const char *m, uint32_t n, struct hl_trace_error *e)
{
    uint32_t line = 0; /* where the current line starts */
    bool seen_eq = false;
    for (uint32_t i = 0; i < n; i++) {
        if (m[i] == '\0')
            return fail(e, "NUL byte in the meta text",
                        sizeof(struct hl_opbuf_header) + i);
        if (m[i] == '=' && !seen_eq) {
            if (i == line)
                return fail(e, "meta line with an empty key",
                            sizeof(struct hl_opbuf_header) + i);
            seen_eq = true;
        }
        if (m[i] == '\n') {
            if (!seen_eq)
                return fail(e, "meta line without '='",
                            sizeof(struct hl_opbuf_header) + line);
            line = i + 1;
            seen_eq = false;
        }
    }
    if (line < n && !seen_eq)
        return fail(e, "meta line without '='",
                    sizeof(struct hl_opbuf_header) + line);
    return 0;
}

/* slot state: 0 empty, else requested bytes + 1 */
static inline void live_add(struct hl_trace_stats *st, uint64_t *live_bytes,
                            uint64_t *live_blocks, uint64_t bytes)
{
    *live_bytes += bytes;
    *live_blocks += 1;
    if (*live_bytes > st->peak_live_bytes)
        st->peak_live_bytes = *live_bytes;
    if (*live_blocks > st->peak_live_blocks)
        st->peak_live_blocks = *live_blocks;
}

/* The stateful pass: returns the index of the first bad op (and its
 * reason) or nops. */
static uint64_t replay_slots(const struct hl_op *ops, uint64_t nops,
                             uint64_t nslots, uint64_t *slot,
                             struct hl_trace_stats *st, const char **why)
{
    uint64_t live_bytes = 0, live_blocks = 0;
    hl_memset(slot, 0, (size_t)nslots * sizeof *slot);
    for (uint64_t i = 0; i < nops; i++) {
        const struct hl_op *op = &ops[i];
        uint64_t *s = &slot[op->slot];
        if (op->bytes > HL_TRACE_MAX_BYTES) {
            *why = "size above 2^48 bytes";
            return i;
        }
        if ((uint32_t)op->thread + 1 > st->threads_used)
            st->threads_used = (uint32_t)op->thread + 1;
        st->ops_by_kind[op->kind]++;
        switch (op->kind) {
        case HL_OP_FREE:
            if (*s == 0) {
                st->unknown_frees++;
                break;
            }
            live_bytes -= *s - 1;
            live_blocks--;
            *s = 0;
            break;
        case HL_OP_REALLOC:
            if (*s == 0) {
                st->realloc_empty++;
            } else {
                live_bytes -= *s - 1;
                live_blocks--;
            }
            *s = op->bytes + 1;
            live_add(st, &live_bytes, &live_blocks, op->bytes);
            break;
        default: /* ALLOC, CALLOC, ALIGNED */
            if (*s != 0) {
                *why = "alloc into a live slot";
                return i;
            }
            *s = op->bytes + 1;
            live_add(st, &live_bytes, &live_blocks, op->bytes);
            break;
        }
    }
    st->end_live_bytes = live_bytes;
    st->end_live_blocks = live_blocks;
    return nops;
}

int hl_trace_peaks(const struct hl_op *ops, uint64_t nops, uint64_t nslots,
                   void *scratch, struct hl_trace_stats *st)
{
    const char *why = NULL;
    hl_memset(st, 0, sizeof *st);
    for (uint64_t i = 0; i < nops; i++)
        if (ops[i].slot >= nslots || ops[i].kind >= HL_OP_NKINDS)
            return -1;
    return replay_slots(ops, nops, nslots, scratch, st, &why) == nops ? 0 : -1;
}

int hl_trace_open(const void *file, uint64_t file_bytes, void *scratch,
                  uint64_t scratch_bytes, struct hl_trace *t,
                  struct hl_trace_error *e)
{
    hl_memset(t, 0, sizeof *t);
    if (hl_trace_header(file, file_bytes, &t->h, e) != 0)
        return -1;
    if (!HL_IS_ALIGNED((uintptr_t)file, (uintptr_t)8))
        return fail(e, "file not 8-byte aligned in memory", 0);
    if (scratch_bytes < hl_trace_scratch_bytes(&t->h))
        return fail(e, "slot count too large for the scratch memory",
                    HDR_AT(nslots));
    const uint8_t *bytes = file;
    t->meta = (const char *)bytes + sizeof(struct hl_opbuf_header);
    t->meta_bytes = t->h.meta_bytes;
    if (check_meta(t->meta, t->meta_bytes, e) != 0)
        return -1;
    /* Padding between the meta text and the ops is zero. */
    for (uint64_t i = sizeof(struct hl_opbuf_header) + t->h.meta_bytes;
         i < t->h.header_bytes; i++)
        if (bytes[i] != 0)
            return fail(e, "padding after the meta text not 0", i);
    t->ops = (const struct hl_op *)(bytes + t->h.header_bytes);
    t->nops = t->h.nops;
    size_t bad = 0;
    const char *why = NULL;
    if (hl_opbuf_validate(t->ops, (size_t)t->nops, t->h.nslots, t->h.nthreads,
                          &bad, &why) != 0)
        return fail(e, why, t->h.header_bytes + (uint64_t)bad * sizeof(struct hl_op));
    uint64_t at = replay_slots(t->ops, t->nops, t->h.nslots, scratch, &t->st, &why);
    if (at != t->nops)
        return fail(e, why, t->h.header_bytes + at * sizeof(struct hl_op));
    uint64_t sum = HL_WL_CHECKSUM0;
    for (uint64_t i = 0; i < t->nops; i++)
        sum = hl_wl_checksum_op(sum, &t->ops[i]);
    if (sum != t->h.checksum)
        return fail(e, "checksum does not match the ops", HDR_AT(checksum));
    if (t->h.peak_live_bytes != 0 && t->h.peak_live_bytes != t->st.peak_live_bytes)
        return fail(e, "peak_live_bytes does not match the ops",
                    HDR_AT(peak_live_bytes));
    return 0;
}

const char *hl_trace_meta(const struct hl_trace *t, const char *key,
                          size_t *len)
{
    size_t klen = 0;
    while (key[klen])
        klen++;
    const char *m = t->meta, *end = t->meta + t->meta_bytes;
    while (m < end) {
        const char *nl = m;
        while (nl < end && *nl != '\n')
            nl++;
        if ((size_t)(nl - m) > klen && m[klen] == '=' &&
            hl_memcmp(m, key, klen) == 0) {
            *len = (size_t)(nl - m) - klen - 1;
            return m + klen + 1;
        }
        m = nl + 1;
    }
    return NULL;
}
