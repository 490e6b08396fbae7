/*
 * exec.c — `heaplab exec`: run a real program once per (allocator, rep),
 * round-robin, with a heaplab heap allocator as its malloc (the preload
 * shim libheaplab-exec.so, bench/exec/shim.c) or a baseline (glibc:
 * nothing preloaded; jemalloc, mimalloc, tcmalloc: their library in
 * LD_PRELOAD, as mimalloc-bench runs them).  docs/exec.md is the
 * reference.
 *
 * Per run: wall time (CLOCK_MONOTONIC from just before fork to the reap),
 * user and system time and max RSS (wait4's rusage), the exit status, and
 * for heaplab allocators the shim's stats file.  The run folder holds
 * meta.csv, programs.csv (every figure: columns.h HL_PROGRAMS_COLUMNS),
 * cells.csv (the wall time as clock=wall_ns, family=program, so summary,
 * compare and repeat work on it), cells.log and summary.csv.
 *
 * A program that crashes, exits non-zero or outlives --timeout gets its
 * status and one cells.log line; the run goes on.  Each run is its own
 * process group, killed whole at the timeout and after the reap (nothing
 * the program left behind runs on into the next measurement).
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/core/columns.h"
#include "bench/exec/shim.h"
#include "bench/host/baselines.h"
#include "bench/host/cli.h"
#include "bench/host/results.h"
#include "bench/host/run.h"
#include "bench/host/summary.h"
#include "bench/host/sysinfo.h"

extern char **environ;

#define EXEC_MAX_ALLOCS 64u
#define EXEC_DEFAULT_REGION_MIB 1024u
#define EXEC_DEFAULT_REPS 3u
#define EXEC_DEFAULT_TIMEOUT_S 600u

static const char exec_usage[] =
    "usage: heaplab exec --allocators A,B:k=v,... [options] -- CMD [ARGS...]\n"
    "\n"
    "Run CMD once per allocator and rep, round-robin (rep 0 of every\n"
    "allocator, then rep 1, ...), and record its wall, user and system\n"
    "time, max RSS and exit status; a heaplab heap allocator becomes CMD's\n"
    "malloc through the preload shim libheaplab-exec.so (its own stats at\n"
    "exit are recorded too), a baseline is glibc (nothing preloaded) or\n"
    "jemalloc, mimalloc, tcmalloc preloaded.  Writes\n"
    "DIR/<run-id>/{meta,programs,cells,summary}.csv and cells.log\n"
    "(docs/exec.md) and prints the medians per allocator.\n"
    "\n"
    "  --allocators LIST  heap allocators and baselines (heaplab list\n"
    "                     allocators), with parameters as in heaplab run:\n"
    "                     --allocators slab:keep_empty=0,tlsf,glibc\n"
    "  --allocator NAME   the same, one allocator (repeatable)\n"
    "  --reps N           runs per allocator (default 3)\n"
    "  --region-mib M     the shim's region in MiB, mapped at start, touched\n"
    "                     only as used (default 1024)\n"
    "  --timeout S        seconds per run before its process group is\n"
    "                     killed: status timeout (default 600)\n"
    "  --out DIR          where the run folder goes (default results)\n"
    "  --name NAME        the program column (default: CMD's base name)\n"
    "  --stdin FILE       CMD's standard input, opened anew for each run\n"
    "                     (default /dev/null)\n"
    "\n"
    "CMD's output goes to /dev/null, its stderr to DIR/<run-id>/stderr/.\n"
    "Status per run: ok (exit 0), failed (exit non-zero: figures kept),\n"
    "crashed (a signal), timeout, error (CMD could not start, or the shim\n"
    "could not start its allocator).  Exit 0 when every run was made\n"
    "(whatever their statuses), 2 on bad usage, 130 if interrupted.\n"
    "The shim is found as $HEAPLAB_EXEC_LIB, next to heaplab, or where\n"
    "cmake --install put it (LIBDIR/heaplab/).\n";

struct exec_alloc {
    char name[64];
    char aparams[256];  /* canonical text; "" for a baseline */
    char spec[320];     /* for the shim: name[:aparams] */
    char preload[PATH_MAX]; /* "" for glibc */
    bool project;
};

struct exec_opts {
    struct exec_alloc al[EXEC_MAX_ALLOCS];
    size_t nal;
    unsigned reps, region_mib, timeout_s;
    const char *out, *name, *stdin_path;
    char **cmd;
    char cmd_path[PATH_MAX];
};

/* ---- options ----------------------------------------------------------------- */

/* libheaplab-exec.so: $HEAPLAB_EXEC_LIB, next to heaplab, or installed. */
static bool find_shim(char *out, size_t cap)
{
    const char *env = getenv("HEAPLAB_EXEC_LIB");
    if (env && env[0]) {
        snprintf(out, cap, "%s", env);
        return access(out, R_OK) == 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            static const char *const rel[] = {
                "libheaplab-exec.so",
                "../" HEAPLAB_EXEC_RELDIR "/libheaplab-exec.so"};
            for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
                int k = snprintf(out, cap, "%s/%s", exe, rel[i]);
                if (k > 0 && (size_t)k < cap && access(out, R_OK) == 0)
                    return true;
            }
        }
    }
    snprintf(out, cap, "%s", HEAPLAB_EXEC_INSTALL_DIR "/libheaplab-exec.so");
    return access(out, R_OK) == 0;
}

/* One item "NAME" or "NAME:k=v,..." of --allocators. */
static void add_alloc(struct exec_opts *o, const char *item)
{
    if (o->nal == EXEC_MAX_ALLOCS)
        cli_usage_fail("more than %u allocators for exec", EXEC_MAX_ALLOCS);
    struct exec_alloc *e = &o->al[o->nal];
    memset(e, 0, sizeof *e);
    const char *colon = strchr(item, ':');
    size_t nlen = colon ? (size_t)(colon - item) : strlen(item);
    if (nlen == 0 || nlen >= sizeof e->name)
        cli_usage_fail("bad value for --allocators: '%s'", item);
    memcpy(e->name, item, nlen);
    struct cli_alloc ca;
    if (!cli_alloc_find(e->name, &ca) || ca.kind == CLI_ALLOC_TEST)
        cli_usage_fail("unknown allocator '%s' (see heaplab list allocators)",
                       e->name);
    if (ca.kind == CLI_ALLOC_BASELINE) {
        if (colon)
            cli_usage_fail("bad value for --allocators: '%s' (baseline '%s' "
                           "takes no parameters)", item, e->name);
        char path[PATH_MAX];
        if (!hl_baseline_probe(ca.baseline, path, sizeof path))
            cli_usage_fail("baseline '%s' is not installed (see heaplab list "
                           "allocators)", e->name);
        if (!hl_baseline_preload(ca.baseline, e->preload, sizeof e->preload))
            e->preload[0] = '\0';
    } else {
        if (ca.a->family != HL_FAMILY_HEAP)
            cli_usage_fail("allocator '%s' is a %s allocator: exec runs heap "
                           "allocators and baselines", e->name,
                           hl_family_str(ca.a->family));
        struct hl_al_params p;
        const char *err = NULL;
        size_t at = 0;
        hl_al_defaults(ca.a, &p);
        if (colon && hl_al_parse(ca.a, colon + 1, &p, &err, &at) != 0)
            cli_usage_fail("bad value for --allocators: '%s' (%s at '%s')",
                           item, err ? err : "bad parameters", colon + 1 + at);
        int bad = -1;
        if (hl_al_validate(ca.a, &p, &err, &bad) != 0)
            cli_usage_fail("bad value for --allocators: '%s' (%s)", item,
                           err ? err : "out of range");
        hl_al_format(ca.a, &p, e->aparams, sizeof e->aparams);
        struct dbuf spec = {0};
        dbuf_addf(&spec, "%s%s%s", e->name, e->aparams[0] ? ":" : "",
                  e->aparams);
        if (spec.len >= sizeof e->spec)
            cli_usage_fail("bad value for --allocators: '%s' (too long)", item);
        memcpy(e->spec, spec.p, spec.len + 1);
        dbuf_free(&spec);
        e->project = true;
    }
    for (size_t i = 0; i < o->nal; i++)
        if (!strcmp(o->al[i].name, e->name) &&
            !strcmp(o->al[i].aparams, e->aparams))
            cli_usage_fail("bad value for --allocators: '%s' is named twice",
                           item);
    o->nal++;
}

/* --allocators: items split at commas; an item with '=' and no ':'
 * continues the one before (as heaplab run reads it). */
static void add_alloc_list(struct exec_opts *o, const char *list)
{
    if (!list[0])
        cli_usage_fail("bad value for --allocators: ''");
    char *copy = strdup(list);
    if (!copy)
        cli_fail("out of memory");
    char *items[EXEC_MAX_ALLOCS + 1];
    size_t n = cli_split("--allocators", copy, items, EXEC_MAX_ALLOCS);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (strchr(items[i], '=') && !strchr(items[i], ':')) {
            if (k == 0)
                cli_usage_fail("bad value for --allocators: '%s' (expected "
                               "allocator:key=value,...)", items[i]);
            items[i][-1] = ','; /* rejoin with the item before */
            continue;
        }
        items[k++] = items[i];
    }
    for (size_t i = 0; i < k; i++)
        add_alloc(o, items[i]);
    free(copy);
}

static void parse_opts(int argc, char **argv, struct exec_opts *o)
{
    o->reps = EXEC_DEFAULT_REPS;
    o->region_mib = EXEC_DEFAULT_REGION_MIB;
    o->timeout_s = EXEC_DEFAULT_TIMEOUT_S;
    o->out = "results";
    int i = 2;
    for (; i < argc; i++) {
        const char *opt = argv[i];
        if (cli_is_help(opt)) {
            fputs(exec_usage, stdout);
            exit(CLI_EXIT_OK);
        }
        if (!strcmp(opt, "--")) {
            i++;
            break;
        }
        if (!strcmp(opt, "--allocators") || !strcmp(opt, "--allocator"))
            add_alloc_list(o, cli_value(argc, argv, &i));
        else if (!strcmp(opt, "--reps"))
            o->reps = (unsigned)cli_parse_u64(opt, cli_value(argc, argv, &i),
                                              1, 10000);
        else if (!strcmp(opt, "--region-mib"))
            o->region_mib = (unsigned)cli_parse_u64(
                opt, cli_value(argc, argv, &i), 1, 1u << 20);
        else if (!strcmp(opt, "--timeout"))
            o->timeout_s = (unsigned)cli_parse_u64(
                opt, cli_value(argc, argv, &i), 1, 86400);
        else if (!strcmp(opt, "--out")) {
            o->out = cli_value(argc, argv, &i);
            if (!o->out[0])
                cli_usage_fail("bad value for --out: ''");
        } else if (!strcmp(opt, "--name")) {
            o->name = cli_value(argc, argv, &i);
            if (!o->name[0] || strpbrk(o->name, ",\"\r\n|/"))
                cli_usage_fail("bad value for --name: '%s' (no , \" | / or "
                               "line breaks)", o->name);
        } else if (!strcmp(opt, "--stdin")) {
            o->stdin_path = cli_value(argc, argv, &i);
            if (access(o->stdin_path, R_OK) != 0)
                cli_usage_fail("bad value for --stdin: '%s' (%s)",
                               o->stdin_path, strerror(errno));
        } else if (opt[0] == '-')
            cli_usage_fail("unknown option '%s' for exec (see heaplab exec "
                           "--help)", opt);
        else
            break;
    }
    if (o->nal == 0)
        cli_usage_fail("missing --allocators for exec (heaplab exec "
                       "--allocators A,B -- CMD ARGS...)");
    if (i >= argc)
        cli_usage_fail("missing command for exec (heaplab exec --allocators "
                       "A,B -- CMD ARGS...)");
    o->cmd = argv + i;
    if (!cli_find_cmd(argv[i], o->cmd_path, sizeof o->cmd_path))
        cli_usage_fail("command '%s' not found (or not executable)", argv[i]);
    if (!o->name) {
        const char *base = strrchr(argv[i], '/');
        o->name = base ? base + 1 : argv[i];
        if (!o->name[0] || strpbrk(o->name, ",\"\r\n|"))
            cli_usage_fail("command '%s' needs --name (its base name is no "
                           "program name)", argv[i]);
    }
    struct stat st;
    if (stat(o->out, &st) != 0) {
        if (errno != ENOENT || cli_mkdir_p(o->out) != 0)
            cli_usage_fail("output folder '%s' cannot be created: %s", o->out,
                           strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        cli_usage_fail("output folder '%s' is not a folder", o->out);
    } else if (access(o->out, W_OK | X_OK) != 0) {
        cli_usage_fail("output folder '%s' is not writable", o->out);
    }
}

/* ---- one run ------------------------------------------------------------------ */

struct exec_result {
    const char *status;   /* ok failed crashed timeout error */
    int exit_code;        /* -1 if none */
    int signal;           /* 0 if none */
    double wall_s, user_s, sys_s;
    unsigned long long maxrss_bytes;
    bool have_stats;
    unsigned long long stats[32]; /* HL_EXEC_STATS_KEYS order */
    char why[256];        /* for cells.log: init_error, stderr's first line */
};

static const char *const stats_keys[] = {
#define KEY_(k) #k,
    HL_EXEC_STATS_KEYS(KEY_)
#undef KEY_
};
#define NSTATS (sizeof stats_keys / sizeof stats_keys[0])
_Static_assert(NSTATS <= 32, "exec_result.stats holds every key");

static volatile sig_atomic_t stop_sig;
static void on_stop(int sig) { stop_sig = sig; }

static double ts_diff(struct timespec a, struct timespec b)
{
    return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

/* The environment of a run: ours, then the caller's minus what we set. */
static char **run_env(const struct exec_alloc *a, const struct exec_opts *o,
                      const char *shim, const char *stats_dir, size_t *nown)
{
    size_t ne = 0;
    while (environ[ne])
        ne++;
    char **env = calloc(ne + 5, sizeof *env);
    if (!env)
        cli_fail("out of memory");
    size_t k = 0;
    const char *lib = a->project ? shim : a->preload;
    const char *old = getenv("LD_PRELOAD");
    if (lib[0] && asprintf(&env[k++], "LD_PRELOAD=%s%s%s", lib,
                           old && old[0] ? ":" : "", old ? old : "") < 0)
        cli_fail("out of memory");
    if (!lib[0] && old && asprintf(&env[k++], "LD_PRELOAD=%s", old) < 0)
        cli_fail("out of memory");
    if (a->project) {
        if (asprintf(&env[k++], "%s=%s", HL_EXEC_ALLOC_ENV, a->spec) < 0 ||
            asprintf(&env[k++], "%s=%llu", HL_EXEC_REGION_ENV,
                     (unsigned long long)o->region_mib << 20) < 0 ||
            asprintf(&env[k++], "%s=%s", HL_EXEC_STATS_ENV, stats_dir) < 0)
            cli_fail("out of memory");
    }
    *nown = k; /* env[0..k) are ours to free */
    for (size_t j = 0; j < ne; j++)
        if (strncmp(environ[j], "LD_PRELOAD=", 11) &&
            strncmp(environ[j], "HEAPLAB_EXEC_", 13))
            env[k++] = environ[j];
    env[k] = NULL;
    return env;
}

static void read_stats(const char *stats_dir, pid_t pid, struct exec_result *r)
{
    char path[PATH_MAX + 128];
    snprintf(path, sizeof path, "%s/%ld.stats", stats_dir, (long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[512];
    size_t seen = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        if (!strcmp(line, "init_error")) {
            snprintf(r->why, sizeof r->why, "shim: %s", eq + 1);
            r->status = "error";
        }
        for (size_t k = 0; k < NSTATS; k++)
            if (!strcmp(line, stats_keys[k])) {
                r->stats[k] = strtoull(eq + 1, NULL, 10);
                seen++;
            }
    }
    fclose(f);
    r->have_stats = seen == NSTATS;
}

/* The first non-empty line of the run's stderr file, for cells.log. */
static void first_line(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0]) {
            snprintf(out, cap, "%.*s", (int)(cap - 1), line);
            break;
        }
    }
    fclose(f);
}

static void run_one(const struct exec_opts *o, const struct exec_alloc *a,
                    const char *shim, const char *run_dir, unsigned rep,
                    struct exec_result *r)
{
    memset(r, 0, sizeof *r);
    r->exit_code = -1;
    char stats_dir[PATH_MAX + 64], err_path[PATH_MAX + 512];
    snprintf(stats_dir, sizeof stats_dir, "%s/.exec-stats.XXXXXX", run_dir);
    if (!mkdtemp(stats_dir))
        cli_fail("cannot create a folder in '%s': %s", run_dir, strerror(errno));
    snprintf(err_path, sizeof err_path, "%s/stderr/%s%s%s.%u.txt", run_dir,
             a->name, a->aparams[0] ? "." : "", a->aparams, rep);
    size_t nown = 0;
    char **env = run_env(a, o, shim, stats_dir, &nown);

    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old);
    fflush(stdout);
    fflush(stderr);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0)
        cli_fail("fork: %s", strerror(errno));
    if (pid == 0) {
        setpgid(0, 0);
        sigprocmask(SIG_SETMASK, &old, NULL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        int in = open(o->stdin_path ? o->stdin_path : "/dev/null", O_RDONLY);
        int out = open("/dev/null", O_WRONLY);
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0 || err < 0)
            _exit(127);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        for (int fd = 3; fd <= in || fd <= out || fd <= err; fd++)
            if (fd == in || fd == out || fd == err)
                close(fd);
        execve(o->cmd_path, o->cmd, env);
        dprintf(2, "heaplab exec: cannot run '%s': %s\n", o->cmd_path,
                strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid); /* also here: no race with the child's own call */
    struct rusage ru;
    int st = 0;
    bool timed_out = false;
    for (;;) {
        pid_t w = wait4(pid, &st, WNOHANG, &ru);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            cli_fail("wait4: %s", strerror(errno));
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double left = o->timeout_s - ts_diff(t0, t1);
        if (left <= 0 || stop_sig) {
            timed_out = !stop_sig;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR)
                ;
            break;
        }
        struct timespec wait = {(time_t)left, (long)((left - (long)left) * 1e9)};
        if (wait.tv_sec > 1) { /* look at stop_sig now and then */
            wait.tv_sec = 1;
            wait.tv_nsec = 0;
        }
        sigset_t cs = chld;
        sigtimedwait(&cs, NULL, &wait);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    kill(-pid, SIGKILL); /* anything CMD left running */
    sigprocmask(SIG_SETMASK, &old, NULL);

    r->wall_s = ts_diff(t0, t1);
    r->user_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
    r->sys_s = (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    r->maxrss_bytes = (unsigned long long)ru.ru_maxrss * 1024ull;
    if (timed_out) {
        r->status = "timeout";
        snprintf(r->why, sizeof r->why, "killed after %u s (--timeout)",
                 o->timeout_s);
    } else if (stop_sig) {
        r->status = "error";
        snprintf(r->why, sizeof r->why, "interrupted (signal %d)", (int)stop_sig);
    } else if (WIFSIGNALED(st)) {
        r->status = "crashed";
        r->signal = WTERMSIG(st);
        snprintf(r->why, sizeof r->why, "killed by signal %d (%s)", r->signal,
                 strsignal(r->signal));
    } else {
        r->exit_code = WEXITSTATUS(st);
        r->status = r->exit_code == 0 ? "ok" : "failed";
        if (r->exit_code)
            snprintf(r->why, sizeof r->why, "exit status %d", r->exit_code);
    }
    if (a->project)
        read_stats(stats_dir, pid, r);
    if (a->project && !r->have_stats && !strcmp(r->status, "ok")) {
        r->status = "error";
        snprintf(r->why, sizeof r->why, "the shim wrote no stats (statically "
                 "linked or setuid program, or it ended by _exit?)");
    }
    if (r->exit_code == 127 && !strcmp(r->status, "failed")) {
        r->status = "error"; /* execve failed, or the shim refused to start */
        if (!r->why[0] || !strncmp(r->why, "exit", 4))
            snprintf(r->why, sizeof r->why, "exit status 127");
    }
    if (strcmp(r->status, "ok")) {
        char line[200] = "";
        first_line(err_path, line, sizeof line);
        if (line[0]) {
            size_t n = strlen(r->why);
            snprintf(r->why + n, sizeof r->why - n, "; stderr: %s", line);
        }
    }
    /* the stats folder, with what forked children wrote there */
    DIR *d = opendir(stats_dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char p[PATH_MAX + 400];
        snprintf(p, sizeof p, "%s/%s", stats_dir, de->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(stats_dir);
    for (size_t j = 0; j < nown; j++)
        free(env[j]);
    free(env);
}

/* ---- rows ---------------------------------------------------------------------- */

struct exec_run {
    const struct exec_alloc *a;
    unsigned rep, order;
    struct exec_result r;
};

static void cmd_text(char *const *cmd, char *out, size_t cap)
{
    size_t at = 0;
    out[0] = '\0';
    for (char *const *p = cmd; *p && at + 1 < cap; p++) {
        int n = snprintf(out + at, cap - at, "%s%s", p == cmd ? "" : " ", *p);
        if (n < 0)
            break;
        at += (size_t)n;
    }
}

static unsigned long long stat_of(const struct exec_result *r, const char *key)
{
    for (size_t k = 0; k < NSTATS; k++)
        if (!strcmp(stats_keys[k], key))
            return r->stats[k];
    return 0;
}

static void join_row(struct dbuf *b, char v[][64], const char *const *text,
                     size_t n)
{
    for (size_t c = 0; c < n; c++) {
        if (c)
            dbuf_add(b, ",", 1);
        dbuf_add_field(b, text[c] ? text[c] : v[c]);
    }
    dbuf_add(b, "\n", 1);
}

static bool has_figures(const struct exec_result *r)
{
    return !strcmp(r->status, "ok") || !strcmp(r->status, "failed");
}

static void write_program_row(int fd, const char *run_id, const char *name,
                              const char *command, const struct exec_opts *o,
                              const struct exec_run *x)
{
    char v[PROGRAMS_COLUMNS][64];
    const char *text[PROGRAMS_COLUMNS] = {0};
    memset(v, 0, sizeof v);
    const struct exec_result *r = &x->r;
    text[PRG_RUN_ID] = run_id;
    text[PRG_ENV] = "host";
    text[PRG_ALLOCATOR] = x->a->name;
    text[PRG_KIND] = x->a->project ? "project" : "baseline";
    text[PRG_ALLOC_PARAMS] = x->a->aparams;
    text[PRG_PROGRAM] = name;
    text[PRG_COMMAND] = command;
    snprintf(v[PRG_REP], 64, "%u", x->rep);
    snprintf(v[PRG_ORDER], 64, "%u", x->order);
    text[PRG_STATUS] = r->status;
    if (r->exit_code >= 0)
        snprintf(v[PRG_EXIT_CODE], 64, "%d", r->exit_code);
    if (r->signal)
        snprintf(v[PRG_SIGNAL], 64, "%d", r->signal);
    if (has_figures(r)) {
        snprintf(v[PRG_WALL_S], 64, "%.6f", r->wall_s);
        snprintf(v[PRG_USER_S], 64, "%.6f", r->user_s);
        snprintf(v[PRG_SYS_S], 64, "%.6f", r->sys_s);
        snprintf(v[PRG_MAXRSS_BYTES], 64, "%llu", r->maxrss_bytes);
    }
    if (x->a->project)
        snprintf(v[PRG_REGION_BYTES], 64, "%llu",
                 (unsigned long long)o->region_mib << 20);
    if (r->have_stats) {
        static const int cols[] = {
            PRG_CAPACITY_BYTES, PRG_META_BYTES, PRG_LIVE_BYTES,
            PRG_LIVE_BLOCKS, PRG_HELD_BYTES, PRG_PEAK_HELD_BYTES,
            PRG_PROGRAM_LIVE_BYTES, PRG_PROGRAM_PEAK_LIVE_BYTES, PRG_ALLOCS,
            PRG_FREES, PRG_FAILED_ALLOCS, PRG_REALLOCS, PRG_REALLOC_COPIES,
            PRG_ALIGNED_ALLOCS, PRG_FOREIGN_FREES};
        _Static_assert(sizeof cols / sizeof cols[0] == NSTATS,
                       "a programs.csv column per stats key, in order");
        for (size_t k = 0; k < NSTATS; k++)
            snprintf(v[cols[k]], 64, "%llu", r->stats[k]);
    }
    struct dbuf b = {0};
    join_row(&b, v, text, PROGRAMS_COLUMNS);
    res_write(fd, b.p, b.len, "programs.csv");
    dbuf_free(&b);
}

static void write_cell_row(int fd, const char *run_id, const char *name,
                           const char *command, const struct exec_run *x)
{
    char v[CELL_COLUMNS][64];
    const char *text[CELL_COLUMNS] = {0};
    memset(v, 0, sizeof v);
    const struct exec_result *r = &x->r;
    text[COL_RUN_ID] = run_id;
    text[COL_ENV] = "host";
    text[COL_CLOCK] = "wall_ns";
    text[COL_ALLOCATOR] = x->a->name;
    text[COL_FAMILY] = "program";
    text[COL_WORKLOAD] = name;
    text[COL_PARAMS] = command;
    text[COL_SEED] = "0";
    snprintf(v[COL_REP], 64, "%u", x->rep);
    snprintf(v[COL_LAUNCH], 64, "%u", x->rep);
    text[COL_STATUS] = r->status;
    text[COL_ALLOC_PARAMS] = x->a->aparams;
    text[COL_ATTEMPTS] = "1";
    text[COL_DISTURBED] = "0";
    if (has_figures(r)) {
        text[COL_OPS] = "1";
        snprintf(v[COL_CYCLES_PER_OP], 64, "%.0f", r->wall_s * 1e9);
        memcpy(v[COL_RAW_CYCLES_PER_OP], v[COL_CYCLES_PER_OP], 64);
        text[COL_HARNESS_FLOOR] = "0";
        text[COL_STREAM_REPEATS] = "1";
    }
    if (r->have_stats) {
        snprintf(v[COL_PEAK_LIVE_BYTES], 64, "%llu",
                 stat_of(r, "program_peak_live_bytes"));
        snprintf(v[COL_PEAK_FOOTPRINT_BYTES], 64, "%llu",
                 stat_of(r, "peak_held_bytes"));
        snprintf(v[COL_FAILED_ALLOCS], 64, "%llu", stat_of(r, "failed_allocs"));
    }
    struct dbuf b = {0};
    join_row(&b, v, text, CELL_COLUMNS);
    res_write(fd, b.p, b.len, "cells.csv");
    dbuf_free(&b);
}

/* ---- the table on stdout --------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(double *v, size_t n)
{
    if (n == 0)
        return 0.0 / 0.0;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void print_table(const struct exec_opts *o, const struct exec_run *runs,
                        size_t nruns, const char *name)
{
    printf("%s: median over the runs with figures (ok or failed)\n", name);
    printf("  %-40s %-8s %5s %9s %9s %9s %11s %12s\n", "allocator", "status",
           "n", "wall_s", "user_s", "sys_s", "maxrss_MiB", "peak_held_MiB");
    double *w = calloc(nruns * 5 + 1, sizeof *w);
    if (!w)
        cli_fail("out of memory");
    for (size_t i = 0; i < o->nal; i++) {
        const struct exec_alloc *a = &o->al[i];
        size_t n = 0;
        const char *worst = "ok";
        static const char *const rank[] = {"ok", "failed", "error", "timeout",
                                           "crashed"};
        int wr = 0;
        for (size_t j = 0; j < nruns; j++) {
            if (runs[j].a != a)
                continue;
            const struct exec_result *r = &runs[j].r;
            for (int k = 0; k < 5; k++)
                if (!strcmp(r->status, rank[k]) && k > wr) {
                    wr = k;
                    worst = rank[k];
                }
            if (!has_figures(r))
                continue;
            w[n] = r->wall_s;
            w[nruns + n] = r->user_s;
            w[2 * nruns + n] = r->sys_s;
            w[3 * nruns + n] = (double)r->maxrss_bytes / 1048576.0;
            w[4 * nruns + n] = r->have_stats
                ? (double)stat_of(r, "peak_held_bytes") / 1048576.0
                : 0.0 / 0.0;
            n++;
        }
        char label[340];
        snprintf(label, sizeof label, "%s%s%s", a->name,
                 a->aparams[0] ? ":" : "", a->aparams);
        double held = median_of(w + 4 * nruns, n);
        char held_text[32] = "-";
        if (held == held)
            snprintf(held_text, sizeof held_text, "%.1f", held);
        size_t made = 0;
        for (size_t j = 0; j < nruns; j++)
            made += runs[j].a == a;
        if (n == 0) {
            printf("  %-40s %-8s %5zu %9s %9s %9s %11s %12s\n", label,
                   made ? worst : "not run", n, "-", "-", "-", "-", "-");
            continue;
        }
        printf("  %-40s %-8s %5zu %9.3f %9.3f %9.3f %11.1f %12s\n", label,
               worst, n, median_of(w, n), median_of(w + nruns, n),
               median_of(w + 2 * nruns, n), median_of(w + 3 * nruns, n),
               held_text);
    }
    free(w);
}

/* ---- the command ----------------------------------------------------------------- */

static void write_meta(int fd, const char *run_id, const struct exec_opts *o,
                       int argc, char **argv, const char *shim,
                       const char *command)
{
    res_write(fd, "key,value\n", 10, "meta.csv");
    char text[4096];
    res_meta(fd, "run_id", run_id);
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S%z", &tm);
    res_meta(fd, "date", text);
    struct dbuf cl = {0};
    for (int i = 0; i < argc; i++) {
        if (i)
            dbuf_add(&cl, " ", 1);
        dbuf_add(&cl, argv[i], strlen(argv[i]));
    }
    res_meta(fd, "command_line", cl.p ? cl.p : "");
    dbuf_free(&cl);
    res_meta_build(fd);
    sys_cpu_model(text, sizeof text);
    res_meta(fd, "cpu_model", text);
    res_metaf(fd, "nproc", "%ld", sysconf(_SC_NPROCESSORS_ONLN));
    sys_kernel(text, sizeof text);
    res_meta(fd, "kernel", text);
    res_meta(fd, "exec.program", o->name);
    res_meta(fd, "exec.command", command);
    res_meta(fd, "exec.path", o->cmd_path);
    res_meta(fd, "exec.stdin", o->stdin_path ? o->stdin_path : "/dev/null");
    res_metaf(fd, "reps", "%u", o->reps);
    res_metaf(fd, "exec.region_bytes", "%llu",
              (unsigned long long)o->region_mib << 20);
    res_metaf(fd, "timeout_s", "%u", o->timeout_s);
    res_meta(fd, "exec.order", "round-robin: rep 0 of every allocator in "
                               "--allocators order, then rep 1, ...");
    res_meta(fd, "exec.wall_clock", "CLOCK_MONOTONIC, just before fork to "
                                    "wait4's return (cells.csv: clock=wall_ns)");
    res_meta(fd, "exec.rusage", "wait4 of the program's process: user, "
                                "system, ru_maxrss (its reaped children's "
                                "included, by the kernel's accounting)");
    res_meta(fd, "exec.shim", shim[0] ? shim : "none (no heaplab allocator)");
    for (size_t i = 0; i < o->nal; i++) {
        const struct exec_alloc *a = &o->al[i];
        char key[128];
        snprintf(key, sizeof key, "exec.preload.%s", a->name);
        res_meta(fd, key, a->project ? shim : a->preload[0] ? a->preload
                                                             : "none (glibc)");
    }
}

int cmd_exec(int argc, char **argv)
{
    static struct exec_opts o;
    parse_opts(argc, argv, &o);
    char shim[PATH_MAX] = "";
    bool any_project = false;
    for (size_t i = 0; i < o.nal; i++)
        any_project |= o.al[i].project;
    if (any_project && !find_shim(shim, sizeof shim))
        cli_fail("libheaplab-exec.so not found (set HEAPLAB_EXEC_LIB)");
    const char *warn = cli_build_warning();
    if (warn)
        fprintf(stderr, "heaplab exec: WARNING: %s\n", warn);

    char dir[PATH_MAX], run_id[128], sub[PATH_MAX + 16];
    make_run_dir(o.out, dir, sizeof dir, run_id, sizeof run_id);
    snprintf(sub, sizeof sub, "%s/stderr", dir);
    if (mkdir(sub, 0755) != 0)
        cli_fail("cannot create '%s': %s", sub, strerror(errno));
    char command[8192];
    cmd_text(o.cmd, command, sizeof command);
    int fmeta = res_create(dir, "meta.csv");
    int fprog = res_create(dir, "programs.csv");
    int fcells = res_create(dir, "cells.csv");
    int flog = res_create(dir, "cells.log");
    write_meta(fmeta, run_id, &o, argc, argv, shim, command);
    const char *ph = HL_HEADER(HL_PROGRAMS_COLUMNS) + 1;
    res_write(fprog, ph, strlen(ph), "programs.csv");
    res_write(fprog, "\n", 1, "programs.csv");
    const char *ch = HL_HEADER(HL_CELLS_COLUMNS) + 1;
    res_write(fcells, ch, strlen(ch), "cells.csv");
    res_write(fcells, "\n", 1, "cells.csv");

    struct sigaction sa = {.sa_handler = on_stop}, old_int, old_term;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    size_t total = (size_t)o.reps * o.nal, nruns = 0;
    bool tty = isatty(2);
    struct exec_run *runs = calloc(total, sizeof *runs);
    if (!runs)
        cli_fail("out of memory");
    for (unsigned rep = 0; rep < o.reps && !stop_sig; rep++)
        for (size_t i = 0; i < o.nal && !stop_sig; i++) {
            struct exec_run *x = &runs[nruns];
            x->a = &o.al[i];
            x->rep = rep;
            x->order = (unsigned)nruns;
            run_one(&o, x->a, shim, dir, rep, &x->r);
            if (stop_sig)
                break; /* the interrupted run is no measurement */
            nruns++;
            write_program_row(fprog, run_id, o.name, command, &o, x);
            write_cell_row(fcells, run_id, o.name, command, x);
            struct dbuf b = {0};
            dbuf_addf(&b, "%s %s%s%s rep %u: %s, %.3f s wall, %.1f MiB max "
                      "RSS%s%s\n", o.name, x->a->name,
                      x->a->aparams[0] ? ":" : "", x->a->aparams, rep,
                      x->r.status, x->r.wall_s,
                      (double)x->r.maxrss_bytes / 1048576.0,
                      x->r.why[0] ? ": " : "", x->r.why);
            res_write(flog, b.p, b.len, "cells.log");
            dbuf_free(&b);
            if (tty)
                fprintf(stderr, "\rheaplab exec: %zu/%zu runs", nruns, total);
        }
    if (tty)
        fprintf(stderr, "\n");
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    res_metaf(fmeta, "runs_made", "%zu", nruns);
    close(fprog);
    close(fcells);
    close(flog);
    if (nruns && run_summary_write(dir, 0, NULL) != 0)
        res_meta(fmeta, "summary", "not written (see stderr)");
    close(fmeta);
    print_table(&o, runs, nruns, o.name);
    printf("run folder: %s\n", dir);
    free(runs);
    if (stop_sig) {
        fprintf(stderr, "heaplab exec: interrupted after %zu of %zu runs\n",
                nruns, total);
        return 130;
    }
    return CLI_EXIT_OK;
}
