/*
 * runner.c — one pass of a cell (runner.h): drive a workload's op stream
 * through an allocator, time it, sample space, count leaks; and the
 * timer's calibration.  Freestanding, integer-only (docs/measurement.md
 * explains every figure).
 *
 * The three passes run the same stream over a freshly initialised
 * allocator; they differ in what happens around each op:
 *
 *   WARMUP  checksums, peak live bytes, leaks; nothing timed
 *   BATCH   one fenced clock pair around the whole stream, and nothing but
 *           the generator, the slot table and the allocator inside it (no
 *           checksums); then the same stream once more with every
 *           allocator call replaced by a store, timed the same way
 *           (harness_ticks: what the harness alone costs)
 *   PEROP   checksums; each allocator call alone between a clock pair,
 *           raw delta into the histogram; space sampled between ops
 *
 * Whatever a pass does not measure it leaves untouched in the result, so
 * the caller zeroes the result once per repetition and lets BATCH and
 * PEROP fill their halves.
 */
#include "bench/core/runner.h"

#include "allocators/util.h"
#include "bench/core/clock.h"

#define PPM 1000000u

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

/* What a request of `bytes` adds to live bytes (0 is served as 1). */
static uint64_t live_of(uint64_t bytes) { return bytes ? bytes : 1; }

static void bad_slot(void)
{
    hl_panic(__FILE__, __LINE__, "workload op names a slot beyond the table");
}

/* Init the allocator, start the generator, empty the slot table. */
static enum hl_status start_pass(const struct hl_cell_config *c,
                                 struct hl_wl_gen *g)
{
    enum hl_status st = c->a->init(c->state, c->region, c->region_bytes);
    if (st != HL_OK)
        return st;
    hl_wl_init(g, c->w, &c->params, c->seed, c->scratch, c->scratch_bytes);
    hl_memset(c->slots, 0, (size_t)c->nslots * sizeof c->slots[0]);
    return HL_OK;
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

/* ---- BATCH ---------------------------------------------------------------- */

/* The timed stream: generator, slot table, allocator; nothing else. */
static uint64_t batch_stream(const struct hl_cell_config *c,
                             struct hl_wl_gen *g, uint64_t *ops_out,
                             uint64_t *failed_out)
{
    const struct hl_allocator *a = c->a;
    const struct hl_workload *w = c->w;
    struct hl_slot *slots = c->slots;
    void *state = c->state;
    uint64_t nslots = c->nslots, ops = 0, failed = 0;
    struct hl_op op;

    if (c->measure_begin)
        c->measure_begin(c->measure_ctx);
    uint64_t t0 = hl_clock_start();
    while (w->next(g, &op)) {
        if (op.slot >= nslots)
            bad_slot();
        struct hl_slot *s = &slots[op.slot];
        if (op.kind == HL_OP_ALLOC) {
            s->ptr = a->alloc(state, (size_t)op.bytes);
            s->bytes = op.bytes;
            failed += s->ptr == NULL;
        } else if (s->ptr) {
            a->free(state, s->ptr, (size_t)s->bytes);
            s->ptr = NULL;
        }
        ops++;
    }
    uint64_t t1 = hl_clock_stop();
    if (c->measure_end)
        c->measure_end(c->measure_ctx);
    *ops_out = ops;
    *failed_out = failed;
    return t1 - t0;
}

/* The same loop with the allocator calls replaced by stores: an alloc
 * "returns" its slot's own address, a free clears it.  Same branches,
 * same slot traffic, same generator. */
static uint64_t harness_stream(const struct hl_cell_config *c,
                               struct hl_wl_gen *g)
{
    const struct hl_workload *w = c->w;
    struct hl_slot *slots = c->slots;
    uint64_t nslots = c->nslots;
    struct hl_op op;

    uint64_t t0 = hl_clock_start();
    while (w->next(g, &op)) {
        if (op.slot >= nslots)
            bad_slot();
        struct hl_slot *s = &slots[op.slot];
        if (op.kind == HL_OP_ALLOC) {
            s->ptr = s;
            s->bytes = op.bytes;
        } else if (s->ptr) {
            s->ptr = NULL;
        }
    }
    uint64_t t1 = hl_clock_stop();
    return t1 - t0;
}

static uint64_t minus_overhead(uint64_t ticks, uint64_t overhead)
{
    return ticks > overhead ? ticks - overhead : 0;
}

static enum hl_status pass_batch(const struct hl_cell_config *c,
                                 struct hl_cell_result *r)
{
    struct hl_wl_gen g;
    enum hl_status st = start_pass(c, &g);
    r->init_status = st;
    if (st != HL_OK)
        return st;
    uint64_t ops, failed;
    uint64_t ticks = batch_stream(c, &g, &ops, &failed);
    count_leaks(c, r);

    r->ops = ops;
    r->failed_allocs = failed;
    r->batch_ticks = minus_overhead(ticks, c->timer_overhead);
    r->cycles_per_op_milli = ops ? r->batch_ticks * 1000 / ops : 0;

    /* The harness floor, over a fresh copy of the same stream (the
     * allocator is not called: the slot table is only a scratch here). */
    hl_wl_init(&g, c->w, &c->params, c->seed, c->scratch, c->scratch_bytes);
    hl_memset(c->slots, 0, (size_t)c->nslots * sizeof c->slots[0]);
    r->harness_ticks = minus_overhead(harness_stream(c, &g), c->timer_overhead);
    hl_memset(c->slots, 0, (size_t)c->nslots * sizeof c->slots[0]);
    return HL_OK;
}

/* ---- WARMUP and PEROP ----------------------------------------------------- */

/* Take a space sample (outside any timed region), hand it to the
 * callback, and remember it if it is the first to reach a new peak
 * footprint. */
static void take_sample(const struct hl_cell_config *c, uint64_t op_index,
                        uint64_t live, struct hl_space_sample *peak,
                        bool *have_peak)
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
    };
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

static enum hl_status pass_observed(const struct hl_cell_config *c,
                                    bool timed, struct hl_cell_result *r)
{
    struct hl_wl_gen g;
    enum hl_status st = start_pass(c, &g);
    r->init_status = st;
    if (st != HL_OK)
        return st;

    const struct hl_allocator *a = c->a;
    void *state = c->state;
    struct hl_slot *slots = c->slots;
    struct hl_hist *hist = c->hist;
    const bool frames = a->family == HL_FAMILY_FRAME;
    uint64_t wck = HL_WL_CHECKSUM0, pck = HL_WL_CHECKSUM0;
    uint64_t ops = 0, failed = 0, live = 0, peak_live = 0;

    /* Space samples: at op 0, every `every` ops, and at the end. */
    struct hl_space_sample peak = {0};
    bool have_peak = false;
    uint64_t every = UINT64_MAX, next_sample = UINT64_MAX, last_sampled = 0;
    if (timed) {
        if (hist)
            hl_hist_reset(hist);
        uint64_t total = c->w->total_ops(&c->params);
        if (c->sample_points > 0) {
            every = total / c->sample_points;
            if (every == 0)
                every = 1;
            next_sample = every;
        }
        take_sample(c, 0, 0, &peak, &have_peak);
    }

    struct hl_op op;
    while (c->w->next(&g, &op)) {
        wck = hl_wl_checksum_op(wck, &op);
        if (op.slot >= c->nslots)
            bad_slot();
        struct hl_slot *s = &slots[op.slot];
        uint64_t t0 = 0, t1 = 0;
        bool called = false;
        if (op.kind == HL_OP_ALLOC) {
            if (timed)
                t0 = hl_clock_start();
            s->ptr = a->alloc(state, (size_t)op.bytes);
            if (timed)
                t1 = hl_clock_stop();
            called = true;
            s->bytes = op.bytes;
            if (s->ptr) {
                live += live_of(op.bytes);
                if (live > peak_live)
                    peak_live = live;
            } else {
                failed++;
            }
            if (frames)
                pck = fnv_u64(pck, frame_of(c, s->ptr));
        } else if (s->ptr) {
            if (timed)
                t0 = hl_clock_start();
            a->free(state, s->ptr, (size_t)s->bytes);
            if (timed)
                t1 = hl_clock_stop();
            called = true;
            live -= live_of(s->bytes);
            s->ptr = NULL;
        }
        if (timed && called && hist)
            hl_hist_add(hist, t1 - t0);
        ops++;
        if (ops == next_sample) {
            take_sample(c, ops, live, &peak, &have_peak);
            last_sampled = ops;
            next_sample += every;
        }
    }
    /* The end, unless the last periodic sample was already there. */
    if (timed && last_sampled != ops)
        take_sample(c, ops, live, &peak, &have_peak);
    count_leaks(c, r);

    r->ops = ops;
    r->failed_allocs = failed;
    r->workload_checksum = wck;
    r->placement_checksum = frames ? pck : 0;
    r->peak_live_bytes = peak_live;
    if (timed) {
        if (hist) {
            uint64_t o = c->timer_overhead;
            r->p50 = minus_overhead(hl_hist_quantile(hist, 500000), o);
            r->p90 = minus_overhead(hl_hist_quantile(hist, 900000), o);
            r->p99 = minus_overhead(hl_hist_quantile(hist, 990000), o);
            r->p999 = minus_overhead(hl_hist_quantile(hist, 999000), o);
            r->max = minus_overhead(hl_hist_quantile(hist, PPM), o);
        }
        r->peak_footprint_bytes = peak.held_bytes;
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
