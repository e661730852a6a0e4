// The driver's side of a split virtqueue, for the virtio unit tests: it lays descriptors and
// available ring entries into a FakeGuestRam, publishes avail->idx with release ordering as a
// guest's virtio_ring.c does, and reads back what the device put in the used ring.
#pragma once

#include <stdint.h>

#include <initializer_list>

#include "tests/unit/vmm/fake_guest_ram.hpp"
#include "vmm/virtio/split_ring.hpp"
#include "vmm/virtio/split_virtqueue.hpp"

namespace rootstock::test {

namespace rl = vmm::virtio::ring_layout;
using vmm::virtio::DescFlag;
using vmm::virtio::VirtqDesc;
using vmm::virtio::VirtqUsedElem;

/// VirtqDesc::flags from DescFlag values.
constexpr uint16_t desc_flags(std::initializer_list<DescFlag> flags) {
  uint16_t bits = 0;
  for (DescFlag f : flags) bits = static_cast<uint16_t>(bits | static_cast<uint16_t>(f));
  return bits;
}
inline constexpr uint16_t kNext = desc_flags({DescFlag::kNext});
inline constexpr uint16_t kWrite = desc_flags({DescFlag::kWrite});
inline constexpr uint16_t kWriteNext = desc_flags({DescFlag::kWrite, DescFlag::kNext});
inline constexpr uint16_t kIndirect = desc_flags({DescFlag::kIndirect});

/// A queue laid out in `ram` from `base` on: the table, then the available ring, then the used
/// ring at its next 4-byte boundary, then `data` (a place for buffers and indirect tables).
inline vmm::virtio::QueueLayout layout_queue(uint64_t base, uint32_t size) {
  vmm::virtio::QueueLayout layout;
  layout.size = size;
  layout.desc = base;
  layout.avail = layout.desc + rl::desc_table_size(size);
  layout.used = (layout.avail + rl::avail_ring_size(size) + 3) & ~uint64_t{3};
  return layout;
}

class TestDriver {
 public:
  TestDriver(FakeGuestRam& ram, const vmm::virtio::QueueLayout& layout)
      : ram_(ram), layout_(layout) {}

  /// Where the queue's parts end: the first free byte after the used ring.
  [[nodiscard]] uint64_t end() const { return layout_.used + rl::used_ring_size(layout_.size); }

  /// Descriptor `index` of the queue's table.
  void desc(uint32_t index, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next = 0) {
    desc_at(layout_.desc, index, addr, len, flags, next);
  }
  /// Descriptor `index` of a table at `table` (an indirect one).
  void desc_at(uint64_t table, uint32_t index, uint64_t addr, uint32_t len, uint16_t flags,
               uint16_t next = 0) {
    ram_.poke(table + rl::desc_offset(index), VirtqDesc{addr, len, flags, next});
  }

  /// Puts `head` in the next available ring entry and publishes it (release).
  void offer(uint16_t head) {
    stage(head);
    publish_staged();
  }
  /// Puts `head` in the next entry without publishing it (a batch).
  void stage(uint16_t head) {
    ram_.poke<uint16_t>(layout_.avail + rl::avail_entry_offset(staged_ % layout_.size), head);
    ++staged_;
  }
  /// Publishes what was staged.
  void publish_staged() {
    avail_idx_ = staged_;
    publish();
  }
  /// Sets avail->idx as a hostile driver would.
  void set_avail_idx(uint16_t idx) {
    avail_idx_ = staged_ = idx;
    publish();
  }
  [[nodiscard]] uint16_t avail_idx() const { return avail_idx_; }

  void set_avail_flags(uint16_t flags) {
    ram_.store_u16_release(layout_.avail + rl::avail_flags_offset(), flags);
  }
  void set_used_event(uint16_t event) {
    ram_.store_u16_release(layout_.avail + rl::used_event_offset(layout_.size), event);
  }

  [[nodiscard]] uint16_t used_idx() const {
    return ram_.load_u16_acquire(layout_.used + rl::used_idx_offset());
  }
  [[nodiscard]] uint16_t used_flags() const {
    return ram_.load_u16_acquire(layout_.used + rl::used_flags_offset());
  }
  [[nodiscard]] uint16_t avail_event() const {
    return ram_.load_u16_acquire(layout_.used + rl::avail_event_offset(layout_.size));
  }
  /// used->ring[idx % size].
  [[nodiscard]] VirtqUsedElem used(uint16_t idx) const {
    return ram_.peek<VirtqUsedElem>(layout_.used + rl::used_entry_offset(idx % layout_.size));
  }

 private:
  void publish() { ram_.store_u16_release(layout_.avail + rl::avail_idx_offset(), avail_idx_); }

  FakeGuestRam& ram_;
  vmm::virtio::QueueLayout layout_;
  uint16_t avail_idx_ = 0;
  uint16_t staged_ = 0;
};

}  // namespace rootstock::test
