// The virtio-mmio transport (vmm/virtio/mmio_transport.hpp): the driver's initialisation of
// virtio 1.2, 3.1.1 through register reads and writes (4.2.3), the interrupt status and its line,
// the configuration space, reset, and what a hostile driver's register writes do; and the plug
// function and command-line word (mmio_plug.hpp).
#include <array>
#include <catch2/catch_test_macros.hpp>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "tests/unit/vmm/fake_guest_ram.hpp"
#include "tests/unit/vmm/fake_virtio_device.hpp"
#include "tests/unit/vmm/recording_doorbells.hpp"
#include "tests/unit/vmm/virtio_test_driver.hpp"
#include "vmm/virtio/mmio_plug.hpp"
#include "vmm/virtio/mmio_transport.hpp"

using namespace rootstock::vmm;
using namespace rootstock::vmm::virtio;
using namespace rootstock::test;
using mmio::Reg;
using mmio::Status;

namespace {

constexpr uint64_t kWindow = 0xd0000000;
constexpr uint64_t kRamBase = 0x100000;
constexpr uint64_t kRamSize = 0x10000;
constexpr uint32_t kGsi = 5;

struct RecordingSink final : InterruptSink {
  std::mutex mutex;
  std::vector<bool> levels;
  Result<void> edge(uint32_t) override { return {}; }
  Result<void> level(uint32_t, bool asserted) override {
    std::lock_guard lock(mutex);
    levels.push_back(asserted);
    return {};
  }
};

struct Bench {
  FakeGuestRam ram{kRamBase, kRamSize};
  RecordingSink sink;
  InterruptLine line{kGsi, Trigger::kLevel, sink};
  FakeDevice* device;
  std::unique_ptr<MmioTransport> transport;

  explicit Bench(DoorbellSink* doorbells = nullptr) {
    auto d = std::make_unique<FakeDevice>();
    device = d.get();
    transport = std::make_unique<MmioTransport>(kWindow, std::move(d), ram, line, doorbells);
  }

  uint32_t rd(Reg reg) {
    return static_cast<uint32_t>(transport->read(kWindow + static_cast<uint32_t>(reg), 4));
  }
  void wr(Reg reg, uint32_t value) {
    (void)transport->write(kWindow + static_cast<uint32_t>(reg), 4, value);
  }
  uint64_t device_features() {
    wr(Reg::kDeviceFeaturesSel, 0);
    const uint64_t low = rd(Reg::kDeviceFeatures);
    wr(Reg::kDeviceFeaturesSel, 1);
    return low | uint64_t{rd(Reg::kDeviceFeatures)} << 32;
  }
  void add_status(Status s) { wr(Reg::kStatus, rd(Reg::kStatus) | static_cast<uint8_t>(s)); }
  // 3.1.1 steps 1-6: reset, ACKNOWLEDGE, DRIVER, the features, FEATURES_OK; whether it stuck.
  bool negotiate(uint64_t features) {
    wr(Reg::kStatus, 0);
    add_status(Status::kAcknowledge);
    add_status(Status::kDriver);
    wr(Reg::kDriverFeaturesSel, 0);
    wr(Reg::kDriverFeatures, static_cast<uint32_t>(features));
    wr(Reg::kDriverFeaturesSel, 1);
    wr(Reg::kDriverFeatures, static_cast<uint32_t>(features >> 32));
    add_status(Status::kFeaturesOk);
    return (rd(Reg::kStatus) & static_cast<uint8_t>(Status::kFeaturesOk)) != 0;
  }
  // 4.2.3.2: one queue's setup.
  void setup_queue(uint32_t index, const QueueLayout& layout) {
    wr(Reg::kQueueSel, index);
    REQUIRE(rd(Reg::kQueueReady) == 0);
    REQUIRE(rd(Reg::kQueueNumMax) >= layout.size);
    wr(Reg::kQueueNum, layout.size);
    wr(Reg::kQueueDescLow, static_cast<uint32_t>(layout.desc));
    wr(Reg::kQueueDescHigh, static_cast<uint32_t>(layout.desc >> 32));
    wr(Reg::kQueueDriverLow, static_cast<uint32_t>(layout.avail));
    wr(Reg::kQueueDriverHigh, static_cast<uint32_t>(layout.avail >> 32));
    wr(Reg::kQueueDeviceLow, static_cast<uint32_t>(layout.used));
    wr(Reg::kQueueDeviceHigh, static_cast<uint32_t>(layout.used >> 32));
    wr(Reg::kQueueReady, 1);
  }
  bool has(Status s) { return (rd(Reg::kStatus) & static_cast<uint8_t>(s)) != 0; }
};

constexpr uint64_t kAccepted = kFeatureVersion1 | kDeviceBit3;

}  // namespace

TEST_CASE("virtio-mmio: identification registers and the features offered") {
  Bench b;
  CHECK(b.rd(Reg::kMagicValue) == 0x74726976);
  CHECK(b.rd(Reg::kVersion) == 2);
  CHECK(b.rd(Reg::kDeviceId) == 2);
  CHECK(b.rd(Reg::kVendorId) == mmio::kVendorId);
  // The device's bits the transport carries, and VERSION_1; RING_RESET (40) is not carried.
  CHECK(b.device_features() ==
        (kDeviceBit3 | feature_mask(FeatureBit::kEventIdx) | kFeatureVersion1));
  b.wr(Reg::kDeviceFeaturesSel, 2);
  CHECK(b.rd(Reg::kDeviceFeatures) == 0);
  b.wr(Reg::kQueueSel, 0);
  CHECK(b.rd(Reg::kQueueNumMax) == 8);
  b.wr(Reg::kQueueSel, 1);
  CHECK(b.rd(Reg::kQueueNumMax) == 16);
  b.wr(Reg::kQueueSel, 2);
  CHECK(b.rd(Reg::kQueueNumMax) == 0);
  CHECK(b.rd(Reg::kStatus) == 0);
  CHECK(b.rd(Reg::kShmLenLow) == 0xffffffff);
  CHECK(b.rd(Reg::kShmLenHigh) == 0xffffffff);
}

TEST_CASE("virtio-mmio: FEATURES_OK only for offered features with VERSION_1") {
  Bench b;
  CHECK(b.negotiate(kAccepted));
  CHECK_FALSE(b.negotiate(kAccepted | kRingReset));        // not offered
  CHECK_FALSE(b.negotiate(kAccepted | uint64_t{1} << 5));  // not offered
  CHECK_FALSE(b.negotiate(kDeviceBit3));                   // legacy driver: no VERSION_1
  // The rest of the write stands; DRIVER_OK without FEATURES_OK does not start the device.
  CHECK(b.has(Status::kDriver));
  b.add_status(Status::kDriverOk);
  CHECK_FALSE(b.has(Status::kDriverOk));
  CHECK(b.device->activations == 0);
  // After FEATURES_OK the features are settled.
  REQUIRE(b.negotiate(kAccepted));
  b.wr(Reg::kDriverFeaturesSel, 0);
  b.wr(Reg::kDriverFeatures, 0xffffffff);
  b.add_status(Status::kDriverOk);
  CHECK(b.device->activated_features == kAccepted);
}

TEST_CASE("virtio-mmio: the whole handshake, a notify, the interrupt and its ACK") {
  Bench b;
  REQUIRE(b.negotiate(kAccepted));
  const QueueLayout layout = layout_queue(kRamBase, 8);
  b.setup_queue(0, layout);
  CHECK(b.rd(Reg::kQueueReady) == 1);
  b.add_status(Status::kDriverOk);
  CHECK(b.rd(Reg::kStatus) == 0x0f);
  REQUIRE(b.device->activations == 1);
  CHECK(b.device->activated_features == kAccepted);
  REQUIRE(b.device->queues.size() == 2);
  REQUIRE(b.device->queues[0] != nullptr);
  CHECK(b.device->queues[0]->size() == 8);
  CHECK(b.device->queues[1] == nullptr);  // never made ready
  CHECK(b.device->link == b.transport.get());

  // The driver offers a buffer and notifies; the device returns it through the used ring.
  TestDriver driver(b.ram, layout);
  driver.desc(0, kRamBase + 0x8000, 64, kWrite);
  driver.offer(0);
  CHECK(b.rd(Reg::kInterruptStatus) == 0);
  b.wr(Reg::kQueueNotify, 0);
  CHECK(b.device->notified == std::vector<uint16_t>{0});
  CHECK(driver.used_idx() == 1);
  CHECK(driver.used(0).id == 0);
  // used_buffers raised the line and set bit 0.
  CHECK(b.rd(Reg::kInterruptStatus) == 1);
  CHECK(b.line.level());
  CHECK(b.sink.levels == std::vector<bool>{true});
  b.wr(Reg::kInterruptAck, 1);
  CHECK(b.rd(Reg::kInterruptStatus) == 0);
  CHECK_FALSE(b.line.level());
  CHECK(b.sink.levels == std::vector<bool>{true, false});

  // Notifications for a queue not enabled or not existing go nowhere.
  b.wr(Reg::kQueueNotify, 1);
  b.wr(Reg::kQueueNotify, 2);
  b.wr(Reg::kQueueNotify, 0xffffffff);
  CHECK(b.device->notified == std::vector<uint16_t>{0});
}

TEST_CASE("virtio-mmio: the line stays high until every bit is acknowledged") {
  Bench b;
  REQUIRE(b.negotiate(kAccepted));
  b.setup_queue(0, layout_queue(kRamBase, 8));
  b.add_status(Status::kDriverOk);
  b.transport->used_buffers(0);
  b.transport->config_changed();
  CHECK(b.rd(Reg::kInterruptStatus) == 3);
  b.wr(Reg::kInterruptAck, 1);
  CHECK(b.rd(Reg::kInterruptStatus) == 2);
  CHECK(b.line.level());
  b.wr(Reg::kInterruptAck, 2);
  CHECK_FALSE(b.line.level());
  CHECK(b.sink.levels == std::vector<bool>{true, false});
}

TEST_CASE("virtio-mmio: configuration space at every width; the generation counts changes") {
  Bench b;
  const uint64_t config = kWindow + 0x100;
  CHECK(b.transport->read(config, 1) == 0x11);
  CHECK(b.transport->read(config + 1, 1) == 0x22);
  CHECK(b.transport->read(config + 2, 2) == 0x4433);
  CHECK(b.transport->read(config + 4, 4) == 0x88776655);
  CHECK(b.transport->read(config, 8) == 0x8877665544332211);
  CHECK(b.transport->read(config + 6, 4) == 0x8877);  // past its end: zeros
  CHECK(b.transport->read(config + 0x100, 4) == 0);
  (void)b.transport->write(config + 1, 2, 0xbbaa);
  CHECK(b.transport->read(config, 4) == 0x44bbaa11);

  const uint32_t generation = b.rd(Reg::kConfigGeneration);
  b.transport->config_changed();
  CHECK(b.rd(Reg::kConfigGeneration) == generation + 1);
  CHECK(b.rd(Reg::kInterruptStatus) == 2);
  CHECK(b.line.level());
}

TEST_CASE("virtio-mmio: writing 0 to Status resets the device, the queues and the interrupt") {
  Bench b;
  REQUIRE(b.negotiate(kAccepted));
  b.setup_queue(0, layout_queue(kRamBase, 8));
  b.add_status(Status::kDriverOk);
  b.transport->used_buffers(0);
  REQUIRE(b.line.level());
  const int resets = b.device->resets;
  b.wr(Reg::kStatus, 0);
  CHECK(b.device->resets == resets + 1);
  CHECK(b.rd(Reg::kStatus) == 0);
  CHECK(b.rd(Reg::kInterruptStatus) == 0);
  CHECK_FALSE(b.line.level());
  b.wr(Reg::kQueueSel, 0);
  CHECK(b.rd(Reg::kQueueReady) == 0);
  b.wr(Reg::kQueueNotify, 0);
  CHECK(b.device->notified.empty());
  // And the device starts again.
  REQUIRE(b.negotiate(kAccepted));
  b.setup_queue(0, layout_queue(kRamBase + 0x2000, 4));
  b.add_status(Status::kDriverOk);
  CHECK(b.device->activations == 2);
  REQUIRE(b.device->queues[0] != nullptr);
  CHECK(b.device->queues[0]->size() == 4);
}

TEST_CASE("virtio-mmio: queue registers are fixed once the queue is ready or DRIVER_OK set") {
  Bench b;
  REQUIRE(b.negotiate(kAccepted));
  const QueueLayout layout = layout_queue(kRamBase, 8);
  b.setup_queue(0, layout);
  // Ready: the layout can no longer change (4.2.2.2).
  b.wr(Reg::kQueueDescLow, 0xdead0000);
  b.wr(Reg::kQueueNum, 3);
  b.add_status(Status::kDriverOk);
  REQUIRE(b.device->activations == 1);
  CHECK_FALSE(b.has(Status::kDeviceNeedsReset));
  // After DRIVER_OK: neither the other queue nor QueueReady changes.
  b.wr(Reg::kQueueSel, 1);
  b.wr(Reg::kQueueNum, 16);
  b.wr(Reg::kQueueReady, 1);
  CHECK(b.rd(Reg::kQueueReady) == 0);
  b.wr(Reg::kQueueSel, 0);
  b.wr(Reg::kQueueReady, 0);
  CHECK(b.rd(Reg::kQueueReady) == 1);
  // Clearing a status bit is ignored whole (2.1.1); DEVICE_NEEDS_RESET is not the driver's.
  b.wr(Reg::kStatus, 0x03);
  CHECK(b.rd(Reg::kStatus) == 0x0f);
  b.wr(Reg::kStatus, 0x4f);
  CHECK(b.rd(Reg::kStatus) == 0x0f);
}

TEST_CASE("virtio-mmio: QueueSel past the end reads nothing and changes nothing") {
  Bench b;
  for (uint32_t sel : {2u, 0xffffu, 0x10000u, 0xffffffffu}) {
    b.wr(Reg::kQueueSel, sel);
    CHECK(b.rd(Reg::kQueueNumMax) == 0);
    b.wr(Reg::kQueueNum, 8);
    b.wr(Reg::kQueueDescLow, 0x1000);
    b.wr(Reg::kQueueReady, 1);
    CHECK(b.rd(Reg::kQueueReady) == 0);
  }
  REQUIRE(b.negotiate(kAccepted));
  b.add_status(Status::kDriverOk);
  CHECK(b.device->activations == 1);
  CHECK(b.device->queues == std::vector<SplitVirtqueue*>{nullptr, nullptr});
}

TEST_CASE("virtio-mmio: a queue the device cannot use is DEVICE_NEEDS_RESET") {
  Bench b;
  QueueLayout layout = layout_queue(kRamBase, 8);
  SECTION("outside guest RAM") {
    layout.used = kRamBase + kRamSize - 8;
  }
  SECTION("wrapping the address space") {
    layout.desc = 0xfffffffffffffff0;
  }
  SECTION("larger than QueueNumMax") {
    layout.size = 16;
  }
  SECTION("not a power of two") {
    layout.size = 6;
  }
  SECTION("size 0") {
    layout.size = 0;
  }
  REQUIRE(b.negotiate(kAccepted));
  b.wr(Reg::kQueueSel, 0);
  b.wr(Reg::kQueueNum, layout.size);
  b.wr(Reg::kQueueDescLow, static_cast<uint32_t>(layout.desc));
  b.wr(Reg::kQueueDescHigh, static_cast<uint32_t>(layout.desc >> 32));
  b.wr(Reg::kQueueDriverLow, static_cast<uint32_t>(layout.avail));
  b.wr(Reg::kQueueDeviceLow, static_cast<uint32_t>(layout.used));
  b.wr(Reg::kQueueReady, 1);
  b.add_status(Status::kDriverOk);
  CHECK(b.device->activations == 0);
  CHECK(b.has(Status::kDeviceNeedsReset));
  CHECK(b.rd(Reg::kInterruptStatus) == 2);  // 2.1.2: a configuration change notification
  CHECK(b.line.level());
  b.wr(Reg::kQueueNotify, 0);
  CHECK(b.device->notified.empty());
  CHECK(b.ram.refused() == 0);  // the layout was checked, not tried
  b.wr(Reg::kStatus, 0);
  CHECK(b.rd(Reg::kStatus) == 0);
  CHECK_FALSE(b.line.level());
}

TEST_CASE("virtio-mmio: a device that refuses activation, or breaks later, needs a reset") {
  Bench b;
  b.device->accept = false;
  REQUIRE(b.negotiate(kAccepted));
  b.setup_queue(0, layout_queue(kRamBase, 8));
  b.add_status(Status::kDriverOk);
  CHECK(b.has(Status::kDeviceNeedsReset));
  b.wr(Reg::kQueueNotify, 0);
  CHECK(b.device->notified.empty());

  b.device->accept = true;
  REQUIRE(b.negotiate(kAccepted));
  b.setup_queue(0, layout_queue(kRamBase, 8));
  b.add_status(Status::kDriverOk);
  REQUIRE_FALSE(b.has(Status::kDeviceNeedsReset));
  b.transport->needs_reset();
  CHECK(b.rd(Reg::kStatus) == (0x0f | 0x40));
  CHECK(b.rd(Reg::kInterruptStatus) == 2);
}

TEST_CASE("virtio-mmio: register accesses not 32-bit and aligned, and past the window") {
  Bench b;
  for (const uint8_t size : {uint8_t{1}, uint8_t{2}, uint8_t{8}}) {
    CHECK(b.transport->read(kWindow, size) == 0);
    (void)b.transport->write(kWindow + static_cast<uint32_t>(Reg::kStatus), size, 1);
  }
  CHECK(b.transport->read(kWindow + 2, 4) == 0);
  (void)b.transport->write(kWindow + static_cast<uint32_t>(Reg::kStatus) + 1, 4, 1);
  CHECK(b.rd(Reg::kStatus) == 0);
  CHECK(b.transport->read(kWindow + 0x0f8, 4) == 0);  // not a register
  CHECK(b.transport->read(kWindow + 0x1000, 4) == 0);
  CHECK(b.transport->read(kWindow - 4, 4) == 0);
  CHECK(b.transport->read(kWindow + 0xffe, 4) == 0);  // config, its end cut at the window
  (void)b.transport->write(kWindow + 0xffc, 8, ~uint64_t{0});
  (void)b.transport->write(kWindow + 0x1000, 4, 1);
  CHECK(b.rd(Reg::kStatus) == 0);
}

TEST_CASE("virtio-mmio: used_buffers from a worker thread while the driver acknowledges") {
  Bench b;
  REQUIRE(b.negotiate(kAccepted));
  b.setup_queue(0, layout_queue(kRamBase, 8));
  b.add_status(Status::kDriverOk);
  std::thread worker([&] {
    for (int i = 0; i < 2000; ++i) b.transport->used_buffers(0);
  });
  for (int i = 0; i < 2000; ++i) b.wr(Reg::kInterruptAck, b.rd(Reg::kInterruptStatus));
  worker.join();
  b.wr(Reg::kInterruptAck, b.rd(Reg::kInterruptStatus));
  CHECK_FALSE(b.line.level());
  // The sink saw alternating levels, starting with a rise.
  for (size_t i = 0; i < b.sink.levels.size(); ++i) CHECK(b.sink.levels[i] == (i % 2 == 0));
}

TEST_CASE("virtio-mmio plug: slots, the kernel's word, a level line on the board") {
  CHECK(kernel_parameter({0xd0000000, 5}) == "virtio_mmio.device=4K@0xd0000000:5");
  REQUIRE(mmio_slot(1).has_value());
  CHECK(mmio_slot(1)->base == 0xd0001000);
  CHECK(mmio_slot(1)->irq == 6);
  CHECK_FALSE(mmio_slot(kMmioSlots).has_value());

  RecordingSink sink;
  FakeGuestRam ram{kRamBase, kRamSize};
  auto wiring = [&](std::span<const acpi::IsaOverride> overrides) {
    acpi::AcpiConfig platform;
    platform.overrides = overrides;
    return Board::Wiring{platform, &sink, [] { return uint64_t{0}; }, [] { return int64_t{0}; },
                         [](BoardEnd, std::string) {}};
  };
  {
    Board board(wiring(acpi::kDefaultOverrides));  // IRQ 5 is edge on a plain PC
    CHECK_FALSE(plug_virtio_mmio(board, *mmio_slot(0), std::make_unique<FakeDevice>(), ram));
  }
  Board board(wiring(kMmioOverrides));
  for (uint32_t i = 0; i < kMmioSlots; ++i) {
    auto plugged = plug_virtio_mmio(board, *mmio_slot(i), std::make_unique<FakeDevice>(), ram);
    REQUIRE(plugged);
  }
  CHECK_FALSE(plug_virtio_mmio(board, {0xd0000000, 12}, std::make_unique<FakeDevice>(), ram));
  CHECK(board.mmio().read(0xd0000000, 4) == 0x74726976);
  CHECK(board.mmio().read(0xd0004000 + 8, 4) == 2);
  CHECK(board.mmio().read(0xd0005000, 4) == ~uint64_t{0});  // past the last slot: empty bus
}

TEST_CASE("virtio-mmio: doorbells on QueueNotify, one value per queue, from DRIVER_OK to reset") {
  RecordingDoorbells sink;
  Bench b(&sink);
  b.device->kick_fds = {40, 41};
  REQUIRE(b.negotiate(kAccepted));
  b.setup_queue(0, layout_queue(kRamBase, 8));
  CHECK(sink.live.empty());
  b.add_status(Status::kDriverOk);
  const uint64_t notify = kWindow + static_cast<uint32_t>(Reg::kQueueNotify);
  // Queue 1 was never made ready: only queue 0's.
  CHECK(sink.live == std::vector<DoorbellSpec>{{notify, 4, uint64_t{0}, 40}});
  b.wr(Reg::kStatus, 0);
  CHECK(sink.live.empty());
  REQUIRE(b.negotiate(kAccepted));
  b.setup_queue(0, layout_queue(kRamBase, 8));
  b.add_status(Status::kDriverOk);
  CHECK(sink.live.size() == 1);
  b.transport.reset();  // the transport goes: so do its doorbells
  CHECK(sink.live.empty());
}
