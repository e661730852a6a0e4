// The emulated local APIC: what Linux does to it while booting (xAPIC and x2APIC), the priority
// rules, EOIs, ICR writes turned into IPI requests, the timer in its three modes against the
// TSC, IA32_APIC_BASE's mode transitions, and bad accesses refused without any change.
#include <catch2/catch_test_macros.hpp>
#include <cstdint>

#include "vlapic/vlapic.hpp"

using hv::IpiDelivery;
using hv::IpiShorthand;
using hv::LapicAccept;
using hv::LapicActions;
using hv::LapicIpi;
using hv::LapicMode;
using hv::LapicStatus;
using hv::TriggerMode;
using hv::VirtualLapic;
using Reg = hv::apic::Reg;

namespace {

constexpr uint32_t kRatio = 10;  // a 1 GHz TSC and a 100 MHz APIC bus
constexpr uint64_t kStart = 1'000'000'000;
constexpr uint32_t kMsrApicBase = 0x1b;
constexpr uint32_t kMsrTscDeadline = 0x6e0;
constexpr uint64_t kEnable = 1ull << 11, kExtd = 1ull << 10, kBsp = 1ull << 8;
constexpr uint32_t kMasked = 1u << 16;
constexpr uint32_t kPeriodic = 1u << 17, kTscDeadline = 2u << 17;

constexpr uint32_t off(Reg r) {
  return static_cast<uint32_t>(r);
}
constexpr uint32_t msr(Reg r) {
  return hv::apic::x2apic_msr(r);
}

// One VP's APIC and its clock, accessed the way hv's exit handlers will.
struct Vp {
  VirtualLapic apic;
  uint64_t now = kStart;
  LapicActions last;

  explicit Vp(uint32_t id = 0, bool bsp = true, uint64_t min_periodic_tsc = 0)
      : apic(hv::VirtualLapicConfig{.apic_id = id,
                                    .bootstrap = bsp,
                                    .tsc_per_bus_tick = kRatio,
                                    .phys_addr_bits = 39,
                                    .min_periodic_tsc = min_periodic_tsc}) {}

  uint32_t read(Reg r) {
    uint32_t v = 0;
    REQUIRE(apic.mmio_read(off(r), 4, now, v) == LapicStatus::kOk);
    return v;
  }
  void write(Reg r, uint32_t v) {
    REQUIRE(apic.mmio_write(off(r), 4, v, now, last) == LapicStatus::kOk);
  }
  uint64_t rdmsr(uint32_t m) {
    uint64_t v = 0;
    REQUIRE(apic.msr_read(m, now, v) == LapicStatus::kOk);
    return v;
  }
  void wrmsr(uint32_t m, uint64_t v) {
    REQUIRE(apic.msr_write(m, v, now, last) == LapicStatus::kOk);
  }
  void enable() { write(Reg::kSvr, 0x1ff); }
  void to_x2apic() { wrmsr(kMsrApicBase, apic.apic_base() | kExtd); }
  // What hv's entry path does: the deliverable vector, if any, moves to the ISR.
  int take() {
    uint8_t v = 0;
    if (!apic.highest_deliverable(v)) return -1;
    REQUIRE(apic.on_delivered(v) == LapicStatus::kOk);
    return v;
  }
  hv::LapicEoi eoi() {
    write(Reg::kEoi, 0);
    return last.eoi;
  }
  LapicAccept raise(uint8_t vector, TriggerMode t = TriggerMode::kEdge) {
    return apic.accept(vector, t);
  }
};

}  // namespace

TEST_CASE("vlapic: the state after RESET", "[hv][vlapic]") {
  Vp bsp(0, true), ap(5, false);
  CHECK(bsp.apic.mode() == LapicMode::kXapic);
  CHECK(bsp.rdmsr(kMsrApicBase) == (0xfee00000 | kEnable | kBsp));
  CHECK(ap.rdmsr(kMsrApicBase) == (0xfee00000 | kEnable));
  CHECK(bsp.apic.mmio_base() == 0xfee00000);
  CHECK(ap.read(Reg::kId) == 5u << 24);
  CHECK(ap.read(Reg::kVersion) == 0x00050014);
  CHECK(ap.read(Reg::kSvr) == 0xff);
  CHECK(ap.read(Reg::kDfr) == 0xffffffff);
  CHECK(ap.read(Reg::kLdr) == 0);
  CHECK(ap.read(Reg::kTpr) == 0);
  for (Reg r : {Reg::kLvtTimer, Reg::kLvtThermal, Reg::kLvtPerfmon, Reg::kLvtLint0, Reg::kLvtLint1,
                Reg::kLvtError}) {
    CHECK(ap.read(r) == kMasked);
  }
  CHECK(ap.read(Reg::kTimerInitialCount) == 0);
  CHECK(ap.read(Reg::kTimerCurrentCount) == 0);
  CHECK_FALSE(ap.apic.software_enabled());
  CHECK(ap.apic.next_deadline_tsc() == 0);
  // A software-disabled APIC accepts no fixed interrupt (SDM 11.4.7.2).
  CHECK(ap.raise(0x40) == LapicAccept::kDisabled);
}

TEST_CASE("vlapic: Linux's xAPIC bring-up and timer calibration", "[hv][vlapic]") {
  Vp vp(0, true);
  CHECK(vp.rdmsr(kMsrApicBase) == 0xfee00900);
  CHECK((vp.read(Reg::kVersion) & 0xf0) != 0);          // APIC_INTEGRATED
  CHECK(((vp.read(Reg::kVersion) >> 16) & 0xff) == 5);  // lapic_get_maxlvt
  // clear_local_APIC(): the error entry first, then every LVT, then the ESR twice.
  vp.write(Reg::kLvtError, 0xfe | kMasked);
  for (Reg r :
       {Reg::kLvtTimer, Reg::kLvtLint0, Reg::kLvtLint1, Reg::kLvtPerfmon, Reg::kLvtThermal}) {
    vp.write(r, kMasked);
  }
  vp.write(Reg::kEsr, 0);
  vp.write(Reg::kEsr, 0);
  CHECK(vp.read(Reg::kEsr) == 0);
  // setup_local_APIC(): flat logical mode, TPR 0, the ISR/IRR sweep, then software enable.
  vp.write(Reg::kDfr, 0xffffffff);
  vp.write(Reg::kLdr, (vp.read(Reg::kLdr) & ~0xff000000u) | (1u << 24));
  CHECK(vp.read(Reg::kLdr) == 0x01000000);
  vp.write(Reg::kTpr, vp.read(Reg::kTpr) & ~0xffu);
  for (uint32_t i = 0; i < 8; ++i) {
    uint32_t isr = 1, irr = 1;
    REQUIRE(vp.apic.mmio_read(off(Reg::kIsr) + 16 * i, 4, vp.now, isr) == LapicStatus::kOk);
    REQUIRE(vp.apic.mmio_read(off(Reg::kIrr) + 16 * i, 4, vp.now, irr) == LapicStatus::kOk);
    CHECK(isr == 0);
    CHECK(irr == 0);
  }
  uint32_t svr = vp.read(Reg::kSvr);
  svr = (svr & ~0xffu) | 0x100 | 0xff;  // APIC_SPIV_APIC_ENABLED | SPURIOUS_APIC_VECTOR
  vp.write(Reg::kSvr, svr);
  CHECK(vp.apic.software_enabled());
  CHECK(vp.read(Reg::kSvr) == 0x1ff);
  vp.write(Reg::kLvtLint0, 0x700 | kMasked);  // ExtINT, masked: the IOAPIC has the PIC's lines
  vp.write(Reg::kLvtLint1, 0x400);            // NMI on the BSP
  CHECK(vp.read(Reg::kLvtLint1) == 0x400);
  CHECK(vp.apic.lvt(Reg::kLvtLint0) == (0x700 | kMasked));
  // lapic_setup_esr()
  vp.write(Reg::kLvtError, 0xfe);
  vp.write(Reg::kEsr, 0);
  vp.write(Reg::kEsr, 0);
  CHECK(vp.read(Reg::kEsr) == 0);
  CHECK(vp.read(Reg::kLvtError) == 0xfe);

  // calibrate_APIC_clock(): periodic, masked, divide by 16, 0xffffffff / 16 counts; the count
  // read at two points of the reference clock gives the bus rate.
  vp.write(Reg::kLvtTimer, 0xec | kPeriodic | kMasked);
  vp.write(Reg::kTimerDivide, (vp.read(Reg::kTimerDivide) & ~0xbu) | 0x3);
  vp.write(Reg::kTimerInitialCount, 0xffffffffu / 16);
  const uint32_t start = vp.read(Reg::kTimerCurrentCount);
  CHECK(start == 0xffffffffu / 16);
  vp.now += 100'000'000;  // 100 ms
  const uint32_t end = vp.read(Reg::kTimerCurrentCount);
  CHECK(start - end == 100'000'000 / (16 * kRatio));  // 100 MHz / 16 for 100 ms
  CHECK(vp.apic.next_deadline_tsc() == 0);            // masked: nothing to wake for
  CHECK_FALSE(vp.apic.irr(0xec));

  // The clockevent in one-shot mode (lapic_next_event): the mode change disarms the old count.
  vp.write(Reg::kLvtTimer, 0xec);
  CHECK(vp.read(Reg::kTimerInitialCount) == 0);
  CHECK(vp.read(Reg::kTimerCurrentCount) == 0);
  vp.write(Reg::kTimerInitialCount, 1000);  // 1000 counts x 16 x 10 TSC ticks
  const uint64_t armed = vp.now;
  CHECK(vp.apic.next_deadline_tsc() == armed + 160'000);
  vp.now = armed - 500;  // a TSC from slightly before the write (another CPU's)
  CHECK(vp.read(Reg::kTimerCurrentCount) == 1000);
  vp.now = armed + 159;
  CHECK(vp.read(Reg::kTimerCurrentCount) == 1000);
  vp.now = armed + 160;
  CHECK(vp.read(Reg::kTimerCurrentCount) == 999);
  vp.now = armed + 159'999;
  CHECK(vp.read(Reg::kTimerCurrentCount) == 1);
  CHECK_FALSE(vp.apic.advance(vp.now));
  CHECK(vp.apic.advance(armed + 160'000));
  CHECK(vp.apic.irr(0xec));
  vp.now = armed + 160'000;
  CHECK(vp.read(Reg::kTimerCurrentCount) == 0);
  CHECK(vp.read(Reg::kTimerInitialCount) == 1000);
  CHECK(vp.apic.next_deadline_tsc() == 0);
  CHECK_FALSE(vp.apic.advance(armed + 10'000'000));  // one shot fires once
  CHECK(vp.take() == 0xec);
  CHECK(vp.apic.ppr() == 0xe0);
  const hv::LapicEoi e = vp.eoi();
  CHECK(e.valid);
  CHECK(e.vector == 0xec);
  CHECK(e.trigger == TriggerMode::kEdge);
  CHECK(vp.apic.ppr() == 0);
}

TEST_CASE("vlapic: TPR and PPR mask lower classes; ISR nests; EOI ends the highest first",
          "[hv][vlapic]") {
  Vp vp;
  vp.enable();
  CHECK(vp.raise(0x31) == LapicAccept::kAccepted);
  CHECK(vp.raise(0x51) == LapicAccept::kAccepted);
  CHECK(vp.raise(0x52) == LapicAccept::kAccepted);
  CHECK(vp.raise(0x52) == LapicAccept::kCoalesced);
  CHECK(vp.apic.apr() == 0x50);  // TPR below the IRR's class
  CHECK(vp.take() == 0x52);
  CHECK(vp.apic.isr(0x52));
  CHECK_FALSE(vp.apic.irr(0x52));
  CHECK(vp.read(Reg::kPpr) == 0x50);
  vp.write(Reg::kTpr, 0x5f);  // the TPR's class equals the ISR's: PPR is the whole TPR
  CHECK(vp.read(Reg::kPpr) == 0x5f);
  vp.write(Reg::kTpr, 0);
  CHECK(vp.take() == -1);  // 0x51 is in the class in service
  CHECK(vp.raise(0x61) == LapicAccept::kAccepted);
  CHECK(vp.take() == 0x61);  // a higher class nests
  CHECK(vp.read(Reg::kPpr) == 0x60);
  CHECK(vp.eoi().vector == 0x61);
  CHECK(vp.read(Reg::kPpr) == 0x50);
  CHECK(vp.take() == -1);
  CHECK(vp.eoi().vector == 0x52);
  CHECK(vp.read(Reg::kPpr) == 0);

  vp.write(Reg::kTpr, 0x50);  // TPR masks class 5 and below
  CHECK(vp.read(Reg::kPpr) == 0x50);
  uint8_t v = 0;
  CHECK_FALSE(vp.apic.highest_deliverable(v));
  vp.write(Reg::kTpr, 0x4f);
  CHECK(vp.read(Reg::kPpr) == 0x4f);
  CHECK(vp.take() == 0x51);
  CHECK(vp.read(Reg::kPpr) == 0x50);  // the ISR's class is above the TPR's
  CHECK(vp.eoi().vector == 0x51);
  CHECK(vp.read(Reg::kPpr) == 0x4f);

  // CR8 is TPR[7:4] (SDM 11.8.6).
  CHECK(vp.apic.set_cr8(3) == LapicStatus::kOk);
  CHECK(vp.read(Reg::kTpr) == 0x30);
  CHECK(vp.apic.cr8() == 3);
  CHECK(vp.apic.set_cr8(16) == LapicStatus::kReservedBits);
  CHECK(vp.apic.tpr() == 0x30);
  CHECK(vp.take() == -1);  // 0x31 is class 3
  vp.apic.set_tpr(0x20);
  CHECK(vp.take() == 0x31);
  // Vectors 16-31 are legal (SDM 11.5.2) and deliverable at PPR 0.
  CHECK(vp.eoi().vector == 0x31);
  vp.apic.set_tpr(0);
  CHECK(vp.raise(16) == LapicAccept::kAccepted);
  CHECK(vp.take() == 16);
  CHECK(vp.eoi().vector == 16);
  CHECK_FALSE(vp.eoi().valid);  // nothing in service: the EOI does nothing
}

TEST_CASE("vlapic: EOI of a level-triggered interrupt is reported for the IOAPIC", "[hv][vlapic]") {
  Vp vp;
  vp.enable();
  CHECK(vp.raise(0x40, TriggerMode::kLevel) == LapicAccept::kAccepted);
  CHECK(vp.raise(0x41, TriggerMode::kEdge) == LapicAccept::kAccepted);
  CHECK(vp.apic.tmr(0x40));
  CHECK_FALSE(vp.apic.tmr(0x41));
  CHECK(vp.read(Reg::kTmr) == 0);  // vectors 0-31
  uint32_t word = 0;
  REQUIRE(vp.apic.mmio_read(off(Reg::kTmr) + 2 * 16, 4, vp.now, word) == LapicStatus::kOk);
  CHECK(word == 1);  // vector 64 is bit 0 of TMR[95:64]
  REQUIRE(vp.apic.mmio_read(off(Reg::kIrr) + 2 * 16, 4, vp.now, word) == LapicStatus::kOk);
  CHECK(word == 3);
  CHECK(vp.take() == 0x41);
  hv::LapicEoi e = vp.eoi();
  CHECK(e.valid);
  CHECK(e.vector == 0x41);
  CHECK(e.trigger == TriggerMode::kEdge);
  CHECK(vp.take() == 0x40);
  REQUIRE(vp.apic.mmio_read(off(Reg::kIsr) + 2 * 16, 4, vp.now, word) == LapicStatus::kOk);
  CHECK(word == 1);
  e = vp.eoi();
  CHECK(e.valid);
  CHECK(e.vector == 0x40);
  CHECK(e.trigger == TriggerMode::kLevel);
  // The TMR follows the latest acceptance: the same vector, now edge-triggered.
  CHECK(vp.raise(0x40, TriggerMode::kEdge) == LapicAccept::kAccepted);
  CHECK_FALSE(vp.apic.tmr(0x40));
  CHECK(vp.take() == 0x40);
  CHECK(vp.eoi().trigger == TriggerMode::kEdge);

  // The same through the x2APIC EOI MSR.
  vp.to_x2apic();
  CHECK(vp.raise(0x90, TriggerMode::kLevel) == LapicAccept::kAccepted);
  CHECK(vp.take() == 0x90);
  vp.wrmsr(msr(Reg::kEoi), 0);
  CHECK(vp.last.eoi.valid);
  CHECK(vp.last.eoi.vector == 0x90);
  CHECK(vp.last.eoi.trigger == TriggerMode::kLevel);
  CHECK(vp.apic.on_delivered(0x90) == LapicStatus::kNotPending);
}

TEST_CASE("vlapic: ICR writes become IPI requests (xAPIC)", "[hv][vlapic]") {
  Vp vp(0, true);
  vp.enable();
  // Linux's wakeup_secondary_cpu_via_init(): INIT assert, INIT de-assert, STARTUP to APIC 1.
  vp.write(Reg::kIcrHigh, 1u << 24);
  CHECK_FALSE(vp.last.send_ipi);  // the high half only holds the destination
  vp.write(Reg::kIcrLow, 0xc500);
  REQUIRE(vp.last.send_ipi);
  LapicIpi ipi = vp.last.ipi;
  CHECK(ipi.delivery == IpiDelivery::kInit);
  CHECK(ipi.destination == 1);
  CHECK(ipi.source == 0);
  CHECK(ipi.level_assert);
  CHECK(ipi.trigger == TriggerMode::kLevel);
  CHECK(ipi.shorthand == IpiShorthand::kNone);
  CHECK_FALSE(ipi.logical);
  CHECK_FALSE(ipi.x2apic);
  CHECK((vp.read(Reg::kIcrLow) & (1u << 12)) == 0);  // delivery status: idle (apic_wait_icr_idle)
  vp.write(Reg::kIcrLow, 0x8500);
  REQUIRE(vp.last.send_ipi);
  CHECK(vp.last.ipi.delivery == IpiDelivery::kInit);
  CHECK_FALSE(vp.last.ipi.level_assert);  // INIT level de-assert: the caller ignores it
  vp.write(Reg::kIcrLow, 0x0608);         // STARTUP at 0x8000
  REQUIRE(vp.last.send_ipi);
  CHECK(vp.last.ipi.delivery == IpiDelivery::kStartup);
  CHECK(vp.last.ipi.vector == 0x08);
  CHECK(vp.last.ipi.destination == 1);
  CHECK(vp.read(Reg::kIcrLow) == 0x0608);
  CHECK(vp.read(Reg::kIcrHigh) == 1u << 24);

  // Fixed, physical and logical; lowest priority; NMI.
  vp.write(Reg::kIcrHigh, 7u << 24);
  vp.write(Reg::kIcrLow, 0x40fb);
  REQUIRE(vp.last.send_ipi);
  CHECK(vp.last.ipi.delivery == IpiDelivery::kFixed);
  CHECK(vp.last.ipi.vector == 0xfb);
  CHECK(vp.last.ipi.destination == 7);
  CHECK(vp.last.ipi.trigger == TriggerMode::kEdge);
  vp.write(Reg::kIcrLow, 0x0800 | 0x0100 | 0x41);
  REQUIRE(vp.last.send_ipi);
  CHECK(vp.last.ipi.delivery == IpiDelivery::kLowestPriority);
  CHECK(vp.last.ipi.logical);
  vp.write(Reg::kIcrLow, 0x0400 | 2);
  REQUIRE(vp.last.send_ipi);
  CHECK(vp.last.ipi.delivery == IpiDelivery::kNmi);

  // Shorthands: all-excluding-self and all-including-self go to the caller; self stays here.
  vp.write(Reg::kIcrLow, (3u << 18) | 0xf3);
  REQUIRE(vp.last.send_ipi);
  CHECK(vp.last.ipi.shorthand == IpiShorthand::kAllExcludingSelf);
  vp.write(Reg::kIcrLow, (2u << 18) | 0xf4);
  REQUIRE(vp.last.send_ipi);
  CHECK(vp.last.ipi.shorthand == IpiShorthand::kAllIncludingSelf);
  vp.write(Reg::kIcrLow, (1u << 18) | 0x45);
  CHECK_FALSE(vp.last.send_ipi);
  CHECK(vp.apic.irr(0x45));
  CHECK_FALSE(vp.apic.tmr(0x45));
  vp.write(Reg::kIcrLow, (1u << 18) | 0x0400 | 2);  // NMI with "self": invalid, nothing sent
  CHECK_FALSE(vp.last.send_ipi);
  vp.write(Reg::kIcrLow, 0x0300 | 0x50);  // reserved delivery mode 011b
  CHECK_FALSE(vp.last.send_ipi);

  // A fixed IPI with an illegal vector is not sent; the ESR says so after the next write.
  vp.write(Reg::kIcrLow, 0x0005);
  CHECK_FALSE(vp.last.send_ipi);
  CHECK(vp.read(Reg::kEsr) == 0);
  vp.write(Reg::kEsr, 0);
  CHECK(vp.read(Reg::kEsr) == 0x20);  // send illegal vector
  vp.write(Reg::kEsr, 0);
  CHECK(vp.read(Reg::kEsr) == 0);
}

TEST_CASE("vlapic: x2APIC MSRs", "[hv][vlapic]") {
  Vp vp(0x123, false);
  uint64_t v = 0;
  CHECK(vp.read(Reg::kId) == 0x23u << 24);  // the xAPIC ID is the low 8 bits
  CHECK(vp.apic.msr_read(msr(Reg::kId), vp.now, v) == LapicStatus::kWrongMode);
  vp.to_x2apic();
  CHECK(vp.apic.mode() == LapicMode::kX2apic);
  CHECK(vp.rdmsr(kMsrApicBase) == (0xfee00000 | kEnable | kExtd));
  uint32_t w = 1;
  CHECK(vp.apic.mmio_read(off(Reg::kId), 4, vp.now, w) == LapicStatus::kNotApic);
  CHECK(w == 0);
  CHECK(vp.rdmsr(0x802) == 0x123);
  CHECK(vp.rdmsr(0x803) == 0x00050014);
  CHECK(vp.rdmsr(0x80d) == ((0x12u << 16) | (1u << 3)));  // LDR from the ID (SDM 11.12.10.2)
  vp.wrmsr(0x80f, 0x1ff);
  CHECK(vp.apic.software_enabled());
  vp.wrmsr(0x808, 0x20);
  CHECK(vp.rdmsr(0x808) == 0x20);

  // The ICR is one 64-bit MSR with a 32-bit destination.
  const uint64_t icr = (uint64_t{0x456} << 32) | 0x4000 | 0xfd;
  vp.wrmsr(0x830, icr);
  REQUIRE(vp.last.send_ipi);
  CHECK(vp.last.ipi.destination == 0x456);
  CHECK(vp.last.ipi.vector == 0xfd);
  CHECK(vp.last.ipi.source == 0x123);
  CHECK(vp.last.ipi.x2apic);
  CHECK(vp.rdmsr(0x830) == icr);
  vp.wrmsr(0x830, (uint64_t{0xffffffff} << 32) | (1u << 12) | 0x0500 | 0x4000);  // bit 12 ignored
  REQUIRE(vp.last.send_ipi);
  CHECK(vp.last.ipi.delivery == IpiDelivery::kInit);
  CHECK(vp.last.ipi.destination == 0xffffffff);
  // x2APIC SELF IPI: fixed, edge, here.
  vp.wrmsr(0x83f, 0x99);
  CHECK_FALSE(vp.last.send_ipi);
  CHECK(vp.apic.irr(0x99));
  vp.wrmsr(0x828, 0);  // ESR: only 0
  vp.wrmsr(0x838, 1000);
  CHECK(vp.rdmsr(0x838) == 1000);
  vp.wrmsr(0x83e, 0xb);
  CHECK(vp.rdmsr(0x83e) == 0xb);

  // Faults (#GP for the caller), each changing nothing.
  const VirtualLapic before = vp.apic;
  LapicActions a;
  for (uint32_t m : {0x800u, 0x801u, 0x809u, 0x80cu, 0x80eu, 0x82fu, 0x831u, 0x840u, 0x8ffu}) {
    INFO("msr " << m);
    CHECK(vp.apic.msr_read(m, vp.now, v) == LapicStatus::kReserved);
    CHECK(vp.apic.msr_write(m, 0, vp.now, a) == LapicStatus::kReserved);
  }
  CHECK(vp.apic.msr_read(0x80b, vp.now, v) == LapicStatus::kWriteOnly);  // EOI
  CHECK(vp.apic.msr_read(0x83f, vp.now, v) == LapicStatus::kWriteOnly);  // SELF IPI
  for (uint32_t m : {0x802u, 0x803u, 0x80au, 0x80du, 0x810u, 0x818u, 0x827u, 0x839u}) {
    INFO("msr " << m);
    CHECK(vp.apic.msr_write(m, 0, vp.now, a) == LapicStatus::kReadOnly);
  }
  CHECK(vp.apic.msr_write(0x80b, 1, vp.now, a) == LapicStatus::kReservedBits);  // EOI: 0 only
  CHECK(vp.apic.msr_write(0x828, 1, vp.now, a) == LapicStatus::kReservedBits);  // ESR: 0 only
  CHECK(vp.apic.msr_write(0x808, 0x100, vp.now, a) == LapicStatus::kReservedBits);
  CHECK(vp.apic.msr_write(0x808, 1ull << 32, vp.now, a) == LapicStatus::kReservedBits);
  CHECK(vp.apic.msr_write(0x80f, 1u << 12, vp.now, a) == LapicStatus::kReservedBits);
  CHECK(vp.apic.msr_write(0x830, 1u << 13 | 0x40, vp.now, a) == LapicStatus::kReservedBits);
  CHECK(vp.apic.msr_write(0x830, 1u << 20 | 0x40, vp.now, a) == LapicStatus::kReservedBits);
  CHECK_FALSE(a.send_ipi);
  CHECK(vp.apic.msr_write(0x83f, 0x140, vp.now, a) == LapicStatus::kReservedBits);
  CHECK(vp.apic.msr_write(0x83e, 0x4, vp.now, a) == LapicStatus::kReservedBits);
  CHECK(vp.apic.msr_write(0x832, 1u << 19, vp.now, a) == LapicStatus::kReservedBits);
  CHECK(vp.apic.msr_read(0x900, vp.now, v) == LapicStatus::kNotApic);
  CHECK(vp.apic == before);
  CHECK_FALSE(VirtualLapic::owns_msr(0x900));
  CHECK(VirtualLapic::owns_msr(0x1b));
  CHECK(VirtualLapic::owns_msr(0x6e0));
  CHECK(VirtualLapic::owns_msr(0x8ff));
  CHECK_FALSE(VirtualLapic::owns_msr(0x7ff));
}

TEST_CASE("vlapic: IA32_APIC_BASE mode transitions (SDM 11.12.5)", "[hv][vlapic]") {
  Vp vp(3, false);
  vp.enable();
  vp.write(Reg::kTpr, 0x30);
  vp.write(Reg::kLvtTimer, 0x30);
  vp.write(Reg::kTimerInitialCount, 5000);
  CHECK(vp.raise(0x80) == LapicAccept::kAccepted);

  // xAPIC -> x2APIC keeps the state.
  vp.to_x2apic();
  CHECK(vp.rdmsr(msr(Reg::kTpr)) == 0x30);
  CHECK(vp.apic.irr(0x80));
  CHECK(vp.rdmsr(msr(Reg::kTimerInitialCount)) == 5000);

  const VirtualLapic before = vp.apic;
  const uint64_t base = 0xfee00000;
  CHECK(vp.apic.write_apic_base(base | kEnable) == LapicStatus::kBadTransition);  // to xAPIC
  CHECK(vp.apic.write_apic_base(base | kExtd) == LapicStatus::kBadTransition);    // EN=0 EXTD=1
  CHECK(vp.apic.write_apic_base(base | kEnable | kExtd | (1u << 9)) == LapicStatus::kReservedBits);
  CHECK(vp.apic.write_apic_base(base | kEnable | kExtd | 0x1) == LapicStatus::kReservedBits);
  CHECK(vp.apic.write_apic_base((1ull << 39) | kEnable | kExtd) ==
        LapicStatus::kReservedBits);  // above MAXPHYADDR
  CHECK(vp.apic == before);

  // x2APIC -> disabled resets the registers but keeps the IDs; nothing is accepted.
  vp.wrmsr(kMsrApicBase, base);
  CHECK(vp.apic.mode() == LapicMode::kDisabled);
  CHECK(vp.rdmsr(kMsrApicBase) == base);
  CHECK_FALSE(vp.apic.irr(0x80));
  CHECK(vp.apic.tpr() == 0);
  CHECK(vp.apic.next_deadline_tsc() == 0);
  CHECK(vp.raise(0x80) == LapicAccept::kDisabled);
  uint64_t v = 0;
  uint32_t w = 0;
  CHECK(vp.apic.msr_read(msr(Reg::kTpr), vp.now, v) == LapicStatus::kWrongMode);
  CHECK(vp.apic.mmio_read(off(Reg::kTpr), 4, vp.now, w) == LapicStatus::kNotApic);
  // disabled -> x2APIC is refused; disabled -> xAPIC -> x2APIC is the way back.
  CHECK(vp.apic.write_apic_base(base | kEnable | kExtd) == LapicStatus::kBadTransition);
  CHECK(vp.apic.mode() == LapicMode::kDisabled);
  vp.wrmsr(kMsrApicBase, base | kEnable);
  CHECK(vp.apic.mode() == LapicMode::kXapic);
  CHECK(vp.read(Reg::kId) == 3u << 24);
  CHECK(vp.read(Reg::kSvr) == 0xff);
  CHECK(vp.read(Reg::kLvtTimer) == kMasked);
  CHECK(vp.read(Reg::kDfr) == 0xffffffff);
  vp.to_x2apic();
  CHECK(vp.apic.mode() == LapicMode::kX2apic);

  // The xAPIC page can move; BSP is read-only.
  Vp moved(1, false);
  moved.wrmsr(kMsrApicBase, 0xfed00000 | kEnable | kBsp);
  CHECK(moved.apic.mmio_base() == 0xfed00000);
  CHECK(moved.rdmsr(kMsrApicBase) == (0xfed00000 | kEnable));
}

TEST_CASE("vlapic: INIT resets the registers and keeps the mode and IDs", "[hv][vlapic]") {
  Vp vp(0x21, false);
  vp.to_x2apic();
  vp.wrmsr(msr(Reg::kSvr), 0x1ff);
  vp.wrmsr(msr(Reg::kTpr), 0x40);
  CHECK(vp.raise(0x70) == LapicAccept::kAccepted);
  vp.apic.init_reset();
  CHECK(vp.apic.mode() == LapicMode::kX2apic);
  CHECK(vp.rdmsr(msr(Reg::kId)) == 0x21);
  CHECK(vp.rdmsr(msr(Reg::kLdr)) == ((2u << 16) | (1u << 1)));
  CHECK(vp.rdmsr(msr(Reg::kSvr)) == 0xff);
  CHECK(vp.rdmsr(msr(Reg::kTpr)) == 0);
  CHECK_FALSE(vp.apic.irr(0x70));
  vp.apic.reset();
  CHECK(vp.apic.mode() == LapicMode::kXapic);
  CHECK(vp.read(Reg::kId) == 0x21u << 24);
}

TEST_CASE("vlapic: a periodic timer keeps its phase over many periods", "[hv][vlapic]") {
  Vp vp;
  vp.enable();
  vp.write(Reg::kLvtTimer, 0x30 | kPeriodic);
  vp.write(Reg::kTimerDivide, 0x9);  // divide by 64
  vp.write(Reg::kTimerInitialCount, 12345);
  const uint64_t period = 12345ull * 64 * kRatio;
  const uint64_t t0 = vp.now;
  CHECK(vp.apic.next_deadline_tsc() == t0 + period);
  uint64_t k = 0;
  uint32_t lcg = 1;
  int interrupts = 0;
  while (k < 10000) {
    lcg = lcg * 1103515245u + 12345u;
    // hv runs the VP at arbitrary moments: a little after the deadline, now and then several
    // periods late (the missed periods coalesce into one interrupt, as on hardware).
    const uint64_t skipped = (lcg >> 16) % 50 == 0 ? 3 : 0;
    k += 1 + skipped;
    const uint64_t late = (lcg >> 8) % period;
    vp.now = t0 + k * period + late;
    // Part-way through the period the count has gone down by the time elapsed since its start.
    const uint32_t count = vp.read(Reg::kTimerCurrentCount);
    CHECK(count == 12345 - late / (64 * kRatio));
    CHECK(vp.take() == 0x30);
    ++interrupts;
    CHECK(vp.eoi().vector == 0x30);
    REQUIRE(vp.apic.next_deadline_tsc() == t0 + (k + 1) * period);
  }
  CHECK(vp.apic.next_deadline_tsc() == t0 + (k + 1) * period);  // no drift after 10000 periods
  CHECK(interrupts < 10000);
}

TEST_CASE("vlapic: a one-tick periodic timer runs no faster than the limit", "[hv][vlapic]") {
  // Divide by 1, count 1: a period of kRatio TSC ticks. Without a limit every entry into the
  // child finds the timer due again (the VP re-arms the root's timer for ever); with it, the
  // next expiry is always later than `now` and at least the limit away from the last one.
  constexpr uint64_t kLimit = 200'000;  // 200 µs at 1 GHz
  Vp vp(0, true, kLimit);
  vp.enable();
  vp.write(Reg::kLvtTimer, 0x30 | kPeriodic);
  vp.write(Reg::kTimerDivide, 0xb);  // divide by 1
  vp.write(Reg::kTimerInitialCount, 1);
  const uint64_t t0 = vp.now;
  int interrupts = 0;
  uint64_t previous = 0;
  for (int step = 0; step < 1000; ++step) {
    vp.now = t0 + static_cast<uint64_t>(step) * 1'000;  // an entry every µs for 1 ms
    (void)vp.apic.advance(vp.now);
    const uint64_t next = vp.apic.next_deadline_tsc();
    REQUIRE(next > vp.now);
    if (previous != 0 && next != previous) CHECK(next - previous >= kLimit);
    previous = next;
    if (vp.take() == 0x30) {
      ++interrupts;
      (void)vp.eoi();
    }
  }
  CHECK(interrupts >= 5);  // the first after 10 ticks, then one every 200 µs
  CHECK(interrupts <= 7);

  Vp unlimited;  // the same timer without the limit fires at every entry
  unlimited.enable();
  unlimited.write(Reg::kLvtTimer, 0x30 | kPeriodic);
  unlimited.write(Reg::kTimerDivide, 0xb);
  unlimited.write(Reg::kTimerInitialCount, 1);
  int fired = 0;
  for (int step = 1; step <= 100; ++step) {
    unlimited.now = kStart + static_cast<uint64_t>(step) * 1'000;
    if (unlimited.apic.advance(unlimited.now)) ++fired;
    if (unlimited.take() == 0x30) (void)unlimited.eoi();
  }
  CHECK(fired == 100);
}

TEST_CASE("vlapic: a masked timer still counts down", "[hv][vlapic]") {
  Vp vp;
  vp.enable();
  vp.write(Reg::kTimerDivide, 0xb);  // divide by 1
  vp.write(Reg::kLvtTimer, 0x31 | kPeriodic | kMasked);
  vp.write(Reg::kTimerInitialCount, 1000);
  const uint64_t period = 1000 * kRatio, t0 = vp.now;
  CHECK(vp.apic.next_deadline_tsc() == 0);
  vp.now = t0 + 3 * period + period / 2;
  CHECK(vp.read(Reg::kTimerCurrentCount) == 500);
  CHECK_FALSE(vp.apic.irr(0x31));
  vp.write(Reg::kLvtTimer, 0x31 | kPeriodic);  // unmasked; same mode, so the count runs on
  CHECK(vp.apic.next_deadline_tsc() == t0 + 4 * period);
  CHECK(vp.apic.advance(t0 + 4 * period));
  CHECK(vp.apic.irr(0x31));

  // One-shot: expiring while masked leaves nothing to deliver after unmasking.
  Vp once;
  once.enable();
  once.write(Reg::kLvtTimer, 0x32 | kMasked);
  once.write(Reg::kTimerInitialCount, 10);
  once.now += 1'000'000;
  CHECK(once.read(Reg::kTimerCurrentCount) == 0);
  once.write(Reg::kLvtTimer, 0x32);
  CHECK(once.apic.next_deadline_tsc() == 0);
  CHECK_FALSE(once.apic.irr(0x32));

  // A new divisor applies to the counts left.
  Vp div;
  div.enable();
  div.write(Reg::kLvtTimer, 0x33);
  div.write(Reg::kTimerDivide, 0x0);  // by 2
  div.write(Reg::kTimerInitialCount, 1000);
  div.now += 5000;  // 250 counts at 20 TSC ticks each
  CHECK(div.read(Reg::kTimerCurrentCount) == 750);
  div.write(Reg::kTimerDivide, 0xb);  // by 1
  CHECK(div.apic.next_deadline_tsc() == div.now + 750 * kRatio);
  // Writing 0 stops the timer.
  div.write(Reg::kTimerInitialCount, 0);
  CHECK(div.apic.next_deadline_tsc() == 0);
  CHECK(div.read(Reg::kTimerCurrentCount) == 0);
}

TEST_CASE("vlapic: TSC-deadline mode", "[hv][vlapic]") {
  Vp vp;
  vp.enable();
  // Outside TSC-deadline mode the MSR reads 0 and ignores writes (SDM 11.5.4.1).
  vp.wrmsr(kMsrTscDeadline, vp.now + 100);
  CHECK(vp.rdmsr(kMsrTscDeadline) == 0);
  vp.write(Reg::kLvtTimer, 0xef | kTscDeadline);
  vp.write(Reg::kTimerInitialCount, 1000);  // ignored in this mode
  CHECK(vp.read(Reg::kTimerInitialCount) == 0);
  CHECK(vp.read(Reg::kTimerCurrentCount) == 0);
  CHECK(vp.apic.next_deadline_tsc() == 0);

  const uint64_t deadline = vp.now + 5000;
  vp.wrmsr(kMsrTscDeadline, deadline);
  CHECK(vp.rdmsr(kMsrTscDeadline) == deadline);
  CHECK(vp.apic.next_deadline_tsc() == deadline);
  CHECK_FALSE(vp.apic.advance(deadline - 1));
  CHECK(vp.apic.advance(deadline));
  CHECK(vp.apic.irr(0xef));
  vp.now = deadline;
  CHECK(vp.rdmsr(kMsrTscDeadline) == 0);  // it disarms itself
  CHECK(vp.apic.next_deadline_tsc() == 0);
  CHECK(vp.take() == 0xef);
  CHECK(vp.eoi().vector == 0xef);

  // A deadline already passed fires at once; 0 disarms.
  vp.wrmsr(kMsrTscDeadline, vp.now - 1);
  CHECK(vp.apic.irr(0xef));
  CHECK(vp.take() == 0xef);
  CHECK(vp.eoi().vector == 0xef);
  vp.wrmsr(kMsrTscDeadline, vp.now + 10);
  vp.wrmsr(kMsrTscDeadline, 0);
  CHECK(vp.apic.next_deadline_tsc() == 0);
  CHECK_FALSE(vp.apic.advance(vp.now + 100));

  // The MSR counts in the VP's TSC: the run page gets the host's.
  vp.apic.set_tsc_offset(1'000'000);  // the VP's TSC is ahead
  vp.wrmsr(kMsrTscDeadline, vp.now + 1'000'000 + 700);
  CHECK(vp.apic.next_deadline_tsc() == vp.now + 700);
  vp.apic.set_tsc_offset(0 - uint64_t{500});  // behind
  CHECK(vp.apic.next_deadline_tsc() == vp.now + 1'000'000 + 700 + 500);
  vp.apic.set_tsc_offset(0);

  // Leaving the mode disarms; coming back does not re-arm.
  vp.write(Reg::kLvtTimer, 0xef);
  CHECK(vp.apic.next_deadline_tsc() == 0);
  vp.write(Reg::kLvtTimer, 0xef | kTscDeadline);
  CHECK(vp.rdmsr(kMsrTscDeadline) == 0);

  // Masked: it still expires (and disarms) but raises nothing.
  vp.write(Reg::kLvtTimer, 0xef | kTscDeadline | kMasked);
  vp.wrmsr(kMsrTscDeadline, vp.now + 50);
  CHECK(vp.apic.next_deadline_tsc() == 0);
  vp.now += 50;
  CHECK(vp.rdmsr(kMsrTscDeadline) == 0);
  CHECK_FALSE(vp.apic.irr(0xef));
}

TEST_CASE("vlapic: bad xAPIC accesses are refused and change nothing", "[hv][vlapic]") {
  Vp vp;
  vp.enable();
  vp.write(Reg::kTpr, 0x20);
  vp.write(Reg::kLvtTimer, 0x40 | kPeriodic);
  vp.write(Reg::kTimerInitialCount, 100000);
  CHECK(vp.raise(0x60) == LapicAccept::kAccepted);
  const VirtualLapic before = vp.apic;
  LapicActions a;
  uint32_t v = 0;
  struct Case {
    uint32_t offset, size;
    LapicStatus read, write;
  };
  const Case cases[] = {
      {0x084, 4, LapicStatus::kMisaligned, LapicStatus::kMisaligned},
      {0x081, 4, LapicStatus::kMisaligned, LapicStatus::kMisaligned},
      {0x088, 4, LapicStatus::kMisaligned, LapicStatus::kMisaligned},
      {0x080, 2, LapicStatus::kMisaligned, LapicStatus::kMisaligned},
      {0x080, 1, LapicStatus::kMisaligned, LapicStatus::kMisaligned},
      {0x080, 8, LapicStatus::kMisaligned, LapicStatus::kMisaligned},
      {0x300, 8, LapicStatus::kMisaligned, LapicStatus::kMisaligned},
      {0x000, 4, LapicStatus::kReserved, LapicStatus::kReserved},
      {0x010, 4, LapicStatus::kReserved, LapicStatus::kReserved},
      {0x040, 4, LapicStatus::kReserved, LapicStatus::kReserved},
      {0x2f0, 4, LapicStatus::kReserved, LapicStatus::kReserved},  // no CMCI
      {0x3a0, 4, LapicStatus::kReserved, LapicStatus::kReserved},
      {0x3f0, 4, LapicStatus::kReserved, LapicStatus::kReserved},  // SELF IPI: x2APIC only
      {0x400, 4, LapicStatus::kReserved, LapicStatus::kReserved},
      {0xff0, 4, LapicStatus::kReserved, LapicStatus::kReserved},
      {0x1000, 4, LapicStatus::kNotApic, LapicStatus::kNotApic},
      {0x030, 4, LapicStatus::kOk, LapicStatus::kReadOnly},   // version
      {0x090, 4, LapicStatus::kOk, LapicStatus::kReadOnly},   // APR
      {0x0a0, 4, LapicStatus::kOk, LapicStatus::kReadOnly},   // PPR
      {0x0c0, 4, LapicStatus::kOk, LapicStatus::kReadOnly},   // RRD
      {0x100, 4, LapicStatus::kOk, LapicStatus::kReadOnly},   // ISR
      {0x1f0, 4, LapicStatus::kOk, LapicStatus::kReadOnly},   // TMR
      {0x230, 4, LapicStatus::kOk, LapicStatus::kReadOnly},   // IRR
      {0x390, 4, LapicStatus::kOk, LapicStatus::kReadOnly},   // current count
      {0x0b0, 4, LapicStatus::kWriteOnly, LapicStatus::kOk},  // EOI (the write is not tried)
  };
  for (const Case& c : cases) {
    INFO("offset " << c.offset << " size " << c.size);
    v = 0x5a5a5a5a;
    CHECK(vp.apic.mmio_read(c.offset, c.size, vp.now, v) == c.read);
    if (c.read != LapicStatus::kOk) CHECK(v == 0);
    if (c.write != LapicStatus::kOk) {
      CHECK(vp.apic.mmio_write(c.offset, c.size, 0xffffffff, vp.now, a) == c.write);
      CHECK_FALSE(a.send_ipi);
      CHECK_FALSE(a.eoi.valid);
    }
  }
  CHECK(vp.apic.on_delivered(0x61) == LapicStatus::kNotPending);
  uint64_t m = 0;
  CHECK(vp.apic.msr_read(msr(Reg::kTpr), vp.now, m) == LapicStatus::kWrongMode);
  CHECK(vp.apic.msr_write(msr(Reg::kTpr), 0, vp.now, a) == LapicStatus::kWrongMode);
  CHECK(vp.apic.msr_read(0x10, vp.now, m) == LapicStatus::kNotApic);
  CHECK(vp.apic == before);
  CHECK(hv::describe(LapicStatus::kMisaligned) != nullptr);
}

TEST_CASE("vlapic: illegal vectors and the error interrupt (SDM 11.5.2, 11.5.3)", "[hv][vlapic]") {
  Vp vp;
  vp.enable();
  CHECK(vp.raise(5) == LapicAccept::kIllegalVector);
  CHECK_FALSE(vp.apic.irr(5));
  CHECK(vp.read(Reg::kEsr) == 0);  // errors show after the next ESR write
  vp.write(Reg::kEsr, 0);
  CHECK(vp.read(Reg::kEsr) == 0x40);  // receive illegal vector
  vp.write(Reg::kEsr, 0);
  CHECK(vp.read(Reg::kEsr) == 0);
  CHECK(vp.raise(15) == LapicAccept::kIllegalVector);
  CHECK(vp.raise(16) == LapicAccept::kAccepted);

  // With the error LVT unmasked, an error raises its vector once until the ESR is written.
  vp.write(Reg::kLvtError, 0xfe);
  vp.write(Reg::kIcrLow, 0x03);  // fixed IPI, vector 3
  CHECK(vp.apic.irr(0xfe));
  CHECK(vp.take() == 0xfe);
  CHECK(vp.raise(7) == LapicAccept::kIllegalVector);
  CHECK_FALSE(vp.apic.irr(0xfe));
  vp.write(Reg::kEsr, 0);
  CHECK(vp.read(Reg::kEsr) == 0x60);
  CHECK(vp.raise(8) == LapicAccept::kIllegalVector);
  CHECK(vp.apic.irr(0xfe));

  // A timer with an illegal vector raises nothing but an error.
  vp.write(Reg::kEsr, 0);
  vp.write(Reg::kLvtTimer, 0x04);
  vp.write(Reg::kTimerInitialCount, 1);
  vp.now += 1000;
  vp.write(Reg::kEsr, 0);
  CHECK(vp.read(Reg::kEsr) == 0x40);
  CHECK_FALSE(vp.apic.irr(4));
}

TEST_CASE("vlapic: software disable masks the LVT and holds what is pending", "[hv][vlapic]") {
  Vp vp;
  vp.enable();
  vp.write(Reg::kLvtTimer, 0x30);
  vp.write(Reg::kLvtLint0, 0x700);
  CHECK(vp.raise(0x50) == LapicAccept::kAccepted);
  vp.write(Reg::kSvr, 0xff);
  CHECK_FALSE(vp.apic.software_enabled());
  CHECK(vp.read(Reg::kLvtTimer) == (0x30 | kMasked));
  CHECK(vp.read(Reg::kLvtLint0) == (0x700 | kMasked));
  vp.write(Reg::kLvtTimer, 0x30);  // the mask cannot be cleared while disabled
  CHECK(vp.read(Reg::kLvtTimer) == (0x30 | kMasked));
  CHECK(vp.raise(0x40) == LapicAccept::kDisabled);
  CHECK(vp.take() == 0x50);  // held, still delivered
  vp.write(Reg::kIcrHigh, 1u << 24);
  vp.write(Reg::kIcrLow, 0x41);  // IPIs can still be sent
  CHECK(vp.last.send_ipi);
  vp.enable();
  CHECK(vp.read(Reg::kLvtTimer) == (0x30 | kMasked));  // until software unmasks it
}

TEST_CASE("vlapic: IPI destinations this APIC matches", "[hv][vlapic]") {
  Vp flat(1, false);
  flat.enable();
  flat.write(Reg::kLdr, 0x02u << 24);
  LapicIpi ipi;
  ipi.destination = 1;
  CHECK(flat.apic.matches(ipi, false));
  ipi.destination = 2;
  CHECK_FALSE(flat.apic.matches(ipi, false));
  ipi.destination = 0xff;  // broadcast
  CHECK(flat.apic.matches(ipi, false));
  ipi.logical = true;
  ipi.destination = 0x06;
  CHECK(flat.apic.matches(ipi, false));
  ipi.destination = 0x05;
  CHECK_FALSE(flat.apic.matches(ipi, false));
  flat.write(Reg::kLdr, 0x80u << 24);  // flat: any common bit, whatever the high nibble
  ipi.destination = 0x81;
  CHECK(flat.apic.matches(ipi, false));
  flat.write(Reg::kDfr, 0x0fffffff);   // cluster model
  flat.write(Reg::kLdr, 0x21u << 24);  // cluster 2, member bit 0
  CHECK(flat.read(Reg::kDfr) == 0x0fffffff);
  ipi.destination = 0x23;
  CHECK(flat.apic.matches(ipi, false));
  ipi.destination = 0x22;
  CHECK_FALSE(flat.apic.matches(ipi, false));
  ipi.destination = 0x31;
  CHECK_FALSE(flat.apic.matches(ipi, false));
  ipi.shorthand = IpiShorthand::kSelf;
  CHECK(flat.apic.matches(ipi, true));
  CHECK_FALSE(flat.apic.matches(ipi, false));
  ipi.shorthand = IpiShorthand::kAllExcludingSelf;
  CHECK_FALSE(flat.apic.matches(ipi, true));
  CHECK(flat.apic.matches(ipi, false));
  ipi.shorthand = IpiShorthand::kAllIncludingSelf;
  CHECK(flat.apic.matches(ipi, true));

  Vp x2(0x25, false);
  x2.to_x2apic();
  LapicIpi y;
  y.x2apic = true;
  y.destination = 0x25;
  CHECK(x2.apic.matches(y, false));
  y.destination = 0x26;
  CHECK_FALSE(x2.apic.matches(y, false));
  y.destination = 0xffffffff;
  CHECK(x2.apic.matches(y, false));
  y.logical = true;
  y.destination = (2u << 16) | (1u << 5);
  CHECK(x2.apic.matches(y, false));
  y.destination = (2u << 16) | 1u;
  CHECK_FALSE(x2.apic.matches(y, false));
  y.destination = (1u << 16) | (1u << 5);
  CHECK_FALSE(x2.apic.matches(y, false));
  x2.wrmsr(kMsrApicBase, 0xfee00000);
  y.shorthand = IpiShorthand::kAllIncludingSelf;
  CHECK_FALSE(x2.apic.matches(y, false));  // a disabled APIC takes no IPI
}

TEST_CASE("vlapic: the TSC-to-bus ratio is clamped", "[hv][vlapic]") {
  VirtualLapic zero(hv::VirtualLapicConfig{.apic_id = 0, .bootstrap = true, .tsc_per_bus_tick = 0});
  LapicActions a;
  const uint64_t now = 100;
  REQUIRE(zero.mmio_write(off(Reg::kSvr), 4, 0x1ff, now, a) == LapicStatus::kOk);
  REQUIRE(zero.mmio_write(off(Reg::kLvtTimer), 4, 0x30, now, a) == LapicStatus::kOk);
  REQUIRE(zero.mmio_write(off(Reg::kTimerDivide), 4, 0xb, now, a) == LapicStatus::kOk);
  REQUIRE(zero.mmio_write(off(Reg::kTimerInitialCount), 4, 7, now, a) == LapicStatus::kOk);
  CHECK(zero.next_deadline_tsc() == now + 7);  // ratio 0 counts as 1
  VirtualLapic huge(hv::VirtualLapicConfig{.tsc_per_bus_tick = ~0u});
  REQUIRE(huge.mmio_write(off(Reg::kSvr), 4, 0x1ff, now, a) == LapicStatus::kOk);
  REQUIRE(huge.mmio_write(off(Reg::kLvtTimer), 4, 0x30, now, a) == LapicStatus::kOk);
  REQUIRE(huge.mmio_write(off(Reg::kTimerDivide), 4, 0xa, now, a) == LapicStatus::kOk);
  REQUIRE(huge.mmio_write(off(Reg::kTimerInitialCount), 4, ~0u, now, a) == LapicStatus::kOk);
  CHECK(huge.next_deadline_tsc() ==
        now + uint64_t{~0u} * 128 * VirtualLapic::kMaxTscPerBusTick);  // no overflow
}
