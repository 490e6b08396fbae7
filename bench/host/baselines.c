/*
 * baselines.c — glibc, jemalloc, mimalloc and tcmalloc behind the
 * allocator interface (baselines.h explains the isolation).
 *
 * One state layout serves all four: the library's entry points, resolved
 * at init (dlsym in the preloaded child; glibc's are linked), and the
 * counters the wrapper keeps itself.  Every entry point is called out of
 * line through a pointer kept in the state, and the pointer it returns is
 * stored in the harness's slot table, so the compiler cannot pair up and
 * delete an alloc/free.
 */
#define _GNU_SOURCE
#include "bench/host/baselines.h"

#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* glibc's own entry points: reach ptmalloc even where malloc is
 * interposed. */
extern void *__libc_malloc(size_t bytes);
extern void __libc_free(void *ptr);

struct bl_state {
    /* Entry points (which ones are set depends on the baseline). */
    void *(*malloc_fn)(size_t bytes);
    void (*free_fn)(void *ptr);
    void *(*mallocx_fn)(size_t bytes, int flags);
    void (*sized_free_fn)(void *ptr, size_t bytes);
    void (*sdallocx_fn)(void *ptr, size_t bytes, int flags);
    int (*mallctl_fn)(const char *name, void *oldp, size_t *oldlenp,
                      void *newp, size_t newlen);
    void (*mi_info_fn)(size_t *elapsed_msecs, size_t *user_msecs,
                       size_t *system_msecs, size_t *current_rss,
                       size_t *peak_rss, size_t *current_commit,
                       size_t *peak_commit, size_t *page_faults);
    int (*tc_prop_fn)(const char *property, size_t *value);
    /* Counted by the wrapper. */
    size_t live_bytes, live_blocks;
    uint64_t allocs, frees, failed_allocs;
};

_Static_assert(sizeof(struct bl_state) % 8 == 0, "state stays 8-aligned");

/* Look a symbol up in the process (the preloaded library); NULL if
 * absent.  The cast from void * is what POSIX dlsym promises to work. */
static void *sym(const char *name) { return dlsym(RTLD_DEFAULT, name); }

_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
               "dlsym's object pointer holds a function pointer");
/* Store dlsym's answer in a function-pointer field without type punning. */
#define BL_SYM(field, name)                                                  \
    do {                                                                     \
        void *sym_ = sym(name);                                              \
        memcpy(&(field), &sym_, sizeof sym_);                                \
    } while (0)

static void bl_reset(struct bl_state *s)
{
    memset(s, 0, sizeof *s);
}

/* Count an alloc's outcome; returns p. */
static void *bl_counted(struct bl_state *s, void *p, size_t bytes)
{
    if (!p) {
        s->failed_allocs++;
        return NULL;
    }
    s->allocs++;
    s->live_blocks++;
    s->live_bytes += bytes;
    return p;
}

static void bl_uncount(struct bl_state *s, size_t bytes)
{
    s->frees++;
    s->live_blocks--;
    s->live_bytes -= bytes ? bytes : 1;
}

/* Fill the counters' half of out; the caller adds the space figures. */
static void bl_stats_common(const struct bl_state *s, struct hl_stats *out)
{
    memset(out, 0, sizeof *out);
    out->live_bytes = s->live_bytes;
    out->live_blocks = s->live_blocks;
    out->allocs = s->allocs;
    out->frees = s->frees;
    out->failed_allocs = s->failed_allocs;
}

/* held <= capacity by construction; the library cannot say how large its
 * largest free extent is, so it is reported as all of free_bytes. */
static void bl_space(struct hl_stats *out, size_t held, size_t capacity)
{
    if (capacity < held)
        capacity = held;
    out->held_bytes = held;
    out->capacity_bytes = capacity;
    out->free_bytes = capacity - held;
    out->largest_free_bytes = out->free_bytes;
}

static size_t bl_check(const void *state, struct hl_violation *first)
{
    (void)state;
    (void)first;
    return 0;
}

/* ---- glibc ------------------------------------------------------------------ */

static enum hl_status glibc_init(void *state, void *base, size_t bytes,
                              const struct hl_al_params *p)
{
    (void)p;
    (void)base;
    (void)bytes;
    struct bl_state *s = state;
    bl_reset(s);
    s->malloc_fn = __libc_malloc;
    s->free_fn = __libc_free;
    return HL_OK;
}

__attribute__((noinline)) static void *glibc_alloc(void *state, size_t bytes)
{
    struct bl_state *s = state;
    size_t n = bytes ? bytes : 1;
    return bl_counted(s, s->malloc_fn(n), n);
}

__attribute__((noinline)) static enum hl_status glibc_free(void *state,
                                                           void *ptr,
                                                           size_t bytes)
{
    struct bl_state *s = state;
    if (!ptr)
        return HL_OK;
    s->free_fn(ptr);
    bl_uncount(s, bytes);
    return HL_OK;
}

/* mallinfo2: arena (sbrk'd) + hblkhd (mmapped) is what glibc holds from
 * the system; fordblks of it is free. */
static void glibc_stats(const void *state, struct hl_stats *out)
{
    bl_stats_common(state, out);
    struct mallinfo2 mi = mallinfo2();
    size_t capacity = mi.arena + mi.hblkhd;
    size_t held = capacity > mi.fordblks ? capacity - mi.fordblks : 0;
    bl_space(out, held, capacity);
}

static const struct hl_allocator bl_glibc = {
    .name = "glibc",
    .summary = "baseline: glibc ptmalloc through __libc_malloc/__libc_free",
    .family = HL_FAMILY_HEAP,
    .state_bytes = sizeof(struct bl_state),
    .align_bytes = 16,
    .init = glibc_init,
    .alloc = glibc_alloc,
    .free = glibc_free,
    .stats = glibc_stats,
    .check = bl_check,
};

/* ---- jemalloc --------------------------------------------------------------- */

static enum hl_status jemalloc_init(void *state, void *base, size_t bytes,
                              const struct hl_al_params *p)
{
    (void)p;
    (void)base;
    (void)bytes;
    struct bl_state *s = state;
    bl_reset(s);
    BL_SYM(s->mallocx_fn, "mallocx");
    BL_SYM(s->sdallocx_fn, "sdallocx");
    BL_SYM(s->mallctl_fn, "mallctl");
    /* Not preloaded: the cell cannot run (the child says why). */
    if (!s->mallocx_fn || !s->sdallocx_fn || !s->mallctl_fn)
        return HL_E_REGION;
    return HL_OK;
}

__attribute__((noinline)) static void *jemalloc_alloc(void *state,
                                                      size_t bytes)
{
    struct bl_state *s = state;
    size_t n = bytes ? bytes : 1; /* mallocx(0) is undefined */
    return bl_counted(s, s->mallocx_fn(n, 0), n);
}

__attribute__((noinline)) static enum hl_status jemalloc_free(void *state,
                                                              void *ptr,
                                                              size_t bytes)
{
    struct bl_state *s = state;
    if (!ptr)
        return HL_OK;
    s->sdallocx_fn(ptr, bytes ? bytes : 1, 0);
    bl_uncount(s, bytes);
    return HL_OK;
}

static size_t jemalloc_stat(const struct bl_state *s, const char *name)
{
    size_t v = 0, len = sizeof v;
    if (s->mallctl_fn(name, &v, &len, NULL, 0) != 0)
        return 0;
    return v;
}

/* After an "epoch" refresh: held = stats.active (pages of live extents),
 * capacity = stats.resident (what jemalloc keeps in RAM). */
static void jemalloc_stats(const void *state, struct hl_stats *out)
{
    const struct bl_state *s = state;
    bl_stats_common(s, out);
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    s->mallctl_fn("epoch", &epoch, &len, &epoch, len);
    bl_space(out, jemalloc_stat(s, "stats.active"),
             jemalloc_stat(s, "stats.resident"));
}

static const struct hl_allocator bl_jemalloc = {
    .name = "jemalloc",
    .summary = "baseline: jemalloc through mallocx/sdallocx (preloaded)",
    .family = HL_FAMILY_HEAP,
    .state_bytes = sizeof(struct bl_state),
    .align_bytes = 16,
    .init = jemalloc_init,
    .alloc = jemalloc_alloc,
    .free = jemalloc_free,
    .stats = jemalloc_stats,
    .check = bl_check,
};

/* ---- mimalloc ----------------------------------------------------------- */

static enum hl_status mimalloc_init(void *state, void *base, size_t bytes,
                              const struct hl_al_params *p)
{
    (void)p;
    (void)base;
    (void)bytes;
    struct bl_state *s = state;
    bl_reset(s);
    BL_SYM(s->malloc_fn, "mi_malloc");
    BL_SYM(s->sized_free_fn, "mi_free_size");
    BL_SYM(s->mi_info_fn, "mi_process_info");
    if (!s->malloc_fn || !s->sized_free_fn || !s->mi_info_fn)
        return HL_E_REGION;
    return HL_OK;
}

__attribute__((noinline)) static void *sized_lib_alloc(void *state,
                                                       size_t bytes)
{
    struct bl_state *s = state;
    size_t n = bytes ? bytes : 1;
    return bl_counted(s, s->malloc_fn(n), n);
}

__attribute__((noinline)) static enum hl_status sized_lib_free(void *state,
                                                               void *ptr,
                                                               size_t bytes)
{
    struct bl_state *s = state;
    if (!ptr)
        return HL_OK;
    s->sized_free_fn(ptr, bytes ? bytes : 1);
    bl_uncount(s, bytes);
    return HL_OK;
}

/* held = capacity = the process's committed memory (mimalloc has no
 * per-heap active figure in its stable API). */
static void mimalloc_stats(const void *state, struct hl_stats *out)
{
    const struct bl_state *s = state;
    bl_stats_common(s, out);
    size_t elapsed, user, sys, rss, peak_rss, commit = 0, peak_commit, faults;
    s->mi_info_fn(&elapsed, &user, &sys, &rss, &peak_rss, &commit,
                  &peak_commit, &faults);
    bl_space(out, commit, commit);
}

static const struct hl_allocator bl_mimalloc = {
    .name = "mimalloc",
    .summary = "baseline: mimalloc through mi_malloc/mi_free_size (preloaded)",
    .family = HL_FAMILY_HEAP,
    .state_bytes = sizeof(struct bl_state),
    .align_bytes = 16,
    .init = mimalloc_init,
    .alloc = sized_lib_alloc,
    .free = sized_lib_free,
    .stats = mimalloc_stats,
    .check = bl_check,
};

/* ---- tcmalloc (gperftools) -------------------------------------------------- */

static enum hl_status tcmalloc_init(void *state, void *base, size_t bytes,
                              const struct hl_al_params *p)
{
    (void)p;
    (void)base;
    (void)bytes;
    struct bl_state *s = state;
    bl_reset(s);
    BL_SYM(s->malloc_fn, "tc_malloc");
    BL_SYM(s->sized_free_fn, "tc_free_sized");
    BL_SYM(s->tc_prop_fn, "MallocExtension_GetNumericProperty");
    if (!s->malloc_fn || !s->sized_free_fn || !s->tc_prop_fn)
        return HL_E_REGION;
    return HL_OK;
}

static size_t tcmalloc_prop(const struct bl_state *s, const char *name)
{
    size_t v = 0;
    return s->tc_prop_fn(name, &v) ? v : 0;
}

/* held = bytes in use by the application as tcmalloc counts them;
 * capacity = its heap less what it has unmapped. */
static void tcmalloc_stats(const void *state, struct hl_stats *out)
{
    const struct bl_state *s = state;
    bl_stats_common(s, out);
    size_t heap = tcmalloc_prop(s, "generic.heap_size");
    size_t unmapped = tcmalloc_prop(s, "tcmalloc.pageheap_unmapped_bytes");
    bl_space(out, tcmalloc_prop(s, "generic.current_allocated_bytes"),
             heap > unmapped ? heap - unmapped : 0);
}

static const struct hl_allocator bl_tcmalloc = {
    .name = "tcmalloc",
    .summary = "baseline: gperftools tcmalloc through tc_malloc/tc_free_sized "
               "(preloaded)",
    .family = HL_FAMILY_HEAP,
    .state_bytes = sizeof(struct bl_state),
    .align_bytes = 16,
    .init = tcmalloc_init,
    .alloc = sized_lib_alloc,
    .free = sized_lib_free,
    .stats = tcmalloc_stats,
    .check = bl_check,
};

/* ---- the table and the probe ---------------------------------------------- */

static const char *const jemalloc_libs[] = {"libjemalloc.so.2", NULL};
static const char *const mimalloc_libs[] = {"libmimalloc.so.2",
                                            "libmimalloc.so", NULL};
static const char *const tcmalloc_libs[] = {"libtcmalloc_minimal.so.4",
                                            "libtcmalloc.so.4", NULL};

const struct hl_baseline hl_baselines[] = {
    {&bl_glibc, NULL},
    {&bl_jemalloc, jemalloc_libs},
    {&bl_mimalloc, mimalloc_libs},
    {&bl_tcmalloc, tcmalloc_libs},
    {NULL, NULL},
};

/* Where Debian (multiarch), other distributions and local installs put
 * shared libraries. */
static const char *const lib_dirs[] = {
    "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64",
    "/usr/local/lib", "/usr/lib", NULL,
};

bool hl_baseline_probe(const struct hl_baseline *b, char *path, size_t cap)
{
    if (cap)
        path[0] = '\0';
    if (!b->libs)
        return true;
    for (const char *const *lib = b->libs; *lib; lib++) {
        for (const char *const *dir = lib_dirs; *dir; dir++) {
            int n = snprintf(path, cap, "%s/%s", *dir, *lib);
            if (n > 0 && (size_t)n < cap && access(path, R_OK) == 0)
                return true;
        }
    }
    if (cap)
        path[0] = '\0';
    return false;
}

bool hl_baseline_preload(const struct hl_baseline *b, char *path, size_t cap)
{
    return b->libs && hl_baseline_probe(b, path, cap);
}
