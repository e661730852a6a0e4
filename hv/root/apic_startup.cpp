#include "root/apic_startup.hpp"

namespace hv::root {

IcrWrite decode_icr(uint64_t value, bool x2apic) {
  using namespace icr_bits;
  const auto low = static_cast<uint32_t>(value);
  IcrWrite w;
  w.vector = static_cast<uint8_t>(low & kVectorMask);
  w.all_but_self = (low & kShorthandMask) == kShorthandAllButSelf;
  w.destination = x2apic ? static_cast<uint32_t>(value >> 32) : static_cast<uint32_t>(value >> 56);
  w.logical = (low & kDestinationLogical) != 0;
  w.x2apic = x2apic;
  const uint32_t shorthand = low & kShorthandMask;
  w.shorthand = shorthand == kShorthandSelf               ? IcrShorthand::kSelf
                : shorthand == kShorthandAllIncludingSelf ? IcrShorthand::kAllIncludingSelf
                : shorthand == kShorthandAllButSelf       ? IcrShorthand::kAllButSelf
                                                          : IcrShorthand::kNone;
  const uint32_t mode = low & kDeliveryMask;
  if (mode == kDeliveryNmi) {
    const bool resolvable = x2apic || !w.logical || shorthand != kShorthandNone;
    w.action = resolvable ? IcrAction::kNmi : IcrAction::kForward;
    return w;
  }
  // Only INIT and STARTUP to another CPU concern hv; "self" and "all including self" with
  // those modes are not valid (SDM 10.6.1) and go to the real APIC, which refuses them.
  if (shorthand != kShorthandNone && !w.all_but_self) {
    w.action = IcrAction::kForward;
  } else if (mode == kDeliveryInit) {
    const bool deassert = (low & kLevelAssert) == 0 && (low & kTriggerLevel) != 0;
    w.action = deassert ? IcrAction::kIgnore : IcrAction::kInit;
  } else if (mode == kDeliveryStartup) {
    w.action = IcrAction::kStartup;
  } else {
    w.action = IcrAction::kForward;
  }
  return w;
}

bool icr_addresses(const IcrWrite& w, uint32_t apic_id, bool self) {
  switch (w.shorthand) {
    case IcrShorthand::kSelf:
      return self;
    case IcrShorthand::kAllIncludingSelf:
      return true;
    case IcrShorthand::kAllButSelf:
      return !self;
    case IcrShorthand::kNone:
      break;
  }
  const uint32_t broadcast = w.x2apic ? 0xffffffffu : 0xffu;
  if (w.destination == broadcast) return true;
  if (!w.logical) return w.destination == apic_id;
  if (!w.x2apic) return false;  // xAPIC logical: not resolvable here (decode_icr forwards it)
  // x2APIC logical ID: cluster = APIC ID bits 31:4, member bit = APIC ID bits 3:0.
  const uint32_t cluster = apic_id >> 4;
  const uint32_t member = 1u << (apic_id & 0xf);
  return (w.destination >> 16) == cluster && (w.destination & member) != 0;
}

}  // namespace hv::root
