// The driver's side of a virtio-pci function for the unit tests (vmm/virtio/pci_transport.hpp):
// a fake device with two queues, a sink that records MSI-X messages, Linux's walks of the
// capability list (pci_find_capability, virtio_pci_find_capability), and a Bench that reaches the
// common configuration, the ISR, the notify addresses and the MSI-X table in BAR 0 as
// drivers/virtio/virtio_pci_modern_dev.c does.
#pragma once

#include <stdint.h>

#include <array>
#include <catch2/catch_test_macros.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "tests/unit/vmm/fake_guest_ram.hpp"
#include "tests/unit/vmm/fake_virtio_device.hpp"
#include "tests/unit/vmm/virtio_test_driver.hpp"
#include "vmm/interrupt_line.hpp"
#include "vmm/pci/config_space.hpp"
#include "vmm/pci/msix.hpp"
#include "vmm/virtio/pci_transport.hpp"

namespace rootstock::test::vpci_bench {

using namespace rootstock::vmm;
using namespace rootstock::vmm::virtio;
using rootstock::test::FakeGuestRam;
using vpci::Common;

inline constexpr uint32_t kBarBase = 0xc0000000;
inline constexpr uint64_t kRamBase = 0x100000;
inline constexpr uint64_t kRamSize = 0x10000;
using rootstock::test::FakeDevice;
using rootstock::test::kDeviceBit3;
using rootstock::test::kRingReset;
inline constexpr uint64_t kAccepted = kFeatureVersion1 | kDeviceBit3;
inline constexpr uint32_t kApic = 0xfee00000;

constexpr uint8_t bit(vmm::virtio::Status s) {
  return status_bit(s);
}

struct Message {
  uint32_t address;
  uint32_t data;
  bool operator==(const Message&) const = default;
};

struct RecordingSink final : InterruptSink {
  std::mutex mutex;
  std::vector<Message> messages;
  int lines = 0;  // edge() and level(): a virtio-pci function has no INTx pin
  Result<void> edge(uint32_t) override {
    std::lock_guard lock(mutex);
    ++lines;
    return {};
  }
  Result<void> level(uint32_t, bool) override {
    std::lock_guard lock(mutex);
    ++lines;
    return {};
  }
  Result<void> msi(uint32_t address, uint32_t data) override {
    std::lock_guard lock(mutex);
    messages.push_back({address, data});
    return {};
  }
  std::vector<Message> take() {
    std::lock_guard lock(mutex);
    return std::exchange(messages, {});
  }
};

// Linux's pci_find_capability()/pci_find_next_capability() over any configuration reader.
template <typename Read>
std::vector<uint16_t> capability_chain(Read&& read) {
  std::vector<uint16_t> chain;
  if ((read(0x06, 2) & pci::status::kCapabilitiesList) == 0) return chain;
  auto pos = static_cast<uint16_t>(read(0x34, 1));
  for (int ttl = 48; ttl > 0 && pos >= 0x40; --ttl) {
    pos &= ~uint16_t{3};
    const uint32_t ent = read(pos, 2);
    if ((ent & 0xff) == 0xff) break;
    chain.push_back(pos);
    pos = static_cast<uint16_t>(ent >> 8);
  }
  return chain;
}

struct VirtioCap {
  uint16_t at = 0;
  uint8_t cap_len = 0;
  uint8_t bar = 0;
  uint32_t offset = 0;
  uint32_t length = 0;
};

// virtio_pci_find_capability() (drivers/virtio/virtio_pci_modern_dev.c): the first
// vendor-specific capability of `type`.
template <typename Read>
std::optional<VirtioCap> find_virtio_cap(Read&& read, vpci::CfgType type) {
  for (uint16_t at : capability_chain(read)) {
    if (read(at, 1) != static_cast<uint8_t>(pci::CapabilityId::kVendorSpecific)) continue;
    if (read(at + vpci::cap::kCfgType, 1) != static_cast<uint8_t>(type)) continue;
    return VirtioCap{at, static_cast<uint8_t>(read(at + vpci::cap::kCapLen, 1)),
                     static_cast<uint8_t>(read(at + vpci::cap::kBar, 1)),
                     read(at + vpci::cap::kOffset, 4), read(at + vpci::cap::kLength, 4)};
  }
  return std::nullopt;
}

template <typename Read>
uint16_t find_msix(Read&& read) {
  for (uint16_t at : capability_chain(read)) {
    if (read(at, 1) == static_cast<uint8_t>(pci::CapabilityId::kMsix)) return at;
  }
  return 0;
}

struct Bench {
  FakeGuestRam ram{kRamBase, kRamSize};
  RecordingSink sink;
  FakeDevice* device;
  std::unique_ptr<PciTransport> t;
  uint16_t msix_cap = 0;

  auto reader() {
    return [this](unsigned offset, uint8_t size) {
      return t->config_read(static_cast<uint16_t>(offset), size);
    };
  }
  explicit Bench(DoorbellSink* doorbells = nullptr, bool bus_master = true) {
    auto d = std::make_unique<FakeDevice>();
    device = d.get();
    t = std::make_unique<PciTransport>(std::move(d), ram, sink, kBarBase, doorbells);
    msix_cap = find_msix(reader());
    REQUIRE(msix_cap != 0);
    // Bus Master Enable, as Linux's virtio_pci_probe() sets it (pci_set_master) before the
    // driver touches the device; Memory Space is each test's to turn on.
    if (bus_master) t->config_write(0x04, 2, pci::command::kBusMaster);
  }

  uint64_t rd(Common field, uint8_t size, uint32_t plus = 0) {
    return t->bar_read(vpci::kBar, static_cast<uint32_t>(field) + plus, size);
  }
  void wr(Common field, uint8_t size, uint64_t value, uint32_t plus = 0) {
    t->bar_write(vpci::kBar, static_cast<uint32_t>(field) + plus, size, value);
  }
  uint8_t status() { return static_cast<uint8_t>(rd(Common::kDeviceStatus, 1)); }
  bool has(Status s) { return (status() & bit(s)) != 0; }
  void add_status(Status s) { wr(Common::kDeviceStatus, 1, status() | bit(s)); }
  uint8_t isr() { return static_cast<uint8_t>(t->bar_read(vpci::kBar, vpci::kIsrOffset, 1)); }
  uint64_t device_features() {
    wr(Common::kDeviceFeatureSelect, 4, 0);
    const uint64_t low = rd(Common::kDeviceFeature, 4);
    wr(Common::kDeviceFeatureSelect, 4, 1);
    return low | rd(Common::kDeviceFeature, 4) << 32;
  }
  // §3.1.1 steps 1-6 (Linux: virtio_dev_probe, virtio_features_ok).
  bool negotiate(uint64_t features) {
    wr(Common::kDeviceStatus, 1, 0);
    add_status(Status::kAcknowledge);
    add_status(Status::kDriver);
    wr(Common::kDriverFeatureSelect, 4, 0);
    wr(Common::kDriverFeature, 4, static_cast<uint32_t>(features));
    wr(Common::kDriverFeatureSelect, 4, 1);
    wr(Common::kDriverFeature, 4, static_cast<uint32_t>(features >> 32));
    add_status(Status::kFeaturesOk);
    return has(Status::kFeaturesOk);
  }
  // MSI-X on (Linux: msix_capability_init), vector `v` to the local APIC with data `data`.
  void enable_msix() {
    t->config_write(msix_cap + pci::msix::kMessageControl, 2,
                    pci::msix::kEnable | pci::msix::kFunctionMask);
    t->config_write(msix_cap + pci::msix::kMessageControl, 2, pci::msix::kEnable);
  }
  void program_vector(uint16_t v, uint32_t data, bool masked = false) {
    const uint64_t e = vpci::kMsixTableOffset + v * pci::msix::kEntrySize;
    t->bar_write(vpci::kBar, e + pci::msix::kMessageAddress, 4, kApic);
    t->bar_write(vpci::kBar, e + pci::msix::kMessageUpperAddress, 4, 0);
    t->bar_write(vpci::kBar, e + pci::msix::kMessageData, 4, data);
    t->bar_write(vpci::kBar, e + pci::msix::kVectorControl, 4,
                 masked ? pci::msix::kVectorMasked : 0);
  }
  // §4.1.5.1.3 (Linux: vp_modern_find_vqs → setup_vq): one queue, addresses as two halves.
  void setup_queue(uint16_t index, const QueueLayout& layout, uint16_t vector) {
    wr(Common::kQueueSelect, 2, index);
    REQUIRE(rd(Common::kQueueEnable, 2) == 0);
    REQUIRE(rd(Common::kQueueSize, 2) >= layout.size);
    wr(Common::kQueueSize, 2, layout.size);
    wr(Common::kQueueMsixVector, 2, vector);
    REQUIRE(rd(Common::kQueueMsixVector, 2) == vector);
    const auto two_halves = [&](Common field, uint64_t address) {
      wr(field, 4, static_cast<uint32_t>(address));
      wr(field, 4, address >> 32, 4);
    };
    two_halves(Common::kQueueDesc, layout.desc);
    two_halves(Common::kQueueDriver, layout.avail);
    two_halves(Common::kQueueDevice, layout.used);
    wr(Common::kQueueEnable, 2, 1);
  }
  void notify(uint16_t queue) {
    t->bar_write(vpci::kBar, vpci::kNotifyOffset + vpci::kNotifyOffMultiplier * queue, 2, queue);
  }
};

}  // namespace rootstock::test::vpci_bench
