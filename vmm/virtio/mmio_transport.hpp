// The virtio-mmio transport (virtio 1.2, 4.2), modern interface only (Version 2): one device's
// 4 KiB register window on the MMIO bus, one interrupt line, and everything of the device that is
// not the device model (device.hpp): the registers of 4.2.2 Table 4.1 mapped onto the
// transport-independent rules of transport_core.hpp (feature negotiation, the device status
// state machine, the queues the driver configures), queue notifications and the interrupt
// status.
//
// Every value the child writes is hostile (DESIGN.md §4): a register write changes only this
// transport's own state, queue addresses reach guest memory only through SplitVirtqueue::create
// (which checks the layout against GuestRam), and nothing the child writes ends the VMM.
//
// Accesses: registers (below 0x100) are 32-bit and 4-byte aligned (4.2.2.2: "The driver MUST
// only use 32 bit wide and aligned reads and writes to access the control registers"); any other
// access there reads as 0 and is ignored on write, as is any register Table 4.1 does not list.
// The configuration space (0x100 on) takes any width the bus delivers (1, 2, 4, 8), passed to
// the device at its offset; the part of an access past the 4 KiB window reads 0 and is dropped.
//
// Threading and lock order: the transport is a board device (locked_device.hpp), so register
// accesses come in under the device's board lock, and the transport calls the device model under
// it. DeviceLink (used_buffers, config_changed, needs_reset) may be called from a device's I/O
// worker while the worker holds the model's own lock, so it must not take the board lock (a vCPU
// holding the board lock may be waiting in notify() for the model's lock): it takes only the
// transport's interrupt mutex, a leaf apart from the InterruptLine's own mutex under it.
//   board lock → model's lock → interrupt mutex → InterruptLine
// The interrupt mutex guards InterruptStatus, ConfigGeneration and DEVICE_NEEDS_RESET; the rest
// is under the board lock. The transport never calls the model with the interrupt mutex held.
#pragma once

#include <stdint.h>

#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "vmm/devices.hpp"
#include "vmm/interrupt_line.hpp"
#include "vmm/virtio/device.hpp"
#include "vmm/virtio/doorbell_set.hpp"
#include "vmm/virtio/feature_bits.hpp"
#include "vmm/virtio/guest_ram.hpp"
#include "vmm/virtio/split_ring.hpp"
#include "vmm/virtio/split_virtqueue.hpp"
#include "vmm/virtio/transport_core.hpp"

namespace rootstock::vmm::virtio {

namespace mmio {

/// Register offsets in the window (virtio 1.2, 4.2.2 Table 4.1). R: read-only, W: write-only.
enum class Reg : uint32_t {
  kMagicValue = 0x000,         ///< R: 0x74726976, "virt"
  kVersion = 0x004,            ///< R: 2, the modern interface
  kDeviceId = 0x008,           ///< R: the device type (5)
  kVendorId = 0x00c,           ///< R
  kDeviceFeatures = 0x010,     ///< R: 32 bits of the offered features, by DeviceFeaturesSel
  kDeviceFeaturesSel = 0x014,  ///< W
  kDriverFeatures = 0x020,     ///< W: 32 bits of the accepted features, by DriverFeaturesSel
  kDriverFeaturesSel = 0x024,  ///< W
  kQueueSel = 0x030,           ///< W: the queue the Queue* registers address
  kQueueNumMax = 0x034,        ///< R: the largest size of that queue; 0: no such queue
  kQueueNum = 0x038,           ///< W: its size
  kQueueReady = 0x044,         ///< RW: 1: the driver configured it
  kQueueNotify = 0x050,        ///< W: an available buffer notification for a queue index
  kInterruptStatus = 0x060,    ///< R: Interrupt bits
  kInterruptAck = 0x064,       ///< W: clears the Interrupt bits written
  kStatus = 0x070,             ///< RW: the device status (2.1); 0 resets
  kQueueDescLow = 0x080,       ///< W: the descriptor table's address, low then high 32 bits
  kQueueDescHigh = 0x084,
  kQueueDriverLow = 0x090,  ///< W: the driver area (available ring)
  kQueueDriverHigh = 0x094,
  kQueueDeviceLow = 0x0a0,  ///< W: the device area (used ring)
  kQueueDeviceHigh = 0x0a4,
  kShmSel = 0x0ac,            ///< W: a shared memory region (none here)
  kShmLenLow = 0x0b0,         ///< R: all ones, "no such region" (4.2.2)
  kShmLenHigh = 0x0b4,        ///< R: all ones
  kShmBaseLow = 0x0b8,        ///< R: all ones
  kShmBaseHigh = 0x0bc,       ///< R: all ones
  kQueueReset = 0x0c0,        ///< RW: VIRTIO_F_RING_RESET, never offered: reads 0, writes ignored
  kConfigGeneration = 0x0fc,  ///< R: changes whenever the configuration space may have
  kConfig = 0x100,            ///< RW: the device-specific configuration space from here on
};

inline constexpr uint32_t kMagic = 0x74726976;  ///< "virt" in little-endian (4.2.2)
inline constexpr uint32_t kVersion = 2;         ///< the modern interface (4.2.2; 1 is legacy)
/// VendorID: the spec leaves it to the implementation; Linux only matches on it through a
/// driver's id table (every in-tree virtio driver matches VIRTIO_DEV_ANY_ID). "RSTK" in
/// little-endian, as QEMU answers "QEMU" (0x554d4551).
inline constexpr uint32_t kVendorId = 0x4b545352;
/// The window one transport answers in: Table 4.1 ends at 0x100 plus the configuration space.
inline constexpr uint64_t kWindowSize = 0x1000;

/// Device status bits (virtio 1.2, 2.1), as every transport has them.
using Status = ::rootstock::vmm::virtio::Status;

/// InterruptStatus / InterruptACK bits (4.2.2).
enum class Interrupt : uint32_t {
  kUsedBuffer = 1,    ///< a used buffer notification on some queue
  kConfigChange = 2,  ///< a configuration change notification
};

}  // namespace mmio

/// One virtio device behind a virtio-mmio register window at `base`.
class MmioTransport final : public MmioHandler, public DeviceLink {
 public:
  /// `device` at guest-physical [base, base + kWindowSize), its buffers in `ram`, its
  /// interrupt on `line` (level-triggered) and its doorbells to `doorbells` (none if null), all
  /// of which outlive the transport. While the device is active, each enabled queue with a kick
  /// fd has a doorbell: QueueNotify written (4 bytes) with that queue's index.
  MmioTransport(uint64_t base, std::unique_ptr<Device> device, GuestRam& ram, InterruptLine& line,
                DoorbellSink* doorbells = nullptr);
  /// Resets an active device first, while the interrupt state its threads may still report
  /// to is alive (core_, declared first, goes last).
  ~MmioTransport() override;
  MmioTransport(const MmioTransport&) = delete;
  MmioTransport& operator=(const MmioTransport&) = delete;

  // MmioHandler: the register window.
  uint64_t read(uint64_t gpa, uint8_t size) override;
  Next write(uint64_t gpa, uint8_t size, uint64_t value) override;

  // DeviceLink, thread-safe (see the lock order above).
  void used_buffers(uint16_t queue) override;
  void config_changed() override;
  void needs_reset() override;
  [[nodiscard]] GuestRam& ram() override { return core_.ram(); }

  /// The device model it carries.
  [[nodiscard]] Device& device() { return core_.device(); }
  /// The device status as the driver reads it.
  [[nodiscard]] uint8_t status() const;
  /// The doorbells registered now.
  [[nodiscard]] const std::vector<DoorbellSpec>& doorbells() const { return doorbells_.live(); }

 private:
  [[nodiscard]] uint32_t read_register(mmio::Reg reg);
  void write_register(mmio::Reg reg, uint32_t value);
  /// A write of the Status register (core_.write_status plus this transport's own state).
  void write_status(uint32_t value);
  /// Status 0 (4.2.3.1): back to the state after power-on.
  void reset();
  /// Sets interrupt bits and raises the line; under interrupt_mutex_.
  void raise_locked(mmio::Interrupt bit);
  /// The doorbells the device status calls for, registered; the others removed.
  void sync_doorbells();

  const uint64_t base_;
  InterruptLine* const line_;

  // Under the board lock.
  TransportCore core_;
  uint32_t device_features_sel_ = 0;
  uint32_t driver_features_sel_ = 0;
  uint32_t queue_sel_ = 0;
  DoorbellSet doorbells_;

  mutable std::mutex interrupt_mutex_;
  uint32_t interrupt_status_ = 0;   // under interrupt_mutex_
  uint32_t config_generation_ = 0;  // under interrupt_mutex_
  bool needs_reset_ = false;        // under interrupt_mutex_
};

}  // namespace rootstock::vmm::virtio
