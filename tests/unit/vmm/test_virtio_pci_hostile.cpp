// The virtio-pci transport (vmm/virtio/pci_transport.hpp) against a hostile driver: accesses of
// the wrong width or at reserved offsets, queue_select past the end, queue sizes and addresses
// the device cannot use (DEVICE_NEEDS_RESET, never a crash or a guest memory access), a device
// that refuses activation, notifications from a worker thread, and random accesses after which a
// reset and a proper initialisation still work.
#include <catch2/catch_test_macros.hpp>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "tests/unit/vmm/virtio_pci_bench.hpp"
#include "tests/unit/vmm/virtio_test_driver.hpp"
#include "vmm/virtio/pci_transport.hpp"

using namespace rootstock::vmm;
using namespace rootstock::vmm::virtio;
using namespace rootstock::test;
using namespace rootstock::test::vpci_bench;
using vpci::Common;

TEST_CASE("virtio-pci: common configuration accesses of the wrong width do nothing", "[pci]") {
  Bench b;
  b.wr(Common::kDeviceStatus, 4, bit(Status::kAcknowledge));
  b.wr(Common::kDeviceStatus, 2, bit(Status::kAcknowledge));
  CHECK(b.status() == 0);
  CHECK(b.rd(Common::kDeviceStatus, 4) == 0);
  CHECK(b.rd(Common::kNumQueues, 4) == 0);
  CHECK(b.rd(Common::kNumQueues, 1) == 0);
  b.wr(Common::kQueueSelect, 4, 1);
  CHECK(b.rd(Common::kQueueSelect, 2) == 0);
  b.wr(Common::kDeviceFeatureSelect, 2, 1);
  CHECK(b.rd(Common::kDeviceFeatureSelect, 4) == 0);
  CHECK(b.rd(Common::kDeviceFeature, 8) == 0);
  // Reserved offsets in the common page, queue_notify_data and queue_reset read 0.
  CHECK(b.rd(Common::kQueueNotifyData, 2) == 0);
  CHECK(b.rd(Common::kQueueReset, 2) == 0);
  CHECK(b.t->bar_read(vpci::kBar, vpci::kCommonSize, 4) == 0);
  CHECK(b.t->bar_read(vpci::kBar, 0xffc, 4) == 0);
  // Other BARs, and offsets past BAR 0, are nobody's.
  CHECK(b.t->bar_read(1, 0, 4) == 0);
  CHECK(b.t->bar_read(vpci::kBar, vpci::kBarSize, 4) == 0);
  CHECK(b.t->bar_read(vpci::kBar, ~uint64_t{0}, 8) == 0);
  b.t->bar_write(1, static_cast<uint32_t>(Common::kDeviceStatus), 1, 1);
  b.t->bar_write(vpci::kBar, ~uint64_t{0}, 8, ~uint64_t{0});
  b.t->bar_write(vpci::kBar, 0x6000, 4, 1);
  CHECK(b.status() == 0);
  // The notify page reads 0.
  CHECK(b.t->bar_read(vpci::kBar, vpci::kNotifyOffset, 2) == 0);
}

TEST_CASE("virtio-pci: queue_select past the end reads nothing and changes nothing", "[pci]") {
  Bench b;
  for (uint16_t sel : {uint16_t{2}, uint16_t{0x100}, uint16_t{0xffff}}) {
    CAPTURE(sel);
    b.wr(Common::kQueueSelect, 2, sel);
    CHECK(b.rd(Common::kQueueSelect, 2) == sel);
    CHECK(b.rd(Common::kQueueSize, 2) == 0);
    CHECK(b.rd(Common::kQueueMsixVector, 2) == vpci::kNoVector);
    b.wr(Common::kQueueSize, 2, 8);
    b.wr(Common::kQueueMsixVector, 2, 0);
    b.wr(Common::kQueueDesc, 8, kRamBase);
    b.wr(Common::kQueueEnable, 2, 1);
    CHECK(b.rd(Common::kQueueSize, 2) == 0);
    CHECK(b.rd(Common::kQueueEnable, 2) == 0);
    CHECK(b.rd(Common::kQueueDesc, 8) == 0);
    CHECK(b.rd(Common::kQueueMsixVector, 2) == vpci::kNoVector);
  }
  REQUIRE(b.negotiate(kAccepted));
  b.add_status(Status::kDriverOk);
  CHECK(b.device->activations == 1);
  CHECK(b.device->queues == std::vector<SplitVirtqueue*>{nullptr, nullptr});
}

TEST_CASE("virtio-pci: a queue the device cannot use is DEVICE_NEEDS_RESET, not a crash", "[pci]") {
  Bench b;
  QueueLayout layout = layout_queue(kRamBase, 8);
  SECTION("outside guest RAM") {
    layout.used = kRamBase + kRamSize - 8;
  }
  SECTION("wrapping the address space") {
    layout.desc = 0xfffffffffffffff0;
  }
  SECTION("a high half of all ones") {
    layout.avail |= uint64_t{0xffffffff} << 32;
  }
  SECTION("misaligned") {
    layout.desc += 8;
  }
  SECTION("larger than the maximum") {
    layout.size = 16;
  }
  SECTION("huge") {
    layout.size = 0x8000;
  }
  SECTION("all ones") {
    layout.size = 0xffff;
  }
  SECTION("not a power of two") {
    layout.size = 6;
  }
  SECTION("size 0") {
    layout.size = 0;
  }
  b.enable_msix();
  b.program_vector(0, 0x90);
  REQUIRE(b.negotiate(kAccepted));
  b.wr(Common::kConfigMsixVector, 2, 0);
  b.wr(Common::kQueueSelect, 2, 0);
  b.wr(Common::kQueueSize, 2, layout.size);
  b.wr(Common::kQueueDesc, 8, layout.desc);
  b.wr(Common::kQueueDriver, 8, layout.avail);
  b.wr(Common::kQueueDevice, 8, layout.used);
  b.wr(Common::kQueueEnable, 2, 1);
  b.add_status(Status::kDriverOk);
  CHECK(b.device->activations == 0);
  CHECK(b.has(Status::kDeviceNeedsReset));
  // 2.1.2: with a configuration change notification, on the config vector.
  CHECK(b.sink.take() == std::vector<Message>{{kApic, 0x90}});
  CHECK(b.isr() == vpci::kIsrConfig);
  b.notify(0);
  CHECK(b.device->notified.empty());
  CHECK(b.ram.refused() == 0);  // the layout was checked, not tried
  b.wr(Common::kDeviceStatus, 1, 0);
  CHECK(b.status() == 0);
}

TEST_CASE("virtio-pci: a device that refuses activation, or breaks later, needs a reset", "[pci]") {
  Bench b;
  b.device->accept = false;
  REQUIRE(b.negotiate(kAccepted));
  b.setup_queue(0, layout_queue(kRamBase, 8), vpci::kNoVector);
  b.add_status(Status::kDriverOk);
  CHECK(b.has(Status::kDeviceNeedsReset));
  b.notify(0);
  CHECK(b.device->notified.empty());

  b.device->accept = true;
  REQUIRE(b.negotiate(kAccepted));
  CHECK_FALSE(b.has(Status::kDeviceNeedsReset));
  b.setup_queue(0, layout_queue(kRamBase, 8), vpci::kNoVector);
  b.add_status(Status::kDriverOk);
  REQUIRE_FALSE(b.has(Status::kDeviceNeedsReset));
  b.t->needs_reset();
  CHECK(b.status() == (0x0f | 0x40));
  CHECK(b.t->status() == (0x0f | 0x40));
  CHECK(b.isr() == vpci::kIsrConfig);
}

TEST_CASE("virtio-pci: used_buffers from a worker while the driver reads the ISR", "[pci]") {
  Bench b;
  REQUIRE(b.negotiate(kAccepted));
  b.setup_queue(0, layout_queue(kRamBase, 8), vpci::kNoVector);
  b.add_status(Status::kDriverOk);
  std::atomic<bool> done{false};
  std::thread worker([&] {
    for (int i = 0; i < 2000; ++i) b.t->used_buffers(0);
    done = true;
  });
  while (!done.load()) (void)b.isr();
  worker.join();
  (void)b.isr();
  CHECK(b.isr() == 0);
  CHECK(b.sink.take().empty());
}

TEST_CASE("virtio-pci: random accesses from a hostile driver leave a working function", "[pci]") {
  Bench b;
  uint64_t state = 0x9e3779b97f4a7c15;
  const auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  constexpr uint8_t kSizes[] = {1, 2, 4, 8};
  for (int i = 0; i < 200000; ++i) {
    const uint64_t r = next();
    const uint8_t size = kSizes[r & 3];
    const uint64_t value = next();
    switch ((r >> 2) % 8) {
      case 0:
      case 1:
        b.t->bar_write(vpci::kBar, (r >> 8) % (vpci::kBarSize + 0x100), size, value);
        break;
      case 2:
        (void)b.t->bar_read(vpci::kBar, (r >> 8) % (vpci::kBarSize + 0x100), size);
        break;
      case 3:  // the common configuration, where it matters most
        b.t->bar_write(vpci::kBar, (r >> 8) % 0x40, size, value);
        break;
      case 4:
        b.t->config_write(static_cast<uint16_t>((r >> 8) % 0x100), size > 4 ? 4 : size,
                          static_cast<uint32_t>(value));
        break;
      case 5:
        (void)b.t->config_read(static_cast<uint16_t>((r >> 8) % 0x100), size > 4 ? 4 : size);
        break;
      case 6:
        b.t->used_buffers(static_cast<uint16_t>(value % 4));
        break;
      default:
        if ((value & 0xff) == 0) b.t->config_changed();
        b.notify(static_cast<uint16_t>(value % 3));
        break;
    }
  }
  // Whatever happened, a reset and a proper initialisation work (Bus Master Enable included,
  // which the accesses may have cleared: Linux sets it before the driver starts).
  b.t->config_write(0x10, 4, kBarBase);
  b.t->config_write(0x04, 2, pci::command::kBusMaster);
  b.enable_msix();
  b.program_vector(1, 0x77);
  REQUIRE(b.negotiate(kAccepted));
  CHECK_FALSE(b.has(Status::kDeviceNeedsReset));
  const QueueLayout layout = layout_queue(kRamBase, 8);
  b.ram.clear();
  b.setup_queue(0, layout, 1);
  b.add_status(Status::kDriverOk);
  REQUIRE(b.status() == 0x0f);
  TestDriver driver(b.ram, layout);
  driver.desc(0, kRamBase + 0x8000, 64, kWrite);
  driver.offer(0);
  (void)b.sink.take();
  b.notify(0);
  CHECK(driver.used_idx() == 1);
  CHECK(b.sink.take() == std::vector<Message>{{kApic, 0x77}});
}
