// The split virtqueue's layout in guest memory (virtio 1.2, 2.7 "Split Virtqueues"): a
// descriptor table, an available ring the driver writes and a used ring the device writes, each
// at the guest-physical address the driver configured through its transport. All fields are
// little-endian (2.7.3: only legacy interfaces use the guest's native order); the VMM runs on
// x86-64 only, so they are read and written as they are.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <bit>

namespace rootstock::vmm::virtio {

static_assert(std::endian::native == std::endian::little,
              "virtio 1.x rings are little-endian; a big-endian host would need byte swaps here");

/// The largest queue size of a split virtqueue (2.7: "The maximum Queue Size value is 32768",
/// the largest power of two for which a 16-bit idx tells a full ring from an empty one).
inline constexpr uint32_t kMaxQueueSize = 32768;

/// Whether `size` is a queue size a split virtqueue may have: a power of two up to 32768 (2.7).
[[nodiscard]] constexpr bool valid_queue_size(uint32_t size) {
  return size != 0 && size <= kMaxQueueSize && std::has_single_bit(size);
}

/// One descriptor (2.7.5 "The Virtqueue Descriptor Table", struct virtq_desc).
struct VirtqDesc {
  uint64_t addr;   ///< guest-physical address of the buffer (or of an indirect table)
  uint32_t len;    ///< length in bytes
  uint16_t flags;  ///< DescFlag bits
  uint16_t next;   ///< the next descriptor's index, if flags has kNext
};
static_assert(sizeof(VirtqDesc) == 16);
static_assert(offsetof(VirtqDesc, addr) == 0);
static_assert(offsetof(VirtqDesc, len) == 8);
static_assert(offsetof(VirtqDesc, flags) == 12);
static_assert(offsetof(VirtqDesc, next) == 14);

/// VirtqDesc::flags (2.7.5: VIRTQ_DESC_F_*). Other bits mean nothing to a split queue.
enum class DescFlag : uint16_t {
  kNext = 1,      ///< the chain continues at `next`
  kWrite = 2,     ///< device-writable (otherwise device-readable)
  kIndirect = 4,  ///< the buffer is a table of descriptors (2.7.5.3)
};

/// Whether `flags` has `flag`.
[[nodiscard]] constexpr bool has(uint16_t flags, DescFlag flag) {
  return (flags & static_cast<uint16_t>(flag)) != 0;
}

/// The available ring's fixed head (2.7.6, struct virtq_avail): flags and idx, then
/// ring[queue size] of 16-bit head indexes, then used_event (2.7.7, with VIRTIO_F_EVENT_IDX).
struct VirtqAvailHeader {
  uint16_t flags;  ///< AvailFlag bits
  uint16_t idx;    ///< where the driver puts its next entry (modulo the size); only grows
};
static_assert(sizeof(VirtqAvailHeader) == 4);
static_assert(offsetof(VirtqAvailHeader, flags) == 0);
static_assert(offsetof(VirtqAvailHeader, idx) == 2);

/// VirtqAvailHeader::flags (2.7.6: VIRTQ_AVAIL_F_*).
enum class AvailFlag : uint16_t {
  kNoInterrupt = 1,  ///< without EVENT_IDX: the driver wants no used buffer notifications
};

/// One used ring entry (2.7.8, struct virtq_used_elem): `id` is 32 bits "for padding reasons".
struct VirtqUsedElem {
  uint32_t id;   ///< the head of the chain the device returns
  uint32_t len;  ///< bytes the device wrote into the chain's writable buffers
};
static_assert(sizeof(VirtqUsedElem) == 8);
static_assert(offsetof(VirtqUsedElem, id) == 0);
static_assert(offsetof(VirtqUsedElem, len) == 4);

/// The used ring's fixed head (2.7.8, struct virtq_used): flags and idx, then
/// ring[queue size] of VirtqUsedElem, then avail_event (2.7.10, with VIRTIO_F_EVENT_IDX).
struct VirtqUsedHeader {
  uint16_t flags;  ///< UsedFlag bits
  uint16_t idx;    ///< where the device puts its next entry (modulo the size); only grows
};
static_assert(sizeof(VirtqUsedHeader) == 4);
static_assert(offsetof(VirtqUsedHeader, flags) == 0);
static_assert(offsetof(VirtqUsedHeader, idx) == 2);

/// VirtqUsedHeader::flags (2.7.8: VIRTQ_USED_F_*).
enum class UsedFlag : uint16_t {
  kNoNotify = 1,  ///< without EVENT_IDX: the device wants no available buffer notifications
};

/// Where each part of a split virtqueue of `size` entries has its fields, in bytes from the
/// part's start, and how large and how aligned the parts are (2.7, table "Virtqueue Part
/// Alignment and Size"). The sizes always count the event fields, as the table does.
namespace ring_layout {

inline constexpr uint64_t kDescTableAlign = 16;
inline constexpr uint64_t kAvailRingAlign = 2;
inline constexpr uint64_t kUsedRingAlign = 4;

[[nodiscard]] constexpr uint64_t desc_table_size(uint32_t size) {
  return sizeof(VirtqDesc) * uint64_t{size};
}
[[nodiscard]] constexpr uint64_t desc_offset(uint32_t index) {
  return sizeof(VirtqDesc) * uint64_t{index};
}

[[nodiscard]] constexpr uint64_t avail_flags_offset() {
  return offsetof(VirtqAvailHeader, flags);
}
[[nodiscard]] constexpr uint64_t avail_idx_offset() {
  return offsetof(VirtqAvailHeader, idx);
}
/// avail->ring[slot].
[[nodiscard]] constexpr uint64_t avail_entry_offset(uint32_t slot) {
  return sizeof(VirtqAvailHeader) + sizeof(uint16_t) * uint64_t{slot};
}
/// avail->used_event, after the ring.
[[nodiscard]] constexpr uint64_t used_event_offset(uint32_t size) {
  return avail_entry_offset(size);
}
[[nodiscard]] constexpr uint64_t avail_ring_size(uint32_t size) {
  return used_event_offset(size) + sizeof(uint16_t);
}

[[nodiscard]] constexpr uint64_t used_flags_offset() {
  return offsetof(VirtqUsedHeader, flags);
}
[[nodiscard]] constexpr uint64_t used_idx_offset() {
  return offsetof(VirtqUsedHeader, idx);
}
/// used->ring[slot].
[[nodiscard]] constexpr uint64_t used_entry_offset(uint32_t slot) {
  return sizeof(VirtqUsedHeader) + sizeof(VirtqUsedElem) * uint64_t{slot};
}
/// used->avail_event, after the ring.
[[nodiscard]] constexpr uint64_t avail_event_offset(uint32_t size) {
  return used_entry_offset(size);
}
[[nodiscard]] constexpr uint64_t used_ring_size(uint32_t size) {
  return avail_event_offset(size) + sizeof(uint16_t);
}

// The table's sizes: 16 * Queue Size, 6 + 2 * Queue Size, 6 + 8 * Queue Size.
static_assert(desc_table_size(256) == 16 * 256);
static_assert(avail_ring_size(256) == 6 + 2 * 256);
static_assert(used_ring_size(256) == 6 + 8 * 256);
static_assert(used_event_offset(256) == 4 + 2 * 256);
static_assert(avail_event_offset(256) == 4 + 8 * 256);
// The event fields are 16-bit aligned whatever the size, so they can be accessed atomically.
static_assert(used_event_offset(1) % alignof(uint16_t) == 0);
static_assert(avail_event_offset(1) % alignof(uint16_t) == 0);

}  // namespace ring_layout

/// Whether an event index asks for a notification now that the index it watches has moved from
/// `old_idx` to `new_idx`: it does when `event_idx` lies in [old_idx, new_idx), counted modulo
/// 2^16 (virtio 1.2, 2.7.7 and 2.7.10; virtq_need_event in appendix A, "virtio_queue.h"). The
/// subtraction wraps on purpose: all three are free-running 16-bit ring indexes.
[[nodiscard]] constexpr bool need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old_idx) {
  return static_cast<uint16_t>(new_idx - event_idx - 1) < static_cast<uint16_t>(new_idx - old_idx);
}

static_assert(need_event(0, 1, 0));            // used_event 0: the first buffer notifies
static_assert(!need_event(1, 1, 0));           // ...but not when the driver waits for the second
static_assert(need_event(0xffff, 1, 0xfffe));  // across the wrap at 65536
static_assert(!need_event(5, 3, 3));           // nothing new: never

}  // namespace rootstock::vmm::virtio
