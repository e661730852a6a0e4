// The driver's side of the device fuzzers (fuzz_entropy_device.cpp, fuzz_console_device.cpp):
// guest RAM laid out as two queue areas, an area for indirect tables and a data area, and the
// steps with which a hostile driver rewrites it between the device's steps: any descriptor (its
// buffer in the data area, over the rings or the tables, at RAM's edges or outside it, any
// length and flags), heads offered, avail->idx moved by anything, any 16 bits poked anywhere.
//
// Step encodings (little-endian), after the step's opcode:
//   kDesc      u8 where (bit 0 queue 1, bit 1 the indirect area), u8 index, u8 place (below),
//              u16 offset, u16 length (0xffff: 0xffffffff), u8 flags, u8 next
//   kOffer     u8 queue, u8 head: avail->ring[avail->idx % size] = head, avail->idx + 1
//   kAvailIdx  u8 queue, u16 n: avail->idx + n
//   kPoke      u8 area (queue 0, queue 1, indirect, data), u16 offset, u16 value
// Places: the data area + offset, + 2 offset; the indirect area, queue 0's or queue 1's area +
// offset % 4 KiB; RAM's end - offset; below RAM; the top of the address space - offset.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <algorithm>

#include "tests/fuzz/fuzz_input.hpp"
#include "tests/unit/vmm/fake_guest_ram.hpp"
#include "vmm/virtio/split_ring.hpp"
#include "vmm/virtio/split_virtqueue.hpp"

namespace rootstock::fuzz {

class HostileDriver {
 public:
  static constexpr uint64_t kRamBase = 0x10000000;
  static constexpr uint64_t kAreaBytes = 0x1000;  ///< a queue's (128 entries at most) or tables'
  static constexpr uint64_t kIndirect = kRamBase + 2 * kAreaBytes;
  static constexpr uint64_t kData = kIndirect + kAreaBytes;
  static constexpr size_t kDataBytes = 0x20000;
  static constexpr size_t kRamBytes = kData + kDataBytes - kRamBase;
  static constexpr uint32_t kMaxQueueSize = 128;

  enum Step : uint8_t { kDesc, kOffer, kAvailIdx, kPoke, kSteps };

  /// Queue `q`'s rings, `size` entries (at most kMaxQueueSize), in its area.
  static vmm::virtio::QueueLayout layout(unsigned q, uint32_t size) {
    const uint64_t base = kRamBase + q * kAreaBytes;
    return {size, base, base + 0x800, base + 0xa00};
  }

  /// A driver of `queues` (1 or 2) queues of `size` entries in `ram` (kRamBytes at kRamBase).
  HostileDriver(test::FakeGuestRam& ram, unsigned queues, uint32_t size)
      : ram_(ram), queues_(queues), size_(size) {}

  /// Fills the data area from the input's remaining bytes.
  void load_data(Input& in) {
    const auto bytes = in.take_bytes(kDataBytes);
    std::copy(bytes.begin(), bytes.end(), ram_.bytes().begin() + (kData - kRamBase));
  }

  /// Runs step `op` (< kSteps) with its operands from `in`.
  void step(uint8_t op, Input& in) {
    switch (op) {
      case kDesc:
        desc(in);
        break;
      case kOffer: {
        const vmm::virtio::QueueLayout l = layout(queue(in), size_);
        const uint16_t head = in.take<uint8_t>();
        const uint16_t idx = avail_idx(l);
        ram_.poke(l.avail + vmm::virtio::ring_layout::avail_entry_offset(idx % size_), head);
        ram_.store_u16_release(l.avail + vmm::virtio::ring_layout::avail_idx_offset(),
                               static_cast<uint16_t>(idx + 1));
        break;
      }
      case kAvailIdx: {
        const vmm::virtio::QueueLayout l = layout(queue(in), size_);
        const auto n = in.take<uint16_t>();
        ram_.store_u16_release(l.avail + vmm::virtio::ring_layout::avail_idx_offset(),
                               static_cast<uint16_t>(avail_idx(l) + n));
        break;
      }
      case kPoke: {
        const uint64_t areas[] = {kRamBase, kRamBase + kAreaBytes, kIndirect, kData};
        const uint8_t area = in.take<uint8_t>() % 4;
        const uint64_t span = area == 3 ? kDataBytes : kAreaBytes;
        const uint64_t offset = (in.take<uint16_t>() % span) & ~uint64_t{1};
        ram_.poke(areas[area] + offset, in.take<uint16_t>());
        break;
      }
      default:
        break;
    }
  }

 private:
  unsigned queue(Input& in) { return in.take<uint8_t>() % queues_; }

  uint16_t avail_idx(const vmm::virtio::QueueLayout& l) {
    return ram_.load_u16_acquire(l.avail + vmm::virtio::ring_layout::avail_idx_offset());
  }

  void desc(Input& in) {
    const auto where = in.take<uint8_t>();
    const auto index = in.take<uint8_t>();
    const auto place = in.take<uint8_t>();
    const auto offset = in.take<uint16_t>();
    const auto length = in.take<uint16_t>();
    const auto flags = in.take<uint8_t>();
    const auto next = in.take<uint8_t>();
    const uint64_t ram_end = kRamBase + kRamBytes;
    const uint64_t addresses[] = {
        kData + offset,
        kData + 2 * uint64_t{offset},
        kIndirect + offset % kAreaBytes,
        kRamBase + offset % kAreaBytes,
        kRamBase + kAreaBytes + offset % kAreaBytes,
        ram_end - offset,
        kRamBase - 1 - offset,
        ~uint64_t{0} - offset,
    };
    const uint64_t at = (where & 2) != 0
                            ? kIndirect + 16 * uint64_t{index}
                            : layout((where & 1) % queues_, size_).desc + 16 * (index % size_);
    ram_.poke(at,
              vmm::virtio::VirtqDesc{addresses[place % 8], length == 0xffff ? 0xffffffffu : length,
                                     static_cast<uint16_t>(flags & 7), next});
  }

  test::FakeGuestRam& ram_;
  unsigned queues_;
  uint32_t size_;
};

}  // namespace rootstock::fuzz
