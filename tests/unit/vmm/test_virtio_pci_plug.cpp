// Virtio-pci on a board (vmm/virtio/pci_plug.hpp): the window the DSDT describes, functions put
// on the board's PCI bus with BAR 0 from its window, and a device found, set up and driven as
// Linux does it, through ports CF8h/CFCh and the BAR window on the board's buses alone.
#include <catch2/catch_test_macros.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/vmm/virtio_pci_bench.hpp"
#include "tests/unit/vmm/virtio_test_driver.hpp"
#include "vmm/acpi/acpi_builder.hpp"
#include "vmm/board.hpp"
#include "vmm/pci/config_space.hpp"
#include "vmm/pci/msix.hpp"
#include "vmm/pci/pci_bus.hpp"
#include "vmm/virtio/pci_plug.hpp"

using namespace rootstock::vmm;
using namespace rootstock::vmm::virtio;
using namespace rootstock::test;
using namespace rootstock::test::vpci_bench;
using vpci::Common;

namespace {

// PCI_CONF1_ADDRESS.
constexpr uint32_t conf1(uint32_t device, uint32_t reg) {
  return 0x80000000u | device << 11 | (reg & 0xfc);
}

struct BoardBench {
  FakeGuestRam ram{kRamBase, kRamSize};
  RecordingSink sink;
  Board board{Board::Wiring{acpi::AcpiConfig{}, &sink, [] { return uint64_t{0}; },
                            [] { return int64_t{0}; }, [](BoardEnd, std::string) {}}};

  uint32_t config_read(uint32_t device, uint16_t reg, uint8_t size) {
    (void)board.io().out(pci::kConfigAddressPort, 4, conf1(device, reg));
    return board.io().in(static_cast<uint16_t>(pci::kConfigDataPort + (reg & 3)), size) &
           static_cast<uint32_t>(size == 4 ? 0xffffffff : (1u << (8 * size)) - 1);
  }
  void config_write(uint32_t device, uint16_t reg, uint8_t size, uint32_t value) {
    (void)board.io().out(pci::kConfigAddressPort, 4, conf1(device, reg));
    (void)board.io().out(static_cast<uint16_t>(pci::kConfigDataPort + (reg & 3)), size, value);
  }
};

}  // namespace

TEST_CASE("virtio-pci plug: the DSDT's window and a device found as Linux finds it", "[pci]") {
  acpi::AcpiConfig acpi;
  describe_pci_host(acpi);
  REQUIRE(acpi.pci_host);
  CHECK(acpi.pci_host->window_base == kPciWindowBase);
  CHECK(acpi.pci_host->window_size == kPciWindowSize);

  BoardBench bb;
  CHECK_FALSE(plug_virtio_pci(bb.board, nullptr, bb.ram));
  auto first = std::make_unique<FakeDevice>();
  FakeDevice* device = first.get();
  auto plugged = plug_virtio_pci(bb.board, std::move(first), bb.ram);
  REQUIRE(plugged);
  REQUIRE(bb.board.pci() != nullptr);
  CHECK(bb.board.pci()->window_base() == kPciWindowBase);
  auto second = plug_virtio_pci(bb.board, std::make_unique<FakeDevice>(), bb.ram);
  REQUIRE(second);

  // Bus 0: the host bridge, then the two functions.
  CHECK(bb.config_read(0, 0x0a, 2) == 0x0600);
  CHECK(bb.config_read(1, 0, 4) == 0x10421af4);
  CHECK(bb.config_read(2, 0, 4) == 0x10421af4);
  CHECK(bb.config_read(3, 0, 4) == 0xffffffff);
  const uint32_t bar0 = bb.config_read(1, 0x10, 4);
  CHECK(bar0 == kPciWindowBase);
  CHECK(bb.config_read(2, 0x10, 4) == kPciWindowBase + vpci::kBarSize);

  // The capabilities through the ports.
  auto read = [&](unsigned offset, uint8_t size) {
    return bb.config_read(1, static_cast<uint16_t>(offset), size);
  };
  const uint16_t msix = find_msix(read);
  REQUIRE(msix != 0);
  const auto common = find_virtio_cap(read, vpci::CfgType::kCommon);
  const auto notify = find_virtio_cap(read, vpci::CfgType::kNotify);
  REQUIRE(common);
  REQUIRE(notify);
  const uint32_t multiplier = read(notify->at + vpci::cap::kNotifyOffMultiplier, 4);

  // pci_enable_device(): Memory Space and Bus Master; then MSI-X and the table through the
  // window.
  bb.config_write(1, 0x04, 2, pci::command::kMemorySpace | pci::command::kBusMaster);
  MmioBus& mmio = bb.board.mmio();
  bb.config_write(1, msix + 2, 2, pci::msix::kEnable | pci::msix::kFunctionMask);
  const uint32_t table = read(msix + 4, 4);
  const uint64_t table_gpa = bar0 + (table & ~7u);
  for (uint16_t v = 0; v < 3; ++v) {
    (void)mmio.write(table_gpa + 16 * v, 4, kApic);
    (void)mmio.write(table_gpa + 16 * v + 4, 4, 0);
    (void)mmio.write(table_gpa + 16 * v + 8, 4, 0xa0 + v);
    (void)mmio.write(table_gpa + 16 * v + 12, 4, 0);
  }
  bb.config_write(1, msix + 2, 2, pci::msix::kEnable);

  const uint64_t cfg = bar0 + common->offset;
  const auto status = [&] {
    return mmio.read(cfg + static_cast<uint32_t>(Common::kDeviceStatus), 1) & 0xff;
  };
  const auto add = [&](Status s) {
    (void)mmio.write(cfg + static_cast<uint32_t>(Common::kDeviceStatus), 1, status() | bit(s));
  };
  (void)mmio.write(cfg + static_cast<uint32_t>(Common::kDeviceStatus), 1, 0);
  add(Status::kAcknowledge);
  add(Status::kDriver);
  (void)mmio.write(cfg + static_cast<uint32_t>(Common::kDriverFeatureSelect), 4, 1);
  (void)mmio.write(cfg + static_cast<uint32_t>(Common::kDriverFeature), 4, 1);
  add(Status::kFeaturesOk);
  REQUIRE((status() & bit(Status::kFeaturesOk)) != 0);
  (void)mmio.write(cfg + static_cast<uint32_t>(Common::kConfigMsixVector), 2, 0);
  const QueueLayout layout = layout_queue(kRamBase, 8);
  (void)mmio.write(cfg + static_cast<uint32_t>(Common::kQueueSelect), 2, 0);
  (void)mmio.write(cfg + static_cast<uint32_t>(Common::kQueueMsixVector), 2, 1);
  (void)mmio.write(cfg + static_cast<uint32_t>(Common::kQueueDesc), 4, layout.desc);
  (void)mmio.write(cfg + static_cast<uint32_t>(Common::kQueueDriver), 4, layout.avail);
  (void)mmio.write(cfg + static_cast<uint32_t>(Common::kQueueDevice), 4, layout.used);
  (void)mmio.write(cfg + static_cast<uint32_t>(Common::kQueueEnable), 2, 1);
  const uint64_t notify_off =
      mmio.read(cfg + static_cast<uint32_t>(Common::kQueueNotifyOff), 2) & 0xffff;
  add(Status::kDriverOk);
  CHECK(status() == 0x0f);
  REQUIRE(device->activations == 1);

  TestDriver driver(bb.ram, layout);
  driver.desc(0, kRamBase + 0x8000, 64, kWrite);
  driver.offer(0);
  (void)mmio.write(bar0 + notify->offset + notify_off * multiplier, 2, 0);
  CHECK(device->notified == std::vector<uint16_t>{0});
  CHECK(driver.used_idx() == 1);
  CHECK(bb.sink.take() == std::vector<Message>{{kApic, 0xa1}});
  CHECK(bb.board.pci()->unclaimed() == 0);

  // Memory Space off: the BAR is gone from the window.
  bb.config_write(1, 0x04, 2, 0);
  CHECK(mmio.read(cfg + static_cast<uint32_t>(Common::kNumQueues), 2) == 0xffff);
  CHECK(bb.board.pci()->unclaimed() == 1);
}
