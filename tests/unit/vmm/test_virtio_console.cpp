// The virtio-console device (vmm/virtio/console_device.hpp, virtio 1.2 5.3) over fake guest RAM
// and a scripted driver: output passed on chunk by chunk, input fed before and after the driver
// adds receive buffers, the backlog's bound, hostile chains on both queues, a broken queue,
// reset, notification suppression, and input fed from another thread while the driver refills
// its buffers.
#include <stddef.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch_test_macros.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/vmm/virtio_device_bench.hpp"
#include "vmm/virtio/byte_backlog.hpp"
#include "vmm/virtio/console_device.hpp"
#include "vmm/virtio/feature_bits.hpp"

using namespace rootstock::vmm::virtio;
using namespace rootstock::test;

namespace {

constexpr uint16_t kRx = static_cast<uint16_t>(ConsoleQueue::kReceive);
constexpr uint16_t kTx = static_cast<uint16_t>(ConsoleQueue::kTransmit);
constexpr uint64_t kEventIdx = feature_mask(FeatureBit::kEventIdx);
constexpr uint16_t kNoNotify = static_cast<uint16_t>(UsedFlag::kNoNotify);
constexpr uint32_t kBigBuffer = 3 * 1024 * 1024;

/// A device whose output is collected, on a bench with `negotiated` features; activated unless
/// told otherwise.
struct Console {
  explicit Console(uint64_t negotiated = kFeatureVersion1, bool activate = true)
      : device([this](std::span<const uint8_t> bytes) {
          output.append(bytes.begin(), bytes.end());
          chunks.push_back(bytes.size());
        }),
        bench(2, negotiated) {
    if (activate) start();
  }
  void start() { REQUIRE(device.activate(device.features(), bench.queues(), bench)); }

  /// Sends one transmit chain, notifies, and returns its used length.
  uint32_t transmit(const std::vector<ChainPart>& parts) {
    const uint16_t idx = bench.driver(kTx).used_idx();
    bench.send(kTx, parts);
    device.notify(kTx);
    REQUIRE(bench.driver(kTx).used_idx() == static_cast<uint16_t>(idx + 1));
    return bench.driver(kTx).used(idx).len;
  }
  /// Offers a receive buffer of `size` bytes, without a kick.
  void receive_buffer(uint32_t size) { bench.send(kRx, {ChainPart::writable(size)}); }
  /// What the device wrote into the receive chain used element `idx` returns.
  std::string received(uint16_t idx) {
    const auto bytes = bench.used_bytes(kRx, idx);
    return {bytes.begin(), bytes.end()};
  }
  [[nodiscard]] uint16_t rx_used() { return bench.driver(kRx).used_idx(); }

  std::string output;
  std::vector<size_t> chunks;
  ConsoleDevice device;
  DeviceBench bench;
};

std::string numbered(size_t from, size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (from + i) % 26);
  return s;
}

}  // namespace

TEST_CASE("virtio console: the input backlog keeps order across its wrap, drops the oldest",
          "[virtio][console]") {
  ByteBacklog b(8);
  auto push = [&b](std::string_view s) {
    return b.push(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  };
  auto front = [&b] { return std::string(b.front().begin(), b.front().end()); };
  CHECK(b.empty());
  CHECK(front().empty());
  CHECK(push("abcdef") == 0);
  b.consume(4);
  CHECK(push("ghijk") == 0);  // wraps: "ef" at the end, "ghijk" over the start
  CHECK(b.size() == 7);
  CHECK(front() == "efgh");
  b.consume(4);
  CHECK(front() == "ijk");
  CHECK(push("lmnopq") == 1);  // one byte too many: "i" goes
  CHECK(b.size() == 8);
  std::string all;
  while (!b.empty()) {
    all += front();
    b.consume(b.front().size());
  }
  CHECK(all == "jklmnopq");
  CHECK(push("0123456789") == 2);  // larger than the whole backlog
  CHECK(front() == "23456789");
  b.consume(100);
  CHECK(b.empty());
  CHECK(ByteBacklog(0).capacity() == 1);
}

TEST_CASE("virtio console: type, features, queues, configuration space", "[virtio][console]") {
  ConsoleDevice device(nullptr);
  CHECK(device.type() == DeviceType::kConsole);
  // VIRTIO_CONSOLE_F_SIZE, no _MULTIPORT or _EMERG_WRITE.
  CHECK(device.features() ==
        (kFeatureVersion1 | feature_mask(FeatureBit::kIndirectDesc) |
         feature_mask(FeatureBit::kEventIdx) | console_feature_mask(ConsoleFeatureBit::kSize)));
  CHECK(device.queue_count() == 2);
  CHECK(device.max_queue_size(kRx) == ConsoleDevice::kQueueSize);
  CHECK(device.max_queue_size(kTx) == ConsoleDevice::kQueueSize);
  CHECK(device.max_queue_size(2) == 0);
  CHECK(device.config_size() == sizeof(ConsoleConfig));
  uint8_t config[16];
  std::fill(std::begin(config), std::end(config), uint8_t{0xff});
  device.read_config(0, config);
  CHECK(std::count(std::begin(config), std::end(config), uint8_t{0}) == 16);
  const uint8_t emergency[4] = {'!', 0, 0, 0};
  device.write_config(offsetof(ConsoleConfig, emerg_wr), emergency);  // not offered: ignored
  // Both queues are needed.
  DeviceBench bench(2, 0);
  std::vector<SplitVirtqueue*> receive_only = {bench.queues()[0], nullptr};
  CHECK_FALSE(device.activate(device.features(), receive_only, bench));
  CHECK_FALSE(device.activate(device.features(), bench.queues().first(1), bench));
  CHECK(device.activate(device.features(), bench.queues(), bench));
}

TEST_CASE("virtio console: the child's output goes to the output function", "[virtio][console]") {
  Console c;
  CHECK(c.transmit({ChainPart::readable("hello, "), ChainPart::readable("world\n")}) == 0);
  CHECK(c.output == "hello, world\n");
  CHECK(c.bench.interrupts[kTx] == 1);
  CHECK(c.bench.interrupts[kRx] == 0);

  // A long chain, a chunk at a time, in order.
  c.output.clear();
  c.chunks.clear();
  const std::string text = numbered(0, 10000);
  CHECK(c.transmit({ChainPart::readable(text.substr(0, 3)), ChainPart::readable(text.substr(3))}) ==
        0);
  CHECK(c.output == text);
  CHECK(c.chunks == std::vector<size_t>{4096, 4096, 10000 - 8192});
  CHECK(c.device.counters().output_bytes == 13 + 10000);
  CHECK(c.device.counters().errors == 0);
}

TEST_CASE("virtio console: hostile transmit chains", "[virtio][console]") {
  Console c;
  // A writable buffer in the transmitq (5.3.6.1): none of the chain goes out.
  CHECK(c.transmit({ChainPart::readable("secret"), ChainPart::writable(8)}) == 0);
  CHECK(c.output.empty());
  // Outside guest RAM, and a length running past its end: refused by the queue.
  const uint16_t idx = c.bench.driver(kTx).used_idx();
  c.bench.driver(kTx).desc(20, DeviceBench::kBase - 16, 16, 0);
  c.bench.driver(kTx).offer(20);
  c.bench.driver(kTx).desc(21, DeviceBench::kDataStart, 0xffffffff, 0);
  c.bench.driver(kTx).offer(21);
  c.device.notify(kTx);
  REQUIRE(c.bench.driver(kTx).used_idx() == static_cast<uint16_t>(idx + 2));
  CHECK(c.bench.fake_ram().refused() == 0);
  CHECK(c.output.empty());
  // Every descriptor of the queue naming the same 3 MiB: 192 MiB asked for, 64 KiB passed on.
  const uint64_t big = c.bench.allocate(kBigBuffer);
  for (uint16_t i = 0; i < DeviceBench::kQueueSize; ++i) {
    const bool last = i + 1 == DeviceBench::kQueueSize;
    c.bench.driver(kTx).desc(i, big, kBigBuffer, last ? 0 : kNext, static_cast<uint16_t>(i + 1));
  }
  c.bench.driver(kTx).offer(0);
  c.device.notify(kTx);
  REQUIRE(c.bench.driver(kTx).used_idx() == static_cast<uint16_t>(idx + 3));
  CHECK(c.output.size() == ConsoleDevice::kMaxOutputPerChain);
  const auto counters = c.device.counters();
  CHECK(counters.dropped_output ==
        uint64_t{kBigBuffer} * DeviceBench::kQueueSize - ConsoleDevice::kMaxOutputPerChain);
  CHECK(counters.errors == 3);
  CHECK(c.bench.resets == 0);
  // The queue goes on.
  c.output.clear();
  CHECK(c.transmit({ChainPart::readable("ok")}) == 0);
  CHECK(c.output == "ok");
}

TEST_CASE("virtio console: input fed after the driver added buffers", "[virtio][console]") {
  Console c;
  c.receive_buffer(8);
  c.receive_buffer(8);
  c.device.notify(kRx);  // nothing to say yet: the buffers stay
  CHECK(c.rx_used() == 0);
  c.device.feed("hello world!");
  REQUIRE(c.rx_used() == 2);
  CHECK(c.received(0) == "hello wo");
  CHECK(c.received(1) == "rld!");
  CHECK(c.bench.interrupts[kRx] == 2);
  CHECK(c.device.waiting_input() == 0);
  const auto counters = c.device.counters();
  CHECK(counters.input_bytes == 12);
  CHECK(counters.received_bytes == 12);
  CHECK(counters.dropped_input == 0);
}

TEST_CASE("virtio console: input fed before the driver is ready waits for buffers",
          "[virtio][console]") {
  Console c(kFeatureVersion1, false);
  c.device.feed("early ");
  CHECK(c.device.waiting_input() == 6);
  c.start();  // no buffers yet
  CHECK(c.rx_used() == 0);
  c.device.feed(std::string_view("bird"));
  CHECK(c.device.waiting_input() == 10);
  // Input waits: the driver is to kick when it adds a buffer.
  CHECK((c.bench.driver(kRx).used_flags() & kNoNotify) == 0);
  c.receive_buffer(4);
  c.device.notify(kRx);
  REQUIRE(c.rx_used() == 1);
  CHECK(c.received(0) == "earl");
  c.receive_buffer(64);
  c.device.notify(kRx);
  REQUIRE(c.rx_used() == 2);
  CHECK(c.received(1) == "y bird");
  CHECK(c.device.waiting_input() == 0);
}

TEST_CASE("virtio console: a full backlog drops the oldest input", "[virtio][console]") {
  constexpr size_t kBacklog = ConsoleDevice::kBacklogBytes;
  Console c;
  c.device.feed(numbered(0, kBacklog - 5));
  c.device.feed(numbered(kBacklog - 5, 15));  // 10 too many
  CHECK(c.device.waiting_input() == kBacklog);
  CHECK(c.device.counters().dropped_input == 10);
  // Input alone larger than the backlog: its newest part stays.
  c.device.feed(numbered(kBacklog + 10, kBacklog + 7));
  CHECK(c.device.waiting_input() == kBacklog);
  CHECK(c.device.counters().dropped_input == 10 + kBacklog + 7);
  CHECK(c.device.counters().input_bytes == 2 * kBacklog + 17);

  std::string got;
  for (int i = 0; i < 17; ++i) c.receive_buffer(4096);
  c.device.notify(kRx);
  REQUIRE(c.rx_used() == 16);
  for (uint16_t i = 0; i < 16; ++i) got += c.received(i);
  CHECK(got == numbered(kBacklog + 17, kBacklog));
  CHECK(c.device.waiting_input() == 0);
}

TEST_CASE("virtio console: hostile receive chains fail alone, the input waits on",
          "[virtio][console]") {
  Console c;
  c.bench.send(kRx, {ChainPart::writable(0)});                               // nothing writable
  c.bench.send(kRx, {ChainPart::readable("mine"), ChainPart::writable(8)});  // 5.3.6.1
  c.bench.driver(kRx).desc(30, DeviceBench::kBase + DeviceBench::kRamSize - 4, 8, kWrite);
  c.bench.driver(kRx).offer(30);  // past the end
  c.bench.driver(kRx).desc(31, 0xfffffffffffffff0, 0x20, kWrite);
  c.bench.driver(kRx).offer(31);  // wraps around
  c.device.feed("typed");
  REQUIRE(c.rx_used() == 4);
  for (uint16_t i = 0; i < 4; ++i) CHECK(c.bench.driver(kRx).used(i).len == 0);
  CHECK(c.bench.part(kRx, 1) == std::vector<uint8_t>(8, DeviceBench::kUnwritten));
  CHECK(c.bench.fake_ram().refused() == 0);
  CHECK(c.device.waiting_input() == 5);
  CHECK(c.device.counters().errors == 4);
  // A huge buffer gets what waits, nothing more.
  c.bench.send(kRx, {ChainPart::writable(kBigBuffer)});
  c.device.notify(kRx);
  REQUIRE(c.rx_used() == 5);
  CHECK(c.received(4) == "typed");
  CHECK(c.bench.part(kRx, 0)[5] == DeviceBench::kUnwritten);
  CHECK(c.bench.resets == 0);
}

TEST_CASE("virtio console: a broken queue asks for a reset once and stops both queues",
          "[virtio][console]") {
  Console c;
  c.receive_buffer(16);
  c.bench.driver(kTx).set_avail_idx(500);
  c.device.notify(kTx);
  CHECK(c.bench.resets == 1);
  CHECK_FALSE(c.device.last_error().empty());
  c.device.feed("lost?");  // waits: the receive queue is not used either
  c.device.notify(kTx);
  c.device.notify(kRx);
  CHECK(c.rx_used() == 0);
  CHECK(c.bench.resets == 1);
  CHECK(c.device.waiting_input() == 5);
}

TEST_CASE("virtio console: reset forgets the queues and keeps waiting input", "[virtio][console]") {
  Console c;
  c.device.feed("abc");
  c.device.reset();
  c.bench.fake_ram().record_writes(true);
  c.receive_buffer(16);
  c.device.feed("def");
  c.device.notify(kRx);
  c.device.notify(kTx);
  CHECK(c.bench.fake_ram().take_writes().empty());
  CHECK(c.rx_used() == 0);
  CHECK(c.device.waiting_input() == 6);

  // The driver's next start, on new queues with a buffer ready: the input goes out at once.
  DeviceBench next(2, kFeatureVersion1);
  next.send(kRx, {ChainPart::writable(16)});
  REQUIRE(c.device.activate(c.device.features(), next.queues(), next));
  REQUIRE(next.driver(kRx).used_idx() == 1);
  const auto bytes = next.used_bytes(kRx, 0);
  CHECK(std::string(bytes.begin(), bytes.end()) == "abcdef");
  CHECK(c.bench.fake_ram().take_writes().empty());
}

TEST_CASE("virtio console: receive notifications are wanted only while input waits",
          "[virtio][console]") {
  SECTION("without EVENT_IDX") {
    Console c;
    c.receive_buffer(4);
    c.device.notify(kRx);
    // Nothing waits: the driver adds buffers without kicking.
    CHECK((c.bench.driver(kRx).used_flags() & kNoNotify) != 0);
    c.device.feed("0123456789");
    REQUIRE(c.rx_used() == 1);
    // Input waits and no buffer is left: kicks wanted.
    CHECK((c.bench.driver(kRx).used_flags() & kNoNotify) == 0);
    c.receive_buffer(16);
    c.device.notify(kRx);
    REQUIRE(c.rx_used() == 2);
    CHECK(c.received(1) == "456789");
    CHECK((c.bench.driver(kRx).used_flags() & kNoNotify) != 0);
    // The driver asks for no interrupts: none.
    c.bench.driver(kRx).set_avail_flags(static_cast<uint16_t>(AvailFlag::kNoInterrupt));
    const int interrupts = c.bench.interrupts[kRx];
    c.receive_buffer(16);
    c.device.feed("quiet");
    REQUIRE(c.rx_used() == 3);
    CHECK(c.bench.interrupts[kRx] == interrupts);
  }
  SECTION("with EVENT_IDX") {
    Console c(kFeatureVersion1 | kEventIdx);
    c.receive_buffer(4);
    c.device.feed("abcd");
    REQUIRE(c.rx_used() == 1);
    // Nothing waits: avail_event is left behind, buffers come without kicks.
    c.receive_buffer(4);
    c.receive_buffer(4);
    CHECK(c.bench.driver(kRx).avail_event() == 0);
    c.device.feed("waiting!!");
    REQUIRE(c.rx_used() == 3);
    // Input waits with an empty ring: the next buffer's index is the one to notify.
    CHECK(c.bench.driver(kRx).avail_event() == 3);
    CHECK(c.bench.driver(kRx).avail_idx() == 3);
    c.receive_buffer(16);
    c.device.notify(kRx);
    REQUIRE(c.rx_used() == 4);
    CHECK(c.received(3) == "!");
  }
}

TEST_CASE("virtio console: input fed from another thread while the driver refills",
          "[virtio][console]") {
  Console c;
  constexpr uint16_t kBuffers = 8;
  constexpr uint32_t kBufferBytes = 16;
  constexpr size_t kTotal = 20000;  // less than the backlog: nothing may be dropped
  constexpr size_t kPiece = 7;
  TestDriver& driver = c.bench.driver(kRx);
  const uint64_t area = c.bench.allocate(kBuffers * kBufferBytes);
  for (uint16_t i = 0; i < kBuffers; ++i) {
    driver.desc(i, area + i * kBufferBytes, kBufferBytes, kWrite);
    driver.offer(i);
  }
  c.device.notify(kRx);

  std::thread feeder([&] {
    for (size_t done = 0; done < kTotal; done += kPiece) {
      c.device.feed(numbered(done, std::min(kPiece, kTotal - done)));
      if (done % (kPiece * 16) == 0) std::this_thread::yield();
    }
  });
  // The driver: takes each used buffer, hands it back, and kicks as virtio_ring.c does (only
  // when the device asks for kicks, read after a full barrier).
  std::string got;
  uint16_t seen = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (got.size() < kTotal && std::chrono::steady_clock::now() < deadline) {
    const uint16_t used = driver.used_idx();
    if (used == seen) {
      std::this_thread::yield();
      continue;
    }
    for (; seen != used; ++seen) {
      const auto elem = driver.used(seen);
      const auto bytes = c.bench.bytes(area + elem.id * kBufferBytes, elem.len);
      got.append(bytes.begin(), bytes.end());
      driver.offer(static_cast<uint16_t>(elem.id));
    }
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if ((driver.used_flags() & kNoNotify) == 0) c.device.notify(kRx);
  }
  feeder.join();
  CHECK(got == numbered(0, kTotal));
  CHECK(c.device.counters().dropped_input == 0);
  CHECK(c.device.counters().errors == 0);
}

TEST_CASE("virtio-console: the viewer's terminal size, announced to a driver that asked for it",
          "[virtio][console]") {
  const auto size_of = [](const ConsoleDevice& d) {
    uint8_t bytes[4] = {};
    d.read_config(0, bytes);
    return std::pair<int, int>{bytes[0] | bytes[1] << 8, bytes[2] | bytes[3] << 8};
  };
  Console c(kFeatureVersion1, false);
  CHECK((c.device.features() & console_feature_mask(ConsoleFeatureBit::kSize)) != 0);
  CHECK(size_of(c.device) == std::pair{0, 0});  // unknown until a viewer says
  c.device.set_size(80, 24);                    // before the driver: kept, nothing sent
  CHECK(size_of(c.device) == std::pair{80, 24});
  CHECK(c.bench.config_changes == 0);

  SECTION("negotiated: each change is a configuration change notification") {
    c.start();
    c.device.set_size(300, 1000);
    CHECK(size_of(c.device) == std::pair{300, 1000});
    CHECK(c.bench.config_changes == 1);
    c.device.set_size(300, 1000);  // the same size again is no change
    CHECK(c.bench.config_changes == 1);
    // The rest of the space stays zero (no multiport, no emergency write).
    uint8_t rest[8] = {0xff};
    c.device.read_config(4, rest);
    CHECK(std::all_of(std::begin(rest), std::end(rest), [](uint8_t b) { return b == 0; }));
    c.device.reset();  // a reset keeps the size: it is the viewer's, not the driver's
    c.device.set_size(100, 30);
    CHECK(c.bench.config_changes == 1);
    CHECK(size_of(c.device) == std::pair{100, 30});
  }
  SECTION("not negotiated: the size is kept and nothing is sent") {
    REQUIRE(c.device.activate(kFeatureVersion1, c.bench.queues(), c.bench));
    c.device.set_size(100, 30);
    CHECK(c.bench.config_changes == 0);
  }
}
