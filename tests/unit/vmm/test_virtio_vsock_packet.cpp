// virtio-vsock's pieces without a device (vmm/virtio/vsock_*.hpp, virtio 1.2 5.10): the header
// and configuration layouts, a transmitted packet read out of its chain with every refusal,
// the CONNECT line of a host-initiated connection, and the credit accounting of 5.10.6.3 with
// hostile figures.
#include <sys/socket.h>

#include <catch2/catch_test_macros.hpp>
#include <limits>
#include <vector>

#include "tests/unit/vmm/virtio_vsock_bench.hpp"
#include "vmm/virtio/vsock_connect_line.hpp"
#include "vmm/virtio/vsock_credit.hpp"
#include "vmm/virtio/vsock_packet.hpp"

using namespace rootstock::vmm::virtio;
using namespace rootstock::test;

namespace {

/// Sends `parts` on a one-queue bench and reads the packet in the chain the queue hands out.
struct TxBench {
  DeviceBench bench{1, 0};
  DescriptorChain chain;
  std::vector<uint8_t> payload = std::vector<uint8_t>(kVsockMaxPayload);

  std::expected<VsockTxPacket, VsockTxRefusal> read(const std::vector<ChainPart>& parts) {
    bench.send(0, parts);
    auto got = bench.queue(0).pop(chain);
    REQUIRE(got);
    REQUIRE(*got);
    return read_vsock_packet(bench.ram(), chain, kGuestCid, payload);
  }
};

}  // namespace

TEST_CASE("virtio vsock header: layouts and the header the host sends", "[virtio][vsock]") {
  // struct virtio_vsock_hdr, little-endian on the wire.
  VsockHeader h = host_header(7, VsockPorts{0x40000001, 52}, VsockOp::kRw);
  h.len = 0x01020304;
  h.buf_alloc = 0x10000;
  const auto bytes = packet_bytes(h);
  REQUIRE(bytes.size() == 44);
  CHECK(bytes[0] == 2);   // src_cid: the host
  CHECK(bytes[8] == 7);   // dst_cid
  CHECK(bytes[16] == 1);  // src_port 0x40000001
  CHECK(bytes[19] == 0x40);
  CHECK(bytes[20] == 52);  // dst_port
  CHECK(bytes[24] == 4);   // len, low byte first
  CHECK(bytes[28] == 1);   // type STREAM
  CHECK(bytes[30] == 5);   // op RW
  CHECK(bytes[38] == 1);   // buf_alloc 0x10000
  CHECK(describe(VsockOp::kCreditRequest) == "CREDIT_REQUEST");
  CHECK(describe(static_cast<VsockOp>(99)) == "unknown");
}

TEST_CASE("virtio vsock packet: a transmitted packet read however the driver split it",
          "[virtio][vsock]") {
  TxBench tx;
  const auto bytes = packet_bytes(child_header(VsockOp::kRw, 1000, 52, 5), as_bytes("hello"));
  // Header split 10 + 34, the payload in its own buffer.
  auto got = tx.read({ChainPart::readable(std::vector(bytes.begin(), bytes.begin() + 10)),
                      ChainPart::readable(std::vector(bytes.begin() + 10, bytes.begin() + 44)),
                      ChainPart::readable(std::vector(bytes.begin() + 44, bytes.end()))});
  REQUIRE(got);
  CHECK(got->header.src_port == 1000);
  CHECK(got->header.dst_port == 52);
  CHECK(std::string(got->payload.begin(), got->payload.end()) == "hello");

  // Operations other than RW carry no payload, whatever len says within the chain.
  const auto request = packet_bytes(child_header(VsockOp::kRequest, 1000, 52, 3), as_bytes("abc"));
  auto req = tx.read({ChainPart::readable(request)});
  REQUIRE(req);
  CHECK(req->payload.empty());
}

TEST_CASE("virtio vsock packet: hostile chains and headers are refused", "[virtio][vsock]") {
  struct Case {
    std::vector<ChainPart> parts;
    VsockRefusal reason;
  };
  auto header = [](auto change) {
    VsockHeader h = child_header(VsockOp::kRw, 1000, 52, 4);
    change(h);
    return packet_bytes(h, as_bytes("data"));
  };
  const auto good = header([](VsockHeader&) {});
  std::vector<Case> cases;
  cases.push_back(
      {{ChainPart::readable(good), ChainPart::writable(8)}, VsockRefusal::kWritableBuffer});
  cases.push_back({{ChainPart::readable(std::vector(good.begin(), good.begin() + 43))},
                   VsockRefusal::kShortHeader});
  cases.push_back({{ChainPart::readable(header([](VsockHeader& h) { h.src_cid = 4; }))},
                   VsockRefusal::kWrongSourceCid});
  cases.push_back({{ChainPart::readable(header([](VsockHeader& h) { h.src_cid = 2; }))},
                   VsockRefusal::kWrongSourceCid});
  cases.push_back({{ChainPart::readable(header([](VsockHeader& h) { h.dst_cid = 3; }))},
                   VsockRefusal::kNotForHost});
  cases.push_back(
      {{ChainPart::readable(header([](VsockHeader& h) { h.dst_cid = (1ull << 32) + 2; }))},
       VsockRefusal::kNotForHost});
  cases.push_back({{ChainPart::readable(header([](VsockHeader& h) { h.len = 5; }))},
                   VsockRefusal::kPayloadCut});
  cases.push_back({{ChainPart::readable(header([](VsockHeader& h) { h.len = 0xffffffff; }))},
                   VsockRefusal::kPayloadTooLong});
  cases.push_back(
      {{ChainPart::readable(header([](VsockHeader& h) { h.len = kVsockMaxPayload + 1; }))},
       VsockRefusal::kPayloadTooLong});
  for (const Case& c : cases) {
    TxBench tx;
    auto got = tx.read(c.parts);
    REQUIRE_FALSE(got);
    CHECK(got.error().reason == c.reason);
    CHECK_FALSE(describe(c.reason).empty());
    CHECK(tx.bench.fake_ram().refused() == 0);
  }
  // Only a wrong length is answered with an RST: the header is the child's own, to the host.
  CHECK(answers_rst(VsockRefusal::kPayloadCut));
  CHECK(answers_rst(VsockRefusal::kPayloadTooLong));
  CHECK_FALSE(answers_rst(VsockRefusal::kWrongSourceCid));
  CHECK_FALSE(answers_rst(VsockRefusal::kNotForHost));
}

TEST_CASE("virtio vsock connect line: Firecracker's CONNECT <port>", "[virtio][vsock]") {
  CHECK(parse_connect_line("CONNECT 52") == 52u);
  CHECK(parse_connect_line("connect 52") == 52u);
  CHECK(parse_connect_line("Connect  4294967295 \r") == 4294967295u);
  CHECK(parse_connect_line("CONNECT 0") == 0u);
  CHECK_FALSE(parse_connect_line("CONNECT"));
  CHECK_FALSE(parse_connect_line("CONNECT -1"));
  CHECK_FALSE(parse_connect_line("CONNECT 4294967296"));
  CHECK_FALSE(parse_connect_line("CONNECT 5x"));
  CHECK_FALSE(parse_connect_line("LISTEN 52"));
  CHECK_FALSE(parse_connect_line(""));
  CHECK(connect_ok_line(1073741824) == "OK 1073741824\n");

  // Read in pieces, never past the newline: what follows is the stream's.
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0);
  UniqueFd ours(fds[0]);
  UniqueFd host(fds[1]);
  ConnectLineReader reader;
  auto waiting = [&] {
    auto got = reader.read(ours.get());
    return got && !*got;
  };
  CHECK(waiting());  // nothing yet
  write_all(host.get(), "CONN");
  CHECK(waiting());
  write_all(host.get(), "ECT 1234\nfirst bytes");
  auto port = reader.read(ours.get());
  REQUIRE(port);
  CHECK(*port == std::optional<uint32_t>(1234));
  CHECK(read_exactly(ours.get(), 11) == "first bytes");

  // Too long without a newline, not a command, the end of the stream: refused.
  for (std::string_view sent :
       {std::string_view("CONNECT 00000000000000000000000000001"), std::string_view("HELLO 1\n")}) {
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0);
    UniqueFd a(fds[0]);
    UniqueFd b(fds[1]);
    write_all(b.get(), sent);
    ConnectLineReader r;
    std::expected<std::optional<uint32_t>, std::string> got = std::optional<uint32_t>{};
    for (int i = 0; i < 4 && got && !*got; ++i) got = r.read(a.get());
    CHECK_FALSE(got);
  }
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0);
  UniqueFd a(fds[0]);
  ::close(fds[1]);
  ConnectLineReader r;
  CHECK_FALSE(r.read(a.get()));
}

TEST_CASE("virtio vsock credit: both directions, wrapping and hostile figures", "[virtio][vsock]") {
  VsockCredit c;
  // Nothing said yet: the child can take nothing.
  CHECK(c.peer_free() == 0);
  c.peer_said(1000, 0);
  CHECK(c.peer_free() == 1000);
  c.sent(600);
  CHECK(c.peer_free() == 400);
  c.peer_said(1000, 500);  // it took 500 out
  CHECK(c.peer_free() == 900);
  // A fwd_cnt ahead of what we sent, or a smaller buffer than in flight: nothing, not 4 GiB.
  c.peer_said(1000, 5000);
  CHECK(c.peer_free() == 0);
  c.peer_said(50, 500);
  CHECK(c.peer_free() == 0);
  // Counters wrap.
  VsockCredit w;
  w.sent(std::numeric_limits<uint32_t>::max());
  w.sent(11);  // tx_cnt 10 after the wrap
  w.peer_said(100, std::numeric_limits<uint32_t>::max());
  CHECK(w.peer_free() == 89);

  // Our buffer: the child may have at most kBufAlloc waiting.
  VsockCredit r;
  CHECK(r.received(VsockCredit::kBufAlloc - 10));
  CHECK_FALSE(r.received(11));
  CHECK(r.held() == VsockCredit::kBufAlloc - 10);
  r.forwarded(1000);
  CHECK(r.received(1010));
  CHECK(r.held() == VsockCredit::kBufAlloc);
  // The child saw fwd_cnt 0 and has sent 64 KiB: it waits for an update, which is due.
  CHECK(r.update_due());
  CHECK(r.tell_fwd_cnt() == 1000);
  CHECK_FALSE(r.update_due());  // told: its view is current (and nothing more was forwarded)
  VsockCredit small;
  CHECK(small.received(100));
  small.forwarded(100);
  CHECK_FALSE(small.update_due());  // the child sees 64 KiB less 100 free: no need
}
