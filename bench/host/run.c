/*
 * run.c — `heaplab run`: check every option before anything is created,
 * plan the cells (allocator x workload of the same family), create
 * results/<run-id>/ with meta.csv, run each cell in a child (spawn.c),
 * then write summary.csv and print the summary table.
 *
 * Files of a run (docs/csv-schema.md): meta.csv, cells.csv, latency.csv,
 * timeline.csv, leaks.csv, summary.csv, cells.log.
 */
#define _GNU_SOURCE
#include "bench/host/run.h"
#include "bench/host/vmcell.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/core/runner.h"
#include "bench/host/baselines.h"
#include "bench/host/cell.h"
#include "bench/host/csvread.h"
#include "bench/host/modelled.h"
#include "bench/host/qemu.h"
#include "bench/host/replay.h"
#include "bench/host/summary.h"
#include "bench/host/sysinfo.h"

#define RUN_DEFAULT_REPS 2u
#define RUN_DEFAULT_LAUNCHES 5u
#define RUN_DEFAULT_MIN_TIME_S 0.01
#define RUN_DEFAULT_RETRIES 2u
#define RUN_MAX_LAUNCHES 1000u
#define RUN_MAX_MIN_TIME_S 60.0
#define RUN_MAX_JOBS 64u
#define RUN_DEFAULT_DET_REPS 1u
#define RUN_DEFAULT_OPS 10000u
#define RUN_DEFAULT_SEED 1u
#define RUN_DEFAULT_OUT "results"
#define RUN_MAX_LIST 64u
#define RUN_MAX_CAND 128u  /* allocators of the binary, every kind */
#define RUN_MAX_REPS 1000u
#define RUN_MAX_OPS 1000000000u
#define RUN_MAX_CPU 4095u
#define RUN_MAX_TIMEOUT_S 86400u
#define RUN_CI_LEVEL 0.95
#define RUN_ENV_QEMU "qemu"
#define RUN_DEFAULT_MODEL "skylake-client"

static const char run_usage[] =
    "usage: heaplab run [--allocators a,b:k=v,...] [--workloads w,x] [--reps N]\n"
    "                   [--launches L] [--min-time SEC] [--retries N]\n"
    "                   [--order-seed S] [--target-ci P] [--budget SEC]\n"
    "                   [--jobs J] [--shard I/N]\n"
    "                   [--ops N] [--seed S] [--out DIR] [--cpu PU]\n"
    "                   [--params w:k=v,...] [--sweep w|a:k=v1,v2,...]\n"
    "                   [--env host|qemu|both] [--clock LIST] [--model PRESET]\n"
    "                   [--accel auto|kvm|tcg] [--det-reps N] [--timeout SEC]\n"
    "\n"
    "Run every cell (allocator x workload of the same family, per clock) on\n"
    "the host and in the i386 kernel under QEMU; write\n"
    "DIR/<run-id>/{meta,cells,latency,timeline,leaks,summary}.csv and cells.log.\n"
    "A host TSC cell runs as L launches (fresh child processes bound to one\n"
    "PU) of N reps each, and the launches of all cells run round by round,\n"
    "each round in a seeded shuffled order, so that drift and neighbours\n"
    "fall on every allocator alike; cells of a counting clock (instructions,\n"
    "icount, modelled) repeat exactly and run once, after the rounds\n"
    "(docs/measurement.md).\n"
    "\n"
    "  --allocators LIST  comma list (default: every project allocator and\n"
    "                     every installed baseline; see heaplab list;\n"
    "                     baselines run on the host only); an item\n"
    "                     A:K=V,K=V,... sets allocator A's parameters (see\n"
    "                     heaplab list allocators), e.g.\n"
    "                     --allocators slab:keep_empty=0,magazine=8,buddy\n"
    "  --workloads LIST   comma list (default: every workload, the vm\n"
    "                     family's only when pages-4k or pages-4m is named:\n"
    "                     docs/vm.md); trace:FILE replays a recorded trace\n"
    "                     (xz/gzip/zstd or plain), trace:FOLDER every\n"
    "                     *.hltrace* file in it, each as the heap workload\n"
    "                     trace:NAME (docs/traces.md)\n"
    "  --reps N           repetitions per launch, 1..1000 (default 2)\n"
    "  --launches L       launches (child processes) per TSC cell, 1..1000\n"
    "                     (default 5)\n"
    "  --min-time SEC     each timed pass repeats the stream until it has\n"
    "                     lasted SEC seconds, 0..60 (default 0.01)\n"
    "  --retries N        re-run a disturbed rep (involuntary switches,\n"
    "                     migrations, steal time) at most N times, 0..99\n"
    "                     (default 2)\n"
    "  --order-seed S     the seed of the launch order (default: --seed)\n"
    "  --target-ci P      after the rounds, add rounds to the TSC cells whose\n"
    "                     95% CI half-width exceeds P % of their median,\n"
    "                     until each holds or --budget is spent, 0.01..100\n"
    "  --budget SEC       seconds --target-ci may add, 1..604800 (default\n"
    "                     600)\n"
    "  --jobs J           counting-clock cells (whose figures do not depend\n"
    "                     on load) run J at a time after the rounds, 1..64\n"
    "                     (default: one per online CPU); TSC cells always\n"
    "                     run one at a time\n"
    "  --shard I/N        plan the whole run, run only the launches of\n"
    "                     shard I of N (1 <= I <= N <= 1024), balanced by\n"
    "                     expected time; rep numbers as in the whole run.\n"
    "                     `heaplab merge` joins the N run folders into one\n"
    "                     (docs/cluster.md); not with --target-ci\n"
    "  --det-reps N       repetitions of the cells whose clock counts instead\n"
    "                     of timing (instructions, icount, modelled): their\n"
    "                     figures\n"
    "                     repeat exactly, 1..1000 (default 1)\n"
    "  --ops N            ops per stream: scales each workload's size\n"
    "                     parameters, 1..1000000000 (default 10000)\n"
    "  --seed S           workload seed, 0..2^64-1 (default 1)\n"
    "  --out DIR          the folder the run folder goes in (default\n"
    "                     results/; created if missing)\n"
    "  --cpu PU           the PU (OS index) host cells are bound to\n"
    "                     (default: the first PU of the last core)\n"
    "  --params W:K=V,..  set workload W's parameters after --ops scaling\n"
    "                     (repeatable; see heaplab list workloads)\n"
    "  --sweep W:K=V1,V2,...\n"
    "                     besides the suite's cells, run workload W once per\n"
    "                     value of its parameter K (after --ops and\n"
    "                     --params) in the first environment with its first\n"
    "                     clock; rows say sweep=K; repeatable, one per W.\n"
    "                     A:K=V1,V2,... sweeps allocator A's parameter K\n"
    "                     (after --allocators A:...) over every workload of\n"
    "                     A's family in the run; rows say sweep=K and\n"
    "                     alloc_params the point\n"
    "                     Default, when neither --workloads nor --sweep is\n"
    "                     given: churn-fixed:live=16,64,256,1024,4096 and\n"
    "                     frames-churn:occupancy=25,50,75,90,99;\n"
    "                     --sweep none: no sweep\n"
    "  --env ENV          host, qemu or both (default: both where\n"
    "                     qemu-system-i386 and the kernel are found, else\n"
    "                     host, with a note)\n"
    "  --clock LIST       comma list of: tsc (host: TSC cycles; QEMU: the\n"
    "                     guest's rdtsc, tsc-tcg or tsc-kvm), instructions\n"
    "                     (host: counted by valgrind's callgrind around the\n"
    "                     measured stream; no per-op figures), icount (QEMU:\n"
    "                     -icount shift=0, a tick is one guest instruction),\n"
    "                     modelled (the heaplab-cost.so plugin's cache model\n"
    "                     fed by QEMU: the host's cell under qemu-x86_64, the\n"
    "                     kernel under qemu-system-i386 with icount; cycles\n"
    "                     per op by the model's formula and L1d/L2/LLC/dTLB\n"
    "                     misses per op; no per-op figures).  With\n"
    "                     instructions and modelled both on the host,\n"
    "                     callgrind also simulates the model's caches and\n"
    "                     its rows get L1d and LLC misses per op.\n"
    "                     Each goes to the environments it exists in; QEMU\n"
    "                     takes icount or tsc (icount if named), and\n"
    "                     modelled beside either.  Default:\n"
    "                     tsc,instructions,icount (instructions where\n"
    "                     valgrind can run: installed, unsanitized build)\n"
    "  --model PRESET     the cache model of --clock modelled: skylake-client\n"
    "                     (default) or zen3 (docs/model.md); the plugin is\n"
    "                     $HEAPLAB_COST_PLUGIN, else lib/heaplab/ beside the\n"
    "                     installed heaplab, else this build's; the host's\n"
    "                     qemu-x86_64 is $HEAPLAB_QEMU_USER, else PATH's\n"
    "  --accel ACCEL      QEMU's accelerator: auto (probe KVM with a paging\n"
    "                     test boot, else TCG; icount is TCG only), kvm or\n"
    "                     tcg (default auto)\n"
    "  --timeout SEC      kill a cell after SEC seconds, 1..86400 (default:\n"
    "                     computed from --ops and --reps)\n"
    "\n"
    "Heap workloads run on heap allocators and baselines, frame workloads on\n"
    "frame allocators.  A cell that crashes, faults (in the kernel) or hangs\n"
    "gets status=crashed or status=timeout rows; the run goes on.  At the\n"
    "end every cell of one op stream must show the same workload_checksum\n"
    "(and a frame allocator the same placement_checksum) on the host and in\n"
    "QEMU: a mismatch is a loud WARNING and meta.csv says so.  Exit 0 when\n"
    "the run completed (whatever the cells' statuses), 2 on bad usage, 130\n"
    "if interrupted.\n";

struct run_opts {
    char *allocs[RUN_MAX_LIST];
    size_t nallocs;
    char *wls[RUN_MAX_LIST];
    size_t nwls;
    char *params[RUN_MAX_LIST]; /* "w:k=v,..." */
    size_t nparams;
    char *sweeps[RUN_MAX_LIST]; /* "w:k=v1,v2,..." */
    size_t nsweeps;
    char *aparams[RUN_MAX_LIST]; /* "a:k=v,..." from --allocators */
    size_t naparams;
    bool no_sweep;             /* --sweep none */
    bool clock_given;
    bool clock_tsc, clock_instructions, clock_icount, clock_modelled;
    const char *model;         /* --model: the cost plugin's preset */
    bool model_given;
    const char *env;           /* "host", "qemu", "both"; NULL: default */
    const char *accel;         /* --accel: auto, kvm, tcg */
    bool accel_given;
    uint32_t reps, det_reps, launches, retries;
    bool det_reps_given, order_seed_given;
    double min_time_s, target_ci, budget_s;
    uint64_t order_seed;
    unsigned jobs;
    uint32_t shard, nshards;   /* --shard I/N; nshards 0: the whole plan */
    const char *host_order[3]; /* host clocks in --clock's order */
    size_t nhost_order;
    uint64_t ops, seed;
    const char *out;
    bool out_given;
    bool cpu_given;
    unsigned cpu;
    unsigned timeout_s;
};

/* ---- options -------------------------------------------------------------------- */

/* "I/N" with 1 <= I <= N <= HL_PLAN_MAX_SHARDS, digits only. */
static void parse_shard(const char *opt, const char *v, struct run_opts *o)
{
    const char *slash = strchr(v, '/');
    char i_text[16], n_text[16];
    if (!slash || slash == v || !slash[1] || (size_t)(slash - v) >= sizeof i_text ||
        strlen(slash + 1) >= sizeof n_text || strspn(v, "0123456789") != (size_t)(slash - v) ||
        strspn(slash + 1, "0123456789") != strlen(slash + 1))
        cli_usage_fail("bad value for %s: '%s' (expected I/N, e.g. 2/4)", opt, v);
    snprintf(i_text, sizeof i_text, "%.*s", (int)(slash - v), v);
    snprintf(n_text, sizeof n_text, "%s", slash + 1);
    unsigned long long i = strtoull(i_text, NULL, 10), n = strtoull(n_text, NULL, 10);
    if (n < 1 || n > HL_PLAN_MAX_SHARDS || i < 1 || i > n)
        cli_usage_fail("bad value for %s: '%s' (expected I/N with 1 <= I <= N "
                       "<= %u)", opt, v, HL_PLAN_MAX_SHARDS);
    o->shard = (uint32_t)i;
    o->nshards = (uint32_t)n;
}

/* --allocators items "A:k=v,k=v": cli_split cut at every comma, so an item
 * with '=' but no ':' continues the one before (its comma is put back);
 * then each "A:..." goes to aparams whole and leaves "A" in allocs. */
static void split_alloc_params(struct run_opts *o)
{
    size_t n = 0;
    o->naparams = 0;
    for (size_t i = 0; i < o->nallocs; i++) {
        char *s = o->allocs[i];
        if (strchr(s, '=') && !strchr(s, ':')) {
            if (n == 0)
                cli_usage_fail("bad value for --allocators: '%s' (expected "
                               "allocator:key=value,...)", s);
            s[-1] = ','; /* rejoin with the item before */
            continue;
        }
        o->allocs[n++] = s;
    }
    o->nallocs = n;
    for (size_t i = 0; i < n; i++) {
        char *colon = strchr(o->allocs[i], ':');
        if (!colon)
            continue;
        char *word = strdup(o->allocs[i]);
        if (!word)
            cli_fail("out of memory");
        o->aparams[o->naparams++] = word;
        *colon = '\0';
    }
}

static void parse_opts(int argc, char **argv, struct run_opts *o)
{
    *o = (struct run_opts){.accel = "auto", .reps = RUN_DEFAULT_REPS,
                           .model = RUN_DEFAULT_MODEL,
                           .det_reps = RUN_DEFAULT_DET_REPS,
                           .launches = RUN_DEFAULT_LAUNCHES,
                           .retries = RUN_DEFAULT_RETRIES,
                           .min_time_s = RUN_DEFAULT_MIN_TIME_S,
                           .budget_s = 600.0,
                           .ops = RUN_DEFAULT_OPS,
                           .seed = RUN_DEFAULT_SEED, .out = RUN_DEFAULT_OUT};
    for (int i = 2; i < argc; i++) {
        const char *opt = argv[i];
        if (cli_is_help(opt)) {
            fputs(run_usage, stdout);
            exit(CLI_EXIT_OK);
        } else if (!strcmp(opt, "--allocators")) {
            o->nallocs = cli_split(opt, (char *)cli_value(argc, argv, &i),
                                   o->allocs, RUN_MAX_LIST);
            split_alloc_params(o);
        } else if (!strcmp(opt, "--workloads")) {
            o->nwls = cli_split(opt, (char *)cli_value(argc, argv, &i), o->wls,
                                RUN_MAX_LIST);
        } else if (!strcmp(opt, "--reps")) {
            o->reps = (uint32_t)cli_parse_u64(opt, cli_value(argc, argv, &i),
                                              1, RUN_MAX_REPS);
        } else if (!strcmp(opt, "--launches")) {
            o->launches = (uint32_t)cli_parse_u64(
                opt, cli_value(argc, argv, &i), 1, RUN_MAX_LAUNCHES);
        } else if (!strcmp(opt, "--retries")) {
            o->retries = (uint32_t)cli_parse_u64(
                opt, cli_value(argc, argv, &i), 0, 99);
        } else if (!strcmp(opt, "--min-time")) {
            o->min_time_s = cli_parse_double(opt, cli_value(argc, argv, &i),
                                             0.0, RUN_MAX_MIN_TIME_S);
        } else if (!strcmp(opt, "--target-ci")) {
            o->target_ci = cli_parse_double(opt, cli_value(argc, argv, &i),
                                            0.01, 100.0);
        } else if (!strcmp(opt, "--budget")) {
            o->budget_s = cli_parse_double(opt, cli_value(argc, argv, &i),
                                           1.0, 604800.0);
        } else if (!strcmp(opt, "--jobs")) {
            o->jobs = (unsigned)cli_parse_u64(opt, cli_value(argc, argv, &i),
                                              1, RUN_MAX_JOBS);
        } else if (!strcmp(opt, "--shard")) {
            parse_shard(opt, cli_value(argc, argv, &i), o);
        } else if (!strcmp(opt, "--order-seed")) {
            o->order_seed = cli_parse_u64(opt, cli_value(argc, argv, &i), 0,
                                          UINT64_MAX);
            o->order_seed_given = true;
        } else if (!strcmp(opt, "--det-reps")) {
            o->det_reps = (uint32_t)cli_parse_u64(
                opt, cli_value(argc, argv, &i), 1, RUN_MAX_REPS);
            o->det_reps_given = true;
        } else if (!strcmp(opt, "--ops")) {
            o->ops = cli_parse_u64(opt, cli_value(argc, argv, &i), 1,
                                   RUN_MAX_OPS);
        } else if (!strcmp(opt, "--seed")) {
            o->seed = cli_parse_u64(opt, cli_value(argc, argv, &i), 0,
                                    UINT64_MAX);
        } else if (!strcmp(opt, "--out")) {
            o->out = cli_value(argc, argv, &i);
            o->out_given = true;
        } else if (!strcmp(opt, "--cpu")) {
            o->cpu = (unsigned)cli_parse_u64(opt, cli_value(argc, argv, &i),
                                             0, RUN_MAX_CPU);
            o->cpu_given = true;
        } else if (!strcmp(opt, "--params")) {
            if (o->nparams == RUN_MAX_LIST)
                cli_usage_fail("too many --params options");
            o->params[o->nparams++] = (char *)cli_value(argc, argv, &i);
        } else if (!strcmp(opt, "--sweep")) {
            if (!strcmp(argv[i + 1 < argc ? i + 1 : i], "none")) {
                i++;
                o->no_sweep = true;
                continue;
            }
            if (o->nsweeps == RUN_MAX_LIST)
                cli_usage_fail("too many --sweep options");
            o->sweeps[o->nsweeps++] = (char *)cli_value(argc, argv, &i);
        } else if (!strcmp(opt, "--clock")) {
            char *names[8];
            size_t n = cli_split(opt, (char *)cli_value(argc, argv, &i), names,
                                 8);
            o->clock_given = true;
            o->clock_tsc = o->clock_instructions = o->clock_icount = false;
            o->clock_modelled = false;
            o->nhost_order = 0;
            for (size_t k = 0; k < n; k++) {
                if (!strcmp(names[k], CELL_CLOCK) && !o->clock_tsc) {
                    o->clock_tsc = true;
                    o->host_order[o->nhost_order++] = CELL_CLOCK;
                } else if (!strcmp(names[k], CELL_CLOCK_INSTRUCTIONS) &&
                           !o->clock_instructions) {
                    o->clock_instructions = true;
                    o->host_order[o->nhost_order++] = CELL_CLOCK_INSTRUCTIONS;
                } else if (!strcmp(names[k], CELL_CLOCK) ||
                           !strcmp(names[k], CELL_CLOCK_INSTRUCTIONS) ||
                           (!strcmp(names[k], "icount") && o->clock_icount) ||
                           (!strcmp(names[k], "modelled") && o->clock_modelled))
                    cli_usage_fail("bad value for --clock: '%s' named twice",
                                   names[k]);
                else if (!strcmp(names[k], "icount"))
                    o->clock_icount = true;
                else if (!strcmp(names[k], MODEL_CLOCK)) {
                    o->clock_modelled = true;
                    o->host_order[o->nhost_order++] = MODEL_CLOCK;
                }
                else
                    cli_usage_fail("bad value for --clock: '%s' (tsc, "
                                   "instructions, icount or modelled)", names[k]);
            }
        } else if (!strcmp(opt, "--model")) {
            o->model = cli_value(argc, argv, &i);
            o->model_given = true;
        } else if (!strcmp(opt, "--env")) {
            o->env = cli_value(argc, argv, &i);
            if (strcmp(o->env, "host") && strcmp(o->env, "qemu") &&
                strcmp(o->env, "both"))
                cli_usage_fail("bad value for --env: '%s' (host, qemu or "
                               "both)", o->env);
        } else if (!strcmp(opt, "--accel")) {
            o->accel = cli_value(argc, argv, &i);
            o->accel_given = true;
            if (strcmp(o->accel, "auto") && strcmp(o->accel, "kvm") &&
                strcmp(o->accel, "tcg"))
                cli_usage_fail("bad value for --accel: '%s' (auto, kvm or "
                               "tcg)", o->accel);
        } else if (!strcmp(opt, "--timeout")) {
            o->timeout_s = (unsigned)cli_parse_u64(
                opt, cli_value(argc, argv, &i), 1, RUN_MAX_TIMEOUT_S);
        } else if (opt[0] == '-') {
            cli_usage_fail("unknown option '%s' for run (see heaplab run "
                           "--help)", opt);
        } else {
            cli_usage_fail("unexpected argument '%s' for run (see heaplab "
                           "run --help)", opt);
        }
    }
    /* trace:FILE and trace:FOLDER: every trace loaded and validated now
     * (replay.h); the words become trace:NAME, one per trace */
    o->nwls = replay_expand("--workloads", o->wls, o->nwls, RUN_MAX_LIST);
    if (!o->order_seed_given)
        o->order_seed = o->seed;
    if (o->nshards && o->target_ci > 0)
        cli_usage_fail("bad value for --shard: '%u/%u' (--target-ci adds "
                       "rounds from the whole run's intervals: not with "
                       "--shard)", o->shard, o->nshards);
    if (!o->jobs) { /* default: one per online CPU */
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        o->jobs = ncpu < 1 ? 1u : ncpu > (long)RUN_MAX_JOBS ? RUN_MAX_JOBS
                                                            : (unsigned)ncpu;
    }
    /* a counting clock never gets more reps than asked for */
    if (!o->det_reps_given && o->det_reps > o->reps)
        o->det_reps = o->reps;
    char err[256];
    if (!model_check(o->model, err, sizeof err))
        cli_usage_fail("%s", err);
}

/* ---- the plan ----------------------------------------------------------------- */

struct plan {
    struct cell_plan *cells;
    size_t n;
    /* bench/core's planner, over every allocator this binary knows */
    struct cli_alloc cand[RUN_MAX_CAND];
    struct hl_plan_alloc pcand[RUN_MAX_CAND];
    size_t ncand;
    struct hl_plan_arm arms[HL_PLAN_MAX_ARMS];
    struct hl_plan_opts popts;
    struct hl_plan hp;
    char skipped[1024]; /* baselines left out of the default suite */
    const char *clocks[4]; /* host clocks, in cell order */
    size_t nclocks;
    bool host, qemu;       /* the environments of the run */
    const char *qemu_clock; /* "icount" or "tsc" (qemu_configure's) */
    bool qemu_base;         /* QEMU cells of qemu_clock (else only modelled) */
    bool qemu_modelled;     /* QEMU cells of the modelled clock */
    char qemu_skipped[512]; /* why a default run has no QEMU cells */
};

/* Every allocator of the binary as a candidate of the planner: the default
 * suite has every one but the test allocators and the baselines that
 * cannot run here (listed in skipped). */
static void add_cand(void *ctx, const struct cli_alloc *ca)
{
    struct plan *pl = ctx;
    if (pl->ncand == RUN_MAX_CAND)
        cli_fail("more than %u allocators in this binary", RUN_MAX_CAND);
    bool unavailable = ca->kind == CLI_ALLOC_BASELINE &&
                       cli_baseline_unavailable(ca->baseline);
    if (unavailable) {
        size_t len = strlen(pl->skipped);
        snprintf(pl->skipped + len, sizeof pl->skipped - len, "%s%s",
                 len ? "," : "", ca->a->name);
    }
    pl->cand[pl->ncand] = *ca;
    pl->pcand[pl->ncand++] = (struct hl_plan_alloc){
        .name = ca->a->name, .family = ca->a->family, .a = ca->a,
        .deflt = ca->kind != CLI_ALLOC_TEST && !unavailable};
}

/* A named baseline that cannot run here is refused by name. */
static void check_baselines(const struct run_opts *o)
{
    for (size_t i = 0; i < o->nallocs; i++) {
        struct cli_alloc ca;
        const char *why = cli_alloc_find(o->allocs[i], &ca) &&
                                  ca.kind == CLI_ALLOC_BASELINE
                              ? cli_baseline_unavailable(ca.baseline)
                              : NULL;
        if (why)
            cli_usage_fail("baseline '%s' is %s (see heaplab list "
                           "allocators)", o->allocs[i], why);
    }
}

/* Does the plan have a host cell of the vm family? */
static bool run_has_vm(const struct plan *pl)
{
    for (size_t i = 0; i < pl->n; i++)
        if (pl->cells[i].ca.kind == CLI_ALLOC_VM && !strcmp(pl->cells[i].env, CELL_ENV))
            return true;
    return false;
}

/* QEMU runs the kernel's registry only: no baselines, no test allocators. */
static bool admit_cell(void *ctx, size_t a, size_t r)
{
    const struct plan *pl = ctx;
    if (strcmp(pl->arms[r].env, RUN_ENV_QEMU)) /* vm cells: the TSC only (vmcell.h) */
        return pl->cand[a].kind != CLI_ALLOC_VM || !strcmp(pl->arms[r].clock, CELL_CLOCK);
    struct cell_plan c = {.ca = pl->cand[a]};
    return qemu_cell_supported(&c);
}

/* Reps of a cell with this clock: counting clocks repeat exactly. */
static uint32_t clock_reps(const struct run_opts *o, const char *clock)
{
    return strcmp(clock, CELL_CLOCK_INSTRUCTIONS) && strcmp(clock, "icount") &&
                   strcmp(clock, MODEL_CLOCK)
               ? o->reps
               : o->det_reps;
}

/* One arm of the planner: the host's TSC cells are spread over --launches
 * child processes; counting clocks repeat exactly and QEMU boots once. */
static void add_arm(struct plan *pl, const struct run_opts *o, const char *env,
                    const char *clock)
{
    bool host = !strcmp(env, CELL_ENV);
    bool timed = host && !strcmp(clock, CELL_CLOCK);
    pl->arms[pl->popts.narms++] = (struct hl_plan_arm){
        .env = env, .clock = clock, .reps = clock_reps(o, clock),
        .launches = timed ? o->launches : 1, .timed = timed, .host = host,
        .cost = !host || !strcmp(clock, MODEL_CLOCK) ? HL_PLAN_COST_EMULATED
                : timed                                ? HL_PLAN_COST_NATIVE
                                                       : HL_PLAN_COST_CALLGRIND};
}

/* The environments and clocks of the run.  --clock names clocks, each
 * going where it can: tsc to the host and (unless icount is named too) to
 * QEMU, instructions to the host, icount to QEMU.  Default: both
 * environments where QEMU and the kernel are found; tsc and instructions
 * (where valgrind can run) on the host, icount in QEMU.  qemu_why: why
 * QEMU cannot run (NULL: it can). */
static void pick_clocks(const struct run_opts *o, const char *valgrind,
                        const char *qemu_why, struct plan *pl)
{
    const char *env = o->env;
    if (!env) {
        env = qemu_why ? "host" : "both";
        if (qemu_why)
            snprintf(pl->qemu_skipped, sizeof pl->qemu_skipped, "%s",
                     qemu_why);
    } else if (strcmp(env, "host") && qemu_why) {
        cli_usage_fail("bad value for --env: '%s' (%s)", env, qemu_why);
    }
    pl->host = strcmp(env, "qemu") != 0;
    pl->qemu = strcmp(env, "host") != 0;
    if (o->model_given && !(o->clock_given && o->clock_modelled))
        cli_usage_fail("bad value for --model: '%s' (only with --clock "
                       "modelled)", o->model);
    if (pl->qemu) {
        bool icount = o->clock_given ? o->clock_icount : true;
        bool tsc = o->clock_given && o->clock_tsc && !icount;
        pl->qemu_modelled = o->clock_given && o->clock_modelled;
        if (!icount && !tsc && !pl->qemu_modelled)
            cli_usage_fail("bad value for --clock: no clock for QEMU (icount, "
                           "tsc or modelled; or --env host)");
        /* modelled boots under TCG with -icount too */
        pl->qemu_clock = icount || !tsc ? "icount" : "tsc";
        pl->qemu_base = icount || tsc;
    } else if (o->clock_given && o->clock_icount) {
        cli_usage_fail("bad value for --clock: 'icount' is QEMU's (with "
                       "--env qemu or both)");
    }
    if (!pl->host) {
        if (o->clock_given && o->clock_instructions)
            cli_usage_fail("bad value for --clock: 'instructions' is the "
                           "host's (with --env host or both)");
        return;
    }
    bool tsc = o->clock_given ? o->clock_tsc : true;
    bool instr = o->clock_given ? o->clock_instructions : valgrind != NULL;
    if (instr && !valgrind)
        cli_usage_fail("bad value for --clock: 'instructions' needs %s",
                       cli_build.sanitize[0]
                           ? "an unsanitized build (valgrind cannot run "
                             "a sanitized one)"
                           : "valgrind (tools/setup installs it; or set "
                             "HEAPLAB_VALGRIND)");
    if (o->clock_given) { /* in the order given */
        for (size_t k = 0; k < o->nhost_order; k++)
            pl->clocks[pl->nclocks++] = o->host_order[k];
    } else {
        if (tsc)
            pl->clocks[pl->nclocks++] = CELL_CLOCK;
        if (instr)
            pl->clocks[pl->nclocks++] = CELL_CLOCK_INSTRUCTIONS;
    }
    if (pl->nclocks == 0)
        cli_usage_fail("bad value for --clock: no clock for the host (tsc, "
                       "instructions or modelled; or --env qemu)");
    if (o->clock_given && o->clock_modelled && cli_build.sanitize[0])
        cli_usage_fail("bad value for --clock: 'modelled' on the host needs an "
                       "unsanitized build (qemu-x86_64 cannot run a sanitized "
                       "one; or --env qemu)");
}

static void plan_cells(const struct run_opts *o, const char *valgrind,
                       const char *qemu_why, struct plan *pl)
{
    cli_alloc_each(add_cand, pl);
    check_baselines(o);
    pick_clocks(o, valgrind, qemu_why, pl);
    /* The suite on the host, every clock; then in QEMU; then the sweep
     * points in the first environment with its first clock. */
    for (size_t t = 0; pl->host && t < pl->nclocks; t++)
        add_arm(pl, o, CELL_ENV, pl->clocks[t]);
    if (pl->qemu && pl->qemu_base)
        add_arm(pl, o, RUN_ENV_QEMU, pl->qemu_clock);
    if (pl->qemu && pl->qemu_modelled)
        add_arm(pl, o, RUN_ENV_QEMU, MODEL_CLOCK);
    pl->popts = (struct hl_plan_opts){
        .cand = pl->pcand, .ncand = pl->ncand,
        .allocs = (const char *const *)o->allocs, .nallocs = o->nallocs,
        .wls = (const char *const *)o->wls, .nwls = o->nwls,
        .params = (const char *const *)o->params, .nparams = o->nparams,
        .sweeps = (const char *const *)o->sweeps, .nsweeps = o->nsweeps,
        .aparams = (const char *const *)o->aparams, .naparams = o->naparams,
        .sweep_none = o->no_sweep, .ops = o->ops,
        .arms = pl->arms, .narms = pl->popts.narms,
        .admit = admit_cell, .admit_ctx = pl,
        .find_workload = replay_find,
        .min_time_us = (uint64_t)(o->min_time_s * 1e6),
        .opt_params = "--params", .opt_sweep = "--sweep",
        .opt_aparams = "--allocators"};
    if (hl_plan_resolve(&pl->hp, &pl->popts) != 0)
        cli_usage_fail("%s", pl->hp.err);
    struct hl_plan_cell *pc = calloc(pl->hp.ncells, sizeof *pc);
    pl->cells = calloc(pl->hp.ncells, sizeof *pl->cells);
    if (!pc || !pl->cells)
        cli_fail("out of memory");
    pl->n = hl_plan_cells(&pl->hp, pc, pl->hp.ncells);
    for (size_t i = 0; i < pl->n; i++) {
        struct cell_plan *c = &pl->cells[i];
        c->pc = pc[i];
        c->ca = pl->cand[pc[i].cand];
        c->w = pc[i].w;
        c->params = pc[i].params;
        c->env = pl->arms[pc[i].arm].env;
        c->clock = pl->arms[pc[i].arm].clock;
        c->sweep = pc[i].sweep;
        c->sweep_alloc = pc[i].sweep_alloc;
        c->aparams = pc[i].aparams;
        if (c->ca.a->nparams)
            hl_al_format(c->ca.a, &c->aparams, c->aparams_text,
                         sizeof c->aparams_text);
        c->reps = pc[i].reps;
        c->launches = pc[i].u.launches;
        hl_wl_format(c->w, &c->params, c->params_text, sizeof c->params_text);
        c->total_ops = c->w->total_ops(&c->params);
        if (c->ca.kind == CLI_ALLOC_BASELINE)
            hl_baseline_preload(c->ca.baseline, c->preload, sizeof c->preload);
    }
    free(pc);
}

static void check_out_dir(const struct run_opts *o)
{
    struct stat st;
    if (stat(o->out, &st) != 0) {
        if (errno == ENOENT && cli_mkdir_p(o->out) == 0)
            return;
        cli_usage_fail("output folder '%s' cannot be created: %s", o->out,
                       strerror(errno));
    }
    if (!S_ISDIR(st.st_mode))
        cli_usage_fail("output folder '%s' is not a folder", o->out);
    if (access(o->out, W_OK | X_OK) != 0)
        cli_usage_fail("output folder '%s' is not writable", o->out);
}

void make_run_dir(const char *out, char *dir, size_t cap, char *id,
                  size_t id_cap)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    for (unsigned k = 0; k < 100; k++) {
        if (k == 0)
            snprintf(id, id_cap, "%s-%05d", stamp, (int)getpid() % 100000);
        else
            snprintf(id, id_cap, "%s-%05d-%u", stamp, (int)getpid() % 100000,
                     k);
        snprintf(dir, cap, "%s/%s", out, id);
        if (mkdir(dir, 0755) == 0)
            return;
        if (errno != EEXIST)
            cli_usage_fail("output folder '%s' is not writable (%s)", out,
                           strerror(errno));
    }
    cli_fail("cannot create a run folder in '%s'", out);
}

static void iso_now(char *buf, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

/* meta.csv rows of a replayed trace (docs/traces.md, "Replay"): where it
 * came from, and what it asks of the harness beyond alloc and free —
 * reallocs (alloc + copy + free: no allocator has realloc), callocs
 * (alloc + zero), aligned allocs (over-allocated when the alignment is
 * above the allocator's), frees of blocks the trace never saw allocated
 * (replayed as nothing), and the recorded threads replayed on one. */
static void replay_write_meta(int fd, const struct hl_wl_replay *r)
{
    char key[160];
#define TRACE_META(k, fmt, v)                                                          \
    do {                                                                               \
        snprintf(key, sizeof key, "%s.%s", r->pub.name, k);                            \
        res_metaf(fd, key, fmt, v);                                                    \
    } while (0)
    TRACE_META("file", "%s", replay_cell_arg(&r->pub) + strlen(HL_WL_REPLAY_PREFIX));
    TRACE_META("checksum", "%016llx",
               (unsigned long long)r->pub.params[HL_WL_REPLAY_CHECKSUM].def);
    TRACE_META("ops", "%llu", (unsigned long long)r->nops);
    TRACE_META("peak_live_bytes", "%llu", (unsigned long long)r->st.peak_live_bytes);
    TRACE_META("reallocs_as_alloc_copy_free", "%llu",
               (unsigned long long)r->st.ops_by_kind[HL_OP_REALLOC]);
    TRACE_META("callocs", "%llu", (unsigned long long)r->st.ops_by_kind[HL_OP_CALLOC]);
    TRACE_META("aligned_allocs", "%llu",
               (unsigned long long)r->st.ops_by_kind[HL_OP_ALIGNED]);
    TRACE_META("unknown_frees", "%llu", (unsigned long long)r->st.unknown_frees);
    TRACE_META("threads_replayed_on_one", "%u", r->st.threads_used);
    TRACE_META("end_live_blocks", "%llu", (unsigned long long)r->st.end_live_blocks);
#undef TRACE_META
}

static void write_meta_head(const struct run_ctx *rc, const struct plan *pl,
                            const struct qemu_ctx *q,
                            const struct run_opts *o, const char *cmdline,
                            const struct sys_topo *topo, const char *pu_how)
{
    int fd = rc->f.meta;
    res_write(fd, "key,value\n", 10, "meta.csv");
    char text[4096];
    res_meta(fd, "run_id", rc->run_id);
    iso_now(text, sizeof text);
    res_meta(fd, "date", text);
    res_meta(fd, "command_line", cmdline);
    res_meta_build(fd);
    sys_cpu_model(text, sizeof text);
    res_meta(fd, "cpu_model", text);
    res_metaf(fd, "tsc_hz", "%.0f", sys_tsc_hz());
    res_metaf(fd, "launches", "%u", o->launches);
    res_metaf(fd, "min_time_s", "%g", o->min_time_s);
    res_metaf(fd, "min_ticks", "%llu", (unsigned long long)rc->min_ticks);
    res_metaf(fd, "retries", "%u", o->retries);
    res_metaf(fd, "order_seed", "%llu", (unsigned long long)o->order_seed);
    res_metaf(fd, "jobs", "%u (counting-clock cells; workers unbound)",
              o->jobs);
    if (o->target_ci > 0) {
        res_metaf(fd, "target_ci_pct", "%g", o->target_ci);
        res_metaf(fd, "budget_s", "%g", o->budget_s);
    }

    uint64_t scratch[4096];
    struct hl_clock_cal cal;
    hl_clock_calibrate(&cal, scratch, 4096);
    res_metaf(fd, "timer_overhead_ticks", "%llu",
              (unsigned long long)cal.overhead);
    res_metaf(fd, "timer_overhead_min_ticks", "%llu",
              (unsigned long long)cal.overhead_min);
    res_metaf(fd, "timer_resolution_ticks", "%llu",
              (unsigned long long)cal.resolution);
    sys_topo_summary(topo, text, sizeof text);
    res_meta(fd, "hwloc_topology", text);
    res_meta(fd, "pu", rc->pu);
    res_meta(fd, "pu_choice", pu_how);
    res_meta(fd, "binding", "sched_setaffinity in each cell child (own "
                            "process); see cell.* rows for the result");
    sys_kernel(text, sizeof text);
    res_meta(fd, "kernel", text);
    res_metaf(fd, "reps", "%u", rc->reps);
    res_metaf(fd, "det_reps", "%u", o->det_reps);
    res_metaf(fd, "ops", "%llu", (unsigned long long)o->ops);
    res_metaf(fd, "seed", "%llu", (unsigned long long)rc->seed);
    if (o->timeout_s)
        res_metaf(fd, "timeout_s", "%u", o->timeout_s);
    else
        res_meta(fd, "timeout_s", "auto (from ops and reps; see cells.log)");
    res_metaf(fd, "cells_planned", "%zu", pl->n);
    res_meta(fd, "envs", pl->host && pl->qemu ? "host,qemu"
                         : pl->host           ? "host"
                                              : "qemu");
    if (rc->model)
        model_write_meta(rc->model, fd);
    if (rc->cache_sim)
        res_meta(fd, "instructions_cache_sim",
                 "callgrind --cache-sim=yes with the model's L1i, L1d and LLC: "
                 "l1d_misses_per_op and llc_misses_per_op of instructions rows");
    if (pl->qemu)
        qemu_write_meta(q, fd);
    else
        res_meta(fd, "qemu", pl->qemu_skipped[0] ? pl->qemu_skipped
                                                 : "not used (--env host)");
    struct dbuf clocks = {0};
    for (size_t i = 0; i < pl->nclocks; i++)
        dbuf_addf(&clocks, "%s%s", i ? "," : "", pl->clocks[i]);
    if (pl->host)
        res_meta(fd, "clocks.host", clocks.p);
    dbuf_free(&clocks);
    if (rc->valgrind) {
        sys_program_version(rc->valgrind, text, sizeof text);
        res_meta(fd, "valgrind", text);
    } else {
        res_meta(fd, "valgrind", cli_build.sanitize[0]
                                     ? "not used: a sanitized build"
                                     : "not installed: no clock=instructions "
                                       "cells");
    }
    for (size_t k = 0; k < pl->hp.nwls; k++) {
        if (!pl->hp.sweep_text[k])
            continue;
        const struct hl_workload *w = pl->hp.wls[k];
        char key[160];
        snprintf(key, sizeof key, "sweep.%s", w->name);
        res_meta(fd, key, w->params[pl->hp.swept[k]].name);
    }
    for (size_t k = 0; k < pl->hp.nwls; k++)
        if (hl_wl_is_replay(pl->hp.wls[k]))
            replay_write_meta(fd, hl_wl_replay_of(pl->hp.wls[k]));
    /* an allocator's sweep: sweep.A,K like a workload's (plot.c tells them
     * apart by the name) */
    for (size_t i = 0; i < pl->hp.nallocs; i++) {
        if (!pl->hp.asweep_text[i])
            continue;
        const struct hl_allocator *a = pl->pcand[pl->hp.allocs[i]].a;
        char key[160];
        snprintf(key, sizeof key, "sweep.%s", a->name);
        res_meta(fd, key, a->params[pl->hp.aswept[i]].name);
    }
    for (const struct hl_baseline *b = hl_baselines; b->a; b++) {
        char key[64], path[PATH_MAX];
        snprintf(key, sizeof key, "baseline.%s", b->a->name);
        const char *why = cli_baseline_unavailable(b);
        hl_baseline_probe(b, path, sizeof path);
        res_meta(fd, key, why ? why : path[0] ? path : "linked (glibc)");
    }
    if (pl->skipped[0])
        res_meta(fd, "baselines_skipped", pl->skipped);
    if (pl->hp.host_none[0])
        res_meta(fd, "host_skipped", pl->hp.host_none);
    if (run_has_vm(pl)) {
        char how[512];
        res_meta(fd, "vm.host_huge_pages", vm_host_huge_mechanism(how, sizeof how, NULL, NULL));
    }
}

/* ---- identical workloads, proven -------------------------------------------------- */

struct ck_entry {
    char *key;      /* what must agree */
    char *value;    /* the checksum first seen */
    char *where;    /* "env/clock allocator" of the first row */
    bool host, qemu; /* seen in each environment */
    bool bad;
};

struct ck_table {
    struct ck_entry *e;
    size_t n, cap;
    size_t mismatches;
};

/* Record value for key; a different value than before is a mismatch
 * (warned once per key on stderr). */
static void ck_add(struct ck_table *t, const char *what, const char *key,
                   const char *value, const char *env, const char *where)
{
    struct ck_entry *e = NULL;
    for (size_t i = 0; i < t->n && !e; i++)
        if (!strcmp(t->e[i].key, key))
            e = &t->e[i];
    if (!e) {
        if (t->n == t->cap) {
            t->cap = t->cap ? 2 * t->cap : 256;
            t->e = realloc(t->e, t->cap * sizeof *t->e);
            if (!t->e)
                cli_fail("out of memory");
        }
        e = &t->e[t->n++];
        *e = (struct ck_entry){strdup(key), strdup(value), strdup(where),
                               false, false, false};
        if (!e->key || !e->value || !e->where)
            cli_fail("out of memory");
    } else if (strcmp(e->value, value) && !e->bad) {
        e->bad = true;
        t->mismatches++;
        fprintf(stderr, "heaplab: WARNING: %s differs for %s: %s in %s, %s "
                "in %s\n", what, key, e->value, e->where, value, where);
    }
    if (!strcmp(env, RUN_ENV_QEMU))
        e->qemu = true;
    else
        e->host = true;
}

static size_t ck_both(const struct ck_table *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        n += t->e[i].host && t->e[i].qemu;
    return n;
}

static void ck_free(struct ck_table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->e[i].key);
        free(t->e[i].value);
        free(t->e[i].where);
    }
    free(t->e);
}

/* The verdict for a cells.csv the reader refused (err: its one line). */
static void ck_not_checked(const struct run_ctx *rc, const char *err)
{
    char text[1200];
    snprintf(text, sizeof text, "not checked: %s", err);
    res_meta(rc->f.meta, "checksums", text);
    fprintf(stderr, "heaplab: WARNING: checksums %s\n", text);
}

/* Read cells.csv back (csvread.h) and check that every cell of one
 * (workload, params, seed) ran the same op stream — whatever its
 * allocator, environment or clock — and that a frame allocator placed the
 * same frames everywhere (same region size: see meta qemu_region_bytes).
 * Mismatches are warned on stderr; meta.csv gets the verdict (or, for a
 * cells.csv the reader refuses, "not checked" and its one line). */
void cross_check(const struct run_ctx *rc, const char *dir,
                 bool same_region)
{
    static const int need[] = {
        COL_ENV,    COL_CLOCK, COL_ALLOCATOR,         COL_FAMILY,
        COL_WORKLOAD, COL_PARAMS, COL_SEED, COL_STATUS, COL_WORKLOAD_CHECKSUM,
        COL_PLACEMENT_CHECKSUM};
    uint64_t required = 0;
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        required |= CSV_COL(need[i]);
    struct csvr r;
    if (csvr_open(&r, dir, CSV_CELLS, required)) {
        ck_not_checked(rc, r.err);
        return;
    }
    struct ck_table wl = {0}, place = {0};
    int k;
    while ((k = csvr_next(&r)) > 0) {
#define F(c) csvr_str(&r, COL_##c)
        if (strcmp(F(STATUS), "ok") && strcmp(F(STATUS), "failed"))
            continue;
        char key[1024], where[256];
        snprintf(where, sizeof where, "%s/%s %s", F(ENV), F(CLOCK),
                 F(ALLOCATOR));
        snprintf(key, sizeof key, "%s (%s, seed %s)", F(WORKLOAD), F(PARAMS),
                 F(SEED));
        ck_add(&wl, "workload_checksum", key, F(WORKLOAD_CHECKSUM), F(ENV),
               where);
        if (!strcmp(F(FAMILY), "frame") && same_region) {
            snprintf(key, sizeof key, "%s%s%s%s x %s (%s, seed %s)",
                     F(ALLOCATOR), F(ALLOC_PARAMS)[0] ? " [" : "",
                     F(ALLOC_PARAMS), F(ALLOC_PARAMS)[0] ? "]" : "",
                     F(WORKLOAD), F(PARAMS), F(SEED));
            ck_add(&place, "placement_checksum", key, F(PLACEMENT_CHECKSUM),
                   F(ENV), where);
        }
#undef F
    }
    csvr_close(&r);
    char text[512];
    if (k < 0)
        ck_not_checked(rc, r.err);
    else if (wl.mismatches || place.mismatches)
        snprintf(text, sizeof text, "MISMATCH: %zu of %zu op streams and %zu "
                 "of %zu frame placements differ between cells (see stderr)",
                 wl.mismatches, wl.n, place.mismatches, place.n);
    else
        snprintf(text, sizeof text, "ok: %zu op streams identical in all "
                 "their cells (%zu run both on the host and in QEMU); %zu "
                 "frame placements identical (%zu in both)%s",
                 wl.n, ck_both(&wl), place.n, ck_both(&place),
                 same_region ? "" : "; placements not compared: the "
                 "kernel's region is not the host's");
    if (k >= 0)
        res_meta(rc->f.meta, "checksums", text);
    if (k >= 0 && (wl.mismatches || place.mismatches))
        fprintf(stderr, "heaplab: WARNING: %s\n", text);
    ck_free(&wl);
    ck_free(&place);
}

/* ---- the order of launches ----------------------------------------------------
 *
 * Experiment design by level (Kalibera & Jones, ISMM 2013): the reps of
 * a host TSC cell are spread over fresh child processes (launches), and
 * the launches of all such cells run round by round: round r holds launch
 * r of every cell, in an order shuffled afresh for each round from the
 * order seed.  Drift and neighbours then fall on every allocator alike,
 * and launch r of two allocators on one workload ran close in time (the
 * paired rounds of `heaplab compare --baseline`).  Cells of a counting
 * clock (instructions, icount) repeat exactly: they run once each, after
 * the rounds, in plan order.
 */

static bool cell_timed(const struct cell_plan *c)
{
    return c->pc.u.timed;
}

/* What the planner's order and shards need of each cell (launches as
 * they stand: --target-ci adds some). */
static struct hl_plan_unit *plan_units(const struct plan *pl)
{
    struct hl_plan_unit *u = calloc(pl->n + 1, sizeof *u);
    if (!u)
        cli_fail("out of memory");
    for (size_t i = 0; i < pl->n; i++) {
        u[i] = pl->cells[i].pc.u;
        u[i].launches = pl->cells[i].launches;
    }
    return u;
}

static size_t launch_count(const struct plan *pl)
{
    size_t n = 0;
    for (size_t i = 0; i < pl->n; i++)
        n += pl->cells[i].launches;
    return n;
}

/* --shard I/N: keep the launches of order[] that the planner gives shard
 * I (1-based); returns how many are left, in the order's order.  Writes
 * meta.csv's shard lines. */
static size_t shard_filter(const struct run_ctx *rc, const struct plan *pl,
                           const struct run_opts *o,
                           struct hl_plan_launch *order, size_t n)
{
    struct hl_plan_unit *u = plan_units(pl);
    uint32_t *of = calloc(n + 1, sizeof *of), *scratch = calloc(n + 1, sizeof *of);
    uint64_t *load = calloc(o->nshards, sizeof *load);
    if (!of || !scratch || !load)
        cli_fail("out of memory");
    hl_plan_shard(u, order, n, o->nshards, of, scratch, load);
    struct dbuf line = {0};
    size_t m = 0;
    for (size_t k = 0; k < n; k++)
        if (of[k] == o->shard - 1) {
            dbuf_addf(&line, "%s%u:%u", m ? " " : "", order[k].cell,
                      order[k].launch);
            order[m++] = order[k];
        }
    res_metaf(rc->f.meta, "shard", "%u/%u", o->shard, o->nshards);
    res_metaf(rc->f.meta, "shard.expected_s", "%.1f",
              (double)load[o->shard - 1] / 1e6);
    res_meta(rc->f.meta, "shard.launches", line.p ? line.p : "");
    dbuf_free(&line);
    free(u);
    free(of);
    free(scratch);
    free(load);
    return m;
}

/* meta.csv: the plan's cells by number and the order they ran in; with
 * cells (o given), the plan's hash (every shard of a plan has it) and its
 * launch count. */
static void meta_order(const struct run_ctx *rc, const struct plan *pl,
                       const struct run_opts *o,
                       const struct hl_plan_launch *order, size_t n, bool cells)
{
    char key[64];
    uint64_t hash = HL_PLAN_HASH0;
    if (cells) {
        char text[256];
        snprintf(text, sizeof text, "seed=%llu order_seed=%llu min_time_s=%g "
                 "retries=%u timeout_s=%u",
                 (unsigned long long)o->seed,
                 (unsigned long long)o->order_seed, o->min_time_s, o->retries,
                 o->timeout_s);
        hash = hl_plan_hash(hash, text);
    }
    for (size_t i = 0; cells && i < pl->n; i++) {
        const struct cell_plan *c = &pl->cells[i];
        char text[2048];
        snprintf(text, sizeof text, "%s %s %s %s %s%s%s%s%s launches=%u reps=%u",
                 c->env, c->clock, c->ca.a->name, c->w->name, c->params_text,
                 c->sweep[0] ? " sweep=" : "", c->sweep,
                 c->aparams_text[0] ? " aparams=" : "", c->aparams_text,
                 c->launches, c->reps);
        snprintf(key, sizeof key, "plan.cell.%zu", i);
        res_meta(rc->f.meta, key, text);
        hash = hl_plan_hash(hash, text);
    }
    if (cells) {
        res_metaf(rc->f.meta, "plan_hash", "%016llx", (unsigned long long)hash);
        res_metaf(rc->f.meta, "plan.launches", "%zu", n);
    }
    struct dbuf line = {0};
    for (size_t k = 0; k < n; k++) {
        bool timed = cell_timed(&pl->cells[order[k].cell]);
        dbuf_addf(&line, "%s%u", line.len ? " " : "", order[k].cell);
        bool last = k + 1 == n || order[k + 1].launch != order[k].launch ||
                    cell_timed(&pl->cells[order[k + 1].cell]) != timed;
        if (last) {
            if (timed)
                snprintf(key, sizeof key, "order.round.%u", order[k].launch);
            else
                snprintf(key, sizeof key, "order.counting");
            res_meta(rc->f.meta, key, line.p);
            line.len = 0;
        }
    }
    dbuf_free(&line);
}

/* ---- progress ----------------------------------------------------------------- */

static void fmt_duration(char *buf, size_t cap, double s)
{
    unsigned long t = (unsigned long)(s + 0.5);
    if (t >= 60)
        snprintf(buf, cap, "%lum%02lus", t / 60, t % 60);
    else
        snprintf(buf, cap, "%lus", t);
}

static void progress(size_t done, size_t total, double elapsed,
                     const struct cell_plan *next, uint32_t launch)
{
    char el[32], left[32] = "?";
    fmt_duration(el, sizeof el, elapsed);
    if (done)
        fmt_duration(left, sizeof left,
                     elapsed / (double)done * (double)(total - done));
    fprintf(stderr, "\r\033[K[%zu/%zu launches] %s elapsed, ~%s left",
            done, total, el, left);
    if (next)
        fprintf(stderr, "  now: %s x %s @ %s #%u", next->ca.a->name,
                next->w->name, next->env, launch);
    fflush(stderr);
}

/* ---- running launches ----------------------------------------------------------- */

struct run_loop {
    struct run_ctx *rc;
    struct qemu_ctx *q;
    struct plan *pl;
    struct cell_outcome *outs;
    bool tty;
    struct timespec t0;
    size_t done;     /* launches run */
};

static double loop_elapsed(const struct run_loop *l)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)(ts.tv_sec - l->t0.tv_sec) +
           (double)(ts.tv_nsec - l->t0.tv_nsec) / 1e9;
}

static void meta_probes(const struct run_ctx *rc, const struct plan *pl,
                        size_t i, const struct cell_outcome *out);

/* Run one launch of cell i; false if the run was interrupted. */
static bool run_one(struct run_loop *l, size_t i, uint32_t launch)
{
    struct cell_plan *c = &l->pl->cells[i];
    struct cell_outcome *out = &l->outs[i];
    uint32_t need = (launch + 1) * c->reps;
    if (need > out->reps_cap) {
        struct rep_fig *r = realloc(out->reps, need * sizeof *r);
        if (!r)
            cli_fail("out of memory");
        memset(r + out->reps_cap, 0, (need - out->reps_cap) * sizeof *r);
        out->reps = r;
        out->reps_cap = need;
    }
    out->launch = launch;
    out->delivered = 0;
    out->probes.len = 0;
    if (out->probes.p)
        out->probes.p[0] = '\0';
    if (launch >= c->launches)
        c->launches = launch + 1; /* a round added by --target-ci */
    if (!strcmp(c->env, RUN_ENV_QEMU))
        qemu_run_cell(l->rc, l->q, c, out);
    else
        spawn_cell(l->rc, c, out);
    /* rows exist for every rep of the launch, delivered or filled in
     * with the launch's end, unless the run was interrupted */
    uint32_t seen = run_first_rep(c, out) +
                    (strcmp(out->end, "interrupted") ? c->reps : out->delivered);
    if (seen > out->reps_seen)
        out->reps_seen = seen;
    if (launch == 0)
        meta_probes(l->rc, l->pl, i, out);
    l->done++;
    return strcmp(out->end, "interrupted") != 0;
}

static void run_launches(struct run_loop *l, const struct hl_plan_launch *order,
                         size_t n)
{
    for (size_t k = 0; k < n && !run_stop_requested; k++) {
        if (l->tty)
            progress(k, n, loop_elapsed(l), &l->pl->cells[order[k].cell],
                     order[k].launch);
        if (!run_one(l, order[k].cell, order[k].launch))
            break;
    }
    if (l->tty)
        progress(n, n, loop_elapsed(l), NULL, 0);
}

/*
 * The counting-clock launches (the tail of the order: instructions and
 * icount cells) repeat exactly whatever else runs, so they may share the
 * machine: `--jobs J` workers (forked from this process, unbound) take
 * every J-th launch, the parent (still bound to its PU) the rest.  They
 * append to the same files, each rep's rows in one write() per file
 * (O_APPEND).  Returns the launches the workers ran.
 */
static size_t run_counting(struct run_loop *l, const struct hl_plan_launch *order,
                           size_t n, unsigned jobs)
{
    if (jobs < 2 || n < 2) {
        run_launches(l, order, n);
        return 0;
    }
    if ((size_t)jobs > n)
        jobs = (unsigned)n;
    pid_t pids[RUN_MAX_JOBS];
    size_t share[RUN_MAX_JOBS] = {0};
    fflush(NULL);
    for (unsigned j = 1; j < jobs; j++) {
        for (size_t k = j; k < n; k += jobs)
            share[j]++;
        pid_t pid = fork();
        if (pid < 0)
            cli_fail("fork: %s", strerror(errno));
        if (pid == 0) {
            struct run_ctx rc = *l->rc;
            snprintf(rc.pu, sizeof rc.pu, "none");
            struct run_loop w = *l;
            w.rc = &rc;
            w.tty = false;
            for (size_t k = j; k < n && !run_stop_requested; k += jobs)
                if (!run_one(&w, order[k].cell, order[k].launch))
                    break;
            _exit(run_stop_requested ? 130 : 0);
        }
        pids[j] = pid;
    }
    size_t mine = 0;
    for (size_t k = 0; k < n && !run_stop_requested; k += jobs) {
        if (l->tty)
            progress(mine, (n + jobs - 1) / jobs, loop_elapsed(l),
                     &l->pl->cells[order[k].cell], order[k].launch);
        if (!run_one(l, order[k].cell, order[k].launch))
            break;
        mine++;
    }
    size_t theirs = 0;
    for (unsigned j = 1; j < jobs; j++) {
        int st = 0;
        while (waitpid(pids[j], &st, 0) < 0 && errno == EINTR)
            ;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
            theirs += share[j];
        else if (WIFEXITED(st) && WEXITSTATUS(st) == 130)
            run_stop_requested = 1;
        else
            fprintf(stderr, "heaplab: a counting worker ended badly "
                    "(wait status %d): its cells may lack rows\n", st);
    }
    return theirs;
}

/* ---- --target-ci: rounds until the intervals are narrow enough -------------------
 *
 * After the planned rounds, the TSC cells whose cycles_per_op CI
 * half-width exceeds P % of their median (summary.c, from cells.csv) get
 * one more launch each, in a new shuffled round; again, until none is
 * over or --budget seconds are spent (checked before every launch, so a
 * round may stop part-way).  summary.csv's ci_met says which cells made
 * it; meta.csv records the added rounds.
 */
static size_t cell_by_key(const struct plan *pl, uint64_t seed,
                          const char *key)
{
    for (size_t i = 0; i < pl->n; i++) {
        const struct cell_plan *c = &pl->cells[i];
        char k[2048];
        snprintf(k, sizeof k, "%s|%s|%s|%s|%s|%s|%s|%llu", c->env, c->clock,
                 c->ca.a->name, c->aparams_text, c->w->name, c->params_text,
                 c->sweep, (unsigned long long)seed);
        if (!strcmp(k, key))
            return i;
    }
    return SIZE_MAX;
}

static void target_rounds(struct run_loop *l, const struct run_opts *o,
                          const char *dir)
{
    struct plan *pl = l->pl;
    double t0 = loop_elapsed(l);
    uint32_t round = 0, added = 0;
    for (size_t i = 0; i < pl->n; i++)
        if (cell_timed(&pl->cells[i]) && pl->cells[i].launches > round)
            round = pl->cells[i].launches;
    bool *only = calloc(pl->n, sizeof *only);
    struct hl_plan_launch *buf = calloc(pl->n + 1, sizeof *buf);
    if (!only || !buf)
        cli_fail("out of memory");
    const char *why = "every cell met the target";
    while (!run_stop_requested) {
        if (loop_elapsed(l) - t0 >= o->budget_s) {
            why = "budget spent";
            break;
        }
        char **keys = NULL;
        size_t n = run_summary_over_target(dir, o->target_ci, &keys);
        memset(only, 0, pl->n * sizeof *only);
        size_t want = 0;
        for (size_t k = 0; k < n; k++) {
            size_t i = cell_by_key(pl, l->rc->seed, keys[k]);
            if (i != SIZE_MAX && cell_timed(&pl->cells[i]) &&
                pl->cells[i].launches < RUN_MAX_LAUNCHES) {
                only[i] = true;
                want++;
            }
            free(keys[k]);
        }
        free(keys);
        if (want == 0)
            break;
        struct hl_plan_unit *u = plan_units(pl);
        size_t m = hl_plan_round(u, pl->n, round, o->order_seed, only, buf);
        free(u);
        meta_order(l->rc, pl, NULL, buf, m, false);
        size_t k = 0;
        for (; k < m && !run_stop_requested; k++) {
            if (loop_elapsed(l) - t0 >= o->budget_s)
                break;
            if (l->tty)
                progress(k, m, loop_elapsed(l), &pl->cells[buf[k].cell],
                         buf[k].launch);
            if (!run_one(l, buf[k].cell, buf[k].launch))
                break;
        }
        added++;
        round++;
        if (k < m) {
            why = run_stop_requested ? "interrupted" : "budget spent";
            break;
        }
    }
    res_metaf(l->rc->f.meta, "target_rounds_added", "%u", added);
    res_metaf(l->rc->f.meta, "target_seconds_used", "%.1f",
              loop_elapsed(l) - t0);
    res_meta(l->rc->f.meta, "target_end", why);
    free(only);
    free(buf);
}

/* ---- the command ------------------------------------------------------------------ */

static void on_stop(int sig)
{
    (void)sig;
    run_stop_requested = 1;
}

static void choose_pu(const struct run_opts *o, const struct sys_topo *topo,
                      struct run_ctx *rc, char *how, size_t cap)
{
    char allowed[256];
    sys_topo_allowed(topo, allowed, sizeof allowed);
    if (o->cpu_given) {
        if (!sys_topo_pu_ok(topo, o->cpu))
            cli_usage_fail("bad value for --cpu: '%u' (no such PU; this "
                           "process may use PUs %s)", o->cpu, allowed);
        snprintf(rc->pu, sizeof rc->pu, "%u", o->cpu);
        snprintf(how, cap, "--cpu %u (PUs allowed: %s)", o->cpu, allowed);
        return;
    }
    unsigned pu;
    if (sys_topo_default_pu(topo, &pu)) {
        snprintf(rc->pu, sizeof rc->pu, "%u", pu);
        snprintf(how, cap, "default: first PU of the last core (hwloc; PUs "
                 "allowed: %s)", allowed);
    } else {
        snprintf(rc->pu, sizeof rc->pu, "none");
        snprintf(how, cap, "none: hwloc found no PU; cells are not bound");
    }
}

static void open_files(struct run_ctx *rc, const char *dir)
{
    rc->f.meta = res_create(dir, "meta.csv");
    rc->f.log = res_create(dir, "cells.log");
    rc->f.cells = res_create(dir, "cells.csv");
    rc->f.latency = res_create(dir, "latency.csv");
    rc->f.timeline = res_create(dir, "timeline.csv");
    rc->f.leaks = res_create(dir, "leaks.csv");
    struct {
        int fd;
        const char *header;
    } h[] = {{rc->f.cells, hl_cells_header},
             {rc->f.latency, hl_latency_header},
             {rc->f.timeline, hl_timeline_header},
             {rc->f.leaks, hl_leaks_header}};
    for (size_t i = 0; i < sizeof h / sizeof h[0]; i++) {
        char line[1024];
        int n = snprintf(line, sizeof line, "%s\n", h[i].header);
        res_write(h[i].fd, line, (size_t)n, "a header");
    }
}

/* meta.csv rows for the child's probes: malloc's object, jemalloc mapped,
 * the binding, once per allocator (its first cell). */
static void meta_probes(const struct run_ctx *rc, const struct plan *pl,
                        size_t i, const struct cell_outcome *out)
{
    for (size_t k = 0; k < i; k++)
        if (pl->cells[k].ca.a == pl->cells[i].ca.a &&
            !strcmp(pl->cells[k].env, pl->cells[i].env))
            return;
    const char *p = out->probes.p;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        const char *eq = memchr(p, '=', (size_t)(nl - p));
        if (eq) {
            char key[128], value[1024];
            snprintf(key, sizeof key, "cell.%s.%.*s", pl->cells[i].ca.a->name,
                     (int)(eq - p), p);
            snprintf(value, sizeof value, "%.*s", (int)(nl - eq - 1), eq + 1);
            res_meta(rc->f.meta, key, value);
        }
        p = nl + 1;
    }
}

int cmd_run(int argc, char **argv)
{
    /* Before parse_opts: cli_split cuts list arguments in place. */
    struct dbuf cmd = {0};
    for (int i = 0; i < argc; i++)
        dbuf_addf(&cmd, "%s%s", i ? " " : "", argv[i]);
    struct run_opts o;
    parse_opts(argc, argv, &o);
    char valgrind[PATH_MAX];
    /* valgrind cannot run a sanitized binary: no instructions clock */
    bool have_valgrind = !cli_build.sanitize[0] &&
                         cli_find_program("valgrind", "HEAPLAB_VALGRIND",
                                          valgrind, sizeof valgrind);
    static struct qemu_ctx q; /* PATH_MAX strings: not on the stack */
    char qemu_why[512];
    bool have_qemu = qemu_init(&q, qemu_why, sizeof qemu_why);
    struct plan pl = {0};
    plan_cells(&o, have_valgrind ? valgrind : NULL,
               have_qemu ? NULL : qemu_why, &pl);
    if (o.accel_given && !pl.qemu)
        cli_usage_fail("bad value for --accel: '%s' (no QEMU cells in this "
                       "run)", o.accel);
    if (pl.qemu) {
        char err[512];
        if (!qemu_configure(&q, o.accel, pl.qemu_clock, err, sizeof err))
            cli_usage_fail("%s", err);
        for (size_t i = 0; i < pl.n; i++)
            if (!strcmp(pl.cells[i].env, RUN_ENV_QEMU) &&
                strcmp(pl.cells[i].clock, MODEL_CLOCK))
                pl.cells[i].clock = q.clock;
        /* The traces' modules, written once here: the QEMU cells run in
         * forked workers, which share them (replay_cleanup removes them). */
        for (size_t k = 0; k < pl.hp.nwls; k++) {
            char why[300];
            if (hl_wl_is_replay(pl.hp.wls[k]) && !replay_module(pl.hp.wls[k], why, sizeof why))
                fprintf(stderr, "heaplab: WARNING: %s\n", why); /* its cells will say so */
        }
    }
    /* The modelled clock: the cost plugin, and qemu-x86_64 for the
     * host's cells. */
    static struct model_ctx mctx; /* PATH_MAX strings: not on the stack */
    bool host_modelled = false, host_instructions = false;
    for (size_t t = 0; pl.host && t < pl.nclocks; t++) {
        host_modelled |= !strcmp(pl.clocks[t], MODEL_CLOCK);
        host_instructions |= !strcmp(pl.clocks[t], CELL_CLOCK_INSTRUCTIONS);
    }
    if (pl.qemu_modelled || host_modelled) {
        char err[512];
        if (!model_use(&mctx, o.model, err, sizeof err) ||
            (host_modelled && !model_use_qemu_user(&mctx, err, sizeof err)))
            cli_usage_fail("%s", err);
    }
    if (pl.qemu_skipped[0])
        fprintf(stderr, "heaplab: note: no QEMU cells: %s\n", pl.qemu_skipped);
    if (pl.hp.host_none[0])
        fprintf(stderr, "heaplab: note: %s\n", pl.hp.host_none);
    if (run_has_vm(&pl) && pl.nclocks > 1)
        fprintf(stderr, "heaplab: note: vm cells run on the host with clock %s only\n",
                CELL_CLOCK);
    check_out_dir(&o);
    struct sys_topo *topo = sys_topo_load();
    double tsc_hz = sys_tsc_hz();
    struct run_ctx rc = {.seed = o.seed, .reps = o.reps,
                         .timeout_s = o.timeout_s,
                         .min_time_s = o.min_time_s,
                         /* a checked or sanitized build's timings are
                          * no release figures, and its init poisons the
                          * whole region: every stream runs once */
                         .min_ticks = cli_build_warning()
                                          ? 0
                                          : (uint64_t)(o.min_time_s * tsc_hz),
                         .max_attempts = 1 + o.retries,
                         .valgrind = have_valgrind ? valgrind : NULL,
                         .model = mctx.plugin[0] ? &mctx : NULL,
                         /* callgrind's misses beside the plugin's */
                         .cache_sim = host_modelled && host_instructions};
    char pu_how[512];
    choose_pu(&o, topo, &rc, pu_how, sizeof pu_how);

    /* Everything checked: from here on the run folder exists. */
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        cli_fail("cannot find my own executable: %s", strerror(errno));
    self[n] = '\0';
    rc.self_exe = self;
    char dir[PATH_MAX], run_id[96];
    make_run_dir(o.out, dir, sizeof dir, run_id, sizeof run_id);
    const char *warn = cli_build_warning();
    rc.slow_build = warn != NULL;
    if (warn)
        fprintf(stderr, "heaplab: WARNING: %s\n", warn);
    rc.run_id = run_id;
    snprintf(rc.dir, sizeof rc.dir, "%s", dir);
    if ((size_t)snprintf(rc.callgrind_prefix, sizeof rc.callgrind_prefix,
                         "%s/callgrind.tmp", dir) >= sizeof rc.callgrind_prefix)
        cli_usage_fail("output folder '%s' is too long a path", o.out);
    open_files(&rc, dir);
    write_meta_head(&rc, &pl, &q, &o, cmd.p, topo, pu_how);
    dbuf_free(&cmd);
    sys_topo_free(topo);

    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct cell_outcome *outs = calloc(pl.n, sizeof *outs);
    struct hl_plan_launch *order = calloc(launch_count(&pl) + 1, sizeof *order);
    struct hl_plan_unit *units = plan_units(&pl);
    if (!outs || !order)
        cli_fail("out of memory");
    size_t nlaunches = hl_plan_order(units, pl.n, o.order_seed, order);
    free(units);
    meta_order(&rc, &pl, &o, order, nlaunches, true);
    if (o.nshards)
        nlaunches = shard_filter(&rc, &pl, &o, order, nlaunches);
    struct run_loop loop = {.rc = &rc, .q = &q, .pl = &pl, .outs = outs,
                            .tty = isatty(STDERR_FILENO)};
    clock_gettime(CLOCK_MONOTONIC, &loop.t0);
    size_t ntimed = 0;
    while (ntimed < nlaunches && cell_timed(&pl.cells[order[ntimed].cell]))
        ntimed++;
    run_launches(&loop, order, ntimed);
    size_t by_workers = 0;
    if (!run_stop_requested)
        by_workers = run_counting(&loop, order + ntimed, nlaunches - ntimed,
                                  o.jobs);
    loop.done += by_workers;
    free(order);
    if (o.target_ci > 0 && !run_stop_requested)
        target_rounds(&loop, &o, dir);
    size_t done = by_workers; /* a counting cell is one launch */
    for (size_t i = 0; i < pl.n; i++)
        done += outs[i].reps_seen > 0 || outs[i].end;
    double elapsed = loop_elapsed(&loop);
    if (loop.tty)
        fputc('\n', stderr);
    char date[64];
    iso_now(date, sizeof date);
    res_meta(rc.f.meta, "finished", date);
    res_metaf(rc.f.meta, "elapsed_s", "%.1f", elapsed);
    res_metaf(rc.f.meta, "cells_run", "%zu", done);
    res_metaf(rc.f.meta, "launches_run", "%zu", loop.done);
    res_meta(rc.f.meta, "run_status", run_stop_requested ? "interrupted"
                                                         : "complete");
    /* summary.csv and the table, from cells.csv alone (summary.c) */
    if (run_summary_write(dir, o.target_ci, stdout) != 0)
        fprintf(stderr, "heaplab: the rows are in %s/cells.csv; "
                "`heaplab summary` can write the summary again\n", dir);
    cross_check(&rc, dir, !pl.qemu || q.region_bytes == CELL_REGION_BYTES);
    printf("\n%zu of %zu cells (%zu launches) in %.0f s; results in %s\n",
           done, pl.n, loop.done, elapsed, dir);
    for (size_t i = 0; i < pl.n; i++) {
        free(outs[i].reps);
        dbuf_free(&outs[i].probes);
    }
    free(outs);
    free(pl.cells);
    for (size_t i = 0; i < o.naparams; i++)
        free(o.aparams[i]);
    replay_cleanup();
    if (run_stop_requested) {
        fprintf(stderr, "heaplab: interrupted: the rows of finished reps "
                "are in %s\n", dir);
        return 130;
    }
    return CLI_EXIT_OK;
}
