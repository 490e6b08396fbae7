/*
 * trace_mtrace.c — glibc's mtrace text (MALLOC_TRACE=FILE with mtrace(),
 * glibc >= 2.34 also LD_PRELOAD=libc_malloc_debug.so) into a trace.  The
 * lines glibc writes (malloc/mtrace-impl.c):
 *
 *   = Start | = End               tracing switched on / off
 *   [@ CALLER ]+ PTR SIZE         malloc, calloc, memalign, realloc(NULL)
 *                                 (PTR "(nil)": it failed)
 *   [@ CALLER ]- PTR              free (and realloc(p, 0))
 *   [@ CALLER ]< OLD              realloc's old block, followed by
 *   [@ CALLER ]> NEW SIZE         its new one
 *   [@ CALLER ]! OLD SIZE         a realloc that failed
 *
 * CALLER is "prog:[0xaddr]", "prog:(sym+0xoff)[0xaddr]" or "[0xaddr]"; it
 * ends with "] ".  PTR is 0x-hex or "(nil)", SIZE %#lx (so "0" or 0x-hex).
 * mtrace has no threads (everything is thread 0) and does not tell calloc
 * or memalign from malloc (all are ALLOC).  Anything else is refused with
 * its line number.
 */
#include "bench/host/trace.h"

#include <string.h>

/* Parse a hex number ("0x..." or "0") at *p; advances *p. */
static bool hex(const char **p, const char *end, uint64_t *out, bool ptr)
{
    const char *s = *p;
    if (ptr && end - s >= 5 && !memcmp(s, "(nil)", 5)) {
        *out = 0;
        *p = s + 5;
        return true;
    }
    if (end - s >= 2 && s[0] == '0' && s[1] == 'x') {
        s += 2;
    } else if (s < end && *s == '0' && !ptr) {
        *out = 0;
        *p = s + 1;
        return true;
    } else {
        return false;
    }
    uint64_t v = 0;
    const char *d = s;
    while (s < end) {
        unsigned c = (unsigned char)*s, x;
        if (c >= '0' && c <= '9')
            x = c - '0';
        else if (c >= 'a' && c <= 'f')
            x = c - 'a' + 10;
        else
            break;
        if (v >> 60)
            return false; /* overflow */
        v = v << 4 | x;
        s++;
    }
    if (s == d)
        return false;
    *out = v;
    *p = s;
    return true;
}

int trace_import_mtrace(const char *text, size_t n, struct trace_builder *b,
                        uint64_t *line, const char **why)
{
    const char *p = text, *end = text + n;
    uint64_t ln = 0;
    bool in_realloc = false; /* after '<' */
    uint64_t old_addr = 0, old_slot = TRACE_NO_SLOT;
    bool old_unknown = false;
    const char *w = NULL;
    while (p < end && !b->oom) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        ln++;
        const char *s = p;
        p = nl ? nl + 1 : end;
        if (s == le) {
            w = "empty line";
            break;
        }
        if (memchr(s, '\0', (size_t)(le - s))) {
            w = "NUL byte";
            break;
        }
        if (s[0] == '=') {
            if (le - s < 2 || s[1] != ' ') {
                w = "'=' not followed by a space";
                break;
            }
            continue; /* = Start, = End */
        }
        if (s[0] == '@') {
            const char *c = NULL;
            for (const char *q = s; q + 1 < le; q++)
                if (q[0] == ']' && q[1] == ' ')
                    c = q;
            if (le - s < 2 || s[1] != ' ' || !c) {
                w = "caller without its '[address] '";
                break;
            }
            s = c + 2;
        }
        if (le - s < 3 || s[1] != ' ') {
            w = "not an mtrace line";
            break;
        }
        char op = s[0];
        const char *q = s + 2;
        uint64_t addr = 0, bytes = 0;
        if (!strchr("+-<>!", op)) {
            w = "unknown operation (expected + - < > !)";
            break;
        }
        if (!hex(&q, le, &addr, true)) {
            w = "bad pointer";
            break;
        }
        bool sized = op == '+' || op == '>' || op == '!';
        if (sized) {
            if (q >= le || *q != ' ') {
                w = "missing size";
                break;
            }
            q++;
            if (!hex(&q, le, &bytes, false)) {
                w = "bad size";
                break;
            }
        }
        if (q != le) {
            w = "junk after the operation";
            break;
        }
        if (in_realloc != (op == '>')) {
            w = in_realloc ? "'<' not followed by '>'" : "'>' without a '<' before it";
            break;
        }
        if (sized && addr && bytes > HL_TRACE_MAX_BYTES) {
            w = "size above 2^48 bytes";
            break;
        }
        switch (op) {
        case '+':
            if (addr)
                trace_b_alloc(b, HL_OP_ALLOC, 0, 0, addr, bytes);
            else
                b->c.failed_allocs++;
            break;
        case '-':
            if (addr)
                trace_b_free(b, 0, addr);
            else
                b->c.free_null++;
            break;
        case '<':
            if (!addr) {
                w = "realloc of (nil) as '<'";
                break;
            }
            old_addr = addr;
            old_slot = trace_b_realloc_out(b, addr, &old_unknown);
            in_realloc = true;
            break;
        case '>':
            in_realloc = false;
            if (!addr) {
                w = "'>' of (nil)";
                break;
            }
            trace_b_realloc_in(b, 0, old_addr, old_slot, old_unknown, addr, bytes);
            break;
        default: /* '!' */
            b->c.failed_allocs++;
            break;
        }
        if (w)
            break;
    }
    if (!w && in_realloc)
        w = "file ends between '<' and '>'";
    if (!w && b->oom)
        w = "out of memory";
    if (w) {
        *line = ln;
        *why = w;
        return -1;
    }
    return 0;
}
