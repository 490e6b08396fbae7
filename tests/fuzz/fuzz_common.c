/*
 * fuzz_common.c — fz_fail, report capture and the poison scan (fuzz.h).
 */
#include "tests/fuzz/fuzz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/host/port_host.h"

static unsigned report_count;
static const char *last_report = "";

static void on_report(void *ctx, const char *allocator, const char *what,
                      const void *ptr, size_t bytes)
{
    (void)ctx;
    (void)allocator;
    (void)ptr;
    (void)bytes;
    report_count++;
    last_report = what;
}

void fz_reports_reset(void)
{
    hl_host_set_report_hook(on_report, NULL);
    report_count = 0;
    last_report = "";
}

unsigned fz_report_count(void) { return report_count; }
const char *fz_last_report(void) { return last_report; }

_Noreturn void fz_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "fuzz: %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

#define FZ_PAGE 4096
static uint8_t pages[256][FZ_PAGE];
static bool pages_ready[256];

size_t fz_find_not(const void *p, uint8_t byte, size_t n)
{
    if (!pages_ready[byte]) {
        memset(pages[byte], byte, FZ_PAGE);
        pages_ready[byte] = true;
    }
    const uint8_t *b = p;
    size_t off = 0;
    while (off < n) {
        size_t k = n - off < FZ_PAGE ? n - off : FZ_PAGE;
        if (memcmp(b + off, pages[byte], k) != 0) {
            for (size_t i = 0; i < k; i++)
                if (b[off + i] != byte)
                    return off + i;
        }
        off += k;
    }
    return n;
}
