// Fuzzes the split virtqueue (vmm/virtio/): a child's RAM built from the input, a queue at the
// addresses and with the features the input gives, and a device and a hostile driver taking
// turns: the device takes chains, reads and writes their buffers, returns them alone or in
// batches, and turns notifications off and on; the driver rewrites any 16-bit field of its
// RAM (descriptors, the available ring, even the used ring) between the device's steps.
//
// Input (little-endian):
//   byte 0       bits 3:0 log2 of the queue size (1 to 32768); bit 4 VIRTIO_F_EVENT_IDX;
//                bit 5 VIRTIO_F_INDIRECT_DESC; bits 7:6 the RAM size, 16 KiB << (2 * n)
//   bytes 1-12   the descriptor table, available ring and used ring: each an int32 added to
//                the RAM's base (so below it, misaligned, or past its end as well)
//   bytes 13-14  the length of the steps that follow
//   then the steps (see step()), then the RAM's contents from its base, up to the input's end
//
// Checked, after every step: nothing outside guest RAM was even asked for (the queue checks a
// range before it reads or hands it out, so the seam never has to refuse); the queue wrote only
// inside its used ring; a chain has at most queue-size descriptors, its buffers inside RAM and
// adding up to its byte counts without passing 2^32 - 1; a published used->idx is the queue's;
// a fault that breaks the queue is kept, and after it no call succeeds or writes anything.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include "tests/fuzz/fuzz_input.hpp"
#include "tests/unit/vmm/fake_guest_ram.hpp"
#include "vmm/virtio/chain_io.hpp"
#include "vmm/virtio/descriptor_chain.hpp"
#include "vmm/virtio/split_ring.hpp"
#include "vmm/virtio/split_virtqueue.hpp"

using namespace rootstock::vmm::virtio;
using rootstock::fuzz::check;
using rootstock::fuzz::Input;
using rootstock::test::FakeGuestRam;

namespace {

constexpr uint64_t kRamBase = 0x10000000;
constexpr size_t kMinRam = 16 * 1024;
constexpr unsigned kSteps = 256;         // per input: at most this many steps run
constexpr size_t kMaxInFlight = 64;      // chains the device holds before it must return one
constexpr size_t kMaxBufferCopy = 4096;  // bytes of a chain the device reads or writes
// Descriptors walked per input before the run stops: a 32768-entry queue full of maximal chains
// would otherwise be 2^30 descriptor reads, a timeout rather than a finding.
constexpr uint64_t kWalkBudget = uint64_t{1} << 18;

enum Step : uint8_t {
  kPop,          // take a chain; read its readable bytes, write its writable ones
  kReturn,       // the oldest chain held, with a length (u32, modulo what it can take)
  kAddUsed,      // the same, without publishing
  kPublish,      // publish what was added
  kDisable,      // disable_notifications()
  kEnable,       // enable_notifications()
  kDriverWrite,  // u8 part (table, avail, used, RAM), u16 offset, u16 value
  kDriverOffer,  // u8 n: avail->idx += n (as the driver publishes a batch)
  kStepCount,
};

/// The chains the device holds, oldest first: a ring of DescriptorChains reused from input to
/// input, so that their buffer lists are not allocated again for every chain.
struct InFlight {
  std::array<DescriptorChain, kMaxInFlight + 1> slots;
  size_t first = 0;
  size_t count = 0;

  DescriptorChain& free_slot() { return slots[(first + count) % slots.size()]; }
  DescriptorChain& oldest() { return slots[first]; }
  void keep() { ++count; }
  void drop_oldest() {
    first = (first + 1) % slots.size();
    --count;
  }
};

struct Bench {
  FakeGuestRam& ram;
  QueueLayout layout;
  SplitVirtqueue queue;
  InFlight& in_flight;
  std::optional<QueueFault> broken;
  uint64_t walked = 0;       ///< descriptors walked so far, in good chains and bad
  bool unpublished = false;  ///< used elements added since the last publish

  /// Whether [gpa, gpa + length) lies inside the used ring.
  bool in_used_ring(uint64_t gpa, uint64_t length) const {
    const uint64_t size = ring_layout::used_ring_size(layout.size);
    return gpa >= layout.used && gpa - layout.used <= size && length <= size - (gpa - layout.used);
  }

  /// After a queue call: what it may have written, and a broken queue stays broken.
  template <typename R>
  void after(const R& result) {
    // A broken queue writes nothing; a working one only its used ring.
    for (const auto& w : ram.writes()) check(!broken && in_used_ring(w.gpa, w.length));
    ram.forget_writes();
    check(ram.refused() == 0);
    if (!result) check(describe(result.error()).starts_with("virtqueue: "));
    if (broken) {
      check(!result);
      check(queue.broken().has_value());
      check(queue.broken()->error == broken->error);
      return;
    }
    if (!result && breaks_queue(result.error().error)) {
      check(queue.broken().has_value());
      broken = result.error();
    }
  }

  void check_chain(const DescriptorChain& chain) {
    check(chain.head() < layout.size);
    check(chain.descriptors() <= layout.size);
    check(chain.readable().size() + chain.writable().size() <= chain.descriptors());
    uint64_t readable = 0;
    uint64_t writable = 0;
    for (const ChainBuffer& b : chain.readable()) {
      check(b.len != 0 && ram.contains(b.gpa, b.len));
      readable += b.len;
    }
    for (const ChainBuffer& b : chain.writable()) {
      check(b.len != 0 && ram.contains(b.gpa, b.len));
      writable += b.len;
    }
    check(readable == chain.readable_bytes());
    check(writable == chain.writable_bytes());
    check(readable + writable <= UINT32_MAX);
  }

  /// The device's part with a chain: read its request, write an answer (outside the queue's
  /// write record: these writes go to the chain's buffers).
  void serve(const DescriptorChain& chain) {
    ram.record_writes(false);
    uint8_t bytes[kMaxBufferCopy];
    const size_t n = std::min<size_t>(chain.readable_bytes(), kMaxBufferCopy);
    auto got = read_from_chain(ram, chain, chain.readable_bytes() - n, {bytes, n});
    check(got && *got == n);
    const size_t m = std::min<size_t>(chain.writable_bytes(), kMaxBufferCopy);
    memset(bytes, 0xa5, m);
    auto put = write_to_chain(ram, chain, 0, {bytes, m});
    check(put && *put == m);
    ram.record_writes(true);
  }

  void pop() {
    DescriptorChain& chain = in_flight.free_slot();
    auto got = queue.pop(chain);
    after(got);
    walked += chain.descriptors();
    if (!got) {
      // A bad chain: the device fails the request, as a device would, if the queue goes on.
      if (!breaks_queue(got.error().error)) {
        check(got.error().head == chain.head());
        auto r = queue.return_chain(chain, 0);
        after(r);
        if (r) published();
      }
      return;
    }
    if (!*got) return;
    check_chain(chain);
    serve(chain);
    in_flight.keep();
    if (in_flight.count > kMaxInFlight) give_back(0, true);
  }

  void give_back(uint32_t length, bool publish) {
    if (in_flight.count == 0) return;
    const DescriptorChain& chain = in_flight.oldest();
    const auto written = static_cast<uint32_t>(length % (uint64_t{chain.writable_bytes()} + 1));
    if (publish) {
      auto r = queue.return_chain(chain, written);
      after(r);
      if (r) published();
    } else {
      auto r = queue.add_used(chain, written);
      after(r);
      unpublished = unpublished || r.has_value();
    }
    in_flight.drop_oldest();
  }

  /// After a publish of something new: used->idx is the queue's (the driver may write over it
  /// later, but not in between).
  void published() {
    check(ram.peek<uint16_t>(layout.used + ring_layout::used_idx_offset()) == queue.next_used());
    unpublished = false;
  }

  void driver_write(Input& in) {
    const uint8_t part = in.take<uint8_t>();
    const uint16_t offset = in.take<uint16_t>();
    const uint16_t value = in.take<uint16_t>();
    const uint64_t starts[] = {layout.desc, layout.avail, layout.used, ram.base()};
    const uint64_t gpa = (starts[part % 4] + offset) & ~uint64_t{1};
    if (ram.contains(gpa, sizeof(value))) ram.poke(gpa, value);
  }

  void driver_offer(Input& in) {
    const uint64_t gpa = layout.avail + ring_layout::avail_idx_offset();
    if (!ram.contains(gpa, sizeof(uint16_t))) return;
    const uint16_t idx = ram.peek<uint16_t>(gpa);
    ram.store_u16_release(gpa, static_cast<uint16_t>(idx + in.take<uint8_t>()));
  }

  void step(Input& in) {
    switch (in.take<uint8_t>() % kStepCount) {
      case kPop:
        pop();
        break;
      case kReturn:
        give_back(in.take<uint32_t>(), true);
        break;
      case kAddUsed:
        give_back(in.take<uint32_t>(), false);
        break;
      case kPublish: {
        auto r = queue.publish_used();
        after(r);
        if (r && unpublished) published();
        break;
      }
      case kDisable: {
        auto r = queue.disable_notifications();
        after(r);
        break;
      }
      case kEnable: {
        auto r = queue.enable_notifications();
        after(r);
        break;
      }
      case kDriverWrite:
        driver_write(in);
        break;
      case kDriverOffer:
        driver_offer(in);
        break;
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, data + size};
  const uint8_t config = in.take<uint8_t>();
  QueueLayout layout;
  layout.size = uint32_t{1} << (config & 0xf);
  const QueueFeatures features{(config & 0x20) != 0, (config & 0x10) != 0};
  const auto place = [&] { return kRamBase + static_cast<uint64_t>(in.take<int32_t>()); };
  layout.desc = place();
  layout.avail = place();
  layout.used = place();
  const uint16_t steps_length = in.take<uint16_t>();
  Input steps{in.at, in.at + std::min<size_t>(steps_length, static_cast<size_t>(in.end - in.at))};
  in.at = steps.end;

  // One RAM of each size for the whole run, cleared for each input.
  static FakeGuestRam rams[] = {{kRamBase, kMinRam},
                                {kRamBase, kMinRam << 2},
                                {kRamBase, kMinRam << 4},
                                {kRamBase, kMinRam << 6}};
  FakeGuestRam& ram = rams[config >> 6];
  ram.clear();
  const size_t image = std::min<size_t>(static_cast<size_t>(in.end - in.at), ram.size());
  if (image != 0) memcpy(ram.bytes().data(), in.at, image);

  auto queue = SplitVirtqueue::create(ram, layout, features);
  check(ram.refused() == 0);
  if (!queue) {
    const QueueError e = queue.error().error;
    check(e == QueueError::kSizeInvalid || e == QueueError::kRingMisaligned ||
          e == QueueError::kRingOutsideRam);
    return 0;
  }
  ram.record_writes(true);
  static InFlight in_flight;
  in_flight.first = in_flight.count = 0;
  Bench bench{ram, layout, std::move(*queue), in_flight, {}};
  for (unsigned i = 0; i < kSteps && !steps.done() && bench.walked < kWalkBudget; ++i) {
    bench.step(steps);
  }
  // The device drains the ring at the end, as it would before a reset.
  for (unsigned i = 0; i < layout.size && !bench.broken && bench.walked < kWalkBudget; ++i) {
    const uint16_t before = bench.queue.next_avail();
    bench.pop();
    if (bench.queue.next_avail() == before) break;
  }
  return 0;
}
