/*
 * workload.h — synthetic workloads: (generator, parameters, seed) -> an op
 * stream, produced on the fly, identical bit for bit on i386 and x86-64.
 *
 * An op is alloc(slot, bytes) or free(slot).  Slots are small integers
 * naming a live block; the harness keeps the pointer and size per slot.
 * The stream never depends on what the allocator returns: an alloc that
 * fails leaves its slot empty and the harness skips a later free of it.
 * Every stream frees everything it allocates before it ends (a drain
 * phase where needed), so blocks live at the end are leaks.
 *
 * workload_checksum is a hash of the ops alone (FNV-1a 64 over kind, slot
 * and bytes, fixed-width little-endian), written in every CSV row so that
 * identical workloads are proven, not assumed.
 *
 * Parameters: each workload declares named integer parameters with a
 * default and a range; a parameter set is an array of uint64_t by index,
 * parsed from and printed as "name=value,name=value" (canonical order:
 * declaration order, every parameter printed).
 */
#ifndef HEAPLAB_WORKLOAD_H
#define HEAPLAB_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "allocators/allocator.h"
#include "workloads/rng.h"

/* The kinds of op.  Synthetic generators emit ALLOC and FREE; recorded
 * traces (workloads/opbuf.h) use all five. */
enum hl_op_kind {
    HL_OP_ALLOC = 0,   /* slot <- alloc(bytes) */
    HL_OP_FREE = 1,    /* free(slot); bytes 0 */
    HL_OP_REALLOC = 2, /* slot <- realloc(slot, bytes) */
    HL_OP_CALLOC = 3,  /* slot <- zeroed alloc(bytes) (count * size) */
    HL_OP_ALIGNED = 4, /* slot <- alloc(bytes) aligned to 1 << align_log2 */
    HL_OP_NKINDS
};

/*
 * One op, 16 bytes; also the packed record of an op buffer and a trace
 * file (little-endian on both i386 and x86-64, so the struct is the
 * format: docs/opbuf.md):
 *
 *   offset 0  kind        uint8   enum hl_op_kind
 *          1  align_log2  uint8   HL_OP_ALIGNED: log2 of the alignment;
 *                                 else 0
 *          2  thread      uint16  the recording thread (0 for synthetic
 *                                 streams)
 *          4  slot        uint32  0 .. slots - 1
 *          8  bytes       uint64  the size asked for; 0 for FREE
 */
struct hl_op {
    uint8_t kind;
    uint8_t align_log2;
    uint16_t thread;
    uint32_t slot;
    uint64_t bytes;
};
_Static_assert(sizeof(struct hl_op) == 16, "an op is 16 bytes");
_Static_assert(offsetof(struct hl_op, slot) == 4, "slot at offset 4");
_Static_assert(offsetof(struct hl_op, bytes) == 8, "bytes at offset 8");

#define HL_WL_MAX_PARAMS 8

struct hl_wl_param {
    const char *name;    /* e.g. "live" */
    const char *unit;    /* e.g. "blocks", "bytes", "%", "ops" */
    const char *summary; /* one line for `heaplab list workloads` */
    uint64_t def, min, max;
};

struct hl_wl_params {
    uint64_t v[HL_WL_MAX_PARAMS];
};

/* The generator's state lives in caller-given memory: a fixed header plus
 * a scratch area of scratch_bytes(params) bytes (live-slot sets, queues,
 * permutations).  Opaque to the harness. */
struct hl_wl_gen {
    const struct hl_workload *w;
    struct hl_wl_params p;
    uint64_t seed;
    uint64_t rng[4];   /* PRNG state (wl_rng_*) */
    uint64_t emitted;  /* ops produced so far */
    uint64_t total;    /* ops the stream has in all */
    uint64_t phase, i, j, k; /* generator-private counters */
    void *scratch;
    size_t scratch_bytes;
};

struct hl_workload {
    const char *name;    /* e.g. "churn-fixed" */
    const char *summary; /* one line */
    enum hl_family family; /* the family it is meant for (frame workloads
                              ask for multiples of 4096 bytes) */
    unsigned nparams;
    struct hl_wl_param params[HL_WL_MAX_PARAMS];
    /* Slots the stream uses (the harness sizes its slot table by this). */
    uint64_t (*slots)(const struct hl_wl_params *p);
    /* Scratch bytes the generator needs for these parameters. */
    size_t (*scratch_bytes)(const struct hl_wl_params *p);
    /* Total ops in the stream (known up front, for progress and tables). */
    uint64_t (*total_ops)(const struct hl_wl_params *p);
    /* Bytes of frames the stream holds live at its peak, at most (frame
     * workloads; NULL: small enough for any harness region): a bound from
     * the parameters alone.  The host sizes a cell's region from it
     * (hl_wl_region_bytes); the kernel, whose region is fixed, checks a
     * cell whose bound exceeds it against the exact peak
     * (hl_wl_peak_live_bytes) and refuses it only when that is too big. */
    uint64_t (*peak_frame_bytes)(const struct hl_wl_params *p);
    /* pre: g->w, g->p, g->seed, g->scratch set; resets the stream. */
    void (*start)(struct hl_wl_gen *g);
    /* The next op; false when the stream has ended. */
    bool (*next)(struct hl_wl_gen *g, struct hl_op *op);
    /* NULL, or why the host cannot run this workload (the planner leaves
     * out its cells in a host arm and says so: hl_plan.host_none). */
    const char *host_none;
};

/* The registry of workloads, NULL-terminated, and lookup by name. */
extern const struct hl_workload *const hl_workloads[];
const struct hl_workload *hl_workload_find(const char *name);

/* Index of parameter `name` in w, or -1. */
int hl_wl_param_index(const struct hl_workload *w, const char *name);
/* Every parameter at its default. */
void hl_wl_defaults(const struct hl_workload *w, struct hl_wl_params *p);

/* Parse "a=1,b=2" (any subset, any order; "" is all defaults) over the
 * defaults.  Returns 0, or -1 with a static message in *err and the
 * offending text's offset in *err_at. */
int hl_wl_parse(const struct hl_workload *w, const char *text,
                struct hl_wl_params *p, const char **err, size_t *err_at);

/* Canonical "a=1,b=2" text; returns the length, writes at most cap bytes
 * (NUL included), like snprintf. */
size_t hl_wl_format(const struct hl_workload *w, const struct hl_wl_params *p,
                    char *buf, size_t cap);

/* Prepare g over scratch (scratch_bytes(p) bytes, 8-aligned) and start. */
void hl_wl_init(struct hl_wl_gen *g, const struct hl_workload *w,
                const struct hl_wl_params *p, uint64_t seed, void *scratch,
                size_t scratch_bytes);

/* The workload checksum: fold one op into h (start from HL_WL_CHECKSUM0):
 * FNV-1a 64 over the 4-byte word kind | align_log2 << 8 | thread << 16,
 * the slot (4 bytes) and bytes (8), little-endian.  (For ALLOC and FREE
 * of thread 0 this is the hash of (kind, slot, bytes) that heaplab has
 * always written.) */
#define HL_WL_CHECKSUM0 0xcbf29ce484222325ull
uint64_t hl_wl_checksum_op(uint64_t h, const struct hl_op *op);

/* Run a whole stream (no allocator involved) and return its peak live
 * bytes: the most it holds at once, as a perfect allocator would.
 * slot_bytes[0..nslots) is working space (overwritten; nslots is
 * w->slots(p)). */
uint64_t hl_wl_peak_live_bytes(const struct hl_workload *w,
                               const struct hl_wl_params *p, uint64_t seed,
                               void *scratch, size_t scratch_bytes,
                               uint64_t *slot_bytes, uint64_t nslots);

/* Run a whole stream and return its checksum (no allocator involved). */
uint64_t hl_wl_checksum(const struct hl_workload *w,
                        const struct hl_wl_params *p, uint64_t seed,
                        void *scratch, size_t scratch_bytes);

/* The sweeps of the default suite (the host's `heaplab run` and the
 * kernel's command line alike, when neither names workloads or sweeps):
 * "workload:key=v1,v2,..." each.  Cost against the live set (first-fit's
 * linear walk) and against frame occupancy (the bitmap's linear scan). */
#define HL_WL_NDEFAULT_SWEEPS 2u
extern const char *const hl_wl_default_sweeps[HL_WL_NDEFAULT_SWEEPS];

/* The region a cell of w with p needs at least: the stream's peak frame
 * bytes (its bound, peak_frame_bytes) plus room for a frame allocator's
 * metadata (1/64 of it, and 16 MiB); 0 when w states none (any region
 * will do).  hl_wl_region_for(peak) is that sum for a given peak. */
uint64_t hl_wl_region_bytes(const struct hl_workload *w,
                            const struct hl_wl_params *p);
uint64_t hl_wl_region_for(uint64_t peak_frame_bytes);

/* ---- validation and --ops scaling ------------------------------------- */

/* 0 if every value of p is inside its parameter's [min, max] and, where
 * the workload has both `min` and `max`, min <= max; else -1 with a static
 * message in *err and the offending parameter's index in *bad_index
 * (either may be NULL).  hl_wl_parse calls it; callers that build a
 * parameter set by hand should too: generators assume valid parameters. */
int hl_wl_validate(const struct hl_workload *w, const struct hl_wl_params *p,
                   const char **err, int *bad_index);

/* Scale p (in place) so that the stream has about `ops` ops in all, for
 * the CLI's --ops.  Parameters other than the ones below are kept; results
 * are clamped to the parameters' ranges.
 *   churn-fixed, churn-uniform, churn-powerlaw, plateau, frames-churn,
 *       frames-orders: `ops` (churn steps, 2 ops each) gets what the fill
 *       and drain leave; if fill + drain would be more than half of `ops`,
 *       the live set shrinks first so that fill + drain is about half
 *       (`live`; plateau: `live` and `temp` in proportion; frames-churn:
 *       `frames`, at the same occupancy).
 *   lifo, fifo, random-free, ramp: n = ops / 2.
 *   peak: n = ops / (2 * peaks) (first peaks = ops / 2 if that is fewer).
 * pre: w is from hl_workloads[]. */
void hl_wl_scale_ops(const struct hl_workload *w, struct hl_wl_params *p,
                     uint64_t ops);

#endif /* HEAPLAB_WORKLOAD_H */
