// A virtio-pci function (virtio 1.2, 4.1) driven from a child's user space instead of its kernel,
// for virtio-hostile (virtio_hostile.cpp), which writes virtqueues no Linux driver would. All
// through sysfs and procfs, as root: the function is taken from its driver
// (/sys/bus/pci/drivers/virtio-pci/unbind), enabled (enable; Memory Space and Bus Master in the
// Command register through the config file), its virtio capabilities (4.1.4) read from the
// config file and BAR 0 mapped (resource0); the rings and buffers are locked anonymous pages whose
// guest-physical addresses /proc/self/pagemap gives. The register names and offsets are Linux's
// UAPI (linux/virtio_pci.h), not the VMM's: the driver side is written independently of the
// device it tests. Every wait is bounded.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace rootstock::child {

/// One locked 4 KiB page the device may read and write, at `gpa` in the child's RAM.
struct DmaPage {
  uint8_t* data = nullptr;
  uint64_t gpa = 0;
};

/// Allocates `count` locked pages (each on its own: they need not be contiguous) and finds their
/// guest-physical addresses; false with the reason printed.
[[nodiscard]] bool allocate_dma_pages(DmaPage* pages, size_t count);

/// VIRTIO_MSI_NO_VECTOR (4.1.4.3).
inline constexpr uint16_t kNoVector = 0xffff;

/// What a queue is configured with (4.1.4.3): its size, its three parts' guest-physical
/// addresses and its MSI-X vector, any values the driver likes.
struct QueueSetup {
  uint16_t size = 0;
  uint64_t desc = 0;
  uint64_t avail = 0;
  uint64_t used = 0;
  uint16_t msix_vector = kNoVector;
};

/// One MSI-X table entry as the driver writes it (PCI 3.0, 6.8.2.6-6.8.2.9).
struct MsixMessage {
  uint32_t address = 0;
  uint32_t upper_address = 0;
  uint32_t data = 0;
};

/// Where the virtio structures lie in BAR 0, as the function's capabilities say (4.1.4).
struct VirtioPciLayout {
  uint32_t common = 0;
  uint32_t notify = 0;
  uint32_t notify_multiplier = 0;
  uint32_t isr = 0;
  uint32_t msix_table = 0;  ///< in BAR 0, from the MSI-X capability (PCI 3.0, 6.8.2.4)
  uint16_t msix_vectors = 0;
  uint8_t msix_capability = 0;  ///< its offset in configuration space
};

/// One virtio-pci function of the child, owned by this process once open() succeeded.
class VirtioUserPci {
 public:
  VirtioUserPci() = default;
  VirtioUserPci(const VirtioUserPci&) = delete;
  VirtioUserPci& operator=(const VirtioUserPci&) = delete;
  ~VirtioUserPci();

  /// Takes function `bdf` (0000:00:02.0) from its driver, enables and maps it; refuses a function
  /// that is not a modern virtio device of `device_id` (1040h + type, 4.1.2). False with the
  /// reason printed.
  [[nodiscard]] bool open(const char* bdf, uint16_t device_id);

  /// device_status (4.1.4.3), DEVICE_NEEDS_RESET included.
  [[nodiscard]] uint8_t status() const;
  /// Writes 0 to device_status and waits, at most a second, for it to read 0 (4.1.4.3.2).
  [[nodiscard]] bool reset();
  /// 3.1.1 steps 2-8 with queue 0 as `queue` (no MSI-X vector) and the features both `wanted` and
  /// offered; the device status read back at the end.
  [[nodiscard]] uint8_t start(uint64_t wanted, const QueueSetup& queue);
  /// An available buffer notification for `queue` (4.1.4.4); the queue must have been selected
  /// by start().
  void notify(uint16_t queue);
  /// The ISR status (4.1.4.5); reading it clears it.
  [[nodiscard]] uint8_t read_isr();
  /// Writes MSI-X table entry `vector` (unmasked) and enables MSI-X (PCI 3.0, 6.8.2.3): from
  /// then on the device sends `message` for a queue given that vector. False if it has none.
  [[nodiscard]] bool enable_msix(uint16_t vector, const MsixMessage& message);
  /// Disables MSI-X again and masks entry 0, as the function was when this process took it.
  void disable_msix();
  /// Moves BAR 0 to guest-physical `base` by its register (PCI 3.0, 6.2.5.1), or back to where
  /// it was with bar_gpa(); this process's mapping stays where BAR 0 was when it opened it.
  [[nodiscard]] bool move_bar0(uint32_t base);
  /// BAR 0's guest-physical address: an address that is the device's own registers, not RAM.
  [[nodiscard]] uint64_t bar_gpa() const { return bar_gpa_; }

 private:
  [[nodiscard]] bool find_capabilities(const uint8_t* config, size_t size);
  [[nodiscard]] volatile uint8_t* at(uint32_t offset) const { return bar_ + offset; }
  void write_status(uint8_t status);
  [[nodiscard]] bool write_message_control(uint16_t value);
  volatile uint32_t* msix_entry(uint16_t vector, uint32_t field) const;

  int config_fd_ = -1;
  volatile uint8_t* bar_ = nullptr;
  size_t bar_size_ = 0;
  uint64_t bar_gpa_ = 0;
  VirtioPciLayout layout_;
  uint32_t queue_notify_ = 0;  ///< queue 0's notification address in BAR 0
};

/// Milliseconds on the monotonic clock, for bounded waits.
[[nodiscard]] uint64_t monotonic_ms();

}  // namespace rootstock::child
