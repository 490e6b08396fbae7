/*
 * spawn.c — one cell in a child process (cell.h gives the protocol):
 * heaplab itself with the hidden --cell subcommand, started and timed
 * out by proc.h, its stdout split by the line protocol's one reader
 * (lineproto.h), each rep's rows validated and appended only once the rep
 * is complete (cellrows.h), and whatever the child did not deliver (it
 * crashed, hung, or refused) turned into rows whose status says so.
 * Nothing already appended is ever lost.  Lines that are no protocol
 * (a preloaded library talking on stdout) go to cells.log.
 */
#define _GNU_SOURCE
#include "bench/host/run.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/core/runner.h"
#include "bench/host/cell.h"
#include "bench/host/cellrows.h"
#include "bench/host/lineproto.h"
#include "bench/host/modelled.h"
#include "bench/host/proc.h"
#include "bench/host/replay.h"

volatile sig_atomic_t run_stop_requested;

/* Budget per op in a release build, generous: the slowest allocator here
 * (a first-fit list walk over thousands of blocks) stays well under it. */
#define NS_PER_OP_BUDGET 100000u
#define DEADLINE_BASE_S 30u

unsigned cell_deadline_s(const struct run_ctx *rc, const struct cell_plan *p)
{
    if (rc->timeout_s)
        return rc->timeout_s;
    /* warm-up + (batch + floor + per-op) per rep, each timed pass
     * repeated to --min-time and re-run while disturbed */
    double ops = (double)p->total_ops * (1.0 + 3.0 * p->reps) *
                 rc->max_attempts;
    double s = DEADLINE_BASE_S + ops * NS_PER_OP_BUDGET / 1e9 +
               2.0 * rc->min_time_s * p->reps * rc->max_attempts;
    /* callgrind: about 15x on the collected BATCH pass, 2x elsewhere;
     * qemu-x86_64 with the cost plugin: 20-60x a native run */
    if (!strcmp(p->clock, CELL_CLOCK_INSTRUCTIONS))
        s *= 20.0;
    else if (!strcmp(p->clock, CELL_CLOCK_MODELLED))
        s *= 100.0;
    if (rc->slow_build)
        s *= 10.0;
    return s > 86400.0 ? 86400u : (unsigned)s;
}

/* ---- the child ----------------------------------------------------------------- */

/* The argv of the cell child (cell.h), under valgrind for
 * clock=instructions or qemu-x86_64 for clock=modelled, in b->argv;
 * b->cg_var the callgrind variable for its environment ("" for none).
 * Returns the program to exec.  A modelled child's LD_PRELOAD is given to
 * the guest alone (-E), never to qemu-x86_64 itself. */
struct child_args {
    char seed[24], reps[16], launch[16], min_ticks[24], attempts[16];
    char alloc[640]; /* NAME or NAME:canonical alloc params (cell.h) */
    char out_opt[2 * PATH_MAX + 32], cg_var[PATH_MAX + 32];
    char preload_var[PATH_MAX + 16];
    char plugin_arg[3 * PATH_MAX + 128];
    char cachesim[MODEL_CACHESIM_ARGS][64];
    char *argv[7 + MODEL_CACHESIM_ARGS + 2 + CELL_NARGS + 1];
};

static const char *child_argv(const struct run_ctx *rc, const struct cell_plan *p,
                              const struct cell_outcome *out, struct child_args *b)
{
    snprintf(b->seed, sizeof b->seed, "%llu", (unsigned long long)rc->seed);
    snprintf(b->reps, sizeof b->reps, "%u", p->reps);
    snprintf(b->launch, sizeof b->launch, "%u", out->launch);
    snprintf(b->min_ticks, sizeof b->min_ticks, "%llu",
             (unsigned long long)rc->min_ticks);
    snprintf(b->attempts, sizeof b->attempts, "%u", rc->max_attempts);
    snprintf(b->alloc, sizeof b->alloc, "%s%s%s", p->ca.a->name,
             p->aparams_text[0] ? ":" : "", p->aparams_text);
    char *cell_argv[] = {(char *)rc->self_exe, CELL_FLAG,
                         b->alloc, (char *)replay_cell_arg(p->w),
                         (char *)p->params_text, b->seed, b->reps,
                         (char *)rc->run_id, (char *)rc->pu,
                         (char *)p->clock,
                         (char *)(p->sweep[0] ? p->sweep : "-"), b->launch,
                         b->min_ticks, b->attempts, NULL};
    _Static_assert(sizeof cell_argv / sizeof cell_argv[0] == 2 + CELL_NARGS + 1,
                   "argv matches the cell protocol");
    size_t k = 0;
    const char *exe = rc->self_exe;
    b->cg_var[0] = '\0';
    if (!strcmp(p->clock, CELL_CLOCK_INSTRUCTIONS)) {
        /* the same child under callgrind (cell.h).  valgrind expands %p,
         * %q{..} and %% in the name: a % of the folder's own is doubled
         * (CELL_CALLGRIND_ENV keeps it raw, as valgrind then writes it). */
        char esc[2 * PATH_MAX];
        size_t e = 0;
        for (const char *c = rc->callgrind_prefix; *c; c++) {
            if (*c == '%')
                esc[e++] = '%';
            esc[e++] = *c;
        }
        esc[e] = '\0';
        snprintf(b->out_opt, sizeof b->out_opt, "--callgrind-out-file=%s.%%p", esc);
        snprintf(b->cg_var, sizeof b->cg_var, "%s=%s", CELL_CALLGRIND_ENV,
                 rc->callgrind_prefix);
        char *pre[] = {(char *)rc->valgrind, "--tool=callgrind", "-q",
                       "--instr-atstart=no", "--collect-atstart=no",
                       b->out_opt};
        for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++)
            b->argv[k++] = pre[i];
        if (rc->cache_sim && rc->model)
            k += model_cachesim_args(rc->model, b->cachesim, b->argv + k);
        exe = rc->valgrind;
    } else if (!strcmp(p->clock, CELL_CLOCK_MODELLED)) {
        b->argv[k++] = (char *)rc->model->qemu_user;
        b->argv[k++] = "-plugin";
        b->argv[k++] = b->plugin_arg;
        if (p->preload[0]) {
            snprintf(b->preload_var, sizeof b->preload_var, "LD_PRELOAD=%s", p->preload);
            b->argv[k++] = "-E";
            b->argv[k++] = b->preload_var;
        }
        exe = rc->model->qemu_user;
    }
    for (char **a = cell_argv; *a; a++)
        b->argv[k++] = *a;
    b->argv[k] = NULL;
    return exe;
}

/* ---- reading its lines ---------------------------------------------------------- */

struct reader {
    const struct run_ctx *rc;
    struct cell_rows rows;
};

static void take_line(void *ctx, struct lp_line *l)
{
    struct reader *r = ctx;
    if (l->cls == LP_TEXT) { /* not ours: a preloaded library talking */
        if (l->len)
            cell_rows_log(&r->rows, "stdout", l);
        return;
    }
    if (r->rows.bad)
        return;
    if (l->cls == LP_BAD) {
        /* a line cut off by the child's death: its exit says why */
        if (!(l->flags & LP_CUT))
            cell_rows_bad(&r->rows, l->why, l->text);
        return;
    }
    if (!cell_rows_take(&r->rows, l))
        cell_rows_bad(&r->rows, "unknown protocol line kind", l->text);
}

static void take_bytes(void *ctx, const char *data, size_t n)
{
    lp_feed(ctx, data, n);
}

/* ---- the outcome ------------------------------------------------------------------ */

void run_append_rep(const struct run_ctx *rc, struct dbuf *cells,
                    struct dbuf *lat, struct dbuf *tl)
{
    const struct run_files *f = &rc->f;
    if (lat->len)
        res_write(f->latency, lat->p, lat->len, "latency.csv");
    if (tl->len)
        res_write(f->timeline, tl->p, tl->len, "timeline.csv");
    /* cells.csv last: a cells row means its detail rows are there too */
    res_write(f->cells, cells->p, cells->len, "cells.csv");
    cells->len = lat->len = tl->len = 0;
}

void run_log_line(const struct run_ctx *rc, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line - 2 ? (size_t)n : sizeof line - 2;
    line[len++] = '\n';
    res_write(rc->f.log, line, len, "cells.log");
}

void run_fill_missing(const struct run_ctx *rc, const struct cell_plan *p,
                      const char *env, const char *accel, const char *clock,
                      struct cell_outcome *out, const char *status)
{
    struct hl_cell_result zero;
    memset(&zero, 0, sizeof zero);
    struct dbuf rows = {0};
    char row[2048];
    for (uint32_t i = out->delivered; i < p->reps; i++) {
        uint32_t rep = run_first_rep(p, out) + i;
        struct hl_row_ids id = {
            .run_id = rc->run_id, .env = env, .accel = accel, .clock = clock,
            .allocator = p->ca.a->name,
            .family = hl_family_str(p->ca.a->family), .workload = p->w->name,
            .params = p->params_text, .seed = rc->seed, .rep = rep,
            .status = status,
            .no_perop = !strcmp(clock, CELL_CLOCK_INSTRUCTIONS),
            .sweep = p->sweep, .launch = out->launch,
        };
        size_t n = hl_format_cells_row(row, sizeof row, &id, &zero);
        if (n >= sizeof row)
            cli_fail("a %s row does not fit", status);
        dbuf_add(&rows, row, n);
        dbuf_add(&rows, "\n", 1);
        snprintf(out->reps[rep].status, sizeof out->reps[rep].status, "%s",
                 status);
    }
    if (rows.len)
        res_write(rc->f.cells, rows.p, rows.len, "cells.csv");
    dbuf_free(&rows);
}

static bool rows_bad(void *ctx)
{
    const struct lp_reader *lr = ctx;
    return ((const struct reader *)lr->ctx)->rows.bad;
}

void spawn_cell(const struct run_ctx *rc, const struct cell_plan *p,
                struct cell_outcome *out)
{
    unsigned limit_s = cell_deadline_s(rc, p);
    run_log_line(rc, "cell %s x %s (%s) clock=%s launch %u: start, deadline "
                 "%u s%s%s", p->ca.a->name, p->w->name, p->params_text,
                 p->clock, out->launch, limit_s,
                 p->preload[0] ? ", LD_PRELOAD=" : "", p->preload);
    struct child_args *args = calloc(1, sizeof *args);
    struct reader *r = calloc(1, sizeof *r);
    struct lp_reader *lr = calloc(1, sizeof *lr);
    if (!args || !r || !lr)
        cli_fail("out of memory");
    /* The modelled clock: the plugin's report for this cell. */
    bool modelled = !strcmp(p->clock, CELL_CLOCK_MODELLED);
    char report[PATH_MAX + 64] = "";
    if (modelled) {
        if (!rc->model || !rc->model->qemu_user[0] ||
            !model_report_path(rc, p, CELL_ENV, report, sizeof report) ||
            !model_plugin_arg(rc->model, report, args->plugin_arg, sizeof args->plugin_arg)) {
            out->end = "error";
            snprintf(out->why, sizeof out->why, "%s",
                     !rc->model || !rc->model->qemu_user[0]
                         ? "no cost plugin or qemu-x86_64 (model_use not called)"
                         : "no room for the cost plugin's report (or a comma in its path)");
            run_fill_missing(rc, p, CELL_ENV, CELL_ACCEL, p->clock, out, out->end);
            run_log_line(rc, "cell %s x %s: error (%s)", p->ca.a->name, p->w->name, out->why);
            free(args);
            free(r);
            free(lr);
            return;
        }
        unlink(report);
    }
    const char *exe = child_argv(rc, p, out, args);
    /* LD_PRELOAD: the cell's own, never ours (a modelled cell's: -E) */
    char *set[3] = {NULL};
    size_t nset = 0;
    if (p->preload[0] && !modelled) {
        snprintf(args->preload_var, sizeof args->preload_var, "LD_PRELOAD=%s", p->preload);
        set[nset++] = args->preload_var;
    }
    if (args->cg_var[0])
        set[nset++] = args->cg_var;
    static const char *const unset[] = {"LD_PRELOAD", NULL};
    char **env = proc_env(set, unset);

    r->rc = rc;
    r->rows = (struct cell_rows){
        .rc = rc, .p = p, .out = out, .env = CELL_ENV, .accel = CELL_ACCEL,
        .clock = p->clock, .first_rep = run_first_rep(p, out), .probe_prefix = "",
        .hold = modelled,
    };
    lp_init(lr, take_line, r);
    struct proc_spec spec = {
        .path = exe, .argv = args->argv, .envp = env, .out = PROC_IO_PIPE,
        .err = PROC_IO_FD, .err_fd = rc->f.log, .own_group = true,
        .no_aslr = cell_clock_pins_layout(p->clock),
    };
    struct proc_sink sink = {.out = take_bytes, .give_up = rows_bad, .ctx = lr,
                             .stop = &run_stop_requested};
    struct proc c;
    proc_start(&c, &spec);
    free(env);
    enum proc_end how = proc_wait(&c, limit_s, PROC_GRACE_MS, &sink);
    if (how == PROC_EXITED)
        lp_end(lr);
    if (!strcmp(p->clock, CELL_CLOCK_INSTRUCTIONS)) {
        /* callgrind's dump at exit, and any batch dump a child killed
         * or failed between writing and reading it left behind */
        char dump[PATH_MAX + 32];
        snprintf(dump, sizeof dump, "%s.%ld", rc->callgrind_prefix,
                 (long)c.pid);
        unlink(dump);
        for (uint32_t n = 1; n <= 2 * p->reps * rc->max_attempts; n++) {
            snprintf(dump, sizeof dump, "%s.%ld.%u", rc->callgrind_prefix,
                     (long)c.pid, n);
            unlink(dump);
        }
    }
    char exit_text[96];
    proc_describe(&c, exit_text, sizeof exit_text);
    int code = -1;
    bool exited = proc_exit_code(&c, &code);
    bool clean = exited && code == 0 && r->rows.done && r->rows.done_ok &&
                 !r->rows.bad && out->delivered == p->reps;
    /* A modelled cell's rows were held (cellrows.h): written now, with
     * the plugin's figures, or not at all. */
    if (modelled && model_settle(rc, &r->rows, report, &clean, out)) {
        /* out->end and out->why say why */
    } else if (clean) {
        out->end = "ok";
        snprintf(out->why, sizeof out->why, "all %u reps", p->reps);
        if (modelled)
            run_log_line(rc, "cell %s x %s: the cost plugin's report is %s", p->ca.a->name,
                         p->w->name, report);
    } else if (how == PROC_STOPPED) {
        out->end = "interrupted";
        snprintf(out->why, sizeof out->why, "interrupted after %u reps",
                 out->delivered);
    } else if (how == PROC_TIMEOUT) {
        out->end = "timeout";
        snprintf(out->why, sizeof out->why, "%s", exit_text);
    } else if (r->rows.bad) {
        out->end = "error";
        snprintf(out->why, sizeof out->why, "bad output (%s)", r->rows.bad_why);
    } else if (WIFSIGNALED(c.wstatus) ||
               (exited && code != 0 && code != CLI_EXIT_USAGE)) {
        out->end = "crashed";
        snprintf(out->why, sizeof out->why, "%s", exit_text);
    } else {
        out->end = "error";
        snprintf(out->why, sizeof out->why, "%s after %u of %u reps",
                 exit_text, out->delivered, p->reps);
    }
    if (!clean && how != PROC_STOPPED) {
        run_fill_missing(rc, p, CELL_ENV, CELL_ACCEL, p->clock, out, out->end);
        fflush(stdout);
        fprintf(stderr, "%sheaplab: cell %s x %s: %s (%s); %u of %u reps "
                "delivered, the rest marked %s\n",
                isatty(STDERR_FILENO) ? "\r\033[K" : "", p->ca.a->name,
                p->w->name, out->end, out->why, out->delivered, p->reps,
                out->end);
    }
    cell_rows_flush_log(&r->rows);
    run_log_line(rc, "cell %s x %s: %s (%s, %s, %.1f s)", p->ca.a->name,
             p->w->name, out->end, out->why, exit_text, c.wall_s);
    cell_rows_free(&r->rows);
    free(lr);
    free(r);
    free(args);
}
