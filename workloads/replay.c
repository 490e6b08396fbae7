/*
 * replay.c — a recorded trace as a workload (replay.h).  Freestanding.
 */
#include "workloads/replay.h"

#include "workloads/wl_internal.h"

static uint64_t replay_slots(const struct hl_wl_params *p)
{
    return p->v[HL_WL_REPLAY_SLOTS];
}

static size_t replay_scratch_bytes(const struct hl_wl_params *p)
{
    (void)p;
    return 0; /* the stream is the trace: nothing to keep */
}

static uint64_t replay_total_ops(const struct hl_wl_params *p)
{
    return p->v[HL_WL_REPLAY_OPS];
}

/* The most live bytes the trace asks for at once: the region's bound. */
static uint64_t replay_peak_bytes(const struct hl_wl_params *p)
{
    return p->v[HL_WL_REPLAY_PEAK];
}

static void replay_start(struct hl_wl_gen *g)
{
    g->emitted = 0;
    g->total = g->p.v[HL_WL_REPLAY_OPS];
    g->phase = g->i = g->j = g->k = 0;
}

static bool replay_next(struct hl_wl_gen *g, struct hl_op *op)
{
    const struct hl_wl_replay *r = hl_wl_replay_of(g->w);
    if (g->emitted >= r->nops)
        return false;
    *op = r->ops[g->emitted++];
    return true;
}

static void fixed_param(struct hl_wl_param *p, const char *name, const char *unit,
                        const char *summary, uint64_t v)
{
    *p = (struct hl_wl_param){.name = name, .unit = unit, .summary = summary,
                              .def = v, .min = v, .max = v};
}

void hl_wl_replay_init(struct hl_wl_replay *r, const char *name, size_t name_len,
                       const struct hl_trace *t)
{
    hl_memset(r, 0, sizeof *r);
    size_t n = 0;
    for (const char *s = HL_WL_REPLAY_PREFIX; *s; s++)
        r->name[n++] = *s;
    for (size_t i = 0; i < name_len && n + 1 < sizeof r->name; i++)
        r->name[n++] = name[i];
    r->name[n] = '\0';
    r->ops = t->ops;
    r->nops = t->nops;
    r->st = t->st;
    r->nthreads = t->h.nthreads;
    struct hl_workload *w = &r->pub;
    w->name = r->name;
    w->summary = "a recorded trace, replayed op for op in its recorded order";
    w->family = HL_FAMILY_HEAP;
    w->nparams = 4;
    fixed_param(&w->params[HL_WL_REPLAY_OPS], "ops", "ops", "ops in the trace", t->nops);
    fixed_param(&w->params[HL_WL_REPLAY_SLOTS], "slots", "slots",
                "slots of the trace (most blocks live at once)", t->h.nslots);
    fixed_param(&w->params[HL_WL_REPLAY_PEAK], "peak", "bytes",
                "peak live bytes of the trace", t->st.peak_live_bytes);
    fixed_param(&w->params[HL_WL_REPLAY_CHECKSUM], "checksum", "",
                "the trace header's checksum of its ops", t->h.checksum);
    w->slots = replay_slots;
    w->scratch_bytes = replay_scratch_bytes;
    w->total_ops = replay_total_ops;
    w->peak_frame_bytes = replay_peak_bytes;
    w->start = replay_start;
    w->next = replay_next;
}

bool hl_wl_is_replay(const struct hl_workload *w)
{
    return w && w->next == replay_next;
}

const struct hl_wl_replay *hl_wl_replay_of(const struct hl_workload *w)
{
    HL_ASSERT(hl_wl_is_replay(w));
    return (const struct hl_wl_replay *)(const void *)w;
}

/* Does s[0, n) end with the NUL-terminated suffix? */
static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = 0;
    while (suffix[k])
        k++;
    return n >= k && hl_memcmp(s + n - k, suffix, k) == 0;
}

size_t hl_wl_replay_stem(const char *path, size_t len, size_t *start)
{
    size_t b = len;
    while (b > 0 && path[b - 1] != '/')
        b--;
    size_t n = len - b;
    static const char *const packed[] = {".xz", ".gz", ".zst"};
    for (size_t i = 0; i < sizeof packed / sizeof packed[0]; i++)
        if (ends_with(path + b, n, packed[i])) {
            for (const char *c = packed[i]; *c; c++)
                n--;
            break;
        }
    if (ends_with(path + b, n, ".hltrace") && n > 8)
        n -= 8;
    *start = b;
    return n;
}

bool hl_wl_replay_named(const char *name)
{
    const char *p = HL_WL_REPLAY_PREFIX;
    while (*p && *name == *p) {
        p++;
        name++;
    }
    return *p == '\0';
}

_Static_assert(offsetof(struct hl_wl_replay, pub) == 0,
               "a replay workload's struct hl_workload * is its struct hl_wl_replay *");
