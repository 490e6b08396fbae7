/*
 * port.h — the one seam between freestanding heaplab code and its
 * environment.
 *
 * Everything under allocators/, workloads/ and bench/core/ includes only
 * <stddef.h> <stdint.h> <stdbool.h> <stdalign.h> and this header.  Each
 * environment implements the three hooks below exactly once:
 *   - the host:   bench/host/port_host.c
 *   - the kernel: kernel_port/ (its platform code)
 *
 * The mem* helpers expand to GCC builtins.  The compiler inlines small
 * constant-size cases and otherwise emits a call to memset/memcpy/memmove/
 * memcmp, which libc provides on the host and the kernel provides itself.
 */
#ifndef HEAPLAB_PORT_H
#define HEAPLAB_PORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* ---- hooks: implemented once per environment ---------------------------- */

/* Stop everything: an internal invariant of heaplab itself is broken.
 * pre: msg is a static string.  Never returns. */
_Noreturn void hl_panic(const char *file, int line, const char *msg);

/* An allocator (in a checked build) refused an invalid operation: a double
 * free, a foreign or interior pointer, a wrong size or order.  The
 * allocator has NOT changed its state; it returns an error status as well.
 * The host turns this into a message (tests into a recorded event); the
 * kernel prints it on the serial console.
 * pre: allocator and what are static strings. */
void hl_report(const char *allocator, const char *what, const void *ptr,
               size_t bytes);

/* One line of diagnostic text (no trailing newline needed). */
void hl_log(const char *line);

/* ---- memory helpers ----------------------------------------------------- */

#define hl_memset(dst, byte, n) __builtin_memset((dst), (byte), (n))
#define hl_memcpy(dst, src, n) __builtin_memcpy((dst), (src), (n))
#define hl_memmove(dst, src, n) __builtin_memmove((dst), (src), (n))
#define hl_memcmp(a, b, n) __builtin_memcmp((a), (b), (n))

/* ---- checks --------------------------------------------------------------
 *
 * One knob, HL_CHECK_LEVEL, set by the build (CMake option
 * HEAPLAB_CHECK_LEVEL; presets: release 0, checked 2):
 *   0  release: no checks, nothing costs anything
 *   1  validate every free (double, foreign, interior, wrong size/order)
 *      and assert internal invariants
 *   2  level 1 + poison fresh and freed memory, verify freed poison on reuse
 *   3  level 2 + run the allocator's full check() after every operation
 * A disabled check still type-checks (Linux's VM_BUG_ON trick).
 */
#ifndef HL_CHECK_LEVEL
#define HL_CHECK_LEVEL 0
#endif

#define HL_STR2(x) #x
#define HL_STR(x) HL_STR2(x)

#if HL_CHECK_LEVEL >= 1
#define HL_ASSERT(cond)                                                       \
    do {                                                                      \
        if (!(cond))                                                          \
            hl_panic(__FILE__, __LINE__, "assertion failed: " #cond);         \
    } while (0)
#else
#define HL_ASSERT(cond) ((void)sizeof((cond) ? 1 : 0))
#endif

/* Poison bytes (checked builds, level >= 2). */
#define HL_POISON_FRESH 0xCDu /* handed out, never written by the user */
#define HL_POISON_FREED 0xDDu /* freed: reads of it are use-after-free */

#endif /* HEAPLAB_PORT_H */
