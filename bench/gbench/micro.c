/*
 * micro.c — heaplab-micro: C micro-benchmarks of the allocators through
 * Google Benchmark (gbench_shim.h), so that every Google Benchmark flag,
 * its JSON output and its compare.py work on heaplab's allocators.
 *
 * Benchmarks (one alloc+free pair per iteration, `live` other blocks of
 * the same size allocated before the timer starts, as heaplab-pairs does,
 * so that first-fit's list walk and the bitmap's scan have work to do):
 *
 *   heap_pair/<allocator>/bytes:B/live:L    every heap allocator of the
 *        registry (firstfit-seed, slab, bump, ...) through its hl_allocator
 *        vtable; glibc through __libc_malloc/__libc_free; jemalloc through
 *        mallocx/sdallocx, mimalloc through mi_malloc/mi_free_size and
 *        tcmalloc through tc_malloc/tc_free_sized when they are loaded
 *        (see below).
 *        B in 16 64 256 1024 4096, L in 0 1000.
 *   frame_pair/<allocator>/order:K/live:L   every frame allocator
 *        (bitmap-seed, bitmap-fast, buddy) through its vtable, a run of
 *        2^K frames (4096 << K bytes).  K in 0..4, L in 0 1000.
 *   cache_pair/slab/obj_bytes:B/live:L      slab_cache_alloc/_free on one
 *        cache made by slab_cache_create(s, "micro", B, 0): the slab fast
 *        path, with no size-class lookup.  B in 16 64 256 1024 4096.
 *
 * Memory is given, never taken: each run mmaps one area holding the
 * allocator's state block, the table of live blocks and the region, and
 * unmaps it at the end.  The region is reserved, not committed
 * (MAP_NORESERVE): a release-build allocator writes only its metadata.
 * bump (HL_F_NO_REUSE) never reuses memory, so its timed loop is split in
 * batches that fit its region; between them the timer is paused and bump
 * is re-initialized with its live set.
 *
 * Escape: the pointer of every block passes hl_gb_do_not_optimize()
 * before it is freed, so the compiler can never pair up and delete an
 * alloc/free.  Reported per run: the time per pair (Google Benchmark's
 * clock), items_per_second (pairs), bytes_per_second (bytes allocated),
 * tsc_cycles_per_pair (fenced rdtsc around each batch, bench/core/clock.h:
 * invariant-TSC ticks, not core cycles), live_blocks, and held_bytes
 * (project allocators: their stats after the loop).  The label names the
 * code that served the run.
 *
 * jemalloc.  Debian's libjemalloc has no symbol prefix: once loaded it IS
 * malloc for the whole process, so heaplab-micro is NOT linked against
 * it.  The jemalloc benchmarks are registered only when mallocx and
 * sdallocx are found with dlsym(RTLD_DEFAULT), i.e. when the process was
 * started with LD_PRELOAD=libjemalloc.so.2; --with-jemalloc re-executes
 * heaplab-micro with that preload.  Then jemalloc also serves Google
 * Benchmark's own allocations; the glibc benchmarks still reach ptmalloc
 * through __libc_malloc, and the project allocators use their own arenas.
 * The report's context says which object serves malloc and mallocx.
 *
 * mimalloc and tcmalloc (gperftools) are reached the same way: their
 * benchmarks exist when mi_malloc/mi_free_size, tc_malloc/tc_free_sized
 * are found; --with-baselines re-executes with jemalloc, mimalloc and
 * tcmalloc preloaded (those installed, jemalloc first, so jemalloc serves
 * malloc exactly as with --with-jemalloc).  Their prefixed entry points
 * reach each library's own heap whichever library serves malloc.
 *
 * Checked or sanitized builds (HL_CHECK_LEVEL > 0, HEAPLAB_SANITIZE, or
 * no optimization) are timed too, but warned about on stderr, in the
 * context (heaplab_build_warning) and in every label.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "allocators/allocator.h"
#include "allocators/slab.h"
#include "allocators/util.h"
#include "bench/core/clock.h"
#include "bench/gbench/gbench_shim.h"

#ifndef HL_GB_SANITIZE
#define HL_GB_SANITIZE ""
#endif
#ifndef HL_GB_BUILD_TYPE
#define HL_GB_BUILD_TYPE "unknown"
#endif

/* glibc's own entry points: ptmalloc even where malloc is interposed.
 * Not linked by name: mimalloc and tcmalloc define __libc_malloc and
 * __libc_free themselves, so with them preloaded the names would reach
 * them.  glibc_resolve() takes them from libc.so.6's own symbol table. */
static void *(*glibc_malloc)(size_t bytes);
static void (*glibc_free)(void *ptr);

#define MICRO_PAGE_BYTES ((size_t)4096)
#define MICRO_MIB ((size_t)1 << 20)
/* Smallest region a run gets. */
#define MICRO_MIN_REGION_BYTES (16 * MICRO_MIB)
/* bump's region: large, so that pauses to re-initialize it are rare; in
 * checked builds bump poisons what it hands out, so keep it small. */
#define MICRO_NOREUSE_REGION_BYTES                                           \
    (HL_CHECK_LEVEL > 0 ? 64 * MICRO_MIB : 1024 * MICRO_MIB)

static const int64_t heap_sizes[] = {16, 64, 256, 1024, 4096};
static const int64_t frame_orders[] = {0, 1, 2, 3, 4};
static const int64_t live_counts[] = {0, 1000};

/* ---- what serves a benchmark ------------------------------------------ */

enum subject_kind {
    SUBJ_PROJECT,  /* a registry allocator through its vtable */
    SUBJ_GLIBC,    /* __libc_malloc / __libc_free */
    SUBJ_JEMALLOC, /* mallocx / sdallocx found by dlsym */
    SUBJ_SIZED,    /* a preloaded library's malloc / sized free (mimalloc,
                      tcmalloc) found by dlsym */
    SUBJ_CACHE,    /* slab_cache_* of the slab allocator */
};

struct subject {
    enum subject_kind kind;
    const char *name;                 /* in the benchmark name */
    const struct hl_allocator *a;     /* SUBJ_PROJECT; hl_slab for CACHE */
    void *(*malloc_fn)(size_t bytes);            /* SUBJ_SIZED */
    void (*sized_free_fn)(void *ptr, size_t bytes); /* SUBJ_SIZED */
    char label[512];                  /* which code serves the runs */
};

/* jemalloc's entry points, when loaded. */
static void *(*je_mallocx)(size_t bytes, int flags);
static void (*je_sdallocx)(void *ptr, size_t bytes, int flags);

/* The preloadable baselines besides jemalloc: a malloc and a sized free
 * with their own names, found by dlsym when the library is loaded. */
struct sized_lib {
    const char *name;       /* benchmark name and --with-NAME */
    const char *malloc_sym; /* void *(size_t) */
    const char *free_sym;   /* void (void *, size_t) */
    const char *const *files; /* shared object file names, in order */
    void *(*malloc_fn)(size_t bytes);
    void (*sized_free_fn)(void *ptr, size_t bytes);
};

static const char *const mimalloc_files[] = {"libmimalloc.so.2",
                                             "libmimalloc.so", NULL};
static const char *const tcmalloc_files[] = {"libtcmalloc_minimal.so.4",
                                             "libtcmalloc.so.4", NULL};

static struct sized_lib sized_libs[] = {
    {"mimalloc", "mi_malloc", "mi_free_size", mimalloc_files, NULL, NULL},
    {"tcmalloc", "tc_malloc", "tc_free_sized", tcmalloc_files, NULL, NULL},
};

/* "" or the build warning; set once in main. */
static const char *build_warning = "";

_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
               "dlsym's object pointer holds a function pointer");
/* Store dlsym's answer in a function pointer without type punning. */
#define MICRO_SYM(fnptr, name)                                               \
    do {                                                                     \
        void *sym_ = dlsym(RTLD_DEFAULT, (name));                            \
        memcpy(&(fnptr), &sym_, sizeof sym_);                                \
    } while (0)

/* The file of the shared object that holds addr, or "?". */
static const char *object_of(const void *addr)
{
    Dl_info info;
    if (addr && dladdr(addr, &info) && info.dli_fname && info.dli_fname[0])
        return info.dli_fname;
    return "?";
}

/* The file of the shared object holding a function.  Any function
 * pointer converts to void (*)(void) and back; its bits go to dladdr. */
static const char *object_of_fn(void (*fn)(void))
{
    void *addr;
    memcpy(&addr, &fn, sizeof addr);
    return object_of(addr);
}

/* ---- one run's memory ------------------------------------------------- */

/* One mmap: | state (pages) | live table (pages) | region ... |. */
struct arena {
    void *map;
    size_t map_bytes;
    void *state;
    void **held;      /* room for the live set */
    void *region;
    size_t region_bytes;
};

/* Map an arena for an allocator with this state size, `live` held blocks
 * and a region of region_bytes.  Returns false (errno set) on failure. */
static bool arena_map(struct arena *ar, size_t state_bytes, size_t live,
                      size_t region_bytes)
{
    size_t st = HL_ALIGN_UP(state_bytes ? state_bytes : 1, MICRO_PAGE_BYTES);
    size_t tab = HL_ALIGN_UP((live ? live : 1) * sizeof(void *),
                             MICRO_PAGE_BYTES);
    ar->map_bytes = st + tab + region_bytes;
    ar->map = mmap(NULL, ar->map_bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ar->map == MAP_FAILED)
        return false;
    ar->state = ar->map;
    ar->held = (void **)((char *)ar->map + st);
    ar->region = (char *)ar->map + st + tab;
    ar->region_bytes = region_bytes;
    return true;
}

/* Give the whole area back (state, live table and region). */
static void arena_unmap(struct arena *ar) { munmap(ar->map, ar->map_bytes); }

/* A region for `live` blocks of `bytes` plus pairs: twice their rounded
 * size (headers, slabs, buddy rounding), plus room for metadata, as a
 * power of two of at least MICRO_MIN_REGION_BYTES. */
static size_t region_bytes_for(size_t bytes, size_t live, bool reuse)
{
    size_t block = HL_ALIGN_UP(bytes, HL_HEAP_ALIGN) + 64;
    size_t need = (live + 64) * block * 2 + 4 * MICRO_MIB;
    size_t r = reuse ? MICRO_MIN_REGION_BYTES : MICRO_NOREUSE_REGION_BYTES;
    while (r < need)
        r *= 2;
    return r;
}

/* ---- the timed loops -------------------------------------------------- */

/* n pairs through a project allocator; returns the pairs done (< n only
 * if alloc returned NULL).  *bad_frees counts frees that were refused. */
static int64_t project_pairs(const struct hl_allocator *a, void *state,
                             size_t bytes, int64_t n, uint64_t *cycles,
                             uint64_t *bad_frees)
{
    uint64_t bad = 0;
    int64_t i;
    uint64_t t0 = hl_clock_start();
    for (i = 0; i < n; i++) {
        void *p = a->alloc(state, bytes);
        if (!p)
            break;
        hl_gb_do_not_optimize(p);
        bad += a->free(state, p, bytes) != HL_OK;
    }
    *cycles += hl_clock_stop() - t0;
    *bad_frees += bad;
    return i;
}

/* n pairs through glibc; returns the pairs done (< n only on NULL). */
static int64_t glibc_pairs(size_t bytes, int64_t n, uint64_t *cycles)
{
    int64_t i;
    uint64_t t0 = hl_clock_start();
    for (i = 0; i < n; i++) {
        void *p = glibc_malloc(bytes);
        if (!p)
            break;
        hl_gb_do_not_optimize(p);
        glibc_free(p);
    }
    *cycles += hl_clock_stop() - t0;
    return i;
}

/* n pairs through jemalloc.  pre: je_mallocx and je_sdallocx are set. */
static int64_t jemalloc_pairs(size_t bytes, int64_t n, uint64_t *cycles)
{
    int64_t i;
    uint64_t t0 = hl_clock_start();
    for (i = 0; i < n; i++) {
        void *p = je_mallocx(bytes, 0);
        if (!p)
            break;
        hl_gb_do_not_optimize(p);
        je_sdallocx(p, bytes, 0);
    }
    *cycles += hl_clock_stop() - t0;
    return i;
}

/* n pairs through a sized-free library (mimalloc, tcmalloc). */
static int64_t sized_pairs(const struct subject *sub, size_t bytes, int64_t n,
                           uint64_t *cycles)
{
    void *(*m)(size_t) = sub->malloc_fn;
    void (*f)(void *, size_t) = sub->sized_free_fn;
    int64_t i;
    uint64_t t0 = hl_clock_start();
    for (i = 0; i < n; i++) {
        void *p = m(bytes);
        if (!p)
            break;
        hl_gb_do_not_optimize(p);
        f(p, bytes);
    }
    *cycles += hl_clock_stop() - t0;
    return i;
}

/* n pairs on one slab cache; as project_pairs. */
static int64_t cache_pairs(struct slab_cache *c, int64_t n, uint64_t *cycles,
                           uint64_t *bad_frees)
{
    uint64_t bad = 0;
    int64_t i;
    uint64_t t0 = hl_clock_start();
    for (i = 0; i < n; i++) {
        void *p = slab_cache_alloc(c);
        if (!p)
            break;
        hl_gb_do_not_optimize(p);
        bad += slab_cache_free(c, p) != HL_OK;
    }
    *cycles += hl_clock_stop() - t0;
    *bad_frees += bad;
    return i;
}

/* ---- the benchmark functions ------------------------------------------ */

/* Counters and label common to every run. */
static void report_run(struct hl_gb_state *st, const struct subject *sub,
                       size_t bytes, size_t live, uint64_t cycles)
{
    int64_t iters = hl_gb_iterations(st);
    hl_gb_set_items_processed(st, iters);
    hl_gb_set_bytes_processed(st, iters * (int64_t)bytes);
    hl_gb_set_counter(st, "tsc_cycles_per_pair", (double)cycles,
                      HL_GB_COUNTER_AVG_ITERATIONS);
    hl_gb_set_counter(st, "live_blocks", (double)live, HL_GB_COUNTER_DEFAULT);
    hl_gb_set_label(st, sub->label);
}

/* Init a project allocator on the arena and allocate its live set.
 * Returns NULL or an error message. */
static const char *project_setup(const struct hl_allocator *a,
                                 struct arena *ar, size_t bytes, size_t live)
{
    if (hl_al_init(a, ar->state, ar->region, ar->region_bytes, NULL) != HL_OK)
        return "init refused the region";
    for (size_t k = 0; k < live; k++)
        if (!(ar->held[k] = a->alloc(ar->state, bytes)))
            return "the live set does not fit in the region";
    return NULL;
}

/* heap_pair / frame_pair on a project allocator.  args: (bytes or order,
 * live). */
static void bm_project(struct hl_gb_state *st, void *ctx)
{
    const struct subject *sub = ctx;
    const struct hl_allocator *a = sub->a;
    bool frame = a->family == HL_FAMILY_FRAME;
    size_t bytes = frame ? HL_FRAME_BYTES << (unsigned)hl_gb_range(st, 0)
                         : (size_t)hl_gb_range(st, 0);
    size_t live = (size_t)hl_gb_range(st, 1);
    bool reuse = !(a->flags & HL_F_NO_REUSE);
    struct arena ar;
    char msg[160];

    if (!arena_map(&ar, a->state_bytes, live,
                   region_bytes_for(bytes, live, reuse))) {
        snprintf(msg, sizeof msg, "mmap: %s", strerror(errno));
        hl_gb_skip_with_error(st, msg);
        return;
    }
    const char *err = project_setup(a, &ar, bytes, live);
    /* No reuse: how many pairs fit in what is left, measured with one. */
    int64_t per_region = 0, budget = 0;
    if (!err && !reuse) {
        struct hl_stats s0, s1;
        a->stats(ar.state, &s0);
        void *p = a->alloc(ar.state, bytes);
        a->free(ar.state, p, bytes);
        a->stats(ar.state, &s1);
        size_t used = s1.held_bytes - s0.held_bytes;
        if (!p || used == 0)
            err = "cannot size the batches of a no-reuse allocator";
        else if ((per_region = (int64_t)(s1.free_bytes / used)) < 1)
            err = "the region holds no pair after the live set";
        budget = per_region;
    }
    if (err) {
        hl_gb_skip_with_error(st, err);
        arena_unmap(&ar);
        return;
    }

    uint64_t cycles = 0, bad_frees = 0;
    int64_t n;
    while ((n = hl_gb_next_batch(st, budget)) > 0) {
        if (project_pairs(a, ar.state, bytes, n, &cycles, &bad_frees) < n) {
            hl_gb_skip_with_error(st, "alloc returned NULL in the timed loop");
            break;
        }
        if (!reuse && (budget -= n) == 0) {
            hl_gb_pause(st);
            if ((err = project_setup(a, &ar, bytes, live))) {
                hl_gb_skip_with_error(st, err);
                break;
            }
            budget = per_region;
            hl_gb_resume(st);
        }
    }
    if (!hl_gb_error_occurred(st) && bad_frees) {
        snprintf(msg, sizeof msg, "%llu frees were refused",
                 (unsigned long long)bad_frees);
        hl_gb_skip_with_error(st, msg);
    }
    if (!hl_gb_error_occurred(st)) {
        struct hl_stats s;
        a->stats(ar.state, &s);
        report_run(st, sub, bytes, live, cycles);
        hl_gb_set_counter(st, "held_bytes", (double)s.held_bytes,
                          HL_GB_COUNTER_KIBI);
    }
    if (reuse) /* bump frees nothing; its region goes with the arena */
        for (size_t k = 0; k < live; k++)
            a->free(ar.state, ar.held[k], bytes);
    arena_unmap(&ar);
}

/* One block from a library subject, or NULL. */
static void *library_alloc(const struct subject *sub, size_t bytes)
{
    switch (sub->kind) {
    case SUBJ_JEMALLOC: return je_mallocx(bytes, 0);
    case SUBJ_SIZED: return sub->malloc_fn(bytes);
    default: return glibc_malloc(bytes);
    }
}

static void library_free(const struct subject *sub, void *p, size_t bytes)
{
    switch (sub->kind) {
    case SUBJ_JEMALLOC: je_sdallocx(p, bytes, 0); break;
    case SUBJ_SIZED: sub->sized_free_fn(p, bytes); break;
    default: glibc_free(p); break;
    }
}

/* heap_pair on glibc, jemalloc, mimalloc or tcmalloc.  args: (bytes,
 * live). */
static void bm_library(struct hl_gb_state *st, void *ctx)
{
    const struct subject *sub = ctx;
    size_t bytes = (size_t)hl_gb_range(st, 0);
    size_t live = (size_t)hl_gb_range(st, 1);
    void **held = calloc(live ? live : 1, sizeof *held);
    size_t nheld = 0;
    uint64_t cycles = 0;
    int64_t n;

    if (!held) {
        hl_gb_skip_with_error(st, "out of memory for the live table");
        return;
    }
    while (nheld < live) {
        void *p = library_alloc(sub, bytes);
        if (!p) {
            hl_gb_skip_with_error(st, "the live set could not be allocated");
            break;
        }
        held[nheld++] = p;
    }
    while ((n = hl_gb_next_batch(st, 0)) > 0) {
        int64_t done = sub->kind == SUBJ_JEMALLOC
                           ? jemalloc_pairs(bytes, n, &cycles)
                       : sub->kind == SUBJ_SIZED
                           ? sized_pairs(sub, bytes, n, &cycles)
                           : glibc_pairs(bytes, n, &cycles);
        if (done < n) {
            hl_gb_skip_with_error(st, "malloc returned NULL in the timed loop");
            break;
        }
    }
    if (!hl_gb_error_occurred(st))
        report_run(st, sub, bytes, live, cycles);
    while (nheld) {
        void *p = held[--nheld];
        library_free(sub, p, bytes);
    }
    free(held);
}

/* cache_pair on a slab_cache.  args: (obj_bytes, live). */
static void bm_cache(struct hl_gb_state *st, void *ctx)
{
    const struct subject *sub = ctx;
    size_t bytes = (size_t)hl_gb_range(st, 0);
    size_t live = (size_t)hl_gb_range(st, 1);
    struct arena ar;
    uint64_t cycles = 0, bad_frees = 0;
    size_t nheld = 0;
    struct slab_cache *c = NULL;
    const char *err = NULL;
    char msg[160];
    int64_t n;

    if (!arena_map(&ar, sizeof(struct slab), live,
                   region_bytes_for(bytes, live, true))) {
        snprintf(msg, sizeof msg, "mmap: %s", strerror(errno));
        hl_gb_skip_with_error(st, msg);
        return;
    }
    struct slab *s = ar.state;
    if (slab_init(s, ar.region, ar.region_bytes) != HL_OK)
        err = "slab_init refused the region";
    else if (!(c = slab_cache_create(s, "micro", bytes, 0)))
        err = "slab_cache_create failed";
    while (!err && nheld < live) {
        if (!(ar.held[nheld] = slab_cache_alloc(c)))
            err = "the live set does not fit in the region";
        else
            nheld++;
    }
    if (err)
        hl_gb_skip_with_error(st, err);
    while ((n = hl_gb_next_batch(st, 0)) > 0) {
        if (cache_pairs(c, n, &cycles, &bad_frees) < n) {
            hl_gb_skip_with_error(st, "slab_cache_alloc returned NULL in the "
                                      "timed loop");
            break;
        }
    }
    if (!hl_gb_error_occurred(st) && bad_frees) {
        snprintf(msg, sizeof msg, "%llu frees were refused",
                 (unsigned long long)bad_frees);
        hl_gb_skip_with_error(st, msg);
    }
    if (!hl_gb_error_occurred(st)) {
        struct hl_stats hs;
        slab_stats(s, &hs);
        report_run(st, sub, bytes, live, cycles);
        hl_gb_set_counter(st, "held_bytes", (double)hs.held_bytes,
                          HL_GB_COUNTER_KIBI);
    }
    while (nheld)
        slab_cache_free(c, ar.held[--nheld]);
    if (c)
        slab_cache_destroy(c);
    arena_unmap(&ar);
}

/* ---- registration ----------------------------------------------------- */

static const char *const pair_arg_names[] = {"bytes", "live"};
static const char *const frame_arg_names[] = {"order", "live"};
static const char *const cache_arg_names[] = {"obj_bytes", "live"};

#define MICRO_NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Register prefix/<subject> over first_args x live_counts. */
static void register_family(const char *prefix, struct subject *sub,
                            hl_gb_fn fn, const int64_t *first_args,
                            size_t n_first, const char *const *names)
{
    char name[128];
    snprintf(name, sizeof name, "%s/%s", prefix, sub->name);
    struct hl_gb_bench *b = hl_gb_register(name, fn, sub);
    const int64_t *lists[] = {first_args, live_counts};
    const size_t lens[] = {n_first, MICRO_NELEMS(live_counts)};
    hl_gb_args_product(b, lists, lens, 2);
    hl_gb_arg_names(b, names, 2);
    hl_gb_unit(b, HL_GB_NS);
}

/* Subjects live as long as the process (the shim keeps pointers to
 * them): the registry's allocators plus glibc, jemalloc, the slab cache. */
#define MICRO_MAX_SUBJECTS 64
static struct subject subjects[MICRO_MAX_SUBJECTS];
static size_t n_subjects;

static struct subject *new_subject(enum subject_kind kind, const char *name,
                                   const struct hl_allocator *a)
{
    if (n_subjects == MICRO_MAX_SUBJECTS) {
        fprintf(stderr, "heaplab-micro: more than %d subjects: raise "
                        "MICRO_MAX_SUBJECTS\n", MICRO_MAX_SUBJECTS);
        exit(1);
    }
    struct subject *sub = &subjects[n_subjects++];
    sub->kind = kind;
    sub->name = name;
    sub->a = a;
    return sub;
}

/* The label of sub's runs: what serves them, and the build warning. */
static void set_label(struct subject *sub, const char *what)
{
    snprintf(sub->label, sizeof sub->label, "%s%s%s", what,
             build_warning[0] ? "; UNRELIABLE: " : "", build_warning);
}

/* Register every family: the registry's allocators, glibc, jemalloc (if
 * loaded), the slab cache. */
static void register_all(bool have_jemalloc)
{
    char what[256];
    for (const struct hl_allocator *const *ap = hl_allocators; *ap; ap++) {
        const struct hl_allocator *a = *ap;
        struct subject *sub = new_subject(SUBJ_PROJECT, a->name, a);
        bool frame = a->family == HL_FAMILY_FRAME;
        snprintf(what, sizeof what, "heaplab %s via its hl_allocator vtable "
                 "(mmap'd region)", a->name);
        set_label(sub, what);
        if (frame)
            register_family("frame_pair", sub, bm_project, frame_orders,
                            MICRO_NELEMS(frame_orders), frame_arg_names);
        else
            register_family("heap_pair", sub, bm_project, heap_sizes,
                            MICRO_NELEMS(heap_sizes), pair_arg_names);
    }

    struct subject *g = new_subject(SUBJ_GLIBC, "glibc", NULL);
    snprintf(what, sizeof what, "glibc ptmalloc via __libc_malloc/__libc_free "
             "from %s", object_of_fn((void (*)(void))glibc_malloc));
    set_label(g, what);
    register_family("heap_pair", g, bm_library, heap_sizes,
                    MICRO_NELEMS(heap_sizes), pair_arg_names);

    if (have_jemalloc) {
        struct subject *j = new_subject(SUBJ_JEMALLOC, "jemalloc", NULL);
        snprintf(what, sizeof what, "jemalloc via mallocx/sdallocx from %s "
                 "(preloaded)", object_of_fn((void (*)(void))je_mallocx));
        set_label(j, what);
        register_family("heap_pair", j, bm_library, heap_sizes,
                        MICRO_NELEMS(heap_sizes), pair_arg_names);
    }

    for (size_t i = 0; i < MICRO_NELEMS(sized_libs); i++) {
        struct sized_lib *l = &sized_libs[i];
        if (!l->malloc_fn || !l->sized_free_fn)
            continue;
        struct subject *sub = new_subject(SUBJ_SIZED, l->name, NULL);
        sub->malloc_fn = l->malloc_fn;
        sub->sized_free_fn = l->sized_free_fn;
        snprintf(what, sizeof what, "%s via %s/%s from %s (preloaded)",
                 l->name, l->malloc_sym, l->free_sym,
                 object_of_fn((void (*)(void))l->malloc_fn));
        set_label(sub, what);
        register_family("heap_pair", sub, bm_library, heap_sizes,
                        MICRO_NELEMS(heap_sizes), pair_arg_names);
    }

    struct subject *c = new_subject(SUBJ_CACHE, "slab", &hl_slab);
    set_label(c, "heaplab slab: slab_cache_alloc/slab_cache_free on one "
                 "slab_cache_create cache (mmap'd region)");
    register_family("cache_pair", c, bm_cache, heap_sizes,
                    MICRO_NELEMS(heap_sizes), cache_arg_names);
}

/* ---- jemalloc, the build, the command line ----------------------------- */

/* Where Debian (multiarch) and other systems keep libjemalloc.so.2. */
static const char *const jemalloc_paths[] = {
    "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
    "/lib/x86_64-linux-gnu/libjemalloc.so.2",
    "/usr/lib64/libjemalloc.so.2",
    "/usr/local/lib/libjemalloc.so.2",
    "/usr/lib/libjemalloc.so.2",
    NULL,
};

#define MICRO_REEXEC_ENV "HEAPLAB_MICRO_PRELOADED"

/* glibc_malloc/glibc_free from libc.so.6 itself (not the first
 * definition in the process).  Returns false if libc cannot be found. */
static bool glibc_resolve(void)
{
    void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    if (!libc)
        return false;
    void *m = dlsym(libc, "__libc_malloc"), *f = dlsym(libc, "__libc_free");
    memcpy(&glibc_malloc, &m, sizeof m);
    memcpy(&glibc_free, &f, sizeof f);
    return glibc_malloc && glibc_free;
}

/* Are mallocx and sdallocx in the process?  Also looks up the sized
 * libraries' entry points (sized_libs). */
static bool probe_jemalloc(void)
{
    MICRO_SYM(je_mallocx, "mallocx");
    MICRO_SYM(je_sdallocx, "sdallocx");
    for (size_t i = 0; i < MICRO_NELEMS(sized_libs); i++) {
        MICRO_SYM(sized_libs[i].malloc_fn, sized_libs[i].malloc_sym);
        MICRO_SYM(sized_libs[i].sized_free_fn, sized_libs[i].free_sym);
    }
    return je_mallocx && je_sdallocx;
}

/* The installed file of one of `files` in the usual library folders, or
 * NULL. */
static const char *find_lib(const char *const *files, char *buf, size_t cap)
{
    static const char *const dirs[] = {
        "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64",
        "/usr/local/lib", "/usr/lib", NULL,
    };
    for (const char *const *f = files; *f; f++)
        for (const char *const *d = dirs; *d; d++) {
            int n = snprintf(buf, cap, "%s/%s", *d, *f);
            if (n > 0 && (size_t)n < cap && access(buf, R_OK) == 0)
                return buf;
        }
    return NULL;
}

/* --with-jemalloc: re-execute this program with libjemalloc.so.2 in
 * LD_PRELOAD (in front of what is there); --with-baselines (all true):
 * with mimalloc and tcmalloc after it too, those installed.  Returns only
 * on failure, with the exit status to use. */
static int reexec_with_jemalloc(char **argv, bool all)
{
    const char *flag = all ? "--with-baselines" : "--with-jemalloc";
    if (HL_GB_SANITIZE[0]) {
        fprintf(stderr, "heaplab-micro: %s: refused in a "
                        "sanitized build (the sanitizer owns malloc)\n", flag);
        return 2;
    }
    if (getenv(MICRO_REEXEC_ENV)) {
        fprintf(stderr, "heaplab-micro: %s: preloaded, but "
                        "mallocx/sdallocx are still not found\n", flag);
        return 1;
    }
    const char *lib = NULL;
    for (const char *const *p = jemalloc_paths; *p && !lib; p++)
        if (access(*p, R_OK) == 0)
            lib = *p;
    if (!lib) {
        fprintf(stderr, "heaplab-micro: %s: libjemalloc.so.2 "
                        "is not installed (Debian: libjemalloc2)\n", flag);
        return 1;
    }
    char libs[1024];
    size_t used = (size_t)snprintf(libs, sizeof libs, "%s", lib);
    for (size_t i = 0; all && i < MICRO_NELEMS(sized_libs); i++) {
        char buf[512];
        const char *f = find_lib(sized_libs[i].files, buf, sizeof buf);
        if (f && used < sizeof libs)
            used += (size_t)snprintf(libs + used, sizeof libs - used, ":%s",
                                     f);
    }
    const char *old = getenv("LD_PRELOAD");
    char preload[4096];
    int len = snprintf(preload, sizeof preload, "%s%s%s", libs,
                       old && old[0] ? ":" : "", old ? old : "");
    if (used >= sizeof libs || len < 0 || (size_t)len >= sizeof preload) {
        fprintf(stderr, "heaplab-micro: %s: LD_PRELOAD too long\n", flag);
        return 1;
    }
    setenv("LD_PRELOAD", preload, 1);
    setenv(MICRO_REEXEC_ENV, "1", 1);
    fflush(NULL);
    execv("/proc/self/exe", argv);
    fprintf(stderr, "heaplab-micro: --with-jemalloc: exec: %s\n",
            strerror(errno));
    return 1;
}

/* Why this build's timings are not release figures, or "". */
static const char *find_build_warning(void)
{
    if (HL_GB_SANITIZE[0])
        return "sanitized build (" HL_GB_SANITIZE "): timings are not "
               "release figures";
    if (HL_CHECK_LEVEL > 0)
        return "checked build (HL_CHECK_LEVEL=" HL_STR(HL_CHECK_LEVEL)
               "): timings are not release figures";
#ifndef __OPTIMIZE__
    return "unoptimized build: timings are not release figures";
#endif
    return "";
}

/* heaplab-micro's part of --help (Google Benchmark prints its flags after). */
static void print_help(void)
{
    printf(
        "usage: heaplab-micro [--with-jemalloc | --with-baselines] "
        "[Google Benchmark flags]\n"
        "\n"
        "Micro-benchmarks of heaplab's allocators through Google Benchmark:\n"
        "  heap_pair/<allocator>/bytes:B/live:L   alloc+free of B bytes with "
        "L\n"
        "      other blocks live; the registry's heap allocators, glibc\n"
        "      (__libc_malloc), jemalloc (mallocx), mimalloc (mi_malloc),\n"
        "      tcmalloc (tc_malloc): these three only when loaded\n"
        "  frame_pair/<allocator>/order:K/live:L  alloc+free of 2^K frames\n"
        "  cache_pair/slab/obj_bytes:B/live:L     slab_cache_alloc+free\n"
        "Counters: tsc_cycles_per_pair (rdtsc ticks), items_per_second "
        "(pairs),\nbytes_per_second, live_blocks, held_bytes; the label "
        "names what served.\n"
        "\n"
        "jemalloc is not linked in (it would replace malloc for the whole\n"
        "process): its benchmarks exist only when mallocx/sdallocx are\n"
        "found, i.e. under LD_PRELOAD=libjemalloc.so.2.\n"
        "  --with-jemalloc   re-run this program with that preload (then\n"
        "                    jemalloc also serves Google Benchmark itself;\n"
        "                    glibc runs still reach ptmalloc directly)\n"
        "  --with-baselines  the same with mimalloc and tcmalloc preloaded\n"
        "                    after jemalloc (those installed), so that\n"
        "                    heap_pair/mimalloc and heap_pair/tcmalloc run\n"
        "\n"
        "Exit status: 0 ok; 1 a benchmark failed or none matched the "
        "filter;\n2 an unknown argument.  Timing a checked or sanitized "
        "build is\nwarned about on stderr, in the context and in every "
        "label.\n"
        "e.g.  heaplab-micro --with-jemalloc --benchmark_filter='bytes:64/"
        "live:0'\n"
        "        --benchmark_repetitions=5 --benchmark_report_aggregates_only"
        "=true\n"
        "        --benchmark_out=micro.json --benchmark_out_format=json\n"
        "\n");
}

/* --with-jemalloc (re-exec), the context, the benchmarks, then Google
 * Benchmark's main. */
int main(int argc, char **argv)
{
    /* Our one flag; everything else goes to Google Benchmark. */
    bool with_jemalloc = false, with_baselines = false;
    for (int i = 1; i < argc; i++) {
        with_jemalloc |= !strcmp(argv[i], "--with-jemalloc");
        with_baselines |= !strcmp(argv[i], "--with-baselines");
    }
    if (!glibc_resolve()) {
        fprintf(stderr, "heaplab-micro: __libc_malloc/__libc_free not found "
                        "in libc.so.6\n");
        return 1;
    }
    bool have_jemalloc = probe_jemalloc();
    if ((with_jemalloc || with_baselines) && !have_jemalloc)
        return reexec_with_jemalloc(argv, with_baselines);
    int n_left = 1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--with-jemalloc") &&
            strcmp(argv[i], "--with-baselines"))
            argv[n_left++] = argv[i];
    argv[n_left] = NULL;
    argc = n_left;

    build_warning = find_build_warning();
    if (build_warning[0])
        fprintf(stderr, "heaplab-micro: WARNING: %s\n", build_warning);

    char buf[512];
    void *malloc_sym = dlsym(RTLD_DEFAULT, "malloc");
    hl_gb_add_context("heaplab_build_warning",
                      build_warning[0] ? build_warning : "none");
    hl_gb_add_context("heaplab_check_level", HL_STR(HL_CHECK_LEVEL));
    hl_gb_add_context("heaplab_sanitize",
                      HL_GB_SANITIZE[0] ? HL_GB_SANITIZE : "none");
    hl_gb_add_context("heaplab_build_type", HL_GB_BUILD_TYPE);
    hl_gb_add_context("heaplab_malloc_provider", object_of(malloc_sym));
    if (have_jemalloc) {
        snprintf(buf, sizeof buf, "loaded: mallocx from %s",
                 object_of_fn((void (*)(void))je_mallocx));
    } else {
        snprintf(buf, sizeof buf, "not loaded: no jemalloc benchmarks "
                 "(run with --with-jemalloc or LD_PRELOAD=libjemalloc.so.2)");
    }
    hl_gb_add_context("heaplab_jemalloc", buf);
    for (size_t i = 0; i < MICRO_NELEMS(sized_libs); i++) {
        const struct sized_lib *l = &sized_libs[i];
        char key[64];
        snprintf(key, sizeof key, "heaplab_%s", l->name);
        if (l->malloc_fn && l->sized_free_fn)
            snprintf(buf, sizeof buf, "loaded: %s from %s", l->malloc_sym,
                     object_of_fn((void (*)(void))l->malloc_fn));
        else
            snprintf(buf, sizeof buf, "not loaded: no %s benchmarks (run "
                     "with --with-baselines)", l->name);
        hl_gb_add_context(key, buf);
    }
    const char *preload = getenv("LD_PRELOAD");
    hl_gb_add_context("heaplab_ld_preload",
                      preload && preload[0] ? preload : "none");
    /* Debian builds libbenchmark without NDEBUG, so Google Benchmark
     * warns "Library was built as DEBUG": that concerns its own code
     * around the runs; the timed loops are ours (one shim call a batch). */
    hl_gb_add_context("heaplab_timed_loop",
                      "heaplab C code, one shim call per batch; "
                      "library_build_type concerns only Google Benchmark's "
                      "code around the batches");
    hl_gb_add_context("heaplab_tsc_cycles_per_pair",
                      "lfence;rdtsc .. lfence;rdtsc;lfence around each batch, "
                      "invariant-TSC ticks per alloc+free pair");

    register_all(have_jemalloc);
    hl_gb_set_help(print_help);
    return hl_gb_main(argc, argv);
}
