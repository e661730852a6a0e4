#include "vmm/virtio/vsock_connection.hpp"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <string>
#include <utility>

#include "vmm/virtio/vsock_connect_line.hpp"

namespace rootstock::vmm::virtio {
namespace {

/// send(2) without blocking and without SIGPIPE: the bytes written, 0 when the stream is full,
/// -1 when it failed for good.
ssize_t send_some(int fd, std::span<const uint8_t> bytes) {
  for (;;) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
  }
}

bool is(const VsockHeader& header, VsockOp op) {
  return header.op == static_cast<uint16_t>(op);
}

}  // namespace

VsockConnection::VsockConnection(UniqueFd stream, uint64_t guest_cid, VsockPorts ports,
                                 VsockConnState state, uint8_t pending)
    : stream_(std::move(stream)),
      guest_cid_(guest_cid),
      ports_(ports),
      state_(state),
      pending_(pending) {}

VsockConnection VsockConnection::host_initiated(UniqueFd stream, uint64_t guest_cid,
                                                VsockPorts ports) {
  return VsockConnection(std::move(stream), guest_cid, ports, VsockConnState::kLocalInit,
                         kOweRequest);
}

VsockConnection VsockConnection::child_initiated(UniqueFd stream, uint64_t guest_cid,
                                                 const VsockHeader& request) {
  VsockConnection c(std::move(stream), guest_cid, VsockPorts{request.dst_port, request.src_port},
                    VsockConnState::kPeerInit, kOweResponse);
  c.credit_.peer_said(request.buf_alloc, request.fwd_cnt);
  return c;
}

bool VsockConnection::take(Pending bit) {
  const bool had = (pending_ & bit) != 0;
  pending_ = static_cast<uint8_t>(pending_ & ~bit);
  return had;
}

void VsockConnection::fill(VsockHeader& header, VsockOp op) {
  header = host_header(guest_cid_, ports_, op);
  header.buf_alloc = VsockCredit::kBufAlloc;
  header.fwd_cnt = credit_.tell_fwd_cnt();
}

bool VsockConnection::child_receives() const {
  return state_ == VsockConnState::kEstablished ||
         (state_ == VsockConnState::kPeerClosed && !child_stopped_receiving_);
}

bool VsockConnection::child_sends() const {
  return state_ == VsockConnState::kEstablished ||
         (state_ == VsockConnState::kPeerClosed && !child_stopped_sending_);
}

void VsockConnection::kill() {
  state_ = VsockConnState::kKilled;
  pending_ = kOweRst;
  to_host_.reset();
  deadline_.reset();
}

void VsockConnection::expire(Clock::time_point now) {
  if (deadline_ && *deadline_ <= now && state_ != VsockConnState::kKilled) kill();
}

// Firecracker's connection state machine (csm/connection.rs, send_pkt): what a state does not
// expect is dropped; every packet updates the child's credit.
void VsockConnection::on_packet(const VsockHeader& header, std::span<const uint8_t> payload,
                                Clock::time_point now) {
  if (state_ == VsockConnState::kKilled) return;
  credit_.peer_said(header.buf_alloc, header.fwd_cnt);
  if (is(header, VsockOp::kRw)) {
    if (child_sends()) {
      forward(payload);
      if (state_ != VsockConnState::kKilled) after_forwarding();
    }
  } else if (is(header, VsockOp::kResponse)) {
    if (state_ != VsockConnState::kLocalInit) return;
    state_ = VsockConnState::kEstablished;
    deadline_.reset();
    // The host hears that the child accepted before any of the child's bytes.
    const std::string ok = connect_ok_line(ports_.local);
    const auto bytes = std::span(reinterpret_cast<const uint8_t*>(ok.data()), ok.size());
    if (send_some(stream_.get(), bytes) != static_cast<ssize_t>(ok.size())) kill();
  } else if (is(header, VsockOp::kShutdown)) {
    if (state_ != VsockConnState::kEstablished && state_ != VsockConnState::kPeerClosed) return;
    state_ = VsockConnState::kPeerClosed;
    // 5.10.6.4: the flags only add up; a later SHUTDOWN cannot take one back.
    child_stopped_receiving_ |=
        (header.flags & static_cast<uint32_t>(VsockShutdown::kReceive)) != 0;
    child_stopped_sending_ |= (header.flags & static_cast<uint32_t>(VsockShutdown::kSend)) != 0;
    if (child_stopped_receiving_ && child_stopped_sending_ && waiting_for_host() != 0) {
      deadline_ = now + kShutdownTimeout;
    }
    after_forwarding();
  } else if (is(header, VsockOp::kCreditRequest)) {
    if (child_sends() || state_ == VsockConnState::kPeerInit) pending_ |= kOweCreditUpdate;
  }
  // CREDIT_UPDATE: the credit above is all it carries. REQUEST on a connection that exists,
  // RESPONSE outside kLocalInit, INVALID and unknown operations: dropped.
}

void VsockConnection::forward(std::span<const uint8_t> payload) {
  if (payload.empty()) return;
  if (!credit_.received(static_cast<uint32_t>(payload.size()))) return kill();
  size_t written = 0;
  if (waiting_for_host() == 0) {
    const ssize_t n = send_some(stream_.get(), payload);
    if (n < 0) return kill();
    written = static_cast<size_t>(n);
    credit_.forwarded(static_cast<uint32_t>(written));
  }
  if (written == payload.size()) return;
  if (!to_host_) to_host_ = std::make_unique<ByteBacklog>(VsockCredit::kBufAlloc);
  // Never drops: credit_.received() kept what waits within kBufAlloc.
  (void)to_host_->push(payload.subspan(written));
}

void VsockConnection::flush() {
  while (waiting_for_host() != 0) {
    const auto run = to_host_->front();
    const ssize_t n = send_some(stream_.get(), run);
    if (n < 0) return kill();
    to_host_->consume(static_cast<size_t>(n));
    credit_.forwarded(static_cast<uint32_t>(n));
    if (static_cast<size_t>(n) < run.size()) break;
  }
  after_forwarding();
}

void VsockConnection::after_forwarding() {
  if (waiting_for_host() == 0) {
    to_host_.reset();
    if (state_ == VsockConnState::kPeerClosed && child_stopped_receiving_ &&
        child_stopped_sending_) {
      pending_ |= kOweRst;
      return;
    }
    if (child_stopped_sending_ && !host_write_closed_) {
      ::shutdown(stream_.get(), SHUT_WR);
      host_write_closed_ = true;
    }
  }
  if (credit_.update_due()) pending_ |= kOweCreditUpdate;
}

short VsockConnection::poll_events() const {
  if (state_ == VsockConnState::kKilled) return 0;
  short events = 0;
  if (waiting_for_host() != 0) events |= POLLOUT;
  if (child_receives() && (pending_ & kOweData) == 0 && credit_.peer_free() != 0) {
    events |= POLLIN;
  }
  return events;
}

void VsockConnection::on_events(short revents) {
  const short failed = POLLERR | POLLHUP | POLLNVAL;
  if ((revents & (POLLOUT | failed)) != 0 && waiting_for_host() != 0) flush();
  if (state_ == VsockConnState::kKilled) return;
  // A hang-up or error is read as the end of the stream or the error it is.
  if ((revents & (POLLIN | failed)) != 0 && child_receives()) pending_ |= kOweData;
}

std::optional<uint32_t> VsockConnection::next_packet(VsockHeader& header,
                                                     std::span<uint8_t> payload,
                                                     Clock::time_point now) {
  if (take(kOweRst)) {
    state_ = VsockConnState::kKilled;
    pending_ = 0;
    fill(header, VsockOp::kRst);
    return 0;
  }
  if (take(kOweResponse)) {
    state_ = VsockConnState::kEstablished;
    fill(header, VsockOp::kResponse);
    return 0;
  }
  if (take(kOweRequest)) {
    deadline_ = now + kRequestTimeout;
    fill(header, VsockOp::kRequest);
    return 0;
  }
  if (take(kOweData)) {
    if (auto n = read_host(header, payload, now)) return n;
  }
  if (take(kOweCreditUpdate)) {
    fill(header, VsockOp::kCreditUpdate);
    return 0;
  }
  return std::nullopt;
}

std::optional<uint32_t> VsockConnection::read_host(VsockHeader& header, std::span<uint8_t> payload,
                                                   Clock::time_point now) {
  // The child shut down receiving since the stream became readable: the bytes stay there.
  if (!child_receives()) return std::nullopt;
  const uint32_t credit = credit_.peer_free();
  if (credit == 0) {
    // Firecracker's way: ask, and read again once the child's answer brings credit.
    fill(header, VsockOp::kCreditRequest);
    return 0;
  }
  if (payload.empty()) {
    // A buffer with no room past the header (a hostile driver's): it carries our credit, and
    // the bytes wait for the next buffer.
    pending_ |= kOweData;
    fill(header, VsockOp::kCreditUpdate);
    return 0;
  }
  const size_t want = std::min<size_t>(payload.size(), credit);
  ssize_t n = 0;
  do {
    n = ::recv(stream_.get(), payload.data(), want, MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return std::nullopt;
  if (n < 0) {
    kill();
    take(kOweRst);
    fill(header, VsockOp::kRst);
    return 0;
  }
  if (n == 0) {
    // The host's end of the stream: Firecracker asks the child to close both ways at once,
    // and resets the connection if it has not within kShutdownTimeout.
    state_ = VsockConnState::kLocalClosed;
    deadline_ = now + kShutdownTimeout;
    fill(header, VsockOp::kShutdown);
    header.flags = kVsockShutdownBoth;
    return 0;
  }
  credit_.sent(static_cast<uint32_t>(n));
  pending_ |= kOweData;  // there may be more
  fill(header, VsockOp::kRw);
  header.len = static_cast<uint32_t>(n);
  return header.len;
}

}  // namespace rootstock::vmm::virtio
