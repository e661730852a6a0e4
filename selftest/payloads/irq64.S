/*
 * The interrupt-delivery payload: loaded at PAYLOAD_LONG64_GPA and entered in 64-bit mode like
 * long64. It turns its LAPIC (hv's) to x2APIC mode, asks the LAPIC timer for the number of
 * one-shot interrupts the VMM gives (vector PAYLOAD_IRQ_VECTOR), each after the last was
 * handled, and reports how often its handler ran and how often it was entered while it was
 * already running. The handler spins with IF clear before its EOI: every interrupt must be
 * delivered exactly once and never while IF is clear, so the two counts must be the count asked
 * for and 0. Then two NMIs, the second sent from the first one's handler: both must come, the
 * second only after that handler's IRET. The port contract is test_device.h; the MSRs are the SDM's (vol. 3A, 11.12 "x2APIC"
 * and 11.5.4 "APIC Timer").
 */
#include "test_device.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_EN 0x800   /* bit 11: the LAPIC on */
#define APIC_BASE_EXTD 0x400 /* bit 10: x2APIC mode */
#define MSR_X2APIC_EOI 0x80b
#define MSR_X2APIC_SVR 0x80f
#define SVR_ENABLE_SPURIOUS_FF 0x1ff
#define MSR_X2APIC_ICR 0x830
#define ICR_DELIVERY_NMI 0x400 /* bits 10:8 = 100b; no shorthand, physical, edge */
#define NMI_VECTOR 2
#define MSR_X2APIC_LVT_TIMER 0x832 /* one-shot, unmasked, fixed delivery with the vector */
#define MSR_X2APIC_TIMER_INITIAL 0x838
#define MSR_X2APIC_TIMER_DIVIDE 0x83e
#define TIMER_DIVIDE_BY_1 0xb
#define GATE_INTERRUPT_PRESENT 0x8e00 /* P, DPL 0, type 0Eh: a 64-bit interrupt gate (IF cleared) */
#define SETTLE_SPINS 4                /* handler spins waited after the last interrupt */

.section .text, "ax"
.code64
.global _start
_start:
    cli
    /* Gates for PAYLOAD_IRQ_VECTOR and the NMI. Other vectors have no gate: any other event is
     * a triple fault, which the VMM reports. */
    movl $PAYLOAD_IRQ_VECTOR, %edi
    leaq irq_handler(%rip), %rax
    call set_gate
    movl $NMI_VECTOR, %edi
    leaq nmi_handler(%rip), %rax
    call set_gate
    lidt idt_descriptor(%rip)

    movw $PAYLOAD_PORT_ID, %dx
    inl %dx, %eax
    movl %eax, %r12d
    movw $PAYLOAD_PORT_IRQ_COUNT, %dx
    inl %dx, %eax
    movl %eax, %r13d                    /* interrupts to ask for */
    movw $PAYLOAD_PORT_IRQ_SPIN, %dx
    inl %dx, %eax
    movl %eax, %r14d                    /* zero-extends: the handler's spin in TSC cycles */
    leaq msg_hello(%rip), %rsi
    call puts64
    movl %r12d, %eax
    call putdec64
    leaq msg_count(%rip), %rsi
    call puts64
    movl %r13d, %eax
    call putdec64
    movb $'\n', %al
    outb %al, $PAYLOAD_PORT_CONSOLE

    movl $MSR_APIC_BASE, %ecx
    rdmsr
    orl $(APIC_BASE_EN | APIC_BASE_EXTD), %eax
    wrmsr
    xorl %edx, %edx
    movl $MSR_X2APIC_SVR, %ecx
    movl $SVR_ENABLE_SPURIOUS_FF, %eax
    wrmsr
    movl $MSR_X2APIC_TIMER_DIVIDE, %ecx
    movl $TIMER_DIVIDE_BY_1, %eax
    wrmsr
    movl $MSR_X2APIC_LVT_TIMER, %ecx
    movl $PAYLOAD_IRQ_VECTOR, %eax
    wrmsr

    xorl %r15d, %r15d                   /* interrupts asked for so far */
next_interrupt:
    cmpl %r13d, %r15d
    jae settle
    incl %r15d
    movl $MSR_X2APIC_TIMER_INITIAL, %ecx
    movl $PAYLOAD_IRQ_TIMER_COUNT, %eax
    xorl %edx, %edx
    wrmsr
    sti
1:  pause
    cmpl %r15d, taken(%rip)
    jb 1b
    cli
    jmp next_interrupt

    /* IF set for a while longer: an interrupt delivered again after its handler returned shows
     * up here. */
settle:
    sti
    movl $SETTLE_SPINS, %ebx
1:  call spin
    decl %ebx
    jnz 1b
    cli

    /* Two NMIs: the first one's handler sends the second, which must wait for its IRET
     * (SDM vol. 3A, 6.7.1). Waited for a bounded time: a lost one is reported, not hung on. */
    call send_nmi
    rdtsc
    shlq $32, %rdx
    orq %rdx, %rax
    movq %rax, %rbx
1:  cmpl $2, nmi_taken(%rip)
    jae 2f
    rdtsc
    shlq $32, %rdx
    orq %rdx, %rax
    subq %rbx, %rax
    movq %r14, %rcx
    shlq $3, %rcx
    cmpq %rcx, %rax
    jb 1b
2:
    movl taken(%rip), %eax
    movw $PAYLOAD_PORT_IRQ_TAKEN, %dx
    outl %eax, %dx
    movl nested(%rip), %eax
    movw $PAYLOAD_PORT_IRQ_NESTED, %dx
    outl %eax, %dx
    movl nmi_taken(%rip), %eax
    movw $PAYLOAD_PORT_NMI_TAKEN, %dx
    outl %eax, %dx
    movl nmi_nested(%rip), %eax
    movw $PAYLOAD_PORT_NMI_NESTED, %dx
    outl %eax, %dx
    leaq msg_taken(%rip), %rsi
    call puts64
    movl taken(%rip), %eax
    call putdec64
    leaq msg_nested(%rip), %rsi
    call puts64
    movl nested(%rip), %eax
    call putdec64
    leaq msg_nmi(%rip), %rsi
    call puts64
    movl nmi_taken(%rip), %eax
    call putdec64
    leaq msg_nested(%rip), %rsi
    call puts64
    movl nmi_nested(%rip), %eax
    call putdec64
    movb $'\n', %al
    outb %al, $PAYLOAD_PORT_CONSOLE
1:  hlt
    jmp 1b

/* Vector PAYLOAD_IRQ_VECTOR, entered through an interrupt gate: IF is clear until IRETQ. */
irq_handler:
    pushq %rax
    pushq %rcx
    pushq %rdx
    incl taken(%rip)
    cmpl $0, in_handler(%rip)
    je 1f
    incl nested(%rip)
1:  incl in_handler(%rip)
    call spin
    decl in_handler(%rip)
    movl $MSR_X2APIC_EOI, %ecx
    xorl %eax, %eax
    xorl %edx, %edx
    wrmsr
    popq %rdx
    popq %rcx
    popq %rax
    iretq

/* Vector 2. The first NMI's handler sends the second and spins: the second must not enter
 * here before the first handler's IRET. */
nmi_handler:
    pushq %rax
    pushq %rcx
    pushq %rdx
    incl nmi_taken(%rip)
    cmpl $0, nmi_in_handler(%rip)
    je 1f
    incl nmi_nested(%rip)
1:  incl nmi_in_handler(%rip)
    cmpl $1, nmi_taken(%rip)
    jne 2f
    call send_nmi
    call spin
2:  decl nmi_in_handler(%rip)
    popq %rdx
    popq %rcx
    popq %rax
    iretq

/* An NMI to this VP (x2APIC ICR: delivery mode NMI, physical destination = APIC ID 0). */
send_nmi:
    pushq %rax
    pushq %rcx
    pushq %rdx
    movl $MSR_X2APIC_ICR, %ecx
    movl $ICR_DELIVERY_NMI, %eax
    xorl %edx, %edx                     /* destination: APIC ID 0, this VP */
    wrmsr
    popq %rdx
    popq %rcx
    popq %rax
    ret

#include "console64.inc"
#include "idt64.inc"

msg_hello:
    .asciz "payload irq64 id="
msg_count:
    .asciz " interrupts="
msg_taken:
    .asciz "payload irq64 taken="
msg_nested:
    .asciz " nested="
msg_nmi:
    .asciz " nmi="

/* Data, in the one section the flat binary has (low RAM is mapped RWX). */
.balign 16
idt:
    .fill (PAYLOAD_IRQ_VECTOR + 1) * 16, 1, 0
idt_descriptor:
    .word (PAYLOAD_IRQ_VECTOR + 1) * 16 - 1
    .quad idt
taken:
    .long 0
nested:
    .long 0
in_handler:
    .long 0
nmi_taken:
    .long 0
nmi_nested:
    .long 0
nmi_in_handler:
    .long 0
