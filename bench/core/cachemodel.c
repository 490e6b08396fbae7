/*
 * cachemodel.c — the cache model of cachemodel.h.
 *
 * A set is an array of `ways` tags kept in recency order, MRU first:
 *
 *   set s:  [ t0 | t1 | ... | t(ways-1) ]    t = line number + 1, 0 = empty
 *            MRU                  LRU
 *
 * A lookup finds the tag (linear: ways <= 64), moves it to the front (hit)
 * or drops the last tag and puts the new one in front (miss): true LRU,
 * and the victim is the tag that fell off.  Empty slots (0) sit at the
 * back, so a cold set fills before it evicts.
 */
#include "bench/core/cachemodel.h"

#include "allocators/util.h"

/* ---- presets ------------------------------------------------------------ */

/*
 * Numbers and sources: docs/model.md, "Presets".  Geometry: the vendors'
 * optimization manuals.  Latencies: load-to-use, in core cycles.
 */
static const struct hl_cm_config presets[] = {
    {
        .name = "skylake-client",
        .source = "Intel Optimization Reference Manual (Skylake client) + 7-cpu.com Skylake (i7-6700 @4 GHz)",
        .level = {
            [HL_CM_L1I] = {64, 64, 8, 0},        /* 32 KiB, 8-way */
            [HL_CM_L1D] = {64, 64, 8, 4},        /* 32 KiB, 8-way, 4 cycles */
            [HL_CM_L2] = {64, 1024, 4, 12},      /* 256 KiB, 4-way, 12 cycles */
            [HL_CM_LLC] = {64, 8192, 16, 42},    /* 8 MiB, 16-way, 42 cycles */
            [HL_CM_DTLB] = {4096, 16, 4, 0},     /* 64 entries, 4-way, 4 KiB */
        },
        .dram_cycles = 246,      /* 42 cycles + 51 ns at 4 GHz */
        .dtlb_miss_cycles = 9,   /* L1 dTLB miss that hits the STLB */
        .inclusive_llc = true,
    },
    {
        .name = "zen3",
        .source = "AMD Software Optimization Guide for Family 19h (Zen 3) + AnandTech Zen 3 deep dive (Ryzen 5800X)",
        .level = {
            [HL_CM_L1I] = {64, 64, 8, 0},        /* 32 KiB, 8-way */
            [HL_CM_L1D] = {64, 64, 8, 4},        /* 32 KiB, 8-way, 4 cycles */
            [HL_CM_L2] = {64, 1024, 8, 12},      /* 512 KiB, 8-way, 12 cycles */
            [HL_CM_LLC] = {64, 32768, 16, 46},   /* 32 MiB, 16-way, 46 cycles */
            [HL_CM_DTLB] = {4096, 1, 64, 0},     /* 64 entries, fully assoc. */
        },
        .dram_cycles = 406,      /* 46 cycles + ~80 ns at 4.5 GHz (approx.) */
        .dtlb_miss_cycles = 7,   /* L1 dTLB miss that hits the L2 dTLB */
        .inclusive_llc = false,
    },
};

const struct hl_cm_config *hl_cm_preset(const char *name)
{
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (hl_streq(presets[i].name, name))
            return &presets[i];
    return NULL;
}

const struct hl_cm_config *hl_cm_preset_at(size_t i)
{
    return i < sizeof presets / sizeof presets[0] ? &presets[i] : NULL;
}

const char *hl_cm_level_name(enum hl_cm_level l)
{
    static const char *const names[HL_CM_NLEVELS] = {"L1i", "L1d", "L2", "LLC", "dTLB"};
    return (unsigned)l < HL_CM_NLEVELS ? names[l] : "?";
}

/* ---- configuration ------------------------------------------------------ */

static bool fail(struct hl_cm_error *err, const char *msg, const char *level,
                 const char *field, uint64_t value)
{
    if (err) {
        err->msg = msg;
        err->level = level;
        err->field = field;
        err->value = value;
    }
    return false;
}

static unsigned log2_u64(uint64_t v) /* pre: v is a power of two */
{
    unsigned k = 0;
    while (v > 1) {
        v >>= 1;
        k++;
    }
    return k;
}

bool hl_cm_geom_from_size(uint64_t size_bytes, uint32_t line_bytes,
                          uint32_t ways, uint32_t latency_cycles,
                          struct hl_cm_geom *out, struct hl_cm_error *err)
{
    if (!HL_IS_POW2(line_bytes))
        return fail(err, "not a power of two", "", "line_bytes", line_bytes);
    if (ways == 0 || ways > HL_CM_MAX_WAYS)
        return fail(err, "must be 1..64", "", "ways", ways);
    uint64_t way_bytes = (uint64_t)line_bytes * ways;
    if (size_bytes == 0 || size_bytes % way_bytes != 0)
        return fail(err, "not a multiple of line_bytes * ways", "", "size_bytes",
                    size_bytes);
    uint64_t sets = size_bytes / way_bytes;
    if (!HL_IS_POW2(sets) || sets > UINT32_MAX)
        return fail(err, "sets = size / (line * ways) is not a power of two", "",
                    "sets", sets);
    out->line_bytes = line_bytes;
    out->sets = (uint32_t)sets;
    out->ways = ways;
    out->latency_cycles = latency_cycles;
    if (err)
        err->msg = NULL;
    return true;
}

bool hl_cm_config_check(const struct hl_cm_config *cfg, struct hl_cm_error *err)
{
    if (cfg->level[HL_CM_L1D].sets == 0)
        return fail(err, "the model needs an L1d", "L1d", "sets", 0);
    for (unsigned l = 0; l < HL_CM_NLEVELS; l++) {
        const struct hl_cm_geom *g = &cfg->level[l];
        const char *name = hl_cm_level_name((enum hl_cm_level)l);
        if (g->sets == 0)
            continue;
        if (!HL_IS_POW2(g->sets))
            return fail(err, "not a power of two", name, "sets", g->sets);
        if (!HL_IS_POW2(g->line_bytes) || g->line_bytes > HL_CM_MAX_LINE_BYTES)
            return fail(err, "not a power of two (at most 2^30)", name,
                        "line_bytes", g->line_bytes);
        if (g->ways == 0 || g->ways > HL_CM_MAX_WAYS)
            return fail(err, "must be 1..64", name, "ways", g->ways);
        if ((uint64_t)g->sets * g->ways > ((uint64_t)1 << 26))
            return fail(err, "too many lines (sets * ways > 2^26)", name, "sets",
                        g->sets);
    }
    if (err)
        err->msg = NULL;
    return true;
}

static size_t header_bytes(void)
{
    return HL_ALIGN_UP(sizeof(struct hl_cm), (size_t)8);
}

size_t hl_cm_size(const struct hl_cm_config *cfg)
{
    size_t bytes = header_bytes();
    for (unsigned l = 0; l < HL_CM_NLEVELS; l++)
        bytes += (size_t)cfg->level[l].sets * cfg->level[l].ways * sizeof(uint64_t);
    return bytes;
}

struct hl_cm *hl_cm_init(void *buf, size_t bytes, const struct hl_cm_config *cfg,
                         struct hl_cm_error *err)
{
    if (!hl_cm_config_check(cfg, err))
        return NULL;
    if (bytes < hl_cm_size(cfg)) {
        fail(err, "buffer smaller than hl_cm_size()", "", "bytes", bytes);
        return NULL;
    }
    if (!HL_IS_ALIGNED((uintptr_t)buf, (uintptr_t)8)) {
        fail(err, "buffer not 8-byte aligned", "", "buf", (uintptr_t)buf);
        return NULL;
    }
    struct hl_cm *m = buf;
    hl_memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    uint64_t *tags = (uint64_t *)((char *)buf + header_bytes());
    for (unsigned l = 0; l < HL_CM_NLEVELS; l++) {
        const struct hl_cm_geom *g = &cfg->level[l];
        struct hl_cm_cache *c = &m->cache[l];
        if (g->sets == 0)
            continue;
        c->tags = tags;
        c->sets = g->sets;
        c->ways = g->ways;
        c->line_shift = log2_u64(g->line_bytes);
        tags += (size_t)g->sets * g->ways;
    }
    hl_cm_flush(m);
    return m;
}

void hl_cm_reset_counts(struct hl_cm *m)
{
    hl_memset(&m->n, 0, sizeof m->n);
}

void hl_cm_flush(struct hl_cm *m)
{
    for (unsigned l = 0; l < HL_CM_NLEVELS; l++) {
        struct hl_cm_cache *c = &m->cache[l];
        if (c->tags)
            hl_memset(c->tags, 0, (size_t)c->sets * c->ways * sizeof(uint64_t));
    }
    hl_cm_reset_counts(m);
}

/* ---- lookups ------------------------------------------------------------ */

/* Look line up in c: move it to MRU (hit) or insert it at MRU, dropping
 * the LRU tag into *victim (0 if that slot was empty).  Returns hit. */
static bool touch(struct hl_cm_cache *c, uint64_t line, uint64_t *victim)
{
    uint64_t *set = c->tags + (size_t)(line & (c->sets - 1)) * c->ways;
    uint64_t tag = line + 1;
    uint32_t i = 0;
    while (i < c->ways && set[i] != tag)
        i++;
    bool hit = i < c->ways;
    *victim = 0;
    if (!hit) {
        i = c->ways - 1;
        *victim = set[i];
    }
    for (; i > 0; i--)
        set[i] = set[i - 1];
    set[0] = tag;
    return hit;
}

/* Remove line from c if present (the LRU order of the rest is kept). */
static bool drop(struct hl_cm_cache *c, uint64_t line)
{
    uint64_t *set = c->tags + (size_t)(line & (c->sets - 1)) * c->ways;
    uint64_t tag = line + 1;
    for (uint32_t i = 0; i < c->ways; i++) {
        if (set[i] != tag)
            continue;
        for (; i + 1 < c->ways; i++)
            set[i] = set[i + 1];
        set[c->ways - 1] = 0;
        return true;
    }
    return false;
}

/* The LLC evicted victim (tag = line + 1): remove its bytes from every
 * inner cache (inclusive LLC). */
static void back_invalidate(struct hl_cm *m, uint64_t victim)
{
    unsigned llc_shift = m->cache[HL_CM_LLC].line_shift;
    uint64_t base = (victim - 1) << llc_shift;
    uint64_t end = base + ((uint64_t)1 << llc_shift);
    static const enum hl_cm_level inner[] = {HL_CM_L1I, HL_CM_L1D, HL_CM_L2};
    for (unsigned k = 0; k < sizeof inner / sizeof inner[0]; k++) {
        struct hl_cm_cache *c = &m->cache[inner[k]];
        if (!c->tags)
            continue;
        for (uint64_t a = base; a < end; a += (uint64_t)1 << c->line_shift)
            if (drop(c, a >> c->line_shift))
                m->n.back_invalidations++;
    }
}

/* One line of the first level l1 (L1d or L1i): look it up, and on a miss
 * walk L2, LLC.  Returns the level that served it. */
static enum hl_cm_served lookup(struct hl_cm *m, enum hl_cm_level l1,
                                uint64_t addr, enum hl_cm_kind kind)
{
    static const enum hl_cm_level outer[] = {HL_CM_L2, HL_CM_LLC};
    uint64_t victim;
    struct hl_cm_cache *c = &m->cache[l1];
    m->n.lookups[l1][kind]++;
    if (touch(c, addr >> c->line_shift, &victim))
        return HL_CM_BY_L1;
    m->n.misses[l1][kind]++;
    for (unsigned k = 0; k < 2; k++) {
        enum hl_cm_level l = outer[k];
        c = &m->cache[l];
        if (!c->tags)
            continue;
        m->n.lookups[l][kind]++;
        bool hit = touch(c, addr >> c->line_shift, &victim);
        if (l == HL_CM_LLC && victim && m->cfg.inclusive_llc)
            back_invalidate(m, victim);
        if (hit)
            return l == HL_CM_L2 ? HL_CM_BY_L2 : HL_CM_BY_LLC;
        m->n.misses[l][kind]++;
    }
    return HL_CM_BY_DRAM;
}

/* Feed [addr, addr + size) line by line of level l1. */
static void walk_lines(struct hl_cm *m, enum hl_cm_level l1, uint64_t addr,
                       uint32_t size, enum hl_cm_kind kind, unsigned which)
{
    unsigned shift = m->cache[l1].line_shift;
    uint64_t last = (addr + (size ? size - 1 : 0)) >> shift;
    for (uint64_t line = addr >> shift; line <= last; line++) {
        uint64_t a = line == addr >> shift ? addr : line << shift;
        m->n.served[which][lookup(m, l1, a, kind)]++;
    }
}

void hl_cm_access(struct hl_cm *m, uint64_t addr, uint32_t size, bool is_store)
{
    enum hl_cm_kind kind = is_store ? HL_CM_STORE : HL_CM_LOAD;
    if (is_store)
        m->n.stores++;
    else
        m->n.loads++;
    struct hl_cm_cache *t = &m->cache[HL_CM_DTLB];
    if (t->tags) {
        uint64_t last = (addr + (size ? size - 1 : 0)) >> t->line_shift;
        for (uint64_t page = addr >> t->line_shift; page <= last; page++) {
            uint64_t victim;
            m->n.lookups[HL_CM_DTLB][kind]++;
            if (!touch(t, page, &victim))
                m->n.misses[HL_CM_DTLB][kind]++;
        }
    }
    walk_lines(m, HL_CM_L1D, addr, size, kind, 0);
}

void hl_cm_fetch(struct hl_cm *m, uint64_t addr, uint32_t size)
{
    m->n.instructions++;
    if (m->cache[HL_CM_L1I].tags)
        walk_lines(m, HL_CM_L1I, addr, size, HL_CM_FETCH, 1);
}

/* ---- results ------------------------------------------------------------ */

uint64_t hl_cm_misses(const struct hl_cm_counts *c, enum hl_cm_level l)
{
    uint64_t sum = 0;
    for (unsigned k = 0; k < HL_CM_NKINDS; k++)
        sum += c->misses[l][k];
    return sum;
}

uint64_t hl_cm_cycles(const struct hl_cm *m, const struct hl_cm_counts *c)
{
    const struct hl_cm_config *cfg = &m->cfg;
    const uint64_t lat[HL_CM_NSERVED] = {
        cfg->level[HL_CM_L1D].latency_cycles,
        cfg->level[HL_CM_L2].latency_cycles,
        cfg->level[HL_CM_LLC].latency_cycles,
        cfg->dram_cycles,
    };
    uint64_t cycles = c->instructions;
    for (unsigned s = 0; s < HL_CM_NSERVED; s++) {
        cycles += c->served[0][s] * lat[s];
        if (s != HL_CM_BY_L1)
            cycles += c->served[1][s] * lat[s];
    }
    return cycles + hl_cm_misses(c, HL_CM_DTLB) * cfg->dtlb_miss_cycles;
}
