// virtio-pci's doorbells (vmm/virtio/pci_transport.hpp, docs/virtio.md "Threads and kicks"):
// while the device is active and BAR 0 decodes, each enabled queue with a kick fd has its
// notify address registered; they follow DRIVER_OK, the reset, Memory Space and the BAR, and
// go with the transport. A sink that refuses leaves the ordinary notify path working.
#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <vector>

#include "tests/unit/vmm/recording_doorbells.hpp"
#include "tests/unit/vmm/virtio_pci_bench.hpp"

using namespace rootstock::test::vpci_bench;
using rootstock::test::layout_queue;
using rootstock::test::RecordingDoorbells;

namespace {

constexpr uint16_t kMemoryOn = pci::command::kMemorySpace | pci::command::kBusMaster;

DoorbellSpec notify_doorbell(uint64_t bar, uint16_t queue, int fd) {
  return {bar + vpci::kNotifyOffset + vpci::kNotifyOffMultiplier * queue, 2, std::nullopt, fd};
}

/// The driver's initialisation up to DRIVER_OK with both queues enabled.
void start(Bench& b) {
  b.t->config_write(0x04, 2, kMemoryOn);
  REQUIRE(b.negotiate(kAccepted));
  b.setup_queue(0, layout_queue(kRamBase, 8), vpci::kNoVector);
  b.setup_queue(1, layout_queue(kRamBase + 0x2000, 16), vpci::kNoVector);
  b.add_status(Status::kDriverOk);
  REQUIRE(b.has(Status::kDriverOk));
}

}  // namespace

TEST_CASE("virtio-pci doorbells: one per queue with a kick fd, from DRIVER_OK to the reset",
          "[pci][doorbell]") {
  RecordingDoorbells sink;
  Bench b(&sink);
  b.device->kick_fds = {40, 41};
  b.t->config_write(0x04, 2, kMemoryOn);
  REQUIRE(b.negotiate(kAccepted));
  b.setup_queue(0, layout_queue(kRamBase, 8), vpci::kNoVector);
  b.setup_queue(1, layout_queue(kRamBase + 0x2000, 16), vpci::kNoVector);
  CHECK(sink.live.empty());  // not before DRIVER_OK
  b.add_status(Status::kDriverOk);
  CHECK(sink.live ==
        std::vector{notify_doorbell(kBarBase, 0, 40), notify_doorbell(kBarBase, 1, 41)});
  CHECK(b.t->doorbells() == sink.live);
  // Configuration writes that change nothing leave them alone.
  const int adds = sink.adds;
  b.t->config_write(0x04, 2, kMemoryOn);
  CHECK(sink.adds == adds);
  CHECK(sink.removes == 0);
  // The reset takes them away.
  b.wr(Common::kDeviceStatus, 1, 0);
  CHECK(sink.live.empty());
  CHECK(b.t->doorbells().empty());
}

TEST_CASE("virtio-pci doorbells: follow Memory Space and the BAR", "[pci][doorbell]") {
  RecordingDoorbells sink;
  Bench b(&sink);
  b.device->kick_fds = {40, -1};  // queue 1 is served in notify() only
  start(b);
  CHECK(sink.live == std::vector{notify_doorbell(kBarBase, 0, 40)});
  b.t->config_write(0x04, 2,
                    pci::command::kBusMaster);  // Memory Space off: the BAR decodes nowhere
  CHECK(sink.live.empty());
  b.t->config_write(0x04, 2, kMemoryOn);
  CHECK(sink.live == std::vector{notify_doorbell(kBarBase, 0, 40)});
  constexpr uint32_t kMoved = 0xc0100000;
  b.t->config_write(0x10, 4, kMoved);
  CHECK(sink.live == std::vector{notify_doorbell(kMoved, 0, 40)});
  // Sizing the BAR (all ones) decodes nowhere for that moment.
  b.t->config_write(0x10, 4, 0xffffffff);
  CHECK(sink.live.empty());
  b.t->config_write(0x10, 4, kMoved);
  CHECK(sink.live.size() == 1);
}

TEST_CASE("virtio-pci doorbells: none for a device without kick fds, none after the transport",
          "[pci][doorbell]") {
  RecordingDoorbells sink;
  {
    Bench b(&sink);
    start(b);
    CHECK(sink.adds == 0);
  }
  {
    Bench b(&sink);
    b.device->kick_fds = {40, 41};
    start(b);
    CHECK(sink.live.size() == 2);
  }
  CHECK(sink.live.empty());  // the transport removed them as it went
}

TEST_CASE("virtio-pci doorbells: refused, the notify address still reaches the device",
          "[pci][doorbell]") {
  RecordingDoorbells sink;
  sink.refuse = true;
  Bench b(&sink);
  b.device->kick_fds = {40, 41};
  start(b);
  CHECK(sink.adds == 2);
  CHECK(b.t->doorbells().empty());
  b.notify(0);
  CHECK(b.device->notified == std::vector<uint16_t>{0});
}
