// A child's PCI bus (vmm/pci/pci_bus.hpp, host_bridge.hpp): configuration mechanism #1 at ports
// CF8h/CFCh-CFFh as Linux's arch/x86/pci/direct.c uses it (pci_check_type1, pci_sanity_check,
// pci_conf1_read/write), the host bridge at 00:00.0, empty slots, other buses and functions
// reading all ones, BAR space from the window, and the BAR window decoding each function's
// BARs where they are now, only while its Memory Space bit is set. Then the same bus on a Board
// (enable_pci, add_pci, the LockedDevice PCI wrapper).
#include <catch2/catch_test_macros.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "vmm/board.hpp"
#include "vmm/devices/reset_port.hpp"
#include "vmm/pc_devices.hpp"
#include "vmm/pci/config_header.hpp"
#include "vmm/pci/pci_bus.hpp"

using namespace rootstock::vmm;
using namespace rootstock::vmm::pci;

namespace {

constexpr uint64_t kWindow = 0xc0000000;
constexpr uint64_t kWindowSize = 0x10000000;
constexpr uint32_t kBarSize = 0x1000;
constexpr uint32_t kAllOnes = 0xffffffff;

// PCI_CONF1_ADDRESS (arch/x86/pci/direct.c).
constexpr uint32_t conf1(uint32_t bus, uint32_t device, uint32_t function, uint32_t reg) {
  return 0x80000000u | bus << 16 | device << 11 | function << 8 | (reg & 0xfc);
}

// A function with one memory BAR that records the accesses landing in it.
class TestFunction final : public PciFunction {
 public:
  struct Access {
    unsigned bar;
    uint64_t offset;
    uint8_t size;
    uint64_t value;
    bool operator==(const Access&) const = default;
  };

  explicit TestFunction(uint32_t bar_base, uint16_t device_id = 0x1111)
      : header_(Identity{.vendor_id = 0x1af4, .device_id = device_id, .class_code = 0xff0000}) {
    REQUIRE(header_.set_memory_bar(1, kBarSize, bar_base));
  }
  uint32_t config_read(uint16_t offset, uint8_t size) override {
    config_reads.push_back(offset);
    return header_.read(offset, size);
  }
  void config_write(uint16_t offset, uint8_t size, uint32_t value) override {
    header_.write(offset, size, value);
  }
  BarWindows bar_windows() override { return header_.bar_windows(); }
  uint64_t bar_read(unsigned bar, uint64_t offset, uint8_t size) override {
    reads.push_back({bar, offset, size, 0});
    return 0x1122334455667788 & (size >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * size)) - 1);
  }
  void bar_write(unsigned bar, uint64_t offset, uint8_t size, uint64_t value) override {
    writes.push_back({bar, offset, size, value});
  }

  std::vector<uint16_t> config_reads;
  std::vector<Access> reads;
  std::vector<Access> writes;

 private:
  ConfigHeader header_;
};

// The bus through its ports, as the child's kernel reaches it.
struct Conf1 {
  PortIoHandler& ports;
  uint32_t read(uint32_t address, uint8_t size) {
    (void)ports.out(kConfigAddressPort, 4, address & ~uint32_t{3});
    return ports.in(static_cast<uint16_t>(kConfigDataPort + (address & 3)), size);
  }
  void write(uint32_t address, uint8_t size, uint32_t value) {
    (void)ports.out(kConfigAddressPort, 4, address & ~uint32_t{3});
    (void)ports.out(static_cast<uint16_t>(kConfigDataPort + (address & 3)), size, value);
  }
};

}  // namespace

TEST_CASE("pci bus: the host bridge at 00:00.0 passes Linux's conf1 probe", "[pci]") {
  PciBus bus(kWindow, kWindowSize);
  PortIoHandler& ports = bus.config_ports();
  // pci_check_type1(): a byte to CFBh, the old CONFIG_ADDRESS kept, the enable bit reads back.
  (void)ports.out(0xcfb, 1, 0x01);
  const uint32_t old = ports.in(kConfigAddressPort, 4);
  (void)ports.out(kConfigAddressPort, 4, 0x80000000);
  CHECK(ports.in(kConfigAddressPort, 4) == 0x80000000);
  // pci_sanity_check(): bus 0, some devfn, PCI_CLASS_DEVICE (0Ah, a word) is a host bridge.
  Conf1 c{ports};
  CHECK(c.read(conf1(0, 0, 0, 0x0a) | 2, 2) == 0x0600);
  (void)ports.out(kConfigAddressPort, 4, old);

  CHECK(c.read(conf1(0, 0, 0, 0x00), 4) ==
        (uint32_t{kHostBridgeDeviceId} << 16 | kHostBridgeVendorId));
  CHECK(c.read(conf1(0, 0, 0, 0x08), 4) == class_code::kHostBridge << 8);
  CHECK(c.read(conf1(0, 0, 0, 0x0c), 4) == 0);  // header type 0, single function
  CHECK(c.read(conf1(0, 0, 0, 0x10), 4) == 0);  // no BARs
  c.write(conf1(0, 0, 0, 0x10), 4, kAllOnes);
  CHECK(c.read(conf1(0, 0, 0, 0x10), 4) == 0);
  CHECK(c.read(conf1(0, 0, 0, 0x3c), 4) == 0);  // no interrupt pin
}

TEST_CASE("pci bus: CONFIG_ADDRESS is a DWORD register with bits 1:0 reading 0", "[pci]") {
  PciBus bus(kWindow, kWindowSize);
  PortIoHandler& ports = bus.config_ports();
  CHECK(ports.in(kConfigAddressPort, 4) == 0);
  (void)ports.out(kConfigAddressPort, 4, 0x8000080f);
  CHECK(ports.in(kConfigAddressPort, 4) == 0x8000080c);
  // Narrower accesses at CF8h are not CONFIG_ADDRESS: dropped, reading all ones.
  (void)ports.out(kConfigAddressPort, 1, 0);
  (void)ports.out(kConfigAddressPort, 2, 0);
  CHECK(ports.in(kConfigAddressPort, 4) == 0x8000080c);
  CHECK(ports.in(kConfigAddressPort, 1) == 0xff);
  CHECK(ports.in(kConfigAddressPort, 2) == 0xffff);
  // CF9h-CFBh are not the bus's (a PC's reset control register is at CF9h).
  (void)ports.out(0xcf9, 1, 0x06);
  (void)ports.out(0xcfa, 2, 0);
  CHECK(ports.in(0xcf9, 1) == 0xff);
  CHECK(ports.in(kConfigAddressPort, 4) == 0x8000080c);
}

TEST_CASE("pci bus: CONFIG_DATA at CFCh-CFFh, each width where it fits", "[pci]") {
  PciBus bus(kWindow, kWindowSize);
  PortIoHandler& ports = bus.config_ports();
  (void)ports.out(kConfigAddressPort, 4, conf1(0, 0, 0, 0));
  CHECK(ports.in(0xcfc, 4) == 0x00081b36);
  CHECK(ports.in(0xcfc, 2) == 0x1b36);
  CHECK(ports.in(0xcfe, 2) == 0x0008);
  CHECK(ports.in(0xcfc, 1) == 0x36);
  CHECK(ports.in(0xcfd, 1) == 0x1b);
  CHECK(ports.in(0xcfe, 1) == 0x08);
  CHECK(ports.in(0xcff, 1) == 0x00);
  // Accesses that run past CFFh are refused: all ones, writes dropped.
  CHECK(ports.in(0xcfd, 4) == kAllOnes);
  CHECK(ports.in(0xcff, 2) == 0xffff);
  CHECK(ports.in(0xcfe, 4) == kAllOnes);
  CHECK(ports.in(0xd00, 1) == 0xff);

  // Writes at each width land on their byte: the host bridge's Command register.
  (void)ports.out(kConfigAddressPort, 4, conf1(0, 0, 0, 0x04));
  (void)ports.out(0xcfc, 1, command::kMemorySpace);
  CHECK(ports.in(0xcfc, 2) == command::kMemorySpace);
  (void)ports.out(0xcfd, 1, command::kIntxDisable >> 8);
  CHECK(ports.in(0xcfc, 2) == (command::kMemorySpace | command::kIntxDisable));
  (void)ports.out(0xcfd, 4, 0);  // past CFFh: dropped
  (void)ports.out(0xcff, 2, 0);
  CHECK(ports.in(0xcfc, 2) == (command::kMemorySpace | command::kIntxDisable));
  (void)ports.out(0xcfc, 2, 0);
  CHECK(ports.in(0xcfc, 4) == 0);
}

TEST_CASE("pci bus: without the enable bit, on other buses, functions and empty slots, all ones",
          "[pci]") {
  PciBus bus(kWindow, kWindowSize);
  TestFunction f(kWindow);
  REQUIRE(bus.add(f, "test function") == 1);
  Conf1 c{bus.config_ports()};
  CHECK(c.read(conf1(0, 1, 0, 0), 4) == 0x11111af4);

  const uint32_t absent[] = {
      conf1(0, 1, 0, 0) & ~ConfigAddress::kEnable,  // enable bit clear
      conf1(0, 0, 0, 0) & ~ConfigAddress::kEnable,
      conf1(1, 1, 0, 0),    // bus 1
      conf1(255, 0, 0, 0),  // bus 255
      conf1(0, 1, 1, 0),    // function 1
      conf1(0, 0, 7, 0),    // function 7 of the host bridge
      conf1(0, 2, 0, 0),    // an empty slot
      conf1(0, 31, 0, 0),   // the last slot, empty
  };
  for (uint32_t address : absent) {
    CAPTURE(address);
    CHECK(c.read(address, 4) == kAllOnes);
    CHECK(c.read(address | 2, 2) == 0xffff);
    CHECK(c.read(address | 3, 1) == 0xff);
    CHECK(bus.config_read({address}, 0, 4) == kAllOnes);
    // Writes there reach nobody: the function's Command stays 0.
    c.write(address | 4, 2, command::kMemorySpace);
  }
  CHECK(c.read(conf1(0, 1, 0, 0x04), 2) == 0);
  CHECK(bus.bar_window().read(kWindow, 4) == kAllOnes);
}

TEST_CASE("pci bus: Linux's scan of bus 0 finds the bridge and the functions in order", "[pci]") {
  PciBus bus(kWindow, kWindowSize);
  TestFunction a(kWindow, 0x1001);
  TestFunction b(kWindow + kBarSize, 0x1002);
  REQUIRE(bus.add(a, "a") == 1);
  REQUIRE(bus.add(b, "b") == 2);
  Conf1 c{bus.config_ports()};
  std::vector<std::pair<unsigned, uint32_t>> found;
  // pci_scan_slot(): the vendor ID of function 0 of each device; the header type says
  // whether to look at functions 1-7.
  for (unsigned dev = 0; dev < kDevicesPerBus; ++dev) {
    const uint32_t id = c.read(conf1(0, dev, 0, 0), 4);
    if ((id & 0xffff) == 0xffff) continue;
    found.emplace_back(dev, id);
    CHECK((c.read(conf1(0, dev, 0, 0x0e) | 2, 1) & 0x80) == 0);
  }
  CHECK(found == std::vector<std::pair<unsigned, uint32_t>>{
                     {0, 0x00081b36}, {1, 0x10011af4}, {2, 0x10021af4}});
}

TEST_CASE("pci bus: 31 devices at most besides the host bridge", "[pci]") {
  PciBus bus(kWindow, kWindowSize);
  std::vector<std::unique_ptr<TestFunction>> functions;
  for (unsigned i = 1; i < kDevicesPerBus; ++i) {
    functions.push_back(std::make_unique<TestFunction>(kWindow));
    const auto slot = bus.add(*functions.back(), "f");
    REQUIRE(slot);
    CHECK(*slot == i);
  }
  TestFunction extra(kWindow);
  const auto full = bus.add(extra, "one too many");
  REQUIRE_FALSE(full);
  CHECK(full.error().what.find("one too many") != std::string::npos);
}

TEST_CASE("pci bus: BAR space comes from the window, naturally aligned", "[pci]") {
  PciBus bus(kWindow, 0x20000);
  CHECK(bus.window_base() == kWindow);
  CHECK(bus.window_size() == 0x20000);
  CHECK(bus.allocate_bar(0x1000, "a") == kWindow);
  CHECK(bus.allocate_bar(0x8000, "b") == kWindow + 0x8000);  // aligned up
  CHECK(bus.allocate_bar(0x10, "c") == kWindow + 0x10000);
  CHECK(bus.allocate_bar(0x10, "d") == kWindow + 0x10010);
  CHECK_FALSE(bus.allocate_bar(0, "zero"));
  CHECK_FALSE(bus.allocate_bar(0x3000, "not a power of two"));
  const auto big = bus.allocate_bar(0x10000, "too big");  // 0xc0020000 is past the end
  REQUIRE_FALSE(big);
  CHECK(big.error().what.find("too big") != std::string::npos);
  CHECK(bus.allocate_bar(0x4000, "e") == kWindow + 0x14000);
  CHECK(bus.allocate_bar(0x8000, "f") == kWindow + 0x18000);  // exactly to the end
  CHECK_FALSE(bus.allocate_bar(0x10, "g"));

  // A window that reaches 4 GiB: BARs stay below it.
  PciBus top(0xfff00000, 0x200000);
  CHECK(top.allocate_bar(0x80000, "h") == 0xfff00000u);
  CHECK(top.allocate_bar(0x80000, "i") == 0xfff80000u);
  CHECK_FALSE(top.allocate_bar(0x80000, "j"));
  CHECK_FALSE(top.allocate_bar(0x80000000, "k"));
}

TEST_CASE("pci bus: a BAR decodes only with Memory Space, and moves with its register", "[pci]") {
  PciBus bus(kWindow, kWindowSize);
  const uint32_t base = kWindow + 0x10000;
  TestFunction f(base);
  REQUIRE(bus.add(f, "f") == 1);
  Conf1 c{bus.config_ports()};
  MmioHandler& window = bus.bar_window();
  const uint32_t bar1 = conf1(0, 1, 0, 0x14);
  const uint32_t command = conf1(0, 1, 0, 0x04);

  // Decoding off: the window is an empty bus.
  CHECK(window.read(base, 4) == kAllOnes);
  CHECK(window.read(base, 8) == ~uint64_t{0});
  CHECK(window.read(base, 1) == 0xff);
  (void)window.write(base, 4, 1);
  CHECK(bus.unclaimed() == 4);
  CHECK(f.reads.empty());
  CHECK(f.writes.empty());

  c.write(command, 2, command::kMemorySpace);
  CHECK(window.read(base + 0x10, 4) == 0x55667788);
  CHECK(window.write(base + 0xff8, 8, 0xabcdef) == Next::kContinue);
  CHECK(f.reads == std::vector<TestFunction::Access>{{1, 0x10, 4, 0}});
  CHECK(f.writes == std::vector<TestFunction::Access>{{1, 0xff8, 8, 0xabcdef}});
  // Just outside the BAR: nobody's.
  CHECK(window.read(base + kBarSize, 4) == kAllOnes);
  CHECK(window.read(base - 4, 4) == kAllOnes);
  CHECK(bus.unclaimed() == 6);

  // Sizing (Linux turns decoding off around it, but need not): the sizing pattern decodes
  // nowhere; the restored base decodes again.
  c.write(bar1, 4, kAllOnes);
  CHECK(c.read(bar1, 4) == (~(kBarSize - 1) & kAllOnes));
  CHECK(window.read(base, 4) == kAllOnes);
  c.write(bar1, 4, base);
  CHECK(window.read(base, 4) == 0x55667788);

  // Moved: the old place is empty, the new one decodes, with offsets from the new base.
  const uint32_t moved = kWindow + 0x200000;
  c.write(bar1, 4, moved);
  CHECK(window.read(base, 4) == kAllOnes);
  f.reads.clear();
  CHECK(window.read(moved + 0x20, 2) == 0x7788);
  CHECK(f.reads == std::vector<TestFunction::Access>{{1, 0x20, 2, 0}});
  // Moved by a byte write of its top byte (Linux writes dwords, but a byte is a legal access).
  c.write(bar1 | 3, 1, 0xc3);
  CHECK(c.read(bar1, 4) == 0xc3200000);
  CHECK(window.read(moved, 4) == kAllOnes);
  CHECK(window.read(0xc3200000, 4) == 0x55667788);

  // Decoding off again.
  c.write(command, 2, 0);
  CHECK(window.read(0xc3200000, 4) == kAllOnes);
}

TEST_CASE("pci bus: two functions' BARs decode to their own functions", "[pci]") {
  PciBus bus(kWindow, kWindowSize);
  TestFunction a(kWindow);
  TestFunction b(kWindow + kBarSize);
  REQUIRE(bus.add(a, "a") == 1);
  REQUIRE(bus.add(b, "b") == 2);
  Conf1 c{bus.config_ports()};
  c.write(conf1(0, 1, 0, 4), 2, command::kMemorySpace);
  c.write(conf1(0, 2, 0, 4), 2, command::kMemorySpace);
  (void)bus.bar_window().write(kWindow + 8, 4, 1);
  (void)bus.bar_window().write(kWindow + kBarSize + 8, 4, 2);
  CHECK(a.writes == std::vector<TestFunction::Access>{{1, 8, 4, 1}});
  CHECK(b.writes == std::vector<TestFunction::Access>{{1, 8, 4, 2}});
  // Memory Space off in one leaves the other decoding.
  c.write(conf1(0, 1, 0, 4), 2, 0);
  CHECK(bus.bar_window().read(kWindow, 4) == kAllOnes);
  CHECK(bus.bar_window().read(kWindow + kBarSize, 4) == 0x55667788);
}

TEST_CASE("pci bus: configuration offsets reach the function as register plus port byte", "[pci]") {
  PciBus bus(kWindow, kWindowSize);
  TestFunction f(kWindow);
  REQUIRE(bus.add(f, "f") == 1);
  Conf1 c{bus.config_ports()};
  (void)c.read(conf1(0, 1, 0, 0xfc) | 3, 1);
  (void)c.read(conf1(0, 1, 0, 0x40) | 2, 2);
  (void)c.read(conf1(0, 1, 0, 0x08), 4);
  CHECK(f.config_reads == std::vector<uint16_t>{0xff, 0x42, 0x08});
}

namespace {

struct NullSink final : InterruptSink {
  Result<void> edge(uint32_t) override { return {}; }
  Result<void> level(uint32_t, bool) override { return {}; }
};

struct TestBoard {
  NullSink sink;
  Board board{Board::Wiring{acpi::AcpiConfig{}, &sink, [] { return uint64_t{0}; },
                            [] { return int64_t{0}; }, [](BoardEnd, std::string) {}}};
};

}  // namespace

TEST_CASE("pci bus on a board: ports and window on the board's buses, beside the PC", "[pci]") {
  TestBoard t;
  REQUIRE(plug_pc_devices(t.board));  // the reset register at CF9h among them
  CHECK(t.board.pci() == nullptr);
  auto& early = t.board.add_device<TestFunction>("early", uint32_t{kWindow});
  CHECK_FALSE(t.board.add_pci(early));  // no bus yet

  auto bus = t.board.enable_pci(kWindow, kWindowSize);
  REQUIRE(bus);
  CHECK(t.board.pci() == *bus);
  CHECK_FALSE(t.board.enable_pci(kWindow, kWindowSize));  // once

  auto& f = t.board.add_device<TestFunction>("f", uint32_t{kWindow + 0x2000});
  const auto slot = t.board.add_pci(f);
  REQUIRE(slot);
  CHECK(*slot == 1);

  IoBus& io = t.board.io();
  MmioBus& mmio = t.board.mmio();
  (void)io.out(kConfigAddressPort, 4, conf1(0, 1, 0, 0));
  CHECK(io.in(kConfigDataPort, 4) == 0x11111af4);
  (void)io.out(kConfigAddressPort, 4, conf1(0, 1, 0, 4));
  (void)io.out(kConfigDataPort + 2, 2, 0xffff);  // Status: nothing to set
  (void)io.out(kConfigDataPort, 2, command::kMemorySpace);
  CHECK(mmio.read(kWindow + 0x2004, 4) == 0x55667788);
  CHECK(f.with([](TestFunction& m) { return m.reads.size(); }) == 1);
  // An access in the window that no BAR claims is the PCI bus's, not the MMIO bus's.
  CHECK(mmio.read(kWindow, 4) == kAllOnes);
  CHECK((*bus)->unclaimed() == 1);
  // The reset register still answers at CF9h; CFAh/CFBh are nobody's.
  CHECK((io.in(0xcf9, 1) & 0xff) == 0);
  const uint64_t before = io.unclaimed();
  (void)io.in(0xcfa, 1);
  CHECK(io.unclaimed() == before + 1);
}

TEST_CASE("pci bus on a board: a window on another device's range is refused", "[pci]") {
  TestBoard t;
  REQUIRE(devices::plug_reset_port(t.board));
  struct Register final : MmioHandler {
    uint64_t read(uint64_t, uint8_t) override { return 0; }
    Next write(uint64_t, uint8_t, uint64_t) override { return Next::kContinue; }
  };
  auto& reg = t.board.add_device<Register>("register");
  REQUIRE(t.board.add_mmio(reg, kWindow + 0x1000, 8));
  CHECK_FALSE(t.board.enable_pci(kWindow, kWindowSize));
}

TEST_CASE("pci bus: random port and window accesses reach only what they address", "[pci]") {
  PciBus bus(kWindow, kWindowSize);
  TestFunction f(kWindow);
  REQUIRE(bus.add(f, "f") == 1);
  uint64_t state = 0x243f6a8885a308d3;
  const auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  constexpr uint8_t kSizes[] = {1, 2, 4, 8};
  PortIoHandler& ports = bus.config_ports();
  for (int i = 0; i < 100000; ++i) {
    const uint64_t r = next();
    const auto port = static_cast<uint16_t>(0xcf8 + (r >> 8) % 8);
    const uint8_t size = kSizes[r & 3] > 4 ? 4 : kSizes[r & 3];
    const auto value = static_cast<uint32_t>(next());
    switch ((r >> 2) % 4) {
      case 0:
        (void)ports.out(port, size, value);
        break;
      case 1:
        (void)ports.in(port, size);
        break;
      case 2:
        (void)bus.bar_window().write(kWindow + (r >> 16) % 0x4000, kSizes[r & 3], value);
        break;
      default:
        (void)bus.bar_window().read(kWindow + (r >> 16) % 0x4000, kSizes[r & 3]);
        break;
    }
  }
  // Every access the function saw was inside its BAR.
  for (const auto& a : f.reads) REQUIRE(a.offset < kBarSize);
  for (const auto& a : f.writes) REQUIRE(a.offset < kBarSize);
  // The bridge is still there.
  Conf1 c{ports};
  CHECK(c.read(conf1(0, 0, 0, 0x0a) | 2, 2) == 0x0600);
}
