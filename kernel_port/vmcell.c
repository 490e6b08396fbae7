/*
 * vmcell.c — the kernel's vm cell (vmcell.h).
 *
 * vm-touch: the N pages at VM_CELL_BASE become a demand range — 4 KiB
 * pages (pages-4k: one PTE each) or 4 MiB pages (pages-4m: VM_HUGE, one
 * PSE PDE per 4 MiB, huge frames from the pool; the range is rounded up
 * to whole 4 MiB pages) — and the warm-up pass's first touches fault
 * them in, so the timed passes see mapped pages only: what differs
 * between the kinds is how many TLB entries cover the region.  After the
 * warm-up, vm_walk checks that the first page really is of the size the
 * allocator column claims (probe page_bytes; a mismatch fails the cell).
 *
 * vm-remap: one frame, and the page tables of [VM_CELL_BASE, + N pages)
 * made up front; MAP writes page i's PTE (present, R/W, the frame), UNMAP
 * clears it (no flush: the TLB may still hold the old translation),
 * INVLPG flushes page i, CR3 reloads CR3 (every non-global entry).  The
 * PTE edits are the kernel's own words (vm_pte), not vm_map/vm_unmap,
 * which flush by themselves.  Only 4 KiB pages: pages-4m x vm-remap is
 * refused (it has no PTE to edit).
 *
 * The clock: whatever the boot's clock= is (icount: guest instructions,
 * where a TLB miss costs nothing, since QEMU's softmmu walks the tables
 * without instructions; tsc: QEMU's time, where it does).
 */
#include "kernel_port/vmcell.h"

#include "allocators/port.h"
#include "allocators/util.h"
#include "bench/core/proto.h"
#include "bench/core/runner.h"
#include "bench/core/vmpass.h"
#include "kernel_port/console.h"
#include "kernel_port/frames.h"
#include "kernel_port/kernel.h"
#include "kernel_port/paging.h"
#include "kernel_port/x86.h"
#include "workloads/vm.h"

#define VMC_ROW_CAP 2048u
#define VMC_CAL_SAMPLES 1024u
#define VMC_OPS_CAP ((size_t)1 << 14) /* 256 KiB of ops per chunk */

static char vmc_line[VMC_ROW_CAP + 128];
static char vmc_row[VMC_ROW_CAP];
static uint64_t vmc_cal[VMC_CAL_SAMPLES];
static volatile uint32_t vmc_floor_word;

static struct hl_proto_out *vmc_begin_line(const char *kind)
{
    static struct hl_proto_out o;
    hl_proto_begin(&o, vmc_line, sizeof vmc_line, kind);
    return &o;
}

static void vmc_send(struct hl_proto_out *o)
{
    if (hl_proto_end(o) >= o->cap)
        KPANIC("a protocol line does not fit in its buffer");
    con_puts(o->buf);
}

static void vmc_probe(const char *key, uint64_t v)
{
    struct hl_proto_out *o = vmc_begin_line("probe");
    hl_proto_field(o, key);
    hl_proto_u64(o, v);
    vmc_send(o);
}

/* "@HL end,<index>,ok|error,<why>" (as bench.c's cell_end). */
static bool vmc_end(const struct kb_vm_cell *c, bool ok, const char *why)
{
    struct hl_proto_out *o = vmc_begin_line("end");
    hl_proto_u64(o, c->index);
    hl_proto_field(o, ok ? "ok" : "error");
    hl_proto_field(o, why);
    vmc_send(o);
    return ok;
}

/* ---- vm-remap's page-table edits ---------------------------------------------------- */

struct remap_ctx {
    uintptr_t frame; /* every page maps this frame */
};

static uintptr_t page_va(uint64_t page)
{
    return VM_CELL_BASE + (uintptr_t)page * VM_PAGE_BYTES;
}

static void remap_map(void *ctx, uint64_t page)
{
    const struct remap_ctx *r = ctx;
    struct pte *e = vm_pte(vm_kernel(), page_va(page));
    *(volatile uint32_t *)(void *)e = (uint32_t)r->frame | VM_PTE_P | VM_PTE_RW;
}

static void remap_unmap(void *ctx, uint64_t page)
{
    (void)ctx;
    struct pte *e = vm_pte(vm_kernel(), page_va(page));
    *(volatile uint32_t *)(void *)e = 0;
}

static void remap_invlpg(void *ctx, uint64_t page)
{
    (void)ctx;
    x86_invlpg(page_va(page));
}

static void remap_cr3(void *ctx)
{
    (void)ctx;
    x86_write_cr3(x86_read_cr3());
}

/* ---- the cell ------------------------------------------------------------------------- */

static void vmc_row_out(const struct kb_vm_cell *c, const char *params_text, uint32_t rep,
                        const char *status, uint64_t overhead, const struct hl_cell_result *r)
{
    struct hl_row_ids id = {
        .run_id = c->run_id, .env = "qemu", .accel = c->accel, .clock = c->clock,
        .allocator = c->a->name, .family = hl_family_str(c->a->family),
        .workload = c->w->name, .params = params_text, .seed = c->seed, .rep = rep,
        .status = status, .timer_overhead = overhead, .no_perop = true, .sweep = c->sweep,
        .attempts = 1, .alloc_params = "",
    };
    size_t n = hl_format_cells_row(vmc_row, sizeof vmc_row, &id, r);
    if (n >= sizeof vmc_row)
        KPANIC("a vm cell row does not fit");
    struct hl_proto_out *o = vmc_begin_line("cell");
    hl_proto_row(o, vmc_row, n);
    vmc_send(o);
    o = vmc_begin_line("rep");
    hl_proto_u64(o, rep);
    vmc_send(o);
}

bool kb_vm_cell_run(const struct kb_vm_cell *c)
{
    static char params_text[512];
    hl_wl_format(c->w, c->params, params_text, sizeof params_text);
    struct hl_proto_out *o = vmc_begin_line("begin");
    hl_proto_u64(o, c->index);
    hl_proto_field(o, c->a->name);
    hl_proto_field(o, c->w->name);
    hl_proto_field(o, params_text);
    hl_proto_field(o, c->sweep);
    hl_proto_u64(o, c->seed);
    hl_proto_u64(o, c->reps);
    vmc_send(o);

    bool huge = hl_vm_kind_huge(c->a);
    bool remap = c->w->host_none != NULL; /* vm-remap: the PTE editor */
    uint64_t pages = hl_vm_pages(c->params);
    char why[200];
    if (remap && huge)
        return vmc_end(c, false, "vm-remap edits 4 KiB PTEs: pages-4m has none to edit "
                                 "(run it with pages-4k)");
    /* The region, in whole pages of its kind. */
    uint64_t unit = huge ? VM_PDE_SPAN_BYTES / VM_PAGE_BYTES : 1;
    uint64_t npages = (pages + unit - 1) / unit * unit;
    if (npages * VM_PAGE_BYTES > c->region_bytes) {
        con_snprintf(why, sizeof why, "%llu pages need %llu bytes of region: the kernel's is "
                     "%llu (region_mib=)", pages, npages * VM_PAGE_BYTES,
                     (uint64_t)c->region_bytes);
        return vmc_end(c, false, why);
    }
    if (huge && npages / unit > frames_huge_free_count()) {
        con_snprintf(why, sizeof why, "%llu pages of 4 MiB needed, the huge pool has %llu "
                     "free (boot with hugepool_mib=%llu)", npages / unit,
                     (uint64_t)frames_huge_free_count(), npages / unit * 4);
        return vmc_end(c, false, why);
    }
    struct hl_clock_cal cal;
    hl_clock_calibrate(&cal, vmc_cal, VMC_CAL_SAMPLES);
    vmc_probe("timer_overhead", cal.overhead);

    /* The workspace: scratch and the op buffer, demand-paged, prefaulted. */
    size_t scratch_bytes = c->w->scratch_bytes(c->params);
    size_t scratch_span = (scratch_bytes + VM_PAGE_BYTES - 1) / VM_PAGE_BYTES * VM_PAGE_BYTES;
    size_t ops_bytes = VMC_OPS_CAP * sizeof(struct hl_op);
    size_t ws_pages = (scratch_span + ops_bytes) / VM_PAGE_BYTES;
    if (scratch_span + ops_bytes > VM_DEVICE_BASE - VM_DEMAND_BASE ||
        !vm_demand_add(VM_DEMAND_BASE, ws_pages, VM_WRITE))
        return vmc_end(c, false, "vm_demand_add refused the workspace");
    for (uintptr_t va = VM_DEMAND_BASE; va < VM_DEMAND_BASE + ws_pages * VM_PAGE_BYTES;
         va += VM_PAGE_BYTES)
        *(volatile uint8_t *)va = 0;

    struct remap_ctx rctx = {0};
    struct hl_vm_env env = {.ctx = &rctx, .map = remap_map, .unmap = remap_unmap,
                            .invlpg = remap_invlpg, .cr3 = remap_cr3};
    bool ready = true;
    if (remap) { /* tables made now: MAP only writes a PTE */
        ready = frames_alloc(&rctx.frame);
        for (uint64_t p = 0; ready && p < pages; p += VM_ENTRIES)
            ready = vm_ensure_table(vm_kernel(), page_va(p));
    } else {
        ready = vm_demand_add(VM_CELL_BASE, (size_t)npages, VM_WRITE | (huge ? VM_HUGE : 0));
    }
    if (!ready) {
        if (rctx.frame)
            frames_free(rctx.frame);
        vm_demand_release(VM_DEMAND_BASE);
        return vmc_end(c, false, remap ? "no frame or page table for vm-remap"
                                        : "vm_demand_add refused the region");
    }
    vmc_probe("region_bytes", npages * VM_PAGE_BYTES);
    uint64_t faults0 = vm_demand_faults(), huge0 = vm_demand_huge_faults();
    struct hl_vm_config cfg = {
        .w = c->w, .params = *c->params, .seed = c->seed,
        .region = (uint8_t *)VM_CELL_BASE, .region_bytes = (size_t)npages * VM_PAGE_BYTES,
        .floor_word = &vmc_floor_word,
        .scratch = (void *)VM_DEMAND_BASE, .scratch_bytes = scratch_bytes,
        .ops = (struct hl_op *)(VM_DEMAND_BASE + scratch_span), .ops_cap = VMC_OPS_CAP,
        .timer_overhead = cal.overhead, .env = &env,
    };
    struct hl_cell_result r;
    hl_memset(&r, 0, sizeof r);
    enum hl_status st = hl_vm_pass(&cfg, HL_PASS_WARMUP, &r);
    uint64_t checksum = r.workload_checksum;
    /* The mapping the rows claim, checked (vm-touch: page 0 is mapped). */
    bool kind_ok = true;
    if (!remap && st == HL_OK) {
        struct vm_mapping m;
        kind_ok = vm_walk(vm_kernel(), VM_CELL_BASE, &m) && m.huge == huge;
        vmc_probe("page_bytes", kind_ok ? m.page_bytes : 0);
    }
    vmc_probe("demand_faults", vm_demand_faults() - faults0);
    vmc_probe("demand_huge_faults", vm_demand_huge_faults() - huge0);
    for (uint32_t rep = 0; rep < c->reps; rep++) {
        hl_memset(&r, 0, sizeof r);
        if (st == HL_OK)
            st = hl_vm_pass(&cfg, HL_PASS_BATCH, &r);
        r.workload_checksum = checksum;
        vmc_row_out(c, params_text, rep, st != HL_OK ? "error" : kind_ok ? "ok" : "failed",
                    cal.overhead, &r);
    }
    if (remap) {
        for (uint64_t p = 0; p < pages; p++)
            remap_unmap(NULL, p);
        x86_write_cr3(x86_read_cr3());
        frames_free(rctx.frame);
    } else {
        vmc_probe("region_pages_touched", vm_demand_release(VM_CELL_BASE));
    }
    vm_demand_release(VM_DEMAND_BASE);
    return vmc_end(c, st == HL_OK, st == HL_OK ? "" : "the vm pass refused the cell");
}
