/*
 * hv's self-test guest: 32-bit protected mode, paging off, run under nested paging on every
 * CPU. Each instruction below is meant to cause one particular exit, which the driver
 * (selftest.cpp) checks against this script. It runs at SELFTEST_GUEST_CODE_GPA, not where it is
 * linked: absolute addresses are GPA(label).
 */
#include "selftest/guest_abi.h"

#define GPA(label) (SELFTEST_GUEST_CODE_GPA + ((label) - hv_selftest_guest_start))
#define GATE(handler) \
    .short GPA(handler) & 0xffff; .short 0x08; .byte 0; .byte 0x8e; .short GPA(handler) >> 16

.section .rodata.selftest_guest, "a"
.code32
.balign 16
.global hv_selftest_guest_start
hv_selftest_guest_start:
    lgdt GPA(guest_gdt_ptr)
    ljmp $0x08, $GPA(reloaded)
reloaded:
    movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl %eax, %fs
    movl %eax, %gs
    movl $SELFTEST_GUEST_STACK_TOP, %esp
    lidt GPA(guest_idt_ptr)

    /* CPUID: hv answers its own leaf. */
    movl $SELFTEST_CPUID_LEAF, %eax
    cpuid
    xorl %esi, %esi
    cmpl $SELFTEST_SIG_EBX, %ebx
    jne 1f
    cmpl $SELFTEST_SIG_ECX, %ecx
    jne 1f
    cmpl $SELFTEST_SIG_EDX, %edx
    jne 1f
    movl $1, %esi
1:  movl $REPORT_CPUID, %eax
    movl %esi, %ebx
    vmmcall

    /* Port I/O, out (a byte, immediate port) and in (a dword, port in DX). */
    movb $SELFTEST_OUT_VALUE, %al
    outb %al, $SELFTEST_PORT
    movw $SELFTEST_PORT, %dx
    inl %dx, %eax
    movl %eax, %ebx
    movl $REPORT_IN, %eax
    vmmcall

    /* RDMSR, then WRMSR of the complement of what was read. */
    movl $SELFTEST_MSR, %ecx
    rdmsr
    notl %eax
    notl %edx
    wrmsr

    hlt

    /* A read from an unmapped guest-physical page: a nested page fault, then hv maps it. */
    movl SELFTEST_UNMAPPED_GPA, %ebx
    movl $REPORT_NPF, %eax
    vmmcall

    /* Interrupt injection: hv injects SELFTEST_INTERRUPT_VECTOR when this VMMCALL returns. */
    sti
    movl $REPORT_READY_INTERRUPT, %eax
    vmmcall
    nop
    cli

    /* Exception injection: hv injects #GP with an error code when this VMMCALL returns. */
    movl $REPORT_READY_EXCEPTION, %eax
    vmmcall
    nop

    movl $REPORT_DONE, %eax
    vmmcall
2:  hlt
    jmp 2b

interrupt_handler:
    pushl %eax
    pushl %ebx
    movl $REPORT_GOT_INTERRUPT, %eax
    movl $SELFTEST_INTERRUPT_VECTOR, %ebx
    vmmcall
    popl %ebx
    popl %eax
    iret

exception_handler:
    movl (%esp), %ebx
    movl $REPORT_GOT_EXCEPTION, %eax
    vmmcall
    addl $4, %esp
    iret

.balign 8
guest_gdt:
.quad 0
.quad 0x00cf9b000000ffff        /* 0x08: 32-bit code, accessed */
.quad 0x00cf93000000ffff        /* 0x10: data, accessed */
guest_gdt_end:
guest_gdt_ptr:
.short guest_gdt_end - guest_gdt - 1
.long GPA(guest_gdt)

/* Gates only for the two vectors the test injects; any other event finds a not-present gate
 * and ends in a triple fault, which hv sees as a shutdown exit and reports. */
.balign 8
guest_idt:
.org guest_idt + SELFTEST_EXCEPTION_VECTOR * 8
GATE(exception_handler)
.org guest_idt + SELFTEST_INTERRUPT_VECTOR * 8
GATE(interrupt_handler)
guest_idt_end:
guest_idt_ptr:
.short guest_idt_end - guest_idt - 1
.long GPA(guest_idt)
.global hv_selftest_guest_end
hv_selftest_guest_end:
