/*
 * test_fit_policies.c — the first-fit heap's fit policies (firstfit.h,
 * "Fit policies"): one heap shape with four holes of different sizes and
 * ages, where first fit, next fit, best fit and LIFO first fit each pick a
 * different block; the rover and the LIFO list through splits and merges;
 * and check() counting each broken policy fact exactly.
 */
#include "tests/testlib.h"

#include <stdlib.h>
#include <string.h>

#include "allocators/bestfit.h"
#include "allocators/firstfit.h"
#include "allocators/firstfit_lifo.h"
#include "allocators/nextfit.h"
#include "allocators/util.h"

#define REGION_BYTES ((size_t)64 << 10)
#define HDR FFH_HEADER_BYTES

struct fx {
    const struct hl_allocator *a;
    struct ffh_heap *h;
    uint8_t *region;
};

static struct fx fx_new(const struct hl_allocator *a)
{
    struct fx f = {a, tl_state(a), tl_region(REGION_BYTES, HL_HEAP_ALIGN)};
    tl_reports_fail();
    assert_int_equal(hl_al_init(a, f.h, f.region, REGION_BYTES, NULL), HL_OK);
    return f;
}

static void fx_free(struct fx *f)
{
    tl_free(f->h);
    tl_free(f->region);
}

static struct ffh_block *hdr_of(void *p)
{
    return (struct ffh_block *)((uint8_t *)p - HDR);
}

static size_t check_count(const struct fx *f, const char **what)
{
    struct hl_violation v = {0};
    size_t n = f->a->check(f->h, &v);
    *what = v.what;
    return n;
}

/* The shape: a(256) b(64) c(128) d(64) x(64) e(64) then the rest; x, a
 * and c freed in that order (c most recently).  Holes: a 256 at the
 * lowest address, c 128, x 64 (exact for a 64-byte request), and the
 * rest after e, where next fit's rover stands. */
struct shape {
    uint8_t *a, *b, *c, *d, *x, *e;
};

static struct shape make_shape(struct fx *f)
{
    struct shape s;
    s.a = f->a->alloc(f->h, 256);
    s.b = f->a->alloc(f->h, 64);
    s.c = f->a->alloc(f->h, 128);
    s.d = f->a->alloc(f->h, 64);
    s.x = f->a->alloc(f->h, 64);
    s.e = f->a->alloc(f->h, 64);
    assert_true(s.a < s.b && s.b < s.c && s.c < s.d && s.d < s.x &&
                s.x < s.e);
    assert_int_equal(f->a->free(f->h, s.x, 64), HL_OK);
    assert_int_equal(f->a->free(f->h, s.a, 256), HL_OK);
    assert_int_equal(f->a->free(f->h, s.c, 128), HL_OK);
    tl_assert_check(f->a, f->h);
    return s;
}

static void drain_shape(struct fx *f, struct shape *s, void *got)
{
    assert_int_equal(f->a->free(f->h, got, 64), HL_OK);
    assert_int_equal(f->a->free(f->h, s->b, 64), HL_OK);
    assert_int_equal(f->a->free(f->h, s->d, 64), HL_OK);
    assert_int_equal(f->a->free(f->h, s->e, 64), HL_OK);
    tl_assert_check(f->a, f->h);
    /* one free block again: everything coalesced */
    assert_null(f->h->head->next);
    assert_int_equal(f->h->head->magic, FFH_MAGIC_FREE);
}

/* Each policy picks its own hole for the same 64-byte request. */
static void each_policy_picks_its_block(void **state)
{
    (void)state;
    const struct hl_allocator *as[] = {&hl_firstfit_seed, &hl_nextfit,
                                       &hl_bestfit, &hl_firstfit_lifo};
    for (int i = 0; i < 4; i++) {
        struct fx f = fx_new(as[i]);
        struct shape s = make_shape(&f);
        uint8_t *want = i == 0   ? s.a                     /* lowest */
                        : i == 1 ? s.e + 64 + HDR          /* the rover */
                        : i == 2 ? s.x                     /* exact */
                                 : s.c;                    /* newest */
        uint8_t *got = f.a->alloc(f.h, 64);
        if (got != want)
            fail_msg("%s picked %p, want %p", f.a->name, (void *)got,
                     (void *)want);
        tl_assert_check(f.a, f.h);
        drain_shape(&f, &s, got);
        fx_free(&f);
    }
}

/* Next fit: the rover follows the last allocation, survives the merges
 * that swallow its block, and the search wraps around. */
static void nextfit_rover_moves_and_wraps(void **state)
{
    (void)state;
    struct fx f = fx_new(&hl_nextfit);
    uint8_t *p[8];
    for (int i = 0; i < 8; i++)
        p[i] = f.a->alloc(f.h, 64);
    assert_ptr_equal(f.h->rover, hdr_of(p[7])->next); /* the rest */
    /* The rest merges into p[7] when p[7] is freed: the rover moves to
     * the merged block. */
    struct ffh_block *rest = f.h->rover;
    assert_int_equal(f.a->free(f.h, p[7], 64), HL_OK);
    assert_ptr_equal(f.h->rover, hdr_of(p[7]));
    (void)rest;
    tl_assert_check(f.a, f.h);
    /* Fill the rest completely, then free p[1]: the next search wraps
     * round to it. */
    void *big = f.a->alloc(f.h, f.h->rover->size_bytes);
    assert_non_null(big);
    assert_null(f.h->rover); /* the last block: the search restarts at 0 */
    assert_int_equal(f.a->free(f.h, p[1], 64), HL_OK);
    assert_ptr_equal(f.a->alloc(f.h, 64), p[1]);
    tl_assert_check(f.a, f.h);
    /* A rover left on a block that a free of its left neighbour absorbs. */
    assert_int_equal(f.a->free(f.h, p[3], 64), HL_OK);
    f.h->rover = hdr_of(p[3]);
    assert_int_equal(f.a->free(f.h, p[4], 64), HL_OK); /* p[3] absorbs p[4] */
    assert_int_equal(f.a->free(f.h, p[2], 64), HL_OK); /* p[2] absorbs p[3] */
    assert_ptr_equal(f.h->rover, hdr_of(p[2]));
    tl_assert_check(f.a, f.h);
    fx_free(&f);
}

/* LIFO first fit: a freed (and coalesced) block goes to the front; the
 * rest of a split block keeps the split block's place. */
static void lifo_front_and_split_rest(void **state)
{
    (void)state;
    struct fx f = fx_new(&hl_firstfit_lifo);
    struct shape s = make_shape(&f);
    /* list: c, a, x, rest */
    assert_ptr_equal(f.h->free_head, hdr_of(s.c));
    assert_ptr_equal(f.h->free_head->free_next, hdr_of(s.a));
    assert_ptr_equal(f.h->free_head->free_next->free_next, hdr_of(s.x));
    uint8_t *got = f.a->alloc(f.h, 16); /* from c, split: rest in front */
    assert_ptr_equal(got, s.c);
    assert_ptr_equal(f.h->free_head, hdr_of(s.c)->next);
    assert_ptr_equal(f.h->free_head->free_next, hdr_of(s.a));
    /* freeing got merges it with its rest: the merged block in front */
    assert_int_equal(f.a->free(f.h, got, 16), HL_OK);
    assert_ptr_equal(f.h->free_head, hdr_of(s.c));
    assert_int_equal(hdr_of(s.c)->size_bytes, 128);
    /* freeing b merges a, b and c into a, which goes to the front */
    assert_int_equal(f.a->free(f.h, s.b, 64), HL_OK);
    assert_ptr_equal(f.h->free_head, hdr_of(s.a));
    assert_ptr_equal(f.h->free_head->free_next, hdr_of(s.x));
    tl_assert_check(f.a, f.h);
    assert_int_equal(f.a->free(f.h, s.d, 64), HL_OK);
    assert_int_equal(f.a->free(f.h, s.e, 64), HL_OK);
    assert_null(f.h->head->next);
    assert_ptr_equal(f.h->free_head, f.h->head);
    assert_null(f.h->head->free_next);
    tl_assert_check(f.a, f.h);
    fx_free(&f);
}

/* check() counts each broken policy fact exactly once. */
static void check_counts_policy_corruptions(void **state)
{
    (void)state;
    const char *what;
    /* LIFO: a cycle, a missing block, a used block on the list. */
    struct fx f = fx_new(&hl_firstfit_lifo);
    struct shape s = make_shape(&f);
    struct ffh_block *front = f.h->free_head, *second = front->free_next;
    assert_int_equal(check_count(&f, &what), 0);
    front->free_next = front;
    assert_int_equal(check_count(&f, &what), 1);
    assert_string_equal(what, "LIFO free list longer than the free blocks "
                              "(a cycle?)");
    front->free_next = second;
    f.h->free_head = second;
    assert_int_equal(check_count(&f, &what), 1);
    assert_string_equal(what, "free blocks missing from the LIFO free list");
    f.h->free_head = hdr_of(s.b);
    /* s.b is used: in checked builds the word holds its asked size */
    size_t asked = hdr_of(s.b)->asked_bytes;
    hdr_of(s.b)->free_next = second;
    assert_int_equal(check_count(&f, &what), 1);
    assert_string_equal(what, "LIFO free list holds what is not a free block");
    hdr_of(s.b)->asked_bytes = asked;
    f.h->free_head = front;
    assert_int_equal(check_count(&f, &what), 0);
    /* the policy field */
    f.h->policy = 9;
    assert_int_equal(check_count(&f, &what), 1);
    assert_string_equal(what, "fit policy out of range");
    f.h->policy = FFH_FIRST_LIFO;
    void *got = f.a->alloc(f.h, 64);
    drain_shape(&f, &s, got);
    fx_free(&f);

    /* next fit: a rover inside a payload */
    f = fx_new(&hl_nextfit);
    s = make_shape(&f);
    struct ffh_block *rover = f.h->rover;
    f.h->rover = (struct ffh_block *)(s.b + 16);
    assert_int_equal(check_count(&f, &what), 1);
    assert_string_equal(what, "next-fit rover is not a block of the list");
    f.h->rover = rover;
    assert_int_equal(check_count(&f, &what), 0);
    got = f.a->alloc(f.h, 64);
    drain_shape(&f, &s, got);
    fx_free(&f);

    /* first fit and best fit keep no free list */
    f = fx_new(&hl_bestfit);
    s = make_shape(&f);
    f.h->free_head = hdr_of(s.a);
    assert_int_equal(check_count(&f, &what), 1);
    assert_string_equal(what, "free list kept by a policy that has none");
    f.h->free_head = NULL;
    got = f.a->alloc(f.h, 64);
    assert_ptr_equal(got, s.x);
    drain_shape(&f, &s, got);
    fx_free(&f);
}

#if HL_CHECK_LEVEL >= 1
/* A double free of a block on the LIFO list is refused, state unchanged,
 * with the policy's name in the report. */
static void lifo_double_free_refused(void **state)
{
    (void)state;
    struct fx f = fx_new(&hl_firstfit_lifo);
    struct shape s = make_shape(&f);
    struct ffh_heap before = *f.h;
    uint8_t *copy = malloc(REGION_BYTES);
    assert_non_null(copy);
    memcpy(copy, f.region, REGION_BYTES);
    tl_reports_record();
    assert_int_equal(f.a->free(f.h, s.c, 128), HL_E_DOUBLE_FREE);
    assert_int_equal(tl_report_count(), 1);
    assert_string_equal(tl_last_report_what(), "double free");
    tl_reports_fail();
    assert_memory_equal(&before, f.h, sizeof before);
    assert_memory_equal(copy, f.region, REGION_BYTES);
    free(copy);
    void *got = f.a->alloc(f.h, 64);
    drain_shape(&f, &s, got);
    fx_free(&f);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_policy_picks_its_block),
        cmocka_unit_test(nextfit_rover_moves_and_wraps),
        cmocka_unit_test(lifo_front_and_split_rest),
        cmocka_unit_test(check_counts_policy_corruptions),
#if HL_CHECK_LEVEL >= 1
        cmocka_unit_test(lifo_double_free_refused),
#endif
    };
    return cmocka_run_group_tests_name("fit policies", tests, NULL, NULL);
}
