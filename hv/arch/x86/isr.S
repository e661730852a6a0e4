/*
 * Exception entry stubs (AMD APM vol. 2, 8.2 "Vectors", 8.9.3 "Interrupt Stack Frame").
 * Every stub leaves the same frame: an error code (0 when the CPU pushes none), the vector, then
 * the general-purpose registers, and calls hv_exception(ExceptionFrame*), which does not return
 * for exceptions hv does not expect (arch/x86/exceptions.cpp).
 */
.code64
.section .text

.macro STUB vector, has_error
.balign 16
isr_\vector:
.if \has_error == 0
    pushq $0
.endif
    pushq $\vector
    jmp isr_common
.endm

/* Vectors whose exceptions push an error code: #DF 8, #TS 10, #NP 11, #SS 12, #GP 13, #PF 14,
 * #AC 17, #CP 21, #VC 29, #SX 30. */
.irp v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
STUB \v, 0
.endr
.irp v, 8,10,11,12,13,14,17,21,29,30
STUB \v, 1
.endr

isr_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    /* 15 registers + vector + error + 5 CPU-pushed words = 22 words: %rsp stays 16-aligned. */
    movq %rsp, %rdi
    cld
    call hv_exception
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp
    iretq

.section .rodata
.balign 8
.global hv_isr_table
hv_isr_table:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
.quad isr_\v
.endr
