// The device's side of one split virtqueue (virtio 1.2, 2.7): it takes the chains the driver
// makes available and returns them through the used ring, and it keeps the notification
// suppression rules of both directions (2.7.7, 2.7.10, with or without VIRTIO_F_EVENT_IDX). It
// knows neither the transport (virtio-pci or virtio-mmio gives it the layout and the features,
// and delivers the notifications it asks for) nor the device (which reads and writes the
// buffers of each chain).
//
// Ordering (2.7.13, 2.7.8.2): avail->idx is loaded with acquire before the ring entries and
// descriptors it publishes are read; the used elements are written before used->idx is stored
// with release. Where a side publishes an index and then reads the other side's suppression
// field (used->idx then used_event or avail->flags; avail_event then avail->idx), a full fence
// stands between the store and the load, as the driver has one on its side: without it either
// side could miss the other's update and a notification would be lost.
//
// Not thread-safe: the device serialises its calls (on a board, the device's lock).
#pragma once

#include <stdint.h>

#include <expected>
#include <optional>

#include "vmm/virtio/descriptor_chain.hpp"
#include "vmm/virtio/feature_bits.hpp"
#include "vmm/virtio/guest_ram.hpp"
#include "vmm/virtio/queue_error.hpp"

namespace rootstock::vmm::virtio {

/// What the driver configured for a queue through its transport: the size and the
/// guest-physical addresses of the descriptor table, the driver area (available ring) and the
/// device area (used ring): virtio 1.2, 4.1.4.3 queue_size, queue_desc, queue_driver,
/// queue_device; 4.2.2 QueueNum, QueueDesc*, QueueDriver*, QueueDevice*.
struct QueueLayout {
  uint32_t size = 0;
  uint64_t desc = 0;
  uint64_t avail = 0;
  uint64_t used = 0;
};

/// One split virtqueue, from the moment the driver enables it until the device is reset.
class SplitVirtqueue {
 public:
  /// The queue the driver configured over `ram` (which outlives it), with indexes at 0 and
  /// available buffer notifications wanted. Refused: a size that is not a power of two up to
  /// 32768, a part not at its alignment, a part not wholly inside guest RAM (QueueError
  /// kSizeInvalid, kRingMisaligned, kRingOutsideRam).
  [[nodiscard]] static std::expected<SplitVirtqueue, QueueFault> create(GuestRam& ram,
                                                                        const QueueLayout& layout,
                                                                        QueueFeatures features);

  SplitVirtqueue(SplitVirtqueue&&) noexcept = default;
  SplitVirtqueue& operator=(SplitVirtqueue&&) noexcept = default;
  SplitVirtqueue(const SplitVirtqueue&) = delete;
  SplitVirtqueue& operator=(const SplitVirtqueue&) = delete;

  /// Takes the next available chain into `chain`: true if there was one, false if the ring is
  /// empty. A fault in the chain itself (breaks_queue() false) has still consumed it: the
  /// device fails the request by returning `chain.head()` with nothing written, or resets. A
  /// fault in the rings breaks the queue. With notifications enabled and VIRTIO_F_EVENT_IDX, an
  /// empty ring first sets avail_event to the next index, so the driver's next buffer notifies.
  [[nodiscard]] std::expected<bool, QueueFault> pop(DescriptorChain& chain);

  /// Writes the used element for `chain` (its head, `written` bytes) into the used ring without
  /// publishing it. `written` is at most chain.writable_bytes().
  [[nodiscard]] std::expected<void, QueueFault> add_used(const DescriptorChain& chain,
                                                         uint32_t written);
  /// Publishes the elements added since the last call (used->idx, release) and says whether
  /// the driver wants a used buffer notification for them (2.7.7: used_event with
  /// VIRTIO_F_EVENT_IDX, else VIRTQ_AVAIL_F_NO_INTERRUPT). False when nothing was added.
  [[nodiscard]] std::expected<bool, QueueFault> publish_used();
  /// add_used() and publish_used(): one chain back, and whether to interrupt.
  [[nodiscard]] std::expected<bool, QueueFault> return_chain(const DescriptorChain& chain,
                                                             uint32_t written);

  /// Tells the driver that available buffer notifications are not needed (2.7.10): the
  /// device polls pop() until it is empty. Without VIRTIO_F_EVENT_IDX, VIRTQ_USED_F_NO_NOTIFY;
  /// with it, avail_event is left behind, so the driver notifies once more at most.
  [[nodiscard]] std::expected<void, QueueFault> disable_notifications();
  /// Asks for available buffer notifications again and says whether buffers were made
  /// available meanwhile: true means pop() has work that may never be notified.
  [[nodiscard]] std::expected<bool, QueueFault> enable_notifications();

  /// The queue size.
  [[nodiscard]] uint32_t size() const { return size_; }
  /// The available ring index of the next chain pop() takes.
  [[nodiscard]] uint16_t next_avail() const { return next_avail_; }
  /// The used ring index of the next element add_used() writes.
  [[nodiscard]] uint16_t next_used() const { return next_used_; }
  /// The fault that broke the queue, if one did: every later call returns it.
  [[nodiscard]] const std::optional<QueueFault>& broken() const { return broken_; }

 private:
  SplitVirtqueue(GuestRam& ram, const QueueLayout& layout, QueueFeatures features)
      : ram_(&ram), layout_(layout), size_(layout.size), features_(features) {}

  /// Keeps `fault` if it breaks the queue, and returns it.
  std::unexpected<QueueFault> fail(QueueFault fault);
  /// Loads avail->idx (acquire) into avail_idx_, refusing a jump past the queue size.
  [[nodiscard]] std::expected<void, QueueFault> load_avail_idx();
  /// Writes avail_event = next_avail_ (VIRTIO_F_EVENT_IDX) or clears VIRTQ_USED_F_NO_NOTIFY,
  /// then fences and loads avail->idx again.
  [[nodiscard]] std::expected<void, QueueFault> arm_notification();
  /// A 16-bit field of the rings, as an atomic load or store; a refusal breaks the queue.
  [[nodiscard]] std::expected<uint16_t, QueueFault> load_index(uint64_t gpa);
  [[nodiscard]] std::expected<void, QueueFault> store_index(uint64_t gpa, uint16_t value);

  GuestRam* ram_;
  QueueLayout layout_;
  uint32_t size_;
  QueueFeatures features_;

  uint16_t next_avail_ = 0;      ///< the driver's avail->idx we have taken chains up to
  uint16_t avail_idx_ = 0;       ///< avail->idx as last loaded: chains up to it are published
  uint16_t next_used_ = 0;       ///< our used->idx, with elements added but not yet published
  uint16_t published_used_ = 0;  ///< used->idx as last published
  bool notifications_ = true;    ///< whether available buffer notifications are wanted
  std::optional<uint16_t> avail_event_;  ///< what we last wrote to avail_event, if anything
  std::optional<QueueFault> broken_;
};

}  // namespace rootstock::vmm::virtio
