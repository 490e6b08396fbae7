/*
 * trace_build.c — pointer events into ops over dense slots (the builder
 * of trace.h), trace files built, written and loaded (decompressing on
 * the fly).
 */
#define _GNU_SOURCE
#include "bench/host/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "allocators/util.h"

/* ---- the address map -------------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static bool map_grow(struct trace_builder *b)
{
    uint64_t ncap = b->hcap ? b->hcap * 2 : 1024;
    uint64_t *keys = calloc(ncap, sizeof *keys);
    uint32_t *vals = calloc(ncap, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        b->oom = true;
        return false;
    }
    for (uint64_t i = 0; i < b->hcap; i++) {
        if (!b->keys[i])
            continue;
        uint64_t j = mix(b->keys[i]) & (ncap - 1);
        while (keys[j])
            j = (j + 1) & (ncap - 1);
        keys[j] = b->keys[i];
        vals[j] = b->vals[i];
    }
    free(b->keys);
    free(b->vals);
    b->keys = keys;
    b->vals = vals;
    b->hcap = ncap;
    return true;
}

/* Index of addr's entry, or of the empty entry where it would go. */
static uint64_t map_find(const struct trace_builder *b, uint64_t addr)
{
    uint64_t j = mix(addr) & (b->hcap - 1);
    while (b->keys[j] && b->keys[j] != addr)
        j = (j + 1) & (b->hcap - 1);
    return j;
}

static bool map_put(struct trace_builder *b, uint64_t addr, uint32_t slot)
{
    if ((b->hcount + 1) * 2 > b->hcap && !map_grow(b))
        return false;
    uint64_t j = map_find(b, addr);
    if (!b->keys[j])
        b->hcount++;
    b->keys[j] = addr;
    b->vals[j] = slot;
    return true;
}

/* Remove addr; its slot, or TRACE_NO_SLOT if it was not there. */
static uint64_t map_take(struct trace_builder *b, uint64_t addr)
{
    if (!b->hcap)
        return TRACE_NO_SLOT;
    uint64_t j = map_find(b, addr);
    if (!b->keys[j])
        return TRACE_NO_SLOT;
    uint64_t slot = b->vals[j];
    b->keys[j] = 0;
    b->hcount--;
    /* backward shift: keep every later key of the run reachable */
    uint64_t i = j;
    for (;;) {
        i = (i + 1) & (b->hcap - 1);
        if (!b->keys[i])
            break;
        uint64_t home = mix(b->keys[i]) & (b->hcap - 1);
        /* move keys[i] to j if j lies cyclically in [home, i) */
        if ((i > j && (home <= j || home > i)) || (i < j && home <= j && home > i)) {
            b->keys[j] = b->keys[i];
            b->vals[j] = b->vals[i];
            b->keys[i] = 0;
            j = i;
        }
    }
    return slot;
}

/* ---- ops and slots ------------------------------------------------------------ */

static void emit(struct trace_builder *b, uint8_t kind, uint8_t align_log2,
                 uint16_t thread, uint64_t slot, uint64_t bytes)
{
    if (b->oom)
        return;
    if (b->nops == b->cap) {
        uint64_t ncap = b->cap ? b->cap * 2 : 4096;
        struct hl_op *ops = realloc(b->ops, ncap * sizeof *ops);
        if (!ops) {
            b->oom = true;
            return;
        }
        b->ops = ops;
        b->cap = ncap;
    }
    b->ops[b->nops++] = (struct hl_op){.kind = kind, .align_log2 = align_log2,
                                       .thread = thread, .slot = (uint32_t)slot,
                                       .bytes = bytes};
    if ((uint32_t)thread + 1 > b->nthreads)
        b->nthreads = (uint32_t)thread + 1;
}

static uint64_t slot_take(struct trace_builder *b)
{
    if (b->nfree)
        return b->free_slots[--b->nfree];
    if (b->nslots >= UINT32_MAX) {
        b->oom = true; /* 2^32 live blocks: not a trace this format holds */
        return 0;
    }
    return b->nslots++;
}

static void slot_give(struct trace_builder *b, uint64_t slot)
{
    if (b->nfree == b->free_cap) {
        uint64_t ncap = b->free_cap ? b->free_cap * 2 : 1024;
        uint32_t *s = realloc(b->free_slots, ncap * sizeof *s);
        if (!s) {
            b->oom = true;
            return;
        }
        b->free_slots = s;
        b->free_cap = ncap;
    }
    b->free_slots[b->nfree++] = (uint32_t)slot;
}

static void unknown_free(struct trace_builder *b, uint16_t thread)
{
    if (b->unknown_slot == TRACE_NO_SLOT)
        b->unknown_slot = slot_take(b);
    emit(b, HL_OP_FREE, 0, thread, b->unknown_slot, 0);
    b->c.unknown_frees++;
}

/* addr is about to be mapped to a new block: if the trace thinks it live,
 * the program freed it where the recorder could not see. */
static void implied_free(struct trace_builder *b, uint16_t thread, uint64_t addr)
{
    uint64_t old = map_take(b, addr);
    if (old == TRACE_NO_SLOT)
        return;
    emit(b, HL_OP_FREE, 0, thread, old, 0);
    slot_give(b, old);
    b->c.implied_frees++;
}

void trace_builder_init(struct trace_builder *b)
{
    memset(b, 0, sizeof *b);
    b->unknown_slot = TRACE_NO_SLOT;
}

void trace_builder_free(struct trace_builder *b)
{
    free(b->ops);
    free(b->keys);
    free(b->vals);
    free(b->free_slots);
    memset(b, 0, sizeof *b);
}

void trace_b_alloc(struct trace_builder *b, uint8_t kind, uint8_t align_log2,
                   uint16_t thread, uint64_t addr, uint64_t bytes)
{
    implied_free(b, thread, addr);
    uint64_t slot = slot_take(b);
    if (!map_put(b, addr, (uint32_t)slot))
        return;
    emit(b, kind, align_log2, thread, slot, bytes);
}

void trace_b_free(struct trace_builder *b, uint16_t thread, uint64_t addr)
{
    uint64_t slot = map_take(b, addr);
    if (slot == TRACE_NO_SLOT) {
        unknown_free(b, thread);
        return;
    }
    emit(b, HL_OP_FREE, 0, thread, slot, 0);
    slot_give(b, slot);
}

uint64_t trace_b_realloc_out(struct trace_builder *b, uint64_t addr,
                             bool *unknown)
{
    *unknown = false;
    if (!addr)
        return TRACE_NO_SLOT;
    uint64_t slot = map_take(b, addr); /* reserved until in() */
    *unknown = slot == TRACE_NO_SLOT;
    return slot;
}

void trace_b_realloc_in(struct trace_builder *b, uint16_t thread,
                        uint64_t old_addr, uint64_t slot, bool unknown,
                        uint64_t new_addr, uint64_t bytes)
{
    if (!new_addr) {
        if (bytes == 0 && old_addr) { /* realloc(p, 0) freed p */
            b->c.realloc_zero_frees++;
            if (slot == TRACE_NO_SLOT) {
                unknown_free(b, thread);
            } else {
                emit(b, HL_OP_FREE, 0, thread, slot, 0);
                slot_give(b, slot);
            }
            return;
        }
        b->c.failed_allocs++; /* the old block stays */
        if (slot != TRACE_NO_SLOT)
            map_put(b, old_addr, (uint32_t)slot);
        return;
    }
    if (unknown) {
        unknown_free(b, thread);
        b->c.unknown_reallocs++;
    }
    implied_free(b, thread, new_addr);
    if (slot == TRACE_NO_SLOT)
        slot = slot_take(b);
    if (!map_put(b, new_addr, (uint32_t)slot))
        return;
    emit(b, HL_OP_REALLOC, 0, thread, slot, bytes);
}

int trace_counts_meta(const struct trace_builder *b, char *buf, size_t cap,
                      size_t len)
{
    static const char *const kind_names[HL_OP_NKINDS] = {
        "alloc", "free", "realloc", "calloc", "aligned"};
    uint64_t by_kind[HL_OP_NKINDS] = {0};
    for (uint64_t i = 0; i < b->nops; i++)
        by_kind[b->ops[i].kind]++;
    int n;
#define ADD(...)                                                              \
    do {                                                                      \
        n = snprintf(buf + len, cap - len, __VA_ARGS__);                      \
        if (n < 0 || (size_t)n >= cap - len)                                  \
            return -1;                                                        \
        len += (size_t)n;                                                     \
    } while (0)
    ADD("threads=%u\nops=%llu\n", b->nthreads ? b->nthreads : 1,
        (unsigned long long)b->nops);
    for (int k = 0; k < HL_OP_NKINDS; k++)
        ADD("ops.%s=%llu\n", kind_names[k], (unsigned long long)by_kind[k]);
    ADD("unknown_frees=%llu\nunknown_reallocs=%llu\nfailed_allocs=%llu\n"
        "implied_frees=%llu\nrealloc_zero_frees=%llu\nfree_null=%llu\n"
        "usable_size_calls=%llu\nlost_records=%llu\n",
        (unsigned long long)b->c.unknown_frees,
        (unsigned long long)b->c.unknown_reallocs,
        (unsigned long long)b->c.failed_allocs,
        (unsigned long long)b->c.implied_frees,
        (unsigned long long)b->c.realloc_zero_frees,
        (unsigned long long)b->c.free_null,
        (unsigned long long)b->c.usable_size_calls,
        (unsigned long long)b->c.lost_records);
#undef ADD
    return (int)len;
}

/* ---- files ---------------------------------------------------------------------- */

static void say(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

uint8_t *trace_file_build(const char *meta, size_t meta_bytes,
                          const struct hl_op *ops, uint64_t nops,
                          uint64_t nslots, uint32_t nthreads, size_t *file_bytes,
                          char *err, size_t cap)
{
    if (nslots == 0)
        nslots = 1;
    if (nthreads == 0)
        nthreads = 1;
    if (meta_bytes > HL_OPBUF_MAX_META) {
        say(err, cap, "meta text of %zu bytes (at most %u)", meta_bytes,
            HL_OPBUF_MAX_META);
        return NULL;
    }
    uint64_t sum = HL_WL_CHECKSUM0;
    for (uint64_t i = 0; i < nops; i++)
        sum = hl_wl_checksum_op(sum, &ops[i]);
    struct hl_opbuf_header h;
    hl_opbuf_header_init(&h, nops, nslots, sum, nthreads, (uint32_t)meta_bytes);
    struct hl_trace_stats st;
    uint64_t *scratch = calloc(nslots, sizeof *scratch);
    if (!scratch) {
        say(err, cap, "out of memory for %llu slots", (unsigned long long)nslots);
        return NULL;
    }
    if (hl_trace_peaks(ops, nops, nslots, scratch, &st) != 0) {
        free(scratch);
        say(err, cap, "internal error: the ops allocate into a live slot");
        return NULL;
    }
    h.peak_live_bytes = st.peak_live_bytes;
    size_t n = h.header_bytes + (size_t)nops * sizeof *ops;
    uint8_t *f = aligned_alloc(16, HL_ALIGN_UP(n, (size_t)16));
    if (!f) {
        free(scratch);
        say(err, cap, "out of memory for a trace of %zu bytes", n);
        return NULL;
    }
    memset(f, 0, h.header_bytes);
    memcpy(f, &h, sizeof h);
    if (meta_bytes)
        memcpy(f + sizeof h, meta, meta_bytes);
    if (nops)
        memcpy(f + h.header_bytes, ops, (size_t)nops * sizeof *ops);
    struct hl_trace t;
    struct hl_trace_error e;
    if (hl_trace_open(f, n, scratch, nslots * sizeof *scratch, &t, &e) != 0) {
        say(err, cap, "internal error: the trace built does not read back "
            "(byte %llu: %s)", (unsigned long long)e.at, e.why);
        free(scratch);
        free(f);
        return NULL;
    }
    free(scratch);
    *file_bytes = n;
    return f;
}

int trace_file_write(const char *path, const char *meta, size_t meta_bytes,
                     const struct hl_op *ops, uint64_t nops, uint64_t nslots,
                     uint32_t nthreads, char *err, size_t cap)
{
    size_t n;
    uint8_t *f = trace_file_build(meta, meta_bytes, ops, nops, nslots, nthreads,
                                  &n, err, cap);
    if (!f)
        return -1;
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >=
        sizeof tmp) {
        free(f);
        say(err, cap, "path too long: '%s'", path);
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        say(err, cap, "cannot write '%s': %s", path, strerror(errno));
        free(f);
        return -1;
    }
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, f + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            say(err, cap, "cannot write '%s': %s", path,
                w < 0 ? strerror(errno) : "short write");
            close(fd);
            unlink(tmp);
            free(f);
            return -1;
        }
        done += (size_t)w;
    }
    free(f);
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        say(err, cap, "cannot write '%s': %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* read_fd's memory: malloc'd, or (mapped) anonymous pages that go back to
 * the kernel when freed, not to the process's allocator. */
static uint8_t *buf_alloc(size_t cap, bool mapped)
{
    if (!mapped)
        return aligned_alloc(16, cap);
    void *p = mmap(NULL, cap, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void buf_free(uint8_t *p, size_t cap, bool mapped)
{
    if (!mapped)
        free(p);
    else if (p)
        munmap(p, cap);
}

/* Read everything from fd, at most max bytes (more: *over set); hint:
 * the size if known (a regular file), else 0.  The result is 16-aligned
 * with one spare NUL byte after the data (for text readers). */
static uint8_t *read_fd(int fd, uint64_t max, uint64_t hint, size_t *n,
                        bool *over, int *eno, bool mapped, size_t *cap_out)
{
    size_t cap = hint && hint <= max ? (size_t)HL_ALIGN_UP(hint + 1, (uint64_t)16)
                                     : (size_t)1 << 16;
    size_t len = 0;
    uint8_t *buf = buf_alloc(cap, mapped);
    *over = false;
    *eno = 0;
    if (!buf) {
        *eno = ENOMEM;
        return NULL;
    }
    for (;;) {
        if (len == cap) {
            if (cap >= max + 1) {
                *over = true;
                break;
            }
            size_t ncap = cap * 2 > max + 1 ? (size_t)max + 1 : cap * 2;
            ncap = HL_ALIGN_UP(ncap, (size_t)16);
            uint8_t *nb = buf_alloc(ncap, mapped);
            if (nb) {
                memcpy(nb, buf, len);
                buf_free(buf, cap, mapped);
            }
            if (!nb) {
                buf_free(buf, cap, mapped);
                *eno = ENOMEM;
                return NULL;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            *eno = errno;
            buf_free(buf, cap, mapped);
            return NULL;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len > max) {
            *over = true;
            break;
        }
    }
    if (len == cap) { /* room for the NUL */
        size_t ncap = HL_ALIGN_UP(len + 1, (size_t)16);
        uint8_t *nb = buf_alloc(ncap, mapped);
        if (!nb) {
            buf_free(buf, cap, mapped);
            *eno = ENOMEM;
            return NULL;
        }
        memcpy(nb, buf, len);
        buf_free(buf, cap, mapped);
        buf = nb;
        cap = ncap;
    }
    buf[len] = 0;
    *n = len;
    *cap_out = cap;
    return buf;
}

static uint8_t *load_impl(const char *path, uint64_t max_bytes, size_t *bytes,
                          const char **how, char *err, size_t cap,
                          bool mapped, size_t *bcap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        say(err, cap, "cannot read '%s': %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        say(err, cap, "'%s' is not a regular file", path);
        close(fd);
        return NULL;
    }
    uint8_t magic[6] = {0};
    ssize_t m = pread(fd, magic, sizeof magic, 0);
    static const struct {
        const char *tool;
        uint8_t magic[6];
        size_t n;
    } codecs[] = {
        {"xz", {0xfd, '7', 'z', 'X', 'Z', 0}, 6},
        {"gzip", {0x1f, 0x8b}, 2},
        {"zstd", {0x28, 0xb5, 0x2f, 0xfd}, 4},
    };
    *how = "";
    int in_fd = fd;
    pid_t pid = -1;
    for (size_t k = 0; k < sizeof codecs / sizeof codecs[0]; k++) {
        if (m < (ssize_t)codecs[k].n || memcmp(magic, codecs[k].magic, codecs[k].n))
            continue;
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) != 0) {
            say(err, cap, "pipe: %s", strerror(errno));
            close(fd);
            return NULL;
        }
        *how = codecs[k].tool;
        pid = fork();
        if (pid == 0) {
            dup2(fd, 0);
            dup2(pfd[1], 1);
            int dn = open("/dev/null", O_WRONLY);
            if (dn >= 0)
                dup2(dn, 2);
            execlp(codecs[k].tool, codecs[k].tool, "-dc", (char *)NULL);
            _exit(127);
        }
        close(pfd[1]);
        if (pid < 0) {
            say(err, cap, "fork: %s", strerror(errno));
            close(pfd[0]);
            close(fd);
            return NULL;
        }
        in_fd = pfd[0];
        break;
    }
    bool over;
    int eno;
    uint8_t *buf = read_fd(in_fd, max_bytes, in_fd == fd ? (uint64_t)sb.st_size : 0,
                           bytes, &over, &eno, mapped, bcap);
    if (in_fd != fd)
        close(in_fd);
    close(fd);
    int wst = 0;
    if (pid > 0) {
        if (over)
            kill(pid, SIGKILL);
        while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
            ;
    }
    if (!buf) {
        say(err, cap, "cannot read '%s': %s", path, strerror(eno));
        return NULL;
    }
    if (over) {
        say(err, cap, "%s: byte %llu: larger than %llu bytes%s", path,
            (unsigned long long)max_bytes, (unsigned long long)max_bytes,
            pid > 0 ? " once decompressed" : "");
        buf_free(buf, *bcap, mapped);
        return NULL;
    }
    if (pid > 0 && !(WIFEXITED(wst) && WEXITSTATUS(wst) == 0)) {
        if (WIFEXITED(wst) && WEXITSTATUS(wst) == 127)
            say(err, cap, "%s: cannot decompress: '%s' is not installed", path,
                *how);
        else
            say(err, cap, "%s: byte %zu: corrupt %s data (%s -dc failed after "
                "%zu bytes)", path, *bytes, *how, *how, *bytes);
        buf_free(buf, *bcap, mapped);
        return NULL;
    }
    return buf;
}

uint8_t *trace_load(const char *path, uint64_t max_bytes, size_t *bytes,
                    const char **how, char *err, size_t cap)
{
    size_t bcap;
    return load_impl(path, max_bytes, bytes, how, err, cap, false, &bcap);
}

uint8_t *trace_load_mapped(const char *path, uint64_t max_bytes,
                           size_t *bytes, size_t *mapped_bytes,
                           const char **how, char *err, size_t cap)
{
    return load_impl(path, max_bytes, bytes, how, err, cap, true,
                     mapped_bytes);
}
