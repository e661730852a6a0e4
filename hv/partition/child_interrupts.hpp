// Interrupt routing inside one child partition (Intel SDM vol. 3A, 11.6 and 11.11; AMD APM
// vol. 2, 16.5 and 16.6): the messages its I/O APIC, MSIs from the root and its VPs' IPIs
// send, delivered to the VPs they name, and the kicks that make a running VP see them.
// Hardware-free; every call here runs under the partition's irq_lock.
#pragma once

#include <stdint.h>

#include "partition/machine.hpp"
#include "partition/partition.hpp"
#include "vlapic/vlapic.hpp"

namespace hv {

/// The sender of a message that no VP sent (the I/O APIC, an MSI, the root).
inline constexpr int kNoSenderVp = -1;

/// Delivers `message` to the VPs of `p` it names: fixed vectors to their LAPICs (lowest
/// priority to the one matching LAPIC with the lowest arbitration priority, SDM 11.6.2.4),
/// NMI, INIT and STARTUP to the VP's pending state, which its next run applies (SMI and
/// ExtINT: no such sources here, dropped). `sender` is the sending VP's index or kNoSenderVp.
/// Returns the VPs it reached, bit n for VP n.
uint64_t route_interrupt(Partition& p, const LapicIpi& message, int sender);

/// The message an MSI with `address` and `data` sends (SDM 11.11.1, 11.11.2): false when
/// the address is not in the FEEx_xxxxh window or reserved bits or delivery modes are used.
bool msi_message(uint64_t address, uint64_t data, LapicIpi& out);

/// After routing: kicks each VP in `reached` that runs in hv's guest loop on a CPU other than
/// `self_cpu` (so it re-evaluates its interrupts), and returns those not in the loop, which
/// the root must wake (they may be halted in the root).
uint64_t kick_reached(Partition& p, uint64_t reached, Machine& machine, uint32_t self_cpu);

/// The I/O APIC's sink (Partition::ioapic): routes a delivery and adds the VPs it reached to
/// Partition::reached.
void route_ioapic_delivery(void* partition, const IoApicDelivery& delivery);

/// The effect of an EOI a VP's LAPIC returned: a level-triggered vector goes to the I/O APIC
/// (SDM 11.8.5), which may deliver again. Returns the VPs a new delivery reached.
uint64_t broadcast_eoi(Partition& p, const LapicEoi& eoi);

}  // namespace hv
