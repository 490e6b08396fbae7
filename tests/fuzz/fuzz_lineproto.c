/*
 * fuzz_lineproto.c — the one reader of the line protocol
 * (bench/host/lineproto.h: lp_feed/lp_end, lp_parse): the input is what a
 * cell child or the kernel's serial port might write — any bytes,
 * overlong lines, NULs, quotes that never close, a cut last line.
 *
 * Input: byte 0 seeds how the stream is cut into lp_feed calls; the rest
 * is the stream, except that 0xFF starts a run: 0xFF, u16 count, byte c
 * appends c count times (count % 12000), so that lines longer than
 * LP_LINE_MAX (8191) are reachable from inputs of a few bytes (libFuzzer's
 * inputs stay under 4 KiB).  0xFF, 1, 0, 0xFF is a plain 0xFF.
 *
 * What must hold (a failure aborts; libFuzzer keeps the input):
 *   - the lines are the stream, in order, every byte accounted for: each
 *     line's text is the next bytes of the stream (NUL shown as '?', a
 *     final '\r' dropped), followed by "\n" — unless it is overlong (then
 *     exactly LP_LINE_MAX bytes were taken, less a final '\r', and the rest
 *     up to the next "\n" is skipped) or cut (the stream's last bytes);
 *   - LP_NUL exactly when the bytes taken held a NUL; LP_CUT only on the
 *     last line; text[len] == '\0';
 *   - LP_TEXT exactly when the text does not begin with "@HL "; a cut,
 *     overlong or NUL-holding protocol line is LP_BAD with a reason;
 *   - an LP_PROTO line has a lower-case kind equal to fields[0], 1 to
 *     LP_MAX_FIELDS fields, `rest` inside its text, and the writer
 *     (bench/core/proto.h) formats its fields into a line the reader
 *     parses back to the same fields;
 *   - the lines do not depend on how the stream was cut into lp_feed
 *     calls (one call, one byte at a time and the seeded cuts agree).
 */
#include <stdlib.h>
#include <string.h>

#include "bench/core/proto.h"
#include "bench/host/lineproto.h"
#include "tests/fuzz/fuzz.h"

#define STREAM_MAX (32u << 10)
#define LOG_MAX (32 * STREAM_MAX) /* > 20 bytes a line + 3 a byte */
#define RUN_MAX 12000u

static uint8_t *stream;      /* the decoded stream */
static size_t stream_len;
static struct lp_reader *reader;
static struct lp_line *reparsed;

/* The lines of one pass, serialized into log (to compare passes with
 * memcmp), and the model's position. */
struct pass {
    uint8_t *log;
    size_t log_len;
    size_t lines;
    size_t at;        /* the stream offset the next line must start at */
    bool ended;       /* a cut line was seen: nothing may follow */
    bool check;       /* check every line against the stream (pass 0) */
};

static uint8_t *logs[2]; /* LOG_MAX each: the whole pass, another */

static void put(struct pass *p, const void *b, size_t n)
{
    FZ_REQUIRE(p->log_len + n <= LOG_MAX, "line log full");
    memcpy(p->log + p->log_len, b, n);
    p->log_len += n;
}

static bool same_as_stream(const struct lp_line *l, size_t at)
{
    if (l->len > stream_len - at)
        return false;
    if (!(l->flags & LP_NUL))
        return !memcmp(l->text, stream + at, l->len);
    for (size_t i = 0; i < l->len; i++) {
        uint8_t want = stream[at + i] ? stream[at + i] : '?';
        if ((uint8_t)l->text[i] != want)
            return false;
    }
    return true;
}

/* The writer formats l's fields; the reader must give them back. */
static void round_trip(const struct lp_line *l)
{
    static char buf[HL_PROTO_LINE_MAX];
    struct hl_proto_out o;
    hl_proto_begin(&o, buf, sizeof buf, l->kind);
    for (int i = 1; i < l->nfields; i++)
        hl_proto_field(&o, l->fields[i]);
    size_t n = hl_proto_end(&o);
    if (n == sizeof buf)
        return; /* quoting made it longer than a line: not comparable */
    FZ_REQUIRE(n > 0 && buf[n - 1] == '\n', "writer: no line end");
    buf[--n] = '\0';
    enum lp_class c = lp_parse(buf, n, 0, reparsed);
    FZ_REQUIRE(c == LP_PROTO, "a record of %d fields, formatted again, "
               "reads as class %d (%s)", l->nfields, (int)c,
               reparsed->why ? reparsed->why : "");
    FZ_REQUIRE(reparsed->nfields == l->nfields,
               "formatted again: %d fields, was %d", reparsed->nfields,
               l->nfields);
    for (int i = 0; i < l->nfields; i++)
        FZ_REQUIRE(!strcmp(reparsed->fields[i], l->fields[i]),
                   "formatted again: field %d is '%s', was '%s'", i,
                   reparsed->fields[i], l->fields[i]);
}

static void check_line(struct pass *p, const struct lp_line *l)
{
    FZ_REQUIRE(!p->ended, "a line after the cut last line");
    FZ_REQUIRE(l->len <= LP_LINE_MAX && l->text[l->len] == '\0',
               "line %zu: %zu bytes, or not NUL-terminated", p->lines, l->len);
    FZ_REQUIRE(same_as_stream(l, p->at),
               "line %zu (%zu bytes, flags %#x) is not the stream's bytes at "
               "offset %zu", p->lines, l->len, l->flags, p->at);
    size_t start = p->at, end = start + l->len; /* just after the text */
    size_t taken = l->len;
    if (end < stream_len && stream[end] == '\r' &&
        ((l->flags & LP_OVERLONG) ? l->len == LP_LINE_MAX - 1
                                  : (end + 1 == stream_len ||
                                     stream[end + 1] == '\n'))) {
        end++; /* the final '\r' it dropped */
        taken++;
    }
    if (l->flags & LP_OVERLONG) {
        FZ_REQUIRE(taken == LP_LINE_MAX, "line %zu: overlong after %zu bytes",
                   p->lines, taken);
        const uint8_t *nl = memchr(stream + end, '\n', stream_len - end);
        p->at = nl ? (size_t)(nl - stream) + 1 : stream_len;
    } else if (l->flags & LP_CUT) {
        FZ_REQUIRE(end == stream_len, "line %zu: cut before the end (%zu of "
                   "%zu)", p->lines, end, stream_len);
        p->at = end;
        p->ended = true;
    } else {
        FZ_REQUIRE(end < stream_len && stream[end] == '\n',
                   "line %zu: not followed by a line end (offset %zu)",
                   p->lines, end);
        p->at = end + 1;
    }
    bool nul = memchr(stream + start, 0, l->len) != NULL;
    FZ_REQUIRE(nul == !!(l->flags & LP_NUL), "line %zu: LP_NUL is %d, NUL "
               "bytes %d", p->lines, !!(l->flags & LP_NUL), nul);

    bool proto = l->len >= HL_PROTO_PREFIX_BYTES &&
                 !memcmp(l->text, HL_PROTO_PREFIX, HL_PROTO_PREFIX_BYTES);
    FZ_REQUIRE((l->cls == LP_TEXT) == !proto, "line %zu: class %d, begins "
               "with the prefix: %d", p->lines, (int)l->cls, proto);
    if (proto && (l->flags & (LP_CUT | LP_OVERLONG | LP_NUL)))
        FZ_REQUIRE(l->cls == LP_BAD, "line %zu: a cut, overlong or NUL "
                   "protocol line accepted", p->lines);
    if (l->cls == LP_BAD)
        FZ_REQUIRE(l->why && l->why[0], "line %zu: bad without a reason",
                   p->lines);
    if (l->cls == LP_PROTO) {
        FZ_REQUIRE(l->nfields >= 1 && l->nfields <= LP_MAX_FIELDS &&
                       l->kind == l->fields[0] && l->kind[0],
                   "line %zu: %d fields, kind '%s'", p->lines, l->nfields,
                   l->kind ? l->kind : "(null)");
        for (const char *k = l->kind; *k; k++)
            FZ_REQUIRE((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') ||
                           *k == '_',
                       "line %zu: kind '%s'", p->lines, l->kind);
        FZ_REQUIRE((l->rest[0] == '\0' && l->nfields == 1) ||
                       (l->rest > l->text && l->rest <= l->text + l->len),
                   "line %zu: rest outside the line", p->lines);
        FZ_REQUIRE(lp_is(l, l->kind), "line %zu: lp_is", p->lines);
        round_trip(l);
    }
}

static void on_line(void *ctx, struct lp_line *l)
{
    struct pass *p = ctx;
    if (p->check)
        check_line(p, l);
    put(p, &l->cls, sizeof l->cls);
    put(p, &l->flags, sizeof l->flags);
    put(p, &l->len, sizeof l->len);
    put(p, l->text, l->len);
    put(p, &l->nfields, sizeof l->nfields);
    for (int i = 0; i < l->nfields; i++)
        put(p, l->fields[i], strlen(l->fields[i]) + 1);
    p->lines++;
}

/* Feed the stream in pieces: whole (step 0), a byte at a time (step 1),
 * or pieces of pseudo-random length from seed. */
static struct pass run(unsigned step, uint8_t seed, bool check)
{
    struct pass p = {.log = logs[!check], .check = check};
    lp_init(reader, on_line, &p);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t at = 0; at < stream_len;) {
        size_t n = stream_len - at;
        if (step == 1) {
            n = 1;
        } else if (step != 0) {
            x = x * 1664525u + 1013904223u;
            size_t k = (x >> 16) % 300 + 1; /* some straddle LP_LINE_MAX */
            n = k < n ? k : n;
        }
        lp_feed(reader, (const char *)stream + at, n);
        at += n;
    }
    lp_end(reader);
    return p;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    stream = malloc(STREAM_MAX);
    reader = calloc(1, sizeof *reader);
    reparsed = calloc(1, sizeof *reparsed);
    logs[0] = malloc(LOG_MAX);
    logs[1] = malloc(LOG_MAX);
    FZ_REQUIRE(stream && reader && reparsed && logs[0] && logs[1],
               "out of memory");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    uint8_t seed = fz_u8(&f);
    stream_len = 0;
    while (f.n > 0 && stream_len < STREAM_MAX - RUN_MAX) {
        uint8_t b = fz_u8(&f);
        if (b != 0xFF) {
            stream[stream_len++] = b;
            continue;
        }
        size_t count = fz_u16(&f) % RUN_MAX;
        memset(stream + stream_len, fz_u8(&f), count);
        stream_len += count;
    }
    struct pass whole = run(0, 0, true);
    FZ_REQUIRE(whole.at == stream_len, "the lines end at offset %zu of %zu",
               whole.at, stream_len);
    struct pass cut = run(2, seed, false);
    FZ_REQUIRE(cut.lines == whole.lines && cut.log_len == whole.log_len &&
                   !memcmp(cut.log, whole.log, whole.log_len),
               "cut into pieces (seed %u): %zu lines, whole: %zu (or "
               "different lines)", seed, cut.lines, whole.lines);
    if (stream_len <= 4096) {
        struct pass bytes = run(1, 0, false);
        FZ_REQUIRE(bytes.lines == whole.lines &&
                       bytes.log_len == whole.log_len &&
                       !memcmp(bytes.log, whole.log, whole.log_len),
                   "a byte at a time: %zu lines, whole: %zu (or different "
                   "lines)", bytes.lines, whole.lines);
    }
    return 0;
}
