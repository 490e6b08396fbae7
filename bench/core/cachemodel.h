/*
 * cachemodel.h — a deterministic model of one core's memory hierarchy:
 * set-associative caches with true LRU (L1i, L1d, L2, LLC) and a data TLB,
 * plus a cycle formula.  Freestanding, in caller memory, no floating point.
 * The same code is fed by the QEMU plugin (bench/qemu-plugin/) for the
 * host under qemu-x86_64 and for the kernel under qemu-system-i386, so
 * both worlds are measured by one instrument (docs/model.md).
 *
 * Hierarchy, per access of `size` bytes at `addr`:
 *
 *   data:  dTLB (one lookup per page touched)
 *          L1d  (one lookup per L1d line touched: a crossing access is two)
 *            miss -> L2 (its own line) -> miss -> LLC -> miss -> DRAM
 *   fetch: L1i  (one lookup per L1i line touched) -> L2 -> LLC -> DRAM
 *
 * Every level looked up is filled on a miss (write-allocate for stores;
 * no write-back traffic is modelled).  A level that hits ends the walk:
 * the levels further out are neither looked up nor reordered (so an LLC
 * line hot in L1 ages in the LLC, as in hardware).  Policy between levels:
 *   inclusive_llc = true   the LLC holds a superset: an LLC victim is
 *                          removed from L2, L1d and L1i (back-invalidation,
 *                          counted), as on Intel client cores up to Skylake;
 *   inclusive_llc = false  non-inclusive, non-exclusive ("NINE"): outer
 *                          evictions leave inner copies alone.  A real
 *                          victim LLC (AMD Zen: filled by L2 evictions) is
 *                          NOT modelled; the LLC is filled on the way in.
 * Absent levels (sets == 0) are skipped; L1d must exist.
 *
 * Modelled cycles (all weights are the preset's; docs/model.md gives the
 * numbers and their sources):
 *
 *   cycles = instructions * 1                       (base CPI of 1)
 *          + sum over data line lookups of the latency of the level that
 *            served it (L1d, L2, LLC latency, or dram_cycles)
 *          + sum over L1i misses of the latency of the level that served
 *            them (an L1i hit costs nothing beyond the base CPI)
 *          + dTLB misses * dtlb_miss_cycles
 *
 * A serial model: no overlap of misses, no prefetching, no store buffer.
 * It ranks cache behaviour; it does not predict a real core's time.
 */
#ifndef HEAPLAB_CACHEMODEL_H
#define HEAPLAB_CACHEMODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

enum hl_cm_level {
    HL_CM_L1I,
    HL_CM_L1D,
    HL_CM_L2,
    HL_CM_LLC,
    HL_CM_DTLB,
    HL_CM_NLEVELS
};

/* The level that served a lookup (index of served[][] below). */
enum hl_cm_served { HL_CM_BY_L1, HL_CM_BY_L2, HL_CM_BY_LLC, HL_CM_BY_DRAM, HL_CM_NSERVED };

enum hl_cm_kind { HL_CM_LOAD, HL_CM_STORE, HL_CM_FETCH, HL_CM_NKINDS };

#define HL_CM_MAX_WAYS 64u        /* a fully associative 64-entry TLB */
#define HL_CM_MAX_LINE_BYTES (1u << 30) /* a TLB "line" is a page */

/* One cache or TLB.  sets == 0: absent.  For the dTLB, line_bytes is the
 * page size and latency_cycles is unused (see dtlb_miss_cycles). */
struct hl_cm_geom {
    uint32_t line_bytes;     /* power of two */
    uint32_t sets;           /* power of two */
    uint32_t ways;           /* 1 .. HL_CM_MAX_WAYS, any number */
    uint32_t latency_cycles; /* load-to-use latency when this level serves */
};

struct hl_cm_config {
    const char *name;
    const char *source; /* one line: where the numbers come from */
    struct hl_cm_geom level[HL_CM_NLEVELS];
    uint32_t dram_cycles;
    uint32_t dtlb_miss_cycles;
    bool inclusive_llc;
};

/* What a bad configuration is, for the caller's one-line message:
 * "<level> <field>=<value>: <msg>". */
struct hl_cm_error {
    const char *msg;   /* NULL: no error */
    const char *level; /* "L1d", "L2", ... or "" */
    const char *field; /* "sets", "line_bytes", ... */
    uint64_t value;
};

struct hl_cm_counts {
    uint64_t instructions;                       /* hl_cm_fetch calls */
    uint64_t loads, stores;                      /* hl_cm_access calls */
    uint64_t lookups[HL_CM_NLEVELS][HL_CM_NKINDS]; /* line (page) lookups */
    uint64_t misses[HL_CM_NLEVELS][HL_CM_NKINDS];
    uint64_t served[2][HL_CM_NSERVED];           /* [0] data, [1] fetch */
    uint64_t back_invalidations;                 /* inclusive LLC only */
};

/* The model's state lives in the caller's buffer (hl_cm_size bytes,
 * 8-byte aligned): this header, then one tag array per present level. */
struct hl_cm_cache {
    uint64_t *tags;      /* sets * ways, MRU first in each set; 0 = invalid */
    uint32_t sets, ways;
    uint32_t line_shift;
    uint32_t pad;
};

struct hl_cm {
    struct hl_cm_config cfg;
    struct hl_cm_cache cache[HL_CM_NLEVELS];
    struct hl_cm_counts n;
};

/* ---- configuration ------------------------------------------------------ */

/* The named presets (docs/model.md).  NULL for an unknown name. */
const struct hl_cm_config *hl_cm_preset(const char *name);
/* The i-th preset, NULL past the last (for listing). */
const struct hl_cm_config *hl_cm_preset_at(size_t i);

/* A geometry from the numbers hwloc reports: size, line, ways.
 * Returns false (and *err) unless size = sets * ways * line with sets a
 * power of two. */
bool hl_cm_geom_from_size(uint64_t size_bytes, uint32_t line_bytes,
                          uint32_t ways, uint32_t latency_cycles,
                          struct hl_cm_geom *out, struct hl_cm_error *err);

/* Is cfg usable?  Returns false (and *err) for a non-power-of-two line or
 * set count, zero or too many ways, a missing L1d. */
bool hl_cm_config_check(const struct hl_cm_config *cfg, struct hl_cm_error *err);

/* Bytes of state for cfg (pre: hl_cm_config_check(cfg) passed). */
size_t hl_cm_size(const struct hl_cm_config *cfg);

/* Set up an empty (cold) model in buf.  pre: buf is 8-byte aligned and
 * holds hl_cm_size(cfg) bytes.  cfg is copied (its strings are not). */
struct hl_cm *hl_cm_init(void *buf, size_t bytes, const struct hl_cm_config *cfg,
                         struct hl_cm_error *err);

/* ---- feeding ------------------------------------------------------------ */

/* One data access of size (>= 1) bytes. */
void hl_cm_access(struct hl_cm *m, uint64_t addr, uint32_t size, bool is_store);
/* One instruction of size bytes fetched at addr: counts an instruction;
 * looks up L1i when the model has one. */
void hl_cm_fetch(struct hl_cm *m, uint64_t addr, uint32_t size);

/* Zero the counters, keep the cache contents (a region's start). */
void hl_cm_reset_counts(struct hl_cm *m);
/* Empty every cache and TLB (cold start) and zero the counters. */
void hl_cm_flush(struct hl_cm *m);

/* ---- results ------------------------------------------------------------ */

/* Modelled cycles of the counts c under m's weights (formula above). */
uint64_t hl_cm_cycles(const struct hl_cm *m, const struct hl_cm_counts *c);
/* Misses of a level, all kinds. */
uint64_t hl_cm_misses(const struct hl_cm_counts *c, enum hl_cm_level l);
/* "L1i", "L1d", "L2", "LLC", "dTLB". */
const char *hl_cm_level_name(enum hl_cm_level l);

#endif
