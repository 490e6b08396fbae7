/*
 * plan.h — the one planner of heaplab: options -> cells -> launches, and a
 * plan's slice for one shard.  `heaplab run` (bench/host/run.c) and the
 * kernel's command line (kernel_port/bench.c) both plan with it, so the
 * host and the kernel cannot disagree about which cells a set of options
 * means, their order, or their canonical parameters.  Freestanding.
 *
 *   options   allocator and workload names, --params and --sweep words,
 *             allocator parameter words ("A:k=v,..."), --ops, and the arms
 *             (environment + clock) the caller runs
 *   cells     hl_plan_resolve + hl_plan_cells: the suite (per environment:
 *             every workload, every arm of that environment, every
 *             allocator of the workload's family; no workload named:
 *             every workload but the vm family's, unless an allocator of
 *             that family is named; a workload the host cannot run,
 *             workload.h's host_none, has no cells in a host arm, and
 *             hl_plan.host_none says so), then every sweep point
 *             in the first arm: a workload's (every allocator of the
 *             family; a workload the host cannot run: its first other
 *             arm; a vm workload's: the first arm of every environment);
 *             then an allocator's, in the first arm of every
 *             environment (every workload of its family, at the
 *             workload's run parameters)
 *   launches  hl_plan_order: the timed cells' launches in rounds (round r
 *             holds every timed cell's launch r, shuffled with splitmix64
 *             from the order seed), then the counting cells' one launch
 *   shards    hl_plan_shard: each launch of the order to one of N shards,
 *             balanced by expected time (hl_plan_cost), deterministically
 *
 * Errors are one line in hl_plan.err (no trailing newline), naming the bad
 * value and the option it came from (the caller's spelling: "--params" on
 * the host, "params=" in the kernel).
 */
#ifndef HEAPLAB_PLAN_H
#define HEAPLAB_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "allocators/allocator.h"
#include "workloads/workload.h"

#define HL_PLAN_MAX_LIST 64u    /* allocators, workloads, --params, --sweep */
#define HL_PLAN_MAX_POINTS 64u  /* values of one sweep */
#define HL_PLAN_MAX_ARMS 8u
#define HL_PLAN_MAX_SHARDS 1024u
#define HL_PLAN_ERR_BYTES 320u
#define HL_PLAN_PARAMS_TEXT 512u /* canonical params text, NUL included */

/* How a launch's expected time grows (hl_plan_cost). */
enum hl_plan_cost {
    HL_PLAN_COST_NATIVE,    /* a host process timed with the TSC */
    HL_PLAN_COST_CALLGRIND, /* a host process under callgrind */
    HL_PLAN_COST_EMULATED,  /* a QEMU/TCG boot of the kernel */
};

/* An allocator the caller can run (host: the registry, test allocators
 * and baselines; kernel: the registry). */
struct hl_plan_alloc {
    const char *name;
    enum hl_family family;
    bool deflt; /* in the run when no allocator is named */
    const struct hl_allocator *a; /* its declared parameters; NULL: none */
};

/* An environment and clock the suite runs in. */
struct hl_plan_arm {
    const char *env, *clock;
    uint32_t reps;     /* reps per launch */
    uint32_t launches; /* launches per cell */
    bool timed;        /* launches shuffled in rounds (a wall clock) */
    enum hl_plan_cost cost;
    bool host;         /* the host (a workload with host_none has no cells
                          in it: hl_plan.host_none says so) */
};

struct hl_plan_opts {
    const struct hl_plan_alloc *cand; /* the allocators that exist */
    size_t ncand;
    const char *const *allocs; /* named; none: every cand[] with deflt */
    size_t nallocs;
    const char *const *wls;    /* named; none: every workload */
    size_t nwls;
    const char *const *params; /* "W:k=v,...", applied in order */
    size_t nparams;
    const char *const *sweeps; /* "W:K=v1,v2,..." or "A:K=v1,v2,..." */
    size_t nsweeps;
    const char *const *aparams; /* "A:k=v,...", applied in order */
    size_t naparams;
    /* no sweeps named: none at all (--sweep none), else the default
     * sweeps (hl_wl_default_sweeps) when no workload is named either */
    bool sweep_none;
    bool no_suite;  /* only the sweep points (the kernel's suite=off) */
    uint64_t ops;   /* each workload's stream scaled to about this */
    const struct hl_plan_arm *arms;
    size_t narms;
    /* A workload name the registry does not know ("trace:NAME", a
     * recorded trace: workloads/replay.h): the caller's workload of that
     * name, or NULL (an unknown workload).  NULL: the registry only.
     * Such a workload is never scaled to --ops. */
    const struct hl_workload *(*find_workload)(void *ctx, const char *name);
    void *find_ctx;
    /* May cand[a] run in arms[r]?  NULL: always. */
    bool (*admit)(void *ctx, size_t a, size_t r);
    void *admit_ctx;
    uint64_t min_time_us; /* --min-time, for hl_plan_cost */
    /* The options' names in messages, e.g. "--params" or "params=";
     * opt_aparams NULL: "--allocators". */
    const char *opt_params, *opt_sweep, *opt_aparams;
};

/* The options resolved (hl_plan_resolve).  About 80 KiB. */
struct hl_plan {
    const struct hl_plan_opts *o;
    size_t allocs[HL_PLAN_MAX_LIST]; /* cand[] indexes, in run order */
    size_t nallocs;
    const struct hl_workload *wls[HL_PLAN_MAX_LIST];
    size_t nwls;
    struct hl_wl_params params[HL_PLAN_MAX_LIST]; /* per workload */
    const char *sweep_text[HL_PLAN_MAX_LIST];     /* its sweep, or NULL */
    unsigned swept[HL_PLAN_MAX_LIST];             /* the swept parameter */
    unsigned npoints[HL_PLAN_MAX_LIST];
    uint64_t points[HL_PLAN_MAX_LIST][HL_PLAN_MAX_POINTS];
    /* per allocator of the run (allocs[] index): its parameters, and its
     * sweep (as for workloads above) */
    struct hl_al_params aparams[HL_PLAN_MAX_LIST];
    const char *asweep_text[HL_PLAN_MAX_LIST];
    unsigned aswept[HL_PLAN_MAX_LIST];
    unsigned anpoints[HL_PLAN_MAX_LIST];
    uint64_t apoints[HL_PLAN_MAX_LIST][HL_PLAN_MAX_POINTS];
    size_t ncells;
    /* "" or the workloads of the run left out of its host arms, each with
     * why ("vm-remap (kernel only: ...)"; workload.h's host_none) */
    char host_none[HL_PLAN_ERR_BYTES];
    char err[HL_PLAN_ERR_BYTES];
};

/* What the order and the shards need of a cell. */
struct hl_plan_unit {
    uint32_t launches;
    bool timed;
    uint64_t cost; /* expected microseconds of one launch */
};

struct hl_plan_cell {
    size_t cand;  /* opts.cand[] index */
    size_t wl;    /* hl_plan.wls[] index */
    size_t arm;   /* opts.arms[] index */
    const struct hl_workload *w;
    const char *sweep; /* "" or the swept parameter's name */
    bool sweep_alloc;  /* the swept parameter is the allocator's */
    struct hl_wl_params params;
    struct hl_al_params aparams; /* the allocator's (cand[].a's) */
    uint32_t reps;
    struct hl_plan_unit u;
};

struct hl_plan_launch {
    uint32_t cell;
    uint32_t launch;
};

/* Resolve o into p (p keeps o: o must outlive p).  0, or -1 with p->err. */
int hl_plan_resolve(struct hl_plan *p, const struct hl_plan_opts *o);

/* The cells in plan order: writes min(cap, p->ncells) of them at out and
 * returns p->ncells. */
size_t hl_plan_cells(const struct hl_plan *p, struct hl_plan_cell *out,
                     size_t cap);
/* Cell `index` of the plan; false if there is none. */
bool hl_plan_cell_at(const struct hl_plan *p, size_t index,
                     struct hl_plan_cell *out);

/* Expected microseconds of one launch of c (a model, for balancing shards;
 * it need only be right in proportion). */
uint64_t hl_plan_cost(const struct hl_plan_opts *o,
                      const struct hl_plan_cell *c);

/* splitmix64: the shuffle's generator (fixed, so an order repeats). */
uint64_t hl_plan_mix(uint64_t *state);

/* Round `round`: the timed units whose launches exceed it (or, with only
 * != NULL, the units only[] marks), shuffled from seed.  Returns how many
 * launches it wrote at out (room for n). */
size_t hl_plan_round(const struct hl_plan_unit *u, size_t n, uint32_t round,
                     uint64_t seed, const bool *only, struct hl_plan_launch *out);

/* Every launch: the rounds, then one launch per untimed unit.  Returns how
 * many were written at out (room for the sum of the timed launches plus
 * the untimed units). */
size_t hl_plan_order(const struct hl_plan_unit *u, size_t n, uint64_t seed,
                     struct hl_plan_launch *out);

/* The shard (0 .. nshards-1) of each launch of order[0..n): longest
 * expected time first, each to the least loaded shard (ties: the lower
 * shard; equal costs: order position).  scratch: n entries; load:
 * nshards entries (each shard's expected microseconds on return). */
void hl_plan_shard(const struct hl_plan_unit *u, const struct hl_plan_launch *order,
                   size_t n, uint32_t nshards, uint32_t *shard_of,
                   uint32_t *scratch, uint64_t *load);

/* FNV-1a 64 of the NUL-terminated s, folded into h (start: HL_PLAN_HASH0). */
#define HL_PLAN_HASH0 0xcbf29ce484222325ull
uint64_t hl_plan_hash(uint64_t h, const char *s);

#endif /* HEAPLAB_PLAN_H */
