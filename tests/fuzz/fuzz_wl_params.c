/*
 * fuzz_wl_params.c — the workload parameter parser (hl_wl_parse), the
 * text a user gives `heaplab run --workload NAME:TEXT` and the kernel's
 * command line.
 *
 * Input: byte 0 picks the workload (registry index, mod count), byte 1-8
 * an --ops figure for hl_wl_scale_ops, the rest is the text (NUL
 * added).  Checked: parse either fails with a message and an offset inside
 * the text, or yields parameters that pass hl_wl_validate; formatting them
 * and parsing the result gives the same parameters; hl_wl_format obeys its
 * snprintf contract for every small cap; scaling to --ops keeps them
 * valid; and a valid set whose scratch fits 1 MiB generates its first
 * ops, each with a slot below slots().
 */
#include <stdlib.h>
#include <string.h>

#include "workloads/workload.h"
#include "workloads/vm.h"
#include "tests/fuzz/fuzz.h"

#define SCRATCH_BYTES ((size_t)1 << 20)
static void *scratch;
static unsigned nworkloads;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    scratch = aligned_alloc(16, SCRATCH_BYTES);
    while (hl_workloads[nworkloads])
        nworkloads++;
    return scratch ? 0 : 1;
}

static void require_valid(const struct hl_workload *w,
                          const struct hl_wl_params *p, const char *when)
{
    const char *err = NULL;
    int bad = -1;
    FZ_REQUIRE(hl_wl_validate(w, p, &err, &bad) == 0,
               "%s: parameters invalid %s: %s (parameter %d)", w->name, when,
               err ? err : "?", bad);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    const struct hl_workload *w = hl_workloads[fz_u8(&f) % nworkloads];
    uint64_t ops = fz_u64(&f);
    char *text = malloc(f.n + 1);
    memcpy(text, f.p, f.n);
    text[f.n] = '\0';

    struct hl_wl_params p;
    const char *err = NULL;
    size_t at = (size_t)-1;
    if (hl_wl_parse(w, text, &p, &err, &at) != 0) {
        FZ_REQUIRE(err && err[0] && at <= strlen(text),
                   "%s: parse failed without a message or at %zu of %zu",
                   w->name, at, strlen(text));
        free(text);
        return 0;
    }
    require_valid(w, &p, "after parse");

    char buf[512], small[512];
    size_t len = hl_wl_format(w, &p, buf, sizeof buf);
    FZ_REQUIRE(len < sizeof buf && strlen(buf) == len,
               "%s: format length %zu", w->name, len);
    for (size_t cap = 0; cap < 48 && cap <= len + 1; cap++) {
        memset(small, 'X', sizeof small);
        size_t l2 = hl_wl_format(w, &p, small, cap);
        FZ_REQUIRE(l2 == len, "%s: format(cap %zu) says %zu, not %zu",
                   w->name, cap, l2, len);
        FZ_REQUIRE(small[cap] == 'X' &&
                       (cap == 0 || (strlen(small) == cap - 1 &&
                                     !memcmp(small, buf, cap - 1))),
                   "%s: format(cap %zu) broke the snprintf contract",
                   w->name, cap);
    }
    struct hl_wl_params q;
    FZ_REQUIRE(hl_wl_parse(w, buf, &q, &err, &at) == 0 &&
                   !memcmp(&p, &q, sizeof p),
               "%s: '%s' does not parse back to the same parameters",
               w->name, buf);

    if (ops)
        hl_wl_scale_ops(w, &p, ops);
    require_valid(w, &p, "after scaling");
    if (w->scratch_bytes(&p) <= SCRATCH_BYTES) {
        struct hl_wl_gen g;
        hl_wl_init(&g, w, &p, ops, scratch, SCRATCH_BYTES);
        uint64_t slots = w->slots(&p);
        struct hl_op op;
        for (int i = 0; i < 64 && w->next(&g, &op); i++)
            FZ_REQUIRE(op.slot < slots &&
                           (w->family == HL_FAMILY_VM
                                ? op.kind >= HL_VM_OP_TOUCH && op.kind <= HL_VM_OP_CR3
                                : op.kind <= HL_OP_FREE),
                       "%s: op %d: kind %u slot %u of %llu", w->name, i,
                       op.kind, op.slot, (unsigned long long)slots);
    }
    free(text);
    return 0;
}
