/*
 * console.c — formatted output to COM1 and the VGA mirror.
 *
 * One formatter (fmt_run) writes through a sink: the console sink sends
 * each character to the UART and the VGA cells; the buffer sink fills a
 * caller's array.  The formatter divides 64-bit numbers only for %llu,
 * which libgcc's __udivdi3 serves; nothing on a hot path prints.
 */
#include "kernel_port/console.h"

#include "kernel_port/serial.h"

#define VGA_ATTR_GREY_ON_BLACK 0x07u

static volatile uint16_t *vga_cells; /* NULL: no mirror */
static unsigned vga_row, vga_col;

struct sink {
    void (*put)(struct sink *s, char c);
    char *buf; /* buffer sink only */
    size_t cap, len;
};

/* ---- VGA mirror ---------------------------------------------------------- */

static uint16_t vga_cell(char c) { return (uint16_t)(VGA_ATTR_GREY_ON_BLACK << 8 | (uint8_t)c); }

static void vga_scroll(void)
{
    for (unsigned i = 0; i < (VGA_ROWS - 1) * VGA_COLS; i++)
        vga_cells[i] = vga_cells[i + VGA_COLS];
    for (unsigned i = (VGA_ROWS - 1) * VGA_COLS; i < VGA_ROWS * VGA_COLS; i++)
        vga_cells[i] = vga_cell(' ');
    vga_row = VGA_ROWS - 1;
}

static void vga_putc(char c)
{
    if (c == '\n') {
        vga_col = 0;
        if (++vga_row == VGA_ROWS)
            vga_scroll();
        return;
    }
    if (vga_col == VGA_COLS) {
        vga_col = 0;
        if (++vga_row == VGA_ROWS)
            vga_scroll();
    }
    vga_cells[vga_row * VGA_COLS + vga_col++] = vga_cell(c);
}

void con_attach_vga(volatile uint16_t *cells)
{
    vga_cells = cells;
    vga_row = vga_col = 0;
    if (cells)
        for (unsigned i = 0; i < VGA_ROWS * VGA_COLS; i++)
            cells[i] = vga_cell(' ');
}

unsigned con_vga_row(void) { return vga_row; }

/* ---- sinks --------------------------------------------------------------- */

void con_putc(char c)
{
    serial_putc(c);
    if (vga_cells)
        vga_putc(c);
}

static void sink_console(struct sink *s, char c)
{
    (void)s;
    con_putc(c);
}

static void sink_buffer(struct sink *s, char c)
{
    if (s->len + 1 < s->cap)
        s->buf[s->len++] = c;
}

void con_puts(const char *s)
{
    while (*s)
        con_putc(*s++);
}

/* ---- the formatter ------------------------------------------------------- */

/* Print v in base 10 or 16, at least `width` characters, padded with
 * `pad`; neg prefixes a minus sign. */
static void fmt_num(struct sink *s, uint64_t v, unsigned base, unsigned width, char pad, bool neg)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[24];
    unsigned n = 0;
    do {
        /* 32-bit values take the 32-bit division: no libgcc call. */
        if (v <= UINT32_MAX) {
            tmp[n++] = digits[(uint32_t)v % base];
            v = (uint32_t)v / base;
        } else {
            tmp[n++] = digits[v % base];
            v /= base;
        }
    } while (v != 0);
    unsigned len = n + (neg ? 1u : 0u);
    if (neg && pad == '0')
        s->put(s, '-');
    for (; len < width; len++)
        s->put(s, pad);
    if (neg && pad != '0')
        s->put(s, '-');
    while (n > 0)
        s->put(s, tmp[--n]);
}

static void fmt_run(struct sink *s, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            s->put(s, *fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        unsigned width = 0, longs = 0;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (unsigned)(*fmt++ - '0');
        while (*fmt == 'l') {
            longs++;
            fmt++;
        }
        switch (*fmt) {
        case '%':
            s->put(s, '%');
            break;
        case 'c':
            s->put(s, (char)va_arg(ap, int));
            break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str)
                str = "(null)";
            unsigned len = 0;
            for (const char *p = str; *p; p++)
                len++;
            for (; len < width; len++)
                s->put(s, ' ');
            while (*str)
                s->put(s, *str++);
            break;
        }
        case 'd': {
            int64_t v = longs >= 2 ? va_arg(ap, long long) : longs ? va_arg(ap, long) : va_arg(ap, int);
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            fmt_num(s, mag, 10, width, pad, v < 0);
            break;
        }
        case 'u':
        case 'x': {
            uint64_t v = longs >= 2 ? va_arg(ap, unsigned long long)
                         : longs    ? va_arg(ap, unsigned long)
                                    : va_arg(ap, unsigned);
            fmt_num(s, v, *fmt == 'u' ? 10u : 16u, width, pad, false);
            break;
        }
        case 'p':
            s->put(s, '0');
            s->put(s, 'x');
            fmt_num(s, (uintptr_t)va_arg(ap, void *), 16, 8, '0', false);
            break;
        case '\0':
            return;
        default:
            s->put(s, '?');
            break;
        }
    }
}

void con_vprintf(const char *fmt, va_list ap)
{
    struct sink s = {.put = sink_console};
    fmt_run(&s, fmt, ap);
}

void con_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    con_vprintf(fmt, ap);
    va_end(ap);
}

size_t con_snprintf(char *buf, size_t bytes, const char *fmt, ...)
{
    struct sink s = {.put = sink_buffer, .buf = buf, .cap = bytes, .len = 0};
    va_list ap;
    va_start(ap, fmt);
    fmt_run(&s, fmt, ap);
    va_end(ap);
    buf[s.len] = '\0';
    return s.len;
}
