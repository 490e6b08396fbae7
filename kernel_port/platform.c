/*
 * platform.c — the kernel's side of allocators/port.h (hl_panic,
 * hl_report, hl_log), the mem* functions GCC may call from any object,
 * and how the kernel ends.
 */
#include <stddef.h>
#include <stdint.h>

#include "allocators/port.h"
#include "kernel_port/console.h"
#include "kernel_port/kernel.h"
#include "kernel_port/x86.h"

/* GCC turns byte loops into calls to memset/memcpy (loop distribution);
 * inside memset itself that would recurse forever. */
#define KMEM_NO_LIBCALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))

void *memset(void *dst, int byte, size_t n);
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* A word that may alias any object (memset stores into every type). */
typedef uint32_t __attribute__((may_alias)) kmem_word;

/* Bytes up to a 4-byte boundary, then 32-bit words (16 bytes a round),
 * then the tail.  Word stores matter: a checked build poisons a cell's
 * whole region at every init (tens of MiB), and under TCG every guest
 * instruction costs; a byte loop took about 4 instructions a byte. */
KMEM_NO_LIBCALLS void *memset(void *dst, int byte, size_t n)
{
    uint8_t *d = dst;
    uint8_t b = (uint8_t)byte;
    while (n > 0 && ((uintptr_t)d & 3u) != 0) {
        *d++ = b;
        n--;
    }
    uint32_t word = (uint32_t)b * 0x01010101u;
    kmem_word *w = (kmem_word *)(void *)d;
    for (; n >= 16; n -= 16, w += 4) {
        w[0] = word;
        w[1] = word;
        w[2] = word;
        w[3] = word;
    }
    for (; n >= 4; n -= 4)
        *w++ = word;
    d = (uint8_t *)w;
    while (n-- > 0)
        *d++ = b;
    return dst;
}

KMEM_NO_LIBCALLS void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    for (size_t i = 0; i < n; i++)
        d[i] = s[i];
    return dst;
}

KMEM_NO_LIBCALLS void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if ((uintptr_t)d < (uintptr_t)s) {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    } else {
        for (size_t i = n; i > 0; i--)
            d[i - 1] = s[i - 1];
    }
    return dst;
}

KMEM_NO_LIBCALLS int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

/* ---- port hooks ------------------------------------------------------------ */

_Noreturn void kernel_exit(bool ok)
{
    con_printf("@HL done,%s\n", ok ? "ok" : "fail");
    x86_outl((uint16_t)KEXIT_PORT, ok ? KEXIT_SUCCESS : KEXIT_FAILURE);
    /* No isa-debug-exit device: stay halted. */
    x86_halt_forever();
}

_Noreturn void kernel_panic(const char *file, int line, const char *msg)
{
    con_printf("\nPANIC %s:%d: %s\n@HL error,panic,%s\n", file, line, msg, msg);
    kernel_exit(false);
}

_Noreturn void hl_panic(const char *file, int line, const char *msg)
{
    kernel_panic(file, line, msg);
}

static size_t reports;

size_t kernel_reports(void) { return reports; }

void hl_report(const char *allocator, const char *what, const void *ptr, size_t bytes)
{
    reports++;
    con_printf("@HL report,%s,%s,%p,%u\n", allocator, what, ptr, (unsigned)bytes);
}

void hl_log(const char *line)
{
    con_puts(line);
    con_putc('\n');
}
