/*
 * summary_cmd.c — `heaplab summary RUN [--target-ci P]`: (re)write
 * RUN/summary.csv from RUN/cells.csv and print the table, as `heaplab
 * run` does at its end (summary.h).  For runs made before summary.csv
 * had its current columns, merged shards, and test fixtures.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/host/cli.h"
#include "bench/host/summary.h"

static const char summary_usage[] =
    "usage: heaplab summary RUN [--target-ci P]\n"
    "\n"
    "Write RUN/summary.csv again from RUN/cells.csv (through a temporary\n"
    "file and a rename) and print the run's table: per cell the median over\n"
    "launches of the per-launch medians of cycles_per_op, p99 and\n"
    "harness_floor, their 95 % CIs by a hierarchical bootstrap (launches,\n"
    "then reps; 2000 resamples, fixed seed: the same file every time), and\n"
    "the share of cycles_per_op's variance between launches\n"
    "(docs/measurement.md, docs/csv-schema.md).\n"
    "\n"
    "  --target-ci P  say in summary.csv (ci_met) whether each cell's CI\n"
    "                 half-width is within P % of its median (0 < P <= 100)\n"
    "\n"
    "Exit 0 on success; 2 on bad usage or a missing or malformed\n"
    "cells.csv (one line naming the file, line, column or value).\n";

int cmd_summary(int argc, char **argv)
{
    const char *run = NULL;
    double target = 0;
    for (int i = 2; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(summary_usage, stdout);
            return CLI_EXIT_OK;
        }
        if (!strcmp(argv[i], "--target-ci")) {
            const char *v = cli_value(argc, argv, &i);
            char *end;
            errno = 0;
            target = strtod(v, &end);
            if (!v[0] || *end || errno || !(target > 0 && target <= 100) ||
                strspn(v, "0123456789.") != strlen(v))
                cli_usage_fail("bad value for --target-ci: '%s' (a percent, "
                               "0 < P <= 100)", v);
        } else if (argv[i][0] == '-') {
            cli_usage_fail("unknown option '%s' for summary (see heaplab "
                           "summary --help)", argv[i]);
        } else if (run) {
            cli_usage_fail("unexpected argument '%s' for summary (one run "
                           "folder)", argv[i]);
        } else {
            run = argv[i];
        }
    }
    if (!run)
        cli_usage_fail("summary needs a run folder (see heaplab summary "
                       "--help)");
    struct stat st;
    if (stat(run, &st) != 0 || !S_ISDIR(st.st_mode))
        cli_usage_fail("'%s' is not a run folder (not a folder)", run);
    /* run_summary_write printed its one line */
    return run_summary_write(run, target, stdout) ? CLI_EXIT_USAGE
                                                  : CLI_EXIT_OK;
}
