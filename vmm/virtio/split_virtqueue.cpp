#include "vmm/virtio/split_virtqueue.hpp"

#include <atomic>

#include "vmm/virtio/split_ring.hpp"

namespace rootstock::vmm::virtio {

namespace rl = ring_layout;

std::expected<SplitVirtqueue, QueueFault> SplitVirtqueue::create(GuestRam& ram,
                                                                 const QueueLayout& layout,
                                                                 QueueFeatures features) {
  if (!valid_queue_size(layout.size)) {
    return std::unexpected(QueueFault{QueueError::kSizeInvalid});
  }
  struct Part {
    uint64_t gpa;
    uint64_t size;
    uint64_t align;
  };
  const Part parts[] = {
      {layout.desc, rl::desc_table_size(layout.size), rl::kDescTableAlign},
      {layout.avail, rl::avail_ring_size(layout.size), rl::kAvailRingAlign},
      {layout.used, rl::used_ring_size(layout.size), rl::kUsedRingAlign},
  };
  for (const Part& part : parts) {
    if (part.gpa % part.align != 0) {
      return std::unexpected(QueueFault{QueueError::kRingMisaligned, 0, part.gpa, part.size});
    }
    if (!ram.contains(part.gpa, part.size)) {
      return std::unexpected(QueueFault{QueueError::kRingOutsideRam, 0, part.gpa, part.size});
    }
  }
  return SplitVirtqueue(ram, layout, features);
}

std::unexpected<QueueFault> SplitVirtqueue::fail(QueueFault fault) {
  if (breaks_queue(fault.error) && !broken_) broken_ = fault;
  return std::unexpected(fault);
}

std::expected<uint16_t, QueueFault> SplitVirtqueue::load_index(uint64_t gpa) {
  auto value = ram_->load_acquire_u16(gpa);
  if (!value) return fail({QueueError::kRingAccessRefused, 0, gpa, sizeof(uint16_t)});
  return *value;
}

std::expected<void, QueueFault> SplitVirtqueue::store_index(uint64_t gpa, uint16_t value) {
  if (!ram_->store_release_u16(gpa, value)) {
    return fail({QueueError::kRingAccessRefused, 0, gpa, sizeof(uint16_t)});
  }
  return {};
}

std::expected<void, QueueFault> SplitVirtqueue::load_avail_idx() {
  const uint64_t gpa = layout_.avail + rl::avail_idx_offset();
  auto idx = load_index(gpa);
  if (!idx) return std::unexpected(idx.error());
  // The driver never has more than the queue size outstanding (2.7.13: the ring is as large
  // as the table), and never moves idx back (2.7.6.1); either would show as a jump.
  if (static_cast<uint16_t>(*idx - next_avail_) > size_) {
    return fail({QueueError::kAvailIndexJump, 0, gpa, sizeof(uint16_t)});
  }
  avail_idx_ = *idx;
  return {};
}

std::expected<void, QueueFault> SplitVirtqueue::arm_notification() {
  if (features_.event_idx) {
    // "Notify me once avail->idx passes next_avail_" (2.7.10): the driver notifies when the
    // entry it writes has that index.
    if (auto r = store_index(layout_.used + rl::avail_event_offset(size_), next_avail_); !r) {
      return r;
    }
    avail_event_ = next_avail_;
  } else {
    if (auto r = store_index(layout_.used + rl::used_flags_offset(), 0); !r) return r;
  }
  // Store then load: the driver stores avail->idx, fences and loads our field; we store our
  // field, fence and load avail->idx. One of the two loads sees the other's store.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return load_avail_idx();
}

std::expected<bool, QueueFault> SplitVirtqueue::pop(DescriptorChain& chain) {
  if (broken_) return std::unexpected(*broken_);
  if (next_avail_ == avail_idx_) {
    if (auto r = load_avail_idx(); !r) return std::unexpected(r.error());
    if (next_avail_ == avail_idx_ && notifications_ && features_.event_idx &&
        avail_event_ != next_avail_) {
      if (auto r = arm_notification(); !r) return std::unexpected(r.error());
    }
    if (next_avail_ == avail_idx_) return false;
  }

  // Published by the acquire load of avail->idx: the ring entry, then the chain.
  const uint64_t entry = layout_.avail + rl::avail_entry_offset(next_avail_ & (size_ - 1));
  auto head = read_object<uint16_t>(*ram_, entry);
  if (!head) return fail({QueueError::kRingAccessRefused, 0, entry, sizeof(uint16_t)});
  ++next_avail_;
  if (*head >= size_) return fail({QueueError::kHeadOutOfRange, *head, entry, sizeof(uint16_t)});

  auto walked = walk_chain(*ram_, {layout_.desc, size_}, features_.indirect_desc, *head, chain);
  if (!walked) return fail(walked.error());
  return true;
}

std::expected<void, QueueFault> SplitVirtqueue::add_used(const DescriptorChain& chain,
                                                         uint32_t written) {
  if (broken_) return std::unexpected(*broken_);
  if (chain.head() >= size_) return fail({QueueError::kUsedHeadOutOfRange, chain.head()});
  if (written > chain.writable_bytes()) {
    return fail({QueueError::kUsedLengthTooLong, chain.head()});
  }
  const uint64_t entry = layout_.used + rl::used_entry_offset(next_used_ & (size_ - 1));
  if (!write_object(*ram_, entry, VirtqUsedElem{chain.head(), written})) {
    return fail({QueueError::kRingAccessRefused, chain.head(), entry, sizeof(VirtqUsedElem)});
  }
  ++next_used_;
  return {};
}

std::expected<bool, QueueFault> SplitVirtqueue::publish_used() {
  if (broken_) return std::unexpected(*broken_);
  if (next_used_ == published_used_) return false;
  // 2.7.8.2: the elements (len included) are written before used->idx.
  if (auto r = store_index(layout_.used + rl::used_idx_offset(), next_used_); !r) {
    return std::unexpected(r.error());
  }
  const uint16_t old_used = published_used_;
  published_used_ = next_used_;
  // Store then load (2.7.7): used->idx must be visible before we read what the driver asks,
  // or a driver that just re-enabled notifications could wait for an interrupt never sent.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (features_.event_idx) {
    auto used_event = load_index(layout_.avail + rl::used_event_offset(size_));
    if (!used_event) return std::unexpected(used_event.error());
    return need_event(*used_event, next_used_, old_used);
  }
  auto flags = load_index(layout_.avail + rl::avail_flags_offset());
  if (!flags) return std::unexpected(flags.error());
  return (*flags & static_cast<uint16_t>(AvailFlag::kNoInterrupt)) == 0;
}

std::expected<bool, QueueFault> SplitVirtqueue::return_chain(const DescriptorChain& chain,
                                                             uint32_t written) {
  if (auto r = add_used(chain, written); !r) return std::unexpected(r.error());
  return publish_used();
}

std::expected<void, QueueFault> SplitVirtqueue::disable_notifications() {
  if (broken_) return std::unexpected(*broken_);
  notifications_ = false;
  if (features_.event_idx) return {};  // avail_event stays behind (2.7.10: flags stay 0)
  return store_index(layout_.used + rl::used_flags_offset(),
                     static_cast<uint16_t>(UsedFlag::kNoNotify));
}

std::expected<bool, QueueFault> SplitVirtqueue::enable_notifications() {
  if (broken_) return std::unexpected(*broken_);
  notifications_ = true;
  if (auto r = arm_notification(); !r) return std::unexpected(r.error());
  return next_avail_ != avail_idx_;
}

}  // namespace rootstock::vmm::virtio
