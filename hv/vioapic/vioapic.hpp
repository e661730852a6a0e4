// The emulated I/O APIC of one child (Intel 82093AA I/O APIC datasheet, "the datasheet" below;
// the EOI register of version 20h is the ICH/PCH IOxAPIC's, its "EOI Register" at offset 40h):
// 24 input pins, each routed by a redirection-table entry to a delivery request. Pure logic: hv's
// MMIO exit handler (the page at FEC00000h) and the VMM's "raise GSI" requests drive it, and
// every delivery goes to a sink the caller provides; which local APICs accept a delivery is the
// caller's to decide. Not thread-safe: the caller serialises all calls (and the sink runs inside
// them).
#pragma once

#include <stdint.h>

namespace hv {

namespace ioapic {

inline constexpr uint64_t kDefaultBase = 0xfec00000;  ///< the MMIO window's usual address
inline constexpr uint32_t kMmioSize = 0x1000;         ///< the page hv traps; offsets below it

/// Registers of the MMIO window (datasheet 3.1, table 1; EOI: ICH IOxAPIC, version 20h). Each
/// is 32 bits and accessed only as an aligned dword.
enum class Mmio : uint32_t {
  kIoRegSel = 0x00,  ///< index of the register IOWIN shows, bits 7:0
  kIoWin = 0x10,     ///< the selected register
  kEoi = 0x40,       ///< write-only: a vector whose level-triggered entries end (Remote IRR)
};

/// Register indexes behind IOREGSEL/IOWIN (datasheet 3.2, table 2).
enum class Reg : uint8_t {
  kId = 0x00,           ///< IOAPICID
  kVersion = 0x01,      ///< IOAPICVER, read-only
  kArbitration = 0x02,  ///< IOAPICARB, read-only
  kRedirection = 0x10,  ///< IOREDTBL0 low dword; pin n is 10h + 2n (low), 11h + 2n (high)
};

/// Input pins (GSIs 0-23), as IOAPICVER's maximum redirection entry + 1 says.
inline constexpr unsigned kPins = 24;
/// The register index of the low dword of pin `pin`'s redirection entry; +1 is the high dword.
constexpr uint8_t redirection_low(unsigned pin) {
  return static_cast<uint8_t>(static_cast<unsigned>(Reg::kRedirection) + 2 * pin);
}
inline constexpr uint8_t kRedirectionLast = redirection_low(kPins) - 1;  ///< 3Fh

/// IOAPICID (datasheet 3.2.1): the 4-bit ID in bits 27:24, the rest reserved.
namespace id {
inline constexpr unsigned kShift = 24;
inline constexpr uint32_t kMask = 0xfu << kShift;
}  // namespace id

/// IOAPICVER (datasheet 3.2.2): version in bits 7:0 (20h: the IOxAPIC with an EOI register,
/// which Linux uses from 20h on), maximum redirection entry in bits 23:16.
inline constexpr uint32_t kVersion = 0x20 | ((kPins - 1) << 16);
static_assert(kVersion == 0x00170020);

/// IOAPICARB (datasheet 3.2.3): the arbitration ID in bits 27:24. This model has no APIC bus to
/// arbitrate on; it reads the ID, as the ID register write loads it.
inline constexpr unsigned kArbitrationShift = 24;

/// Redirection-table entry fields (datasheet 3.2.4, IOREDTBL[23:0]).
namespace rte {
inline constexpr uint64_t kVector = 0xff;
inline constexpr unsigned kDeliveryModeShift = 8;
inline constexpr uint64_t kDeliveryMode = 7u << kDeliveryModeShift;
inline constexpr uint64_t kDestinationLogical = 1u << 11;
inline constexpr uint64_t kDeliveryStatus = 1u << 12;  ///< read-only; reads 0 (idle) here
inline constexpr uint64_t kPolarityLow = 1u << 13;     ///< stored only: inputs are logical
inline constexpr uint64_t kRemoteIrr = 1u << 14;       ///< read-only
inline constexpr uint64_t kTriggerLevel = 1u << 15;
inline constexpr uint64_t kMasked = 1u << 16;
/// The low-dword bits a write stores (bits 31:17 are reserved).
inline constexpr uint64_t kLowWritable =
    kVector | kDeliveryMode | kDestinationLogical | kPolarityLow | kTriggerLevel | kMasked;
inline constexpr unsigned kDestinationShift = 56;
inline constexpr uint64_t kDestination = 0xffull << kDestinationShift;  ///< bits 63:56
/// The high-dword bits a write stores (bits 55:32 are reserved).
inline constexpr uint64_t kHighWritable = kDestination;
/// An entry after RESET: masked, everything else 0 (datasheet 3.2.4, mask bit).
inline constexpr uint64_t kReset = kMasked;
}  // namespace rte

}  // namespace ioapic

/// Delivery mode, entry bits 10:8 (datasheet 3.2.4). 3 and 6 are reserved: such an entry
/// delivers nothing.
enum class IoApicDeliveryMode : uint8_t {
  kFixed = 0,
  kLowestPriority = 1,
  kSmi = 2,
  kNmi = 4,
  kInit = 5,
  kExtInt = 7,  ///< the vector comes from the 8259 (INTA); `vector` is the entry's, unused
};

/// How a delivered interrupt is triggered: a level-triggered one must be ended by an EOI.
enum class IoApicTrigger : uint8_t { kEdge, kLevel };

/// One interrupt message for the caller to route to the local APICs it names.
struct IoApicDelivery {
  uint8_t pin = 0;     ///< the input (GSI) that raised it
  uint8_t vector = 0;  ///< fixed and lowest priority: the vector; others: as programmed
  IoApicDeliveryMode mode = IoApicDeliveryMode::kFixed;
  uint8_t destination = 0;  ///< entry bits 63:56: an APIC ID, or a logical set (FFh: all)
  bool logical = false;     ///< destination mode: logical (LDR/DFR) rather than physical
  /// kLevel only for fixed and lowest-priority deliveries of a level-triggered entry: the
  /// LAPIC sets TMR and its EOI comes back through eoi().
  IoApicTrigger trigger = IoApicTrigger::kEdge;

  friend bool operator==(const IoApicDelivery&, const IoApicDelivery&) = default;
};

/// Where deliveries go: called once per delivery, inside the call that caused it. It must not
/// call back into the VirtualIoApic that called it.
using IoApicSink = void (*)(void* context, const IoApicDelivery& delivery);

/// Result of an access or a pin change. Anything but kOk changed nothing. For MMIO the caller
/// decides what the guest sees (a read that failed reads all ones, a write that failed is
/// dropped).
enum class [[nodiscard]] IoApicStatus : uint8_t {
  kOk,
  kBadSize,   ///< an MMIO access that is not 4 bytes at a 4-byte-aligned offset
  kReserved,  ///< an MMIO offset that is not IOREGSEL, IOWIN or EOI
  kBadPin,    ///< a pin number of kPins or more
};

const char* describe(IoApicStatus status);

/// One I/O APIC: its registers, the level of each input line and the Remote IRR of each
/// level-triggered entry. Inputs are logical (asserted or not, as the VMM's device models say);
/// the polarity bit is stored for the guest but does not invert them (as in KVM and QEMU), so a
/// guest changing it causes no spurious edge.
class VirtualIoApic {
 public:
  static constexpr unsigned kPins = ioapic::kPins;

  /// The I/O APIC after RESET with ID `id` (bits 3:0; the MADT's I/O APIC ID), delivering to
  /// `sink(context, ...)`; a null sink drops every delivery.
  VirtualIoApic(IoApicSink sink, void* context, uint8_t id = 0);

  /// RESET: every entry masked and 0 otherwise, IOREGSEL 0, the ID given at construction. The
  /// input lines keep their levels (they are the devices').
  void reset();

  // MMIO (an exit at `offset` within the kMmioSize window).
  /// A read of `size` bytes at `offset`; `value` is 0 unless kOk. EOI reads 0; unknown register
  /// indexes read through IOWIN read 0 (as QEMU's and KVM's: Linux takes all ones for "no
  /// I/O APIC").
  IoApicStatus mmio_read(uint64_t offset, uint32_t size, uint32_t& value) const;
  /// A write of `size` bytes at `offset`. Through IOWIN, read-only and reserved bits and
  /// unknown registers are ignored.
  IoApicStatus mmio_write(uint64_t offset, uint32_t size, uint32_t value);

  /// The register at index `index` as IOWIN reads it.
  uint32_t read_register(uint8_t index) const;
  /// A write of `value` to the register at index `index` as through IOWIN; an unmasked level-
  /// triggered entry whose line is asserted and Remote IRR clear delivers at once.
  void write_register(uint8_t index, uint32_t value);

  // Inputs.
  /// Drives `pin`'s line: an edge-triggered entry delivers on a rising edge unless masked (then
  /// it is lost); a level-triggered one delivers while asserted, unmasked and Remote IRR clear
  /// (datasheet 3.2.4, mask and trigger mode bits).
  IoApicStatus set_level(unsigned pin, bool asserted);
  /// A rising and falling edge on `pin`. On a line held asserted there is no edge: nothing
  /// happens. On a level-triggered entry it delivers once, like a brief assertion.
  IoApicStatus pulse(unsigned pin);
  /// An EOI for `vector` (a local APIC's EOI broadcast, or the EOI register): clears Remote IRR
  /// of the entries with that vector, then delivers again those whose line is still asserted
  /// and unmasked. Returns how many entries it cleared.
  unsigned eoi(uint8_t vector);

  // State, for hv and tests.
  uint8_t id() const { return id_; }
  uint8_t selected_register() const { return select_; }
  /// Pin `pin`'s redirection entry as the guest reads it; 0 for a pin out of range.
  uint64_t redirection_entry(unsigned pin) const;
  /// Whether `pin`'s line is asserted; false for a pin out of range.
  bool line_asserted(unsigned pin) const;

 private:
  static bool valid_pin(unsigned pin) { return pin < kPins; }
  /// Fixed or lowest priority, level-triggered: delivered while asserted, ended by an EOI.
  static bool level_semantics(uint64_t entry);

  void write_redirection(unsigned pin, bool high, uint32_t value);
  void input_edge(unsigned pin);
  void service_level(unsigned pin);
  /// Sends `pin`'s entry to the sink; false (nothing sent) for a reserved delivery mode.
  bool deliver(unsigned pin);

  IoApicSink sink_;
  void* context_;
  uint8_t reset_id_;
  uint8_t id_ = 0;
  uint8_t select_ = 0;     ///< IOREGSEL bits 7:0
  uint32_t asserted_ = 0;  ///< line levels, bit n for pin n
  uint64_t redirection_[kPins] = {};
};

}  // namespace hv
