/*
 * sysinfo.h — facts about the machine for meta.csv and `heaplab info`:
 * the hwloc topology and the PU a cell is bound to, the CPU model, the
 * kernel, the TSC frequency.
 */
#ifndef HEAPLAB_SYSINFO_H
#define HEAPLAB_SYSINFO_H

#include <stdbool.h>
#include <stddef.h>

/* The loaded hwloc topology (opaque). */
struct sys_topo;

/* Load the topology; NULL (with a line on stderr) if hwloc fails. */
struct sys_topo *sys_topo_load(void);
void sys_topo_free(struct sys_topo *t);

/* "1 package, 2 cores, 2 PUs, 1 NUMA node; L1d 32 KiB, L2 512 KiB, ..." */
void sys_topo_summary(const struct sys_topo *t, char *buf, size_t cap);

/* The PUs this process may run on, as a list ("0-1"). */
void sys_topo_allowed(const struct sys_topo *t, char *buf, size_t cap);

/* The default PU: the first PU of the last core (OS index). */
bool sys_topo_default_pu(const struct sys_topo *t, unsigned *pu_os);

/* Is PU os_index present and allowed for this process? */
bool sys_topo_pu_ok(const struct sys_topo *t, unsigned pu_os);

/* Bind the calling process to PU pu_os (sched_setaffinity); false on
 * failure (errno set). */
bool sys_bind_pu(unsigned pu_os);

/* TSC ticks per second, against CLOCK_MONOTONIC_RAW: the median of three
 * ~50 ms windows. */
double sys_tsc_hz(void);

/* /proc/cpuinfo's "model name", or "unknown". */
void sys_cpu_model(char *buf, size_t cap);

/* uname: "Linux 6.1.0-... #1 SMP ... x86_64". */
void sys_kernel(char *buf, size_t cap);


/* The first line of `program --version` ("unknown" if none). */
void sys_program_version(const char *program, char *buf, size_t cap);

#endif /* HEAPLAB_SYSINFO_H */
