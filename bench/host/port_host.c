/*
 * port_host.c — allocators/port.h on a POSIX host: panics abort with a
 * message on stderr, reports go to a settable hook (default: stderr).
 */
#include "bench/host/port_host.h"

#include <stdio.h>
#include <stdlib.h>

#include "allocators/port.h"

static hl_host_report_fn report_hook;
static void *report_ctx;
static unsigned long report_count;

hl_host_report_fn hl_host_set_report_hook(hl_host_report_fn fn, void *ctx)
{
    hl_host_report_fn old = report_hook;
    report_hook = fn;
    report_ctx = ctx;
    return old;
}

unsigned long hl_host_report_count(void) { return report_count; }

_Noreturn void hl_panic(const char *file, int line, const char *msg)
{
    fflush(stdout);
    fprintf(stderr, "heaplab: panic at %s:%d: %s\n", file, line, msg);
    abort();
}

void hl_report(const char *allocator, const char *what, const void *ptr,
               size_t bytes)
{
    report_count++;
    if (report_hook) {
        report_hook(report_ctx, allocator, what, ptr, bytes);
        return;
    }
    fprintf(stderr, "heaplab: %s: %s: %p (%zu bytes)\n", allocator, what, ptr,
            bytes);
}

void hl_log(const char *line) { fprintf(stderr, "heaplab: %s\n", line); }
