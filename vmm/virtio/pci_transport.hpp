// The virtio-pci transport (virtio 1.2, 4.1), modern interface only (a non-transitional device,
// PCI device ID 1040h + the device type): one PCI function whose BAR 0 holds the virtio
// structures its vendor-specific capabilities point to (4.1.4), and whose MSI-X vectors carry
// its notifications (4.1.5.1.2). Everything of the device that is not the device model
// (device.hpp) is here or in transport_core.hpp.
//
// BAR 0 (32-bit memory, non-prefetchable, kBarSize bytes), one 4 KiB page per structure so
// that each could be mapped on its own:
//   0x0000  common configuration (struct virtio_pci_common_cfg, 4.1.4.3)
//   0x1000  ISR status (4.1.4.5), one byte, cleared by reading
//   0x2000  device-specific configuration (4.1.4.6)
//   0x3000  notifications (4.1.4.4): queue n's address is 0x3000 + 4 n (notify_off_multiplier
//           4, queue_notify_off n), so a write's address alone says which queue
//   0x4000  the MSI-X table, 0x5000 its Pending Bit Array (PCI 3.0, 6.8.2)
// Configuration space: the MSI-X capability, then the common, notify, ISR, device and PCI
// configuration access (4.1.4.9) capabilities.
//
// Interrupts: with MSI-X enabled, a queue's used buffer notification is the vector the driver
// gave the queue (queue_msix_vector), a configuration change the config_msix_vector;
// VIRTIO_MSI_NO_VECTOR or an unmapped vector sends nothing. Without MSI-X the function would
// use INTx, which it does not have (Interrupt Pin 0): the ISR bits are set and nothing is sent.
//
// Bus Master Enable (Command bit 2; PCI 3.0, 6.2.2): a function that may not master the bus
// may neither read or write memory nor send MSI-X messages. While it is clear, DRIVER_OK
// waits (the device starts when it is set), messages wait in the PBA, and clearing it under a
// started device stops the device and sets DEVICE_NEEDS_RESET (transport_core.hpp).
//
// Doorbells (docs/virtio.md "Threads and kicks"): while the device is active and BAR 0 decodes,
// each enabled queue whose device has a kick fd gets its notify address registered as a doorbell
// (2-byte writes, any value: Linux's vp_notify() writes the queue index with iowrite16), so the
// child's kick signals the device's thread without an exit to the VMM. They follow the device
// status and the BAR and Command registers, and go before the transport does.
//
// Every value the child writes is hostile (DESIGN.md §4): the common configuration maps onto
// TransportCore's checked rules, queue addresses reach guest memory only through
// SplitVirtqueue::create, MSI-X messages through the sink's checks (msix.hpp).
//
// Threading and lock order, as for virtio-mmio (mmio_transport.hpp): configuration and BAR
// accesses come under the function's board lock and call the device model under it;
// DeviceLink calls come from any thread, possibly under the model's own lock, and take only the
// interrupt mutex (then the MSI-X table's, then the sink):
//   board lock → model's lock → interrupt mutex → MSI-X mutex → sink
#pragma once

#include <stdint.h>

#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "vmm/interrupt_line.hpp"
#include "vmm/pci/config_header.hpp"
#include "vmm/pci/msix.hpp"
#include "vmm/pci/pci_function.hpp"
#include "vmm/virtio/device.hpp"
#include "vmm/virtio/doorbell_set.hpp"
#include "vmm/virtio/guest_ram.hpp"
#include "vmm/virtio/transport_core.hpp"

namespace rootstock::vmm::virtio {

namespace vpci {

/// PCI IDs (4.1.2): Red Hat's virtio vendor ID; modern device IDs are 1040h + the device type.
inline constexpr uint16_t kVendorId = 0x1af4;
inline constexpr uint16_t kModernDeviceIdBase = 0x1040;
/// 4.1.2.1: a non-transitional device has Revision ID 1 or higher.
inline constexpr uint8_t kRevisionId = 1;

/// BAR 0's layout (above).
inline constexpr unsigned kBar = 0;
inline constexpr uint32_t kBarSize = 0x8000;
inline constexpr uint32_t kCommonOffset = 0x0000;
inline constexpr uint32_t kIsrOffset = 0x1000;
inline constexpr uint32_t kDeviceOffset = 0x2000;
inline constexpr uint32_t kNotifyOffset = 0x3000;
inline constexpr uint32_t kMsixTableOffset = 0x4000;
inline constexpr uint32_t kMsixPbaOffset = 0x5000;
inline constexpr uint32_t kRegionSize = 0x1000;
inline constexpr uint32_t kNotifyOffMultiplier = 4;
/// MSI-X vectors: one per queue and one for configuration changes, at most this many.
inline constexpr uint16_t kMaxVectors = 64;
/// VIRTIO_MSI_NO_VECTOR (4.1.4.3).
inline constexpr uint16_t kNoVector = 0xffff;

/// cfg_type of struct virtio_pci_cap (4.1.4).
enum class CfgType : uint8_t {
  kCommon = 1,
  kNotify = 2,
  kIsr = 3,
  kDevice = 4,
  kPciCfg = 5,
};

/// struct virtio_pci_cap (4.1.4) field offsets, from the capability's start.
namespace cap {
inline constexpr uint16_t kCapLen = 2;
inline constexpr uint16_t kCfgType = 3;
inline constexpr uint16_t kBar = 4;
inline constexpr uint16_t kId = 5;
inline constexpr uint16_t kOffset = 8;
inline constexpr uint16_t kLength = 12;
inline constexpr uint8_t kSize = 16;
/// struct virtio_pci_notify_cap: notify_off_multiplier after the common part (4.1.4.4).
inline constexpr uint16_t kNotifyOffMultiplier = 16;
inline constexpr uint8_t kNotifySize = 20;
/// struct virtio_pci_cfg_cap: pci_cfg_data after the common part (4.1.4.9).
inline constexpr uint16_t kPciCfgData = 16;
inline constexpr uint8_t kPciCfgSize = 20;
}  // namespace cap

/// struct virtio_pci_common_cfg (4.1.4.3) field offsets.
enum class Common : uint32_t {
  kDeviceFeatureSelect = 0x00,  ///< 32, RW
  kDeviceFeature = 0x04,        ///< 32, R
  kDriverFeatureSelect = 0x08,  ///< 32, RW
  kDriverFeature = 0x0c,        ///< 32, RW
  kConfigMsixVector = 0x10,     ///< 16, RW
  kNumQueues = 0x12,            ///< 16, R
  kDeviceStatus = 0x14,         ///< 8, RW
  kConfigGeneration = 0x15,     ///< 8, R
  kQueueSelect = 0x16,          ///< 16, RW
  kQueueSize = 0x18,            ///< 16, RW
  kQueueMsixVector = 0x1a,      ///< 16, RW
  kQueueEnable = 0x1c,          ///< 16, RW
  kQueueNotifyOff = 0x1e,       ///< 16, R
  kQueueDesc = 0x20,            ///< 64, RW
  kQueueDriver = 0x28,          ///< 64, RW
  kQueueDevice = 0x30,          ///< 64, RW
  kQueueNotifyData = 0x38,      ///< 16, R (VIRTIO_F_NOTIFICATION_DATA, not offered: 0)
  kQueueReset = 0x3a,           ///< 16, RW (VIRTIO_F_RING_RESET, not offered: 0)
};
inline constexpr uint32_t kCommonSize = 0x3c;

/// ISR status bits (4.1.4.5).
inline constexpr uint8_t kIsrQueue = 1u << 0;
inline constexpr uint8_t kIsrConfig = 1u << 1;

}  // namespace vpci

/// One virtio device as a PCI function.
class PciTransport final : public pci::PciFunction, public DeviceLink {
 public:
  /// `device` with BAR 0 at `bar_base` (a multiple of vpci::kBarSize, from the bus's window),
  /// its buffers in `ram`, its MSI-X messages to `interrupts` and its doorbells to `doorbells`
  /// (none if null), all of which outlive it.
  PciTransport(std::unique_ptr<Device> device, GuestRam& ram, InterruptSink& interrupts,
               uint32_t bar_base, DoorbellSink* doorbells = nullptr);
  /// Resets an active device first: until its reset() returns, its threads may still call
  /// used_buffers() and config_changed(), which reach msix_ and the interrupt state, members
  /// destroyed before core_ (whose own destructor would reset it too late).
  ~PciTransport() override;
  PciTransport(const PciTransport&) = delete;
  PciTransport& operator=(const PciTransport&) = delete;

  // PciFunction.
  uint32_t config_read(uint16_t offset, uint8_t size) override;
  void config_write(uint16_t offset, uint8_t size, uint32_t value) override;
  pci::BarWindows bar_windows() override { return header_.bar_windows(); }
  uint64_t bar_read(unsigned bar, uint64_t offset, uint8_t size) override;
  void bar_write(unsigned bar, uint64_t offset, uint8_t size, uint64_t value) override;

  // DeviceLink, thread-safe.
  void used_buffers(uint16_t queue) override;
  void config_changed() override;
  void needs_reset() override;
  [[nodiscard]] GuestRam& ram() override { return core_.ram(); }

  [[nodiscard]] Device& device() { return core_.device(); }
  /// The device status as the driver reads it.
  [[nodiscard]] uint8_t status() const;
  /// MSI-X messages that could not be delivered.
  [[nodiscard]] uint64_t failed_interrupts() const { return msix_.failed(); }
  /// The doorbells registered now.
  [[nodiscard]] const std::vector<DoorbellSpec>& doorbells() const { return doorbells_.live(); }

 private:
  void add_capabilities();
  [[nodiscard]] uint64_t read_common(uint32_t offset, uint8_t size);
  void write_common(uint32_t offset, uint8_t size, uint64_t value);
  [[nodiscard]] uint8_t read_isr();
  /// What the PCI configuration access capability's fields select (4.1.4.9).
  struct CfgWindow {
    uint32_t bar = 0;
    uint32_t offset = 0;
    uint8_t length = 0;
  };
  /// The window for an access of `size` to pci_cfg_data, or none if the fields are unusable.
  [[nodiscard]] std::optional<CfgWindow> cfg_window(uint8_t size) const;
  /// The access through the PCI configuration access capability's window (4.1.4.9).
  [[nodiscard]] uint32_t cfg_window_read(uint8_t size);
  void cfg_window_write(uint8_t size, uint32_t value);
  /// Status 0 (4.1.4.3.1): the transport's own state after core_.reset().
  void reset();
  /// Under interrupt_mutex_: vector `vector`'s message, or nothing for none.
  void signal_locked(uint16_t vector);
  /// The doorbells the device status and BAR 0 call for, registered; the others removed.
  void sync_doorbells();
  /// The Command register's Bus Master Enable passed on to the MSI-X vectors and the core.
  void follow_bus_master();

  TransportCore core_;  // under the board lock
  pci::ConfigHeader header_;
  pci::MsixVectors msix_;
  uint16_t msix_cap_ = 0;     // where the MSI-X capability is
  uint16_t pci_cfg_cap_ = 0;  // where the PCI configuration access capability is

  // Under the board lock.
  uint32_t device_feature_select_ = 0;
  uint32_t driver_feature_select_ = 0;
  uint16_t queue_select_ = 0;
  DoorbellSet doorbells_;

  mutable std::mutex interrupt_mutex_;
  uint16_t config_vector_ = vpci::kNoVector;  // under interrupt_mutex_
  std::vector<uint16_t> queue_vectors_;       // under interrupt_mutex_; never resized
  uint8_t isr_ = 0;                           // under interrupt_mutex_
  uint8_t config_generation_ = 0;             // under interrupt_mutex_
  bool needs_reset_ = false;                  // under interrupt_mutex_
};

}  // namespace rootstock::vmm::virtio
