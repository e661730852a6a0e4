/*
 * The contract between the self-test payloads (vmm/payloads/real16.S, long64.S) and the VMM
 * side that runs them (payload_vm.cpp, init/selftest_partitions.cpp): the ports, guest-physical
 * addresses and values each side expects of the other. Plain #defines: the assembler reads it.
 *
 * Guest-physical layout of a payload VM:
 *
 *   0x00000000 - 0x0007ffff  low RAM: GDT and page tables the VMM writes (long64, irq64), the
 *                            stack, long64's or irq64's code at PAYLOAD_LONG64_GPA
 *   0x000d0000 - 0x000dffff  the test device's MMIO window: never mapped, so every access is a
 *                            memory exit the VMM decodes (reachable from real mode: segment D000)
 *   0x01000000 - +sum size   the range the VMM fills and the payload checksums (64 MiB in the
 *                            partitions self-test)
 *   0xffff0000 - 0xffffffff  real16's 64 KiB image ("ROM", read and execute only); the reset
 *                            vector CS.base 0xffff0000 + IP 0xfff0 lies in its last 16 bytes
 *
 * Port I/O (all IN/OUT of the size given; other ports read all ones and ignore writes):
 */
#ifndef ROOTSTOCK_VMM_PAYLOAD_TEST_DEVICE_H
#define ROOTSTOCK_VMM_PAYLOAD_TEST_DEVICE_H

/* OUT byte: one character of the payload's console, '\n' ends a line. 0xE9 is the debug console
 * port of Bochs and QEMU's isa-debugcon, so the payloads print the same way there. */
#define PAYLOAD_PORT_CONSOLE 0xe9
#define PAYLOAD_PORT_ID 0x700        /* IN dword: the payload's id (the VMM's choice) */
#define PAYLOAD_PORT_SUM_BASE 0x704  /* IN dword: GPA of the range to checksum */
#define PAYLOAD_PORT_SUM_SIZE 0x708  /* IN dword: its size in bytes, a multiple of 4 */
#define PAYLOAD_PORT_SUM 0x70c       /* OUT dword: the checksum of that range */
#define PAYLOAD_PORT_MMIO_SEEN 0x710 /* OUT dword: what the payload read at PAYLOAD_MMIO_GPA */

/* irq64 only: interrupt delivery through the child's LAPIC (hv's). It asks its LAPIC timer
 * for PAYLOAD_PORT_IRQ_COUNT one-shot interrupts, one after the other; its handler spins with IF
 * clear for PAYLOAD_PORT_IRQ_SPIN TSC cycles before its EOI, so that an interrupt delivered a
 * second time, or while IF is clear, lands inside the handler and is counted as nested. */
#define PAYLOAD_PORT_IRQ_COUNT 0x714  /* IN dword: the interrupts to ask for */
#define PAYLOAD_PORT_IRQ_SPIN 0x718   /* IN dword: TSC cycles each handler spins */
#define PAYLOAD_PORT_IRQ_TAKEN 0x71c  /* OUT dword: entries into the handler */
#define PAYLOAD_PORT_IRQ_NESTED 0x720 /* OUT dword: entries while already in the handler */
/* Then two NMIs to itself, the second sent by the first one's handler (which must not be
 * entered again before its IRET). */
#define PAYLOAD_PORT_NMI_TAKEN 0x724  /* OUT dword: entries into the NMI handler */
#define PAYLOAD_PORT_NMI_NESTED 0x728 /* OUT dword: entries while already in it */
#define PAYLOAD_IRQ_VECTOR 0x40
#define PAYLOAD_IRQ_TIMER_COUNT 1000 /* the one-shot's initial count, divide by 1 */
#define PAYLOAD_CODE_SELECTOR 0x08   /* the 64-bit code segment the VMM's GDT has (long_mode.hpp) */

#define PAYLOAD_LOW_RAM_GPA 0x0
#define PAYLOAD_LOW_RAM_SIZE 0x80000
#define PAYLOAD_STACK_TOP 0x7000
#define PAYLOAD_LONG64_GPA 0x10000 /* long64 and irq64 are linked for and loaded here */

#define PAYLOAD_MMIO_GPA 0xd0000
#define PAYLOAD_MMIO_SIZE 0x10000
/* A 4-byte read at PAYLOAD_MMIO_GPA answers this; the payload compares and reports it. */
#define PAYLOAD_MMIO_READ_VALUE 0x5a17c0de
/* The payload then writes PAYLOAD_MMIO_WRITE_BASE + its id, 4 bytes at this offset. */
#define PAYLOAD_MMIO_WRITE_OFFSET 8
#define PAYLOAD_MMIO_WRITE_BASE 0xc0ffee00

#define PAYLOAD_SUM_GPA 0x1000000
#define PAYLOAD_ROM_GPA 0xffff0000
#define PAYLOAD_ROM_SIZE 0x10000

/* The checksum: 32-bit FNV-1a over little-endian dwords instead of bytes (h ^= word; h *= prime),
 * cheap in 16-, 32- and 64-bit code and sensitive to the order of the words. */
#define PAYLOAD_FNV_OFFSET 0x811c9dc5
#define PAYLOAD_FNV_PRIME 0x01000193

#endif
