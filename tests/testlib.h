/*
 * testlib.h — shared helpers for the cmocka tests: regions and state
 * blocks from the host heap (so ASan sees overruns past their ends), and
 * capture of allocator reports (hl_report) as test events or failures.
 */
#ifndef HEAPLAB_TESTLIB_H
#define HEAPLAB_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "allocators/allocator.h"

/* A region of `bytes` bytes aligned to `align`; tl_free() it. */
void *tl_region(size_t bytes, size_t align);
/* A zeroed state block for allocator a. */
void *tl_state(const struct hl_allocator *a);
void tl_free(void *p);

/* Reports from checked allocators.
 * tl_reports_fail(): any report fails the running test (the default once
 *   tl_reports_fail() or tl_reports_record() has been called: pick one).
 * tl_reports_record(): reports are counted; read them back below. */
void tl_reports_fail(void);
void tl_reports_record(void);
unsigned tl_report_count(void);
const char *tl_last_report_what(void);
const void *tl_last_report_ptr(void);
void tl_reports_reset(void);

/* Fails the test if a's check() finds any violation, naming the first. */
void tl_assert_check(const struct hl_allocator *a, const void *state);
/* Fails the test if a's stats break the conservation law of allocator.h. */
void tl_assert_stats_sane(const struct hl_allocator *a, const void *state);

#endif /* HEAPLAB_TESTLIB_H */
