/*
 * proto.c — formatting protocol lines (proto.h).  Freestanding: bytes go
 * into the caller's buffer; nothing is ever written past its cap.
 */
#include "bench/core/proto.h"

#include "bench/core/runner.h" /* hl_fmt_u64 */

static void put(struct hl_proto_out *o, const char *s, size_t n)
{
    if (o->full)
        return;
    if (n >= o->cap - o->len) { /* these bytes and the NUL */
        o->full = true;
        return;
    }
    for (size_t i = 0; i < n; i++)
        o->buf[o->len + i] = s[i];
    o->len += n;
    o->buf[o->len] = '\0';
}

void hl_proto_begin(struct hl_proto_out *o, char *buf, size_t cap, const char *kind)
{
    o->buf = buf;
    o->cap = cap;
    o->len = 0;
    o->full = cap == 0;
    if (cap)
        buf[0] = '\0';
    put(o, HL_PROTO_PREFIX, HL_PROTO_PREFIX_BYTES);
    size_t n = 0;
    while (kind[n])
        n++;
    put(o, kind, n);
}

bool hl_proto_needs_quotes(const char *text)
{
    for (; text && *text; text++)
        if (*text == ',' || *text == '"' || *text == '\r' || *text == '\n')
            return true;
    return false;
}

void hl_proto_field(struct hl_proto_out *o, const char *text)
{
    put(o, ",", 1);
    if (!text)
        return;
    bool quote = hl_proto_needs_quotes(text);
    if (quote)
        put(o, "\"", 1);
    for (const char *c = text; *c; c++) {
        if (*c == '"')
            put(o, "\"", 1); /* a quote inside is doubled */
        put(o, c, 1);
    }
    if (quote)
        put(o, "\"", 1);
}

void hl_proto_u64(struct hl_proto_out *o, uint64_t v)
{
    char digits[20];
    size_t n = hl_fmt_u64(digits, sizeof digits, v);
    put(o, ",", 1);
    put(o, digits, n);
}

void hl_proto_row(struct hl_proto_out *o, const char *row, size_t n)
{
    put(o, ",", 1);
    put(o, row, n);
}

size_t hl_proto_end(struct hl_proto_out *o)
{
    put(o, "\n", 1);
    return o->full ? o->cap : o->len;
}
