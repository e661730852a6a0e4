/*
 * From the firmware's long mode to hv's Multiboot2 entry, after ExitBootServices. The loader
 * copies these bytes to a page below 4 GiB (the firmware identity-maps all memory, UEFI 2.10
 * 2.3.4) and calls the copy as
 *     void leave(uint64_t page, uint32_t entry, uint32_t boot_information)   (Microsoft x64:
 *     %rcx, %edx, %r8d)
 * It never returns. The state hv is entered in is Multiboot2 1.0, 3.2 "I386 machine state":
 * EAX = 0x36d76289, EBX = the boot information, CS a flat 32-bit code segment, DS/ES/FS/GS/SS
 * flat 32-bit data segments, CR0.PG clear and PE set, interrupts off. Beyond the spec, hv gets
 * what PVH gives it: EFER and CR4 zero, so nothing the firmware turned on (NX, PCIDE, LA57, ...)
 * is left behind.
 *
 * Leaving long mode (AMD APM vol. 2, 14.7 "Leaving Long Mode"; Intel SDM vol. 3A, 10.8.5):
 * switch to compatibility mode with a far return to a 32-bit code segment, clear CR4.PCIDE (a
 * MOV to CR0 that clears PG faults while it is set), clear CR0.PG (EFER.LMA clears with it),
 * then clear EFER.LME and CR4. The code runs where it is identity-mapped, so turning paging
 * off leaves the next instruction where it was.
 */
#include "leave_firmware.h"

    .text
    .globl efi_leave_start
    .globl efi_leave_end

    .code64
efi_leave_start:
    cli
    movl %edx, %esi             /* hv's entry */
    movl %r8d, %ebx             /* the boot information, where Multiboot2 wants it */
    lgdt LEAVE_GDTR_OFFSET(%rcx)
    leaq 1f(%rip), %rax
    pushq $LEAVE_CODE32_SELECTOR
    pushq %rax
    lretq

    .code32
1:  movl $LEAVE_DATA32_SELECTOR, %eax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movl %cr4, %eax
    andl $~LEAVE_CR4_PCIDE, %eax
    movl %eax, %cr4
    movl %cr0, %eax
    andl $~LEAVE_CR0_PG, %eax
    movl %eax, %cr0
    movl $LEAVE_MSR_EFER, %ecx
    xorl %eax, %eax
    xorl %edx, %edx
    wrmsr
    movl %eax, %cr4
    movl $LEAVE_MULTIBOOT2_MAGIC, %eax
    jmp *%esi
efi_leave_end:
