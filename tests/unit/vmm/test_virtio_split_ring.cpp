// The split virtqueue's layout, feature bits and error texts (vmm/virtio/split_ring.hpp,
// feature_bits.hpp, queue_error.hpp), and vring_need_event's wrap-around arithmetic.
#include <catch2/catch_test_macros.hpp>
#include <set>
#include <string>

#include "vmm/virtio/feature_bits.hpp"
#include "vmm/virtio/queue_error.hpp"
#include "vmm/virtio/split_ring.hpp"

using namespace rootstock::vmm::virtio;
namespace rl = ring_layout;

TEST_CASE("virtio split ring: queue sizes are powers of two up to 32768") {
  CHECK_FALSE(valid_queue_size(0));
  CHECK(valid_queue_size(1));
  CHECK(valid_queue_size(2));
  CHECK(valid_queue_size(256));
  CHECK(valid_queue_size(32768));
  CHECK_FALSE(valid_queue_size(3));
  CHECK_FALSE(valid_queue_size(255));
  CHECK_FALSE(valid_queue_size(65536));
  CHECK_FALSE(valid_queue_size(0x80000000u));
}

TEST_CASE("virtio split ring: parts' sizes and field offsets as the spec's table gives them") {
  // 2.7: Descriptor Table 16 * Queue Size, Available Ring 6 + 2 * Queue Size, Used Ring
  // 6 + 8 * Queue Size; at the largest size too, where 16-bit arithmetic would overflow.
  CHECK(rl::desc_table_size(32768) == 0x80000);
  CHECK(rl::avail_ring_size(32768) == 6 + 2 * 32768);
  CHECK(rl::used_ring_size(32768) == 6 + 8 * 32768);
  CHECK(rl::avail_idx_offset() == 2);
  CHECK(rl::avail_entry_offset(3) == 4 + 6);
  CHECK(rl::used_event_offset(8) == 4 + 16);
  CHECK(rl::used_idx_offset() == 2);
  CHECK(rl::used_entry_offset(3) == 4 + 24);
  CHECK(rl::avail_event_offset(8) == 4 + 64);
  CHECK(rl::desc_offset(5) == 80);
}

TEST_CASE("virtio split ring: need_event is vring_need_event, modulo 2^16") {
  // Notify when event_idx lies in [old, new).
  CHECK(need_event(0, 1, 0));
  CHECK(need_event(4, 8, 0));
  CHECK(need_event(7, 8, 0));
  CHECK_FALSE(need_event(8, 8, 0));  // the driver waits for the ninth
  CHECK_FALSE(need_event(3, 8, 4));  // passed before this batch: already notified then
  CHECK_FALSE(need_event(10, 10, 10));
  // Across the wrap at 65536.
  CHECK(need_event(0xffff, 0x0002, 0xfffe));
  CHECK(need_event(0x0000, 0x0002, 0xfffe));
  CHECK(need_event(0x0001, 0x0002, 0xfffe));
  CHECK_FALSE(need_event(0x0002, 0x0002, 0xfffe));
  CHECK_FALSE(need_event(0xfffd, 0x0002, 0xfffe));
  // A whole ring's worth at once (32768 entries), at the wrap.
  CHECK(need_event(0x7ffe, 0x7fff, 0xffff));
  CHECK_FALSE(need_event(0x7fff, 0x7fff, 0xffff));
}

TEST_CASE("virtio feature bits: the queue's two, from the negotiated word") {
  CHECK(feature_mask(FeatureBit::kIndirectDesc) == 0x10000000);
  CHECK(feature_mask(FeatureBit::kEventIdx) == 0x20000000);
  const auto none = QueueFeatures::from_negotiated(0);
  CHECK_FALSE(none.indirect_desc);
  CHECK_FALSE(none.event_idx);
  // VIRTIO_F_VERSION_1 (bit 32) and the others mean nothing to the queue.
  const auto both = QueueFeatures::from_negotiated(0x1'3000'0000ull | 0xffull);
  CHECK(both.indirect_desc);
  CHECK(both.event_idx);
  CHECK(QueueFeatures::from_negotiated(0x2000'0000).event_idx);
  CHECK_FALSE(QueueFeatures::from_negotiated(0x2000'0000).indirect_desc);
}

TEST_CASE("virtio queue errors: each has its own text; ring faults break the queue") {
  std::set<std::string> texts;
  for (int e = 0; e <= static_cast<int>(QueueError::kUsedLengthTooLong); ++e) {
    const std::string text(describe(static_cast<QueueError>(e)));
    CHECK_FALSE(text.empty());
    CHECK(text.find("unknown") == std::string::npos);
    texts.insert(text);
  }
  CHECK(texts.size() == static_cast<size_t>(QueueError::kUsedLengthTooLong) + 1);

  CHECK(breaks_queue(QueueError::kAvailIndexJump));
  CHECK(breaks_queue(QueueError::kHeadOutOfRange));
  CHECK(breaks_queue(QueueError::kRingAccessRefused));
  CHECK(breaks_queue(QueueError::kUsedLengthTooLong));
  CHECK_FALSE(breaks_queue(QueueError::kChainTooLong));
  CHECK_FALSE(breaks_queue(QueueError::kBufferOutsideRam));
  CHECK_FALSE(breaks_queue(QueueError::kNestedIndirect));

  const std::string line =
      describe(QueueFault{QueueError::kBufferOutsideRam, 7, 0x12340000, 0x1000});
  CHECK(line ==
        "virtqueue: a buffer lies outside guest RAM (head 7) at guest-physical "
        "[0x12340000, +0x1000)");
  CHECK(describe(QueueFault{QueueError::kSizeInvalid}) ==
        "virtqueue: queue size is 0, not a power of two, or above 32768");
}
