/*
 * cellrows.c — a measuring child's rows, taken rep by rep (cellrows.h).
 */
#define _GNU_SOURCE
#include "bench/host/cellrows.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/core/leak.h"
#include "bench/core/runner.h"
#include "bench/host/proc.h"

/* latency.csv and timeline.csv rows share their first 7 key columns. */
enum { K_RUN_ID, K_ENV, K_ALLOCATOR, K_WORKLOAD, K_PARAMS, K_SEED, K_REP };
_Static_assert(COL_RUN_ID == 0, "cells.csv starts with run_id");

void cell_rows_bad(struct cell_rows *t, const char *why, const char *text)
{
    if (t->bad)
        return;
    t->bad = true;
    snprintf(t->bad_why, sizeof t->bad_why, "%s: '%.80s'", why, text);
}

bool cell_rows_gave_up(void *cell_rows) { return ((struct cell_rows *)cell_rows)->bad; }

/* The rep a row must name now. */
static uint32_t current_rep(const struct cell_rows *t)
{
    return t->first_rep + t->out->delivered;
}

/* Do the key columns of a row (f: its fields) name this cell's current
 * rep?  The indexes are the row's own (cells.csv's or the detail files'). */
static bool row_is_ours(const struct cell_rows *t, char **f, unsigned env, unsigned alloc,
                        unsigned wl, unsigned params, unsigned seed, unsigned rep)
{
    char rep_text[16], seed_text[24];
    snprintf(rep_text, sizeof rep_text, "%u", current_rep(t));
    snprintf(seed_text, sizeof seed_text, "%llu", (unsigned long long)t->rc->seed);
    return !strcmp(f[0], t->rc->run_id) && !strcmp(f[env], t->env) &&
           !strcmp(f[alloc], t->p->ca.a->name) && !strcmp(f[wl], t->p->w->name) &&
           !strcmp(f[params], t->p->params_text) && !strcmp(f[seed], seed_text) &&
           !strcmp(f[rep], rep_text);
}

static void take_cells_row(struct cell_rows *t, const struct lp_line *l)
{
    char *const *f = l->fields + 1;
    if (t->out->delivered >= t->p->reps) {
        cell_rows_bad(t, "more reps than asked", l->rest);
        return;
    }
    if (l->nfields - 1 != (int)CELL_COLUMNS || t->cells.len ||
        !row_is_ours(t, (char **)f, COL_ENV, COL_ALLOCATOR, COL_WORKLOAD, COL_PARAMS,
                     COL_SEED, COL_REP)) {
        cell_rows_bad(t, "unexpected cells row", l->rest);
        return;
    }
    const char *st = f[COL_STATUS];
    if (strcmp(st, "ok") && strcmp(st, "failed") && strcmp(st, "error")) {
        cell_rows_bad(t, "bad status in cells row", l->rest);
        return;
    }
    if (strcmp(f[COL_ACCEL], t->accel) || strcmp(f[COL_CLOCK], t->clock) ||
        strcmp(f[COL_SWEEP], t->p->sweep)) {
        cell_rows_bad(t, "cells row with another accel, clock or sweep", l->rest);
        return;
    }
    struct rep_fig *fig = &t->out->reps[current_rep(t)];
    snprintf(fig->status, sizeof fig->status, "%s", st);
    fig->cycles_per_op = strtod(f[COL_CYCLES_PER_OP], NULL);
    fig->p99 = f[COL_P99][0] ? strtod(f[COL_P99], NULL) : NAN;
    dbuf_addf(&t->cells, "%s\n", l->rest);
    if (t->first_row_s == 0)
        t->first_row_s = proc_now_s();
}

/* A latency or timeline row: never for a sweep cell (cell.h). */
static void take_detail_row(struct cell_rows *t, const struct lp_line *l, unsigned ncols,
                            struct dbuf *to)
{
    if (t->p->sweep[0] || l->nfields - 1 != (int)ncols ||
        !row_is_ours(t, (char **)l->fields + 1, K_ENV, K_ALLOCATOR, K_WORKLOAD, K_PARAMS,
                     K_SEED, K_REP)) {
        cell_rows_bad(t, "unexpected detail row", l->rest);
        return;
    }
    dbuf_addf(to, "%s\n", l->rest);
}

/* A leaks.csv row (leak.h): kept for leaks.csv with the next rep, and
 * said in cells.log in words (every row but an empty total). */
static void take_leak_row(struct cell_rows *t, const struct lp_line *l)
{
    char *const *f = l->fields + 1;
    char seed_text[24];
    snprintf(seed_text, sizeof seed_text, "%llu", (unsigned long long)t->rc->seed);
    if (l->nfields - 1 != (int)LEAKS_COLUMNS || strcmp(f[LEAK_RUN_ID], t->rc->run_id) ||
        strcmp(f[LEAK_ENV], t->env) || strcmp(f[LEAK_ALLOCATOR], t->p->ca.a->name) ||
        strcmp(f[LEAK_WORKLOAD], t->p->w->name) || strcmp(f[LEAK_PARAMS], t->p->params_text) ||
        strcmp(f[LEAK_SEED], seed_text) || strcmp(f[LEAK_CLOCK], t->clock) ||
        strcmp(f[LEAK_SWEEP], t->p->sweep)) {
        cell_rows_bad(t, "unexpected leak row", l->rest);
        return;
    }
    dbuf_addf(&t->leaks, "%s\n", l->rest);
    const char *kind = f[LEAK_KIND], *owner = f[LEAK_OWNER];
    if (!strcmp(kind, HL_LEAK_KIND_TOTAL) && !strcmp(f[LEAK_COUNT], "0"))
        return;
    char what[160];
    if (!strcmp(kind, HL_LEAK_KIND_TOTAL))
        snprintf(what, sizeof what, "%s blocks, %s bytes%s", f[LEAK_COUNT], f[LEAK_BYTES],
                 !strcmp(owner, HL_LEAK_OWNER_ALLOCATOR)
                     ? " (still live in the allocator's own count after the stream freed "
                       "them: no sites)"
                     : "");
    else if (!strcmp(kind, HL_LEAK_KIND_FIRST) || !strcmp(kind, HL_LEAK_KIND_LARGEST))
        snprintf(what, sizeof what, "site %s thread %s, %s bytes", f[LEAK_SITE],
                 f[LEAK_THREAD], f[LEAK_SIZE_BYTES]);
    else if (!strcmp(kind, HL_LEAK_KIND_CLASS))
        snprintf(what, sizeof what, "<= %s bytes: %s blocks, %s bytes", f[LEAK_SIZE_BYTES],
                 f[LEAK_COUNT], f[LEAK_BYTES]);
    else if (!strcmp(kind, HL_LEAK_KIND_INVALID_FREE))
        snprintf(what, sizeof what, "%s frees of blocks not live, the first at site %s",
                 f[LEAK_COUNT], f[LEAK_SITE]);
    else
        snprintf(what, sizeof what, "%s blocks, %s bytes not tracked (the table was full)",
                 f[LEAK_COUNT], f[LEAK_BYTES]);
    dbuf_addf(&t->log, "  leaks %s %s x %s launch %s: %s %s: %s\n", f[LEAK_ENV],
              f[LEAK_ALLOCATOR], f[LEAK_WORKLOAD], f[LEAK_LAUNCH], owner, kind, what);
}

/* "rep,<n>": the rep is whole; append it (one write per file). */
static void commit_rep(struct cell_rows *t, const struct lp_line *l)
{
    char want[16];
    snprintf(want, sizeof want, "%u", current_rep(t));
    if (l->nfields != 2 || !t->cells.len || strcmp(l->fields[1], want)) {
        cell_rows_bad(t, "rep end out of order", l->rest);
        return;
    }
    if (t->leaks.len && t->hold)
        dbuf_add(&t->held_leaks, t->leaks.p, t->leaks.len);
    else if (t->leaks.len && t->rc->f.leaks > 0)
        res_write(t->rc->f.leaks, t->leaks.p, t->leaks.len, "leaks.csv");
    t->leaks.len = 0;
    if (t->hold) {
        dbuf_add(&t->held_cells, t->cells.p, t->cells.len);
        if (t->lat.len)
            dbuf_add(&t->held_lat, t->lat.p, t->lat.len);
        if (t->tl.len)
            dbuf_add(&t->held_tl, t->tl.p, t->tl.len);
        t->cells.len = t->lat.len = t->tl.len = 0;
    } else {
        run_append_rep(t->rc, &t->cells, &t->lat, &t->tl);
    }
    t->out->delivered++;
}

/* "<prefix>key=value\n" in out->probes: one line each, so a line end
 * inside the value (the protocol allows one) becomes a space. */
static void take_probe(struct cell_rows *t, const char *key, char *value)
{
    for (char *c = value; *c; c++)
        if (*c == '\r' || *c == '\n')
            *c = ' ';
    dbuf_addf(&t->out->probes, "%s%s=%s\n", t->probe_prefix, key, value);
}

bool cell_rows_take(struct cell_rows *t, const struct lp_line *l)
{
    static const char *const kinds[] = {"probe", "cell", "lat", "tl", "rep", "done", "leak"};
    size_t k = 0;
    while (k < sizeof kinds / sizeof kinds[0] && !lp_is(l, kinds[k]))
        k++;
    if (k == sizeof kinds / sizeof kinds[0])
        return false;
    if (t->bad)
        return true;
    if (t->done) {
        cell_rows_bad(t, "a line after the done line", l->text);
        return true;
    }
    switch (k) {
    case 0:
        if (l->nfields != 3 || !l->fields[1][0] || strpbrk(l->fields[1], "=\r\n"))
            cell_rows_bad(t, "malformed probe line", l->text);
        else
            take_probe(t, l->fields[1], l->fields[2]);
        break;
    case 1:
        take_cells_row(t, l);
        break;
    case 2:
        take_detail_row(t, l, LATENCY_COLUMNS, &t->lat);
        break;
    case 3:
        take_detail_row(t, l, TIMELINE_COLUMNS, &t->tl);
        break;
    case 4:
        commit_rep(t, l);
        break;
    case 6:
        take_leak_row(t, l);
        break;
    default:
        if (l->nfields != 2 || (strcmp(l->fields[1], "ok") && strcmp(l->fields[1], "fail"))) {
            cell_rows_bad(t, "done line neither ok nor fail", l->text);
        } else {
            t->done = true;
            t->done_ok = !strcmp(l->fields[1], "ok");
        }
        break;
    }
    return true;
}

void cell_rows_log(struct cell_rows *t, const char *label, const struct lp_line *l)
{
    if (t->log.len >= CELL_ROWS_LOG_MAX) {
        t->log_dropped++;
        return;
    }
    dbuf_addf(&t->log, "  %s: %s%s\n", label, l->text,
              l->flags & LP_CUT ? " [cut off]" : l->flags & LP_OVERLONG ? " [overlong]" : "");
}

void cell_rows_flush_log(struct cell_rows *t)
{
    if (t->log_dropped)
        dbuf_addf(&t->log, "  (%lu more lines not kept)\n", t->log_dropped);
    if (t->log.len)
        res_write(t->rc->f.log, t->log.p, t->log.len, "cells.log");
    t->log.len = 0;
    t->log_dropped = 0;
}

void cell_rows_free(struct cell_rows *t)
{
    dbuf_free(&t->log);
    dbuf_free(&t->cells);
    dbuf_free(&t->lat);
    dbuf_free(&t->tl);
    dbuf_free(&t->leaks);
    dbuf_free(&t->held_cells);
    dbuf_free(&t->held_lat);
    dbuf_free(&t->held_tl);
    dbuf_free(&t->held_leaks);
}
