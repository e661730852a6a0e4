// Interrupt routing in a child partition (hv/partition/child_interrupts.hpp) and
// PARTITION_INTERRUPT with the interrupt registers of VP_GET/SET_REGISTERS
// (docs/hypercalls.md "Child interrupts").
#include <catch2/catch_test_macros.hpp>

#include <memory>

#include "fake_machine.hpp"
#include "partition/child_interrupts.hpp"

using namespace hv;
using fake::World;

namespace {

constexpr uint32_t kSvr = 0x0f0, kEoi = 0x0b0, kLdr = 0x0d0;
constexpr uint64_t kBit0 = 1, kBit1 = 2, kBit2 = 4;

// A partition with `count` VPs whose LAPICs are software-enabled (SVR bit 8), built directly:
// the routing under test needs no calls around it.
struct Board {
  World world;
  std::unique_ptr<Partition> p;
  explicit Board(uint32_t count) : p(std::make_unique<Partition>(world.table, world.machine, 1)) {
    for (uint32_t i = 0; i < count; ++i) {
      VirtualLapicConfig c;
      c.apic_id = i;
      c.bootstrap = i == 0;
      p->vps[i].lapic = VirtualLapic(c);
      p->vps[i].exists = true;
      LapicActions none;
      REQUIRE(p->vps[i].lapic.mmio_write(kSvr, 4, 0x1ff, 0, none) == LapicStatus::kOk);
    }
  }
  VirtualLapic& lapic(uint32_t i) { return p->vps[i].lapic; }
};

LapicIpi fixed(uint32_t destination, uint8_t vector) {
  LapicIpi m;
  m.destination = destination;
  m.vector = vector;
  return m;
}

uint64_t msi_address(uint32_t destination, bool logical = false) {
  return RS_MSI_ADDRESS_BASE | (uint64_t{destination} << RS_MSI_ADDRESS_DEST_SHIFT) |
         (logical ? RS_MSI_ADDRESS_DEST_LOGICAL : 0);
}

uint64_t msi_data(uint8_t vector, unsigned delivery = 0, bool level = false) {
  return vector | (uint64_t{delivery} << RS_MSI_DATA_DELIVERY_SHIFT) |
         (level ? RS_MSI_DATA_TRIGGER_LEVEL | RS_MSI_DATA_LEVEL_ASSERT : 0);
}

}  // namespace

TEST_CASE("child interrupts: a fixed message reaches the LAPIC it names", "[hv][interrupts]") {
  Board b(3);
  CHECK(route_interrupt(*b.p, fixed(1, 0x40), kNoSenderVp) == kBit1);
  CHECK(b.lapic(1).irr(0x40));
  CHECK_FALSE(b.lapic(0).irr(0x40));
  // Broadcast (FFh in xAPIC mode) reaches all; "all excluding self" not the sender.
  CHECK(route_interrupt(*b.p, fixed(0xff, 0x41), kNoSenderVp) == (kBit0 | kBit1 | kBit2));
  LapicIpi others = fixed(0, 0x42);
  others.shorthand = IpiShorthand::kAllExcludingSelf;
  CHECK(route_interrupt(*b.p, others, 2) == (kBit0 | kBit1));
  // A software-disabled LAPIC drops fixed interrupts (SDM 11.4.7.2): not reached.
  LapicActions none;
  REQUIRE(b.lapic(2).mmio_write(kSvr, 4, 0xff, 0, none) == LapicStatus::kOk);
  CHECK(route_interrupt(*b.p, fixed(2, 0x43), kNoSenderVp) == 0);
  // No VP has APIC ID 7.
  CHECK(route_interrupt(*b.p, fixed(7, 0x44), kNoSenderVp) == 0);
}

TEST_CASE("child interrupts: logical and lowest-priority destinations", "[hv][interrupts]") {
  Board b(3);
  LapicActions none;
  // Flat logical IDs 1, 2, 4 (LDR bits 31:24).
  for (uint32_t i = 0; i < 3; ++i) {
    REQUIRE(b.lapic(i).mmio_write(kLdr, 4, (1u << i) << 24, 0, none) == LapicStatus::kOk);
  }
  LapicIpi m = fixed(0x6, 0x50);
  m.logical = true;
  CHECK(route_interrupt(*b.p, m, kNoSenderVp) == (kBit1 | kBit2));
  // Lowest priority: exactly one of the matching LAPICs, the one with the lowest APR.
  REQUIRE(b.lapic(1).mmio_write(0x080, 4, 0x80, 0, none) == LapicStatus::kOk);  // TPR
  m.vector = 0x51;
  m.delivery = IpiDelivery::kLowestPriority;
  CHECK(route_interrupt(*b.p, m, kNoSenderVp) == kBit2);
  CHECK(b.lapic(2).irr(0x51));
  CHECK_FALSE(b.lapic(1).irr(0x51));
}

TEST_CASE("child interrupts: INIT and STARTUP start an AP once", "[hv][interrupts]") {
  Board b(2);
  LapicIpi init = fixed(1, 0);
  init.delivery = IpiDelivery::kInit;
  CHECK(route_interrupt(*b.p, init, 0) == kBit1);
  CHECK(b.p->vps[1].activity == RS_ACTIVITY_WAIT_FOR_SIPI);
  CHECK(b.p->vps[1].init_pending);
  CHECK_FALSE(b.lapic(1).software_enabled());  // INIT reset the LAPIC's registers
  // INIT level de-assert changes nothing.
  LapicIpi deassert = init;
  deassert.trigger = TriggerMode::kLevel;
  deassert.level_assert = false;
  CHECK(route_interrupt(*b.p, deassert, 0) == 0);
  LapicIpi sipi = fixed(1, 0x9a);
  sipi.delivery = IpiDelivery::kStartup;
  CHECK(route_interrupt(*b.p, sipi, 0) == kBit1);
  CHECK(b.p->vps[1].activity == RS_ACTIVITY_RUNNING);
  CHECK(b.p->vps[1].sipi_pending);
  CHECK(b.p->vps[1].sipi_vector == 0x9a);
  // The second STARTUP of INIT-SIPI-SIPI is ignored: the VP no longer waits.
  sipi.vector = 0x77;
  (void)route_interrupt(*b.p, sipi, 0);
  CHECK(b.p->vps[1].sipi_vector == 0x9a);
  // INIT to the bootstrap VP restarts it rather than parking it.
  init.destination = 0;
  (void)route_interrupt(*b.p, init, 1);
  CHECK(b.p->vps[0].activity == RS_ACTIVITY_RUNNING);
  CHECK(b.p->vps[0].init_pending);
}

TEST_CASE("child interrupts: MSI address and data", "[hv][interrupts]") {
  LapicIpi m;
  REQUIRE(msi_message(msi_address(3), msi_data(0x61), m));
  CHECK(m.destination == 3);
  CHECK(m.vector == 0x61);
  CHECK(m.delivery == IpiDelivery::kFixed);
  CHECK_FALSE(m.logical);
  REQUIRE(msi_message(msi_address(5, true), msi_data(0x62, 1, true), m));
  CHECK(m.logical);
  CHECK(m.delivery == IpiDelivery::kLowestPriority);
  CHECK(m.trigger == TriggerMode::kLevel);
  CHECK_FALSE(msi_message(0xfed00000, msi_data(0x61), m));                     // not FEEx_xxxx
  CHECK_FALSE(msi_message(msi_address(1) | (1ull << 32), msi_data(0x61), m));  // high address
  CHECK_FALSE(msi_message(msi_address(1) | 0x10, msi_data(0x61), m));          // bits 11:4
  CHECK_FALSE(msi_message(msi_address(1), msi_data(0x61) | (1ull << 16), m));  // data 31:16
  CHECK_FALSE(msi_message(msi_address(1), msi_data(0x61, 3), m));              // reserved mode
  CHECK_FALSE(msi_message(msi_address(1), msi_data(0x61, 7), m));              // ExtINT
  CHECK_FALSE(msi_message(msi_address(1), msi_data(0x0f), m));                 // illegal vector
}

TEST_CASE("child interrupts: kicks for VPs in the loop, wakes for the others", "[hv][interrupts]") {
  Board b(3);
  b.p->vps[0].in_guest = true;
  b.p->vps[0].cpu = 5;
  b.p->vps[1].in_guest = true;
  b.p->vps[1].cpu = 2;
  CHECK(kick_reached(*b.p, kBit0 | kBit1 | kBit2, b.world.machine, 2) == kBit2);
  REQUIRE(b.world.machine.kicks.size() == 1);  // VP 1 runs on the calling CPU: no kick
  CHECK(b.world.machine.kicks[0] == 5);
}

TEST_CASE("child interrupts: a level-triggered I/O APIC pin and its EOI", "[hv][interrupts]") {
  Board b(2);
  // Pin 9: vector 0x39, level-triggered, to APIC ID 1.
  b.p->ioapic.write_register(ioapic::redirection_low(9) + 1, 1u << 24);
  b.p->ioapic.write_register(ioapic::redirection_low(9), 0x39 | (1u << 15));
  b.p->reached = 0;
  REQUIRE(b.p->ioapic.set_level(9, true) == IoApicStatus::kOk);
  CHECK(b.p->reached == kBit1);
  CHECK(b.lapic(1).tmr(0x39));
  // Taken and ended while the line is still high: delivered again through the EOI.
  REQUIRE(b.lapic(1).on_delivered(0x39) == LapicStatus::kOk);
  LapicActions actions;
  REQUIRE(b.lapic(1).mmio_write(kEoi, 4, 0, 0, actions) == LapicStatus::kOk);
  REQUIRE(actions.eoi.valid);
  CHECK(broadcast_eoi(*b.p, actions.eoi) == kBit1);
  CHECK(b.lapic(1).irr(0x39));
  // An edge-triggered EOI does not reach the I/O APIC.
  LapicEoi edge;
  edge.valid = true;
  edge.vector = 0x39;
  CHECK(broadcast_eoi(*b.p, edge) == 0);
}

TEST_CASE("PARTITION_INTERRUPT checks its arguments", "[hv][interrupts]") {
  World w;
  uint64_t id = 0;
  REQUIRE(w.partitions->create(0, id).status == RS_STATUS_SUCCESS);
  uint64_t wake = 99;
  CHECK(w.partitions->interrupt(id, RS_INTERRUPT_GSI_EDGE | (1ull << 9), 4, wake).status ==
        RS_STATUS_RESERVED_NONZERO);
  CHECK(w.partitions->interrupt(id + 1, RS_INTERRUPT_GSI_EDGE, 4, wake).status ==
        RS_STATUS_INVALID_PARTITION_ID);
  CHECK(w.partitions->interrupt(id, 0, 4, wake).status == RS_STATUS_INVALID_PARAMETER);
  CHECK(w.partitions->interrupt(id, 4, 4, wake).status == RS_STATUS_INVALID_PARAMETER);
  CHECK(w.partitions->interrupt(id, RS_INTERRUPT_GSI_EDGE, RS_INTERRUPT_GSI_COUNT, wake).status ==
        RS_STATUS_INVALID_PARAMETER);
  CHECK(
      w.partitions->interrupt(id, RS_INTERRUPT_GSI_EDGE | RS_INTERRUPT_ASSERTED, 4, wake).status ==
      RS_STATUS_INVALID_PARAMETER);
  CHECK(w.partitions->interrupt(id, RS_INTERRUPT_MSI, 0xfec00000ull, wake).status ==
        RS_STATUS_INVALID_PARAMETER);
  CHECK(w.partitions->interrupt(id, RS_INTERRUPT_GSI_LEVEL | RS_INTERRUPT_ASSERTED, 23, wake)
            .status == RS_STATUS_SUCCESS);
  CHECK(wake == 0);  // every pin is masked after RESET
}

TEST_CASE("PARTITION_INTERRUPT: INIT and STARTUP by MSI, seen in RS_REG_ACTIVITY",
          "[hv][interrupts]") {
  World w;
  uint64_t id = 0;
  REQUIRE(w.partitions->create(0, id).status == RS_STATUS_SUCCESS);
  rs_hc_deposit_input in{};
  in.partition_id = id;
  for (unsigned i = 0; i < 5; ++i) in.frames[i] = w.root_frame();
  REQUIRE(w.partitions->deposit(in, 0, 0, 5).status == RS_STATUS_SUCCESS);
  REQUIRE(w.partitions->vp_create(id, 0, w.root_frame()).status == RS_STATUS_SUCCESS);
  REQUIRE(w.partitions->vp_create(id, 1, w.root_frame()).status == RS_STATUS_SUCCESS);
  auto get = [&](uint32_t vp, uint32_t name) {
    rs_hc_get_registers_input g{};
    g.partition_id = id;
    g.vp_index = vp;
    g.names[0] = name;
    rs_hc_get_registers_output out{};
    REQUIRE(w.partitions->get_registers(g, 0, 1, out).status == RS_STATUS_SUCCESS);
    return out.values[0].scalar.value;
  };
  auto set = [&](uint32_t vp, uint32_t name, uint64_t value) {
    rs_hc_set_registers_input s{};
    s.partition_id = id;
    s.vp_index = vp;
    s.elements[0].name = name;
    s.elements[0].value.scalar.value = value;
    return w.partitions->set_registers(s, 0, 1).status;
  };
  CHECK(get(0, RS_REG_APIC_BASE) == 0xfee00900);  // EN, BSP (SDM 11.4.4)
  CHECK(get(1, RS_REG_APIC_BASE) == 0xfee00800);
  CHECK(get(1, RS_REG_ACTIVITY) == RS_ACTIVITY_RUNNING);
  CHECK(set(1, RS_REG_ACTIVITY, 2) == RS_STATUS_INVALID_PARAMETER);
  uint64_t wake = 0;
  // An MSI cannot carry a STARTUP (mode 6 is reserved there, SDM 11.11.2); INIT it can.
  const uint64_t sipi = (msi_data(0x10, 6) << 32) | msi_address(1);
  CHECK(w.partitions->interrupt(id, RS_INTERRUPT_MSI, sipi, wake).status ==
        RS_STATUS_INVALID_PARAMETER);
  const uint64_t init = (msi_data(0, 5) << 32) | msi_address(1);
  REQUIRE(w.partitions->interrupt(id, RS_INTERRUPT_MSI, init, wake).status == RS_STATUS_SUCCESS);
  CHECK(wake == kBit1);  // not in a run loop: the root wakes it
  CHECK(get(1, RS_REG_ACTIVITY) == RS_ACTIVITY_WAIT_FOR_SIPI);
  CHECK(set(1, RS_REG_ACTIVITY, RS_ACTIVITY_RUNNING) == RS_STATUS_SUCCESS);
  CHECK(get(1, RS_REG_ACTIVITY) == RS_ACTIVITY_RUNNING);
  // IA32_APIC_BASE: to x2APIC and not back (SDM 11.12.5).
  CHECK(set(1, RS_REG_APIC_BASE, 0xfee00c00) == RS_STATUS_SUCCESS);
  CHECK(get(1, RS_REG_APIC_BASE) == 0xfee00c00);
  CHECK(set(1, RS_REG_APIC_BASE, 0xfee00800) == RS_STATUS_INVALID_PARAMETER);
  CHECK(get(1, RS_REG_APIC_BASE) == 0xfee00c00);
}
