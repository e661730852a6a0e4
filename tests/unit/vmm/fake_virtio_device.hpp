// A virtio device model for the transports' unit tests (test_virtio_mmio_transport.cpp,
// test_virtio_pci_*.cpp): it records what the transport tells it and serves queue 0 trivially.
#pragma once

#include <stdint.h>

#include <array>
#include <span>
#include <vector>

#include "vmm/virtio/device.hpp"
#include "vmm/virtio/feature_bits.hpp"

namespace rootstock::test {

using vmm::virtio::DescriptorChain;
using vmm::virtio::Device;
using vmm::virtio::DeviceLink;
using vmm::virtio::DeviceType;
using vmm::virtio::feature_mask;
using vmm::virtio::FeatureBit;
using vmm::virtio::SplitVirtqueue;

inline constexpr uint64_t kDeviceBit3 = uint64_t{1} << 3;
inline constexpr uint64_t kRingReset = uint64_t{1} << 40;  // offered by the device, not carried

// Two queues (sizes up to 8 and 16), 8 bytes of configuration; notify() serves queue 0 by
// returning each chain with nothing written.
struct FakeDevice final : Device {
  uint64_t offered = kDeviceBit3 | kRingReset | feature_mask(FeatureBit::kEventIdx);
  bool accept = true;
  std::array<uint8_t, 8> config = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
  uint64_t activated_features = 0;
  std::vector<SplitVirtqueue*> queues;
  DeviceLink* link = nullptr;
  int activations = 0;
  int resets = 0;
  std::vector<uint16_t> notified;
  bool used_on_reset = false;
  /// What kick_fd() answers per queue while active (-1: served in notify() only).
  std::array<int, 2> kick_fds = {-1, -1};

  DeviceType type() const override { return DeviceType::kBlock; }
  uint64_t features() const override { return offered; }
  uint16_t queue_count() const override { return 2; }
  uint16_t max_queue_size(uint16_t queue) const override { return queue == 0 ? 8 : 16; }
  uint32_t config_size() const override { return static_cast<uint32_t>(config.size()); }
  void read_config(uint32_t offset, std::span<uint8_t> out) const override {
    for (size_t i = 0; i < out.size(); ++i) {
      out[i] = offset + i < config.size() ? config[offset + i] : 0;
    }
  }
  void write_config(uint32_t offset, std::span<const uint8_t> data) override {
    for (size_t i = 0; i < data.size(); ++i) {
      if (offset + i < config.size()) config[offset + i] = data[i];
    }
  }
  bool activate(uint64_t features, std::span<SplitVirtqueue*> q, DeviceLink& l) override {
    ++activations;
    activated_features = features;
    queues.assign(q.begin(), q.end());
    link = &l;
    return accept;
  }
  void notify(uint16_t queue) override {
    notified.push_back(queue);
    if (queue != 0 || queues.empty() || queues[0] == nullptr) return;
    DescriptorChain chain;
    while (true) {
      auto got = queues[0]->pop(chain);
      if (!got || !*got) return;
      auto wants = queues[0]->return_chain(chain, 0);
      if (wants && *wants) link->used_buffers(0);
    }
  }
  int kick_fd(uint16_t queue) const override {
    return queue < kick_fds.size() && link != nullptr ? kick_fds[queue] : -1;
  }
  void reset() override {
    ++resets;
    // A device whose worker finishes its last request while reset() waits for it.
    if (used_on_reset && link != nullptr) link->used_buffers(0);
    queues.clear();
    link = nullptr;
  }
};

}  // namespace rootstock::test
