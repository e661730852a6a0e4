// Fuzzes virtio-console (vmm/virtio/console_device.*, byte_backlog.*; virtio 1.2, 5.3) over its
// two split queues in RAM the input builds, with a hostile driver (hostile_driver.hpp) rewriting
// that RAM between the device's steps: kicks of either queue, the owner's input fed in small
// and large pieces (past the backlog), resets followed by a new activation.
//
// Input (little-endian):
//   byte 0       bit 0 VIRTIO_F_INDIRECT_DESC, bit 1 VIRTIO_F_EVENT_IDX, bits 4:2 log2 of the
//                queues' size (1 to 128)
//   bytes 1-2    the length of the steps that follow
//   then the steps: an opcode byte (modulo the count), the driver's kDesc, kOffer, kAvailIdx,
//   kPoke (hostile_driver.hpp; queue 0 is receiveq0, 1 transmitq0) or
//     kKick      u8 queue: notify(queue)
//     kFeed      u8 n: feed() n + 1 bytes of input
//     kFeedBulk  u16 n: feed() 2 n bytes of input (at most kMaxFed in all)
//     kReset     reset(), then activate() on fresh queues over the same rings
//   then the data area's contents, up to the input's end
//
// Checked at each access the device makes (chain_oracle.hpp): none before activation, after
// reset() or after it asked for a reset; writes only into the writable buffers of the chains it
// took, within their lengths; each chain returned at most once, its used length the bytes
// written and at most its writable bytes. The output is the transmit chain's readable bytes,
// in order, all of them up to kMaxOutputPerChain or none. After every step: guest RAM refused
// nothing; unless the device asked for a reset, every chain it took is back; what reached the
// receive buffers is the input in order less the oldest bytes dropped past kBacklogBytes (a
// model of the backlog), none into a chain with a readable buffer, and what waits is the rest;
// after a step that looked for receive buffers (without VIRTIO_F_EVENT_IDX), the device asks for
// receiveq0's notifications exactly when input waits (2.7.10); the counters add up.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <span>
#include <vector>

#include "tests/fuzz/chain_oracle.hpp"
#include "tests/fuzz/device_run.hpp"
#include "tests/fuzz/fuzz_input.hpp"
#include "tests/fuzz/hostile_driver.hpp"
#include "vmm/virtio/console_device.hpp"
#include "vmm/virtio/split_ring.hpp"

using namespace rootstock::vmm::virtio;
using namespace rootstock::fuzz;

namespace {

enum Step : uint8_t {
  kKick = HostileDriver::kSteps,
  kFeed,
  kFeedBulk,
  kReset,
  kStepCount,
};

constexpr unsigned kMaxSteps = 256;
// Input fed per run, at most: four backlogs' worth reaches every way of overflowing it, and
// more would only make a run slow.
constexpr size_t kMaxFed = 4 * ConsoleDevice::kBacklogBytes;
constexpr uint16_t kReceive = static_cast<uint16_t>(ConsoleQueue::kReceive);
constexpr uint16_t kTransmit = static_cast<uint16_t>(ConsoleQueue::kTransmit);

/// The owner's input: the bytes of a counter modulo a prime, so that a byte lost, doubled or out
/// of order shows whatever the backlog's size; made once, handed out from the front.
class Typist {
 public:
  Typist() : pattern_(kMaxFed) {
    for (size_t i = 0; i < pattern_.size(); ++i) pattern_[i] = static_cast<uint8_t>(i % 251);
  }
  void restart() { next_ = 0; }
  /// The next `n` bytes typed (fewer once kMaxFed are).
  std::span<const uint8_t> type(size_t n) {
    const auto bytes = std::span(pattern_).subspan(next_, std::min(n, pattern_.size() - next_));
    next_ += bytes.size();
    return bytes;
  }
  /// Typed bytes [first, first + n).
  [[nodiscard]] std::span<const uint8_t> typed(uint64_t first, size_t n) const {
    return std::span(pattern_).subspan(first, n);
  }
  [[nodiscard]] uint64_t count() const { return next_; }

 private:
  std::vector<uint8_t> pattern_;
  size_t next_ = 0;
};

/// What the backlog must hold: the typed bytes not yet delivered, the oldest dropped past its
/// size; as the range of them [first, typist.count()).
struct BacklogModel {
  const Typist& typist;
  uint64_t first = 0;
  uint64_t dropped = 0;

  [[nodiscard]] uint64_t size() const { return typist.count() - first; }
  /// After typing: drop what no longer fits.
  void typed() {
    if (size() <= ConsoleDevice::kBacklogBytes) return;
    const uint64_t excess = size() - ConsoleDevice::kBacklogBytes;
    first += excess;
    dropped += excess;
  }
  /// The device delivered `delivered`: the oldest bytes held, in order.
  void deliver(std::span<const uint8_t> delivered) {
    check(delivered.size() <= size());
    const auto expected = typist.typed(first, delivered.size());
    check(delivered.empty() || memcmp(delivered.data(), expected.data(), delivered.size()) == 0);
    first += delivered.size();
  }
};

/// The console's output: the readable bytes of the transmit chain the device holds, in order.
void output(ChainOracle& oracle, std::span<const uint8_t> chunk) {
  auto& held = oracle.held();
  check(held.size() == 1 && held.front().queue == kTransmit);
  TakenChain& chain = held.front();
  const uint64_t limit =
      std::min<uint64_t>(chain.readable_bytes, ConsoleDevice::kMaxOutputPerChain);
  check(chunk.size() <= limit - chain.passed_on);
  check(chunk.empty() ||
        memcmp(chunk.data(), chain.readable_data.data() + chain.passed_on, chunk.size()) == 0);
  chain.passed_on += chunk.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  DeviceRun run(data, size, 2, 7);
  ChainOracle& oracle = run.oracle();
  ConsoleDevice device([&oracle](std::span<const uint8_t> chunk) { output(oracle, chunk); });
  run.activate(device);

  static Typist typist;
  typist.restart();
  BacklogModel model{typist};
  uint64_t received = 0;
  uint64_t emitted = 0;
  Input& steps = run.steps();
  for (unsigned i = 0; i < kMaxSteps && !steps.done(); ++i) {
    const uint8_t op = steps.take<uint8_t>() % kStepCount;
    bool looked = true;  // the device looked for receive buffers in this step
    switch (op) {
      case kKick: {
        const auto queue = steps.take<uint8_t>();
        looked = queue == kReceive;
        device.notify(queue);
        break;
      }
      case kFeed:
      case kFeedBulk: {
        const size_t n =
            op == kFeed ? steps.take<uint8_t>() + size_t{1} : 2 * size_t{steps.take<uint16_t>()};
        const auto input = typist.type(n);
        model.typed();
        device.feed(input);
        break;
      }
      case kReset:
        run.restart(device);
        break;
      default:
        looked = false;
        run.driver_step(op);
        break;
    }
    for (const TakenChain& c : run.end_step()) {
      if (c.queue == kReceive) {
        check(c.used_length == 0 || c.readable.empty());
        model.deliver(c.written);
        received += c.used_length;
      } else {
        check(c.used_length == 0);
        check(c.passed_on == 0 ||
              (c.writable.empty() &&
               c.passed_on ==
                   std::min<uint64_t>(c.readable_bytes, ConsoleDevice::kMaxOutputPerChain)));
        emitted += c.passed_on;
      }
    }
    check(device.waiting_input() == model.size());
    if (looked && !run.event_idx() && !run.link().stopped()) {
      const uint64_t flags = run.layout(kReceive).used + ring_layout::used_flags_offset();
      const auto no_notify = static_cast<uint16_t>(UsedFlag::kNoNotify);
      check(DeviceRun::ram().peek<uint16_t>(flags) == (model.size() == 0 ? no_notify : 0));
    }
    const ConsoleCounters counters = device.counters();
    check(counters.received_bytes == received);
    check(counters.output_bytes == emitted);
    check(counters.dropped_input == model.dropped);
  }
  device.reset();
  return 0;
}
