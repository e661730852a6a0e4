// A descriptor chain as a device sees it (virtio 1.2, 2.7.4 "Message Framing" and 2.7.5 "The
// Virtqueue Descriptor Table"): the guest buffers of one request, device-readable ones first,
// then device-writable ones, each checked to lie inside guest RAM. walk_chain() follows the
// `next` links from a head, through at most one indirect table (2.7.5.3), and refuses a chain
// that breaks a rule with a QueueFault instead of handing any of it out.
//
// The bounds that make a hostile chain finite: at most queue-size buffer descriptors (2.7.5.3.1:
// "A driver MUST NOT create a descriptor chain longer than the Queue Size"), so a loop ends
// there; each `next` below its table's length; one indirect table at most; a total length that
// fits the used ring's 32-bit `len`. Each descriptor is read from guest memory once, into a
// local copy, and only that copy is checked and used: the child may rewrite the table meanwhile.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <expected>
#include <span>
#include <vector>

#include "vmm/virtio/guest_ram.hpp"
#include "vmm/virtio/queue_error.hpp"

namespace rootstock::vmm::virtio {

/// One buffer: guest-physical [gpa, gpa + len), inside guest RAM when the chain was walked.
struct ChainBuffer {
  uint64_t gpa = 0;
  uint32_t len = 0;
};

/// Where the queue's descriptor table is and how many descriptors it holds (the queue size).
struct DescriptorTable {
  uint64_t gpa = 0;
  uint32_t size = 0;
};

class DescriptorChain;

/// Walks the chain that starts at descriptor `head` of `table` into `chain` (whose storage is
/// reused from call to call). `indirect_desc`: whether VIRTIO_F_INDIRECT_DESC was negotiated.
/// On a fault `chain` holds the head and whatever was walked before it; nothing of it may be
/// used but the head, to return it.
[[nodiscard]] std::expected<void, QueueFault> walk_chain(const GuestRam& ram, DescriptorTable table,
                                                         bool indirect_desc, uint16_t head,
                                                         DescriptorChain& chain);

/// One request: readable() buffers, then writable() ones. Zero-length buffers are left out
/// (they hold nothing; 2.7.4.1: a device makes no assumptions about how a request is split).
class DescriptorChain {
 public:
  /// The head descriptor's index: what the device returns in the used ring.
  [[nodiscard]] uint16_t head() const { return head_; }
  /// The device-readable buffers, in chain order.
  [[nodiscard]] std::span<const ChainBuffer> readable() const {
    return std::span(buffers_).first(readable_count_);
  }
  /// The device-writable buffers, in chain order.
  [[nodiscard]] std::span<const ChainBuffer> writable() const {
    return std::span(buffers_).subspan(readable_count_);
  }
  /// The readable buffers' lengths added up.
  [[nodiscard]] uint32_t readable_bytes() const { return readable_bytes_; }
  /// The writable buffers' lengths added up: the most a device may report as written.
  [[nodiscard]] uint32_t writable_bytes() const { return writable_bytes_; }
  /// How many buffer descriptors the walk went through (zero-length ones included; the
  /// descriptor that refers to an indirect table not): never more than the queue size.
  [[nodiscard]] uint32_t descriptors() const { return descriptors_; }

 private:
  friend std::expected<void, QueueFault> walk_chain(const GuestRam&, DescriptorTable, bool,
                                                    uint16_t, DescriptorChain&);

  void reset(uint16_t head);

  uint16_t head_ = 0;
  std::vector<ChainBuffer> buffers_;
  size_t readable_count_ = 0;
  uint32_t readable_bytes_ = 0;
  uint32_t writable_bytes_ = 0;
  uint32_t descriptors_ = 0;
};

}  // namespace rootstock::vmm::virtio
