/*
 * replay.c — recorded traces as workloads on the host (replay.h).
 */
#define _GNU_SOURCE
#include "bench/host/replay.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/host/cli.h"
#include "bench/host/trace.h"

#define REPLAY_MAX 64u /* traces of one run (RUN_MAX_LIST) */

struct replay_entry {
    struct hl_wl_replay r;
    char *arg;      /* "trace:" + absolute path */
    uint8_t *file;  /* the decompressed file (parent: for QEMU) */
    size_t file_bytes;
    char *module;   /* written for QEMU, or NULL */
};

static struct replay_entry traces[REPLAY_MAX];
static size_t ntraces;
static char module_dir[PATH_MAX];

/* Load and validate path; exits 2 naming opt, the path and the byte.
 * mapped (a cell child): the file and the scratch in anonymous pages,
 * *mapped_bytes of the file's for munmap: nothing of the loading is left
 * in the process's allocator (a preloaded baseline) to be handed out
 * again already resident (resident_bytes, docs/measurement.md). */
static uint8_t *load_valid(const char *opt, const char *path, size_t *n,
                           struct hl_trace *t, bool mapped,
                           size_t *mapped_bytes)
{
    char err[PATH_MAX + 256];
    const char *how = "";
    uint8_t *f = mapped ? trace_load_mapped(path, TRACE_MAX_FILE_BYTES, n,
                                            mapped_bytes, &how, err, sizeof err)
                        : trace_load(path, TRACE_MAX_FILE_BYTES, n, &how, err,
                                     sizeof err);
    if (!f)
        cli_usage_fail("bad value for %s: 'trace:%s' (%s)", opt, path, err);
    struct hl_opbuf_header h;
    struct hl_trace_error e;
    int rc = hl_trace_header(f, *n, &h, &e);
    if (rc == 0) {
        uint64_t sb = hl_trace_scratch_bytes(&h);
        size_t sbytes = sb ? (size_t)sb : 8;
        void *scratch = mmap(NULL, sbytes, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (scratch == MAP_FAILED)
            cli_fail("out of memory for the %llu slots of %s",
                     (unsigned long long)h.nslots, path);
        rc = hl_trace_open(f, *n, scratch, sb, t, &e);
        munmap(scratch, sbytes);
    }
    if (rc != 0) {
        if (mapped)
            munmap(f, *mapped_bytes);
        else
            free(f);
        cli_usage_fail("bad value for %s: 'trace:%s' (%s: byte %llu: %s)", opt, path,
                       path, (unsigned long long)e.at, e.why);
    }
    return f;
}

static void add_trace(const char *opt, const char *path)
{
    if (ntraces == REPLAY_MAX)
        cli_usage_fail("bad value for %s: more than %u traces", opt, REPLAY_MAX);
    struct replay_entry *x = &traces[ntraces];
    struct hl_trace t;
    x->file = load_valid(opt, path, &x->file_bytes, &t, false, NULL);
    size_t start, len = hl_wl_replay_stem(path, strlen(path), &start);
    if (len == 0 || len + 7 > HL_WL_REPLAY_NAME_BYTES || memchr(path + start, ',', len) ||
        memchr(path + start, ' ', len) || memchr(path + start, ':', len))
        cli_usage_fail("bad value for %s: 'trace:%s' (the file's name '%.*s' must be 1 to "
                       "%u characters without ',', ':' or spaces)", opt, path, (int)len,
                       path + start, HL_WL_REPLAY_NAME_BYTES - 8);
    for (size_t k = 0; k < ntraces; k++)
        if (!strncmp(traces[k].r.name + 6, path + start, len) &&
            traces[k].r.name[6 + len] == '\0')
            cli_usage_fail("bad value for %s: 'trace:%s' (a second trace named '%.*s')",
                           opt, path, (int)len, path + start);
    hl_wl_replay_init(&x->r, path + start, len, &t);
    char abs[PATH_MAX];
    if (!realpath(path, abs))
        cli_usage_fail("bad value for %s: 'trace:%s' (%s)", opt, path, strerror(errno));
    if (asprintf(&x->arg, "%s%s", HL_WL_REPLAY_PREFIX, abs) < 0)
        cli_fail("out of memory");
    ntraces++;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.hltrace* regular file of dir, in name order. */
static void add_folder(const char *opt, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        cli_usage_fail("bad value for %s: 'trace:%s' (%s)", opt, dir, strerror(errno));
    char *names[REPLAY_MAX + 1];
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.' || !strstr(e->d_name, ".hltrace"))
            continue;
        if (n == REPLAY_MAX)
            cli_usage_fail("bad value for %s: 'trace:%s' (more than %u traces)", opt, dir,
                           REPLAY_MAX);
        if (asprintf(&names[n++], "%s/%s", dir, e->d_name) < 0)
            cli_fail("out of memory");
    }
    closedir(d);
    if (n == 0)
        cli_usage_fail("bad value for %s: 'trace:%s' (no *.hltrace* file in it)", opt, dir);
    qsort(names, n, sizeof names[0], by_name);
    for (size_t i = 0; i < n; i++) {
        add_trace(opt, names[i]);
        free(names[i]);
    }
}

size_t replay_expand(const char *opt, char **wls, size_t n, size_t cap)
{
    char *out[REPLAY_MAX * 2];
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!hl_wl_replay_named(wls[i])) {
            if (m == sizeof out / sizeof out[0])
                cli_usage_fail("too many names in %s", opt);
            out[m++] = wls[i];
            continue;
        }
        const char *path = wls[i] + strlen(HL_WL_REPLAY_PREFIX);
        struct stat sb;
        if (!*path)
            cli_usage_fail("bad value for %s: '%s' (expected trace:FILE or trace:FOLDER)",
                           opt, wls[i]);
        if (stat(path, &sb) != 0)
            cli_usage_fail("bad value for %s: '%s' (%s)", opt, wls[i], strerror(errno));
        size_t first = ntraces;
        if (S_ISDIR(sb.st_mode))
            add_folder(opt, path);
        else
            add_trace(opt, path);
        for (size_t k = first; k < ntraces; k++) {
            if (m == sizeof out / sizeof out[0])
                cli_usage_fail("too many names in %s", opt);
            out[m++] = traces[k].r.name;
        }
    }
    if (m > cap)
        cli_usage_fail("too many workloads in %s (at most %zu)", opt, cap);
    memcpy(wls, out, m * sizeof out[0]);
    return m;
}

const struct hl_workload *replay_find(void *ctx, const char *name)
{
    (void)ctx;
    for (size_t k = 0; k < ntraces; k++)
        if (!strcmp(traces[k].r.name, name))
            return &traces[k].r.pub;
    return NULL;
}

static struct replay_entry *entry_of(const struct hl_workload *w)
{
    for (size_t k = 0; k < ntraces; k++)
        if (&traces[k].r.pub == w)
            return &traces[k];
    return NULL;
}

const char *replay_cell_arg(const struct hl_workload *w)
{
    struct replay_entry *x = entry_of(w);
    return x ? x->arg : w->name;
}

size_t replay_file_bytes(const struct hl_workload *w)
{
    struct replay_entry *x = entry_of(w);
    return x ? x->file_bytes : 0;
}

const struct hl_workload *replay_open_cell(const char *arg)
{
    const char *path = arg + strlen(HL_WL_REPLAY_PREFIX);
    struct replay_entry *x = &traces[0];
    struct hl_trace t;
    size_t n, mapped;
    uint8_t *f = load_valid("cell", path, &n, &t, true, &mapped);
    /* The ops in mmap'd memory: the timed code touches nothing malloc
     * served (cell.c), and the file's copy goes back at once. */
    size_t bytes = (size_t)t.nops * sizeof(struct hl_op);
    void *ops = mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ops == MAP_FAILED)
        cli_fail("cell: mmap of %zu bytes for the trace's ops: %s", bytes, strerror(errno));
    memcpy(ops, t.ops, bytes);
    t.ops = ops;
    t.meta = NULL;
    t.meta_bytes = 0;
    size_t start, len = hl_wl_replay_stem(path, strlen(path), &start);
    hl_wl_replay_init(&x->r, path + start, len, &t);
    munmap(f, mapped);
    ntraces = 1;
    return &x->r.pub;
}

const char *replay_module(const struct hl_workload *w, char *why, size_t cap)
{
    struct replay_entry *x = entry_of(w);
    if (!x) {
        snprintf(why, cap, "'%s' is not a trace", w->name);
        return NULL;
    }
    if (x->module)
        return x->module;
    if (!module_dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(module_dir, sizeof module_dir, "%s/heaplab-traces.XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(module_dir)) {
            snprintf(why, cap, "mkdtemp %s: %s", module_dir, strerror(errno));
            module_dir[0] = '\0';
            return NULL;
        }
    }
    char *path;
    /* The module's name is the trace's: the kernel names its workload
     * from it (hl_wl_replay_stem). */
    if (asprintf(&path, "%s/%s.hltrace", module_dir, x->r.name + 6) < 0)
        cli_fail("out of memory");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t done = 0;
    while (fd >= 0 && done < x->file_bytes) {
        ssize_t k = write(fd, x->file + done, x->file_bytes - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        done += (size_t)k;
    }
    if (fd < 0 || done != x->file_bytes || close(fd) != 0) {
        snprintf(why, cap, "cannot write %s: %s", path, strerror(errno));
        if (fd >= 0)
            unlink(path);
        free(path);
        return NULL;
    }
    x->module = path;
    return path;
}

void replay_cleanup(void)
{
    for (size_t k = 0; k < ntraces; k++)
        if (traces[k].module) {
            unlink(traces[k].module);
            free(traces[k].module);
            traces[k].module = NULL;
        }
    if (module_dir[0])
        rmdir(module_dir);
    module_dir[0] = '\0';
}
