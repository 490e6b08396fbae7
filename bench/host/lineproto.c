/*
 * lineproto.c — splitting the protocol stream (lineproto.h).
 *
 * The splitter follows RFC 4180 quotes only inside a protocol line (one
 * that began with "@HL "), so that a quoted field may hold a newline;
 * everything else ends at its newline.  An unterminated quote can at
 * worst make one overlong line: the buffer never grows.
 */
#define _GNU_SOURCE
#include "bench/host/lineproto.h"

#include <string.h>

#include "bench/host/csvline.h"

_Static_assert(LP_LINE_MAX == 8191, "the message below says 8191");

/* CSV states of a protocol line, after its prefix. */
enum { Q_FIELD, Q_PLAIN, Q_QUOTED, Q_QUOTE_SEEN };

static enum lp_class bad(struct lp_line *out, const char *why)
{
    out->cls = LP_BAD;
    out->why = why;
    return LP_BAD;
}

static bool is_kind(const char *k)
{
    if (!*k)
        return false;
    for (; *k; k++)
        if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '_'))
            return false;
    return true;
}

enum lp_class lp_parse(char *line, size_t len, unsigned flags, struct lp_line *out)
{
    out->cls = LP_TEXT;
    out->flags = flags;
    out->why = out->kind = NULL;
    out->rest = "";
    out->nfields = 0;
    if (len > 0 && line[len - 1] == '\r')
        line[--len] = '\0';
    bool nul = memchr(line, '\0', len) != NULL;
    if (nul) {
        out->flags |= LP_NUL;
        for (size_t i = 0; i < len; i++)
            if (line[i] == '\0')
                line[i] = '?';
    }
    out->text = line;
    out->len = len;
    if (len < HL_PROTO_PREFIX_BYTES || memcmp(line, HL_PROTO_PREFIX, HL_PROTO_PREFIX_BYTES))
        return LP_TEXT;
    if (flags & LP_CUT)
        return bad(out, "protocol line cut off at the end of the output");
    if (flags & LP_OVERLONG)
        return bad(out, "protocol line longer than 8191 bytes");
    if (nul)
        return bad(out, "NUL byte in a protocol line");
    const char *body = line + HL_PROTO_PREFIX_BYTES;
    size_t n = len - HL_PROTO_PREFIX_BYTES;
    memcpy(out->split, body, n + 1);
    int nf = csv_split(out->split, out->fields, LP_MAX_FIELDS);
    if (nf < 0)
        return bad(out, "malformed protocol record (a stray quote, or too many fields)");
    if (!is_kind(out->fields[0]))
        return bad(out, "protocol line without a kind");
    const char *comma = strchr(body, ',');
    out->rest = comma ? comma + 1 : "";
    out->kind = out->fields[0];
    out->nfields = nf;
    out->cls = LP_PROTO;
    return LP_PROTO;
}

bool lp_is(const struct lp_line *l, const char *k)
{
    return l->cls == LP_PROTO && !strcmp(l->kind, k);
}

void lp_init(struct lp_reader *r, lp_line_fn fn, void *ctx)
{
    r->fn = fn;
    r->ctx = ctx;
    r->len = 0;
    r->flags = 0;
    r->dropping = r->proto = false;
    r->quote = Q_FIELD;
}

/* Hand over the gathered line with flags; start the next one. */
static void emit(struct lp_reader *r, unsigned flags)
{
    r->buf[r->len] = '\0';
    lp_parse(r->buf, r->len, r->flags | flags, &r->line);
    r->fn(r->ctx, &r->line);
    r->len = 0;
    r->flags = 0;
    r->proto = false;
    r->quote = Q_FIELD;
}

/* The CSV state after byte c of a protocol line. */
static unsigned next_quote(unsigned q, char c)
{
    switch (q) {
    case Q_FIELD:
        return c == '"' ? Q_QUOTED : c == ',' ? Q_FIELD : Q_PLAIN;
    case Q_PLAIN:
        return c == ',' ? Q_FIELD : Q_PLAIN;
    case Q_QUOTED:
        return c == '"' ? Q_QUOTE_SEEN : Q_QUOTED;
    default: /* Q_QUOTE_SEEN: a doubled quote, or the field's end */
        return c == '"' ? Q_QUOTED : c == ',' ? Q_FIELD : Q_PLAIN;
    }
}

void lp_feed(struct lp_reader *r, const char *data, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = data[i];
        if (r->dropping) {
            if (c == '\n')
                r->dropping = false;
            continue;
        }
        if (c == '\n' && !(r->proto && r->quote == Q_QUOTED)) {
            emit(r, 0);
            continue;
        }
        if (r->len == LP_LINE_MAX) {
            emit(r, LP_OVERLONG);
            r->dropping = c != '\n';
            continue;
        }
        if (c == '\0')
            r->flags |= LP_NUL;
        r->buf[r->len++] = c;
        if (r->proto) {
            r->quote = next_quote(r->quote, c);
        } else if (r->len == HL_PROTO_PREFIX_BYTES &&
                   !memcmp(r->buf, HL_PROTO_PREFIX, HL_PROTO_PREFIX_BYTES)) {
            r->proto = true;
            r->quote = Q_FIELD;
        }
    }
}

void lp_end(struct lp_reader *r)
{
    if (r->len > 0 && !r->dropping)
        emit(r, LP_CUT);
    r->len = 0;
    r->flags = 0;
    r->dropping = r->proto = false;
    r->quote = Q_FIELD;
}
