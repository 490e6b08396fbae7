/*
 * cli.h — what the files of the `heaplab` command share: the exit
 * statuses, one-line error reporting, strict number parsing, the
 * allocator lookup that spans the registry, the baselines and the
 * test-only allocators, and the subcommands' entry points.
 *
 * Error convention: bad usage (an unknown name, a malformed number, a
 * missing folder) prints ONE line "heaplab: ..." naming the bad value on
 * stderr and exits with CLI_EXIT_USAGE (2); a failure of the machine
 * (fork, write) prints one line and exits with CLI_EXIT_FAIL (1).
 */
#ifndef HEAPLAB_CLI_H
#define HEAPLAB_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "allocators/allocator.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

/* Print "heaplab: <message>\n" on stderr and exit 2. */
_Noreturn void cli_usage_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* Print "heaplab: <message>\n" on stderr and exit 1. */
_Noreturn void cli_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* The value of option argv[*i] (argv[*i + 1]), advancing *i; exits 2
 * naming the option if there is none. */
const char *cli_value(int argc, char **argv, int *i);

/* An unsigned decimal in [min, max]: digits only, no sign, no spaces, no
 * overflow; else exits 2 naming opt and the text. */
uint64_t cli_parse_u64(const char *opt, const char *text, uint64_t min,
                       uint64_t max);

/* mkdir -p: create path and its missing parents (0755).  0, or -1 with
 * errno. */
int cli_mkdir_p(const char *path);
/* Is name an executable regular file, as execvp would find it (a name
 * with a '/' as it is, else along $PATH)?  Its path in out. */
bool cli_find_cmd(const char *name, char *out, size_t cap);

/* A decimal number (strtod syntax, finite) in [min, max]; else exits 2
 * naming opt and the text. */
double cli_parse_double(const char *opt, const char *text, double min,
                        double max);

/* Split a comma list in place into at most max items (empty items and
 * more than max items exit 2 naming opt).  Returns the count. */
size_t cli_split(const char *opt, char *text, char **items, size_t max);

/* True if s names the help flag. */
bool cli_is_help(const char *s);

/* snprintf into buf that may cut its text on purpose (reasons,
 * one-liners). */
void cli_say(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Copy src into dst, cut to cap - 1 bytes. */
void cli_copy_str(char *dst, size_t cap, const char *src);

/* The path of program `name`: $env_var if set (it must be executable),
 * else the first executable `name` on $PATH.  false if none. */
bool cli_find_program(const char *name, const char *env_var, char *out,
                      size_t cap);

/* ---- allocators as the command sees them ---------------------------------- */

enum cli_alloc_kind {
    CLI_ALLOC_PROJECT,  /* from allocators/registry.c */
    CLI_ALLOC_BASELINE, /* bench/host/baselines.c */
    CLI_ALLOC_TEST,     /* test-only (heaplab-testbuild) */
    CLI_ALLOC_VM,       /* a mapping kind of the vm family (bench/core/vmpass.h) */
};

struct hl_baseline; /* baselines.h */

struct cli_alloc {
    const struct hl_allocator *a;
    enum cli_alloc_kind kind;
    const struct hl_baseline *baseline; /* CLI_ALLOC_BASELINE only */
};

/* The allocator called name in any of the three tables; false if none. */
bool cli_alloc_find(const char *name, struct cli_alloc *out);

/* Visit every allocator, in `heaplab list` order: the registry, the
 * baselines, test-only ones, then the vm family's mapping kinds.
 * Returns the count visited. */
size_t cli_alloc_each(void (*fn)(void *ctx, const struct cli_alloc *ca),
                      void *ctx);

/* NULL if baseline b can run here, else why not: "not installed", or
 * "unavailable in a sanitized build" (a preloaded allocator and the
 * sanitizer runtime both claim malloc: the child crashes). */
const char *cli_baseline_unavailable(const struct hl_baseline *b);

/* Test-only allocators: NULL-terminated; empty unless the binary is
 * heaplab-testbuild (test_allocators.c vs no_test_allocators.c). */
extern const struct hl_allocator *const hl_test_allocators[];

/* ---- facts fixed when the binary was built (build_info.c) ----------------- */

struct cli_build_info {
    const char *compiler;   /* "GNU 12.2.0" */
    const char *c_flags;    /* the build type's flags included */
    const char *build_type; /* "Release" */
    const char *sanitize;   /* "" or "address,undefined" */
    const char *source_dir; /* the source tree (plots/, the kernel) */
    const char *git_commit; /* its commit when built, "-dirty" if changed */
    int check_level;        /* HL_CHECK_LEVEL */
};

extern const struct cli_build_info cli_build;

/* Non-NULL: why timing this build gives no release figures. */
const char *cli_build_warning(void);

/* ---- subcommands ------------------------------------------------------------ */

int cmd_list(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_compare(int argc, char **argv); /* compare.c */
int cmd_repeat(int argc, char **argv);  /* repeat.c */
int cmd_summary(int argc, char **argv); /* summary_cmd.c */
int cmd_merge(int argc, char **argv);   /* merge.c */
int cmd_plot(int argc, char **argv); /* plot.c */
int cmd_record(int argc, char **argv); /* trace_cmd.c */
int cmd_trace(int argc, char **argv);  /* trace_cmd.c */
int cmd_exec(int argc, char **argv);   /* exec.c */
int cmd_cell(int argc, char **argv); /* hidden: the child of `run` */

#endif /* HEAPLAB_CLI_H */
