/*
 * boot.S — the multiboot v1 header and the entry point.
 *
 * The loader (QEMU -kernel) enters kernel_entry in 32-bit protected mode,
 * paging off, interrupts off, EAX = 0x2BADB002, EBX = physical address of
 * the multiboot information.  Its GDT is not ours to keep: gdt_init()
 * replaces it first thing in kernel_main.
 */
#include "kernel_port/multiboot.h"

#define BOOT_STACK_BYTES 32768

        .section .multiboot, "a"
        .balign 4
        .long MB_HEADER_MAGIC
        .long MB_HEADER_FLAGS
        .long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

        .section .bss
        .balign 16
        .global boot_stack_bottom
boot_stack_bottom:
        .skip BOOT_STACK_BYTES
boot_stack_top:

        .section .text
        .global kernel_entry
        .type kernel_entry, @function
kernel_entry:
        cli
        cld
        movl $boot_stack_top, %esp
        xorl %ebp, %ebp          /* ends backtraces */
        pushl %ebx               /* kernel_main(magic, mbi_phys) */
        pushl %eax
        call kernel_main
1:      cli
        hlt
        jmp 1b
        .size kernel_entry, . - kernel_entry

        .section .note.GNU-stack, "", @progbits
