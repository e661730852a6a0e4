#include "vmm/virtio/descriptor_chain.hpp"

#include <limits>

#include "vmm/virtio/split_ring.hpp"

namespace rootstock::vmm::virtio {
namespace {

/// The most bytes a chain may hold: the used ring's `len` is 32 bits (2.7.5.2: "Drivers MUST
/// NOT add a descriptor chain longer than 2^32 bytes in total").
constexpr uint64_t kMaxChainBytes = std::numeric_limits<uint32_t>::max();

}  // namespace

void DescriptorChain::reset(uint16_t head) {
  head_ = head;
  buffers_.clear();
  readable_count_ = 0;
  readable_bytes_ = 0;
  writable_bytes_ = 0;
  descriptors_ = 0;
}

std::expected<void, QueueFault> walk_chain(const GuestRam& ram, DescriptorTable table,
                                           bool indirect_desc, uint16_t head,
                                           DescriptorChain& chain) {
  chain.reset(head);
  const auto fault = [head](QueueError error, uint64_t gpa, uint64_t length) {
    return std::unexpected(QueueFault{error, head, gpa, length});
  };
  constexpr uint64_t kDescSize = sizeof(VirtqDesc);
  if (head >= table.size) return fault(QueueError::kHeadOutOfRange, 0, 0);

  // The table being walked: the queue's, then at most one indirect table.
  DescriptorTable current = table;
  bool indirect = false;
  bool seen_writable = false;
  uint64_t total = 0;
  uint32_t index = head;
  // Ends: each round either counts a buffer descriptor (at most table.size of them) or enters
  // the one indirect table a chain may have.
  for (;;) {
    const uint64_t at = current.gpa + ring_layout::desc_offset(index);
    const auto read = read_object<VirtqDesc>(ram, at);
    if (!read) {
      // The queue's own table was inside guest RAM when the queue was configured, and an
      // indirect table is checked whole before it is entered.
      return fault(indirect ? QueueError::kIndirectTableOutsideRam : QueueError::kRingAccessRefused,
                   at, kDescSize);
    }
    const VirtqDesc desc = *read;  // the one copy checked and used

    if (has(desc.flags, DescFlag::kIndirect)) {
      // 2.7.5.3: zero or more chained descriptors, then one that refers to a table; its
      // VIRTQ_DESC_F_WRITE is ignored (2.7.5.3.2).
      if (!indirect_desc) return fault(QueueError::kIndirectNotNegotiated, at, kDescSize);
      if (indirect) return fault(QueueError::kNestedIndirect, at, kDescSize);
      if (has(desc.flags, DescFlag::kNext)) {
        return fault(QueueError::kIndirectWithNext, at, kDescSize);
      }
      if (desc.len == 0 || desc.len % kDescSize != 0) {
        return fault(QueueError::kIndirectTableSize, desc.addr, desc.len);
      }
      if (!ram.contains(desc.addr, desc.len)) {
        return fault(QueueError::kIndirectTableOutsideRam, desc.addr, desc.len);
      }
      current = {desc.addr, static_cast<uint32_t>(desc.len / kDescSize)};
      indirect = true;
      index = 0;  // "The first indirect descriptor is located at start of the indirect table"
      continue;
    }

    if (++chain.descriptors_ > table.size) return fault(QueueError::kChainTooLong, at, kDescSize);
    const bool writable = has(desc.flags, DescFlag::kWrite);
    if (!writable && seen_writable) {
      return fault(QueueError::kReadableAfterWritable, desc.addr, desc.len);
    }
    seen_writable = seen_writable || writable;
    total += desc.len;
    if (total > kMaxChainBytes) return fault(QueueError::kLengthOverflow, desc.addr, desc.len);
    if (desc.len != 0) {
      if (!ram.contains(desc.addr, desc.len)) {
        return fault(QueueError::kBufferOutsideRam, desc.addr, desc.len);
      }
      chain.buffers_.push_back({desc.addr, desc.len});
      if (writable) {
        chain.writable_bytes_ += desc.len;
      } else {
        ++chain.readable_count_;
        chain.readable_bytes_ += desc.len;
      }
    }

    if (!has(desc.flags, DescFlag::kNext)) return {};
    if (desc.next >= current.size) return fault(QueueError::kNextOutOfRange, at, kDescSize);
    index = desc.next;
  }
}

}  // namespace rootstock::vmm::virtio
