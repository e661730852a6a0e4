// The virtio-rng device (vmm/virtio/entropy_device.hpp, virtio 1.2 5.4) over fake guest RAM and
// a scripted driver: requests filled from a scripted source, a request's bound, chains that
// break the rules failing alone while the queue goes on, a failing source, a broken ring, reset,
// notification suppression both ways; and getrandom(2) as the production source.
#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <vector>

#include "tests/unit/vmm/virtio_device_bench.hpp"
#include "vmm/virtio/entropy_device.hpp"
#include "vmm/virtio/feature_bits.hpp"

using namespace rootstock::vmm::virtio;
using namespace rootstock::test;

namespace {

constexpr uint64_t kEventIdx = uint64_t{1} << static_cast<uint8_t>(FeatureBit::kEventIdx);

/// A source that fills with a counting pattern (byte n of all it ever gave is n % 251), or
/// fails when told to; it records the size of each call.
struct ScriptedSource {
  uint64_t given = 0;
  bool fail = false;
  std::vector<size_t> calls;

  EntropySource source() {
    return [this](std::span<uint8_t> out) {
      calls.push_back(out.size());
      if (fail) return false;
      for (uint8_t& b : out) b = static_cast<uint8_t>(given++ % 251);
      return true;
    };
  }
};

/// A device on a ScriptedSource, activated on a bench with `negotiated` features.
struct Rng {
  explicit Rng(uint64_t negotiated) : device(script.source()), bench(1, negotiated) {
    REQUIRE(device.activate(negotiated, bench.queues(), bench));
  }
  Rng() : Rng(EntropyDevice(nullptr).features()) {}

  /// Sends one chain, notifies, and returns its used length.
  uint32_t run(const std::vector<ChainPart>& parts) {
    const uint16_t idx = bench.driver(0).used_idx();
    const uint16_t head = bench.send(0, parts);
    device.notify(0);
    REQUIRE(bench.driver(0).used_idx() == static_cast<uint16_t>(idx + 1));
    CHECK(bench.driver(0).used(idx).id == head);
    return bench.driver(0).used(idx).len;
  }

  ScriptedSource script;
  EntropyDevice device;
  DeviceBench bench;
};

std::vector<uint8_t> pattern(uint64_t from, size_t n) {
  std::vector<uint8_t> bytes(n);
  for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<uint8_t>((from + i) % 251);
  return bytes;
}

}  // namespace

TEST_CASE("virtio entropy: type, features, one queue, no configuration space",
          "[virtio][entropy]") {
  EntropyDevice device(nullptr);
  CHECK(device.type() == DeviceType::kEntropy);
  CHECK(device.features() == (kFeatureVersion1 | feature_mask(FeatureBit::kIndirectDesc) |
                              feature_mask(FeatureBit::kEventIdx)));
  CHECK(device.queue_count() == 1);
  CHECK(device.max_queue_size(0) == EntropyDevice::kQueueSize);
  CHECK(device.max_queue_size(1) == 0);
  CHECK(device.config_size() == 0);
  uint8_t config[4] = {1, 2, 3, 4};
  device.read_config(0, config);
  CHECK(config[0] == 0);
  CHECK(config[3] == 0);
  const uint8_t junk[2] = {9, 9};
  device.write_config(0, junk);  // ignored
  // No queue: refused.
  DeviceBench bench(1, 0);
  std::vector<SplitVirtqueue*> none = {nullptr};
  CHECK_FALSE(device.activate(device.features(), none, bench));
  CHECK_FALSE(device.activate(device.features(), {}, bench));
}

TEST_CASE("virtio entropy: a request's writable buffers are filled, however split",
          "[virtio][entropy]") {
  Rng r;
  CHECK(r.run({ChainPart::writable(32)}) == 32);
  CHECK(r.bench.part(0, 0) == pattern(0, 32));
  CHECK(r.bench.interrupts[0] == 1);

  CHECK(r.run({ChainPart::writable(5), ChainPart::writable(0), ChainPart::writable(11)}) == 16);
  CHECK(r.bench.part(0, 0) == pattern(32, 5));
  CHECK(r.bench.part(0, 2) == pattern(37, 11));
  CHECK(r.script.calls == std::vector<size_t>{32, 16});
  CHECK(r.device.counters().requests == 2);
  CHECK(r.device.counters().bytes == 48);
  CHECK(r.device.counters().errors == 0);
  CHECK(r.device.last_error().empty());
}

TEST_CASE("virtio entropy: several requests in one kick are served in order", "[virtio][entropy]") {
  Rng r;
  for (int i = 0; i < 3; ++i) r.bench.send(0, {ChainPart::writable(8)}, false);
  r.bench.driver(0).publish_staged();
  r.device.notify(0);
  REQUIRE(r.bench.driver(0).used_idx() == 3);
  for (uint16_t i = 0; i < 3; ++i) CHECK(r.bench.driver(0).used(i).len == 8);
  CHECK(r.device.counters().bytes == 24);
}

TEST_CASE("virtio entropy: a request gets at most kMaxBytesPerRequest", "[virtio][entropy]") {
  Rng r;
  constexpr uint32_t kMax = EntropyDevice::kMaxBytesPerRequest;
  CHECK(r.run({ChainPart::writable(kMax - 1), ChainPart::writable(kMax)}) == kMax);
  CHECK(r.script.calls == std::vector<size_t>{kMax});
  CHECK(r.bench.part(0, 0) == pattern(0, kMax - 1));
  auto second = r.bench.part(0, 1);
  CHECK(second[0] == pattern(kMax - 1, 1)[0]);
  CHECK(second[1] == DeviceBench::kUnwritten);
  CHECK(second.back() == DeviceBench::kUnwritten);

  // A chain of every descriptor of the queue, each naming the same 3 MiB of RAM: 192 MiB asked,
  // 64 KiB given, one call to the source.
  const uint64_t big = r.bench.allocate(3 * 1024 * 1024);
  for (uint16_t i = 0; i < DeviceBench::kQueueSize; ++i) {
    const bool last = i + 1 == DeviceBench::kQueueSize;
    r.bench.driver(0).desc(i, big, 3 * 1024 * 1024, last ? kWrite : kWriteNext,
                           static_cast<uint16_t>(i + 1));
  }
  const uint16_t idx = r.bench.driver(0).used_idx();
  r.bench.driver(0).offer(0);
  r.device.notify(0);
  REQUIRE(r.bench.driver(0).used_idx() == static_cast<uint16_t>(idx + 1));
  CHECK(r.bench.driver(0).used(idx).len == kMax);
  CHECK(r.script.calls.back() == kMax);
  CHECK(r.device.counters().bytes == 2 * uint64_t{kMax});
}

TEST_CASE("virtio entropy: chains that break the rules fail alone", "[virtio][entropy]") {
  Rng r;
  auto& ram = r.bench.fake_ram();
  // Device-readable buffers (5.4.6.1): nothing written, not even into the writable part.
  CHECK(r.run({ChainPart::readable("please")}) == 0);
  CHECK(r.run({ChainPart::readable("x"), ChainPart::writable(16)}) == 0);
  CHECK(r.bench.part(0, 1) == std::vector<uint8_t>(16, DeviceBench::kUnwritten));
  // Only zero-length buffers: no writable byte at all.
  CHECK(r.run({ChainPart::writable(0)}) == 0);
  // A buffer outside guest RAM, and one whose huge length runs past its end: the queue refuses
  // them before anything is read or written there.
  const uint16_t idx = r.bench.driver(0).used_idx();
  r.bench.driver(0).desc(10, DeviceBench::kBase + DeviceBench::kRamSize, 16, kWrite);
  r.bench.driver(0).offer(10);
  r.bench.driver(0).desc(11, DeviceBench::kDataStart, 0xffffffff, kWrite);
  r.bench.driver(0).offer(11);
  r.bench.driver(0).desc(12, 0xfffffffffffff000, 0x2000, kWrite);
  r.bench.driver(0).offer(12);
  r.device.notify(0);
  REQUIRE(r.bench.driver(0).used_idx() == static_cast<uint16_t>(idx + 3));
  for (uint16_t i = 0; i < 3; ++i) CHECK(r.bench.driver(0).used(idx + i).len == 0);
  CHECK(ram.refused() == 0);
  // The queue goes on.
  CHECK(r.run({ChainPart::writable(4)}) == 4);
  CHECK(r.bench.resets == 0);
  CHECK(r.device.counters().requests == 7);
  CHECK(r.device.counters().errors == 6);
  CHECK(r.device.counters().bytes == 4);
  CHECK_FALSE(r.device.last_error().empty());
  CHECK(r.script.calls == std::vector<size_t>{4});
}

TEST_CASE("virtio entropy: a failing source answers with nothing written", "[virtio][entropy]") {
  Rng r;
  r.script.fail = true;
  CHECK(r.run({ChainPart::writable(16)}) == 0);
  CHECK(r.bench.part(0, 0) == std::vector<uint8_t>(16, DeviceBench::kUnwritten));
  CHECK(r.device.last_error() == "the entropy source failed");
  CHECK(r.device.counters().errors == 1);
  r.script.fail = false;
  CHECK(r.run({ChainPart::writable(16)}) == 16);
}

TEST_CASE("virtio entropy: a broken ring asks for a reset once; reset forgets the queue",
          "[virtio][entropy]") {
  Rng r;
  r.bench.driver(0).set_avail_idx(200);  // more than the queue size ahead
  r.device.notify(0);
  CHECK(r.bench.resets == 1);
  CHECK_FALSE(r.device.last_error().empty());
  r.device.notify(0);  // the device does nothing more until reset
  CHECK(r.bench.resets == 1);
  r.device.reset();
  r.device.notify(0);
  CHECK(r.bench.resets == 1);

  // After a reset and a new start on a fresh queue it serves again; the old queue is untouched.
  Rng fresh;
  fresh.bench.send(0, {ChainPart::writable(8)});
  r.device.reset();
  REQUIRE(r.device.activate(r.device.features(), fresh.bench.queues(), fresh.bench));
  r.bench.fake_ram().record_writes(true);
  r.device.notify(0);
  CHECK(r.bench.fake_ram().take_writes().empty());
  CHECK(fresh.bench.driver(0).used_idx() == 1);
  CHECK(fresh.bench.driver(0).used(0).len == 8);
}

TEST_CASE("virtio entropy: notification suppression, both directions", "[virtio][entropy]") {
  SECTION("without EVENT_IDX") {
    Rng r(kFeatureVersion1);
    r.bench.driver(0).set_avail_flags(static_cast<uint16_t>(AvailFlag::kNoInterrupt));
    CHECK(r.run({ChainPart::writable(8)}) == 8);
    CHECK(r.bench.interrupts[0] == 0);
    // Kicks are wanted again once the ring is polled empty.
    CHECK(r.bench.driver(0).used_flags() == 0);
    r.bench.driver(0).set_avail_flags(0);
    CHECK(r.run({ChainPart::writable(8)}) == 8);
    CHECK(r.bench.interrupts[0] == 1);
  }
  SECTION("with EVENT_IDX") {
    Rng r(kFeatureVersion1 | kEventIdx);
    r.bench.driver(0).set_used_event(5);  // an interrupt when used->idx passes 5
    for (int i = 0; i < 5; ++i) r.run({ChainPart::writable(1)});
    CHECK(r.bench.interrupts[0] == 0);
    r.run({ChainPart::writable(1)});
    CHECK(r.bench.interrupts[0] == 1);
    // The next buffer after the last one taken is to be notified.
    CHECK(r.bench.driver(0).avail_event() == r.bench.driver(0).avail_idx());
  }
}

TEST_CASE("virtio entropy: getrandom(2) fills large and small spans", "[virtio][entropy]") {
  EntropySource source = system_entropy();
  std::vector<uint8_t> a(EntropyDevice::kMaxBytesPerRequest, 0);
  std::vector<uint8_t> b(EntropyDevice::kMaxBytesPerRequest, 0);
  REQUIRE(source(a));
  REQUIRE(source(b));
  CHECK(a != b);
  // 64 KiB of zeros from a working CSPRNG has probability 2^-524288.
  CHECK(std::count(a.begin(), a.end(), uint8_t{0}) < static_cast<long>(a.size()));
  std::vector<uint8_t> none;
  CHECK(source(none));
}
