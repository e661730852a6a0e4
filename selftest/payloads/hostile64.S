/*
 * The hostile payload: loaded at PAYLOAD_LONG64_GPA and entered in 64-bit mode like long64. It
 * tries what a child must not be able to do to the host, or learn of it, and reports what each
 * probe saw (test_device.h, HOSTILE_PROBE_*): CR4 bits that reach unswitched state, RDPMC,
 * the SVM instructions, DR0-DR3, IA32_TSC_AUX through RDTSCP, a bad XSETBV, 15- and 16-byte
 * stores to the xAPIC page, a periodic LAPIC timer of one tick, a flood of self-IPIs, a
 * storm of random x2APIC MSR and I/O APIC register accesses, and last a STARTUP and an INIT to
 * itself (the bootstrap VP) — or, given an AP, an INIT from the AP: the INIT restarts it at the
 * reset vector, where the VMM maps real16's ROM for it to run to its checksum.
 * Faults it expects are caught by its #UD and #GP handlers, which resume at the probe's end.
 * Other exceptions have no gate: a triple fault, which the VMM reports.
 */
#include "test_device.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_EN_EXTD 0xc00
#define MSR_X2APIC_EOI 0x80b
#define MSR_X2APIC_SVR 0x80f
#define MSR_X2APIC_ICR 0x830
#define MSR_X2APIC_LVT_TIMER 0x832
#define MSR_X2APIC_TIMER_INITIAL 0x838
#define MSR_X2APIC_TIMER_DIVIDE 0x83e
#define ICR_INIT 0x500        /* delivery mode INIT, physical destination, no shorthand */
#define ICR_STARTUP 0x600     /* delivery mode STARTUP */
#define ICR_LEVEL_ASSERT 0x4000
#define MSR_TSC_AUX 0xc0000103
#define LVT_PERIODIC 0x20000
#define TIMER_DIVIDE_BY_1 0xb
#define CR4_OSXSAVE 0x40000
#define CR4_VMXE 0x2000
#define CR4_PKE 0x400000
#define XAPIC_TPR 0xfee00080
#define XAPIC_PDE 0xfee00083  /* a 2 MiB page, present, writable */
#define XAPIC_PD_INDEX 0x1f7  /* 0xfee00000 >> 21 & 511 */
#define GATE_INTERRUPT_PRESENT 0x8e00
#define VECTOR_UD 6
#define VECTOR_GP 13
#define IPI_SETTLE_CYCLES 10000000
#define NMI_VECTOR 2
#define FIRST_EXTERNAL_VECTOR 32
#define IOAPIC_PDE 0xfec00083 /* the I/O APIC's 2 MiB, present, writable */
#define IOAPIC_PD_INDEX 0x1f6  /* 0xfec00000 >> 21 & 511 */
#define IOAPIC_BASE 0xfec00000
#define IOAPIC_WINDOW 0x10
#define IOAPIC_REDIRECTIONS 24
#define LVT_MASKED 0x10000
#define MSR_X2APIC_FIRST 0x800
#define MSR_X2APIC_COUNT 0x40
#define LCG_MULTIPLIER 6364136223846793005
#define LCG_INCREMENT 1442695040888963407

/* Arms the fault handlers: a #UD or #GP in what follows resumes at label `resume`. */
.macro ARM resume
    leaq \resume(%rip), %rax
    movq %rax, recover(%rip)
    movl $HOSTILE_NO_FAULT, fault(%rip)
.endm

/* Reports the fault seen since ARM for probe `probe`. */
.macro REPORT_FAULT probe
    movl $\probe, %edi
    movl fault(%rip), %eax
    call report
.endm

.section .text, "ax"
.code64
.global _start
_start:
    cli
    /* Every vector the random APIC accesses below could make deliver has a gate: NMI and
     * 32-255 count and end it (stray_handler); the probes' own vectors override. */
    movl $NMI_VECTOR, %edi
    leaq stray_handler(%rip), %rax
    call set_gate
    movl $FIRST_EXTERNAL_VECTOR, %edi
1:  leaq stray_handler(%rip), %rax
    call set_gate
    incl %edi
    cmpl $256, %edi
    jb 1b
    movl $VECTOR_UD, %edi
    leaq ud_handler(%rip), %rax
    call set_gate
    movl $VECTOR_GP, %edi
    leaq gp_handler(%rip), %rax
    call set_gate
    movl $HOSTILE_TIMER_VECTOR, %edi
    leaq timer_handler(%rip), %rax
    call set_gate
    movl $HOSTILE_IPI_VECTOR, %edi
    leaq ipi_handler(%rip), %rax
    call set_gate
    lidt idt_descriptor(%rip)
    leaq msg_hello(%rip), %rsi
    call puts64

    /* CR4.PKE and CR4.VMXE: #GP, CR4 unchanged. */
    movq %cr4, %rbx
    ARM 1f
    movq %rbx, %rax
    orq $CR4_PKE, %rax
    movq %rax, %cr4
1:  REPORT_FAULT HOSTILE_PROBE_CR4_PKE
    ARM 1f
    movq %rbx, %rax
    orq $CR4_VMXE, %rax
    movq %rax, %cr4
1:  REPORT_FAULT HOSTILE_PROBE_CR4_VMXE

    /* RDPMC at CPL 0: no fault, and no host counter behind it. */
    movq $-1, %r12
    ARM 1f
    movq $0xdeadbeefdeadbeef, %rax
    movq %rax, %rdx
    xorl %ecx, %ecx
    rdpmc
    shlq $32, %rdx
    movl %eax, %eax
    orq %rdx, %rax
    movq %rax, %r12
1:  REPORT_FAULT HOSTILE_PROBE_RDPMC_FAULT
    movl $HOSTILE_PROBE_RDPMC_VALUE, %edi
    movq %r12, %rax
    call report

    /* SVM instructions: the child's EFER.SVME is clear, so #UD. */
    ARM 1f
    xorl %eax, %eax
    xorl %ecx, %ecx
    .byte 0x0f, 0x01, 0xdf              /* INVLPGA */
1:  REPORT_FAULT HOSTILE_PROBE_INVLPGA
    ARM 1f
    xorl %eax, %eax
    .byte 0x0f, 0x01, 0xda              /* VMLOAD */
1:  REPORT_FAULT HOSTILE_PROBE_VMLOAD
    ARM 1f
    .byte 0x0f, 0x01, 0xdc              /* STGI */
1:  REPORT_FAULT HOSTILE_PROBE_STGI

    /* DR0 as found (the root thread's watchpoint must not show), then DR0-DR3 set and read
     * back after an exit to the VMM. */
    movq %dr0, %rax
    movl $HOSTILE_PROBE_DR0, %edi
    call report
    movq $0x1000, %rax
    movq %rax, %dr0
    movq $0x2000, %rax
    movq %rax, %dr1
    movq $0x3000, %rax
    movq %rax, %dr2
    movq $0x4000, %rax
    movq %rax, %dr3
    movw $PAYLOAD_PORT_ID, %dx
    inl %dx, %eax
    xorl %eax, %eax
    movq %dr0, %rcx
    cmpq $0x1000, %rcx
    jne 1f
    movq %dr1, %rcx
    cmpq $0x2000, %rcx
    jne 1f
    movq %dr2, %rcx
    cmpq $0x3000, %rcx
    jne 1f
    movq %dr3, %rcx
    cmpq $0x4000, %rcx
    jne 1f
    movl $1, %eax
1:  movl $HOSTILE_PROBE_DR_KEPT, %edi
    call report

    /* IA32_TSC_AUX: what RDTSCP returns is the child's own. */
    ARM 1f
    movl $MSR_TSC_AUX, %ecx
    movl $HOSTILE_TSC_AUX, %eax
    xorl %edx, %edx
    wrmsr
    movl $0xdead, %ecx
    rdtscp
1:  movl %ecx, %eax
    movl $HOSTILE_PROBE_TSC_AUX, %edi
    call report

    /* XSETBV of XCR0 = 0 (x87 must stay set): #GP. CR4.OSXSAVE first, a write hv allows. */
    movq %rbx, %rax
    orq $CR4_OSXSAVE, %rax
    movq %rax, %cr4
    ARM 1f
    xorl %eax, %eax
    xorl %edx, %edx
    xorl %ecx, %ecx
    xsetbv
1:  REPORT_FAULT HOSTILE_PROBE_XSETBV

    /* The xAPIC page: map its 2 MiB (the VMM's tables cover the first GiB), then a 15-byte
     * store to the TPR (13 segment prefixes) and a 16-byte one, which the CPU refuses. */
    movq %cr3, %rax
    andq $~0xfff, %rax
    movq (%rax), %rax                   /* PML4[0]: the PDPT */
    andq $~0xfff, %rax
    leaq apic_pd(%rip), %rcx
    orq $3, %rcx
    movq %rcx, 24(%rax)                 /* PDPT[3]: the fourth GiB */
    leaq apic_pd(%rip), %rdx
    movq $XAPIC_PDE, %rcx
    movq %rcx, XAPIC_PD_INDEX * 8(%rdx)
    movq %cr3, %rax
    movq %rax, %cr3
    movq $XAPIC_TPR, %rdi
    movl $HOSTILE_TPR, %eax
    .byte 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e
    .byte 0x89, 0x07                    /* mov %eax, (%rdi): 15 bytes in all */
    movl (%rdi), %eax
    movl $HOSTILE_PROBE_XAPIC_LONG, %edi
    call report
    movq $XAPIC_TPR, %rdi
    ARM 1f
    xorl %eax, %eax
    .byte 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e
    .byte 0x89, 0x07                    /* 16 bytes: #GP before any access */
1:  REPORT_FAULT HOSTILE_PROBE_TOO_LONG
    /* A 15-byte store to the TPR whose bytes lie on two pages (hv fetches across the
     * boundary through the child's paging). */
    movq $XAPIC_TPR, %rdi
    movl $HOSTILE_TPR_CROSSING, %eax
    call store_across_pages
    movl (%rdi), %eax
    movl $HOSTILE_PROBE_XAPIC_CROSSING, %edi
    call report

    /* x2APIC mode, then a periodic timer of one tick (divide 1, count 1) for 50 ms. */
    movl $MSR_APIC_BASE, %ecx
    rdmsr
    orl $APIC_BASE_EN_EXTD, %eax
    wrmsr
    xorl %edx, %edx
    movl $MSR_X2APIC_SVR, %ecx
    movl $0x1ff, %eax
    wrmsr
    movl $MSR_X2APIC_TIMER_DIVIDE, %ecx
    movl $TIMER_DIVIDE_BY_1, %eax
    wrmsr
    movl $MSR_X2APIC_LVT_TIMER, %ecx
    movl $(LVT_PERIODIC | HOSTILE_TIMER_VECTOR), %eax
    wrmsr
    movw $PAYLOAD_PORT_TSC_KHZ, %dx
    inl %dx, %eax
    movl %eax, %eax
    imulq $HOSTILE_TIMER_MS, %rax
    movq %rax, %r14                     /* the spin, in TSC cycles */
    movl $MSR_X2APIC_TIMER_INITIAL, %ecx
    movl $1, %eax
    xorl %edx, %edx
    wrmsr
    sti
    call spin
    cli
    movl $MSR_X2APIC_TIMER_INITIAL, %ecx
    xorl %eax, %eax
    xorl %edx, %edx
    wrmsr
    movl timer_count(%rip), %eax
    movl $HOSTILE_PROBE_TIMER, %edi
    call report

    /* A flood of self-IPIs, IF set: each is taken once. */
    movw $PAYLOAD_PORT_IRQ_COUNT, %dx
    inl %dx, %eax
    movl %eax, %r13d
    sti
    xorl %r15d, %r15d
1:  cmpl %r13d, %r15d
    jae 2f
    movl $MSR_X2APIC_ICR, %ecx
    movl $HOSTILE_IPI_VECTOR, %eax      /* fixed, physical, to APIC ID 0: this VP */
    xorl %edx, %edx
    wrmsr
    incl %r15d
    jmp 1b
2:  movq $IPI_SETTLE_CYCLES, %r14
    call spin
    cli
    movl ipi_count(%rip), %eax
    movl $HOSTILE_PROBE_IPIS, %edi
    call report

    /* A storm of random x2APIC MSR accesses (the ICR left out: an INIT to itself would end the
     * payload) and I/O APIC register accesses, IF set: what hv refuses is #GP, what the APIC
     * delivers lands in stray_handler. Then everything masked again. */
    leaq apic_pd(%rip), %rdx
    movq $IOAPIC_PDE, %rcx
    movq %rcx, IOAPIC_PD_INDEX * 8(%rdx)
    movq %cr3, %rax
    movq %rax, %cr3
    movabsq $LCG_MULTIPLIER, %r13
    movq $0x5eed, %r12                  /* the LCG state */
    xorl %r15d, %r15d                   /* accesses made */
    sti
storm:
    cmpl $HOSTILE_STORM_ACCESSES, %r15d
    jae storm_done
    imulq %r13, %r12
    movabsq $LCG_INCREMENT, %rax
    addq %rax, %r12
    movq %r12, %rbx
    shrq $33, %rbx                      /* 31 random bits */
    ARM 2f
    testl $1, %ebx
    jnz 1f
    /* x2APIC MSR 0x800 + (bits 1-6), read (bit 7) or written with the upper half of the state */
    movl %ebx, %ecx
    shrl $1, %ecx
    andl $(MSR_X2APIC_COUNT - 1), %ecx
    addl $MSR_X2APIC_FIRST, %ecx
    cmpl $MSR_X2APIC_ICR, %ecx
    je 2f
    movq %r12, %rax
    shrq $32, %rax
    xorl %edx, %edx
    testl $0x80, %ebx
    jz 3f
    rdmsr
    jmp 2f
3:  wrmsr
    jmp 2f
    /* I/O APIC: select register (bits 1-6), read or write the window (bit 7) */
1:  movl %ebx, %eax
    shrl $1, %eax
    andl $0x3f, %eax
    movl $IOAPIC_BASE, %edi
    movl %eax, (%rdi)
    testl $0x80, %ebx
    jz 3f
    movl IOAPIC_WINDOW(%rdi), %eax
    jmp 2f
3:  movq %r12, %rax
    shrq $32, %rax
    movl %eax, IOAPIC_WINDOW(%rdi)
2:  incl %r15d
    jmp storm
storm_done:
    cli
    movl $IOAPIC_BASE, %edi             /* every redirection entry masked */
    xorl %ecx, %ecx
1:  leal 0x10(,%rcx,2), %eax
    movl %eax, (%rdi)
    movl $LVT_MASKED, IOAPIC_WINDOW(%rdi)
    incl %ecx
    cmpl $IOAPIC_REDIRECTIONS, %ecx
    jb 1b
    movl $MSR_X2APIC_TIMER_INITIAL, %ecx
    xorl %eax, %eax
    xorl %edx, %edx
    wrmsr
    movl $MSR_X2APIC_LVT_TIMER, %ecx
    movl $LVT_MASKED, %eax
    wrmsr
    movl %r15d, %eax
    movl $HOSTILE_PROBE_STORM, %edi
    call report

    movl $HOSTILE_PROBE_DONE, %edi
    movl $0x600d, %eax
    call report
    leaq msg_done(%rip), %rsi
    call puts64

    /* A STARTUP to itself, destination APIC ID 0 (this VP): a VP that does not wait for one
     * ignores it (SDM 8.4.4.1), so the payload goes on here and says so. */
    movl $MSR_X2APIC_ICR, %ecx
    movl $(ICR_STARTUP | ICR_LEVEL_ASSERT | HOSTILE_SIPI_VECTOR), %eax
    xorl %edx, %edx
    wrmsr
    movl $HOSTILE_PROBE_SIPI_SELF, %edi
    movl $1, %eax
    call report
    /* With an AP (PAYLOAD_PORT_APS), the INIT comes from it: its code is copied to its STARTUP
     * page, it gets INIT and STARTUP (SDM vol. 3A, 9.4.4.1; x2APIC destination in EDX), and
     * this VP spins until the AP's INIT restarts it, or HOSTILE_AP_WAIT_MS go by. */
    movw $PAYLOAD_PORT_APS, %dx
    inl %dx, %eax
    testl %eax, %eax
    jz init_self
    cld
    leaq ap16(%rip), %rsi
    movl $(HOSTILE_AP_VECTOR << 12), %edi
    movl $(ap16_end - ap16), %ecx
    rep movsb
    movl $MSR_X2APIC_ICR, %ecx
    movl $(ICR_INIT | ICR_LEVEL_ASSERT), %eax
    movl $1, %edx
    wrmsr
    movl $(ICR_STARTUP | ICR_LEVEL_ASSERT | HOSTILE_AP_VECTOR), %eax
    movl $1, %edx
    wrmsr
    movw $PAYLOAD_PORT_TSC_KHZ, %dx
    inl %dx, %eax
    movl %eax, %eax
    imulq $HOSTILE_AP_WAIT_MS, %rax
    movq %rax, %r14
    call spin
    jmp init_ignored
    /* An INIT to itself: the bootstrap VP restarts at the reset vector in the RESET state (SDM
     * 9.1.1, 11.4.7.3), which runs real16 from the ROM the VMM mapped there; real16 checksums
     * the range and halts. Nothing after the WRMSR runs. */
init_self:
    movl $MSR_X2APIC_ICR, %ecx
    movl $(ICR_INIT | ICR_LEVEL_ASSERT), %eax
    xorl %edx, %edx
    wrmsr
init_ignored:
    movl $HOSTILE_PROBE_INIT_IGNORED, %edi
    movl $1, %eax
    call report
1:  hlt
    jmp 1b

/* The AP's code, copied to HOSTILE_AP_VECTOR's page and entered there in real mode by its
 * STARTUP: x2APIC on (the APIC is enabled out of INIT), an INIT to APIC 0 (the bootstrap VP),
 * then halted with interrupts off for good. Position-independent: no data, no jumps out. */
.code16
ap16:
    movl $MSR_APIC_BASE, %ecx
    rdmsr
    orl $APIC_BASE_EN_EXTD, %eax
    wrmsr
    movl $MSR_X2APIC_ICR, %ecx
    movl $(ICR_INIT | ICR_LEVEL_ASSERT), %eax
    xorl %edx, %edx
    wrmsr
1:  cli
    hlt
    jmp 1b
ap16_end:
.code64

/* mov %eax, (%rdi) with 13 segment prefixes, 6 bytes of it before a page boundary and 9
 * after, then ret. */
.balign 4096
.skip 4096 - 6
store_across_pages:
    .byte 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e
    .byte 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e
    .byte 0x89, 0x07
    ret

/* #UD and #GP: note the vector and resume at `recover` (the #GP's error code is dropped). */
ud_handler:
    movl $VECTOR_UD, fault(%rip)
    pushq %rax
    movq recover(%rip), %rax
    movq %rax, 8(%rsp)
    popq %rax
    iretq
gp_handler:
    movl $VECTOR_GP, fault(%rip)
    addq $8, %rsp
    pushq %rax
    movq recover(%rip), %rax
    movq %rax, 8(%rsp)
    popq %rax
    iretq

timer_handler:
    incl timer_count(%rip)
    jmp eoi
stray_handler:
    incl stray_count(%rip)
    jmp eoi
ipi_handler:
    incl ipi_count(%rip)
eoi:
    pushq %rax
    pushq %rcx
    pushq %rdx
    movl $MSR_X2APIC_EOI, %ecx
    xorl %eax, %eax
    xorl %edx, %edx
    wrmsr
    popq %rdx
    popq %rcx
    popq %rax
    iretq

/* Reports probe EDI with value RAX. */
report:
    pushq %rax
    pushq %rdx
    pushq %rax
    movl %edi, %eax
    movw $PAYLOAD_PORT_PROBE, %dx
    outl %eax, %dx
    popq %rax
    movw $PAYLOAD_PORT_PROBE_LOW, %dx
    outl %eax, %dx
    shrq $32, %rax
    movw $PAYLOAD_PORT_PROBE_HIGH, %dx
    outl %eax, %dx
    popq %rdx
    popq %rax
    ret

#include "console64.inc"
#include "idt64.inc"

msg_hello:
    .asciz "payload hostile64 probing\n"
msg_done:
    .asciz "payload hostile64 done\n"

/* Data, in the one section the flat binary has (low RAM is mapped RWX). */
.balign 16
idt:
    .fill 256 * 16, 1, 0
idt_descriptor:
    .word 256 * 16 - 1
    .quad idt
recover:
    .quad 0
fault:
    .long 0
timer_count:
    .long 0
ipi_count:
    .long 0
stray_count:
    .long 0
.balign 4096
apic_pd:
    .fill 4096, 1, 0
