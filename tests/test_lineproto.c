/*
 * test_lineproto.c — the line protocol's one writer (bench/core/proto.h)
 * and one reader (bench/host/lineproto.h): lines split in any chunks,
 * CR/LF, a truncated last line, overlong lines (bounded, reported,
 * skipped to the next newline), NUL and garbage bytes, non-protocol
 * chatter, malformed records; and the formatter -> reader round trip with
 * fields holding commas, quotes and line ends.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bench/core/proto.h"
#include "bench/host/lineproto.h"

/* Every line the reader handed over, copied. */
#define SEEN_MAX 16
struct seen {
    enum lp_class cls[SEEN_MAX];
    unsigned flags[SEEN_MAX];
    char text[SEEN_MAX][LP_LINE_MAX + 1];
    size_t len[SEEN_MAX];
    char why[SEEN_MAX][96];
    char kind[SEEN_MAX][32];
    char rest[SEEN_MAX][LP_LINE_MAX + 1];
    int nfields[SEEN_MAX];
    char fields[SEEN_MAX][16][256];
    int n;
};

static void collect(void *ctx, struct lp_line *l)
{
    struct seen *s = ctx;
    assert_true(s->n < SEEN_MAX);
    int i = s->n++;
    s->cls[i] = l->cls;
    s->flags[i] = l->flags;
    assert_true(l->len <= LP_LINE_MAX);
    memcpy(s->text[i], l->text, l->len + 1);
    s->len[i] = l->len;
    snprintf(s->why[i], sizeof s->why[i], "%s", l->why ? l->why : "");
    snprintf(s->kind[i], sizeof s->kind[i], "%s", l->kind ? l->kind : "");
    snprintf(s->rest[i], sizeof s->rest[i], "%s", l->rest);
    s->nfields[i] = l->nfields;
    for (int f = 0; f < l->nfields && f < 16; f++)
        snprintf(s->fields[i][f], sizeof s->fields[i][f], "%s", l->fields[f]);
}

static struct lp_reader *R;
static struct seen *S;

static int setup(void **state)
{
    (void)state;
    R = calloc(1, sizeof *R);
    S = calloc(1, sizeof *S);
    if (!R || !S)
        return -1;
    lp_init(R, collect, S);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(R);
    free(S);
    return 0;
}

static void feed(const char *bytes, size_t n) { lp_feed(R, bytes, n); }
static void feed_str(const char *text) { feed(text, strlen(text)); }

/* Feed one byte at a time: a line may arrive in any chunks. */
static void feed_bytewise(const char *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        lp_feed(R, bytes + i, 1);
}

/* ---- splitting ---------------------------------------------------------------------- */

static void test_lines_in_any_chunks(void **state)
{
    (void)state;
    const char stream[] = "heaplab i386 kernel\n@HL rep,0\r\n\n@HL done,ok\n@HL cell,half";
    feed_bytewise(stream, sizeof stream - 1);
    assert_int_equal(S->n, 4);
    assert_int_equal(S->cls[0], LP_TEXT);
    assert_string_equal(S->text[0], "heaplab i386 kernel");
    assert_int_equal(S->cls[1], LP_PROTO);
    assert_string_equal(S->text[1], "@HL rep,0"); /* the CR is dropped */
    assert_string_equal(S->kind[1], "rep");
    assert_int_equal(S->nfields[1], 2);
    assert_string_equal(S->fields[1][1], "0");
    assert_int_equal(S->cls[2], LP_TEXT);
    assert_int_equal(S->len[2], 0);
    assert_int_equal(S->cls[3], LP_PROTO);
    assert_string_equal(S->rest[3], "ok");
    for (int i = 0; i < 4; i++)
        assert_int_equal(S->flags[i], 0);
    /* the child died mid-line: its last line, cut, at the end only */
    lp_end(R);
    assert_int_equal(S->n, 5);
    assert_int_equal(S->flags[4], LP_CUT);
    assert_int_equal(S->cls[4], LP_BAD);
    assert_string_equal(S->why[4], "protocol line cut off at the end of the output");
    assert_string_equal(S->text[4], "@HL cell,half");
    /* nothing pending: a second end adds nothing */
    lp_end(R);
    assert_int_equal(S->n, 5);
}

static void test_truncated_text_line(void **state)
{
    (void)state;
    feed_str("PANIC kernel_port/bench.c:1");
    lp_end(R);
    assert_int_equal(S->n, 1);
    assert_int_equal(S->cls[0], LP_TEXT); /* damaged chatter is still chatter */
    assert_int_equal(S->flags[0], LP_CUT);
    assert_string_equal(S->text[0], "PANIC kernel_port/bench.c:1");
}

static void test_non_protocol_lines(void **state)
{
    (void)state;
    feed_str("EXCEPTION #PF Page Fault (vector 14) err=0x00000002\n"
             "  eax=0x00000000 @HL done,ok\n" /* not at the start */
             "@HL\n"
             "@HLdone,ok\n"
             "@hl done,ok\n"
             "\x01\xff\xfe garbage \x7f\n");
    assert_int_equal(S->n, 6);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(S->cls[i], LP_TEXT);
        assert_int_equal(S->flags[i], 0);
    }
    assert_string_equal(S->text[5], "\x01\xff\xfe garbage \x7f");
}

static void test_nul_bytes(void **state)
{
    (void)state;
    static const char stream[] = "boot\0ing\n@HL done,ok\0junk\n@HL done,ok\n";
    feed(stream, sizeof stream - 1);
    assert_int_equal(S->n, 3);
    assert_int_equal(S->cls[0], LP_TEXT);
    assert_int_equal(S->flags[0], LP_NUL);
    assert_string_equal(S->text[0], "boot?ing"); /* printable for cells.log */
    assert_int_equal(S->len[0], 8);
    assert_int_equal(S->cls[1], LP_BAD);
    assert_string_equal(S->why[1], "NUL byte in a protocol line");
    assert_int_equal(S->cls[2], LP_PROTO); /* the flag does not stick */
    assert_int_equal(S->flags[2], 0);
}

static void test_overlong_lines(void **state)
{
    (void)state;
    size_t big = LP_LINE_MAX * 2 + 17;
    char *junk = malloc(big + 1);
    assert_non_null(junk);
    memset(junk, 'x', big);
    memcpy(junk, "@HL cell,", 9);
    feed(junk, big);
    feed_str("\n@HL done,ok\n");
    assert_int_equal(S->n, 2);
    assert_int_equal(S->len[0], LP_LINE_MAX); /* only its start */
    assert_int_equal(S->flags[0], LP_OVERLONG);
    assert_int_equal(S->cls[0], LP_BAD);
    assert_string_equal(S->why[0], "protocol line longer than 8191 bytes");
    assert_int_equal(S->cls[1], LP_PROTO); /* the next line is whole again */
    assert_string_equal(S->text[1], "@HL done,ok");
    /* exactly LP_LINE_MAX bytes is not overlong */
    memset(junk, 'y', LP_LINE_MAX);
    junk[LP_LINE_MAX] = '\n';
    feed(junk, LP_LINE_MAX + 1);
    assert_int_equal(S->n, 3);
    assert_int_equal(S->len[2], LP_LINE_MAX);
    assert_int_equal(S->flags[2], 0);
    assert_int_equal(S->cls[2], LP_TEXT);
    /* overlong chatter is passed on as chatter, flagged */
    memset(junk, 'z', big);
    feed(junk, big);
    assert_int_equal(S->n, 4);
    assert_int_equal(S->cls[3], LP_TEXT);
    assert_int_equal(S->flags[3], LP_OVERLONG);
    /* ... and its rest, cut at the end, is not handed over again */
    lp_end(R);
    assert_int_equal(S->n, 4);
    /* the reader's memory is its own fixed size, whatever came */
    assert_true(sizeof(struct lp_reader) < 32 * 1024);
    free(junk);
}

static void test_unterminated_quote_is_bounded(void **state)
{
    (void)state;
    /* a stray quote keeps a protocol record open across newlines ... */
    feed_str("@HL probe,\"oops\nchatter\n");
    assert_int_equal(S->n, 0);
    lp_end(R);
    assert_int_equal(S->n, 1);
    assert_int_equal(S->cls[0], LP_BAD);
    assert_int_equal(S->flags[0], LP_CUT);
    /* ... but never past LP_LINE_MAX bytes: then it is overlong, and the
     * stream is whole again after the next newline */
    feed_str("@HL probe,\"oops\n");
    char *junk = malloc(LP_LINE_MAX + 1);
    assert_non_null(junk);
    memset(junk, 'q', LP_LINE_MAX);
    junk[LP_LINE_MAX / 2] = '\n';
    feed(junk, LP_LINE_MAX);
    feed_str("\nafter\n@HL rep,1\n");
    assert_int_equal(S->n, 4);
    assert_int_equal(S->cls[1], LP_BAD);
    assert_int_equal(S->flags[1], LP_OVERLONG);
    assert_string_equal(S->text[2], "after");
    assert_int_equal(S->cls[3], LP_PROTO);
    free(junk);
}

/* ---- records ------------------------------------------------------------------------- */

static void test_malformed_records(void **state)
{
    (void)state;
    char many[1024] = "@HL cell";
    for (int i = 0; i < LP_MAX_FIELDS + 5; i++)
        strcat(many, ",1");
    strcat(many, "\n");
    feed_str("@HL \n"
             "@HL Cell,1\n"
             "@HL ,1,2\n"
             "@HL cell,a\"b,1\n"
             "@HL cell,\"closed\"junk,1\n");
    feed_str(many);
    assert_int_equal(S->n, 6);
    for (int i = 0; i < 6; i++)
        assert_int_equal(S->cls[i], LP_BAD);
    assert_string_equal(S->why[0], "protocol line without a kind");
    assert_string_equal(S->why[1], "protocol line without a kind");
    assert_string_equal(S->why[3],
                        "malformed protocol record (a stray quote, or too many fields)");
}

static void test_kind_alone_and_empty_fields(void **state)
{
    (void)state;
    feed_str("@HL done\n@HL end,0,ok,\n");
    assert_int_equal(S->n, 2);
    assert_int_equal(S->cls[0], LP_PROTO);
    assert_int_equal(S->nfields[0], 1);
    assert_string_equal(S->rest[0], "");
    assert_int_equal(S->nfields[1], 4);
    assert_string_equal(S->fields[1][3], "");
    assert_string_equal(S->rest[1], "0,ok,");
}

/* ---- the formatter and the round trip ---------------------------------------------- */

static void test_formatter(void **state)
{
    (void)state;
    char buf[128];
    struct hl_proto_out o;
    hl_proto_begin(&o, buf, sizeof buf, "probe");
    hl_proto_field(&o, "timer_overhead");
    hl_proto_u64(&o, 38);
    assert_int_equal(hl_proto_end(&o), 28);
    assert_string_equal(buf, "@HL probe,timer_overhead,38\n");
    hl_proto_begin(&o, buf, sizeof buf, "end");
    hl_proto_u64(&o, UINT64_MAX);
    hl_proto_field(&o, "say \"no\", twice");
    hl_proto_field(&o, NULL);
    hl_proto_end(&o);
    assert_string_equal(buf, "@HL end,18446744073709551615,\"say \"\"no\"\", twice\",\n");
    /* too small: says so, and writes nothing past the buffer */
    char small[24];
    memset(small, '#', sizeof small);
    hl_proto_begin(&o, small, 16, "probe");
    hl_proto_field(&o, "a key longer than the buffer");
    assert_int_equal(hl_proto_end(&o), 16);
    for (size_t i = 16; i < sizeof small; i++)
        assert_int_equal(small[i], '#');
}

static void test_round_trip(void **state)
{
    (void)state;
    static const char *const fields[] = {
        "plain", "a,b", "say \"hi\"", "two\nlines", "cr\r\nlf", "", "\"", ",\n,",
    };
    enum { N = sizeof fields / sizeof fields[0] };
    char line[1024];
    struct hl_proto_out o;
    hl_proto_begin(&o, line, sizeof line, "error");
    for (int i = 0; i < N; i++)
        hl_proto_field(&o, fields[i]);
    size_t n = hl_proto_end(&o);
    assert_true(n < sizeof line);
    /* byte by byte, with chatter around it, then whole */
    feed_str("before\n");
    feed_bytewise(line, n);
    feed_str("after\n");
    feed(line, n);
    assert_int_equal(S->n, 4);
    assert_string_equal(S->text[0], "before");
    assert_string_equal(S->text[2], "after");
    for (int k = 1; k <= 3; k += 2) {
        assert_int_equal(S->cls[k], LP_PROTO);
        assert_string_equal(S->kind[k], "error");
        assert_int_equal(S->nfields[k], 1 + N);
        for (int i = 0; i < N; i++)
            assert_string_equal(S->fields[k][1 + i], fields[i]);
    }
}

static void test_row_round_trip(void **state)
{
    (void)state;
    /* a result row (already RFC 4180) travels unchanged as the rest */
    static const char row[] =
        "T,qemu,tcg,icount,buddy,frame,frames-churn,\"frames=506,occupancy=99,ops=500\",1,0,ok";
    char line[512];
    struct hl_proto_out o;
    hl_proto_begin(&o, line, sizeof line, "cell");
    hl_proto_row(&o, row, sizeof row - 1);
    size_t n = hl_proto_end(&o);
    feed(line, n);
    assert_int_equal(S->n, 1);
    assert_int_equal(S->cls[0], LP_PROTO);
    assert_string_equal(S->rest[0], row);
    assert_int_equal(S->nfields[0], 12);
    assert_string_equal(S->fields[0][1], "T");
    assert_string_equal(S->fields[0][8], "frames=506,occupancy=99,ops=500");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lines_in_any_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_text_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_protocol_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nul_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overlong_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unterminated_quote_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kind_alone_and_empty_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_formatter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_row_round_trip, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
