#include "vlapic/vlapic.hpp"

namespace hv {
namespace {

using apic::Reg;

constexpr uint32_t offset_of(Reg r) {
  return static_cast<uint32_t>(r);
}

// What a register allows, by mode (SDM table 11-1 for xAPIC, table 11-6 for x2APIC).
enum class Access : uint8_t { kNone, kRead, kWrite, kReadWrite };

Access access(uint32_t offset, bool x2apic) {
  if (offset >= offset_of(Reg::kIsr) && offset < offset_of(Reg::kEsr)) return Access::kRead;
  switch (static_cast<Reg>(offset)) {
    case Reg::kVersion:
    case Reg::kPpr:
    case Reg::kTimerCurrentCount:
      return Access::kRead;
    case Reg::kId:
    case Reg::kLdr:  // x2APIC: both derived from the x2APIC ID
      return x2apic ? Access::kRead : Access::kReadWrite;
    case Reg::kApr:
    case Reg::kRrd:
      return x2apic ? Access::kNone : Access::kRead;
    case Reg::kDfr:
    case Reg::kIcrHigh:  // x2APIC: no DFR (flat/cluster is fixed), ICR is one 64-bit MSR
      return x2apic ? Access::kNone : Access::kReadWrite;
    case Reg::kEoi:
      return Access::kWrite;
    case Reg::kSelfIpi:
      return x2apic ? Access::kWrite : Access::kNone;
    case Reg::kTpr:
    case Reg::kSvr:
    case Reg::kEsr:
    case Reg::kIcrLow:
    case Reg::kLvtTimer:
    case Reg::kLvtThermal:
    case Reg::kLvtPerfmon:
    case Reg::kLvtLint0:
    case Reg::kLvtLint1:
    case Reg::kLvtError:
    case Reg::kTimerInitialCount:
    case Reg::kTimerDivide:
      return Access::kReadWrite;
    default:
      return Access::kNone;  // including LVT CMCI: not offered (version: 6 LVT entries)
  }
}

// The register an x2APIC MSR names (SDM 11.12.1.2: MSR 0x800 + offset / 16) for an access
// that is not `forbidden` (kRead for writes, kWrite for reads), or why there is none.
LapicStatus x2apic_register(uint32_t msr, LapicMode mode, Access forbidden, uint32_t& offset) {
  if (msr < apic::kMsrX2apicFirst || msr > apic::kMsrX2apicLast) return LapicStatus::kNotApic;
  if (mode != LapicMode::kX2apic) return LapicStatus::kWrongMode;
  offset = (msr - apic::kMsrX2apicFirst) * 16;
  const Access a = access(offset, true);
  if (a == Access::kNone) return LapicStatus::kReserved;
  if (a == forbidden) {
    return forbidden == Access::kWrite ? LapicStatus::kWriteOnly : LapicStatus::kReadOnly;
  }
  return LapicStatus::kOk;
}

// The fields each LVT entry has (SDM 11.5.1, figure 11-8), in register order.
constexpr uint32_t kLvtFields[] = {
    apic::lvt::kVector | apic::lvt::kDeliveryStatus | apic::lvt::kMasked |
        apic::lvt::kTimerMode,  // timer
    apic::lvt::kVector | apic::lvt::kDeliveryMode | apic::lvt::kDeliveryStatus |
        apic::lvt::kMasked,  // thermal
    apic::lvt::kVector | apic::lvt::kDeliveryMode | apic::lvt::kDeliveryStatus |
        apic::lvt::kMasked,  // perfmon
    apic::lvt::kVector | apic::lvt::kDeliveryMode | apic::lvt::kDeliveryStatus |
        apic::lvt::kInputPolarity | apic::lvt::kRemoteIrr | apic::lvt::kTriggerLevel |
        apic::lvt::kMasked,  // LINT0
    apic::lvt::kVector | apic::lvt::kDeliveryMode | apic::lvt::kDeliveryStatus |
        apic::lvt::kInputPolarity | apic::lvt::kRemoteIrr | apic::lvt::kTriggerLevel |
        apic::lvt::kMasked,                                                // LINT1
    apic::lvt::kVector | apic::lvt::kDeliveryStatus | apic::lvt::kMasked,  // error
};
constexpr uint32_t kLvtReadOnly = apic::lvt::kDeliveryStatus | apic::lvt::kRemoteIrr;

bool is_lvt(uint32_t offset) {
  return offset >= offset_of(Reg::kLvtTimer) && offset <= offset_of(Reg::kLvtError);
}
unsigned lvt_index(uint32_t offset) {
  return (offset - offset_of(Reg::kLvtTimer)) / 16;
}

// The bits an x2APIC register defines; a WRMSR with any other bit set faults (SDM 11.12.1.3).
// Read-only status bits count as defined: software writes back what it read.
uint64_t x2apic_defined_bits(uint32_t offset) {
  if (is_lvt(offset)) return kLvtFields[lvt_index(offset)];
  switch (static_cast<Reg>(offset)) {
    case Reg::kTpr:
      return 0xff;
    case Reg::kSvr:
      return apic::svr::kVector | apic::svr::kSoftwareEnable | apic::svr::kFocusDisable;
    case Reg::kIcrLow:  // bits 31:20, 17:16 and 13 are must-be-zero
      return 0xffffffff00000000ull | apic::icr::kLowWritable | apic::icr::kDeliveryStatus;
    case Reg::kTimerInitialCount:
      return 0xffffffff;
    case Reg::kTimerDivide:
      return apic::kDivideWritable;
    case Reg::kSelfIpi:
      return apic::icr::kVector;
    default:
      return 0;  // EOI and ESR: only 0 may be written (table 11-6)
  }
}

uint32_t class_of(int vector) {
  return vector < 0 ? 0 : static_cast<uint32_t>(vector) & 0xf0;
}

}  // namespace

const char* describe(LapicStatus status) {
  switch (status) {
    case LapicStatus::kOk:
      return "ok";
    case LapicStatus::kNotApic:
      return "not the local APIC's";
    case LapicStatus::kWrongMode:
      return "an x2APIC MSR outside x2APIC mode";
    case LapicStatus::kMisaligned:
      return "an APIC access not 32 bits wide at a 16-byte boundary";
    case LapicStatus::kReserved:
      return "a reserved APIC register";
    case LapicStatus::kReadOnly:
      return "a write to a read-only APIC register";
    case LapicStatus::kWriteOnly:
      return "a read of a write-only APIC register";
    case LapicStatus::kReservedBits:
      return "reserved bits set";
    case LapicStatus::kBadTransition:
      return "an APIC mode transition the architecture forbids";
    case LapicStatus::kNotPending:
      return "the vector is not pending";
  }
  return "?";
}

int VirtualLapic::VectorMap::highest() const {
  for (int i = 7; i >= 0; --i) {
    if (words[i] != 0) return i * 32 + 31 - __builtin_clz(words[i]);
  }
  return -1;
}

VirtualLapic::VirtualLapic(const VirtualLapicConfig& config)
    : x2apic_id_(config.apic_id),
      bootstrap_(config.bootstrap),
      tsc_per_bus_tick_(config.tsc_per_bus_tick == 0                  ? 1
                        : config.tsc_per_bus_tick > kMaxTscPerBusTick ? kMaxTscPerBusTick
                                                                      : config.tsc_per_bus_tick),
      min_periodic_tsc_(config.min_periodic_tsc) {
  const unsigned bits = config.phys_addr_bits < 36   ? 36
                        : config.phys_addr_bits > 52 ? 52
                                                     : config.phys_addr_bits;
  base_mask_ = ((1ull << bits) - 1) & ~uint64_t{apic::kPageSize - 1};
  reset();
}

// SDM 11.4.7.1: the state after power-up or RESET, also the state INIT and a global disable
// leave the registers in (11.4.7.3, 11.4.3).
void VirtualLapic::reset_registers() {
  tpr_ = 0;
  ldr_ = 0;
  dfr_ = ~0u;
  svr_ = apic::svr::kReset;
  isr_ = {};
  tmr_ = {};
  irr_ = {};
  esr_ = 0;
  esr_pending_ = 0;
  error_interrupt_armed_ = true;
  icr_ = 0;
  for (uint32_t& entry : lvt_) entry = apic::lvt::kMasked;
  divide_config_ = 0;
  initial_count_ = 0;
  timer_armed_ = false;
  timer_expiry_ = 0;
  timer_period_ = 0;
  tsc_deadline_ = 0;
}

void VirtualLapic::reset() {
  mode_ = LapicMode::kXapic;
  base_ = apic::kDefaultBase;
  xapic_id_ = static_cast<uint8_t>(x2apic_id_);
  reset_registers();
}

void VirtualLapic::init_reset() {
  reset_registers();
  if (mode_ == LapicMode::kX2apic) ldr_ = logical_x2apic_id();
}

// SDM 11.12.10.2: cluster = ID[19:4] in bits 31:16, one bit for ID[3:0] in bits 15:0.
uint32_t VirtualLapic::logical_x2apic_id() const {
  return ((x2apic_id_ >> 4) << 16) | (1u << (x2apic_id_ & 0xf));
}

uint64_t VirtualLapic::apic_base() const {
  uint64_t value = base_;
  if (bootstrap_) value |= x86::apic_base::kBsp;
  if (mode_ != LapicMode::kDisabled) value |= x86::apic_base::kEnable;
  if (mode_ == LapicMode::kX2apic) value |= x86::apic_base::kX2apicEnable;
  return value;
}

LapicStatus VirtualLapic::write_apic_base(uint64_t value) {
  const uint64_t defined =
      base_mask_ | x86::apic_base::kBsp | x86::apic_base::kX2apicEnable | x86::apic_base::kEnable;
  if ((value & ~defined) != 0) return LapicStatus::kReservedBits;
  const bool enable = (value & x86::apic_base::kEnable) != 0;
  const bool extended = (value & x86::apic_base::kX2apicEnable) != 0;
  // SDM 11.12.5, figure 11-27: EN=0 with EXTD=1 is invalid; x2APIC mode is entered only from
  // xAPIC mode and left only to the disabled state.
  if (!enable && extended) return LapicStatus::kBadTransition;
  const LapicMode next = !enable    ? LapicMode::kDisabled
                         : extended ? LapicMode::kX2apic
                                    : LapicMode::kXapic;
  if (mode_ == LapicMode::kX2apic && next == LapicMode::kXapic) {
    return LapicStatus::kBadTransition;
  }
  if (mode_ == LapicMode::kDisabled && next == LapicMode::kX2apic) {
    return LapicStatus::kBadTransition;
  }
  base_ = value & base_mask_;
  if (next != mode_) {
    if (next == LapicMode::kDisabled) {
      reset_registers();  // the IDs survive (SDM 11.12.5.1, "x2APIC Transitions From x2APIC")
    } else if (next == LapicMode::kX2apic) {
      ldr_ = logical_x2apic_id();  // the rest carries over from xAPIC mode
    }
    mode_ = next;
  }
  return LapicStatus::kOk;
}

bool VirtualLapic::owns_msr(uint32_t msr) {
  return msr == static_cast<uint32_t>(x86::Msr::kApicBase) || msr == apic::kMsrTscDeadline ||
         (msr >= apic::kMsrX2apicFirst && msr <= apic::kMsrX2apicLast);
}

// A bad access changes nothing: Intel and AMD parts also latch ESR bit 7 (illegal register
// address) for a reserved offset; like KVM, this APIC does not, and reports it to the caller.
LapicStatus VirtualLapic::mmio_read(uint32_t offset, uint32_t size, uint64_t now, uint32_t& value) {
  value = 0;
  if (mode_ != LapicMode::kXapic || offset >= apic::kPageSize) return LapicStatus::kNotApic;
  if (size != 4 || offset % 16 != 0) return LapicStatus::kMisaligned;
  const Access a = access(offset, false);
  if (a == Access::kNone) return LapicStatus::kReserved;
  if (a == Access::kWrite) return LapicStatus::kWriteOnly;
  advance(now);
  value = static_cast<uint32_t>(read_register(offset, now));
  return LapicStatus::kOk;
}

LapicStatus VirtualLapic::mmio_write(uint32_t offset, uint32_t size, uint32_t value, uint64_t now,
                                     LapicActions& actions) {
  actions = {};
  if (mode_ != LapicMode::kXapic || offset >= apic::kPageSize) return LapicStatus::kNotApic;
  if (size != 4 || offset % 16 != 0) return LapicStatus::kMisaligned;
  const Access a = access(offset, false);
  if (a == Access::kNone) return LapicStatus::kReserved;
  if (a == Access::kRead) return LapicStatus::kReadOnly;
  advance(now);
  write_register(offset, value, now, actions);
  return LapicStatus::kOk;
}

LapicStatus VirtualLapic::msr_read(uint32_t msr, uint64_t now, uint64_t& value) {
  value = 0;
  if (msr == static_cast<uint32_t>(x86::Msr::kApicBase)) {
    value = apic_base();
    return LapicStatus::kOk;
  }
  if (msr == apic::kMsrTscDeadline) {
    advance(now);  // SDM 11.5.4.1: reads 0 outside TSC-deadline mode and once it fired
    if (timer_mode() == apic::TimerMode::kTscDeadline) value = tsc_deadline_;
    return LapicStatus::kOk;
  }
  uint32_t offset = 0;
  if (const LapicStatus st = x2apic_register(msr, mode_, Access::kWrite, offset);
      st != LapicStatus::kOk) {
    return st;
  }
  advance(now);
  value = read_register(offset, now);
  return LapicStatus::kOk;
}

LapicStatus VirtualLapic::msr_write(uint32_t msr, uint64_t value, uint64_t now,
                                    LapicActions& actions) {
  actions = {};
  if (msr == static_cast<uint32_t>(x86::Msr::kApicBase)) return write_apic_base(value);
  if (msr == apic::kMsrTscDeadline) {
    advance(now);
    // SDM 11.5.4.1: ignored outside TSC-deadline mode; 0 disarms; a deadline already passed
    // fires at once.
    if (timer_mode() == apic::TimerMode::kTscDeadline) {
      tsc_deadline_ = value;
      advance(now);
    }
    return LapicStatus::kOk;
  }
  uint32_t offset = 0;
  if (const LapicStatus st = x2apic_register(msr, mode_, Access::kRead, offset);
      st != LapicStatus::kOk) {
    return st;
  }
  if ((value & ~x2apic_defined_bits(offset)) != 0) return LapicStatus::kReservedBits;
  advance(now);
  write_register(offset, value, now, actions);
  return LapicStatus::kOk;
}

uint64_t VirtualLapic::read_register(uint32_t offset, uint64_t now) const {
  const bool x2apic = mode_ == LapicMode::kX2apic;
  if (offset >= offset_of(Reg::kIsr) && offset < offset_of(Reg::kEsr)) {
    const uint32_t index = (offset - offset_of(Reg::kIsr)) / 16;  // 0..23
    const VectorMap& map = index < 8 ? isr_ : index < 16 ? tmr_ : irr_;
    return map.words[index % 8];
  }
  if (is_lvt(offset)) return lvt_[lvt_index(offset)];
  switch (static_cast<Reg>(offset)) {
    case Reg::kId:
      return x2apic ? x2apic_id_ : uint32_t{xapic_id_} << 24;
    case Reg::kVersion:
      return apic::kVersion;
    case Reg::kTpr:
      return tpr_;
    case Reg::kApr:
      return apr();
    case Reg::kPpr:
      return ppr();
    case Reg::kLdr:
      return ldr_;
    case Reg::kDfr:
      return dfr_;
    case Reg::kSvr:
      return svr_;
    case Reg::kEsr:
      return esr_;
    case Reg::kIcrLow:
      return x2apic ? icr_ : static_cast<uint32_t>(icr_);
    case Reg::kIcrHigh:
      return icr_ >> 32;
    case Reg::kTimerInitialCount:
      return initial_count_;
    case Reg::kTimerCurrentCount:
      return current_count(now);
    case Reg::kTimerDivide:
      return divide_config_;
    default:
      return 0;  // RRD (remote read is not supported: reads 0)
  }
}

// Only registers access() allows writing in the current mode reach here.
void VirtualLapic::write_register(uint32_t offset, uint64_t value, uint64_t now,
                                  LapicActions& actions) {
  const auto low = static_cast<uint32_t>(value);
  if (is_lvt(offset)) {
    write_lvt(lvt_index(offset), low);
    return;
  }
  switch (static_cast<Reg>(offset)) {
    case Reg::kId:
      xapic_id_ = static_cast<uint8_t>(low >> 24);
      break;
    case Reg::kTpr:
      tpr_ = static_cast<uint8_t>(low);
      break;
    case Reg::kEoi:
      actions.eoi = eoi();
      break;
    case Reg::kLdr:
      ldr_ = low & 0xff000000u;
      break;
    case Reg::kDfr:
      dfr_ = (low & apic::dfr::kModel) | apic::dfr::kReservedOnes;
      break;
    case Reg::kSvr:
      write_svr(low);
      break;
    case Reg::kEsr:
      write_esr();
      break;
    case Reg::kIcrLow:
      if (mode_ == LapicMode::kX2apic) {
        icr_ = (value & 0xffffffff00000000ull) | (low & apic::icr::kLowWritable);
      } else {
        icr_ = (icr_ & 0xffffffff00000000ull) | (low & apic::icr::kLowWritable);
      }
      send_ipi(icr_, actions);
      break;
    case Reg::kIcrHigh:
      icr_ = (icr_ & 0xffffffffu) | (uint64_t{low & 0xff000000u} << 32);
      break;
    case Reg::kTimerInitialCount:
      write_initial_count(low, now);
      break;
    case Reg::kTimerDivide:
      write_divide(low, now);
      break;
    case Reg::kSelfIpi:  // SDM 11.12.11: fixed, edge, to this APIC only
      (void)accept(static_cast<uint8_t>(low), TriggerMode::kEdge);
      break;
    default:
      break;
  }
}

void VirtualLapic::write_svr(uint32_t value) {
  svr_ = value & (apic::svr::kVector | apic::svr::kSoftwareEnable | apic::svr::kFocusDisable);
  // SDM 11.4.7.2: software disable sets every LVT mask bit.
  if (!software_enabled()) {
    for (uint32_t& entry : lvt_) entry |= apic::lvt::kMasked;
  }
}

void VirtualLapic::write_lvt(unsigned index, uint32_t value) {
  uint32_t entry = value & kLvtFields[index] & ~kLvtReadOnly;
  // SDM 11.4.7.2: while software-disabled the mask bits cannot be cleared.
  if (!software_enabled()) entry |= apic::lvt::kMasked;
  if (index == kLvtTimer && ((entry ^ lvt_[kLvtTimer]) & apic::lvt::kTimerMode) != 0) {
    // SDM 11.5.4.1: a write that changes the timer mode disarms the timer. The initial count
    // reads 0 afterwards (as in KVM), so no stale count survives into the new mode.
    timer_armed_ = false;
    initial_count_ = 0;
    tsc_deadline_ = 0;
  }
  lvt_[index] = entry;
}

// SDM 11.5.3: a write (of any value) moves the errors found since the last write into the
// ESR and re-arms the error interrupt.
void VirtualLapic::write_esr() {
  esr_ = esr_pending_;
  esr_pending_ = 0;
  error_interrupt_armed_ = true;
}

void VirtualLapic::record_error(uint32_t bits) {
  esr_pending_ |= bits;
  const uint32_t entry = lvt_[kLvtError];
  if (!error_interrupt_armed_ || (entry & apic::lvt::kMasked) != 0) return;
  error_interrupt_armed_ = false;
  const auto vector = static_cast<uint8_t>(entry & apic::lvt::kVector);
  if (vector < 16) {  // an illegal error vector is itself an error, signalled no further
    esr_pending_ |= apic::esr::kReceiveIllegalVector;
    return;
  }
  (void)accept(vector, TriggerMode::kEdge);
}

void VirtualLapic::send_ipi(uint64_t icr, LapicActions& actions) {
  const auto low = static_cast<uint32_t>(icr);
  const uint32_t mode = (low & apic::icr::kDeliveryMode) >> apic::icr::kDeliveryModeShift;
  if (mode == 3 || mode == 7) return;  // reserved delivery modes: nothing is sent
  const auto delivery = static_cast<IpiDelivery>(mode);
  const auto vector = static_cast<uint8_t>(low & apic::icr::kVector);
  const auto shorthand =
      static_cast<IpiShorthand>((low & apic::icr::kShorthand) >> apic::icr::kShorthandShift);
  // SDM 11.5.2: a fixed or lowest-priority IPI with vector 0-15 is not sent.
  if ((delivery == IpiDelivery::kFixed || delivery == IpiDelivery::kLowestPriority) &&
      vector < 16) {
    record_error(apic::esr::kSendIllegalVector);
    return;
  }
  if (shorthand == IpiShorthand::kSelf) {
    // SDM 11.6.1, "Destination Shorthand": with "self" only fixed delivery is valid, and it is
    // edge-triggered; the others are invalid combinations and send nothing.
    if (delivery == IpiDelivery::kFixed) (void)accept(vector, TriggerMode::kEdge);
    return;
  }
  const bool x2apic = mode_ == LapicMode::kX2apic;
  actions.send_ipi = true;
  LapicIpi& ipi = actions.ipi;
  const auto high = static_cast<uint32_t>(icr >> 32);
  ipi.destination = x2apic ? high : high >> apic::icr::kXapicDestinationShift;
  ipi.source = x2apic ? x2apic_id_ : xapic_id_;
  ipi.vector = vector;
  ipi.delivery = delivery;
  ipi.shorthand = shorthand;
  ipi.logical = (low & apic::icr::kDestinationLogical) != 0;
  ipi.level_assert = (low & apic::icr::kLevelAssert) != 0;
  ipi.trigger = (low & apic::icr::kTriggerLevel) != 0 ? TriggerMode::kLevel : TriggerMode::kEdge;
  ipi.x2apic = x2apic;
}

LapicAccept VirtualLapic::accept(uint8_t vector, TriggerMode trigger) {
  if (mode_ == LapicMode::kDisabled || !software_enabled()) return LapicAccept::kDisabled;
  if (vector < 16) {
    record_error(apic::esr::kReceiveIllegalVector);
    return LapicAccept::kIllegalVector;
  }
  const bool pending = irr_.test(vector);
  irr_.set(vector);
  if (trigger == TriggerMode::kLevel) {
    tmr_.set(vector);
  } else {
    tmr_.clear(vector);
  }
  return pending ? LapicAccept::kCoalesced : LapicAccept::kAccepted;
}

bool VirtualLapic::highest_deliverable(uint8_t& vector) const {
  if (mode_ == LapicMode::kDisabled) return false;
  const int irrv = irr_.highest();
  if (irrv < 0 || class_of(irrv) <= class_of(ppr())) return false;
  vector = static_cast<uint8_t>(irrv);
  return true;
}

LapicStatus VirtualLapic::on_delivered(uint8_t vector) {
  if (!irr_.test(vector)) return LapicStatus::kNotPending;
  irr_.clear(vector);
  isr_.set(vector);
  return LapicStatus::kOk;
}

LapicEoi VirtualLapic::eoi() {
  LapicEoi result;
  const int isrv = isr_.highest();
  if (isrv < 0) return result;
  const auto vector = static_cast<uint8_t>(isrv);
  isr_.clear(vector);
  result.valid = true;
  result.vector = vector;
  result.trigger = tmr_.test(vector) ? TriggerMode::kLevel : TriggerMode::kEdge;
  return result;
}

bool VirtualLapic::matches(const LapicIpi& ipi, bool is_sender) const {
  if (mode_ == LapicMode::kDisabled) return false;
  switch (ipi.shorthand) {
    case IpiShorthand::kSelf:
      return is_sender;
    case IpiShorthand::kAllIncludingSelf:
      return true;
    case IpiShorthand::kAllExcludingSelf:
      return !is_sender;
    case IpiShorthand::kNone:
      break;
  }
  const uint32_t dest = ipi.destination;
  if (dest == (ipi.x2apic ? ~0u : 0xffu)) return true;  // broadcast (SDM 11.6.2.3)
  const bool x2apic = mode_ == LapicMode::kX2apic;
  if (!ipi.logical) return x2apic ? dest == x2apic_id_ : dest == xapic_id_;  // 11.6.2.1
  if (x2apic) {  // SDM 11.12.10.1: cluster in bits 31:16, member bitmap in 15:0
    return (dest >> 16) == (ldr_ >> 16) && (dest & ldr_ & 0xffff) != 0;
  }
  const uint32_t logical_id = ldr_ >> 24;  // SDM 11.6.2.2
  if ((dfr_ & apic::dfr::kModel) == apic::dfr::kFlat) return (dest & logical_id) != 0;
  return (dest >> 4) == (logical_id >> 4) && (dest & logical_id & 0xf) != 0;
}

LapicStatus VirtualLapic::set_cr8(uint64_t value) {
  if (value > 15) return LapicStatus::kReservedBits;
  tpr_ = static_cast<uint8_t>(value << 4);
  return LapicStatus::kOk;
}

// SDM 11.8.3.1: PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] with bits 3:0 clear.
uint8_t VirtualLapic::ppr() const {
  const uint32_t isr_class = class_of(isr_.highest());
  return (tpr_ & 0xf0u) >= isr_class ? tpr_ : static_cast<uint8_t>(isr_class);
}

// SDM 11.6.2.4: APR = TPR if TPR[7:4] >= IRRV[7:4] and TPR[7:4] > ISRV[7:4], else the highest
// of the three classes with bits 3:0 clear.
uint8_t VirtualLapic::apr() const {
  const uint32_t tpr_class = tpr_ & 0xf0u;
  const uint32_t isr_class = class_of(isr_.highest());
  const uint32_t irr_class = class_of(irr_.highest());
  if (tpr_class >= irr_class && tpr_class > isr_class) return tpr_;
  uint32_t highest = tpr_class > isr_class ? tpr_class : isr_class;
  if (irr_class > highest) highest = irr_class;
  return static_cast<uint8_t>(highest);
}

uint32_t VirtualLapic::lvt(Reg reg) const {
  const auto offset = offset_of(reg);
  return is_lvt(offset) ? lvt_[lvt_index(offset)] : 0;
}

// ---- Timer (SDM 11.5.4; APM 16.4.1). The count runs at the bus clock / divide: one count every
// divide x tsc_per_bus_tick host TSC ticks, so a period is an exact number of TSC ticks.

apic::TimerMode VirtualLapic::timer_mode() const {
  return static_cast<apic::TimerMode>((lvt_[kLvtTimer] & apic::lvt::kTimerMode) >>
                                      apic::lvt::kTimerModeShift);
}

// SDM figure 11-10: bits 3 and 1:0 give 2, 4, 8, 16, 32, 64, 128, then 1 for 111b.
uint64_t VirtualLapic::tsc_per_count() const {
  const uint32_t code = (divide_config_ & 3) | ((divide_config_ >> 1) & 4);
  const uint64_t divisor = code == 7 ? 1 : uint64_t{2} << code;
  return divisor * tsc_per_bus_tick_;
}

// Counts left: the initial count minus the whole counts elapsed since the period began.
uint32_t VirtualLapic::current_count(uint64_t now) const {
  if (!timer_armed_ || now >= timer_expiry_) return 0;
  uint64_t left = timer_expiry_ - now;
  if (left > timer_period_) left = timer_period_;  // `now` from before the arming
  const uint64_t per_count = tsc_per_count();
  return static_cast<uint32_t>((left + per_count - 1) / per_count);
}

// One-shot and periodic (and the reserved mode 11b, which behaves as one-shot, as in KVM): a
// non-zero count starts the timer at once, 0 stops it. Ignored in TSC-deadline mode.
void VirtualLapic::write_initial_count(uint32_t count, uint64_t now) {
  if (timer_mode() == apic::TimerMode::kTscDeadline) return;
  initial_count_ = count;
  timer_armed_ = count != 0;
  if (!timer_armed_) return;
  timer_period_ = uint64_t{count} * tsc_per_count();
  timer_expiry_ = now + timer_period_;
}

// A new divisor applies from now on to the counts left (and to every later period).
void VirtualLapic::write_divide(uint32_t value, uint64_t now) {
  const uint32_t left = current_count(now);
  divide_config_ = value & apic::kDivideWritable;
  if (!timer_armed_) return;
  timer_period_ = uint64_t{initial_count_} * tsc_per_count();
  timer_expiry_ = now + uint64_t{left} * tsc_per_count();
}

// IA32_TSC_DEADLINE counts in the VP's TSC (host + offset); as a host TSC, never 0 (0 means
// none in the run page): a deadline from before host TSC 1 is due at 1.
uint64_t VirtualLapic::tsc_deadline_host() const {
  const auto offset = static_cast<int64_t>(tsc_offset_);
  if (offset >= 0) {
    const auto ahead = static_cast<uint64_t>(offset);
    return tsc_deadline_ <= ahead ? 1 : tsc_deadline_ - ahead;
  }
  const uint64_t behind = 0 - tsc_offset_;
  return tsc_deadline_ > ~uint64_t{0} - behind ? ~uint64_t{0} : tsc_deadline_ + behind;
}

uint64_t VirtualLapic::next_deadline_tsc() const {
  if ((lvt_[kLvtTimer] & apic::lvt::kMasked) != 0) return 0;
  if (timer_armed_) return timer_expiry_;
  if (tsc_deadline_ != 0 && timer_mode() == apic::TimerMode::kTscDeadline) {
    return tsc_deadline_host();
  }
  return 0;
}

bool VirtualLapic::deliver_timer() {
  const uint32_t entry = lvt_[kLvtTimer];
  if ((entry & apic::lvt::kMasked) != 0) return false;
  const LapicAccept result =
      accept(static_cast<uint8_t>(entry & apic::lvt::kVector), TriggerMode::kEdge);
  return result == LapicAccept::kAccepted || result == LapicAccept::kCoalesced;
}

bool VirtualLapic::advance(uint64_t now) {
  bool fired = false;
  if (timer_armed_ && now >= timer_expiry_) {
    if (timer_mode() == apic::TimerMode::kPeriodic) {
      // Reload from the expiry, not from `now`: no drift however late the caller is. Never
      // faster than the limit: the next expiry is always after `now`.
      const uint64_t period = timer_period_ < min_periodic_tsc_ ? min_periodic_tsc_ : timer_period_;
      const uint64_t missed = (now - timer_expiry_) / period;
      timer_expiry_ += (missed + 1) * period;
    } else {
      timer_armed_ = false;
    }
    fired = deliver_timer();
  }
  if (tsc_deadline_ != 0 && timer_mode() == apic::TimerMode::kTscDeadline &&
      now >= tsc_deadline_host()) {
    tsc_deadline_ = 0;  // SDM 11.5.4.1: the timer disarms itself, masked or not
    fired = deliver_timer() || fired;
  }
  return fired;
}

}  // namespace hv
