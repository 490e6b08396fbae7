/*
 * baselines.h — the system's allocators as `struct hl_allocator` values,
 * host-only, so that every table and figure can show them beside the
 * project's allocators.
 *
 *   glibc     __libc_malloc / __libc_free: always glibc's ptmalloc, even in
 *             a process where something else interposes malloc
 *   jemalloc  mallocx / sdallocx / mallctl, found with dlsym
 *   mimalloc  mi_malloc / mi_free_size / mi_process_info  (if installed)
 *   tcmalloc  tc_malloc / tc_free_sized /
 *             MallocExtension_GetNumericProperty          (if installed)
 *
 * Isolation.  heaplab is linked against none of these libraries.  A cell
 * of a library baseline runs in a child exec'd with LD_PRELOAD=<library>,
 * so the library serves the whole child (Debian's jemalloc has no symbol
 * prefix: once loaded it IS malloc; dlopen of it fails on static TLS) and
 * the wrapper finds the API with dlsym.  A glibc cell (and a project
 * allocator's cell) runs with no preload at all, so no other allocator's
 * code is mapped.  Each cell child reports which object `malloc` resolves
 * to and whether libjemalloc is mapped (cells.log, meta.csv).
 *
 * The wrappers ignore the region given to init; they count live bytes and
 * blocks themselves and take held/capacity from the library's own
 * statistics (docs/csv-schema.md lists the limitations); check() finds
 * nothing to check and returns 0.
 */
#ifndef HEAPLAB_BASELINES_H
#define HEAPLAB_BASELINES_H

#include <stdbool.h>
#include <stddef.h>

#include "allocators/allocator.h"

struct hl_baseline {
    const struct hl_allocator *a; /* NULL ends hl_baselines[] */
    /* Library file names searched in the system's library folders, NULL
     * terminated; NULL for glibc (always present, never preloaded). */
    const char *const *libs;
};

extern const struct hl_baseline hl_baselines[];

/* Is the baseline installed?  Writes the path of its library (or "" for
 * glibc) into path. */
bool hl_baseline_probe(const struct hl_baseline *b, char *path, size_t cap);

/* The library's path to preload for this baseline's cells, or false when
 * none is needed (glibc) or none is installed. */
bool hl_baseline_preload(const struct hl_baseline *b, char *path, size_t cap);

#endif /* HEAPLAB_BASELINES_H */
