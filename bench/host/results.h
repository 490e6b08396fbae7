/*
 * results.h — the files of a run folder, on the writing side: appending
 * whole lines, meta.csv rows, a growable byte buffer.
 *
 * Every append is one write() of one or more complete lines, so a run
 * that is interrupted (or a disk that fills) leaves no partial row.
 */
#ifndef HEAPLAB_RESULTS_H
#define HEAPLAB_RESULTS_H

#include <stdbool.h>
#include <stddef.h>

/* A growable byte buffer. */
struct dbuf {
    char *p;
    size_t len, cap;
};

void dbuf_add(struct dbuf *b, const char *text, size_t n);
void dbuf_addf(struct dbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append text as one CSV field (quoted if it holds , " CR or LF). */
void dbuf_add_field(struct dbuf *b, const char *text);
void dbuf_free(struct dbuf *b);

/* Create (truncate) path for appending; exits 1 naming the path on
 * failure.  Returns the fd. */
int res_create(const char *dir, const char *name);

/* Write all of buf to fd (retrying short writes); exits 1 on failure. */
void res_write(int fd, const char *buf, size_t len, const char *what);

/* Append one "key,value" row to meta.csv's fd. */
void res_meta(int fd, const char *key, const char *value);
void res_metaf(int fd, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The build's rows, the same in every run folder (run, exec):
 * heaplab_version, git_commit, compiler, c_flags, build_type, check_level,
 * sanitize, build_warning (merge compares them across shards). */
void res_meta_build(int fd);

/* Write text to dir/name through dir/name.tmp and rename: the file is
 * there whole or not at all. */
void res_write_whole(const char *dir, const char *name, const char *text,
                     size_t len);

#endif /* HEAPLAB_RESULTS_H */
