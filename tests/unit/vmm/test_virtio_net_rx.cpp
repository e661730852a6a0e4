// virtio-net reception (vmm/virtio/net_device.hpp, net_rx.hpp; virtio 1.2 5.1.6.3, 5.1.6.4):
// packets from the host's end of a socket pair into the driver's buffers, by the device's
// receive thread: one buffer, merged buffers with num_buffers, no MRG_RXBUF, no buffers until
// the driver adds some, hostile chains and packets, a broken ring, and reset and destruction
// while the thread runs (the unit build runs these under ASan).
#include <algorithm>
#include <atomic>
#include <catch2/catch_test_macros.hpp>
#include <thread>
#include <vector>

#include "tests/unit/vmm/virtio_net_bench.hpp"

using namespace rootstock::vmm::virtio;
using namespace rootstock::test;

namespace {

constexpr uint8_t kNeedsCsum = static_cast<uint8_t>(NetHeaderFlag::kNeedsCsum);
constexpr uint8_t kDataValid = static_cast<uint8_t>(NetHeaderFlag::kDataValid);
constexpr size_t kHeader = sizeof(NetHeader);

/// `packet` with num_buffers set, as the driver should find it.
std::vector<uint8_t> with_buffers(std::vector<uint8_t> packet, uint16_t buffers) {
  memcpy(packet.data() + offsetof(NetHeader, num_buffers), &buffers, sizeof(buffers));
  return packet;
}

/// What the driver got in used element `idx` of the receive queue.
std::vector<uint8_t> received(Nic& nic, uint16_t idx) {
  return nic.bench->used_bytes(0, idx);
}

}  // namespace

TEST_CASE("virtio net rx: a packet into one buffer", "[virtio][net]") {
  Nic nic;
  const uint16_t head = offer_rx(*nic.bench, {2048});
  nic.device->notify(0);
  const auto packet = net_packet(100, 5);
  nic.host.send(packet);
  REQUIRE(wait_used(*nic.bench, 0, 1));
  CHECK(nic.bench->driver(0).used(0).id == head);
  CHECK(nic.bench->driver(0).used(0).len == packet.size());
  CHECK(received(nic, 0) == with_buffers(packet, 1));
  CHECK(eventually([&] { return nic.bench->interrupts[0] == 1; }));
  const NetCounters c = nic.device->counters();
  CHECK(c.rx_packets == 1);
  CHECK(c.rx_bytes == 100);
}

TEST_CASE("virtio net rx: a large packet spreads over merged buffers", "[virtio][net]") {
  Nic nic;
  auto& b = *nic.bench;
  // The second chain is itself split, the header across two of its buffers.
  const uint16_t first = offer_rx(b, {256});
  const uint16_t second = b.send(0, {ChainPart::writable(6), ChainPart::writable(250)});
  const uint16_t third = offer_rx(b, {256});
  const uint16_t fourth = offer_rx(b, {256});
  nic.device->notify(0);
  const auto packet = net_packet(700 - kHeader, 1);
  nic.host.send(packet);
  REQUIRE(wait_used(b, 0, 3));
  // Each buffer but the last filled to its end (5.1.6.4.1), num_buffers in the first.
  CHECK(b.driver(0).used(0).id == first);
  CHECK(b.driver(0).used(1).id == second);
  CHECK(b.driver(0).used(2).id == third);
  CHECK(b.driver(0).used(0).len == 256);
  CHECK(b.driver(0).used(1).len == 256);
  CHECK(b.driver(0).used(2).len == 700 - 512);
  std::vector<uint8_t> all;
  for (uint16_t i = 0; i < 3; ++i) {
    const auto part = received(nic, i);
    all.insert(all.end(), part.begin(), part.end());
  }
  CHECK(all == with_buffers(packet, 3));
  // The fourth is still the driver's, for the next packet.
  const auto small = net_packet(50, 9);
  nic.host.send(small);
  REQUIRE(wait_used(b, 0, 4));
  CHECK(b.driver(0).used(3).id == fourth);
  CHECK(received(nic, 3) == with_buffers(small, 1));
}

TEST_CASE("virtio net rx: a packet larger than all buffers together is dropped", "[virtio][net]") {
  Nic nic;
  auto& b = *nic.bench;
  for (uint32_t i = 0; i < DeviceBench::kQueueSize; ++i) offer_rx(b, {16});  // 1 KiB in all
  nic.device->notify(0);
  nic.host.send(net_packet(2000));
  const auto fits = net_packet(500 - kHeader, 3);
  nic.host.send(fits);
  REQUIRE(wait_used(b, 0, 32));  // 500 bytes in 16-byte buffers
  std::vector<uint8_t> all;
  for (uint16_t i = 0; i < 32; ++i) {
    const auto part = received(nic, i);
    all.insert(all.end(), part.begin(), part.end());
  }
  CHECK(all == with_buffers(fits, 32));
  const NetCounters c = nic.device->counters();
  CHECK(c.rx_dropped == 1);
  CHECK(c.rx_packets == 1);
}

TEST_CASE("virtio net rx: without MRG_RXBUF a packet takes one buffer or is dropped",
          "[virtio][net]") {
  Nic nic(true, net_feature_mask(NetFeatureBit::kMrgRxbuf));
  auto& b = *nic.bench;
  const uint16_t head = offer_rx(b, {64});
  nic.device->notify(0);
  nic.host.send(net_packet(100));  // too large for the one buffer
  const auto fits = net_packet(40, 4);
  nic.host.send(fits);
  REQUIRE(wait_used(b, 0, 1));
  CHECK(b.driver(0).used(0).id == head);
  CHECK(received(nic, 0) == with_buffers(fits, 1));  // num_buffers 1 (5.1.6.4.1)
  CHECK(nic.device->counters().rx_dropped == 1);
}

TEST_CASE("virtio net rx: with no buffers packets wait in the port until notify(0)",
          "[virtio][net]") {
  Nic nic;
  auto& b = *nic.bench;
  const auto one = net_packet(60, 1);
  const auto two = net_packet(70, 2);
  nic.host.send(one);
  nic.host.send(two);
  std::this_thread::sleep_for(50ms);
  // A buffer made available without a notification is not looked at: the thread waits for
  // notify(0) and has stopped reading the port.
  offer_rx(b, {2048});
  std::this_thread::sleep_for(50ms);
  CHECK(b.driver(0).used_idx() == 0);
  nic.device->notify(0);
  REQUIRE(wait_used(b, 0, 1));
  CHECK(received(nic, 0) == with_buffers(one, 1));
  offer_rx(b, {2048});
  nic.device->notify(0);
  REQUIRE(wait_used(b, 0, 2));
  CHECK(received(nic, 1) == with_buffers(two, 1));
  const NetCounters c = nic.device->counters();
  CHECK(c.rx_packets == 2);
  CHECK(c.rx_dropped == 0);
}

TEST_CASE("virtio net rx: hostile receive chains are returned unused", "[virtio][net]") {
  Nic nic;
  auto& b = *nic.bench;
  // A device-readable buffer; shorter than the header; a loop; then a good one.
  b.send(0, {ChainPart::readable({1, 2, 3, 4}), ChainPart::writable(2048)});
  offer_rx(b, {kHeader - 1});
  const uint16_t loop = offer_rx(b, {512, 512});
  b.driver(0).desc(loop + 1u, DeviceBench::kDataStart, 512, kWriteNext, loop);
  const uint16_t good = offer_rx(b, {2048});
  nic.device->notify(0);
  const auto packet = net_packet(300, 8);
  nic.host.send(packet);
  REQUIRE(wait_used(b, 0, 4));
  for (uint16_t i = 0; i < 3; ++i) CHECK(b.driver(0).used(i).len == 0);
  CHECK(b.driver(0).used(3).id == good);
  CHECK(received(nic, 3) == with_buffers(packet, 1));
  const NetCounters c = nic.device->counters();
  CHECK(c.rx_errors == 3);
  CHECK(c.rx_packets == 1);
  CHECK(b.resets == 0);
  CHECK(b.fake_ram().refused() == 0);
}

TEST_CASE("virtio net rx: the port's headers brought to what the driver accepted",
          "[virtio][net]") {
  SECTION("offloads accepted: kept") {
    Nic nic;
    offer_rx(*nic.bench, {4096});
    nic.device->notify(0);
    const auto tso =
        net_packet(3000, 0, net_header(kNeedsCsum | kDataValid | 0x80, GsoType::kTcpV4, 1448));
    nic.host.send(tso);
    REQUIRE(wait_used(*nic.bench, 0, 1));
    const NetHeader h = header_of(received(nic, 0));
    CHECK(h.flags == (kNeedsCsum | kDataValid));
    CHECK(h.gso_type == static_cast<uint8_t>(GsoType::kTcpV4));
    CHECK(h.gso_size == 1448);
    CHECK(h.num_buffers == 1);
  }
  SECTION("not accepted: refused or cleared") {
    Nic nic(true, net_feature_mask(NetFeatureBit::kGuestCsum) |
                      net_feature_mask(NetFeatureBit::kGuestTso4) |
                      net_feature_mask(NetFeatureBit::kGuestTso6));
    offer_rx(*nic.bench, {4096});
    nic.device->notify(0);
    nic.host.send(net_packet(3000, 0, net_header(kNeedsCsum, GsoType::kTcpV4, 1448)));
    nic.host.send(net_packet(100, 0, net_header(kNeedsCsum)));
    nic.host.send(net_packet(kEthernetHeaderBytes - 1));  // a runt
    nic.host.send(net_packet(kMaxFrameBytes + 1));        // cut by the device's buffer
    const auto valid = net_packet(100, 6, net_header(kDataValid));
    nic.host.send(valid);
    REQUIRE(wait_used(*nic.bench, 0, 1));
    CHECK(received(nic, 0) == with_buffers(net_packet(100, 6), 1));  // flags 0
    const NetCounters c = nic.device->counters();
    CHECK(c.rx_errors == 3);
    CHECK(c.rx_dropped == 1);
    CHECK(c.rx_packets == 1);
  }
}

TEST_CASE("virtio net rx: a broken receive ring asks for a reset", "[virtio][net]") {
  Nic nic;
  nic.bench->driver(0).set_avail_idx(200);
  nic.host.send(net_packet(60));
  CHECK(eventually([&] { return nic.bench->resets == 1; }));
  CHECK(nic.device->last_error().find("avail") != std::string::npos);
  nic.device->notify(0);
  std::this_thread::sleep_for(20ms);
  CHECK(nic.bench->resets == 1);
}

TEST_CASE("virtio net rx: reset and destruction while the receive thread runs", "[virtio][net]") {
  auto [port, host] = socket_port(true);
  NetDevice device(std::move(port), kTestMac);
  std::atomic<bool> flooding = true;
  std::thread flood([&, fd = host.fd.get()] {
    const auto packet = net_packet(1000);
    while (flooding) {
      if (::send(fd, packet.data(), packet.size(), MSG_DONTWAIT) < 0) std::this_thread::yield();
    }
  });
  for (int round = 0; round < 20; ++round) {
    DeviceBench bench(2, device.features());
    REQUIRE(device.activate(device.features(), bench.queues(), bench));
    for (uint32_t i = 0; i < DeviceBench::kQueueSize / 2; ++i) {
      offer_rx(bench, {512});
      device.notify(0);
    }
    REQUIRE(eventually([&] { return bench.driver(0).used_idx() > 0; }));
    device.reset();
    // Nothing touches the bench's RAM after reset() returns, whatever the driver does.
    const uint16_t used = bench.driver(0).used_idx();
    for (uint32_t i = 0; i < 4; ++i) offer_rx(bench, {512});
    device.notify(0);
    const std::vector<uint8_t> before(bench.fake_ram().bytes().begin(),
                                      bench.fake_ram().bytes().end());
    std::this_thread::sleep_for(5ms);
    CHECK(std::ranges::equal(before, bench.fake_ram().bytes()));
    CHECK(bench.driver(0).used_idx() == used);
  }
  // Destroyed while running: the destructor stops the thread.
  {
    auto [p2, h2] = socket_port(false);
    auto other = std::make_unique<NetDevice>(std::move(p2), kTestMac);
    DeviceBench bench(2, other->features());
    REQUIRE(other->activate(other->features(), bench.queues(), bench));
    offer_rx(bench, {2048});
    other->notify(0);
    other.reset();
  }
  flooding = false;
  flood.join();
  CHECK(device.counters().rx_packets > 0);
}
