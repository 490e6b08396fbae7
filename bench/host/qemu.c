/*
 * qemu.c — one cell per boot of the heaplab i386 kernel under QEMU
 * (qemu.h): finding QEMU and the kernel, probing KVM, the boot itself
 * (a child of proc.h: serial on a pipe, a wall-clock deadline, SIGTERM
 * then SIGKILL), the kernel's own kinds of the line protocol, and turning
 * what a boot delivered into rows with spawn.c's discipline and code
 * (lineproto.h splits the serial stream, cellrows.h takes the rows): a
 * rep's rows are appended only once its "@HL rep" line has arrived, and
 * the reps that never arrive get rows whose status and cells.log line
 * say why.
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
#include <inttypes.h>
#include <math.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/core/runner.h"
#include "bench/core/vmpass.h"
#include "bench/host/cellrows.h"
#include "bench/host/cli.h"
#include "bench/host/csvline.h"
#include "bench/host/lineproto.h"
#include "bench/host/modelled.h"
#include "bench/host/proc.h"
#include "bench/host/replay.h"
#include "kernel_port/bench.h"

_Static_assert((HL_CHECK_LEVEL >= 2 ? KBENCH_CHECKED_REGION_BYTES
                                    : KBENCH_REGION_BYTES) == CELL_REGION_BYTES,
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

/* ---- the kernel's own line kinds (pure) ------------------------------------------ */

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

/* Is the field after the kind non-empty and sent as it is (no quotes),
 * so that the rest of the line after it is the record's tail as sent? */
static bool plain_first(const struct lp_line *l)
{
    size_t n = strlen(l->fields[1]);
    return n && !strncmp(l->rest, l->fields[1], n) && (l->rest[n] == ',' || !l->rest[n]);
}

enum qemu_kind qemu_kernel_line(const struct lp_line *l, struct qemu_line *out)
{
    *out = (struct qemu_line){.kind = QEMU_L_TEXT};
    if (l->cls == LP_TEXT)
        return QEMU_L_TEXT;
    if (l->cls == LP_BAD)
        return bad(out, l->why);
    char *const *f = l->fields;
    int n = l->nfields;
#define KIND_IS(k) (!strcmp(l->kind, k))
    if (KIND_IS("probe") || KIND_IS("cell") || KIND_IS("lat") || KIND_IS("tl") ||
        KIND_IS("rep") || KIND_IS("done") || KIND_IS("leak")) {
        out->kind = QEMU_L_ROWS;
    } else if (KIND_IS("meta")) {
        if (n != 3)
            return bad(out, "malformed meta line");
        out->key = f[1];
        out->value = f[2];
        out->kind = QEMU_L_META;
    } else if (KIND_IS("header")) {
        if (n < 3 || !plain_first(l))
            return bad(out, "malformed header line");
        out->key = f[1];
        out->value = l->rest + strlen(f[1]) + 1;
        out->kind = QEMU_L_HEADER;
    } else if (KIND_IS("begin")) {
        if (n != 8 || !parse_u32(f[1], &out->index))
            return bad(out, "malformed begin line");
        out->kind = QEMU_L_BEGIN;
    } else if (KIND_IS("end")) {
        if (n != 4 || !parse_u32(f[1], &out->index) ||
            (strcmp(f[2], "ok") && strcmp(f[2], "error")))
            return bad(out, "malformed end line");
        out->ok = !strcmp(f[2], "ok");
        out->value = f[3];
        out->kind = QEMU_L_END;
    } else if (KIND_IS("error")) {
        if (n < 2 || !plain_first(l))
            return bad(out, "malformed error line");
        out->key = f[1];
        out->value = n > 2 ? l->rest + strlen(f[1]) + 1 : "";
        out->kind = QEMU_L_ERROR;
    } else if (KIND_IS("report")) {
        out->value = l->rest;
        out->kind = QEMU_L_REPORT;
    } else if (KIND_IS("test") || KIND_IS("fault") || KIND_IS("skip")) {
        out->value = l->rest;
        out->kind = QEMU_L_OTHER;
    } else {
        return bad(out, "unknown protocol line kind");
    }
#undef KIND_IS
    return out->kind;
}

/* ---- finding things ------------------------------------------------------------------ */

/* The first line of `binary --version`, or "" (2 s limit). */
static void keep_version(void *ctx, const char *data, size_t n)
{
    struct dbuf *b = ctx;
    if (b->len < 512)
        dbuf_add(b, data, n);
}

void qemu_read_version(const char *binary, char *out, size_t cap)
{
    char *argv[] = {(char *)binary, "--version", NULL};
    struct proc_spec spec = {.path = binary, .argv = argv, .out = PROC_IO_PIPE,
                             .err = PROC_IO_NULL};
    struct dbuf text = {0};
    struct proc_sink sink = {.out = keep_version, .ctx = &text};
    struct proc c;
    proc_start(&c, &spec);
    proc_wait(&c, 2.0, 0, &sink);
    out[0] = '\0';
    if (text.len) {
        size_t n = strcspn(text.p, "\r\n");
        cli_say(out, cap, "%.*s", (int)(n < text.len ? n : text.len), text.p);
    }
    dbuf_free(&text);
}

bool qemu_init(struct qemu_ctx *q, char *why, size_t cap)
{
    memset(q, 0, sizeof *q);
    const char *env = getenv(QEMU_ENV_BINARY);
    if (!cli_find_program(QEMU_NAME, QEMU_ENV_BINARY, q->binary, sizeof q->binary)) {
        if (env && *env)
            cli_say(why, cap, "%s=%s is not executable", QEMU_ENV_BINARY, env);
        else
            cli_say(why, cap, "%s not found in PATH (tools/setup installs qemu-system-x86; or "
                "set %s)", QEMU_NAME, QEMU_ENV_BINARY);
        return false;
    }
    env = getenv(QEMU_ENV_KERNEL);
    const char *kernel = env && *env ? env : HEAPLAB_KERNEL_ELF;
    if (!kernel[0]) {
        cli_say(why, cap, "this build has no i386 kernel (HEAPLAB_BUILD_I386=OFF; or set %s)",
                 QEMU_ENV_KERNEL);
        return false;
    }
    struct stat st;
    if (stat(kernel, &st) != 0 || !S_ISREG(st.st_mode)) {
        cli_say(why, cap, "no kernel image at %s (build the target heaplab_kernel%s)", kernel,
                 env && *env ? "" : ", or set " QEMU_ENV_KERNEL);
        return false;
    }
    cli_copy_str(q->kernel, sizeof q->kernel, kernel);
    qemu_read_version(q->binary, q->version, sizeof q->version);
    if (!q->version[0])
        cli_copy_str(q->version, sizeof q->version, "unknown");
    cli_copy_str(q->accel, sizeof q->accel, "tcg");
    cli_copy_str(q->accel_reason, sizeof q->accel_reason, "default (not configured)");
    cli_copy_str(q->clock, sizeof q->clock, "icount");
    q->mem_mib = QEMU_DEFAULT_MEM_MIB;
    q->region_bytes = CELL_REGION_BYTES; /* 64 MiB in a checked build, as the kernel's */
    return true;
}

/* ---- a boot ---------------------------------------------------------------------------- */

struct boot {
    const struct qemu_ctx *q;
    const char *accel;  /* "tcg" or "kvm" */
    bool icount;
    const char *plugin; /* "-plugin" argument (the modelled clock), or NULL */
    const char *append;
    const char *initrd; /* a module for the kernel (a trace), or NULL */
    unsigned limit_s;   /* wall-clock limit of the boot */
    lp_line_fn on_line;
    void *ctx;
    bool (*give_up)(void *ctx); /* true: stop reading and kill */
    bool honour_stop;           /* react to run_stop_requested */
    /* results */
    struct dbuf err;            /* QEMU's stderr (first 8 KiB) */
    struct proc c;              /* how it ended (proc.h) */
    struct lp_reader *lr;
};

static void boot_serial(void *ctx, const char *data, size_t n)
{
    lp_feed(((struct boot *)ctx)->lr, data, n);
}

static void boot_stderr(void *ctx, const char *data, size_t n)
{
    struct boot *b = ctx;
    if (b->err.len < 8192)
        dbuf_add(&b->err, data, n);
}

static bool boot_give_up(void *ctx)
{
    struct boot *b = ctx;
    return b->give_up && b->give_up(b->ctx);
}

/* Boot the kernel: serial on a pipe to b->on_line, line by line; stderr
 * kept; the deadline, a stop request or give_up end it (proc.h). */
static void boot_run(struct boot *b)
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
    if (b->initrd) { /* a multiboot module: QEMU splits the list at commas */
        argv[n++] = "-initrd";
        argv[n++] = b->initrd;
    }
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
    if (b->plugin) {
        argv[n++] = "-plugin";
        argv[n++] = b->plugin;
    }
    argv[n] = NULL;

    b->lr = calloc(1, sizeof *b->lr);
    if (!b->lr)
        cli_fail("out of memory");
    lp_init(b->lr, b->on_line, b->ctx);
    struct proc_spec spec = {.path = b->q->binary, .argv = (char *const *)argv,
                             .out = PROC_IO_PIPE, .err = PROC_IO_PIPE, .own_group = true};
    struct proc_sink sink = {.out = boot_serial, .err = boot_stderr, .give_up = boot_give_up,
                             .ctx = b, .stop = b->honour_stop ? &run_stop_requested : NULL};
    proc_start(&b->c, &spec);
    if (proc_wait(&b->c, b->limit_s, PROC_GRACE_MS, &sink) == PROC_EXITED)
        lp_end(b->lr);
    free(b->lr);
    b->lr = NULL;
}

/* The first line of QEMU's stderr, for a reason. */
static void first_err_line(const struct dbuf *err, char *out, size_t cap)
{
    if (!err->len) {
        cli_copy_str(out, cap, "no message");
        return;
    }
    size_t n = strcspn(err->p, "\r\n");
    cli_say(out, cap, "%.*s", (int)(n > 160 ? 160 : n), err->p);
}

/* "@HL error,<kind>,<detail>" as a reason for the rows. */
static void error_reason(const char *kind, const char *detail, char *out, size_t cap)
{
    if (!strcmp(kind, "exception")) {
        /* "#PF,vector=14,err=0x2,eip=0x...,cr2=..." -> spaces */
        char d[200];
        cli_copy_str(d, sizeof d, detail);
        for (char *c = d; *c; c++)
            if (*c == ',')
                *c = ' ';
        cli_say(out, cap, "guest exception %s", d);
    } else if (!strcmp(kind, "oom")) {
        cli_say(out, cap, "guest out of memory: %s", detail);
    } else if (!strcmp(kind, "panic")) {
        cli_say(out, cap, "guest panic: %s", detail);
    } else if (!strcmp(kind, "usage")) {
        cli_say(out, cap, "the kernel refused its command line: %s", detail);
    } else {
        cli_say(out, cap, "guest error %s: %s", kind, detail);
    }
}

/* ---- probing KVM ---------------------------------------------------------------------- */

struct probe_state {
    bool pass, done_ok;
    char error[200];
};

static void probe_line(void *ctx, struct lp_line *l)
{
    struct probe_state *ps = ctx;
    struct qemu_line k;
    switch (qemu_kernel_line(l, &k)) {
    case QEMU_L_OTHER:
        if (lp_is(l, "test") && !strcmp(k.value, "paging,pass"))
            ps->pass = true;
        break;
    case QEMU_L_ERROR:
        if (!ps->error[0])
            error_reason(k.key, k.value, ps->error, sizeof ps->error);
        break;
    case QEMU_L_ROWS:
        if (lp_is(l, "done") && l->nfields == 2)
            ps->done_ok = !strcmp(l->fields[1], "ok");
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
        cli_say(reason, cap, "no usable /dev/kvm (%s)", strerror(errno));
        return false;
    }
    close(fd);
    struct probe_state *ps = calloc(1, sizeof *ps);
    if (!ps)
        cli_fail("out of memory");
    struct qemu_ctx small = *q;
    small.mem_mib = 64;
    struct boot b = {.q = &small, .accel = "kvm", .append = "vga=off test=paging",
                     .limit_s = timeout_s, .on_line = probe_line, .ctx = ps};
    boot_run(&b);
    *elapsed_s = b.c.wall_s;
    char st[96];
    proc_describe(&b.c, st, sizeof st);
    int code = -1;
    bool exited = proc_exit_code(&b.c, &code);
    bool ok = exited && code == QEMU_EXIT_KERNEL_OK && ps->pass && ps->done_ok;
    if (ok) {
        cli_say(reason, cap, "KVM probe passed: paging test boot in %.1f s", b.c.wall_s);
    } else if (b.c.how == PROC_TIMEOUT) {
        cli_say(reason, cap, "KVM probe: %s", st);
    } else if (ps->error[0]) {
        cli_say(reason, cap, "KVM probe failed in %.1f s: %s", b.c.wall_s, ps->error);
    } else if (exited && code == QEMU_EXIT_TRIPLE_FAULT) {
        cli_say(reason, cap, "KVM probe failed in %.1f s: triple fault", b.c.wall_s);
    } else {
        char e[170];
        first_err_line(&b.err, e, sizeof e);
        cli_say(reason, cap, "KVM probe failed in %.1f s: QEMU %s: %s", b.c.wall_s, st, e);
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
        cli_say(err, cap, "bad value for --clock: '%s' (icount or tsc)", clock);
        return false;
    }
    q->probe_s = 0;
    if (!strcmp(accel, "kvm")) {
        if (icount) {
            cli_say(err, cap, "--clock icount needs --accel tcg (KVM has no -icount)");
            return false;
        }
        cli_copy_str(q->accel, sizeof q->accel, "kvm");
        cli_copy_str(q->accel_reason, sizeof q->accel_reason, "forced (--accel kvm), not probed");
    } else if (!strcmp(accel, "tcg")) {
        cli_copy_str(q->accel, sizeof q->accel, "tcg");
        cli_copy_str(q->accel_reason, sizeof q->accel_reason, "forced (--accel tcg)");
    } else if (!strcmp(accel, "auto")) {
        cli_copy_str(q->accel, sizeof q->accel, "tcg");
        if (icount) {
            cli_copy_str(q->accel_reason, sizeof q->accel_reason,
                     "clock icount needs TCG (KVM not probed)");
        } else {
            char why[sizeof q->accel_reason - 16];
            if (qemu_probe_kvm(q, QEMU_PROBE_TIMEOUT_S, why, sizeof why, &q->probe_s)) {
                cli_copy_str(q->accel, sizeof q->accel, "kvm");
                cli_copy_str(q->accel_reason, sizeof q->accel_reason, why);
            } else {
                cli_say(q->accel_reason, sizeof q->accel_reason, "%s; using TCG", why);
            }
        }
    } else {
        cli_say(err, cap, "bad value for --accel: '%s' (auto, kvm or tcg)", accel);
        return false;
    }
    if (icount)
        cli_copy_str(q->clock, sizeof q->clock, "icount");
    else
        cli_copy_str(q->clock, sizeof q->clock, strcmp(q->accel, "kvm") ? "tsc-tcg" : "tsc-kvm");
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
                 "not the host's region size: frame placement_checksum differs from the host's");
    if (q->probe_s > 0)
        res_metaf(meta_fd, "qemu_probe_s", "%.1f", q->probe_s);
}

bool qemu_cell_supported(const struct cell_plan *p)
{
    if (p->ca.kind == CLI_ALLOC_VM) /* the kernel has the mapping kinds too */
        return hl_vm_kind_find(p->ca.a->name) == p->ca.a;
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
    const struct cell_plan *p;
    struct cell_rows rows;     /* probe, cell, lat, tl, rep, done (cellrows.h) */
    bool begun, ended, end_ok;
    char end_why[200];
    char error[220];       /* the first "@HL error" line, as a reason */
};

static bool reader_gave_up(void *ctx) { return ((struct reader *)ctx)->rows.bad; }

static void check_header(struct reader *r, const struct qemu_line *k)
{
    const char *want = !strcmp(k->key, "cells")      ? hl_cells_header
                       : !strcmp(k->key, "latency")  ? hl_latency_header
                       : !strcmp(k->key, "timeline") ? hl_timeline_header
                       : !strcmp(k->key, "leaks")    ? hl_leaks_header
                                                     : NULL;
    if (!want || strcmp(want, k->value))
        cell_rows_bad(&r->rows, "the kernel's columns differ from heaplab's (rebuild both)",
                      k->key);
}

static void cell_line(void *ctx, struct lp_line *l)
{
    struct reader *r = ctx;
    struct qemu_line k;
    enum qemu_kind kind = qemu_kernel_line(l, &k);
    if ((kind == QEMU_L_TEXT && l->len) || kind == QEMU_L_REPORT || kind == QEMU_L_ERROR ||
        kind == QEMU_L_OTHER || (kind == QEMU_L_BAD && (l->flags & LP_CUT)))
        cell_rows_log(&r->rows, "serial", l);
    if (r->rows.bad)
        return;
    switch (kind) {
    case QEMU_L_TEXT:
    case QEMU_L_REPORT: /* the kernel marks the rep failed itself */
    case QEMU_L_OTHER:
        break;
    case QEMU_L_BAD:
        if (l->flags & LP_CUT)
            break; /* the boot ended mid-line: its exit says why */
        cell_rows_bad(&r->rows, k.why, l->text);
        break;
    case QEMU_L_ROWS:
        if (lp_is(l, "cell") && !r->begun)
            cell_rows_bad(&r->rows, "cells row before the cell began", l->text);
        else
            cell_rows_take(&r->rows, l);
        break;
    case QEMU_L_META: /* the boot's facts, as kernel_<key> */
        if (!strcmp(k.key, "check_level") || !strcmp(k.key, "mem_top_bytes") ||
            !strcmp(k.key, "frames_free"))
            dbuf_addf(&r->rows.out->probes, "qemu_kernel_%s=%s\n", k.key, k.value);
        break;
    case QEMU_L_HEADER:
        check_header(r, &k);
        break;
    case QEMU_L_BEGIN:
        if (r->begun || k.index != 0 || strcmp(l->fields[2], r->p->ca.a->name) ||
            strcmp(l->fields[3], r->p->w->name) || strcmp(l->fields[4], r->p->params_text) ||
            strcmp(l->fields[5], r->p->sweep))
            cell_rows_bad(&r->rows, "the kernel began another cell", l->text);
        r->begun = true;
        break;
    case QEMU_L_END:
        r->ended = true;
        r->end_ok = k.ok;
        cli_copy_str(r->end_why, sizeof r->end_why, k.value);
        break;
    case QEMU_L_ERROR:
        if (!r->error[0])
            error_reason(k.key, k.value, r->error, sizeof r->error);
        break;
    }
}

/* The accelerator and clock of p's boot: p->clock when it names a QEMU
 * clock (icount, tsc-tcg, tsc-kvm), else q's. */
static void cell_clock(const struct qemu_ctx *q, const struct cell_plan *p, const char **accel,
                       const char **clock)
{
    const char *c = p->clock ? p->clock : "";
    if (!strcmp(c, "icount") || !strcmp(c, "tsc-tcg") || !strcmp(c, MODEL_CLOCK)) {
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
 * would scale from), the allocator's as aparams=A:k=v,...; a sweep point
 * runs as the kernel's only sweep point (suite=off sweep=W:K=v, or
 * A:K=v for an allocator's), so its rows say sweep=K. */
static bool cell_append(const struct run_ctx *rc, const struct qemu_ctx *q,
                        const struct cell_plan *p, const char *accel, const char *clock,
                        char *buf, size_t cap)
{
    if (strpbrk(rc->run_id, " \t\"") || strpbrk(p->params_text, " \t") ||
        strpbrk(p->aparams_text, " \t"))
        return false;
    char sweep[160] = "sweep=none", aparams[600] = "";
    if (p->aparams_text[0])
        snprintf(aparams, sizeof aparams, " aparams=%s:%s", p->ca.a->name, p->aparams_text);
    if (p->sweep[0] && p->sweep_alloc) {
        int k = hl_al_param_index(p->ca.a, p->sweep);
        if (k < 0)
            return false;
        snprintf(sweep, sizeof sweep, "suite=off sweep=%s:%s=%llu", p->ca.a->name, p->sweep,
                 (unsigned long long)p->aparams.v[k]);
    } else if (p->sweep[0]) {
        int k = hl_wl_param_index(p->w, p->sweep);
        if (k < 0)
            return false;
        snprintf(sweep, sizeof sweep, "suite=off sweep=%s:%s=%llu", p->w->name, p->sweep,
                 (unsigned long long)p->params.v[k]);
    }
    /* A trace's params are the trace's own (fixed): the kernel's plan
     * gives them from the module, and its begin line must match them. */
    char params[HL_PLAN_PARAMS_TEXT + 80] = "";
    if (!hl_wl_is_replay(p->w))
        snprintf(params, sizeof params, " params=%s:%s", p->w->name, p->params_text);
    /* A vm cell of 4 MiB pages needs the huge pool to hold its region
     * (the kernel carves the pool at boot: hugepool_mib=). */
    char hugepool[40] = "";
    if (p->ca.kind == CLI_ALLOC_VM && hl_vm_kind_huge(p->ca.a)) {
        uint64_t span = (uint64_t)4 << 20;
        uint64_t mib = (hl_vm_pages(&p->params) * HL_VM_PAGE_BYTES + span - 1) / span * 4;
        snprintf(hugepool, sizeof hugepool, " hugepool_mib=%llu", (unsigned long long)mib);
    }
    int n = snprintf(buf, cap,
                     "vga=off allocators=%s%s workloads=%s%s %s reps=%u seed=%llu "
                     "run_id=%s accel=%s clock=%s region_mib=%zu%s%s%s",
                     p->ca.a->name, aparams, p->w->name, params, sweep, p->reps,
                     (unsigned long long)rc->seed, rc->run_id, accel, clock,
                     q->region_bytes >> 20, hugepool, q->extra_append ? " " : "",
                     q->extra_append ? q->extra_append : "");
    return n > 0 && (size_t)n < cap && (size_t)n <= KBENCH_CMDLINE_MAX;
}

void qemu_run_cell(const struct run_ctx *rc, const struct qemu_ctx *q, const struct cell_plan *p,
                   struct cell_outcome *out)
{
    unsigned limit_s = qemu_cell_deadline_s(rc, q, p);
    const char *accel, *clock;
    cell_clock(q, p, &accel, &clock);
    /* The modelled clock: the kernel counts as with icount (its rows say
     * so until model_finish rewrites them) and runs PEROP's modelled
     * variant (clock=modelled on its command line); QEMU loads the cost
     * plugin. */
    bool modelled = !strcmp(clock, MODEL_CLOCK);
    const char *kclock = modelled ? "icount" : clock;
    char report[PATH_MAX + 64] = "", plugin_arg[2 * PATH_MAX + 128] = "";
    if (modelled) {
        limit_s = limit_s > 86400u / 10u ? 86400u : limit_s * 10u; /* the plugin's slowdown */
        if (!rc->model || !model_report_path(rc, p, QEMU_ENV, report, sizeof report) ||
            !model_plugin_arg(rc->model, report, plugin_arg, sizeof plugin_arg)) {
            out->end = "error";
            cli_say(out->why, sizeof out->why, "%s", !rc->model
                    ? "no cost plugin (model_use not called)"
                    : "no room for the cost plugin's report (or a comma in its path)");
            run_fill_missing(rc, p, QEMU_ENV, accel, clock, out, out->end);
            run_log_line(rc, "cell %s x %s: error (%s)", p->ca.a->name, p->w->name, out->why);
            return;
        }
        unlink(report);
    }
    char append[2048];
    run_log_line(rc, "cell %s x %s (%s%s%s) in QEMU (%s, clock %s, -m %u): start, deadline %u s",
             p->ca.a->name, p->w->name, p->params_text, p->sweep[0] ? ", sweep " : "", p->sweep,
             accel, clock, q->mem_mib, limit_s);
    if (!cell_append(rc, q, p, accel, modelled ? MODEL_CLOCK : kclock, append, sizeof append)) {
        out->end = "error";
        cli_say(out->why, sizeof out->why, "run id or params unfit for the kernel command line");
        run_fill_missing(rc, p, QEMU_ENV, accel, clock, out, out->end);
        run_log_line(rc, "cell %s x %s: error (%s)", p->ca.a->name, p->w->name, out->why);
        return;
    }
    /* A trace goes in as a multiboot module, uncompressed; one that could
     * not fit in the guest's RAM beside the kernel is refused here. */
    const char *initrd = NULL;
    if (hl_wl_is_replay(p->w)) {
        char why[300];
        size_t bytes = replay_file_bytes(p->w);
        if (bytes > ((size_t)q->mem_mib << 20) / 2)
            cli_say(why, sizeof why, "the trace file is %zu bytes: more than half the guest's "
                "%u MiB", bytes, q->mem_mib);
        else
            initrd = replay_module(p->w, why, sizeof why);
        if (!initrd) {
            out->end = "error";
            cli_say(out->why, sizeof out->why, "%s", why);
            run_fill_missing(rc, p, QEMU_ENV, accel, clock, out, out->end);
            run_log_line(rc, "cell %s x %s: error (%s)", p->ca.a->name, p->w->name, out->why);
            fprintf(stderr, "heaplab: qemu cell %s x %s: error (%s)\n", p->ca.a->name,
                    p->w->name, out->why);
            return;
        }
    }
    struct reader *r = calloc(1, sizeof *r);
    if (!r)
        cli_fail("out of memory");
    r->p = p;
    r->rows = (struct cell_rows){.rc = rc, .p = p, .out = out, .env = QEMU_ENV, .accel = accel,
                                 .clock = kclock, .first_rep = 0, .probe_prefix = "qemu_",
                                 .hold = modelled};
    struct boot b = {.q = q, .accel = accel, .icount = !strcmp(kclock, "icount"),
                     .plugin = modelled ? plugin_arg : NULL,
                     .append = append, .initrd = initrd, .limit_s = limit_s,
                     .on_line = cell_line, .ctx = r,
                     .give_up = reader_gave_up, .honour_stop = true};
    boot_run(&b);

    char st[96];
    proc_describe(&b.c, st, sizeof st);
    int code = -1;
    bool exited = proc_exit_code(&b.c, &code);
    bool clean = exited && code == QEMU_EXIT_KERNEL_OK && r->rows.done && r->rows.done_ok &&
                 r->ended && r->end_ok && !r->rows.bad && out->delivered == p->reps;
    /* A modelled cell's rows were held (cellrows.h): written now, with
     * the plugin's figures, or not at all. */
    if (modelled && model_settle(rc, &r->rows, report, &clean, out)) {
        /* out->end and out->why say why */
    } else if (clean) {
        out->end = "ok";
        cli_say(out->why, sizeof out->why, "all %u reps", p->reps);
        if (modelled)
            run_log_line(rc, "cell %s x %s: the cost plugin's report is %s", p->ca.a->name,
                         p->w->name, report);
    } else if (b.c.how == PROC_STOPPED) {
        out->end = "interrupted";
        cli_say(out->why, sizeof out->why, "interrupted after %u reps", out->delivered);
    } else if (b.c.how == PROC_TIMEOUT) {
        out->end = "timeout";
        cli_say(out->why, sizeof out->why, "%s%s%s", st, r->error[0] ? "; " : "", r->error);
    } else if (r->rows.bad) {
        out->end = "error";
        cli_say(out->why, sizeof out->why, "bad output (%s)", r->rows.bad_why);
    } else if (r->error[0]) {
        /* the kernel said why: an exception, a panic, out of memory, a
         * refused command line (the last is ours, not the cell's: error) */
        out->end = strncmp(r->error, "the kernel refused", 18) ? "crashed" : "error";
        cli_say(out->why, sizeof out->why, "%s", r->error);
    } else if (exited && code == QEMU_EXIT_TRIPLE_FAULT) {
        out->end = "crashed";
        cli_say(out->why, sizeof out->why, "triple fault (QEMU exit 0 under -no-reboot)");
    } else if (r->ended && !r->end_ok) {
        out->end = "error";
        cli_say(out->why, sizeof out->why, "the kernel could not set up the cell: %s",
                 r->end_why);
    } else if (exited && code != QEMU_EXIT_KERNEL_OK && code != QEMU_EXIT_KERNEL_FAIL) {
        char e[170];
        first_err_line(&b.err, e, sizeof e);
        out->end = "error";
        cli_say(out->why, sizeof out->why, "QEMU %s: %s", st, e);
    } else if (!exited) {
        out->end = "crashed";
        cli_say(out->why, sizeof out->why, "QEMU died: %s", st);
    } else {
        out->end = "error";
        cli_say(out->why, sizeof out->why, "QEMU %s after %u of %u reps (%s)", st,
                 out->delivered, p->reps, r->rows.done ? "done line seen" : "no done line");
    }
    if (!clean && b.c.how != PROC_STOPPED) {
        run_fill_missing(rc, p, QEMU_ENV, accel, clock, out, out->end);
        fflush(stdout);
        fprintf(stderr, "%sheaplab: qemu cell %s x %s: %s (%s); %u of %u reps delivered, the "
                "rest marked %s\n", isatty(STDERR_FILENO) ? "\r\033[K" : "", p->ca.a->name,
                p->w->name, out->end, out->why, out->delivered, p->reps, out->end);
    }

    double first_row_s = r->rows.first_row_s ? r->rows.first_row_s - b.c.t0 : 0;
    dbuf_addf(&out->probes, "qemu_boot_to_first_row_s=%.3f\n", first_row_s);
    dbuf_addf(&out->probes, "qemu_wall_s=%.3f\n", b.c.wall_s);
    dbuf_addf(&out->probes, "qemu_exit=%s\n", b.c.how == PROC_EXITED ? st : "killed");
    cell_rows_flush_log(&r->rows);
    if (b.err.len) {
        struct dbuf e = {0};
        dbuf_addf(&e, "  qemu stderr: %.*s%s", (int)b.err.len, b.err.p,
                  b.err.p[b.err.len - 1] == '\n' ? "" : "\n");
        res_write(rc->f.log, e.p, e.len, "cells.log");
        dbuf_free(&e);
    }
    run_log_line(rc, "cell %s x %s in QEMU: %s (%s, QEMU %s, %.1f s, first row after %.2f s)",
             p->ca.a->name, p->w->name, out->end, out->why,
             b.c.how == PROC_EXITED ? st : "killed", b.c.wall_s, first_row_s);
    dbuf_free(&b.err);
    cell_rows_free(&r->rows);
    free(r);
}
