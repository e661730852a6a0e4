// The virtio-net device (vmm/virtio/net_device.hpp, virtio 1.2 5.1) over fake guest RAM, a
// scripted driver and a socket pair as the host's network: what it offers and its
// configuration space, activation and its refusals, and transmission: one frame, several in a
// kick however the driver split them, and hostile chains and headers failing alone.
#include <catch2/catch_test_macros.hpp>
#include <vector>

#include "tests/unit/vmm/virtio_net_bench.hpp"
#include "vmm/virtio/feature_bits.hpp"

using namespace rootstock::vmm::virtio;
using namespace rootstock::test;

namespace {

constexpr uint8_t kNeedsCsum = static_cast<uint8_t>(NetHeaderFlag::kNeedsCsum);
constexpr uint8_t kDataValid = static_cast<uint8_t>(NetHeaderFlag::kDataValid);

std::vector<uint8_t> slice(const std::vector<uint8_t>& v, size_t from, size_t to) {
  return {v.begin() + static_cast<ptrdiff_t>(from), v.begin() + static_cast<ptrdiff_t>(to)};
}

}  // namespace

TEST_CASE("virtio net: features, queues and the configuration space", "[virtio][net]") {
  Nic nic;
  const uint64_t f = nic.device->features();
  for (NetFeatureBit bit :
       {NetFeatureBit::kMac, NetFeatureBit::kStatus, NetFeatureBit::kMrgRxbuf, NetFeatureBit::kCsum,
        NetFeatureBit::kGuestCsum, NetFeatureBit::kHostTso4, NetFeatureBit::kHostTso6,
        NetFeatureBit::kGuestTso4, NetFeatureBit::kGuestTso6}) {
    CHECK((f & net_feature_mask(bit)) != 0);
  }
  CHECK((f & kFeatureVersion1) != 0);
  CHECK((f & feature_mask(FeatureBit::kIndirectDesc)) != 0);
  CHECK((f & feature_mask(FeatureBit::kEventIdx)) != 0);
  for (NetFeatureBit bit : {NetFeatureBit::kCtrlVq, NetFeatureBit::kMq, NetFeatureBit::kMtu,
                            NetFeatureBit::kGuestUfo, NetFeatureBit::kHostUfo}) {
    CHECK((f & net_feature_mask(bit)) == 0);
  }
  CHECK(nic.device->type() == DeviceType::kNet);
  CHECK(nic.device->queue_count() == 2);
  CHECK(nic.device->max_queue_size(0) == 256);
  CHECK(nic.device->max_queue_size(1) == 256);
  CHECK(nic.device->max_queue_size(2) == 0);

  // mac at 0, status at 6 (VIRTIO_NET_S_LINK_UP), at any width; zeros past the end.
  CHECK(nic.device->config_size() == 24);
  std::array<uint8_t, 6> mac{};
  nic.device->read_config(0, mac);
  CHECK(mac == kTestMac);
  std::array<uint8_t, 4> word{};
  nic.device->read_config(4, word);
  CHECK(word == std::array<uint8_t, 4>{0x34, 0x56, 1, 0});
  nic.device->write_config(0, std::array<uint8_t, 2>{0xff, 0xff});  // read-only (5.1.4)
  nic.device->read_config(0, mac);
  CHECK(mac == kTestMac);
  std::array<uint8_t, 8> tail{1, 1, 1, 1, 1, 1, 1, 1};
  nic.device->read_config(22, tail);
  CHECK(tail == std::array<uint8_t, 8>{});
  nic.device->read_config(0xfffffff0, tail);
  CHECK(tail == std::array<uint8_t, 8>{});

  // A port without offloads: none of them offered.
  Nic plain(false);
  CHECK((plain.device->features() & kNetOffloadFeatures) == 0);
  CHECK((plain.device->features() & net_feature_mask(NetFeatureBit::kMrgRxbuf)) != 0);
}

TEST_CASE("virtio net: an MTU, when one is offered", "[virtio][net]") {
  Nic nic;
  nic.device->offer_mtu(9000);
  CHECK((nic.device->features() & net_feature_mask(NetFeatureBit::kMtu)) != 0);
  std::array<uint8_t, 2> mtu{};
  nic.device->read_config(10, mtu);  // 5.1.4: mtu at offset 10, little-endian
  CHECK(mtu == std::array<uint8_t, 2>{0x28, 0x23});
  nic.device->offer_mtu(20);  // below 5.1.4.1's minimum: the minimum
  CHECK(nic.device->config().mtu == 68);
}

TEST_CASE("virtio net: activation sets the port's offloads, refusals start nothing",
          "[virtio][net]") {
  Nic all;
  {
    std::lock_guard lock(all.host.state->mutex);
    REQUIRE(all.host.state->offloads.size() == 1);
    CHECK(all.host.state->offloads[0] == NetOffloads{true, true, true});
  }
  Nic csum_only(true, net_feature_mask(NetFeatureBit::kGuestTso4) |
                          net_feature_mask(NetFeatureBit::kGuestTso6));
  {
    std::lock_guard lock(csum_only.host.state->mutex);
    CHECK(csum_only.host.state->offloads.back() == NetOffloads{true, false, false});
  }

  auto [port, host] = socket_port(true);
  NetDevice device(std::move(port), kTestMac);
  DeviceBench bench(2, device.features());
  // A queue not enabled.
  std::array<SplitVirtqueue*, 2> one = {bench.queues()[0], nullptr};
  CHECK_FALSE(device.activate(device.features(), one, bench));
  CHECK(device.last_error() == "the driver did not enable both queues");
  // GUEST_TSO4 without GUEST_CSUM (5.1.3.1).
  CHECK_FALSE(device.activate(device.features() & ~net_feature_mask(NetFeatureBit::kGuestCsum),
                              bench.queues(), bench));
  // The port refusing the offloads.
  host.state->refuse_offloads = true;
  CHECK_FALSE(device.activate(device.features(), bench.queues(), bench));
  CHECK(device.last_error().find("the port refuses offloads") != std::string::npos);
  // Nothing runs: notifications are ignored.
  device.notify(0);
  device.notify(1);
  CHECK(bench.driver(1).used_idx() == 0);
}

TEST_CASE("virtio net: one frame goes to the port as the driver wrote it", "[virtio][net]") {
  Nic nic;
  const auto packet = net_packet(60, 7);
  const uint16_t head = nic.transmit({ChainPart::readable(packet)});
  auto sent = nic.host.receive();
  REQUIRE(sent);
  CHECK(*sent == packet);
  REQUIRE(nic.bench->driver(1).used_idx() == 1);
  CHECK(nic.bench->driver(1).used(0).id == head);
  CHECK(nic.bench->driver(1).used(0).len == 0);  // nothing written into a transmit chain
  CHECK(nic.bench->interrupts[1] == 1);
  const NetCounters c = nic.device->counters();
  CHECK(c.tx_packets == 1);
  CHECK(c.tx_bytes == 60);
  CHECK(c.tx_errors == 0);
}

TEST_CASE("virtio net: several frames in a kick, however the driver split them", "[virtio][net]") {
  Nic nic;
  const auto a = net_packet(100, 1);
  const auto b = net_packet(1500, 2, net_header(kNeedsCsum));
  const auto c = net_packet(64 * 1024, 3, net_header(kNeedsCsum, GsoType::kTcpV4, 1448));
  nic.bench->send(1, {ChainPart::readable(a)}, false);
  // The header split 5 + 7, then the frame in two.
  nic.bench->send(
      1,
      {ChainPart::readable(slice(b, 0, 5)), ChainPart::readable(slice(b, 5, 12)),
       ChainPart::readable(slice(b, 12, 800)), ChainPart::readable(slice(b, 800, b.size()))},
      false);
  nic.bench->send(
      1, {ChainPart::readable(slice(c, 0, 12)), ChainPart::readable(slice(c, 12, c.size()))},
      false);
  nic.bench->driver(1).publish_staged();
  nic.device->notify(1);
  for (const auto& expected : {a, b, c}) {
    auto sent = nic.host.receive();
    REQUIRE(sent);
    CHECK(*sent == expected);
  }
  REQUIRE(wait_used(*nic.bench, 1, 3));
  CHECK(nic.bench->interrupts[1] >= 1);
  CHECK(nic.device->counters().tx_bytes == 100 + 1500 + 64 * 1024);
}

TEST_CASE("virtio net: hostile transmit chains fail alone", "[virtio][net]") {
  Nic nic(true, net_feature_mask(NetFeatureBit::kHostTso6));
  auto& b = *nic.bench;
  // A writable buffer; the header only; a runt; more than 64 KiB and the headers; a TSO6
  // segment not negotiated; TSO4 without NEEDS_CSUM; UFO; ECN; a chain that loops.
  b.send(1, {ChainPart::readable(net_packet(60)), ChainPart::writable(16)}, false);
  b.send(1, {ChainPart::readable(net_packet(0))}, false);
  b.send(1, {ChainPart::readable(net_packet(kEthernetHeaderBytes - 1))}, false);
  b.send(1, {ChainPart::readable(net_packet(kMaxFrameBytes + 1))}, false);
  b.send(1,
         {ChainPart::readable(net_packet(200, 0, net_header(kNeedsCsum, GsoType::kTcpV6, 1400)))},
         false);
  b.send(1, {ChainPart::readable(net_packet(200, 0, net_header(0, GsoType::kTcpV4, 1400)))}, false);
  b.send(1, {ChainPart::readable(net_packet(200, 0, net_header(kNeedsCsum, GsoType::kUdp, 1400)))},
         false);
  auto ecn = net_header(kNeedsCsum, GsoType::kTcpV4, 1400);
  ecn.gso_type |= kGsoEcn;
  b.send(1, {ChainPart::readable(net_packet(200, 0, ecn))}, false);
  const uint16_t loop =
      b.send(1, {ChainPart::readable(net_packet(60)), ChainPart::readable({1, 2})}, false);
  b.driver(1).desc(loop + 1u, DeviceBench::kDataStart, 2, kNext, loop);
  // Then a good one, with flags the driver must not set (DATA_VALID) that the device ignores.
  const auto good = net_packet(80, 9, net_header(kNeedsCsum | kDataValid | 0x40));
  b.send(1, {ChainPart::readable(good)}, false);
  b.driver(1).publish_staged();
  nic.device->notify(1);

  REQUIRE(wait_used(b, 1, 10));
  for (uint16_t i = 0; i < 10; ++i) CHECK(b.driver(1).used(i).len == 0);
  auto sent = nic.host.receive();
  REQUIRE(sent);
  CHECK(header_of(*sent).flags == kNeedsCsum);
  CHECK(slice(*sent, 12, sent->size()) == slice(good, 12, good.size()));
  CHECK_FALSE(nic.host.receive(50ms));  // nothing else went out
  const NetCounters c = nic.device->counters();
  CHECK(c.tx_packets == 1);
  CHECK(c.tx_dropped == 1);  // the long one
  CHECK(c.tx_errors == 8);
  CHECK(b.resets == 0);
  CHECK(b.fake_ram().refused() == 0);
}

TEST_CASE("virtio net: checksum offload not negotiated is refused", "[virtio][net]") {
  Nic nic(false);
  nic.transmit({ChainPart::readable(net_packet(80, 0, net_header(kNeedsCsum)))});
  nic.transmit(
      {ChainPart::readable(net_packet(80, 0, net_header(kNeedsCsum, GsoType::kTcpV4, 9)))});
  CHECK(nic.bench->driver(1).used_idx() == 2);
  CHECK_FALSE(nic.host.receive(50ms));
  CHECK(nic.device->counters().tx_errors == 2);
  CHECK(nic.device->last_error().find("VIRTIO_NET_F_CSUM") != std::string::npos);
}

TEST_CASE("virtio net: a broken transmit ring asks for a reset", "[virtio][net]") {
  Nic nic;
  nic.bench->driver(1).set_avail_idx(200);  // more than the queue size ahead
  nic.device->notify(1);
  REQUIRE(eventually([&] { return nic.bench->resets == 1; }));
  nic.device->notify(1);  // nothing more is served
  CHECK_FALSE(eventually([&] { return nic.bench->resets != 1; }, 50ms));
  nic.device->reset();
  nic.device->notify(1);
  CHECK(nic.bench->resets == 1);
}

TEST_CASE("virtio net: a port with no room drops, a failing port is an error", "[virtio][net]") {
  Nic nic;
  // Fill the socket until it pushes back; the device drops what does not fit.
  const auto big = net_packet(60000);
  for (int i = 0; i < 16; ++i) nic.transmit({ChainPart::readable(big)});
  const NetCounters c = nic.device->counters();
  CHECK(c.tx_dropped > 0);
  CHECK(c.tx_packets + c.tx_dropped == 16);
  // The host's end gone: the receive thread finds it hung up (or reset, with packets unread)
  // and stops polling it; sends fail.
  nic.host.fd.reset();
  CHECK(eventually([&] { return !nic.device->last_error().empty(); }));
  nic.transmit({ChainPart::readable(net_packet(60))});
  CHECK(nic.device->counters().tx_errors == 1);
  CHECK(nic.device->last_error().find("socket port send") != std::string::npos);
}
