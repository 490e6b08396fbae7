/*
 * trap_entry.S — exception stubs, descriptor-table loads, the kjmp
 * recovery points, ring-3 entry, and the ring-3 test stubs.
 *
 * Every exception stub leaves the same frame (struct trap_frame, trap.h):
 * the CPU pushes [SS ESP if from ring 3] EFLAGS CS EIP [error code]; the
 * stub pushes a 0 error code where the CPU pushes none, then the vector;
 * trap_common pushes the general registers (pusha) and DS ES FS GS.
 */
#include "kernel_port/segments.h"

        .section .text

        .macro TRAP_STUB n, err
        .balign 16
trap_stub_\n:
        .if \err == 0
        pushl $0
        .endif
        pushl $\n
        jmp trap_common
        .endm

        TRAP_STUB 0, 0
        TRAP_STUB 1, 0
        TRAP_STUB 2, 0
        TRAP_STUB 3, 0
        TRAP_STUB 4, 0
        TRAP_STUB 5, 0
        TRAP_STUB 6, 0
        TRAP_STUB 7, 0
        TRAP_STUB 8, 1
        TRAP_STUB 9, 0
        TRAP_STUB 10, 1
        TRAP_STUB 11, 1
        TRAP_STUB 12, 1
        TRAP_STUB 13, 1
        TRAP_STUB 14, 1
        TRAP_STUB 15, 0
        TRAP_STUB 16, 0
        TRAP_STUB 17, 1
        TRAP_STUB 18, 0
        TRAP_STUB 19, 0
        TRAP_STUB 20, 0
        TRAP_STUB 21, 1
        TRAP_STUB 22, 0
        TRAP_STUB 23, 0
        TRAP_STUB 24, 0
        TRAP_STUB 25, 0
        TRAP_STUB 26, 0
        TRAP_STUB 27, 0
        TRAP_STUB 28, 0
        TRAP_STUB 29, 1
        TRAP_STUB 30, 1
        TRAP_STUB 31, 0

trap_common:
        pushal
        pushl %ds
        pushl %es
        pushl %fs
        pushl %gs
        movw $SEG_KDATA, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %fs
        movw %ax, %gs
        cld
        pushl %esp               /* trap_dispatch(frame) */
        call trap_dispatch
        addl $4, %esp
        popl %gs
        popl %fs
        popl %es
        popl %ds
        popal
        addl $8, %esp            /* vector, error code */
        iret

        .section .rodata
        .balign 4
        .global trap_stub_table
trap_stub_table:
        .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .long trap_stub_\n
        .endr

        .section .text

/* void gdt_load(const struct gdt_ptr *p): lgdt, then reload every
 * segment register (CS by a far jump). */
        .global gdt_load
gdt_load:
        movl 4(%esp), %eax
        lgdt (%eax)
        movw $SEG_KDATA, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %fs
        movw %ax, %gs
        movw %ax, %ss
        ljmp $SEG_KCODE, $1f
1:      ret

/* void tss_load(uint16_t selector) */
        .global tss_load
tss_load:
        movl 4(%esp), %eax
        ltr %ax
        ret

/* void idt_load(const struct idt_ptr *p) */
        .global idt_load
idt_load:
        movl 4(%esp), %eax
        lidt (%eax)
        ret

/* int kjmp_set(struct kjmp *j): struct kjmp is {ebx, esi, edi, ebp, esp,
 * eip}; esp is the caller's ESP after this call returns. */
        .global kjmp_set
kjmp_set:
        movl 4(%esp), %eax
        movl %ebx, 0(%eax)
        movl %esi, 4(%eax)
        movl %edi, 8(%eax)
        movl %ebp, 12(%eax)
        leal 4(%esp), %ecx
        movl %ecx, 16(%eax)
        movl (%esp), %ecx
        movl %ecx, 20(%eax)
        xorl %eax, %eax
        ret

/* void kjmp_long(const struct kjmp *j, int val): val 0 becomes 1. */
        .global kjmp_long
kjmp_long:
        movl 4(%esp), %edx
        movl 8(%esp), %eax
        testl %eax, %eax
        jnz 1f
        incl %eax
1:      movl 0(%edx), %ebx
        movl 4(%edx), %esi
        movl 8(%edx), %edi
        movl 12(%edx), %ebp
        movl 16(%edx), %esp
        jmp *20(%edx)

/* void user_enter(uintptr_t eip, uintptr_t esp, uint32_t arg): iret to
 * ring 3 with EAX = arg and IF clear. */
        .global user_enter
user_enter:
        movl 4(%esp), %ecx
        movl 8(%esp), %edx
        movl 12(%esp), %eax
        pushl $SEG_UDATA         /* SS */
        pushl %edx               /* ESP */
        pushfl
        andl $~0x200, (%esp)     /* EFLAGS.IF = 0 */
        pushl $SEG_UCODE         /* CS */
        pushl %ecx               /* EIP */
        movw $SEG_UDATA, %dx
        movw %dx, %ds
        movw %dx, %es
        movw %dx, %fs
        movw %dx, %gs
        iret

/*
 * Ring-3 test stubs, in their own page(s) (.user_text), which paging maps
 * user-accessible at USER_CODE_VA.  Position-independent.  Each takes an
 * address in EAX, accesses it, then executes ud2: a #UD from ring 3 means
 * "the access did not fault".
 */
        .section .user_text, "ax"
        .balign 16
        .global user_stub_read
user_stub_read:
        movl (%eax), %ecx
        ud2
        .global user_stub_write
user_stub_write:
        movl $0x5A5A5A5A, (%eax)
        ud2
        .global user_stub_ret
user_stub_ret:                   /* called from ring 0 in the SMEP test */
        ret

        .section .note.GNU-stack, "", @progbits
