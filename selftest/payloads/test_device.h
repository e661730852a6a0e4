/*
 * The contract between the self-test payloads (selftest/payloads/real16.S, long64.S) and the VMM
 * side that runs them (payload_vm.cpp, selftest/partitions.cpp): the ports, guest-physical
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
 *                            vector CS.base 0xffff0000 + IP 0xfff0 lies in its last 16 bytes.
 *                            hostile64 has it too, for after the INIT it sends itself
 *
 * Port I/O (all IN/OUT of the size given; other ports read all ones and ignore writes):
 */
#ifndef ROOTSTOCK_SELFTEST_PAYLOAD_TEST_DEVICE_H
#define ROOTSTOCK_SELFTEST_PAYLOAD_TEST_DEVICE_H

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
/* hostile64 only: probes of what a child must not reach (docs/hypercalls.md §8). Each probe
 * reports one 64-bit value: OUT dword the probe number to PAYLOAD_PORT_PROBE, then the value's
 * low and high halves to PAYLOAD_PORT_PROBE_LOW and _HIGH (the high half completes the record).
 * A probe that expects a fault reports the vector taken, or HOSTILE_NO_FAULT. */
#define PAYLOAD_PORT_PROBE 0x730
#define PAYLOAD_PORT_PROBE_LOW 0x734
#define PAYLOAD_PORT_PROBE_HIGH 0x738
#define PAYLOAD_PORT_TSC_KHZ 0x73c /* IN dword: the TSC's frequency (for the timer probe) */
/* IN dword: hostile64's VPs besides its first, each waiting for a STARTUP (0 or 1). With one,
 * the INIT that ends the payload comes from that AP instead of from the payload itself. */
#define PAYLOAD_PORT_APS 0x740
#define HOSTILE_NO_FAULT 0xff
#define HOSTILE_PROBE_CR4_PKE 1         /* fault of MOV to CR4 with PKE set: #GP (13) */
#define HOSTILE_PROBE_CR4_VMXE 2        /* fault of MOV to CR4 with VMXE set: #GP (13) */
#define HOSTILE_PROBE_RDPMC_FAULT 3     /* fault of RDPMC of counter 0 at CPL 0: none */
#define HOSTILE_PROBE_RDPMC_VALUE 4     /* what it read: 0 (no host counter) */
#define HOSTILE_PROBE_INVLPGA 5         /* fault of INVLPGA: #UD (6) */
#define HOSTILE_PROBE_VMLOAD 6          /* fault of VMLOAD: #UD (6) */
#define HOSTILE_PROBE_STGI 7            /* fault of STGI: #UD (6) */
#define HOSTILE_PROBE_DR0 8             /* DR0 as the child first finds it: 0, not the root's */
#define HOSTILE_PROBE_DR_KEPT 9         /* 1: DR0-DR3 the child set survived an exit to the VMM */
#define HOSTILE_PROBE_TSC_AUX 10        /* RDTSCP's ECX after WRMSR IA32_TSC_AUX = 0x4242 */
#define HOSTILE_PROBE_XSETBV 11         /* fault of XSETBV to XCR0 = 0: #GP (13) */
#define HOSTILE_PROBE_XAPIC_LONG 12     /* TPR read back after a 15-byte store to it: 0x20 */
#define HOSTILE_PROBE_TOO_LONG 13       /* fault of a 16-byte store to the xAPIC page: #GP (13) */
#define HOSTILE_PROBE_TIMER 14          /* interrupts of a 1-tick periodic timer in 50 ms */
#define HOSTILE_PROBE_IPIS 15           /* self-IPIs taken of PAYLOAD_PORT_IRQ_COUNT sent */
#define HOSTILE_PROBE_DONE 16           /* 0x600d: every probe ran */
#define HOSTILE_PROBE_XAPIC_CROSSING 17 /* TPR after a store whose bytes straddle a page: 0x30 */
#define HOSTILE_PROBE_STORM 18     /* random x2APIC MSR and I/O APIC accesses made: all of them */
#define HOSTILE_PROBE_SIPI_SELF 19 /* 1: a STARTUP to itself while running was ignored */
#define HOSTILE_PROBE_INIT_IGNORED 20 /* never reported: an INIT to itself restarts it */
#define HOSTILE_PROBES 21
#define HOSTILE_STORM_ACCESSES 2000
#define HOSTILE_TIMER_MS 50
#define HOSTILE_TIMER_VECTOR 0x41
#define HOSTILE_IPI_VECTOR 0x42
#define HOSTILE_SIPI_VECTOR 0x70 /* a STARTUP would start the VP at 0x70000: low RAM, zeros */
#define HOSTILE_AP_VECTOR 0x71   /* the AP starts at 0x71000, where the payload copies its code */
#define HOSTILE_AP_WAIT_MS 2000  /* how long the payload waits for its AP's INIT */
#define HOSTILE_TSC_AUX 0x4242
#define HOSTILE_TPR 0x20
#define HOSTILE_TPR_CROSSING 0x30

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
