/*
 * cellrows.h — the rows a measuring child sends, taken rep by rep: the
 * part of the line protocol (bench/core/proto.h) that the host's cell
 * child (spawn.c) and the kernel under QEMU (qemu.c) share.
 *
 *   @HL probe,<key>,<value>   a fact: out->probes gets "<prefix>key=value"
 *   @HL cell,<cells row>      the current rep's cells.csv row
 *   @HL lat,<latency row>     its latency.csv rows (0 or more)
 *   @HL tl,<timeline row>     its timeline.csv rows (0 or more)
 *   @HL leak,<leaks row>      the leak detector's report of the launch's
 *                             WARMUP pass (leaks.csv rows; sent before
 *                             the first rep's rows, kept with that rep;
 *                             the report is also written to cells.log)
 *   @HL rep,<rep>             the rep is whole: its rows are appended
 *   @HL done,ok|fail          every rep delivered (fail: the kernel failed)
 *
 * Every row is checked against the cell (column count; run id, env,
 * allocator, workload, params, seed and rep; a cells row's accel, clock,
 * sweep and status) and kept until its rep's "rep" line; only then does
 * run_append_rep write it, so a child that dies mid-rep leaves no partial
 * rep behind.  The first violation makes the reader "bad": the caller
 * stops the child and says why.
 */
#ifndef HEAPLAB_CELLROWS_H
#define HEAPLAB_CELLROWS_H

#include <stdbool.h>
#include <stdint.h>

#include "bench/host/lineproto.h"
#include "bench/host/run.h"

struct cell_rows {
    /* set by the caller: */
    const struct run_ctx *rc;
    const struct cell_plan *p;
    struct cell_outcome *out;
    const char *env, *accel, *clock; /* what the cell's rows say */
    uint32_t first_rep;              /* the rep number of the first rep */
    const char *probe_prefix;        /* "" (host) or "qemu_" */
    bool hold;                       /* a whole rep goes to held_* instead
                                        of the files: the caller finishes
                                        the rows after the child ended
                                        (the modelled clock, qemu.c) */
    struct dbuf held_cells, held_lat, held_tl, held_leaks;
    /* what was taken: */
    struct dbuf cells, lat, tl;      /* the current rep's rows */
    struct dbuf leaks;               /* leak rows, kept with the next rep */
    bool done, done_ok;              /* "done" seen; ok or fail */
    bool bad;                        /* the protocol was violated */
    char bad_why[160];
    double first_row_s;              /* proc_now_s() at the first cells row */
    struct dbuf log;                 /* chatter for cells.log (bounded) */
    unsigned long log_dropped;       /* chatter lines beyond the bound */
};

/* Chatter kept per cell for cells.log; lines beyond it are only counted. */
#define CELL_ROWS_LOG_MAX (64u * 1024u)

/* Take l if its kind is one of the above (true), else leave it to the
 * caller (false).  Nothing is taken once bad. */
bool cell_rows_take(struct cell_rows *t, const struct lp_line *l);

/* Make t bad: "why: 'text'" (the first reason stays). */
void cell_rows_bad(struct cell_rows *t, const char *why, const char *text);

/* For proc_sink.give_up: the cell's reader is bad. */
bool cell_rows_gave_up(void *cell_rows);

/* Keep l for cells.log as "  <label>: <text>" (" [cut off]",
 * " [overlong]" when so). */
void cell_rows_log(struct cell_rows *t, const char *label, const struct lp_line *l);

/* Write the kept lines (and how many were dropped) to cells.log. */
void cell_rows_flush_log(struct cell_rows *t);

void cell_rows_free(struct cell_rows *t);

#endif /* HEAPLAB_CELLROWS_H */
