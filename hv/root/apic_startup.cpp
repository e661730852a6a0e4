#include "root/apic_startup.hpp"

namespace hv::root {

IcrWrite decode_icr(uint64_t value, bool x2apic) {
  using namespace icr_bits;
  const auto low = static_cast<uint32_t>(value);
  IcrWrite w;
  w.vector = static_cast<uint8_t>(low & kVectorMask);
  w.all_but_self = (low & kShorthandMask) == kShorthandAllButSelf;
  w.destination = x2apic ? static_cast<uint32_t>(value >> 32) : static_cast<uint32_t>(value >> 56);
  const uint32_t shorthand = low & kShorthandMask;
  const uint32_t mode = low & kDeliveryMask;
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

}  // namespace hv::root
