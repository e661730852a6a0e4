#include "vmm/virtio/net_rx.hpp"

#include <string.h>

#include <algorithm>
#include <optional>

#include "vmm/virtio/chain_io.hpp"

namespace rootstock::vmm::virtio {
namespace {

/// Why the driver cannot have meant `chain` as a receive buffer, if it cannot (5.1.6.3.1: with
/// MRG_RXBUF "each buffer MUST be at least size of struct virtio_net_hdr"; without it the
/// buffers are larger still).
std::optional<NetRefusal> unusable(const DescriptorChain& chain) {
  if (!chain.readable().empty()) return NetRefusal::kRxReadableBuffer;
  if (chain.writable_bytes() < sizeof(NetHeader)) return NetRefusal::kRxTooShort;
  return std::nullopt;
}

}  // namespace

void RxPlacer::start(bool mergeable) {
  mergeable_ = mergeable;
  held_count_ = 0;
  held_bytes_ = 0;
}

std::expected<RxResult, QueueFault> RxPlacer::place(SplitVirtqueue& queue, GuestRam& ram,
                                                    std::span<uint8_t> packet) {
  RxResult result;
  auto fits = take_until_fits(queue, packet.size(), result);
  if (!fits) return std::unexpected(fits.error());
  if (!*fits) return result;
  if (auto ok = deliver(queue, ram, packet, result); !ok) return std::unexpected(ok.error());
  return result;
}

std::expected<bool, QueueFault> RxPlacer::take_until_fits(SplitVirtqueue& queue, size_t bytes,
                                                          RxResult& result) {
  // 5.1.6.3.2: without MRG_RXBUF "the device MUST use only a single descriptor"; with it, the
  // driver cannot have more than the queue size outstanding, so that many is the most to wait
  // for.
  const size_t most = mergeable_ ? queue.size() : 1;
  while (mergeable_ ? held_bytes_ < bytes : held_count_ == 0) {
    if (held_count_ >= most) {
      result.outcome = RxOutcome::kDropped;
      result.refusal = NetRefusal::kRxTooLarge;
      return false;
    }
    if (held_.size() == held_count_) held_.emplace_back();
    DescriptorChain& chain = held_[held_count_];
    auto got = queue.pop(chain);
    if (!got) {
      if (breaks_queue(got.error().error)) return std::unexpected(got.error());
      if (auto r = refuse(queue, chain, NetRefusal::kRxMalformed, result); !r) {
        return std::unexpected(r.error());
      }
      continue;
    }
    if (!*got) {
      result.outcome = RxOutcome::kWaiting;
      return false;
    }
    if (auto why = unusable(chain)) {
      if (auto r = refuse(queue, chain, *why, result); !r) return std::unexpected(r.error());
      continue;
    }
    held_bytes_ += chain.writable_bytes();
    ++held_count_;
  }
  if (held_[0].writable_bytes() < bytes && !mergeable_) {
    result.outcome = RxOutcome::kDropped;  // the chain stays for a smaller packet
    result.refusal = NetRefusal::kRxTooLarge;
    return false;
  }
  return true;
}

std::expected<void, QueueFault> RxPlacer::deliver(SplitVirtqueue& queue, GuestRam& ram,
                                                  std::span<uint8_t> packet, RxResult& result) {
  // The chains it takes, each but the last to its end (5.1.6.4.1).
  size_t count = 0;
  for (uint64_t room = 0; room < packet.size(); ++count) room += held_[count].writable_bytes();
  const auto buffers = static_cast<uint16_t>(count);  // at most the queue size, 32768
  memcpy(packet.data() + offsetof(NetHeader, num_buffers), &buffers, sizeof(buffers));

  // Each chain's share: all of it but for the last.
  auto share = [&](size_t i, size_t done) {
    return std::min<size_t>(held_[i].writable_bytes(), packet.size() - done);
  };
  bool refused = false;
  for (size_t i = 0, done = 0; i < count; done += share(i, done), ++i) {
    const size_t n = share(i, done);
    auto put = write_to_chain(ram, held_[i], 0, packet.subspan(done, n));
    refused = refused || !put || *put != n;
  }
  // Guest RAM refused a buffer the walk checked (its map changed): the chains go back with
  // nothing in them, the packet is lost.
  if (refused) {
    result.outcome = RxOutcome::kDropped;
    result.refusal = NetRefusal::kRamRefused;
  } else {
    result.outcome = RxOutcome::kDelivered;
    result.buffers = buffers;
  }
  for (size_t i = 0, done = 0; i < count; done += share(i, done), ++i) {
    const auto written = refused ? 0 : static_cast<uint32_t>(share(i, done));
    if (auto r = queue.add_used(held_[i], written); !r) return r;
    held_bytes_ -= held_[i].writable_bytes();
  }
  auto interrupt = queue.publish_used();
  if (!interrupt) return std::unexpected(interrupt.error());
  result.interrupt = result.interrupt || *interrupt;
  // The chains left over move to the front, keeping their order and everyone's storage.
  std::rotate(held_.begin(), held_.begin() + static_cast<ptrdiff_t>(count),
              held_.begin() + static_cast<ptrdiff_t>(held_count_));
  held_count_ -= count;
  return {};
}

std::expected<void, QueueFault> RxPlacer::refuse(SplitVirtqueue& queue,
                                                 const DescriptorChain& chain, NetRefusal why,
                                                 RxResult& result) {
  ++result.refused_chains;
  result.chain_refusal = why;
  auto interrupt = queue.return_chain(chain, 0);
  if (!interrupt) return std::unexpected(interrupt.error());
  result.interrupt = result.interrupt || *interrupt;
  return {};
}

}  // namespace rootstock::vmm::virtio
