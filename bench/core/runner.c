/*
 * runner.c — one pass of a cell (runner.h): drive a workload's op stream
 * through an allocator, time it, sample space, count leaks; and the
 * timer's calibration.  Freestanding, integer-only (docs/measurement.md
 * explains every figure).
 *
 * The three passes run the same stream over a freshly initialised
 * allocator; they differ in what happens around each op:
 *
 *   WARMUP  checksums, peak live bytes, leaks; the leak detector's table
 *           (leak.h) fed with every block granted and freed; nothing
 *           timed
 *   BATCH   one fenced clock pair around the whole stream, and nothing but
 *           the generator, the slot table and the allocator inside it (no
 *           checksums); then the same stream once more with every
 *           allocator call replaced by a store, timed the same way
 *           (harness_ticks: what the harness alone costs)
 *   PEROP   checksums; each allocator call alone between a clock pair,
 *           raw delta into the histogram; space (and resident pages)
 *           sampled between ops; heap blocks written page by page after
 *           the clock pair when the caller asks (touch_blocks).  Its
 *           modelled variant (perop_modelled) reads no clock: each call
 *           sits between the cost plugin's op-begin and op-end markers
 *           instead, inside one per-op region (marker.h), and the plugin
 *           keeps the histogram
 *
 * Whatever a pass does not measure it leaves untouched in the result, so
 * the caller zeroes the result once per repetition and lets BATCH and
 * PEROP fill their halves.
 */
#include "bench/core/runner.h"

#include "allocators/util.h"
#include "bench/core/clock.h"
#include "bench/core/marker.h"
#include "workloads/opbuf.h"

#define PPM 1000000u

/* The timed loop must not be specialised for one allocator (the floor
 * runs it with another): GCC would clone it per constant argument. */
#if defined(__clang__)
#define HL_NOCLONE
#else
#define HL_NOCLONE __attribute__((noclone))
#endif

/* ---- calibration ---------------------------------------------------------- */

/* Heapsort, ascending: O(n log n), no recursion, no extra memory. */
static void sift_down(uint64_t *v, uint64_t root, uint64_t n)
{
    for (;;) {
        uint64_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && v[child + 1] > v[child])
            child++;
        if (v[root] >= v[child])
            return;
        uint64_t t = v[root];
        v[root] = v[child];
        v[child] = t;
        root = child;
    }
}

static void sort_u64(uint64_t *v, uint64_t n)
{
    if (n < 2)
        return;
    for (uint64_t i = n / 2; i-- > 0;)
        sift_down(v, i, n);
    for (uint64_t end = n - 1; end > 0; end--) {
        uint64_t t = v[0];
        v[0] = v[end];
        v[end] = t;
        sift_down(v, 0, end);
    }
}

void hl_clock_calibrate(struct hl_clock_cal *cal, uint64_t *scratch,
                        uint64_t samples)
{
    HL_ASSERT(samples >= 16);
    for (uint64_t i = 0; i < samples; i++) {
        uint64_t t0 = hl_clock_start();
        uint64_t t1 = hl_clock_stop();
        scratch[i] = t1 - t0;
    }
    sort_u64(scratch, samples);
    cal->overhead = scratch[samples / 2];
    cal->overhead_min = scratch[0];
    cal->samples = samples;

    /* Resolution: a run of back-to-back reads, then the smallest non-zero
     * step between neighbours (0 if the clock never moved). */
    for (uint64_t i = 0; i < samples; i++)
        scratch[i] = hl_clock_start();
    uint64_t res = 0;
    for (uint64_t i = 1; i < samples; i++) {
        uint64_t d = scratch[i] - scratch[i - 1];
        if (d != 0 && (res == 0 || d < res))
            res = d;
    }
    cal->resolution = res;
}

/* ---- helpers -------------------------------------------------------------- */

#define FNV_PRIME 0x100000001b3ull

/* FNV-1a 64 over v as 8 little-endian bytes. */
static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++) {
        h ^= (uint8_t)(v >> (8 * i));
        h *= FNV_PRIME;
    }
    return h;
}

/* The region-relative frame number of p, or UINT64_MAX for a failed alloc. */
static uint64_t frame_of(const struct hl_cell_config *c, const void *p)
{
    if (!p)
        return UINT64_MAX;
    return (uint64_t)(((uintptr_t)p - (uintptr_t)c->region) >> HL_FRAME_SHIFT);
}

/* After a pass: slots still filled, plus blocks the allocator still counts
 * beyond them.  The result keeps the worst pass seen. */
static void count_leaks(const struct hl_cell_config *c,
                        struct hl_cell_result *r)
{
    uint64_t filled = 0;
    uint64_t listed[HL_LEAKS_LISTED];
    uint32_t nlisted = 0;
    for (uint64_t i = 0; i < c->nslots; i++) {
        if (!c->slots[i].ptr)
            continue;
        if (nlisted < HL_LEAKS_LISTED)
            listed[nlisted++] = i;
        filled++;
    }
    struct hl_stats s;
    c->a->stats(c->state, &s);
    uint64_t leaks = filled;
    if ((uint64_t)s.live_blocks > filled)
        leaks += (uint64_t)s.live_blocks - filled;
    if (leaks > r->leaks || (leaks == r->leaks && r->nleaked_listed == 0)) {
        r->leaks = leaks;
        r->nleaked_listed = nlisted;
        for (uint32_t i = 0; i < nlisted; i++)
            r->leaked_slots[i] = listed[i];
    }
}

/* ---- the op loop ------------------------------------------------------------
 *
 * Every pass runs the stream from the op buffer.  ALLOC and FREE are the
 * fast path; REALLOC, CALLOC and over-aligned allocs (recorded traces)
 * go through op_slow, out of line.  An aligned alloc whose alignment the
 * allocator does not give by itself over-allocates by align + 16 bytes
 * and keeps the raw block and its size in the two words below the
 * aligned pointer; the slot's bytes then carry SLOT_OVERALIGNED.
 */

#define SLOT_OVERALIGNED ((uint64_t)1 << 63)

/* What a request of `bytes` adds to live bytes (0 is served as 1). */
static uint64_t live_of(uint64_t bytes)
{
    bytes &= ~SLOT_OVERALIGNED;
    return bytes ? bytes : 1;
}

static void slot_free(const struct hl_allocator *a, void *state,
                      struct hl_slot *s)
{
    if (s->bytes & SLOT_OVERALIGNED) {
        uintptr_t *hidden = (uintptr_t *)s->ptr;
        a->free(state, (void *)hidden[-1], (size_t)hidden[-2]);
    } else {
        a->free(state, s->ptr, (size_t)s->bytes);
    }
    s->ptr = NULL;
}

static void *aligned_alloc_op(const struct hl_allocator *a, void *state,
                              uint64_t bytes, unsigned align_log2,
                              uint64_t *slot_bytes)
{
    uint64_t align = (uint64_t)1 << align_log2;
    *slot_bytes = bytes;
    if (align <= a->align_bytes)
        return a->alloc(state, (size_t)bytes);
    uint64_t raw_bytes = bytes + align + 2 * sizeof(uintptr_t);
    if (raw_bytes < bytes || raw_bytes > SIZE_MAX)
        return NULL;
    void *raw = a->alloc(state, (size_t)raw_bytes);
    if (!raw)
        return NULL;
    uintptr_t p = HL_ALIGN_UP((uintptr_t)raw + 2 * sizeof(uintptr_t),
                              (uintptr_t)align);
    ((uintptr_t *)p)[-1] = (uintptr_t)raw;
    ((uintptr_t *)p)[-2] = (uintptr_t)raw_bytes;
    *slot_bytes = bytes | SLOT_OVERALIGNED;
    return (void *)p;
}

static const struct hl_allocator null_allocator;

/* REALLOC, CALLOC, ALIGNED; and FREE of an over-aligned block.  Returns
 * true if the op asked the allocator for memory it did not get.  For the
 * floor's null allocator, whose blocks are fake addresses, each op is
 * one alloc (and a free of the old block): no zeroing, copying or
 * hidden words, which are the allocator side's cost. */
static __attribute__((noinline)) bool op_slow(const struct hl_allocator *a,
                                              void *state, struct hl_slot *s,
                                              const struct hl_op *op)
{
    void *p;
    uint64_t bytes = op->bytes;
    if (a == &null_allocator) {
        if (s->ptr)
            a->free(state, s->ptr, 0);
        s->ptr = op->kind == HL_OP_FREE ? NULL : a->alloc(state, (size_t)bytes);
        s->bytes = bytes;
        return false;
    }
    switch (op->kind) {
    case HL_OP_FREE:
        if (s->ptr)
            slot_free(a, state, s);
        return false;
    case HL_OP_CALLOC:
        p = a->alloc(state, (size_t)bytes);
        if (p)
            hl_memset(p, 0, (size_t)bytes);
        break;
    case HL_OP_ALIGNED:
        s->ptr = aligned_alloc_op(a, state, bytes, op->align_log2, &s->bytes);
        return s->ptr == NULL;
    default: /* HL_OP_REALLOC: alloc, copy, free (no allocator has realloc) */
        p = a->alloc(state, (size_t)bytes);
        if (p && s->ptr) {
            uint64_t old = s->bytes & ~SLOT_OVERALIGNED;
            hl_memcpy(p, s->ptr, (size_t)(old < bytes ? old : bytes));
        }
        if (p && s->ptr)
            slot_free(a, state, s);
        if (!p)
            return true; /* the old block stays in its slot */
        break;
    }
    s->ptr = p;
    s->bytes = bytes;
    return p == NULL;
}

/* One chunk of ops through the allocator, timed as a whole: the only
 * code between the clock reads (the BATCH pass's figure).  The floor runs
 * this same function with the null allocator, so it is kept out of line
 * and uncloned: both runs execute the same instructions around the
 * allocator's calls.  `plain`: the chunk holds only ALLOC and FREE (every
 * synthetic stream), whose loop is the lean one; any other kind sends the
 * whole chunk through op_slow's general path.  Failed allocs are counted
 * by the observed passes, not here.  Returns the ticks, overhead
 * included. */
static __attribute__((noinline)) HL_NOCLONE uint64_t
timed_chunk(const struct hl_allocator *a, void *state, struct hl_slot *slots,
            const struct hl_op *ops, size_t n, bool plain)
{
    void *(*alloc)(void *, size_t) = a->alloc;
    enum hl_status (*release)(void *, void *, size_t) = a->free;
    const struct hl_op *end = ops + n;
    uint64_t t0 = hl_clock_start();
    if (plain) {
        for (const struct hl_op *op = ops; op != end; op++) {
            struct hl_slot *s = &slots[op->slot];
            if (op->kind == HL_OP_ALLOC) {
                s->bytes = op->bytes;
                s->ptr = alloc(state, (size_t)op->bytes);
            } else if (s->ptr) {
                release(state, s->ptr, (size_t)s->bytes);
                s->ptr = NULL;
            }
        }
    } else {
        for (const struct hl_op *op = ops; op != end; op++) {
            struct hl_slot *s = &slots[op->slot];
            if (op->kind == HL_OP_ALLOC) {
                s->bytes = op->bytes;
                s->ptr = alloc(state, (size_t)op->bytes);
            } else {
                op_slow(a, state, s, op);
            }
        }
    }
    return hl_clock_stop() - t0;
}

/* ---- the null allocator: the harness floor ---------------------------------
 *
 * Every alloc succeeds with a distinct fake address (never dereferenced),
 * every free does nothing: what remains of a timed stream is the loop, the
 * op decoding, the slot table and the calls themselves.
 */

struct null_state {
    uintptr_t next;
};

static void *null_alloc(void *state, size_t bytes)
{
    (void)bytes;
    struct null_state *n = state;
    n->next += HL_HEAP_ALIGN;
    return (void *)n->next;
}

static enum hl_status null_free(void *state, void *ptr, size_t bytes)
{
    (void)state;
    (void)ptr;
    (void)bytes;
    return HL_OK;
}

static const struct hl_allocator null_allocator = {
    .name = "null",
    .family = HL_FAMILY_HEAP,
    .align_bytes = HL_HEAP_ALIGN,
    .alloc = null_alloc,
    .free = null_free,
};

/* ---- streams ------------------------------------------------------------------ */

/* The op buffer over one pass.  If the whole stream fits (whole), it is
 * materialized once and every repeat reuses it; else each run
 * re-materializes it chunk by chunk. */
struct stream {
    const struct hl_cell_config *c;
    struct hl_wl_gen g;
    size_t n;        /* ops in the buffer now */
    bool plain;      /* ... all of them ALLOC or FREE, and no earlier chunk
                        of this run had an ALIGNED op (a FREE of its
                        over-aligned block needs op_slow) */
    bool aligned_seen; /* an ALIGNED op in this run of the stream so far */
    bool whole;
    uint64_t checksum;
    uint64_t ops;    /* ops in one run of the stream */
};

/* Materialize the next chunk (untimed) and validate it: the timed loop
 * trusts every slot. */
static size_t stream_fill(struct stream *s)
{
    const struct hl_cell_config *c = s->c;
    s->n = hl_opbuf_fill(&s->g, c->ops, c->ops_cap, &s->checksum);
    size_t bad = 0;
    const char *why = NULL;
    /* Any thread: a recorded trace keeps each op's thread, and the runner
     * replays them all on this one, in the recorded global order. */
    if (hl_opbuf_validate(c->ops, s->n, c->nslots, (uint32_t)UINT16_MAX + 1u, &bad,
                          &why) != 0)
        hl_panic(__FILE__, __LINE__, why);
    s->plain = !s->aligned_seen;
    for (size_t i = 0; i < s->n; i++) {
        s->plain &= c->ops[i].kind <= HL_OP_FREE;
        s->aligned_seen |= c->ops[i].kind == HL_OP_ALIGNED;
    }
    return s->n;
}

static void stream_restart(struct stream *s)
{
    const struct hl_cell_config *c = s->c;
    hl_wl_init(&s->g, c->w, &c->params, c->seed, c->scratch, c->scratch_bytes);
    s->checksum = HL_WL_CHECKSUM0;
    s->aligned_seen = false;
    stream_fill(s);
}

static void stream_open(struct stream *s, const struct hl_cell_config *c)
{
    s->c = c;
    stream_restart(s);
    s->whole = s->n < c->ops_cap ||
               s->g.emitted >= c->w->total_ops(&c->params);
    s->ops = 0;
}

/* Init the allocator and empty the slot table. */
static enum hl_status start_alloc(const struct hl_cell_config *c)
{
    hl_memset(c->slots, 0, (size_t)c->nslots * sizeof c->slots[0]);
    return hl_al_init(c->a, c->state, c->region, c->region_bytes, c->alloc_params);
}

static uint64_t minus_overhead(uint64_t ticks, uint64_t overhead)
{
    return ticks > overhead ? ticks - overhead : 0;
}

/* One run of the whole stream through a, timed chunk by chunk; returns
 * the ticks net of the timer overhead.  The measure hooks surround it. */
static uint64_t stream_timed(struct stream *s, const struct hl_allocator *a,
                             void *state)
{
    const struct hl_cell_config *c = s->c;
    if (!s->whole && s->ops)
        stream_restart(s);
    uint64_t ticks = 0, ops = 0;
    /* The cost plugin's region (marker.h): outside the clock pair and
     * the measure hooks, so no other clock sees the two NOPs. */
    if (a == &null_allocator)
        hl_marker_start_floor();
    else
        hl_marker_start();
    if (c->measure_begin)
        c->measure_begin(c->measure_ctx);
    for (;;) {
        ticks += minus_overhead(timed_chunk(a, state, c->slots, c->ops, s->n,
                                            s->plain), c->timer_overhead);
        ops += s->n;
        if (s->whole || s->n < c->ops_cap)
            break;
        if (c->measure_pause)
            c->measure_pause(c->measure_ctx);
        size_t got = stream_fill(s);
        if (c->measure_resume)
            c->measure_resume(c->measure_ctx);
        if (got == 0)
            break;
    }
    if (c->measure_end)
        c->measure_end(c->measure_ctx);
    hl_marker_stop();
    s->ops = ops;
    return ticks;
}

/* ---- BATCH ---------------------------------------------------------------- */

void hl_cell_set_ticks(struct hl_cell_result *r, uint64_t raw_ticks,
                       uint64_t floor_ticks)
{
    uint64_t n = r->ops * (r->stream_repeats ? r->stream_repeats : 1);
    r->raw_ticks = raw_ticks;
    r->floor_ticks = floor_ticks;
    if (n == 0) {
        r->raw_cycles_per_op_milli = r->floor_cycles_per_op_milli = 0;
        r->cycles_per_op_milli = 0;
        return;
    }
    r->raw_cycles_per_op_milli = raw_ticks * 1000 / n;
    r->floor_cycles_per_op_milli = floor_ticks * 1000 / n;
    /* The difference of the two totals, then divided: one rounding. */
    if (raw_ticks >= floor_ticks)
        r->cycles_per_op_milli = (int64_t)((raw_ticks - floor_ticks) * 1000 / n);
    else
        r->cycles_per_op_milli = -(int64_t)((floor_ticks - raw_ticks) * 1000 / n);
}

/*
 * The allocator's stream, repeated (each run over a freshly initialised
 * allocator, the init untimed) until its ticks reach min_ticks; then the
 * floor: the null allocator through the same loop, the same number of
 * runs.  Nothing is hashed while timed: the checksum comes from the
 * materialization, which is untimed.
 */
static enum hl_status pass_batch(const struct hl_cell_config *c,
                                 struct hl_cell_result *r)
{
    struct stream s;
    stream_open(&s, c);
    uint64_t raw = 0;
    uint32_t runs = 0;
    do {
        enum hl_status st = start_alloc(c);
        r->init_status = st;
        if (st != HL_OK)
            return st;
        raw += stream_timed(&s, c->a, c->state);
        runs++;
        if (raw < c->min_ticks && runs < HL_MAX_STREAM_REPEATS)
            count_leaks(c, r); /* the next init forgets them */
    } while (raw < c->min_ticks && runs < HL_MAX_STREAM_REPEATS);
    count_leaks(c, r);
    r->ops = s.ops;
    r->workload_checksum = s.checksum;

    /* The floor: same buffer, same loop, the null allocator. */
    uint64_t floor = 0;
    for (uint32_t i = 0; i < runs; i++) {
        struct null_state ns = {0};
        hl_memset(c->slots, 0, (size_t)c->nslots * sizeof c->slots[0]);
        floor += stream_timed(&s, &null_allocator, &ns);
    }
    hl_memset(c->slots, 0, (size_t)c->nslots * sizeof c->slots[0]);
    r->stream_repeats = runs;
    hl_cell_set_ticks(r, raw, floor);
    return HL_OK;
}

/* ---- WARMUP and PEROP ----------------------------------------------------- */

/* Take a space sample (outside any timed region), hand it to the
 * callback, and remember it if it is the first to reach a new peak
 * footprint. */
static void take_sample(const struct hl_cell_config *c, uint64_t op_index,
                        uint64_t live, struct hl_space_sample *peak,
                        bool *have_peak, uint64_t *peak_resident)
{
    struct hl_stats st;
    c->a->stats(c->state, &st);
    struct hl_space_sample s = {
        .op_index = op_index,
        .live_bytes = live,
        .held_bytes = st.held_bytes,
        .free_bytes = st.free_bytes,
        .largest_free_bytes = st.largest_free_bytes,
        .meta_bytes = st.meta_bytes,
        .resident_bytes = c->resident ? c->resident(c->resident_ctx) : 0,
    };
    if (s.resident_bytes > *peak_resident)
        *peak_resident = s.resident_bytes;
    if (c->sample)
        c->sample(c->sample_ctx, &s);
    if (!*have_peak || s.held_bytes > peak->held_bytes) {
        *peak = s;
        *have_peak = true;
    }
}

/* num / den in parts per million, 0 when den is 0.  pre: num <= den. */
static uint32_t ppm_of(uint64_t num, uint64_t den)
{
    if (den == 0)
        return 0;
    if (num >= den)
        return PPM;
    /* num < den: split to keep num * 10^6 from overflowing. */
    if (num <= UINT64_MAX / PPM)
        return (uint32_t)(num * PPM / den);
    return (uint32_t)(num / (den / PPM));
}

static void fragmentation(const struct hl_space_sample *s,
                          struct hl_cell_result *r)
{
    uint64_t usable = s->held_bytes > s->meta_bytes
                          ? s->held_bytes - s->meta_bytes : 0;
    /* bump may count more live bytes than it holds (allocator.h): 0. */
    uint64_t waste = usable > s->live_bytes ? usable - s->live_bytes : 0;
    r->frag_internal_ppm = ppm_of(waste, usable);
    uint64_t scattered = s->free_bytes > s->largest_free_bytes
                             ? s->free_bytes - s->largest_free_bytes : 0;
    r->frag_external_ppm = ppm_of(scattered, s->free_bytes);
}

/* A program writes the blocks it gets: one byte in each page the block
 * spans (every HL_FRAME_BYTES from its start, and its last byte), so
 * that each of those pages is resident.  Volatile: the stores are the
 * point. */
static void touch_block(void *p, uint64_t bytes)
{
    volatile uint8_t *b = p;
    for (uint64_t off = 0; off < bytes; off += HL_FRAME_BYTES)
        b[off] = 0;
    if (bytes)
        b[bytes - 1] = 0;
}

/* One op of an observed pass, the allocator call alone between a clock
 * pair when timed, or between the op markers when modelled (never both);
 * live bytes and the frame placement hash kept. */
struct observed {
    const struct hl_cell_config *c;
    struct hl_leak_table *leaks; /* WARMUP's leak detector, or NULL */
    bool timed, modelled, frames, touch;
    uint64_t ops, failed, live, peak_live, pck;
};

/* An observed op's allocator call between the cost plugin's op-begin
 * and op-end markers (the modelled PEROP: no clock, nothing here depends
 * on time).  observe_op's timed branches, written once more, so that what
 * they execute between their clock reads is what it always was.  Returns
 * true if the op asked for memory it did not get.
 * pre: not a FREE of an empty slot. */
static bool marked_call(const struct hl_allocator *a, void *state,
                        struct hl_slot *s, const struct hl_op *op)
{
    bool failed = false;
    if (op->kind == HL_OP_ALLOC) {
        hl_marker_op_begin();
        s->ptr = a->alloc(state, (size_t)op->bytes);
        hl_marker_op_end();
        s->bytes = op->bytes;
        failed = s->ptr == NULL;
    } else if (op->kind == HL_OP_FREE && !(s->bytes & SLOT_OVERALIGNED)) {
        hl_marker_op_begin();
        a->free(state, s->ptr, (size_t)s->bytes);
        hl_marker_op_end();
        s->ptr = NULL;
    } else {
        hl_marker_op_begin();
        failed = op_slow(a, state, s, op);
        hl_marker_op_end();
    }
    return failed;
}

static void observe_op(struct observed *o, const struct hl_op *op)
{
    const struct hl_cell_config *c = o->c;
    const struct hl_allocator *a = c->a;
    struct hl_slot *s = &c->slots[op->slot];
    uint64_t t0 = 0, t1 = 0;
    bool called = true, failed = false;
    uint64_t live_before = s->ptr ? live_of(s->bytes) : 0;
    void *old = s->ptr;
    if (op->kind == HL_OP_FREE && !s->ptr) {
        called = false; /* its alloc failed: nothing to free, not timed */
    } else if (o->modelled) {
        failed = marked_call(a, c->state, s, op);
    } else if (op->kind == HL_OP_ALLOC) {
        if (o->timed)
            t0 = hl_clock_start();
        s->ptr = a->alloc(c->state, (size_t)op->bytes);
        if (o->timed)
            t1 = hl_clock_stop();
        s->bytes = op->bytes;
        failed = s->ptr == NULL;
    } else if (op->kind == HL_OP_FREE && !(s->bytes & SLOT_OVERALIGNED)) {
        if (o->timed)
            t0 = hl_clock_start();
        a->free(c->state, s->ptr, (size_t)s->bytes);
        if (o->timed)
            t1 = hl_clock_stop();
        s->ptr = NULL;
    } else {
        if (o->timed)
            t0 = hl_clock_start();
        failed = op_slow(a, c->state, s, op);
        if (o->timed)
            t1 = hl_clock_stop();
    }
    if (called && o->timed && c->hist)
        hl_hist_add(c->hist, t1 - t0);
    if (o->touch && op->kind != HL_OP_FREE && s->ptr)
        touch_block(s->ptr, s->bytes & ~SLOT_OVERALIGNED);
    /* Live bytes: the slot's block before and after (a failed realloc
     * keeps the old one). */
    o->live = o->live - live_before + (s->ptr ? live_of(s->bytes) : 0);
    if (o->live > o->peak_live)
        o->peak_live = o->live;
    o->failed += failed;
    /* The leak detector (untimed pass): the slot's block before and after
     * the op; a realloc that moved it frees the old and grants the new,
     * a failed one changes nothing.  Site: this op's index. */
    if (o->leaks && old != s->ptr) {
        if (old)
            hl_leak_free(o->leaks, old, o->ops);
        if (s->ptr)
            hl_leak_alloc(o->leaks, s->ptr, s->bytes & ~SLOT_OVERALIGNED, o->ops, op->thread);
    }
    if (o->frames && op->kind == HL_OP_ALLOC)
        o->pck = fnv_u64(o->pck, frame_of(c, s->ptr));
    o->ops++;
}

/* WARMUP (perop false) or PEROP: timed, or modelled (perop_modelled). */
static enum hl_status pass_observed(const struct hl_cell_config *c,
                                    bool perop, struct hl_cell_result *r)
{
    struct stream st;
    stream_open(&st, c);
    enum hl_status status = start_alloc(c);
    r->init_status = status;
    if (status != HL_OK)
        return status;

    bool modelled = perop && c->perop_modelled;
    bool timed = perop && !modelled;
    struct observed o = {
        .c = c, .timed = timed, .modelled = modelled,
        .frames = c->a->family == HL_FAMILY_FRAME,
        .touch = perop && c->touch_blocks && c->a->family == HL_FAMILY_HEAP,
        .pck = HL_WL_CHECKSUM0,
        .leaks = perop ? NULL : c->leak_table,
    };
    if (o.leaks)
        hl_leak_reset(o.leaks);

    /* Space samples: at op 0, every `every` ops, and at the end. */
    struct hl_space_sample peak = {0};
    bool have_peak = false;
    uint64_t peak_resident = 0;
    uint64_t every = UINT64_MAX, next_sample = UINT64_MAX, last_sampled = 0;
    if (perop) {
        if (c->hist)
            hl_hist_reset(c->hist);
        uint64_t total = c->w->total_ops(&c->params);
        if (c->sample_points > 0) {
            every = total / c->sample_points;
            if (every == 0)
                every = 1;
            next_sample = every;
        }
        take_sample(c, 0, 0, &peak, &have_peak, &peak_resident);
    }

    /* The plugin's per-op region (marker.h): the whole stream, its
     * samples and refills included; only the op pairs are histogrammed. */
    if (modelled)
        hl_marker_start_perop();
    for (;;) {
        for (size_t i = 0; i < st.n; i++) {
            observe_op(&o, &c->ops[i]);
            if (o.ops == next_sample) {
                take_sample(c, o.ops, o.live, &peak, &have_peak,
                            &peak_resident);
                last_sampled = o.ops;
                next_sample += every;
            }
        }
        if (st.whole || st.n < c->ops_cap || stream_fill(&st) == 0)
            break;
    }
    if (modelled)
        hl_marker_stop();
    /* The end, unless the last periodic sample was already there. */
    if (perop && last_sampled != o.ops)
        take_sample(c, o.ops, o.live, &peak, &have_peak, &peak_resident);
    count_leaks(c, r);
    if (o.leaks) {
        struct hl_stats as;
        c->a->stats(c->state, &as);
        hl_leak_set_allocator(o.leaks, as.live_blocks, as.live_bytes);
    }

    r->ops = o.ops;
    r->failed_allocs = o.failed;
    r->workload_checksum = st.checksum;
    r->placement_checksum = o.frames ? o.pck : 0;
    r->peak_live_bytes = o.peak_live;
    if (perop) {
        if (timed && c->hist) {
            uint64_t ov = c->timer_overhead;
            r->p50 = minus_overhead(hl_hist_quantile(c->hist, 500000), ov);
            r->p90 = minus_overhead(hl_hist_quantile(c->hist, 900000), ov);
            r->p99 = minus_overhead(hl_hist_quantile(c->hist, 990000), ov);
            r->p999 = minus_overhead(hl_hist_quantile(c->hist, 999000), ov);
            r->max = minus_overhead(hl_hist_quantile(c->hist, PPM), ov);
        }
        r->peak_footprint_bytes = peak.held_bytes;
        r->resident_bytes = peak_resident;
        fragmentation(&peak, r);
    }
    return HL_OK;
}

enum hl_status hl_cell_pass(const struct hl_cell_config *c, enum hl_pass pass,
                            struct hl_cell_result *r)
{
    switch (pass) {
    case HL_PASS_BATCH:
        return pass_batch(c, r);
    case HL_PASS_PEROP:
        return pass_observed(c, true, r);
    case HL_PASS_WARMUP:
        break;
    }
    return pass_observed(c, false, r);
}
