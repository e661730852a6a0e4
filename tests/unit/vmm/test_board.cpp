// The board a child's devices are plugged into: interrupt lines where the MADT routes ISA IRQs
// (one line a GSI), the PC's devices each reaching its ports and its line, the owner's controls
// (power button, console in and out), and one lock per device: a device's accesses are
// serialised, two devices' are not serialised against each other.
#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "vmm/board.hpp"
#include "vmm/devices/reset_port.hpp"
#include "vmm/pc_devices.hpp"

using namespace rootstock::vmm;

namespace {

struct RecordingSink final : InterruptSink {
  std::mutex mutex;
  std::vector<std::pair<uint32_t, bool>> levels;  // level lines: GSI and asserted
  std::vector<uint32_t> edges;
  Result<void> edge(uint32_t gsi) override {
    std::lock_guard lock(mutex);
    edges.push_back(gsi);
    return {};
  }
  Result<void> level(uint32_t gsi, bool asserted) override {
    std::lock_guard lock(mutex);
    levels.emplace_back(gsi, asserted);
    return {};
  }
};

// A board on the default PC platform, with a recording sink and the VM's end recorded.
struct TestBoard {
  RecordingSink sink;
  uint64_t now = 0;
  std::vector<std::pair<BoardEnd, std::string>> ends;
  Board board{Board::Wiring{
      acpi::AcpiConfig{}, &sink, [this] { return now; }, [] { return int64_t{1'700'000'000}; },
      [this](BoardEnd e, std::string detail) { ends.emplace_back(e, std::move(detail)); }}};
};

constexpr uint16_t kCom1 = 0x3f8;
constexpr uint16_t kPm1Sts = 0x600, kPm1En = 0x602, kPm1Cnt = 0x604;
constexpr uint32_t kPwrbtn = 1u << 8;

// A port device that counts how many accesses are inside it at once.
struct Crowd final : PortIoHandler {
  std::atomic<int>* inside;
  std::atomic<int>* most;
  explicit Crowd(std::atomic<int>& in, std::atomic<int>& max) : inside(&in), most(&max) {}
  Next out(uint16_t, uint8_t, uint32_t) override { return Next::kContinue; }
  uint32_t in(uint16_t, uint8_t) override {
    const int now = ++*inside;
    int seen = most->load();
    while (now > seen && !most->compare_exchange_weak(seen, now)) {
    }
    std::this_thread::yield();
    --*inside;
    return 0;
  }
};

// A port device whose IN says it is inside, then waits (10 s at most) until `other` has been
// entered.
struct Waiter final : PortIoHandler {
  std::promise<void> inside;
  std::shared_future<void> other;
  bool saw_other = false;
  explicit Waiter(std::shared_future<void> f) : other(std::move(f)) {}
  Next out(uint16_t, uint8_t, uint32_t) override { return Next::kContinue; }
  uint32_t in(uint16_t, uint8_t) override {
    inside.set_value();
    saw_other = other.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
    return 0;
  }
};
struct Signaller final : PortIoHandler {
  std::promise<void> entered;
  Next out(uint16_t, uint8_t, uint32_t) override { return Next::kContinue; }
  uint32_t in(uint16_t, uint8_t) override {
    entered.set_value();
    return 0;
  }
};

struct Register final : MmioHandler {
  uint64_t value = 0;
  uint64_t read(uint64_t, uint8_t) override { return value; }
  Next write(uint64_t, uint8_t, uint64_t v) override {
    value = v;
    return Next::kContinue;
  }
};

}  // namespace

TEST_CASE("board: ISA IRQs get the GSI and trigger the MADT gives them; one line a GSI",
          "[vmm][board]") {
  TestBoard t;
  auto com1 = t.board.isa_line(4);  // no override: identity, edge
  REQUIRE(com1);
  CHECK((*com1)->gsi() == 4);
  CHECK((*com1)->trigger() == Trigger::kEdge);
  auto sci = t.board.isa_line(9);  // override: GSI 9, level, active high
  REQUIRE(sci);
  CHECK((*sci)->gsi() == 9);
  CHECK((*sci)->trigger() == Trigger::kLevel);
  auto pit = t.board.isa_line(0);  // override: I/O APIC pin 2
  REQUIRE(pit);
  CHECK((*pit)->gsi() == 2);
  CHECK((*pit)->trigger() == Trigger::kEdge);

  const auto twice = t.board.isa_line(2);  // GSI 2 is IRQ 0's now
  REQUIRE_FALSE(twice);
  CHECK(twice.error().what.find("GSI 2 has a line already") != std::string::npos);
  CHECK_FALSE(t.board.gsi_line(9, Trigger::kLevel));
  CHECK_FALSE(t.board.isa_line(16));
  CHECK_FALSE(t.board.gsi_line(24, Trigger::kLevel));  // the I/O APIC has pins 0-23
  auto last = t.board.gsi_line(23, Trigger::kLevel);
  REQUIRE(last);
  (*last)->raise();
  CHECK(t.sink.levels == std::vector<std::pair<uint32_t, bool>>{{23, true}});
}

TEST_CASE("board: the PC's devices answer at their ports; the rest is an empty bus",
          "[vmm][board]") {
  TestBoard t;
  REQUIRE(plug_pc_devices(t.board));
  IoBus& io = t.board.io();
  // Bytes above an access's size are the bus's to ignore (devices.hpp): masked.
  CHECK((io.in(kCom1 + 5, 1) & 0xff) == 0x60);  // 16550 LSR: THRE and TEMT
  CHECK(io.out(0x70, 1, 0x0d) == Next::kContinue);
  CHECK((io.in(0x71, 1) & 0xff) == 0x80);    // CMOS register D: VRT
  CHECK((io.in(0x61, 1) & 0xff) == 0);       // port B: channel 2's gate low, OUT low
  CHECK((io.in(0x43, 1) & 0xff) == 0xff);    // the PIT's control word is write-only
  CHECK((io.in(0xcf9, 1) & 0xff) == 0);      // RST_CNT
  CHECK((io.in(kPm1Cnt, 2) & 0xffff) == 1);  // SCI_EN
  CHECK(io.unclaimed() == 0);
  CHECK(io.in(0x80, 1) == 0xffffffffu);  // POST codes: nobody's
  CHECK(io.unclaimed() == 1);
  CHECK(t.board.mmio().read(0xfed00000, 4) == ~uint64_t{0});  // no MMIO device on the PC
  CHECK(t.board.mmio().unclaimed() == 1);

  // Soft-off and reset end the VM through the board, and stop the access's run loop.
  CHECK(io.out(kPm1Cnt, 2, (7u << 10) | (1u << 13)) == Next::kStop);
  CHECK(io.out(0xcf9, 1, 0x06) == Next::kStop);
  REQUIRE(t.ends.size() == 2);
  CHECK(t.ends[0].first == BoardEnd::kPowerOff);
  CHECK(t.ends[1].first == BoardEnd::kReset);

  // The PC twice on one board: its first device's line is taken, and a device's ports.
  const auto again = plug_pc_devices(t.board);
  REQUIRE_FALSE(again);
  CHECK(again.error().what == "board: GSI 4 has a line already (one device a GSI)");
  const auto reset = devices::plug_reset_port(t.board);
  REQUIRE_FALSE(reset);
  CHECK(reset.error().what ==
        "io bus: ports 0xcf9-0xcf9 (reset register) overlaps 0xcf9-0xcf9 (reset register)");
}

TEST_CASE("board: the UART's interrupt is an edge on GSI 4, the SCI a level on GSI 9",
          "[vmm][board]") {
  TestBoard t;
  REQUIRE(plug_pc_devices(t.board));
  IoBus& io = t.board.io();
  (void)io.out(kCom1 + 4, 1, 0x08);  // MCR.OUT2: the interrupt reaches the controller
  (void)io.out(kCom1 + 1, 1, 0x02);  // IER.ETBEI: THR is empty, so the interrupt is pending
  CHECK(t.sink.edges == std::vector<uint32_t>{4});
  CHECK(t.sink.levels.empty());

  (void)io.out(kPm1En, 2, kPwrbtn);
  REQUIRE(t.board.press_power_button());
  CHECK(io.in(kPm1Sts, 2) & kPwrbtn);
  (void)io.out(kPm1Sts, 2, kPwrbtn);  // the child's ACPI driver clears the status
  CHECK(t.sink.levels == std::vector<std::pair<uint32_t, bool>>{{9, true}, {9, false}});
}

TEST_CASE("board: console bytes go to the owner's output; typed input waits for the child",
          "[vmm][board]") {
  TestBoard t;
  CHECK_FALSE(t.board.press_power_button());  // no device offers one yet
  CHECK_FALSE(t.board.console_input("x"));
  REQUIRE(plug_pc_devices(t.board));
  std::string out;
  t.board.set_console_output([&out](uint8_t b) { out += static_cast<char>(b); });
  IoBus& io = t.board.io();
  (void)io.out(kCom1, 1, 'o');
  (void)io.out(kCom1, 1, 'k');
  CHECK(out == "ok");
  t.board.set_console_output(nullptr);
  (void)io.out(kCom1, 1, '!');  // dropped
  CHECK(out == "ok");

  // Without FIFOs the receiver holds one byte: the next goes in once the child has read it.
  REQUIRE(t.board.console_input("hi"));
  CHECK((io.in(kCom1 + 5, 1) & 0x01) == 0x01);  // LSR.DR
  CHECK((io.in(kCom1, 1) & 0xff) == 'h');
  CHECK((io.in(kCom1, 1) & 0xff) == 'i');
  CHECK((io.in(kCom1 + 5, 1) & 0x01) == 0);

  // A second power button is refused; a second console takes the same input.
  CHECK_FALSE(t.board.set_power_button([] {}));
  std::string second;
  REQUIRE(t.board.add_console_input([&](std::string_view b) { second += b; }));
  REQUIRE(t.board.console_input("x"));
  CHECK(second == "x");
  CHECK((io.in(kCom1, 1) & 0xff) == 'x');
}

TEST_CASE("board: a device's accesses and its owner's calls run one at a time", "[vmm][board]") {
  TestBoard t;
  std::atomic<int> inside{0}, most{0};
  auto& crowd = t.board.add_device<Crowd>("crowd", inside, most);
  REQUIRE(t.board.add_ports(crowd, 0x100, 4));
  constexpr int kAccesses = 2000;
  auto by_bus = [&t] {
    for (int i = 0; i < kAccesses; ++i)
      (void)t.board.io().in(static_cast<uint16_t>(0x100 + i % 4), 1);
  };
  auto by_owner = [&crowd] {
    for (int i = 0; i < kAccesses; ++i) crowd.with([](Crowd& c) { return c.in(0x100, 1); });
  };
  std::thread a(by_bus), b(by_bus), c(by_owner);
  a.join();
  b.join();
  c.join();
  CHECK(most.load() == 1);
}

TEST_CASE("board: a vCPU inside one device does not hold up another device", "[vmm][board]") {
  TestBoard t;
  auto& signaller = t.board.add_device<Signaller>("signaller");
  std::shared_future<void> entered =
      signaller.with([](Signaller& s) { return s.entered.get_future().share(); });
  auto& waiter = t.board.add_device<Waiter>("waiter", entered);
  std::future<void> waiting = waiter.with([](Waiter& w) { return w.inside.get_future(); });
  REQUIRE(t.board.add_ports(waiter, 0x200, 1));
  REQUIRE(t.board.add_ports(signaller, 0x300, 1));
  // The waiter's IN holds its device until the signaller's IN has run on this thread: with one
  // lock for both devices, that could only happen after the wait gave up.
  std::thread first([&t] { (void)t.board.io().in(0x200, 1); });
  waiting.wait();
  (void)t.board.io().in(0x300, 1);
  first.join();
  CHECK(waiter.with([](Waiter& w) { return w.saw_other; }));
}

TEST_CASE("board: an MMIO device gets its range, under its lock", "[vmm][board]") {
  TestBoard t;
  auto& reg = t.board.add_device<Register>("register");
  REQUIRE(t.board.add_mmio(reg, 0xd0000000, 8));
  CHECK(t.board.mmio().write(0xd0000000, 4, 0x5a17c0de) == Next::kContinue);
  CHECK(t.board.mmio().read(0xd0000000, 4) == 0x5a17c0de);
  CHECK(reg.with([](Register& r) { return r.value; }) == 0x5a17c0de);
  CHECK(t.board.mmio().unclaimed() == 0);
  CHECK_FALSE(t.board.add_mmio(reg, 0xd0000004, 8));  // overlaps itself
}
