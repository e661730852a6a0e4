/*
 * The real-mode payload: a 64 KiB "ROM" mapped at PAYLOAD_ROM_GPA that a VP runs straight from
 * its RESET state (docs/hypercalls.md VP_CREATE: CS.base FFFF0000h, IP FFF0h; AMD APM vol. 2,
 * 14.1.3). In real mode it reads its id, prints it and does a 4-byte MMIO read (decoded by the
 * VMM in 16-bit mode); then it enters 32-bit protected mode with flat segments (Intel SDM vol.
 * 3A, 10.9.1) to write the MMIO window and checksum the range the VMM gives it, and halts.
 * The port and address contract is test_device.h. Linked for PAYLOAD_ROM_GPA.
 */
#include "test_device.h"

/* A label as an offset from CS.base while CS is the reset segment (base = PAYLOAD_ROM_GPA). */
#define ROM(label) ((label) - rom_start)

.section .text, "ax"
.global _start
_start:
rom_start:

.code16
start16:
    cli
    cld
    xorw %ax, %ax
    movw %ax, %ss
    movw $PAYLOAD_STACK_TOP, %sp
    movw $PAYLOAD_PORT_ID, %dx
    inl %dx, %eax
    movl %eax, %ebp                     /* the id, kept in EBP to the end */

    movw $ROM(msg_hello), %si
    call puts16
    movl %ebp, %eax
    call putdec16
    movw $ROM(msg_mode), %si
    call puts16

    /* 66 26 a1 00 00: a 4-byte load in moffs form from ES:0, i.e. PAYLOAD_MMIO_GPA. */
    movw $(PAYLOAD_MMIO_GPA >> 4), %ax
    movw %ax, %es
    movl %es:0, %eax
    movw $PAYLOAD_PORT_MMIO_SEEN, %dx
    outl %eax, %dx
    movw $ROM(msg_mmio_ok), %si
    cmpl $PAYLOAD_MMIO_READ_VALUE, %eax
    je 1f
    movw $ROM(msg_mmio_bad), %si
1:  call puts16

    /* Protected mode: the GDT lies in this ROM, reached through CS (DS is still base 0). */
    lgdtl %cs:ROM(gdt_descriptor)
    movl %cr0, %eax
    orl $1, %eax                        /* CR0.PE */
    movl %eax, %cr0
    ljmpl $0x08, $start32

/* Prints the NUL-terminated string at CS:SI. */
puts16:
    pushw %ax
1:  lodsb %cs:(%si), %al
    testb %al, %al
    jz 2f
    outb %al, $PAYLOAD_PORT_CONSOLE
    jmp 1b
2:  popw %ax
    ret

/* Prints EAX in decimal. */
putdec16:
    pushal
    xorw %cx, %cx
    movl $10, %ebx
1:  xorl %edx, %edx
    divl %ebx
    pushw %dx
    incw %cx
    testl %eax, %eax
    jnz 1b
2:  popw %ax
    addb $'0', %al
    outb %al, $PAYLOAD_PORT_CONSOLE
    loop 2b
    popal
    ret

.code32
start32:
    movl $0x10, %eax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movl $PAYLOAD_STACK_TOP, %esp

    /* 89 0d disp32: a 4-byte store from ECX to an absolute address, decoded in 32-bit mode. */
    leal PAYLOAD_MMIO_WRITE_BASE(%ebp), %ecx
    movl %ecx, (PAYLOAD_MMIO_GPA + PAYLOAD_MMIO_WRITE_OFFSET)

    movw $PAYLOAD_PORT_SUM_BASE, %dx
    inl %dx, %eax
    movl %eax, %esi
    movw $PAYLOAD_PORT_SUM_SIZE, %dx
    inl %dx, %eax
    movl %eax, %ecx
    shrl $2, %ecx
    movl $PAYLOAD_FNV_OFFSET, %eax
    jecxz 2f
1:  xorl (%esi), %eax
    imull $PAYLOAD_FNV_PRIME, %eax, %eax
    addl $4, %esi
    decl %ecx
    jnz 1b
2:  movw $PAYLOAD_PORT_SUM, %dx
    outl %eax, %dx

    movl $msg_done, %esi
1:  lodsb
    testb %al, %al
    jz 2f
    outb %al, $PAYLOAD_PORT_CONSOLE
    jmp 1b
2:  hlt
    jmp 2b

msg_hello:
    .asciz "payload real16 id="
msg_mode:
    .asciz " mode=real\n"
msg_mmio_ok:
    .asciz "payload real16 mmio-read=ok\n"
msg_mmio_bad:
    .asciz "payload real16 mmio-read=bad\n"
msg_done:
    .asciz "payload real16 checksum-sent halting\n"

/* Flat 4 GiB code (0x08) and data (0x10) segments. The accessed bit is preset in both: the CPU
 * would otherwise write it into this read-only ROM when loading them (SDM vol. 3A, 3.4.5.1). */
.balign 8
gdt:
    .quad 0
    .quad 0x00cf9b000000ffff
    .quad 0x00cf93000000ffff
gdt_end:
gdt_descriptor:
    .word gdt_end - gdt - 1
    .long gdt

/* The reset vector: the first instruction a VP in its RESET state executes. */
.code16
    .org 0xfff0
reset_vector:
    /* A near JMP (e9 rel16) back to start16: IP wraps at 64 KiB, which the assembler's own jmp
     * will not encode. */
    .byte 0xe9
    .word (start16 - (reset_vector + 3)) & 0xffff
    .org PAYLOAD_ROM_SIZE
