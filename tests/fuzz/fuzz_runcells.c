/*
 * fuzz_runcells.c — the cells.csv reader behind `heaplab compare`,
 * `heaplab summary` and `heaplab repeat` (rc_read, bench/host/runcells.h):
 * the input is a whole cells.csv.
 *
 * rc_read reads RUN/cells.csv, so each input is written to a file in a
 * private temporary folder (tmpfs when TMPDIR points there).  Checked:
 * rc_read either refuses with one line (no newline) and an empty run, or
 * returns cells whose reps are counted consistently, whose keys are
 * found again by rc_find, and whose figures' levels build and free.
 */
#define _GNU_SOURCE /* mkdtemp */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/host/runcells.h"
#include "tests/fuzz/fuzz.h"

static char dir[4096], path[4200];

static void cleanup(void)
{
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/hl-fuzz-runcells-XXXXXX",
             tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("fuzz_runcells: mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/cells.csv", dir);
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    FZ_REQUIRE(f && fwrite(data, 1, size, f) == size && fclose(f) == 0,
               "cannot write %s", path);
    struct rc_run run;
    char err[1024];
    if (rc_read(dir, &run, err, sizeof err) != 0) {
        FZ_REQUIRE(err[0] && !strchr(err, '\n') && run.n == 0,
                   "refused with '%s' (%zu cells left)", err, run.n);
        rc_free(&run);
        return 0;
    }
    for (size_t i = 0; i < run.n; i++) {
        const struct rc_cell *c = &run.cells[i];
        FZ_REQUIRE(c->n <= c->rows && c->disturbed <= c->rows && c->key &&
                       c->group,
                   "cell %zu: %zu reps with figures of %zu rows", i, c->n,
                   c->rows);
        for (int k = 0; k < RC_KEYS; k++)
            FZ_REQUIRE(c->k[k], "cell %zu: key column %d is NULL", i, k);
        FZ_REQUIRE(rc_find(&run, c->key) == c, "cell %zu: rc_find('%s')",
                   i, c->key);
        for (int fig = 0; fig < RC_FIGS; fig++) {
            struct rc_levels lv;
            FZ_REQUIRE(rc_levels_of(c, (enum rc_fig)fig, &lv),
                       "rc_levels_of: out of memory");
            rc_levels_free(&lv);
        }
        FZ_REQUIRE(rc_status_str(c->status)[0], "cell %zu: no status", i);
    }
    rc_free(&run);
    return 0;
}
