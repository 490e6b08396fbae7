/*
 * test_alloc_params.c — allocator parameters (allocator.h, param.h): the
 * declarations of every registered allocator, the k=v text (parse, format,
 * refusals), defaults that are the allocator as it always was (the same
 * state as the plain init), and each parameter changing what it says it
 * changes (slab's keep_empty and magazine, buddy's max_order and pcp,
 * the first-fit heap's split_bytes and policy).  Timings are never
 * compared: every check is on stats or addresses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allocators/bestfit.h"
#include "allocators/buddy.h"
#include "allocators/bump.h"
#include "allocators/firstfit.h"
#include "allocators/slab.h"
#include "tests/testlib.h"

#define REGION_BYTES ((size_t)4 << 20)

/* Every declaration: a name, unit and summary; min <= def <= max; names
 * unique; the canonical text of the defaults parses back to them. */
static void declarations_are_sane(void **st)
{
    (void)st;
    for (const struct hl_allocator *const *a = hl_allocators; *a; a++) {
        const struct hl_allocator *al = *a;
        assert_true(al->nparams <= HL_AL_MAX_PARAMS);
        for (unsigned i = 0; i < al->nparams; i++) {
            const struct hl_param *p = &al->params[i];
            assert_non_null(p->name);
            assert_non_null(p->unit);
            assert_non_null(p->summary);
            assert_true(p->min <= p->def && p->def <= p->max);
            assert_int_equal(hl_al_param_index(al, p->name), (int)i);
        }
        struct hl_al_params d, back;
        hl_al_defaults(al, &d);
        assert_int_equal(hl_al_validate(al, &d, NULL, NULL), 0);
        char text[256];
        size_t n = hl_al_format(al, &d, text, sizeof text);
        assert_int_equal(n, strlen(text));
        assert_int_equal(hl_al_parse(al, text, &back, NULL, NULL), 0);
        assert_memory_equal(&d, &back, sizeof d);
        if (al->nparams == 0)
            assert_string_equal(text, "");
    }
}

static void text_parse_and_refusals(void **st)
{
    (void)st;
    struct hl_al_params p;
    const char *err = NULL;
    size_t at = 99;
    char text[256];
    assert_int_equal(hl_al_parse(&hl_slab, "magazine=8,keep_empty=0", &p, &err, &at), 0);
    hl_al_format(&hl_slab, &p, text, sizeof text);
    assert_string_equal(text, "keep_empty=0,magazine=8,max_slab_order=6,lg_classes=1");
    assert_int_equal(hl_al_parse(&hl_slab, NULL, &p, NULL, NULL), 0);
    assert_int_equal(p.v[0], SLAB_KEEP_EMPTY);
    static const struct {
        const char *text, *err;
        size_t at;
    } bad[] = {
        {"keep_emty=1", "unknown parameter", 0},
        {"magazine=8,keep_empty=4097", "value out of range", 22},
        {"keep_empty=1,keep_empty=2", "duplicate parameter", 13},
        {"keep_empty=x", "malformed number (decimal digits only)", 11},
        {"keep_empty=", "missing value", 11},
        {"keep_empty", "expected name=value", 0},
        {"keep_empty=1,", "empty item (expected name=value)", 13},
        {"=1", "empty parameter name", 0},
        {"keep_empty=99999999999999999999", "number too large", 11},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct hl_al_params q = p;
        err = NULL;
        assert_int_equal(hl_al_parse(&hl_slab, bad[i].text, &q, &err, &at), -1);
        assert_string_equal(err, bad[i].err);
        assert_int_equal(at, bad[i].at);
        assert_memory_equal(&q, &p, sizeof p); /* untouched */
    }
    assert_int_equal(hl_al_parse(&hl_bump, "x=1", &p, &err, NULL), -1);
    assert_string_equal(err, "unknown parameter");
    /* truncation like snprintf */
    size_t n = hl_al_format(&hl_slab, &p, text, 5);
    assert_int_equal(n, strlen("keep_empty=1,magazine=64,max_slab_order=6,lg_classes=1"));
    assert_string_equal(text, "keep");
    int bad_index = -1;
    p.v[1] = 65;
    assert_int_equal(hl_al_validate(&hl_slab, &p, &err, &bad_index), -1);
    assert_int_equal(bad_index, 1);
}

/* init at the defaults leaves the very state the plain init does (the
 * same state block: the states hold pointers into themselves). */
static void same_state(const struct hl_allocator *a, void *st, uint8_t *r,
                       enum hl_status (*plain)(void *, void *, size_t))
{
    uint8_t *copy = malloc(a->state_bytes);
    assert_non_null(copy);
    assert_int_equal(plain(st, r, REGION_BYTES), HL_OK);
    memcpy(copy, st, a->state_bytes);
    memset(st, 0xA5, a->state_bytes);
    assert_int_equal(hl_al_init(a, st, r, REGION_BYTES, NULL), HL_OK);
    assert_memory_equal(copy, st, a->state_bytes);
    free(copy);
}

static enum hl_status plain_slab(void *s, void *r, size_t n) { return slab_init(s, r, n); }
static enum hl_status plain_buddy(void *b, void *r, size_t n)
{
    enum hl_status st = buddy_init(b, r, n);
    buddy_set_pcp(b, BUDDY_PCP_SLOTS); /* the registry's buddy always had it */
    return st;
}
static enum hl_status plain_ffh(void *h, void *r, size_t n) { return ffh_init(h, r, n); }

static void defaults_are_todays_allocator(void **st)
{
    (void)st;
    uint8_t *r = tl_region(REGION_BYTES, HL_FRAME_BYTES);
    void *s = tl_state(&hl_slab), *b = tl_state(&hl_buddy), *h = tl_state(&hl_firstfit_seed);
    same_state(&hl_slab, s, r, plain_slab);
    same_state(&hl_buddy, b, r, plain_buddy);
    same_state(&hl_firstfit_seed, h, r, plain_ffh);
    tl_free(s), tl_free(b), tl_free(h);
    tl_free(r);
}

/* held_bytes after filling and emptying 3 slabs of 64-byte objects, at
 * keep_empty = keep (no magazine, so every free reaches its slab). */
static size_t slab_held_after_drain(size_t keep, size_t *held0)
{
    uint8_t *r = tl_region(REGION_BYTES, HL_FRAME_BYTES);
    void *s = tl_state(&hl_slab);
    struct hl_al_params p;
    hl_al_defaults(&hl_slab, &p);
    p.v[0] = keep; /* keep_empty */
    p.v[1] = 0;    /* magazine */
    assert_int_equal(hl_al_init(&hl_slab, s, r, REGION_BYTES, &p), HL_OK);
    struct hl_stats st;
    hl_slab.stats(s, &st);
    *held0 = st.held_bytes;
    enum { N = 3 * 4096 / 64 };
    void *blk[N];
    for (size_t i = 0; i < N; i++)
        assert_non_null(blk[i] = hl_slab.alloc(s, 64));
    for (size_t i = 0; i < N; i++)
        assert_int_equal(hl_slab.free(s, blk[i], 64), HL_OK);
    tl_assert_check(&hl_slab, s);
    hl_slab.stats(s, &st);
    tl_free(s);
    tl_free(r);
    return st.held_bytes;
}

static void slab_keep_empty_is_the_policy(void **st)
{
    (void)st;
    size_t h0, h1, h4, init;
    h0 = slab_held_after_drain(0, &init);
    assert_int_equal(h0, init);                /* nothing kept */
    h1 = slab_held_after_drain(1, &init);
    assert_true(h1 > init);                    /* one slab kept */
    h4 = slab_held_after_drain(4, &init);
    assert_true(h4 > h1);                      /* every emptied slab kept */
    assert_int_equal((h4 - init) % (h1 - init), 0);
}

static void buddy_max_order_and_pcp(void **st)
{
    (void)st;
    uint8_t *r = tl_region(REGION_BYTES, HL_FRAME_BYTES);
    void *b = tl_state(&hl_buddy);
    struct hl_al_params p;
    assert_int_equal(hl_al_parse(&hl_buddy, "max_order=4,pcp=0", &p, NULL, NULL), 0);
    assert_int_equal(hl_al_init(&hl_buddy, b, r, REGION_BYTES, &p), HL_OK);
    tl_assert_check(&hl_buddy, b);
    struct hl_stats s;
    hl_buddy.stats(b, &s);
    assert_int_equal(s.largest_free_bytes, 16 * HL_FRAME_BYTES);
    void *big = hl_buddy.alloc(b, 32 * HL_FRAME_BYTES);
    assert_null(big);                          /* order 5 > max_order */
    void *ok = hl_buddy.alloc(b, 16 * HL_FRAME_BYTES);
    assert_non_null(ok);
    assert_int_equal(hl_buddy.free(b, ok, 16 * HL_FRAME_BYTES), HL_OK);
    /* pcp=0: a freed frame goes straight back to the lists */
    void *f = hl_buddy.alloc(b, HL_FRAME_BYTES);
    assert_int_equal(hl_buddy.free(b, f, HL_FRAME_BYTES), HL_OK);
    assert_int_equal(((struct buddy *)b)->pcp_n, 0);
    tl_assert_check(&hl_buddy, b);
    tl_free(b);
    tl_free(r);
}

/* One heap, one hole of 64 bytes between two used blocks; a 16-byte
 * request splits it at the default and takes it whole at split_bytes=64. */
static size_t ffh_live_held(const struct hl_allocator *a, const char *text)
{
    uint8_t *r = tl_region(1 << 16, 16);
    void *h = tl_state(a);
    struct hl_al_params p;
    assert_int_equal(hl_al_parse(a, text, &p, NULL, NULL), 0);
    assert_int_equal(hl_al_init(a, h, r, 1 << 16, &p), HL_OK);
    void *x = a->alloc(h, 64), *y = a->alloc(h, 64);
    assert_non_null(x);
    assert_non_null(y);
    assert_int_equal(a->free(h, x, 64), HL_OK);
    void *z = a->alloc(h, 16);
    assert_ptr_equal(z, x); /* first fit and best fit: the hole */
    tl_assert_check(a, h);
    struct hl_stats s;
    a->stats(h, &s);
    tl_free(h);
    tl_free(r);
    return s.held_bytes;
}

static void firstfit_split_and_policy(void **st)
{
    (void)st;
    size_t split = ffh_live_held(&hl_firstfit_seed, "");
    size_t whole = ffh_live_held(&hl_firstfit_seed, "split_bytes=64");
    assert_int_equal(whole - split, 64 - 16); /* the rest stays held */
    /* policy=2 is bestfit, whose preset gives the same heap */
    assert_int_equal(ffh_live_held(&hl_firstfit_seed, "policy=2"),
                     ffh_live_held(&hl_bestfit, ""));
    assert_int_equal(ffh_live_held(&hl_bestfit, "split_bytes=64"), whole);
}

int main(void)
{
    tl_reports_fail();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(declarations_are_sane),
        cmocka_unit_test(text_parse_and_refusals),
        cmocka_unit_test(defaults_are_todays_allocator),
        cmocka_unit_test(slab_keep_empty_is_the_policy),
        cmocka_unit_test(buddy_max_order_and_pcp),
        cmocka_unit_test(firstfit_split_and_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
