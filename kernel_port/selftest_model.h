/*
 * selftest_model.h — test=model (never in "all"): known loops between the
 * cost plugin's markers (bench/core/marker.h), for tests/model/kernel.sh,
 * which boots the kernel under qemu-system-i386 with heaplab-cost.so and
 * checks the plugin's report against the "@HL model,expect,..." lines.
 */
#ifndef HEAPLAB_KERNEL_SELFTEST_MODEL_H
#define HEAPLAB_KERNEL_SELFTEST_MODEL_H

void selftest_model(void);

#endif
