/*
 * record.c — libheaplab-record.so, the preload library behind `heaplab
 * record` (docs/traces.md).  It interposes the malloc family, calls the
 * next definition (glibc's, or whatever is below it), and writes one raw
 * record per call (raw.h) to $HEAPLAB_RECORD_DIR/<pid>.<gen>.raw; the
 * command turns that into a trace once the program has exited.
 *
 * Invariants and the reasons for them:
 *   - Nothing here calls malloc: buffers are mmap'd, text is formatted by
 *     hand, files are written with open/pwrite.
 *   - Bootstrap: dlsym(RTLD_NEXT) itself calls calloc; until the real
 *     functions are known, every request is served from a static arena
 *     (never freed, never recorded; a later free of such a block is
 *     ignored, a realloc copies it out).
 *   - Re-entrancy: a thread-local guard.  A call made while the same
 *     thread is already inside the recorder (dlsym, pthread internals, a
 *     signal handler that interrupted a hook) goes straight to the real
 *     function, unrecorded; a block allocated there shows up later as an
 *     unknown free.  A signal handler that allocates between hooks is
 *     recorded like any other code.
 *   - Threads: each thread appends to its own buffer (BUF_RECS records,
 *     a lock only the exit path contends for) and writes it out whole
 *     with pwrite at a file offset reserved atomically.  One atomic
 *     sequence number per process orders all records (raw.h).
 *   - fork: the child discards the records it inherited (its parent
 *     writes them), restarts seq and thread numbers, and writes its own
 *     files under its own pid; `heaplab record` turns them into FILE.<pid>.
 *     exec: the new image loads the recorder again (LD_PRELOAD is
 *     inherited) and writes <pid>.<gen+1>.
 *   - The raw file's descriptor is moved to 900 or above, out of the way of
 *     a program's own numbering, and closed on exec.  A program that
 *     closes every descriptor loses the rest of its records.
 *   - Exit: the process destructor writes every buffer out and switches to
 *     writing each record at once (late destructors still allocate).  A
 *     process that ends by _exit or a signal loses its unwritten records
 *     (at most BUF_RECS per thread); the command counts the gap.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench/record/raw.h"

#define EXPORT __attribute__((visibility("default")))
#define TLS __attribute__((tls_model("initial-exec"))) __thread

#define BUF_RECS 1024u
#define ARENA_BYTES ((size_t)256 << 10)

/* ---- the real functions ---------------------------------------------------- */

static struct {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    size_t (*malloc_usable_size)(void *);
} real;

enum { ST_NONE, ST_RESOLVING, ST_READY };
static _Atomic int state = ST_NONE;

/* ---- the bootstrap arena --------------------------------------------------- */

static alignas(64) unsigned char arena[ARENA_BYTES];
static _Atomic size_t arena_used;

/* A 16-byte header before each block holds its size. */
static void *arena_alloc(size_t bytes, size_t align)
{
    if (align < 16)
        align = 16;
    if (bytes > ARENA_BYTES || align > 4096)
        return NULL;
    size_t need = bytes + align + 16;
    size_t at = atomic_fetch_add(&arena_used, need);
    if (at + need > ARENA_BYTES)
        return NULL;
    uintptr_t p = ((uintptr_t)&arena[at] + 16 + align - 1) & ~(uintptr_t)(align - 1);
    ((size_t *)p)[-1] = bytes;
    return (void *)p; /* static memory: already zero */
}

static bool in_arena(const void *p)
{
    return (const unsigned char *)p >= arena &&
           (const unsigned char *)p < arena + ARENA_BYTES;
}

/* ---- recording state -------------------------------------------------------- */

struct tbuf {
    atomic_flag lock;
    uint32_t n;
    uint16_t thread;
    struct tbuf *next;
    struct hl_raw_rec rec[BUF_RECS];
};

static char dir[PATH_MAX];
static int raw_fd = -1;
static bool recording;         /* the files are open */
static _Atomic bool unbuffered; /* after the process destructor */
static _Atomic uint64_t seq;
static _Atomic uint64_t file_off;
static _Atomic unsigned next_thread;
static _Atomic(struct tbuf *) all_bufs;
static pthread_key_t buf_key;

static TLS struct tbuf *my_buf;
static TLS int guard;

/* ---- small text helpers (no stdio: it allocates) --------------------------- */

struct text {
    char *p;
    size_t n, cap;
};

static void put(struct text *t, const char *s, size_t n)
{
    for (size_t i = 0; i < n && t->n < t->cap; i++)
        t->p[t->n++] = s[i];
}

static void puts_(struct text *t, const char *s) { put(t, s, strlen(s)); }

static void put_u64(struct text *t, uint64_t v)
{
    char d[24];
    int k = 0;
    do {
        d[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k)
        put(t, &d[--k], 1);
}

static void write_all(int fd, const void *buf, size_t n, off_t off)
{
    const char *p = buf;
    while (n) {
        ssize_t w = off >= 0 ? pwrite(fd, p, n, off) : write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* nowhere to report: the command sees the gap */
        p += w;
        n -= (size_t)w;
        if (off >= 0)
            off += w;
    }
}

/* The arguments, space-separated, with '\\', ' ' and newline escaped. */
static void put_cmdline(struct text *t)
{
    char buf[16384];
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    ssize_t i = 0;
    while (i < n && buf[i]) /* argv[0]: `program` names the binary */
        i++;
    i++;
    bool first = true;
    while (i < n) {
        if (!first)
            put(t, " ", 1);
        first = false;
        for (; i < n && buf[i]; i++) {
            char c = buf[i];
            if (c == '\\' || c == ' ')
                put(t, "\\", 1);
            if (c == '\n')
                put(t, "\\n", 2);
            else
                put(t, &c, 1);
        }
        i++;
    }
}

/* Open <dir>/<pid>.<gen>.raw and write <pid>.<gen>.meta. */
static void open_files(bool forked)
{
    char path[PATH_MAX + 64];
    pid_t pid = getpid();
    for (unsigned gen = 0; gen < 1000; gen++) {
        struct text t = {path, 0, sizeof path - 8};
        puts_(&t, dir);
        puts_(&t, "/");
        put_u64(&t, (uint64_t)pid);
        puts_(&t, ".");
        put_u64(&t, gen);
        size_t stem = t.n;
        puts_(&t, ".raw");
        path[t.n] = '\0';
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) {
            if (errno == EEXIST)
                continue;
            return;
        }
        /* out of the way of a program's own numbering (a shell's `exec
         * 3>file` would otherwise write into our file, or we into its) */
        int high = fcntl(fd, F_DUPFD_CLOEXEC, 900);
        if (high >= 0) {
            close(fd);
            fd = high;
        }
        raw_fd = fd;
        t.n = stem;
        puts_(&t, ".meta");
        path[t.n] = '\0';
        int mfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (mfd >= 0) {
            char mbuf[20000];
            struct text m = {mbuf, 0, sizeof mbuf};
            char exe[PATH_MAX];
            ssize_t en = readlink("/proc/self/exe", exe, sizeof exe - 1);
            puts_(&m, "pid=");
            put_u64(&m, (uint64_t)pid);
            puts_(&m, "\nppid=");
            put_u64(&m, (uint64_t)getppid());
            puts_(&m, "\nprogram=");
            if (en > 0)
                put(&m, exe, (size_t)en);
            puts_(&m, "\narguments=");
            put_cmdline(&m);
            puts_(&m, "\nstart_epoch=");
            put_u64(&m, (uint64_t)time(NULL));
            if (forked)
                puts_(&m, "\nforked=1");
            puts_(&m, "\n");
            write_all(mfd, mbuf, m.n, -1);
            close(mfd);
        }
        recording = true;
        return;
    }
}

static void flush_locked(struct tbuf *b)
{
    if (b->n == 0 || raw_fd < 0)
        return;
    size_t bytes = (size_t)b->n * sizeof b->rec[0];
    uint64_t off = atomic_fetch_add(&file_off, bytes);
    write_all(raw_fd, b->rec, bytes, (off_t)off);
    b->n = 0;
}

static void buf_lock(struct tbuf *b)
{
    while (atomic_flag_test_and_set_explicit(&b->lock, memory_order_acquire))
        ;
}

static void buf_unlock(struct tbuf *b)
{
    atomic_flag_clear_explicit(&b->lock, memory_order_release);
}

static void thread_done(void *p)
{
    struct tbuf *b = p;
    guard++;
    buf_lock(b);
    flush_locked(b);
    buf_unlock(b);
    guard--;
}

static struct tbuf *new_buf(void)
{
    struct tbuf *b = mmap(NULL, sizeof *b, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (b == MAP_FAILED)
        return NULL;
    atomic_flag_clear(&b->lock);
    unsigned t = atomic_fetch_add(&next_thread, 1);
    b->thread = t > UINT16_MAX ? UINT16_MAX : (uint16_t)t;
    struct tbuf *head = atomic_load(&all_bufs);
    do
        b->next = head;
    while (!atomic_compare_exchange_weak(&all_bufs, &head, b));
    my_buf = b;
    pthread_setspecific(buf_key, b); /* flushed when the thread exits */
    return b;
}

/* Append one record.  pre: guard held. */
static void rec(uint64_t s, uint8_t kind, const void *addr, uint64_t bytes,
                uint8_t align_log2)
{
    struct tbuf *b = my_buf ? my_buf : new_buf();
    if (!b)
        return;
    buf_lock(b);
    struct hl_raw_rec *r = &b->rec[b->n++];
    r->seq = s;
    r->addr = (uint64_t)(uintptr_t)addr;
    r->bytes = bytes;
    r->kind = kind;
    r->align_log2 = align_log2;
    r->thread = b->thread;
    r->reserved = 0;
    if (b->n == BUF_RECS || atomic_load_explicit(&unbuffered, memory_order_relaxed))
        flush_locked(b);
    buf_unlock(b);
}

static inline uint64_t next_seq(void)
{
    return atomic_fetch_add_explicit(&seq, 1, memory_order_relaxed);
}

static void after_fork_child(void)
{
    /* One thread now; every buffer holds the parent's records. */
    for (struct tbuf *b = atomic_load(&all_bufs); b; b = b->next) {
        b->n = 0;
        atomic_flag_clear(&b->lock);
    }
    atomic_store(&seq, 0);
    atomic_store(&file_off, 0);
    atomic_store(&next_thread, 1);
    if (my_buf)
        my_buf->thread = 0;
    else
        atomic_store(&next_thread, 0);
    if (raw_fd >= 0)
        close(raw_fd);
    raw_fd = -1;
    recording = false;
    open_files(true);
}

/* ---- initialization --------------------------------------------------------- */

static void init(void)
{
    int expect = ST_NONE;
    if (!atomic_compare_exchange_strong(&state, &expect, ST_RESOLVING))
        return; /* resolving now (we are inside dlsym) or done */
    guard++;
    real.malloc = dlsym(RTLD_NEXT, "malloc");
    real.free = dlsym(RTLD_NEXT, "free");
    real.calloc = dlsym(RTLD_NEXT, "calloc");
    real.realloc = dlsym(RTLD_NEXT, "realloc");
    real.posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    real.aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
    real.memalign = dlsym(RTLD_NEXT, "memalign");
    real.valloc = dlsym(RTLD_NEXT, "valloc");
    real.pvalloc = dlsym(RTLD_NEXT, "pvalloc");
    real.malloc_usable_size = dlsym(RTLD_NEXT, "malloc_usable_size");
    const char *d = getenv(HL_RECORD_DIR_ENV);
    if (d && strlen(d) < sizeof dir) {
        strcpy(dir, d);
        if (pthread_key_create(&buf_key, thread_done) == 0) {
            pthread_atfork(NULL, NULL, after_fork_child);
            open_files(false);
        }
    }
    atomic_store(&state, ST_READY);
    guard--;
}

__attribute__((constructor)) static void record_start(void) { init(); }

__attribute__((destructor)) static void record_end(void)
{
    guard++;
    atomic_store(&unbuffered, true);
    for (struct tbuf *b = atomic_load(&all_bufs); b; b = b->next) {
        buf_lock(b);
        flush_locked(b);
        buf_unlock(b);
    }
    guard--;
}

/* True when the call must bypass recording (and the real function is
 * known); false with the arena as the answer before that. */
static inline bool ready(void)
{
    if (__builtin_expect(atomic_load_explicit(&state, memory_order_acquire) != ST_READY, 0))
        init();
    return atomic_load_explicit(&state, memory_order_acquire) == ST_READY;
}

static inline bool record_this(void) { return recording && guard == 0; }

static uint8_t log2_up(size_t align)
{
    uint8_t k = 0;
    while (k < 63 && ((size_t)1 << k) < align)
        k++;
    return k > 31 ? 31 : k;
}

/* ---- the interface ---------------------------------------------------------- */

EXPORT void *malloc(size_t bytes)
{
    if (!ready())
        return arena_alloc(bytes, 16);
    if (!record_this())
        return real.malloc(bytes);
    guard++;
    void *p = real.malloc(bytes);
    rec(next_seq(), HL_RAW_ALLOC, p, bytes, 0);
    guard--;
    return p;
}

EXPORT void free(void *p)
{
    if (in_arena(p))
        return;
    if (!ready())
        return;
    if (!record_this()) {
        real.free(p);
        return;
    }
    guard++;
    uint64_t s = next_seq(); /* before: the address may be reused at once */
    real.free(p);
    rec(s, HL_RAW_FREE, p, 0, 0);
    guard--;
}

EXPORT void *calloc(size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes)) {
        if (ready() && record_this()) {
            guard++;
            rec(next_seq(), HL_RAW_CALLOC, NULL, UINT64_MAX, 0);
            guard--;
        }
        errno = ENOMEM;
        return NULL;
    }
    if (!ready())
        return arena_alloc(bytes, 16);
    if (!record_this())
        return real.calloc(n, size);
    guard++;
    void *p = real.calloc(n, size);
    rec(next_seq(), HL_RAW_CALLOC, p, bytes, 0);
    guard--;
    return p;
}

EXPORT void *realloc(void *old, size_t bytes)
{
    if (in_arena(old) || !ready()) {
        /* A bootstrap block: copied into a real (or arena) block. */
        size_t old_bytes = old ? ((size_t *)old)[-1] : 0;
        void *p = ready() ? malloc(bytes) : arena_alloc(bytes, 16);
        if (p && old)
            memcpy(p, old, old_bytes < bytes ? old_bytes : bytes);
        return p;
    }
    if (!record_this())
        return real.realloc(old, bytes);
    guard++;
    rec(next_seq(), HL_RAW_REALLOC_OUT, old, 0, 0);
    void *p = real.realloc(old, bytes);
    rec(next_seq(), HL_RAW_REALLOC_IN, p, bytes, 0);
    guard--;
    return p;
}

EXPORT void *reallocarray(void *old, size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(old, bytes);
}

static void *aligned_common(int which, size_t align, size_t bytes)
{
    if (!ready())
        return arena_alloc(bytes, align);
    void *p;
    bool on = record_this();
    guard += on;
    switch (which) {
    case 0: p = real.aligned_alloc(align, bytes); break;
    case 1: p = real.memalign(align, bytes); break;
    case 2: p = real.valloc(bytes); break;
    default: p = real.pvalloc(bytes); break;
    }
    if (on) {
        rec(next_seq(), HL_RAW_ALIGNED, p, bytes, log2_up(align));
        guard--;
    }
    return p;
}

EXPORT void *aligned_alloc(size_t align, size_t bytes)
{
    return aligned_common(0, align, bytes);
}

EXPORT void *memalign(size_t align, size_t bytes)
{
    return aligned_common(1, align, bytes);
}

EXPORT void *valloc(size_t bytes)
{
    return aligned_common(2, (size_t)sysconf(_SC_PAGESIZE), bytes);
}

EXPORT void *pvalloc(size_t bytes)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t rounded = bytes + page - 1 < bytes ? bytes : (bytes + page - 1) / page * page;
    if (!ready())
        return arena_alloc(rounded, page);
    /* recorded as the aligned alloc it is: the size rounded up to pages */
    bool on = record_this();
    guard += on;
    void *p = real.pvalloc(bytes);
    if (on) {
        rec(next_seq(), HL_RAW_ALIGNED, p, rounded, log2_up(page));
        guard--;
    }
    return p;
}

EXPORT int posix_memalign(void **out, size_t align, size_t bytes)
{
    if (!ready()) {
        *out = arena_alloc(bytes, align);
        return *out ? 0 : ENOMEM;
    }
    bool on = record_this();
    guard += on;
    int rc = real.posix_memalign(out, align, bytes);
    if (on) {
        rec(next_seq(), HL_RAW_ALIGNED, rc == 0 ? *out : NULL, bytes,
            log2_up(align));
        guard--;
    }
    return rc;
}

EXPORT size_t malloc_usable_size(void *p)
{
    if (in_arena(p))
        return ((size_t *)p)[-1];
    if (!ready())
        return 0;
    if (record_this()) {
        guard++;
        rec(next_seq(), HL_RAW_USABLE, p, 0, 0);
        guard--;
    }
    return real.malloc_usable_size(p);
}
