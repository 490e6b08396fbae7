/*
 * leak.c — the leak detector's table and report (leak.h).  Freestanding:
 * the records live in the caller's memory; nothing here allocates.
 */
#include "bench/core/leak.h"

#include "allocators/port.h"
#include "bench/core/runner.h"

_Static_assert(HL_LEAK_CLASSES >= 2, "a class for 0..1 byte and one beyond");

size_t hl_leak_table_bytes(uint64_t max_live)
{
    uint64_t cap = 2;
    while (cap < 2 * max_live) {
        if (cap > UINT64_MAX / 2)
            return 0;
        cap *= 2;
    }
    if (max_live > UINT64_MAX / 2 || cap > SIZE_MAX / sizeof(struct hl_leak_rec))
        return 0;
    return (size_t)cap * sizeof(struct hl_leak_rec);
}

void hl_leak_reset(struct hl_leak_table *t)
{
    hl_memset(t->recs, 0, (size_t)t->cap * sizeof t->recs[0]);
    t->live = t->live_bytes = 0;
    t->untracked = t->untracked_bytes = 0;
    t->invalid_frees = t->first_invalid_site = 0;
    t->alloc_live_blocks = t->alloc_live_bytes = 0;
}

bool hl_leak_init(struct hl_leak_table *t, void *mem, size_t bytes, uint64_t max_live)
{
    size_t need = hl_leak_table_bytes(max_live);
    if (need == 0 || bytes < need)
        return false;
    t->recs = mem;
    t->cap = need / sizeof(struct hl_leak_rec);
    t->max_live = max_live;
    t->live = t->live_bytes = 0;
    t->untracked = t->untracked_bytes = 0;
    t->invalid_frees = t->first_invalid_site = 0;
    t->alloc_live_blocks = t->alloc_live_bytes = 0;
    return true;
}

/* Fibonacci hashing of the address (its low bits are alignment zeros). */
static uint64_t home(const struct hl_leak_table *t, uintptr_t p)
{
    uint64_t h = (uint64_t)p * 0x9e3779b97f4a7c15ull;
    return (h ^ (h >> 29)) & (t->cap - 1);
}

/* The record holding p, or the empty one where p would go. */
static uint64_t probe(const struct hl_leak_table *t, uintptr_t p)
{
    uint64_t i = home(t, p);
    while (t->recs[i].ptr != 0 && t->recs[i].ptr != p)
        i = (i + 1) & (t->cap - 1);
    return i;
}

bool hl_leak_alloc(struct hl_leak_table *t, const void *ptr, uint64_t bytes, uint64_t site,
                   uint32_t thread)
{
    uintptr_t p = (uintptr_t)ptr;
    HL_ASSERT(p != 0);
    if (t->live >= t->max_live) {
        t->untracked++;
        t->untracked_bytes += bytes;
        return false;
    }
    uint64_t i = probe(t, p);
    HL_ASSERT(t->recs[i].ptr == 0);
    t->recs[i] = (struct hl_leak_rec){.ptr = p, .thread = thread, .site = site, .bytes = bytes};
    t->live++;
    t->live_bytes += bytes;
    return true;
}

bool hl_leak_free(struct hl_leak_table *t, const void *ptr, uint64_t site)
{
    uintptr_t p = (uintptr_t)ptr;
    uint64_t mask = t->cap - 1;
    uint64_t i = p ? probe(t, p) : 0;
    if (p == 0 || t->recs[i].ptr == 0) {
        if (t->invalid_frees++ == 0)
            t->first_invalid_site = site;
        return false;
    }
    t->live--;
    t->live_bytes -= t->recs[i].bytes;
    /* Backward shift: move later records of the run into the hole when
     * the hole lies on their probe path (between their home and them). */
    uint64_t hole = i;
    for (uint64_t j = (i + 1) & mask; t->recs[j].ptr != 0; j = (j + 1) & mask) {
        uint64_t h = home(t, t->recs[j].ptr);
        if (((j - h) & mask) >= ((j - hole) & mask)) {
            t->recs[hole] = t->recs[j];
            hole = j;
        }
    }
    t->recs[hole].ptr = 0;
    return true;
}

void hl_leak_set_allocator(struct hl_leak_table *t, uint64_t live_blocks, uint64_t live_bytes)
{
    t->alloc_live_blocks = live_blocks;
    t->alloc_live_bytes = live_bytes;
}

/* ---- the report ------------------------------------------------------------ */

unsigned hl_leak_class(uint64_t bytes)
{
    unsigned k = 0;
    while (k + 1 < HL_LEAK_CLASSES && hl_leak_class_max(k) < bytes)
        k++;
    return k;
}

uint64_t hl_leak_class_max(unsigned k)
{
    if (k + 1 >= HL_LEAK_CLASSES)
        return UINT64_MAX;
    return k == 0 ? 1 : (uint64_t)1 << k;
}

/* Does a come before b in the first-by-site list? */
static bool earlier(const struct hl_leak_entry *a, const struct hl_leak_entry *b)
{
    return a->site < b->site;
}

/* ... in the largest list: more bytes, then the lower site. */
static bool larger(const struct hl_leak_entry *a, const struct hl_leak_entry *b)
{
    return a->bytes > b->bytes || (a->bytes == b->bytes && a->site < b->site);
}

/* Keep e in the sorted list v (n of at most max) if it belongs there. */
static void keep(struct hl_leak_entry *v, uint32_t *n, uint32_t max,
                 const struct hl_leak_entry *e,
                 bool (*before)(const struct hl_leak_entry *, const struct hl_leak_entry *))
{
    if (max == 0 || (*n == max && !before(e, &v[*n - 1])))
        return;
    uint32_t i = *n < max ? (*n)++ : max - 1;
    for (; i > 0 && before(e, &v[i - 1]); i--)
        v[i] = v[i - 1];
    v[i] = *e;
}

void hl_leak_report(const struct hl_leak_table *t, uint32_t list, struct hl_leak_report *r)
{
    hl_memset(r, 0, sizeof *r);
    if (list > HL_LEAK_LIST_MAX)
        list = HL_LEAK_LIST_MAX;
    for (uint64_t i = 0; i < t->cap; i++) {
        const struct hl_leak_rec *rec = &t->recs[i];
        if (rec->ptr == 0)
            continue;
        struct hl_leak_entry e = {.site = rec->site, .bytes = rec->bytes,
                                  .thread = rec->thread};
        r->count++;
        r->bytes += rec->bytes;
        unsigned k = hl_leak_class(rec->bytes);
        r->class_count[k]++;
        r->class_bytes[k] += rec->bytes;
        keep(r->first, &r->nfirst, list, &e, earlier);
        keep(r->largest, &r->nlargest, list, &e, larger);
    }
    /* The allocator's leaks: the blocks it still counts beyond the
     * table's, in its own byte count (which may include rounding). */
    uint64_t known = t->live + t->untracked;
    if (t->alloc_live_blocks > known) {
        r->alloc_count = t->alloc_live_blocks - known;
        uint64_t known_bytes = t->live_bytes + t->untracked_bytes;
        r->alloc_bytes = t->alloc_live_bytes > known_bytes ? t->alloc_live_bytes - known_bytes
                                                           : 0;
    }
    r->untracked = t->untracked;
    r->untracked_bytes = t->untracked_bytes;
    r->invalid_frees = t->invalid_frees;
    r->first_invalid_site = t->first_invalid_site;
}

void hl_leak_rows(const struct hl_leak_report *r, bool program_owned,
                  const struct hl_row_ids *id, char *buf, size_t cap, hl_leak_emit_fn emit,
                  void *ctx)
{
    const char *owner = program_owned ? HL_LEAK_OWNER_PROGRAM : HL_LEAK_OWNER_HARNESS;
    struct hl_leak_row row = {.kind = HL_LEAK_KIND_TOTAL, .owner = owner,
                              .count = r->count, .bytes = r->bytes};
    emit(ctx, buf, hl_format_leak_row(buf, cap, id, &row));
    row = (struct hl_leak_row){.kind = HL_LEAK_KIND_TOTAL, .owner = HL_LEAK_OWNER_ALLOCATOR,
                               .count = r->alloc_count, .bytes = r->alloc_bytes};
    emit(ctx, buf, hl_format_leak_row(buf, cap, id, &row));
    if (r->untracked) {
        row = (struct hl_leak_row){.kind = HL_LEAK_KIND_UNTRACKED,
                                   .owner = HL_LEAK_OWNER_HARNESS, .count = r->untracked,
                                   .bytes = r->untracked_bytes};
        emit(ctx, buf, hl_format_leak_row(buf, cap, id, &row));
    }
    if (r->invalid_frees) {
        row = (struct hl_leak_row){.kind = HL_LEAK_KIND_INVALID_FREE,
                                   .owner = HL_LEAK_OWNER_HARNESS, .has_site = true,
                                   .site = r->first_invalid_site, .count = r->invalid_frees};
        emit(ctx, buf, hl_format_leak_row(buf, cap, id, &row));
    }
    for (int pass = 0; pass < 2; pass++) {
        const struct hl_leak_entry *v = pass ? r->largest : r->first;
        uint32_t n = pass ? r->nlargest : r->nfirst;
        for (uint32_t i = 0; i < n; i++) {
            row = (struct hl_leak_row){
                .kind = pass ? HL_LEAK_KIND_LARGEST : HL_LEAK_KIND_FIRST, .owner = owner,
                .has_site = true, .site = v[i].site, .thread = v[i].thread,
                .has_size = true, .size_bytes = v[i].bytes, .count = 1, .bytes = v[i].bytes};
            emit(ctx, buf, hl_format_leak_row(buf, cap, id, &row));
        }
    }
    for (unsigned k = 0; k < HL_LEAK_CLASSES; k++) {
        if (!r->class_count[k])
            continue;
        row = (struct hl_leak_row){.kind = HL_LEAK_KIND_CLASS, .owner = owner,
                                   .has_size = true, .size_bytes = hl_leak_class_max(k),
                                   .count = r->class_count[k], .bytes = r->class_bytes[k]};
        emit(ctx, buf, hl_format_leak_row(buf, cap, id, &row));
    }
}
