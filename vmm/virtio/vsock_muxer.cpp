#include "vmm/virtio/vsock_muxer.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

namespace rootstock::vmm::virtio {
namespace {

/// Host streams accepted in one round, so that a flood of connections cannot hold the thread.
constexpr int kAcceptsPerRound = 16;

bool is(const VsockHeader& header, VsockOp op) {
  return header.op == static_cast<uint16_t>(op);
}

}  // namespace

Result<std::unique_ptr<VsockMuxer>> VsockMuxer::open(uint64_t guest_cid, std::string uds_path) {
  auto listener = VsockListener::open(std::move(uds_path));
  if (!listener) return std::unexpected(listener.error());
  return std::unique_ptr<VsockMuxer>(new VsockMuxer(guest_cid, std::move(*listener)));
}

const VsockConnection* VsockMuxer::find(VsockPorts ports) const {
  auto it = connections_.find(ports);
  return it == connections_.end() ? nullptr : &it->second.connection;
}

// Firecracker's routing (unix/muxer.rs, send_pkt): a type other than STREAM is answered with an
// RST; a REQUEST for no connection connects to the host's socket for its port; an RST ends its
// connection; anything else for no connection is answered with an RST.
void VsockMuxer::on_packet(const VsockHeader& header, std::span<const uint8_t> payload,
                           Clock::time_point now) {
  const VsockPorts ports{header.dst_port, header.src_port};
  if (header.type != static_cast<uint16_t>(VsockType::kStream)) return answer_rst(header);
  auto it = connections_.find(ports);
  if (it == connections_.end()) {
    if (is(header, VsockOp::kRequest)) return connect_child(header);
    return answer_rst(header);
  }
  if (is(header, VsockOp::kRst)) return remove(ports);
  it->second.connection.on_packet(header, payload, now);
  schedule(it);
}

void VsockMuxer::answer_rst(const VsockHeader& header) {
  // Never an RST for an RST: two sides that know no connection would answer each other forever.
  if (is(header, VsockOp::kRst)) {
    ++counters_.packets_dropped;
    return;
  }
  queue_rst(VsockPorts{header.dst_port, header.src_port});
}

void VsockMuxer::queue_rst(VsockPorts ports) {
  if (rsts_.size() >= kMaxQueuedRsts) {
    ++counters_.rsts_dropped;
    return;
  }
  rsts_.push_back(ports);
}

void VsockMuxer::connect_child(const VsockHeader& request) {
  if (full()) {
    ++counters_.connect_refused;
    return queue_rst(VsockPorts{request.dst_port, request.src_port});
  }
  auto stream = connect_unix(vsock_port_path(listener_.path(), request.dst_port));
  if (!stream) {
    ++counters_.connect_refused;
    return queue_rst(VsockPorts{request.dst_port, request.src_port});
  }
  add(VsockConnection::child_initiated(std::move(*stream), guest_cid_, request), false);
}

void VsockMuxer::add(VsockConnection connection, bool host_port) {
  const VsockPorts ports = connection.ports();
  auto [it, added] = connections_.emplace(ports, Entry{std::move(connection), false, host_port});
  if (!added) return;
  ++counters_.connections_opened;
  schedule(it);
}

void VsockMuxer::remove(VsockPorts ports) {
  auto it = connections_.find(ports);
  if (it == connections_.end()) return;
  if (it->second.host_port) host_ports_.erase(ports.local);
  connections_.erase(it);  // closes the host's stream; a stale entry in ready_ is skipped
}

void VsockMuxer::lost(VsockPorts ports) {
  auto it = connections_.find(ports);
  if (it == connections_.end()) return;
  it->second.connection.kill();
  schedule(it);
}

void VsockMuxer::schedule(std::map<VsockPorts, Entry>::iterator it) {
  if (it->second.ready || !it->second.connection.has_pending()) return;
  it->second.ready = true;
  ready_.push_back(it->first);
}

std::optional<uint32_t> VsockMuxer::next_packet(VsockHeader& header, std::span<uint8_t> payload,
                                                Clock::time_point now) {
  if (!rsts_.empty()) {
    header = host_header(guest_cid_, rsts_.front(), VsockOp::kRst);
    rsts_.pop_front();
    ++counters_.rsts_sent;
    return 0;
  }
  while (!ready_.empty()) {
    const VsockPorts ports = ready_.front();
    ready_.pop_front();
    auto it = connections_.find(ports);
    if (it == connections_.end()) continue;
    it->second.ready = false;
    auto got = it->second.connection.next_packet(header, payload, now);
    if (!got) continue;  // it owes nothing more: each turn takes one entry off ready_
    if (is(header, VsockOp::kRst)) {
      remove(ports);
    } else {
      schedule(it);  // behind the others: round robin
    }
    return got;
  }
  return std::nullopt;
}

void VsockMuxer::accept_host_streams() {
  for (int i = 0; i < kAcceptsPerRound; ++i) {
    auto stream = listener_.accept();
    if (!stream || !*stream) return;
    if (full()) {
      // Firecracker's answer at the limit: accepted and closed at once.
      ++counters_.host_streams_refused;
      continue;
    }
    const int fd = stream->get();
    host_streams_.emplace(fd, HostStream{std::move(*stream), {}});
  }
}

void VsockMuxer::read_connect_line(int fd) {
  auto it = host_streams_.find(fd);
  if (it == host_streams_.end()) return;
  auto port = it->second.line.read(fd);
  if (port && !*port) return;  // more of the line to come
  if (!port) {
    ++counters_.host_streams_refused;
    host_streams_.erase(it);
    return;
  }
  UniqueFd stream = std::move(it->second.fd);
  host_streams_.erase(it);
  const VsockPorts ports{allocate_port(**port), **port};
  add(VsockConnection::host_initiated(std::move(stream), guest_cid_, ports), true);
}

uint32_t VsockMuxer::allocate_port(uint32_t peer_port) {
  // At most kMaxConnections ports are in use, so a free one comes within that many steps.
  for (;;) {
    last_port_ = ((last_port_ + 1) & ~(uint32_t{1} << 31)) | kFirstHostPort;
    if (host_ports_.contains(last_port_)) continue;
    if (connections_.contains(VsockPorts{last_port_, peer_port})) continue;
    host_ports_.insert(last_port_);
    return last_port_;
  }
}

void VsockMuxer::poll_fds(std::vector<pollfd>& fds) {
  polled_.clear();
  fds.push_back({listener_.fd(), POLLIN, 0});
  polled_.push_back({Polled::Kind::kListener, listener_.fd(), {}});
  for (const auto& [fd, stream] : host_streams_) {
    fds.push_back({fd, POLLIN, 0});
    polled_.push_back({Polled::Kind::kHostStream, fd, {}});
  }
  for (const auto& [ports, entry] : connections_) {
    // A connection waiting for nothing is left out: poll(2) reports a hang-up whatever one
    // asks for, and would wake the thread for it again and again.
    const short events = entry.connection.poll_events();
    if (events == 0) continue;
    fds.push_back({entry.connection.fd(), events, 0});
    polled_.push_back({Polled::Kind::kConnection, entry.connection.fd(), ports});
  }
}

void VsockMuxer::on_events(std::span<const pollfd> fds) {
  const size_t n = std::min(fds.size(), polled_.size());
  for (size_t i = 0; i < n; ++i) {
    if (fds[i].revents == 0) continue;
    const Polled& p = polled_[i];
    switch (p.kind) {
      case Polled::Kind::kListener:
        accept_host_streams();
        break;
      case Polled::Kind::kHostStream:
        read_connect_line(p.fd);
        break;
      case Polled::Kind::kConnection: {
        // The connection may have gone since (an RST), and its fd number been reused.
        auto it = connections_.find(p.ports);
        if (it == connections_.end() || it->second.connection.fd() != p.fd) break;
        it->second.connection.on_events(fds[i].revents);
        schedule(it);
        break;
      }
    }
  }
  polled_.clear();
}

int VsockMuxer::timeout_ms(Clock::time_point now) const {
  std::optional<Clock::time_point> next;
  for (const auto& [ports, entry] : connections_) {
    const auto d = entry.connection.deadline();
    if (d && (!next || *d < *next)) next = d;
  }
  if (!next) return -1;
  if (*next <= now) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*next - now).count();
  return static_cast<int>(std::min<int64_t>(ms, 60 * 1000));
}

void VsockMuxer::expire(Clock::time_point now) {
  for (auto it = connections_.begin(); it != connections_.end(); ++it) {
    it->second.connection.expire(now);
    schedule(it);
  }
}

void VsockMuxer::reset() {
  connections_.clear();
  host_streams_.clear();
  ready_.clear();
  rsts_.clear();
  host_ports_.clear();
  last_port_ = kFirstHostPort - 1;
  polled_.clear();
}

}  // namespace rootstock::vmm::virtio
