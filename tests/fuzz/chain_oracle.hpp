// The device fuzzers' oracle (fuzz_entropy_device.cpp, fuzz_console_device.cpp): guest RAM
// between a device model and the fuzzer's FakeGuestRam that follows the split queues the device
// was given and checks every access the device makes, as it makes it:
//
//   - nothing at all while the gate is shut (before activation, after reset(), after the device
//     asked for a reset: device.hpp, "does nothing more until reset()");
//   - when the device reads an available ring entry (a head), the oracle walks that chain in RAM
//     itself (virtio 1.2, 2.7.5, 2.7.5.3; its own walk, not walk_chain()) and holds it: its
//     device-writable buffers, and the first bytes of its device-readable ones;
//   - a write is a used ring element at the next slot, a used ring index or notification field,
//     or data inside a writable buffer of a chain the device holds: nothing else, nothing past a
//     buffer's end; the data is kept as the device wrote it, in order;
//   - a read (other than a descriptor or a head) lies inside a readable buffer of a held chain;
//   - when the device publishes used->idx, each new element names a chain it holds (so no chain
//     comes back twice, nor one never taken) with a length equal to the data it wrote into that
//     chain and at most its writable bytes (2.7.8.1).
//
// Its walk takes every writable buffer it meets, also in a chain walk_chain() refuses (the
// device then writes nothing into it), so it allows no less than the queue does.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "tests/fuzz/fuzz_input.hpp"
#include "tests/unit/vmm/fake_guest_ram.hpp"
#include "vmm/virtio/device.hpp"
#include "vmm/virtio/guest_ram.hpp"
#include "vmm/virtio/split_ring.hpp"
#include "vmm/virtio/split_virtqueue.hpp"

namespace rootstock::fuzz {

/// A guest-physical range [first, first + length).
struct Range {
  uint64_t first = 0;
  uint64_t length = 0;
  [[nodiscard]] bool holds(uint64_t gpa, uint64_t n) const {
    return gpa >= first && gpa - first <= length && n <= length - (gpa - first);
  }
};

/// A chain the device took, as the oracle walked it when the device read its head.
struct TakenChain {
  uint16_t queue = 0;
  uint16_t head = 0;
  std::vector<Range> readable;
  std::vector<Range> writable;
  uint64_t readable_bytes = 0;
  uint64_t writable_bytes = 0;
  std::vector<uint8_t> readable_data;  ///< the first kKeptReadable bytes of the readable buffers
  std::vector<uint8_t> written;        ///< what the device wrote into it, in order
  uint64_t passed_on = 0;              ///< readable bytes the device passed on (console output)
  uint32_t used_length = 0;            ///< once returned: the used element's len
};

class ChainOracle final : public vmm::virtio::GuestRam {
 public:
  /// Readable bytes the oracle keeps per chain (the console's output bound, and one more).
  static constexpr size_t kKeptReadable = 64 * 1024 + 1;
  static constexpr size_t kMaxQueues = 2;

  explicit ChainOracle(test::FakeGuestRam& ram) : ram_(&ram) {}

  /// The device was given `layouts` (queue i's) with or without VIRTIO_F_INDIRECT_DESC: the
  /// gate opens, with fresh queues (indexes at 0, nothing held).
  void start(std::span<const vmm::virtio::QueueLayout> layouts, bool indirect) {
    check(layouts.size() <= kMaxQueues);
    queues_ = {};
    for (size_t i = 0; i < layouts.size(); ++i) queues_[i] = Queue{layouts[i], 0, 0, true};
    indirect_ = indirect;
    held_.clear();
    pending_.reset();
    open_ = true;
  }
  /// The device was reset or stopped: the gate shuts, what it held is forgotten.
  void stop() {
    flush();
    open_ = false;
    held_.clear();
  }
  [[nodiscard]] bool open() const { return open_; }
  /// The end of a step: a write still pending as a possible used element was data.
  void flush() {
    if (!pending_) return;
    const Pending p = *pending_;
    pending_.reset();
    data_write(p.gpa, {p.bytes.data(), p.bytes.size()});
  }
  /// Chains taken and not yet returned.
  [[nodiscard]] std::vector<TakenChain>& held() { return held_; }
  /// The chains returned since the last call, in the order of the used ring.
  [[nodiscard]] std::vector<TakenChain> take_returned() { return std::exchange(returned_, {}); }

  // ---- GuestRam ----

  [[nodiscard]] bool contains(uint64_t gpa, uint64_t length) const override {
    return ram_->contains(gpa, length);
  }

  [[nodiscard]] vmm::virtio::RamResult<void> read(uint64_t gpa,
                                                  std::span<uint8_t> out) const override {
    auto& self = const_cast<ChainOracle&>(*this);  // the seam's reads are const; the record not
    check(open_);
    self.flush();
    auto r = ram_->read(gpa, out);
    if (!r) return r;
    if (out.size() == sizeof(uint16_t)) {
      for (size_t q = 0; q < kMaxQueues; ++q) {
        if (self.head_read(q, gpa, out)) return r;
      }
    }
    if (out.size() != sizeof(vmm::virtio::VirtqDesc)) {
      check(std::any_of(held_.begin(), held_.end(), [&](const TakenChain& c) {
        return std::any_of(c.readable.begin(), c.readable.end(),
                           [&](const Range& b) { return b.holds(gpa, out.size()); });
      }));
    }
    return r;
  }

  [[nodiscard]] vmm::virtio::RamResult<void> write(uint64_t gpa,
                                                   std::span<const uint8_t> data) override {
    check(open_);
    flush();
    // A used element (add_used()) or data the size of one there: which, the next access says.
    if (data.size() == sizeof(vmm::virtio::VirtqUsedElem) && used_slot(gpa)) {
      Pending p{gpa, {}};
      memcpy(p.bytes.data(), data.data(), data.size());
      pending_ = p;
      return ram_->write(gpa, data);
    }
    data_write(gpa, data);
    return ram_->write(gpa, data);
  }

  [[nodiscard]] vmm::virtio::RamResult<uint16_t> load_acquire_u16(uint64_t gpa) const override {
    check(open_);
    const_cast<ChainOracle&>(*this).flush();
    namespace rl = vmm::virtio::ring_layout;
    check(std::any_of(queues_.begin(), queues_.end(), [&](const Queue& q) {
      return q.valid && (gpa == q.layout.avail + rl::avail_flags_offset() ||
                         gpa == q.layout.avail + rl::avail_idx_offset() ||
                         gpa == q.layout.avail + rl::used_event_offset(q.layout.size));
    }));
    return ram_->load_acquire_u16(gpa);
  }

  [[nodiscard]] vmm::virtio::RamResult<void> store_release_u16(uint64_t gpa,
                                                               uint16_t value) override {
    check(open_);
    namespace rl = vmm::virtio::ring_layout;
    for (Queue& q : queues_) {
      if (q.valid && gpa == q.layout.used + rl::used_idx_offset()) {
        pending_.reset();  // it was the element: publish() reads it back from RAM
        auto r = ram_->store_release_u16(gpa, value);
        publish(q, value);
        return r;
      }
    }
    flush();
    check(std::any_of(queues_.begin(), queues_.end(), [&](const Queue& q) {
      return q.valid && (gpa == q.layout.used + rl::used_flags_offset() ||
                         gpa == q.layout.used + rl::avail_event_offset(q.layout.size));
    }));
    return ram_->store_release_u16(gpa, value);
  }

 private:
  struct Queue {
    vmm::virtio::QueueLayout layout;
    uint16_t next_avail = 0;  ///< the ring entry the device reads next
    uint16_t published = 0;   ///< used->idx as the device last stored it
    bool valid = false;
  };
  struct Pending {
    uint64_t gpa;
    std::array<uint8_t, sizeof(vmm::virtio::VirtqUsedElem)> bytes;
  };

  /// Whether the read of `gpa` was queue `q`'s next head, taken while it holds no chain (the
  /// devices fuzzed hold one chain at a time; a read of the same two bytes while the device
  /// holds one is the device reading a buffer placed over the ring).
  bool head_read(size_t q, uint64_t gpa, std::span<const uint8_t> out) {
    Queue& queue = queues_[q];
    namespace rl = vmm::virtio::ring_layout;
    if (!queue.valid ||
        gpa != queue.layout.avail + rl::avail_entry_offset(queue.next_avail % queue.layout.size)) {
      return false;
    }
    if (std::any_of(held_.begin(), held_.end(),
                    [&](const TakenChain& c) { return c.queue == q; })) {
      return false;
    }
    ++queue.next_avail;
    uint16_t head;
    memcpy(&head, out.data(), sizeof(head));
    held_.push_back(walk(static_cast<uint16_t>(q), head));
    return true;
  }

  [[nodiscard]] bool used_slot(uint64_t gpa) const {
    namespace rl = vmm::virtio::ring_layout;
    return std::any_of(queues_.begin(), queues_.end(), [&](const Queue& q) {
      return q.valid && gpa == q.layout.used + rl::used_entry_offset(q.published % q.layout.size);
    });
  }

  /// Data for a held chain: inside one of its writable buffers, kept in order.
  void data_write(uint64_t gpa, std::span<const uint8_t> data) {
    for (TakenChain& c : held_) {
      if (std::any_of(c.writable.begin(), c.writable.end(),
                      [&](const Range& b) { return b.holds(gpa, data.size()); })) {
        c.written.insert(c.written.end(), data.begin(), data.end());
        return;
      }
    }
    check(false);  // a write outside every buffer the device was given
  }

  /// The device stored used->idx = `idx`: the elements since the last one return held chains.
  void publish(Queue& q, uint16_t idx) {
    namespace rl = vmm::virtio::ring_layout;
    const auto count = static_cast<uint16_t>(idx - q.published);
    check(count >= 1 && count <= held_.size());
    const auto index = static_cast<uint16_t>(&q - queues_.data());
    for (uint16_t i = q.published; i != idx; ++i) {
      const auto elem = ram_->peek<vmm::virtio::VirtqUsedElem>(
          q.layout.used + rl::used_entry_offset(i % q.layout.size));
      const auto it = std::find_if(held_.begin(), held_.end(), [&](const TakenChain& c) {
        return c.queue == index && c.head == elem.id;
      });
      check(it != held_.end());
      check(elem.len == it->written.size() && elem.len <= it->writable_bytes);
      it->used_length = elem.len;
      returned_.push_back(std::move(*it));
      held_.erase(it);
    }
    q.published = idx;
  }

  /// Queue `q`'s chain from `head`, as the RAM holds it now: every buffer met, following `next`
  /// and one indirect table, until the chain ends or would be refused.
  [[nodiscard]] TakenChain walk(uint16_t q, uint16_t head) const {
    using vmm::virtio::DescFlag;
    using vmm::virtio::VirtqDesc;
    const vmm::virtio::QueueLayout& layout = queues_[q].layout;
    TakenChain chain;
    chain.queue = q;
    chain.head = head;
    uint64_t table = layout.desc;
    uint32_t table_size = layout.size;
    bool in_indirect = false;
    uint32_t buffers = 0;
    for (uint32_t index = head; index < table_size;) {
      if (!ram_->contains(table + sizeof(VirtqDesc) * index, sizeof(VirtqDesc))) break;
      const auto d = ram_->peek<VirtqDesc>(table + sizeof(VirtqDesc) * index);
      if (has(d.flags, DescFlag::kIndirect)) {
        if (!indirect_ || in_indirect || has(d.flags, DescFlag::kNext) || d.len == 0 ||
            d.len % sizeof(VirtqDesc) != 0 || !ram_->contains(d.addr, d.len)) {
          break;
        }
        table = d.addr;
        table_size = d.len / static_cast<uint32_t>(sizeof(VirtqDesc));
        in_indirect = true;
        index = 0;
        continue;
      }
      if (++buffers > layout.size) break;
      if (d.len != 0 && ram_->contains(d.addr, d.len)) {
        if (has(d.flags, DescFlag::kWrite)) {
          chain.writable.push_back({d.addr, d.len});
          chain.writable_bytes += d.len;
        } else {
          chain.readable.push_back({d.addr, d.len});
          chain.readable_bytes += d.len;
          const size_t keep = std::min<size_t>(d.len, kKeptReadable - chain.readable_data.size());
          const size_t at = chain.readable_data.size();
          chain.readable_data.resize(at + keep);
          if (keep != 0) {
            (void)ram_->read(d.addr, std::span(chain.readable_data).subspan(at, keep));
          }
        }
      }
      if (!has(d.flags, DescFlag::kNext)) break;
      index = d.next;
    }
    return chain;
  }

  test::FakeGuestRam* ram_;
  std::array<Queue, kMaxQueues> queues_{};
  bool indirect_ = false;
  bool open_ = false;
  std::vector<TakenChain> held_;
  std::vector<TakenChain> returned_;
  std::optional<Pending> pending_;
};

/// The link a fuzzed device reaches the oracle through, and its queues: activation on fresh
/// queues over given rings, and what the device asked of the driver.
class OracleLink final : public vmm::virtio::DeviceLink {
 public:
  explicit OracleLink(ChainOracle& oracle) : oracle_(&oracle) {}

  /// Activates `device` with `features` on fresh queues laid out as `layouts`; the gate opens
  /// first (the device may serve in activate()), and shuts again if the device refuses.
  [[nodiscard]] bool activate(vmm::virtio::Device& device, uint64_t features,
                              std::span<const vmm::virtio::QueueLayout> layouts) {
    const auto queue_features = vmm::virtio::QueueFeatures::from_negotiated(features);
    queues_.clear();
    pointers_.clear();
    queues_.reserve(layouts.size());
    for (const auto& l : layouts) {
      auto q = vmm::virtio::SplitVirtqueue::create(*oracle_, l, queue_features);
      check(q.has_value());
      queues_.push_back(std::move(*q));
    }
    for (auto& q : queues_) pointers_.push_back(&q);
    oracle_->start(layouts, queue_features.indirect_desc);
    stopped_ = false;
    if (device.activate(features, pointers_, *this)) return true;
    oracle_->stop();
    return false;
  }
  /// The device was reset: the gate shuts.
  void reset() { oracle_->stop(); }

  void used_buffers(uint16_t queue) override {
    check(queue < queues_.size());
    ++interrupts;
  }
  void config_changed() override {}
  void needs_reset() override {
    stopped_ = true;
    oracle_->stop();
  }
  [[nodiscard]] vmm::virtio::GuestRam& ram() override { return *oracle_; }

  /// Whether the device asked for a reset since its activation.
  [[nodiscard]] bool stopped() const { return stopped_; }
  uint64_t interrupts = 0;

 private:
  ChainOracle* oracle_;
  std::vector<vmm::virtio::SplitVirtqueue> queues_;
  std::vector<vmm::virtio::SplitVirtqueue*> pointers_;
  bool stopped_ = false;
};

}  // namespace rootstock::fuzz
