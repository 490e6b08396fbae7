/*
 * test_proc.c — the child-process helper (bench/host/proc.h) on real
 * children (/bin/sh): stdout and stderr on pipes, the environment and
 * working folder given, how a child ended described (exit status, signal,
 * a deadline, a stop request, the sink giving up), SIGTERM then SIGKILL
 * for a child that ignores SIGTERM, a child that closes its pipes but
 * lives on, an exec that fails.  No test compares two timings; the
 * deadlines here are generous bounds only.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "bench/host/proc.h"
#include "bench/host/results.h"

struct out {
    struct dbuf o, e;
    int reads;
    size_t give_up_after; /* bytes of stdout; 0: never */
};

static void keep_out(void *ctx, const char *data, size_t n)
{
    struct out *x = ctx;
    dbuf_add(&x->o, data, n);
    x->reads++;
}

static void keep_err(void *ctx, const char *data, size_t n)
{
    dbuf_add(&((struct out *)ctx)->e, data, n);
}

static bool enough(void *ctx)
{
    struct out *x = ctx;
    return x->give_up_after && x->o.len >= x->give_up_after;
}

/* Run `sh -c script` with both streams on pipes. */
static enum proc_end run_sh(struct proc *c, const char *script, double limit_s,
                            unsigned grace_ms, struct out *x,
                            const volatile sig_atomic_t *stop)
{
    char *argv[] = {"sh", "-c", (char *)script, NULL};
    struct proc_spec spec = {.path = "/bin/sh", .argv = argv, .out = PROC_IO_PIPE,
                             .err = PROC_IO_PIPE};
    struct proc_sink sink = {.out = keep_out, .err = keep_err, .give_up = enough,
                             .ctx = x, .stop = stop};
    proc_start(c, &spec);
    return proc_wait(c, limit_s, grace_ms, &sink);
}

static void free_out(struct out *x)
{
    dbuf_free(&x->o);
    dbuf_free(&x->e);
}

static void test_exit_status_and_streams(void **state)
{
    (void)state;
    struct proc c;
    struct out x = {0};
    assert_int_equal(run_sh(&c, "echo out; echo err >&2; exit 3", 60, 100, &x, NULL),
                     PROC_EXITED);
    assert_string_equal(x.o.p, "out\n");
    assert_string_equal(x.e.p, "err\n");
    int code = -1;
    assert_true(proc_exit_code(&c, &code));
    assert_int_equal(code, 3);
    char how[96];
    proc_describe(&c, how, sizeof how);
    assert_string_equal(how, "exit status 3");
    assert_int_equal(c.out, -1);
    assert_int_equal(c.err, -1);
    free_out(&x);
}

static void test_signal(void **state)
{
    (void)state;
    struct proc c;
    struct out x = {0};
    assert_int_equal(run_sh(&c, "kill -SEGV $$", 60, 100, &x, NULL), PROC_EXITED);
    int code;
    assert_false(proc_exit_code(&c, &code));
    char how[96];
    proc_describe(&c, how, sizeof how);
    assert_string_equal(how, "signal SIGSEGV");
    free_out(&x);
}

static void test_deadline_term(void **state)
{
    (void)state;
    struct proc c;
    struct out x = {0};
    assert_int_equal(run_sh(&c, "echo started; exec sleep 60", 1, 5000, &x, NULL),
                     PROC_TIMEOUT);
    assert_string_equal(x.o.p, "started\n"); /* what came before the end is kept */
    assert_true(WIFSIGNALED(c.wstatus));
    assert_int_equal(WTERMSIG(c.wstatus), SIGTERM);
    assert_true(c.wall_s < 30); /* a bound, not a timing */
    char how[96];
    proc_describe(&c, how, sizeof how);
    assert_string_equal(how, "no end after 1 s: killed");
    free_out(&x);
}

static void test_deadline_kill_after_grace(void **state)
{
    (void)state;
    struct proc c;
    struct out x = {0};
    /* ignores SIGTERM: SIGKILL after the grace period */
    assert_int_equal(run_sh(&c, "trap '' TERM; echo ready; while :; do :; done", 1, 200, &x,
                            NULL),
                     PROC_TIMEOUT);
    assert_true(WIFSIGNALED(c.wstatus));
    assert_int_equal(WTERMSIG(c.wstatus), SIGKILL);
    free_out(&x);
}

static void test_stop_request(void **state)
{
    (void)state;
    static volatile sig_atomic_t stop = 1;
    struct proc c;
    struct out x = {0};
    assert_int_equal(run_sh(&c, "exec sleep 60", 0, 1000, &x, &stop), PROC_STOPPED);
    char how[96];
    proc_describe(&c, how, sizeof how);
    assert_string_equal(how, "interrupted: killed");
    free_out(&x);
}

static void test_give_up(void **state)
{
    (void)state;
    struct proc c;
    struct out x = {.give_up_after = 4};
    assert_int_equal(run_sh(&c, "echo junk; exec sleep 60", 60, 1000, &x, NULL),
                     PROC_GAVE_UP);
    assert_true(WIFSIGNALED(c.wstatus));
    free_out(&x);
}

static void test_pipes_closed_child_alive(void **state)
{
    (void)state;
    struct proc c;
    struct out x = {0};
    /* closes both pipes, then lives on: still under the deadline */
    assert_int_equal(run_sh(&c, "exec >/dev/null 2>&1; sleep 60", 1, 1000, &x, NULL),
                     PROC_TIMEOUT);
    /* closes them and exits a moment later: reaped, exit status kept */
    assert_int_equal(run_sh(&c, "exec >/dev/null 2>&1; sleep 0.2; exit 4", 60, 1000, &x, NULL),
                     PROC_EXITED);
    int code;
    assert_true(proc_exit_code(&c, &code));
    assert_int_equal(code, 4);
    free_out(&x);
}

static void test_env_and_cwd(void **state)
{
    (void)state;
    setenv("HL_TEST_DROP", "dropped", 1);
    setenv("HL_TEST_KEEP", "kept", 1);
    setenv("HL_TEST_SET", "old", 1);
    char *set[] = {"HL_TEST_SET=new", "HL_TEST_ADD=added", NULL};
    static const char *const unset[] = {"HL_TEST_DROP", NULL};
    char **env = proc_env(set, unset);
    int n_set = 0;
    for (char **e = env; *e; e++)
        n_set += !strncmp(*e, "HL_TEST_SET=", 12);
    assert_int_equal(n_set, 1); /* replaced, not doubled */
    char *argv[] = {"sh", "-c",
                    "echo \"$HL_TEST_DROP|$HL_TEST_KEEP|$HL_TEST_SET|$HL_TEST_ADD|$(pwd)\"",
                    NULL};
    struct proc_spec spec = {.path = "/bin/sh", .argv = argv, .envp = env, .cwd = "/",
                             .out = PROC_IO_PIPE, .err = PROC_IO_NULL};
    struct out x = {0};
    struct proc_sink sink = {.out = keep_out, .ctx = &x};
    struct proc c;
    proc_start(&c, &spec);
    free(env);
    assert_int_equal(proc_wait(&c, 60, 100, &sink), PROC_EXITED);
    assert_string_equal(x.o.p, "|kept|new|added|/\n");
    free_out(&x);
}

static void test_exec_fails(void **state)
{
    (void)state;
    char *argv[] = {"no-such-program", NULL};
    struct proc_spec spec = {.path = "/nonexistent/no-such-program", .argv = argv,
                             .out = PROC_IO_NULL, .err = PROC_IO_PIPE};
    struct out x = {0};
    struct proc_sink sink = {.err = keep_err, .ctx = &x};
    struct proc c;
    proc_start(&c, &spec);
    assert_int_equal(proc_wait(&c, 60, 100, &sink), PROC_EXITED);
    int code;
    assert_true(proc_exit_code(&c, &code));
    assert_int_equal(code, 127);
    assert_non_null(strstr(x.e.p, "heaplab: exec /nonexistent/no-such-program: "));
    /* a folder that cannot be entered: 126, said on stderr */
    char *sh[] = {"sh", "-c", "exit 0", NULL};
    struct proc_spec in = {.path = "/bin/sh", .argv = sh, .cwd = "/nonexistent",
                           .out = PROC_IO_NULL, .err = PROC_IO_PIPE};
    x.e.len = 0;
    proc_start(&c, &in);
    proc_wait(&c, 60, 100, &sink);
    assert_true(proc_exit_code(&c, &code));
    assert_int_equal(code, 126);
    assert_non_null(strstr(x.e.p, "cannot enter '/nonexistent'"));
    free_out(&x);
}

static void test_much_output(void **state)
{
    (void)state;
    struct proc c;
    struct out x = {0};
    /* more than a pipe holds, on both streams at once: no deadlock */
    assert_int_equal(run_sh(&c, "i=0; while [ $i -lt 20000 ]; do echo line $i; echo e $i >&2; "
                                "i=$((i+1)); done",
                            120, 100, &x, NULL),
                     PROC_EXITED);
    assert_non_null(strstr(x.o.p, "line 19999\n"));
    assert_non_null(strstr(x.e.p, "e 19999\n"));
    free_out(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_status_and_streams),
        cmocka_unit_test(test_signal),
        cmocka_unit_test(test_deadline_term),
        cmocka_unit_test(test_deadline_kill_after_grace),
        cmocka_unit_test(test_stop_request),
        cmocka_unit_test(test_give_up),
        cmocka_unit_test(test_pipes_closed_child_alive),
        cmocka_unit_test(test_env_and_cwd),
        cmocka_unit_test(test_exec_fails),
        cmocka_unit_test(test_much_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
