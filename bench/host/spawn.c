/*
 * spawn.c — one cell in a child process (cell.h gives the protocol):
 * fork + exec of heaplab itself with the hidden --cell subcommand, the
 * child's stdout read through a pipe under a deadline, each rep's rows
 * validated and appended only once the rep is complete, and whatever the
 * child did not deliver (it crashed, hung, or refused) turned into rows
 * whose status says so.  Nothing already appended is ever lost.
 */
#define _GNU_SOURCE
#include "bench/host/run.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdarg.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/core/runner.h"
#include "bench/host/cell.h"
#include "bench/host/csvline.h"

extern char **environ;

volatile sig_atomic_t run_stop_requested;

/* Budget per op in a release build, generous: the slowest allocator here
 * (a first-fit list walk over thousands of blocks) stays well under it. */
#define NS_PER_OP_BUDGET 100000u
#define DEADLINE_BASE_S 30u

unsigned cell_deadline_s(const struct run_ctx *rc, const struct cell_plan *p)
{
    if (rc->timeout_s)
        return rc->timeout_s;
    /* warm-up + (batch + harness + per-op) per rep */
    double ops = (double)p->total_ops * (1.0 + 3.0 * p->reps);
    double s = DEADLINE_BASE_S + ops * NS_PER_OP_BUDGET / 1e9;
    /* callgrind: about 15x on the collected BATCH pass, 2x elsewhere */
    if (!strcmp(p->clock, CELL_CLOCK_INSTRUCTIONS))
        s *= 20.0;
    if (rc->slow_build)
        s *= 10.0;
    return s > 86400.0 ? 86400u : (unsigned)s;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the child ----------------------------------------------------------------- */

/* environ without LD_PRELOAD, plus LD_PRELOAD=preload if non-empty, plus
 * extra (NULL: none). */
static char **child_env(const char *preload, char *preload_var, size_t cap,
                        char *extra)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 3, sizeof *env);
    if (!env)
        cli_fail("out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
            env[k++] = environ[i];
    if (preload[0]) {
        snprintf(preload_var, cap, "LD_PRELOAD=%s", preload);
        env[k++] = preload_var;
    }
    if (extra)
        env[k++] = extra;
    env[k] = NULL;
    return env;
}

/* Fork and exec the cell child; returns its pid, *out_fd its stdout. */
static pid_t start_child(const struct run_ctx *rc, const struct cell_plan *p,
                         int *out_fd)
{
    char seed[24], reps[16], preload_var[PATH_MAX + 16];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)rc->seed);
    snprintf(reps, sizeof reps, "%u", p->reps);
    char *cell_argv[] = {(char *)rc->self_exe, CELL_FLAG,
                         (char *)p->ca.a->name, (char *)p->w->name,
                         (char *)p->params_text, seed, reps,
                         (char *)rc->run_id, (char *)rc->pu,
                         (char *)p->clock,
                         (char *)(p->sweep[0] ? p->sweep : "-"), NULL};
    _Static_assert(sizeof cell_argv / sizeof cell_argv[0] == 2 + CELL_NARGS + 1,
                   "argv matches the cell protocol");
    /* clock=instructions: the same child under callgrind (cell.h). */
    char out_opt[2 * PATH_MAX + 32], cg_var[PATH_MAX + 32];
    char *vg_argv[7 + sizeof cell_argv / sizeof cell_argv[0]];
    char **argv = cell_argv;
    const char *exe = rc->self_exe;
    char *extra = NULL;
    if (!strcmp(p->clock, CELL_CLOCK_INSTRUCTIONS)) {
        /* valgrind expands %p, %q{..} and %% in the name: a % of the
         * folder's own is doubled (CELL_CALLGRIND_ENV keeps it raw, as
         * valgrind then writes it). */
        char esc[2 * PATH_MAX];
        size_t e = 0;
        for (const char *c = rc->callgrind_prefix; *c; c++) {
            if (*c == '%')
                esc[e++] = '%';
            esc[e++] = *c;
        }
        esc[e] = '\0';
        snprintf(out_opt, sizeof out_opt, "--callgrind-out-file=%s.%%p", esc);
        snprintf(cg_var, sizeof cg_var, "%s=%s", CELL_CALLGRIND_ENV,
                 rc->callgrind_prefix);
        char *pre[] = {(char *)rc->valgrind, "--tool=callgrind", "-q",
                       "--instr-atstart=no", "--collect-atstart=no",
                       out_opt};
        size_t k = 0;
        for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++)
            vg_argv[k++] = pre[i];
        for (char **a = cell_argv; *a; a++)
            vg_argv[k++] = *a;
        vg_argv[k] = NULL;
        argv = vg_argv;
        exe = rc->valgrind;
        extra = cg_var;
    }
    char **env = child_env(p->preload, preload_var, sizeof preload_var, extra);

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        cli_fail("pipe: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        cli_fail("fork: %s", strerror(errno));
    if (pid == 0) {
        /* Own process group: a ^C reaches the parent only, which then
         * stops the child itself. */
        setpgid(0, 0);
        dup2(fds[1], STDOUT_FILENO);
        dup2(rc->f.log, STDERR_FILENO);
        execve(exe, argv, env);
        dprintf(STDERR_FILENO, "heaplab: exec %s: %s\n", exe,
                strerror(errno));
        _exit(127);
    }
    free(env);
    close(fds[1]);
    *out_fd = fds[0];
    return pid;
}

/* ---- reading its lines ---------------------------------------------------------- */

struct reader {
    const struct run_ctx *rc;
    const struct cell_plan *p;
    struct cell_outcome *out;
    struct dbuf in;                    /* bytes not yet split into lines */
    struct dbuf cells, lat, tl;        /* the current rep's rows */
    bool done;                         /* D seen */
    bool bad;                          /* protocol violated: stop reading */
    char bad_why[160];
};

static void reader_bad(struct reader *r, const char *why, const char *line)
{
    if (r->bad)
        return;
    r->bad = true;
    snprintf(r->bad_why, sizeof r->bad_why, "%s: '%.80s'", why, line);
}

/* Split a copy of a result row into f (ncols fields) if it belongs to this
 * cell's current rep (column count and key columns match).  Returns the
 * copy f points into (the caller frees it), or NULL. */
static char *row_fields(const struct reader *r, const char *row,
                        unsigned ncols, unsigned alloc_col, unsigned wl_col,
                        unsigned rep_col, char **f)
{
    char *copy = strdup(row);
    if (!copy)
        cli_fail("out of memory");
    char rep[16];
    snprintf(rep, sizeof rep, "%u", r->out->delivered);
    int n = csv_split(copy, f, (int)ncols + 1);
    if (n == (int)ncols && strcmp(f[0], r->rc->run_id) == 0 &&
        strcmp(f[alloc_col], r->p->ca.a->name) == 0 &&
        strcmp(f[wl_col], r->p->w->name) == 0 && strcmp(f[rep_col], rep) == 0)
        return copy;
    free(copy);
    return NULL;
}

static void take_cells_row(struct reader *r, const char *row)
{
    char *f[CELL_COLUMNS + 1];
    char *copy = r->cells.len ? NULL
                              : row_fields(r, row, CELL_COLUMNS, COL_ALLOCATOR,
                                           COL_WORKLOAD, COL_REP, f);
    if (!copy) {
        reader_bad(r, "unexpected cells row", row);
        return;
    }
    const char *st = f[COL_STATUS];
    if (strcmp(f[COL_CLOCK], r->p->clock) != 0 ||
        strcmp(f[COL_SWEEP], r->p->sweep) != 0) {
        reader_bad(r, "wrong clock or sweep in cells row", row);
    } else if (strcmp(st, "ok") && strcmp(st, "failed") &&
               strcmp(st, "error")) {
        reader_bad(r, "bad status in cells row", row);
    } else {
        struct rep_fig *fig = &r->out->reps[r->out->delivered];
        snprintf(fig->status, sizeof fig->status, "%s", st);
        fig->cycles_per_op = strtod(f[COL_CYCLES_PER_OP], NULL);
        fig->p99 = f[COL_P99][0] ? strtod(f[COL_P99], NULL) : NAN;
        dbuf_addf(&r->cells, "%s\n", row);
    }
    free(copy);
}

/* latency.csv and timeline.csv rows share their first 7 key columns:
 * run_id,env,allocator,workload,params,seed,rep. */
static void take_detail_row(struct reader *r, struct dbuf *to,
                            const char *row, unsigned ncols)
{
    char *f[TIMELINE_COLUMNS + 1];
    _Static_assert((int)LATENCY_COLUMNS <= (int)TIMELINE_COLUMNS, "f holds both");
    char *copy = row_fields(r, row, ncols, 2, 3, 6, f);
    if (!copy) {
        reader_bad(r, "unexpected detail row", row);
        return;
    }
    free(copy);
    dbuf_addf(to, "%s\n", row);
}

/* R: the rep is whole; append it to the files (one write each). */
static void commit_rep(struct reader *r, const char *arg)
{
    char want[16];
    snprintf(want, sizeof want, "%u", r->out->delivered);
    if (!r->cells.len || strcmp(arg, want) != 0) {
        reader_bad(r, "rep end out of order", arg);
        return;
    }
    run_append_rep(r->rc, &r->cells, &r->lat, &r->tl);
    r->out->delivered++;
}

static void take_line(struct reader *r, char *line)
{
    if (r->bad)
        return;
    if (r->done || line[0] == '\0' || (line[1] != ' ' && line[1] != '\0')) {
        reader_bad(r, "unexpected line", line);
        return;
    }
    char *arg = line[1] ? line + 2 : line + 1;
    bool room = r->out->delivered < r->p->reps;
    switch (line[0]) {
    case 'P':
        dbuf_addf(&r->out->probes, "%s\n", arg);
        break;
    case 'C':
        if (room)
            take_cells_row(r, arg);
        else
            reader_bad(r, "more reps than asked", arg);
        break;
    case 'L':
        take_detail_row(r, &r->lat, arg, LATENCY_COLUMNS);
        break;
    case 'T':
        take_detail_row(r, &r->tl, arg, TIMELINE_COLUMNS);
        break;
    case 'R':
        commit_rep(r, arg);
        break;
    case 'D':
        r->done = true;
        break;
    default:
        reader_bad(r, "unknown tag", line);
    }
}

/* Split r->in into lines and take each complete one. */
static void take_lines(struct reader *r)
{
    size_t start = 0;
    for (;;) {
        char *nl = memchr(r->in.p + start, '\n', r->in.len - start);
        if (!nl)
            break;
        *nl = '\0';
        take_line(r, r->in.p + start);
        start = (size_t)(nl - r->in.p) + 1;
    }
    memmove(r->in.p, r->in.p + start, r->in.len - start);
    r->in.len -= start;
}

enum read_end { READ_EOF, READ_TIMEOUT, READ_STOP, READ_BAD };

static enum read_end read_child(struct reader *r, int fd, double deadline)
{
    char buf[1 << 16];
    for (;;) {
        if (r->bad)
            return READ_BAD;
        if (run_stop_requested)
            return READ_STOP;
        double left = deadline - now_s();
        if (left <= 0)
            return READ_TIMEOUT;
        /* wake at least every 200 ms to notice a stop request */
        int ms = left > 0.2 ? 200 : (int)(left * 1000) + 1;
        struct pollfd pfd = {fd, POLLIN, 0};
        int n = poll(&pfd, 1, ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            cli_fail("poll: %s", strerror(errno));
        if (n == 0)
            continue;
        ssize_t got = read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return READ_EOF;
        dbuf_add(&r->in, buf, (size_t)got);
        take_lines(r);
    }
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
    for (uint32_t rep = out->delivered; rep < p->reps; rep++) {
        struct hl_row_ids id = {
            .run_id = rc->run_id, .env = env, .accel = accel, .clock = clock,
            .allocator = p->ca.a->name,
            .family = hl_family_str(p->ca.a->family), .workload = p->w->name,
            .params = p->params_text, .seed = rc->seed, .rep = rep,
            .status = status,
            .no_perop = !strcmp(clock, CELL_CLOCK_INSTRUCTIONS),
            .sweep = p->sweep,
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

static void describe_exit(int wstatus, char *buf, size_t cap)
{
    if (WIFSIGNALED(wstatus)) {
        const char *abbrev = sigabbrev_np(WTERMSIG(wstatus));
        snprintf(buf, cap, "signal SIG%s", abbrev ? abbrev : "?");
    } else if (WIFEXITED(wstatus)) {
        snprintf(buf, cap, "exit status %d", WEXITSTATUS(wstatus));
    } else {
        snprintf(buf, cap, "wait status %d", wstatus);
    }
}

void spawn_cell(const struct run_ctx *rc, const struct cell_plan *p,
                struct cell_outcome *out)
{
    unsigned limit_s = cell_deadline_s(rc, p);
    run_log_line(rc, "cell %s x %s (%s) clock=%s: start, deadline %u s%s%s",
             p->ca.a->name, p->w->name, p->params_text, p->clock, limit_s,
             p->preload[0] ? ", LD_PRELOAD=" : "", p->preload);
    double t0 = now_s();
    int fd;
    pid_t pid = start_child(rc, p, &fd);
    struct reader r = {.rc = rc, .p = p, .out = out};
    enum read_end how = read_child(&r, fd, now_s() + limit_s);
    if (how != READ_EOF)
        kill(pid, SIGKILL);
    close(fd);
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
        ;
    if (!strcmp(p->clock, CELL_CLOCK_INSTRUCTIONS)) {
        /* callgrind's dump at exit, and any batch dump a child killed
         * or failed between writing and reading it left behind */
        char dump[PATH_MAX + 32];
        snprintf(dump, sizeof dump, "%s.%ld", rc->callgrind_prefix,
                 (long)pid);
        unlink(dump);
        for (uint32_t n = 1; n <= p->reps; n++) {
            snprintf(dump, sizeof dump, "%s.%ld.%u", rc->callgrind_prefix,
                     (long)pid, n);
            unlink(dump);
        }
    }
    char exit_text[64];
    describe_exit(wstatus, exit_text, sizeof exit_text);
    bool clean = how == READ_EOF && r.done && WIFEXITED(wstatus) &&
                 WEXITSTATUS(wstatus) == 0 && out->delivered == p->reps;

    if (clean) {
        out->end = "ok";
        snprintf(out->why, sizeof out->why, "all %u reps", p->reps);
    } else if (how == READ_STOP) {
        out->end = "interrupted";
        snprintf(out->why, sizeof out->why, "interrupted after %u reps",
                 out->delivered);
    } else if (how == READ_TIMEOUT) {
        out->end = "timeout";
        snprintf(out->why, sizeof out->why, "no end after %u s: killed",
                 limit_s);
    } else if (how == READ_BAD) {
        out->end = "error";
        snprintf(out->why, sizeof out->why, "bad output (%s)", r.bad_why);
    } else if (WIFSIGNALED(wstatus) ||
               (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0 &&
                WEXITSTATUS(wstatus) != CLI_EXIT_USAGE)) {
        out->end = "crashed";
        snprintf(out->why, sizeof out->why, "%s", exit_text);
    } else {
        out->end = "error";
        snprintf(out->why, sizeof out->why, "%s after %u of %u reps",
                 exit_text, out->delivered, p->reps);
    }
    if (!clean && how != READ_STOP) {
        run_fill_missing(rc, p, CELL_ENV, CELL_ACCEL, p->clock, out, out->end);
        fflush(stdout);
        fprintf(stderr, "%sheaplab: cell %s x %s: %s (%s); %u of %u reps "
                "delivered, the rest marked %s\n",
                isatty(STDERR_FILENO) ? "\r\033[K" : "", p->ca.a->name,
                p->w->name, out->end, out->why, out->delivered, p->reps,
                out->end);
    }
    run_log_line(rc, "cell %s x %s: %s (%s, %s, %.1f s)", p->ca.a->name,
             p->w->name, out->end, out->why, exit_text, now_s() - t0);
    dbuf_free(&r.in);
    dbuf_free(&r.cells);
    dbuf_free(&r.lat);
    dbuf_free(&r.tl);
}
