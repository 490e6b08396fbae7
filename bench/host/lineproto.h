/*
 * lineproto.h — the one reader of heaplab's line protocol
 * (bench/core/proto.h has the grammar and the writer): the byte stream of
 * a cell child's stdout or of the kernel's serial port split into lines,
 * and each line into (kind, fields).  spawn.c and qemu.c both read
 * through it.
 *
 * Robust by construction: memory is one fixed buffer per reader; a line
 * longer than LP_LINE_MAX is handed over cut (LP_OVERLONG) and the rest of
 * it skipped up to the next newline; a last line without a newline is
 * handed over at lp_end (LP_CUT); NUL bytes are flagged (LP_NUL); none of
 * them ever fails a read.  A protocol line that is cut, overlong, holds a
 * NUL or is no RFC 4180 record is LP_BAD with a reason; anything not
 * starting with "@HL " is LP_TEXT, for cells.log.
 *
 *   struct lp_reader *r = calloc(1, sizeof *r);   (about 24 KiB)
 *   lp_init(r, on_line, ctx);
 *   lp_feed(r, bytes, n) ...                       on_line(ctx, line) per line
 *   lp_end(r);                                     the cut last line, if any
 */
#ifndef HEAPLAB_LINEPROTO_H
#define HEAPLAB_LINEPROTO_H

#include <stdbool.h>
#include <stddef.h>

#include "bench/core/proto.h"

/* Bytes of a line taken whole, its "\n" not counted. */
#define LP_LINE_MAX (HL_PROTO_LINE_MAX - 1u)
/* Fields of one record, its kind included (a cells row has 38 + 1). */
#define LP_MAX_FIELDS 64

/* Flags of a line. */
#define LP_CUT 0x1u      /* the stream ended inside it */
#define LP_OVERLONG 0x2u /* longer than LP_LINE_MAX: this is its start */
#define LP_NUL 0x4u      /* it held NUL bytes (shown as '?' in text) */

enum lp_class {
    LP_TEXT,  /* not a protocol line: chatter, for cells.log */
    LP_PROTO, /* a protocol record: kind and fields */
    LP_BAD,   /* a protocol line that cannot be read: why says so */
};

struct lp_line {
    enum lp_class cls;
    unsigned flags;      /* LP_CUT, LP_OVERLONG, LP_NUL */
    const char *text;    /* the line as received, without "\n" or a final
                            "\r"; NUL bytes replaced by '?' */
    size_t len;          /* of text */
    const char *why;     /* LP_BAD: static text */
    const char *kind;    /* LP_PROTO: the first field ("cell", "rep", ...) */
    const char *rest;    /* LP_PROTO: the record after "kind," exactly as
                            sent ("" when the kind stands alone) */
    int nfields;         /* LP_PROTO: fields, the kind included */
    char *fields[LP_MAX_FIELDS]; /* unquoted; fields[0] is the kind */
    char split[LP_LINE_MAX + 1]; /* the copy fields[] point into */
};

/* Classify and split one line (line[len] == '\0'; NUL bytes inside are
 * allowed with LP_NUL).  The line is kept in out->text (altered in place:
 * '?' for NUL, the final '\r' dropped).  Returns out->cls.
 * pre: len <= LP_LINE_MAX. */
enum lp_class lp_parse(char *line, size_t len, unsigned flags, struct lp_line *out);

typedef void (*lp_line_fn)(void *ctx, struct lp_line *line);

/* A stream being split.  Inside a protocol line, a quoted field may hold
 * a line end: the reader follows the quotes. */
struct lp_reader {
    lp_line_fn fn;
    void *ctx;
    char buf[LP_LINE_MAX + 1];
    size_t len;
    unsigned flags;     /* of the line being gathered (LP_NUL) */
    bool dropping;      /* skipping the rest of an overlong line */
    bool proto;         /* the line began with "@HL " */
    unsigned quote;     /* CSV state inside a protocol line */
    struct lp_line line;
};

void lp_init(struct lp_reader *r, lp_line_fn fn, void *ctx);
/* Feed n bytes; fn gets every complete line. */
void lp_feed(struct lp_reader *r, const char *data, size_t n);
/* The stream ended: fn gets the last line if it had no "\n" (LP_CUT). */
void lp_end(struct lp_reader *r);

/* Is the line's kind k?  (false for a line that is no protocol record) */
bool lp_is(const struct lp_line *l, const char *k);

#endif /* HEAPLAB_LINEPROTO_H */
