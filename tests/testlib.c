#include "tests/testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/host/port_host.h"

void *tl_region(size_t bytes, size_t align)
{
    size_t rounded = (bytes + align - 1) / align * align;
    void *p = aligned_alloc(align, rounded ? rounded : align);
    assert_non_null(p);
    return p;
}

void *tl_state(const struct hl_allocator *a)
{
    void *p = tl_region(a->state_bytes ? a->state_bytes : 1, HL_STATE_ALIGN);
    memset(p, 0, a->state_bytes);
    return p;
}

void tl_free(void *p) { free(p); }

static unsigned report_count;
static char last_what[160];
static const void *last_ptr;

static void record_hook(void *ctx, const char *allocator, const char *what,
                        const void *ptr, size_t bytes)
{
    (void)ctx;
    (void)allocator;
    (void)bytes;
    report_count++;
    snprintf(last_what, sizeof last_what, "%s", what);
    last_ptr = ptr;
}

static void fail_hook(void *ctx, const char *allocator, const char *what,
                      const void *ptr, size_t bytes)
{
    (void)ctx;
    fail_msg("allocator %s reported '%s' at %p (%zu bytes) on a valid operation",
             allocator, what, ptr, bytes);
}

void tl_reports_fail(void) { hl_host_set_report_hook(fail_hook, NULL); }
void tl_reports_record(void)
{
    tl_reports_reset();
    hl_host_set_report_hook(record_hook, NULL);
}
unsigned tl_report_count(void) { return report_count; }
const char *tl_last_report_what(void) { return last_what; }
const void *tl_last_report_ptr(void) { return last_ptr; }
void tl_reports_reset(void)
{
    report_count = 0;
    last_what[0] = '\0';
    last_ptr = NULL;
}

void tl_assert_check(const struct hl_allocator *a, const void *state)
{
    struct hl_violation first = {0};
    size_t n = a->check(state, &first);
    if (n != 0)
        fail_msg("%s: check() found %zu violation(s); first: %s at %#lx",
                 a->name, n, first.what ? first.what : "(no text)",
                 (unsigned long)first.addr);
}

void tl_assert_stats_sane(const struct hl_allocator *a, const void *state)
{
    struct hl_stats s;
    memset(&s, 0xA5, sizeof s);
    a->stats(state, &s);
    if (s.held_bytes + s.free_bytes != s.capacity_bytes)
        fail_msg("%s: held %zu + free %zu != capacity %zu", a->name,
                 s.held_bytes, s.free_bytes, s.capacity_bytes);
    if (s.largest_free_bytes > s.free_bytes)
        fail_msg("%s: largest free %zu > free %zu", a->name,
                 s.largest_free_bytes, s.free_bytes);
    if (s.meta_bytes > s.held_bytes)
        fail_msg("%s: meta %zu > held %zu", a->name, s.meta_bytes,
                 s.held_bytes);
    if (!(a->flags & HL_F_NO_REUSE) &&
        s.live_bytes > s.held_bytes - s.meta_bytes)
        fail_msg("%s: live %zu > held %zu - meta %zu", a->name, s.live_bytes,
                 s.held_bytes, s.meta_bytes);
    if (s.live_blocks != s.allocs - s.frees)
        fail_msg("%s: live blocks %zu != allocs %llu - frees %llu", a->name,
                 s.live_blocks, (unsigned long long)s.allocs,
                 (unsigned long long)s.frees);
}
