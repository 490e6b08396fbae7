/*
 * modelled.h — the modelled clock's host side (docs/model.md): the cost
 * plugin (bench/qemu-plugin/heaplab-cost.so) found and named, its report
 * read, and a cell's held rows turned into clock=modelled rows.  Shared
 * by both worlds' cells:
 *
 *   host   spawn.c runs the cell child under qemu-x86_64 with the plugin
 *          (the child's clock argument `modelled`, cell.c);
 *   kernel qemu.c boots the kernel under qemu-system-i386 with the
 *          plugin (the kernel counts as for icount).
 *
 * Either way the child's rows are held (cellrows.h's hold) until it has
 * exited; model_finish then takes each rep's main and floor regions from
 * the report and writes the rows with their modelled figures, or none.
 *
 * Include with _GNU_SOURCE defined (PATH_MAX, as for run.h).
 */
#ifndef HEAPLAB_MODELLED_H
#define HEAPLAB_MODELLED_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/host/cellrows.h"
#include "bench/host/run.h"

#define MODEL_CLOCK "modelled"

/* Where heaplab-cost.so is looked for: $HEAPLAB_COST_PLUGIN, else
 * ../lib/heaplab/ beside the heaplab binary (installed), else this
 * build's bench/qemu-plugin/. */
#define MODEL_ENV_PLUGIN "HEAPLAB_COST_PLUGIN"
/* The host's cells run under this user-mode QEMU ($HEAPLAB_QEMU_USER,
 * else qemu-x86_64 in PATH). */
#define MODEL_ENV_QEMU_USER "HEAPLAB_QEMU_USER"
#define MODEL_QEMU_USER_NAME "qemu-x86_64"

struct model_ctx {
    char plugin[PATH_MAX];      /* heaplab-cost.so; "" until model_use */
    char model[32];             /* the cache model's preset */
    char qemu_user[PATH_MAX];   /* qemu-x86_64 (host cells); "" if none */
    char qemu_user_version[160];
};

/* Is model a preset of the cache model?  false with err: "bad value for
 * --model: 'x' (presets: skylake-client, zen3)". */
bool model_check(const char *model, char *err, size_t cap);

/* Find the cost plugin and check the preset (bench/core/cachemodel.h).
 * false with err (one line: the missing plugin, or the unknown preset
 * and the presets there are). */
bool model_use(struct model_ctx *m, const char *model, char *err, size_t cap);

/* Find qemu-x86_64 for the host's modelled cells and read its version.
 * false with err (one line) if there is none. */
bool model_use_qemu_user(struct model_ctx *m, char *err, size_t cap);

/* meta.csv: model, model_source, model_plugin, the levels, DRAM, the
 * inclusion, the formula; qemu-x86_64 and its version when host cells
 * use it. */
void model_write_meta(const struct model_ctx *m, int meta_fd);

/* One cell's totals from the plugin's report (docs/model.md "Output"):
 * the `main` and `floor` regions of each rep in order (a rep's BATCH
 * pass: stream_repeats main regions, then as many floor regions). */
struct model_sum {
    uint64_t regions;
    uint64_t instructions, cycles, l1d, l2, llc, dtlb;
};

/* Read the report at path, taking regions in file order: for each rep r
 * (0 .. nreps-1), repeats[r] main regions then repeats[r] floor regions
 * into main[r] and floor[r].  false with why (one line) if the file is
 * missing, malformed, names another model, has an unterminated region or
 * holds other counts of regions. */
bool model_read(const char *path, const char *model, uint32_t nreps, const uint64_t *repeats,
                struct model_sum *main_sum, struct model_sum *floor_sum, char *why, size_t cap);

/* Where a modelled cell's report goes: DIR/model/<env>.<allocator>.
 * <workload>.<hash>.csv (the hash over params, allocator params and
 * sweep).  false if the folder cannot be made or the path does not fit
 * (or holds a comma, which the plugin's argument syntax cannot carry). */
bool model_report_path(const struct run_ctx *rc, const struct cell_plan *p, const char *env,
                       char *out, size_t cap);

/* The plugin's -plugin argument for a cell:
 * "PLUGIN,model=M,out=REPORT,hist=REPORT_PEROP" (model_perop_path).
 * false if it does not fit or the plugin's path holds a comma. */
bool model_plugin_arg(const struct model_ctx *m, const char *report, char *out, size_t cap);

/* callgrind's cache simulator configured as the model's L1i, L1d and
 * LLC: "--cache-sim=yes", "--I1=SIZE,ASSOC,LINE", "--D1=...", "--LL=..."
 * (a level the preset lacks is left to callgrind's default) written into
 * buf and pointed to from argv; returns how many (at most
 * MODEL_CACHESIM_ARGS). */
#define MODEL_CACHESIM_ARGS 4
size_t model_cachesim_args(const struct model_ctx *m, char buf[][64], char **argv);

/* The per-op histograms' file beside a report: "X.csv" -> "X.perop.csv".
 * false if it does not fit. */
bool model_perop_path(const char *report, char *out, size_t cap);

/* (a - b) / ops in thousandths, signed, as "-1.234" (one rounding):
 * a per-op figure net of the floor. */
void model_per_op_text(char *buf, size_t cap, uint64_t a, uint64_t b, uint64_t ops);

/* The held rows of a modelled cell (t->hold: one cells row per rep, its
 * leak rows) with their cost columns from the report at path, and
 * p50..max from the per-op histograms beside it (the rep's per-op
 * region, modelled cycles per call, nothing subtracted), appended to
 * cells.csv (and leaks.csv) with clock=modelled.  The latency and
 * timeline rows are dropped (latency.csv has no clock column: the
 * histograms stay in the run folder's model/); the space figures stay in
 * the cells row.  out->probes gets
 * "<t->probe_prefix>model_rep<R>_main_instructions=N" and _floor_.  false
 * with why if the report does not fit the rows (then nothing is
 * appended). */
bool model_finish(const struct run_ctx *rc, const struct model_ctx *m, struct cell_rows *t,
                  const char *path, char *why, size_t cap);

/* After a modelled cell's child has ended (*clean: it delivered every
 * rep and exited well): its held rows finished by model_finish, or none
 * of them delivered (out->delivered = 0).  true if the report did not fit
 * (then *clean = false, out->end "error", out->why the reason). */
bool model_settle(const struct run_ctx *rc, struct cell_rows *t, const char *path, bool *clean,
                  struct cell_outcome *out);

#endif /* HEAPLAB_MODELLED_H */
