// virtio-vsock's host side (Firecracker's Unix socket backend, docs/vsock.md): the listener at
// `uds_path`, the host's streams until their CONNECT line names a port, and the connections
// (vsock_connection.hpp) keyed by (host port, child port). It routes the child's packets to
// their connection (a REQUEST to the host's port P connects to `<uds_path>_P`; a refused
// connect, or a packet for no connection, is answered with an RST), and chooses the next
// packet for the child, round robin among the connections that owe one.
//
// It knows nothing of virtqueues: the device (vsock_device.hpp) hands it checked packets and
// asks it for packets to put into receive buffers, and polls the fds it names. Not
// thread-safe: the device's lock is held around every call.
#pragma once

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "vmm/error.hpp"
#include "vmm/virtio/vsock_connect_line.hpp"
#include "vmm/virtio/vsock_connection.hpp"
#include "vmm/virtio/vsock_unix.hpp"

namespace rootstock::vmm::virtio {

/// What the host side counts.
struct VsockMuxerCounters {
  uint64_t connections_opened = 0;    ///< host-initiated and child-initiated
  uint64_t connect_refused = 0;       ///< child REQUESTs no host socket took (answered RST)
  uint64_t host_streams_refused = 0;  ///< host streams closed: no CONNECT line, or too many
  uint64_t rsts_sent = 0;             ///< to the child, for packets of no connection
  uint64_t rsts_dropped = 0;          ///< … when kMaxQueuedRsts already waited
  uint64_t packets_dropped = 0;       ///< the child's packets no rule applied to
};

/// The host side of one vsock device.
class VsockMuxer {
 public:
  using Clock = VsockConnection::Clock;
  /// Firecracker's limit on connections; host streams waiting for their CONNECT line count.
  static constexpr size_t kMaxConnections = 1023;
  /// RSTs for unknown connections waiting for a receive buffer, at most (Firecracker's RX
  /// queue size); more are dropped (the child's socket times out instead).
  static constexpr size_t kMaxQueuedRsts = 256;
  /// Host-initiated connections get our ports from [2^30, 2^31), round robin (Firecracker's).
  static constexpr uint32_t kFirstHostPort = uint32_t{1} << 30;

  /// Listens at `uds_path` (vsock_unix.hpp) for the child `guest_cid`.
  [[nodiscard]] static Result<std::unique_ptr<VsockMuxer>> open(uint64_t guest_cid,
                                                                std::string uds_path);

  /// A checked packet from the child (vsock_packet.hpp).
  void on_packet(const VsockHeader& header, std::span<const uint8_t> payload,
                 Clock::time_point now);
  /// Answers a packet whose bytes were refused with an RST (unless it was one).
  void answer_rst(const VsockHeader& header);

  /// Whether a packet may be owed to the child (next_packet() can still find none).
  [[nodiscard]] bool has_pending() const { return !rsts_.empty() || !ready_.empty(); }
  /// The next packet for the child, its payload (RW) read into `payload`: the payload's
  /// length, or nothing when no connection had one after all.
  [[nodiscard]] std::optional<uint32_t> next_packet(VsockHeader& header, std::span<uint8_t> payload,
                                                    Clock::time_point now);
  /// The packet for `ports` never reached the child (its buffer was refused): the connection
  /// has lost what it carried and is reset.
  void lost(VsockPorts ports);

  /// Appends the fds to poll and what to wait for; on_events() takes them back in that order.
  void poll_fds(std::vector<pollfd>& fds);
  /// What poll(2) said of the fds poll_fds() appended (`fds` starts with the first of them).
  void on_events(std::span<const pollfd> fds);
  /// Milliseconds until the next connection's deadline, for poll(2): -1 when none has one.
  [[nodiscard]] int timeout_ms(Clock::time_point now) const;
  /// Resets the connections whose deadline has passed.
  void expire(Clock::time_point now);

  /// The driver reset the device: every connection and host stream is closed (the listener
  /// stays).
  void reset();

  [[nodiscard]] uint64_t guest_cid() const { return guest_cid_; }
  [[nodiscard]] const std::string& uds_path() const { return listener_.path(); }
  [[nodiscard]] size_t connection_count() const { return connections_.size(); }
  [[nodiscard]] const VsockConnection* find(VsockPorts ports) const;
  [[nodiscard]] const VsockMuxerCounters& counters() const { return counters_; }

 private:
  /// A connection, and whether it waits in ready_.
  struct Entry {
    VsockConnection connection;
    bool ready = false;
    bool host_port = false;  ///< ports.local came from allocate_port()
  };
  /// A host stream whose CONNECT line is not complete yet.
  struct HostStream {
    UniqueFd fd;
    ConnectLineReader line;
  };
  /// What the fds of the last poll_fds() were, in order.
  struct Polled {
    enum class Kind : uint8_t { kListener, kHostStream, kConnection } kind;
    int fd = -1;
    VsockPorts ports;
  };

  VsockMuxer(uint64_t guest_cid, VsockListener listener)
      : guest_cid_(guest_cid), listener_(std::move(listener)) {}

  /// Connects a child's REQUEST to `<uds_path>_<port>`, or answers it with an RST.
  void connect_child(const VsockHeader& request);
  /// Accepts the host's new streams.
  void accept_host_streams();
  /// Reads a host stream's CONNECT line; once complete, the connection is made.
  void read_connect_line(int fd);
  /// Queues an RST from `ports.local` to `ports.peer`.
  void queue_rst(VsockPorts ports);
  void add(VsockConnection connection, bool host_port);
  void remove(VsockPorts ports);
  /// Puts the connection in ready_ if it owes a packet and is not there yet.
  void schedule(std::map<VsockPorts, Entry>::iterator it);
  /// A free port for a host-initiated connection to the child's `peer_port`.
  [[nodiscard]] uint32_t allocate_port(uint32_t peer_port);
  [[nodiscard]] bool full() const {
    return connections_.size() + host_streams_.size() >= kMaxConnections;
  }

  uint64_t guest_cid_;
  VsockListener listener_;
  std::map<VsockPorts, Entry> connections_;
  std::map<int, HostStream> host_streams_;  ///< by fd
  std::deque<VsockPorts> ready_;            ///< connections that owe a packet, in turn
  std::deque<VsockPorts> rsts_;
  std::set<uint32_t> host_ports_;  ///< the ports allocate_port() gave that are in use
  uint32_t last_port_ = kFirstHostPort - 1;
  std::vector<Polled> polled_;
  VsockMuxerCounters counters_;
};

}  // namespace rootstock::vmm::virtio
