// Emulating the root's INIT and STARTUP IPIs (DESIGN.md §2): the root boots its APs with
// ordinary INIT-SIPI-SIPI, and takes CPUs offline and back online the same way; hv intercepts
// the ICR for the root's whole life (the x2APIC MSR and the xAPIC page), so no INIT or STARTUP
// from the root ever reaches a CPU hv runs on: a real INIT would reset that CPU out of SVM, and
// the STARTUP after it would run the root's code there without hv. The physical CPU behind the
// target APIC ID — waiting in hv, or taken out of the root by an NMI — enters guest mode in real
// mode at the STARTUP vector (Intel SDM 8.4.4; AMD APM 16.5 for the ICR).
#pragma once

#include <stdint.h>

namespace hv::root {

/// ICR fields (Intel SDM 10.6.1): the low 32 bits; the destination is bits 63:56 (xAPIC,
/// 8 bits) or 63:32 (x2APIC, 32 bits).
namespace icr_bits {
inline constexpr uint32_t kVectorMask = 0xff;
inline constexpr uint32_t kDeliveryShift = 8;
inline constexpr uint32_t kDeliveryMask = 0x7u << 8;
inline constexpr uint32_t kDeliveryNmi = 0x4u << 8;
inline constexpr uint32_t kDeliveryInit = 0x5u << 8;
inline constexpr uint32_t kDeliveryStartup = 0x6u << 8;
inline constexpr uint32_t kDestinationLogical = 1u << 11;
inline constexpr uint32_t kLevelAssert = 1u << 14;
inline constexpr uint32_t kTriggerLevel = 1u << 15;
inline constexpr uint32_t kShorthandMask = 0x3u << 18;
inline constexpr uint32_t kShorthandNone = 0x0u << 18;
inline constexpr uint32_t kShorthandSelf = 0x1u << 18;
inline constexpr uint32_t kShorthandAllIncludingSelf = 0x2u << 18;
inline constexpr uint32_t kShorthandAllButSelf = 0x3u << 18;
}  // namespace icr_bits

/// What a write to the ICR means for hv.
enum class IcrAction {
  kForward,  ///< an ordinary IPI: send it on the real APIC
  kInit,     ///< INIT to the targets: hv resets their start-up state
  kStartup,  ///< STARTUP to the targets with `vector`
  kIgnore,   ///< INIT level de-assert (a no-op on every CPU since the P6)
  /// An NMI to the targets (icr_addresses): hv marks each target's request and sends hv's own
  /// NMI, so that an NMI hv sends to the same CPU at the same moment (a flush, a kick) cannot
  /// swallow it (cpu/tlb_shootdown.hpp).
  kNmi,
};

/// Which CPUs an ICR write names.
enum class IcrShorthand : uint8_t { kNone, kSelf, kAllIncludingSelf, kAllButSelf };

/// One decoded ICR write.
struct IcrWrite {
  IcrAction action = IcrAction::kForward;
  uint8_t vector = 0;
  bool all_but_self = false;  ///< destination shorthand "all excluding self"
  uint32_t destination = 0;   ///< APIC ID when no shorthand (a logical one when `logical`)
  IcrShorthand shorthand = IcrShorthand::kNone;
  bool logical = false;  ///< logical destination mode (only decoded for x2APIC, see below)
  bool x2apic = false;   ///< written through the x2APIC MSR (32-bit destinations)
};

/// Decodes an ICR value (`x2apic`: the destination is the full high half, else bits 63:56).
/// An NMI in xAPIC logical mode stays kForward: its targets depend on each APIC's LDR and DFR,
/// which hv does not track (Linux 6.x sends xAPIC IPIs in physical mode only).
IcrWrite decode_icr(uint64_t value, bool x2apic);

/// Whether the CPU with APIC ID `apic_id` (`self`: the CPU that wrote the ICR) is a target of
/// `w`: the shorthands, physical destinations with the broadcast ID (0xff, or 0xffffffff in
/// x2APIC mode), and x2APIC logical destinations, cluster in bits 31:16 and a bit per CPU in
/// 15:0, each CPU's logical ID being derived from its APIC ID (Intel SDM vol. 3A, 11.12.10.2).
bool icr_addresses(const IcrWrite& w, uint32_t apic_id, bool self);

/// The start-up state of one physical CPU that runs (or will run) a root AP.
struct ApStartState {
  volatile uint32_t init_received = 0;
  volatile uint32_t sipi_vector = 0;  ///< vector + 1, so 0 means "none yet"
  /// The CPU runs the root: an INIT must take it out of the root first (an NMI), then it waits
  /// for STARTUP in hv as a CPU in wait-for-SIPI would.
  volatile uint32_t running = 0;
};

}  // namespace hv::root
