/*
 * test_opbuf.c — op buffers (workloads/opbuf.h): materialization in
 * chunks gives the generator's stream and checksum exactly, validation
 * names the first bad op, and the header reader rejects every malformed
 * field at its byte offset.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "workloads/opbuf.h"

/* Every registered workload, materialized in chunks of every awkward size,
 * equals its op-by-op stream and hl_wl_checksum. */
static void fill_in_chunks_is_the_stream(void **st)
{
    (void)st;
    static const size_t caps[] = {1, 7, 256, 100000};
    for (const struct hl_workload *const *w = hl_workloads; *w; w++) {
        if ((*w)->family == HL_FAMILY_VM)
            continue; /* page ops never go into an op buffer (workloads/vm.h) */
        struct hl_wl_params p;
        hl_wl_defaults(*w, &p);
        hl_wl_scale_ops(*w, &p, 3000);
        size_t scratch_bytes = (*w)->scratch_bytes(&p);
        void *scratch = aligned_alloc(16, (scratch_bytes + 31) / 16 * 16);
        assert_non_null(scratch);
        uint64_t want = hl_wl_checksum(*w, &p, 5, scratch, scratch_bytes);
        uint64_t total = (*w)->total_ops(&p);
        struct hl_op *all = calloc(total, sizeof *all);
        assert_non_null(all);
        struct hl_wl_gen g;
        hl_wl_init(&g, *w, &p, 5, scratch, scratch_bytes);
        for (uint64_t i = 0; i < total; i++)
            assert_true((*w)->next(&g, &all[i]));
        for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
            struct hl_op *buf = calloc(caps[k], sizeof *buf);
            assert_non_null(buf);
            hl_wl_init(&g, *w, &p, 5, scratch, scratch_bytes);
            uint64_t h = HL_WL_CHECKSUM0, at = 0;
            size_t n;
            while ((n = hl_opbuf_fill(&g, buf, caps[k], &h)) > 0) {
                assert_true(at + n <= total);
                assert_memory_equal(buf, all + at, n * sizeof *buf);
                size_t bad = 0;
                const char *why = NULL;
                assert_int_equal(hl_opbuf_validate(buf, n, (*w)->slots(&p), 1,
                                                   &bad, &why), 0);
                at += n;
            }
            assert_int_equal(at, total);
            assert_int_equal(h, want);
            free(buf);
        }
        free(all);
        free(scratch);
    }
}

static void validate_names_the_first_bad_op(void **st)
{
    (void)st;
    struct hl_op ops[4] = {
        {.kind = HL_OP_ALLOC, .slot = 0, .bytes = 8},
        {.kind = HL_OP_ALIGNED, .align_log2 = 12, .slot = 1, .bytes = 8},
        {.kind = HL_OP_REALLOC, .slot = 1, .bytes = 80},
        {.kind = HL_OP_FREE, .slot = 0},
    };
    size_t bad = 99;
    const char *why = NULL;
    assert_int_equal(hl_opbuf_validate(ops, 4, 2, 1, &bad, &why), 0);
    struct {
        size_t index;
        struct hl_op op;
        const char *why;
    } cases[] = {
        {3, {.kind = HL_OP_NKINDS, .slot = 0}, "unknown op kind"},
        {2, {.kind = HL_OP_ALLOC, .slot = 2, .bytes = 1}, "slot beyond"},
        {1, {.kind = HL_OP_ALLOC, .thread = 1, .slot = 0}, "thread beyond"},
        {0, {.kind = HL_OP_ALLOC, .align_log2 = 3, .slot = 0}, "alignment on"},
        {1, {.kind = HL_OP_ALIGNED, .align_log2 = 32, .slot = 0}, "above 2^31"},
        {3, {.kind = HL_OP_FREE, .slot = 0, .bytes = 5}, "a free with a size"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct hl_op copy[4];
        memcpy(copy, ops, sizeof copy);
        copy[cases[k].index] = cases[k].op;
        assert_int_equal(hl_opbuf_validate(copy, 4, 2, 1, &bad, &why), -1);
        assert_int_equal(bad, cases[k].index);
        assert_non_null(strstr(why, cases[k].why));
    }
}

/* A well-formed header with 5 bytes of meta text and 3 ops. */
static struct hl_opbuf_header good_header(uint64_t *file_bytes)
{
    struct hl_opbuf_header h;
    hl_opbuf_header_init(&h, 3, 10, 0x1234, 2, 5);
    assert_memory_equal(h.magic, "HLOPBUF\x1a", 8);
    assert_int_equal(h.version, HL_OPBUF_VERSION);
    assert_int_equal(h.header_bytes, 80); /* 64 + 5, rounded up to 16 */
    *file_bytes = 80 + 3 * sizeof(struct hl_op);
    return h;
}

static void header_check_names_offsets(void **st)
{
    (void)st;
    uint64_t len;
    struct hl_opbuf_header h = good_header(&len);
    const char *why = NULL;
    size_t at = 0;
    assert_int_equal(hl_opbuf_header_check(&h, len, &why, &at), 0);

    /* Truncated inside the header, the meta text, the ops; trailing bytes. */
    assert_int_equal(hl_opbuf_header_check(&h, 40, &why, &at), -1);
    assert_int_equal(at, 40);
    assert_non_null(strstr(why, "shorter than"));
    assert_int_equal(hl_opbuf_header_check(&h, 70, &why, &at), -1);
    assert_int_equal(at, 70);
    assert_non_null(strstr(why, "inside the meta"));
    assert_int_equal(hl_opbuf_header_check(&h, len - 1, &why, &at), -1);
    assert_int_equal(at, len - 1);
    assert_non_null(strstr(why, "before its last op"));
    assert_int_equal(hl_opbuf_header_check(&h, len + 16, &why, &at), -1);
    assert_int_equal(at, len);
    assert_non_null(strstr(why, "after the last op"));

    struct hl_opbuf_header b = h;
    b.magic[0] = 'X';
    assert_int_equal(hl_opbuf_header_check(&b, len, &why, &at), -1);
    assert_int_equal(at, offsetof(struct hl_opbuf_header, magic));
    b = h;
    b.version = 2;
    assert_int_equal(hl_opbuf_header_check(&b, len, &why, &at), -1);
    assert_int_equal(at, offsetof(struct hl_opbuf_header, version));
    b = h;
    b.header_bytes = 64;
    assert_int_equal(hl_opbuf_header_check(&b, len, &why, &at), -1);
    assert_int_equal(at, offsetof(struct hl_opbuf_header, header_bytes));
    b = h;
    b.meta_bytes = HL_OPBUF_MAX_META + 1;
    assert_int_equal(hl_opbuf_header_check(&b, len, &why, &at), -1);
    assert_int_equal(at, offsetof(struct hl_opbuf_header, meta_bytes));
    b = h;
    b.nthreads = 0;
    assert_int_equal(hl_opbuf_header_check(&b, len, &why, &at), -1);
    assert_int_equal(at, offsetof(struct hl_opbuf_header, nthreads));
    b = h;
    b.nslots = 0;
    assert_int_equal(hl_opbuf_header_check(&b, len, &why, &at), -1);
    assert_int_equal(at, offsetof(struct hl_opbuf_header, nslots));
    b = h;
    b.reserved = 1;
    assert_int_equal(hl_opbuf_header_check(&b, len, &why, &at), -1);
    assert_int_equal(at, offsetof(struct hl_opbuf_header, reserved));
}

/* The op layout is the file format: fixed offsets, 16 bytes. */
static void op_layout_is_the_format(void **st)
{
    (void)st;
    struct hl_op op = {.kind = HL_OP_ALIGNED, .align_log2 = 6, .thread = 0x0102,
                       .slot = 0x03040506u, .bytes = 0x0708090a0b0c0d0eull};
    const uint8_t want[16] = {4, 6, 0x02, 0x01, 0x06, 0x05, 0x04, 0x03,
                              0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08, 0x07};
    assert_memory_equal(&op, want, 16);
    /* The checksum of an ALLOC/FREE of thread 0 is what it always was:
     * FNV-1a over kind (4 bytes), slot (4), bytes (8). */
    struct hl_op a = {.kind = HL_OP_ALLOC, .slot = 3, .bytes = 64};
    uint64_t h = HL_WL_CHECKSUM0;
    const uint8_t bytes[16] = {0, 0, 0, 0, 3, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 16; i++) {
        h ^= bytes[i];
        h *= 0x100000001b3ull;
    }
    assert_int_equal(hl_wl_checksum_op(HL_WL_CHECKSUM0, &a), h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fill_in_chunks_is_the_stream),
        cmocka_unit_test(validate_names_the_first_bad_op),
        cmocka_unit_test(header_check_names_offsets),
        cmocka_unit_test(op_layout_is_the_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
