// Fuzzes hv's model of a child's interrupt controllers: one local APIC (hv/vlapic/) and the
// I/O APIC (hv/vioapic/) wired to it as hv wires them (fixed and lowest-priority deliveries
// into the LAPIC's IRR, a level-triggered EOI back to the I/O APIC).
//
// Input: byte 0 is the timer's TSC ticks per bus tick - 1; then operations, each an opcode byte
// and its operands (see the switch below): xAPIC page and x2APIC MSR reads and writes,
// IA32_APIC_BASE, the CPU taking the highest deliverable vector, EOIs, TPR and CR8, I/O APIC
// page accesses, register writes and input lines, INIT and RESET, and timer ticks (the host TSC
// moving forward, then advance()).
// Checked after every operation: no vector below 16 is ever in the IRR or ISR (those are
// exceptions, never interrupts: SDM 11.5.2 "receive illegal vector"); after a tick, a timer
// still armed has its next deadline strictly later than now (a periodic timer always makes
// progress: never a zero period, never a deadline that stays behind the clock).
#include <cstddef>
#include <cstdint>

#include "arch/x86/msr.hpp"
#include "vioapic/vioapic.hpp"
#include "vlapic/vlapic.hpp"

using namespace hv;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return at_ >= size_; }
  uint8_t u8() { return at_ < size_ ? data_[at_++] : 0; }
  uint16_t u16() { return static_cast<uint16_t>(u8() | u8() << 8); }
  uint32_t u32() { return u16() | uint32_t{u16()} << 16; }
  uint64_t u64() { return u32() | uint64_t{u32()} << 32; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

struct Rig {
  VirtualLapic lapic;
  VirtualIoApic ioapic{&Rig::deliver, this, 0};
  uint64_t now = 1000;

  explicit Rig(uint32_t ratio) : lapic(VirtualLapicConfig{0, true, ratio, 48}) {}

  static void deliver(void* context, const IoApicDelivery& d) {
    auto& rig = *static_cast<Rig*>(context);
    if (d.mode != IoApicDeliveryMode::kFixed && d.mode != IoApicDeliveryMode::kLowestPriority) {
      return;
    }
    const TriggerMode trigger =
        d.trigger == IoApicTrigger::kLevel ? TriggerMode::kLevel : TriggerMode::kEdge;
    (void)rig.lapic.accept(d.vector, trigger);
  }

  void after_lapic_write(const LapicActions& actions) {
    if (actions.eoi.valid && actions.eoi.trigger == TriggerMode::kLevel) {
      (void)ioapic.eoi(actions.eoi.vector);
    }
    if (actions.send_ipi && actions.ipi.delivery == IpiDelivery::kFixed &&
        actions.ipi.shorthand != IpiShorthand::kSelf && lapic.matches(actions.ipi, true)) {
      (void)lapic.accept(actions.ipi.vector, actions.ipi.trigger);
    }
  }

  // An MSR the LAPIC owns: x2APIC registers, IA32_APIC_BASE, IA32_TSC_DEADLINE.
  static uint32_t msr(uint8_t pick) {
    if (pick == 0xfe) return static_cast<uint32_t>(x86::Msr::kApicBase);
    if (pick == 0xff) return apic::kMsrTscDeadline;
    return apic::kMsrX2apicFirst + pick;
  }

  void step(Reader& in) {
    switch (in.u8() % 16) {
      case 0: {
        LapicActions actions;
        const uint32_t offset = in.u16() & 0xfff;
        if (lapic.mmio_write(offset, 4, in.u32(), now, actions) == LapicStatus::kOk) {
          after_lapic_write(actions);
        }
        break;
      }
      case 1: {
        uint32_t value = 0;
        const uint32_t offset = in.u16() & 0xfff;
        (void)lapic.mmio_read(offset, 1u << (in.u8() & 3), now, value);
        break;
      }
      case 2: {
        LapicActions actions;
        const uint32_t m = msr(in.u8());
        if (lapic.msr_write(m, in.u64(), now, actions) == LapicStatus::kOk) {
          after_lapic_write(actions);
        }
        break;
      }
      case 3: {
        uint64_t value = 0;
        (void)lapic.msr_read(msr(in.u8()), now, value);
        break;
      }
      case 4: {
        // Mostly the architectural base, with EN, EXTD and BSP as the input says.
        const uint8_t b = in.u8();
        const uint64_t value = (b & 0x80) != 0 ? in.u64() : apic::kDefaultBase | (b & 0x7u) << 9;
        (void)lapic.write_apic_base(value);
        break;
      }
      case 5: {
        // A timer tick: the host TSC moves on by up to 2^47 ticks.
        const uint64_t delta = uint64_t{in.u16()} << (in.u8() % 32);
        now += delta;
        (void)lapic.advance(now);
        const uint64_t next = lapic.next_deadline_tsc();
        check(next == 0 || next > now);
        break;
      }
      case 6:
        (void)lapic.accept(in.u8(), (in.u8() & 1) != 0 ? TriggerMode::kLevel : TriggerMode::kEdge);
        break;
      case 7: {
        uint8_t vector = 0;
        if (lapic.highest_deliverable(vector)) {
          check(vector >= 16);
          check(lapic.on_delivered(vector) == LapicStatus::kOk);
        }
        break;
      }
      case 8: {
        LapicActions actions;
        actions.eoi = lapic.eoi();
        after_lapic_write(actions);
        break;
      }
      case 9:
        if ((in.u8() & 1) != 0) {
          lapic.set_tpr(in.u8());
        } else {
          (void)lapic.set_cr8(in.u8() & 0x1f);
        }
        break;
      case 10: {
        const uint64_t offset = in.u8();
        (void)ioapic.mmio_write(offset, 1u << (in.u8() & 3), in.u32());
        break;
      }
      case 11: {
        uint32_t value = 0;
        const uint64_t offset = in.u8();
        (void)ioapic.mmio_read(offset, 1u << (in.u8() & 3), value);
        break;
      }
      case 12: {
        const uint8_t b = in.u8();
        if ((b & 0x80) != 0) {
          (void)ioapic.pulse(b & 0x1f);
        } else {
          (void)ioapic.set_level(b & 0x1f, (b & 0x40) != 0);
        }
        break;
      }
      case 13: {
        const uint8_t index = in.u8();
        ioapic.write_register(index, in.u32());
        break;
      }
      case 14:
        (void)ioapic.eoi(in.u8());
        break;
      case 15: {
        const uint8_t b = in.u8();
        if (b == 0xff) {
          lapic.reset();
        } else if (b == 0xfe) {
          ioapic.reset();
        } else if (b == 0xfd) {
          lapic.init_reset();
        } else {
          lapic.set_tsc_offset(uint64_t{b} << 20);
        }
        break;
      }
    }
    for (uint8_t v = 0; v < 16; ++v) check(!lapic.irr(v) && !lapic.isr(v));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  Reader in(data + 1, size - 1);
  Rig rig(uint32_t{data[0]} + 1);
  for (unsigned steps = 0; !in.done() && steps < 1024; ++steps) rig.step(in);
  return 0;
}
