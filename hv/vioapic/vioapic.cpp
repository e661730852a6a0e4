#include "vioapic/vioapic.hpp"

namespace hv {
namespace {

namespace rte = ioapic::rte;

constexpr uint32_t kDword = 4;

IoApicDeliveryMode delivery_mode(uint64_t entry) {
  return static_cast<IoApicDeliveryMode>((entry & rte::kDeliveryMode) >> rte::kDeliveryModeShift);
}

bool vectored(uint64_t entry) {
  const IoApicDeliveryMode mode = delivery_mode(entry);
  return mode == IoApicDeliveryMode::kFixed || mode == IoApicDeliveryMode::kLowestPriority;
}

// Delivery modes 3 and 6 are reserved (datasheet 3.2.4, bits 10:8).
bool reserved_mode(uint64_t entry) {
  const auto raw = static_cast<unsigned>(delivery_mode(entry));
  return raw == 3 || raw == 6;
}

}  // namespace

const char* describe(IoApicStatus status) {
  switch (status) {
    case IoApicStatus::kOk:
      return "ok";
    case IoApicStatus::kBadSize:
      return "I/O APIC access not an aligned dword";
    case IoApicStatus::kReserved:
      return "no I/O APIC register at that offset";
    case IoApicStatus::kBadPin:
      return "no such I/O APIC pin";
  }
  return "?";
}

VirtualIoApic::VirtualIoApic(IoApicSink sink, void* context, uint8_t id)
    : sink_(sink), context_(context), reset_id_(static_cast<uint8_t>(id & 0xf)) {
  reset();
}

void VirtualIoApic::reset() {
  id_ = reset_id_;
  select_ = 0;
  for (uint64_t& entry : redirection_) entry = rte::kReset;
}

bool VirtualIoApic::level_semantics(uint64_t entry) {
  // NMI, SMI, INIT and ExtINT are not vectored through the local APIC's ISR, so no EOI would
  // ever clear a Remote IRR: they are delivered on the rising edge whatever the trigger bit.
  return (entry & rte::kTriggerLevel) != 0 && vectored(entry);
}

IoApicStatus VirtualIoApic::mmio_read(uint64_t offset, uint32_t size, uint32_t& value) const {
  value = 0;
  if (size != kDword || offset % kDword != 0) return IoApicStatus::kBadSize;
  if (offset >= ioapic::kMmioSize) return IoApicStatus::kReserved;
  switch (static_cast<ioapic::Mmio>(offset)) {
    case ioapic::Mmio::kIoRegSel:
      value = select_;
      return IoApicStatus::kOk;
    case ioapic::Mmio::kIoWin:
      value = read_register(select_);
      return IoApicStatus::kOk;
    case ioapic::Mmio::kEoi:  // write-only
      return IoApicStatus::kOk;
  }
  return IoApicStatus::kReserved;
}

IoApicStatus VirtualIoApic::mmio_write(uint64_t offset, uint32_t size, uint32_t value) {
  if (size != kDword || offset % kDword != 0) return IoApicStatus::kBadSize;
  if (offset >= ioapic::kMmioSize) return IoApicStatus::kReserved;
  switch (static_cast<ioapic::Mmio>(offset)) {
    case ioapic::Mmio::kIoRegSel:
      select_ = static_cast<uint8_t>(value);  // bits 31:8 reserved (datasheet 3.1.1)
      return IoApicStatus::kOk;
    case ioapic::Mmio::kIoWin:
      write_register(select_, value);
      return IoApicStatus::kOk;
    case ioapic::Mmio::kEoi:
      static_cast<void>(eoi(static_cast<uint8_t>(value)));  // bits 7:0 are the vector
      return IoApicStatus::kOk;
  }
  return IoApicStatus::kReserved;
}

uint32_t VirtualIoApic::read_register(uint8_t index) const {
  switch (static_cast<ioapic::Reg>(index)) {
    case ioapic::Reg::kId:
      return static_cast<uint32_t>(id_) << ioapic::id::kShift;
    case ioapic::Reg::kVersion:
      return ioapic::kVersion;
    case ioapic::Reg::kArbitration:
      return static_cast<uint32_t>(id_) << ioapic::kArbitrationShift;
    default:
      break;
  }
  if (index < ioapic::redirection_low(0) || index > ioapic::kRedirectionLast) return 0;
  const unsigned n = index - ioapic::redirection_low(0);
  const uint64_t entry = redirection_[n / 2];
  return static_cast<uint32_t>((n % 2 != 0) ? entry >> 32 : entry);
}

void VirtualIoApic::write_register(uint8_t index, uint32_t value) {
  if (index == static_cast<uint8_t>(ioapic::Reg::kId)) {
    id_ = static_cast<uint8_t>((value & ioapic::id::kMask) >> ioapic::id::kShift);
    return;
  }
  // IOAPICVER and IOAPICARB are read-only; other indexes have no register.
  if (index < ioapic::redirection_low(0) || index > ioapic::kRedirectionLast) return;
  const unsigned n = index - ioapic::redirection_low(0);
  write_redirection(n / 2, n % 2 != 0, value);
}

void VirtualIoApic::write_redirection(unsigned pin, bool high, uint32_t value) {
  uint64_t& entry = redirection_[pin];
  if (high) {
    entry = (entry & ~rte::kHighWritable) | ((uint64_t{value} << 32) & rte::kHighWritable);
    return;  // the destination matters only for the next delivery
  }
  entry = (entry & ~rte::kLowWritable) | (uint64_t{value} & rte::kLowWritable);
  // Remote IRR is undefined for edge-triggered entries (datasheet 3.2.4, bit 14); clearing it
  // when an entry becomes edge-triggered is what Linux's pre-20h "EOI by switching to edge and
  // back" relies on (KVM does the same).
  if ((entry & rte::kTriggerLevel) == 0) entry &= ~rte::kRemoteIrr;
  // Unmasking (or reprogramming) a level-triggered entry whose line is asserted delivers it:
  // the level is sampled, not an edge.
  service_level(pin);
}

IoApicStatus VirtualIoApic::set_level(unsigned pin, bool asserted) {
  if (!valid_pin(pin)) return IoApicStatus::kBadPin;
  const uint32_t bit = 1u << pin;
  const bool was = (asserted_ & bit) != 0;
  if (!asserted) {
    // Deasserting ends nothing: a delivered level interrupt keeps Remote IRR until its EOI.
    asserted_ &= ~bit;
    return IoApicStatus::kOk;
  }
  asserted_ |= bit;
  if (level_semantics(redirection_[pin])) {
    service_level(pin);
  } else if (!was) {
    input_edge(pin);
  }
  return IoApicStatus::kOk;
}

IoApicStatus VirtualIoApic::pulse(unsigned pin) {
  if (!valid_pin(pin)) return IoApicStatus::kBadPin;
  if (line_asserted(pin)) return IoApicStatus::kOk;  // no edge on a line held high
  static_cast<void>(set_level(pin, true));
  static_cast<void>(set_level(pin, false));
  return IoApicStatus::kOk;
}

unsigned VirtualIoApic::eoi(uint8_t vector) {
  uint32_t cleared = 0;  // bit n for pin n
  unsigned count = 0;
  for (unsigned pin = 0; pin < kPins; ++pin) {
    uint64_t& entry = redirection_[pin];
    if ((entry & rte::kRemoteIrr) == 0 || (entry & rte::kVector) != vector) continue;
    entry &= ~rte::kRemoteIrr;
    cleared |= 1u << pin;
    ++count;
  }
  // Cleared first, then serviced: each entry is delivered again at most once per EOI.
  for (unsigned pin = 0; pin < kPins; ++pin) {
    if ((cleared & (1u << pin)) != 0) service_level(pin);
  }
  return count;
}

uint64_t VirtualIoApic::redirection_entry(unsigned pin) const {
  return valid_pin(pin) ? redirection_[pin] : 0;
}

bool VirtualIoApic::line_asserted(unsigned pin) const {
  return valid_pin(pin) && (asserted_ & (1u << pin)) != 0;
}

void VirtualIoApic::input_edge(unsigned pin) {
  // "Edge-sensitive interrupts signaled on a masked interrupt pin are ignored (i.e., not
  // delivered or held pending)" (datasheet 3.2.4, bit 16).
  if ((redirection_[pin] & rte::kMasked) != 0) return;
  static_cast<void>(deliver(pin));
}

void VirtualIoApic::service_level(unsigned pin) {
  uint64_t& entry = redirection_[pin];
  if (!level_semantics(entry) || !line_asserted(pin)) return;
  if ((entry & (rte::kMasked | rte::kRemoteIrr)) != 0) return;
  // Remote IRR: "set to 1 when the local APIC(s) accept the level interrupt sent by the
  // IOAPIC" and cleared by its EOI (datasheet 3.2.4, bit 14).
  if (deliver(pin)) entry |= rte::kRemoteIrr;
}

bool VirtualIoApic::deliver(unsigned pin) {
  const uint64_t entry = redirection_[pin];
  if (reserved_mode(entry)) return false;
  IoApicDelivery d;
  d.pin = static_cast<uint8_t>(pin);
  d.vector = static_cast<uint8_t>(entry & rte::kVector);
  d.mode = delivery_mode(entry);
  d.destination = static_cast<uint8_t>(entry >> rte::kDestinationShift);
  d.logical = (entry & rte::kDestinationLogical) != 0;
  d.trigger = level_semantics(entry) ? IoApicTrigger::kLevel : IoApicTrigger::kEdge;
  if (sink_ != nullptr) sink_(context_, d);
  return true;
}

}  // namespace hv
