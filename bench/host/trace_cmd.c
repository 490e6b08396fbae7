/*
 * trace_cmd.c — `heaplab record` (run a program under the recorder,
 * libheaplab-record.so, and turn its raw records into trace files) and
 * `heaplab trace info|import`.  docs/traces.md is the reference.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/host/cli.h"
#include "bench/host/sysinfo.h"
#include "bench/host/trace.h"
#include "bench/record/raw.h"

extern char **environ;

#define META_CAP ((size_t)64 << 10)

/* ---- shared ----------------------------------------------------------------- */

static void iso_date(time_t t, char *buf, size_t cap)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* "machine=..." and "date=..." lines. */
static size_t machine_meta(char *m, size_t cap, size_t len, time_t when)
{
    struct utsname u;
    char cpu[256], date[64];
    uname(&u);
    sys_cpu_model(cpu, sizeof cpu);
    iso_date(when, date, sizeof date);
    int n = snprintf(m + len, cap - len, "date=%s\nmachine=%s %s %s, %s\n",
                     date, u.machine, u.sysname, u.release, cpu);
    return n > 0 && (size_t)n < cap - len ? len + (size_t)n : len;
}

static void human_bytes(uint64_t b, char *buf, size_t cap)
{
    if (b >= (uint64_t)1 << 20)
        snprintf(buf, cap, "%.1f MiB", (double)b / (1 << 20));
    else if (b >= 1024)
        snprintf(buf, cap, "%.1f KiB", (double)b / 1024);
    else
        snprintf(buf, cap, "%llu B", (unsigned long long)b);
}

/* ---- heaplab record ----------------------------------------------------------- */

static const char record_usage[] =
    "usage: heaplab record [-o FILE] [--] CMD [ARGS...]\n"
    "\n"
    "Run CMD with the recorder preloaded (libheaplab-record.so) and write its\n"
    "malloc, free, calloc, realloc, reallocarray, posix_memalign,\n"
    "aligned_alloc, memalign, valloc and pvalloc calls as a trace (an op\n"
    "buffer with a header: docs/traces.md).  Threads are merged in one global\n"
    "order; a child process (fork, or anything CMD runs) gets its own trace,\n"
    "FILE.<pid>.  Prints one summary line on stderr and exits with CMD's exit\n"
    "status (128 + N if a signal N ended it).\n"
    "\n"
    "  -o FILE   the trace of CMD itself (default: CMD's name + .hltrace in\n"
    "            the current directory)\n"
    "\n"
    "The recorder is found as $HEAPLAB_RECORD_LIB, next to heaplab, or where\n"
    "cmake --install put it (LIBDIR/heaplab/).  Statically linked and setuid programs cannot\n"
    "be recorded (their trace has 0 ops).\n";

static bool find_recorder(char *out, size_t cap)
{
    const char *env = getenv("HEAPLAB_RECORD_LIB");
    if (env && env[0]) {
        snprintf(out, cap, "%s", env);
        return access(out, R_OK) == 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = '\0';
    /* the build tree (next to heaplab), the install relative to the
     * binary (a moved prefix), the install as configured */
    static const char *const rel[] = {"libheaplab-record.so",
                                      "../" HEAPLAB_RECORD_RELDIR "/libheaplab-record.so"};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        int n2 = snprintf(out, cap, "%s/%s", exe, rel[i]);
        if (n2 > 0 && (size_t)n2 < cap && access(out, R_OK) == 0)
            return true;
    }
    snprintf(out, cap, "%s", HEAPLAB_RECORD_INSTALL_DIR "/libheaplab-record.so");
    return access(out, R_OK) == 0;
}

static uint8_t *read_small(const char *path, size_t *n)
{
    char err[256];
    const char *how;
    return trace_load(path, (uint64_t)1 << 40, n, &how, err, sizeof err);
}

struct one_trace {
    long pid;
    unsigned gen;
    char out[PATH_MAX];
    uint64_t nops, peak;
    uint32_t threads;
    uint64_t unknown;
};

/* Turn <dir>/<pid>.<gen>.raw (+ .meta) into the trace file `out`. */
static int convert(const char *dir, long pid, unsigned gen, const char *out,
                   int status_word, bool root, struct one_trace *res)
{
    char raw_path[PATH_MAX + 64], meta_path[PATH_MAX + 64], err[512];
    snprintf(raw_path, sizeof raw_path, "%s/%ld.%u.raw", dir, pid, gen);
    snprintf(meta_path, sizeof meta_path, "%s/%ld.%u.meta", dir, pid, gen);
    size_t raw_n = 0, meta_n = 0;
    uint8_t *raw = read_small(raw_path, &raw_n);
    uint8_t *pm = read_small(meta_path, &meta_n);
    struct trace_builder b;
    trace_builder_init(&b);
    const char *why = NULL;
    if (raw && trace_merge_raw(raw, raw_n, &b, &why) != 0) {
        fprintf(stderr, "heaplab: record: %s: %s\n", raw_path, why);
        free(raw);
        free(pm);
        trace_builder_free(&b);
        return -1;
    }
    char *meta = malloc(META_CAP);
    if (!meta)
        cli_fail("out of memory");
    size_t len = 0;
    long epoch = 0;
    if (pm) {
        /* the recorder's lines, start_epoch turned into date */
        char *line = (char *)pm, *end = (char *)pm + meta_n;
        while (line < end) {
            char *nl = memchr(line, '\n', (size_t)(end - line));
            size_t ll = nl ? (size_t)(nl - line) : (size_t)(end - line);
            if (!strncmp(line, "start_epoch=", 12))
                epoch = strtol(line + 12, NULL, 10);
            else if (memchr(line, '=', ll) && ll + 2 < META_CAP - len) {
                memcpy(meta + len, line, ll);
                len += ll;
                meta[len++] = '\n';
            }
            line += ll + 1;
        }
    }
    len = machine_meta(meta, META_CAP, len, epoch ? (time_t)epoch : time(NULL));
    int n = snprintf(meta + len, META_CAP - len, "recorder=heaplab-record\n");
    len += (size_t)n;
    if (root) {
        int code = WIFSIGNALED(status_word) ? 128 + WTERMSIG(status_word)
                                            : WEXITSTATUS(status_word);
        n = snprintf(meta + len, META_CAP - len, "exit_status=%d\n", code);
        len += (size_t)n;
    }
    int l2 = trace_counts_meta(&b, meta, META_CAP, len);
    if (l2 >= 0)
        len = (size_t)l2;
    int rc = trace_file_write(out, meta, len, b.ops, b.nops, b.nslots,
                              b.nthreads, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "heaplab: record: %s\n", err);
    res->pid = pid;
    res->gen = gen;
    snprintf(res->out, sizeof res->out, "%s", out);
    res->nops = b.nops;
    res->threads = b.nthreads ? b.nthreads : 1;
    res->unknown = b.c.unknown_frees;
    res->peak = 0;
    if (rc == 0) {
        uint64_t *scratch = calloc(b.nslots ? b.nslots : 1, 8);
        struct hl_trace_stats st;
        if (scratch && hl_trace_peaks(b.ops, b.nops, b.nslots ? b.nslots : 1,
                                      scratch, &st) == 0)
            res->peak = st.peak_live_bytes;
        free(scratch);
    }
    free(meta);
    free(raw);
    free(pm);
    trace_builder_free(&b);
    return rc;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char p[PATH_MAX + 300];
        while ((e = readdir(d)))
            if (e->d_name[0] != '.') {
                snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
                unlink(p);
            }
        closedir(d);
    }
    rmdir(dir);
}

int cmd_record(int argc, char **argv)
{
    const char *out = NULL;
    int i = 2;
    for (; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(record_usage, stdout);
            return CLI_EXIT_OK;
        }
        if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--out")) {
            out = cli_value(argc, argv, &i);
            if (!out[0])
                cli_usage_fail("bad value for %s: ''", argv[i - 1]);
            continue;
        }
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        }
        if (argv[i][0] == '-')
            cli_usage_fail("unknown option '%s' for record (see heaplab record "
                           "--help)", argv[i]);
        break;
    }
    if (i >= argc)
        cli_usage_fail("missing command to record (heaplab record [-o FILE] "
                       "-- CMD ARGS...)");
    char cmd_path[PATH_MAX], lib[PATH_MAX], def_out[PATH_MAX];
    if (!cli_find_cmd(argv[i], cmd_path, sizeof cmd_path))
        cli_usage_fail("command '%s' not found (or not executable)", argv[i]);
    if (!out) {
        const char *base = strrchr(argv[i], '/');
        snprintf(def_out, sizeof def_out, "%s.hltrace", base ? base + 1 : argv[i]);
        out = def_out;
    }
    {
        /* the output's folder must exist and be writable before CMD runs */
        char d[PATH_MAX];
        snprintf(d, sizeof d, "%s", out);
        char *s = strrchr(d, '/');
        if (s)
            *s = '\0';
        const char *dd = s ? (d[0] ? d : "/") : ".";
        if (access(dd, W_OK) != 0)
            cli_usage_fail("bad value for -o: '%s' (%s: %s)", out, dd,
                           strerror(errno));
    }
    if (!find_recorder(lib, sizeof lib))
        cli_fail("libheaplab-record.so not found (set HEAPLAB_RECORD_LIB)");
    const char *tmpdir = getenv("TMPDIR");
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/heaplab-record.XXXXXX",
             tmpdir && tmpdir[0] ? tmpdir : "/tmp");
    if (!mkdtemp(dir))
        cli_fail("cannot create a folder in %s: %s",
                 tmpdir && tmpdir[0] ? tmpdir : "/tmp", strerror(errno));

    /* the child's environment: LD_PRELOAD first, then the rest */
    size_t ne = 0;
    while (environ[ne])
        ne++;
    char **env = calloc(ne + 3, sizeof *env);
    char *pre = malloc(PATH_MAX * 2 + 32), *dvar = malloc(PATH_MAX + 32);
    if (!env || !pre || !dvar)
        cli_fail("out of memory");
    const char *old_pre = getenv("LD_PRELOAD");
    snprintf(pre, PATH_MAX * 2 + 32, "LD_PRELOAD=%s%s%s", lib,
             old_pre && old_pre[0] ? ":" : "", old_pre ? old_pre : "");
    snprintf(dvar, PATH_MAX + 32, "%s=%s", HL_RECORD_DIR_ENV, dir);
    size_t k = 0;
    env[k++] = pre;
    env[k++] = dvar;
    for (size_t j = 0; j < ne; j++)
        if (strncmp(environ[j], "LD_PRELOAD=", 11) &&
            strncmp(environ[j], HL_RECORD_DIR_ENV "=", sizeof HL_RECORD_DIR_ENV))
            env[k++] = environ[j];
    env[k] = NULL;

    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        cli_fail("fork: %s", strerror(errno));
    if (pid == 0) {
        execve(cmd_path, argv + i, env);
        fprintf(stderr, "heaplab: record: cannot run '%s': %s\n", cmd_path,
                strerror(errno));
        _exit(127);
    }
    /* like system(): the terminal's ^C is for CMD */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_quit;
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    int code = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);

    /* every process's files: the root (pid, gen 0) -> out, others ->
     * out.<pid>[.<gen>] */
    struct one_trace root = {0}, *kids = NULL;
    size_t nkids = 0, kcap = 0;
    bool root_seen = false, failed = false;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        long p;
        unsigned g;
        char tail[8];
        if (sscanf(e->d_name, "%ld.%u.%7s", &p, &g, tail) != 3 ||
            strcmp(tail, "raw"))
            continue;
        bool is_root = p == (long)pid && g == 0;
        char path[PATH_MAX + 40];
        if (is_root)
            snprintf(path, sizeof path, "%s", out);
        else if (g == 0)
            snprintf(path, sizeof path, "%s.%ld", out, p);
        else
            snprintf(path, sizeof path, "%s.%ld.%u", out, p, g);
        struct one_trace r;
        if (convert(dir, p, g, path, st, is_root, &r) != 0) {
            failed = true;
            continue;
        }
        if (is_root) {
            root = r;
            root_seen = true;
        } else {
            if (nkids == kcap) {
                kcap = kcap ? kcap * 2 : 8;
                kids = realloc(kids, kcap * sizeof *kids);
                if (!kids)
                    cli_fail("out of memory");
            }
            kids[nkids++] = r;
        }
    }
    if (d)
        closedir(d);
    bool never_loaded = !root_seen;
    if (!root_seen && !failed) {
        /* the recorder never ran in CMD (static, setuid): an empty trace */
        char empty[64];
        snprintf(empty, sizeof empty, "%ld.0.raw", (long)pid);
        char p[PATH_MAX + 80];
        snprintf(p, sizeof p, "%s/%s", dir, empty);
        close(open(p, O_WRONLY | O_CREAT, 0644));
        if (convert(dir, pid, 0, out, st, true, &root) != 0)
            failed = true;
    }
    remove_dir(dir);
    if (failed) {
        free(kids);
        free(env);
        free(pre);
        free(dvar);
        return CLI_EXIT_FAIL;
    }
    char peak[32];
    human_bytes(root.peak, peak, sizeof peak);
    fprintf(stderr, "heaplab record: %s: %llu ops, %u thread%s, peak %s live, "
            "%llu unknown frees",
            out, (unsigned long long)root.nops, root.threads,
            root.threads == 1 ? "" : "s", peak, (unsigned long long)root.unknown);
    if (never_loaded)
        fprintf(stderr, " (the recorder never ran in %s: statically linked "
                "or setuid?)", argv[i]);
    if (nkids) {
        uint64_t kops = 0;
        for (size_t j = 0; j < nkids; j++)
            kops += kids[j].nops;
        fprintf(stderr, "; %zu child process%s (%llu ops) in %s.<pid>", nkids,
                nkids == 1 ? "" : "es", (unsigned long long)kops, out);
    }
    fprintf(stderr, "; %s exited %d\n", argv[i], code);
    free(kids);
    free(env);
    free(pre);
    free(dvar);
    return code;
}

/* ---- heaplab trace info ------------------------------------------------------- */

static const char trace_usage[] =
    "usage: heaplab trace info FILE\n"
    "       heaplab trace ops FILE\n"
    "       heaplab trace import --mtrace FILE [-o OUT]\n"
    "\n"
    "info: validate trace FILE completely (xz, gzip or zstd compressed files\n"
    "are decompressed on the fly) and print its meta text, op counts by\n"
    "kind, unknown frees, threads (ops per thread), peak live bytes and\n"
    "blocks, blocks never freed, the size histogram (requested bytes in\n"
    "powers of two) and the lifetime histogram (in ops, from a block's alloc\n"
    "to its free; a realloc keeps the block).\n"
    "\n"
    "ops: validate FILE and print one op per line: index, kind (alloc, free,\n"
    "realloc, calloc, aligned), thread, slot, bytes, and log2 of the\n"
    "alignment for an aligned alloc.\n"
    "\n"
    "import --mtrace: convert glibc's MALLOC_TRACE output into a trace OUT\n"
    "(default: FILE.hltrace).  One thread; calloc and memalign look like\n"
    "malloc in mtrace, so they become allocs.\n"
    "\n"
    "A file that is not a valid trace (or mtrace text) is refused with one\n"
    "line naming the byte offset (the line) and exit status 2.\n";

/* Bucket of v: 0 for 0, else 1 + floor(log2 v). */
static unsigned bucket(uint64_t v)
{
    return v ? 64u - (unsigned)__builtin_clzll(v) : 0u;
}

static void print_hist(const char *title, const uint64_t *h, unsigned n)
{
    printf("%s\n", title);
    for (unsigned k = 0; k < n; k++) {
        if (!h[k])
            continue;
        if (k == 0)
            printf("  %-24s %llu\n", "0", (unsigned long long)h[k]);
        else {
            char range[48];
            uint64_t lo = (uint64_t)1 << (k - 1);
            uint64_t hi = k == 64 ? UINT64_MAX : ((uint64_t)1 << k) - 1;
            snprintf(range, sizeof range, "%llu-%llu", (unsigned long long)lo,
                     (unsigned long long)hi);
            printf("  %-24s %llu\n", range, (unsigned long long)h[k]);
        }
    }
}

/* Load and validate; exits 2 naming the offset if the file is bad. */
static uint8_t *open_trace(const char *path, struct hl_trace *t, size_t *n,
                           const char **how)
{
    char err[PATH_MAX + 256];
    uint8_t *f = trace_load(path, TRACE_MAX_FILE_BYTES, n, how, err, sizeof err);
    if (!f)
        cli_usage_fail("%s", err);
    struct hl_opbuf_header h;
    struct hl_trace_error e;
    int rc = hl_trace_header(f, *n, &h, &e);
    if (rc == 0) {
        uint64_t sb = hl_trace_scratch_bytes(&h);
        void *scratch = malloc(sb ? sb : 8);
        if (!scratch) {
            free(f);
            cli_fail("out of memory for %llu slots", (unsigned long long)h.nslots);
        }
        rc = hl_trace_open(f, *n, scratch, sb, t, &e);
        free(scratch);
    }
    if (rc != 0) {
        free(f); /* (no leak reports from a sanitized build) */
        cli_usage_fail("%s: byte %llu: %s", path, (unsigned long long)e.at, e.why);
    }
    return f;
}

static int trace_info(const char *path)
{
    struct hl_trace t;
    size_t n;
    const char *how;
    uint8_t *f = open_trace(path, &t, &n, &how);
    static const char *const kind_names[HL_OP_NKINDS] = {
        "alloc", "free", "realloc", "calloc", "aligned"};
    printf("file            %s (%zu bytes%s%s)\n", path, n,
           how[0] ? ", decompressed from " : "", how);
    printf("format          op buffer version %u, %llu ops, %llu slots, "
           "%u threads\n", t.h.version, (unsigned long long)t.nops,
           (unsigned long long)t.h.nslots, t.h.nthreads);
    printf("checksum        0x%016llx\n", (unsigned long long)t.h.checksum);
    printf("meta\n");
    const char *m = t.meta, *end = t.meta + t.meta_bytes;
    while (m < end) {
        const char *nl = memchr(m, '\n', (size_t)(end - m));
        size_t ll = nl ? (size_t)(nl - m) : (size_t)(end - m);
        printf("  %.*s\n", (int)ll, m);
        m += ll + 1;
    }
    printf("ops             %llu\n", (unsigned long long)t.nops);
    for (int k = 0; k < HL_OP_NKINDS; k++)
        printf("  %-14s %llu\n", kind_names[k],
               (unsigned long long)t.st.ops_by_kind[k]);
    printf("unknown frees   %llu\n", (unsigned long long)t.st.unknown_frees);
    printf("realloc of an empty slot %llu\n",
           (unsigned long long)t.st.realloc_empty);
    printf("peak live       %llu bytes, %llu blocks\n",
           (unsigned long long)t.st.peak_live_bytes,
           (unsigned long long)t.st.peak_live_blocks);
    printf("never freed     %llu bytes, %llu blocks\n",
           (unsigned long long)t.st.end_live_bytes,
           (unsigned long long)t.st.end_live_blocks);

    /* per thread, sizes, lifetimes: one pass with per-slot birth */
    uint64_t *per_thread = calloc((size_t)t.h.nthreads, sizeof *per_thread);
    uint64_t *birth = malloc((size_t)t.h.nslots * sizeof *birth);
    if (!per_thread || !birth)
        cli_fail("out of memory");
    for (uint64_t s = 0; s < t.h.nslots; s++)
        birth[s] = UINT64_MAX;
    uint64_t sizes[65] = {0}, life[65] = {0}, never = 0;
    for (uint64_t i = 0; i < t.nops; i++) {
        const struct hl_op *op = &t.ops[i];
        per_thread[op->thread]++;
        uint64_t *b = &birth[op->slot];
        if (op->kind == HL_OP_FREE) {
            if (*b != UINT64_MAX)
                life[bucket(i - *b)]++;
            *b = UINT64_MAX;
            continue;
        }
        sizes[bucket(op->bytes)]++;
        if (*b == UINT64_MAX)
            *b = i;
    }
    for (uint64_t s = 0; s < t.h.nslots; s++)
        never += birth[s] != UINT64_MAX;
    printf("threads         %u\n", t.st.threads_used ? t.st.threads_used : 1);
    for (uint32_t k = 0; k < t.h.nthreads; k++)
        if (per_thread[k])
            printf("  thread %-7u %llu ops\n", k,
                   (unsigned long long)per_thread[k]);
    print_hist("sizes (requested bytes of allocs, callocs, aligned allocs, "
               "reallocs)", sizes, 65);
    print_hist("lifetimes (ops from alloc to free)", life, 65);
    printf("  %-24s %llu\n", "never freed", (unsigned long long)never);
    free(per_thread);
    free(birth);
    free(f);
    return CLI_EXIT_OK;
}

static int trace_ops(const char *path)
{
    static const char *const kind_names[HL_OP_NKINDS] = {
        "alloc", "free", "realloc", "calloc", "aligned"};
    struct hl_trace t;
    size_t n;
    const char *how;
    uint8_t *f = open_trace(path, &t, &n, &how);
    for (uint64_t i = 0; i < t.nops; i++) {
        const struct hl_op *op = &t.ops[i];
        if (op->kind == HL_OP_ALIGNED)
            printf("%llu %s %u %u %llu %u\n", (unsigned long long)i,
                   kind_names[op->kind], op->thread, op->slot,
                   (unsigned long long)op->bytes, op->align_log2);
        else
            printf("%llu %s %u %u %llu\n", (unsigned long long)i,
                   kind_names[op->kind], op->thread, op->slot,
                   (unsigned long long)op->bytes);
    }
    free(f);
    return CLI_EXIT_OK;
}

static int trace_import(const char *in, const char *out)
{
    char err[PATH_MAX + 256];
    size_t n;
    const char *how;
    uint8_t *text = trace_load(in, TRACE_MAX_FILE_BYTES, &n, &how, err, sizeof err);
    if (!text)
        cli_usage_fail("%s", err);
    struct trace_builder b;
    trace_builder_init(&b);
    uint64_t line;
    const char *why;
    if (trace_import_mtrace((const char *)text, n, &b, &line, &why) != 0) {
        free(text);
        trace_builder_free(&b);
        cli_usage_fail("%s: line %llu: %s", in, (unsigned long long)line, why);
    }
    char *meta = malloc(META_CAP);
    if (!meta)
        cli_fail("out of memory");
    /* the program: the first caller's "prog:" */
    size_t len = (size_t)snprintf(meta, META_CAP, "source=mtrace\nsource_file=%s\n",
                                  in);
    const char *at = memmem(text, n, "\n@ ", 3);
    if (!at && n > 2 && !memcmp(text, "@ ", 2))
        at = (const char *)text - 1;
    if (at) {
        const char *s = at + 3, *e = s;
        while (e < (const char *)text + n && *e != '\n' && *e != ':' &&
               *e != '[' && e - s < 1024)
            e++;
        if (e < (const char *)text + n && *e == ':' && e > s)
            len += (size_t)snprintf(meta + len, META_CAP - len, "program=%.*s\n",
                                    (int)(e - s), s);
    }
    len = machine_meta(meta, META_CAP, len, time(NULL));
    int l2 = trace_counts_meta(&b, meta, META_CAP, len);
    if (l2 >= 0)
        len = (size_t)l2;
    if (trace_file_write(out, meta, len, b.ops, b.nops, b.nslots, b.nthreads,
                         err, sizeof err) != 0) {
        free(text);
        free(meta);
        trace_builder_free(&b);
        cli_fail("%s", err);
    }
    fprintf(stderr, "heaplab trace import: %s: %llu ops, %llu slots, %llu "
            "unknown frees, %llu failed allocs\n", out,
            (unsigned long long)b.nops, (unsigned long long)b.nslots,
            (unsigned long long)b.c.unknown_frees,
            (unsigned long long)b.c.failed_allocs);
    trace_builder_free(&b);
    free(meta);
    free(text);
    return CLI_EXIT_OK;
}

int cmd_trace(int argc, char **argv)
{
    if (argc < 3)
        cli_usage_fail("missing trace subcommand (info, ops or import; see heaplab "
                       "trace --help)");
    if (cli_is_help(argv[2])) {
        fputs(trace_usage, stdout);
        return CLI_EXIT_OK;
    }
    const char *sub = argv[2];
    const char *file = NULL, *out = NULL;
    bool mtrace = false;
    if (strcmp(sub, "info") && strcmp(sub, "ops") && strcmp(sub, "import"))
        cli_usage_fail("unknown trace subcommand '%s' (expected info, ops or "
                       "import)", sub);
    for (int i = 3; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(trace_usage, stdout);
            return CLI_EXIT_OK;
        }
        if (!strcmp(sub, "import") && !strcmp(argv[i], "--mtrace")) {
            mtrace = true;
            file = cli_value(argc, argv, &i);
            continue;
        }
        if (!strcmp(sub, "import") &&
            (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--out"))) {
            out = cli_value(argc, argv, &i);
            if (!out[0])
                cli_usage_fail("bad value for %s: ''", argv[i - 1]);
            continue;
        }
        if (argv[i][0] == '-')
            cli_usage_fail("unknown option '%s' for trace %s (see heaplab "
                           "trace --help)", argv[i], sub);
        if (file)
            cli_usage_fail("unexpected argument '%s' for trace %s", argv[i], sub);
        file = argv[i];
    }
    if (strcmp(sub, "import")) {
        if (!file)
            cli_usage_fail("missing FILE for trace %s", sub);
        return !strcmp(sub, "info") ? trace_info(file) : trace_ops(file);
    }
    if (!mtrace)
        cli_usage_fail("trace import needs --mtrace FILE (the one format it "
                       "imports)");
    char def_out[PATH_MAX];
    if (!out) {
        snprintf(def_out, sizeof def_out, "%s.hltrace", file);
        out = def_out;
    }
    return trace_import(file, out);
}
