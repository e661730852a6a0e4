// The child's I/O APIC: the registers as Linux programs them through IOREGSEL/IOWIN, edge and
// level inputs with masking and Remote IRR, EOI (broadcast and the version-20h register), and
// every hostile access (bad offset, size, pin, read-only bits) refused or ignored without change.
#include <catch2/catch_test_macros.hpp>
#include <random>
#include <vector>

#include "vioapic/vioapic.hpp"

using hv::IoApicDelivery;
using hv::IoApicDeliveryMode;
using hv::IoApicStatus;
using hv::IoApicTrigger;
using hv::VirtualIoApic;
namespace rte = hv::ioapic::rte;

namespace {

constexpr uint32_t kSel = 0x00;
constexpr uint32_t kWin = 0x10;
constexpr uint32_t kEoiReg = 0x40;
constexpr uint8_t kIoApicId = 2;  // what the MADT would say

// One I/O APIC whose deliveries are recorded. Not copyable: the sink's context is `this`.
struct Rig {
  std::vector<IoApicDelivery> sent;
  VirtualIoApic io{&Rig::record, this, kIoApicId};

  Rig() = default;
  Rig(const Rig&) = delete;
  Rig& operator=(const Rig&) = delete;

  static void record(void* context, const IoApicDelivery& d) {
    static_cast<Rig*>(context)->sent.push_back(d);
  }
  void write(uint8_t reg, uint32_t value) {
    REQUIRE(io.mmio_write(kSel, 4, reg) == IoApicStatus::kOk);
    REQUIRE(io.mmio_write(kWin, 4, value) == IoApicStatus::kOk);
  }
  uint32_t read(uint8_t reg) {
    uint32_t v = 0;
    REQUIRE(io.mmio_write(kSel, 4, reg) == IoApicStatus::kOk);
    REQUIRE(io.mmio_read(kWin, 4, v) == IoApicStatus::kOk);
    return v;
  }
  // Linux's __ioapic_write_entry(): the high dword first, then the low one (which may unmask).
  void program(unsigned pin, uint64_t entry) {
    write(static_cast<uint8_t>(hv::ioapic::redirection_low(pin) + 1),
          static_cast<uint32_t>(entry >> 32));
    write(hv::ioapic::redirection_low(pin), static_cast<uint32_t>(entry));
  }
  uint64_t entry(unsigned pin) {
    const uint8_t low = hv::ioapic::redirection_low(pin);
    return uint64_t{read(static_cast<uint8_t>(low + 1))} << 32 | read(low);
  }
  // Every register and the IOREGSEL and line state, for "nothing changed".
  std::vector<uint64_t> snapshot() const {
    std::vector<uint64_t> s;
    for (unsigned r = 0; r < 256; ++r) s.push_back(io.read_register(static_cast<uint8_t>(r)));
    s.push_back(io.selected_register());
    for (unsigned p = 0; p < VirtualIoApic::kPins; ++p) s.push_back(io.line_asserted(p));
    return s;
  }
};

constexpr uint64_t fixed(uint8_t vector, uint8_t destination) {
  return vector | uint64_t{destination} << rte::kDestinationShift;
}
constexpr uint64_t kLevel = rte::kTriggerLevel;
constexpr uint64_t kActiveLow = rte::kPolarityLow;

IoApicDelivery expected(uint8_t pin, uint8_t vector, uint8_t destination,
                        IoApicTrigger trigger = IoApicTrigger::kEdge) {
  IoApicDelivery d;
  d.pin = pin;
  d.vector = vector;
  d.destination = destination;
  d.trigger = trigger;
  return d;
}

}  // namespace

TEST_CASE("vioapic: identification registers and the state after RESET", "[hv][vioapic]") {
  Rig r;
  CHECK(r.read(0x00) == uint32_t{kIoApicId} << 24);
  const uint32_t version = r.read(0x01);
  CHECK((version & 0xff) == 0x20);
  CHECK(((version >> 16) & 0xff) + 1 == VirtualIoApic::kPins);  // max redirection entry 23
  CHECK(r.read(0x02) == uint32_t{kIoApicId} << 24);
  for (unsigned pin = 0; pin < VirtualIoApic::kPins; ++pin) {
    CHECK(r.entry(pin) == rte::kMasked);
  }
  // Registers that do not exist read 0 (not all ones: Linux takes that for "no I/O APIC").
  CHECK(r.read(0x03) == 0);
  CHECK(r.read(0x0f) == 0);
  CHECK(r.read(0x40) == 0);
  CHECK(r.read(0xff) == 0);
  // IOREGSEL reads back its index; bits 31:8 are reserved.
  REQUIRE(r.io.mmio_write(kSel, 4, 0xabcd12) == IoApicStatus::kOk);
  uint32_t v = 1;
  REQUIRE(r.io.mmio_read(kSel, 4, v) == IoApicStatus::kOk);
  CHECK(v == 0x12);
  // The EOI register is write-only.
  REQUIRE(r.io.mmio_read(kEoiReg, 4, v) == IoApicStatus::kOk);
  CHECK(v == 0);
  CHECK(r.sent.empty());
}

TEST_CASE("vioapic: Linux's setup of the timer (GSI 2) and the UART (GSI 4)", "[hv][vioapic]") {
  Rig r;
  // mp_register_ioapic()/io_apic_get_redir_entries(): IDs and the number of entries.
  const uint32_t reg0 = r.read(0x00), reg1 = r.read(0x01), reg2 = r.read(0x02);
  CHECK(reg0 != 0xffffffff);
  CHECK(((reg1 >> 16) & 0xff) == 23);
  CHECK(reg2 == reg0);
  // clear_IO_APIC(): read each entry, write it back masked.
  for (unsigned pin = 0; pin < VirtualIoApic::kPins; ++pin) {
    const uint8_t low = hv::ioapic::redirection_low(pin);
    r.write(low, r.read(low) | static_cast<uint32_t>(rte::kMasked));
  }
  // setup_IO_APIC_irqs(): ISA IRQs edge, active high, fixed, physical destination APIC 0.
  r.program(2, fixed(0x30, 0) | rte::kMasked);
  r.program(4, fixed(0x24, 1) | rte::kMasked);
  CHECK(r.entry(2) == (fixed(0x30, 0) | rte::kMasked));
  CHECK(r.entry(4) == (fixed(0x24, 1) | rte::kMasked));
  REQUIRE(r.io.pulse(2) == IoApicStatus::kOk);
  CHECK(r.sent.empty());  // still masked: lost
  // unmask_ioapic_irq(): read-modify-write of the low dword.
  const uint8_t low2 = hv::ioapic::redirection_low(2), low4 = hv::ioapic::redirection_low(4);
  r.write(low2, r.read(low2) & ~static_cast<uint32_t>(rte::kMasked));
  r.write(low4, r.read(low4) & ~static_cast<uint32_t>(rte::kMasked));
  CHECK(r.sent.empty());  // unmasking an edge input delivers nothing by itself
  REQUIRE(r.io.pulse(2) == IoApicStatus::kOk);
  REQUIRE(r.io.pulse(4) == IoApicStatus::kOk);
  REQUIRE(r.sent.size() == 2);
  CHECK(r.sent[0] == expected(2, 0x30, 0));
  CHECK(r.sent[1] == expected(4, 0x24, 1));
  // mask_ioapic_irq() on the UART: its next interrupt is lost; unmasked, the one after arrives.
  r.write(low4, r.read(low4) | static_cast<uint32_t>(rte::kMasked));
  REQUIRE(r.io.pulse(4) == IoApicStatus::kOk);
  CHECK(r.sent.size() == 2);
  r.write(low4, r.read(low4) & ~static_cast<uint32_t>(rte::kMasked));
  CHECK(r.sent.size() == 2);
  REQUIRE(r.io.pulse(4) == IoApicStatus::kOk);
  REQUIRE(r.sent.size() == 3);
  CHECK(r.sent[2] == expected(4, 0x24, 1));
}

TEST_CASE("vioapic: an edge input delivers once per rising edge", "[hv][vioapic]") {
  Rig r;
  r.program(5, fixed(0x35, 0xff) | rte::kDestinationLogical | 1u << rte::kDeliveryModeShift);
  REQUIRE(r.io.set_level(5, true) == IoApicStatus::kOk);
  REQUIRE(r.sent.size() == 1);
  IoApicDelivery want = expected(5, 0x35, 0xff);
  want.mode = IoApicDeliveryMode::kLowestPriority;
  want.logical = true;
  CHECK(r.sent[0] == want);
  REQUIRE(r.io.set_level(5, true) == IoApicStatus::kOk);  // no edge
  REQUIRE(r.io.pulse(5) == IoApicStatus::kOk);            // held high: no edge either
  CHECK(r.sent.size() == 1);
  CHECK(r.io.line_asserted(5));
  REQUIRE(r.io.set_level(5, false) == IoApicStatus::kOk);
  CHECK(r.sent.size() == 1);
  REQUIRE(r.io.set_level(5, true) == IoApicStatus::kOk);
  CHECK(r.sent.size() == 2);
  // An EOI means nothing to an edge-triggered entry.
  CHECK(r.io.eoi(0x35) == 0);
  CHECK(r.sent.size() == 2);
}

TEST_CASE("vioapic: an edge on a masked input is lost", "[hv][vioapic]") {
  Rig r;
  r.program(7, fixed(0x37, 0) | rte::kMasked);
  REQUIRE(r.io.pulse(7) == IoApicStatus::kOk);
  REQUIRE(r.io.set_level(7, true) == IoApicStatus::kOk);
  r.program(7, fixed(0x37, 0));  // unmasked with the line still high: no edge, nothing
  CHECK(r.sent.empty());
  CHECK((r.entry(7) & (rte::kRemoteIrr | rte::kDeliveryStatus)) == 0);
}

TEST_CASE("vioapic: a level input sets Remote IRR and is redelivered after EOI", "[hv][vioapic]") {
  Rig r;
  // A PCI INTx: level, active low (the polarity is the guest's view; inputs are logical).
  r.program(10, fixed(0x41, 0) | kLevel | kActiveLow);
  REQUIRE(r.io.set_level(10, true) == IoApicStatus::kOk);
  REQUIRE(r.sent.size() == 1);
  CHECK(r.sent[0] == expected(10, 0x41, 0, IoApicTrigger::kLevel));
  CHECK((r.entry(10) & rte::kRemoteIrr) != 0);
  // Still asserted, Remote IRR set: nothing more until the EOI.
  REQUIRE(r.io.set_level(10, true) == IoApicStatus::kOk);
  REQUIRE(r.io.pulse(10) == IoApicStatus::kOk);
  CHECK(r.sent.size() == 1);

  SECTION("an EOI for another vector changes nothing") {
    const auto before = r.snapshot();
    CHECK(r.io.eoi(0x42) == 0);
    REQUIRE(r.io.mmio_write(kEoiReg, 4, 0x40) == IoApicStatus::kOk);
    CHECK(r.snapshot() == before);
    CHECK(r.sent.size() == 1);
  }
  SECTION("the local APIC's EOI broadcast, line still asserted: delivered again") {
    CHECK(r.io.eoi(0x41) == 1);
    REQUIRE(r.sent.size() == 2);
    CHECK(r.sent[1] == r.sent[0]);
    CHECK((r.entry(10) & rte::kRemoteIrr) != 0);
  }
  SECTION("the EOI register (version 20h), line still asserted: delivered again") {
    REQUIRE(r.io.mmio_write(kEoiReg, 4, 0xffffff41) == IoApicStatus::kOk);  // bits 7:0 count
    REQUIRE(r.sent.size() == 2);
    CHECK((r.entry(10) & rte::kRemoteIrr) != 0);
  }
  SECTION("deasserted before the EOI: the EOI only clears Remote IRR") {
    REQUIRE(r.io.set_level(10, false) == IoApicStatus::kOk);
    CHECK((r.entry(10) & rte::kRemoteIrr) != 0);  // deasserting ends nothing
    CHECK(r.io.eoi(0x41) == 1);
    CHECK(r.sent.size() == 1);
    CHECK((r.entry(10) & rte::kRemoteIrr) == 0);
    REQUIRE(r.io.set_level(10, true) == IoApicStatus::kOk);  // the next assertion
    CHECK(r.sent.size() == 2);
  }
  SECTION("masked while in service: the EOI clears Remote IRR, unmasking delivers") {
    r.write(hv::ioapic::redirection_low(10),
            static_cast<uint32_t>(fixed(0x41, 0) | kLevel | kActiveLow | rte::kMasked));
    CHECK(r.io.eoi(0x41) == 1);
    CHECK(r.sent.size() == 1);
    r.write(hv::ioapic::redirection_low(10),
            static_cast<uint32_t>(fixed(0x41, 0) | kLevel | kActiveLow));
    CHECK(r.sent.size() == 2);
    CHECK((r.entry(10) & rte::kRemoteIrr) != 0);
  }
}

TEST_CASE("vioapic: a masked level input stays asserted and arrives when unmasked",
          "[hv][vioapic]") {
  Rig r;
  r.program(11, fixed(0x51, 3) | kLevel | rte::kMasked);
  REQUIRE(r.io.set_level(11, true) == IoApicStatus::kOk);
  CHECK(r.sent.empty());
  CHECK((r.entry(11) & rte::kRemoteIrr) == 0);
  r.write(hv::ioapic::redirection_low(11), static_cast<uint32_t>(fixed(0x51, 0) | kLevel));
  REQUIRE(r.sent.size() == 1);
  CHECK(r.sent[0] == expected(11, 0x51, 3, IoApicTrigger::kLevel));
  // Deasserted while masked: unmasking delivers nothing.
  CHECK(r.io.eoi(0x51) == 1);
  REQUIRE(r.sent.size() == 2);
  r.write(hv::ioapic::redirection_low(11),
          static_cast<uint32_t>(fixed(0x51, 0) | kLevel | rte::kMasked));
  REQUIRE(r.io.eoi(0x51) == 1);
  REQUIRE(r.io.set_level(11, false) == IoApicStatus::kOk);
  r.write(hv::ioapic::redirection_low(11), static_cast<uint32_t>(fixed(0x51, 0) | kLevel));
  CHECK(r.sent.size() == 2);
}

TEST_CASE("vioapic: a pulse on a level input delivers once", "[hv][vioapic]") {
  Rig r;
  r.program(12, fixed(0x52, 0) | kLevel);
  REQUIRE(r.io.pulse(12) == IoApicStatus::kOk);
  REQUIRE(r.sent.size() == 1);
  CHECK_FALSE(r.io.line_asserted(12));
  CHECK(r.io.eoi(0x52) == 1);
  CHECK(r.sent.size() == 1);
}

TEST_CASE("vioapic: switching an entry to edge clears Remote IRR", "[hv][vioapic]") {
  // Linux's EOI for I/O APICs older than 20h (__eoi_ioapic_pin): edge, then level again.
  Rig r;
  r.program(9, fixed(0x49, 0) | kLevel);
  REQUIRE(r.io.set_level(9, true) == IoApicStatus::kOk);
  REQUIRE(r.sent.size() == 1);
  const uint8_t low = hv::ioapic::redirection_low(9);
  r.write(low, static_cast<uint32_t>(fixed(0x49, 0) | rte::kMasked));
  CHECK((r.entry(9) & rte::kRemoteIrr) == 0);
  r.write(low, static_cast<uint32_t>(fixed(0x49, 0) | kLevel));  // level again, still asserted
  CHECK(r.sent.size() == 2);
  CHECK((r.entry(9) & rte::kRemoteIrr) != 0);
}

TEST_CASE("vioapic: NMI, SMI, INIT and ExtINT are edge deliveries; reserved modes send nothing",
          "[hv][vioapic]") {
  Rig r;
  // An NMI entry programmed level-triggered: delivered on the rising edge, no Remote IRR.
  r.program(3, fixed(0, 0) | kLevel | 4u << rte::kDeliveryModeShift);
  REQUIRE(r.io.set_level(3, true) == IoApicStatus::kOk);
  REQUIRE(r.io.set_level(3, true) == IoApicStatus::kOk);
  REQUIRE(r.sent.size() == 1);
  CHECK(r.sent[0].mode == IoApicDeliveryMode::kNmi);
  CHECK(r.sent[0].trigger == IoApicTrigger::kEdge);
  CHECK((r.entry(3) & rte::kRemoteIrr) == 0);
  // ExtINT (virtual wire through the 8259 on pin 0).
  r.program(0, fixed(0, 0) | 7u << rte::kDeliveryModeShift);
  REQUIRE(r.io.pulse(0) == IoApicStatus::kOk);
  REQUIRE(r.sent.size() == 2);
  CHECK(r.sent[1].mode == IoApicDeliveryMode::kExtInt);
  // Delivery modes 3 and 6 are reserved: stored as written, never sent.
  for (const uint64_t mode : {uint64_t{3}, uint64_t{6}}) {
    r.program(6, fixed(0x66, 0) | kLevel | mode << rte::kDeliveryModeShift);
    CHECK(((r.entry(6) & rte::kDeliveryMode) >> rte::kDeliveryModeShift) == mode);
    REQUIRE(r.io.pulse(6) == IoApicStatus::kOk);
  }
  CHECK(r.sent.size() == 2);
  CHECK((r.entry(6) & rte::kRemoteIrr) == 0);
}

TEST_CASE("vioapic: writes to read-only and reserved bits are ignored", "[hv][vioapic]") {
  Rig r;
  r.program(8, fixed(0x48, 0) | kLevel);
  REQUIRE(r.io.set_level(8, true) == IoApicStatus::kOk);  // Remote IRR now set
  REQUIRE(r.sent.size() == 1);
  // Low dword: writing Remote IRR as 0, delivery status as 1 and bits 31:17 as 1 changes none
  // of them (and, the entry staying level, unmasked and in service, delivers nothing).
  const uint64_t in_service = fixed(0x48, 0) | kLevel | rte::kRemoteIrr;
  r.write(hv::ioapic::redirection_low(8),
          static_cast<uint32_t>(fixed(0x48, 0) | kLevel | rte::kDeliveryStatus) | 0xfffe0000u);
  CHECK((r.entry(8) & 0xffffffffu) == in_service);
  r.write(hv::ioapic::redirection_low(8), static_cast<uint32_t>(fixed(0x48, 0) | kLevel));
  CHECK((r.entry(8) & 0xffffffffu) == in_service);
  CHECK(r.sent.size() == 1);
  // High dword: bits 55:32 are reserved.
  r.write(static_cast<uint8_t>(hv::ioapic::redirection_low(8) + 1), 0x12ffffff);
  CHECK(r.entry(8) >> 32 == 0x12000000);
  // ID: only bits 27:24; version and arbitration are read-only.
  r.write(0x00, 0xf5ffffff);
  CHECK(r.read(0x00) == 0x05000000);
  CHECK(r.io.id() == 5);
  r.write(0x01, 0);
  r.write(0x02, 0);
  CHECK(r.read(0x01) == hv::ioapic::kVersion);
  CHECK(r.read(0x02) == 0x05000000);
  // Registers that do not exist: writes ignored.
  const auto before = r.snapshot();
  for (const uint8_t reg : {uint8_t{0x03}, uint8_t{0x0f}, uint8_t{0x40}, uint8_t{0xff}}) {
    r.write(reg, 0xffffffff);
    CHECK(r.read(reg) == 0);
  }
  auto after = r.snapshot();
  after[256] = before[256];  // IOREGSEL differs by construction
  CHECK(after == before);
}

TEST_CASE("vioapic: bad MMIO offsets and sizes are refused without change", "[hv][vioapic]") {
  Rig r;
  r.program(2, fixed(0x30, 0));
  REQUIRE(r.io.mmio_write(kSel, 4, 0x14) == IoApicStatus::kOk);  // pin 2, low
  const auto before = r.snapshot();
  struct Access {
    uint64_t offset;
    uint32_t size;
    IoApicStatus status;
  };
  const Access bad[] = {
      {kSel, 1, IoApicStatus::kBadSize},
      {kSel, 2, IoApicStatus::kBadSize},
      {kWin, 8, IoApicStatus::kBadSize},
      {kWin, 0, IoApicStatus::kBadSize},
      {kEoiReg, 1, IoApicStatus::kBadSize},
      {0x01, 4, IoApicStatus::kBadSize},
      {0x12, 4, IoApicStatus::kBadSize},
      {0x04, 4, IoApicStatus::kReserved},
      {0x20, 4, IoApicStatus::kReserved},
      {0x3c, 4, IoApicStatus::kReserved},
      {0x44, 4, IoApicStatus::kReserved},
      {0xffc, 4, IoApicStatus::kReserved},
      {hv::ioapic::kMmioSize, 4, IoApicStatus::kReserved},
      {uint64_t{1} << 32, 4, IoApicStatus::kReserved},  // would alias IOREGSEL if truncated
      {(uint64_t{1} << 32) | kWin, 4, IoApicStatus::kReserved},
      {~uint64_t{3}, 4, IoApicStatus::kReserved},
  };
  for (const Access& a : bad) {
    CAPTURE(a.offset, a.size);
    uint32_t v = 0x1234;
    CHECK(r.io.mmio_read(a.offset, a.size, v) == a.status);
    CHECK(v == 0);
    CHECK(r.io.mmio_write(a.offset, a.size, 0) == a.status);
    CHECK(r.io.mmio_write(a.offset, a.size, 0x30 | uint32_t{rte::kMasked}) == a.status);
  }
  CHECK(r.snapshot() == before);
  CHECK(r.sent.empty());
  CHECK(hv::describe(IoApicStatus::kBadSize) != nullptr);
}

TEST_CASE("vioapic: pin numbers out of range are refused", "[hv][vioapic]") {
  Rig r;
  for (unsigned pin = 0; pin < VirtualIoApic::kPins; ++pin) r.program(pin, fixed(0x40, 0));
  const auto before = r.snapshot();
  for (const unsigned pin : {24u, 31u, 32u, 255u, ~0u}) {
    CHECK(r.io.set_level(pin, true) == IoApicStatus::kBadPin);
    CHECK(r.io.set_level(pin, false) == IoApicStatus::kBadPin);
    CHECK(r.io.pulse(pin) == IoApicStatus::kBadPin);
    CHECK(r.io.redirection_entry(pin) == 0);
    CHECK_FALSE(r.io.line_asserted(pin));
  }
  CHECK(r.snapshot() == before);
  CHECK(r.sent.empty());
}

TEST_CASE("vioapic: random guest and device activity keeps the invariants", "[hv][vioapic]") {
  Rig r;
  std::mt19937_64 rng(0x10a71c);
  unsigned bad_deliveries = 0, bad_entries = 0;
  for (int step = 0; step < 100000; ++step) {
    const uint64_t x = rng();
    const unsigned pin = static_cast<unsigned>(x >> 8) % 26;  // 24, 25: out of range
    const size_t sent_before = r.sent.size();
    switch (x % 6) {
      case 0:
        static_cast<void>(r.io.set_level(pin, (x >> 16) & 1));
        break;
      case 1:
        static_cast<void>(r.io.pulse(pin));
        break;
      case 2:
        static_cast<void>(r.io.eoi(static_cast<uint8_t>(x >> 16)));
        break;
      case 3:  // IOREGSEL near the table, then IOWIN
        static_cast<void>(r.io.mmio_write(kSel, 4, static_cast<uint32_t>(x >> 16) % 0x44));
        static_cast<void>(r.io.mmio_write(kWin, 4, static_cast<uint32_t>(x >> 24)));
        break;
      default: {  // any access at all
        const uint32_t sizes[] = {1, 2, 4, 8};
        uint32_t v = 0;
        static_cast<void>(r.io.mmio_read((x >> 16) & 0x7f, sizes[(x >> 24) & 3], v));
        static_cast<void>(r.io.mmio_write((x >> 16) & 0x7f, sizes[(x >> 24) & 3],
                                          static_cast<uint32_t>(x >> 32)));
      }
    }
    for (size_t i = sent_before; i < r.sent.size(); ++i) {
      const IoApicDelivery& d = r.sent[i];
      const auto mode = static_cast<unsigned>(d.mode);
      const bool vectored = mode <= 1;
      if (d.pin >= VirtualIoApic::kPins || mode == 3 || mode == 6) ++bad_deliveries;
      if (d.trigger == IoApicTrigger::kLevel && !vectored) ++bad_deliveries;
      // Sent from the entry as it stands after the call (a write delivers after storing), which
      // must be unmasked.
      const uint64_t e = r.io.redirection_entry(d.pin);
      if ((e & rte::kMasked) != 0 || (e & rte::kVector) != d.vector ||
          e >> rte::kDestinationShift != d.destination) {
        ++bad_deliveries;
      }
    }
    if (r.sent.size() > sent_before + VirtualIoApic::kPins) ++bad_deliveries;
    for (unsigned p = 0; p < VirtualIoApic::kPins; ++p) {
      const uint64_t e = r.io.redirection_entry(p);
      if ((e & 0x00fffffffffe1000ull) != 0) ++bad_entries;  // reserved bits, delivery status
      if ((e & rte::kRemoteIrr) != 0 && (e & rte::kTriggerLevel) == 0) ++bad_entries;
    }
  }
  CHECK(bad_deliveries == 0);
  CHECK(bad_entries == 0);
  CHECK(r.sent.size() > 1000);
}
