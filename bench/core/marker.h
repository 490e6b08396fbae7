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
 *     0f 1f 80  KK 4d 4c 48     KK = 01 start, 02 stop, 03 op boundary,
 *                                   04 start of a floor region,
 *                                   05 op begin, 06 op end,
 *                                   07 start of a per-op region
 *                                   ("HLM" + kind)
 *
 * A region opened by 04 is the harness floor's (the runner's null
 * allocator through the same loop, runner.c); one opened by 01 is the
 * measured code's.  The plugin names the opener in its report's `label`
 * column (main or floor), so the host nets one from the other without
 * counting regions.
 *
 * A region opened by 07 (closed by the ordinary stop, 02) is a per-op
 * region: inside it, each 05 .. 06 pair surrounds one allocator call, and
 * the plugin puts the modelled cycles and instructions between the two
 * into a histogram (hist.h's buckets) that it writes to its hist= file
 * at the stop; per-op regions are not rows of its ordinary report.  An
 * 05 or 06 outside a per-op region is ignored, as is an 06 without its
 * 05.  Kinds 08..ff are free for later use.
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
 * Where they are: runner.c's stream_timed, around one run of the
 * BATCH pass's stream (start or start-floor before the first chunk,
 * stop after the last), outside the clock pair and outside the measure
 * hooks (callgrind's window), so the other clocks do not see them.
 * 05, 06 and 07 only in the PEROP pass's modelled variant
 * (hl_cell_config.perop_modelled: no clock read at all, each allocator
 * call between 05 and 06, the whole pass a per-op region); the ordinary
 * PEROP and BATCH passes never execute them.
 */
#ifndef HEAPLAB_MARKER_H
#define HEAPLAB_MARKER_H

#define HL_MARKER_MAGIC 0x484c4d00u /* "HLM\0" */
#define HL_MARKER_START 1u
#define HL_MARKER_STOP 2u
#define HL_MARKER_OP 3u
#define HL_MARKER_START_FLOOR 4u
#define HL_MARKER_OP_BEGIN 5u
#define HL_MARKER_OP_END 6u
#define HL_MARKER_START_PEROP 7u
#define HL_MARKER_LAST HL_MARKER_START_PEROP /* the highest kind in use */
#define HL_MARKER_BYTES 7u

/* The marker as assembler text, for use inside a larger asm block (the
 * test program keeps its whole measured loop in one block). */
#define HL_MARKER_ASM_(kind) ".byte 0x0f, 0x1f, 0x80, " #kind ", 0x4d, 0x4c, 0x48\n\t"
#define HL_MARKER_START_ASM HL_MARKER_ASM_(0x01)
#define HL_MARKER_STOP_ASM HL_MARKER_ASM_(0x02)
#define HL_MARKER_OP_ASM HL_MARKER_ASM_(0x03)
#define HL_MARKER_START_FLOOR_ASM HL_MARKER_ASM_(0x04)
#define HL_MARKER_OP_BEGIN_ASM HL_MARKER_ASM_(0x05)
#define HL_MARKER_OP_END_ASM HL_MARKER_ASM_(0x06)
#define HL_MARKER_START_PEROP_ASM HL_MARKER_ASM_(0x07)

static inline void hl_marker_start(void)
{
    __asm__ __volatile__(HL_MARKER_START_ASM ::: "memory");
}

static inline void hl_marker_start_floor(void)
{
    __asm__ __volatile__(HL_MARKER_START_FLOOR_ASM ::: "memory");
}

static inline void hl_marker_stop(void)
{
    __asm__ __volatile__(HL_MARKER_STOP_ASM ::: "memory");
}

static inline void hl_marker_op(void)
{
    __asm__ __volatile__(HL_MARKER_OP_ASM ::: "memory");
}

static inline void hl_marker_op_begin(void)
{
    __asm__ __volatile__(HL_MARKER_OP_BEGIN_ASM ::: "memory");
}

static inline void hl_marker_op_end(void)
{
    __asm__ __volatile__(HL_MARKER_OP_END_ASM ::: "memory");
}

static inline void hl_marker_start_perop(void)
{
    __asm__ __volatile__(HL_MARKER_START_PEROP_ASM ::: "memory");
}

#endif
