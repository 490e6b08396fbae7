/*
 * heaplab_cost.c — heaplab-cost.so, a QEMU TCG plugin that feeds every
 * guest instruction fetch and data access into the cache model
 * (bench/core/cachemodel.h) and reports, per region between a start and
 * a stop marker (bench/core/marker.h): instructions, loads, stores,
 * misses per level, modelled cycles, op markers seen, and which start
 * marker opened it (label main, or floor for the harness floor's
 * start-floor marker: runner.c).  docs/model.md has
 * the arguments, the output format and the figures.
 *
 * Per-op regions (opened by the start-per-op marker, closed by the
 * ordinary stop: runner.c's modelled PEROP pass) are not rows of that
 * report: with hist=FILE, the modelled cycles and the instructions
 * between each op-begin and op-end marker inside one go into two
 * histograms with hist.h's log-linear buckets, written to FILE at the
 * region's stop (docs/model.md, "Per-op histograms"); without hist=,
 * per-op regions are fed to the model and reported nowhere.
 *
 *   qemu-x86_64 -plugin heaplab-cost.so,model=skylake-client,out=F prog
 *   qemu-system-i386 -plugin heaplab-cost.so,model=zen3 -kernel ...
 *
 * The model is fed from the first instruction on (feed=always, the
 * default), so a region starts with the caches its program warmed;
 * feed=region feeds only inside regions (caches keep what the previous
 * region left).  Only the counts inside a region are reported, as the
 * difference of the model's counters at stop and at start; the marker
 * instructions themselves are neither fed nor counted.  One model for
 * all vCPUs: meant for one guest thread (the kernel and the host cell
 * are single-threaded); concurrent guest threads would race on it.
 * Addresses are guest virtual addresses (the heaplab kernel maps
 * identity).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allocators/port.h"
#include "bench/core/cachemodel.h"
#include "bench/core/hist.h"
#include "bench/core/marker.h"
#include "bench/qemu-plugin/qemu_plugin_api.h"

HL_QEMU_PLUGIN_EXPORT int qemu_plugin_version = HL_QEMU_PLUGIN_VERSION;

static struct hl_cm *model;
static FILE *out;
static bool feed_always = true;
static bool in_region;
static uint64_t region_no;
static uint64_t ops;
static const char *label = ""; /* the open region's: "main" or "floor" */
static struct hl_cm_counts at_start;
static bool header_done;

/* Per-op regions (hist=FILE). */
static FILE *hist_out;          /* NULL: no hist= */
static bool perop;              /* the open region is a per-op region */
static uint64_t perop_no;       /* per-op regions opened so far */
static bool in_op;              /* between an op-begin and its op-end */
static struct hl_cm_counts at_op;
static struct hl_hist *op_cycles, *op_insns; /* the open per-op region's */

/* hist.c's assertions (HL_ASSERT in a checked build) end here. */
_Noreturn void hl_panic(const char *file, int line, const char *msg)
{
    fprintf(stderr, "heaplab-cost: %s:%d: %s\n", file, line, msg);
    abort();
}

/* ---- reports ------------------------------------------------------------ */

static void diff(struct hl_cm_counts *d, const struct hl_cm_counts *a,
                 const struct hl_cm_counts *b)
{
    const uint64_t *pa = (const uint64_t *)a, *pb = (const uint64_t *)b;
    uint64_t *pd = (uint64_t *)d;
    _Static_assert(sizeof *d % sizeof(uint64_t) == 0, "counts are all uint64_t");
    for (size_t i = 0; i < sizeof *d / sizeof(uint64_t); i++)
        pd[i] = pa[i] - pb[i];
}

/* One CSV row; columns in docs/model.md. */
static void report(const char *scope, uint64_t no, const struct hl_cm_counts *c,
                   uint64_t nops)
{
    if (!header_done) {
        fprintf(out, "scope,region,model,instructions,loads,stores,l1i_misses,"
                     "l1d_misses,l2_misses,llc_misses,dtlb_misses,"
                     "back_invalidations,modelled_cycles,ops,label\n");
        header_done = true;
    }
    fprintf(out, "%s,%" PRIu64 ",%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                 ",%" PRIu64 ",%" PRIu64 ",%s\n",
            scope, no, model->cfg.name, c->instructions, c->loads, c->stores,
            hl_cm_misses(c, HL_CM_L1I), hl_cm_misses(c, HL_CM_L1D),
            hl_cm_misses(c, HL_CM_L2), hl_cm_misses(c, HL_CM_LLC),
            hl_cm_misses(c, HL_CM_DTLB), c->back_invalidations,
            hl_cm_cycles(model, c), nops, strcmp(scope, "all") ? label : "");
    fflush(out);
}

/* hist=FILE's columns (docs/model.md, "Per-op histograms"). */
static void hist_header(void)
{
    fprintf(hist_out, "scope,region,model,metric,bucket_lo,bucket_hi,count,sum\n");
    fflush(hist_out);
}

/* One metric of per-op region `no`: a bucket row per non-empty bucket
 * (bucket_lo, bucket_hi inclusive), then its total row (count: ops,
 * sum: the metric summed over them). */
static void hist_rows(uint64_t no, const char *metric, const struct hl_hist *h)
{
    for (unsigned i = hl_hist_next(h, 0); i < HL_HIST_BUCKETS; i = hl_hist_next(h, i + 1))
        fprintf(hist_out, "bucket,%" PRIu64 ",%s,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",\n",
                no, model->cfg.name, metric, hl_hist_bucket_lo(i), hl_hist_bucket_hi(i),
                h->buckets[i]);
    fprintf(hist_out, "total,%" PRIu64 ",%s,%s,,,%" PRIu64 ",%" PRIu64 "\n", no,
            model->cfg.name, metric, h->count, h->sum);
}

/* The stop of a per-op region: its histograms to hist=FILE. */
static void hist_report(uint64_t no)
{
    if (!hist_out)
        return;
    hist_rows(no, "modelled_cycles", op_cycles);
    hist_rows(no, "instructions", op_insns);
    fflush(hist_out);
}

/* ---- callbacks ---------------------------------------------------------- */

static bool is_start(unsigned kind)
{
    return kind == HL_MARKER_START || kind == HL_MARKER_START_FLOOR ||
           kind == HL_MARKER_START_PEROP;
}

static void on_marker(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    unsigned kind = (unsigned)(uintptr_t)udata;
    if (is_start(kind)) {
        /* A start inside a region restarts it (dropped, not reported);
         * it keeps its number if the new one is of the same sort. */
        bool want_perop = kind == HL_MARKER_START_PEROP;
        if (in_region && !perop)
            fprintf(out, "# heaplab-cost: start inside region %" PRIu64 ", restarted\n",
                    region_no);
        else if (in_region && hist_out)
            fprintf(hist_out, "# heaplab-cost: start inside per-op region %" PRIu64
                              ", restarted\n", perop_no);
        if (!in_region || perop != want_perop) {
            if (want_perop)
                perop_no++;
            else
                region_no++;
        }
        in_region = true;
        perop = want_perop;
        in_op = false;
        label = kind == HL_MARKER_START_FLOOR ? "floor" : want_perop ? "perop" : "main";
        ops = 0;
        if (perop && hist_out) {
            hl_hist_reset(op_cycles);
            hl_hist_reset(op_insns);
        }
        at_start = model->n;
    } else if (kind == HL_MARKER_STOP) {
        if (!in_region)
            return; /* a stop without a start: nothing to report */
        if (perop) {
            hist_report(perop_no);
        } else {
            struct hl_cm_counts d;
            diff(&d, &model->n, &at_start);
            report("region", region_no, &d, ops);
        }
        in_region = perop = in_op = false;
    } else if (kind == HL_MARKER_OP) {
        if (in_region)
            ops++;
    } else if (kind == HL_MARKER_OP_BEGIN) {
        if (in_region && perop) { /* a second begin restarts the op */
            in_op = true;
            at_op = model->n;
        }
    } else if (kind == HL_MARKER_OP_END) {
        if (!in_op) /* outside a per-op region, or no begin */
            return;
        in_op = false;
        if (!hist_out)
            return;
        struct hl_cm_counts d;
        diff(&d, &model->n, &at_op);
        hl_hist_add(op_cycles, hl_cm_cycles(model, &d));
        hl_hist_add(op_insns, d.instructions);
    }
}

/* udata packs the instruction: vaddr << 4 | size (x86 instructions are at
 * most 15 bytes; guest addresses below 2^60). */
static void on_insn(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    if (!in_region && !feed_always)
        return;
    uintptr_t u = (uintptr_t)udata;
    hl_cm_fetch(model, (uint64_t)(u >> 4), (uint32_t)(u & 15u));
}

static void on_mem(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr,
                   void *udata)
{
    (void)vcpu;
    (void)udata;
    if (!in_region && !feed_always)
        return;
    hl_cm_access(model, vaddr, 1u << qemu_plugin_mem_size_shift(info),
                 qemu_plugin_mem_is_store(info));
}

/* The marker kind of these instruction bytes, or 0. */
static unsigned marker_kind(const uint8_t *b, size_t n)
{
    if (n != HL_MARKER_BYTES || b[0] != 0x0f || b[1] != 0x1f || b[2] != 0x80)
        return 0;
    uint32_t disp = (uint32_t)b[3] | (uint32_t)b[4] << 8 | (uint32_t)b[5] << 16 |
                    (uint32_t)b[6] << 24;
    if ((disp & ~0xffu) != HL_MARKER_MAGIC)
        return 0;
    unsigned kind = disp & 0xffu;
    return kind >= HL_MARKER_START && kind <= HL_MARKER_LAST ? kind : 0;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        size_t size = qemu_plugin_insn_size(insn);
        unsigned kind = marker_kind(qemu_plugin_insn_data(insn), size);
        if (kind) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_NO_REGS,
                                                   (void *)(uintptr_t)kind);
            continue;
        }
        uint64_t vaddr = qemu_plugin_insn_vaddr(insn);
        qemu_plugin_register_vcpu_insn_exec_cb(insn, on_insn, QEMU_PLUGIN_CB_NO_REGS,
                                               (void *)(uintptr_t)(vaddr << 4 | (size & 15u)));
        qemu_plugin_register_vcpu_mem_cb(insn, on_mem, QEMU_PLUGIN_CB_NO_REGS,
                                         QEMU_PLUGIN_MEM_RW, NULL);
    }
}

static void on_atexit(qemu_plugin_id_t id, void *udata)
{
    (void)id;
    (void)udata;
    if (in_region && !perop) {
        struct hl_cm_counts d;
        diff(&d, &model->n, &at_start);
        report("unterminated", region_no, &d, ops);
    }
    report("all", 0, &model->n, 0);
    if (out != stderr)
        fclose(out);
    if (hist_out) {
        if (in_region && perop)
            fprintf(hist_out, "# heaplab-cost: per-op region %" PRIu64 " unterminated "
                              "(%" PRIu64 " ops), not reported\n", perop_no, op_cycles->count);
        fclose(hist_out);
    }
}

/* ---- arguments ---------------------------------------------------------- */

static int bad(const char *arg, const char *why)
{
    fprintf(stderr, "heaplab-cost: bad argument '%s': %s\n", arg, why);
    return -1;
}

/* "SIZE:WAYS:LINE:LATENCY" (a cache, SIZE in bytes) or, for dtlb,
 * "ENTRIES:WAYS:PAGE:MISS_CYCLES"; "off" removes the level. */
static int parse_level(const char *arg, const char *val, enum hl_cm_level l,
                       struct hl_cm_config *cfg)
{
    if (strcmp(val, "off") == 0) {
        cfg->level[l] = (struct hl_cm_geom){0, 0, 0, 0};
        return 0;
    }
    uint64_t v[4];
    const char *p = val;
    for (int i = 0; i < 4; i++) {
        char *end;
        errno = 0;
        if (*p < '0' || *p > '9')
            return bad(arg, "want four numbers N:N:N:N");
        v[i] = strtoull(p, &end, 10);
        if (errno || end == p || *end != (i < 3 ? ':' : '\0') || v[i] > UINT32_MAX)
            return bad(arg, "want four numbers N:N:N:N");
        p = end + 1;
    }
    struct hl_cm_error err = {0};
    uint64_t bytes = l == HL_CM_DTLB ? v[0] * v[2] : v[0];
    if (!hl_cm_geom_from_size(bytes, (uint32_t)v[2], (uint32_t)v[1],
                              l == HL_CM_DTLB ? 0 : (uint32_t)v[3], &cfg->level[l], &err)) {
        if (l == HL_CM_DTLB) { /* name the TLB's own numbers */
            if (strcmp(err.field, "line_bytes") == 0) {
                err.field = "page_bytes";
            } else if (strcmp(err.field, "size_bytes") == 0) {
                err.field = "entries";
                err.value = v[0];
                err.msg = "not a multiple of ways";
            } else if (strcmp(err.field, "sets") == 0) {
                err.field = "entries";
                err.value = v[0];
                err.msg = "divided by ways is not a power of two";
            }
        }
        fprintf(stderr, "heaplab-cost: bad argument '%s': %s=%" PRIu64 " %s\n", arg,
                err.field, err.value, err.msg);
        return -1;
    }
    if (l == HL_CM_DTLB)
        cfg->dtlb_miss_cycles = (uint32_t)v[3];
    return 0;
}

/* One line: the bad name and the known ones. */
static int unknown_model(const char *arg)
{
    fprintf(stderr, "heaplab-cost: bad argument '%s': unknown model (presets:", arg);
    for (size_t i = 0; hl_cm_preset_at(i); i++)
        fprintf(stderr, " %s", hl_cm_preset_at(i)->name);
    fprintf(stderr, ")\n");
    return -1;
}

HL_QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                              int argc, char **argv)
{
    if (info->version.min > HL_QEMU_PLUGIN_VERSION ||
        info->version.cur < HL_QEMU_PLUGIN_VERSION) {
        fprintf(stderr,
                "heaplab-cost: QEMU plugin API version %d (min %d) is not version %d, "
                "which this plugin speaks\n",
                info->version.cur, info->version.min, HL_QEMU_PLUGIN_VERSION);
        return -1;
    }
    static const struct {
        const char *key;
        enum hl_cm_level level;
    } levels[] = {{"l1i", HL_CM_L1I}, {"l1d", HL_CM_L1D}, {"l2", HL_CM_L2},
                  {"llc", HL_CM_LLC}, {"dtlb", HL_CM_DTLB}};
    struct hl_cm_config cfg;
    const struct hl_cm_config *preset = hl_cm_preset("skylake-client");
    const char *out_path = NULL, *hist_path = NULL;
    /* model= first, whatever its position: the other keys amend it */
    for (int i = 0; i < argc; i++)
        if (strncmp(argv[i], "model=", 6) == 0 && !(preset = hl_cm_preset(argv[i] + 6)))
            return unknown_model(argv[i]);
    cfg = *preset;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *eq = strchr(a, '=');
        if (!eq)
            return bad(a, "want key=value");
        size_t klen = (size_t)(eq - a);
        const char *val = eq + 1;
        bool done = false;
        for (size_t k = 0; k < sizeof levels / sizeof levels[0]; k++)
            if (strlen(levels[k].key) == klen && strncmp(a, levels[k].key, klen) == 0) {
                if (parse_level(a, val, levels[k].level, &cfg))
                    return -1;
                cfg.name = "custom";
                done = true;
            }
        if (done || strncmp(a, "model=", 6) == 0)
            continue;
        if (strncmp(a, "out=", 4) == 0) {
            out_path = val;
        } else if (strncmp(a, "hist=", 5) == 0) {
            if (!*val)
                return bad(a, "hist is a file name");
            hist_path = val;
        } else if (strncmp(a, "feed=", 5) == 0) {
            if (strcmp(val, "always") == 0)
                feed_always = true;
            else if (strcmp(val, "region") == 0)
                feed_always = false;
            else
                return bad(a, "feed is always or region");
        } else if (strncmp(a, "inclusive=", 10) == 0) {
            if (strcmp(val, "on") == 0)
                cfg.inclusive_llc = true;
            else if (strcmp(val, "off") == 0)
                cfg.inclusive_llc = false;
            else
                return bad(a, "inclusive is on or off");
            cfg.name = "custom";
        } else if (strncmp(a, "dram=", 5) == 0) {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(val, &end, 10);
            if (errno || end == val || *end || *val < '0' || *val > '9' || v > UINT32_MAX)
                return bad(a, "dram is a number of cycles");
            cfg.dram_cycles = (uint32_t)v;
            cfg.name = "custom";
        } else {
            return bad(a, "unknown key (model, out, hist, feed, l1i, l1d, l2, llc, dtlb, "
                          "inclusive, dram)");
        }
    }
    struct hl_cm_error err = {0};
    if (!hl_cm_config_check(&cfg, &err)) {
        fprintf(stderr, "heaplab-cost: bad model: %s %s=%" PRIu64 ": %s\n", err.level,
                err.field, err.value, err.msg);
        return -1;
    }
    size_t bytes = hl_cm_size(&cfg);
    void *buf = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
    if (!buf || !(model = hl_cm_init(buf, bytes, &cfg, &err))) {
        fprintf(stderr, "heaplab-cost: cannot set up the model (%zu bytes)\n", bytes);
        return -1;
    }
    out = stderr;
    if (out_path && !(out = fopen(out_path, "w"))) {
        fprintf(stderr, "heaplab-cost: cannot write out='%s': %s\n", out_path,
                strerror(errno));
        return -1;
    }
    if (hist_path) {
        op_cycles = malloc(sizeof *op_cycles);
        op_insns = malloc(sizeof *op_insns);
        if (!op_cycles || !op_insns) {
            fprintf(stderr, "heaplab-cost: cannot set up the per-op histograms\n");
            return -1;
        }
        hl_hist_reset(op_cycles);
        hl_hist_reset(op_insns);
        if (!(hist_out = fopen(hist_path, "w"))) {
            fprintf(stderr, "heaplab-cost: cannot write hist='%s': %s\n", hist_path,
                    strerror(errno));
            return -1;
        }
        hist_header();
    }
    if (info->system_emulation && info->system.smp_vcpus > 1)
        fprintf(stderr, "heaplab-cost: warning: %d vCPUs share one core model\n",
                info->system.smp_vcpus);
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_atexit, NULL);
    return 0;
}
