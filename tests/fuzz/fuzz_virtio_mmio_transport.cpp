// Fuzzes virtio-mmio (vmm/virtio/mmio_transport.*; virtio 1.2, 4.2) as a child's driver reaches
// it: loads and stores of any size at any offset of its register window (4.2.2 Table 4.1) and
// past it, with a device model behind the transport (transport_fuzz.hpp), its level-triggered
// interrupt line, and the child's RAM from the input for its queues.
//
// Input (little-endian):
//   byte 0       bits 1:0 the device model (DeviceKind: entropy, console, plain, plain refusing)
//   bytes 1-2    the length of the steps that follow
//   then the steps: an opcode byte (modulo the count) and its operands:
//     kAccess     u8 access, u16 offset (modulo 0x1100: the window and past it), u64 value
//     kRegister   u8 store, u8 register (one of Table 4.1's, modulo their count), u32 value: the
//                 32-bit access a driver makes
//     kRam        u16 offset, u16 value: the driver writes its RAM
//     kFeed       u8 n: n + 1 bytes of the owner's input to a console
//     kStart      u64 features (0: all offered): a driver's initialisation (3.1.1, 4.2.3), every
//                 queue (of 16 entries at most) in RAM, DRIVER_OK
//   access: bit 0 a store, bits 2:1 the size (1, 2, 4, 8)
//   then the RAM's contents (64 KiB at guest-physical 0), up to the input's end
//
// Checked after every access: guest RAM refused nothing, and the device touched it only between
// its activation at DRIVER_OK and its reset or reset request (transport_fuzz.hpp); the status
// rules (StatusOracle, against the features the driver accepted as its stores say: DriverFeatures
// is write-only); kicks reach only an active device; the line is high exactly while
// InterruptStatus has a bit, and it has no others than 4.2.2's two. Loads give what Table 4.1
// says: the magic value, version 2, the device ID, the vendor ID, the offered features by
// DeviceFeaturesSel, QueueNumMax 0 for a queue that does not exist, all ones for the shared
// memory registers, and 0 for the write-only registers, the offsets it does not list, any access
// not 32-bit and aligned below 0x100, the configuration space past the device's, and anything
// past the window.
#include <stddef.h>
#include <stdint.h>

#include <algorithm>
#include <array>
#include <memory>
#include <utility>

#include "tests/fuzz/fuzz_input.hpp"
#include "tests/fuzz/transport_fuzz.hpp"
#include "tests/unit/vmm/fake_guest_ram.hpp"
#include "vmm/interrupt_line.hpp"
#include "vmm/virtio/mmio_transport.hpp"

using namespace rootstock::vmm;
using namespace rootstock::vmm::virtio;
using namespace rootstock::fuzz;
using mmio::Reg;
using rootstock::test::FakeGuestRam;

namespace {

enum Step : uint8_t {
  kAccess,
  kRegister,
  kRam,
  kFeed,
  kStart,
  kStepCount,
};

constexpr unsigned kMaxSteps = 256;
constexpr uint64_t kRamBytes = 0x10000;
constexpr uint64_t kBase = 0xd0000000;
constexpr uint32_t kGsi = 5;
constexpr uint64_t kConfig = static_cast<uint64_t>(Reg::kConfig);

/// Table 4.1's registers, for kRegister.
constexpr std::array kRegisters = {
    Reg::kMagicValue,      Reg::kVersion,           Reg::kDeviceId,       Reg::kVendorId,
    Reg::kDeviceFeatures,  Reg::kDeviceFeaturesSel, Reg::kDriverFeatures, Reg::kDriverFeaturesSel,
    Reg::kQueueSel,        Reg::kQueueNumMax,       Reg::kQueueNum,       Reg::kQueueReady,
    Reg::kQueueNotify,     Reg::kInterruptStatus,   Reg::kInterruptAck,   Reg::kStatus,
    Reg::kQueueDescLow,    Reg::kQueueDescHigh,     Reg::kQueueDriverLow, Reg::kQueueDriverHigh,
    Reg::kQueueDeviceLow,  Reg::kQueueDeviceHigh,   Reg::kShmSel,         Reg::kShmLenLow,
    Reg::kShmLenHigh,      Reg::kShmBaseLow,        Reg::kShmBaseHigh,    Reg::kQueueReset,
    Reg::kConfigGeneration};

/// The line's level as the interrupt controller sees it; an edge is a finding.
struct Sink final : InterruptSink {
  bool asserted = false;
  Result<void> edge(uint32_t) override {
    check(false);
    return {};
  }
  Result<void> level(uint32_t gsi, bool on) override {
    check(gsi == kGsi);
    asserted = on;
    return {};
  }
};

class Bench {
 public:
  Bench(FakeGuestRam& ram, DeviceKind kind)
      : ram_(ram),
        owned_(std::make_unique<WatchedDevice>(kind, gated_)),
        device_(owned_.get()),
        offered_(owned_->carried()),
        oracle_(offered_),
        transport_(std::make_unique<MmioTransport>(kBase, std::move(owned_), gated_, line_)) {}

  void step(Input& in) {
    const auto op = static_cast<uint8_t>(in.take<uint8_t>() % kStepCount);
    switch (op) {
      case kAccess: {
        const Access a = Access::from(in.take<uint8_t>(), false);
        const auto offset = in.take<uint16_t>() % (mmio::kWindowSize + 0x100);
        access(a, offset, in.take<uint64_t>());
        break;
      }
      case kRegister: {
        const bool store = (in.take<uint8_t>() & 1) != 0;
        const Reg reg = kRegisters[in.take<uint8_t>() % kRegisters.size()];
        access({store, 4}, static_cast<uint64_t>(reg), in.take<uint32_t>());
        break;
      }
      case kRam:
      case kFeed:
        if (side_step(op - kRam, ram_, *device_, in)) after();
        break;
      case kStart:
        start(in.take<uint64_t>());
        break;
    }
  }

 private:
  uint64_t access(Access a, uint64_t offset, uint64_t value) {
    const uint8_t status = transport_->status();
    uint64_t got = 0;
    if (a.store) {
      (void)transport_->write(kBase + offset, a.size, value);
      if (a.size == 4 && offset % 4 == 0) shadow(static_cast<Reg>(offset), status, value);
    } else {
      got = transport_->read(kBase + offset, a.size);
      check_read(a, offset, got);
    }
    after();
    return got;
  }
  uint32_t load(Reg reg) { return static_cast<uint32_t>(access({false, 4}, offset(reg), 0)); }
  void store(Reg reg, uint32_t value) { access({true, 4}, offset(reg), value); }
  static uint64_t offset(Reg reg) { return static_cast<uint64_t>(reg); }

  /// The registers the driver writes and cannot read back, as the transport keeps them.
  void shadow(Reg reg, uint8_t status, uint64_t value) {
    const auto v32 = static_cast<uint32_t>(value);
    switch (reg) {
      case Reg::kDeviceFeaturesSel:
        device_select_ = v32;
        break;
      case Reg::kDriverFeaturesSel:
        driver_select_ = v32;
        break;
      case Reg::kQueueSel:
        queue_select_ = v32;
        break;
      case Reg::kDriverFeatures:
        // 3.1.1 step 5: settled once FEATURES_OK is set; bits past 63 do not exist.
        if ((status & status_bit(Status::kFeaturesOk)) == 0 && driver_select_ < 2) {
          accepted_ = replace_half(accepted_, driver_select_, v32);
        }
        break;
      default:
        break;
    }
  }

  void check_read(Access a, uint64_t offset, uint64_t value) {
    if (offset >= mmio::kWindowSize) {
      check(value == 0);
      return;
    }
    if (offset >= kConfig) {
      if (offset - kConfig >= device_->config_size()) check(value == 0);
      return;
    }
    if (a.size != 4 || offset % 4 != 0) {
      check(value == 0);
      return;
    }
    switch (static_cast<Reg>(offset)) {
      case Reg::kMagicValue:
        check(value == mmio::kMagic);
        break;
      case Reg::kVersion:
        check(value == mmio::kVersion);
        break;
      case Reg::kDeviceId:
        check(value == static_cast<uint32_t>(device_->type()));
        break;
      case Reg::kVendorId:
        check(value == mmio::kVendorId);
        break;
      case Reg::kDeviceFeatures:
        check(value == (device_select_ < 2 ? (offered_ >> (32 * device_select_)) & 0xffffffff : 0));
        break;
      case Reg::kQueueNumMax:
        if (queue_select_ >= device_->queue_count()) check(value == 0);
        break;
      case Reg::kQueueReady:
      case Reg::kStatus:
      case Reg::kConfigGeneration:
        break;
      case Reg::kInterruptStatus:
        check((value & ~uint64_t{3}) == 0);
        break;
      case Reg::kShmLenLow:
      case Reg::kShmLenHigh:
      case Reg::kShmBaseLow:
      case Reg::kShmBaseHigh:
        check(value == 0xffffffff);
        break;
      default:
        check(value == 0);  // write-only, QueueReset, or not in Table 4.1
        break;
    }
  }

  void after() {
    check(ram_.refused() == 0);
    if (device_->resets != resets_) {  // 4.2.2.1: a reset puts the selectors back as well
      resets_ = device_->resets;
      device_select_ = driver_select_ = queue_select_ = 0;
      accepted_ = 0;
    }
    oracle_.after(transport_->status(), accepted_, *device_);
    // 4.2.3.4: the interrupt is a level, high while InterruptStatus is not 0.
    const uint64_t pending = transport_->read(kBase + offset(Reg::kInterruptStatus), 4);
    check(line_.level() == (pending != 0) && sink_.asserted == line_.level());
  }

  /// A well-behaved driver's initialisation (3.1.1, 4.2.3.1, 4.2.3.2).
  void start(uint64_t features) {
    store(Reg::kStatus, 0);
    if (load(Reg::kMagicValue) != mmio::kMagic || load(Reg::kVersion) != mmio::kVersion) return;
    store(Reg::kStatus, 1);
    store(Reg::kStatus, 3);
    if (features == 0) features = offered_;
    store(Reg::kDriverFeaturesSel, 0);
    store(Reg::kDriverFeatures, static_cast<uint32_t>(features));
    store(Reg::kDriverFeaturesSel, 1);
    store(Reg::kDriverFeatures, static_cast<uint32_t>(features >> 32));
    store(Reg::kStatus, 0xb);
    for (uint16_t q = 0; q < device_->queue_count(); ++q) {
      const uint64_t base = 0x1000 * uint64_t{q};
      store(Reg::kQueueSel, q);
      const uint32_t largest = load(Reg::kQueueNumMax);
      if (largest == 0 || load(Reg::kQueueReady) != 0) continue;
      store(Reg::kQueueNum, std::min<uint32_t>(largest, 16));
      store(Reg::kQueueDescLow, static_cast<uint32_t>(base));
      store(Reg::kQueueDescHigh, 0);
      store(Reg::kQueueDriverLow, static_cast<uint32_t>(base + 0x400));
      store(Reg::kQueueDriverHigh, 0);
      store(Reg::kQueueDeviceLow, static_cast<uint32_t>(base + 0x800));
      store(Reg::kQueueDeviceHigh, 0);
      store(Reg::kQueueReady, 1);
    }
    store(Reg::kStatus, 0xf);
  }

  FakeGuestRam& ram_;
  GatedRam gated_{ram_};
  Sink sink_;
  InterruptLine line_{kGsi, Trigger::kLevel, sink_};
  std::unique_ptr<WatchedDevice> owned_;  // until the transport takes it
  WatchedDevice* device_;
  uint64_t offered_;
  StatusOracle oracle_;
  std::unique_ptr<MmioTransport> transport_;
  uint32_t device_select_ = 0;
  uint32_t driver_select_ = 0;
  uint32_t queue_select_ = 0;
  uint64_t accepted_ = 0;
  uint64_t resets_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static FakeGuestRam ram(0, kRamBytes);
  Input in{data, data + size};
  TransportInput input = TransportInput::read(in, ram);
  Bench bench(ram, input.kind);
  for (unsigned i = 0; i < kMaxSteps && !input.steps.done(); ++i) bench.step(input.steps);
  return 0;
}
