/*
 * results.c — writing a run folder's files (results.h).
 */
#define _GNU_SOURCE
#include "bench/host/results.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/host/cli.h"

void dbuf_add(struct dbuf *b, const char *text, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            cli_fail("out of memory (%zu bytes)", cap);
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, text, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void dbuf_addf(struct dbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    char *tmp = malloc((size_t)n + 1);
    if (!tmp)
        cli_fail("out of memory");
    va_start(ap, fmt);
    vsnprintf(tmp, (size_t)n + 1, fmt, ap);
    va_end(ap);
    dbuf_add(b, tmp, (size_t)n);
    free(tmp);
}

void dbuf_add_field(struct dbuf *b, const char *text)
{
    if (!strpbrk(text, ",\"\r\n")) {
        dbuf_add(b, text, strlen(text));
        return;
    }
    dbuf_add(b, "\"", 1);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            dbuf_add(b, "\"", 1);
        dbuf_add(b, p, 1);
    }
    dbuf_add(b, "\"", 1);
}

void dbuf_free(struct dbuf *b)
{
    free(b->p);
    *b = (struct dbuf){0};
}

int res_create(const char *dir, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
                  0644);
    if (fd < 0)
        cli_fail("cannot create '%s': %s", path, strerror(errno));
    return fd;
}

void res_write(int fd, const char *buf, size_t len, const char *what)
{
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            cli_fail("writing %s: %s", what, strerror(errno));
        buf += n;
        len -= (size_t)n;
    }
}

void res_meta(int fd, const char *key, const char *value)
{
    struct dbuf b = {0};
    dbuf_add_field(&b, key);
    dbuf_add(&b, ",", 1);
    dbuf_add_field(&b, value);
    dbuf_add(&b, "\n", 1);
    res_write(fd, b.p, b.len, "meta.csv");
    dbuf_free(&b);
}

void res_metaf(int fd, const char *key, const char *fmt, ...)
{
    char value[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    res_meta(fd, key, value);
}

void res_write_whole(const char *dir, const char *name, const char *text,
                     size_t len)
{
    char tmp[PATH_MAX], path[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        cli_fail("cannot create '%s': %s", tmp, strerror(errno));
    res_write(fd, text, len, tmp);
    if (close(fd) != 0 || rename(tmp, path) != 0)
        cli_fail("cannot write '%s': %s", path, strerror(errno));
}

void res_meta_build(int fd)
{
    res_meta(fd, "heaplab_version", "0.1.0");
    res_meta(fd, "git_commit", cli_build.git_commit);
    res_meta(fd, "compiler", cli_build.compiler);
    res_meta(fd, "c_flags", cli_build.c_flags);
    res_meta(fd, "build_type", cli_build.build_type);
    res_metaf(fd, "check_level", "%d", cli_build.check_level);
    res_meta(fd, "sanitize", cli_build.sanitize[0] ? cli_build.sanitize
                                                   : "none");
    const char *warn = cli_build_warning();
    res_meta(fd, "build_warning", warn ? warn : "none");
}
