/*
 * merge.c — `heaplab merge RUN... --out DIR [--allow-mixed]`: join the run
 * folders of the shards of one plan (`heaplab run --shard I/N`) into one
 * run folder, as if the plan had run whole.  docs/heaplab.md ("heaplab
 * merge") and docs/cluster.md are the reference.
 *
 * Everything is read and checked before anything is written (the reading
 * half is mergeread.c, which returns its refusals so it can be fuzzed): a
 * refusal is one line naming the folder (and the key, file, line or
 * launch) and exit 2, with no folder left behind.  Refused: a folder that is no
 * complete shard run; shards of different plans (plan_hash), builds or
 * machines (unless --allow-mixed, which records the differences); two
 * folders of one shard; a shard I of N that is absent; shards whose
 * launches do not partition the plan; a cells/latency/timeline/leaks file whose
 * header is not this heaplab's column table (bench/core/columns.h); a row
 * that does not split into those columns or belongs to no cell of the
 * plan.
 *
 * The merged folder DIR/<run_id>:
 *   cells.csv, latency.csv, timeline.csv, leaks.csv  every shard's rows, run_id
 *       rewritten, ordered by plan cell index, then rep, then shard and
 *       line (a detail row names no clock: it goes to the first cell of
 *       its env, allocator, workload and params) — the same bytes for the
 *       same shards, whatever order they were named in;
 *   meta.csv   the keys every shard that has them agrees on, once, in
 *       shard 1's order (so the plan.cell and order.* lines); the others
 *       per shard as shard.I.<key>; merged_from.I per shard; the merge's
 *       own run_id, run_status, cells_run, launches_run and checksums;
 *   cells.log  a line per shard;
 *   summary.csv  recomputed from cells.csv (summary.c), as a run does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/core/runner.h"
#include "bench/host/cell.h"
#include "bench/host/cli.h"
#include "bench/host/mergeread.h"
#include "bench/host/results.h"
#include "bench/host/run.h"
#include "bench/host/summary.h"

static const char merge_usage[] =
    "usage: heaplab merge RUN... --out DIR [--allow-mixed]\n"
    "\n"
    "Join the run folders of the shards of one plan (heaplab run --shard\n"
    "I/N, e.g. the tasks of tools/cluster) into ONE run folder DIR/<run_id>,\n"
    "as if the plan had run whole: cells.csv, latency.csv, timeline.csv and\n"
    "leaks.csv hold every shard's rows (run_id rewritten; ordered by plan\n"
    "cell, then rep or launch), meta.csv the keys the shards agree on\n"
    "once (plan lines and plan_hash included), the others per shard\n"
    "(shard.I.KEY) and a merged_from.I line per shard; summary.csv is\n"
    "computed again and the checksums cross-checked, as `heaplab run` does.\n"
    "\n"
    "  --out DIR      where the merged run folder is created (made if\n"
    "                 missing)\n"
    "  --allow-mixed  merge shards of different builds (git_commit,\n"
    "                 compiler, c_flags, build_type, check_level, sanitize)\n"
    "                 or machines (cpu_model, tsc_hz beyond 0.1 %,\n"
    "                 hwloc_topology); meta.csv records each difference\n"
    "\n"
    "Refused, with one line naming the folder and what differs: a folder\n"
    "that is not a complete shard run (run_status), shards of different\n"
    "plans (plan_hash) or shard counts, builds or machines (without\n"
    "--allow-mixed), two folders of one shard, a missing shard, shards whose\n"
    "launches (shard.launches) do not partition the plan, a CSV header that\n"
    "is not this heaplab's column table, a row of no cell of the plan.\n"
    "\n"
    "Exit 0 on success (the merged folder's path on the last line), 2 on a\n"
    "refusal or bad usage (nothing written), 1 on a failure of the machine.\n";

/* Keys the merge writes itself (never copied from a shard). */
static const char *const own_keys[] = {"run_id", "shard", "shard.launches",
                                       "run_status", "cells_run",
                                       "launches_run", "checksums", "date"};

static bool in_list(const char *key, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(key, list[i]))
            return true;
    return false;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- writing ----------------------------------------------------------------- */

/* out, created if missing, and a new run folder in it (run.c's form). */
static void make_merged_dir(const char *out, char *dir, size_t cap, char *id,
                            size_t id_cap)
{
    struct stat st;
    if (stat(out, &st) != 0 && (errno != ENOENT || cli_mkdir_p(out) != 0))
        cli_usage_fail("output folder '%s' cannot be created: %s", out,
                       strerror(errno));
    make_run_dir(out, dir, cap, id, id_cap);
}

static void write_rows(const char *dir, const struct merge_rowfile *rf,
                       const char *run_id, const struct merge_rows *rows)
{
    struct dbuf b = {0};
    dbuf_addf(&b, "%s\n", *rf->header_ptr);
    for (size_t i = 0; i < rows->n; i++) {
        dbuf_add_field(&b, run_id);
        dbuf_add(&b, rows->r[i].rest, strlen(rows->r[i].rest));
        dbuf_add(&b, "\n", 1);
    }
    res_write_whole(dir, rf->name, b.p, b.len);
    dbuf_free(&b);
}

/* Is key's value the same in every shard that has it? */
static bool key_common(const struct merge_shard *sh, size_t nsh,
                       const char *key, const char *value)
{
    for (size_t s = 0; s < nsh; s++) {
        const char *v = merge_meta_get(&sh[s].m, key);
        if (v && !merge_same_value(key, value, v))
            return false;
    }
    return true;
}

/* The first occurrence of key in shards before s (so a key is handled
 * once however many shards have it). */
static bool key_seen_before(const struct merge_shard *sh, size_t s,
                            const char *key)
{
    for (size_t t = 0; t < s; t++)
        if (merge_meta_get(&sh[t].m, key))
            return true;
    return false;
}

static void write_meta(int fd, const struct merge *m, const char *run_id,
                       const char *cmdline, bool allow_mixed, size_t cells_run,
                       size_t launches_run)
{
    const struct merge_shard *sh = m->sh;
    size_t nsh = m->nsh;
    res_write(fd, "key,value\n", 10, "meta.csv");
    res_meta(fd, "run_id", run_id);
    /* the run began when its first shard began */
    const char *date = NULL;
    for (size_t s = 0; s < nsh; s++) {
        const char *d = merge_meta_get(&sh[s].m, "date");
        if (d && (!date || strcmp(d, date) < 0))
            date = d;
    }
    res_meta(fd, "date", date ? date : "unknown");
    struct dbuf per_shard = {0};
    for (size_t s = 0; s < nsh; s++)
        for (size_t k = 0; k < sh[s].m.n; k++) {
            const struct merge_kv *e = &sh[s].m.e[k];
            if (in_list(e->key, own_keys, COUNT(own_keys)) ||
                key_seen_before(sh, s, e->key) ||
                merge_meta_get(&sh[s].m, e->key) != e->value) /* repeated */
                continue;
            if (key_common(sh, nsh, e->key, e->value)) {
                res_meta(fd, e->key, e->value);
                continue;
            }
            for (size_t t = 0; t < nsh; t++) {
                const char *v = merge_meta_get(&sh[t].m, e->key);
                if (!v)
                    continue;
                dbuf_addf(&per_shard, "shard.%u.", sh[t].i);
                dbuf_add_field(&per_shard, e->key);
                dbuf_add(&per_shard, ",", 1);
                dbuf_add_field(&per_shard, v);
                dbuf_add(&per_shard, "\n", 1);
            }
        }
    if (per_shard.len)
        res_write(fd, per_shard.p, per_shard.len, "meta.csv");
    dbuf_free(&per_shard);
    res_meta(fd, "merge_command_line", cmdline);
    res_metaf(fd, "merged_shards", "%zu", nsh);
    for (size_t s = 0; s < nsh; s++) {
        char key[64];
        const char *id = merge_meta_get(&sh[s].m, "run_id");
        snprintf(key, sizeof key, "merged_from.%u", sh[s].i);
        res_metaf(fd, key, "%s %u/%u %s", sh[s].dir, sh[s].i, sh[s].n,
                  id ? id : "unknown");
    }
    if (allow_mixed)
        res_metaf(fd, "allow_mixed", "%zu build or machine keys differ "
                  "between shards (shard.I.KEY rows)", m->mixed);
    res_metaf(fd, "cells_run", "%zu", cells_run);
    res_metaf(fd, "launches_run", "%zu", launches_run);
    res_meta(fd, "run_status", "complete");
}

/* ---- the command ------------------------------------------------------------- */

int cmd_merge(int argc, char **argv)
{
    static struct dbuf cmd; /* static: a usage error exits with it live */
    for (int i = 0; i < argc; i++)
        dbuf_addf(&cmd, "%s%s", i ? " " : "", argv[i]);
    const char *out = NULL;
    bool allow_mixed = false;
    static const char **dirs; /* static: as cmd */
    dirs = calloc(argc > 0 ? (size_t)argc : 1, sizeof *dirs);
    if (!dirs)
        cli_fail("out of memory");
    size_t nsh = 0;
    for (int i = 2; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(merge_usage, stdout);
            return CLI_EXIT_OK;
        }
        if (!strcmp(argv[i], "--out"))
            out = cli_value(argc, argv, &i);
        else if (!strcmp(argv[i], "--allow-mixed"))
            allow_mixed = true;
        else if (argv[i][0] == '-')
            cli_usage_fail("unknown option '%s' for merge (see heaplab merge "
                           "--help)", argv[i]);
        else {
            size_t n = strlen(argv[i]); /* "RUN/" names RUN */
            while (n > 1 && argv[i][n - 1] == '/')
                argv[i][--n] = '\0';
            dirs[nsh++] = argv[i];
        }
    }
    if (nsh == 0)
        cli_usage_fail("merge needs the shards' run folders (see heaplab "
                       "merge --help)");
    if (!out)
        cli_usage_fail("merge needs --out DIR (see heaplab merge --help)");

    struct merge m;
    char why[2048];
    int st = merge_read(&m, dirs, nsh, allow_mixed, why, sizeof why);
    if (st == -2)
        cli_fail("%s", why);
    if (st != 0)
        cli_usage_fail("%s", why);

    /* Everything checked: from here on the merged folder exists. */
    char dir[PATH_MAX], run_id[96];
    make_merged_dir(out, dir, sizeof dir, run_id, sizeof run_id);
    for (unsigned k = 0; k < MERGE_NROWFILES; k++)
        write_rows(dir, &merge_rowfiles[k], run_id, &m.rows[k]);
    const struct merge_rows *cells = &m.rows[0];
    size_t cells_run = 0, launches_run = 0;
    for (size_t i = 0; i < cells->n; i++) /* sorted by cell */
        cells_run += i == 0 || cells->r[i].cell != cells->r[i - 1].cell;
    for (size_t s = 0; s < m.nsh; s++) {
        const char *v = merge_meta_get(&m.sh[s].m, "launches_run");
        launches_run += v ? strtoul(v, NULL, 10) : 0;
    }
    struct run_ctx rc = {.run_id = run_id};
    rc.f.meta = res_create(dir, "meta.csv");
    write_meta(rc.f.meta, &m, run_id, cmd.p, allow_mixed, cells_run,
               launches_run);
    rc.f.log = res_create(dir, "cells.log");
    run_log_line(&rc, "merged run %s: %zu shards of plan %s", run_id, m.nsh,
                 merge_meta_get(&m.sh[0].m, "plan_hash"));
    for (size_t s = 0; s < m.nsh; s++) {
        const struct merge_shard *sh = &m.sh[s];
        const char *el = merge_meta_get(&sh->m, "elapsed_s");
        const char *lr = merge_meta_get(&sh->m, "launches_run");
        run_log_line(&rc, "shard %u/%u: %s (run %s), %s launches in %s s; "
                     "its own log: %s/cells.log", sh->i, sh->n, sh->dir,
                     merge_meta_get(&sh->m, "run_id"), lr ? lr : "?",
                     el ? el : "?", sh->dir);
    }
    if (run_summary_write(dir, 0, stdout) != 0)
        fprintf(stderr, "heaplab: the rows are in %s/cells.csv; `heaplab "
                "summary` can write the summary again\n", dir);
    const char *region = merge_meta_get(&m.sh[0].m, "qemu_region_bytes");
    bool same_region = !region || strtoull(region, NULL, 10) ==
                                      (unsigned long long)CELL_REGION_BYTES;
    cross_check(&rc, dir, same_region);
    close(rc.f.meta);
    close(rc.f.log);
    printf("\nmerged %zu shards: %zu of %zu cells (%zu launches); results "
           "in %s\n", m.nsh, cells_run, m.pl.n, launches_run, dir);

    merge_free(&m);
    free(dirs);
    dbuf_free(&cmd);
    return CLI_EXIT_OK;
}
