/*
 * qemu.c — one cell per boot of the heaplab i386 kernel under QEMU
 * (qemu.h): finding QEMU and the kernel, probing KVM, the boot itself
 * (serial on a pipe, a wall-clock deadline, SIGTERM then SIGKILL), the
 * serial line protocol, and turning what a boot delivered into rows with
 * spawn.c's discipline: a rep's rows are appended only once its
 * "@HL rep" line has arrived, and the reps that never arrive get rows
 * whose status and cells.log line say why.
 *
 * How a boot ends, and what it means:
 *   exit 33  isa-debug-exit 0x10: the kernel finished ("@HL done,ok")
 *   exit 35  isa-debug-exit 0x11: the kernel failed ("@HL error,..." says
 *            why: an exception, a panic, out of memory, a bad command line)
 *   exit 0   a triple fault under -no-reboot (QEMU shuts down cleanly!)
 *   exit 1   QEMU itself failed (its stderr says why)
 *   none     a hang: killed at the deadline
 */
#define _GNU_SOURCE
#include "bench/host/qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/core/runner.h"
#include "bench/host/cli.h"
#include "bench/host/csvline.h"
#include "kernel_port/bench.h"

_Static_assert(KBENCH_REGION_BYTES == CELL_REGION_BYTES,
               "the kernel gives each allocator the host's region size");

#ifndef HEAPLAB_KERNEL_ELF
#define HEAPLAB_KERNEL_ELF ""
#endif

#define QEMU_NAME "qemu-system-i386"
#define QEMU_ENV "qemu"
/* Exit statuses (isa-debug-exit: (value << 1) | 1; kernel/kernel.h). */
#define QEMU_EXIT_KERNEL_OK 33
#define QEMU_EXIT_KERNEL_FAIL 35
#define QEMU_EXIT_TRIPLE_FAULT 0
/* Deadline: a boot, plus this much per op executed, generous for TCG
 * (about ten times the host's emulated cost; host: spawn.c). */
#define QEMU_DEADLINE_BASE_S 60u
#define QEMU_NS_PER_OP_BUDGET 1000000u
#define QEMU_ROW_CAP 2048u

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Copy src into dst, cut to cap - 1 bytes. */
static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* snprintf that may cut its text on purpose (reasons, one-liners). */
static void say(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
}

/* ---- the line protocol (pure) --------------------------------------------------- */

static enum qemu_kind bad(struct qemu_line *out, const char *why)
{
    out->kind = QEMU_L_BAD;
    out->why = why;
    return QEMU_L_BAD;
}

/* Strict decimal that fits in uint32_t. */
static bool parse_u32(const char *s, uint32_t *out)
{
    if (!*s)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > UINT32_MAX)
            return false;
    }
    *out = (uint32_t)v;
    return true;
}

/* Split a copy of text (the body after "@HL ") into out->fields. */
static int split_copy(struct qemu_line *out, const char *text, int max)
{
    copy_str(out->split, sizeof out->split, text);
    out->nfields = csv_split(out->split, out->fields, max);
    return out->nfields;
}

/* A row kind: the rest after "<kind>," is one CSV row of ncols fields. */
static enum qemu_kind take_row(struct qemu_line *out, enum qemu_kind kind, const char *row,
                               unsigned ncols, const char *malformed, const char *wrong_count)
{
    out->row = row;
    int n = split_copy(out, row, QEMU_MAX_FIELDS);
    if (n < 0)
        return bad(out, malformed);
    if ((unsigned)n != ncols)
        return bad(out, wrong_count);
    out->kind = kind;
    return kind;
}

/* "key,value" as two CSV fields (meta, probe). */
static enum qemu_kind take_key_value(struct qemu_line *out, enum qemu_kind kind,
                                     const char *body, const char *malformed)
{
    if (split_copy(out, body, 4) != 3)
        return bad(out, malformed);
    out->key = out->fields[1];
    out->value = out->fields[2];
    out->kind = kind;
    return kind;
}

enum qemu_kind qemu_parse_line(char *line, size_t len, unsigned flags, struct qemu_line *out)
{
    out->kind = QEMU_L_TEXT;
    out->why = out->row = out->key = out->value = NULL;
    out->rep = out->index = 0;
    out->ok = false;
    out->nfields = 0;
    if (len > 0 && line[len - 1] == '\r')
        line[--len] = '\0';
    if (len < 4 || memcmp(line, "@HL ", 4) != 0)
        return QEMU_L_TEXT;
    if (flags & QEMU_LINE_CUT)
        return bad(out, "protocol line cut off at the end of the output");
    if (flags & QEMU_LINE_OVERLONG)
        return bad(out, "protocol line longer than QEMU_LINE_MAX");
    if (strlen(line) != len)
        return bad(out, "NUL byte in a protocol line");
    char *body = line + 4;
    char *comma = strchr(body, ',');
    size_t klen = comma ? (size_t)(comma - body) : strlen(body);
    const char *rest = comma ? comma + 1 : "";
#define KIND_IS(k) (klen == sizeof(k) - 1 && memcmp(body, k, klen) == 0)
    if (!comma)
        return bad(out, "protocol line without a field after its kind");
    if (KIND_IS("cell"))
        return take_row(out, QEMU_L_CELL, rest, CELL_COLUMNS, "malformed cells row",
                        "cells row with the wrong number of columns");
    if (KIND_IS("lat"))
        return take_row(out, QEMU_L_LAT, rest, LATENCY_COLUMNS, "malformed latency row",
                        "latency row with the wrong number of columns");
    if (KIND_IS("tl"))
        return take_row(out, QEMU_L_TL, rest, TIMELINE_COLUMNS, "malformed timeline row",
                        "timeline row with the wrong number of columns");
    if (KIND_IS("rep")) {
        if (!parse_u32(rest, &out->rep))
            return bad(out, "rep line without a rep number");
        out->kind = QEMU_L_REP;
        return QEMU_L_REP;
    }
    if (KIND_IS("meta"))
        return take_key_value(out, QEMU_L_META, body, "malformed meta line");
    if (KIND_IS("probe"))
        return take_key_value(out, QEMU_L_PROBE, body, "malformed probe line");
    if (KIND_IS("header")) {
        const char *c2 = strchr(rest, ',');
        if (!c2 || c2 == rest)
            return bad(out, "malformed header line");
        copy_str(out->split, sizeof out->split, rest);
        out->split[c2 - rest] = '\0';
        out->key = out->split;
        out->value = c2 + 1;
        out->kind = QEMU_L_HEADER;
        return QEMU_L_HEADER;
    }
    if (KIND_IS("begin")) {
        if (split_copy(out, body, 9) != 8 || !parse_u32(out->fields[1], &out->index))
            return bad(out, "malformed begin line");
        out->kind = QEMU_L_BEGIN;
        return QEMU_L_BEGIN;
    }
    if (KIND_IS("end")) {
        if (split_copy(out, body, 5) != 4 || !parse_u32(out->fields[1], &out->index) ||
            (strcmp(out->fields[2], "ok") && strcmp(out->fields[2], "error")))
            return bad(out, "malformed end line");
        out->ok = !strcmp(out->fields[2], "ok");
        out->value = out->fields[3];
        out->kind = QEMU_L_END;
        return QEMU_L_END;
    }
    if (KIND_IS("error")) {
        const char *c2 = strchr(rest, ',');
        if (!*rest || c2 == rest)
            return bad(out, "malformed error line");
        copy_str(out->split, sizeof out->split, rest);
        if (c2)
            out->split[c2 - rest] = '\0';
        out->key = out->split;
        out->value = c2 ? c2 + 1 : "";
        out->kind = QEMU_L_ERROR;
        return QEMU_L_ERROR;
    }
    if (KIND_IS("report")) {
        out->value = rest;
        out->kind = QEMU_L_REPORT;
        return QEMU_L_REPORT;
    }
    if (KIND_IS("done")) {
        if (strcmp(rest, "ok") && strcmp(rest, "fail"))
            return bad(out, "done line neither ok nor fail");
        out->ok = !strcmp(rest, "ok");
        out->kind = QEMU_L_DONE;
        return QEMU_L_DONE;
    }
    if (KIND_IS("test") || KIND_IS("fault") || KIND_IS("skip")) {
        out->value = rest;
        out->kind = QEMU_L_OTHER;
        return QEMU_L_OTHER;
    }
#undef KIND_IS
    return bad(out, "unknown protocol line kind");
}

void qemu_split_feed(struct qemu_splitter *s, const char *data, size_t n, qemu_line_fn fn,
                     void *ctx)
{
    for (size_t i = 0; i < n; i++) {
        char c = data[i];
        if (c == '\n') {
            if (!s->dropping) {
                s->buf[s->len] = '\0';
                fn(ctx, s->buf, s->len, 0);
            }
            s->len = 0;
            s->dropping = false;
            continue;
        }
        if (s->dropping)
            continue;
        if (s->len == QEMU_LINE_MAX) {
            s->buf[s->len] = '\0';
            fn(ctx, s->buf, s->len, QEMU_LINE_OVERLONG);
            s->len = 0;
            s->dropping = true;
            continue;
        }
        s->buf[s->len++] = c;
    }
}

void qemu_split_end(struct qemu_splitter *s, qemu_line_fn fn, void *ctx)
{
    if (s->len > 0 && !s->dropping) {
        s->buf[s->len] = '\0';
        fn(ctx, s->buf, s->len, QEMU_LINE_CUT);
    }
    s->len = 0;
    s->dropping = false;
}

/* ---- finding things ------------------------------------------------------------------ */

/* The first line of `binary --version`, or "" (2 s limit). */
static void read_version(const char *binary, char *out, size_t cap)
{
    out[0] = '\0';
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, STDIN_FILENO);
        dup2(fds[1], STDOUT_FILENO);
        dup2(devnull, STDERR_FILENO);
        execl(binary, binary, "--version", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char buf[512];
    size_t len = 0;
    double deadline = now_s() + 2.0;
    while (len < sizeof buf - 1 && now_s() < deadline) {
        struct pollfd pfd = {fds[0], POLLIN, 0};
        if (poll(&pfd, 1, 100) <= 0)
            continue;
        ssize_t got = read(fds[0], buf + len, sizeof buf - 1 - len);
        if (got <= 0)
            break;
        len += (size_t)got;
    }
    close(fds[0]);
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    buf[len] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    copy_str(out, cap, buf);
}

bool qemu_init(struct qemu_ctx *q, char *why, size_t cap)
{
    memset(q, 0, sizeof *q);
    const char *env = getenv(QEMU_ENV_BINARY);
    if (!cli_find_program(QEMU_NAME, QEMU_ENV_BINARY, q->binary, sizeof q->binary)) {
        if (env && *env)
            say(why, cap, "%s=%s is not executable", QEMU_ENV_BINARY, env);
        else
            say(why, cap, "%s not found in PATH (tools/setup installs qemu-system-x86; or "
                "set %s)", QEMU_NAME, QEMU_ENV_BINARY);
        return false;
    }
    env = getenv(QEMU_ENV_KERNEL);
    const char *kernel = env && *env ? env : HEAPLAB_KERNEL_ELF;
    if (!kernel[0]) {
        say(why, cap, "this build has no i386 kernel (HEAPLAB_BUILD_I386=OFF; or set %s)",
                 QEMU_ENV_KERNEL);
        return false;
    }
    struct stat st;
    if (stat(kernel, &st) != 0 || !S_ISREG(st.st_mode)) {
        say(why, cap, "no kernel image at %s (build the target heaplab_kernel%s)", kernel,
                 env && *env ? "" : ", or set " QEMU_ENV_KERNEL);
        return false;
    }
    copy_str(q->kernel, sizeof q->kernel, kernel);
    read_version(q->binary, q->version, sizeof q->version);
    if (!q->version[0])
        copy_str(q->version, sizeof q->version, "unknown");
    copy_str(q->accel, sizeof q->accel, "tcg");
    copy_str(q->accel_reason, sizeof q->accel_reason, "default (not configured)");
    copy_str(q->clock, sizeof q->clock, "icount");
    q->mem_mib = QEMU_DEFAULT_MEM_MIB;
    q->region_bytes = cli_build.check_level >= 2 ? QEMU_CHECKED_REGION_BYTES : CELL_REGION_BYTES;
    return true;
}

/* ---- a boot ---------------------------------------------------------------------------- */

struct boot {
    const struct qemu_ctx *q;
    const char *accel;  /* "tcg" or "kvm" */
    bool icount;
    const char *append;
    double deadline;    /* now_s() value */
    qemu_line_fn on_line;
    void *ctx;
    bool (*give_up)(void *ctx); /* true: stop reading and kill */
    bool honour_stop;           /* react to run_stop_requested */
    /* results */
    struct dbuf err;            /* QEMU's stderr (first 8 KiB) */
    enum { BOOT_EXITED, BOOT_TIMEOUT, BOOT_STOPPED, BOOT_GAVE_UP } how;
    int wstatus;
    double t0, wall_s;
};

static pid_t boot_start(struct boot *b, int *out_fd, int *err_fd)
{
    char mem[24];
    snprintf(mem, sizeof mem, "%u", b->q->mem_mib);
    const char *argv[32];
    int n = 0;
    argv[n++] = b->q->binary;
    argv[n++] = "-nodefaults";
    argv[n++] = "-display";
    argv[n++] = "none";
    argv[n++] = "-no-reboot";
    argv[n++] = "-serial";
    argv[n++] = "stdio";
    argv[n++] = "-device";
    argv[n++] = "isa-debug-exit,iobase=0xf4,iosize=0x04";
    argv[n++] = "-kernel";
    argv[n++] = b->q->kernel;
    argv[n++] = "-append";
    argv[n++] = b->append;
    argv[n++] = "-m";
    argv[n++] = mem;
    argv[n++] = "-accel";
    argv[n++] = b->accel;
    argv[n++] = "-cpu";
    /* the clock needs rdtscp and lfence: TCG's max model has both */
    argv[n++] = strcmp(b->accel, "kvm") ? "max" : "host";
    if (b->icount) {
        argv[n++] = "-icount";
        argv[n++] = "shift=0";
    }
    argv[n] = NULL;

    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
        cli_fail("pipe: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        cli_fail("fork: %s", strerror(errno));
    if (pid == 0) {
        /* own process group: ^C reaches heaplab, which stops QEMU itself */
        setpgid(0, 0);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        execv(b->q->binary, (char *const *)argv);
        dprintf(STDERR_FILENO, "heaplab: exec %s: %s\n", b->q->binary, strerror(errno));
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    *out_fd = out[0];
    *err_fd = err[0];
    return pid;
}

/* SIGTERM, then SIGKILL after the grace period; reaps. */
static int boot_kill(pid_t pid)
{
    int wstatus = 0;
    kill(pid, SIGTERM);
    double until = now_s() + QEMU_KILL_GRACE_MS / 1000.0;
    for (;;) {
        pid_t r = waitpid(pid, &wstatus, WNOHANG);
        if (r == pid)
            return wstatus;
        if (r < 0 && errno != EINTR)
            return wstatus;
        if (now_s() >= until)
            break;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
        ;
    return wstatus;
}

static void boot_run(struct boot *b)
{
    b->t0 = now_s();
    int out_fd, err_fd;
    pid_t pid = boot_start(b, &out_fd, &err_fd);
    struct qemu_splitter *sp = calloc(1, sizeof *sp);
    if (!sp)
        cli_fail("out of memory");
    bool out_open = true, err_open = true;
    b->how = BOOT_EXITED;
    char buf[1 << 16];
    while (out_open || err_open) {
        if (b->give_up && b->give_up(b->ctx)) {
            b->how = BOOT_GAVE_UP;
            break;
        }
        if (b->honour_stop && run_stop_requested) {
            b->how = BOOT_STOPPED;
            break;
        }
        double left = b->deadline - now_s();
        if (left <= 0) {
            b->how = BOOT_TIMEOUT;
            break;
        }
        int ms = left > 0.2 ? 200 : (int)(left * 1000) + 1;
        struct pollfd pfd[2] = {{out_open ? out_fd : -1, POLLIN, 0},
                                {err_open ? err_fd : -1, POLLIN, 0}};
        int n = poll(pfd, 2, ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            cli_fail("poll: %s", strerror(errno));
        if (out_open && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t got = read(out_fd, buf, sizeof buf);
            if (got > 0)
                qemu_split_feed(sp, buf, (size_t)got, b->on_line, b->ctx);
            else if (got == 0 || errno != EINTR)
                out_open = false;
        }
        if (err_open && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t got = read(err_fd, buf, sizeof buf);
            if (got > 0) {
                if (b->err.len < 8192)
                    dbuf_add(&b->err, buf, (size_t)got);
            } else if (got == 0 || errno != EINTR) {
                err_open = false;
            }
        }
    }
    if (b->how == BOOT_EXITED) {
        qemu_split_end(sp, b->on_line, b->ctx);
        while (waitpid(pid, &b->wstatus, 0) < 0 && errno == EINTR)
            ;
    } else {
        b->wstatus = boot_kill(pid);
    }
    close(out_fd);
    close(err_fd);
    free(sp);
    b->wall_s = now_s() - b->t0;
}

static void describe_wstatus(int wstatus, char *buf, size_t cap)
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

/* The first line of QEMU's stderr, for a reason. */
static void first_err_line(const struct dbuf *err, char *out, size_t cap)
{
    if (!err->len) {
        copy_str(out, cap, "no message");
        return;
    }
    size_t n = strcspn(err->p, "\r\n");
    say(out, cap, "%.*s", (int)(n > 160 ? 160 : n), err->p);
}

/* "@HL error,<kind>,<detail>" as a reason for the rows. */
static void error_reason(const char *kind, const char *detail, char *out, size_t cap)
{
    if (!strcmp(kind, "exception")) {
        /* "#PF,vector=14,err=0x2,eip=0x...,cr2=..." -> spaces */
        char d[200];
        copy_str(d, sizeof d, detail);
        for (char *c = d; *c; c++)
            if (*c == ',')
                *c = ' ';
        say(out, cap, "guest exception %s", d);
    } else if (!strcmp(kind, "oom")) {
        say(out, cap, "guest out of memory: %s", detail);
    } else if (!strcmp(kind, "panic")) {
        say(out, cap, "guest panic: %s", detail);
    } else if (!strcmp(kind, "usage")) {
        say(out, cap, "the kernel refused its command line: %s", detail);
    } else {
        say(out, cap, "guest error %s: %s", kind, detail);
    }
}

/* ---- probing KVM ---------------------------------------------------------------------- */

struct probe_state {
    bool pass, done_ok;
    char error[200];
    struct qemu_line line;
};

static void probe_line(void *ctx, char *line, size_t len, unsigned flags)
{
    struct probe_state *ps = ctx;
    switch (qemu_parse_line(line, len, flags, &ps->line)) {
    case QEMU_L_OTHER:
        if (!strcmp(ps->line.value, "paging,pass"))
            ps->pass = true;
        break;
    case QEMU_L_ERROR:
        if (!ps->error[0])
            error_reason(ps->line.key, ps->line.value, ps->error, sizeof ps->error);
        break;
    case QEMU_L_DONE:
        ps->done_ok = ps->line.ok;
        break;
    default:
        break;
    }
}

bool qemu_probe_kvm(const struct qemu_ctx *q, unsigned timeout_s, char *reason, size_t cap,
                    double *elapsed_s)
{
    *elapsed_s = 0;
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        say(reason, cap, "no usable /dev/kvm (%s)", strerror(errno));
        return false;
    }
    close(fd);
    struct probe_state *ps = calloc(1, sizeof *ps);
    if (!ps)
        cli_fail("out of memory");
    struct qemu_ctx small = *q;
    small.mem_mib = 64;
    struct boot b = {.q = &small, .accel = "kvm", .append = "vga=off test=paging",
                     .deadline = now_s() + timeout_s, .on_line = probe_line, .ctx = ps};
    boot_run(&b);
    *elapsed_s = b.wall_s;
    char st[64];
    describe_wstatus(b.wstatus, st, sizeof st);
    bool ok = b.how == BOOT_EXITED && WIFEXITED(b.wstatus) &&
              WEXITSTATUS(b.wstatus) == QEMU_EXIT_KERNEL_OK && ps->pass && ps->done_ok;
    if (ok) {
        say(reason, cap, "KVM probe passed: paging test boot in %.1f s", b.wall_s);
    } else if (b.how == BOOT_TIMEOUT) {
        say(reason, cap, "KVM probe: no end after %u s (killed)", timeout_s);
    } else if (ps->error[0]) {
        say(reason, cap, "KVM probe failed in %.1f s: %s", b.wall_s, ps->error);
    } else if (WIFEXITED(b.wstatus) && WEXITSTATUS(b.wstatus) == QEMU_EXIT_TRIPLE_FAULT) {
        say(reason, cap, "KVM probe failed in %.1f s: triple fault", b.wall_s);
    } else {
        char e[170];
        first_err_line(&b.err, e, sizeof e);
        say(reason, cap, "KVM probe failed in %.1f s: QEMU %s: %s", b.wall_s, st, e);
    }
    dbuf_free(&b.err);
    free(ps);
    return ok;
}

bool qemu_configure(struct qemu_ctx *q, const char *accel, const char *clock, char *err,
                    size_t cap)
{
    bool icount;
    if (!strcmp(clock, "icount"))
        icount = true;
    else if (!strcmp(clock, "tsc"))
        icount = false;
    else {
        say(err, cap, "bad value for --clock: '%s' (icount or tsc)", clock);
        return false;
    }
    q->probe_s = 0;
    if (!strcmp(accel, "kvm")) {
        if (icount) {
            say(err, cap, "--clock icount needs --accel tcg (KVM has no -icount)");
            return false;
        }
        copy_str(q->accel, sizeof q->accel, "kvm");
        copy_str(q->accel_reason, sizeof q->accel_reason, "forced (--accel kvm), not probed");
    } else if (!strcmp(accel, "tcg")) {
        copy_str(q->accel, sizeof q->accel, "tcg");
        copy_str(q->accel_reason, sizeof q->accel_reason, "forced (--accel tcg)");
    } else if (!strcmp(accel, "auto")) {
        copy_str(q->accel, sizeof q->accel, "tcg");
        if (icount) {
            copy_str(q->accel_reason, sizeof q->accel_reason,
                     "clock icount needs TCG (KVM not probed)");
        } else {
            char why[sizeof q->accel_reason - 16];
            if (qemu_probe_kvm(q, QEMU_PROBE_TIMEOUT_S, why, sizeof why, &q->probe_s)) {
                copy_str(q->accel, sizeof q->accel, "kvm");
                copy_str(q->accel_reason, sizeof q->accel_reason, why);
            } else {
                say(q->accel_reason, sizeof q->accel_reason, "%s; using TCG", why);
            }
        }
    } else {
        say(err, cap, "bad value for --accel: '%s' (auto, kvm or tcg)", accel);
        return false;
    }
    if (icount)
        copy_str(q->clock, sizeof q->clock, "icount");
    else
        copy_str(q->clock, sizeof q->clock, strcmp(q->accel, "kvm") ? "tsc-tcg" : "tsc-kvm");
    return true;
}

void qemu_write_meta(const struct qemu_ctx *q, int meta_fd)
{
    bool kvm = !strcmp(q->accel, "kvm");
    res_meta(meta_fd, "qemu_binary", q->binary);
    res_meta(meta_fd, "qemu_version", q->version);
    res_meta(meta_fd, "qemu_kernel", q->kernel);
    res_meta(meta_fd, "qemu_accel", q->accel);
    res_meta(meta_fd, "qemu_accel_reason", q->accel_reason);
    res_meta(meta_fd, "qemu_clock", q->clock);
    res_meta(meta_fd, "qemu_icount", strcmp(q->clock, "icount") ? "off" : "shift=0");
    res_meta(meta_fd, "qemu_cpu", kvm ? "host" : "max");
    res_metaf(meta_fd, "qemu_mem_mib", "%u", q->mem_mib);
    res_metaf(meta_fd, "qemu_region_bytes", "%zu", q->region_bytes);
    if (q->region_bytes != CELL_REGION_BYTES)
        res_meta(meta_fd, "qemu_region_note",
                 "smaller than the host's region (a checked kernel poisons all of it at every "
                 "init): frame placement_checksum differs from the host's");
    if (q->probe_s > 0)
        res_metaf(meta_fd, "qemu_probe_s", "%.1f", q->probe_s);
}

bool qemu_cell_supported(const struct cell_plan *p)
{
    return p->ca.kind == CLI_ALLOC_PROJECT && hl_allocator_find(p->ca.a->name) == p->ca.a;
}

unsigned qemu_cell_deadline_s(const struct run_ctx *rc, const struct qemu_ctx *q,
                              const struct cell_plan *p)
{
    (void)q;
    if (rc->timeout_s)
        return rc->timeout_s;
    /* warm-up + (batch + harness + per-op) per rep */
    double ops = (double)p->total_ops * (1.0 + 3.0 * p->reps);
    double s = QEMU_DEADLINE_BASE_S + ops * QEMU_NS_PER_OP_BUDGET / 1e9;
    if (rc->slow_build)
        s *= 10.0;
    return s > 86400.0 ? 86400u : (unsigned)s;
}

/* ---- one cell --------------------------------------------------------------------------- */

struct reader {
    const struct run_ctx *rc;
    const struct qemu_ctx *q;
    const struct cell_plan *p;
    const char *accel, *clock; /* of this boot (cell_clock) */
    struct cell_outcome *out;
    struct dbuf cells, lat, tl, log;
    bool begun, ended, end_ok, done, done_ok;
    char end_why[200];
    char error[220];       /* the first "@HL error" line, as a reason */
    bool bad;
    char bad_why[200];
    double t0, first_row_s;
    struct qemu_line line;
};

static void reader_bad(struct reader *r, const char *why, const char *line)
{
    if (r->bad)
        return;
    r->bad = true;
    say(r->bad_why, sizeof r->bad_why, "%s: '%.80s'", why, line);
}

static bool reader_gave_up(void *ctx) { return ((struct reader *)ctx)->bad; }

/* Key columns of a row: run_id, env, allocator, workload, params, seed,
 * rep (at the given indexes) belong to this cell's current rep. */
static bool row_is_ours(const struct reader *r, char **f, unsigned env_col, unsigned alloc_col,
                        unsigned wl_col, unsigned params_col, unsigned seed_col, unsigned rep_col)
{
    char rep[16], seed[24];
    snprintf(rep, sizeof rep, "%u", r->out->delivered);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->rc->seed);
    return !strcmp(f[0], r->rc->run_id) && !strcmp(f[env_col], QEMU_ENV) &&
           !strcmp(f[alloc_col], r->p->ca.a->name) && !strcmp(f[wl_col], r->p->w->name) &&
           !strcmp(f[params_col], r->p->params_text) && !strcmp(f[seed_col], seed) &&
           !strcmp(f[rep_col], rep);
}

static void take_cells_row(struct reader *r, struct qemu_line *l)
{
    char **f = l->fields;
    if (r->out->delivered >= r->p->reps) {
        reader_bad(r, "more reps than asked", l->row);
        return;
    }
    if (r->cells.len || !row_is_ours(r, f, COL_ENV, COL_ALLOCATOR, COL_WORKLOAD, COL_PARAMS,
                                     COL_SEED, COL_REP)) {
        reader_bad(r, "unexpected cells row", l->row);
        return;
    }
    const char *st = f[COL_STATUS];
    if (strcmp(st, "ok") && strcmp(st, "failed") && strcmp(st, "error")) {
        reader_bad(r, "bad status in cells row", l->row);
        return;
    }
    if (strcmp(f[COL_ACCEL], r->accel) || strcmp(f[COL_CLOCK], r->clock) ||
        strcmp(f[COL_SWEEP], r->p->sweep)) {
        reader_bad(r, "cells row with another accel, clock or sweep", l->row);
        return;
    }
    struct rep_fig *fig = &r->out->reps[r->out->delivered];
    snprintf(fig->status, sizeof fig->status, "%s", st);
    fig->cycles_per_op = strtod(f[COL_CYCLES_PER_OP], NULL);
    fig->p99 = f[COL_P99][0] ? strtod(f[COL_P99], NULL) : NAN;
    dbuf_addf(&r->cells, "%s\n", l->row);
    if (r->first_row_s == 0)
        r->first_row_s = now_s() - r->t0;
}

/* latency.csv and timeline.csv rows: run_id,env,allocator,workload,params,seed,rep. */
static void take_detail_row(struct reader *r, struct qemu_line *l, struct dbuf *to)
{
    if (r->p->sweep[0] || !row_is_ours(r, l->fields, 1, 2, 3, 4, 5, 6)) {
        reader_bad(r, "unexpected detail row", l->row);
        return;
    }
    dbuf_addf(to, "%s\n", l->row);
}

static void commit_rep(struct reader *r, uint32_t rep)
{
    if (!r->cells.len || rep != r->out->delivered) {
        char arg[16];
        snprintf(arg, sizeof arg, "%u", rep);
        reader_bad(r, "rep end out of order", arg);
        return;
    }
    run_append_rep(r->rc, &r->cells, &r->lat, &r->tl);
    r->out->delivered++;
}

static void keep_probe(struct reader *r, const char *key, const char *value)
{
    dbuf_addf(&r->out->probes, "qemu_%s=%s\n", key, value);
}

static void check_header(struct reader *r, struct qemu_line *l)
{
    const char *want = !strcmp(l->key, "cells")      ? hl_cells_header
                       : !strcmp(l->key, "latency")  ? hl_latency_header
                       : !strcmp(l->key, "timeline") ? hl_timeline_header
                                                     : NULL;
    if (!want || strcmp(want, l->value))
        reader_bad(r, "the kernel's columns differ from heaplab's (rebuild both)", l->key);
}

static void cell_line(void *ctx, char *text, size_t len, unsigned flags)
{
    struct reader *r = ctx;
    struct qemu_line *l = &r->line;
    enum qemu_kind kind = qemu_parse_line(text, len, flags, l);
    if ((kind == QEMU_L_TEXT && text[0]) || kind == QEMU_L_REPORT || kind == QEMU_L_ERROR ||
        kind == QEMU_L_OTHER || (kind == QEMU_L_BAD && (flags & QEMU_LINE_CUT)))
        dbuf_addf(&r->log, "  serial: %s%s\n", text,
                  flags & QEMU_LINE_CUT ? " [cut off]"
                  : flags & QEMU_LINE_OVERLONG ? " [overlong]" : "");
    if (r->bad)
        return;
    switch (kind) {
    case QEMU_L_TEXT:
    case QEMU_L_REPORT: /* the kernel marks the rep failed itself */
    case QEMU_L_OTHER:
        break;
    case QEMU_L_BAD:
        if (flags & QEMU_LINE_CUT)
            break; /* the boot ended mid-line: its exit says why */
        reader_bad(r, l->why, text);
        break;
    case QEMU_L_META: /* the boot's facts, as kernel_<key> */
        if (!strcmp(l->key, "check_level") || !strcmp(l->key, "mem_top_bytes") ||
            !strcmp(l->key, "frames_free")) {
            char key[64];
            snprintf(key, sizeof key, "kernel_%s", l->key);
            keep_probe(r, key, l->value);
        }
        break;
    case QEMU_L_HEADER:
        check_header(r, l);
        break;
    case QEMU_L_BEGIN:
        if (r->begun || l->index != 0 || strcmp(l->fields[2], r->p->ca.a->name) ||
            strcmp(l->fields[3], r->p->w->name) || strcmp(l->fields[4], r->p->params_text) ||
            strcmp(l->fields[5], r->p->sweep))
            reader_bad(r, "the kernel began another cell", text);
        r->begun = true;
        break;
    case QEMU_L_PROBE:
        keep_probe(r, l->key, l->value);
        break;
    case QEMU_L_CELL:
        if (!r->begun)
            reader_bad(r, "cells row before the cell began", text);
        else
            take_cells_row(r, l);
        break;
    case QEMU_L_LAT:
        take_detail_row(r, l, &r->lat);
        break;
    case QEMU_L_TL:
        take_detail_row(r, l, &r->tl);
        break;
    case QEMU_L_REP:
        commit_rep(r, l->rep);
        break;
    case QEMU_L_END:
        r->ended = true;
        r->end_ok = l->ok;
        copy_str(r->end_why, sizeof r->end_why, l->value);
        break;
    case QEMU_L_ERROR:
        if (!r->error[0])
            error_reason(l->key, l->value, r->error, sizeof r->error);
        break;
    case QEMU_L_DONE:
        r->done = true;
        r->done_ok = l->ok;
        break;
    }
}

/* The accelerator and clock of p's boot: p->clock when it names a QEMU
 * clock (icount, tsc-tcg, tsc-kvm), else q's. */
static void cell_clock(const struct qemu_ctx *q, const struct cell_plan *p, const char **accel,
                       const char **clock)
{
    const char *c = p->clock ? p->clock : "";
    if (!strcmp(c, "icount") || !strcmp(c, "tsc-tcg")) {
        *accel = "tcg";
        *clock = c;
    } else if (!strcmp(c, "tsc-kvm")) {
        *accel = "kvm";
        *clock = c;
    } else {
        *accel = q->accel;
        *clock = q->clock;
    }
}

/* The -append text of a cell: everything the kernel needs, no spaces in
 * any value (docs/kernel.md, "Command line").  The cell's full params go
 * as params= (so the kernel's plan gives exactly them, whatever ops= it
 * would scale from); a sweep point runs as the kernel's only sweep point
 * (suite=off sweep=W:K=v), so its rows say sweep=K. */
static bool cell_append(const struct run_ctx *rc, const struct qemu_ctx *q,
                        const struct cell_plan *p, const char *accel, const char *clock,
                        char *buf, size_t cap)
{
    if (strpbrk(rc->run_id, " \t\"") || strpbrk(p->params_text, " \t"))
        return false;
    char sweep[160] = "sweep=none";
    if (p->sweep[0]) {
        int k = hl_wl_param_index(p->w, p->sweep);
        if (k < 0)
            return false;
        snprintf(sweep, sizeof sweep, "suite=off sweep=%s:%s=%llu", p->w->name, p->sweep,
                 (unsigned long long)p->params.v[k]);
    }
    int n = snprintf(buf, cap,
                     "vga=off allocators=%s workloads=%s params=%s:%s %s reps=%u seed=%llu "
                     "run_id=%s accel=%s clock=%s region_mib=%zu%s%s",
                     p->ca.a->name, p->w->name, p->w->name, p->params_text, sweep, p->reps,
                     (unsigned long long)rc->seed, rc->run_id, accel, clock,
                     q->region_bytes >> 20, q->extra_append ? " " : "",
                     q->extra_append ? q->extra_append : "");
    return n > 0 && (size_t)n < cap && (size_t)n <= KBENCH_CMDLINE_MAX;
}

void qemu_run_cell(const struct run_ctx *rc, const struct qemu_ctx *q, const struct cell_plan *p,
                   struct cell_outcome *out)
{
    unsigned limit_s = qemu_cell_deadline_s(rc, q, p);
    const char *accel, *clock;
    cell_clock(q, p, &accel, &clock);
    char append[2048];
    run_log_line(rc, "cell %s x %s (%s%s%s) in QEMU (%s, clock %s, -m %u): start, deadline %u s",
             p->ca.a->name, p->w->name, p->params_text, p->sweep[0] ? ", sweep " : "", p->sweep,
             accel, clock, q->mem_mib, limit_s);
    if (!cell_append(rc, q, p, accel, clock, append, sizeof append)) {
        out->end = "error";
        say(out->why, sizeof out->why, "run id or params unfit for the kernel command line");
        run_fill_missing(rc, p, QEMU_ENV, accel, clock, out, out->end);
        run_log_line(rc, "cell %s x %s: error (%s)", p->ca.a->name, p->w->name, out->why);
        return;
    }
    struct reader *r = calloc(1, sizeof *r);
    if (!r)
        cli_fail("out of memory");
    *r = (struct reader){.rc = rc, .q = q, .p = p, .out = out, .accel = accel, .clock = clock};
    struct boot b = {.q = q, .accel = accel, .icount = !strcmp(clock, "icount"),
                     .append = append, .on_line = cell_line, .ctx = r,
                     .give_up = reader_gave_up, .honour_stop = true};
    r->t0 = now_s();
    b.deadline = r->t0 + limit_s;
    boot_run(&b);

    char st[64];
    describe_wstatus(b.wstatus, st, sizeof st);
    bool exited = b.how == BOOT_EXITED && WIFEXITED(b.wstatus);
    int code = exited ? WEXITSTATUS(b.wstatus) : -1;
    bool clean = exited && code == QEMU_EXIT_KERNEL_OK && r->done && r->done_ok && r->ended &&
                 r->end_ok && out->delivered == p->reps;
    if (clean) {
        out->end = "ok";
        say(out->why, sizeof out->why, "all %u reps", p->reps);
    } else if (b.how == BOOT_STOPPED) {
        out->end = "interrupted";
        say(out->why, sizeof out->why, "interrupted after %u reps", out->delivered);
    } else if (b.how == BOOT_TIMEOUT) {
        out->end = "timeout";
        say(out->why, sizeof out->why, "no end after %u s%s%s", limit_s,
                 r->error[0] ? "; " : "", r->error);
    } else if (r->bad) {
        out->end = "error";
        say(out->why, sizeof out->why, "bad output (%s)", r->bad_why);
    } else if (r->error[0]) {
        /* the kernel said why: an exception, a panic, out of memory, a
         * refused command line (the last is ours, not the cell's: error) */
        out->end = strncmp(r->error, "the kernel refused", 18) ? "crashed" : "error";
        say(out->why, sizeof out->why, "%s", r->error);
    } else if (exited && code == QEMU_EXIT_TRIPLE_FAULT) {
        out->end = "crashed";
        say(out->why, sizeof out->why, "triple fault (QEMU exit 0 under -no-reboot)");
    } else if (r->ended && !r->end_ok) {
        out->end = "error";
        say(out->why, sizeof out->why, "the kernel could not set up the cell: %s",
                 r->end_why);
    } else if (exited && code != QEMU_EXIT_KERNEL_OK && code != QEMU_EXIT_KERNEL_FAIL) {
        char e[170];
        first_err_line(&b.err, e, sizeof e);
        out->end = "error";
        say(out->why, sizeof out->why, "QEMU %s: %s", st, e);
    } else if (!exited) {
        out->end = "crashed";
        say(out->why, sizeof out->why, "QEMU died: %s", st);
    } else {
        out->end = "error";
        say(out->why, sizeof out->why, "QEMU %s after %u of %u reps (%s)", st,
                 out->delivered, p->reps, r->done ? "done line seen" : "no done line");
    }
    if (!clean && b.how != BOOT_STOPPED) {
        run_fill_missing(rc, p, QEMU_ENV, accel, clock, out, out->end);
        fflush(stdout);
        fprintf(stderr, "%sheaplab: qemu cell %s x %s: %s (%s); %u of %u reps delivered, the "
                "rest marked %s\n", isatty(STDERR_FILENO) ? "\r\033[K" : "", p->ca.a->name,
                p->w->name, out->end, out->why, out->delivered, p->reps, out->end);
    }

    dbuf_addf(&out->probes, "qemu_boot_to_first_row_s=%.3f\n", r->first_row_s);
    dbuf_addf(&out->probes, "qemu_wall_s=%.3f\n", b.wall_s);
    dbuf_addf(&out->probes, "qemu_exit=%s\n", b.how == BOOT_EXITED ? st : "killed");
    if (r->log.len)
        res_write(rc->f.log, r->log.p, r->log.len, "cells.log");
    if (b.err.len) {
        struct dbuf e = {0};
        dbuf_addf(&e, "  qemu stderr: %.*s%s", (int)b.err.len, b.err.p,
                  b.err.p[b.err.len - 1] == '\n' ? "" : "\n");
        res_write(rc->f.log, e.p, e.len, "cells.log");
        dbuf_free(&e);
    }
    run_log_line(rc, "cell %s x %s in QEMU: %s (%s, QEMU %s, %.1f s, first row after %.2f s)",
             p->ca.a->name, p->w->name, out->end, out->why,
             b.how == BOOT_EXITED ? st : "killed", b.wall_s, r->first_row_s);
    dbuf_free(&b.err);
    dbuf_free(&r->cells);
    dbuf_free(&r->lat);
    dbuf_free(&r->tl);
    dbuf_free(&r->log);
    free(r);
}
