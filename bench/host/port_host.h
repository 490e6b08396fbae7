/*
 * port_host.h — the host's implementation of allocators/port.h, and the
 * host-only knobs on it.
 */
#ifndef HEAPLAB_PORT_HOST_H
#define HEAPLAB_PORT_HOST_H

#include <stddef.h>

/* Called for every hl_report() (a checked allocator refused a free). */
typedef void (*hl_host_report_fn)(void *ctx, const char *allocator,
                                  const char *what, const void *ptr,
                                  size_t bytes);

/* Route hl_report() to fn (NULL: back to the default, one line on stderr).
 * Returns the previous hook. */
hl_host_report_fn hl_host_set_report_hook(hl_host_report_fn fn, void *ctx);

/* Number of hl_report() calls since the process started. */
unsigned long hl_host_report_count(void);

#endif /* HEAPLAB_PORT_HOST_H */
