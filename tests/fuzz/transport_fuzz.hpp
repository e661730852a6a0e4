// What the transport fuzzers (fuzz_virtio_pci_transport.cpp, fuzz_virtio_mmio_transport.cpp)
// share: the device behind the transport, watched; guest RAM it may touch only while the
// transport has started it; and the device status rules every transport keeps (virtio 1.2, 2.1,
// 2.2, 3.1.1), checked after every access the driver makes.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <algorithm>
#include <array>
#include <memory>
#include <span>
#include <utility>

#include "tests/fuzz/fuzz_input.hpp"
#include "tests/unit/vmm/fake_guest_ram.hpp"
#include "vmm/virtio/console_device.hpp"
#include "vmm/virtio/device.hpp"
#include "vmm/virtio/entropy_device.hpp"
#include "vmm/virtio/guest_ram.hpp"
#include "vmm/virtio/transport_core.hpp"

namespace rootstock::fuzz {

/// All ones in `size` bytes: what a load nothing answers gives.
constexpr uint64_t all_ones(uint8_t size) {
  return size >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * size)) - 1;
}

/// One access of the driver's, from its input byte: bit 0 a store, bits 2:1 the size (1, 2, 4,
/// 8; a port access 4 for 8).
struct Access {
  bool store;
  uint8_t size;
  static Access from(uint8_t byte, bool port) {
    const auto size = static_cast<uint8_t>(1u << ((byte >> 1) & 3));
    return {(byte & 1) != 0, port ? std::min<uint8_t>(size, 4) : size};
  }
};

/// Guest RAM the device may reach only while the gate is open: from its activation until its
/// reset() or its request for a reset. Asking whether a range is RAM is no access.
class GatedRam final : public vmm::virtio::GuestRam {
 public:
  explicit GatedRam(test::FakeGuestRam& ram) : ram_(&ram) {}
  void set_open(bool open) { open_ = open; }

  [[nodiscard]] bool contains(uint64_t gpa, uint64_t length) const override {
    return ram_->contains(gpa, length);
  }
  [[nodiscard]] vmm::virtio::RamResult<void> read(uint64_t gpa,
                                                  std::span<uint8_t> out) const override {
    check(open_);
    return ram_->read(gpa, out);
  }
  [[nodiscard]] vmm::virtio::RamResult<void> write(uint64_t gpa,
                                                   std::span<const uint8_t> data) override {
    check(open_);
    return ram_->write(gpa, data);
  }
  [[nodiscard]] vmm::virtio::RamResult<uint16_t> load_acquire_u16(uint64_t gpa) const override {
    check(open_);
    return ram_->load_acquire_u16(gpa);
  }
  [[nodiscard]] vmm::virtio::RamResult<void> store_release_u16(uint64_t gpa,
                                                               uint16_t value) override {
    check(open_);
    return ram_->store_release_u16(gpa, value);
  }

 private:
  test::FakeGuestRam* ram_;
  bool open_ = false;
};

/// The device models behind a fuzzed transport: the two small real ones, and PlainDevice,
/// accepting its activation or refusing it.
enum class DeviceKind : uint8_t { kEntropy, kConsole, kPlainAccepting, kPlainRefusing };

/// A device model that serves nothing, with what the real ones lack: features no transport
/// carries (VIRTIO_F_RING_RESET, bit 50), a queue of the largest size and one of none, and a
/// configuration space the driver writes.
class PlainDevice final : public vmm::virtio::Device {
 public:
  explicit PlainDevice(bool accept) : accept_(accept) {}
  [[nodiscard]] vmm::virtio::DeviceType type() const override {
    return vmm::virtio::DeviceType::kNet;
  }
  [[nodiscard]] uint64_t features() const override {
    return vmm::virtio::kFeatureVersion1 | uint64_t{1} << 40 | uint64_t{1} << 50 | 0x5;
  }
  [[nodiscard]] uint16_t queue_count() const override { return 3; }
  [[nodiscard]] uint16_t max_queue_size(uint16_t queue) const override {
    static constexpr uint16_t kSizes[] = {4, 0, 0xffff};
    return queue < 3 ? kSizes[queue] : 0;
  }
  [[nodiscard]] uint32_t config_size() const override { return sizeof(config_); }
  void read_config(uint32_t offset, std::span<uint8_t> out) const override {
    vmm::virtio::read_config_bytes(config_, offset, out);
  }
  void write_config(uint32_t offset, std::span<const uint8_t> data) override {
    for (size_t i = 0; i < data.size() && offset + i < config_.size(); ++i) {
      config_[offset + i] = data[i];
    }
  }
  [[nodiscard]] bool activate(uint64_t, std::span<vmm::virtio::SplitVirtqueue*>,
                              vmm::virtio::DeviceLink&) override {
    return accept_;
  }
  void notify(uint16_t) override {}
  void reset() override {}

 private:
  bool accept_;
  std::array<uint8_t, 24> config_{};
};

/// A device model between the transport and the real one: it opens the RAM's gate for the
/// device's activation, shuts it at reset() or the device's reset request, and records what the
/// transport did to the device; kicks before activation are a finding.
class WatchedDevice final : public vmm::virtio::Device, public vmm::virtio::DeviceLink {
 public:
  WatchedDevice(DeviceKind kind, GatedRam& ram) : ram_(&ram) {
    switch (kind) {
      case DeviceKind::kEntropy:
        inner_ = std::make_unique<vmm::virtio::EntropyDevice>([](std::span<uint8_t> out) {
          for (uint8_t& b : out) b = 0x5a;
          return true;
        });
        break;
      case DeviceKind::kConsole: {
        auto console = std::make_unique<vmm::virtio::ConsoleDevice>(nullptr);
        console_ = console.get();
        inner_ = std::move(console);
        break;
      }
      case DeviceKind::kPlainAccepting:
      case DeviceKind::kPlainRefusing:
        inner_ = std::make_unique<PlainDevice>(kind == DeviceKind::kPlainAccepting);
        break;
    }
  }

  /// The console behind, for the owner's input; null for the other kinds.
  [[nodiscard]] vmm::virtio::ConsoleDevice* console() { return console_; }
  /// The features the transport may offer of this device, VERSION_1 among them.
  [[nodiscard]] uint64_t carried() const {
    return (inner_->features() & vmm::virtio::kTransportFeatures) | vmm::virtio::kFeatureVersion1;
  }

  // ---- Device ----

  [[nodiscard]] vmm::virtio::DeviceType type() const override { return inner_->type(); }
  [[nodiscard]] uint64_t features() const override { return inner_->features(); }
  [[nodiscard]] uint16_t queue_count() const override { return inner_->queue_count(); }
  [[nodiscard]] uint16_t max_queue_size(uint16_t queue) const override {
    return inner_->max_queue_size(queue);
  }
  [[nodiscard]] uint32_t config_size() const override { return inner_->config_size(); }
  void read_config(uint32_t offset, std::span<uint8_t> out) const override {
    inner_->read_config(offset, out);
  }
  void write_config(uint32_t offset, std::span<const uint8_t> data) override {
    inner_->write_config(offset, data);
  }
  [[nodiscard]] bool activate(uint64_t features, std::span<vmm::virtio::SplitVirtqueue*> queues,
                              vmm::virtio::DeviceLink& link) override {
    check(!active_);  // once between resets
    ++activations;
    activated_features = features;
    link_ = &link;
    ram_->set_open(true);
    active_ = true;  // the device may serve in activate() already
    active_ = inner_->activate(features, queues, *this);
    if (!active_) {
      ++refusals;
      ram_->set_open(false);
    }
    return active_;
  }
  void notify(uint16_t queue) override {
    check(active_);  // 2.1.2: the device is not kicked before DRIVER_OK
    inner_->notify(queue);
  }
  void reset() override {
    inner_->reset();
    ++resets;
    active_ = false;
    asked_reset = false;
    ram_->set_open(false);
  }

  // ---- DeviceLink: the device's calls, passed to the transport ----

  void used_buffers(uint16_t queue) override {
    check(active_ && queue < queue_count());
    link_->used_buffers(queue);
  }
  void config_changed() override {
    check(active_);
    link_->config_changed();
  }
  void needs_reset() override {
    check(active_);
    asked_reset = true;
    ram_->set_open(false);  // nothing more until reset() (device.hpp)
    link_->needs_reset();
  }
  [[nodiscard]] vmm::virtio::GuestRam& ram() override { return *ram_; }

  /// Activated and not reset since.
  [[nodiscard]] bool active() const { return active_; }
  uint64_t activations = 0;
  uint64_t refusals = 0;
  uint64_t resets = 0;
  uint64_t activated_features = 0;
  bool asked_reset = false;  ///< since the last reset

 private:
  std::unique_ptr<vmm::virtio::Device> inner_;
  vmm::virtio::ConsoleDevice* console_ = nullptr;
  GatedRam* ram_;
  vmm::virtio::DeviceLink* link_ = nullptr;
  bool active_ = false;
};

/// The device status rules, checked after each access of the driver's against the status and the
/// accepted features it reads then and what the device saw.
class StatusOracle {
 public:
  explicit StatusOracle(uint64_t offered) : offered_(offered) {}

  void after(uint8_t status, uint64_t accepted, const WatchedDevice& device) {
    using vmm::virtio::Status;
    using vmm::virtio::status_bit;
    const auto has = [](uint8_t s, Status bit) { return (s & status_bit(bit)) != 0; };
    if (device.resets != resets_ && status == 0) {
      // A write of 0 (4.1.4.3, 4.2.2): everything back to the state after power-on.
      check(accepted == 0);
    } else {
      // Or the device stopped under its driver (virtio-pci: Bus Master Enable cleared,
      // pci_transport.hpp), which it says.
      if (device.resets != resets_) check(has(status, Status::kDeviceNeedsReset));
      // 2.1.1: bits are only added until a reset; DEVICE_NEEDS_RESET stays (2.1.2).
      check((status & last_) == last_);
      // 3.1.1 step 5: the features are settled at FEATURES_OK.
      if (has(last_, Status::kFeaturesOk)) check(accepted == settled_);
    }
    // 3.1.1: FEATURES_OK only for features the device offered, with VERSION_1 (6.1), and
    // DRIVER_OK only after it.
    if (has(status, Status::kFeaturesOk)) {
      check((accepted & ~offered_) == 0 && (accepted & vmm::virtio::kFeatureVersion1) != 0);
    }
    if (has(status, Status::kDriverOk)) check(has(status, Status::kFeaturesOk));
    // The device is activated once, at DRIVER_OK, with the accepted features.
    if (device.activations != activations_) {
      check(device.activations == activations_ + 1);
      check(has(status, Status::kDriverOk) && device.activated_features == accepted);
    }
    if (device.active()) check(has(status, Status::kDriverOk));
    // 2.1.2: a device that refused its configuration or asked for a reset says so.
    if (device.refusals != refusals_ || device.asked_reset) {
      check(has(status, Status::kDeviceNeedsReset));
    }
    last_ = status;
    settled_ = accepted;
    resets_ = device.resets;
    activations_ = device.activations;
    refusals_ = device.refusals;
  }

 private:
  uint64_t offered_;
  uint8_t last_ = 0;
  uint64_t settled_ = 0;
  uint64_t resets_ = 0;
  uint64_t activations_ = 0;
  uint64_t refusals_ = 0;
};

/// The transport fuzzers' input header: byte 0 bits 1:0 the device model (DeviceKind), bytes
/// 1-2 the length of the steps that follow; after the steps, the RAM's contents from its start.
struct TransportInput {
  DeviceKind kind;
  Input steps;

  /// The header and the steps from `in`, and `ram` cleared and loaded from the rest.
  static TransportInput read(Input& in, test::FakeGuestRam& ram) {
    const auto kind = static_cast<DeviceKind>(in.take<uint8_t>() & 3);
    const Input steps = in.split(in.take<uint16_t>());
    ram.clear();
    const auto image = in.take_bytes(ram.size());
    std::copy(image.begin(), image.end(), ram.bytes().begin());
    return {kind, steps};
  }
};

/// The steps besides the driver's accesses: 0 kRam (u16 offset, u16 value: the driver writes its
/// RAM), 1 kFeed (u8 n: n + 1 bytes of the owner's input to a console). True when the device may
/// have acted (the caller checks after it as after an access).
inline bool side_step(unsigned step, test::FakeGuestRam& ram, WatchedDevice& device, Input& in) {
  if (step == 0) {
    const uint64_t at = ram.base() + (in.take<uint16_t>() & ~1u);
    const auto value = in.take<uint16_t>();
    if (ram.contains(at, sizeof(value))) ram.poke(at, value);
    return false;
  }
  const size_t n = in.take<uint8_t>() + size_t{1};
  vmm::virtio::ConsoleDevice* console = device.console();
  if (console == nullptr) return false;
  std::array<uint8_t, 256> typed{};
  typed.fill('x');
  console->feed(std::span(typed).first(n));
  return true;
}

}  // namespace rootstock::fuzz
