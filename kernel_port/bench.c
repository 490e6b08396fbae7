/*
 * bench.c — benchmark cells in the kernel (bench.h).
 *
 * The cells are planned by bench/core/plan.c from the command line's
 * options, the very planner `heaplab run` uses (the host hands the kernel
 * one cell as allocators=, aparams=, workloads=, params=, sweep=, suite=;
 * aparams=A:k=v,... sets allocator A's parameters as params= sets a
 * workload's, and sweep=A:K=v1,... sweeps one; a command
 * line of its own plans the whole suite the same way).  The rep loop is
 * cell.c's (calibrate; WARMUP; per rep BATCH + PEROP; one cells row, its
 * latency and timeline rows, then the rep's end), and the measuring itself
 * is bench/core/ (hl_cell_pass, hl_format_*), compiled for i386.
 *
 * Protocol lines of one cell, formatted by bench/core/proto.h as the
 * host's cell child formats its own (docs/kernel.md, "Line protocol"):
 *   @HL begin,<index>,<allocator>,<workload>,<params>,<sweep>,<seed>,<reps>
 *   @HL probe,<key>,<value>        timer calibration, memory layout
 *   @HL leak,<leaks row>...        the leak detector's report of the
 *                                  WARMUP pass (bench/core/leak.h)
 *   per rep: @HL cell,<cells row>  @HL lat,<row>...  @HL tl,<row>...
 *            @HL rep,<rep>
 *   @HL probe,...                  what the cell touched
 *   @HL end,<index>,ok|error,<why>
 * A rep's rows count only once its "@HL rep" line is out: a fault in the
 * middle of a rep leaves an incomplete rep, which the host discards.
 */
#include "kernel_port/bench.h"

#include "allocators/allocator.h"
#include "allocators/port.h"
#include "allocators/util.h"
#include "bench/core/hist.h"
#include "bench/core/plan.h"
#include "bench/core/proto.h"
#include "bench/core/runner.h"
#include "bench/core/vmpass.h"
#include "kernel_port/console.h"
#include "kernel_port/frames.h"
#include "kernel_port/kernel.h"
#include "kernel_port/paging.h"
#include "kernel_port/vmcell.h"
#include "kernel_port/x86.h"
#include "workloads/replay.h"
#include "workloads/trace.h"
#include "workloads/workload.h"

#define KB_MAX_LIST 64u      /* as RUN_MAX_LIST */
#define KB_MAX_PARAMS 64u    /* params= words */
#define KB_MAX_REPS 1000u    /* as RUN_MAX_REPS */
#define KB_MAX_OPS 1000000000u
#define KB_NAME_BYTES 64u
#define KB_PARAMS_TEXT 512u  /* as cell_plan.params_text */
#define KB_ID_BYTES 96u
#define KB_CAL_SAMPLES 4096u /* as cell.c's CAL_SAMPLES */
#define KB_SAMPLE_POINTS 64u /* as CELL_SAMPLE_POINTS */
#define KB_OPS_BUDGET ((size_t)1 << 18) /* op buffer: 4 MiB of 16-byte ops; longer
                                            streams run in chunks (cell.c: 4 Mi) */
#define KB_SAMPLE_CAP (KB_SAMPLE_POINTS + 8u)
#define KB_ROW_CAP 2048u     /* as cell.c's ROW_CAP */
#define KB_ENV "qemu"

_Static_assert(KBENCH_CMDLINE_MAX == KBOOT_CMDLINE_BYTES - 1, "bench.h states kernel.h's limit");
_Static_assert(sizeof(struct hl_slot) >= sizeof(uint64_t), "a slot table holds the peak pass's sizes");

/* ---- small string helpers (no libc) ------------------------------------------ */

/* Do the n bytes at a start with the NUL-terminated prefix? */
static bool kb_starts(const char *a, size_t n, const char *prefix)
{
    size_t i = 0;
    for (; prefix[i]; i++)
        if (i >= n || a[i] != prefix[i])
            return false;
    return true;
}

/* Copy n bytes + NUL into out (cap bytes); false if they do not fit. */
static bool kb_copy(char *out, size_t cap, const char *s, size_t n)
{
    if (n + 1 > cap)
        return false;
    for (size_t i = 0; i < n; i++)
        out[i] = s[i];
    out[n] = '\0';
    return true;
}

/* Strict decimal in [min, max] (digits only), like cli_parse_u64. */
static bool kb_parse_u64(const char *s, size_t n, uint64_t min, uint64_t max, uint64_t *out)
{
    if (n == 0)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10u)
            return false;
        v = v * 10u + d;
    }
    if (v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* ---- protocol output (bench/core/proto.h: the formatter the host's cell child uses) ---- */

static char line_buf[KB_ROW_CAP + 128]; /* one protocol line: a row and its kind */

static struct hl_proto_out *line_begin(const char *kind)
{
    static struct hl_proto_out o;
    hl_proto_begin(&o, line_buf, sizeof line_buf, kind);
    return &o;
}

static void line_send(struct hl_proto_out *o)
{
    if (hl_proto_end(o) >= o->cap)
        KPANIC("a protocol line does not fit in its buffer");
    con_puts(o->buf);
}

/* "@HL error,usage,<what 'value'>" (the message one field). */
static bool usage_error(const char *what, const char *value)
{
    char msg[256];
    con_snprintf(msg, sizeof msg, "%s '%s'", what, value);
    struct hl_proto_out *o = line_begin("error");
    hl_proto_field(o, "usage");
    hl_proto_field(o, msg);
    line_send(o);
    return false;
}

static void probe_u64(const char *key, uint64_t v)
{
    struct hl_proto_out *o = line_begin("probe");
    hl_proto_field(o, key);
    hl_proto_u64(o, v);
    line_send(o);
}

static void meta_u64(const char *key, uint64_t v)
{
    struct hl_proto_out *o = line_begin("meta");
    hl_proto_field(o, key);
    hl_proto_u64(o, v);
    line_send(o);
}

/* "@HL <kind>,<row>": a result row as hl_format_* made it. */
static void put_row(const char *kind, const char *row, size_t len)
{
    if (len >= KB_ROW_CAP)
        KPANIC("a result row does not fit in KB_ROW_CAP bytes");
    struct hl_proto_out *o = line_begin(kind);
    hl_proto_row(o, row, len);
    line_send(o);
}

/* "@HL header,<table>,<columns>". */
static void put_header(const char *table, const char *columns)
{
    size_t n = 0;
    while (columns[n])
        n++;
    struct hl_proto_out *o = line_begin("header");
    hl_proto_field(o, table);
    hl_proto_row(o, columns, n);
    line_send(o);
}

/* What a run says before its first cell: how many cells, the region,
 * the four tables' columns. */
static void run_header(unsigned ncells, size_t region_bytes)
{
    meta_u64("cells_planned", ncells);
    meta_u64("region_bytes", region_bytes);
    put_header("cells", hl_cells_header);
    put_header("latency", hl_latency_header);
    put_header("timeline", hl_timeline_header);
    put_header("leaks", hl_leaks_header);
}

/* ---- the run's options: bench/core's planner over the command line --------------- */

struct kb_opts {
    /* the planner's options, their strings copied out of the command line */
    struct hl_plan_alloc cand[KB_MAX_LIST];
    const char *allocs[KB_MAX_LIST], *wls[KB_MAX_LIST];
    const char *params[KB_MAX_PARAMS], *sweeps[KB_MAX_PARAMS];
    const char *aparams[KB_MAX_PARAMS];
    struct hl_plan_arm arm;
    struct hl_plan_opts popts;
    struct hl_plan plan;
    char pool[2 * KBOOT_CMDLINE_BYTES]; /* NUL-terminated copies */
    size_t pool_used;
    uint32_t reps;
    uint64_t ops, seed;
    size_t region_bytes;
    char run_id[KB_ID_BYTES], accel[KB_NAME_BYTES], clock[KB_NAME_BYTES];
    bool perop_modelled; /* clock=modelled: PEROP's modelled variant */
};

static struct kb_opts opts; /* ~60 KiB: .bss, not the boot stack */

bool bench_requested(void)
{
    const char *v;
    size_t n;
    return kcmd_find("allocators", 0, &v, &n) || kcmd_find("workloads", 0, &v, &n);
}

/* The last value of key, copied; def if absent.  false (after a usage
 * error) if it does not fit. */
static bool get_text(const char *key, char *out, size_t cap, const char *def)
{
    const char *v = NULL;
    size_t n = 0;
    for (unsigned i = 0; kcmd_find(key, i, &v, &n); i++)
        ;
    if (!v)
        return kb_copy(out, cap, def, hl_strlen(def));
    if (!kb_copy(out, cap, v, n))
        return usage_error("value too long for", key);
    return true;
}

static bool get_u64(const char *key, uint64_t def, uint64_t min, uint64_t max, uint64_t *out)
{
    char text[32];
    if (!get_text(key, text, sizeof text, ""))
        return false;
    if (!text[0]) {
        *out = def;
        return true;
    }
    if (!kb_parse_u64(text, hl_strlen(text), min, max, out)) {
        char what[64];
        con_snprintf(what, sizeof what, "bad value for %s:", key);
        return usage_error(what, text);
    }
    return true;
}

/* n bytes at s as a NUL-terminated string in o->pool, or NULL. */
static const char *keep(struct kb_opts *o, const char *s, size_t n)
{
    if (n + 1 > sizeof o->pool - o->pool_used)
        return NULL;
    char *out = o->pool + o->pool_used;
    kb_copy(out, n + 1, s, n);
    o->pool_used += n + 1;
    return out;
}

/* The comma list of the last `key=` as names; "" and "all": none (the
 * planner's default: every one). */
static bool get_list(struct kb_opts *o, const char *key, const char **out, size_t *nout)
{
    const char *v = NULL;
    size_t n = 0;
    *nout = 0;
    for (unsigned i = 0; kcmd_find(key, i, &v, &n); i++)
        ;
    if (!v || n == 0 || (n == 3 && kb_starts(v, n, "all")))
        return true;
    for (size_t at = 0; at <= n;) {
        size_t len = 0;
        while (at + len < n && v[at + len] != ',')
            len++;
        if (len == 0)
            return usage_error("an empty name in the list of", key);
        if (*nout == KB_MAX_LIST)
            return usage_error("too many names in", key);
        if (!(out[(*nout)++] = keep(o, v + at, len)))
            return usage_error("command line too long for", key);
        at += len + 1;
    }
    return true;
}

/* Every value of the repeatable `key=`, each one word. */
static bool get_words(struct kb_opts *o, const char *key, const char **out, size_t *nout)
{
    const char *v;
    size_t n;
    *nout = 0;
    for (unsigned i = 0; kcmd_find(key, i, &v, &n); i++) {
        if (*nout == KB_MAX_PARAMS)
            return usage_error("too many", key);
        if (!(out[(*nout)++] = keep(o, v, n)))
            return usage_error("command line too long for", key);
    }
    return true;
}

/* ---- recorded traces: multiboot modules ------------------------------------------
 *
 * `workloads=trace:NAME` replays the trace of the multiboot module whose
 * file name has the stem NAME (QEMU -initrd DIR/NAME.hltrace: the host
 * hands each trace cell its uncompressed trace; docs/traces.md,
 * "Replay").  The module is read in place (identity-mapped, its frames
 * reserved: frames.c) and validated completely by the reader the host
 * uses (workloads/trace.c) when the plan names it, before any cell. */

static struct hl_wl_replay kb_traces[KBOOT_MAX_MODULES];
static bool kb_trace_ready[KBOOT_MAX_MODULES];

/* Validate module m; the slot scratch lives in the demand window for
 * the while.  false after "@HL error,usage,..." naming the byte. */
static bool kb_open_trace(const struct boot_module *m, struct hl_wl_replay *r, const char *stem,
                          size_t stem_len)
{
    const void *file = (const void *)m->start_phys;
    struct hl_opbuf_header h;
    struct hl_trace_error e;
    struct hl_trace t;
    char msg[200];
    int rc = hl_trace_header(file, m->bytes, &h, &e);
    size_t span = 0;
    if (rc == 0) {
        uint64_t sb = hl_trace_scratch_bytes(&h);
        if (sb > VM_DEVICE_BASE - VM_DEMAND_BASE ||
            !hl_align_up_checked((size_t)sb, VM_PAGE_BYTES, &span) ||
            !vm_demand_add(VM_DEMAND_BASE, span ? span / VM_PAGE_BYTES : 1, VM_WRITE)) {
            con_snprintf(msg, sizeof msg, "the trace's %llu slots need more scratch than "
                         "the demand window holds: module", h.nslots);
            return usage_error(msg, m->name);
        }
        rc = hl_trace_open(file, m->bytes, (void *)VM_DEMAND_BASE, sb, &t, &e);
        vm_demand_release(VM_DEMAND_BASE);
    }
    if (rc != 0) {
        con_snprintf(msg, sizeof msg, "byte %llu: %s: trace module", e.at, e.why);
        return usage_error(msg, m->name);
    }
    hl_wl_replay_init(r, stem, stem_len, &t);
    return true;
}

/* The planner's find_workload (plan.h). */
static const struct hl_workload *kb_find_trace(void *ctx, const char *name)
{
    (void)ctx;
    if (!hl_wl_replay_named(name))
        return NULL;
    const char *want = name + sizeof HL_WL_REPLAY_PREFIX - 1;
    size_t want_len = hl_strlen(want);
    for (unsigned i = 0; i < kboot.nmodules; i++) {
        const struct boot_module *m = &kboot.modules[i];
        size_t len = 0; /* the file name: up to the first space */
        while (m->name[len] && m->name[len] != ' ')
            len++;
        size_t start, n = hl_wl_replay_stem(m->name, len, &start);
        if (n != want_len || hl_memcmp(m->name + start, want, n) != 0)
            continue;
        if (!kb_trace_ready[i]) {
            if (!kb_open_trace(m, &kb_traces[i], want, want_len))
                return NULL;
            kb_trace_ready[i] = true;
        }
        return &kb_traces[i].pub;
    }
    usage_error("no multiboot module (QEMU -initrd) holds the trace of workload", name);
    return NULL;
}

static bool parse_opts(struct kb_opts *o)
{
    uint64_t reps, region_mib;
    if (!get_u64("reps", KBENCH_DEFAULT_REPS, 1, KB_MAX_REPS, &reps) ||
        !get_u64("ops", KBENCH_DEFAULT_OPS, 1, KB_MAX_OPS, &o->ops) ||
        !get_u64("seed", KBENCH_DEFAULT_SEED, 0, UINT64_MAX, &o->seed) ||
        !get_u64("region_mib",
                 (HL_CHECK_LEVEL >= 2 ? KBENCH_CHECKED_REGION_BYTES : KBENCH_REGION_BYTES) >> 20,
                 1, (VM_CELL_END - VM_CELL_BASE) >> 20, &region_mib))
        return false;
    o->reps = (uint32_t)reps;
    o->region_bytes = (size_t)region_mib << 20;
    if (!get_text("run_id", o->run_id, sizeof o->run_id, "kernel") ||
        !get_text("accel", o->accel, sizeof o->accel, "unknown") ||
        !get_text("clock", o->clock, sizeof o->clock, "unknown"))
        return false;
    /* clock=modelled: counted as clock=icount (the rows say icount; the
     * host fills their cost columns from the cost plugin's report), but
     * the PEROP pass is the modelled variant (runner.h's perop_modelled:
     * no clock read, op markers for the plugin's per-op histogram). */
    o->perop_modelled = hl_streq(o->clock, "modelled");
    if (o->perop_modelled)
        hl_memcpy(o->clock, "icount", sizeof "icount");
    char suite[8];
    if (!get_text("suite", suite, sizeof suite, "on"))
        return false;
    if (!hl_streq(suite, "on") && !hl_streq(suite, "off"))
        return usage_error("bad value for suite: (on or off)", suite);
    size_t ncand = 0, nallocs, nwls, nparams, nsweeps, naparams;
    for (; hl_allocators[ncand] && ncand < KB_MAX_LIST; ncand++)
        o->cand[ncand] = (struct hl_plan_alloc){.name = hl_allocators[ncand]->name,
                                                .family = hl_allocators[ncand]->family,
                                                .deflt = true, .a = hl_allocators[ncand]};
    /* the vm family's mapping kinds (vmcell.c) after the registry */
    for (size_t i = 0; hl_vm_kinds[i] && ncand < KB_MAX_LIST; i++, ncand++)
        o->cand[ncand] = (struct hl_plan_alloc){.name = hl_vm_kinds[i]->name,
                                                .family = hl_vm_kinds[i]->family,
                                                .deflt = true, .a = hl_vm_kinds[i]};
    if (!get_list(o, "allocators", o->allocs, &nallocs) ||
        !get_list(o, "workloads", o->wls, &nwls) ||
        !get_words(o, "params", o->params, &nparams) ||
        !get_words(o, "aparams", o->aparams, &naparams) ||
        !get_words(o, "sweep", o->sweeps, &nsweeps))
        return false;
    bool none = false;
    for (size_t i = 0; i < nsweeps; i++)
        if (hl_streq(o->sweeps[i], "none")) {
            none = true;
            o->sweeps[i--] = o->sweeps[--nsweeps];
        }
    /* The kernel runs its cells in plan order, one boot: one arm. */
    o->arm = (struct hl_plan_arm){.env = KB_ENV, .clock = o->clock, .reps = o->reps,
                                  .launches = 1, .cost = HL_PLAN_COST_EMULATED};
    o->popts = (struct hl_plan_opts){
        .cand = o->cand, .ncand = ncand, .allocs = o->allocs, .nallocs = nallocs,
        .wls = o->wls, .nwls = nwls, .params = o->params, .nparams = nparams,
        .sweeps = o->sweeps, .nsweeps = nsweeps, .sweep_none = none,
        .aparams = o->aparams, .naparams = naparams,
        .no_suite = !hl_streq(suite, "on"), .ops = o->ops, .arms = &o->arm, .narms = 1,
        .find_workload = kb_find_trace,
        .opt_params = "params=", .opt_sweep = "sweep=", .opt_aparams = "aparams="};
    if (hl_plan_resolve(&o->plan, &o->popts) != 0) {
        struct hl_proto_out *out = line_begin("error");
        hl_proto_field(out, "usage");
        hl_proto_field(out, o->plan.err);
        line_send(out);
        return false;
    }
    return true;
}

/* ---- the CPU ------------------------------------------------------------------- */

#define X86_CPUID1_EDX_SSE2 ((uint32_t)1 << 26)       /* lfence */

/* bench/core/clock.h needs lfence (SSE2) and rdtsc. */
static bool cpu_can_time(void)
{
    uint32_t a, b, c, d;
    x86_cpuid(1, 0, &a, &b, &c, &d);
    if (d & X86_CPUID1_EDX_SSE2)
        return true;
    con_printf("@HL error,cpu,the clock needs lfence (SSE2) (QEMU: -cpu max)\n");
    return false;
}

/* ---- one cell ---------------------------------------------------------------------- */

struct sample_buf {
    struct hl_space_sample s[KB_SAMPLE_CAP];
    uint32_t n;
};

static struct sample_buf samples;
static uint64_t cal_scratch[KB_CAL_SAMPLES];
static char row[KB_ROW_CAP];

static void keep_sample(void *ctx, const struct hl_space_sample *s)
{
    struct sample_buf *b = ctx;
    if (b->n < KB_SAMPLE_CAP)
        b->s[b->n++] = *s;
}

struct kb_cell {
    const struct kb_opts *o;
    const struct hl_allocator *a;
    const struct hl_workload *w;
    const char *params_text;
    const char *aparams_text; /* the allocator's canonical parameters */
    const char *sweep; /* "" for a suite cell, else the swept parameter */
    struct hl_cell_config cfg;
};

static struct hl_row_ids row_ids(const struct kb_cell *c, uint32_t rep, const char *status,
                                 uint64_t faults)
{
    return (struct hl_row_ids){
        .run_id = c->o->run_id, .env = KB_ENV, .accel = c->o->accel, .clock = c->o->clock,
        .allocator = c->a->name, .family = hl_family_str(c->a->family),
        .workload = c->w->name, .params = c->params_text, .seed = c->o->seed, .rep = rep,
        .status = status, .timer_overhead = c->cfg.timer_overhead, .faults = faults,
        .no_perop = false, .sweep = c->sweep,
        .launch = 0, .attempts = 1, /* the kernel runs alone: never disturbed */
        .alloc_params = c->aparams_text,
    };
}

/* resident_bytes in the kernel (docs/measurement.md): the region and the
 * allocator's state are demand-paged, the rest of the workspace is
 * prefaulted before the count starts, so every demand fault since then
 * is a page the allocator (or the block it granted, touched by the
 * runner) really touched; no page is released before the cell ends. */
static uint64_t kb_resident(void *ctx)
{
    const uint64_t *faults0 = ctx;
    return (vm_demand_faults() - *faults0) * VM_PAGE_BYTES;
}

/* Write a zero into every page of [va, end) (fresh zeroed demand pages:
 * only their residency changes). */
static void prefault(uintptr_t va, uintptr_t end)
{
    for (; va < end; va += VM_PAGE_BYTES)
        *(volatile uint8_t *)va = 0;
}

/* cell.c's emit_rep: the cells row, then its detail rows, then the end. */
static void emit_rep(const struct kb_cell *c, uint32_t rep, const char *status,
                     const struct hl_cell_result *r, uint64_t faults, bool detail)
{
    struct hl_row_ids id = row_ids(c, rep, status, faults);
    put_row("cell", row, hl_format_cells_row(row, sizeof row, &id, r));
    /* As cell.c: a sweep cell has no latency or timeline rows (their key
     * could not tell it from the suite cell with the same params). */
    if (detail && !c->sweep[0]) {
        const struct hl_hist *h = c->cfg.hist;
        for (unsigned i = hl_hist_next(h, 0); i < HL_HIST_BUCKETS; i = hl_hist_next(h, i + 1))
            put_row("lat", row,
                    hl_format_latency_row(row, sizeof row, &id, hl_hist_bucket_lo(i),
                                          hl_hist_bucket_hi(i), h->buckets[i]));
        for (uint32_t i = 0; i < samples.n; i++)
            put_row("tl", row, hl_format_timeline_row(row, sizeof row, &id, &samples.s[i]));
    }
    struct hl_proto_out *o = line_begin("rep");
    hl_proto_u64(o, rep);
    line_send(o);
}

static void emit_leak_row(void *ctx, const char *text, size_t len)
{
    (void)ctx;
    put_row("leak", text, len);
}

/* cell.c's emit_leaks: the WARMUP pass's leak report as "@HL leak" rows
 * (the same rows the host's cell child sends; the host writes them to
 * leaks.csv and says them in cells.log). */
static void emit_leaks(const struct kb_cell *c)
{
    static struct hl_leak_report rep;
    static char leak_row[KB_ROW_CAP];
    hl_leak_report(c->cfg.leak_table, HL_LEAKS_LISTED, &rep);
    struct hl_row_ids id = row_ids(c, 0, "ok", 0);
    hl_leak_rows(&rep, hl_wl_is_replay(c->w), &id, leak_row, sizeof leak_row, emit_leak_row,
                 NULL);
}

/* cell.c's run_reps. */
static void run_reps(const struct kb_cell *c)
{
    struct hl_cell_result r;
    hl_memset(&r, 0, sizeof r);
    enum hl_status st = hl_cell_pass(&c->cfg, HL_PASS_WARMUP, &r);
    if (st == HL_OK)
        emit_leaks(c);
    for (uint32_t rep = 0; rep < c->o->reps; rep++) {
        size_t reports0 = kernel_reports();
        uint64_t faults0 = vm_demand_faults();
        hl_memset(&r, 0, sizeof r);
        samples.n = 0;
        if (st == HL_OK)
            st = hl_cell_pass(&c->cfg, HL_PASS_BATCH, &r);
        if (st == HL_OK)
            st = hl_cell_pass(&c->cfg, HL_PASS_PEROP, &r);
        if (st != HL_OK) { /* init refused: no figures, this rep or later */
            con_printf("cell %s x %s: init: %s\n", c->a->name, c->w->name, hl_status_str(st));
            hl_memset(&r, 0, sizeof r);
            emit_rep(c, rep, "error", &r, 0, false);
            continue;
        }
        /* A trace's blocks its program never freed are live at the end:
         * the program's, not the allocator's leaks (cell.c's rep_status). */
        uint64_t expected = hl_wl_is_replay(c->w) ? hl_wl_replay_of(c->w)->st.end_live_blocks : 0;
        bool bad = r.failed_allocs || r.leaks > expected || kernel_reports() != reports0;
        emit_rep(c, rep, bad ? "failed" : "ok", &r, vm_demand_faults() - faults0, true);
    }
}

/* The workspace at VM_DEMAND_BASE: each piece page-aligned. */
struct workspace {
    uintptr_t state, slots, scratch, ops, hist, leaks, end;
};

static bool add_piece(uintptr_t *at, size_t bytes, uintptr_t *piece)
{
    size_t span;
    if (bytes == 0)
        bytes = 1;
    if (!hl_align_up_checked(bytes, VM_PAGE_BYTES, &span) || span > VM_DEVICE_BASE - *at)
        return false;
    *piece = *at;
    *at += span;
    return true;
}

/* "@HL begin,<index>,<allocator>,<workload>,<params>,<sweep>,<seed>,<reps>". */
static void cell_begin(unsigned index, const struct hl_allocator *a, const struct hl_workload *w,
                       const char *params_text, const char *sweep, uint64_t seed, uint32_t reps)
{
    struct hl_proto_out *o = line_begin("begin");
    hl_proto_u64(o, index);
    hl_proto_field(o, a->name);
    hl_proto_field(o, w->name);
    hl_proto_field(o, params_text);
    hl_proto_field(o, sweep);
    hl_proto_u64(o, seed);
    hl_proto_u64(o, reps);
    line_send(o);
}

/* "@HL end,<index>,ok|error,<why>". */
static void cell_end(unsigned index, bool ok, const char *why)
{
    struct hl_proto_out *o = line_begin("end");
    hl_proto_u64(o, index);
    hl_proto_field(o, ok ? "ok" : "error");
    hl_proto_field(o, why);
    line_send(o);
}

static bool run_cell(const struct kb_opts *o, unsigned index, const struct hl_allocator *a,
                     const struct hl_al_params *aparams, const struct hl_workload *w,
                     const struct hl_wl_params *params, const char *sweep)
{
    static char params_text[KB_PARAMS_TEXT], aparams_text[KB_PARAMS_TEXT];
    static uint64_t resident0; /* demand faults before the first op */
    hl_wl_format(w, params, params_text, sizeof params_text); /* fits: parse_opts */
    hl_al_format(a, aparams, aparams_text, sizeof aparams_text); /* 8 numbers: fits */
    cell_begin(index, a, w, params_text, sweep, o->seed, o->reps);

    struct hl_clock_cal cal;
    hl_clock_calibrate(&cal, cal_scratch, KB_CAL_SAMPLES);
    probe_u64("timer_overhead", cal.overhead);
    probe_u64("timer_overhead_min", cal.overhead_min);
    probe_u64("timer_resolution", cal.resolution);

    uint64_t nslots = w->slots(params);
    size_t scratch_bytes = w->scratch_bytes(params);
    uint64_t total_ops = w->total_ops(params);
    size_t ops_cap = total_ops < KB_OPS_BUDGET ? (size_t)total_ops : KB_OPS_BUDGET;
    if (ops_cap == 0)
        ops_cap = 1;
    struct workspace ws;
    uintptr_t at = VM_DEMAND_BASE;
    if (nslots > SIZE_MAX / sizeof(struct hl_slot) ||
        !add_piece(&at, a->state_bytes, &ws.state) ||
        !add_piece(&at, (size_t)nslots * sizeof(struct hl_slot), &ws.slots) ||
        !add_piece(&at, scratch_bytes, &ws.scratch) ||
        !add_piece(&at, ops_cap * sizeof(struct hl_op), &ws.ops) ||
        !add_piece(&at, sizeof(struct hl_hist), &ws.hist) ||
        hl_leak_table_bytes(nslots) == 0 ||
        !add_piece(&at, hl_leak_table_bytes(nslots), &ws.leaks)) {
        cell_end(index, false, "the workspace (state, slots, scratch, op buffer, histogram, "
                               "leak table) does not fit in the 512 MiB demand window");
        return false;
    }
    ws.end = at;
    size_t ws_pages = (ws.end - VM_DEMAND_BASE) / VM_PAGE_BYTES;
    size_t region_pages = o->region_bytes / VM_PAGE_BYTES;
    if (!vm_demand_add(VM_DEMAND_BASE, ws_pages, VM_WRITE)) {
        cell_end(index, false, "vm_demand_add refused the workspace");
        return false;
    }
    if (!vm_demand_add(VM_CELL_BASE, region_pages, VM_WRITE)) {
        vm_demand_release(VM_DEMAND_BASE);
        cell_end(index, false, "vm_demand_add refused the region");
        return false;
    }
    /* A trace whose peak live bytes do not fit in the region or in the
     * frames the guest has free is refused before it runs out of memory
     * mid-stream (the trace's peak is exact: the header's, checked). */
    if (hl_wl_is_replay(w)) {
        struct hl_stats fs;
        bmp_seed_stats(frames_allocator(), &fs);
        uint64_t peak = params->v[HL_WL_REPLAY_PEAK], need = hl_wl_region_for(peak);
        if (need > o->region_bytes || need > fs.free_bytes) {
            char why[200];
            con_snprintf(why, sizeof why, "the trace's live bytes peak at %llu: it needs a "
                         "%llu-byte region, the kernel's is %llu bytes with %llu bytes of "
                         "frames free", peak, need, (uint64_t)o->region_bytes,
                         (uint64_t)fs.free_bytes);
            vm_demand_release(VM_CELL_BASE);
            vm_demand_release(VM_DEMAND_BASE);
            cell_end(index, false, why);
            return false;
        }
    }
    /* A frame stream whose bound (peak_frame_bytes) exceeds the region may
     * still fit: its exact peak decides (one generator pass, untimed). */
    else if (hl_wl_region_bytes(w, params) > o->region_bytes) {
        uint64_t peak = hl_wl_peak_live_bytes(w, params, o->seed, (void *)ws.scratch,
                                              scratch_bytes, (uint64_t *)ws.slots, nslots);
        uint64_t need = hl_wl_region_for(peak);
        if (need > o->region_bytes) {
            char why[160];
            con_snprintf(why, sizeof why, "the stream's frames peak at %llu bytes: it needs "
                         "a %llu-byte region, the kernel's is %llu bytes", peak, need,
                         (uint64_t)o->region_bytes);
            vm_demand_release(VM_CELL_BASE);
            vm_demand_release(VM_DEMAND_BASE);
            cell_end(index, false, why);
            return false;
        }
    }
    probe_u64("region_base", VM_CELL_BASE);
    probe_u64("region_bytes", o->region_bytes);
    probe_u64("workspace_bytes", ws.end - VM_DEMAND_BASE);

    /* The leak detector's table: the WARMUP pass's only (runner.h). */
    static struct hl_leak_table leaks;
    if (!hl_leak_init(&leaks, (void *)ws.leaks, hl_leak_table_bytes(nslots), nslots))
        KPANIC("the leak table's piece is smaller than hl_leak_table_bytes");
    struct kb_cell c = {
        .o = o, .a = a, .w = w, .params_text = params_text, .aparams_text = aparams_text,
        .sweep = sweep,
        .cfg = {
            .a = a, .alloc_params = aparams, .w = w, .params = *params, .seed = o->seed,
            .state = (void *)ws.state,
            .region = (void *)VM_CELL_BASE,
            .region_bytes = o->region_bytes,
            .scratch = (void *)ws.scratch,
            .scratch_bytes = scratch_bytes,
            .slots = (struct hl_slot *)ws.slots,
            .nslots = nslots,
            .ops = (struct hl_op *)ws.ops,
            .ops_cap = ops_cap,
            .hist = (struct hl_hist *)ws.hist,
            .timer_overhead = cal.overhead,
            .sample_points = KB_SAMPLE_POINTS,
            .sample = keep_sample,
            .sample_ctx = &samples,
            .resident = kb_resident,
            .resident_ctx = &resident0,
            .touch_blocks = true,
            .perop_modelled = o->perop_modelled,
            .leak_table = &leaks,
        },
    };
    /* The workspace after the state is the harness's: resident first. */
    prefault(ws.slots, ws.end);
    resident0 = vm_demand_faults();
    uint64_t faults0 = vm_demand_faults();
    run_reps(&c);
    probe_u64("demand_faults", vm_demand_faults() - faults0);
    probe_u64("region_pages_touched", vm_demand_release(VM_CELL_BASE));
    probe_u64("workspace_pages_touched", vm_demand_release(VM_DEMAND_BASE));
    struct hl_stats fs;
    bmp_seed_stats(frames_allocator(), &fs);
    probe_u64("frames_free", fs.free_bytes / VM_PAGE_BYTES);
    cell_end(index, true, "");
    return true;
}

/* ---- the run ------------------------------------------------------------------------- */

bool bench_run(void)
{
    struct kb_opts *o = &opts;
    if (!parse_opts(o) || !cpu_can_time())
        return false;
    run_header((unsigned)o->plan.ncells, o->region_bytes);
    /* bench/core's plan order: the suite, then the sweep points */
    bool ok = true;
    struct hl_plan_cell c;
    for (unsigned index = 0; hl_plan_cell_at(&o->plan, index, &c); index++) {
        if (c.w->family == HL_FAMILY_VM) { /* vmcell.c */
            struct kb_vm_cell vc = {
                .index = index, .a = o->cand[c.cand].a, .w = c.w, .params = &c.params,
                .sweep = c.sweep, .run_id = o->run_id, .accel = o->accel, .clock = o->clock,
                .seed = o->seed, .reps = o->reps, .region_bytes = o->region_bytes};
            ok &= kb_vm_cell_run(&vc);
            continue;
        }
        ok &= run_cell(o, index, hl_allocators[c.cand], &c.aparams, c.w, &c.params, c.sweep);
    }
    return ok;
}
