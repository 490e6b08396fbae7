/*
 * param.c — parameter text (param.h) and the allocators' parameter API
 * (allocator.h).  Freestanding.
 */
#include "allocators/allocator.h"
#include "allocators/util.h"

#include <stdbool.h>

int hl_param_index(const struct hl_param *decl, unsigned n, const char *name,
                   size_t len)
{
    for (unsigned i = 0; i < n; i++) {
        const char *t = decl[i].name;
        size_t k = 0;
        while (k < len && t[k] && t[k] == name[k])
            k++;
        if (k == len && t[k] == '\0')
            return (int)i;
    }
    return -1;
}

int hl_param_parse(const struct hl_param *decl, unsigned n, const char *text,
                   uint64_t *v, const char **err, size_t *err_at)
{
    uint64_t out[HL_PARAM_MAX] = {0};
    bool seen[HL_PARAM_MAX] = {false};
    for (unsigned i = 0; i < n && i < HL_PARAM_MAX; i++)
        out[i] = v[i];
    const char *msg = NULL;
    size_t pos = 0, bad_at = 0, len = text ? hl_strlen(text) : 0;
    while (len > 0 && !msg) { /* one "name=value" item per round */
        size_t end = pos, eq;
        while (end < len && text[end] != ',')
            end++;
        for (eq = pos; eq < end && text[eq] != '='; eq++)
            ;
        bad_at = pos;
        int idx;
        if (eq == pos) {
            msg = eq == end ? "empty item (expected name=value)"
                            : "empty parameter name";
        } else if (eq == end) {
            msg = "expected name=value";
        } else if ((idx = hl_param_index(decl, n, text + pos, eq - pos)) < 0) {
            msg = "unknown parameter";
        } else if (seen[idx]) {
            msg = "duplicate parameter";
        } else {
            bad_at = eq + 1;
            msg = hl_parse_u64(text + eq + 1, end - eq - 1, &out[idx]);
            if (!msg && (out[idx] < decl[idx].min || out[idx] > decl[idx].max))
                msg = "value out of range";
            seen[idx] = true;
        }
        if (end == len)
            break;
        pos = end + 1;
        if (pos == len && !msg) { /* a trailing comma */
            bad_at = pos;
            msg = "empty item (expected name=value)";
        }
    }
    if (msg) {
        if (err)
            *err = msg;
        if (err_at)
            *err_at = bad_at;
        return -1;
    }
    for (unsigned i = 0; i < n; i++)
        v[i] = out[i];
    return 0;
}

int hl_param_validate(const struct hl_param *decl, unsigned n,
                      const uint64_t *v, const char **err, int *bad)
{
    for (unsigned i = 0; i < n; i++)
        if (v[i] < decl[i].min || v[i] > decl[i].max) {
            if (err)
                *err = "value out of range";
            if (bad)
                *bad = (int)i;
            return -1;
        }
    return 0;
}

static void put(char *buf, size_t cap, size_t *len, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++, (*len)++)
        if (*len + 1 < cap)
            buf[*len] = s[i];
}

size_t hl_param_format(const struct hl_param *decl, unsigned n,
                       const uint64_t *v, char *buf, size_t cap)
{
    size_t len = 0;
    for (unsigned i = 0; i < n; i++) {
        char digits[20];
        size_t nd = 0;
        uint64_t x = v[i];
        do {
            digits[nd++] = (char)('0' + x % 10u);
            x /= 10u;
        } while (x);
        if (i)
            put(buf, cap, &len, ",", 1);
        put(buf, cap, &len, decl[i].name, hl_strlen(decl[i].name));
        put(buf, cap, &len, "=", 1);
        while (nd)
            put(buf, cap, &len, &digits[--nd], 1);
    }
    if (cap)
        buf[len < cap ? len : cap - 1] = '\0';
    return len;
}

/* ---- allocators ----------------------------------------------------------- */

void hl_al_defaults(const struct hl_allocator *a, struct hl_al_params *p)
{
    hl_memset(p, 0, sizeof *p);
    for (unsigned i = 0; i < a->nparams; i++)
        p->v[i] = a->params[i].def;
}

int hl_al_param_index(const struct hl_allocator *a, const char *name)
{
    return hl_param_index(a->params, a->nparams, name, hl_strlen(name));
}

int hl_al_parse(const struct hl_allocator *a, const char *text,
                struct hl_al_params *p, const char **err, size_t *err_at)
{
    struct hl_al_params out;
    hl_al_defaults(a, &out);
    if (hl_param_parse(a->params, a->nparams, text, out.v, err, err_at) != 0)
        return -1;
    *p = out;
    return 0;
}

int hl_al_validate(const struct hl_allocator *a, const struct hl_al_params *p,
                   const char **err, int *bad_index)
{
    return hl_param_validate(a->params, a->nparams, p->v, err, bad_index);
}

size_t hl_al_format(const struct hl_allocator *a, const struct hl_al_params *p,
                    char *buf, size_t cap)
{
    return hl_param_format(a->params, a->nparams, p->v, buf, cap);
}

enum hl_status hl_al_init(const struct hl_allocator *a, void *state,
                          void *base, size_t bytes,
                          const struct hl_al_params *p)
{
    struct hl_al_params d;
    if (!p) {
        hl_al_defaults(a, &d);
        p = &d;
    }
    HL_ASSERT(hl_al_validate(a, p, NULL, NULL) == 0);
    return a->init(state, base, bytes, p);
}
