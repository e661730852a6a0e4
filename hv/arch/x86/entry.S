/*
 * hv's entry from the boot loader: 32-bit protected mode, paging off (PVH and Multiboot2 both
 * enter so), to 64-bit long mode on hv's own GDT and page tables, then hv_main().
 *
 * Boot protocols implemented:
 *  - PVH: Xen's "HVM direct boot ABI" (xen/include/public/arch-x86/hvm/start_info.h): entry
 *    named by the XEN_ELFNOTE_PHYS32_ENTRY note, %ebx = physical address of hvm_start_info.
 *  - Multiboot2 (Multiboot2 specification 1.0, 3.1): header in the first 32 KiB of the file,
 *    %eax = 0x36d76289, %ebx = physical address of the boot information.
 */
#include "arch/x86/boot_layout.h"
#include "arch/x86/enter_long_mode.inc"

/* ---- PVH ELF note (Xen public/elfnote.h: XEN_ELFNOTE_PHYS32_ENTRY = 18) ---- */
.section .note.pvh, "a", @note
.balign 4
.long 4                 /* namesz: "Xen\0" */
.long 4                 /* descsz: a 32-bit physical entry address */
.long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
.asciz "Xen"
.long pvh_entry

/* ---- Multiboot2 header (spec 3.1.1) ---- */
.section .multiboot2, "a"
.balign 8
mb2_header:
.long 0xe85250d6                        /* magic */
.long 0                                 /* architecture: i386 protected mode */
.long mb2_header_end - mb2_header       /* header length */
.long -(0xe85250d6 + 0 + (mb2_header_end - mb2_header))
.balign 8
.short 3, 0                             /* entry address tag (3.1.6) */
.long 12
.long mb2_entry
.balign 8
.short 0, 0                             /* end tag */
.long 8
mb2_header_end:

.section .text.boot, "ax"
.code32

.global pvh_entry
pvh_entry:
    movl $BOOT_PROTOCOL_PVH, %edi
    jmp enter32

.global mb2_entry
mb2_entry:
    movl $BOOT_PROTOCOL_MULTIBOOT2, %edi
    cmpl $0x36d76289, %eax
    je enter32
    movl $BOOT_PROTOCOL_UNKNOWN, %edi

/* %edi = protocol, %ebx = boot information. Only %edi, %ebx survive to long mode. */
enter32:
    cli
    cld
    /* Zero .bss (page tables, stacks): do not rely on the loader having done it. */
    movl %edi, %edx
    movl $__bss_start, %edi
    movl $__bss_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb
    movl %edx, %edi

    /* Identity map of the low 4 GiB with 2 MiB pages: PML4[0] -> PDPT, PDPT[0..3] -> PD0..3.
     * Memory types come from the firmware's MTRRs (MMIO holes are UC there), so the PAT index
     * stays 0 (WB) here. The C++ side replaces these tables with its own. */
    movl $boot_pdpt, %eax
    orl $(PTE_PRESENT | PTE_WRITE), %eax
    movl %eax, boot_pml4
    movl $boot_pd, %esi
    xorl %ecx, %ecx
1:  movl %esi, %eax
    orl $(PTE_PRESENT | PTE_WRITE), %eax
    movl %eax, boot_pdpt(, %ecx, 8)
    addl $4096, %esi
    incl %ecx
    cmpl $4, %ecx
    jb 1b
    xorl %ecx, %ecx
2:  movl %ecx, %eax
    shll $21, %eax
    orl $(PTE_PRESENT | PTE_WRITE | PTE_LARGE), %eax
    movl %eax, boot_pd(, %ecx, 8)
    incl %ecx
    cmpl $2048, %ecx
    jb 2b

    movl $boot_pml4, %eax
    ENTER_LONG_MODE
    lgdt boot_gdt_ptr
    ljmp $BOOT_GDT_CODE64, $enter64

.code64
enter64:
    movl $BOOT_GDT_DATA, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    xorl %eax, %eax
    movl %eax, %fs
    movl %eax, %gs
    leaq boot_stack_top(%rip), %rsp
    xorl %ebp, %ebp
    /* hv_main(protocol = %edi, info = %rsi) */
    movl %ebx, %esi
    call hv_main
3:  cli
    hlt
    jmp 3b

.section .rodata.boot, "a"
.balign 16
boot_gdt:
.quad 0                         /* null */
.quad 0x00af9a000000ffff        /* 0x08: 64-bit code, DPL0 */
.quad 0x00cf92000000ffff        /* 0x10: data, DPL0 */
boot_gdt_end:
boot_gdt_ptr:
.short boot_gdt_end - boot_gdt - 1
.long boot_gdt

.section .bss.boot, "aw", @nobits
.balign 4096
boot_pml4: .skip 4096
boot_pdpt: .skip 4096
boot_pd:   .skip 4096 * 4
.balign 16
boot_stack: .skip BOOT_STACK_SIZE
boot_stack_top:
