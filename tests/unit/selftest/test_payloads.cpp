// The self-test payloads and their VM: the images the build produced have the shape their
// entry needs, the test device answers as test_device.h says, and a PayloadVm lays out, maps
// and starts its child as documented (run here against a script of the exits the real payload
// makes).
#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <string>

#include "selftest/payloads/memory_pattern.hpp"
#include "selftest/payloads/payload_vm.hpp"
#include "selftest/payloads/test_device.h"
#include "tests/fakes/fake_backend.hpp"
#include "vmm/long_mode.hpp"

using namespace rootstock::vmm;
using namespace rootstock::selftest::payloads;

namespace {

constexpr uint64_t kSumSize = 0x10000;

void print(std::deque<FakeExit>& script, const std::string& text) {
  for (const char c : text) {
    script.push_back(FakeExit::io_out(PAYLOAD_PORT_CONSOLE, 1, static_cast<uint8_t>(c), 2));
  }
}

}  // namespace

TEST_CASE("payloads: real16 is a 64 KiB ROM whose reset vector jumps to its start") {
  const auto rom = image(PayloadKind::kReal16);
  REQUIRE(rom.size() == PAYLOAD_ROM_SIZE);
  // CS.base 0xffff0000 + IP 0xfff0 is offset 0xfff0: a near JMP rel16 (e9) to offset 0.
  REQUIRE(rom[0xfff0] == 0xe9);
  const uint16_t rel = static_cast<uint16_t>(rom[0xfff1] | rom[0xfff2] << 8);
  CHECK(static_cast<uint16_t>(0xfff3 + rel) == 0);
  CHECK(rom[0] == 0xfa);  // start16: cli
  CHECK(std::string(name(PayloadKind::kReal16)) == "real16");
}

TEST_CASE("payloads: long64 fits in low RAM at its load address") {
  const auto code = image(PayloadKind::kLong64);
  REQUIRE_FALSE(code.empty());
  CHECK(PAYLOAD_LONG64_GPA + code.size() <= PAYLOAD_LOW_RAM_GPA + PAYLOAD_LOW_RAM_SIZE);
  CHECK(PAYLOAD_STACK_TOP <= PAYLOAD_LONG64_GPA);
  CHECK(code[0] == 0x66);  // mov dx, PAYLOAD_PORT_ID
  // The tables setup_long_mode() writes lie below the stack and the code.
  const LongModeLayout layout;
  CHECK(layout.pd + 0x1000 <= PAYLOAD_STACK_TOP - 0x1000);
}

TEST_CASE("payloads: irq64 fits in low RAM at its load address and starts with CLI") {
  const auto code = image(PayloadKind::kIrq64);
  REQUIRE_FALSE(code.empty());
  CHECK(PAYLOAD_LONG64_GPA + code.size() <= PAYLOAD_LOW_RAM_GPA + PAYLOAD_LOW_RAM_SIZE);
  CHECK(code[0] == 0xfa);  // cli: no interrupt before its IDT is loaded
  CHECK(std::string(name(PayloadKind::kIrq64)) == "irq64");
  // Its IDT's code selector is the one the VMM's long-mode GDT has.
  CHECK(PAYLOAD_CODE_SELECTOR == kLongModeCodeSelector);
}

TEST_CASE("payloads: the test device gives irq64 its parameters and keeps its report") {
  PayloadDevice dev({1, PAYLOAD_SUM_GPA, 0x1000, 250, 24000000});
  CHECK(dev.in(PAYLOAD_PORT_IRQ_COUNT, 4) == 250);
  CHECK(dev.in(PAYLOAD_PORT_IRQ_SPIN, 4) == 24000000);
  CHECK_FALSE(dev.irq_report().has_taken);
  CHECK_FALSE(dev.irq_report().has_nested);
  (void)dev.out(PAYLOAD_PORT_IRQ_TAKEN, 4, 251);
  (void)dev.out(PAYLOAD_PORT_IRQ_NESTED, 2, 1);  // not a dword: not a report
  CHECK(dev.irq_report().has_taken);
  CHECK(dev.irq_report().taken == 251);
  CHECK_FALSE(dev.irq_report().has_nested);
  (void)dev.out(PAYLOAD_PORT_IRQ_NESTED, 4, 1);
  CHECK(dev.irq_report().has_nested);
  CHECK(dev.irq_report().nested == 1);
  (void)dev.out(PAYLOAD_PORT_NMI_TAKEN, 4, 2);
  (void)dev.out(PAYLOAD_PORT_NMI_NESTED, 4, 0);
  CHECK(dev.irq_report().has_nmi_taken);
  CHECK(dev.irq_report().nmi_taken == 2);
  CHECK(dev.irq_report().has_nmi_nested);
  CHECK(dev.irq_report().nmi_nested == 0);
  CHECK(dev.stray_accesses() == 0);
}

TEST_CASE("payloads: an irq64 VM starts in 64-bit mode at the long64 load address") {
  FakeBackend fake;
  PayloadVmConfig config;
  config.kind = PayloadKind::kIrq64;
  config.id = 2;
  config.sum_size = kSumSize;
  config.irq_count = 3;
  config.irq_spin_cycles = 1000;
  auto vm = PayloadVm::create(fake, config);
  REQUIRE(vm);
  const FakePartition& p = fake.partition(0);
  REQUIRE_FALSE(p.mappings.empty());
  CHECK(std::memcmp(p.mappings[0].host + PAYLOAD_LONG64_GPA, image(PayloadKind::kIrq64).data(),
                    image(PayloadKind::kIrq64).size()) == 0);
  FakeVp& v = fake.vp(0, 0);
  CHECK(v.registers.at(RS_REG_RIP).scalar.value == PAYLOAD_LONG64_GPA);
  CHECK((v.registers.at(RS_REG_CR0).scalar.value & cr0::kPg) != 0);
  PayloadDevice dev = (*vm)->device();  // a copy: answering an IN counts as state
  CHECK(dev.in(PAYLOAD_PORT_IRQ_COUNT, 4) == 3);
  CHECK(dev.in(PAYLOAD_PORT_IRQ_SPIN, 4) == 1000);
}

TEST_CASE("payloads: the test device answers its ports and window, and bounds its logs") {
  PayloadDevice dev({7, PAYLOAD_SUM_GPA, 0x1000});
  CHECK(dev.in(PAYLOAD_PORT_ID, 4) == 7);
  CHECK(dev.in(PAYLOAD_PORT_SUM_BASE, 4) == PAYLOAD_SUM_GPA);
  CHECK(dev.in(PAYLOAD_PORT_SUM_SIZE, 4) == 0x1000);
  CHECK(dev.in(PAYLOAD_PORT_ID, 1) == 0xffffffff);  // only dword reads are defined
  CHECK(dev.in(0x60, 1) == 0xffffffff);
  CHECK(dev.stray_accesses() == 2);
  for (const char c : std::string("one\ntw\x01o\n")) {
    (void)dev.out(PAYLOAD_PORT_CONSOLE, 1, static_cast<uint8_t>(c));
  }
  (void)dev.out(PAYLOAD_PORT_CONSOLE, 1, 'x');  // no newline yet: not a line
  CHECK(dev.lines() == std::vector<std::string>{"one", "tw?o"});
  CHECK(dev.read(PAYLOAD_MMIO_GPA, 4) == PAYLOAD_MMIO_READ_VALUE);
  CHECK(dev.read(PAYLOAD_MMIO_GPA + 4, 4) == ~0ull);
  CHECK(dev.write(PAYLOAD_MMIO_GPA + 8, 4, 0xc0ffee07) == Next::kContinue);
  CHECK(dev.stray_accesses() == 2);
  (void)dev.read(0xfee00000, 4);
  CHECK(dev.stray_accesses() == 3);
  REQUIRE(dev.mmio_writes().size() == 1);
  CHECK(dev.mmio_writes()[0].value == 0xc0ffee07);
  CHECK_FALSE(dev.has_checksum());
  (void)dev.out(PAYLOAD_PORT_SUM, 4, 0x1234);
  CHECK(dev.has_checksum());
  CHECK(dev.checksum() == 0x1234);

  PayloadDevice flood({0, 0, 0});
  for (int i = 0; i < 100000; ++i)
    (void)flood.out(PAYLOAD_PORT_CONSOLE, 1, i % 300 == 0 ? '\n' : 'a');
  CHECK(flood.lines().size() == PayloadDevice::kMaxLines);
  for (const auto& l : flood.lines()) REQUIRE(l.size() <= PayloadDevice::kMaxLineLength);
  for (int i = 0; i < 1000; ++i) (void)flood.write(PAYLOAD_MMIO_GPA, 4, 0);
  CHECK(flood.mmio_writes().size() == PayloadDevice::kMaxAccesses);
}

TEST_CASE("payloads: a real16 VM maps its ROM at the reset vector and keeps the RESET state") {
  FakeBackend fake;
  auto vm = PayloadVm::create(fake, {PayloadKind::kReal16, 3, kSumSize, 11});
  REQUIRE(vm);
  const FakePartition& p = fake.partition(0);
  REQUIRE(p.mappings.size() == 3);
  CHECK(p.mappings[0].gpa == PAYLOAD_LOW_RAM_GPA);
  CHECK(p.mappings[0].flags == (RS_ACCESS_READ | RS_ACCESS_WRITE | RS_ACCESS_EXECUTE));
  CHECK(p.mappings[1].gpa == PAYLOAD_SUM_GPA);
  CHECK(p.mappings[1].size == kSumSize);
  CHECK(p.mappings[1].flags == (RS_ACCESS_READ | RS_ACCESS_WRITE));
  CHECK(p.mappings[2].gpa == PAYLOAD_ROM_GPA);
  CHECK(p.mappings[2].size == PAYLOAD_ROM_SIZE);
  CHECK(p.mappings[2].flags == (RS_ACCESS_READ | RS_ACCESS_EXECUTE));
  CHECK(std::memcmp(p.mappings[2].host, image(PayloadKind::kReal16).data(), PAYLOAD_ROM_SIZE) == 0);
  const auto& calls = fake.state().calls;
  CHECK(std::none_of(calls.begin(), calls.end(),
                     [](const std::string& c) { return c.starts_with("set_registers"); }));
  // No mapping covers the MMIO window: the payload's accesses there must exit.
  for (const auto& m : p.mappings) {
    CHECK((PAYLOAD_MMIO_GPA + PAYLOAD_MMIO_SIZE <= m.gpa || m.gpa + m.size <= PAYLOAD_MMIO_GPA));
  }
}

TEST_CASE("payloads: a long64 VM runs a scripted payload through the device to its halt") {
  FakeBackend fake;
  const uint32_t id = 5;
  auto created = PayloadVm::create(fake, {PayloadKind::kLong64, id, kSumSize, 99});
  REQUIRE(created);
  PayloadVm* vm = created->get();
  const FakePartition& p = fake.partition(0);
  REQUIRE(p.mappings.size() == 2);
  CHECK(std::memcmp(p.mappings[0].host + PAYLOAD_LONG64_GPA, image(PayloadKind::kLong64).data(),
                    image(PayloadKind::kLong64).size()) == 0);
  FakeVp& v = fake.vp(0, 0);
  CHECK(v.registers.at(RS_REG_RIP).scalar.value == PAYLOAD_LONG64_GPA);
  CHECK(v.registers.at(RS_REG_RSP).scalar.value == PAYLOAD_STACK_TOP);
  CHECK((v.registers.at(RS_REG_CR0).scalar.value & cr0::kPg) != 0);

  // The expected checksum is over the pattern the VMM wrote into the mapped range.
  std::span<const uint8_t> sum(p.mappings[1].host, kSumSize);
  CHECK(vm->expected_checksum() == payload_checksum(sum));
  CHECK(pattern_word(99, 1) == *reinterpret_cast<const uint32_t*>(sum.data() + 4));

  auto& s = v.script;
  s.push_back(FakeExit::io_in(PAYLOAD_PORT_ID, 4));
  print(s, "payload long64 id=5\n");
  rs_run_regs regs{};
  regs.rip = 0x1002d;
  regs.gpr[RS_REG_RBX] = PAYLOAD_MMIO_GPA;
  const uint8_t load[] = {0x8b, 0x03};
  s.push_back(FakeExit::memory(PAYLOAD_MMIO_GPA, RS_ACCESS_READ, load));
  s.back().regs = regs;
  s.push_back(FakeExit::io_out(PAYLOAD_PORT_MMIO_SEEN, 4, PAYLOAD_MMIO_READ_VALUE));
  regs.rip = 0x10056;
  regs.gpr[RS_REG_RCX] = PAYLOAD_MMIO_WRITE_BASE + id;
  const uint8_t store[] = {0x89, 0x4b, 0x08};
  s.push_back(FakeExit::memory(PAYLOAD_MMIO_GPA + 8, RS_ACCESS_WRITE, store));
  s.back().regs = regs;
  s.push_back(FakeExit::io_in(PAYLOAD_PORT_SUM_BASE, 4));
  s.push_back(FakeExit::io_in(PAYLOAD_PORT_SUM_SIZE, 4));
  s.push_back(FakeExit::io_out(PAYLOAD_PORT_SUM, 4, vm->expected_checksum()));
  s.push_back(FakeExit::halt());

  auto exit = vm->run();
  REQUIRE(exit);
  CHECK(exit->kind == VpExit::Kind::kHalt);
  const PayloadDevice& dev = vm->device();
  CHECK(dev.lines() == std::vector<std::string>{"payload long64 id=5"});
  REQUIRE(dev.mmio_reads().size() == 1);
  CHECK(dev.mmio_reads()[0].gpa == PAYLOAD_MMIO_GPA);
  CHECK(dev.mmio_reads()[0].size == 4);
  REQUIRE(dev.mmio_writes().size() == 1);
  CHECK(dev.mmio_writes()[0].gpa == PAYLOAD_MMIO_GPA + PAYLOAD_MMIO_WRITE_OFFSET);
  CHECK(dev.mmio_writes()[0].value == PAYLOAD_MMIO_WRITE_BASE + id);
  CHECK(dev.has_mmio_seen());
  CHECK(dev.mmio_seen() == PAYLOAD_MMIO_READ_VALUE);
  CHECK(dev.has_checksum());
  CHECK(dev.checksum() == vm->expected_checksum());
  CHECK(dev.stray_accesses() == 0);
  // What the payload's INs got, as completed in the run page.
  CHECK(v.entries.at(1).io_data == id);
  CHECK(v.state.gpr[RS_REG_RAX] == kSumSize);  // the last IN (sum size) landed in EAX
}

TEST_CASE("payloads: a VM refuses a checksum range it cannot describe to the payload") {
  FakeBackend fake;
  CHECK_FALSE(PayloadVm::create(fake, {PayloadKind::kLong64, 0, 0x1001, 0}));
  CHECK_FALSE(PayloadVm::create(fake, {PayloadKind::kLong64, 0, uint64_t{4} << 30, 0}));
  CHECK(fake.state().partitions.empty());
}
