/*
 * The 64-bit payload: loaded at PAYLOAD_LONG64_GPA and entered in 64-bit mode with paging, a GDT
 * and flat segments the VMM set up (vmm/long_mode.hpp). It reads its id, prints it, reads and
 * writes the MMIO window through a base register (decoded by the VMM in 64-bit mode), checksums
 * the range the VMM gives it and halts. The port and address contract is test_device.h.
 */
#include "test_device.h"

.section .text, "ax"
.code64
.global _start
_start:
    movw $PAYLOAD_PORT_ID, %dx
    inl %dx, %eax
    movl %eax, %r12d                    /* the id, kept in R12 to the end */

    leaq msg_hello(%rip), %rsi
    call puts64
    movl %r12d, %eax
    call putdec64
    leaq msg_mode(%rip), %rsi
    call puts64

    /* 8b 03: a 4-byte load through RBX. */
    movl $PAYLOAD_MMIO_GPA, %ebx
    movl (%rbx), %eax
    movw $PAYLOAD_PORT_MMIO_SEEN, %dx
    outl %eax, %dx
    leaq msg_mmio_ok(%rip), %rsi
    cmpl $PAYLOAD_MMIO_READ_VALUE, %eax
    je 1f
    leaq msg_mmio_bad(%rip), %rsi
1:  call puts64

    /* 89 4b 08: a 4-byte store of ECX to RBX + 8. */
    movl $PAYLOAD_MMIO_WRITE_BASE, %ecx
    addl %r12d, %ecx
    movl %ecx, PAYLOAD_MMIO_WRITE_OFFSET(%rbx)

    movw $PAYLOAD_PORT_SUM_BASE, %dx
    inl %dx, %eax
    movl %eax, %esi                     /* zero-extends into RSI */
    movw $PAYLOAD_PORT_SUM_SIZE, %dx
    inl %dx, %eax
    movl %eax, %ecx
    shrl $2, %ecx
    movl $PAYLOAD_FNV_OFFSET, %eax
    jrcxz 2f
1:  xorl (%rsi), %eax
    imull $PAYLOAD_FNV_PRIME, %eax, %eax
    addq $4, %rsi
    decl %ecx
    jnz 1b
2:  movw $PAYLOAD_PORT_SUM, %dx
    outl %eax, %dx

    leaq msg_done(%rip), %rsi
    call puts64
1:  hlt
    jmp 1b

#include "console64.inc"

msg_hello:
    .asciz "payload long64 id="
msg_mode:
    .asciz " mode=long\n"
msg_mmio_ok:
    .asciz "payload long64 mmio-read=ok\n"
msg_mmio_bad:
    .asciz "payload long64 mmio-read=bad\n"
msg_done:
    .asciz "payload long64 checksum-sent halting\n"
