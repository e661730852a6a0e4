// Flow control of one vsock connection (virtio 1.2, 5.10.6.3 "Device Operation: Buffer Space
// Management"), both ways. Each side tells the other, on every packet, how large its receive
// buffer is (buf_alloc) and how many bytes it has taken out of it so far (fwd_cnt); a sender
// never has more in flight than that buffer: "the driver MUST NOT send more data than the
// peer's free space, i.e. buf_alloc - (tx_cnt - fwd_cnt)". The counters are free-running
// 32-bit and wrap.
//
// The child's figures are hostile: a fwd_cnt ahead of what we sent, or a buf_alloc of 4 GiB,
// only ever lets us send the child what it said it could take, never makes us hold more.
// What the child sends us beyond our buffer is refused (the connection is reset), so the bytes
// waiting for the host's socket are bounded by kBufAlloc.
#pragma once

#include <stdint.h>

namespace rootstock::vmm::virtio {

/// Both directions' credit of one connection.
class VsockCredit {
 public:
  /// Our receive buffer for the child's bytes (Firecracker's per-connection 64 KiB).
  static constexpr uint32_t kBufAlloc = 64 * 1024;
  /// The child is told of freed space once its view of our free space is below this.
  static constexpr uint32_t kUpdateThreshold = 4 * 1024;

  /// The child's buf_alloc and fwd_cnt, from a packet it sent.
  void peer_said(uint32_t buf_alloc, uint32_t fwd_cnt) {
    peer_buf_alloc_ = buf_alloc;
    peer_fwd_cnt_ = fwd_cnt;
  }
  /// How many payload bytes the child can take now: its buf_alloc less what we sent and it has
  /// not yet taken out (0 when its figures say more than that is in flight).
  [[nodiscard]] uint32_t peer_free() const {
    const uint32_t in_flight = tx_cnt_ - peer_fwd_cnt_;
    return in_flight >= peer_buf_alloc_ ? 0 : peer_buf_alloc_ - in_flight;
  }
  /// We sent the child `n` payload bytes (at most peer_free()).
  void sent(uint32_t n) { tx_cnt_ += n; }

  /// The child sent us `n` payload bytes: false, and nothing counted, when they do not fit
  /// our buffer beside those not yet forwarded (the child broke flow control).
  [[nodiscard]] bool received(uint32_t n) {
    const uint32_t held = rx_cnt_ - fwd_cnt_;
    if (n > kBufAlloc - held) return false;
    rx_cnt_ += n;
    return true;
  }
  /// `n` of the child's bytes went to the host's socket.
  void forwarded(uint32_t n) { fwd_cnt_ += n; }
  /// Bytes received from the child and not yet forwarded.
  [[nodiscard]] uint32_t held() const { return rx_cnt_ - fwd_cnt_; }

  /// Our fwd_cnt, for a packet's header; the packet tells the child, so it is current now.
  [[nodiscard]] uint32_t tell_fwd_cnt() {
    told_fwd_cnt_ = fwd_cnt_;
    return fwd_cnt_;
  }
  /// Whether the child should hear of freed space without waiting for our next packet: its
  /// view of our free space (kBufAlloc less what it sent since the fwd_cnt we last told) is
  /// below kUpdateThreshold, and we have forwarded more since.
  [[nodiscard]] bool update_due() const {
    const uint32_t unacknowledged = rx_cnt_ - told_fwd_cnt_;
    const uint32_t seen_free = unacknowledged >= kBufAlloc ? 0 : kBufAlloc - unacknowledged;
    return fwd_cnt_ != told_fwd_cnt_ && seen_free < kUpdateThreshold;
  }

 private:
  uint32_t peer_buf_alloc_ = 0;
  uint32_t peer_fwd_cnt_ = 0;
  uint32_t tx_cnt_ = 0;  ///< payload bytes sent to the child
  uint32_t rx_cnt_ = 0;  ///< payload bytes received from the child
  uint32_t fwd_cnt_ = 0;
  uint32_t told_fwd_cnt_ = 0;  ///< fwd_cnt as the child last heard it
};

}  // namespace rootstock::vmm::virtio
