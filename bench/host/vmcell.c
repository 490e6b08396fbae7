/*
 * vmcell.c — the host's vm cell (vmcell.h).
 *
 * The region: N pages of 4 KiB (the stream's unit), mapped
 *   pages-4k  mmap(MAP_PRIVATE|MAP_ANONYMOUS) + madvise(MADV_NOHUGEPAGE):
 *             4 KiB pages whatever THP's setting
 *   pages-4m  MAP_HUGETLB when /proc/sys/vm/nr_hugepages > 0 (pages
 *             reserved by the administrator; the page size is the
 *             system's default, Hugepagesize), else an mmap aligned to
 *             2 MiB and madvise(MADV_HUGEPAGE) (transparent huge pages:
 *             /sys/kernel/mm/transparent_hugepage/enabled must say
 *             [always] or [madvise]).  x86-64 has no 4 MiB page: the
 *             host's huge page is 2 MiB (or 1 GiB hugetlb); the allocator
 *             column names the kind, cells.log and meta.csv the size.
 * After the warm-up (every page faulted in) the cell reads the region's
 * AnonHugePages from /proc/self/smaps and reports it (probe
 * huge_backed_bytes), so a THP request the kernel did not honour shows.
 *
 * The host has no page-table edits of its own to time: vm-remap is
 * kernel-only (its host_none), and the planner never sends it here.
 */
#define _GNU_SOURCE
#include "bench/host/vmcell.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench/core/proto.h"
#include "bench/core/runner.h"
#include "bench/core/vmpass.h"
#include "bench/host/cell.h"
#include "bench/host/cli.h"

#define VM_ROW_CAP 2048u
#define VM_OPS_CAP ((size_t)1 << 16)
#define VM_HUGE_ALIGN ((size_t)2 << 20)

static char line[VM_ROW_CAP + 64];

/* The first line of a small file, without its newline; "" if unreadable. */
static void read_line(const char *path, char *buf, size_t cap)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (!fgets(buf, (int)cap, f))
        buf[0] = '\0';
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
}

const char *vm_host_huge_mechanism(char *buf, size_t cap, bool *hugetlb, bool *none)
{
    char nr[64], thp[128], size[64] = "?";
    read_line("/proc/sys/vm/nr_hugepages", nr, sizeof nr);
    read_line("/sys/kernel/mm/transparent_hugepage/enabled", thp, sizeof thp);
    FILE *f = fopen("/proc/meminfo", "r");
    if (f) {
        char l[256];
        while (fgets(l, sizeof l, f))
            if (sscanf(l, "Hugepagesize: %63s", size) == 1)
                break;
        fclose(f);
    }
    bool tlb = strtoull(nr, NULL, 10) > 0;
    bool off = !tlb && (!thp[0] || strstr(thp, "[never]"));
    if (tlb)
        snprintf(buf, cap, "hugetlb (nr_hugepages=%s, Hugepagesize=%s kB)", nr, size);
    else if (!off)
        snprintf(buf, cap, "thp (transparent_hugepage/enabled: %s; 2 MiB pages)", thp);
    else
        snprintf(buf, cap, "none (nr_hugepages=%s, transparent_hugepage/enabled: %s)",
                 nr[0] ? nr : "?", thp[0] ? thp : "unreadable");
    if (hugetlb)
        *hugetlb = tlb;
    if (none)
        *none = off;
    return buf;
}

/* The region's AnonHugePages (smaps) in bytes; 0 if it cannot be read. */
static uint64_t huge_backed_bytes(const void *region)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f)
        return 0;
    char l[512];
    bool in = false;
    unsigned long long kib = 0, total = 0;
    while (fgets(l, sizeof l, f)) {
        unsigned long lo, hi;
        if (sscanf(l, "%lx-%lx ", &lo, &hi) == 2 && strchr(l, '-') < strchr(l, ' ')) {
            in = (uintptr_t)region >= lo && (uintptr_t)region < hi;
            continue;
        }
        if (in && sscanf(l, "AnonHugePages: %llu kB", &kib) == 1)
            total += kib;
    }
    fclose(f);
    return (uint64_t)total * 1024u;
}

/* Map the region; *mech says how (probe text). */
static void *map_region(const struct hl_allocator *a, size_t bytes, char *mech, size_t cap,
                        bool *fallback)
{
    *fallback = false;
    if (!hl_vm_kind_huge(a)) {
        void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            cli_fail("cell: mmap of %zu bytes: %s", bytes, strerror(errno));
        if (madvise(p, bytes, MADV_NOHUGEPAGE) != 0)
            snprintf(mech, cap, "4k (mmap; MADV_NOHUGEPAGE refused: %s)", strerror(errno));
        else
            snprintf(mech, cap, "4k (mmap + MADV_NOHUGEPAGE)");
        return p;
    }
    bool hugetlb, none;
    char how[256];
    vm_host_huge_mechanism(how, sizeof how, &hugetlb, &none);
    size_t span = (bytes + VM_HUGE_ALIGN - 1) / VM_HUGE_ALIGN * VM_HUGE_ALIGN;
    if (hugetlb) {
        void *p = mmap(NULL, span, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
        if (p != MAP_FAILED) {
            snprintf(mech, cap, "%s: MAP_HUGETLB of %zu bytes", how, span);
            return p;
        }
        snprintf(how, sizeof how, "thp (MAP_HUGETLB of %zu bytes failed: %s)", span,
                 strerror(errno));
    }
    /* THP: a 2 MiB-aligned span, so every 2 MiB of it can be one page. */
    char *raw = mmap(NULL, span + VM_HUGE_ALIGN, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        cli_fail("cell: mmap of %zu bytes: %s", span + VM_HUGE_ALIGN, strerror(errno));
    char *p = (char *)(((uintptr_t)raw + VM_HUGE_ALIGN - 1) & ~(uintptr_t)(VM_HUGE_ALIGN - 1));
    if (none || madvise(p, span, MADV_HUGEPAGE) != 0) {
        *fallback = true;
        snprintf(mech, cap, "%s; MADV_HUGEPAGE %s: 4 KiB pages", how,
                 none ? "not tried" : strerror(errno));
    } else {
        snprintf(mech, cap, "%s: MADV_HUGEPAGE on %zu bytes", how, span);
    }
    return p;
}

int vm_cell_run(const struct vm_cell_args *a, uint64_t timer_overhead)
{
    if (a->w->host_none)
        cli_usage_fail("cell: workload '%s' has no host cells: %s", a->w->name,
                       a->w->host_none);
    uint64_t pages = hl_vm_pages(&a->params);
    size_t bytes = (size_t)(pages * HL_VM_PAGE_BYTES);
    char mech[512];
    bool fallback;
    uint8_t *region = map_region(a->a, bytes, mech, sizeof mech, &fallback);
    cell_put_probe("vm_pages", "%s", mech);
    cell_put_probe("region_bytes", "%zu", bytes);
    size_t scratch_bytes = a->w->scratch_bytes(&a->params);
    static volatile uint32_t floor_word;
    struct hl_op *ops = mmap(NULL, VM_OPS_CAP * sizeof *ops, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void *scratch = mmap(NULL, scratch_bytes, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ops == MAP_FAILED || scratch == MAP_FAILED)
        cli_fail("cell: mmap: %s", strerror(errno));
    struct hl_vm_config cfg = {
        .w = a->w, .params = a->params, .seed = a->seed,
        .region = region, .region_bytes = bytes, .floor_word = &floor_word,
        .scratch = scratch, .scratch_bytes = scratch_bytes,
        .ops = ops, .ops_cap = VM_OPS_CAP,
        .timer_overhead = timer_overhead, .min_ticks = a->min_ticks,
    };
    struct hl_cell_result r;
    memset(&r, 0, sizeof r);
    enum hl_status st = hl_vm_pass(&cfg, HL_PASS_WARMUP, &r);
    uint64_t checksum = r.workload_checksum;
    if (hl_vm_kind_huge(a->a))
        cell_put_probe("huge_backed_bytes", "%llu", (unsigned long long)huge_backed_bytes(region));
    static char row[VM_ROW_CAP];
    for (uint32_t i = 0; i < a->reps; i++) {
        uint32_t rep = a->launch * a->reps + i;
        memset(&r, 0, sizeof r);
        if (st == HL_OK)
            st = hl_vm_pass(&cfg, HL_PASS_BATCH, &r);
        r.workload_checksum = checksum;
        /* pages-4m on 4 KiB pages (no huge pages to be had) is not what
         * the row claims: failed, with its figures. */
        const char *status = st != HL_OK ? "error" : fallback ? "failed" : "ok";
        struct hl_row_ids id = {
            .run_id = a->run_id, .env = CELL_ENV, .accel = CELL_ACCEL, .clock = CELL_CLOCK,
            .allocator = a->a->name, .family = hl_family_str(a->a->family),
            .workload = a->w->name, .params = a->params_text, .seed = a->seed, .rep = rep,
            .status = status, .timer_overhead = timer_overhead, .no_perop = true,
            .sweep = a->sweep, .launch = a->launch, .attempts = 1, .alloc_params = "",
        };
        size_t n = hl_format_cells_row(row, sizeof row, &id, &r);
        if (n >= sizeof row)
            cli_fail("cell: a cell row does not fit in %u bytes", VM_ROW_CAP);
        struct hl_proto_out o;
        hl_proto_begin(&o, line, sizeof line, "cell");
        hl_proto_row(&o, row, n);
        cell_put_line(&o);
        hl_proto_begin(&o, line, sizeof line, "rep");
        hl_proto_u64(&o, rep);
        cell_put_line(&o);
        fflush(stdout);
    }
    return cell_put_done();
}
