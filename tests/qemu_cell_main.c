/*
 * qemu_cell_main.c — a test driver for bench/host/qemu.c: one cell in
 * QEMU through qemu_run_cell, into a run folder of its own, exactly as
 * `heaplab run` will call it (tests/kernel/qemu_cell_test.sh checks the
 * files).
 *
 *   qemu_cell_main cell DIR ALLOCATOR WORKLOAD [options]
 *       --ops N (30000) --reps N (9) --seed S (1) --params k=v,...
 *       --accel auto|kvm|tcg (tcg) --clock icount|tsc (icount)
 *       --mem MIB --timeout S --append "WORDS" --run-id ID
 *       --sweep K (the cell is a sweep point of parameter K: set K with
 *       --params)
 *     creates DIR (must not exist) with meta.csv, cells.csv, latency.csv,
 *     timeline.csv, cells.log; prints the outcome as key=value lines
 *     (end, why, delivered, region_bytes, accel, clock, wall_s, probes).
 *   qemu_cell_main probe
 *     the KVM probe: prints kvm=yes|no, reason, seconds.
 *   qemu_cell_main columns FILE.csv
 *     each row as "<nfields>|f1|f2|..." (csv_split), for awk -F'|'.
 * Exit status 0 when the driver itself worked (whatever the cell did),
 * 2 for bad usage, 1 when QEMU or the kernel cannot be found.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/core/runner.h"
#include "bench/host/cli.h"
#include "bench/host/csvline.h"
#include "bench/host/qemu.h"
#include "bench/host/results.h"
#include "bench/host/run.h"

static int usage(void)
{
    fprintf(stderr, "usage: qemu_cell_main cell DIR ALLOCATOR WORKLOAD [--ops N] [--reps N] "
                    "[--seed S] [--params k=v,...] [--accel A] [--clock C] [--mem MIB] "
                    "[--timeout S] [--append WORDS] [--run-id ID] [--sweep K]\n"
                    "       qemu_cell_main probe\n"
                    "       qemu_cell_main columns FILE.csv\n");
    return CLI_EXIT_USAGE;
}

/* run.c's workload_params for one --params text: defaults, --ops
 * scaling, then only the names the text sets. */
static void plan_params(const struct hl_workload *w, uint64_t ops, const char *text,
                        struct hl_wl_params *p)
{
    hl_wl_defaults(w, p);
    hl_wl_scale_ops(w, p, ops);
    if (text) {
        struct hl_wl_params set;
        const char *err = NULL;
        size_t at = 0;
        if (hl_wl_parse(w, text, &set, &err, &at) != 0)
            cli_usage_fail("bad --params '%s': %s", text, err);
        for (unsigned k = 0; k < w->nparams; k++) {
            char key[64];
            snprintf(key, sizeof key, "%s=", w->params[k].name);
            bool named = !strncmp(text, key, strlen(key));
            for (const char *c = strchr(text, ','); !named && c; c = strchr(c + 1, ','))
                named = !strncmp(c + 1, key, strlen(key));
            if (named)
                p->v[k] = set.v[k];
        }
    }
    const char *err = NULL;
    int bad = -1;
    if (hl_wl_validate(w, p, &err, &bad) != 0)
        cli_usage_fail("bad parameters for %s: %s", w->name, err);
}

static int cmd_probe(void)
{
    struct qemu_ctx q;
    char why[512];
    if (!qemu_init(&q, why, sizeof why)) {
        fprintf(stderr, "qemu_cell_main: %s\n", why);
        return CLI_EXIT_FAIL;
    }
    double s = 0;
    bool kvm = qemu_probe_kvm(&q, QEMU_PROBE_TIMEOUT_S, why, sizeof why, &s);
    printf("kvm=%s\nreason=%s\nseconds=%.2f\nqemu_version=%s\n", kvm ? "yes" : "no", why, s,
           q.version);
    return CLI_EXIT_OK;
}

static int cmd_one_cell(int argc, char **argv)
{
    if (argc < 5)
        return usage();
    const char *dir = argv[2];
    struct cli_alloc ca;
    if (!cli_alloc_find(argv[3], &ca))
        cli_usage_fail("unknown allocator '%s'", argv[3]);
    const struct hl_workload *w = hl_workload_find(argv[4]);
    if (!w)
        cli_usage_fail("unknown workload '%s'", argv[4]);
    uint64_t ops = 30000, seed = 1;
    uint32_t reps = 9;
    unsigned mem = 0, timeout = 0;
    const char *params = NULL, *accel = "tcg", *clock = "icount", *append = NULL, *sweep = "";
    char run_id[64];
    snprintf(run_id, sizeof run_id, "qemutest-%ld", (long)getpid());
    for (int i = 5; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--ops"))
            ops = cli_parse_u64(o, cli_value(argc, argv, &i), 1, 1000000000);
        else if (!strcmp(o, "--reps"))
            reps = (uint32_t)cli_parse_u64(o, cli_value(argc, argv, &i), 1, 1000);
        else if (!strcmp(o, "--seed"))
            seed = cli_parse_u64(o, cli_value(argc, argv, &i), 0, UINT64_MAX);
        else if (!strcmp(o, "--params"))
            params = cli_value(argc, argv, &i);
        else if (!strcmp(o, "--accel"))
            accel = cli_value(argc, argv, &i);
        else if (!strcmp(o, "--clock"))
            clock = cli_value(argc, argv, &i);
        else if (!strcmp(o, "--mem"))
            mem = (unsigned)cli_parse_u64(o, cli_value(argc, argv, &i), 8, 3072);
        else if (!strcmp(o, "--timeout"))
            timeout = (unsigned)cli_parse_u64(o, cli_value(argc, argv, &i), 1, 86400);
        else if (!strcmp(o, "--append"))
            append = cli_value(argc, argv, &i);
        else if (!strcmp(o, "--sweep"))
            sweep = cli_value(argc, argv, &i);
        else if (!strcmp(o, "--run-id"))
            snprintf(run_id, sizeof run_id, "%s", cli_value(argc, argv, &i));
        else
            return usage();
    }

    struct qemu_ctx q;
    char why[512];
    if (!qemu_init(&q, why, sizeof why)) {
        fprintf(stderr, "qemu_cell_main: %s\n", why);
        return CLI_EXIT_FAIL;
    }
    if (!qemu_configure(&q, accel, clock, why, sizeof why))
        cli_usage_fail("%s", why);
    if (mem)
        q.mem_mib = mem;
    q.extra_append = append;

    struct cell_plan *p = calloc(1, sizeof *p);
    if (!p)
        cli_fail("out of memory");
    p->ca = ca;
    p->w = w;
    plan_params(w, ops, params, &p->params);
    hl_wl_format(w, &p->params, p->params_text, sizeof p->params_text);
    p->total_ops = w->total_ops(&p->params);
    p->reps = reps;
    p->clock = NULL; /* the boot's: q.clock */
    if (sweep[0] && hl_wl_param_index(w, sweep) < 0)
        cli_usage_fail("--sweep '%s' is no parameter of %s", sweep, w->name);
    p->sweep = sweep;
    if (!qemu_cell_supported(p))
        cli_usage_fail("allocator '%s' does not exist in the kernel", ca.a->name);

    if (mkdir(dir, 0755) != 0)
        cli_fail("mkdir %s: %s", dir, strerror(errno));
    struct run_ctx rc = {.run_id = run_id, .seed = seed, .reps = reps, .timeout_s = timeout,
                         .slow_build = cli_build_warning() != NULL};
    snprintf(rc.pu, sizeof rc.pu, "none");
    rc.f.meta = res_create(dir, "meta.csv");
    rc.f.log = res_create(dir, "cells.log");
    rc.f.cells = res_create(dir, "cells.csv");
    rc.f.latency = res_create(dir, "latency.csv");
    rc.f.timeline = res_create(dir, "timeline.csv");
    res_write(rc.f.meta, "key,value\n", 10, "meta.csv");
    res_meta(rc.f.meta, "run_id", run_id);
    qemu_write_meta(&q, rc.f.meta);
    const char *headers[] = {hl_cells_header, hl_latency_header, hl_timeline_header};
    int fds[] = {rc.f.cells, rc.f.latency, rc.f.timeline};
    for (int i = 0; i < 3; i++) {
        res_write(fds[i], headers[i], strlen(headers[i]), "a header");
        res_write(fds[i], "\n", 1, "a header");
    }

    struct cell_outcome out = {0};
    out.reps = calloc(reps, sizeof *out.reps);
    if (!out.reps)
        cli_fail("out of memory");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    qemu_run_cell(&rc, &q, p, &out);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

    printf("end=%s\nwhy=%s\ndelivered=%u\nreps=%u\nregion_bytes=%zu\naccel=%s\nclock=%s\n"
           "accel_reason=%s\nwall_s=%.3f\ndeadline_s=%u\nparams=%s\n", out.end, out.why,
           out.delivered, reps, q.region_bytes, q.accel, q.clock, q.accel_reason, wall,
           qemu_cell_deadline_s(&rc, &q, p), p->params_text);
    for (uint32_t r = 0; r < reps; r++)
        printf("rep.%u=%s\n", r, out.reps[r].status);
    if (out.probes.len)
        fputs(out.probes.p, stdout);
    dbuf_free(&out.probes);
    free(out.reps);
    free(p);
    return CLI_EXIT_OK;
}

/* Print each line of a CSV file as its fields joined by '|', preceded
 * by the field count: awk -F'|' can then read quoted fields. */
static int cmd_columns(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        cli_fail("%s: %s", path, strerror(errno));
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *fields[128];
        int n = csv_split(line, fields, 128);
        printf("%d", n);
        for (int i = 0; i < n; i++)
            printf("|%s", fields[i]);
        putchar('\n');
    }
    fclose(f);
    return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "probe"))
        return cmd_probe();
    if (argc == 3 && !strcmp(argv[1], "columns"))
        return cmd_columns(argv[2]);
    if (argc >= 2 && !strcmp(argv[1], "cell"))
        return cmd_one_cell(argc, argv);
    return usage();
}
