/*
 * modelled.c — the modelled clock's host side, shared by the host's cells
 * (spawn.c) and the kernel's (qemu.c): see modelled.h and docs/model.md.
 */
#define _GNU_SOURCE
#include "bench/host/modelled.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/core/cachemodel.h"
#include "bench/core/columns.h"
#include "bench/core/hist.h"
#include "bench/host/cli.h"
#include "bench/host/csvline.h"
#include "bench/host/lineproto.h"
#include "bench/host/qemu.h"

/* This build's cost plugin (bench/host/CMakeLists.txt); "" if none. */
#ifndef HEAPLAB_COST_PLUGIN_SO
#define HEAPLAB_COST_PLUGIN_SO ""
#endif

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, R_OK) == 0;
}

bool model_check(const char *model, char *err, size_t cap)
{
    if (hl_cm_preset(model))
        return true;
    char list[200] = "";
    for (size_t i = 0; hl_cm_preset_at(i); i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                 hl_cm_preset_at(i)->name);
    cli_say(err, cap, "bad value for --model: '%s' (presets: %s)", model, list);
    return false;
}

bool model_use(struct model_ctx *m, const char *model, char *err, size_t cap)
{
    if (!model_check(model, err, cap))
        return false;
    const char *env = getenv(MODEL_ENV_PLUGIN);
    char path[PATH_MAX] = "";
    if (env && *env) {
        if (!is_file(env)) {
            cli_say(err, cap, "%s=%s is not a readable file", MODEL_ENV_PLUGIN, env);
            return false;
        }
        cli_copy_str(path, sizeof path, env);
    } else {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        char *slash = n > 0 ? (exe[n] = '\0', strrchr(exe, '/')) : NULL;
        static const char rel[] = "/../lib/heaplab/heaplab-cost.so";
        if (slash && (size_t)(slash - exe) + sizeof rel <= sizeof path) {
            memcpy(path, exe, (size_t)(slash - exe));
            memcpy(path + (slash - exe), rel, sizeof rel);
        }
        if (!path[0] || !is_file(path))
            cli_copy_str(path, sizeof path, HEAPLAB_COST_PLUGIN_SO);
        if (!path[0] || !is_file(path)) {
            cli_say(err, cap, "--clock modelled needs heaplab-cost.so (build the target "
                "heaplab-cost, or set %s)", MODEL_ENV_PLUGIN);
            return false;
        }
    }
    cli_copy_str(m->plugin, sizeof m->plugin, path);
    cli_copy_str(m->model, sizeof m->model, model);
    return true;
}

bool model_use_qemu_user(struct model_ctx *m, char *err, size_t cap)
{
    const char *env = getenv(MODEL_ENV_QEMU_USER);
    if (!cli_find_program(MODEL_QEMU_USER_NAME, MODEL_ENV_QEMU_USER, m->qemu_user,
                          sizeof m->qemu_user)) {
        if (env && *env)
            cli_say(err, cap, "%s=%s is not executable", MODEL_ENV_QEMU_USER, env);
        else
            cli_say(err, cap, "--clock modelled on the host needs %s (apt-get install "
                "qemu-user; or set %s)", MODEL_QEMU_USER_NAME, MODEL_ENV_QEMU_USER);
        m->qemu_user[0] = '\0';
        return false;
    }
    qemu_read_version(m->qemu_user, m->qemu_user_version, sizeof m->qemu_user_version);
    if (!m->qemu_user_version[0])
        cli_copy_str(m->qemu_user_version, sizeof m->qemu_user_version, "unknown");
    return true;
}

bool model_plugin_arg(const struct model_ctx *m, const char *report, char *out, size_t cap)
{
    if (!m->plugin[0] || strchr(m->plugin, ',') || strchr(report, ','))
        return false;
    char hist[PATH_MAX + 80];
    if (!model_perop_path(report, hist, sizeof hist))
        return false;
    int n = snprintf(out, cap, "%s,model=%s,out=%s,hist=%s", m->plugin, m->model, report, hist);
    return n > 0 && (size_t)n < cap;
}

bool model_perop_path(const char *report, char *out, size_t cap)
{
    size_t len = strlen(report);
    if (len < 4 || strcmp(report + len - 4, ".csv") || len + 6 >= cap)
        return false;
    snprintf(out, cap, "%.*s.perop.csv", (int)(len - 4), report);
    return true;
}

size_t model_cachesim_args(const struct model_ctx *m, char buf[][64], char **argv)
{
    const struct hl_cm_config *c = hl_cm_preset(m->model);
    static const struct {
        int level;
        const char *opt;
    } map[] = {{HL_CM_L1I, "--I1"}, {HL_CM_L1D, "--D1"}, {HL_CM_LLC, "--LL"}};
    size_t k = 0;
    snprintf(buf[k], 64, "--cache-sim=yes");
    argv[k] = buf[k];
    k++;
    for (size_t i = 0; c && i < sizeof map / sizeof map[0]; i++) {
        const struct hl_cm_geom *g = &c->level[map[i].level];
        if (!g->sets)
            continue;
        snprintf(buf[k], 64, "%s=%" PRIu64 ",%" PRIu32 ",%" PRIu32, map[i].opt,
                 (uint64_t)g->sets * g->ways * g->line_bytes, g->ways, g->line_bytes);
        argv[k] = buf[k];
        k++;
    }
    return k;
}

void model_write_meta(const struct model_ctx *mc, int meta_fd)
{
    /* The modelled clock's instrument: one line per fact. */
    const struct hl_cm_config *m = hl_cm_preset(mc->model);
    static const char *const names[HL_CM_NLEVELS] = {"model_l1i", "model_l1d", "model_l2",
                                                     "model_llc", "model_dtlb"};
    res_meta(meta_fd, "model", m->name);
    res_meta(meta_fd, "model_source", m->source);
    res_meta(meta_fd, "model_plugin", mc->plugin);
    for (int i = 0; i < HL_CM_NLEVELS; i++) {
        const struct hl_cm_geom *g = &m->level[i];
        uint64_t bytes = (uint64_t)g->sets * g->ways * g->line_bytes;
        if (!g->sets)
            res_meta(meta_fd, names[i], "none");
        else if (i == HL_CM_DTLB)
            res_metaf(meta_fd, names[i], "%" PRIu32 " entries %" PRIu32 "-way %" PRIu32
                      " B pages miss %" PRIu32 " cycles", g->sets * g->ways, g->ways,
                      g->line_bytes, m->dtlb_miss_cycles);
        else
            res_metaf(meta_fd, names[i], "%" PRIu64 " B %" PRIu32 "-way %" PRIu32
                      " B lines %" PRIu32 " cycles", bytes, g->ways, g->line_bytes,
                      g->latency_cycles);
    }
    res_metaf(meta_fd, "model_dram_cycles", "%" PRIu32, m->dram_cycles);
    res_meta(meta_fd, "model_inclusive_llc", m->inclusive_llc ? "yes" : "no");
    res_meta(meta_fd, "model_formula",
             "cycles = instructions + sum of lookups x latency of the level that served "
             "them + dtlb misses x dtlb miss cycles (docs/model.md)");
    if (mc->qemu_user[0]) {
        res_meta(meta_fd, "model_qemu_user", mc->qemu_user);
        res_meta(meta_fd, "model_qemu_user_version", mc->qemu_user_version);
    }
}

/* The index of name in the header's n fields, or -1. */
static int col_of(char **f, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(f[i], name))
            return i;
    return -1;
}

/* One of the plugin's CSV files (the report, the per-op histograms), row
 * by row: comments and blank lines skipped, columns found by name in the
 * header. */
struct plugin_csv {
    FILE *fp;
    const char *path, *what;
    unsigned long lineno;
    int maxc; /* the last column a row needs */
    char line[1024];
    char *f[32];
    int n;
};

/* The next line that is neither a comment nor blank, split into r->f
 * (r->n fields, -1 if it is not one CSV row of at most 32); false at
 * the end. */
static bool pcsv_line(struct plugin_csv *r)
{
    while (fgets(r->line, sizeof r->line, r->fp)) {
        r->lineno++;
        r->line[strcspn(r->line, "\r\n")] = '\0';
        if (r->line[0] == '#' || !r->line[0])
            continue;
        r->n = csv_split(r->line, r->f, 32);
        return true;
    }
    return false;
}

/* Open path and find want[0 .. nwant) in its header (col[i] their
 * indexes).  false with why (one line). */
static bool pcsv_open(struct plugin_csv *r, const char *path, const char *what,
                      const char *const *want, int nwant, int *col, char *why, size_t cap)
{
    *r = (struct plugin_csv){.path = path, .what = what};
    if (!(r->fp = fopen(path, "r"))) {
        cli_say(why, cap, "no %s at %s: %s", what, path, strerror(errno));
        return false;
    }
    if (pcsv_line(r)) {
        for (int c = 0; c < nwant; c++) {
            if ((col[c] = col_of(r->f, r->n, want[c])) < 0) {
                cli_say(why, cap, "%s %s: no column %s (rebuild the plugin)", what, path,
                        want[c]);
                fclose(r->fp);
                return false;
            }
            if (col[c] > r->maxc)
                r->maxc = col[c];
        }
        return true;
    }
    cli_say(why, cap, "%s %s: no header", what, path);
    fclose(r->fp);
    return false;
}

/* The next row in r->f (r->n fields, at least every wanted column): 1;
 * 0 at the end; -1 with why if the row is not one. */
static int pcsv_next(struct plugin_csv *r, char *why, size_t cap)
{
    if (pcsv_line(r)) {
        if (r->n <= r->maxc) {
            cli_say(why, cap, "%s %s line %lu: %s", r->what, r->path, r->lineno,
                    r->n < 0 ? "not one CSV row of at most 32 fields" : "too few fields");
            return -1;
        }
        return 1;
    }
    return 0;
}

bool model_read(const char *path, const char *model, uint32_t nreps,
                     const uint64_t *repeats, struct model_sum *main_sum,
                     struct model_sum *floor_sum, char *why, size_t cap)
{
    enum { C_SCOPE, C_MODEL, C_INSN, C_L1D, C_L2, C_LLC, C_DTLB, C_CYC, C_LABEL, C_N };
    static const char *const want[C_N] = {"scope", "model", "instructions", "l1d_misses",
                                          "l2_misses", "llc_misses", "dtlb_misses",
                                          "modelled_cycles", "label"};
    int col[C_N];
    struct plugin_csv in;
    if (!pcsv_open(&in, path, "cost plugin report", want, C_N, col, why, cap))
        return false;
    bool ok = true;
    uint32_t rep = 0;
    uint64_t k = 0; /* regions taken of rep */
    int got;
    memset(main_sum, 0, nreps * sizeof *main_sum);
    memset(floor_sum, 0, nreps * sizeof *floor_sum);
    while (ok && (got = pcsv_next(&in, why, cap)) > 0) {
        char **f = in.f;
        unsigned long lineno = in.lineno;
        if (!strcmp(f[col[C_SCOPE]], "all"))
            continue;
        if (strcmp(f[col[C_SCOPE]], "region")) {
            cli_say(why, cap, "cost plugin report %s line %lu: a %s region", path, lineno,
                f[col[C_SCOPE]]);
            ok = false;
            break;
        }
        if (strcmp(f[col[C_MODEL]], model)) {
            cli_say(why, cap, "cost plugin report %s: model %s, not %s", path, f[col[C_MODEL]],
                model);
            ok = false;
            break;
        }
        while (rep < nreps && repeats[rep] == 0)
            rep++;
        const char *expect = rep < nreps && k < repeats[rep] ? "main" : "floor";
        if (rep >= nreps || strcmp(f[col[C_LABEL]], expect)) {
            cli_say(why, cap, "cost plugin report %s line %lu: a %s region where %s", path,
                lineno, f[col[C_LABEL]], rep >= nreps ? "none was expected" : expect);
            ok = false;
            break;
        }
        struct model_sum *t = !strcmp(expect, "main") ? &main_sum[rep] : &floor_sum[rep];
        t->regions++;
        t->instructions += strtoull(f[col[C_INSN]], NULL, 10);
        t->l1d += strtoull(f[col[C_L1D]], NULL, 10);
        t->l2 += strtoull(f[col[C_L2]], NULL, 10);
        t->llc += strtoull(f[col[C_LLC]], NULL, 10);
        t->dtlb += strtoull(f[col[C_DTLB]], NULL, 10);
        t->cycles += strtoull(f[col[C_CYC]], NULL, 10);
        if (++k == 2 * repeats[rep]) {
            rep++;
            k = 0;
        }
    }
    ok = ok && got == 0;
    fclose(in.fp);
    while (ok && rep < nreps && repeats[rep] == 0)
        rep++;
    if (ok && rep < nreps) {
        cli_say(why, cap, "cost plugin report %s: regions of %u of %u reps", path, rep, nreps);
        ok = false;
    }
    return ok;
}

/* Where a modelled cell's plugin report goes: DIR/model/<allocator>.<workload>.<hash>.csv,
 * the hash (FNV-1a, 32 bits) over the cell's params, allocator params and
 * sweep, so that sweep points and parameter sets get files of their own.
 * false if the folder cannot be made or the path does not fit. */
bool model_report_path(const struct run_ctx *rc, const struct cell_plan *p, const char *env,
                       char *out, size_t cap)
{
    char sub[PATH_MAX];
    if ((size_t)snprintf(sub, sizeof sub, "%s/model", rc->dir) >= sizeof sub ||
        (mkdir(sub, 0777) != 0 && errno != EEXIST))
        return false;
    uint32_t h = 2166136261u;
    const char *parts[] = {p->params_text, "|", p->aparams_text, "|", p->sweep};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        for (const char *c = parts[i]; *c; c++)
            h = (h ^ (uint8_t)*c) * 16777619u;
    int n = snprintf(out, cap, "%s/%s.%s.%s.%08" PRIx32 ".csv", sub, env, p->ca.a->name,
                     p->w->name, h);
    return n > 0 && (size_t)n < cap && !strchr(out, ',');
}

void model_per_op_text(char *buf, size_t cap, uint64_t a, uint64_t b, uint64_t ops)
{
    uint64_t d = a >= b ? a - b : b - a;
    uint64_t milli = ops ? d * 1000 / ops : 0;
    snprintf(buf, cap, "%s%" PRIu64 ".%03" PRIu64, a < b && milli ? "-" : "", milli / 1000,
             milli % 1000);
}

/* Append field text to d, quoted as RFC 4180 wants, after a comma unless
 * first. */
static void csv_field(struct dbuf *d, const char *text, bool first)
{
    if (!first)
        dbuf_add(d, ",", 1);
    if (!strpbrk(text, ",\"\r\n")) {
        dbuf_add(d, text, strlen(text));
        return;
    }
    dbuf_add(d, "\"", 1);
    for (const char *c = text; *c; c++)
        dbuf_add(d, *c == '"' ? "\"\"" : c, *c == '"' ? 2 : 1);
    dbuf_add(d, "\"", 1);
}

/* The per-op histograms of a cell (the plugin's hist=FILE, docs/model.md
 * "Per-op histograms"): per-op region r + 1 is rep r's PEROP pass; its
 * modelled_cycles buckets go into h[r], whose count must be ops[r].
 * false with why (one line) if the file is missing or malformed, or its
 * regions do not match the reps. */
static bool model_read_perop(const char *path, const char *model, uint32_t nreps,
                             const uint64_t *ops, struct hl_hist *h, char *why, size_t cap)
{
    enum { P_SCOPE, P_REGION, P_MODEL, P_METRIC, P_LO, P_HI, P_COUNT, P_N };
    static const char *const want[P_N] = {"scope", "region", "model", "metric",
                                          "bucket_lo", "bucket_hi", "count"};
    int col[P_N];
    struct plugin_csv in;
    if (!pcsv_open(&in, path, "per-op histograms", want, P_N, col, why, cap))
        return false;
    bool ok = true;
    for (uint32_t r = 0; r < nreps; r++)
        hl_hist_reset(&h[r]);
    uint32_t totals = 0;
    int got;
    while (ok && (got = pcsv_next(&in, why, cap)) > 0) {
        char **f = in.f;
        unsigned long lineno = in.lineno;
        if (strcmp(f[col[P_METRIC]], "modelled_cycles"))
            continue;
        unsigned long region = strtoul(f[col[P_REGION]], NULL, 10);
        if (region < 1 || region > nreps || strcmp(f[col[P_MODEL]], model)) {
            cli_say(why, cap, "per-op histograms %s line %lu: region %s of model %s (%u reps "
                    "of %s)", path, lineno, f[col[P_REGION]], f[col[P_MODEL]], nreps, model);
            ok = false;
            break;
        }
        struct hl_hist *hr = &h[region - 1];
        uint64_t count = strtoull(f[col[P_COUNT]], NULL, 10);
        if (!strcmp(f[col[P_SCOPE]], "total")) {
            totals++;
            if (count != hr->count || count != ops[region - 1]) {
                cli_say(why, cap, "per-op histograms %s region %lu: %" PRIu64 " ops, %" PRIu64
                        " in its buckets, %" PRIu64 " in the row", path, region, count,
                        hr->count, ops[region - 1]);
                ok = false;
            }
            continue;
        }
        uint64_t lo = strtoull(f[col[P_LO]], NULL, 10), hi = strtoull(f[col[P_HI]], NULL, 10);
        unsigned i = hl_hist_bucket_index(lo);
        if (strcmp(f[col[P_SCOPE]], "bucket") || hl_hist_bucket_lo(i) != lo ||
            hl_hist_bucket_hi(i) != hi || !count) {
            cli_say(why, cap, "per-op histograms %s line %lu: not a bucket of hist.h", path,
                    lineno);
            ok = false;
            break;
        }
        hr->buckets[i] += count;
        hr->count += count;
        if (lo < hr->min)
            hr->min = lo;
        if (hi > hr->max)
            hr->max = hi;
    }
    ok = ok && got == 0;
    fclose(in.fp);
    if (ok && totals != nreps) {
        cli_say(why, cap, "per-op histograms %s: %u per-op regions for %u reps", path, totals,
                nreps);
        ok = false;
    }
    return ok;
}

/* The held rows of a modelled cell (cellrows.h's hold: the kernel's
 * icount rows, one per rep) with their cost columns from the plugin's
 * report at path; appended to cells.csv.  The latency and timeline rows
 * are dropped: the modelled clock has no per-op figures yet, and the
 * space figures stay in the cells row.  false with why if the report
 * does not fit the rows (then nothing is appended). */
bool model_finish(const struct run_ctx *rc, const struct model_ctx *m, struct cell_rows *t,
                  const char *path, char *why, size_t cap)
{
    uint32_t nreps = t->out->delivered;
    struct lp_line *l = calloc(nreps ? nreps : 1, sizeof *l);
    uint64_t *repeats = calloc(nreps + 1, sizeof *repeats);
    struct model_sum *ms = calloc(nreps + 1, sizeof *ms);
    struct model_sum *fs = calloc(nreps + 1, sizeof *fs);
    uint64_t *ops = calloc(nreps + 1, sizeof *ops);
    struct hl_hist *hists = calloc(nreps + 1, sizeof *hists);
    if (!l || !repeats || !ms || !fs || !ops || !hists)
        cli_fail("out of memory");
    bool ok = true;
    char *rows = t->held_cells.p;
    for (uint32_t r = 0; r < nreps && ok; r++) {
        char *end = rows ? strchr(rows, '\n') : NULL;
        if (!end) {
            cli_say(why, cap, "%u held cells rows for %u reps", r, nreps);
            ok = false;
            break;
        }
        char text[LP_LINE_MAX + 1];
        int len = snprintf(text, sizeof text, "@HL cell,%.*s", (int)(end - rows), rows);
        rows = end + 1;
        if (len < 0 || (size_t)len >= sizeof text ||
            lp_parse(text, (size_t)len, 0, &l[r]) != LP_PROTO ||
            l[r].nfields != 1 + CELL_COLUMNS) {
            cli_say(why, cap, "a held cells row could not be read again");
            ok = false;
            break;
        }
        repeats[r] = strtoull(l[r].fields[1 + COL_STREAM_REPEATS], NULL, 10);
        ops[r] = strtoull(l[r].fields[1 + COL_OPS], NULL, 10);
    }
    ok = ok && model_read(path, m->model, nreps, repeats, ms, fs, why, cap);
    char hist_path[PATH_MAX + 80];
    if (ok && !model_perop_path(path, hist_path, sizeof hist_path)) {
        cli_say(why, cap, "no room for the per-op histograms' path beside %s", path);
        ok = false;
    }
    ok = ok && model_read_perop(hist_path, m->model, nreps, ops, hists, why, cap);
    struct dbuf out = {0};
    for (uint32_t r = 0; r < nreps && ok; r++) {
        char **f = l[r].fields + 1;
        uint64_t ops = strtoull(f[COL_OPS], NULL, 10) * (repeats[r] ? repeats[r] : 1);
        char v[12][32];
        model_per_op_text(v[0], sizeof v[0], ms[r].cycles, fs[r].cycles, ops);
        model_per_op_text(v[1], sizeof v[1], ms[r].cycles, 0, ops);
        model_per_op_text(v[2], sizeof v[2], fs[r].cycles, 0, ops);
        model_per_op_text(v[3], sizeof v[3], ms[r].l1d, fs[r].l1d, ops);
        model_per_op_text(v[4], sizeof v[4], ms[r].l2, fs[r].l2, ops);
        model_per_op_text(v[5], sizeof v[5], ms[r].llc, fs[r].llc, ops);
        model_per_op_text(v[6], sizeof v[6], ms[r].dtlb, fs[r].dtlb, ops);
        f[COL_CLOCK] = MODEL_CLOCK;
        f[COL_CYCLES_PER_OP] = v[0];
        f[COL_RAW_CYCLES_PER_OP] = v[1];
        f[COL_HARNESS_FLOOR] = v[2];
        f[COL_TIMER_OVERHEAD] = "0";
        /* per call, modelled cycles, nothing subtracted (the PEROP
         * pass's modelled variant: no clock between its markers) */
        static const uint32_t q_ppm[5] = {500000, 900000, 990000, 999000, 1000000};
        static const int q_col[5] = {COL_P50, COL_P90, COL_P99, COL_P999, COL_MAX};
        for (int q = 0; q < 5; q++) {
            snprintf(v[7 + q], sizeof v[7 + q], "%" PRIu64, hl_hist_quantile(&hists[r], q_ppm[q]));
            f[q_col[q]] = v[7 + q];
        }
        f[COL_L1D_MISSES_PER_OP] = v[3];
        f[COL_L2_MISSES_PER_OP] = v[4];
        f[COL_LLC_MISSES_PER_OP] = v[5];
        f[COL_DTLB_MISSES_PER_OP] = v[6];
        for (int c = 0; c < CELL_COLUMNS; c++)
            csv_field(&out, f[c], c == 0);
        dbuf_add(&out, "\n", 1);
        struct rep_fig *fig = &t->out->reps[strtoul(f[COL_REP], NULL, 10)];
        fig->cycles_per_op = strtod(v[0], NULL);
        fig->p99 = (double)hl_hist_quantile(&hists[r], 990000);
        dbuf_addf(&t->out->probes, "%smodel_rep%s_main_instructions=%" PRIu64 "\n",
                  t->probe_prefix, f[COL_REP], ms[r].instructions);
        dbuf_addf(&t->out->probes, "%smodel_rep%s_floor_instructions=%" PRIu64 "\n",
                  t->probe_prefix, f[COL_REP], fs[r].instructions);
    }
    /* The leak rows (the WARMUP pass's, as for icount) with their clock. */
    struct dbuf leaks = {0};
    for (char *row = t->held_leaks.p, *end; ok && row && (end = strchr(row, '\n'));
         row = end + 1) {
        char text[LP_LINE_MAX + 1];
        int len = snprintf(text, sizeof text, "@HL leak,%.*s", (int)(end - row), row);
        if (len < 0 || (size_t)len >= sizeof text || lp_parse(text, (size_t)len, 0, l) != LP_PROTO ||
            l->nfields != 1 + LEAKS_COLUMNS)
            continue; /* taken once already: cannot happen */
        l->fields[1 + LEAK_CLOCK] = MODEL_CLOCK;
        for (int c = 0; c < LEAKS_COLUMNS; c++)
            csv_field(&leaks, l->fields[1 + c], c == 0);
        dbuf_add(&leaks, "\n", 1);
    }
    if (ok && leaks.len && rc->f.leaks > 0)
        res_write(rc->f.leaks, leaks.p, leaks.len, "leaks.csv");
    dbuf_free(&leaks);
    if (ok && out.len) {
        struct dbuf none = {0};
        struct dbuf none2 = {0};
        run_append_rep(rc, &out, &none, &none2);
    }
    dbuf_free(&out);
    free(l);
    free(repeats);
    free(ms);
    free(fs);
    free(ops);
    free(hists);
    return ok;
}

bool model_settle(const struct run_ctx *rc, struct cell_rows *t, const char *path, bool *clean,
                  struct cell_outcome *out)
{
    bool failed = *clean && !model_finish(rc, rc->model, t, path, out->why, sizeof out->why);
    if (!*clean || failed)
        out->delivered = 0;
    if (failed) {
        *clean = false;
        out->end = "error";
    }
    return failed;
}
