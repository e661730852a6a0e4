// Fuzzes virtio-pci (vmm/virtio/pci_transport.*; vmm/pci/: the bus, the configuration header,
// MSI-X; virtio 1.2, 4.1) as a child's driver reaches it: configuration mechanism #1 at CF8h and
// CFCh-CFFh, loads and stores in the PCI window where BAR 0 decodes (or does not), the PCI
// configuration access capability's window, with a device model behind the transport
// (transport_fuzz.hpp) and the child's RAM from the input for its queues.
//
// Input (little-endian):
//   byte 0       bits 1:0 the device model (DeviceKind: entropy, console, plain, plain refusing)
//   bytes 1-2    the length of the steps that follow
//   then the steps: an opcode byte (modulo the count) and its operands:
//     kPort       u8 access, u8 port (CF8h + n % 8), u32 value
//     kConfig     u8 access, u8 register, u8 function (bits 4:0 the device: 1 ours, 0 the host
//                 bridge; bit 5 bus 1, bit 6 function 1, bit 7 Enable clear), u32 value:
//                 CONFIG_ADDRESS, then the access at CONFIG_DATA + the register's low bits
//     kBar        u8 access, u16 offset, u64 value: at BAR 0's address as programmed + offset
//     kWindow     u8 access, u32 offset (modulo its size) into the PCI window, u64 value
//     kCfgWindow  u8 access, u8 bar, u32 offset, u8 length: the PCI configuration access
//                 capability's fields written, then an access of its pci_cfg_data (4.1.4.9)
//     kRam        u16 offset, u16 value: the driver writes its RAM
//     kFeed       u8 n: n + 1 bytes of the owner's input to a console
//     kStart      u64 features (0: all offered): a driver's initialisation (3.1.1) through the
//                 BAR: memory decoding on, negotiation, MSI-X vectors, every queue (of 16 entries
//                 at most) in RAM, DRIVER_OK
//   access: bit 0 a store, bits 2:1 the size (1, 2, 4, 8; ports 4 for 8)
//   then the RAM's contents (64 KiB at guest-physical 0), up to the input's end
//
// Checked after every access: guest RAM refused nothing, and the device touched it only between
// its activation at DRIVER_OK and its reset or reset request (transport_fuzz.hpp); the status
// rules (StatusOracle: bits only added until a reset of everything, FEATURES_OK only for offered
// features with VERSION_1 and settling them, DRIVER_OK after it, activation once and at
// DRIVER_OK with the accepted features, DEVICE_NEEDS_RESET sticky and set when the device
// refused or asked); kicks reach only an active device. Reads of reserved places return 0: the
// header's unused registers, BARs 1-5 and Interrupt Pin, the bytes past the capabilities and the
// capabilities' padding, BAR 0 outside its structures (the common configuration past its fields,
// the ISR's page past its byte, the device configuration past its size, the notification page,
// the MSI-X table and PBA past their ends), and the configuration window when its fields are
// unusable; functions that do not exist and the window where BAR 0 does not decode read all ones.
// Reading the ISR clears it. An MSI-X message goes out only with MSI-X enabled and the function
// unmasked, and is what an unmasked vector of the table holds; INTx is never used.
#include <stddef.h>
#include <stdint.h>

#include <algorithm>
#include <array>
#include <memory>
#include <utility>
#include <vector>

#include "tests/fuzz/fuzz_input.hpp"
#include "tests/fuzz/transport_fuzz.hpp"
#include "tests/unit/vmm/fake_guest_ram.hpp"
#include "vmm/interrupt_line.hpp"
#include "vmm/pci/config_space.hpp"
#include "vmm/pci/msix.hpp"
#include "vmm/pci/pci_bus.hpp"
#include "vmm/virtio/pci_transport.hpp"

using namespace rootstock::vmm;
using namespace rootstock::vmm::virtio;
using namespace rootstock::fuzz;
using rootstock::test::FakeGuestRam;

namespace {

enum Step : uint8_t {
  kPort,
  kConfig,
  kBar,
  kWindow,
  kCfgWindow,
  kRam,
  kFeed,
  kStart,
  kStepCount,
};

constexpr unsigned kMaxSteps = 256;
constexpr uint64_t kRamBytes = 0x10000;
constexpr uint64_t kWindowBase = 0xc0000000;
constexpr uint64_t kWindowSize = 0x10000000;
constexpr uint8_t kOurDevice = 1;
constexpr uint32_t kEnable = pci::ConfigAddress::kEnable;
constexpr uint32_t kBarAddress = ~(vpci::kBarSize - 1) & ~pci::bar::kMemoryFlags;

/// MSI-X messages as they go out; INTx is a finding (the function has no pin).
struct Sink final : InterruptSink {
  std::vector<std::pair<uint32_t, uint32_t>> messages;
  Result<void> edge(uint32_t) override {
    check(false);
    return {};
  }
  Result<void> level(uint32_t, bool) override {
    check(false);
    return {};
  }
  Result<void> msi(uint32_t address, uint32_t data) override {
    messages.emplace_back(address, data);
    if ((address & 0xfff00000) != 0xfee00000) return fail("not the local APIC's");
    return {};
  }
};

class Bench {
 public:
  Bench(FakeGuestRam& ram, DeviceKind kind)
      : ram_(ram),
        owned_(std::make_unique<WatchedDevice>(kind, gated_)),
        device_(owned_.get()),
        oracle_(owned_->carried()) {
    auto bar = bus_.allocate_bar(vpci::kBarSize, "virtio-pci");
    check(bar.has_value());
    transport_ = std::make_unique<PciTransport>(std::move(owned_), gated_, sink_, *bar);
    auto slot = bus_.add(*transport_, "virtio-pci");
    check(slot.has_value() && *slot == kOurDevice);
    map_capabilities();
  }

  void step(Input& in) {
    const auto op = static_cast<uint8_t>(in.take<uint8_t>() % kStepCount);
    switch (op) {
      case kPort: {
        const Access a = Access::from(in.take<uint8_t>(), true);
        const auto port = static_cast<uint16_t>(pci::kConfigAddressPort + in.take<uint8_t>() % 8);
        port_access(a, port, in.take<uint32_t>());
        break;
      }
      case kConfig: {
        const Access a = Access::from(in.take<uint8_t>(), true);
        const auto reg = in.take<uint8_t>();
        const auto function = in.take<uint8_t>();
        const uint32_t address = ((function & 0x80) != 0 ? 0 : kEnable) |
                                 ((function & 0x20) != 0 ? 1u << 16 : 0) |
                                 ((function & 0x40) != 0 ? 1u << 8 : 0) |
                                 uint32_t{function & 0x1fu} << 11 | (reg & 0xfcu);
        config(a, address, reg, in.take<uint32_t>());
        break;
      }
      case kBar: {
        const Access a = Access::from(in.take<uint8_t>(), false);
        const uint64_t base =
            transport_->config_read(pci::offset(pci::Header::kBar0), 4) & ~pci::bar::kMemoryFlags;
        const auto offset = in.take<uint16_t>();
        window_access(a, base + offset, in.take<uint64_t>());
        break;
      }
      case kWindow: {
        const Access a = Access::from(in.take<uint8_t>(), false);
        const uint64_t gpa = kWindowBase + in.take<uint32_t>() % kWindowSize;
        window_access(a, gpa, in.take<uint64_t>());
        break;
      }
      case kCfgWindow: {
        const Access a = Access::from(in.take<uint8_t>(), true);
        const auto bar = in.take<uint8_t>();
        const auto offset = in.take<uint32_t>();
        const auto length = in.take<uint8_t>();
        ours({true, 1}, pci_cfg_cap_ + vpci::cap::kBar, bar);
        ours({true, 4}, pci_cfg_cap_ + vpci::cap::kOffset, offset);
        ours({true, 4}, pci_cfg_cap_ + vpci::cap::kLength, length);
        ours(a, pci_cfg_cap_ + vpci::cap::kPciCfgData, in.take<uint32_t>());
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
  // ---- Accesses, each followed by the checks ----

  uint32_t port_access(Access a, uint16_t port, uint32_t value) {
    uint32_t got = 0;
    if (a.store) {
      (void)bus_.config_ports().out(port, a.size, value);
    } else {
      got = bus_.config_ports().in(port, a.size);
      if (port >= pci::kConfigDataPort) {
        check_config_read(static_cast<uint8_t>(port - pci::kConfigDataPort), a.size, got);
      }
    }
    after();
    return got;
  }

  /// CONFIG_ADDRESS, then CONFIG_DATA.
  uint32_t config(Access a, uint32_t address, uint8_t reg, uint32_t value) {
    port_access({true, 4}, pci::kConfigAddressPort, address);
    return port_access(a, static_cast<uint16_t>(pci::kConfigDataPort + (reg & 3)), value);
  }
  /// Our function's register `reg`.
  uint32_t ours(Access a, unsigned reg, uint32_t value) {
    return config(a, kEnable | uint32_t{kOurDevice} << 11 | (reg & 0xfcu),
                  static_cast<uint8_t>(reg), value);
  }

  uint64_t window_access(Access a, uint64_t gpa, uint64_t value) {
    uint64_t got = 0;
    if (a.store) {
      (void)bus_.bar_window().write(gpa, a.size, value);
    } else {
      got = bus_.bar_window().read(gpa, a.size);
      const uint64_t base = decoding();
      if (base != 0 && gpa >= base && gpa - base < vpci::kBarSize) {
        check_bar_read(vpci::kBar, gpa - base, a.size, got);
      } else {
        check(got == all_ones(a.size));
      }
    }
    after();
    return got;
  }
  /// A store through BAR 0, wherever it decodes.
  void bar_store(uint64_t offset, uint8_t size, uint64_t value) {
    window_access({true, size}, decoding() + offset, value);
  }

  // ---- The checks ----

  /// Where BAR 0 decodes (PCI 3.0, 6.2.2, 6.2.5.1): Memory Space on, an address programmed that
  /// is neither 0 nor the sizing pattern; 0 where it does not.
  [[nodiscard]] uint64_t decoding() const {
    const uint32_t command = transport_->config_read(pci::offset(pci::Header::kCommand), 2);
    const uint32_t base =
        transport_->config_read(pci::offset(pci::Header::kBar0), 4) & ~pci::bar::kMemoryFlags;
    if ((command & pci::command::kMemorySpace) == 0 || base == kBarAddress) return 0;
    return base;
  }

  void check_config_read(uint8_t byte, uint8_t size, uint32_t value) {
    const pci::ConfigAddress address{bus_.config_ports().in(pci::kConfigAddressPort, 4)};
    const bool exists = address.enabled() && address.bus() == 0 && address.function() == 0 &&
                        address.device() <= kOurDevice;
    if (byte + size > 4 || !exists) {
      check(value == all_ones(size));
      return;
    }
    if (address.device() != kOurDevice) return;
    const unsigned reg = address.register_offset() + byte;
    if (reg == pci_cfg_cap_ + vpci::cap::kPciCfgData) {
      check_window_read(size, value);
      return;
    }
    for (unsigned i = 0; i < size; ++i) {
      if (reserved_[reg + i]) check(((value >> (8 * i)) & 0xff) == 0);
    }
  }

  /// A read of pci_cfg_data: the BAR access its fields select (4.1.4.9.1), or 0.
  void check_window_read(uint8_t size, uint32_t value) {
    const uint32_t bar = transport_->config_read(pci_cfg_cap_ + vpci::cap::kBar, 1);
    const uint32_t offset = transport_->config_read(pci_cfg_cap_ + vpci::cap::kOffset, 4);
    const uint32_t length = transport_->config_read(pci_cfg_cap_ + vpci::cap::kLength, 4);
    if (length != size || (length != 1 && length != 2 && length != 4) || offset % length != 0) {
      check(value == 0);
      return;
    }
    check_bar_read(bar, offset, size, value);
  }

  void check_bar_read(unsigned bar, uint64_t offset, uint8_t size, uint64_t value) {
    if (bar != vpci::kBar || offset >= vpci::kBarSize || reserved_bar(offset, size)) {
      check(value == 0);
    }
    if (bar == vpci::kBar && offset == vpci::kIsrOffset) isr_read_ = true;
  }

  /// Whether a load at BAR 0 `offset` finds nothing (pci_transport.hpp's layout).
  [[nodiscard]] bool reserved_bar(uint64_t offset, uint8_t size) const {
    const auto in = [&](uint64_t from, uint64_t to) { return offset >= from && offset < to; };
    const auto msix = [&](uint64_t start, uint64_t used) {
      return in(start, start + vpci::kRegionSize) &&
             (offset - start >= used || (size != 4 && size != 8) || offset % size != 0);
    };
    return in(static_cast<uint64_t>(vpci::Common::kQueueNotifyData), vpci::kIsrOffset) ||
           in(vpci::kIsrOffset + 1, vpci::kDeviceOffset) ||
           in(vpci::kDeviceOffset + config_size_, vpci::kNotifyOffset) ||
           in(vpci::kNotifyOffset, vpci::kMsixTableOffset) ||
           msix(vpci::kMsixTableOffset, table_bytes_) || msix(vpci::kMsixPbaOffset, 8) ||
           in(vpci::kMsixPbaOffset + vpci::kRegionSize, vpci::kBarSize);
  }

  /// The driver's accepted features, read back through the common configuration with the
  /// selector restored (4.1.4.3).
  [[nodiscard]] uint64_t accepted() {
    const auto select = static_cast<uint32_t>(vpci::Common::kDriverFeatureSelect);
    const auto feature = static_cast<uint32_t>(vpci::Common::kDriverFeature);
    const uint64_t was = transport_->bar_read(vpci::kBar, select, 4);
    transport_->bar_write(vpci::kBar, select, 4, 0);
    const uint64_t low = transport_->bar_read(vpci::kBar, feature, 4);
    transport_->bar_write(vpci::kBar, select, 4, 1);
    const uint64_t high = transport_->bar_read(vpci::kBar, feature, 4);
    transport_->bar_write(vpci::kBar, select, 4, was);
    return low | high << 32;
  }

  void after() {
    check(ram_.refused() == 0);
    if (isr_read_) {
      check(transport_->bar_read(vpci::kBar, vpci::kIsrOffset, 1) == 0);
      isr_read_ = false;
    }
    if (!sink_.messages.empty()) {
      const uint32_t control = transport_->config_read(msix_cap_ + pci::msix::kMessageControl, 2);
      check((control & pci::msix::kEnable) != 0 && (control & pci::msix::kFunctionMask) == 0);
      for (const auto& [address, data] : sink_.messages) check(in_table(address, data));
      sink_.messages.clear();
    }
    oracle_.after(transport_->status(), accepted(), *device_);
  }

  /// Whether an unmasked vector of the MSI-X table holds this message.
  [[nodiscard]] bool in_table(uint32_t address, uint32_t data) const {
    for (uint64_t entry = vpci::kMsixTableOffset; entry < vpci::kMsixTableOffset + table_bytes_;
         entry += pci::msix::kEntrySize) {
      const auto word = [&](uint64_t field) {
        return transport_->bar_read(vpci::kBar, entry + field, 4);
      };
      if (word(pci::msix::kMessageAddress) == address && word(pci::msix::kMessageData) == data &&
          word(pci::msix::kMessageUpperAddress) == 0 &&
          (word(pci::msix::kVectorControl) & pci::msix::kVectorMasked) == 0) {
        return true;
      }
    }
    return false;
  }

  /// The capabilities' places, and which configuration bytes are reserved (PCI 3.0, 6.1: they
  /// read 0): the header's unused registers, the capabilities' padding, what follows them.
  void map_capabilities() {
    using pci::Header;
    using pci::offset;
    const auto read = [&](unsigned at, uint8_t size) {
      return transport_->config_read(static_cast<uint16_t>(at), size);
    };
    const auto reserve = [&](unsigned from, unsigned to) {
      for (unsigned i = from; i < to; ++i) reserved_[i] = true;
    };
    reserve(offset(Header::kBist), offset(Header::kBar0));
    reserve(offset(Header::kBar0) + 4, offset(Header::kSubsystemVendorId));
    reserve(offset(Header::kExpansionRom), offset(Header::kInterruptLine));
    reserved_[offset(Header::kCapabilities)] = false;
    reserve(offset(Header::kInterruptPin), pci::kFirstCapability);
    unsigned end = pci::kFirstCapability;
    unsigned count = 0;
    for (unsigned at = read(offset(Header::kCapabilities), 1); at != 0; at = read(at + 1, 1)) {
      check(at >= pci::kFirstCapability && at < pci::kConfigSize && ++count < 48);
      if (read(at, 1) == static_cast<uint8_t>(pci::CapabilityId::kMsix)) {
        msix_cap_ = static_cast<uint16_t>(at);
        end = std::max(end, at + pci::msix::kCapabilityLength);
        continue;
      }
      const uint32_t length = read(at + vpci::cap::kCapLen, 1);
      end = std::max(end, at + length);
      reserve(at + vpci::cap::kId + 1, at + vpci::cap::kOffset);  // padding[2]
      if (read(at + vpci::cap::kCfgType, 1) == static_cast<uint8_t>(vpci::CfgType::kPciCfg)) {
        pci_cfg_cap_ = static_cast<uint16_t>(at);
      }
    }
    check(msix_cap_ != 0 && pci_cfg_cap_ != 0);
    reserve(end, pci::kConfigSize);
    config_size_ = std::min(device_->config_size(), vpci::kRegionSize);
    table_bytes_ = pci::msix::kEntrySize * (read(msix_cap_ + pci::msix::kMessageControl, 2) &
                                            pci::msix::kTableSizeMask) +
                   pci::msix::kEntrySize;
  }

  /// A well-behaved driver's initialisation (3.1.1, 4.1.5.1), every access through the bus.
  void start(uint64_t features) {
    using vpci::Common;
    const auto common = [&](Common field, uint8_t size, uint64_t value) {
      bar_store(static_cast<uint64_t>(field), size, value);
    };
    ours({true, 2}, pci::offset(pci::Header::kCommand),
         pci::command::kMemorySpace | pci::command::kBusMaster);
    if (decoding() == 0) return;  // the child moved BAR 0 where nothing decodes
    common(Common::kDeviceStatus, 1, 0);
    common(Common::kDeviceStatus, 1, 1);
    common(Common::kDeviceStatus, 1, 3);
    if (features == 0) features = device_->carried();
    common(Common::kDriverFeatureSelect, 4, 0);
    common(Common::kDriverFeature, 4, static_cast<uint32_t>(features));
    common(Common::kDriverFeatureSelect, 4, 1);
    common(Common::kDriverFeature, 4, features >> 32);
    common(Common::kDeviceStatus, 1, 0xb);
    ours({true, 2}, msix_cap_ + pci::msix::kMessageControl, pci::msix::kEnable);
    for (uint64_t entry = 0; entry < table_bytes_; entry += pci::msix::kEntrySize) {
      const uint64_t at = vpci::kMsixTableOffset + entry;
      bar_store(at + pci::msix::kMessageAddress, 8, 0xfee00000);
      bar_store(at + pci::msix::kMessageData, 8, 0x30 + entry / pci::msix::kEntrySize);
    }
    common(Common::kConfigMsixVector, 2, 0);
    for (uint16_t q = 0; q < device_->queue_count(); ++q) {
      const uint64_t base = 0x1000 * uint64_t{q};
      common(Common::kQueueSelect, 2, q);
      // 4.1.5.1.3: queue_size reads the largest; 0 is a queue the driver leaves alone.
      const uint64_t largest =
          window_access({false, 2}, decoding() + static_cast<uint64_t>(Common::kQueueSize), 0);
      if (largest == 0) continue;
      common(Common::kQueueSize, 2, std::min<uint64_t>(largest, 16));
      common(Common::kQueueMsixVector, 2, q + 1u);
      common(Common::kQueueDesc, 8, base);
      common(Common::kQueueDriver, 8, base + 0x400);
      common(Common::kQueueDevice, 8, base + 0x800);
      common(Common::kQueueEnable, 2, 1);
    }
    common(Common::kDeviceStatus, 1, 0xf);
  }

  FakeGuestRam& ram_;
  GatedRam gated_{ram_};
  Sink sink_;
  pci::PciBus bus_{kWindowBase, kWindowSize};
  std::unique_ptr<WatchedDevice> owned_;  // until the transport takes it
  WatchedDevice* device_;
  StatusOracle oracle_;
  std::unique_ptr<PciTransport> transport_;
  uint16_t msix_cap_ = 0;
  uint16_t pci_cfg_cap_ = 0;
  uint64_t config_size_ = 0;
  uint64_t table_bytes_ = 0;
  std::array<bool, pci::kConfigSize> reserved_{};
  bool isr_read_ = false;
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
