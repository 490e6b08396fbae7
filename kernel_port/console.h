/*
 * console.h — the kernel's text output: COM1 always, mirrored to the VGA
 * text buffer once paging has mapped it (vm_map_device, uncached).
 *
 * con_printf understands a small, fixed subset of printf conversions:
 *   %%  %c  %s  %d  %u  %x  %p, with an optional '0' flag and a width,
 *   and the length modifiers l (32 bits here) and ll (64 bits).
 * Anything else prints as '?'.  Output is unbuffered.
 */
#ifndef HEAPLAB_KERNEL_CONSOLE_H
#define HEAPLAB_KERNEL_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* The VGA text buffer: 80 x 25 cells of (attribute << 8 | character). */
#define VGA_TEXT_PHYS ((uintptr_t)0xB8000)
#define VGA_COLS 80u
#define VGA_ROWS 25u
#define VGA_TEXT_BYTES ((size_t)VGA_COLS * VGA_ROWS * 2u)

/* pre: serial_init() ran. */
void con_putc(char c);
void con_puts(const char *s);
void con_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void con_vprintf(const char *fmt, va_list ap);

/* Mirror everything printed from now on to the VGA text buffer at cells
 * (a mapping of VGA_TEXT_PHYS), starting on a cleared screen; NULL stops
 * the mirror.  pre: cells maps VGA_TEXT_BYTES bytes. */
void con_attach_vga(volatile uint16_t *cells);
/* The cell row the next character goes to (0 .. VGA_ROWS - 1). */
unsigned con_vga_row(void);

/* Format into buf (always NUL-terminated, truncated to bytes - 1
 * characters); returns the characters written.  pre: bytes >= 1. */
size_t con_snprintf(char *buf, size_t bytes, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* HEAPLAB_KERNEL_CONSOLE_H */
