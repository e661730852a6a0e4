// Putting received packets into the driver's receive buffers (virtio 1.2, 5.1.6.3 "Setting Up
// Receive Buffers", 5.1.6.4 "Processing of Incoming Packets"). Without VIRTIO_NET_F_MRG_RXBUF a
// packet goes into one chain; with it, into as many as it takes, each but the last filled to
// its end, and num_buffers in the header says how many (5.1.6.4.1).
//
// The chains a packet needs are taken from the ring before anything is written; if the ring
// runs out first the placer keeps them and the packet waits for more (the caller keeps the
// packet and offers it again after the driver's next notification), so a packet is never
// split across a wait and the driver never sees part of one. A chain the driver could never
// have meant for receiving (device-readable buffers, shorter than the header, malformed) is
// returned at once with nothing written.
//
// Not thread-safe: the device calls it under its lock.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <expected>
#include <span>
#include <vector>

#include "vmm/virtio/descriptor_chain.hpp"
#include "vmm/virtio/guest_ram.hpp"
#include "vmm/virtio/net_header.hpp"
#include "vmm/virtio/queue_error.hpp"
#include "vmm/virtio/split_virtqueue.hpp"

namespace rootstock::vmm::virtio {

/// What became of a packet offered to the receive queue.
enum class RxOutcome : uint8_t {
  kDelivered,  ///< in the driver's buffers and published
  kWaiting,    ///< the ring ran out before it fit: offer it again once the driver adds buffers
  kDropped,    ///< it could not go in (RxResult::refusal says why); the chains taken stay kept
};

/// One offer's result.
struct RxResult {
  RxOutcome outcome = RxOutcome::kWaiting;
  NetRefusal refusal = NetRefusal::kRxTooLarge;  ///< kDropped's reason
  uint16_t buffers = 0;                          ///< kDelivered: the chains it took (num_buffers)
  bool interrupt = false;       ///< the driver asked for a used buffer notification
  uint32_t refused_chains = 0;  ///< chains returned unused on the way
  NetRefusal chain_refusal = NetRefusal::kRxMalformed;  ///< why the last of those was
};

/// The receive queue's buffers as packets fill them.
class RxPlacer {
 public:
  /// Forgets the chains it kept (the queue they came from is gone) and sets the mode for the
  /// next queue: `mergeable` when VIRTIO_NET_F_MRG_RXBUF was negotiated.
  void start(bool mergeable);

  /// Places `packet` (a NetHeader and the frame, its header already fit_rx_header()'ed) into
  /// chains of `queue` over `ram`, setting num_buffers in `packet` on the way. A fault that
  /// breaks the queue comes back as the error.
  [[nodiscard]] std::expected<RxResult, QueueFault> place(SplitVirtqueue& queue, GuestRam& ram,
                                                          std::span<uint8_t> packet);

  /// The chains taken and not yet used.
  [[nodiscard]] size_t held() const { return held_count_; }

 private:
  /// Takes chains until `bytes` fit in those held: true if they do now, false with
  /// `result.outcome` set if they will not.
  [[nodiscard]] std::expected<bool, QueueFault> take_until_fits(SplitVirtqueue& queue, size_t bytes,
                                                                RxResult& result);
  /// Writes `packet` over the first held chains and returns them; they leave the held ones.
  [[nodiscard]] std::expected<void, QueueFault> deliver(SplitVirtqueue& queue, GuestRam& ram,
                                                        std::span<uint8_t> packet,
                                                        RxResult& result);
  /// Returns a chain unused (nothing written) and notes why.
  [[nodiscard]] std::expected<void, QueueFault> refuse(SplitVirtqueue& queue,
                                                       const DescriptorChain& chain, NetRefusal why,
                                                       RxResult& result);

  bool mergeable_ = false;
  std::vector<DescriptorChain> held_;  ///< [0, held_count_) in ring order; storage reused
  size_t held_count_ = 0;
  uint64_t held_bytes_ = 0;  ///< their writable bytes added up
};

}  // namespace rootstock::vmm::virtio
