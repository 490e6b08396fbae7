/*
 * sysinfo.c — the machine's facts (sysinfo.h): hwloc for the topology and
 * the PU choice, /proc and uname for the rest, CLOCK_MONOTONIC_RAW as the
 * reference the TSC is calibrated against.
 */
#define _GNU_SOURCE
#include "bench/host/sysinfo.h"

#include <hwloc.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "bench/core/clock.h"

struct sys_topo {
    hwloc_topology_t topo;
};

struct sys_topo *sys_topo_load(void)
{
    struct sys_topo *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    if (hwloc_topology_init(&t->topo) != 0) {
        free(t);
        return NULL;
    }
    if (hwloc_topology_load(t->topo) != 0) {
        fprintf(stderr, "heaplab: hwloc could not load the topology\n");
        hwloc_topology_destroy(t->topo);
        free(t);
        return NULL;
    }
    return t;
}

void sys_topo_free(struct sys_topo *t)
{
    if (!t)
        return;
    hwloc_topology_destroy(t->topo);
    free(t);
}

/* Append printf text at *len, never past cap. */
static void appendf(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void appendf(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
    if (*len >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
}

static void size_text(char *buf, size_t cap, uint64_t bytes)
{
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
        snprintf(buf, cap, "%llu MiB", (unsigned long long)(bytes >> 20));
    else
        snprintf(buf, cap, "%llu KiB", (unsigned long long)(bytes >> 10));
}

void sys_topo_summary(const struct sys_topo *t, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    if (!t) {
        appendf(buf, cap, &len, "unknown (hwloc failed)");
        return;
    }
    static const struct {
        hwloc_obj_type_t type;
        const char *one, *many;
    } counts[] = {
        {HWLOC_OBJ_PACKAGE, "package", "packages"},
        {HWLOC_OBJ_NUMANODE, "NUMA node", "NUMA nodes"},
        {HWLOC_OBJ_CORE, "core", "cores"},
        {HWLOC_OBJ_PU, "PU", "PUs"},
    };
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        int n = hwloc_get_nbobjs_by_type(t->topo, counts[i].type);
        appendf(buf, cap, &len, "%s%d %s", i ? ", " : "", n,
                n == 1 ? counts[i].one : counts[i].many);
    }
    static const struct {
        hwloc_obj_type_t type;
        const char *name;
    } caches[] = {
        {HWLOC_OBJ_L1CACHE, "L1d"},
        {HWLOC_OBJ_L2CACHE, "L2"},
        {HWLOC_OBJ_L3CACHE, "L3"},
    };
    const char *sep = "; ";
    for (size_t i = 0; i < sizeof caches / sizeof caches[0]; i++) {
        int n = hwloc_get_nbobjs_by_type(t->topo, caches[i].type);
        hwloc_obj_t o = hwloc_get_obj_by_type(t->topo, caches[i].type, 0);
        if (n <= 0 || !o || !o->attr)
            continue;
        char size[32];
        size_text(size, sizeof size, o->attr->cache.size);
        appendf(buf, cap, &len, "%s%s %s x%d", sep, caches[i].name, size, n);
        sep = ", ";
    }
}

void sys_topo_allowed(const struct sys_topo *t, char *buf, size_t cap)
{
    if (!t) {
        snprintf(buf, cap, "unknown");
        return;
    }
    hwloc_const_cpuset_t set = hwloc_topology_get_allowed_cpuset(t->topo);
    hwloc_bitmap_list_snprintf(buf, cap, set);
}

bool sys_topo_default_pu(const struct sys_topo *t, unsigned *pu_os)
{
    if (!t)
        return false;
    int ncores = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_CORE);
    hwloc_obj_t pu = NULL;
    if (ncores > 0) {
        hwloc_obj_t core =
            hwloc_get_obj_by_type(t->topo, HWLOC_OBJ_CORE, (unsigned)ncores - 1);
        pu = hwloc_get_obj_inside_cpuset_by_type(t->topo, core->cpuset,
                                                 HWLOC_OBJ_PU, 0);
    }
    if (!pu) /* no core objects: the last PU */
        pu = hwloc_get_obj_by_type(
            t->topo, HWLOC_OBJ_PU,
            (unsigned)hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_PU) - 1);
    if (!pu)
        return false;
    *pu_os = pu->os_index;
    return true;
}

bool sys_topo_pu_ok(const struct sys_topo *t, unsigned pu_os)
{
    if (!t)
        return pu_os < CPU_SETSIZE;
    hwloc_obj_t pu = hwloc_get_pu_obj_by_os_index(t->topo, pu_os);
    return pu && hwloc_bitmap_isset(hwloc_topology_get_allowed_cpuset(t->topo),
                                    pu_os);
}

bool sys_bind_pu(unsigned pu_os)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(pu_os, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0;
}

/* ---- clocks ----------------------------------------------------------------- */

static uint64_t raw_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One window: TSC ticks over ~50 ms of CLOCK_MONOTONIC_RAW, each end read
 * between two TSC reads so the pairing error is one read's width. */
static double tsc_window_hz(void)
{
    uint64_t a0 = hl_clock_start(), n0 = raw_ns(), b0 = hl_clock_stop();
    struct timespec nap = {0, 50 * 1000 * 1000};
    nanosleep(&nap, NULL);
    uint64_t a1 = hl_clock_start(), n1 = raw_ns(), b1 = hl_clock_stop();
    double ticks = ((double)a1 + (double)b1) / 2.0 - ((double)a0 + (double)b0) / 2.0;
    return ticks * 1e9 / (double)(n1 - n0);
}

double sys_tsc_hz(void)
{
    double w[3];
    for (int i = 0; i < 3; i++)
        w[i] = tsc_window_hz();
    /* median of three */
    double lo = w[0] < w[1] ? w[0] : w[1], hi = w[0] < w[1] ? w[1] : w[0];
    return w[2] < lo ? lo : w[2] > hi ? hi : w[2];
}

/* ---- text facts ------------------------------------------------------------ */

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        s[--n] = '\0';
}

void sys_cpu_model(char *buf, size_t cap)
{
    snprintf(buf, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0)
            continue;
        const char *colon = strchr(line, ':');
        if (!colon)
            continue;
        colon++;
        while (*colon == ' ' || *colon == '\t')
            colon++;
        snprintf(buf, cap, "%s", colon);
        chomp(buf);
        break;
    }
    fclose(f);
}

void sys_kernel(char *buf, size_t cap)
{
    struct utsname u;
    if (uname(&u) != 0) {
        snprintf(buf, cap, "unknown");
        return;
    }
    snprintf(buf, cap, "%s %s %s %s", u.sysname, u.release, u.version,
             u.machine);
}

/* The first line of a shell command's output, "" if none. */
static void first_line(const char *cmd, char *buf, size_t cap)
{
    buf[0] = '\0';
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    if (!fgets(buf, (int)cap, p))
        buf[0] = '\0';
    /* drain, so the child never blocks on a full pipe */
    char sink[256];
    while (fgets(sink, sizeof sink, p))
        ;
    pclose(p);
    chomp(buf);
}

void sys_program_version(const char *program, char *buf, size_t cap)
{
    snprintf(buf, cap, "unknown");
    if (strchr(program, '\''))
        return; /* not quotable for the shell below */
    char cmd[4096 + 64], line[512];
    snprintf(cmd, sizeof cmd, "'%s' --version 2>/dev/null", program);
    first_line(cmd, line, sizeof line);
    if (line[0])
        snprintf(buf, cap, "%s", line);
}
