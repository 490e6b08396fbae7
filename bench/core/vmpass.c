/*
 * vmpass.c — the vm family's mapping kinds and pass (vmpass.h).
 * Freestanding, integer-only.
 */
#include "bench/core/vmpass.h"

#include "bench/core/clock.h"

#if defined(__clang__)
#define VM_NOCLONE
#else
#define VM_NOCLONE __attribute__((noclone))
#endif

/* ---- the mapping kinds ------------------------------------------------------ */

static enum hl_status kind_init(void *state, void *base, size_t bytes,
                                const struct hl_al_params *p)
{
    (void)state, (void)base, (void)bytes, (void)p;
    return HL_OK;
}

static void *kind_alloc(void *state, size_t bytes)
{
    (void)state, (void)bytes;
    return NULL; /* a mapping kind allocates nothing */
}

static enum hl_status kind_free(void *state, void *ptr, size_t bytes)
{
    (void)state, (void)bytes;
    return ptr ? HL_E_FOREIGN : HL_OK;
}

static void kind_stats(const void *state, struct hl_stats *out)
{
    (void)state;
    hl_memset(out, 0, sizeof *out);
}

static size_t kind_check(const void *state, struct hl_violation *first)
{
    (void)state, (void)first;
    return 0;
}

#define VM_KIND(var, kname, ksummary)                                           \
    static const struct hl_allocator var = {                                    \
        .name = kname, .summary = ksummary, .family = HL_FAMILY_VM,             \
        .state_bytes = HL_STATE_ALIGN, .align_bytes = 4096,                     \
        .init = kind_init, .alloc = kind_alloc, .free = kind_free,              \
        .stats = kind_stats, .check = kind_check,                               \
    }

VM_KIND(kind_4k, "pages-4k", "vm family: the region mapped with 4 KiB pages");
VM_KIND(kind_4m, "pages-4m", "vm family: the region mapped with huge pages "
                             "(kernel: 4 MiB PSE; host: hugetlb or THP)");

const struct hl_allocator *const hl_vm_kinds[] = {&kind_4k, &kind_4m, NULL};

const struct hl_allocator *hl_vm_kind_find(const char *name)
{
    for (size_t i = 0; hl_vm_kinds[i]; i++) {
        const char *a = hl_vm_kinds[i]->name, *b = name;
        while (*a && *a == *b)
            a++, b++;
        if (*a == *b)
            return hl_vm_kinds[i];
    }
    return NULL;
}

bool hl_vm_kind_huge(const struct hl_allocator *a)
{
    return a == &kind_4m;
}

/* ---- the pass ---------------------------------------------------------------- */

/* Does the stream of c need page-table edits the environment lacks?
 * (vm-remap's ops are MAP, UNMAP, INVLPG, CR3; vm-touch has none.) */
static bool env_lacks(const struct hl_vm_config *c)
{
    const struct hl_vm_env *e = c->env;
    if (c->w->host_none == NULL) /* vm-touch: touches only */
        return false;
    return !e || !e->map || !e->unmap || !e->invlpg || !e->cr3;
}

/* The chunk's ops through the loop, timed: ticks net of the timer
 * overhead (0 if below it).  floor: every TOUCH on floor_word, no edit. */
static VM_NOCLONE __attribute__((noinline)) uint64_t
run_ops(const struct hl_vm_config *c, const struct hl_op *ops, size_t n, bool floor)
{
    uint8_t *base = c->region;
    volatile uint32_t *fw = c->floor_word;
    const struct hl_vm_env *e = c->env;
    uint64_t t0 = hl_clock_start();
    for (size_t i = 0; i < n; i++) {
        uint32_t page = ops[i].slot;
        switch (ops[i].kind) {
        case HL_VM_OP_TOUCH:
            if (floor)
                *fw = page;
            else
                *(volatile uint32_t *)(void *)(base + (uintptr_t)hl_vm_touch_offset(page)) = page;
            break;
        case HL_VM_OP_MAP:
            if (!floor)
                e->map(e->ctx, page);
            break;
        case HL_VM_OP_UNMAP:
            if (!floor)
                e->unmap(e->ctx, page);
            break;
        case HL_VM_OP_INVLPG:
            if (!floor)
                e->invlpg(e->ctx, page);
            break;
        case HL_VM_OP_CR3:
            if (!floor)
                e->cr3(e->ctx);
            break;
        default:
            break;
        }
    }
    uint64_t t1 = hl_clock_stop();
    uint64_t d = t1 - t0;
    return d > c->timer_overhead ? d - c->timer_overhead : 0;
}

/* Materialize the next chunk of g's stream into c->ops; returns its
 * length (0 at the end) and folds it into *sum. */
static size_t next_chunk(const struct hl_vm_config *c, struct hl_wl_gen *g, uint64_t *sum)
{
    size_t n = 0;
    while (n < c->ops_cap && c->w->next(g, &c->ops[n])) {
        *sum = hl_wl_checksum_op(*sum, &c->ops[n]);
        n++;
    }
    return n;
}

enum hl_status hl_vm_pass(const struct hl_vm_config *c, enum hl_pass pass,
                          struct hl_cell_result *r)
{
    uint64_t pages = hl_vm_pages(&c->params);
    if (pages > c->region_bytes / HL_VM_PAGE_BYTES || env_lacks(c) || c->ops_cap == 0) {
        r->init_status = HL_E_REGION;
        return HL_E_REGION;
    }
    r->init_status = HL_OK;
    struct hl_wl_gen g;
    uint64_t sum = HL_WL_CHECKSUM0, ops = 0;
    if (pass != HL_PASS_BATCH) { /* WARMUP (PEROP has nothing more to see) */
        hl_wl_init(&g, c->w, &c->params, c->seed, c->scratch, c->scratch_bytes);
        for (size_t n; (n = next_chunk(c, &g, &sum)) != 0; ops += n)
            (void)run_ops(c, c->ops, n, false);
        r->ops = ops;
        r->workload_checksum = sum;
        return HL_OK;
    }
    uint64_t raw = 0, floor = 0;
    uint32_t runs = 0;
    do {
        hl_wl_init(&g, c->w, &c->params, c->seed, c->scratch, c->scratch_bytes);
        ops = 0;
        sum = HL_WL_CHECKSUM0;
        for (size_t n; (n = next_chunk(c, &g, &sum)) != 0; ops += n) {
            raw += run_ops(c, c->ops, n, false);
            floor += run_ops(c, c->ops, n, true);
        }
        runs++;
    } while (raw < c->min_ticks && runs < HL_MAX_STREAM_REPEATS);
    r->ops = ops;
    r->stream_repeats = runs;
    hl_cell_set_ticks(r, raw, floor);
    return HL_OK;
}
