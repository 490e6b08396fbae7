/*
 * proto.h — the one line protocol of heaplab's measuring children, written
 * once: the host's cell child (bench/host/cell.c, on its stdout) and the
 * i386 kernel (kernel_port/bench.c, on COM1) format every protocol line
 * with these functions; bench/host/lineproto.h is the one reader.
 * Freestanding: no libc.
 *
 * Grammar (docs/kernel.md, "Line protocol"):
 *
 *   line   = "@HL " record "\n"
 *   record = kind *("," field)          an RFC 4180 record
 *   field  = plain | '"' *(char | '""') '"'
 *
 * kind is a lower-case word (cell, lat, tl, rep, probe, done, ...).  A
 * field holding a comma, a double quote, CR or LF is quoted, its quotes
 * doubled, as RFC 4180 asks; a quoted field may hold a line end, so a
 * record may span physical lines (the reader follows its quotes).  A
 * result row (hl_format_cells_row & co., already RFC 4180) is appended
 * as it is: its fields are the record's fields after the kind.
 *
 * Anything on the stream not starting with "@HL " is chatter (a console
 * message, a sanitizer report): readers pass it on to cells.log.
 *
 * Use:
 *   char buf[HL_PROTO_LINE_MAX];
 *   struct hl_proto_out o;
 *   hl_proto_begin(&o, buf, sizeof buf, "probe");
 *   hl_proto_field(&o, "timer_overhead");
 *   hl_proto_u64(&o, 38);
 *   size_t n = hl_proto_end(&o);   "@HL probe,timer_overhead,38\n", or
 *                                  n == sizeof buf: it did not fit
 */
#ifndef HEAPLAB_PROTO_H
#define HEAPLAB_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HL_PROTO_PREFIX "@HL "
#define HL_PROTO_PREFIX_BYTES 4u
/* The longest line a reader takes whole, its "\n" included (a cells row
 * is < 1 KiB); a longer one is reported and skipped. */
#define HL_PROTO_LINE_MAX 8192u

/* A line being formatted into a caller's buffer. */
struct hl_proto_out {
    char *buf;
    size_t cap;
    size_t len;  /* < cap while the line fits; buf[len] == '\0' */
    bool full;   /* something did not fit: hl_proto_end says so */
};

/* Start a line "@HL kind" in buf (cap bytes).  pre: kind a plain word. */
void hl_proto_begin(struct hl_proto_out *o, char *buf, size_t cap, const char *kind);

/* Append one text field (NULL: an empty one), quoted when it must be. */
void hl_proto_field(struct hl_proto_out *o, const char *text);

/* Append one field: v in decimal. */
void hl_proto_u64(struct hl_proto_out *o, uint64_t v);

/* Append n bytes that already are one or more RFC 4180 fields (a result
 * row of runner.h's formatters), unchanged.  pre: they hold no line end
 * outside quotes. */
void hl_proto_row(struct hl_proto_out *o, const char *row, size_t n);

/* End the line with "\n".  Returns its length (without the NUL), or the
 * buffer's cap if the line did not fit (then buf holds nothing usable). */
size_t hl_proto_end(struct hl_proto_out *o);

/* Does the field need quotes (a comma, a quote, CR or LF in it)? */
bool hl_proto_needs_quotes(const char *text);

#endif /* HEAPLAB_PROTO_H */
