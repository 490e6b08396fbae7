/*
 * selftest_asm.S — instructions that fault on purpose, each behind a
 * global label so a self-test can check the EIP an exception reports.
 * cdecl: argument at 4(%esp).
 */
        .section .text

/* void trigger_de(void): divide by zero (#DE, a fault: EIP = the div). */
        .global trigger_de, trigger_de_insn
trigger_de:
        xorl %edx, %edx
        movl $1, %eax
        xorl %ecx, %ecx
trigger_de_insn:
        divl %ecx
        ret

/* void trigger_bp(void): int3 (#BP, a trap: EIP = the next instruction). */
        .global trigger_bp, trigger_bp_after
trigger_bp:
        int3
trigger_bp_after:
        ret

/* void trigger_ud(void): ud2 (#UD, a fault). */
        .global trigger_ud, trigger_ud_insn
trigger_ud:
trigger_ud_insn:
        ud2
        ret

/* void trigger_gp(void): load DS with selector 0x30, past the GDT's
 * limit (#GP with error code 0x30; DS is unchanged). */
        .global trigger_gp, trigger_gp_insn
trigger_gp:
        movw $0x30, %ax
trigger_gp_insn:
        movw %ax, %ds
        ret

/* uint32_t trigger_read(uintptr_t addr): return *(uint32_t *)addr. */
        .global trigger_read, trigger_read_insn
trigger_read:
        movl 4(%esp), %eax
trigger_read_insn:
        movl (%eax), %eax
        ret

/* void trigger_write(uintptr_t addr): *(uint32_t *)addr = 0xA5A5A5A5. */
        .global trigger_write, trigger_write_insn
trigger_write:
        movl 4(%esp), %eax
trigger_write_insn:
        movl $0xA5A5A5A5, (%eax)
        ret

/* void trigger_call(uintptr_t addr): call addr (a fetch fault reports
 * EIP = CR2 = addr). */
        .global trigger_call
trigger_call:
        movl 4(%esp), %eax
        call *%eax
        ret

        .section .note.GNU-stack, "", @progbits
