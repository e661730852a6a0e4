// PARTITION_INTERRUPT (docs/hypercalls.md "Child interrupts").
#include "partition/child_interrupts.hpp"
#include "partition/partitions.hpp"

namespace hv {

CallResult Partitions::interrupt(uint64_t id, uint64_t flags, uint64_t argument, uint64_t& wake) {
  wake = 0;
  if ((flags & RS_INTERRUPT_RESERVED_MASK) != 0) return {RS_STATUS_RESERVED_NONZERO};
  const auto kind = static_cast<uint32_t>(flags & RS_INTERRUPT_KIND_MASK);
  const bool asserted = (flags & RS_INTERRUPT_ASSERTED) != 0;
  SpinlockGuard guard(lock_);
  Partition* p = nullptr;
  if (const uint16_t s = changeable(id, p); s != RS_STATUS_SUCCESS) return {s};
  LapicIpi msi;
  switch (kind) {
    case RS_INTERRUPT_GSI_EDGE:
      if (asserted) return {RS_STATUS_INVALID_PARAMETER};  // an edge has no level
      [[fallthrough]];
    case RS_INTERRUPT_GSI_LEVEL:
      if (argument >= RS_INTERRUPT_GSI_COUNT) return {RS_STATUS_INVALID_PARAMETER};
      break;
    case RS_INTERRUPT_MSI:
      if (asserted || !msi_message(argument & 0xffffffffull, argument >> 32, msi)) {
        return {RS_STATUS_INVALID_PARAMETER};
      }
      break;
    default:
      return {RS_STATUS_INVALID_PARAMETER};
  }
  SpinlockGuard irq(p->irq_lock);
  uint64_t reached = 0;
  if (kind == RS_INTERRUPT_MSI) {
    reached = route_interrupt(*p, msi, kNoSenderVp);
  } else {
    p->reached = 0;
    const auto pin = static_cast<unsigned>(argument);
    const IoApicStatus s =
        kind == RS_INTERRUPT_GSI_EDGE ? p->ioapic.pulse(pin) : p->ioapic.set_level(pin, asserted);
    (void)s;  // the pin was checked above
    reached = p->reached;
  }
  wake = kick_reached(*p, reached, machine_, kNoCpu);
  return {};
}

}  // namespace hv
