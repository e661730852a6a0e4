// The virtio-pci transport (vmm/virtio/pci_transport.hpp, virtio 1.2 §4.1): the function's
// identity and capabilities as Linux's virtio_pci_modern_dev.c finds them, the driver's
// initialisation of §3.1.1 through the common configuration in BAR 0, notifications at
// 0x3000 + 4 q, used buffer and configuration notifications as MSI-X messages (or ISR bits
// without MSI-X), reset, the PCI configuration access window (§4.1.4.9), and teardown while the
// device still reports. Hostile drivers: test_virtio_pci_hostile.cpp; the plug function:
// test_virtio_pci_plug.cpp.
#include <catch2/catch_test_macros.hpp>

#include <cstdint>
#include <optional>
#include <vector>

#include "tests/unit/vmm/virtio_pci_bench.hpp"
#include "tests/unit/vmm/virtio_test_driver.hpp"
#include "vmm/pci/config_space.hpp"
#include "vmm/pci/msix.hpp"
#include "vmm/virtio/pci_transport.hpp"

using namespace rootstock::vmm;
using namespace rootstock::vmm::virtio;
using namespace rootstock::test;
using namespace rootstock::test::vpci_bench;
using vpci::Common;

TEST_CASE("virtio-pci: a modern function's IDs, header and BAR 0", "[pci]") {
  Bench b;
  auto read = b.reader();
  CHECK(read(0x00, 2) == 0x1af4);
  CHECK(read(0x02, 2) == 0x1042);  // 1040h + block
  CHECK(read(0x08, 1) >= 1);       // non-transitional: revision 1 or more
  CHECK(read(0x08, 4) == (pci::class_code::kScsiStorage << 8 | read(0x08, 1)));
  CHECK(read(0x0a, 2) == 0x0100);  // mass storage, SCSI
  CHECK(read(0x0e, 1) == 0);
  CHECK(read(0x2c, 2) == 0x1af4);
  CHECK(read(0x2e, 2) == 0x1042);
  CHECK(read(0x3d, 1) == 0);  // no INTx pin
  CHECK((read(0x06, 2) & pci::status::kCapabilitiesList) != 0);
  // BAR 0: a 32 KiB 32-bit memory BAR at the base it was given; sizing shows the size.
  CHECK(read(0x10, 4) == kBarBase);
  b.t->config_write(0x10, 4, 0xffffffff);
  CHECK(read(0x10, 4) == 0xffff8000);
  b.t->config_write(0x10, 4, kBarBase);
  for (uint16_t reg = 0x14; reg <= 0x24; reg += 4) {
    b.t->config_write(reg, 4, 0xffffffff);
    CHECK(read(reg, 4) == 0);
  }
  CHECK(b.t->bar_windows()[0].size == 0);  // Memory Space off
  b.t->config_write(0x04, 2, pci::command::kMemorySpace | pci::command::kBusMaster);
  CHECK(b.t->bar_windows()[0].base == kBarBase);
  CHECK(b.t->bar_windows()[0].size == vpci::kBarSize);
}

TEST_CASE("virtio-pci: the capability list holds MSI-X and the five virtio structures", "[pci]") {
  Bench b;
  auto read = b.reader();
  const std::vector<uint16_t> chain = capability_chain(read);
  REQUIRE(chain.size() == 6);
  CHECK(read(chain[0], 1) == 0x11);  // MSI-X first
  for (size_t i = 1; i < chain.size(); ++i) CHECK(read(chain[i], 1) == 0x09);

  // MSI-X: three vectors (two queues and the configuration), table and PBA in BAR 0.
  CHECK(b.msix_cap == chain[0]);
  CHECK(read(b.msix_cap + pci::msix::kMessageControl, 2) == 2);
  CHECK(read(b.msix_cap + pci::msix::kTableOffset, 4) == (vpci::kMsixTableOffset | 0));
  CHECK(read(b.msix_cap + pci::msix::kPbaOffset, 4) == (vpci::kMsixPbaOffset | 0));

  struct Expected {
    vpci::CfgType type;
    uint8_t cap_len;
    uint32_t offset;
    uint32_t length;
  };
  const Expected expected[] = {
      {vpci::CfgType::kCommon, 16, 0x0000, 0x3c},
      {vpci::CfgType::kNotify, 20, 0x3000, 8},  // 2 queues × notify_off_multiplier 4
      {vpci::CfgType::kIsr, 16, 0x1000, 1},
      {vpci::CfgType::kDevice, 16, 0x2000, 8},
      {vpci::CfgType::kPciCfg, 20, 0, 0},
  };
  for (const Expected& e : expected) {
    CAPTURE(static_cast<int>(e.type));
    const auto cap = find_virtio_cap(read, e.type);
    REQUIRE(cap);
    CHECK(cap->cap_len == e.cap_len);
    CHECK(cap->bar == 0);
    CHECK(cap->offset == e.offset);
    CHECK(cap->length == e.length);
    // Linux's vp_modern_map_capability(): inside BAR 0, and the common structure at least as
    // long as struct virtio_pci_common_cfg (0x38).
    CHECK(uint64_t{cap->offset} + cap->length <= vpci::kBarSize);
    CHECK(read(cap->at + vpci::cap::kId, 1) == 0);
  }
  CHECK(find_virtio_cap(read, vpci::CfgType::kCommon)->length >= 0x38);
  const auto notify = find_virtio_cap(read, vpci::CfgType::kNotify);
  CHECK(read(notify->at + vpci::cap::kNotifyOffMultiplier, 4) == 4);
  // The capabilities are read-only where the driver has no business writing.
  b.t->config_write(notify->at + vpci::cap::kOffset, 4, 0);
  b.t->config_write(notify->at + 1, 1, 0);
  CHECK(find_virtio_cap(read, vpci::CfgType::kNotify)->offset == 0x3000);
  CHECK(capability_chain(read) == chain);
}

TEST_CASE("virtio-pci: MSI-X Message Control through configuration space", "[pci]") {
  Bench b;
  auto read = b.reader();
  const uint16_t control = b.msix_cap + pci::msix::kMessageControl;
  // A word write, as Linux's pci_msix_clear_and_set_ctrl() makes.
  b.t->config_write(control, 2, pci::msix::kEnable | pci::msix::kFunctionMask | 0x7ff);
  CHECK(read(control, 2) == (pci::msix::kEnable | pci::msix::kFunctionMask | 2));
  CHECK(read(control + 1, 1) == (pci::msix::kEnable | pci::msix::kFunctionMask) >> 8);
  CHECK(read(b.msix_cap, 4) == (uint32_t{pci::msix::kEnable | pci::msix::kFunctionMask | 2} << 16 |
                                uint32_t{read(b.msix_cap + 1, 1)} << 8 | 0x11));
  // A dword write over the ID and next pointer changes only Message Control.
  b.t->config_write(b.msix_cap, 4, uint32_t{pci::msix::kEnable} << 16);
  CHECK(read(control, 2) == (pci::msix::kEnable | 2));
  CHECK(read(b.msix_cap, 1) == 0x11);
  // A byte write of the upper byte (Enable and Function Mask live there).
  b.t->config_write(control + 1, 1, (pci::msix::kFunctionMask | pci::msix::kEnable) >> 8);
  CHECK(read(control, 2) == (pci::msix::kEnable | pci::msix::kFunctionMask | 2));
  b.t->config_write(control + 1, 1, 0);
  CHECK(read(control, 2) == 2);
}

TEST_CASE("virtio-pci: the features offered, and FEATURES_OK only with VERSION_1", "[pci]") {
  Bench b;
  CHECK(b.device_features() ==
        (kDeviceBit3 | feature_mask(FeatureBit::kEventIdx) | kFeatureVersion1));
  b.wr(Common::kDeviceFeatureSelect, 4, 2);
  CHECK(b.rd(Common::kDeviceFeatureSelect, 4) == 2);
  CHECK(b.rd(Common::kDeviceFeature, 4) == 0);
  CHECK(b.rd(Common::kNumQueues, 2) == 2);

  CHECK(b.negotiate(kAccepted));
  CHECK_FALSE(b.negotiate(kDeviceBit3));  // legacy: refused, left clear
  CHECK(b.has(Status::kDriver));
  CHECK_FALSE(b.negotiate(kAccepted | kRingReset));  // not offered
  CHECK_FALSE(b.negotiate(kAccepted | uint64_t{1} << 5));
  // DRIVER_OK without FEATURES_OK starts nothing.
  b.add_status(Status::kDriverOk);
  CHECK_FALSE(b.has(Status::kDriverOk));
  CHECK(b.device->activations == 0);
  // The driver's features read back; past FEATURES_OK they are settled.
  REQUIRE(b.negotiate(kAccepted));
  b.wr(Common::kDriverFeatureSelect, 4, 1);
  CHECK(b.rd(Common::kDriverFeature, 4) == 1);
  b.wr(Common::kDriverFeatureSelect, 4, 0);
  CHECK(b.rd(Common::kDriverFeature, 4) == kDeviceBit3);
  b.wr(Common::kDriverFeature, 4, 0xffffffff);
  CHECK(b.rd(Common::kDriverFeature, 4) == kDeviceBit3);
  b.add_status(Status::kDriverOk);
  CHECK(b.device->activated_features == kAccepted);
}

TEST_CASE("virtio-pci: the driver's whole initialisation, a notify and its MSI-X message",
          "[pci]") {
  Bench b;
  // Linux's order: MSI-X first (vp_request_msix_vectors), then features, then the queues.
  b.enable_msix();
  b.program_vector(0, 0x40);  // configuration changes
  b.program_vector(1, 0x41);  // queue 0
  b.program_vector(2, 0x42);  // queue 1
  REQUIRE(b.negotiate(kAccepted));
  b.wr(Common::kConfigMsixVector, 2, 0);
  CHECK(b.rd(Common::kConfigMsixVector, 2) == 0);

  // queue_size reads the maximum; the driver may write a smaller one.
  b.wr(Common::kQueueSelect, 2, 0);
  CHECK(b.rd(Common::kQueueSize, 2) == 8);
  CHECK(b.rd(Common::kQueueNotifyOff, 2) == 0);
  b.wr(Common::kQueueSelect, 2, 1);
  CHECK(b.rd(Common::kQueueSize, 2) == 16);
  CHECK(b.rd(Common::kQueueNotifyOff, 2) == 1);
  CHECK(b.rd(Common::kQueueMsixVector, 2) == vpci::kNoVector);

  const QueueLayout layout = layout_queue(kRamBase, 4);
  b.setup_queue(0, layout, 1);
  b.wr(Common::kQueueSelect, 2, 0);
  CHECK(b.rd(Common::kQueueSize, 2) == 4);
  CHECK(b.rd(Common::kQueueEnable, 2) == 1);
  CHECK(b.rd(Common::kQueueDesc, 4) == layout.desc);
  CHECK(b.rd(Common::kQueueDesc, 4, 4) == 0);
  CHECK(b.rd(Common::kQueueDesc, 8) == layout.desc);
  CHECK(b.rd(Common::kQueueDriver, 8) == layout.avail);
  CHECK(b.rd(Common::kQueueDevice, 8) == layout.used);

  b.add_status(Status::kDriverOk);
  CHECK(b.status() == 0x0f);
  REQUIRE(b.device->activations == 1);
  CHECK(b.device->activated_features == kAccepted);
  REQUIRE(b.device->queues.size() == 2);
  REQUIRE(b.device->queues[0] != nullptr);
  CHECK(b.device->queues[0]->size() == 4);
  CHECK(b.device->queues[1] == nullptr);
  CHECK(b.device->link == b.t.get());

  // A buffer, a notify at 0x3000 + 4·0, the device returns it, queue 0's vector fires.
  TestDriver driver(b.ram, layout);
  driver.desc(0, kRamBase + 0x8000, 64, kWrite);
  driver.offer(0);
  b.notify(0);
  CHECK(b.device->notified == std::vector<uint16_t>{0});
  CHECK(driver.used_idx() == 1);
  CHECK(b.sink.take() == std::vector<Message>{{kApic, 0x41}});
  CHECK(b.isr() == 0);  // with MSI-X the ISR's queue bit is not used
  CHECK(b.sink.lines == 0);

  // Notifications for queues not enabled, not existing, or at addresses between queues.
  b.notify(1);
  b.notify(2);
  b.notify(0x3ff);
  b.t->bar_write(vpci::kBar, vpci::kNotifyOffset + 2, 2, 0);
  b.t->bar_write(vpci::kBar, vpci::kNotifyOffset + 0xffe, 2, 0);
  CHECK(b.device->notified == std::vector<uint16_t>{0});
  // A notify of any width at the queue's address counts (Linux writes 16 bits).
  b.t->bar_write(vpci::kBar, vpci::kNotifyOffset, 4, 0);
  b.t->bar_write(vpci::kBar, vpci::kNotifyOffset, 1, 0);
  CHECK(b.device->notified.size() == 3);
  CHECK(b.t->failed_interrupts() == 0);
}

TEST_CASE("virtio-pci: queue and configuration vectors the table lacks read NO_VECTOR", "[pci]") {
  Bench b;
  REQUIRE(b.negotiate(kAccepted));
  CHECK(b.rd(Common::kConfigMsixVector, 2) == vpci::kNoVector);
  b.wr(Common::kConfigMsixVector, 2, 2);
  CHECK(b.rd(Common::kConfigMsixVector, 2) == 2);
  b.wr(Common::kConfigMsixVector, 2, 3);  // three vectors: 0-2
  CHECK(b.rd(Common::kConfigMsixVector, 2) == vpci::kNoVector);
  b.wr(Common::kQueueSelect, 2, 1);
  for (uint16_t v : {uint16_t{3}, uint16_t{64}, uint16_t{0x7fff}, uint16_t{0xfffe}}) {
    b.wr(Common::kQueueMsixVector, 2, v);
    CHECK(b.rd(Common::kQueueMsixVector, 2) == vpci::kNoVector);
  }
  b.wr(Common::kQueueMsixVector, 2, 2);
  CHECK(b.rd(Common::kQueueMsixVector, 2) == 2);
  b.wr(Common::kQueueMsixVector, 2, vpci::kNoVector);
  CHECK(b.rd(Common::kQueueMsixVector, 2) == vpci::kNoVector);
}

TEST_CASE("virtio-pci: a masked vector's message waits in the PBA", "[pci]") {
  Bench b;
  b.enable_msix();
  b.program_vector(1, 0x51, true);
  REQUIRE(b.negotiate(kAccepted));
  b.setup_queue(0, layout_queue(kRamBase, 8), 1);
  b.add_status(Status::kDriverOk);
  b.t->used_buffers(0);
  CHECK(b.sink.take().empty());
  CHECK(b.t->bar_read(vpci::kBar, vpci::kMsixPbaOffset, 8) == 0b010);
  CHECK(b.t->bar_read(vpci::kBar, vpci::kMsixTableOffset + 16 + 12, 4) == 1);
  b.t->bar_write(vpci::kBar, vpci::kMsixTableOffset + 16 + 12, 4, 0);
  CHECK(b.sink.take() == std::vector<Message>{{kApic, 0x51}});
  CHECK(b.t->bar_read(vpci::kBar, vpci::kMsixPbaOffset, 8) == 0);
  // The PBA is read-only.
  b.t->bar_write(vpci::kBar, vpci::kMsixPbaOffset, 8, ~uint64_t{0});
  CHECK(b.t->bar_read(vpci::kBar, vpci::kMsixPbaOffset, 8) == 0);
  // A message to a 64-bit address is not sent, and counted.
  b.t->bar_write(vpci::kBar, vpci::kMsixTableOffset + 16 + 4, 4, 1);
  b.t->used_buffers(0);
  CHECK(b.sink.take().empty());
  CHECK(b.t->failed_interrupts() == 1);
}

TEST_CASE("virtio-pci: without MSI-X the ISR holds the cause and reading clears it", "[pci]") {
  Bench b;
  REQUIRE(b.negotiate(kAccepted));
  b.setup_queue(0, layout_queue(kRamBase, 8), vpci::kNoVector);
  b.add_status(Status::kDriverOk);
  CHECK(b.isr() == 0);
  b.t->used_buffers(0);
  CHECK(b.isr() == vpci::kIsrQueue);
  CHECK(b.isr() == 0);  // read to clear
  b.t->used_buffers(0);
  b.t->config_changed();
  CHECK(b.isr() == (vpci::kIsrQueue | vpci::kIsrConfig));
  CHECK(b.isr() == 0);
  CHECK(b.sink.take().empty());
  CHECK(b.sink.lines == 0);
  // Only the ISR's one byte: the rest of its page reads 0, and writes do nothing.
  b.t->used_buffers(0);
  CHECK(b.t->bar_read(vpci::kBar, vpci::kIsrOffset + 4, 4) == 0);
  b.t->bar_write(vpci::kBar, vpci::kIsrOffset, 1, 0);
  CHECK(b.isr() == vpci::kIsrQueue);
}

TEST_CASE("virtio-pci: a configuration change bumps the generation and uses the config vector",
          "[pci]") {
  Bench b;
  const auto generation = b.rd(Common::kConfigGeneration, 1);
  b.t->config_changed();  // no MSI-X yet: only the ISR
  CHECK(b.rd(Common::kConfigGeneration, 1) == ((generation + 1) & 0xff));
  CHECK(b.sink.take().empty());
  CHECK(b.isr() == vpci::kIsrConfig);

  b.enable_msix();
  b.program_vector(0, 0x60);
  b.t->config_changed();  // MSI-X, but no config vector given: nothing sent
  CHECK(b.sink.take().empty());
  b.wr(Common::kConfigMsixVector, 2, 0);
  b.t->config_changed();
  CHECK(b.sink.take() == std::vector<Message>{{kApic, 0x60}});
  CHECK(b.rd(Common::kConfigGeneration, 1) == ((generation + 3) & 0xff));
  CHECK(b.isr() == vpci::kIsrConfig);  // set either way (4.1.4.5.1)
  // 256 changes wrap the 8-bit counter.
  for (int i = 0; i < 256; ++i) b.t->config_changed();
  CHECK(b.rd(Common::kConfigGeneration, 1) == ((generation + 3) & 0xff));
}

TEST_CASE("virtio-pci: the device configuration at 0x2000, at every width", "[pci]") {
  Bench b;
  const uint64_t config = vpci::kDeviceOffset;
  CHECK(b.t->bar_read(vpci::kBar, config, 1) == 0x11);
  CHECK(b.t->bar_read(vpci::kBar, config + 1, 1) == 0x22);
  CHECK(b.t->bar_read(vpci::kBar, config + 2, 2) == 0x4433);
  CHECK(b.t->bar_read(vpci::kBar, config + 4, 4) == 0x88776655);
  CHECK(b.t->bar_read(vpci::kBar, config, 8) == 0x8877665544332211);
  CHECK(b.t->bar_read(vpci::kBar, config + 6, 4) == 0x8877);  // past its end: zeros
  CHECK(b.t->bar_read(vpci::kBar, config + 0xffc, 8) == 0);   // cut at the region's end
  b.t->bar_write(vpci::kBar, config + 1, 2, 0xbbaa);
  CHECK(b.t->bar_read(vpci::kBar, config, 4) == 0x44bbaa11);
  b.t->bar_write(vpci::kBar, config + 0xffc, 8, ~uint64_t{0});
  CHECK(b.device->config[7] == 0x88);
}

TEST_CASE("virtio-pci: writing 0 to device_status resets the device and the transport", "[pci]") {
  Bench b;
  b.enable_msix();
  b.program_vector(0, 0x70);
  b.program_vector(1, 0x71);
  REQUIRE(b.negotiate(kAccepted));
  b.wr(Common::kConfigMsixVector, 2, 0);
  const QueueLayout layout = layout_queue(kRamBase, 8);
  b.setup_queue(0, layout, 1);
  b.add_status(Status::kDriverOk);
  REQUIRE(b.device->activations == 1);
  b.wr(Common::kQueueSelect, 2, 1);
  b.wr(Common::kDeviceFeatureSelect, 4, 1);

  b.wr(Common::kDeviceStatus, 1, 0);
  CHECK(b.device->resets == 2);  // negotiate()'s reset, and this one
  CHECK(b.status() == 0);
  CHECK(b.rd(Common::kQueueSelect, 2) == 0);
  CHECK(b.rd(Common::kDeviceFeatureSelect, 4) == 0);
  CHECK(b.rd(Common::kConfigMsixVector, 2) == vpci::kNoVector);
  CHECK(b.rd(Common::kQueueSize, 2) == 8);  // the maximum again
  CHECK(b.rd(Common::kQueueEnable, 2) == 0);
  CHECK(b.rd(Common::kQueueDesc, 8) == 0);
  CHECK(b.rd(Common::kQueueMsixVector, 2) == vpci::kNoVector);
  b.wr(Common::kDriverFeatureSelect, 4, 1);
  CHECK(b.rd(Common::kDriverFeature, 4) == 0);
  b.notify(0);
  CHECK(b.device->notified.empty());
  b.t->used_buffers(0);  // a stray notification after reset: no vector any more
  CHECK(b.sink.take().empty());
  // MSI-X is the function's, not the device's: it stays enabled, the table programmed.
  CHECK((b.t->config_read(b.msix_cap + 2, 2) & pci::msix::kEnable) != 0);

  // And it starts again.
  REQUIRE(b.negotiate(kAccepted));
  b.setup_queue(0, layout_queue(kRamBase + 0x2000, 2), 1);
  b.add_status(Status::kDriverOk);
  CHECK(b.device->activations == 2);
  REQUIRE(b.device->queues[0] != nullptr);
  CHECK(b.device->queues[0]->size() == 2);
}

TEST_CASE("virtio-pci: queue fields are fixed once the queue is enabled or DRIVER_OK set",
          "[pci]") {
  Bench b;
  REQUIRE(b.negotiate(kAccepted));
  const QueueLayout layout = layout_queue(kRamBase, 8);
  b.setup_queue(0, layout, vpci::kNoVector);
  b.wr(Common::kQueueSize, 2, 2);
  b.wr(Common::kQueueDesc, 4, 0xdead0000);
  b.wr(Common::kQueueEnable, 2, 0);  // 0 is not the driver's to write
  CHECK(b.rd(Common::kQueueSize, 2) == 8);
  CHECK(b.rd(Common::kQueueDesc, 8) == layout.desc);
  CHECK(b.rd(Common::kQueueEnable, 2) == 1);
  b.add_status(Status::kDriverOk);
  REQUIRE(b.device->activations == 1);
  // After DRIVER_OK no other queue can be set up.
  b.wr(Common::kQueueSelect, 2, 1);
  b.wr(Common::kQueueSize, 2, 4);
  b.wr(Common::kQueueEnable, 2, 1);
  CHECK(b.rd(Common::kQueueSize, 2) == 16);
  CHECK(b.rd(Common::kQueueEnable, 2) == 0);
  // Clearing a status bit is ignored whole; DEVICE_NEEDS_RESET is not the driver's to set.
  b.wr(Common::kDeviceStatus, 1, 0x03);
  CHECK(b.status() == 0x0f);
  b.wr(Common::kDeviceStatus, 1, 0x4f);
  CHECK(b.status() == 0x0f);
}

TEST_CASE("virtio-pci: the PCI configuration access window reaches BAR 0", "[pci]") {
  Bench b;
  auto read = b.reader();
  const auto cap = find_virtio_cap(read, vpci::CfgType::kPciCfg);
  REQUIRE(cap);
  const uint16_t data = cap->at + vpci::cap::kPciCfgData;
  const auto point = [&](uint8_t bar, uint32_t offset, uint32_t length) {
    b.t->config_write(cap->at + vpci::cap::kBar, 1, bar);
    b.t->config_write(cap->at + vpci::cap::kOffset, 4, offset);
    b.t->config_write(cap->at + vpci::cap::kLength, 4, length);
  };
  // num_queues through the window; the fields read back as written.
  point(0, static_cast<uint32_t>(Common::kNumQueues), 2);
  CHECK(read(cap->at + vpci::cap::kOffset, 4) == 0x12);
  CHECK(read(cap->at + vpci::cap::kLength, 4) == 2);
  CHECK(read(data, 2) == 2);
  // A status write through it.
  point(0, static_cast<uint32_t>(Common::kDeviceStatus), 1);
  b.t->config_write(data, 1, bit(Status::kAcknowledge));
  CHECK(b.status() == bit(Status::kAcknowledge));
  CHECK(read(data, 1) == bit(Status::kAcknowledge));
  // The device features, 4 bytes.
  point(0, static_cast<uint32_t>(Common::kDeviceFeature), 4);
  CHECK(read(data, 4) == (kDeviceBit3 | feature_mask(FeatureBit::kEventIdx)));
  // The device configuration.
  point(0, vpci::kDeviceOffset + 4, 4);
  CHECK(read(data, 4) == 0x88776655);

  // Refused: the access not as wide as cap.length, a length not 1, 2 or 4, a misaligned
  // offset, another BAR, an offset past BAR 0.
  point(0, vpci::kDeviceOffset + 4, 4);
  CHECK(read(data, 2) == 0);
  point(0, vpci::kDeviceOffset, 3);
  CHECK(read(data, 4) == 0);
  CHECK(read(data, 2) == 0);
  point(0, vpci::kDeviceOffset + 1, 2);
  CHECK(read(data, 2) == 0);
  point(1, static_cast<uint32_t>(Common::kNumQueues), 2);
  CHECK(read(data, 2) == 0);
  point(0xff, 0, 4);
  CHECK(read(data, 4) == 0);
  point(0, 0xfffffffc, 4);
  CHECK(read(data, 4) == 0);
  b.t->config_write(data, 4, 0xffffffff);
  point(0, static_cast<uint32_t>(Common::kDeviceStatus), 1);
  b.t->config_write(data, 2, 0);  // width mismatch: dropped
  CHECK(b.status() == bit(Status::kAcknowledge));
}

TEST_CASE("virtio-pci: the device stops before the transport's interrupt state goes", "[pci]") {
  Bench b;
  b.enable_msix();
  b.program_vector(1, 0x33);
  REQUIRE(b.negotiate(kAccepted));
  b.setup_queue(0, layout_queue(kRamBase, 8), 1);
  b.add_status(Status::kDriverOk);
  REQUIRE(b.device->activations == 1);
  // The VM goes away with the device active: its last used buffer notification, made while
  // it is being reset, still finds the MSI-X table (ASan: no use after free).
  b.device->used_on_reset = true;
  b.t.reset();
  CHECK(b.sink.take() == std::vector<Message>{{kApic, 0x33}});
}

TEST_CASE("virtio-pci: without Bus Master Enable the device neither starts nor signals", "[pci]") {
  Bench b(nullptr, false);
  b.enable_msix();
  b.program_vector(0, 0x40);
  b.program_vector(1, 0x41);
  REQUIRE(b.negotiate(kAccepted));
  b.wr(Common::kConfigMsixVector, 2, 0);
  const QueueLayout layout = layout_queue(kRamBase, 4);
  b.setup_queue(0, layout, 1);
  TestDriver driver(b.ram, layout);
  driver.desc(0, kRamBase + 0x8000, 64, kWrite);
  driver.offer(0);

  // DRIVER_OK is kept, but the device may not reach the queues yet: no activation, and a
  // notify is not served.
  b.add_status(Status::kDriverOk);
  CHECK(b.status() == 0x0f);
  CHECK(b.device->activations == 0);
  b.notify(0);
  CHECK(b.device->notified.empty());
  CHECK(driver.used_idx() == 0);

  // Bus Master on: the device starts and serves the queue.
  b.t->config_write(0x04, 2, pci::command::kBusMaster);
  REQUIRE(b.device->activations == 1);
  b.notify(0);
  CHECK(driver.used_idx() == 1);
  CHECK(b.sink.take() == std::vector<Message>{{kApic, 0x41}});

  // Off under a started device: it stops (reset, no more guest memory) and needs a reset; the
  // configuration change notification waits in the PBA until Bus Master comes back.
  const int resets = b.device->resets;
  b.t->config_write(0x04, 2, 0);
  CHECK(b.device->resets == resets + 1);
  CHECK(b.has(Status::kDeviceNeedsReset));
  CHECK(b.sink.take().empty());
  CHECK(b.t->bar_read(vpci::kBar, vpci::kMsixPbaOffset, 8) == 0b001);
  driver.offer(0);
  b.notify(0);
  CHECK(driver.used_idx() == 1);
  b.t->config_write(0x04, 2, pci::command::kBusMaster);
  CHECK(b.sink.take() == std::vector<Message>{{kApic, 0x40}});
  CHECK(b.device->activations == 1);  // not restarted: the driver must reset it first
  b.notify(0);
  CHECK(driver.used_idx() == 1);

  // After a reset the driver can bring it up again.
  REQUIRE(b.negotiate(kAccepted));
  CHECK_FALSE(b.has(Status::kDeviceNeedsReset));
  b.setup_queue(0, layout_queue(kRamBase, 4), 1);
  b.add_status(Status::kDriverOk);
  CHECK(b.device->activations == 2);
}
