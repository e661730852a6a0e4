// The split virtqueue (vmm/virtio/split_virtqueue.hpp): configuration checks, chains taken in
// ring order and returned through the used ring, both directions of notification suppression
// with and without VIRTIO_F_EVENT_IDX (virtio 1.2, 2.7.7, 2.7.10), at the 16-bit wrap too, and
// what a hostile driver's ring indexes do to the queue.
#include <atomic>
#include <catch2/catch_test_macros.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "tests/unit/vmm/fake_guest_ram.hpp"
#include "tests/unit/vmm/virtio_test_driver.hpp"
#include "vmm/virtio/split_virtqueue.hpp"

using namespace rootstock::vmm::virtio;
using namespace rootstock::test;

namespace {

constexpr uint64_t kBase = 0x200000;
constexpr uint64_t kRamSize = 0x10000;
constexpr uint32_t kSize = 8;
constexpr uint64_t kData = kBase + 0x4000;
constexpr QueueFeatures kPlain{};
constexpr QueueFeatures kEventIdx{false, true};

struct Bench {
  explicit Bench(QueueFeatures features = kPlain, uint32_t size = kSize)
      : layout(layout_queue(kBase, size)), driver(ram, layout) {
    auto q = SplitVirtqueue::create(ram, layout, features);
    REQUIRE(q);
    queue.emplace(std::move(*q));
    // Every descriptor a one-byte writable buffer of its own.
    for (uint32_t i = 0; i < size; ++i) driver.desc(i, kData + i, 1, kWrite);
  }

  /// Takes the next chain, which must be there.
  DescriptorChain take() {
    DescriptorChain chain;
    auto got = queue->pop(chain);
    REQUIRE(got);
    REQUIRE(*got);
    return chain;
  }
  bool empty() {
    DescriptorChain chain;
    auto got = queue->pop(chain);
    REQUIRE(got);
    return !*got;
  }
  /// Offers head 0, takes it and returns it: one used entry; whether it notified.
  bool round_trip() {
    driver.offer(0);
    auto notify = queue->return_chain(take(), 1);
    REQUIRE(notify);
    return *notify;
  }

  FakeGuestRam ram{kBase, kRamSize};
  QueueLayout layout;
  TestDriver driver;
  std::optional<SplitVirtqueue> queue;
};

QueueError refusal(FakeGuestRam& ram, QueueLayout layout) {
  auto q = SplitVirtqueue::create(ram, layout, kPlain);
  REQUIRE_FALSE(q);
  return q.error().error;
}

}  // namespace

TEST_CASE("virtio queue: configuration refused for bad sizes, alignment and places") {
  FakeGuestRam ram(kBase, kRamSize);
  const QueueLayout good = layout_queue(kBase, kSize);
  REQUIRE(SplitVirtqueue::create(ram, good, kPlain));

  for (uint32_t size : {0u, 3u, 6u, 65536u, 0x10000000u}) {
    QueueLayout l = good;
    l.size = size;
    CHECK(refusal(ram, l) == QueueError::kSizeInvalid);
  }
  QueueLayout l = good;
  l.desc += 8;  // 16-byte alignment
  CHECK(refusal(ram, l) == QueueError::kRingMisaligned);
  l = good;
  l.avail += 1;  // 2-byte alignment
  CHECK(refusal(ram, l) == QueueError::kRingMisaligned);
  l = good;
  l.used += 2;  // 4-byte alignment
  CHECK(refusal(ram, l) == QueueError::kRingMisaligned);
  l = good;
  l.used = kBase + kRamSize - 4;  // its ring past the end
  CHECK(refusal(ram, l) == QueueError::kRingOutsideRam);
  l = good;
  l.desc = kBase - 0x1000;
  CHECK(refusal(ram, l) == QueueError::kRingOutsideRam);
  l = good;
  l.avail = ~uint64_t{0} - 1;  // wraps
  CHECK(refusal(ram, l) == QueueError::kRingOutsideRam);
  l = layout_queue(kBase, 32768);  // the largest size: a 512 KiB table in 64 KiB of RAM
  CHECK(refusal(ram, l) == QueueError::kRingOutsideRam);
  CHECK(ram.refused() == 0);
}

TEST_CASE("virtio queue: a chain offered, taken and returned through the used ring") {
  Bench b;
  DescriptorChain chain;
  auto none = b.queue->pop(chain);
  REQUIRE(none);
  CHECK_FALSE(*none);

  b.driver.desc(2, kData, 16, kNext, 6);
  b.driver.desc(6, kData + 0x100, 64, kWrite);
  b.driver.offer(2);
  chain = b.take();
  CHECK(chain.head() == 2);
  CHECK(chain.readable_bytes() == 16);
  CHECK(chain.writable_bytes() == 64);
  CHECK(b.queue->next_avail() == 1);
  CHECK(b.empty());

  auto notify = b.queue->return_chain(chain, 40);
  REQUIRE(notify);
  CHECK(*notify);  // avail->flags 0: the driver wants every notification
  CHECK(b.driver.used_idx() == 1);
  CHECK(b.driver.used(0).id == 2);
  CHECK(b.driver.used(0).len == 40);
  CHECK(b.queue->next_used() == 1);
}

TEST_CASE("virtio queue: chains come in ring order, a batch at once") {
  Bench b;
  for (int head : {5, 1, 7}) b.driver.stage(static_cast<uint16_t>(head));
  CHECK(b.empty());  // staged, not published
  b.driver.publish_staged();
  CHECK(b.take().head() == 5);
  CHECK(b.take().head() == 1);
  CHECK(b.take().head() == 7);
  CHECK(b.empty());
}

TEST_CASE("virtio queue: used elements are published together, after they are written") {
  Bench b;
  std::vector<DescriptorChain> chains;
  for (int head : {3, 4, 0}) {
    b.driver.offer(static_cast<uint16_t>(head));
    chains.push_back(b.take());
  }
  b.ram.record_writes(true);
  for (const auto& c : chains) REQUIRE(b.queue->add_used(c, 1));
  CHECK(b.driver.used_idx() == 0);  // not yet visible
  auto notify = b.queue->publish_used();
  REQUIRE(notify);
  CHECK(*notify);
  CHECK(b.driver.used_idx() == 3);
  CHECK(b.driver.used(1).id == 4);
  // The elements were written before the index that publishes them, and nothing else was.
  const auto writes = b.ram.take_writes();
  REQUIRE(writes.size() == 4);
  CHECK(writes[3].gpa == b.layout.used + rl::used_idx_offset());
  for (size_t i = 0; i < 3; ++i) {
    CHECK(writes[i].gpa == b.layout.used + rl::used_entry_offset(static_cast<uint32_t>(i)));
  }
  auto again = b.queue->publish_used();  // nothing new
  REQUIRE(again);
  CHECK_FALSE(*again);
}

TEST_CASE("virtio queue: without EVENT_IDX, VIRTQ_AVAIL_F_NO_INTERRUPT suppresses interrupts") {
  Bench b;
  b.driver.set_avail_flags(static_cast<uint16_t>(AvailFlag::kNoInterrupt));
  CHECK_FALSE(b.round_trip());
  b.driver.set_avail_flags(0);
  CHECK(b.round_trip());
  b.driver.set_used_event(5);  // ignored without the feature
  CHECK(b.round_trip());
}

TEST_CASE("virtio queue: without EVENT_IDX, VIRTQ_USED_F_NO_NOTIFY asks the driver for quiet") {
  Bench b;
  CHECK(b.driver.used_flags() == 0);
  REQUIRE(b.queue->disable_notifications());
  CHECK(b.driver.used_flags() == static_cast<uint16_t>(UsedFlag::kNoNotify));
  auto pending = b.queue->enable_notifications();
  REQUIRE(pending);
  CHECK_FALSE(*pending);
  CHECK(b.driver.used_flags() == 0);
  // A buffer offered while quiet is reported when notifications come back on.
  REQUIRE(b.queue->disable_notifications());
  b.driver.offer(1);
  pending = b.queue->enable_notifications();
  REQUIRE(pending);
  CHECK(*pending);
  CHECK(b.take().head() == 1);
}

TEST_CASE("virtio queue: EVENT_IDX, used_event says which used entry notifies") {
  Bench b(kEventIdx);
  // The flag means nothing with EVENT_IDX (2.7.7.2: "The device MUST ignore the lower bit").
  b.driver.set_avail_flags(static_cast<uint16_t>(AvailFlag::kNoInterrupt));
  b.driver.set_used_event(2);
  CHECK_FALSE(b.round_trip());  // entry 0
  CHECK_FALSE(b.round_trip());  // entry 1
  CHECK(b.round_trip());        // entry 2 == used_event
  CHECK_FALSE(b.round_trip());  // entry 3: the driver has not moved used_event
  // A batch that passes used_event notifies once.
  b.driver.set_used_event(6);
  std::vector<DescriptorChain> chains;
  for (int head : {1, 2, 3}) {
    b.driver.offer(static_cast<uint16_t>(head));
    chains.push_back(b.take());
  }
  for (const auto& c : chains) REQUIRE(b.queue->add_used(c, 0));  // entries 4, 5, 6
  auto notify = b.queue->publish_used();
  REQUIRE(notify);
  CHECK(*notify);
}

TEST_CASE("virtio queue: EVENT_IDX, avail_event says which available entry notifies") {
  Bench b(kEventIdx);
  // The ring found empty arms avail_event at the next entry: the driver's next offer notifies.
  CHECK(b.empty());
  CHECK(b.driver.avail_event() == 0);
  b.driver.offer(3);
  CHECK(need_event(b.driver.avail_event(), 1, 0));
  b.take();
  b.driver.offer(4);  // offered before the device found the ring empty again: no notification
  CHECK_FALSE(need_event(b.driver.avail_event(), 2, 1));
  b.take();
  CHECK(b.empty());
  CHECK(b.driver.avail_event() == 2);

  // Disabled: the device polls; avail_event stays behind, so offers do not notify.
  REQUIRE(b.queue->disable_notifications());
  b.driver.offer(5);  // the one crossing 2 notifies (2.7.10 allows it: "unreliable")
  b.take();
  b.driver.offer(6);
  CHECK_FALSE(need_event(b.driver.avail_event(), 4, 3));
  b.take();
  CHECK(b.empty());
  CHECK(b.driver.avail_event() == 2);
  CHECK(b.driver.used_flags() == 0);  // 2.7.10.2: flags stay 0 with EVENT_IDX

  // Enabled again: armed at the next entry, and a buffer offered meanwhile is reported.
  b.driver.offer(7);
  auto pending = b.queue->enable_notifications();
  REQUIRE(pending);
  CHECK(*pending);
  CHECK(b.driver.avail_event() == 4);
  b.take();
  CHECK(b.empty());
  CHECK(b.driver.avail_event() == 5);
}

TEST_CASE("virtio queue: EVENT_IDX across the 16-bit wrap of the ring indexes") {
  Bench b(kEventIdx);
  b.driver.set_used_event(0x7fff);  // out of the way
  for (uint32_t i = 0; i < 0xfffe; ++i) b.round_trip();
  REQUIRE(b.queue->next_avail() == 0xfffe);
  REQUIRE(b.queue->next_used() == 0xfffe);
  CHECK(b.empty());
  CHECK(b.driver.avail_event() == 0xfffe);

  // Used side: the driver waits for entry 0x0001, past the wrap; a batch 0xfffe..0x0001 passes
  // it, a batch starting after it does not.
  b.driver.set_used_event(0x0001);
  std::vector<DescriptorChain> chains;
  for (int head : {1, 2, 3, 4}) {
    b.driver.offer(static_cast<uint16_t>(head));
    chains.push_back(b.take());
  }
  CHECK(b.queue->next_avail() == 0x0002);
  for (const auto& c : chains) REQUIRE(b.queue->add_used(c, 0));
  auto notify = b.queue->publish_used();
  REQUIRE(notify);
  CHECK(*notify);
  CHECK(b.driver.used_idx() == 0x0002);
  CHECK(b.driver.used(0xffff).id == 2);  // ring slots wrap with the index
  CHECK(b.driver.used(0x0000).id == 3);
  CHECK_FALSE(b.round_trip());  // entry 0x0002

  // Avail side: armed at the wrapped index; an offer that crosses it notifies.
  CHECK(b.empty());
  CHECK(b.driver.avail_event() == 0x0003);
  CHECK(need_event(b.driver.avail_event(), 0x0004, 0x0003));
}

TEST_CASE("virtio queue: without EVENT_IDX, indexes wrap at 65536 too") {
  Bench b(kPlain, 2);
  uint32_t notified = 0;
  for (uint32_t i = 0; i < 0x10003; ++i) notified += b.round_trip() ? 1 : 0;
  CHECK(notified == 0x10003);
  CHECK(b.driver.used_idx() == 0x0003);
  CHECK(b.queue->next_avail() == 0x0003);
}

TEST_CASE("virtio queue: avail->idx moved past the queue size breaks the queue") {
  Bench b;
  b.driver.set_avail_idx(kSize);  // a full ring is fine
  for (uint32_t i = 0; i < kSize; ++i) b.take();
  CHECK(b.empty());

  b.driver.set_avail_idx(static_cast<uint16_t>(2 * kSize + 1));  // kSize + 1 ahead
  DescriptorChain chain;
  auto r = b.queue->pop(chain);
  REQUIRE_FALSE(r);
  CHECK(r.error().error == QueueError::kAvailIndexJump);
  REQUIRE(b.queue->broken());
  // It stays broken: the device resets (DEVICE_NEEDS_RESET); nothing more is taken or written.
  b.driver.set_avail_idx(static_cast<uint16_t>(kSize + 1));
  b.ram.record_writes(true);
  r = b.queue->pop(chain);
  REQUIRE_FALSE(r);
  CHECK(r.error().error == QueueError::kAvailIndexJump);
  CHECK_FALSE(b.queue->return_chain(chain, 0));
  CHECK_FALSE(b.queue->enable_notifications());
  CHECK(b.ram.take_writes().empty());
}

TEST_CASE("virtio queue: avail->idx moved back breaks the queue") {
  Bench b;
  b.driver.offer(0);
  b.driver.offer(1);
  b.take();
  b.take();
  b.driver.set_avail_idx(1);  // "there is no way to unexpose buffers" (2.7.6.1)
  DescriptorChain chain;
  auto r = b.queue->pop(chain);
  REQUIRE_FALSE(r);
  CHECK(r.error().error == QueueError::kAvailIndexJump);
}

TEST_CASE("virtio queue: an available entry naming no descriptor breaks the queue") {
  Bench b;
  b.driver.offer(kSize);
  DescriptorChain chain;
  auto r = b.queue->pop(chain);
  REQUIRE_FALSE(r);
  CHECK(r.error().error == QueueError::kHeadOutOfRange);
  CHECK(r.error().head == kSize);
  CHECK(b.queue->broken());
}

TEST_CASE("virtio queue: a malformed chain fails alone; its head goes back, the queue goes on") {
  Bench b;
  b.driver.desc(1, kData, 16, kWriteNext, 2);
  b.driver.desc(2, kData, 16, kWriteNext, 1);  // a loop
  b.driver.offer(1);
  b.driver.offer(3);
  DescriptorChain chain;
  auto r = b.queue->pop(chain);
  REQUIRE_FALSE(r);
  CHECK(r.error().error == QueueError::kChainTooLong);
  CHECK(r.error().head == 1);
  CHECK_FALSE(b.queue->broken());
  auto notify = b.queue->return_chain(chain, 0);  // the request failed, nothing written
  REQUIRE(notify);
  CHECK(b.driver.used(0).id == 1);
  CHECK(b.driver.used(0).len == 0);
  CHECK(b.take().head() == 3);
}

TEST_CASE("virtio queue: the device may not claim more bytes than the chain can take") {
  Bench b;
  b.driver.offer(4);
  const DescriptorChain chain = b.take();
  auto r = b.queue->return_chain(chain, 2);  // one writable byte
  REQUIRE_FALSE(r);
  CHECK(r.error().error == QueueError::kUsedLengthTooLong);
  CHECK(b.driver.used_idx() == 0);
}

TEST_CASE("virtio queue: a driver thread and a device thread, acquire and release") {
  // The driver offers heads as the device returns them; every head comes back exactly once,
  // with the length the device wrote. Under ThreadSanitizer this is the ordering check too.
  constexpr uint32_t kQueue = 16;
  constexpr uint32_t kRequests = 20000;
  Bench b(kEventIdx, kQueue);
  // Catch2's assertions are not for other threads: the device thread counts its failures.
  std::atomic<uint32_t> device_failures{0};
  std::thread device([&] {
    DescriptorChain chain;
    for (uint32_t done = 0; done < kRequests && device_failures == 0;) {
      auto got = b.queue->pop(chain);
      if (!got) {
        ++device_failures;
      } else if (!*got) {
        std::this_thread::yield();
      } else if (!b.queue->return_chain(chain, 1)) {
        ++device_failures;
      } else {
        ++done;
      }
    }
  });
  uint32_t offered = 0;
  uint16_t seen_used = 0;
  std::vector<uint32_t> returned(kQueue, 0);
  uint32_t bad_elements = 0;
  while ((seen_used != static_cast<uint16_t>(kRequests) || offered < kRequests) &&
         device_failures == 0) {
    const uint16_t used = b.driver.used_idx();  // acquire: the elements before it are written
    for (; seen_used != used; ++seen_used) {
      const VirtqUsedElem e = b.driver.used(seen_used);
      if (e.id < kQueue && e.len == 1) {
        ++returned[e.id];
      } else {
        ++bad_elements;
      }
    }
    // At most a queue's worth outstanding, as a driver keeps it.
    if (offered < kRequests && static_cast<uint16_t>(offered - seen_used) < kQueue) {
      b.driver.offer(static_cast<uint16_t>(offered % kQueue));
      ++offered;
    } else {
      std::this_thread::yield();
    }
  }
  device.join();
  REQUIRE(device_failures == 0);
  CHECK(bad_elements == 0);
  for (uint32_t n : returned) CHECK(n == kRequests / kQueue);
}
