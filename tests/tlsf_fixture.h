/*
 * tlsf_fixture.h — the fixture of the TLSF unit tests (test_tlsf.c,
 * test_tlsf_poison.c): a TLSF over a fresh REGION_BYTES region (define
 * it before including), any allocator report failing the test.
 */
#ifndef HEAPLAB_TESTS_TLSF_FIXTURE_H
#define HEAPLAB_TESTS_TLSF_FIXTURE_H

#include "tests/testlib.h"

#include <stdlib.h>

#include "allocators/tlsf.h"
#include "allocators/util.h"

#ifndef REGION_BYTES
#error "define REGION_BYTES before tests/tlsf_fixture.h"
#endif

struct fx {
    struct tlsf *t;
    uint8_t *region;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->t = tl_state(&hl_tlsf);
    f->region = tl_region(REGION_BYTES, HL_HEAP_ALIGN);
    tl_reports_fail();
    assert_int_equal(tlsf_init(f->t, f->region, REGION_BYTES), HL_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    tl_free(f->t);
    tl_free(f->region);
    free(f);
    return 0;
}

#endif /* HEAPLAB_TESTS_TLSF_FIXTURE_H */
