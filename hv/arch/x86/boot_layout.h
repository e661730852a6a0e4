/* Constants shared by the boot assembly and C++ (AMD APM vol. 2, 3.1 and 5.3; Intel SDM vol. 3A
 * 2.5, 4.5). Plain #defines: the assembler reads this file too. */
#ifndef HV_ARCH_X86_BOOT_LAYOUT_H
#define HV_ARCH_X86_BOOT_LAYOUT_H

#define BOOT_PROTOCOL_UNKNOWN 0
#define BOOT_PROTOCOL_PVH 1
#define BOOT_PROTOCOL_MULTIBOOT2 2

#define BOOT_GDT_CODE64 0x08
#define BOOT_GDT_DATA 0x10
#define BOOT_STACK_SIZE 16384

#define PTE_PRESENT 0x1
#define PTE_WRITE 0x2
#define PTE_LARGE 0x80

#define CR0_PE 0x1
#define CR0_PG 0x80000000
#define CR4_PAE 0x20
#define MSR_EFER 0xc0000080
#define EFER_LME 0x100

/* The AP start-up trampoline: copied to this page below 1 MiB; the STARTUP IPI's vector is the
 * page number (Intel SDM 8.4.4.1: the AP starts in real mode at CS = vector << 8, IP = 0). */
#define TRAMPOLINE_BASE 0x8000
#define TRAMPOLINE_SIPI_VECTOR (TRAMPOLINE_BASE >> 12)
#define CR4_OSFXSR 0x200

#endif
