/*
 * plugin_load.c — heaplab-cost.so's install entry point without QEMU:
 * dlopen the plugin, check the API version it declares, and call
 * qemu_plugin_install with a QEMU whose API range excludes version 1
 * (refused), with bad arguments (refused), and with good ones (accepted;
 * the QEMU functions it registers with are stubs here, exported by this
 * executable, and its exit callback writes the report header and an
 * empty `all` row; hist=FILE gets its header at install).
 * usage: plugin_load PLUGIN.so   (run by ctest: model_plugin_load)
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bench/qemu-plugin/qemu_plugin_api.h"

static const char *plugin_path;

static const char *tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

/* ---- the QEMU side, stubbed ---------------------------------------------- */

static qemu_plugin_vcpu_tb_trans_cb_t trans_cb;
static qemu_plugin_udata_cb_t atexit_cb;
static void *atexit_udata;

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
                                           qemu_plugin_vcpu_tb_trans_cb_t cb)
{
    (void)id;
    trans_cb = cb;
}

void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb,
                                    void *userdata)
{
    (void)id;
    atexit_cb = cb;
    atexit_udata = userdata;
}

/* ---- helpers ------------------------------------------------------------- */

typedef int (*install_fn)(qemu_plugin_id_t, const qemu_info_t *, int, char **);

/* A fresh copy of the plugin (its globals reset): dlopen of a new path.
 * RTLD_LAZY: the QEMU functions it calls only after install are never
 * resolved. */
static void *open_plugin(install_fn *install, int **version)
{
    static unsigned n;
    char path[256];
    snprintf(path, sizeof path, "%s/heaplab-cost-%u-%u.so", tmpdir(), (unsigned)getpid(), n++);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", plugin_path, path);
    assert_int_equal(system(cmd), 0);
    void *h = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
    unlink(path);
    if (!h)
        fail_msg("dlopen: %s", dlerror());
    *install = (install_fn)(uintptr_t)dlsym(h, "qemu_plugin_install");
    *version = dlsym(h, "qemu_plugin_version");
    assert_non_null(*install);
    assert_non_null(*version);
    return h;
}

static int install_with(int min, int cur, int argc, char **argv)
{
    install_fn install;
    int *version;
    void *h = open_plugin(&install, &version);
    qemu_info_t info = {.target_name = "x86_64", .version = {min, cur}};
    trans_cb = NULL;
    atexit_cb = NULL;
    int rc = install(1, &info, argc, argv);
    if (rc != 0)
        dlclose(h); /* on success the callbacks point into it: keep it */
    return rc;
}

/* ---- tests --------------------------------------------------------------- */

static void declares_version_1(void **state)
{
    (void)state;
    install_fn install;
    int *version;
    void *h = open_plugin(&install, &version);
    assert_int_equal(*version, 1);
    dlclose(h);
}

static void refuses_other_api_versions(void **state)
{
    (void)state;
    char *argv[] = {"model=zen3"};
    assert_int_not_equal(install_with(2, 3, 1, argv), 0); /* a QEMU past v1 */
    assert_int_not_equal(install_with(0, 0, 1, argv), 0); /* before v1 */
    assert_null(trans_cb);
}

static void refuses_bad_arguments(void **state)
{
    (void)state;
    char *bad[][1] = {{"model=nope"},      {"l2=3000:8:64:12"}, {"feed=x"},
                      {"l1d=off"},         {"novalue"},         {"dtlb=64:4:4000:9"},
                      {"dram=-1"},         {"inclusive=yes"},     {"hist="}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_not_equal(install_with(1, 1, 1, bad[i]), 0);
}

static void accepts_and_reports(void **state)
{
    (void)state;
    char out[256];
    snprintf(out, sizeof out, "%s/heaplab-cost-%u.csv", tmpdir(), (unsigned)getpid());
    char hist[256];
    snprintf(hist, sizeof hist, "%s/heaplab-cost-%u.hist.csv", tmpdir(), (unsigned)getpid());
    char outarg[300], histarg[300];
    snprintf(outarg, sizeof outarg, "out=%s", out);
    snprintf(histarg, sizeof histarg, "hist=%s", hist);
    char *argv[] = {"l2=1048576:16:64:14", "model=zen3", outarg, "dram=300",
                    "feed=region", "inclusive=on", histarg};
    assert_int_equal(install_with(1, 1, 7, argv), 0);
    assert_non_null(trans_cb);
    assert_non_null(atexit_cb);
    atexit_cb(1, atexit_udata);
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    assert_true(strncmp(line, "scope,region,model,instructions,", 32) == 0);
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "all,0,custom,0,0,0,0,0,0,0,0,0,0,0,\n"); /* label: none */
    assert_null(fgets(line, sizeof line, f));
    fclose(f);
    unlink(out);
    /* hist=: the header, and no per-op region ran */
    f = fopen(hist, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "scope,region,model,metric,bucket_lo,bucket_hi,count,sum\n");
    assert_null(fgets(line, sizeof line, f));
    fclose(f);
    unlink(hist);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: plugin_load PLUGIN.so\n");
        return 2;
    }
    plugin_path = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(declares_version_1),
        cmocka_unit_test(refuses_other_api_versions),
        cmocka_unit_test(refuses_bad_arguments),
        cmocka_unit_test(accepts_and_reports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
