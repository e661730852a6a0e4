/* The page the loader leaves the firmware from (leave_firmware.S, main.cpp): the code below,
 * then a GDT with flat 32-bit segments and the GDTR that loads it. Plain #defines: the
 * assembler reads this file too. */
#ifndef ROOTSTOCK_EFI_LEAVE_FIRMWARE_H
#define ROOTSTOCK_EFI_LEAVE_FIRMWARE_H

#define LEAVE_CODE32_SELECTOR 0x08 /* GDT[1] */
#define LEAVE_DATA32_SELECTOR 0x10 /* GDT[2] */
#define LEAVE_CODE_MAX 0xe00       /* the code's bytes fit below the GDT */
#define LEAVE_GDT_OFFSET 0xe00
#define LEAVE_GDTR_OFFSET 0xf00

#define LEAVE_CR0_PG 0x80000000
#define LEAVE_CR4_PCIDE 0x20000
#define LEAVE_MSR_EFER 0xc0000080
#define LEAVE_MULTIBOOT2_MAGIC 0x36d76289

#endif
