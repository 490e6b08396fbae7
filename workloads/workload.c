/*
 * workload.c — the workload registry, parameter text (parse/format, with
 * our own decimal routines: no strtoul, no snprintf), generator setup and
 * the workload checksum.  Freestanding.
 *
 * The generators themselves live in churn.c (steady live sets: churn-*,
 * plateau, frames-*) and batch.c (build-up then release: lifo, fifo,
 * random-free, ramp, peak).
 */
#include "workloads/workload.h"

#include "workloads/wl_internal.h"

extern const struct wl_def wl_churn_fixed, wl_churn_uniform, wl_churn_powerlaw,
    wl_lifo, wl_fifo, wl_random_free, wl_ramp, wl_peak, wl_plateau,
    wl_frames_churn, wl_frames_orders, wl_vm_touch, wl_vm_remap;

const struct hl_workload *const hl_workloads[] = {
    &wl_churn_fixed.pub,  &wl_churn_uniform.pub, &wl_churn_powerlaw.pub,
    &wl_lifo.pub,         &wl_fifo.pub,          &wl_random_free.pub,
    &wl_ramp.pub,         &wl_peak.pub,          &wl_plateau.pub,
    &wl_frames_churn.pub, &wl_frames_orders.pub, &wl_vm_touch.pub,
    &wl_vm_remap.pub,     NULL,
};

/* ---- small string helpers (no libc) --------------------------------------- */

const struct hl_workload *hl_workload_find(const char *name)
{
    if (!name)
        return NULL;
    size_t n = hl_strlen(name);
    for (size_t i = 0; hl_workloads[i]; i++)
        if (hl_span_eq(name, n, hl_workloads[i]->name))
            return hl_workloads[i];
    return NULL;
}

static int wl_param_index_n(const struct hl_workload *w, const char *name,
                            size_t n)
{
    for (unsigned i = 0; i < w->nparams; i++)
        if (hl_span_eq(name, n, w->params[i].name))
            return (int)i;
    return -1;
}

int hl_wl_param_index(const struct hl_workload *w, const char *name)
{
    return name ? wl_param_index_n(w, name, hl_strlen(name)) : -1;
}

void hl_wl_defaults(const struct hl_workload *w, struct hl_wl_params *p)
{
    for (unsigned i = 0; i < HL_WL_MAX_PARAMS; i++)
        p->v[i] = i < w->nparams ? w->params[i].def : 0;
}

int hl_wl_validate(const struct hl_workload *w, const struct hl_wl_params *p,
                   const char **err, int *bad_index)
{
    const char *msg = NULL;
    int bad = -1;
    for (unsigned i = 0; i < w->nparams && !msg; i++) {
        if (p->v[i] < w->params[i].min || p->v[i] > w->params[i].max) {
            msg = "value out of range";
            bad = (int)i;
        }
    }
    int imin = hl_wl_param_index(w, "min"), imax = hl_wl_param_index(w, "max");
    if (!msg && imin >= 0 && imax >= 0 && p->v[imin] > p->v[imax]) {
        msg = "min is greater than max";
        bad = imax;
    }
    if (err)
        *err = msg;
    if (bad_index)
        *bad_index = bad;
    return msg ? -1 : 0;
}

/* ---- parse ------------------------------------------------------------------ */

int hl_wl_parse(const struct hl_workload *w, const char *text,
                struct hl_wl_params *p, const char **err, size_t *err_at)
{
    struct hl_wl_params out;
    size_t at[HL_WL_MAX_PARAMS] = {0}; /* where each given value starts */
    bool seen[HL_WL_MAX_PARAMS] = {false};
    const char *msg = NULL;
    size_t pos = 0, bad_at = 0;

    hl_wl_defaults(w, &out);
    if (!text)
        text = "";
    size_t len = hl_strlen(text);
    while (len > 0 && !msg) { /* one "name=value" item per round */
        size_t end = pos;
        while (end < len && text[end] != ',')
            end++;
        size_t eq = pos;
        while (eq < end && text[eq] != '=')
            eq++;
        bad_at = pos;
        int idx;
        if (eq == pos) {
            msg = eq == end ? "empty item (expected name=value)"
                            : "empty parameter name";
        } else if (eq == end) {
            msg = "expected name=value";
        } else if ((idx = wl_param_index_n(w, text + pos, eq - pos)) < 0) {
            msg = "unknown parameter";
        } else if (seen[idx]) {
            msg = "duplicate parameter";
        } else {
            bad_at = eq + 1;
            msg = hl_parse_u64(text + eq + 1, end - eq - 1, &out.v[idx]);
            if (!msg && (out.v[idx] < w->params[idx].min ||
                         out.v[idx] > w->params[idx].max))
                msg = "value out of range";
            seen[idx] = true;
            at[idx] = eq + 1;
        }
        if (end == len)
            break;
        pos = end + 1;
        if (pos == len && !msg) { /* a trailing comma */
            bad_at = pos;
            msg = "empty item (expected name=value)";
        }
    }
    if (!msg) {
        int bad;
        if (hl_wl_validate(w, &out, &msg, &bad) != 0)
            bad_at = seen[bad] ? at[bad] : 0;
    }
    if (msg) {
        if (err)
            *err = msg;
        if (err_at)
            *err_at = bad_at;
        return -1;
    }
    *p = out;
    if (err)
        *err = NULL;
    return 0;
}

/* ---- format ----------------------------------------------------------------- */

/* Append s to buf (capacity cap, NUL kept room for) at *len. */
static void wl_put(char *buf, size_t cap, size_t *len, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++, (*len)++)
        if (*len + 1 < cap)
            buf[*len] = s[i];
}

static void wl_put_u64(char *buf, size_t cap, size_t *len, uint64_t v)
{
    char digits[20];
    size_t n = 0;
    do { /* 64-bit /10 pulls __udivdi3 on i386: fine, not per op */
        digits[sizeof digits - 1 - n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    wl_put(buf, cap, len, digits + sizeof digits - n, n);
}

size_t hl_wl_format(const struct hl_workload *w, const struct hl_wl_params *p,
                    char *buf, size_t cap)
{
    size_t len = 0;
    for (unsigned i = 0; i < w->nparams; i++) {
        if (i)
            wl_put(buf, cap, &len, ",", 1);
        wl_put(buf, cap, &len, w->params[i].name, hl_strlen(w->params[i].name));
        wl_put(buf, cap, &len, "=", 1);
        wl_put_u64(buf, cap, &len, p->v[i]);
    }
    if (cap)
        buf[len < cap ? len : cap - 1] = '\0';
    return len;
}

/* ---- generators, checksum, scaling --------------------------------------- */

void hl_wl_init(struct hl_wl_gen *g, const struct hl_workload *w,
                const struct hl_wl_params *p, uint64_t seed, void *scratch,
                size_t scratch_bytes)
{
    HL_ASSERT(scratch_bytes >= w->scratch_bytes(p));
    HL_ASSERT(((uintptr_t)scratch & 7u) == 0);
    g->w = w;
    g->p = *p;
    g->seed = seed;
    g->scratch = scratch;
    g->scratch_bytes = scratch_bytes;
    w->start(g);
}

/* FNV-1a 64 over n bytes of v, least significant first. */
static uint64_t wl_fnv_le(uint64_t h, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        h ^= (uint8_t)(v >> (8u * i));
        h *= 0x100000001b3ull;
    }
    return h;
}

uint64_t hl_wl_checksum_op(uint64_t h, const struct hl_op *op)
{
    h = wl_fnv_le(h, (uint32_t)op->kind | (uint32_t)op->align_log2 << 8 |
                         (uint32_t)op->thread << 16, 4);
    h = wl_fnv_le(h, op->slot, 4);
    return wl_fnv_le(h, op->bytes, 8);
}

uint64_t hl_wl_checksum(const struct hl_workload *w,
                        const struct hl_wl_params *p, uint64_t seed,
                        void *scratch, size_t scratch_bytes)
{
    struct hl_wl_gen g;
    struct hl_op op;
    uint64_t h = HL_WL_CHECKSUM0;
    hl_wl_init(&g, w, p, seed, scratch, scratch_bytes);
    while (w->next(&g, &op))
        h = hl_wl_checksum_op(h, &op);
    return h;
}

uint64_t hl_wl_peak_live_bytes(const struct hl_workload *w,
                               const struct hl_wl_params *p, uint64_t seed,
                               void *scratch, size_t scratch_bytes,
                               uint64_t *slot_bytes, uint64_t nslots)
{
    struct hl_wl_gen g;
    struct hl_op op;
    uint64_t live = 0, peak = 0;
    for (uint64_t i = 0; i < nslots; i++)
        slot_bytes[i] = 0;
    hl_wl_init(&g, w, p, seed, scratch, scratch_bytes);
    while (w->next(&g, &op)) {
        if (op.slot >= nslots)
            continue; /* cannot happen for a registered workload */
        live -= slot_bytes[op.slot];
        slot_bytes[op.slot] = op.kind == HL_OP_FREE ? 0 : op.bytes;
        live += slot_bytes[op.slot];
        if (live > peak)
            peak = live;
    }
    return peak;
}

void hl_wl_scale_ops(const struct hl_workload *w, struct hl_wl_params *p,
                     uint64_t ops)
{
    wl_def_of(w)->scale(p, ops);
    for (unsigned i = 0; i < w->nparams; i++)
        p->v[i] = wl_clamp(p->v[i], w->params[i].min, w->params[i].max);
}

/* Shared by every generator: the common part of start(). */
void wl_start_common(struct hl_wl_gen *g)
{
    hl_wl_rng_seed(g->rng, g->seed);
    g->emitted = 0;
    g->total = g->w->total_ops(&g->p);
    g->phase = g->i = g->j = g->k = 0;
}

const char *const hl_wl_default_sweeps[HL_WL_NDEFAULT_SWEEPS] = {
    "churn-fixed:live=16,64,256,1024,4096",
    "frames-churn:occupancy=25,50,75,90,99",
};

uint64_t hl_wl_region_bytes(const struct hl_workload *w,
                            const struct hl_wl_params *p)
{
    if (!w->peak_frame_bytes)
        return 0;
    return hl_wl_region_for(w->peak_frame_bytes(p));
}

uint64_t hl_wl_region_for(uint64_t peak)
{
    return peak + peak / 64u + ((uint64_t)16 << 20);
}
