/*
 * cell.c — the child side of `heaplab run`: one cell (allocator x
 * workload, every rep) in its own process, bound to one PU, its rows
 * streamed to the parent over stdout (cell.h gives the protocol).
 *
 * Everything the measured code touches is mmap'd here — state, region,
 * slot table, generator scratch, histogram — so no allocator of the
 * process (glibc's or a preloaded one) serves the workload.
 */
#define _GNU_SOURCE
#include "bench/host/cell.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/callgrind.h>

#include "bench/core/proto.h"
#include "bench/core/runner.h"
#include "bench/host/cli.h"
#include "bench/host/modelled.h"
#include "bench/host/port_host.h"
#include "bench/host/replay.h"
#include "bench/host/sysinfo.h"
#include "bench/host/vmcell.h"

/* Clock calibration pairs. */
#define CAL_SAMPLES 4096u
/* Room for the PEROP pass's timeline samples (points + the ends). */
#define SAMPLE_CAP (CELL_SAMPLE_POINTS + 8u)
/* One formatted row, generously. */
#define ROW_CAP 2048u
/* The op buffer: at most this many ops (16 bytes each) materialized at
 * once; longer streams run in chunks. */
#define OPS_BUDGET ((size_t)4 << 20)

struct cell_args {
    struct cli_alloc ca;
    const struct hl_workload *w;
    struct hl_wl_params params;
    const char *params_text;
    struct hl_al_params aparams; /* the allocator's parameters */
    char aparams_text[512];      /* canonical, "" if it has none */
    uint64_t seed;
    uint32_t reps;
    const char *run_id;
    const char *pu; /* "none" or an OS index */
    bool instructions; /* clock=instructions: under callgrind */
    bool modelled;     /* clock=modelled: under qemu-x86_64 and the cost
                          plugin; no clock read (cell.h) */
    const char *sweep; /* "" or the swept parameter (cell.h) */
    uint32_t launch;   /* this child's launch: its reps are
                          launch * reps ... launch * reps + reps - 1 */
    uint64_t min_ticks; /* BATCH: the stream repeated to this many ticks */
    uint32_t max_attempts; /* runs of a rep's BATCH pass while disturbed */
};

struct sample_buf {
    struct hl_space_sample s[SAMPLE_CAP];
    uint32_t n;
};

static void keep_sample(void *ctx, const struct hl_space_sample *s)
{
    struct sample_buf *b = ctx;
    if (b->n < SAMPLE_CAP)
        b->s[b->n++] = *s;
}

/* mmap'd zeroed memory, or exit 1. */
static void *cell_map(size_t bytes, bool noreserve)
{
    if (bytes == 0)
        bytes = 1;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | (noreserve ? MAP_NORESERVE : 0),
                   -1, 0);
    if (p == MAP_FAILED)
        cli_fail("cell: mmap of %zu bytes: %s", bytes, strerror(errno));
    return p;
}

/* ---- resident pages -------------------------------------------------------------
 *
 * resident_bytes (docs/measurement.md): the cell process's anonymous
 * resident memory (RssAnon of /proc/self/status) at each space sample,
 * minus rss0, its value before the allocator's first op.  The same
 * measure for heaplab's allocators (their region and state are anonymous
 * mappings of this process) and for the baselines (which have no region:
 * their memory comes from the process's own heap and mmaps).  Everything
 * else the harness touches after rss0 is prefaulted before it: op
 * buffer, slot table, generator scratch, histogram, sample and row
 * buffers, a stretch of stack, and the stdio buffers of the
 * interference probes.  The files are read with open/read into a static
 * buffer, so reading them allocates nothing.
 */
struct resident {
    uint64_t rss0_bytes;
};

static char status_text[8192];

/* RssAnon of this process in bytes, or 0 if it cannot be read. */
static uint64_t rss_anon_bytes(void)
{
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, status_text, sizeof status_text - 1);
    close(fd);
    if (n <= 0)
        return 0;
    status_text[n] = '\0';
    const char *p = strstr(status_text, "\nRssAnon:");
    unsigned long long kib = 0;
    if (!p || sscanf(p + 9, " %llu kB", &kib) != 1)
        return 0;
    return (uint64_t)kib * 1024u;
}

/* The runner's resident probe: RssAnon above rss0, 0 below it. */
static uint64_t host_resident(void *ctx)
{
    const struct resident *r = ctx;
    uint64_t now = rss_anon_bytes();
    return now > r->rss0_bytes ? now - r->rss0_bytes : 0;
}

/* Write a zero into every page of [p, p + bytes): fresh zero pages, or
 * buffers whose content no longer matters, so only residency changes. */
static void prefault(void *p, size_t bytes)
{
    volatile char *b = p;
    long page = sysconf(_SC_PAGESIZE);
    for (size_t off = 0; off < bytes; off += (size_t)page)
        b[off] = 0;
    if (bytes) /* p need not be page-aligned: the last page too */
        b[bytes - 1] = 0;
}

/* The stack the runner and the probes will use below this frame. */
static __attribute__((noinline)) void prefault_stack(void)
{
    volatile char pad[256 << 10];
    prefault((void *)pad, sizeof pad);
}

/* Resident bytes of [p, p + bytes) by mincore (the region's cross-check
 * of RssAnon); 0 if mincore fails. */
static uint64_t mincore_bytes(void *p, size_t bytes)
{
    static unsigned char vec[1 << 16];
    size_t page = (size_t)sysconf(_SC_PAGESIZE), pages = 0;
    for (size_t off = 0; off < bytes;) {
        size_t len = bytes - off;
        if (len > sizeof vec * page)
            len = sizeof vec * page;
        if (mincore((char *)p + off, len, vec) != 0)
            return 0;
        for (size_t i = 0; i < (len + page - 1) / page; i++)
            pages += vec[i] & 1u;
        off += len;
    }
    return (uint64_t)pages * page;
}

/* ---- the line protocol (bench/core/proto.h) ---------------------------------- */

/* One protocol line: a row and its kind (static: the process's allocator
 * serves nothing here). */
static char proto_line[ROW_CAP + 64];

/* Write one finished line to stdout, or exit 1 if it did not fit. */
void cell_put_line(struct hl_proto_out *o)
{
    size_t n = hl_proto_end(o);
    if (n >= o->cap)
        cli_fail("cell: a protocol line does not fit in %zu bytes", o->cap);
    fwrite(o->buf, 1, n, stdout);
}

void cell_put_probe(const char *key, const char *fmt, ...)
{
    char value[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    struct hl_proto_out o;
    hl_proto_begin(&o, proto_line, sizeof proto_line, "probe");
    hl_proto_field(&o, key);
    hl_proto_field(&o, value);
    cell_put_line(&o);
}

/* ---- probes: who serves malloc in this process ------------------------------ */

static bool jemalloc_mapped(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return false;
    char line[1024];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, "libjemalloc") != NULL;
    fclose(f);
    return found;
}

static void probe_malloc(void)
{
    Dl_info info;
    void *m = dlsym(RTLD_DEFAULT, "malloc");
    const char *obj = m && dladdr(m, &info) && info.dli_fname ? info.dli_fname
                                                             : "unknown";
    cell_put_probe("malloc_object", "%s", obj);
    cell_put_probe("jemalloc_mapped", "%s", jemalloc_mapped() ? "yes" : "no");
}

/* ---- arguments --------------------------------------------------------------- */

static void parse_args(int argc, char **argv, struct cell_args *a)
{
    if (argc != 2 + CELL_NARGS)
        cli_usage_fail("cell: expected %d arguments", CELL_NARGS);
    char **v = argv + 2;
    char *colon = strchr(v[0], ':');
    if (colon)
        *colon = '\0';
    if (!cli_alloc_find(v[0], &a->ca))
        cli_usage_fail("cell: unknown allocator '%s'", v[0]);
    const char *aerr = NULL;
    if (hl_al_parse(a->ca.a, colon ? colon + 1 : "", &a->aparams, &aerr, NULL) != 0)
        cli_usage_fail("cell: bad allocator params '%s': %s", colon + 1, aerr);
    hl_al_format(a->ca.a, &a->aparams, a->aparams_text, sizeof a->aparams_text);
    if (hl_wl_replay_named(v[1]))
        a->w = replay_open_cell(v[1]); /* trace:PATH (replay.h) */
    else if (!(a->w = hl_workload_find(v[1])))
        cli_usage_fail("cell: unknown workload '%s'", v[1]);
    const char *err = NULL;
    size_t at = 0;
    if (hl_wl_parse(a->w, v[2], &a->params, &err, &at) != 0)
        cli_usage_fail("cell: bad params '%s': %s", v[2], err);
    a->params_text = v[2];
    a->seed = cli_parse_u64("seed", v[3], 0, UINT64_MAX);
    a->reps = (uint32_t)cli_parse_u64("reps", v[4], 1, 100000);
    a->run_id = v[5];
    a->pu = v[6];
    if (!strcmp(v[7], CELL_CLOCK_INSTRUCTIONS))
        a->instructions = true;
    else if (!strcmp(v[7], CELL_CLOCK_MODELLED))
        a->modelled = true;
    else if (strcmp(v[7], CELL_CLOCK) != 0)
        cli_usage_fail("cell: unknown clock '%s'", v[7]);
    a->sweep = strcmp(v[8], "-") ? v[8] : "";
    a->launch = (uint32_t)cli_parse_u64("launch", v[9], 0, 1000000);
    a->min_ticks = cli_parse_u64("min_ticks", v[10], 0, UINT64_MAX / 2);
    a->max_attempts = (uint32_t)cli_parse_u64("attempts", v[11], 1, 100);
}

/* ---- clock=instructions: callgrind around the BATCH stream --------------------- */

struct callgrind {
    const char *prefix; /* CELL_CALLGRIND_ENV */
    unsigned dumps;     /* dumps written so far: the next is dumps + 1 */
    bool cache;         /* the last BATCH pass's dumps had cache events: */
    char l1d[32], llc[32]; /* its misses per op, net of the floor */
};

/* The BATCH pass's measure hooks: collect exactly one run of the stream
 * (the allocator's, then the floor's), each dumped on its own; the
 * materialization of a next chunk is paused out. */
static void cg_begin(void *ctx)
{
    (void)ctx;
    CALLGRIND_START_INSTRUMENTATION;
    CALLGRIND_ZERO_STATS;
    CALLGRIND_TOGGLE_COLLECT;
}

static void cg_toggle(void *ctx)
{
    (void)ctx;
    CALLGRIND_TOGGLE_COLLECT;
}

static void cg_end(void *ctx)
{
    struct callgrind *cg = ctx;
    CALLGRIND_TOGGLE_COLLECT;
    CALLGRIND_DUMP_STATS_AT("heaplab batch");
    CALLGRIND_STOP_INSTRUMENTATION;
    cg->dumps++;
}

/* One dump's totals: instructions, and with --cache-sim=yes the data
 * misses of the first level (D1mr + D1mw) and of the last (DLmr + DLmw). */
struct cg_counts {
    uint64_t ir, d1, dl;
    bool cache; /* the dump has the cache simulator's events */
};

/* The totals of dump number n (1-based), by the names of its "events:"
 * line; the dump is removed once read.  Exits 1 if it cannot be read. */
static struct cg_counts cg_read(const struct callgrind *cg, unsigned n)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s.%ld.%u", cg->prefix, (long)getpid(), n);
    FILE *f = fopen(path, "r");
    if (!f)
        cli_fail("cell: callgrind dump %s: %s", path, strerror(errno));
    enum { EV_MAX = 16 };
    char line[512], names[EV_MAX][8];
    int nev = 0;
    bool found = false;
    struct cg_counts c = {0};
    while (!found && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "events:", 7)) {
            nev = 0;
            for (char *t = strtok(line + 7, " \t\r\n"); t && nev < EV_MAX;
                 t = strtok(NULL, " \t\r\n"))
                snprintf(names[nev++], sizeof names[0], "%s", t);
            continue;
        }
        if (strncmp(line, "totals:", 7))
            continue;
        found = true;
        char *at = line + 7;
        for (int i = 0; i < (nev ? nev : 1); i++) {
            char *end;
            unsigned long long v = strtoull(at, &end, 10);
            if (end == at)
                break;
            at = end;
            const char *e = nev ? names[i] : "Ir";
            if (!strcmp(e, "Ir"))
                c.ir = v;
            else if (!strcmp(e, "D1mr") || !strcmp(e, "D1mw"))
                c.d1 += v, c.cache = true;
            else if (!strcmp(e, "DLmr") || !strcmp(e, "DLmw"))
                c.dl += v;
        }
    }
    fclose(f);
    if (!found)
        cli_fail("cell: callgrind dump %s has no totals line", path);
    unlink(path);
    return c;
}

static void bind_pu(const char *pu)
{
    if (strcmp(pu, "none") == 0) {
        cell_put_probe("binding", "none");
        return;
    }
    unsigned os = (unsigned)cli_parse_u64("pu", pu, 0, 1u << 16);
    if (sys_bind_pu(os))
        cell_put_probe("binding", "PU %u (sched_setaffinity in the cell child)", os);
    else
        cell_put_probe("binding", "failed for PU %u: %s", os, strerror(errno));
}


/* ---- one rep ------------------------------------------------------------------ */

struct cell_run {
    struct cell_args *args;
    struct hl_leak_table *leaks; /* the WARMUP pass's leak detector */
    void *leak_mem;
    size_t leak_bytes;
    struct callgrind cg;
    struct hl_cell_config cfg;
    struct sample_buf *samples;
    char *row;
};

/* ---- interference -------------------------------------------------------------
 *
 * What may have disturbed a timed pass, read before and after it: the
 * child's involuntary context switches and page faults (getrusage), its
 * CPU migrations (/proc/self/sched, se.nr_migrations), and the steal time
 * of its CPU (/proc/stat, the bound PU's line; the whole machine's if
 * unbound), in USER_HZ ticks.  A figure that cannot be read stays 0.
 */
struct interference {
    uint64_t invol, faults, migrations, steal;
};

static uint64_t sched_migrations(void)
{
    FILE *f = fopen("/proc/self/sched", "r");
    if (!f)
        return 0;
    char line[256];
    unsigned long long v = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "se.nr_migrations : %llu", &v) == 1)
            break;
    fclose(f);
    return v;
}

static uint64_t steal_ticks(const char *pu)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return 0;
    char want[32], line[512];
    snprintf(want, sizeof want, strcmp(pu, "none") ? "cpu%s " : "cpu ", pu);
    unsigned long long v[8] = {0};
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, want, strlen(want)) != 0)
            continue;
        if (sscanf(line + strlen(want), "%llu %llu %llu %llu %llu %llu %llu "
                   "%llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                   &v[7]) != 8)
            v[7] = 0;
        break;
    }
    fclose(f);
    return v[7];
}

/* Set under clock=modelled: no interference probes.  Their text (and so
 * the memory their parsing touches) differs between runs, which would
 * move the cache model's state; under emulation they mean nothing. */
static bool no_probes;

static void interference_now(const char *pu, struct interference *x)
{
    if (no_probes) {
        memset(x, 0, sizeof *x);
        return;
    }
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        x->invol = (uint64_t)ru.ru_nivcsw;
        x->faults = (uint64_t)ru.ru_minflt + (uint64_t)ru.ru_majflt;
    }
    x->migrations = sched_migrations();
    x->steal = steal_ticks(pu);
}

/* after - before, field by field. */
static struct interference interference_delta(const struct interference *b,
                                              const struct interference *a)
{
    return (struct interference){a->invol - b->invol, a->faults - b->faults,
                                 a->migrations - b->migrations,
                                 a->steal - b->steal};
}

/* A timed pass counts as disturbed if it was moved to another CPU, if
 * its CPU's hypervisor stole time meanwhile, or if it was switched out
 * involuntarily more than once per DISTURB_SWITCH_MS of its duration
 * (any switch at all in a pass shorter than that): a pass of a second is
 * switched out a few times on any machine, at a cost of microseconds,
 * while one switch in a 10 ms pass is a real share of it. */
#define DISTURB_SWITCH_MS 50u

static bool is_disturbed(const struct interference *d, uint64_t pass_ms)
{
    return d->migrations || d->steal ||
           d->invol > pass_ms / DISTURB_SWITCH_MS;
}

static struct hl_row_ids row_ids(const struct cell_args *a, uint32_t rep,
                                 const char *status, uint64_t overhead,
                                 const struct interference *x,
                                 uint32_t attempts, bool disturbed)
{
    return (struct hl_row_ids){
        .run_id = a->run_id, .env = CELL_ENV, .accel = CELL_ACCEL,
        .clock = a->instructions ? CELL_CLOCK_INSTRUCTIONS
                 : a->modelled   ? CELL_CLOCK_MODELLED
                                 : CELL_CLOCK,
        .allocator = a->ca.a->name,
        .family = hl_family_str(a->ca.a->family), .workload = a->w->name,
        .params = a->params_text, .seed = a->seed, .rep = rep,
        .status = status, .timer_overhead = overhead, .faults = x->faults,
        .no_perop = a->instructions || a->modelled, .sweep = a->sweep,
        .launch = a->launch, .invol_switches = x->invol,
        .migrations = x->migrations, .steal_ticks = x->steal,
        .attempts = attempts, .disturbed = disturbed,
        .alloc_params = a->aparams_text,
    };
}

/* "@HL kind,<row>" for one result row, or exit 1 if it did not fit. */
static void put_row(const char *kind, char *buf, size_t len)
{
    if (len >= ROW_CAP)
        cli_fail("cell: a %s row does not fit in %u bytes", kind, ROW_CAP);
    struct hl_proto_out o;
    hl_proto_begin(&o, proto_line, sizeof proto_line, kind);
    hl_proto_row(&o, buf, len);
    cell_put_line(&o);
}

static void emit_rep(struct cell_run *c, uint32_t rep,
                     const struct hl_row_ids *id,
                     const struct hl_cell_result *r, bool detail)
{
    put_row("cell", c->row, hl_format_cells_row(c->row, ROW_CAP, id, r));
    /* Latency and timeline rows come from the TSC suite cells only: their
     * key has no clock or sweep column, and per-op figures under
     * callgrind would time valgrind. */
    if (detail && !c->args->instructions && !c->args->modelled && !c->args->sweep[0]) {
        const struct hl_hist *h = c->cfg.hist;
        for (unsigned i = hl_hist_next(h, 0); i < HL_HIST_BUCKETS;
             i = hl_hist_next(h, i + 1))
            put_row("lat", c->row,
                    hl_format_latency_row(c->row, ROW_CAP, id,
                                          hl_hist_bucket_lo(i),
                                          hl_hist_bucket_hi(i),
                                          h->buckets[i]));
        for (uint32_t i = 0; i < c->samples->n; i++)
            put_row("tl", c->row,
                    hl_format_timeline_row(c->row, ROW_CAP, id,
                                           &c->samples->s[i]));
    }
    struct hl_proto_out o;
    hl_proto_begin(&o, proto_line, sizeof proto_line, "rep");
    hl_proto_u64(&o, rep);
    cell_put_line(&o);
    fflush(stdout);
}

/* ok: clean; failed: figures exist but an alloc failed, a block leaked or
 * a checked allocator reported a bad free.  A replayed trace ends with
 * the blocks its program never freed still live: those are the
 * program's, not leaks of the allocator (the leaks column still counts
 * them). */
static const char *rep_status(const struct hl_cell_result *r,
                              const struct hl_workload *w, unsigned long reports)
{
    uint64_t expected = hl_wl_is_replay(w) ? hl_wl_replay_of(w)->st.end_live_blocks : 0;
    return r->failed_allocs || r->leaks > expected || reports ? "failed" : "ok";
}

/* The BATCH pass, run again while disturbed (at most max_attempts runs);
 * *x gets the last run's interference.  Under callgrind the two dumps
 * of the pass (the allocator's stream, the floor's) replace the ticks. */
static enum hl_status batch_attempts(struct cell_run *c,
                                     struct hl_cell_result *r,
                                     struct interference *x,
                                     uint32_t *attempts, bool *disturbed)
{
    enum hl_status st = HL_OK;
    *attempts = 0;
    do {
        struct interference before, after;
        struct hl_cell_result fresh = *r;
        struct timespec t0, t1;
        interference_now(c->args->pu, &before);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        st = hl_cell_pass(&c->cfg, HL_PASS_BATCH, &fresh);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        interference_now(c->args->pu, &after);
        uint64_t pass_ms = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000u +
                           (uint64_t)((t1.tv_nsec - t0.tv_nsec) / 1000000);
        *x = interference_delta(&before, &after);
        (*attempts)++;
        *r = fresh;
        if (st != HL_OK)
            return st;
        if (c->args->instructions) {
            struct cg_counts raw = cg_read(&c->cg, c->cg.dumps - 1);
            struct cg_counts floor = cg_read(&c->cg, c->cg.dumps);
            hl_cell_set_ticks(r, raw.ir, floor.ir);
            /* callgrind's cache simulator (spawn.c asks for it beside the
             * modelled clock): L1d and last-level data misses per op */
            uint64_t n = r->ops * (r->stream_repeats ? r->stream_repeats : 1);
            c->cg.cache = raw.cache && floor.cache && n;
            if (c->cg.cache) {
                model_per_op_text(c->cg.l1d, sizeof c->cg.l1d, raw.d1, floor.d1, n);
                model_per_op_text(c->cg.llc, sizeof c->cg.llc, raw.dl, floor.dl, n);
            }
        } else if (c->args->modelled) {
            /* the report's figures replace these (modelled.h); the
             * host's ticks under emulation would only make the row's
             * text, and so the memory it touches, differ between runs */
            hl_cell_set_ticks(r, 0, 0);
            memset(x, 0, sizeof *x);
        }
        /* Counting clocks are not disturbed by anything. */
        *disturbed = !c->args->instructions && !c->args->modelled &&
                     is_disturbed(x, pass_ms);
    } while (*disturbed && *attempts < c->args->max_attempts);
    return st;
}

static void emit_leak_row(void *ctx, const char *row, size_t len)
{
    (void)ctx;
    put_row("leak", (char *)row, len);
}

/* The leak detector's report of the WARMUP pass (leak.h): "@HL leak" rows,
 * before the first rep's (the parent keeps them with that rep).  Then its
 * table is given back, so that the timed passes' resident pages do not
 * count it. */
static struct hl_leak_report leak_report; /* static: prefaulted before rss0 */

static void emit_leaks(struct cell_run *c)
{
    struct hl_leak_report *rep = &leak_report;
    hl_leak_report(c->leaks, HL_LEAKS_LISTED, rep);
    struct interference none = {0};
    struct hl_row_ids id = row_ids(c->args, 0, "ok", 0, &none, 0, false);
    hl_leak_rows(rep, hl_wl_is_replay(c->args->w), &id, c->row, ROW_CAP, emit_leak_row, NULL);
}

static void run_reps(struct cell_run *c)
{
    struct hl_cell_result r;
    memset(&r, 0, sizeof r);
    c->cfg.leak_table = c->leaks;
    enum hl_status st = hl_cell_pass(&c->cfg, HL_PASS_WARMUP, &r);
    c->cfg.leak_table = NULL;
    if (st == HL_OK)
        emit_leaks(c);
    munmap(c->leak_mem, c->leak_bytes);
    for (uint32_t i = 0; i < c->args->reps; i++) {
        uint32_t rep = c->args->launch * c->args->reps + i;
        unsigned long reports0 = hl_host_report_count();
        struct interference x = {0}, rep0, rep1;
        uint32_t attempts = 0;
        bool disturbed = false;
        interference_now(c->args->pu, &rep0);
        memset(&r, 0, sizeof r);
        c->samples->n = 0;
        if (st == HL_OK)
            st = batch_attempts(c, &r, &x, &attempts, &disturbed);
        /* (the modelled clock: PEROP's modelled variant, runner.h) */
        if (st == HL_OK)
            st = hl_cell_pass(&c->cfg, HL_PASS_PEROP, &r);
        interference_now(c->args->pu, &rep1);
        /* faults: the whole rep's, as before; the rest: the BATCH pass's */
        x.faults = c->args->modelled ? 0 : interference_delta(&rep0, &rep1).faults;
        if (st != HL_OK) { /* init refused: no figures, this rep or later */
            fprintf(stderr, "heaplab: cell %s x %s: init: %s\n",
                    c->args->ca.a->name, c->args->w->name, hl_status_str(st));
            memset(&r, 0, sizeof r);
            struct interference none = {0};
            struct hl_row_ids id = row_ids(c->args, rep, "error",
                                           c->cfg.timer_overhead, &none, 0,
                                           false);
            emit_rep(c, rep, &id, &r, false);
            continue;
        }
        struct hl_row_ids id =
            row_ids(c->args, rep, rep_status(&r, c->args->w, hl_host_report_count() -
                                                     reports0),
                    c->cfg.timer_overhead, &x, attempts, disturbed);
        if (c->args->instructions && c->cg.cache) {
            id.misses[0] = c->cg.l1d;
            id.misses[2] = c->cg.llc;
        }
        emit_rep(c, rep, &id, &r, true);
    }
}

int cell_put_done(void)
{
    struct hl_proto_out o;
    hl_proto_begin(&o, proto_line, sizeof proto_line, "done");
    hl_proto_field(&o, "ok");
    cell_put_line(&o);
    fflush(stdout);
    return ferror(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

static int cell_main(int argc, char **argv)
{
    struct cell_args a = {0};
    parse_args(argc, argv, &a);
    no_probes = a.modelled;
    /* stdout's buffer is ours (not malloc's), so that it can be made
     * resident before rss0 (see "resident pages"). */
    static char stdout_buf[1 << 16];
    setvbuf(stdout, stdout_buf, _IOFBF, sizeof stdout_buf);
    probe_malloc();
    bind_pu(a.pu);

    struct hl_clock_cal cal = {0};
    struct callgrind cg = {0};
    if (a.modelled) {
        /* Counted by the cost plugin between the runner's markers:
         * nothing to calibrate or subtract. */
        cell_put_probe("counter", "heaplab-cost.so under qemu-x86_64, BATCH stream only");
    } else if (a.instructions) {
        if (!RUNNING_ON_VALGRIND || !(cg.prefix = getenv(CELL_CALLGRIND_ENV)))
            cli_usage_fail("cell: clock %s needs callgrind and %s",
                           CELL_CLOCK_INSTRUCTIONS, CELL_CALLGRIND_ENV);
        /* Counted, not timed: nothing to calibrate or subtract. */
        cell_put_probe("counter", "callgrind (valgrind %d.%d), BATCH stream only",
                  __VALGRIND_MAJOR__, __VALGRIND_MINOR__);
    } else {
        uint64_t *cal_scratch =
            cell_map(CAL_SAMPLES * sizeof(uint64_t), false);
        hl_clock_calibrate(&cal, cal_scratch, CAL_SAMPLES);
        cell_put_probe("timer_overhead", "%llu", (unsigned long long)cal.overhead);
        cell_put_probe("timer_resolution", "%llu", (unsigned long long)cal.resolution);
    }
    if (a.ca.kind == CLI_ALLOC_VM) { /* a mapping kind: vmcell.c runs it */
        if (a.instructions || a.modelled)
            cli_usage_fail("cell: vm cells run with clock %s only", CELL_CLOCK);
        struct vm_cell_args va = {
            .a = a.ca.a, .w = a.w, .params = a.params, .params_text = a.params_text,
            .run_id = a.run_id, .sweep = a.sweep, .seed = a.seed,
            .min_ticks = a.min_ticks, .reps = a.reps, .launch = a.launch};
        return vm_cell_run(&va, cal.overhead);
    }

    const struct hl_allocator *al = a.ca.a;
    uint64_t nslots = a.w->slots(&a.params);
    size_t scratch_bytes = a.w->scratch_bytes(&a.params);
    uint64_t total_ops = a.w->total_ops(&a.params);
    size_t ops_cap = total_ops < OPS_BUDGET ? (size_t)total_ops : OPS_BUDGET;
    if (ops_cap == 0)
        ops_cap = 1;
    /* CELL_REGION_BYTES, or more for a frame stream that holds more at
     * its peak (frames-churn up to 2^20 frames): untouched pages cost
     * nothing.  As in the kernel (kernel_port/bench.c), a stream whose
     * bound (peak_frame_bytes) exceeds the region keeps it when its exact
     * peak fits (one untimed generator pass), so that both worlds give a
     * frame allocator the same region and so the same placements. */
    size_t region_bytes = CELL_REGION_BYTES;
    uint64_t need = hl_wl_region_bytes(a.w, &a.params);
    if (need > region_bytes) {
        void *scratch = cell_map(scratch_bytes, true);
        uint64_t *slot_bytes = cell_map((size_t)nslots * sizeof(uint64_t), true);
        need = hl_wl_region_for(hl_wl_peak_live_bytes(a.w, &a.params, a.seed, scratch,
                                                      scratch_bytes, slot_bytes, nslots));
        munmap(scratch, scratch_bytes ? scratch_bytes : 1);
        munmap(slot_bytes, nslots ? (size_t)nslots * sizeof(uint64_t) : 1);
    }
    if (need > region_bytes) {
        if (need > CELL_MAX_REGION_BYTES)
            cli_usage_fail("cell: the stream needs a %llu-byte region (at most "
                           "%llu)", (unsigned long long)need,
                           (unsigned long long)CELL_MAX_REGION_BYTES);
        region_bytes = (size_t)((need + CELL_REGION_GRAIN - 1) /
                                CELL_REGION_GRAIN * CELL_REGION_GRAIN);
    }
    cell_put_probe("region_bytes", "%zu", region_bytes);
    struct sample_buf *samples = cell_map(sizeof *samples, false);
    struct resident res = {0};
    struct cell_run c = {
        .args = &a,
        .cg = cg,
        .samples = samples,
        .row = cell_map(ROW_CAP, false),
        .cfg = {
            .a = al,
            .alloc_params = &a.aparams,
            .w = a.w,
            .params = a.params,
            .seed = a.seed,
            .state = cell_map(al->state_bytes, false),
            .region = cell_map(region_bytes, true),
            .region_bytes = region_bytes,
            .scratch = cell_map(scratch_bytes, true),
            .scratch_bytes = scratch_bytes,
            .slots = cell_map((size_t)nslots * sizeof(struct hl_slot), true),
            .nslots = nslots,
            .hist = cell_map(sizeof(struct hl_hist), false),
            .ops = cell_map(ops_cap * sizeof(struct hl_op), true),
            .ops_cap = ops_cap,
            .timer_overhead = cal.overhead,
            .min_ticks = a.instructions || a.modelled ? 0 : a.min_ticks,
            /* its ops between the plugin's markers, no clock read */
            .perop_modelled = a.modelled,
            .sample_points = CELL_SAMPLE_POINTS,
            .sample = keep_sample,
            .sample_ctx = samples,
            /* under qemu-x86_64, /proc/self is QEMU's */
            .resident = a.modelled ? NULL : host_resident,
            .resident_ctx = &res,
            .touch_blocks = true,
        },
    };
    /* The leak detector's table: sized for every slot holding a block at
     * once, used by the WARMUP pass only, unmapped after it (run_reps). */
    static struct hl_leak_table leaks;
    c.leak_bytes = hl_leak_table_bytes(nslots);
    if (c.leak_bytes == 0)
        cli_fail("cell: the leak table for %llu slots does not fit",
                 (unsigned long long)nslots);
    c.leak_mem = cell_map(c.leak_bytes, true);
    if (!hl_leak_init(&leaks, c.leak_mem, c.leak_bytes, nslots))
        cli_fail("cell: the leak table does not fit in %zu bytes", c.leak_bytes);
    c.leaks = &leaks;
    if (a.instructions) {
        c.cfg.measure_begin = cg_begin;
        c.cfg.measure_end = cg_end;
        c.cfg.measure_pause = cg_toggle;
        c.cfg.measure_resume = cg_toggle;
        c.cfg.measure_ctx = &c.cg;
    }
    /* rss0: the harness's own memory resident first (see "resident
     * pages"); the allocator's state and region are not touched yet. */
    prefault(c.cfg.slots, (size_t)nslots * sizeof(struct hl_slot));
    prefault(c.cfg.scratch, scratch_bytes);
    prefault(c.cfg.ops, ops_cap * sizeof(struct hl_op));
    prefault(c.cfg.hist, sizeof(struct hl_hist));
    prefault(samples, sizeof *samples);
    prefault(c.row, ROW_CAP);
    fflush(stdout); /* nothing buffered left for the zeros to overwrite */
    prefault(proto_line, sizeof proto_line); /* it may straddle a page */
    prefault(status_text, sizeof status_text);
    prefault(&leak_report, sizeof leak_report);
    prefault(stdout_buf, sizeof stdout_buf);
    prefault_stack();
    struct interference warm;
    interference_now(a.pu, &warm);
    struct timespec now; /* its first call binds it (a GOT page written) */
    clock_gettime(CLOCK_MONOTONIC, &now);
    (void)hl_host_report_count(); /* its counter's page, first read here */
    if (a.modelled) { /* /proc/self is QEMU's */
        run_reps(&c);
        return cell_put_done();
    }
    res.rss0_bytes = rss_anon_bytes();
    cell_put_probe("rss0_bytes", "%llu", (unsigned long long)res.rss0_bytes);
    run_reps(&c);
    /* The cross-check: the region's resident pages by mincore, beside
     * RssAnon's figure now (a baseline's region stays untouched). */
    uint64_t rss_end = host_resident(&res); /* before mincore's vector */
    uint64_t region_end = mincore_bytes(c.cfg.region, region_bytes);
    cell_put_probe("resident_end", "RssAnon-rss0 %llu bytes, region by mincore "
              "%llu bytes, state %zu bytes", (unsigned long long)rss_end,
              (unsigned long long)region_end, al->state_bytes);
    return cell_put_done();
}

/* Under the modelled clock (and callgrind's cache simulator, clock
 * instructions) the simulated cache's sets follow addresses, and
 * the stack's place moves with the size of argv and the environment (the
 * run id, the folders, the user's variables): the cell runs on a stack
 * moved down to a multiple of CELL_STACK_ALIGN (the span of the largest
 * preset's LLC sets, 32768 x 64 bytes) whatever they are.  qemu-x86_64
 * gives its guest an 8 MiB stack. */
#define CELL_STACK_ALIGN ((uintptr_t)2 << 20)

bool cell_clock_pins_layout(const char *clock)
{
    return !strcmp(clock, CELL_CLOCK_MODELLED) || !strcmp(clock, CELL_CLOCK_INSTRUCTIONS);
}

int cmd_cell(int argc, char **argv)
{
    if (argc == 2 + CELL_NARGS && cell_clock_pins_layout(argv[2 + 7])) {
        uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
        char *pad = __builtin_alloca(sp & (CELL_STACK_ALIGN - 1));
        __asm__ __volatile__("" : : "r"(pad) : "memory");
        return cell_main(argc, argv);
    }
    return cell_main(argc, argv);
}
