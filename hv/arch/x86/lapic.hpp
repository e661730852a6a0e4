// The local APIC of the CPU hv runs on, in x2APIC mode when the CPU has it, else xAPIC
// (AMD APM vol. 2, chapter 16; Intel SDM vol. 3A, chapter 10). hv uses it for IPIs only: INIT
// and STARTUP to start the APs (Intel SDM 8.4.4 "MP Initialization Example").
#pragma once

#include <stdint.h>

namespace hv::x86 {

/// Interrupt command register fields (Intel SDM 10.6.1, figure 10-12).
namespace icr {
inline constexpr uint32_t kDeliveryInit = 0x5u << 8;
inline constexpr uint32_t kDeliveryStartup = 0x6u << 8;
inline constexpr uint32_t kDeliveryFixed = 0x0u << 8;
inline constexpr uint32_t kDeliveryNmi = 0x4u << 8;
inline constexpr uint32_t kDeliveryPending = 1u << 12;  ///< xAPIC only: send pending
inline constexpr uint32_t kLevelAssert = 1u << 14;
inline constexpr uint32_t kTriggerLevel = 1u << 15;
}  // namespace icr

/// The calling CPU's local APIC.
class LocalApic {
 public:
  /// Chooses the mode for every CPU (x2APIC when `use_x2apic`) and the xAPIC register page
  /// (from the MADT), then enables the calling CPU's APIC. The BSP calls it once.
  static uint64_t init(bool use_x2apic, uint64_t mmio_base);
  /// Enables the calling CPU's APIC in the mode init() chose (each AP calls it). Returns the
  /// IA32_APIC_BASE value the firmware left, for restore_firmware_mode().
  static uint64_t enable_this_cpu();
  /// Puts the calling CPU's APIC back in the mode `firmware_base` records (before the root
  /// partition takes the CPU: its kernel expects the APIC as the firmware left it). Leaving
  /// x2APIC mode goes through the disabled state (Intel SDM 10.12.5, figure 10-27).
  static void restore_firmware_mode(uint64_t firmware_base);
  /// This CPU's APIC ID (32 bits in x2APIC mode, 8 in xAPIC mode).
  static uint32_t id();
  static bool x2apic() { return x2apic_; }

  /// Sends an IPI (`command` = delivery mode | level | trigger | vector) to `apic_id` and waits
  /// until the APIC accepted it. Returns false if it stayed pending (xAPIC), which on real
  /// hardware means the target does not exist.
  static bool send_ipi(uint32_t apic_id, uint32_t command);

 private:
  static inline bool x2apic_ = false;
  static inline volatile uint32_t* mmio_ = nullptr;
};

}  // namespace hv::x86
