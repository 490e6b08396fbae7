/*
 * bench.c — benchmark cells in the kernel (bench.h).
 *
 * This file mirrors two host files and must stay in step with them:
 *   - the plan of bench/host/run.c (plan_cells, workload_params,
 *     check_params_opts): same order of cells, same parameters, same
 *     canonical params text, so the op streams are identical;
 *   - the cell child of bench/host/cell.c (cmd_cell, run_reps, emit_rep):
 *     calibrate; WARMUP; per rep BATCH + PEROP; one cells row, its
 *     latency and timeline rows, then the rep's end.
 * The measuring itself is bench/core/ (hl_cell_pass, hl_format_*), the
 * very code the host runs, compiled for i386.
 *
 * Protocol lines of one cell, formatted by bench/core/proto.h as the
 * host's cell child formats its own (docs/kernel.md, "Line protocol"):
 *   @HL begin,<index>,<allocator>,<workload>,<params>,<sweep>,<seed>,<reps>
 *   @HL probe,<key>,<value>        timer calibration, memory layout
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
#include "bench/core/proto.h"
#include "bench/core/runner.h"
#include "kernel_port/console.h"
#include "kernel_port/frames.h"
#include "kernel_port/kernel.h"
#include "kernel_port/paging.h"
#include "kernel_port/x86.h"
#include "workloads/workload.h"

#define KB_MAX_LIST 64u      /* as RUN_MAX_LIST */
#define KB_MAX_PARAMS 64u    /* params= words */
#define KB_MAX_POINTS 64u    /* values of one sweep= (as RUN_MAX_LIST) */
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

/* ---- small string helpers (no libc) ------------------------------------------ */

static size_t kb_strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static bool kb_streq(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

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
 * the three tables' columns. */
static void run_header(unsigned ncells, size_t region_bytes)
{
    meta_u64("cells_planned", ncells);
    meta_u64("region_bytes", region_bytes);
    put_header("cells", hl_cells_header);
    put_header("latency", hl_latency_header);
    put_header("timeline", hl_timeline_header);
}

/* ---- the run's options ------------------------------------------------------------- */

struct kb_opts {
    const struct hl_allocator *allocs[KB_MAX_LIST];
    size_t nallocs;
    const struct hl_workload *wls[KB_MAX_LIST];
    size_t nwls;
    /* per workload of wls[]: its parameters */
    struct hl_wl_params params[KB_MAX_LIST];
    /* per workload of wls[]: its sweep points (sweep=), if any: the
     * parameter swept and one value per point (the rest as params[]) */
    unsigned npoints[KB_MAX_LIST];
    unsigned swept[KB_MAX_LIST];
    uint64_t points[KB_MAX_LIST][KB_MAX_POINTS];
    bool suite;          /* suite=on (default): the suite cells too */
    uint32_t reps;
    uint64_t ops, seed;
    size_t region_bytes;
    char run_id[KB_ID_BYTES], accel[KB_NAME_BYTES], clock[KB_NAME_BYTES];
};


static struct kb_opts opts; /* ~40 KiB: .bss, not the boot stack */

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
        return kb_copy(out, cap, def, kb_strlen(def));
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
    if (!kb_parse_u64(text, kb_strlen(text), min, max, out)) {
        char what[64];
        con_snprintf(what, sizeof what, "bad value for %s:", key);
        return usage_error(what, text);
    }
    return true;
}

/* Split the comma list `list` into names; look each up with find;
 * "" and "all" mean every entry of table. */
static bool pick_list(const char *key, const void *const *table,
                      const void *(*find)(const char *name), const void **out, size_t *nout)
{
    static char list[KBOOT_CMDLINE_BYTES];
    *nout = 0;
    if (!get_text(key, list, sizeof list, ""))
        return false;
    if (!list[0] || kb_streq(list, "all")) {
        for (size_t i = 0; table[i] && *nout < KB_MAX_LIST; i++)
            out[(*nout)++] = table[i];
        return true;
    }
    const char *s = list;
    for (;;) {
        const char *e = s;
        while (*e && *e != ',')
            e++;
        char name[KB_NAME_BYTES];
        if (e == s) {
            char what[64];
            con_snprintf(what, sizeof what, "empty item in %s=", key);
            return usage_error(what, list);
        }
        if (!kb_copy(name, sizeof name, s, (size_t)(e - s)))
            return usage_error("name too long in", key);
        const void *x = find(name);
        if (!x) {
            char what[64];
            con_snprintf(what, sizeof what, "unknown name in %s=:", key);
            return usage_error(what, name);
        }
        for (size_t k = 0; k < *nout; k++)
            if (out[k] == x)
                return usage_error("named twice:", name);
        if (*nout == KB_MAX_LIST)
            return usage_error("too many names in", key);
        out[(*nout)++] = x;
        if (!*e)
            return true;
        s = e + 1;
    }
}

static const void *find_alloc(const char *name) { return hl_allocator_find(name); }
static const void *find_wl(const char *name) { return hl_workload_find(name); }

/* params=W:k=v,...: every word names a workload of the run, with a colon
 * (run.c's check_params_opts). */
static bool check_params_words(const struct kb_opts *o)
{
    const char *v;
    size_t n;
    for (unsigned i = 0; kcmd_find("params", i, &v, &n); i++) {
        if (i == KB_MAX_PARAMS)
            return usage_error("too many", "params=");
        size_t colon = 0;
        while (colon < n && v[colon] != ':')
            colon++;
        char word[KB_PARAMS_TEXT];
        if (!kb_copy(word, sizeof word, v, n))
            return usage_error("value too long for", "params=");
        if (colon == n)
            return usage_error("bad params= (expected workload:key=value,...):", word);
        bool found = false;
        for (size_t k = 0; k < o->nwls && !found; k++)
            found = kb_strlen(o->wls[k]->name) == colon && kb_starts(v, n, o->wls[k]->name);
        if (!found)
            return usage_error("bad params= (no such workload in this run):", word);
    }
    return true;
}

/* The parameters of w: defaults, scaled to ops, then every params= for w
 * applied in order, each setting only the names it gives (run.c's
 * workload_params). */
static bool workload_params(const struct kb_opts *o, const struct hl_workload *w,
                            struct hl_wl_params *p)
{
    hl_wl_defaults(w, p);
    hl_wl_scale_ops(w, p, o->ops);
    size_t name_len = kb_strlen(w->name);
    const char *v;
    size_t n;
    for (unsigned i = 0; kcmd_find("params", i, &v, &n); i++) {
        if (n <= name_len || v[name_len] != ':' || !kb_starts(v, n, w->name))
            continue;
        char text[KB_PARAMS_TEXT];
        if (!kb_copy(text, sizeof text, v + name_len + 1, n - name_len - 1))
            return usage_error("value too long for", "params=");
        const char *err = NULL;
        size_t at = 0;
        struct hl_wl_params set;
        if (hl_wl_parse(w, text, &set, &err, &at) != 0) {
            char what[128];
            con_snprintf(what, sizeof what, "bad params= for %s (%s at '%s'):", w->name, err,
                         text + at);
            return usage_error(what, text);
        }
        size_t tlen = kb_strlen(text);
        for (unsigned k = 0; k < w->nparams; k++) {
            char key[KB_NAME_BYTES];
            con_snprintf(key, sizeof key, "%s=", w->params[k].name);
            bool named = kb_starts(text, tlen, key);
            for (size_t c = 0; !named && c < tlen; c++)
                if (text[c] == ',')
                    named = kb_starts(text + c + 1, tlen - c - 1, key);
            if (named)
                p->v[k] = set.v[k];
        }
    }
    const char *err = NULL;
    int bad = -1;
    if (hl_wl_validate(w, p, &err, &bad) != 0) {
        char what[160];
        con_snprintf(what, sizeof what, "bad parameters for workload %s: %s%s%s (after ops=%llu "
                     "scaling):", w->name, err, bad >= 0 ? ": " : "",
                     bad >= 0 ? w->params[bad].name : "", o->ops);
        return usage_error(what, w->name);
    }
    return true;
}

/* Does the canonical text of p fit a row's params field? */
static bool params_text_fits(const struct hl_workload *w, const struct hl_wl_params *p)
{
    static char text[KB_PARAMS_TEXT];
    if (hl_wl_format(w, p, text, sizeof text) < sizeof text)
        return true;
    return usage_error("parameter text too long for", w->name);
}

/* The workload of the run that text ("W:...") names, or -1. */
static int workload_of(const struct kb_opts *o, const char *text, size_t name_len)
{
    for (size_t k = 0; k < o->nwls; k++)
        if (kb_strlen(o->wls[k]->name) == name_len && kb_starts(text, name_len, o->wls[k]->name))
            return (int)k;
    return -1;
}

/* One sweep "W:K=v1,v2,..." (run.c's check_sweep_opts + sweep_points):
 * W a workload of the run, swept once; K one of its parameters; each
 * value parsed as K=v over W's run parameters, validated, not twice. */
static bool add_sweep(struct kb_opts *o, const char *s, size_t n)
{
    char text[KB_PARAMS_TEXT];
    if (!kb_copy(text, sizeof text, s, n))
        return usage_error("value too long for", "sweep=");
    size_t colon = 0, eq;
    while (colon < n && text[colon] != ':')
        colon++;
    for (eq = colon; eq < n && text[eq] != '='; eq++)
        ;
    if (colon == n || eq == n || eq == colon + 1 || eq + 1 == n)
        return usage_error("bad sweep= (expected workload:key=v1,v2,...):", text);
    int k = workload_of(o, text, colon);
    if (k < 0)
        return usage_error("bad sweep= (no such workload in this run):", text);
    if (o->npoints[k])
        return usage_error("bad sweep= (workload swept twice):", text);
    const struct hl_workload *w = o->wls[k];
    int key = -1;
    for (unsigned i = 0; i < w->nparams && key < 0; i++)
        if (kb_strlen(w->params[i].name) == eq - colon - 1 &&
            kb_starts(text + colon + 1, eq - colon - 1, w->params[i].name))
            key = (int)i;
    if (key < 0)
        return usage_error("bad sweep= (no such parameter):", text);
    o->swept[k] = (unsigned)key;
    unsigned np = 0;
    for (size_t v = eq + 1; v <= n;) {
        size_t len = 0;
        while (v + len < n && text[v + len] != ',')
            len++;
        if (len == 0 || np == KB_MAX_POINTS)
            return usage_error(len ? "bad sweep= (too many values):"
                                   : "bad sweep= (empty value):", text);
        char one_text[128];
        struct hl_wl_params one, point = o->params[k];
        const char *err = NULL;
        size_t at = 0;
        if (len > 64)
            return usage_error("bad sweep= (value too long):", text);
        con_snprintf(one_text, sizeof one_text, "%s=", w->params[key].name);
        size_t ol = kb_strlen(one_text);
        kb_copy(one_text + ol, sizeof one_text - ol, text + v, len);
        if (hl_wl_parse(w, one_text, &one, &err, &at) != 0)
            return usage_error("bad sweep= value:", one_text);
        point.v[key] = one.v[key];
        int bad = -1;
        if (hl_wl_validate(w, &point, &err, &bad) != 0)
            return usage_error("bad sweep= value (invalid with the other parameters):", one_text);
        if (!params_text_fits(w, &point))
            return false;
        for (unsigned j = 0; j < np; j++)
            if (o->points[k][j] == point.v[key])
                return usage_error("bad sweep= (value named twice):", one_text);
        o->points[k][np++] = point.v[key];
        v += len + 1;
    }
    o->npoints[k] = np;
    return true;
}

/* sweep= words (repeatable; "none": no sweep), else the default sweeps
 * when workloads= was not given. */
static bool pick_sweeps(struct kb_opts *o)
{
    const char *v, *wl;
    size_t n, wn;
    bool none = false, any = false;
    for (unsigned i = 0; kcmd_find("sweep", i, &v, &n); i++) {
        if (n == 4 && kb_starts(v, n, "none")) {
            none = true;
            continue;
        }
        any = true;
        if (!add_sweep(o, v, n))
            return false;
    }
    if (none && any)
        return usage_error("bad sweep=:", "'none' with other sweep= words");
    if (!none && !any && !kcmd_find("workloads", 0, &wl, &wn))
        for (size_t i = 0; i < HL_WL_NDEFAULT_SWEEPS; i++)
            if (!add_sweep(o, hl_wl_default_sweeps[i],
                           kb_strlen(hl_wl_default_sweeps[i])))
                return false;
    return true;
}

static bool parse_opts(struct kb_opts *o)
{
    if (!pick_list("allocators", (const void *const *)hl_allocators, find_alloc,
                   (const void **)o->allocs, &o->nallocs) ||
        !pick_list("workloads", (const void *const *)hl_workloads, find_wl,
                   (const void **)o->wls, &o->nwls))
        return false;
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
    if (!check_params_words(o))
        return false;
    for (size_t k = 0; k < o->nwls; k++)
        if (!workload_params(o, o->wls[k], &o->params[k]) ||
            !params_text_fits(o->wls[k], &o->params[k]))
            return false;
    char suite[8];
    if (!get_text("suite", suite, sizeof suite, "on"))
        return false;
    if (!kb_streq(suite, "on") && !kb_streq(suite, "off"))
        return usage_error("bad value for suite: (on or off)", suite);
    o->suite = kb_streq(suite, "on");
    return pick_sweeps(o);
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
    };
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

/* cell.c's run_reps. */
static void run_reps(const struct kb_cell *c)
{
    struct hl_cell_result r;
    hl_memset(&r, 0, sizeof r);
    enum hl_status st = hl_cell_pass(&c->cfg, HL_PASS_WARMUP, &r);
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
        bool bad = r.failed_allocs || r.leaks || kernel_reports() != reports0;
        emit_rep(c, rep, bad ? "failed" : "ok", &r, vm_demand_faults() - faults0, true);
    }
}

/* The workspace at VM_DEMAND_BASE: each piece page-aligned. */
struct workspace {
    uintptr_t state, slots, scratch, ops, hist, end;
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
                     const struct hl_workload *w, const struct hl_wl_params *params,
                     const char *sweep)
{
    static char params_text[KB_PARAMS_TEXT];
    hl_wl_format(w, params, params_text, sizeof params_text); /* fits: parse_opts */
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
        !add_piece(&at, sizeof(struct hl_hist), &ws.hist)) {
        cell_end(index, false, "the workspace (state, slots, scratch, op buffer, histogram) "
                               "does not fit in the 512 MiB demand window");
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
    probe_u64("region_base", VM_CELL_BASE);
    probe_u64("region_bytes", o->region_bytes);
    probe_u64("workspace_bytes", ws.end - VM_DEMAND_BASE);

    struct kb_cell c = {
        .o = o, .a = a, .w = w, .params_text = params_text, .sweep = sweep,
        .cfg = {
            .a = a, .w = w, .params = *params, .seed = o->seed,
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
        },
    };
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
    unsigned ncells = 0;
    for (size_t k = 0; k < o->nwls; k++)
        for (size_t i = 0; i < o->nallocs; i++)
            if (o->allocs[i]->family == o->wls[k]->family)
                ncells += (o->suite ? 1u : 0u) + o->npoints[k];
    if (ncells == 0)
        return usage_error("no cell to run: the allocators and workloads share no family",
                           "allocators=/workloads=");
    run_header(ncells, o->region_bytes);

    /* run.c's order: the suite (every workload, every allocator of its
     * family), then each workload's sweep points. */
    bool ok = true;
    unsigned index = 0;
    for (size_t k = 0; k < o->nwls && o->suite; k++)
        for (size_t i = 0; i < o->nallocs; i++)
            if (o->allocs[i]->family == o->wls[k]->family)
                ok &= run_cell(o, index++, o->allocs[i], o->wls[k], &o->params[k], "");
    for (size_t k = 0; k < o->nwls; k++)
        for (unsigned v = 0; v < o->npoints[k]; v++) {
            struct hl_wl_params point = o->params[k];
            point.v[o->swept[k]] = o->points[k][v];
            for (size_t i = 0; i < o->nallocs; i++)
                if (o->allocs[i]->family == o->wls[k]->family)
                    ok &= run_cell(o, index++, o->allocs[i], o->wls[k], &point,
                                   o->wls[k]->params[o->swept[k]].name);
        }
    return ok;
}
