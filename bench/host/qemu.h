/*
 * qemu.h — `heaplab run`'s QEMU side: find qemu-system-i386 and the
 * heaplab kernel, choose the accelerator and clock (probing KVM instead
 * of trusting /dev/kvm), boot the kernel once per cell and turn its
 * serial output into rows of the run's files, exactly as spawn.c does
 * for a host cell child: the same line protocol and reader, the same
 * rows taker (docs/kernel.md, "Benchmark cells" and "Line protocol").
 *
 * How run.c uses it (beside spawn_cell, with the same run_ctx,
 * cell_plan and cell_outcome):
 *
 *   struct qemu_ctx q;
 *   if (!qemu_init(&q, why, sizeof why))           QEMU or kernel missing
 *   if (!qemu_configure(&q, "auto", "icount", err, sizeof err))  bad combo
 *   qemu_write_meta(&q, rc.f.meta);                  qemu_* rows of meta.csv
 *   for each cell p with qemu_cell_supported(p):
 *       out.reps = calloc(p->reps, ...)
 *       qemu_run_cell(&rc, &q, p, &out);            like spawn_cell
 *       out.probes: "qemu_*=value" lines, as a host child's probe lines
 *   (between cells, nothing: every cell is a boot of its own)
 *
 * Rows: env=qemu, accel=tcg|kvm, clock=icount|tsc-tcg|tsc-kvm|modelled;
 * every other column as on the host (same formatter, same op stream).
 * A modelled cell boots with -icount shift=0 and the cost plugin
 * (rc->model); its rows are held until QEMU exits, then their cost
 * columns come from the plugin's report (modelled.h; docs/model.md,
 * "The modelled clock").
 *
 * Include with _GNU_SOURCE defined (PATH_MAX, as for run.h).
 */
#ifndef HEAPLAB_QEMU_H
#define HEAPLAB_QEMU_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/host/cell.h"
#include "bench/host/run.h"
#include "kernel_port/bench.h"

/* Environment overrides of the two paths qemu_init finds. */
#define QEMU_ENV_BINARY "HEAPLAB_QEMU"
#define QEMU_ENV_KERNEL "HEAPLAB_KERNEL"

/* Guest RAM (-m): the kernel's image, page tables (1 MiB for a 1 GiB
 * region) and the pages a cell touches; the region itself is
 * demand-paged, so only its touched pages need RAM. */
#define QEMU_DEFAULT_MEM_MIB 512u
/* The KVM probe boot's limit (each start costs ~6.5 s on this VM). */
#define QEMU_PROBE_TIMEOUT_S 30u

struct qemu_ctx {
    /* qemu_init: */
    char binary[PATH_MAX];   /* qemu-system-i386 */
    char kernel[PATH_MAX];   /* heaplab-kernel.elf */
    char version[160];       /* first line of `qemu-system-i386 --version` */
    /* qemu_configure (qemu_init sets tcg / icount): */
    char accel[8];           /* "tcg" or "kvm" */
    char accel_reason[256];  /* why that accelerator */
    char clock[12];          /* "icount", "tsc-tcg" or "tsc-kvm" */
    double probe_s;          /* wall time of the KVM probe boot; 0: none */
    /* settable by the caller after qemu_init: */
    unsigned mem_mib;        /* -m (default QEMU_DEFAULT_MEM_MIB) */
    size_t region_bytes;     /* each allocator's region (CELL_REGION_BYTES,
                                the host's: 64 MiB in a build with
                                HL_CHECK_LEVEL >= 2); a multiple of 1 MiB */
    const char *extra_append; /* NULL, or words appended to -append (tests:
                                 "test=triple", "test=hang") */
};

/* The first line of `binary --version`, or "" (2 s limit). */
void qemu_read_version(const char *binary, char *out, size_t cap);

/* Find QEMU ($HEAPLAB_QEMU, else qemu-system-i386 in PATH) and the kernel
 * ($HEAPLAB_KERNEL, else the build's kernel_port/heaplab-kernel.elf), read
 * QEMU's version, set the defaults (tcg, icount, -m, region).  false with
 * why (one line) if either is missing: then no QEMU cells can run. */
bool qemu_init(struct qemu_ctx *q, char *why, size_t cap);

/* Boot the kernel once with -accel kvm and test=paging under a short
 * timeout.  true if it passed; reason says what happened either way (the
 * guest's own error line when it faults).  *elapsed_s: the boot's wall
 * time. */
bool qemu_probe_kvm(const struct qemu_ctx *q, unsigned timeout_s, char *reason, size_t cap,
                    double *elapsed_s);

/* Choose the accelerator and the clock.
 *   accel: "auto" (probe KVM if the clock allows it, else TCG), "kvm" or
 *          "tcg" (forced, not probed);
 *   clock: "icount" (TCG with -icount shift=0: ticks are guest
 *          instructions) or "tsc" (tsc-tcg or tsc-kvm).
 * icount needs TCG: "kvm" + "icount" is refused; "auto" + "icount" is TCG
 * without a probe.  false with err (one line naming the bad value). */
bool qemu_configure(struct qemu_ctx *q, const char *accel, const char *clock, char *err,
                    size_t cap);

/* meta.csv rows: qemu_binary, qemu_version, qemu_kernel, qemu_accel,
 * qemu_accel_reason, qemu_clock, qemu_icount, qemu_cpu, qemu_mem_mib,
 * qemu_region_bytes, qemu_probe_s (when probed). */
void qemu_write_meta(const struct qemu_ctx *q, int meta_fd);

/* Can cell p run in the kernel?  Only registry allocators (no baselines,
 * no test-only allocators) exist there. */
bool qemu_cell_supported(const struct cell_plan *p);

/* The wall-clock limit of one cell's boot, seconds (rc->timeout_s if set;
 * else from the plan's ops and reps, generous for TCG). */
unsigned qemu_cell_deadline_s(const struct run_ctx *rc, const struct qemu_ctx *q,
                              const struct cell_plan *p);

/* Boot the kernel for cell p alone and append its rows, like spawn_cell:
 * a rep's rows are written only when its "@HL rep" line arrives; the reps
 * not delivered get rows with status crashed (guest exception, panic,
 * out of memory, triple fault), timeout or error (QEMU failed, bad
 * output, setup refused), and out->why says which ("guest exception #PF
 * vector=14 err=0x2 eip=0x... cr2=...", "triple fault (QEMU exit 0 under
 * -no-reboot)", "no end after 840 s").  out->probes gets
 * "qemu_<key>=<value>" lines: kernel_check_level, kernel_mem_top_bytes,
 * kernel_frames_free (the boot's), the cell's probes (timer_overhead,
 * timer_overhead_min, timer_resolution, region_base, region_bytes,
 * workspace_bytes, demand_faults, region_pages_touched,
 * workspace_pages_touched, frames_free), then the host's
 * boot_to_first_row_s (0: no row came), wall_s, exit.  Non-protocol
 * serial lines and QEMU's stderr go to cells.log.  SIGINT/SIGTERM
 * (run_stop_requested) stop the boot: end "interrupted", no rows added.
 * The cell's own fields are used as spawn_cell uses them: p->reps reps,
 * p->sweep in the rows (a sweep cell has no latency/timeline rows).  The
 * boot's accelerator and clock are q's, unless p->clock names a QEMU
 * clock itself ("icount", "tsc-tcg": TCG; "tsc-kvm": KVM); a host clock
 * there ("tsc", "instructions", NULL) means q's.
 * pre: qemu_cell_supported(p); out->reps has p->reps entries. */
void qemu_run_cell(const struct run_ctx *rc, const struct qemu_ctx *q, const struct cell_plan *p,
                   struct cell_outcome *out);

/* ---- the kernel's own kinds of the line protocol (pure; tests/test_qemu_proto.c) ---- */

/* The serial stream is split by the one reader (bench/host/lineproto.h);
 * the kinds a host cell child sends too (probe, cell, lat, tl, rep, done)
 * are taken by bench/host/cellrows.h.  These are the kernel's own. */
enum qemu_kind {
    QEMU_L_TEXT,   /* not a protocol line: kept for cells.log */
    QEMU_L_ROWS,   /* probe, cell, lat, tl, rep, done: cellrows.h's */
    QEMU_L_META,   /* @HL meta,<key>,<value> */
    QEMU_L_HEADER, /* @HL header,<table>,<columns...> */
    QEMU_L_BEGIN,  /* @HL begin,<index>,<allocator>,<workload>,<params>,<sweep>,<seed>,
                      <reps> */
    QEMU_L_END,    /* @HL end,<index>,ok|error,<why> */
    QEMU_L_ERROR,  /* @HL error,<kind>,<detail...> */
    QEMU_L_REPORT, /* @HL report,... (a checked allocator refused a free) */
    QEMU_L_OTHER,  /* test, fault, skip: self-test lines, not for cells */
    QEMU_L_BAD,    /* a malformed or unknown protocol line: why says how */
};

/* A kernel line, read.  Pointers point into the lp_line given. */
struct qemu_line {
    enum qemu_kind kind;
    const char *why;      /* QEMU_L_BAD: static text */
    const char *key;      /* META key; HEADER table; ERROR kind */
    const char *value;    /* META value; HEADER columns; ERROR detail, REPORT
                             and OTHER fields (the rest of the line, as sent);
                             END why */
    uint32_t index;       /* BEGIN, END */
    bool ok;              /* END */
};

struct lp_line;

/* Read a line of the reader (lineproto.h) as the kernel means it.
 * Returns out->kind. */
enum qemu_kind qemu_kernel_line(const struct lp_line *l, struct qemu_line *out);

#endif /* HEAPLAB_QEMU_H */
