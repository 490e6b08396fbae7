/*
 * plan.c — the one planner (plan.h).  Freestanding: no libc beyond the
 * compiler's headers and the mem* the port provides.
 */
#include "bench/core/plan.h"
#include "allocators/util.h"

#include <stdarg.h>

#include "bench/core/runner.h"

/* ---- small string helpers ------------------------------------------------ */

static const char *find_char(const char *s, char c)
{
    for (; *s; s++)
        if (*s == c)
            return s;
    return NULL;
}

/* Copy n bytes of s + NUL into out (cap bytes); false if they do not fit. */
static bool copy_span(char *out, size_t cap, const char *s, size_t n)
{
    if (n + 1 > cap)
        return false;
    for (size_t i = 0; i < n; i++)
        out[i] = s[i];
    out[n] = '\0';
    return true;
}

/* ---- errors ---------------------------------------------------------------- */

/* p->err = the strings given (NULL-terminated list), cut to fit. */
static int fail(struct hl_plan *p, ...)
{
    va_list ap;
    va_start(ap, p);
    size_t at = 0;
    for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
        for (; *s && at + 1 < sizeof p->err; s++)
            p->err[at++] = *s;
    va_end(ap);
    p->err[at] = '\0';
    return -1;
}

/* "bad value for OPT: 'VALUE' (" ... ")" */
static int fail_value(struct hl_plan *p, const char *opt, const char *value, const char *why,
                      const char *more)
{
    return fail(p, "bad value for ", opt, ": '", value, "' (", why, more ? more : "", ")",
                (const char *)NULL);
}

/* ---- allocators and workloads --------------------------------------------------- */

static int pick_allocs(struct hl_plan *p)
{
    const struct hl_plan_opts *o = p->o;
    if (o->nallocs == 0) {
        for (size_t i = 0; i < o->ncand && p->nallocs < HL_PLAN_MAX_LIST; i++)
            if (o->cand[i].deflt)
                p->allocs[p->nallocs++] = i;
        return 0;
    }
    if (o->nallocs > HL_PLAN_MAX_LIST)
        return fail(p, "too many allocators named (at most 64)", (const char *)NULL);
    for (size_t i = 0; i < o->nallocs; i++) {
        size_t a = 0;
        while (a < o->ncand && !hl_streq(o->cand[a].name, o->allocs[i]))
            a++;
        if (a == o->ncand)
            return fail(p, "unknown allocator '", o->allocs[i],
                        "' (see heaplab list allocators)", (const char *)NULL);
        for (size_t k = 0; k < p->nallocs; k++)
            if (p->allocs[k] == a)
                return fail(p, "allocator '", o->allocs[i], "' named twice", (const char *)NULL);
        p->allocs[p->nallocs++] = a;
    }
    return 0;
}

static int pick_workloads(struct hl_plan *p)
{
    const struct hl_plan_opts *o = p->o;
    if (o->nwls == 0) {
        /* The vm family (page-level experiments) joins the default suite
         * only when one of its mapping kinds is named. */
        bool vm = false;
        for (size_t i = 0; i < p->nallocs; i++)
            vm |= o->cand[p->allocs[i]].family == HL_FAMILY_VM && o->nallocs;
        for (const struct hl_workload *const *w = hl_workloads; *w; w++)
            if (p->nwls < HL_PLAN_MAX_LIST && ((*w)->family != HL_FAMILY_VM || vm))
                p->wls[p->nwls++] = *w;
        return 0;
    }
    if (o->nwls > HL_PLAN_MAX_LIST)
        return fail(p, "too many workloads named (at most 64)", (const char *)NULL);
    for (size_t i = 0; i < o->nwls; i++) {
        const struct hl_workload *w = hl_workload_find(o->wls[i]);
        if (!w && o->find_workload)
            w = o->find_workload(o->find_ctx, o->wls[i]);
        if (!w)
            return fail(p, "unknown workload '", o->wls[i], "' (see heaplab list workloads)",
                        (const char *)NULL);
        for (size_t k = 0; k < p->nwls; k++)
            if (p->wls[k] == w)
                return fail(p, "workload '", o->wls[i], "' named twice", (const char *)NULL);
        p->wls[p->nwls++] = w;
    }
    return 0;
}

/* The workload of the run that the `len` bytes at name name, or -1. */
static int workload_of(const struct hl_plan *p, const char *name, size_t len)
{
    for (size_t k = 0; k < p->nwls; k++)
        if (hl_span_eq(name, len, p->wls[k]->name))
            return (int)k;
    return -1;
}

/* ---- parameters ----------------------------------------------------------------- */

/* Every params word is W:... for a workload W of the run. */
static int check_params(struct hl_plan *p)
{
    const struct hl_plan_opts *o = p->o;
    if (o->nparams > HL_PLAN_MAX_LIST)
        return fail(p, "too many ", o->opt_params, " words (at most 64)", (const char *)NULL);
    for (size_t i = 0; i < o->nparams; i++) {
        const char *s = o->params[i], *colon = find_char(s, ':');
        if (!colon)
            return fail_value(p, o->opt_params, s, "expected workload:key=value,...", NULL);
        if (workload_of(p, s, (size_t)(colon - s)) < 0) {
            char name[64];
            if (!copy_span(name, sizeof name, s, (size_t)(colon - s)))
                copy_span(name, sizeof name, "...", 3);
            return fail(p, "bad value for ", o->opt_params, ": '", s, "' (no workload '", name,
                        "' in this run)", (const char *)NULL);
        }
    }
    return 0;
}

/* Does the comma list `text` set parameter `name` ("name=" at its start
 * or after a comma)? */
static bool names_param(const char *text, const char *name)
{
    size_t n = hl_strlen(name);
    for (const char *s = text; s; s = find_char(s, ',')) {
        if (*s == ',')
            s++;
        size_t i = 0;
        while (i < n && s[i] == name[i])
            i++;
        if (i == n && s[n] == '=')
            return true;
    }
    return false;
}

/* The parameters of workload k: its defaults scaled to ops, then every
 * params word for it applied in order, each setting only the names it
 * gives; validated. */
static int workload_params(struct hl_plan *p, size_t k)
{
    const struct hl_plan_opts *o = p->o;
    const struct hl_workload *w = p->wls[k];
    struct hl_wl_params *wp = &p->params[k];
    hl_wl_defaults(w, wp);
    if (hl_workload_find(w->name) == w) /* a caller's workload is not scaled */
        hl_wl_scale_ops(w, wp, o->ops);
    size_t name_len = hl_strlen(w->name);
    for (size_t i = 0; i < o->nparams; i++) {
        const char *s = o->params[i], *colon = find_char(s, ':'); /* check_params */
        if ((size_t)(colon - s) != name_len || !hl_span_eq(s, name_len, w->name))
            continue;
        const char *err = NULL;
        size_t at = 0;
        struct hl_wl_params set;
        if (hl_wl_parse(w, colon + 1, &set, &err, &at) != 0)
            return fail(p, "bad value for ", o->opt_params, ": '", s, "' (", err, " at '",
                        colon + 1 + at, "')", (const char *)NULL);
        for (unsigned j = 0; j < w->nparams; j++)
            if (names_param(colon + 1, w->params[j].name))
                wp->v[j] = set.v[j];
    }
    const char *err = NULL;
    int bad = -1;
    if (hl_wl_validate(w, wp, &err, &bad) != 0) {
        char ops[24];
        hl_fmt_u64(ops, sizeof ops, o->ops);
        return fail(p, "bad parameters for workload '", w->name, "': ", err,
                    bad >= 0 ? ": " : "", bad >= 0 ? w->params[bad].name : "",
                    " (after scaling to ", ops, " ops)", (const char *)NULL);
    }
    char text[HL_PLAN_PARAMS_TEXT];
    if (hl_wl_format(w, wp, text, sizeof text) >= sizeof text)
        return fail(p, "the parameters of workload '", w->name, "' are too long a text",
                    (const char *)NULL);
    return 0;
}

/* ---- allocator parameters --------------------------------------------------------- */

static const char *opt_aparams(const struct hl_plan *p)
{
    return p->o->opt_aparams ? p->o->opt_aparams : "--allocators";
}

/* The allocator of the run that the `len` bytes at name name (allocs[]
 * index), or -1. */
static int allocator_of(const struct hl_plan *p, const char *name, size_t len)
{
    for (size_t i = 0; i < p->nallocs; i++)
        if (hl_span_eq(name, len, p->o->cand[p->allocs[i]].name))
            return (int)i;
    return -1;
}

/* The declared parameters of run allocator i (NULL: it has none). */
static const struct hl_allocator *al_of(const struct hl_plan *p, size_t i)
{
    const struct hl_allocator *a = p->o->cand[p->allocs[i]].a;
    return a && a->nparams ? a : NULL;
}

/* The parameters of every allocator of the run: its defaults, then every
 * "A:k=v,..." word for it applied in order, each setting only the names it
 * gives; validated. */
static int allocator_params(struct hl_plan *p)
{
    const struct hl_plan_opts *o = p->o;
    const char *opt = opt_aparams(p);
    if (o->naparams > HL_PLAN_MAX_LIST)
        return fail(p, "too many ", opt, " parameter words (at most 64)", (const char *)NULL);
    for (size_t i = 0; i < p->nallocs; i++) {
        const struct hl_allocator *a = al_of(p, i);
        if (a)
            hl_al_defaults(a, &p->aparams[i]);
    }
    for (size_t w = 0; w < o->naparams; w++) {
        const char *s = o->aparams[w], *colon = find_char(s, ':');
        if (!colon)
            return fail_value(p, opt, s, "expected allocator:key=value,...", NULL);
        int i = allocator_of(p, s, (size_t)(colon - s));
        char name[64];
        if (!copy_span(name, sizeof name, s, (size_t)(colon - s)))
            copy_span(name, sizeof name, "...", 3);
        if (i < 0)
            return fail(p, "bad value for ", opt, ": '", s, "' (no allocator '", name,
                        "' in this run)", (const char *)NULL);
        const struct hl_allocator *a = al_of(p, (size_t)i);
        const char *err = NULL;
        size_t at = 0;
        if (!a && colon[1])
            return fail(p, "bad value for ", opt, ": '", s, "' (allocator '", name,
                        "' has no parameters)", (const char *)NULL);
        if (a && hl_param_parse(a->params, a->nparams, colon + 1, p->aparams[i].v, &err,
                                &at) != 0)
            return fail(p, "bad value for ", opt, ": '", s, "' (", err, " at '",
                        colon + 1 + at, "'; see heaplab list allocators)", (const char *)NULL);
    }
    return 0;
}

/* One sweep point: "K=value" (one_text; value, the text after '=', for
 * messages) parsed and validated into *v, or a failure (fail()'s -1). */
typedef int (*sweep_point_fn)(struct hl_plan *p, const char *s, const char *one_text,
                              const char *value, size_t idx, uint64_t *v);

/* The values "v1,v2,..." after sweep s's '=' (eq), each as "K=value" (K:
 * key) through point(), none named twice, into points[0..*np). */
static int sweep_values(struct hl_plan *p, const char *s, const char *eq, const char *key,
                        sweep_point_fn point, size_t idx, uint64_t *points, unsigned *np)
{
    const char *opt = p->o->opt_sweep;
    *np = 0;
    for (const char *v = eq + 1;;) {
        size_t len = 0;
        while (v[len] && v[len] != ',')
            len++;
        if (len == 0)
            return fail_value(p, opt, s, "empty value", NULL);
        if (*np == HL_PLAN_MAX_POINTS)
            return fail_value(p, opt, s, "too many values", NULL);
        char one_text[160], value[72];
        if (!copy_span(value, sizeof value, v, len > 64 ? 64 : len) || len > 64)
            return fail_value(p, opt, s, "a value is too long", NULL);
        size_t n = 0; /* one_text = "K=value" */
        for (const char *c = key; *c && n < 63; c++)
            one_text[n++] = *c;
        one_text[n++] = '=';
        for (size_t i = 0; i < len; i++) /* len <= 64 */
            one_text[n++] = v[i];
        one_text[n] = '\0';
        uint64_t x = 0;
        if (point(p, s, one_text, value, idx, &x) != 0)
            return -1;
        for (unsigned j = 0; j < *np; j++)
            if (points[j] == x)
                return fail(p, "bad value for ", opt, ": '", s, "' (", value, " named twice)",
                            (const char *)NULL);
        points[(*np)++] = x;
        if (!v[len])
            return 0;
        v += len + 1;
    }
}

/* sweep_point_fn of allocator allocs[i]'s swept parameter (asweep key). */
static int alloc_point(struct hl_plan *p, const char *s, const char *one_text,
                       const char *value, size_t i, uint64_t *v)
{
    const struct hl_allocator *a = al_of(p, i);
    struct hl_al_params point = p->aparams[i];
    const char *err = NULL;
    size_t at = 0;
    if (hl_param_parse(a->params, a->nparams, one_text, point.v, &err, &at) != 0)
        return fail(p, "bad value for ", p->o->opt_sweep, ": '", s, "' (", value, ": ", err,
                    ")", (const char *)NULL);
    *v = point.v[p->aswept[i]];
    return 0;
}

/* One sweep "A:K=v1,v2,...": A an allocator of the run (allocs[] index i),
 * swept once; K one of its parameters; each value in range, none twice. */
static int add_alloc_sweep(struct hl_plan *p, const char *s, size_t i, const char *colon,
                           const char *eq)
{
    const char *opt = p->o->opt_sweep;
    const char *aname = p->o->cand[p->allocs[i]].name;
    const struct hl_allocator *a = al_of(p, i);
    char name[64];
    if (p->asweep_text[i])
        return fail(p, "bad value for ", opt, ": '", s, "' (allocator '", aname,
                    "' is swept twice)", (const char *)NULL);
    int key = a ? hl_param_index(a->params, a->nparams, colon + 1, (size_t)(eq - colon - 1))
                : -1;
    if (key < 0) {
        if (!copy_span(name, sizeof name, colon + 1, (size_t)(eq - colon - 1)))
            copy_span(name, sizeof name, "...", 3);
        return fail(p, "bad value for ", opt, ": '", s, "' (allocator '", aname,
                    "' has no parameter '", name, "'; see heaplab list allocators)",
                    (const char *)NULL);
    }
    p->aswept[i] = (unsigned)key;
    if (sweep_values(p, s, eq, a->params[key].name, alloc_point, i, p->apoints[i],
                     &p->anpoints[i]) != 0)
        return -1;
    p->asweep_text[i] = s;
    return 0;
}

/* ---- sweeps ----------------------------------------------------------------------- */

/* sweep_point_fn of workload wls[k]'s swept parameter (swept key): the
 * point over the run's parameters of W, validated whole. */
static int workload_point(struct hl_plan *p, const char *s, const char *one_text,
                          const char *value, size_t k, uint64_t *v)
{
    const char *opt = p->o->opt_sweep;
    const struct hl_workload *w = p->wls[k];
    unsigned key = p->swept[k];
    struct hl_wl_params one, point = p->params[k];
    const char *err = NULL;
    size_t at = 0;
    if (hl_wl_parse(w, one_text, &one, &err, &at) != 0)
        return fail(p, "bad value for ", opt, ": '", s, "' (", value, ": ", err, ")",
                    (const char *)NULL);
    point.v[key] = one.v[key];
    int bad = -1;
    if (hl_wl_validate(w, &point, &err, &bad) != 0)
        return fail(p, "bad value for ", opt, ": '", s, "' (", value, ": ", err,
                    bad >= 0 ? ": " : "", bad >= 0 ? w->params[bad].name : "", ")",
                    (const char *)NULL);
    char text[HL_PLAN_PARAMS_TEXT];
    if (hl_wl_format(w, &point, text, sizeof text) >= sizeof text)
        return fail_value(p, opt, s, "the parameter text is too long", NULL);
    *v = point.v[key];
    return 0;
}

/* One sweep "W:K=v1,v2,...": W a workload of the run, swept once; K one of
 * its parameters; each value K=v over W's run parameters, validated, none
 * named twice. */
static int add_sweep(struct hl_plan *p, const char *s)
{
    const char *opt = p->o->opt_sweep;
    const char *colon = find_char(s, ':');
    const char *eq = colon ? find_char(colon, '=') : NULL;
    if (!colon || !eq || eq == colon + 1 || !eq[1])
        return fail_value(p, opt, s, "expected workload:key=v1,v2,...", NULL);
    int k = workload_of(p, s, (size_t)(colon - s));
    char name[64];
    if (k < 0) {
        int i = allocator_of(p, s, (size_t)(colon - s));
        if (i >= 0)
            return add_alloc_sweep(p, s, (size_t)i, colon, eq);
        if (!copy_span(name, sizeof name, s, (size_t)(colon - s)))
            copy_span(name, sizeof name, "...", 3);
        return fail(p, "bad value for ", opt, ": '", s, "' (no workload '", name,
                    "' in this run, nor an allocator)", (const char *)NULL);
    }
    const struct hl_workload *w = p->wls[k];
    if (p->sweep_text[k])
        return fail(p, "bad value for ", opt, ": '", s, "' (workload '", w->name,
                    "' is swept twice)", (const char *)NULL);
    int key = -1;
    for (unsigned i = 0; i < w->nparams && key < 0; i++)
        if (hl_span_eq(colon + 1, (size_t)(eq - colon - 1), w->params[i].name))
            key = (int)i;
    if (key < 0) {
        if (!copy_span(name, sizeof name, colon + 1, (size_t)(eq - colon - 1)))
            copy_span(name, sizeof name, "...", 3);
        return fail(p, "bad value for ", opt, ": '", s, "' (workload '", w->name,
                    "' has no parameter '", name, "')", (const char *)NULL);
    }
    p->swept[k] = (unsigned)key;
    if (sweep_values(p, s, eq, w->params[key].name, workload_point, (size_t)k, p->points[k],
                     &p->npoints[k]) != 0)
        return -1;
    p->sweep_text[k] = s;
    return 0;
}

static int pick_sweeps(struct hl_plan *p)
{
    const struct hl_plan_opts *o = p->o;
    if (o->nsweeps > HL_PLAN_MAX_LIST)
        return fail(p, "too many ", o->opt_sweep, " words (at most 64)", (const char *)NULL);
    if (o->sweep_none && o->nsweeps)
        return fail(p, "bad value for ", o->opt_sweep, ": 'none' with other sweeps",
                    (const char *)NULL);
    for (size_t i = 0; i < o->nsweeps; i++)
        if (add_sweep(p, o->sweeps[i]) != 0)
            return -1;
    if (!o->sweep_none && !o->nsweeps && !o->nwls)
        for (size_t i = 0; i < HL_WL_NDEFAULT_SWEEPS; i++)
            if (add_sweep(p, hl_wl_default_sweeps[i]) != 0)
                return -1;
    return 0;
}

/* ---- cells -------------------------------------------------------------------------- */

struct walk {
    const struct hl_plan *p;
    struct hl_plan_cell *out;
    size_t cap;     /* out[] entries */
    size_t want;    /* SIZE_MAX: all, in out[index]; else only this one, in out[0] */
    size_t n;
};

static bool admitted(const struct hl_plan_opts *o, size_t a, size_t r)
{
    return !o->admit || o->admit(o->admit_ctx, a, r);
}

/* One cell per allocator of w's family admitted to arm r (only allocs[]
 * index `only`, at parameters ap, unless only is SIZE_MAX: each at its run
 * parameters); false once the wanted cell is found. */
static bool emit(struct walk *wk, size_t k, const struct hl_wl_params *params, size_t r,
                 const char *sweep, size_t only, const struct hl_al_params *ap)
{
    const struct hl_plan *p = wk->p;
    const struct hl_plan_opts *o = p->o;
    for (size_t i = 0; i < p->nallocs; i++) {
        size_t a = p->allocs[i];
        if ((only != SIZE_MAX && i != only) || o->cand[a].family != p->wls[k]->family ||
            (o->arms[r].host && p->wls[k]->host_none) || !admitted(o, a, r))
            continue;
        struct hl_plan_cell *c = NULL;
        if (wk->want == SIZE_MAX && wk->n < wk->cap)
            c = &wk->out[wk->n];
        else if (wk->want == wk->n)
            c = &wk->out[0];
        if (c) {
            c->cand = a;
            c->wl = k;
            c->arm = r;
            c->w = p->wls[k];
            c->sweep = sweep;
            c->sweep_alloc = only != SIZE_MAX;
            c->params = *params;
            c->aparams = ap ? *ap : p->aparams[i];
            c->reps = o->arms[r].reps;
            c->u.launches = o->arms[r].launches;
            c->u.timed = o->arms[r].timed;
            c->u.cost = hl_plan_cost(o, c);
        }
        if (wk->want == wk->n++)
            return false;
    }
    return true;
}

static void walk_cells(struct walk *wk)
{
    const struct hl_plan *p = wk->p;
    const struct hl_plan_opts *o = p->o;
    /* The suite: per environment (in the order of their first arm), every
     * workload, every arm of the environment. */
    for (size_t e = 0; !o->no_suite && e < o->narms; e++) {
        bool first = true;
        for (size_t r = 0; r < e && first; r++)
            first = !hl_streq(o->arms[r].env, o->arms[e].env);
        if (!first)
            continue;
        for (size_t k = 0; k < p->nwls; k++)
            for (size_t r = e; r < o->narms; r++)
                if (hl_streq(o->arms[r].env, o->arms[e].env) &&
                    !emit(wk, k, &p->params[k], r, "", SIZE_MAX, NULL))
                    return;
    }
    /* The sweep points, in the first arm (the first that is not the
     * host's, for a workload the host cannot run); a vm workload's in the
     * first arm of every environment (its figure sets the worlds side by
     * side: the host's TSC against the kernel's count). */
    for (size_t k = 0; k < p->nwls; k++) {
        const struct hl_workload *w = p->wls[k];
        for (size_t r = 0; r < o->narms; r++) {
            bool first_of_env = true;
            for (size_t q = 0; q < r && first_of_env; q++)
                first_of_env = !hl_streq(o->arms[q].env, o->arms[r].env);
            if (!first_of_env || (w->host_none && o->arms[r].host))
                continue;
            for (unsigned v = 0; v < p->npoints[k]; v++) {
                struct hl_wl_params point = p->params[k];
                point.v[p->swept[k]] = p->points[k][v];
                if (!emit(wk, k, &point, r, w->params[p->swept[k]].name, SIZE_MAX, NULL))
                    return;
            }
            if (w->family != HL_FAMILY_VM)
                break;
        }
    }
    /* The allocator sweep points, in the first arm of every environment
     * (a variant's placement and footprint are the allocator's, so both
     * worlds run it): every workload of the allocator's family at its run
     * parameters. */
    for (size_t e = 0; e < o->narms; e++) {
        bool first = true;
        for (size_t r = 0; r < e && first; r++)
            first = !hl_streq(o->arms[r].env, o->arms[e].env);
        if (!first)
            continue;
        for (size_t i = 0; i < p->nallocs; i++)
            for (unsigned v = 0; v < p->anpoints[i]; v++) {
                const struct hl_allocator *a = o->cand[p->allocs[i]].a;
                struct hl_al_params point = p->aparams[i];
                point.v[p->aswept[i]] = p->apoints[i][v];
                for (size_t k = 0; k < p->nwls; k++)
                    if (!emit(wk, k, &p->params[k], e, a->params[p->aswept[i]].name, i,
                              &point))
                        return;
            }
    }
}

/* p->host_none: each workload of the run that has a host arm to skip. */
static void host_none_note(struct hl_plan *p)
{
    const struct hl_plan_opts *o = p->o;
    bool host = false;
    for (size_t r = 0; r < o->narms; r++)
        host |= o->arms[r].host;
    size_t at = 0;
    for (size_t k = 0; host && k < p->nwls; k++) {
        const char *why = p->wls[k]->host_none;
        if (!why)
            continue;
        const char *parts[] = {at ? "; " : "", p->wls[k]->name, " has no host cells (", why,
                               ")"};
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
            for (const char *c = parts[i]; *c && at + 1 < sizeof p->host_none; c++)
                p->host_none[at++] = *c;
    }
    p->host_none[at] = '\0';
}

int hl_plan_resolve(struct hl_plan *p, const struct hl_plan_opts *o)
{
    hl_memset(p, 0, sizeof *p);
    p->o = o;
    if (o->narms == 0 || o->narms > HL_PLAN_MAX_ARMS)
        return fail(p, "no environment and clock to run in", (const char *)NULL);
    if (pick_allocs(p) || pick_workloads(p) || check_params(p) || allocator_params(p))
        return -1;
    for (size_t k = 0; k < p->nwls; k++)
        if (workload_params(p, k))
            return -1;
    if (pick_sweeps(p))
        return -1;
    host_none_note(p);
    struct walk wk = {.p = p, .want = SIZE_MAX};
    walk_cells(&wk);
    p->ncells = wk.n;
    if (p->ncells == 0 && p->host_none[0])
        return fail(p, "no cell to run: ", p->host_none, (const char *)NULL);
    if (p->ncells == 0)
        return fail(p, "no cell to run: the allocators and workloads chosen share no family "
                       "(see heaplab list)", (const char *)NULL);
    return 0;
}

size_t hl_plan_cells(const struct hl_plan *p, struct hl_plan_cell *out, size_t cap)
{
    struct walk wk = {.p = p, .out = out, .cap = cap, .want = SIZE_MAX};
    walk_cells(&wk);
    return wk.n;
}

bool hl_plan_cell_at(const struct hl_plan *p, size_t index, struct hl_plan_cell *out)
{
    if (index >= p->ncells)
        return false;
    struct walk wk = {.p = p, .out = out, .cap = 1, .want = index};
    walk_cells(&wk);
    return true;
}

/* ---- expected time --------------------------------------------------------------------- */

/* Model constants (microseconds), from this project's reference runs: a
 * host child's start and calibration, a callgrind start, a QEMU boot; and
 * the cost per op of the passes of one rep. */
#define COST_NATIVE_START_US 20000u
#define COST_NATIVE_NS_PER_OP 150u      /* batch + floor + per-op passes */
#define COST_CALLGRIND_START_US 1500000u
#define COST_CALLGRIND_NS_PER_OP 8000u
#define COST_EMULATED_START_US 2000000u
#define COST_EMULATED_NS_PER_OP 3000u

uint64_t hl_plan_cost(const struct hl_plan_opts *o, const struct hl_plan_cell *c)
{
    uint64_t ops = c->w->total_ops(&c->params);
    uint64_t reps = c->reps ? c->reps : 1;
    switch (o->arms[c->arm].cost) {
    case HL_PLAN_COST_CALLGRIND:
        return COST_CALLGRIND_START_US + (reps + 1) * ops * COST_CALLGRIND_NS_PER_OP / 1000u;
    case HL_PLAN_COST_EMULATED:
        return COST_EMULATED_START_US + (reps + 1) * ops * COST_EMULATED_NS_PER_OP / 1000u;
    case HL_PLAN_COST_NATIVE:
    default: {
        /* each timed pass repeats its stream to --min-time: the batch and
         * the floor pass of every rep */
        uint64_t pass = ops * COST_NATIVE_NS_PER_OP / 3000u;
        uint64_t timed = pass > o->min_time_us ? pass : o->min_time_us;
        return COST_NATIVE_START_US + reps * (2 * timed + pass) + pass;
    }
    }
}

/* ---- launches -------------------------------------------------------------------------- */

uint64_t hl_plan_mix(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

size_t hl_plan_round(const struct hl_plan_unit *u, size_t n, uint32_t round, uint64_t seed,
                     const bool *only, struct hl_plan_launch *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (u[i].timed && (only ? only[i] : u[i].launches > round))
            out[m++] = (struct hl_plan_launch){(uint32_t)i, round};
    uint64_t state = seed ^ ((uint64_t)round * 0xd1b54a32d192ed03ull);
    for (size_t k = m; k > 1; k--) { /* Fisher-Yates */
        size_t j = (size_t)(hl_plan_mix(&state) % k);
        struct hl_plan_launch t = out[k - 1];
        out[k - 1] = out[j];
        out[j] = t;
    }
    return m;
}

size_t hl_plan_order(const struct hl_plan_unit *u, size_t n, uint64_t seed,
                     struct hl_plan_launch *out)
{
    uint32_t rounds = 0;
    for (size_t i = 0; i < n; i++)
        if (u[i].timed && u[i].launches > rounds)
            rounds = u[i].launches;
    size_t m = 0;
    for (uint32_t r = 0; r < rounds; r++)
        m += hl_plan_round(u, n, r, seed, NULL, out + m);
    for (size_t i = 0; i < n; i++)
        if (!u[i].timed)
            out[m++] = (struct hl_plan_launch){(uint32_t)i, 0};
    return m;
}

/* Does launch a go before launch b in the balancing order (longer first,
 * then earlier in the order)? */
static bool heavier(const struct hl_plan_unit *u, const struct hl_plan_launch *order, uint32_t a,
                    uint32_t b)
{
    uint64_t ca = u[order[a].cell].cost, cb = u[order[b].cell].cost;
    return ca != cb ? ca > cb : a < b;
}

/* Heapsort of idx[0..n) into balancing order (a strict total order, so the
 * result does not depend on the sort's stability). */
static void sift(const struct hl_plan_unit *u, const struct hl_plan_launch *order, uint32_t *idx,
                 size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        /* a max-heap of "lightest": the root is the last in balancing order */
        if (child + 1 < n && heavier(u, order, idx[child], idx[child + 1]))
            child++;
        if (!heavier(u, order, idx[root], idx[child]))
            return;
        uint32_t t = idx[root];
        idx[root] = idx[child];
        idx[child] = t;
        root = child;
    }
}

void hl_plan_shard(const struct hl_plan_unit *u, const struct hl_plan_launch *order, size_t n,
                   uint32_t nshards, uint32_t *shard_of, uint32_t *scratch, uint64_t *load)
{
    for (uint32_t s = 0; s < nshards; s++)
        load[s] = 0;
    for (size_t k = 0; k < n; k++)
        scratch[k] = (uint32_t)k;
    for (size_t i = n / 2; i-- > 0;)
        sift(u, order, scratch, i, n);
    for (size_t end = n; end > 1; end--) {
        uint32_t t = scratch[0];
        scratch[0] = scratch[end - 1];
        scratch[end - 1] = t;
        sift(u, order, scratch, 0, end - 1);
    }
    /* scratch[] is now heaviest first */
    for (size_t k = 0; k < n; k++) {
        uint32_t best = 0;
        for (uint32_t s = 1; s < nshards; s++)
            if (load[s] < load[best])
                best = s;
        shard_of[scratch[k]] = best;
        load[best] += u[order[scratch[k]].cell].cost;
    }
}

uint64_t hl_plan_hash(uint64_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    /* a separator, so "ab"+"c" and "a"+"bc" differ */
    h ^= 0xffu;
    h *= 0x100000001b3ull;
    return h;
}
