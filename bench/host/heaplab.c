/*
 * heaplab.c — the `heaplab` command: dispatch to the subcommands, and the
 * two small ones, `list` and `info`.  `run` is in run.c (with spawn.c and
 * cell.c), `compare` in compare.c, `repeat` in repeat.c, `summary` in
 * summary_cmd.c, `merge` in merge.c, `plot` in plot.c, `record` and `trace`
 * in trace_cmd.c, `exec` in exec.c.  docs/heaplab.md is the reference.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "bench/core/runner.h"
#include "bench/host/baselines.h"
#include "bench/host/cell.h"
#include "bench/host/cli.h"
#include "bench/host/sysinfo.h"

static const char main_usage[] =
    "usage: heaplab COMMAND [options]   (heaplab COMMAND --help for each)\n"
    "\n"
    "  list [allocators|workloads]  what can be run, with parameters\n"
    "  info                         this machine: topology, CPU, TSC, timer\n"
    "  run [options]                run the benchmark suite into results/\n"
    "  compare RUN_A RUN_B          per-cell ratios B/A with a significance\n"
    "                               test, deviation, each median in the\n"
    "                               other's CI\n"
    "  compare RUN --baseline NAME  ratios to NAME within a run with a CI and\n"
    "                               a verdict (RUN/ratios.csv)\n"
    "  summary RUN [--target-ci P]  rewrite RUN/summary.csv from cells.csv\n"
    "  repeat RUN_A RUN_B           how well two runs of one plan agree\n"
    "                               (tools/repeat runs the plan twice)\n"
    "  merge RUN... --out DIR       join the shards of one plan (run --shard\n"
    "                               I/N, tools/cluster) into one run folder\n"
    "  plot RUN [--format LIST]     the figures of a run (gnuplot) into\n"
    "                               RUN/figures/\n"
    "  record [-o FILE] -- CMD ...  run CMD, record its malloc calls as a trace\n"
    "  trace info FILE              a trace's counts, sizes, lifetimes, peak\n"
    "  trace ops FILE               a trace's ops, one per line\n"
    "  trace import --mtrace FILE   a glibc MALLOC_TRACE file as a trace\n"
    "  exec --allocators A,B -- CMD run a real program on each allocator as\n"
    "                               its malloc: wall, user, sys, max RSS\n";

/* ---- list ------------------------------------------------------------------- */

static const char list_usage[] =
    "usage: heaplab list [allocators|workloads]\n"
    "\n"
    "List the allocators (project allocators, baselines with where they were\n"
    "found) and the workloads, each with its parameters: name, unit,\n"
    "default, range.  Set an allocator's with --allocators A:K=V,... and\n"
    "sweep one with --sweep A:K=V1,V2,... (heaplab run --help).\n";

static const char *kind_text(const struct cli_alloc *ca)
{
    switch (ca->kind) {
    case CLI_ALLOC_PROJECT: return "project";
    case CLI_ALLOC_BASELINE: return "baseline";
    case CLI_ALLOC_TEST: return "test";
    case CLI_ALLOC_VM: return "vm";
    }
    return "?";
}

static void list_one_alloc(void *ctx, const struct cli_alloc *ca)
{
    (void)ctx;
    char where[PATH_MAX + 32] = "";
    if (ca->kind == CLI_ALLOC_BASELINE) {
        char path[PATH_MAX];
        const char *why = cli_baseline_unavailable(ca->baseline);
        hl_baseline_probe(ca->baseline, path, sizeof path);
        if (why)
            snprintf(where, sizeof where, "  [%s]", why);
        else
            snprintf(where, sizeof where, "  [%s]",
                     path[0] ? path : "glibc, linked");
    }
    printf("  %-16s %-6s %-9s %s%s\n", ca->a->name,
           hl_family_str(ca->a->family), kind_text(ca), ca->a->summary, where);
    for (unsigned k = 0; k < ca->a->nparams; k++) {
        const struct hl_param *p = &ca->a->params[k];
        printf("      %-14s %-7s default %-6llu range %llu..%llu  %s\n",
               p->name, p->unit, (unsigned long long)p->def,
               (unsigned long long)p->min, (unsigned long long)p->max,
               p->summary);
    }
}

static void list_allocators(void)
{
    printf("allocators (parameters: name, unit, default, range):\n"
           "  %-16s %-6s %-9s %s\n", "NAME", "FAMILY", "KIND", "SUMMARY");
    cli_alloc_each(list_one_alloc, NULL);
}

static void list_workloads(void)
{
    printf("workloads (parameters: name, unit, default, range):\n");
    for (const struct hl_workload *const *w = hl_workloads; *w; w++) {
        printf("  %-16s %-6s %s\n", (*w)->name, hl_family_str((*w)->family),
               (*w)->summary);
        for (unsigned k = 0; k < (*w)->nparams; k++) {
            const struct hl_wl_param *p = &(*w)->params[k];
            printf("      %-8s %-7s default %-10llu range %llu..%llu  %s\n",
                   p->name, p->unit, (unsigned long long)p->def,
                   (unsigned long long)p->min, (unsigned long long)p->max,
                   p->summary);
        }
    }
}

int cmd_list(int argc, char **argv)
{
    const char *what = NULL;
    for (int i = 2; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(list_usage, stdout);
            return CLI_EXIT_OK;
        }
        if (argv[i][0] == '-')
            cli_usage_fail("unknown option '%s' for list (see heaplab list "
                           "--help)", argv[i]);
        if (what)
            cli_usage_fail("unexpected argument '%s' for list", argv[i]);
        what = argv[i];
    }
    if (what && strcmp(what, "allocators") && strcmp(what, "workloads"))
        cli_usage_fail("unknown list '%s' (expected allocators or "
                       "workloads)", what);
    if (!what || !strcmp(what, "allocators"))
        list_allocators();
    if (!what)
        printf("\n");
    if (!what || !strcmp(what, "workloads"))
        list_workloads();
    return CLI_EXIT_OK;
}


/* ---- info -------------------------------------------------------------------- */

static const char info_usage[] =
    "usage: heaplab info\n"
    "\n"
    "This machine as a run records it: the hwloc topology and the PU cells\n"
    "are bound to by default, the CPU model, the TSC frequency calibrated\n"
    "against CLOCK_MONOTONIC_RAW, the timer's overhead and resolution, the\n"
    "kernel, and how heaplab was built.\n";

int cmd_info(int argc, char **argv)
{
    for (int i = 2; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(info_usage, stdout);
            return CLI_EXIT_OK;
        }
        cli_usage_fail("unexpected argument '%s' for info (see heaplab info "
                       "--help)", argv[i]);
    }
    char text[4096];
    struct sys_topo *topo = sys_topo_load();
    sys_topo_summary(topo, text, sizeof text);
    printf("topology        %s\n", text);
    sys_topo_allowed(topo, text, sizeof text);
    printf("PUs allowed     %s\n", text);
    unsigned pu;
    if (sys_topo_default_pu(topo, &pu))
        printf("default PU      %u (first PU of the last core)\n", pu);
    sys_topo_free(topo);
    sys_cpu_model(text, sizeof text);
    printf("CPU model       %s\n", text);
    double hz = sys_tsc_hz();
    printf("TSC frequency   %.0f Hz (%.3f GHz, vs CLOCK_MONOTONIC_RAW)\n", hz,
           hz / 1e9);
    uint64_t scratch[4096];
    struct hl_clock_cal cal;
    hl_clock_calibrate(&cal, scratch, 4096);
    printf("timer overhead  %llu ticks median, %llu min (%llu pairs)\n",
           (unsigned long long)cal.overhead,
           (unsigned long long)cal.overhead_min,
           (unsigned long long)cal.samples);
    printf("timer resolution %llu ticks\n",
           (unsigned long long)cal.resolution);
    sys_kernel(text, sizeof text);
    printf("kernel          %s\n", text);
    printf("build           %s, HL_CHECK_LEVEL=%d, sanitize=%s, %s\n",
           cli_build.build_type, cli_build.check_level,
           cli_build.sanitize[0] ? cli_build.sanitize : "none",
           cli_build.compiler);
    printf("commit          %s (when built)\n", cli_build.git_commit);
    const char *warn = cli_build_warning();
    if (warn)
        printf("WARNING         %s\n", warn);
    return CLI_EXIT_OK;
}

/* ---- main -------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    if (argc < 2)
        cli_usage_fail("missing command (see heaplab --help)");
    const char *cmd = argv[1];
    if (cli_is_help(cmd) || !strcmp(cmd, "help")) {
        fputs(main_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(cmd, CELL_FLAG))
        return cmd_cell(argc, argv);
    if (!strcmp(cmd, "list"))
        return cmd_list(argc, argv);
    if (!strcmp(cmd, "info"))
        return cmd_info(argc, argv);
    if (!strcmp(cmd, "run"))
        return cmd_run(argc, argv);
    if (!strcmp(cmd, "compare"))
        return cmd_compare(argc, argv);
    if (!strcmp(cmd, "summary"))
        return cmd_summary(argc, argv);
    if (!strcmp(cmd, "repeat"))
        return cmd_repeat(argc, argv);
    if (!strcmp(cmd, "merge"))
        return cmd_merge(argc, argv);
    if (!strcmp(cmd, "plot"))
        return cmd_plot(argc, argv);
    if (!strcmp(cmd, "record"))
        return cmd_record(argc, argv);
    if (!strcmp(cmd, "trace"))
        return cmd_trace(argc, argv);
    if (!strcmp(cmd, "exec"))
        return cmd_exec(argc, argv);
    cli_usage_fail("unknown command '%s' (see heaplab --help)", cmd);
}
