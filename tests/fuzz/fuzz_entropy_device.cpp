// Fuzzes virtio-rng (vmm/virtio/entropy_device.*; virtio 1.2, 5.4) over a split queue in RAM
// the input builds, with a hostile driver (hostile_driver.hpp) rewriting that RAM between the
// device's steps: kicks, resets followed by a new activation, and a source that fails.
//
// Input (little-endian):
//   byte 0       bit 0 VIRTIO_F_INDIRECT_DESC, bit 1 VIRTIO_F_EVENT_IDX, bits 4:2 log2 of the
//                queue size (1 to 64)
//   bytes 1-2    the length of the steps that follow
//   then the steps: an opcode byte (modulo the count), the driver's kDesc, kOffer, kAvailIdx,
//   kPoke (hostile_driver.hpp) or
//     kKick      u8 queue: notify(queue)
//     kReset     reset(), then activate() on fresh queues over the same rings
//     kSource    the entropy source fails from now on, or works again
//   then the data area's contents, up to the input's end
//
// Checked at each access the device makes (chain_oracle.hpp): none before activation, after
// reset() or after it asked for a reset; writes only into the writable buffers of the chains it
// took, within their lengths; each chain returned at most once, its used length the bytes
// written and at most its writable bytes. After every step: guest RAM refused nothing; unless the
// device asked for a reset, every chain it took is back; what it wrote is the source's bytes in
// order, all it asked for (the writable bytes up to kMaxBytesPerRequest) or nothing, and nothing
// into a chain with a readable buffer or while the source fails; the counters add up.
#include <stddef.h>
#include <stdint.h>

#include <algorithm>
#include <span>

#include "tests/fuzz/chain_oracle.hpp"
#include "tests/fuzz/device_run.hpp"
#include "tests/fuzz/fuzz_input.hpp"
#include "tests/fuzz/hostile_driver.hpp"
#include "vmm/virtio/entropy_device.hpp"

using namespace rootstock::vmm::virtio;
using namespace rootstock::fuzz;

namespace {

enum Step : uint8_t {
  kKick = HostileDriver::kSteps,
  kReset,
  kSource,
  kStepCount,
};

constexpr unsigned kMaxSteps = 256;

/// The device's source: the bytes of a counter, so that what reaches the child shows whether it
/// came from here, whole and in order.
struct Source {
  bool failing = false;
  uint8_t next = 0;

  bool fill(std::span<uint8_t> out) {
    if (failing) return false;
    for (uint8_t& b : out) b = next++;
    return true;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  DeviceRun run(data, size, 1, 6);
  Source source;
  EntropyDevice device([&source](std::span<uint8_t> out) { return source.fill(out); });
  run.activate(device);

  uint64_t returned_bytes = 0;
  uint64_t returned_chains = 0;
  uint8_t delivered = 0;  // the counter's value after the last byte that reached the child
  Input& steps = run.steps();
  for (unsigned i = 0; i < kMaxSteps && !steps.done(); ++i) {
    const uint8_t op = steps.take<uint8_t>() % kStepCount;
    switch (op) {
      case kKick:
        device.notify(steps.take<uint8_t>());
        break;
      case kReset:
        run.restart(device);
        break;
      case kSource:
        source.failing = !source.failing;
        break;
      default:
        run.driver_step(op);
        break;
    }
    for (const TakenChain& c : run.end_step()) {
      ++returned_chains;
      returned_bytes += c.used_length;
      if (c.used_length == 0) continue;
      check(!source.failing && c.readable.empty());
      check(c.used_length ==
            std::min<uint64_t>(c.writable_bytes, EntropyDevice::kMaxBytesPerRequest));
      for (const uint8_t b : c.written) check(b == delivered++);
    }
    if (!run.link().stopped()) check(delivered == source.next);
    const EntropyCounters& counters = device.counters();
    check(counters.bytes == returned_bytes);
    check(counters.requests >= returned_chains);
  }
  device.reset();
  return 0;
}
