/*
 * proc.h — the one child-process helper of heaplab: cell children
 * (spawn.c), QEMU boots and `qemu --version` (qemu.c) and gnuplot
 * (plot.c) are all started, read, timed out, stopped, reaped and
 * described here.
 *
 *   struct proc c;
 *   proc_start(&c, &spec);                   fork + execve; stdin /dev/null
 *   proc_wait(&c, limit_s, grace_ms, &sink); stdout/stderr pipes to the
 *                                            sink until both close; at the
 *                                            deadline, a stop request or the
 *                                            sink giving up: SIGTERM, then
 *                                            SIGKILL after grace_ms; reaped
 *   proc_describe(&c, text, sizeof text);    "exit status 3",
 *                                            "signal SIGSEGV",
 *                                            "no end after 30 s: killed",
 *                                            "interrupted: killed"
 *
 * A failure of the machine (pipe, fork, poll) exits heaplab with status 1
 * (cli_fail).  A child that cannot exec says so on its stderr ("heaplab:
 * exec PATH: why") and exits 127.
 */
#ifndef HEAPLAB_PROC_H
#define HEAPLAB_PROC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* What a child's stdout or stderr is connected to. */
enum proc_io {
    PROC_IO_NULL, /* /dev/null */
    PROC_IO_PIPE, /* a pipe, read by proc_wait into the sink */
    PROC_IO_FD,   /* a descriptor of ours (e.g. cells.log) */
};

struct proc_spec {
    const char *path;      /* the executable (no PATH search) */
    char *const *argv;     /* argv[0] first, NULL last */
    char *const *envp;     /* NULL: our environment (proc_env builds one) */
    const char *cwd;       /* NULL: ours; the child exits 126 if it cannot */
    enum proc_io out, err; /* stdout, stderr */
    int out_fd, err_fd;    /* PROC_IO_FD: the descriptor to give */
    bool own_group;        /* setpgid(0, 0): a ^C reaches heaplab only, which
                              then stops the child itself */
    bool no_aslr;          /* personality(ADDR_NO_RANDOMIZE): the child's
                              mappings at the same addresses in every run
                              (the modelled clock: a cache model's sets
                              follow the addresses) */
};

/* How proc_wait ended. */
enum proc_end {
    PROC_EXITED,  /* the child ended by itself (wstatus says how) */
    PROC_TIMEOUT, /* the deadline passed: terminated */
    PROC_STOPPED, /* *sink.stop became non-zero: terminated */
    PROC_GAVE_UP, /* sink.give_up said so: terminated */
};

struct proc {
    pid_t pid;
    int out, err;         /* read ends of PROC_IO_PIPE streams, else -1 */
    double t0;            /* proc_now_s() at the start */
    double limit_s;       /* proc_wait's limit (0: none) */
    enum proc_end how;    /* set by proc_wait */
    int wstatus;          /* waitpid's status, set by proc_wait */
    double wall_s;        /* start to reaped, set by proc_wait */
};

/* Where proc_wait sends what it reads.  Every member may be NULL/0. */
struct proc_sink {
    void (*out)(void *ctx, const char *data, size_t n); /* NULL: dropped */
    void (*err)(void *ctx, const char *data, size_t n); /* NULL: dropped */
    bool (*give_up)(void *ctx); /* asked after each read: true stops */
    void *ctx;
    const volatile sig_atomic_t *stop; /* non-zero: stop (run_stop_requested) */
};

/* SIGTERM first; SIGKILL this long after, by default. */
#define PROC_GRACE_MS 2000u

/* The monotonic clock, seconds. */
double proc_now_s(void);

/* Start the child.  pre: every PROC_IO_FD descriptor open. */
void proc_start(struct proc *c, const struct proc_spec *s);

/* Read the child's pipes until both are closed and the child has ended,
 * for at most limit_s seconds (0: no limit); end it (SIGTERM, SIGKILL
 * after grace_ms) if the limit passes, sink->stop is set or
 * sink->give_up() says so; reap it; close the pipes.  Returns c->how. */
enum proc_end proc_wait(struct proc *c, double limit_s, unsigned grace_ms,
                        const struct proc_sink *sink);

/* true if the child exited by itself with a status (*code); false if a
 * signal ended it or proc_wait ended it. */
bool proc_exit_code(const struct proc *c, int *code);

/* One phrase for how the child ended (see the top of this file). */
void proc_describe(const struct proc *c, char *buf, size_t cap);

/* The wait status alone: "exit status 3", "signal SIGSEGV". */
void proc_describe_wstatus(int wstatus, char *buf, size_t cap);

/* A copy of our environment without the variables named in unset[] and
 * without those set[] gives ("NAME=value"), then set[] appended (both
 * NULL-terminated; either may be NULL).  Free with free(); the strings
 * are not copied. */
char **proc_env(char *const *set, const char *const *unset);

#endif /* HEAPLAB_PROC_H */
