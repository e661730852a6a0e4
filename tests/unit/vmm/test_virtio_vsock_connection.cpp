// One vsock connection's state machine (vmm/virtio/vsock_connection.hpp) over a Unix socket
// pair whose other end the test holds as the host: the handshakes both ways with Firecracker's
// OK line, data both ways under the child's credit, the child's bytes waiting when the host's
// stream is full and an RST when the child sends past our buffer, shutdowns from either side
// and the deadlines that reset a connection the child leaves hanging.
#include <poll.h>
#include <sys/socket.h>

#include <catch2/catch_test_macros.hpp>
#include <string>
#include <vector>

#include "tests/unit/vmm/virtio_vsock_bench.hpp"
#include "vmm/virtio/vsock_connection.hpp"

using namespace rootstock::vmm::virtio;
using namespace rootstock::test;

namespace {

using Clock = VsockConnection::Clock;

constexpr VsockPorts kPorts{0x40000000, 52};

/// A connection on one end of a socket pair; `host` is the other end.
struct Pair {
  UniqueFd host;
  std::optional<VsockConnection> conn;
  std::vector<uint8_t> buffer = std::vector<uint8_t>(kVsockMaxPayload);
  Clock::time_point now = Clock::now();

  /// A connection the host started (or, with `request`, the child did).
  explicit Pair(bool host_started = true, uint32_t child_buf_alloc = 64 * 1024) {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    host = UniqueFd(fds[1]);
    if (host_started) {
      conn.emplace(VsockConnection::host_initiated(UniqueFd(fds[0]), kGuestCid, kPorts));
    } else {
      VsockHeader request = child_header(VsockOp::kRequest, kPorts.peer, kPorts.local);
      request.buf_alloc = child_buf_alloc;
      conn.emplace(VsockConnection::child_initiated(UniqueFd(fds[0]), kGuestCid, request));
    }
  }

  /// The next packet the connection owes the child.
  std::optional<RxPacket> next(size_t room = kVsockMaxPayload) {
    RxPacket p;
    auto n = conn->next_packet(p.header, std::span(buffer).first(room), now);
    if (!n) return std::nullopt;
    p.payload.assign(buffer.begin(), buffer.begin() + *n);
    return p;
  }
  /// A packet from the child to the host's port.
  void child(VsockOp op, std::string_view payload = {}, uint32_t flags = 0,
             uint32_t buf_alloc = 64 * 1024, uint32_t fwd_cnt = 0) {
    VsockHeader h =
        child_header(op, kPorts.peer, kPorts.local, static_cast<uint32_t>(payload.size()));
    h.flags = flags;
    h.buf_alloc = buf_alloc;
    h.fwd_cnt = fwd_cnt;
    conn->on_packet(h, as_bytes(payload), now);
  }
  /// What poll(2) says of the connection's stream for what it waits for, handed to it.
  void poll_once() {
    pollfd p{conn->fd(), conn->poll_events(), 0};
    if (p.events == 0) return;
    REQUIRE(::poll(&p, 1, 5000) == 1);
    conn->on_events(p.revents);
  }
  /// Makes an established connection out of a host-started one.
  void establish() {
    auto request = next();
    REQUIRE(request);
    CHECK(request->op() == VsockOp::kRequest);
    child(VsockOp::kResponse);
    REQUIRE(conn->state() == VsockConnState::kEstablished);
    CHECK(read_exactly(host.get(), 14) == "OK 1073741824\n");
  }
};

}  // namespace

TEST_CASE("virtio vsock connection: host-initiated handshake and OK line", "[virtio][vsock]") {
  Pair p;
  CHECK(p.conn->state() == VsockConnState::kLocalInit);
  CHECK(p.conn->has_pending());
  auto request = p.next();
  REQUIRE(request);
  CHECK(request->op() == VsockOp::kRequest);
  CHECK(request->header.src_cid == kVsockHostCid);
  CHECK(request->header.dst_cid == kGuestCid);
  CHECK(request->header.src_port == kPorts.local);
  CHECK(request->header.dst_port == kPorts.peer);
  CHECK(request->header.type == static_cast<uint16_t>(VsockType::kStream));
  CHECK(request->header.buf_alloc == VsockCredit::kBufAlloc);
  CHECK(p.conn->deadline() == p.now + VsockConnection::kRequestTimeout);
  // Nothing is read from the host before the child accepts: its bytes wait in the socket.
  write_all(p.host.get(), "early");
  CHECK((p.conn->poll_events() & POLLIN) == 0);
  // Data or a second REQUEST before the RESPONSE are dropped.
  p.child(VsockOp::kRw, "x");
  p.child(VsockOp::kRequest);
  CHECK(p.conn->state() == VsockConnState::kLocalInit);
  CHECK_FALSE(readable(p.host.get(), 20ms));
  p.child(VsockOp::kResponse);
  CHECK(p.conn->state() == VsockConnState::kEstablished);
  CHECK_FALSE(p.conn->deadline());
  CHECK(read_exactly(p.host.get(), 14) == "OK 1073741824\n");
  // The early bytes follow.
  p.poll_once();
  auto rw = p.next();
  REQUIRE(rw);
  CHECK(rw->op() == VsockOp::kRw);
  CHECK(rw->text() == "early");
  CHECK(rw->header.len == 5);
}

TEST_CASE("virtio vsock connection: a REQUEST the child leaves unanswered is reset",
          "[virtio][vsock]") {
  Pair p;
  REQUIRE(p.next());
  p.conn->expire(p.now + VsockConnection::kRequestTimeout - std::chrono::milliseconds(1));
  CHECK(p.conn->state() == VsockConnState::kLocalInit);
  p.conn->expire(p.now + VsockConnection::kRequestTimeout);
  CHECK(p.conn->state() == VsockConnState::kKilled);
  auto rst = p.next();
  REQUIRE(rst);
  CHECK(rst->op() == VsockOp::kRst);
  CHECK_FALSE(p.conn->has_pending());
}

TEST_CASE("virtio vsock connection: child-initiated handshake and data both ways",
          "[virtio][vsock]") {
  Pair p(false);
  CHECK(p.conn->state() == VsockConnState::kPeerInit);
  auto response = p.next();
  REQUIRE(response);
  CHECK(response->op() == VsockOp::kResponse);
  CHECK(response->header.src_port == kPorts.local);
  CHECK(response->header.dst_port == kPorts.peer);
  CHECK(p.conn->state() == VsockConnState::kEstablished);
  CHECK_FALSE(readable(p.host.get(), 20ms));  // no OK line for the child's connections

  p.child(VsockOp::kRw, "ping");
  CHECK(read_exactly(p.host.get(), 4) == "ping");
  CHECK(p.conn->credit().held() == 0);
  write_all(p.host.get(), "pong");
  p.poll_once();
  auto rw = p.next();
  REQUIRE(rw);
  CHECK(rw->text() == "pong");
  CHECK(rw->header.fwd_cnt == 4);  // the child's 4 bytes went to the host
  // The stream had no more: nothing owed after all.
  CHECK_FALSE(p.next());
  CHECK_FALSE(p.conn->has_pending());
  // A CREDIT_REQUEST is answered with a CREDIT_UPDATE.
  p.child(VsockOp::kCreditRequest);
  auto update = p.next();
  REQUIRE(update);
  CHECK(update->op() == VsockOp::kCreditUpdate);
  CHECK(update->header.buf_alloc == VsockCredit::kBufAlloc);
}

TEST_CASE("virtio vsock connection: the host's bytes never exceed the child's credit",
          "[virtio][vsock]") {
  Pair p(false, 100);
  REQUIRE(p.next());  // RESPONSE
  write_all(p.host.get(), std::string(300, 'a'));
  p.poll_once();
  auto first = p.next();
  REQUIRE(first);
  CHECK(first->payload.size() == 100);
  // Out of credit: the connection asks once, and stops reading the host.
  auto ask = p.next();
  REQUIRE(ask);
  CHECK(ask->op() == VsockOp::kCreditRequest);
  CHECK(p.conn->poll_events() == 0);
  CHECK_FALSE(p.next());
  // The child took 60 out: 60 more may go, in buffers as small as the child gives.
  p.child(VsockOp::kCreditUpdate, {}, 0, 100, 60);
  CHECK(p.conn->poll_events() == POLLIN);
  p.poll_once();
  auto small = p.next(25);
  REQUIRE(small);
  CHECK(small->payload.size() == 25);
  auto rest = p.next();
  REQUIRE(rest);
  CHECK(rest->payload.size() == 35);
  // A hostile fwd_cnt ahead of what was sent gives no credit, not 4 GiB of it.
  p.child(VsockOp::kCreditUpdate, {}, 0, 100, 0xfffffff0);
  CHECK(p.conn->credit().peer_free() == 0);
  // A buffer with no room past the header carries a credit update; the data waits.
  p.child(VsockOp::kCreditUpdate, {}, 0, 1000, 160);
  p.poll_once();
  auto header_only = p.next(0);
  REQUIRE(header_only);
  CHECK(header_only->op() == VsockOp::kCreditUpdate);
  auto more = p.next();
  REQUIRE(more);
  CHECK(more->payload.size() == 140);
}

TEST_CASE(
    "virtio vsock connection: the child's bytes wait for a full host stream, and past "
    "our buffer reset the connection",
    "[virtio][vsock]") {
  Pair p(false);
  REQUIRE(p.next());
  // Fill the host's socket until it takes no more.
  const std::string chunk(16 * 1024, 'c');
  size_t sent = 0;
  while (p.conn->waiting_for_host() == 0) {
    p.child(VsockOp::kRw, chunk, 0, 64 * 1024, 0);
    sent += chunk.size();
    REQUIRE(sent < 16 * 1024 * 1024);
    // The host reads nothing; fwd_cnt advances only as the socket takes bytes.
  }
  CHECK(p.conn->poll_events() & POLLOUT);
  CHECK(p.conn->credit().held() == p.conn->waiting_for_host());
  // The child keeps within what it was told: the rest of our buffer.
  while (p.conn->credit().held() + chunk.size() <= VsockCredit::kBufAlloc) {
    p.child(VsockOp::kRw, chunk);
    sent += chunk.size();
  }
  CHECK(p.conn->state() == VsockConnState::kEstablished);
  // The host reads everything: the waiting bytes go out on POLLOUT, in order, none lost.
  std::string got = read_exactly(p.host.get(), sent - p.conn->waiting_for_host());
  while (p.conn->waiting_for_host() != 0) {
    p.poll_once();
    got += read_exactly(p.host.get(), sent - got.size());
  }
  CHECK(got.size() == sent);
  CHECK(got == std::string(sent, 'c'));
  CHECK(p.conn->credit().held() == 0);
  // The child had filled our buffer: a credit update is owed.
  auto update = p.next();
  REQUIRE(update);
  CHECK(update->op() == VsockOp::kCreditUpdate);
  CHECK(update->header.fwd_cnt == static_cast<uint32_t>(sent));

  // Now past the buffer: the connection is reset and what waited is dropped.
  Pair q(false);
  REQUIRE(q.next());
  while (q.conn->waiting_for_host() == 0) q.child(VsockOp::kRw, chunk);
  for (int i = 0; i < 5 && q.conn->state() != VsockConnState::kKilled; ++i) {
    q.child(VsockOp::kRw, chunk);
  }
  CHECK(q.conn->state() == VsockConnState::kKilled);
  CHECK(q.conn->waiting_for_host() == 0);
  auto rst = q.next();
  REQUIRE(rst);
  CHECK(rst->op() == VsockOp::kRst);
}

TEST_CASE("virtio vsock connection: shutdowns from the child and from the host",
          "[virtio][vsock]") {
  // The child stops sending: the host reads the end of the stream, bytes still reach the child.
  Pair a;
  a.establish();
  a.child(VsockOp::kShutdown, {}, static_cast<uint32_t>(VsockShutdown::kSend));
  CHECK(a.conn->state() == VsockConnState::kPeerClosed);
  CHECK(reads_end(a.host.get()));
  a.child(VsockOp::kRw, "late");  // dropped: it said it sends no more
  write_all(a.host.get(), "still");
  a.poll_once();
  auto rw = a.next();
  REQUIRE(rw);
  CHECK(rw->text() == "still");
  // Then receiving too: both ends are done, the host owes the RST.
  a.child(VsockOp::kShutdown, {}, static_cast<uint32_t>(VsockShutdown::kReceive));
  auto rst = a.next();
  REQUIRE(rst);
  CHECK(rst->op() == VsockOp::kRst);

  // The host closes: SHUTDOWN both ways to the child, which has kShutdownTimeout to answer.
  Pair b;
  b.establish();
  b.host.reset();
  b.poll_once();
  auto shutdown = b.next();
  REQUIRE(shutdown);
  CHECK(shutdown->op() == VsockOp::kShutdown);
  CHECK(shutdown->header.flags == kVsockShutdownBoth);
  CHECK(b.conn->state() == VsockConnState::kLocalClosed);
  CHECK(b.conn->poll_events() == 0);
  b.child(VsockOp::kRw, "nobody reads");  // dropped
  b.conn->expire(b.now + VsockConnection::kShutdownTimeout);
  auto late = b.next();
  REQUIRE(late);
  CHECK(late->op() == VsockOp::kRst);
}

TEST_CASE("virtio vsock connection: packets a state does not expect are dropped",
          "[virtio][vsock]") {
  Pair p(false);
  // Before the RESPONSE went out: data and a RESPONSE of the child's own.
  p.child(VsockOp::kRw, "too early");
  p.child(VsockOp::kResponse);
  p.child(VsockOp::kShutdown, {}, kVsockShutdownBoth);
  CHECK(p.conn->state() == VsockConnState::kPeerInit);
  CHECK_FALSE(readable(p.host.get(), 20ms));
  auto response = p.next();
  REQUIRE(response);
  CHECK(response->op() == VsockOp::kResponse);
  // Unknown operations and INVALID.
  VsockHeader odd = child_header(static_cast<VsockOp>(42), kPorts.peer, kPorts.local);
  p.conn->on_packet(odd, {}, p.now);
  p.child(VsockOp::kInvalid);
  CHECK(p.conn->state() == VsockConnState::kEstablished);
  CHECK_FALSE(p.conn->has_pending());
  // An empty RW is nothing.
  p.child(VsockOp::kRw, "");
  CHECK(p.conn->credit().held() == 0);
}
