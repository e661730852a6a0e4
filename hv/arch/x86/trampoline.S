/*
 * The AP start-up trampoline. The BSP copies [hv_trampoline_start, hv_trampoline_end) to
 * TRAMPOLINE_BASE, fills the parameter block at its end, and sends INIT-SIPI-SIPI; the AP wakes
 * in real mode at TRAMPOLINE_BASE, goes through 32-bit protected mode to long mode on the BSP's
 * boot page tables (Intel SDM 9.9 "Mode Switching"; AMD APM vol. 2, 14.6 "Enabling and
 * Activating Long Mode") and jumps to the entry in the parameter block with its CPU index.
 * The code runs at TRAMPOLINE_BASE, not where it is linked: every absolute address below is
 * TRAMPOLINE_BASE + (label - hv_trampoline_start).
 */
#include "arch/x86/boot_layout.h"
#include "arch/x86/enter_long_mode.inc"

#define TRAMP(label) (TRAMPOLINE_BASE + ((label) - hv_trampoline_start))

.section .rodata.trampoline, "a"
.balign 16
.global hv_trampoline_start
hv_trampoline_start:
.code16
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    lgdtl (tramp_gdt_ptr - hv_trampoline_start)
    movl %cr0, %eax
    orl $CR0_PE, %eax
    movl %eax, %cr0
    ljmpl $0x08, $TRAMP(tramp32)

.code32
tramp32:
    movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl TRAMP(tramp_cr3), %eax
    ENTER_LONG_MODE
    ljmpl $0x18, $TRAMP(tramp64)

.code64
tramp64:
    movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movq TRAMP(tramp_stack), %rsp
    movl TRAMP(tramp_cpu), %edi
    movq TRAMP(tramp_entry), %rax
    xorl %ebp, %ebp
    jmp *%rax

.balign 8
tramp_gdt:
.quad 0
.quad 0x00cf9a000000ffff        /* 0x08: 32-bit code */
.quad 0x00cf92000000ffff        /* 0x10: data */
.quad 0x00af9a000000ffff        /* 0x18: 64-bit code */
tramp_gdt_end:
tramp_gdt_ptr:
.short tramp_gdt_end - tramp_gdt - 1
.long TRAMP(tramp_gdt)

/* Parameter block, filled by the BSP before each STARTUP IPI (struct TrampolineParams). */
.balign 8
.global hv_trampoline_params
hv_trampoline_params:
tramp_cr3:   .long 0
tramp_cpu:   .long 0
tramp_stack: .quad 0
tramp_entry: .quad 0
.global hv_trampoline_end
hv_trampoline_end:
