/*
 * bootinfo.c — copy what the kernel needs out of the multiboot structure
 * (kernel.h, kboot), and read the command line.
 */
#include "allocators/port.h"
#include "kernel_port/kernel.h"
#include "kernel_port/multiboot.h"

struct boot_info kboot;

void boot_info_copy(uint32_t mbi_phys)
{
    const struct mb_info *mbi = (const struct mb_info *)(uintptr_t)mbi_phys;
    kboot.nranges = 0;
    kboot.cmdline[0] = '\0';

    if (mbi->flags & MB_INFO_CMDLINE) {
        const char *s = (const char *)(uintptr_t)mbi->cmdline_phys;
        size_t i = 0;
        while (s[i] && i + 1 < KBOOT_CMDLINE_BYTES) {
            kboot.cmdline[i] = s[i];
            i++;
        }
        kboot.cmdline[i] = '\0';
        kboot.cmdline_truncated = s[i] != '\0';
    }

    kboot.nmodules = 0;
    if (mbi->flags & MB_INFO_MODS) {
        const struct mb_module *m = (const struct mb_module *)(uintptr_t)mbi->mods_phys;
        for (uint32_t i = 0; i < mbi->mods_count; i++) {
            if (kboot.nmodules == KBOOT_MAX_MODULES) {
                kboot.modules_truncated = true;
                break;
            }
            struct boot_module *b = &kboot.modules[kboot.nmodules++];
            b->start_phys = m[i].mod_start;
            b->bytes = m[i].mod_end > m[i].mod_start ? m[i].mod_end - m[i].mod_start : 0;
            const char *s = (const char *)(uintptr_t)m[i].string_phys;
            size_t n = 0;
            while (s && s[n] && n + 1 < KBOOT_MODULE_NAME_BYTES) {
                b->name[n] = s[n];
                n++;
            }
            b->name[n] = '\0';
        }
    }

    if (mbi->flags & MB_INFO_MMAP) {
        uintptr_t p = mbi->mmap_phys, end = p + mbi->mmap_bytes;
        while (p < end) {
            const struct mb_mmap_entry *e = (const struct mb_mmap_entry *)p;
            if (kboot.nranges == KBOOT_MAX_RANGES) {
                kboot.ranges_truncated = true;
                break;
            }
            struct phys_range *r = &kboot.ranges[kboot.nranges++];
            r->base_addr = e->base_addr;
            r->length_bytes = e->length_bytes;
            r->type = e->type;
            p += e->size + sizeof e->size;
        }
    } else if (mbi->flags & MB_INFO_MEM) {
        /* Old loaders: [0, mem_lower KiB) and [1 MiB, 1 MiB + mem_upper KiB). */
        kboot.ranges[0] = (struct phys_range){0, (uint64_t)mbi->mem_lower_kib * 1024u,
                                              MB_MMAP_AVAILABLE};
        kboot.ranges[1] = (struct phys_range){0x100000u, (uint64_t)mbi->mem_upper_kib * 1024u,
                                              MB_MMAP_AVAILABLE};
        kboot.nranges = 2;
    }
}

static bool is_space(char c) { return c == ' ' || c == '\t'; }

/* Visit the words of the command line that read "key=value": calls
 * fn(ctx, value, len) for each in order; stops when fn returns false. */
static void kcmd_each(const char *key, bool (*fn)(void *ctx, const char *v, size_t len),
                      void *ctx)
{
    const char *s = kboot.cmdline;
    while (*s) {
        while (is_space(*s))
            s++;
        const char *word = s;
        while (*s && !is_space(*s))
            s++;
        /* word .. s: does it start with "key="? */
        const char *k = key, *w = word;
        while (*k && w < s && *w == *k) {
            k++;
            w++;
        }
        if (*k || w == s || *w != '=')
            continue;
        w++;
        if (!fn(ctx, w, (size_t)(s - w)))
            return;
    }
}

struct kcmd_last {
    const char *v;
    size_t len;
    bool found;
};

static bool take_last(void *ctx, const char *v, size_t len)
{
    struct kcmd_last *l = ctx;
    l->v = v;
    l->len = len;
    l->found = true;
    return true; /* keep going: a later word wins */
}

bool kcmd_get(const char *key, char *out, size_t bytes)
{
    struct kcmd_last l = {0};
    kcmd_each(key, take_last, &l);
    if (!l.found)
        return false;
    size_t n = 0;
    while (n < l.len && n + 1 < bytes) {
        out[n] = l.v[n];
        n++;
    }
    out[n] = '\0';
    return true;
}

struct kcmd_nth {
    unsigned want, seen;
    const char *v;
    size_t len;
};

static bool take_nth(void *ctx, const char *v, size_t len)
{
    struct kcmd_nth *t = ctx;
    if (t->seen++ != t->want)
        return true;
    t->v = v;
    t->len = len;
    return false;
}

bool kcmd_find(const char *key, unsigned n, const char **value, size_t *len)
{
    struct kcmd_nth t = {.want = n};
    kcmd_each(key, take_nth, &t);
    if (!t.v)
        return false;
    *value = t.v;
    *len = t.len;
    return true;
}

bool kcmd_list_has(const char *list, const char *item)
{
    const char *s = list;
    while (*s) {
        const char *i = item;
        while (*i && *s == *i) {
            i++;
            s++;
        }
        if (*i == '\0' && (*s == ',' || *s == '\0'))
            return true;
        while (*s && *s != ',')
            s++;
        if (*s == ',')
            s++;
    }
    return false;
}
