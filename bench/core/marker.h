/*
 * marker.h — region markers the QEMU cost plugin (bench/qemu-plugin/,
 * docs/model.md) sees in the instruction stream: no device, no port, no
 * system call, so the host (qemu-x86_64) and the i386 kernel
 * (qemu-system-i386) emit the same bytes.  Freestanding.
 *
 * A marker is the 7-byte multi-byte NOP
 *
 *     0f 1f 80 <disp32>        nopl disp32(%eax)   (i386)
 *                              nopl disp32(%rax)   (x86_64, same bytes)
 *
 * with disp32 = HL_MARKER_MAGIC | kind, little-endian in the bytes:
 *
 *     0f 1f 80  KK 4d 4c 48     KK = 01 start, 02 stop, 03 op boundary
 *                                   ("HLM" + kind)
 *
 * `nopl m32` decodes its memory operand but never accesses it, never
 * faults and changes no flags or registers: on real hardware it is a NOP
 * of one cycle or less; under QEMU it translates to nothing.  The plugin
 * recognises it at translation time from the instruction bytes.  Any
 * other displacement is an ordinary NOP to the plugin as well.
 *
 * The inline functions are compiler barriers ("memory" clobber): loads
 * and stores of the measured code are not moved across a marker.  They
 * change nothing else, so a build that is never run under the plugin
 * pays one NOP per marker.
 *
 * Where they will go (not yet called): runner.c, around the measured op
 * loop (start before the first op, stop after the last) and an op marker
 * before each op, so the plugin can give per-op modelled cycles.
 */
#ifndef HEAPLAB_MARKER_H
#define HEAPLAB_MARKER_H

#define HL_MARKER_MAGIC 0x484c4d00u /* "HLM\0" */
#define HL_MARKER_START 1u
#define HL_MARKER_STOP 2u
#define HL_MARKER_OP 3u
#define HL_MARKER_BYTES 7u

/* The marker as assembler text, for use inside a larger asm block (the
 * test program keeps its whole measured loop in one block). */
#define HL_MARKER_ASM_(kind) ".byte 0x0f, 0x1f, 0x80, " #kind ", 0x4d, 0x4c, 0x48\n\t"
#define HL_MARKER_START_ASM HL_MARKER_ASM_(0x01)
#define HL_MARKER_STOP_ASM HL_MARKER_ASM_(0x02)
#define HL_MARKER_OP_ASM HL_MARKER_ASM_(0x03)

static inline void hl_marker_start(void)
{
    __asm__ __volatile__(HL_MARKER_START_ASM ::: "memory");
}

static inline void hl_marker_stop(void)
{
    __asm__ __volatile__(HL_MARKER_STOP_ASM ::: "memory");
}

static inline void hl_marker_op(void)
{
    __asm__ __volatile__(HL_MARKER_OP_ASM ::: "memory");
}

#endif
