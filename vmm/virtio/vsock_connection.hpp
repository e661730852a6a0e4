// One vsock stream connection between a socket in the child and a Unix stream in the root
// (virtio 1.2, 5.10.6 "Device Operation"), with Firecracker's host-side behaviour (its
// docs/vsock.md): the states and what moves them, the packets the host owes the child, the
// bytes each way under flow control (vsock_credit.hpp), and the Unix stream read and written
// without blocking.
//
// States (the host's view):
//   kLocalInit    the host connected and sent CONNECT: we owe the child a REQUEST, then wait
//                 kRequestTimeout for its RESPONSE; on it the host reads `OK <port>\n`
//   kPeerInit     the child sent a REQUEST and the host's socket took the connection: we owe
//                 the child a RESPONSE, and are established once it is sent
//   kEstablished  bytes flow both ways
//   kPeerClosed   the child sent SHUTDOWN (its flags add up: it receives no more, sends no
//                 more); with both, once its bytes are out to the host we owe it an RST
//   kLocalClosed  the host's stream ended: we sent SHUTDOWN (both) and give the child
//                 kShutdownTimeout to answer with an RST before we send one
//   kKilled       we owe the child an RST; the connection ends once it is sent
// The child's RST ends a connection in any state; its owner (vsock_muxer.hpp) removes it then,
// and also once next_packet() has produced an RST.
//
// Data the child sends waits for the host's stream in a buffer bounded by our buf_alloc
// (the child may not send more; if it does, the connection is reset). Data from the host is
// read only when the child has credit for it and gave a buffer to put it in: until then it
// waits in the host's socket, so nothing is lost either way.
#pragma once

#include <stdint.h>

#include <chrono>
#include <memory>
#include <optional>
#include <span>

#include "vmm/unique_fd.hpp"
#include "vmm/virtio/byte_backlog.hpp"
#include "vmm/virtio/vsock_credit.hpp"
#include "vmm/virtio/vsock_header.hpp"

namespace rootstock::vmm::virtio {

/// A connection's state (above).
enum class VsockConnState : uint8_t {
  kLocalInit,
  kPeerInit,
  kEstablished,
  kPeerClosed,
  kLocalClosed,
  kKilled,
};

/// One connection.
class VsockConnection {
 public:
  using Clock = std::chrono::steady_clock;
  /// Firecracker's: how long the child has to answer a REQUEST, or a SHUTDOWN with an RST.
  static constexpr Clock::duration kRequestTimeout = std::chrono::seconds(2);
  static constexpr Clock::duration kShutdownTimeout = std::chrono::seconds(2);

  /// The host connected on `stream` and asked for the child's `ports.peer`; our port is
  /// `ports.local`. The child is owed a REQUEST.
  [[nodiscard]] static VsockConnection host_initiated(UniqueFd stream, uint64_t guest_cid,
                                                      VsockPorts ports);
  /// The child's `request` reached the host's socket, connected on `stream`. The child is owed
  /// a RESPONSE.
  [[nodiscard]] static VsockConnection child_initiated(UniqueFd stream, uint64_t guest_cid,
                                                       const VsockHeader& request);

  /// A packet the child sent on this connection, other than RST (which ends it: the owner's
  /// part), with its RW payload. Anything the state does not allow is dropped.
  void on_packet(const VsockHeader& header, std::span<const uint8_t> payload,
                 Clock::time_point now);

  /// Whether the connection owes the child a packet.
  [[nodiscard]] bool has_pending() const { return pending_ != 0; }
  /// The next packet for the child into `header`, its RW payload read from the host's stream
  /// into `payload` (as much as fits and the child has credit for): the payload's length, or
  /// nothing when after all there was nothing to send (the stream had no bytes).
  [[nodiscard]] std::optional<uint32_t> next_packet(VsockHeader& header, std::span<uint8_t> payload,
                                                    Clock::time_point now);

  /// The poll(2) events the connection waits for on its stream: POLLOUT while the child's
  /// bytes wait for it, POLLIN while the child can take more bytes and none are known to wait.
  /// 0: nothing to wait for.
  [[nodiscard]] short poll_events() const;
  /// What poll(2) said of the stream.
  void on_events(short revents);

  /// When the connection is to be reset unless the child acts first.
  [[nodiscard]] std::optional<Clock::time_point> deadline() const { return deadline_; }
  /// Kills the connection if its deadline has passed.
  void expire(Clock::time_point now);
  /// Owes the child an RST; the host's bytes not yet written are dropped.
  void kill();

  [[nodiscard]] VsockConnState state() const { return state_; }
  [[nodiscard]] VsockPorts ports() const { return ports_; }
  [[nodiscard]] int fd() const { return stream_.get(); }
  [[nodiscard]] const VsockCredit& credit() const { return credit_; }
  /// The child's bytes waiting for the host's stream.
  [[nodiscard]] size_t waiting_for_host() const { return to_host_ ? to_host_->size() : 0; }
  /// Whether the host's stream was closed for writing: the child shut down sending and all its
  /// bytes are out, so the host reads the end of the stream.
  [[nodiscard]] bool host_write_closed() const { return host_write_closed_; }

 private:
  /// The packets the connection can owe the child, as bits of pending_ (in the order sent).
  enum Pending : uint8_t {
    kOweRst = 1,
    kOweResponse = 2,
    kOweRequest = 4,
    kOweData = 8,  ///< the host's stream is readable
    kOweCreditUpdate = 16,
  };

  VsockConnection(UniqueFd stream, uint64_t guest_cid, VsockPorts ports, VsockConnState state,
                  uint8_t pending);

  /// Takes `bit` out of pending_: whether it was there.
  bool take(Pending bit);
  /// Fills `header` for `op` from us to the child, with our credit (which the child now knows).
  void fill(VsockHeader& header, VsockOp op);
  /// Whether the child may still be sent data, and may still send it.
  [[nodiscard]] bool child_receives() const;
  [[nodiscard]] bool child_sends() const;
  /// The child's RW payload to the host's stream (or to to_host_ behind bytes waiting).
  void forward(std::span<const uint8_t> payload);
  /// Writes waiting bytes to the host's stream.
  void flush();
  /// After bytes went out: an RST once a closed child's bytes are all out, a credit update if
  /// the child may be waiting for one, the host's write side closed once the child sends no
  /// more.
  void after_forwarding();
  /// Reads the host's stream into a packet (kOweData).
  std::optional<uint32_t> read_host(VsockHeader& header, std::span<uint8_t> payload,
                                    Clock::time_point now);

  UniqueFd stream_;
  uint64_t guest_cid_;
  VsockPorts ports_;
  VsockConnState state_;
  uint8_t pending_;
  bool child_stopped_receiving_ = false;  ///< SHUTDOWN with VIRTIO_VSOCK_SHUTDOWN_F_RECEIVE
  bool child_stopped_sending_ = false;    ///< SHUTDOWN with VIRTIO_VSOCK_SHUTDOWN_F_SEND
  bool host_write_closed_ = false;
  VsockCredit credit_;
  /// The child's bytes the host's stream did not take yet: exactly credit_.held() bytes, so at
  /// most kBufAlloc. Made when bytes first wait and dropped when they are out, so that an idle
  /// connection costs no buffer.
  std::unique_ptr<ByteBacklog> to_host_;
  std::optional<Clock::time_point> deadline_;
};

}  // namespace rootstock::vmm::virtio
