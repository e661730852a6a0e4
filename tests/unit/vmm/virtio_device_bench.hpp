// A driver for any virtio device model in the unit tests: guest RAM with one split virtqueue per
// device queue laid out in it, chains sent on any of them (their buffers placed, descriptors
// written, heads offered), and the DeviceLink the device reaches the driver through, counting
// notifications and reset requests. Thread-safe where a device may call it from another thread
// (the DeviceLink counters).
#pragma once

#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <catch2/catch_test_macros.hpp>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "tests/unit/vmm/fake_guest_ram.hpp"
#include "tests/unit/vmm/virtio_test_driver.hpp"
#include "vmm/virtio/device.hpp"
#include "vmm/virtio/split_virtqueue.hpp"

namespace rootstock::test {

/// One buffer of a chain: device-readable holding `bytes`, or device-writable of `size` bytes.
struct ChainPart {
  std::vector<uint8_t> bytes;
  uint32_t size = 0;
  bool device_writes = false;

  static ChainPart readable(std::string_view text) {
    return {std::vector<uint8_t>(text.begin(), text.end()), 0, false};
  }
  static ChainPart readable(std::vector<uint8_t> bytes) { return {std::move(bytes), 0, false}; }
  static ChainPart writable(uint32_t size) { return {{}, size, true}; }
};

class DeviceBench final : public vmm::virtio::DeviceLink {
 public:
  static constexpr uint64_t kBase = 0x200000;
  static constexpr uint64_t kRamSize = 0x400000;
  static constexpr uint32_t kQueueSize = 64;
  static constexpr uint16_t kMaxQueues = 4;
  /// Where each queue's parts are: queue q's table at kBase + q * kQueueStride.
  static constexpr uint64_t kQueueStride = 0x1000;
  /// Where the buffers go, one after another.
  static constexpr uint64_t kDataStart = kBase + kMaxQueues * kQueueStride;
  /// What a writable buffer holds until the device writes it.
  static constexpr uint8_t kUnwritten = 0xee;

  /// `queues` queues of kQueueSize with the queue features in `negotiated`.
  DeviceBench(uint16_t queues, uint64_t negotiated) : next_data_(kDataStart) {
    REQUIRE(queues <= kMaxQueues);
    for (uint16_t q = 0; q < queues; ++q) {
      layouts_.push_back(layout_queue(kBase + q * kQueueStride, kQueueSize));
      auto made = vmm::virtio::SplitVirtqueue::create(
          ram_, layouts_.back(), vmm::virtio::QueueFeatures::from_negotiated(negotiated));
      REQUIRE(made);
      queues_.emplace_back(std::move(*made));
    }
    for (uint16_t q = 0; q < queues; ++q) {
      drivers_.emplace_back(ram_, layouts_[q]);
      queue_ptrs_.push_back(&*queues_[q]);
    }
    placed_.assign(queues, std::vector<std::vector<Placed>>(kQueueSize));
    last_head_.resize(queues);
    next_desc_.resize(queues);
  }

  /// What Device::activate() takes.
  [[nodiscard]] std::span<vmm::virtio::SplitVirtqueue*> queues() { return queue_ptrs_; }
  [[nodiscard]] vmm::virtio::SplitVirtqueue& queue(uint16_t q) { return *queues_.at(q); }
  [[nodiscard]] TestDriver& driver(uint16_t q) { return drivers_.at(q); }
  [[nodiscard]] FakeGuestRam& fake_ram() { return ram_; }

  /// Places the buffers of a chain and its descriptors from queue q's next free one on, and
  /// offers its head (publishing it unless `publish` is false: then TestDriver::publish_staged()
  /// does). Returns the head.
  uint16_t send(uint16_t q, const std::vector<ChainPart>& parts, bool publish = true) {
    const uint16_t head = static_cast<uint16_t>(next_desc_[q] % kQueueSize);
    std::vector<Placed>& placed = placed_[q][head];
    placed.clear();
    last_head_[q] = head;
    for (size_t i = 0; i < parts.size(); ++i) {
      const ChainPart& p = parts[i];
      const uint32_t len = p.device_writes ? p.size : static_cast<uint32_t>(p.bytes.size());
      const uint64_t gpa = allocate(len);
      auto buffer = ram_.bytes().subspan(gpa - kBase, len);
      if (p.device_writes) {
        std::fill(buffer.begin(), buffer.end(), kUnwritten);
      } else if (len != 0) {
        memcpy(buffer.data(), p.bytes.data(), len);
      }
      const uint16_t index = static_cast<uint16_t>(next_desc_[q]++ % kQueueSize);
      const uint16_t next = static_cast<uint16_t>(next_desc_[q] % kQueueSize);
      const bool last = i + 1 == parts.size();
      drivers_[q].desc(index, gpa, len,
                       static_cast<uint16_t>((p.device_writes ? kWrite : 0) | (last ? 0 : kNext)),
                       next);
      placed.push_back({gpa, len, p.device_writes});
    }
    if (publish) {
      drivers_[q].offer(head);
    } else {
      drivers_[q].stage(head);
    }
    return head;
  }

  /// The bytes of part `i` of the last chain sent on queue q.
  [[nodiscard]] std::vector<uint8_t> part(uint16_t q, size_t i) {
    const Placed& p = placed_.at(q).at(last_head_.at(q)).at(i);
    return bytes(p.gpa, p.len);
  }
  /// What the device wrote into the chain (sent by send()) that used element `idx` of queue q
  /// returns: as many bytes of its writable buffers as the element's length says.
  [[nodiscard]] std::vector<uint8_t> used_bytes(uint16_t q, uint16_t idx) {
    const auto used = drivers_.at(q).used(idx);
    std::vector<uint8_t> out;
    uint32_t left = used.len;
    for (const Placed& p : placed_.at(q).at(used.id % kQueueSize)) {
      if (!p.writable) continue;
      const auto b = bytes(p.gpa, std::min(left, p.len));
      out.insert(out.end(), b.begin(), b.end());
      left -= static_cast<uint32_t>(b.size());
    }
    return out;
  }
  /// Guest-physical [gpa, gpa + len), which must be inside the RAM.
  [[nodiscard]] std::vector<uint8_t> bytes(uint64_t gpa, uint64_t len) {
    auto b = ram_.bytes().subspan(gpa - kBase, len);
    return {b.begin(), b.end()};
  }
  /// `len` bytes of RAM for buffers, 16-byte aligned.
  uint64_t allocate(uint64_t len) {
    const uint64_t gpa = next_data_;
    next_data_ = (next_data_ + len + 15) & ~uint64_t{15};
    REQUIRE(next_data_ <= kBase + kRamSize);
    return gpa;
  }

  // DeviceLink
  void used_buffers(uint16_t q) override { ++interrupts.at(q); }
  void config_changed() override { ++config_changes; }
  void needs_reset() override { ++resets; }
  vmm::virtio::GuestRam& ram() override { return ram_; }

  std::array<std::atomic<int>, kMaxQueues> interrupts{};
  std::atomic<int> config_changes = 0;
  std::atomic<int> resets = 0;

 private:
  struct Placed {
    uint64_t gpa;
    uint32_t len;
    bool writable;
  };

  FakeGuestRam ram_{kBase, kRamSize};
  std::vector<vmm::virtio::QueueLayout> layouts_;
  std::vector<std::optional<vmm::virtio::SplitVirtqueue>> queues_;
  std::vector<TestDriver> drivers_;
  std::vector<vmm::virtio::SplitVirtqueue*> queue_ptrs_;
  std::vector<std::vector<std::vector<Placed>>> placed_;  // by queue, then by head
  std::vector<uint16_t> last_head_;
  std::vector<uint32_t> next_desc_;
  uint64_t next_data_;
};

}  // namespace rootstock::test
