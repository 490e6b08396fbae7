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
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <valgrind/callgrind.h>

#include "bench/core/runner.h"
#include "bench/host/cli.h"
#include "bench/host/port_host.h"
#include "bench/host/sysinfo.h"

/* Clock calibration pairs. */
#define CAL_SAMPLES 4096u
/* Room for the PEROP pass's timeline samples (points + the ends). */
#define SAMPLE_CAP (CELL_SAMPLE_POINTS + 8u)
/* One formatted row, generously. */
#define ROW_CAP 2048u

struct cell_args {
    struct cli_alloc ca;
    const struct hl_workload *w;
    struct hl_wl_params params;
    const char *params_text;
    uint64_t seed;
    uint32_t reps;
    const char *run_id;
    const char *pu; /* "none" or an OS index */
    bool instructions; /* clock=instructions: under callgrind */
    const char *sweep; /* "" or the swept parameter (cell.h) */
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
    printf("P malloc_object=%s\n", obj);
    printf("P jemalloc_mapped=%s\n", jemalloc_mapped() ? "yes" : "no");
}

/* ---- arguments --------------------------------------------------------------- */

static void parse_args(int argc, char **argv, struct cell_args *a)
{
    if (argc != 2 + CELL_NARGS)
        cli_usage_fail("cell: expected %d arguments", CELL_NARGS);
    char **v = argv + 2;
    if (!cli_alloc_find(v[0], &a->ca))
        cli_usage_fail("cell: unknown allocator '%s'", v[0]);
    if (!(a->w = hl_workload_find(v[1])))
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
    else if (strcmp(v[7], CELL_CLOCK) != 0)
        cli_usage_fail("cell: unknown clock '%s'", v[7]);
    a->sweep = strcmp(v[8], "-") ? v[8] : "";
}

/* ---- clock=instructions: callgrind around the BATCH stream --------------------- */

struct callgrind {
    const char *prefix; /* CELL_CALLGRIND_ENV */
    unsigned dumps;     /* dumps written so far: the next is dumps + 1 */
};

/* measure_begin/measure_end of the BATCH pass: collect only the
 * measured stream (the generator's next() included, as in the TSC
 * figure), then dump it. */
static void cg_begin(void *ctx)
{
    (void)ctx;
    CALLGRIND_START_INSTRUMENTATION;
    CALLGRIND_ZERO_STATS;
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

/* Instructions of the last dump (its "totals:" line); the dump is
 * removed once read.  Exits 1 if it cannot be read. */
static uint64_t cg_read_last(const struct callgrind *cg)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s.%ld.%u", cg->prefix, (long)getpid(),
             cg->dumps);
    FILE *f = fopen(path, "r");
    if (!f)
        cli_fail("cell: callgrind dump %s: %s", path, strerror(errno));
    char line[512];
    unsigned long long total = 0;
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = sscanf(line, "totals: %llu", &total) == 1;
    fclose(f);
    if (!found)
        cli_fail("cell: callgrind dump %s has no totals line", path);
    unlink(path);
    return total;
}

static void bind_pu(const char *pu)
{
    if (strcmp(pu, "none") == 0) {
        printf("P binding=none\n");
        return;
    }
    unsigned os = (unsigned)cli_parse_u64("pu", pu, 0, 1u << 16);
    if (sys_bind_pu(os))
        printf("P binding=PU %u (sched_setaffinity in the cell child)\n", os);
    else
        printf("P binding=failed for PU %u: %s\n", os, strerror(errno));
}

/* ---- one rep ------------------------------------------------------------------ */

struct cell_run {
    struct cell_args *args;
    struct callgrind cg;
    struct hl_cell_config cfg;
    struct sample_buf *samples;
    char *row;
};

static uint64_t faults_now(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (uint64_t)ru.ru_minflt + (uint64_t)ru.ru_majflt;
}

static struct hl_row_ids row_ids(const struct cell_args *a, uint32_t rep,
                                 const char *status, uint64_t overhead,
                                 uint64_t faults)
{
    return (struct hl_row_ids){
        .run_id = a->run_id, .env = CELL_ENV, .accel = CELL_ACCEL,
        .clock = a->instructions ? CELL_CLOCK_INSTRUCTIONS : CELL_CLOCK,
        .allocator = a->ca.a->name,
        .family = hl_family_str(a->ca.a->family), .workload = a->w->name,
        .params = a->params_text, .seed = a->seed, .rep = rep,
        .status = status, .timer_overhead = overhead, .faults = faults,
        .no_perop = a->instructions, .sweep = a->sweep,
    };
}

/* Print one tagged row, or exit 1 if it did not fit. */
static void put_row(char tag, char *buf, size_t len)
{
    if (len >= ROW_CAP)
        cli_fail("cell: a %c row does not fit in %u bytes", tag, ROW_CAP);
    printf("%c %.*s\n", tag, (int)len, buf);
}

static void emit_rep(struct cell_run *c, uint32_t rep, const char *status,
                     const struct hl_cell_result *r, uint64_t faults,
                     bool detail)
{
    struct hl_row_ids id = row_ids(c->args, rep, status,
                                   c->cfg.timer_overhead, faults);
    put_row('C', c->row, hl_format_cells_row(c->row, ROW_CAP, &id, r));
    /* Latency and timeline rows come from the TSC suite cells only: their
     * key has no clock or sweep column, and per-op figures under
     * callgrind would time valgrind. */
    if (detail && !c->args->instructions && !c->args->sweep[0]) {
        const struct hl_hist *h = c->cfg.hist;
        for (unsigned i = hl_hist_next(h, 0); i < HL_HIST_BUCKETS;
             i = hl_hist_next(h, i + 1))
            put_row('L', c->row,
                    hl_format_latency_row(c->row, ROW_CAP, &id,
                                          hl_hist_bucket_lo(i),
                                          hl_hist_bucket_hi(i),
                                          h->buckets[i]));
        for (uint32_t i = 0; i < c->samples->n; i++)
            put_row('T', c->row,
                    hl_format_timeline_row(c->row, ROW_CAP, &id,
                                           &c->samples->s[i]));
    }
    printf("R %u\n", rep);
    fflush(stdout);
}

/* ok: clean; failed: figures exist but an alloc failed, a block leaked or
 * a checked allocator reported a bad free. */
static const char *rep_status(const struct hl_cell_result *r,
                              unsigned long reports)
{
    return r->failed_allocs || r->leaks || reports ? "failed" : "ok";
}

static void run_reps(struct cell_run *c)
{
    struct hl_cell_result r;
    memset(&r, 0, sizeof r);
    enum hl_status st = hl_cell_pass(&c->cfg, HL_PASS_WARMUP, &r);
    for (uint32_t rep = 0; rep < c->args->reps; rep++) {
        unsigned long reports0 = hl_host_report_count();
        uint64_t faults0 = faults_now();
        memset(&r, 0, sizeof r);
        c->samples->n = 0;
        if (st == HL_OK)
            st = hl_cell_pass(&c->cfg, HL_PASS_BATCH, &r);
        if (st == HL_OK && c->args->instructions) {
            /* The BATCH figures become instructions: the dump counted
             * exactly the measured stream (no timer to subtract). */
            r.batch_ticks = cg_read_last(&c->cg);
            r.cycles_per_op_milli = r.ops ? r.batch_ticks * 1000 / r.ops : 0;
        }
        if (st == HL_OK)
            st = hl_cell_pass(&c->cfg, HL_PASS_PEROP, &r);
        if (st != HL_OK) { /* init refused: no figures, this rep or later */
            fprintf(stderr, "heaplab: cell %s x %s: init: %s\n",
                    c->args->ca.a->name, c->args->w->name, hl_status_str(st));
            memset(&r, 0, sizeof r);
            emit_rep(c, rep, "error", &r, 0, false);
            continue;
        }
        emit_rep(c, rep, rep_status(&r, hl_host_report_count() - reports0),
                 &r, faults_now() - faults0, true);
    }
}

int cmd_cell(int argc, char **argv)
{
    struct cell_args a = {0};
    parse_args(argc, argv, &a);
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    probe_malloc();
    bind_pu(a.pu);

    struct hl_clock_cal cal = {0};
    struct callgrind cg = {0};
    if (a.instructions) {
        if (!RUNNING_ON_VALGRIND || !(cg.prefix = getenv(CELL_CALLGRIND_ENV)))
            cli_usage_fail("cell: clock %s needs callgrind and %s",
                           CELL_CLOCK_INSTRUCTIONS, CELL_CALLGRIND_ENV);
        /* Counted, not timed: nothing to calibrate or subtract. */
        printf("P counter=callgrind (valgrind %d.%d), BATCH stream only\n",
               __VALGRIND_MAJOR__, __VALGRIND_MINOR__);
    } else {
        uint64_t *cal_scratch =
            cell_map(CAL_SAMPLES * sizeof(uint64_t), false);
        hl_clock_calibrate(&cal, cal_scratch, CAL_SAMPLES);
        printf("P timer_overhead=%llu\nP timer_resolution=%llu\n",
               (unsigned long long)cal.overhead,
               (unsigned long long)cal.resolution);
    }

    const struct hl_allocator *al = a.ca.a;
    uint64_t nslots = a.w->slots(&a.params);
    size_t scratch_bytes = a.w->scratch_bytes(&a.params);
    struct sample_buf *samples = cell_map(sizeof *samples, false);
    struct cell_run c = {
        .args = &a,
        .cg = cg,
        .samples = samples,
        .row = cell_map(ROW_CAP, false),
        .cfg = {
            .a = al,
            .w = a.w,
            .params = a.params,
            .seed = a.seed,
            .state = cell_map(al->state_bytes, false),
            .region = cell_map(CELL_REGION_BYTES, true),
            .region_bytes = CELL_REGION_BYTES,
            .scratch = cell_map(scratch_bytes, true),
            .scratch_bytes = scratch_bytes,
            .slots = cell_map((size_t)nslots * sizeof(struct hl_slot), true),
            .nslots = nslots,
            .hist = cell_map(sizeof(struct hl_hist), false),
            .timer_overhead = cal.overhead,
            .sample_points = CELL_SAMPLE_POINTS,
            .sample = keep_sample,
            .sample_ctx = samples,
        },
    };
    if (a.instructions) {
        c.cfg.measure_begin = cg_begin;
        c.cfg.measure_end = cg_end;
        c.cfg.measure_ctx = &c.cg;
    }
    run_reps(&c);
    printf("D\n");
    fflush(stdout);
    return ferror(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
