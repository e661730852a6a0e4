// A driver that sends virtio-blk requests (virtio 1.2, 5.2.6), for the block unit tests: it
// lays each request's buffers and descriptors into a FakeGuestRam, offers the chain on a
// SplitVirtqueue, and reads back what the device wrote; a DeviceLink that counts interrupts
// and resets.
#pragma once

#include <stdint.h>
#include <string.h>

#include <atomic>
#include <catch2/catch_test_macros.hpp>
#include <optional>
#include <span>
#include <vector>

#include "tests/unit/vmm/fake_guest_ram.hpp"
#include "tests/unit/vmm/virtio_test_driver.hpp"
#include "vmm/virtio/block_request.hpp"
#include "vmm/virtio/device.hpp"
#include "vmm/virtio/split_virtqueue.hpp"

namespace rootstock::test {

/// One buffer of a request: readable with `bytes`, or writable of `size` bytes.
struct BlockPart {
  std::vector<uint8_t> bytes;
  uint32_t size = 0;
  bool writable = false;

  static BlockPart in(std::vector<uint8_t> b) { return {std::move(b), 0, false}; }
  static BlockPart out(uint32_t n) { return {{}, n, true}; }
};

/// The 16-byte request header's bytes.
inline std::vector<uint8_t> block_header(vmm::virtio::BlockRequestType type, uint64_t sector,
                                         uint32_t reserved = 0) {
  vmm::virtio::BlockRequestHeader h{static_cast<uint32_t>(type), reserved, sector};
  std::vector<uint8_t> bytes(sizeof(h));
  memcpy(bytes.data(), &h, sizeof(h));
  return bytes;
}

/// DISCARD / WRITE_ZEROES segments' bytes.
inline std::vector<uint8_t> block_segments(
    std::initializer_list<vmm::virtio::BlockDiscardSegment> segments) {
  std::vector<uint8_t> bytes(segments.size() * sizeof(vmm::virtio::BlockDiscardSegment));
  memcpy(bytes.data(), segments.begin(), bytes.size());
  return bytes;
}

class BlockBench final : public vmm::virtio::DeviceLink {
 public:
  static constexpr uint64_t kBase = 0x200000;
  static constexpr uint32_t kSize = 64;

  explicit BlockBench(uint64_t features = 0)
      : layout_(layout_queue(kBase, kSize)), driver_(ram_, layout_), next_data_(kBase + 0x4000) {
    auto q = vmm::virtio::SplitVirtqueue::create(
        ram_, layout_, vmm::virtio::QueueFeatures::from_negotiated(features));
    REQUIRE(q);
    queue_.emplace(std::move(*q));
  }

  /// Lays out the request's buffers from a free descriptor on and offers its head; returns the
  /// head. Parts of size 0 get a zero-length descriptor.
  uint16_t send(const std::vector<BlockPart>& parts) {
    const uint16_t head = next_desc_;
    last_parts_.clear();
    for (size_t i = 0; i < parts.size(); ++i) {
      const BlockPart& p = parts[i];
      const uint32_t len = p.writable ? p.size : static_cast<uint32_t>(p.bytes.size());
      const uint64_t gpa = next_data_;
      next_data_ = (next_data_ + len + 15) & ~uint64_t{15};
      if (!p.writable && !p.bytes.empty()) {
        memcpy(ram_.bytes().data() + (gpa - kBase), p.bytes.data(), p.bytes.size());
      }
      if (p.writable) memset(ram_.bytes().data() + (gpa - kBase), 0xee, len);
      const bool last = i + 1 == parts.size();
      const uint16_t flags = static_cast<uint16_t>((p.writable ? kWrite : 0) | (last ? 0 : kNext));
      driver_.desc(next_desc_ % kSize, gpa, len, flags,
                   static_cast<uint16_t>((next_desc_ + 1) % kSize));
      ++next_desc_;
      last_parts_.push_back({gpa, len});
    }
    driver_.offer(static_cast<uint16_t>(head % kSize));
    return static_cast<uint16_t>(head % kSize);
  }

  /// The bytes of part `i` of the last request sent.
  std::vector<uint8_t> part(size_t i) {
    const auto [gpa, len] = last_parts_.at(i);
    auto b = ram_.bytes().subspan(gpa - kBase, len);
    return {b.begin(), b.end()};
  }
  /// The last byte of the last request's last part: the status.
  uint8_t status() { return part(last_parts_.size() - 1).back(); }

  /// Takes the next chain off the queue, which must be there.
  vmm::virtio::DescriptorChain& take() {
    auto got = queue_->pop(chain_);
    REQUIRE(got);
    REQUIRE(*got);
    return chain_;
  }

  // DeviceLink
  void used_buffers(uint16_t) override { ++interrupts; }
  void config_changed() override { ++config_changes; }
  void needs_reset() override { ++resets; }
  vmm::virtio::GuestRam& ram() override { return ram_; }

  FakeGuestRam& fake_ram() { return ram_; }
  TestDriver& driver() { return driver_; }
  vmm::virtio::SplitVirtqueue& queue() { return *queue_; }

  /// Atomic: with BlockIo::kWorker the device's thread raises them.
  std::atomic<int> interrupts = 0;
  std::atomic<int> resets = 0;
  std::atomic<int> config_changes = 0;

 private:
  struct Placed {
    uint64_t gpa;
    uint32_t len;
  };
  FakeGuestRam ram_{kBase, 0x200000};
  vmm::virtio::QueueLayout layout_;
  TestDriver driver_;
  std::optional<vmm::virtio::SplitVirtqueue> queue_;
  vmm::virtio::DescriptorChain chain_;
  uint64_t next_data_;
  uint16_t next_desc_ = 0;
  std::vector<Placed> last_parts_;
};

}  // namespace rootstock::test
