// The virtio-vsock device (vmm/virtio/vsock_device.hpp, virtio 1.2 5.10) with Firecracker's host
// side over real Unix sockets in a temporary folder, driven by a scripted driver: what it
// offers, a host-initiated connection (CONNECT <port>, the child's RESPONSE, OK <port>, bytes
// both ways, the child's close), a child-initiated one to <uds_path>_<port>, RST for a refused
// connect and for packets of no connection, hostile packets and receive chains, the socket file
// replaced when stale and removed with the device.
#include <sys/stat.h>

#include <catch2/catch_test_macros.hpp>
#include <string>

#include "tests/unit/vmm/virtio_vsock_bench.hpp"
#include "vmm/virtio/feature_bits.hpp"
#include "vmm/virtio/vsock_muxer.hpp"

using namespace rootstock::vmm::virtio;
using namespace rootstock::test;

namespace {

bool exists(const std::string& path) {
  struct stat st{};
  return ::lstat(path.c_str(), &st) == 0;
}

/// Connects to the device's socket and asks for the child's `port`.
UniqueFd host_connect(Vsock& v, uint32_t port) {
  UniqueFd host = connect_to(v.uds);
  REQUIRE(host);
  write_all(host.get(), "CONNECT " + std::to_string(port) + "\n");
  return host;
}

}  // namespace

TEST_CASE("virtio vsock device: features, queues and the configuration space", "[virtio][vsock]") {
  Vsock v;
  const VsockDevice& d = *v.device;
  CHECK(d.type() == DeviceType::kVsock);
  CHECK((d.features() & kFeatureVersion1) != 0);
  CHECK((d.features() & feature_mask(FeatureBit::kEventIdx)) != 0);
  CHECK((d.features() & vsock_feature_mask(VsockFeatureBit::kStream)) != 0);
  CHECK((d.features() & vsock_feature_mask(VsockFeatureBit::kSeqpacket)) == 0);
  CHECK(d.queue_count() == 3);
  CHECK(d.max_queue_size(2) == VsockDevice::kQueueSize);
  CHECK(d.max_queue_size(3) == 0);
  CHECK(d.config_size() == 8);
  std::array<uint8_t, 8> cid{};
  v.device->read_config(0, cid);
  CHECK(cid == std::array<uint8_t, 8>{3, 0, 0, 0, 0, 0, 0, 0});
  v.device->write_config(0, std::array<uint8_t, 4>{9, 9, 9, 9});  // read-only
  std::array<uint8_t, 4> low{};
  v.device->read_config(0, low);
  CHECK(low == std::array<uint8_t, 4>{3, 0, 0, 0});
  CHECK(exists(v.uds));
  // The event queue has no kick fd: no event is ever sent.
  CHECK(v.device->kick_fd(VsockDevice::kEventQueue) == -1);
  CHECK(v.device->kick_fd(VsockDevice::kTxQueue) >= 0);

  // Refusals: a CID the child cannot have; activation without rx or tx.
  TempDir dir;
  for (uint64_t bad : {uint64_t{0}, uint64_t{2}, uint64_t{0xffffffff}}) {
    auto refused = VsockDevice::open(bad, dir.path + "/x.sock");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().what.find("guest_cid") != std::string::npos);
  }
  auto made = VsockDevice::open(4, dir.path + "/y.sock");
  REQUIRE(made);
  DeviceBench bench(3, (*made)->features());
  std::array<SplitVirtqueue*, 3> no_tx = {bench.queues()[0], nullptr, bench.queues()[2]};
  CHECK_FALSE((*made)->activate((*made)->features(), no_tx, bench));
  CHECK((*made)->last_error() == "the driver did not enable the rx and tx queues");
}

TEST_CASE("virtio vsock device: the socket file is replaced when stale and removed at the end",
          "[virtio][vsock]") {
  TempDir dir;
  const std::string path = dir.path + "/v.sock";
  {
    UniqueFd stale = listen_unix(path);  // a VMM that died left its socket
  }
  REQUIRE(exists(path));
  {
    auto device = VsockDevice::open(3, path);
    REQUIRE(device);
    CHECK(connect_to(path));  // ours now
    // A second device on the same path finds it in use.
    auto second = VsockDevice::open(4, path);
    REQUIRE_FALSE(second);
    CHECK(second.error().what.find("in use, another VM or program listens") != std::string::npos);
  }
  CHECK_FALSE(exists(path));
  // A file that is not a socket is never replaced.
  FILE* f = ::fopen(path.c_str(), "w");
  REQUIRE(f != nullptr);
  ::fclose(f);
  auto refused = VsockDevice::open(3, path);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().what.find("not a socket") != std::string::npos);
  CHECK(exists(path));
  CHECK_FALSE(VsockDevice::open(3, dir.path + "/" + std::string(120, 'x')));
}

TEST_CASE("virtio vsock device: host-initiated CONNECT, OK and bytes both ways",
          "[virtio][vsock]") {
  Vsock v;
  v.offer_rx();
  UniqueFd host = host_connect(v, 52);
  auto request = v.receive();
  REQUIRE(request);
  CHECK(request->op() == VsockOp::kRequest);
  CHECK(request->header.src_cid == kVsockHostCid);
  CHECK(request->header.dst_cid == kGuestCid);
  CHECK(request->header.dst_port == 52);
  const uint32_t host_port = request->header.src_port;
  CHECK(host_port == VsockMuxer::kFirstHostPort);
  // Nothing reaches the host before the child accepts.
  CHECK_FALSE(readable(host.get(), 50ms));

  v.send(child_header(VsockOp::kResponse, 52, host_port));
  CHECK(read_exactly(host.get(), 14) == "OK 1073741824\n");
  write_all(host.get(), "hello child");
  auto rw = v.receive();
  REQUIRE(rw);
  CHECK(rw->op() == VsockOp::kRw);
  CHECK(rw->text() == "hello child");
  v.send(child_header(VsockOp::kRw, 52, host_port, 10), "hello host");
  CHECK(read_exactly(host.get(), 10) == "hello host");

  // A second connection to the same port gets the next host port.
  UniqueFd second = host_connect(v, 52);
  auto request2 = v.receive();
  REQUIRE(request2);
  CHECK(request2->header.src_port == host_port + 1);
  // The child refuses it (nobody listens): the host's stream ends without an OK.
  v.send(child_header(VsockOp::kRst, 52, host_port + 1));
  CHECK(reads_end(second.get()));

  // The child closes the first: both ways at once, and the host answers with the RST.
  v.send(child_header(VsockOp::kShutdown, 52, host_port));
  {
    VsockHeader both = child_header(VsockOp::kShutdown, 52, host_port);
    both.flags = kVsockShutdownBoth;
    v.send(both);
  }
  auto rst = v.receive();
  REQUIRE(rst);
  CHECK(rst->op() == VsockOp::kRst);
  CHECK(rst->header.src_port == host_port);
  CHECK(reads_end(host.get()));
  CHECK(v.device->counters().host.connections_opened == 2);
  CHECK(v.bench->fake_ram().refused() == 0);
  CHECK(v.bench->resets == 0);
}

TEST_CASE("virtio vsock device: a host stream without a good CONNECT line is closed",
          "[virtio][vsock]") {
  Vsock v;
  v.offer_rx();
  UniqueFd host = connect_to(v.uds);
  REQUIRE(host);
  write_all(host.get(), "HELLO 52\n");
  CHECK(reads_end(host.get()));
  CHECK(v.device->counters().host.host_streams_refused == 1);
  CHECK_FALSE(v.receive(50ms));  // the child heard nothing
}

TEST_CASE("virtio vsock device: child-initiated connection to <uds_path>_<port>",
          "[virtio][vsock]") {
  Vsock v;
  v.offer_rx();
  UniqueFd server = listen_unix(v.uds + "_1234");
  v.send(child_header(VsockOp::kRequest, 5000, 1234));
  auto response = v.receive();
  REQUIRE(response);
  CHECK(response->op() == VsockOp::kResponse);
  CHECK(response->header.src_port == 1234);
  CHECK(response->header.dst_port == 5000);
  UniqueFd stream(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
  REQUIRE(stream);

  v.send(child_header(VsockOp::kRw, 5000, 1234, 4), "ping");
  CHECK(read_exactly(stream.get(), 4) == "ping");
  write_all(stream.get(), "pong");
  auto rw = v.receive();
  REQUIRE(rw);
  CHECK(rw->text() == "pong");
  CHECK(rw->header.fwd_cnt == 4);

  // The host's server closes: SHUTDOWN to the child, whose RST ends the connection.
  stream.reset();
  auto shutdown = v.receive();
  REQUIRE(shutdown);
  CHECK(shutdown->op() == VsockOp::kShutdown);
  CHECK(shutdown->header.flags == kVsockShutdownBoth);
  v.send(child_header(VsockOp::kRst, 5000, 1234));
  // The connection is gone: its next packet is answered with an RST.
  v.send(child_header(VsockOp::kRw, 5000, 1234, 1), "x");
  auto rst = v.receive();
  REQUIRE(rst);
  CHECK(rst->op() == VsockOp::kRst);
  CHECK(rst->header.dst_port == 5000);
}

TEST_CASE("virtio vsock device: a connect nobody takes is answered with an RST",
          "[virtio][vsock]") {
  Vsock v;
  v.offer_rx();
  v.send(child_header(VsockOp::kRequest, 5000, 999));  // no <uds_path>_999
  auto rst = v.receive();
  REQUIRE(rst);
  CHECK(rst->op() == VsockOp::kRst);
  CHECK(rst->header.src_port == 999);
  CHECK(rst->header.dst_port == 5000);
  CHECK(rst->header.dst_cid == kGuestCid);
  // A socket file nobody listens on refuses too.
  {
    UniqueFd gone = listen_unix(v.uds + "_998");
  }
  v.send(child_header(VsockOp::kRequest, 5001, 998));
  auto rst2 = v.receive();
  REQUIRE(rst2);
  CHECK(rst2->op() == VsockOp::kRst);
  CHECK(v.device->counters().host.connect_refused == 2);
}

TEST_CASE("virtio vsock device: hostile packets are dropped or answered with an RST",
          "[virtio][vsock]") {
  Vsock v;
  // Dropped without a word: a source CID not the child's, a destination not the host, a
  // writable buffer, a chain shorter than a header, an RST for no connection.
  VsockHeader spoofed = child_header(VsockOp::kRequest, 1, 2);
  spoofed.src_cid = 9;
  v.send(spoofed);
  VsockHeader elsewhere = child_header(VsockOp::kRequest, 1, 2);
  elsewhere.dst_cid = 4;
  v.send(elsewhere);
  v.bench->send(VsockDevice::kTxQueue,
                {ChainPart::readable(packet_bytes(child_header(VsockOp::kRequest, 1, 2))),
                 ChainPart::writable(16)});
  v.bench->send(VsockDevice::kTxQueue, {ChainPart::readable(std::vector<uint8_t>(20, 0xff))});
  v.send(child_header(VsockOp::kRst, 1, 2));
  // Answered with an RST (in order): a SEQPACKET request; an unknown op for no connection; a
  // len past its chain; a len past 64 KiB; a RESPONSE nobody asked for.
  VsockHeader seqpacket = child_header(VsockOp::kRequest, 10, 20);
  seqpacket.type = static_cast<uint16_t>(VsockType::kSeqpacket);
  v.send(seqpacket);
  v.send(child_header(static_cast<VsockOp>(77), 11, 21));
  v.send(child_header(VsockOp::kRw, 12, 22, 100), "short");
  v.send(child_header(VsockOp::kRw, 13, 23, 0x7fffffff));
  v.send(child_header(VsockOp::kResponse, 14, 24));
  // Receive chains the device cannot use go back empty: readable, shorter than a header.
  v.bench->send(VsockDevice::kRxQueue, {ChainPart::readable("abc")});
  v.bench->send(VsockDevice::kRxQueue, {ChainPart::writable(43)});
  v.offer_rx();
  for (int unusable = 0; unusable < 2; ++unusable) {
    auto empty = v.receive();
    REQUIRE(empty);
    CHECK(empty->header.op == 0);  // returned with nothing written
  }
  for (uint32_t port : {10u, 11u, 12u, 13u, 14u}) {
    auto rst = v.receive();
    REQUIRE(rst);
    CHECK(rst->op() == VsockOp::kRst);
    CHECK(rst->header.dst_port == port);
    CHECK(rst->header.src_port == port + 10);
  }
  CHECK_FALSE(v.receive(50ms));
  const VsockCounters c = v.device->counters();
  CHECK(c.tx_refused == 6);  // CID, CID, writable, short, and the two lengths
  CHECK(c.rx_errors == 2);
  CHECK(c.host.rsts_sent == 5);
  CHECK(v.bench->fake_ram().refused() == 0);
  CHECK(v.bench->resets == 0);
  CHECK(v.device->counters().host.connections_opened == 0);
}

TEST_CASE("virtio vsock device: packets wait for receive buffers, and reset closes everything",
          "[virtio][vsock]") {
  Vsock v;
  UniqueFd server = listen_unix(v.uds + "_7");
  // No receive buffers yet: the RESPONSE and the host's bytes wait.
  v.send(child_header(VsockOp::kRequest, 70, 7));
  UniqueFd stream;
  REQUIRE(readable(server.get()));
  stream = UniqueFd(::accept4(server.get(), nullptr, nullptr, SOCK_CLOEXEC));
  REQUIRE(stream);
  CHECK_FALSE(v.receive(50ms));
  v.offer_rx(1);
  auto response = v.receive();
  REQUIRE(response);
  CHECK(response->op() == VsockOp::kResponse);
  // 10 KiB from the host into 4 KiB buffers, given one at a time: nothing is lost.
  std::string sent;
  for (int i = 0; i < 10 * 1024; ++i) sent += static_cast<char>('a' + i % 26);
  write_all(stream.get(), sent);
  std::string got;
  while (got.size() < sent.size()) {
    v.offer_rx(1);
    auto rw = v.receive();
    REQUIRE(rw);
    REQUIRE(rw->op() == VsockOp::kRw);
    got += rw->text();
  }
  CHECK(got == sent);
  // The driver resets the device: the connection is closed, the listener stays.
  v.device->reset();
  CHECK(reads_end(stream.get()));
  CHECK(connect_to(v.uds));
  CHECK(v.device->counters().host.rsts_dropped == 0);
}

TEST_CASE("virtio vsock device: inline serving does a round in notify(), with no thread",
          "[virtio][vsock]") {
  TempDir dir;
  const std::string uds = dir.path + "/v.sock";
  auto made = VsockDevice::open(kGuestCid, uds, VsockServing::kInline);
  REQUIRE(made);
  VsockDevice& device = **made;
  DeviceBench bench(3, device.features());
  REQUIRE(device.activate(device.features(), bench.queues(), bench));
  CHECK(device.kick_fd(VsockDevice::kTxQueue) == -1);  // only notify() serves
  UniqueFd server = listen_unix(uds + "_1234");
  bench.send(VsockDevice::kRxQueue, {ChainPart::writable(Vsock::kRxBuffer)});
  bench.send(VsockDevice::kTxQueue,
             {ChainPart::readable(packet_bytes(child_header(VsockOp::kRequest, 5000, 1234)))});
  device.notify(VsockDevice::kTxQueue);
  // Done when notify() returns: the chain back, the connection made, the RESPONSE delivered.
  CHECK(bench.driver(VsockDevice::kTxQueue).used_idx() == 1);
  REQUIRE(bench.driver(VsockDevice::kRxQueue).used_idx() == 1);
  const auto bytes = bench.used_bytes(VsockDevice::kRxQueue, 0);
  REQUIRE(bytes.size() == sizeof(VsockHeader));
  VsockHeader h{};
  memcpy(&h, bytes.data(), sizeof(h));
  CHECK(h.op == static_cast<uint16_t>(VsockOp::kResponse));
  CHECK(device.counters().host.connections_opened == 1);
  device.reset();
}
