/*
 * param.h — named integer parameters with a default and a range, and their
 * "name=value,name=value" text: the shape allocators declare their knobs
 * in (allocator.h), the same shape as a workload's (workload.h).
 * Freestanding.
 *
 * A parameter set is an array of uint64_t by declaration index.  Text is
 * parsed from any subset in any order over a base set, and printed
 * canonically: declaration order, every parameter.
 */
#ifndef HEAPLAB_PARAM_H
#define HEAPLAB_PARAM_H

#include <stddef.h>
#include <stdint.h>

#define HL_PARAM_MAX 8u

struct hl_param {
    const char *name;    /* e.g. "keep_empty" */
    const char *unit;    /* e.g. "slabs", "bytes", "order", "0..3" */
    const char *summary; /* one line for `heaplab list` */
    uint64_t def, min, max;
};

/* Index of the parameter whose name is the len bytes at name, or -1. */
int hl_param_index(const struct hl_param *decl, unsigned n, const char *name,
                   size_t len);

/* Set the values "k=v,..." of text names in v[] (the others are kept).
 * 0, or -1 with a static message in *err and the offending text's offset
 * in *err_at (either may be NULL; v is then unchanged).  Checks each value
 * against its range. */
int hl_param_parse(const struct hl_param *decl, unsigned n, const char *text,
                   uint64_t *v, const char **err, size_t *err_at);

/* 0 if every v[i] is inside [min, max]; else -1, a static message in *err
 * and the index in *bad (either may be NULL). */
int hl_param_validate(const struct hl_param *decl, unsigned n,
                      const uint64_t *v, const char **err, int *bad);

/* Canonical text; returns the length, writes at most cap bytes (NUL
 * included), like snprintf. */
size_t hl_param_format(const struct hl_param *decl, unsigned n,
                       const uint64_t *v, char *buf, size_t cap);

#endif /* HEAPLAB_PARAM_H */
