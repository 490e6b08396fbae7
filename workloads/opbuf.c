/*
 * opbuf.c — materialize op streams into buffers, validate ops, and the
 * op buffer / trace header (opbuf.h).  Freestanding.
 */
#include "workloads/opbuf.h"

#include "allocators/util.h"

size_t hl_opbuf_fill(struct hl_wl_gen *g, struct hl_op *ops, size_t cap,
                     uint64_t *checksum)
{
    uint64_t h = *checksum;
    size_t n = 0;
    while (n < cap && g->w->next(g, &ops[n])) {
        h = hl_wl_checksum_op(h, &ops[n]);
        n++;
    }
    *checksum = h;
    return n;
}

int hl_opbuf_validate(const struct hl_op *ops, size_t n, uint64_t nslots,
                      uint32_t nthreads, size_t *bad, const char **why)
{
    for (size_t i = 0; i < n; i++) {
        const struct hl_op *op = &ops[i];
        const char *w = NULL;
        if (op->kind >= HL_OP_NKINDS)
            w = "unknown op kind";
        else if (op->slot >= nslots)
            w = "slot beyond the slot count";
        else if (op->thread >= nthreads)
            w = "thread beyond the thread count";
        else if (op->kind != HL_OP_ALIGNED && op->align_log2 != 0)
            w = "alignment on an op that is not an aligned alloc";
        else if (op->align_log2 > HL_OPBUF_MAX_ALIGN_LOG2)
            w = "alignment above 2^31";
        else if (op->kind == HL_OP_FREE && op->bytes != 0)
            w = "a free with a size";
        if (w) {
            *bad = i;
            *why = w;
            return -1;
        }
    }
    return 0;
}

void hl_opbuf_header_init(struct hl_opbuf_header *h, uint64_t nops,
                          uint64_t nslots, uint64_t checksum,
                          uint32_t nthreads, uint32_t meta_bytes)
{
    hl_memset(h, 0, sizeof *h);
    hl_memcpy(h->magic, HL_OPBUF_MAGIC, sizeof h->magic);
    h->version = HL_OPBUF_VERSION;
    h->header_bytes =
        (uint32_t)HL_ALIGN_UP(sizeof *h + (size_t)meta_bytes, sizeof(struct hl_op));
    h->nops = nops;
    h->nslots = nslots;
    h->checksum = checksum;
    h->nthreads = nthreads;
    h->meta_bytes = meta_bytes;
}

#define AT(field) offsetof(struct hl_opbuf_header, field)

int hl_opbuf_header_check(const struct hl_opbuf_header *h,
                          uint64_t file_bytes, const char **why, size_t *at)
{
    const char *w = NULL;
    size_t off = 0;
    uint64_t ops_room = 0;
    if (file_bytes < sizeof *h) {
        w = "shorter than the 64-byte header";
        off = (size_t)file_bytes;
    } else if (hl_memcmp(h->magic, HL_OPBUF_MAGIC, sizeof h->magic) != 0) {
        w = "not an op buffer (bad magic)";
        off = AT(magic);
    } else if (h->version != HL_OPBUF_VERSION) {
        w = "unsupported version";
        off = AT(version);
    } else if (h->meta_bytes > HL_OPBUF_MAX_META) {
        w = "meta text larger than 1 MiB";
        off = AT(meta_bytes);
    } else if (h->header_bytes != HL_ALIGN_UP(sizeof *h + (uint64_t)h->meta_bytes,
                                           sizeof(struct hl_op))) {
        w = "header_bytes does not match meta_bytes";
        off = AT(header_bytes);
    } else if (h->header_bytes > file_bytes) {
        w = "file ends inside the meta text";
        off = (size_t)file_bytes;
    } else if (h->nthreads == 0) {
        w = "thread count 0";
        off = AT(nthreads);
    } else if (h->nslots == 0 || h->nslots > UINT32_MAX + (uint64_t)1) {
        w = "slot count 0 or above 2^32";
        off = AT(nslots);
    } else if (h->reserved != 0) {
        w = "reserved field not 0";
        off = AT(reserved);
    } else {
        ops_room = (file_bytes - h->header_bytes) / sizeof(struct hl_op);
        if (h->nops != ops_room ||
            (file_bytes - h->header_bytes) % sizeof(struct hl_op) != 0) {
            w = h->nops > ops_room ? "file ends before its last op"
                                   : "bytes after the last op";
            off = h->nops > ops_room
                      ? (size_t)file_bytes
                      : (size_t)(h->header_bytes + h->nops * sizeof(struct hl_op));
        }
    }
    if (!w)
        return 0;
    *why = w;
    *at = off;
    return -1;
}
