/*
 * void hv_svm_vmrun(uint64_t guest_vmcb_pa, GuestRegisters* regs, uint64_t host_vmcb_pa)
 *
 * One guest entry and exit (AMD APM vol. 2, 15.5 "VMRUN Instruction", 15.5.2 "VMSAVE and
 * VMLOAD"). VMRUN saves and restores only part of the host state; FS, GS, TR, LDTR, their
 * hidden parts and the SYSCALL/SYSENTER MSRs are swapped here with VMSAVE/VMLOAD through a
 * per-CPU host VMCB, so hv keeps its GS base (per-CPU data) and TSS (IST stacks). GIF stays
 * clear from before VMRUN until the host state is back, so no interrupt or NMI can find a
 * half-restored host; IF is set only inside that window.
 */
#include "vcpu/guest_registers_layout.h"

.code64
.section .text
.global hv_svm_vmrun
hv_svm_vmrun:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rdx              /* 16(%rsp): host VMCB */
    pushq %rsi              /*  8(%rsp): regs */
    pushq %rdi              /*  0(%rsp): guest VMCB */

    clgi
    /* Host IF set while the guest runs: a child's VMCB sets V_INTR_MASKING, and then the host's
     * IF decides whether physical interrupts reach the CPU (and exit) at all (APM vol. 2,
     * 15.21.1); with IF clear a child that never exits would hold the root's interrupts for
     * ever. GIF is clear, so nothing is taken here in hv; the root's VMCB does not mask. */
    sti
    movq %rdx, %rax
    vmsave %rax
    movq (%rsp), %rax
    vmload %rax

    movq GR_RBX(%rsi), %rbx
    movq GR_RCX(%rsi), %rcx
    movq GR_RDX(%rsi), %rdx
    movq GR_RDI(%rsi), %rdi
    movq GR_RBP(%rsi), %rbp
    movq GR_R8(%rsi), %r8
    movq GR_R9(%rsi), %r9
    movq GR_R10(%rsi), %r10
    movq GR_R11(%rsi), %r11
    movq GR_R12(%rsi), %r12
    movq GR_R13(%rsi), %r13
    movq GR_R14(%rsi), %r14
    movq GR_R15(%rsi), %r15
    movq GR_RSI(%rsi), %rsi
    /* RAX is the guest VMCB address; the guest's RAX comes from the VMCB. */
    vmrun %rax

    /* #VMEXIT: host RSP, RAX, RFLAGS, CR0/3/4, EFER, CS/SS/DS/ES, GDTR, IDTR are back. */
    pushq %rsi
    movq 16(%rsp), %rsi
    movq %rbx, GR_RBX(%rsi)
    movq %rcx, GR_RCX(%rsi)
    movq %rdx, GR_RDX(%rsi)
    movq %rdi, GR_RDI(%rsi)
    movq %rbp, GR_RBP(%rsi)
    movq %r8, GR_R8(%rsi)
    movq %r9, GR_R9(%rsi)
    movq %r10, GR_R10(%rsi)
    movq %r11, GR_R11(%rsi)
    movq %r12, GR_R12(%rsi)
    movq %r13, GR_R13(%rsi)
    movq %r14, GR_R14(%rsi)
    movq %r15, GR_R15(%rsi)
    popq %rax
    movq %rax, GR_RSI(%rsi)

    /* Return stack fill: the guest's last calls are still in the return stack buffer, and a RET
     * in hv that underflows its own entries would speculate to an address the guest chose. 32
     * calls whose return addresses are speculation traps overwrite every entry before hv's
     * first RET (what KVM does on every #VMEXIT on AMD: FILL_RETURN_BUFFER; AMD's "Software
     * Techniques for Managing Speculation on AMD Processors", mitigation V2-3). */
    movl $16, %eax
1:  call 2f
3:  pause
    lfence
    jmp 3b
2:  call 4f
5:  pause
    lfence
    jmp 5b
4:  decl %eax
    jnz 1b
    addq $(32 * 8), %rsp

    movq (%rsp), %rax
    vmsave %rax
    movq 16(%rsp), %rax
    vmload %rax
    /* #VMEXIT restored the host RFLAGS with IF set: hv runs with interrupts off. */
    cli
    stgi

    addq $24, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
