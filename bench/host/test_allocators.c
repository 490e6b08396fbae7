/*
 * test_allocators.c — allocators that misbehave on purpose, linked only
 * into heaplab-testbuild, so the CLI tests can prove that a crash or a
 * hang in one cell becomes status=crashed / status=timeout rows while the
 * rest of the run completes.
 *
 *   test-crash  serves requests from the project's bump allocator, then
 *               raises SIGSEGV on the cell's TC_CRASH_AFTER-th alloc
 *               (counted across passes)
 *   test-hang   never returns from its first alloc
 *   test-leaky  the project's bump allocator, except that it drops every
 *               TC_LEAK_EVERY-th free of a pass (counted from its init):
 *               the block stays live in its own count, a deliberate
 *               allocator leak for the leak detector's tests (leak.h)
 */
#include "bench/host/cli.h"

#include <signal.h>

#include "allocators/bump.h"

/* Late enough that a small cell delivers its first rep or two. */
#define TC_CRASH_AFTER 2000u

/* test-leaky: frees 4, 8, 12, ... of a pass are dropped. */
#define TC_LEAK_EVERY 4u

struct tc_state {
    struct bump bump;
    unsigned long allocs;
    unsigned long frees; /* test-leaky: frees since init */
};

static enum hl_status tc_init(void *state, void *base, size_t bytes,
                              const struct hl_al_params *p)
{
    (void)p;
    struct tc_state *s = state;
    /* s->allocs is NOT reset: it counts across passes (the cell's state
     * block is zeroed once, when it is mapped). */
    return bump_init(&s->bump, base, bytes);
}

static void *crash_alloc(void *state, size_t bytes)
{
    struct tc_state *s = state;
    if (++s->allocs == TC_CRASH_AFTER)
        raise(SIGSEGV);
    return bump_alloc(&s->bump, bytes);
}

static void *hang_alloc(void *state, size_t bytes)
{
    (void)state;
    (void)bytes;
    volatile bool forever = true; /* a loop the compiler must keep */
    while (forever)
        ;
    return NULL;
}

static enum hl_status tc_free(void *state, void *ptr, size_t bytes)
{
    struct tc_state *s = state;
    return bump_free(&s->bump, ptr, bytes);
}

static enum hl_status leaky_init(void *state, void *base, size_t bytes,
                                 const struct hl_al_params *p)
{
    struct tc_state *s = state;
    s->frees = 0; /* every pass drops the same frees */
    return tc_init(state, base, bytes, p);
}

static enum hl_status leaky_free(void *state, void *ptr, size_t bytes)
{
    struct tc_state *s = state;
    if (++s->frees % TC_LEAK_EVERY == 0)
        return HL_OK; /* dropped: bump still counts the block live */
    return bump_free(&s->bump, ptr, bytes);
}

static void *leaky_alloc(void *state, size_t bytes)
{
    struct tc_state *s = state;
    return bump_alloc(&s->bump, bytes);
}

static void tc_stats(const void *state, struct hl_stats *out)
{
    const struct tc_state *s = state;
    bump_stats(&s->bump, out);
}

static size_t tc_check(const void *state, struct hl_violation *first)
{
    const struct tc_state *s = state;
    return bump_check(&s->bump, first);
}

#define TC_STATE_BYTES sizeof(struct tc_state)

static const struct hl_allocator tc_crash = {
    .name = "test-crash",
    .summary = "TEST ONLY: bump, then SIGSEGV on alloc 2000 of the cell",
    .family = HL_FAMILY_HEAP,
    .flags = HL_F_NO_REUSE,
    .state_bytes = TC_STATE_BYTES,
    .align_bytes = 16,
    .init = tc_init,
    .alloc = crash_alloc,
    .free = tc_free,
    .stats = tc_stats,
    .check = tc_check,
};

static const struct hl_allocator tc_hang = {
    .name = "test-hang",
    .summary = "TEST ONLY: its first alloc never returns",
    .family = HL_FAMILY_HEAP,
    .flags = HL_F_NO_REUSE,
    .state_bytes = TC_STATE_BYTES,
    .align_bytes = 16,
    .init = tc_init,
    .alloc = hang_alloc,
    .free = tc_free,
    .stats = tc_stats,
    .check = tc_check,
};

static const struct hl_allocator tc_leaky = {
    .name = "test-leaky",
    .summary = "TEST ONLY: bump, dropping every 4th free (an allocator leak)",
    .family = HL_FAMILY_HEAP,
    .flags = HL_F_NO_REUSE,
    .state_bytes = TC_STATE_BYTES,
    .align_bytes = 16,
    .init = leaky_init,
    .alloc = leaky_alloc,
    .free = leaky_free,
    .stats = tc_stats,
    .check = tc_check,
};

const struct hl_allocator *const hl_test_allocators[] = {&tc_crash, &tc_hang, &tc_leaky,
                                                         NULL};
