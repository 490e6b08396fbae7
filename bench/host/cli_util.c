/*
 * cli_util.c — error lines, strict parsing and the allocator lookup that
 * every subcommand of heaplab uses (cli.h).
 */
#define _GNU_SOURCE
#include "bench/host/cli.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <math.h>
#include <ctype.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/core/vmpass.h"
#include "bench/host/baselines.h"

static void vline(const char *fmt, va_list ap)
{
    fflush(stdout);
    fputs("heaplab: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

_Noreturn void cli_usage_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(fmt, ap);
    va_end(ap);
    exit(CLI_EXIT_USAGE);
}

_Noreturn void cli_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(fmt, ap);
    va_end(ap);
    exit(CLI_EXIT_FAIL);
}

const char *cli_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc)
        cli_usage_fail("missing value for %s", argv[*i]);
    *i += 1;
    return argv[*i];
}

uint64_t cli_parse_u64(const char *opt, const char *text, uint64_t min,
                       uint64_t max)
{
    uint64_t v = 0;
    bool ok = text[0] != '\0';
    for (const char *p = text; ok && *p; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            ok = false; /* not a digit, or the value would overflow */
        else
            v = v * 10 + d;
    }
    if (!ok || v < min || v > max)
        cli_usage_fail("bad value for %s: '%s' (expected an integer in "
                       "%llu..%llu)", opt, text, (unsigned long long)min,
                       (unsigned long long)max);
    return v;
}

int cli_mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        struct stat st;
        if (stat(buf, &st) != 0 && mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = c;
        if (c == '\0')
            return 0;
    }
}

double cli_parse_double(const char *opt, const char *text, double min,
                        double max)
{
    char *end = NULL;
    errno = 0;
    double v = text[0] && !isspace((unsigned char)text[0])
                   ? strtod(text, &end) : NAN;
    if (!end || *end || errno || !isfinite(v) || v < min || v > max)
        cli_usage_fail("bad value for %s: '%s' (expected a number in "
                       "%g..%g)", opt, text, min, max);
    return v;
}

size_t cli_split(const char *opt, char *text, char **items, size_t max)
{
    size_t n = 0;
    char *p = text;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (*p == '\0')
            cli_usage_fail("bad value for %s: empty item in the list", opt);
        if (n == max)
            cli_usage_fail("bad value for %s: more than %zu items", opt, max);
        items[n++] = p;
        if (!comma)
            return n;
        p = comma + 1;
    }
}

bool cli_find_program(const char *name, const char *env_var, char *out,
                      size_t cap)
{
    const char *forced = env_var ? getenv(env_var) : NULL;
    if (forced && forced[0]) {
        snprintf(out, cap, "%s", forced);
        return access(out, X_OK) == 0;
    }
    const char *path = getenv("PATH");
    if (!path || !path[0])
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t len = strcspn(path, ":");
        if (len > 0 &&
            (size_t)snprintf(out, cap, "%.*s/%s", (int)len, path, name) < cap &&
            access(out, X_OK) == 0)
            return true;
        path += len + (path[len] == ':');
    }
    return false;
}

bool cli_is_help(const char *s)
{
    return strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0;
}

/* ---- allocators -------------------------------------------------------------- */

size_t cli_alloc_each(void (*fn)(void *ctx, const struct cli_alloc *ca),
                      void *ctx)
{
    size_t n = 0;
    for (const struct hl_allocator *const *a = hl_allocators; *a; a++, n++)
        fn(ctx, &(struct cli_alloc){*a, CLI_ALLOC_PROJECT, NULL});
    for (const struct hl_baseline *b = hl_baselines; b->a; b++, n++)
        fn(ctx, &(struct cli_alloc){b->a, CLI_ALLOC_BASELINE, b});
    for (const struct hl_allocator *const *a = hl_test_allocators; *a;
         a++, n++)
        fn(ctx, &(struct cli_alloc){*a, CLI_ALLOC_TEST, NULL});
    for (const struct hl_allocator *const *a = hl_vm_kinds; *a; a++, n++)
        fn(ctx, &(struct cli_alloc){*a, CLI_ALLOC_VM, NULL});
    return n;
}

struct find_ctx {
    const char *name;
    struct cli_alloc *out;
    bool found;
};

static void find_one(void *ctx, const struct cli_alloc *ca)
{
    struct find_ctx *f = ctx;
    if (!f->found && strcmp(ca->a->name, f->name) == 0) {
        *f->out = *ca;
        f->found = true;
    }
}

bool cli_alloc_find(const char *name, struct cli_alloc *out)
{
    struct find_ctx f = {name, out, false};
    cli_alloc_each(find_one, &f);
    return f.found;
}

const char *cli_baseline_unavailable(const struct hl_baseline *b)
{
    char path[PATH_MAX];
    if (!hl_baseline_probe(b, path, sizeof path))
        return "not installed";
    if (b->libs && cli_build.sanitize[0])
        return "unavailable in a sanitized build";
    return NULL;
}

const char *cli_build_warning(void)
{
    if (cli_build.sanitize[0])
        return "this is a sanitized build: its timings are not release "
               "figures";
    if (cli_build.check_level > 0)
        return "this is a checked build (HL_CHECK_LEVEL > 0): its timings "
               "are not release figures";
    return NULL;
}

/* Is name an executable file (as execvp would find it)?  Its path in out. */
bool cli_find_cmd(const char *name, char *out, size_t cap)
{
    if (strchr(name, '/')) {
        snprintf(out, cap, "%s", name);
        struct stat sb;
        return access(out, X_OK) == 0 && stat(out, &sb) == 0 &&
               S_ISREG(sb.st_mode);
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    while (*path) {
        const char *c = strchr(path, ':');
        size_t len = c ? (size_t)(c - path) : strlen(path);
        snprintf(out, cap, "%.*s/%s", (int)len, len ? path : ".", name);
        struct stat sb;
        if (access(out, X_OK) == 0 && stat(out, &sb) == 0 && S_ISREG(sb.st_mode))
            return true;
        path += len + (c != NULL);
    }
    return false;
}

void cli_say(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
}

void cli_copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}
