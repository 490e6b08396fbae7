/*
 * proc.c — child processes (proc.h): fork + execve with stdin on
 * /dev/null and stdout/stderr on pipes, the pipes read under a
 * wall-clock deadline with poll, SIGTERM then SIGKILL, the reaping, and
 * the one description of how a child ended.
 *
 * The read loop wakes at least every 200 ms, so a stop request
 * (SIGINT/SIGTERM setting *sink.stop) is noticed while a child is
 * silent.  A child that closes its pipes but lives on is waited for
 * under the same deadline.
 */
#define _GNU_SOURCE
#include "bench/host/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/host/cli.h"

extern char **environ;

/* The longest the loop sleeps between looks at a stop request. */
#define PROC_WAKE_MS 200

double proc_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- starting -------------------------------------------------------------------- */

/* In the child: fd becomes target (the pipe's write end, /dev/null or
 * the caller's descriptor). */
static void child_io(enum proc_io io, int pipe_w, int given, int devnull, int target)
{
    int fd = io == PROC_IO_PIPE ? pipe_w : io == PROC_IO_FD ? given : devnull;
    if (fd >= 0 && fd != target)
        dup2(fd, target);
}

void proc_start(struct proc *c, const struct proc_spec *s)
{
    int out[2] = {-1, -1}, err[2] = {-1, -1};
    if ((s->out == PROC_IO_PIPE && pipe2(out, O_CLOEXEC) != 0) ||
        (s->err == PROC_IO_PIPE && pipe2(err, O_CLOEXEC) != 0))
        cli_fail("pipe: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        cli_fail("fork: %s", strerror(errno));
    if (pid == 0) {
        if (s->own_group)
            setpgid(0, 0);
        if (s->no_aslr) {
            int pers = personality(0xffffffff);
            if (pers == -1 || personality((unsigned long)pers | ADDR_NO_RANDOMIZE) == -1) {
                dprintf(STDERR_FILENO, "heaplab: personality(ADDR_NO_RANDOMIZE): %s\n",
                        strerror(errno));
                _exit(126);
            }
        }
        int devnull = open("/dev/null", O_RDWR);
        /* stderr last: an exec failure below must be said where asked */
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO);
        child_io(s->out, out[1], s->out_fd, devnull, STDOUT_FILENO);
        child_io(s->err, err[1], s->err_fd, devnull, STDERR_FILENO);
        if (s->cwd && chdir(s->cwd) != 0) {
            dprintf(STDERR_FILENO, "heaplab: cannot enter '%s': %s\n", s->cwd,
                    strerror(errno));
            _exit(126);
        }
        execve(s->path, s->argv, s->envp ? s->envp : environ);
        dprintf(STDERR_FILENO, "heaplab: exec %s: %s\n", s->path, strerror(errno));
        _exit(127);
    }
    if (out[1] >= 0)
        close(out[1]);
    if (err[1] >= 0)
        close(err[1]);
    *c = (struct proc){.pid = pid, .out = out[0], .err = err[0], .t0 = proc_now_s()};
}

char **proc_env(char *const *set, const char *const *unset)
{
    size_t n = 0, nset = 0;
    while (environ[n])
        n++;
    while (set && set[nset])
        nset++;
    char **env = calloc(n + nset + 1, sizeof *env);
    if (!env)
        cli_fail("out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *e = environ[i];
        size_t name = strcspn(e, "=");
        bool drop = false;
        for (size_t j = 0; unset && unset[j] && !drop; j++)
            drop = strlen(unset[j]) == name && !strncmp(e, unset[j], name);
        for (size_t j = 0; j < nset && !drop; j++)
            drop = strcspn(set[j], "=") == name && !strncmp(e, set[j], name);
        if (!drop)
            env[k++] = environ[i];
    }
    for (size_t j = 0; j < nset; j++)
        env[k++] = set[j];
    env[k] = NULL;
    return env;
}

/* ---- reading, ending, reaping ---------------------------------------------------- */

/* Reap without blocking; true once reaped. */
static bool try_reap(struct proc *c)
{
    for (;;) {
        pid_t r = waitpid(c->pid, &c->wstatus, WNOHANG);
        if (r == c->pid)
            return true;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) /* not our child any more: nothing left to wait for */
            return true;
        return false;
    }
}

static void nap_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
    nanosleep(&ts, NULL);
}

/* SIGTERM, then SIGKILL after grace_ms; reaps. */
static void terminate(struct proc *c, unsigned grace_ms)
{
    kill(c->pid, SIGTERM);
    double until = proc_now_s() + grace_ms / 1000.0;
    while (!try_reap(c)) {
        if (proc_now_s() >= until) {
            kill(c->pid, SIGKILL);
            while (waitpid(c->pid, &c->wstatus, 0) < 0 && errno == EINTR)
                ;
            return;
        }
        nap_ms(20);
    }
}

/* Read what one pipe has: false once it is closed. */
static bool drain(int fd, void (*to)(void *, const char *, size_t), void *ctx)
{
    char buf[1 << 16];
    ssize_t got = read(fd, buf, sizeof buf);
    if (got < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (got <= 0)
        return false;
    if (to)
        to(ctx, buf, (size_t)got);
    return true;
}

enum proc_end proc_wait(struct proc *c, double limit_s, unsigned grace_ms,
                        const struct proc_sink *sink)
{
    static const struct proc_sink none = {0};
    const struct proc_sink *k = sink ? sink : &none;
    c->limit_s = limit_s;
    double deadline = limit_s > 0 ? c->t0 + limit_s : 0;
    c->how = PROC_EXITED;
    bool reaped = false;
    unsigned nap = 1;
    for (;;) {
        if (k->give_up && k->give_up(k->ctx)) {
            c->how = PROC_GAVE_UP;
            break;
        }
        if (k->stop && *k->stop) {
            c->how = PROC_STOPPED;
            break;
        }
        double left = deadline > 0 ? deadline - proc_now_s() : PROC_WAKE_MS / 1000.0;
        if (left <= 0) {
            c->how = PROC_TIMEOUT;
            break;
        }
        int ms = left > PROC_WAKE_MS / 1000.0 ? PROC_WAKE_MS : (int)(left * 1000) + 1;
        if (c->out < 0 && c->err < 0) {
            /* pipes closed (or none): wait for the exit itself */
            if ((reaped = try_reap(c)))
                break;
            nap_ms(nap < (unsigned)ms ? nap : (unsigned)ms);
            nap = nap < 20 ? nap * 2 : 20;
            continue;
        }
        struct pollfd pfd[2] = {{c->out, POLLIN, 0}, {c->err, POLLIN, 0}};
        int n = poll(pfd, 2, ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            cli_fail("poll: %s", strerror(errno));
        if (c->out >= 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
            !drain(c->out, k->out, k->ctx)) {
            close(c->out);
            c->out = -1;
        }
        if (c->err >= 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
            !drain(c->err, k->err, k->ctx)) {
            close(c->err);
            c->err = -1;
        }
    }
    if (!reaped && c->how != PROC_EXITED)
        terminate(c, grace_ms);
    if (c->out >= 0)
        close(c->out);
    if (c->err >= 0)
        close(c->err);
    c->out = c->err = -1;
    c->wall_s = proc_now_s() - c->t0;
    return c->how;
}

/* ---- describing -------------------------------------------------------------------- */

bool proc_exit_code(const struct proc *c, int *code)
{
    if (c->how != PROC_EXITED || !WIFEXITED(c->wstatus))
        return false;
    *code = WEXITSTATUS(c->wstatus);
    return true;
}

void proc_describe_wstatus(int wstatus, char *buf, size_t cap)
{
    if (WIFSIGNALED(wstatus)) {
        const char *abbrev = sigabbrev_np(WTERMSIG(wstatus));
        snprintf(buf, cap, "signal SIG%s", abbrev ? abbrev : "?");
    } else if (WIFEXITED(wstatus)) {
        snprintf(buf, cap, "exit status %d", WEXITSTATUS(wstatus));
    } else {
        snprintf(buf, cap, "wait status %d", wstatus);
    }
}

void proc_describe(const struct proc *c, char *buf, size_t cap)
{
    switch (c->how) {
    case PROC_EXITED:
        proc_describe_wstatus(c->wstatus, buf, cap);
        break;
    case PROC_TIMEOUT:
        snprintf(buf, cap, "no end after %.0f s: killed", c->limit_s);
        break;
    case PROC_STOPPED:
        snprintf(buf, cap, "interrupted: killed");
        break;
    case PROC_GAVE_UP:
        snprintf(buf, cap, "stopped by heaplab: killed");
        break;
    }
}
