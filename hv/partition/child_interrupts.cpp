#include "partition/child_interrupts.hpp"

namespace hv {
namespace {

// MSI address fields (SDM 11.11.1): FEEh in bits 31:20, the destination ID in 19:12, the
// redirection hint in bit 3 and the destination mode in bit 2; bits 11:4 and 1:0 carry nothing
// here (no extended destination IDs, no interrupt remapping).
constexpr uint64_t kMsiAddressUsed = RS_MSI_ADDRESS_BASE_MASK | RS_MSI_ADDRESS_DEST_MASK |
                                     RS_MSI_ADDRESS_REDIRECTION_HINT | RS_MSI_ADDRESS_DEST_LOGICAL;
constexpr uint64_t kLow32 = 0xffffffffull;

// A VP in its INIT state: the LAPIC's registers reset with its ID and mode kept (SDM
// 11.4.7.3), waiting for a STARTUP IPI unless it is the bootstrap VP, which restarts at the
// reset vector; its registers are reset at its next run (the VP may be on another CPU).
void apply_init(ChildVp& vp, bool bootstrap) {
  vp.lapic.init_reset();
  vp.init_pending = true;
  vp.sipi_pending = false;
  vp.nmi_pending = false;
  vp.activity = bootstrap ? RS_ACTIVITY_RUNNING : RS_ACTIVITY_WAIT_FOR_SIPI;
}

// SDM 8.4.3 (MP initialization): a STARTUP IPI starts a VP that waits for one, at vector:0000
// in real mode; any other VP ignores it (the second STARTUP of the INIT-SIPI-SIPI sequence).
void apply_startup(ChildVp& vp, uint8_t vector) {
  if (vp.activity != RS_ACTIVITY_WAIT_FOR_SIPI) return;
  vp.activity = RS_ACTIVITY_RUNNING;
  vp.sipi_pending = true;
  vp.sipi_vector = vector;
}

bool fixed_vector(IpiDelivery d) {
  return d == IpiDelivery::kFixed || d == IpiDelivery::kLowestPriority;
}

}  // namespace

uint64_t route_interrupt(Partition& p, const LapicIpi& message, int sender) {
  // INIT level de-assert only re-synchronises arbitration IDs (SDM 11.6.1): nothing to do.
  if (message.delivery == IpiDelivery::kInit && message.trigger == TriggerMode::kLevel &&
      !message.level_assert) {
    return 0;
  }
  uint64_t reached = 0;
  int lowest = -1;
  for (uint32_t i = 0; i < kMaxVps; ++i) {
    ChildVp& vp = p.vps[i];
    if (!vp.exists || vp.shutdown) continue;
    if (!vp.lapic.matches(message, static_cast<int>(i) == sender)) continue;
    switch (message.delivery) {
      case IpiDelivery::kFixed:
        if (vp.lapic.accept(message.vector, message.trigger) != LapicAccept::kDisabled) {
          reached |= 1ull << i;
        }
        break;
      case IpiDelivery::kLowestPriority:
        if (lowest < 0 || vp.lapic.apr() < p.vps[lowest].lapic.apr()) lowest = static_cast<int>(i);
        break;
      case IpiDelivery::kNmi:
        vp.nmi_pending = true;
        reached |= 1ull << i;
        break;
      case IpiDelivery::kInit:
        apply_init(vp, (vp.lapic.apic_base() & x86::apic_base::kBsp) != 0);
        reached |= 1ull << i;
        break;
      case IpiDelivery::kStartup:
        apply_startup(vp, message.vector);
        reached |= 1ull << i;
        break;
      case IpiDelivery::kSmi:
        break;  // no SMM in a child
    }
  }
  // `lowest` is only ever chosen for a lowest-priority message.
  if (lowest >= 0 &&
      p.vps[lowest].lapic.accept(message.vector, message.trigger) != LapicAccept::kDisabled) {
    reached |= 1ull << lowest;
  }
  return reached;
}

bool msi_message(uint64_t address, uint64_t data, LapicIpi& out) {
  if ((address & ~kLow32) != 0 || (address & RS_MSI_ADDRESS_BASE_MASK) != RS_MSI_ADDRESS_BASE) {
    return false;
  }
  if ((address & ~kMsiAddressUsed) != 0 || (data & ~kLow32) != 0 ||
      (data & RS_MSI_DATA_RESERVED_MASK) != 0) {
    return false;
  }
  const auto mode =
      static_cast<uint8_t>((data & RS_MSI_DATA_DELIVERY_MASK) >> RS_MSI_DATA_DELIVERY_SHIFT);
  // SDM 11.11.2: fixed, lowest priority, SMI, NMI, INIT and ExtINT; 3 and 6 are reserved, and
  // ExtINT needs an 8259 the child does not have.
  if (mode == 3 || mode == 6 || mode == 7) return false;
  out = LapicIpi{};
  out.destination =
      static_cast<uint32_t>((address & RS_MSI_ADDRESS_DEST_MASK) >> RS_MSI_ADDRESS_DEST_SHIFT);
  out.logical = (address & RS_MSI_ADDRESS_DEST_LOGICAL) != 0;
  out.vector = static_cast<uint8_t>(data & RS_MSI_DATA_VECTOR_MASK);
  out.delivery = static_cast<IpiDelivery>(mode);
  out.trigger = (data & RS_MSI_DATA_TRIGGER_LEVEL) != 0 ? TriggerMode::kLevel : TriggerMode::kEdge;
  out.level_assert = true;
  // Fixed and lowest priority with a vector below 16 are illegal (SDM 11.5.2): refused here
  // rather than left for every LAPIC to log.
  return !(fixed_vector(out.delivery) && out.vector < 16);
}

uint64_t kick_reached(Partition& p, uint64_t reached, Machine& machine, uint32_t self_cpu) {
  uint64_t wake = 0;
  for (uint32_t i = 0; i < kMaxVps; ++i) {
    if ((reached & (1ull << i)) == 0) continue;
    const ChildVp& vp = p.vps[i];
    if (!vp.in_guest) {
      wake |= 1ull << i;
    } else if (vp.cpu != self_cpu) {
      machine.kick_cpu(vp.cpu);
    }
  }
  return wake;
}

void route_ioapic_delivery(void* partition, const IoApicDelivery& d) {
  auto& p = *static_cast<Partition*>(partition);
  LapicIpi m;
  m.destination = d.destination;
  m.logical = d.logical;
  m.vector = d.vector;
  m.trigger = d.trigger == IoApicTrigger::kLevel ? TriggerMode::kLevel : TriggerMode::kEdge;
  switch (d.mode) {
    case IoApicDeliveryMode::kFixed:
      m.delivery = IpiDelivery::kFixed;
      break;
    case IoApicDeliveryMode::kLowestPriority:
      m.delivery = IpiDelivery::kLowestPriority;
      break;
    case IoApicDeliveryMode::kNmi:
      m.delivery = IpiDelivery::kNmi;
      break;
    case IoApicDeliveryMode::kInit:
      m.delivery = IpiDelivery::kInit;
      m.trigger = TriggerMode::kEdge;
      break;
    case IoApicDeliveryMode::kSmi:
    case IoApicDeliveryMode::kExtInt:
      return;  // no SMM, no 8259 in a child
  }
  p.reached |= route_interrupt(p, m, kNoSenderVp);
}

uint64_t broadcast_eoi(Partition& p, const LapicEoi& eoi) {
  if (!eoi.valid || eoi.trigger != TriggerMode::kLevel) return 0;
  p.reached = 0;
  (void)p.ioapic.eoi(eoi.vector);
  return p.reached;
}

}  // namespace hv
