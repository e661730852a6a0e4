// The emulated local APIC of one child VP (Intel SDM vol. 3A, chapter 11; AMD APM vol. 2,
// chapter 16): the registers in xAPIC mode (a 4 KiB MMIO page) and x2APIC mode (MSRs 800h-8FFh),
// IA32_APIC_BASE with its mode transitions, acceptance and priority of fixed interrupts, EOI, ICR
// writes turned into IPI requests, and the timer in its three modes. Pure logic: hv's exit
// handlers (and host unit tests) drive it with the host TSC as the clock; it touches no hardware
// and no other VP, so routing an IPI to its targets is the caller's.
#pragma once

#include <stdint.h>

#include "arch/x86/msr.hpp"

namespace hv {

namespace apic {

/// Register offsets in the xAPIC page (SDM table 11-1; APM table 16-2). In x2APIC mode register
/// `r` is MSR 800h + r / 16 (SDM 11.12.1.2, table 11-6); the ICR is then one 64-bit MSR.
enum class Reg : uint16_t {
  kId = 0x020,
  kVersion = 0x030,
  kTpr = 0x080,
  kApr = 0x090,
  kPpr = 0x0a0,
  kEoi = 0x0b0,
  kRrd = 0x0c0,
  kLdr = 0x0d0,
  kDfr = 0x0e0,
  kSvr = 0x0f0,
  kIsr = 0x100,  ///< ISR bits 32k+31..32k at kIsr + 16k, k = 0..7; TMR and IRR likewise
  kTmr = 0x180,
  kIrr = 0x200,
  kEsr = 0x280,
  kLvtCmci = 0x2f0,  ///< not offered (6 LVT entries): reserved here
  kIcrLow = 0x300,
  kIcrHigh = 0x310,
  kLvtTimer = 0x320,
  kLvtThermal = 0x330,
  kLvtPerfmon = 0x340,
  kLvtLint0 = 0x350,
  kLvtLint1 = 0x360,
  kLvtError = 0x370,
  kTimerInitialCount = 0x380,
  kTimerCurrentCount = 0x390,
  kTimerDivide = 0x3e0,
  kSelfIpi = 0x3f0,  ///< x2APIC mode only (SDM 11.12.11)
};

inline constexpr uint32_t kPageSize = 0x1000;
inline constexpr uint64_t kDefaultBase = 0xfee00000;  ///< IA32_APIC_BASE after RESET
inline constexpr uint32_t kMsrTscDeadline = 0x6e0;    ///< IA32_TSC_DEADLINE (SDM 11.5.4.1)
inline constexpr uint32_t kMsrX2apicFirst = 0x800;    ///< x2APIC MSR range (SDM 11.12.1.2)
inline constexpr uint32_t kMsrX2apicLast = 0x8ff;
/// The x2APIC MSR of register `r`.
constexpr uint32_t x2apic_msr(Reg r) {
  return kMsrX2apicFirst + static_cast<uint32_t>(r) / 16;
}

/// Version register (SDM 11.4.8): an integrated APIC, version 14h (Linux's APIC_INTEGRATED and
/// APIC_XAPIC checks), max LVT entry 5 (timer, thermal, perfmon, LINT0, LINT1, error; no CMCI),
/// bit 24 clear: no EOI-broadcast suppression, so SVR bit 12 is reserved.
inline constexpr uint32_t kVersion = 0x14 | (5u << 16);

/// Spurious-interrupt vector register (SDM 11.9, figure 11-23).
namespace svr {
inline constexpr uint32_t kVector = 0xff;
inline constexpr uint32_t kSoftwareEnable = 1u << 8;
inline constexpr uint32_t kFocusDisable = 1u << 9;
inline constexpr uint32_t kReset = 0xff;  ///< SDM 11.4.7.1
}  // namespace svr

/// LVT entry fields (SDM 11.5.1, figure 11-8). Which fields an entry has depends on the entry.
namespace lvt {
inline constexpr uint32_t kVector = 0xff;
inline constexpr uint32_t kDeliveryMode = 7u << 8;
inline constexpr uint32_t kDeliveryStatus = 1u << 12;  ///< read-only; always idle here
inline constexpr uint32_t kInputPolarity = 1u << 13;
inline constexpr uint32_t kRemoteIrr = 1u << 14;  ///< read-only; LINT pins are not modelled
inline constexpr uint32_t kTriggerLevel = 1u << 15;
inline constexpr uint32_t kMasked = 1u << 16;
inline constexpr unsigned kTimerModeShift = 17;
inline constexpr uint32_t kTimerMode = 3u << kTimerModeShift;
}  // namespace lvt

/// LVT timer mode, bits 18:17 (SDM 11.5.4, table 11-2).
enum class TimerMode : uint8_t { kOneShot = 0, kPeriodic = 1, kTscDeadline = 2, kReserved = 3 };

/// Interrupt command register fields (SDM 11.6.1, figure 11-12; x2APIC: 11.12.8).
namespace icr {
inline constexpr uint32_t kVector = 0xff;
inline constexpr unsigned kDeliveryModeShift = 8;
inline constexpr uint32_t kDeliveryMode = 7u << kDeliveryModeShift;
inline constexpr uint32_t kDestinationLogical = 1u << 11;
inline constexpr uint32_t kDeliveryStatus = 1u << 12;  ///< xAPIC: reads 0 (sent at once)
inline constexpr uint32_t kLevelAssert = 1u << 14;
inline constexpr uint32_t kTriggerLevel = 1u << 15;
inline constexpr unsigned kShorthandShift = 18;
inline constexpr uint32_t kShorthand = 3u << kShorthandShift;
/// The bits of ICR[31:0] that are stored (delivery status never is).
inline constexpr uint32_t kLowWritable =
    kVector | kDeliveryMode | kDestinationLogical | kLevelAssert | kTriggerLevel | kShorthand;
/// xAPIC: the destination is ICR bits 63:56, i.e. bits 31:24 of the high register.
inline constexpr unsigned kXapicDestinationShift = 24;
}  // namespace icr

/// Error status register bits (SDM 11.5.3, figure 11-9).
namespace esr {
inline constexpr uint32_t kSendIllegalVector = 1u << 5;
inline constexpr uint32_t kReceiveIllegalVector = 1u << 6;
inline constexpr uint32_t kIllegalRegisterAddress = 1u << 7;  ///< never set: see mmio_read()
}  // namespace esr

/// Destination format register (SDM 11.6.2.2, figure 11-14): model in bits 31:28, the rest 1s.
namespace dfr {
inline constexpr uint32_t kModel = 0xf0000000;
inline constexpr uint32_t kFlat = 0xf0000000;
inline constexpr uint32_t kCluster = 0;
inline constexpr uint32_t kReservedOnes = 0x0fffffff;
}  // namespace dfr

/// Divide configuration register: bits 0, 1 and 3 (SDM 11.5.4, figure 11-10).
inline constexpr uint32_t kDivideWritable = 0xb;

}  // namespace apic

/// How an interrupt is triggered; a level-triggered one sets its TMR bit (SDM 11.8.4).
enum class TriggerMode : uint8_t { kEdge, kLevel };

/// The APIC's global state, from IA32_APIC_BASE EN and EXTD (SDM 11.12.5, table 11-5).
enum class LapicMode : uint8_t { kDisabled, kXapic, kX2apic };

/// ICR delivery mode, bits 10:8 (SDM 11.6.1). 3 and 7 are reserved and never sent.
enum class IpiDelivery : uint8_t {
  kFixed = 0,
  kLowestPriority = 1,
  kSmi = 2,
  kNmi = 4,
  kInit = 5,
  kStartup = 6,
};

/// ICR destination shorthand, bits 19:18 (SDM 11.6.1).
enum class IpiShorthand : uint8_t {
  kNone = 0,
  kSelf = 1,
  kAllIncludingSelf = 2,
  kAllExcludingSelf = 3,
};

/// An IPI the guest sent through the ICR, for the caller to route to its targets.
struct LapicIpi {
  uint32_t destination = 0;  ///< xAPIC: ICR bits 63:56 (broadcast FFh); x2APIC: bits 63:32
  uint32_t source = 0;       ///< the sender's APIC ID (x2APIC ID in x2APIC mode)
  uint8_t vector = 0;        ///< fixed and lowest priority: the vector; startup: the page
  IpiDelivery delivery = IpiDelivery::kFixed;
  IpiShorthand shorthand = IpiShorthand::kNone;
  bool logical = false;      ///< destination mode: logical (LDR/DFR) rather than physical
  bool level_assert = true;  ///< ICR bit 14; clear with a level trigger: INIT level de-assert
  TriggerMode trigger = TriggerMode::kEdge;
  bool x2apic = false;  ///< sent in x2APIC mode: 32-bit destination, broadcast FFFFFFFFh
};

/// What an EOI did: the in-service vector it ended, if any, and its trigger mode (a level-
/// triggered one must be broadcast to the IOAPICs, SDM 11.8.5).
struct LapicEoi {
  bool valid = false;
  uint8_t vector = 0;
  TriggerMode trigger = TriggerMode::kEdge;
};

/// What a register write asks of the caller besides the state change it made.
struct LapicActions {
  bool send_ipi = false;  ///< route `ipi` (a self IPI was already accepted locally)
  LapicIpi ipi;
  LapicEoi eoi;  ///< an EOI write's result
};

/// Result of a register access or state change. Anything but kOk changed nothing. Through the
/// x2APIC MSRs and IA32_APIC_BASE, every error is #GP(0) for the caller to inject; through the
/// xAPIC page, a read that failed reads 0 and a write that failed is dropped.
enum class [[nodiscard]] LapicStatus : uint8_t {
  kOk,
  kNotApic,        ///< not the APIC's: the page outside xAPIC mode, or an MSR it does not own
  kWrongMode,      ///< an x2APIC MSR outside x2APIC mode (SDM 11.12.2)
  kMisaligned,     ///< an MMIO access that is not 32 bits at a 16-byte boundary (SDM 11.4.1)
  kReserved,       ///< no register at that offset or MSR (in this mode)
  kReadOnly,       ///< a write to a read-only register
  kWriteOnly,      ///< a read of a write-only register (EOI, SELF IPI)
  kReservedBits,   ///< a value with reserved bits set where the SDM faults (11.12.1.3)
  kBadTransition,  ///< an IA32_APIC_BASE change SDM 11.12.5 forbids
  kNotPending,     ///< on_delivered() of a vector not in the IRR
};

const char* describe(LapicStatus status);

/// Result of offering a fixed interrupt to the APIC.
enum class [[nodiscard]] LapicAccept : uint8_t {
  kAccepted,       ///< its IRR bit was set
  kCoalesced,      ///< its IRR bit was already set (the TMR bit follows the new trigger mode)
  kIllegalVector,  ///< vector 0-15: not accepted, ESR "receive illegal vector" (SDM 11.5.2)
  kDisabled,       ///< the APIC is globally or software disabled (SDM 11.4.7.2): dropped
};

/// How a VP's APIC is built.
struct VirtualLapicConfig {
  uint32_t apic_id = 0;    ///< the x2APIC ID; the xAPIC ID is its low 8 bits
  bool bootstrap = false;  ///< IA32_APIC_BASE.BSP (VP index 0)
  /// Host TSC ticks per APIC bus clock: the timer's time base (bus clock = TSC / this).
  /// Clamped to 1..kMaxTscPerBusTick.
  uint32_t tsc_per_bus_tick = 1;
  uint8_t phys_addr_bits = 52;  ///< the child's MAXPHYADDR: higher IA32_APIC_BASE bits reserved
  /// The shortest period a periodic timer runs at, in host TSC ticks (0: no limit). A child
  /// that programs a shorter one (count 1, divide 1) gets this one, as KVM's
  /// min_timer_period_us does: else every entry would find the timer due again and the VP
  /// would spend all its time re-arming it.
  uint64_t min_periodic_tsc = 0;
};

/// One VP's local APIC. Every call that takes `now` (the host TSC) first fires the timer if it
/// expired by then (as advance() does), so reads always see the current state.
class VirtualLapic {
 public:
  static constexpr uint32_t kMaxTscPerBusTick = 1u << 20;  ///< keeps a period below 2^59 ticks

  /// The APIC after RESET: xAPIC mode at FEE00000h, registers as SDM 11.4.7.1.
  explicit VirtualLapic(const VirtualLapicConfig& config);

  /// RESET: back to the state the constructor made (the TSC offset is kept).
  void reset();
  /// INIT (SDM 11.4.7.3, 11.12.5.1): registers reset, the APIC IDs and the mode kept.
  void init_reset();

  // IA32_APIC_BASE and the mode.
  LapicMode mode() const { return mode_; }
  /// IA32_APIC_BASE as RDMSR reads it.
  uint64_t apic_base() const;
  /// The guest-physical address of the xAPIC page (an access there is this APIC's only in
  /// xAPIC mode).
  uint64_t mmio_base() const { return base_; }
  /// WRMSR IA32_APIC_BASE: reserved bits and the transitions SDM 11.12.5 forbids (x2APIC to
  /// xAPIC, disabled to x2APIC, EN=0 with EXTD=1) fail; disabling resets the registers (SDM
  /// 11.4.3) but keeps the IDs. BSP is read-only.
  LapicStatus write_apic_base(uint64_t value);

  // Register access.
  /// Whether `msr` is one this class emulates (IA32_APIC_BASE, IA32_TSC_DEADLINE, 800h-8FFh).
  static bool owns_msr(uint32_t msr);
  /// A read of `size` bytes at `offset` in the xAPIC page; `value` is 0 unless kOk.
  LapicStatus mmio_read(uint32_t offset, uint32_t size, uint64_t now, uint32_t& value);
  /// A write of `size` bytes at `offset` in the xAPIC page.
  LapicStatus mmio_write(uint32_t offset, uint32_t size, uint32_t value, uint64_t now,
                         LapicActions& actions);
  /// RDMSR of an MSR owns_msr() accepts; `value` is 0 unless kOk.
  LapicStatus msr_read(uint32_t msr, uint64_t now, uint64_t& value);
  /// WRMSR of an MSR owns_msr() accepts.
  LapicStatus msr_write(uint32_t msr, uint64_t value, uint64_t now, LapicActions& actions);

  // Interrupts.
  /// Offers a fixed interrupt (from an IOAPIC, an MSI, an IPI, VP_INJECT): IRR, and TMR for a
  /// level-triggered one (SDM 11.8.4).
  LapicAccept accept(uint8_t vector, TriggerMode trigger);
  /// The vector the VP may take now: the highest in the IRR if its priority class is above the
  /// PPR's (SDM 11.8.3.1); false when none. The CPU's own gates (IF, interrupt shadow) are the
  /// caller's.
  bool highest_deliverable(uint8_t& vector) const;
  /// The CPU took `vector` (injected into the VP): IRR to ISR. kNotPending if it is not in the
  /// IRR.
  LapicStatus on_delivered(uint8_t vector);
  /// End of interrupt: clears the highest ISR bit (SDM 11.8.5).
  [[nodiscard]] LapicEoi eoi();
  /// Whether this APIC is a target of `ipi` (SDM 11.6.2, 11.12.10); `is_sender` when it is the
  /// APIC that sent it. The caller routes; lowest-priority arbitration among the targets is its
  /// choice too (ppr() and apr() help).
  bool matches(const LapicIpi& ipi, bool is_sender) const;

  // Priorities.
  uint8_t tpr() const { return tpr_; }
  /// Sets the TPR (the caller's copy of a CR8 or V_TPR change).
  void set_tpr(uint8_t value) { tpr_ = value; }
  /// CR8 = TPR[7:4] (SDM 11.8.6).
  uint8_t cr8() const { return static_cast<uint8_t>(tpr_ >> 4); }
  /// MOV to CR8: TPR[7:4] = `value`, TPR[3:0] = 0; values above 15 are kReservedBits.
  LapicStatus set_cr8(uint64_t value);
  /// Processor priority (SDM 11.8.3.1).
  uint8_t ppr() const;
  /// Arbitration priority (SDM 11.6.2.4).
  uint8_t apr() const;

  // Timer.
  /// The VP's TSC minus the host's (what the VMCB's TSC offset adds): IA32_TSC_DEADLINE is in
  /// the VP's TSC, everything else here in the host's.
  void set_tsc_offset(uint64_t offset) { tsc_offset_ = offset; }
  /// The host TSC at which the timer next raises an interrupt, for the run page's
  /// timer_deadline_tsc; 0 when none is due (disarmed, or masked: a masked timer still counts
  /// down but raises nothing).
  uint64_t next_deadline_tsc() const;
  /// Fires the timer if it expired by `now`: one shot, each period (reloaded from the expiry,
  /// not from `now`, so periods do not drift; missed periods coalesce into one interrupt), or
  /// the TSC deadline. Returns whether an interrupt was accepted into the IRR.
  bool advance(uint64_t now);

  // State, for hv and tests.
  uint32_t x2apic_id() const { return x2apic_id_; }
  uint8_t xapic_id() const { return xapic_id_; }
  bool software_enabled() const { return (svr_ & apic::svr::kSoftwareEnable) != 0; }
  bool irr(uint8_t vector) const { return irr_.test(vector); }
  bool isr(uint8_t vector) const { return isr_.test(vector); }
  bool tmr(uint8_t vector) const { return tmr_.test(vector); }
  /// An LVT entry (register kLvtTimer .. kLvtError), e.g. LINT0/LINT1 for a PIC or NMI source.
  uint32_t lvt(apic::Reg reg) const;

  friend bool operator==(const VirtualLapic&, const VirtualLapic&) = default;

 private:
  /// 256 vectors as the eight 32-bit registers the APIC shows them in.
  struct VectorMap {
    uint32_t words[8] = {};
    bool test(uint8_t v) const { return ((words[v >> 5] >> (v & 31)) & 1u) != 0; }
    void set(uint8_t v) { words[v >> 5] |= 1u << (v & 31); }
    void clear(uint8_t v) { words[v >> 5] &= ~(1u << (v & 31)); }
    /// The highest vector set, or -1.
    int highest() const;
    friend bool operator==(const VectorMap&, const VectorMap&) = default;
  };

  // LVT entries in register order: timer, thermal, perfmon, LINT0, LINT1, error.
  static constexpr unsigned kLvtCount = 6;
  static constexpr unsigned kLvtTimer = 0;
  static constexpr unsigned kLvtError = 5;

  void reset_registers();
  uint32_t logical_x2apic_id() const;
  uint64_t read_register(uint32_t offset, uint64_t now) const;
  void write_register(uint32_t offset, uint64_t value, uint64_t now, LapicActions& actions);
  void write_svr(uint32_t value);
  void write_lvt(unsigned index, uint32_t value);
  void write_esr();
  void send_ipi(uint64_t icr, LapicActions& actions);
  void record_error(uint32_t bits);

  apic::TimerMode timer_mode() const;
  uint64_t tsc_per_count() const;
  uint32_t current_count(uint64_t now) const;
  void write_initial_count(uint32_t count, uint64_t now);
  void write_divide(uint32_t value, uint64_t now);
  uint64_t tsc_deadline_host() const;
  bool deliver_timer();

  // Fixed at construction.
  uint32_t x2apic_id_;
  bool bootstrap_;
  uint32_t tsc_per_bus_tick_;
  uint64_t min_periodic_tsc_;
  uint64_t base_mask_;  ///< IA32_APIC_BASE bits 12..MAXPHYADDR-1

  LapicMode mode_ = LapicMode::kXapic;
  uint64_t base_ = apic::kDefaultBase;
  uint8_t xapic_id_ = 0;  ///< ID register bits 31:24 in xAPIC mode (software may change it)
  uint8_t tpr_ = 0;
  uint32_t ldr_ = 0;
  uint32_t dfr_ = ~0u;
  uint32_t svr_ = apic::svr::kReset;
  VectorMap isr_, tmr_, irr_;
  uint32_t esr_ = 0;          ///< the errors the last ESR write latched
  uint32_t esr_pending_ = 0;  ///< errors since the last ESR write (SDM 11.5.3)
  bool error_interrupt_armed_ = true;
  uint64_t icr_ = 0;  ///< xAPIC: high register in bits 63:32; x2APIC: the MSR
  uint32_t lvt_[kLvtCount] = {};
  uint32_t divide_config_ = 0;
  uint32_t initial_count_ = 0;
  // One-shot and periodic: armed until a one-shot expires or the count is set to 0.
  bool timer_armed_ = false;
  uint64_t timer_expiry_ = 0;  ///< host TSC of the next expiry while armed
  uint64_t timer_period_ = 0;  ///< host TSC ticks per period (count x divide x ratio)
  uint64_t tsc_deadline_ = 0;  ///< IA32_TSC_DEADLINE (VP TSC); 0: disarmed
  uint64_t tsc_offset_ = 0;
};

}  // namespace hv
