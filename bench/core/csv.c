/*
 * csv.c — freestanding CSV formatting for cells.csv, latency.csv,
 * timeline.csv (runner.h) and leaks.csv (leak.h; the schema is in docs/csv-schema.md and
 * docs/measurement.md).  No printf: numbers are formatted here, fixed-point
 * decimals from integer figures, RFC 4180 quoting for text.
 */
#include "bench/core/runner.h"
#include "allocators/util.h"

#include "bench/core/leak.h"

/* Headers from the column table (columns.h).  A header is the names
 * joined by commas: each name is written with a comma in front, and the
 * header starts after the first one.  (Reading a header back by name is
 * bench/host/csvread.c's, the one reader.) */
static const char cells_hdr[] = HL_HEADER(HL_CELLS_COLUMNS);
static const char latency_hdr[] = HL_HEADER(HL_LATENCY_COLUMNS);
static const char timeline_hdr[] = HL_HEADER(HL_TIMELINE_COLUMNS);
const char *const hl_cells_header = cells_hdr + 1;
const char *const hl_latency_header = latency_hdr + 1;
const char *const hl_timeline_header = timeline_hdr + 1;
static const char leaks_hdr[] = HL_HEADER(HL_LEAKS_COLUMNS);
const char *const hl_leaks_header = leaks_hdr + 1;

/* ---- numbers -------------------------------------------------------------- */

/* Copy n bytes of text to buf (at most cap), NUL if room; returns n. */
static size_t put_text(char *buf, size_t cap, const char *text, size_t n)
{
    for (size_t i = 0; i < n && i < cap; i++)
        buf[i] = text[i];
    if (n < cap)
        buf[n] = '\0';
    return n;
}

/* Decimal digits of v into the tail of tmp[20]; returns the first. */
static char *digits(char tmp[20], uint64_t v)
{
    char *p = tmp + 20;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return p;
}

size_t hl_fmt_u64(char *buf, size_t cap, uint64_t v)
{
    char tmp[20];
    char *p = digits(tmp, v);
    return put_text(buf, cap, p, (size_t)(tmp + 20 - p));
}

size_t hl_fmt_fixed(char *buf, size_t cap, uint64_t value, unsigned decimals)
{
    HL_ASSERT(decimals <= 19);
    if (decimals == 0)
        return hl_fmt_u64(buf, cap, value);
    uint64_t scale = 1;
    for (unsigned i = 0; i < decimals; i++)
        scale *= 10;
    char text[20 + 1 + 19];
    char tmp[20];
    char *ip = digits(tmp, value / scale);
    size_t n = (size_t)(tmp + 20 - ip);
    hl_memcpy(text, ip, n);
    text[n++] = '.';
    uint64_t frac = value % scale;
    for (unsigned i = decimals; i-- > 0;) {
        text[n + i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    n += decimals;
    return put_text(buf, cap, text, n);
}

size_t hl_fmt_hex64(char *buf, size_t cap, uint64_t v)
{
    static const char hex[] = "0123456789abcdef";
    char text[16];
    for (unsigned i = 0; i < 16; i++)
        text[i] = hex[(v >> (60 - 4 * i)) & 0xf];
    return put_text(buf, cap, text, 16);
}

/* ---- a row writer --------------------------------------------------------- */

struct row {
    char *buf;
    size_t cap, len; /* len < cap while the row fits */
    bool full;
    unsigned fields; /* fields begun so far */
};

static void row_bytes(struct row *w, const char *s, size_t n)
{
    if (w->full)
        return;
    if (n >= w->cap - w->len) { /* no room for these plus the NUL */
        w->full = true;
        return;
    }
    hl_memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static bool needs_quotes(const char *s, size_t n)
{
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
        return false; /* the caller quoted it already */
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
            return true;
    return false;
}

/* Begin a field: a comma unless it is the row's first. */
static void row_sep(struct row *w)
{
    if (w->fields++ > 0)
        row_bytes(w, ",", 1);
}

/* A text field, preceded by a comma unless it is the row's first. */
static void row_text(struct row *w, const char *s)
{
    row_sep(w);
    if (!s)
        return;
    size_t n = hl_strlen(s);
    if (!needs_quotes(s, n)) {
        row_bytes(w, s, n);
        return;
    }
    row_bytes(w, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            row_bytes(w, "\"", 1); /* a quote inside is doubled */
        row_bytes(w, s + i, 1);
    }
    row_bytes(w, "\"", 1);
}

static void row_u64(struct row *w, uint64_t v)
{
    char tmp[20];
    size_t n = hl_fmt_u64(tmp, sizeof tmp, v);
    row_sep(w);
    row_bytes(w, tmp, n);
}

static void row_fixed(struct row *w, uint64_t v, unsigned decimals)
{
    char tmp[40];
    size_t n = hl_fmt_fixed(tmp, sizeof tmp, v, decimals);
    row_sep(w);
    row_bytes(w, tmp, n);
}

/* A fixed-point figure that may be negative ("-1.250"). */
static void row_signed_fixed(struct row *w, int64_t v, unsigned decimals)
{
    char tmp[41];
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    size_t n = 0;
    if (v < 0)
        tmp[n++] = '-';
    n += hl_fmt_fixed(tmp + n, sizeof tmp - n, mag, decimals);
    row_sep(w);
    row_bytes(w, tmp, n);
}

static void row_hex(struct row *w, uint64_t v)
{
    char tmp[16];
    hl_fmt_hex64(tmp, sizeof tmp, v);
    row_sep(w);
    row_bytes(w, tmp, 16);
}

static void row_empty(struct row *w)
{
    row_sep(w);
}

static struct row row_start(char *buf, size_t cap)
{
    struct row w = {buf, cap, 0, cap == 0, 0};
    if (cap)
        buf[0] = '\0';
    return w;
}

static size_t row_end(const struct row *w)
{
    return w->full ? w->cap : w->len;
}

/* ---- rows ----------------------------------------------------------------- */

size_t hl_format_cells_row(char *buf, size_t cap, const struct hl_row_ids *id,
                           const struct hl_cell_result *r)
{
    struct row w = row_start(buf, cap);
    row_text(&w, id->run_id);
    row_text(&w, id->env);
    row_text(&w, id->accel);
    row_text(&w, id->clock);
    row_text(&w, id->allocator);
    row_text(&w, id->family);
    row_text(&w, id->workload);
    row_text(&w, id->params);
    row_u64(&w, id->seed);
    row_u64(&w, id->rep);
    row_text(&w, id->status);
    row_u64(&w, r->ops);
    row_hex(&w, r->workload_checksum);
    row_hex(&w, r->placement_checksum);
    row_signed_fixed(&w, r->cycles_per_op_milli, 3);
    if (id->no_perop) {
        for (unsigned i = 0; i < 5; i++) /* p50, p90, p99, p999, max */
            row_empty(&w);
    } else {
        row_u64(&w, r->p50);
        row_u64(&w, r->p90);
        row_u64(&w, r->p99);
        row_u64(&w, r->p999);
        row_u64(&w, r->max);
    }
    row_u64(&w, id->timer_overhead);
    row_u64(&w, r->peak_live_bytes);
    row_u64(&w, r->peak_footprint_bytes);
    row_fixed(&w, r->frag_internal_ppm, 6);
    row_fixed(&w, r->frag_external_ppm, 6);
    row_u64(&w, r->failed_allocs);
    row_u64(&w, r->leaks);
    row_u64(&w, id->faults);
    row_text(&w, id->sweep);
    row_u64(&w, id->launch);
    row_fixed(&w, r->raw_cycles_per_op_milli, 3);
    row_fixed(&w, r->floor_cycles_per_op_milli, 3);
    row_u64(&w, r->stream_repeats);
    row_u64(&w, id->invol_switches);
    row_u64(&w, id->migrations);
    row_u64(&w, id->steal_ticks);
    row_u64(&w, id->attempts);
    row_u64(&w, id->disturbed);
    if (id->no_perop) /* counted under callgrind: its RSS is valgrind's */
        row_empty(&w);
    else
        row_u64(&w, r->resident_bytes);
    row_text(&w, id->alloc_params ? id->alloc_params : "");
    /* l1d, l2, llc, dtlb misses per op: a cache simulator's (the
     * modelled clock's rows get them from the cost plugin's report,
     * bench/host/modelled.c; instructions rows from callgrind's). */
    for (unsigned i = 0; i < 4; i++)
        row_text(&w, id->misses[i] ? id->misses[i] : "");
    return row_end(&w);
}

/* The key columns latency.csv and timeline.csv share with cells.csv. */
static void row_key(struct row *w, const struct hl_row_ids *id)
{
    row_text(w, id->run_id);
    row_text(w, id->env);
    row_text(w, id->allocator);
    row_text(w, id->workload);
    row_text(w, id->params);
    row_u64(w, id->seed);
    row_u64(w, id->rep);
}

size_t hl_format_latency_row(char *buf, size_t cap, const struct hl_row_ids *id,
                             uint64_t bucket_lo, uint64_t bucket_hi,
                             uint64_t count)
{
    struct row w = row_start(buf, cap);
    row_key(&w, id);
    row_u64(&w, bucket_lo);
    row_u64(&w, bucket_hi);
    row_u64(&w, count);
    return row_end(&w);
}

size_t hl_format_timeline_row(char *buf, size_t cap,
                              const struct hl_row_ids *id,
                              const struct hl_space_sample *s)
{
    struct row w = row_start(buf, cap);
    row_key(&w, id);
    row_u64(&w, s->op_index);
    row_u64(&w, s->live_bytes);
    row_u64(&w, s->held_bytes);
    row_u64(&w, s->free_bytes);
    row_u64(&w, s->largest_free_bytes);
    row_u64(&w, s->meta_bytes);
    return row_end(&w);
}

size_t hl_format_leak_row(char *buf, size_t cap, const struct hl_row_ids *id,
                          const struct hl_leak_row *row)
{
    struct row w = row_start(buf, cap);
    row_text(&w, id->run_id);
    row_text(&w, id->env);
    row_text(&w, id->clock);
    row_text(&w, id->allocator);
    row_text(&w, id->alloc_params);
    row_text(&w, id->workload);
    row_text(&w, id->params);
    row_text(&w, id->sweep);
    row_u64(&w, id->seed);
    row_u64(&w, id->launch);
    row_text(&w, row->kind);
    row_text(&w, row->owner);
    if (row->has_site) {
        row_u64(&w, row->site);
        row_u64(&w, row->thread);
    } else {
        row_empty(&w);
        row_empty(&w);
    }
    if (row->has_size)
        row_u64(&w, row->size_bytes);
    else
        row_empty(&w);
    row_u64(&w, row->count);
    row_u64(&w, row->bytes);
    return row_end(&w);
}
