#include "virtio_user_pci.hpp"

#include <errno.h>
#include <fcntl.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

namespace rootstock::child {
namespace {

constexpr size_t kPage = 4096;
/// Configuration space as the config file gives it to root (PCI 3.0, 6.1: 256 bytes).
constexpr size_t kConfigBytes = 256;
/// More capabilities than 256 bytes can hold: a list that loops ends here.
constexpr int kMaxCapabilities = 48;
/// PCI 3.0, 6.1: Red Hat's virtio vendor ID (virtio 1.2, 4.1.2).
constexpr uint16_t kVirtioVendor = 0x1af4;
/// /proc/self/pagemap (Documentation/admin-guide/mm/pagemap.rst): bit 63 present, bits 0-54 the
/// page frame number (0 unless the reader has CAP_SYS_ADMIN).
constexpr uint64_t kPagemapPresent = uint64_t{1} << 63;
constexpr uint64_t kPagemapPfnMask = (uint64_t{1} << 55) - 1;

/// Writes `text` to the sysfs file `path`; false with the reason printed.
bool write_sysfs(const char* path, const char* text) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    printf("rootstock-child: hostile: cannot open %s: %s\n", path, strerror(errno));
    return false;
  }
  const size_t length = strlen(text);
  const ssize_t n = ::write(fd, text, length);
  const int error = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(length)) {
    printf("rootstock-child: hostile: writing %s failed: %s\n", path, strerror(error));
    return false;
  }
  return true;
}

uint16_t le16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | p[1] << 8);
}

uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(le16(p)) | static_cast<uint32_t>(le16(p + 2)) << 16;
}

/// The function's driver, by the name its sysfs link ends in: false if it has none.
bool bound_driver(const char* bdf, char* name, size_t size) {
  char path[128];
  char target[256];
  snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
  const ssize_t n = ::readlink(path, target, sizeof(target) - 1);
  if (n <= 0) return false;
  target[n] = '\0';
  const char* last = strrchr(target, '/');
  snprintf(name, size, "%s", last != nullptr ? last + 1 : target);
  return true;
}

/// BAR 0's first address and size from the function's resource file, whose first line is
/// "0xSTART 0xEND 0xFLAGS".
bool bar0_range(const char* bdf, uint64_t& start, uint64_t& size) {
  char path[128];
  char line[128] = {};
  snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t n = ::read(fd, line, sizeof(line) - 1);
  ::close(fd);
  if (n <= 0) return false;
  char* end = nullptr;
  const unsigned long long first = strtoull(line, &end, 16);
  const unsigned long long last = strtoull(end, nullptr, 16);
  if (last <= first) return false;
  start = first;
  size = last - first + 1;
  return true;
}

}  // namespace

uint64_t monotonic_ms() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000 + static_cast<uint64_t>(now.tv_nsec) / 1000000;
}

bool allocate_dma_pages(DmaPage* pages, size_t count) {
  const int pagemap = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (pagemap < 0) {
    printf("rootstock-child: hostile: no /proc/self/pagemap: %s\n", strerror(errno));
    return false;
  }
  bool ok = true;
  for (size_t i = 0; i < count && ok; ++i) {
    void* page = ::mmap(nullptr, kPage, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_LOCKED, -1, 0);
    if (page == MAP_FAILED || ::mlock(page, kPage) != 0) {
      printf("rootstock-child: hostile: cannot lock a page: %s\n", strerror(errno));
      ok = false;
      break;
    }
    memset(page, 0, kPage);
    const auto virt = reinterpret_cast<uintptr_t>(page);
    uint64_t entry = 0;
    const auto offset = static_cast<off_t>(virt / kPage * sizeof(entry));
    if (::pread(pagemap, &entry, sizeof(entry), offset) != sizeof(entry) ||
        (entry & kPagemapPresent) == 0 || (entry & kPagemapPfnMask) == 0) {
      printf("rootstock-child: hostile: no frame number for a locked page (not root?)\n");
      ok = false;
      break;
    }
    pages[i] = {static_cast<uint8_t*>(page), (entry & kPagemapPfnMask) * kPage};
  }
  ::close(pagemap);
  return ok;
}

VirtioUserPci::~VirtioUserPci() {
  if (bar_ != nullptr) ::munmap(const_cast<uint8_t*>(bar_), bar_size_);
  if (config_fd_ >= 0) ::close(config_fd_);
}

bool VirtioUserPci::open(const char* bdf, uint16_t device_id) {
  char path[128];
  char driver[64];
  if (bound_driver(bdf, driver, sizeof(driver))) {
    if (strcmp(driver, "virtio-pci") != 0) {
      printf("rootstock-child: hostile: %s is driven by %s, not virtio-pci\n", bdf, driver);
      return false;
    }
    if (!write_sysfs("/sys/bus/pci/drivers/virtio-pci/unbind", bdf)) return false;
  }
  snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/enable", bdf);
  if (!write_sysfs(path, "1")) return false;

  snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", bdf);
  config_fd_ = ::open(path, O_RDWR | O_CLOEXEC);
  uint8_t config[kConfigBytes] = {};
  if (config_fd_ < 0 || ::pread(config_fd_, config, sizeof(config), 0) != sizeof(config)) {
    printf("rootstock-child: hostile: cannot read %s: %s\n", path, strerror(errno));
    return false;
  }
  if (le16(config + PCI_VENDOR_ID) != kVirtioVendor || le16(config + PCI_DEVICE_ID) != device_id) {
    printf("rootstock-child: hostile: %s is %04x:%04x, not %04x:%04x\n", bdf,
           le16(config + PCI_VENDOR_ID), le16(config + PCI_DEVICE_ID), kVirtioVendor, device_id);
    return false;
  }
  // Memory Space for BAR 0, Bus Master for the device's own accesses to RAM (PCI 3.0, 6.2.2).
  const auto command =
      static_cast<uint16_t>(le16(config + PCI_COMMAND) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
  if (::pwrite(config_fd_, &command, sizeof(command), PCI_COMMAND) != sizeof(command)) {
    printf("rootstock-child: hostile: cannot write %s's Command register\n", bdf);
    return false;
  }
  if (!find_capabilities(config, sizeof(config))) return false;

  uint64_t size = 0;
  if (!bar0_range(bdf, bar_gpa_, size)) {
    printf("rootstock-child: hostile: %s has no BAR 0\n", bdf);
    return false;
  }
  const uint32_t ends[] = {layout_.common + static_cast<uint32_t>(sizeof(virtio_pci_common_cfg)),
                           layout_.isr + 1, layout_.notify + 2,
                           layout_.msix_table + layout_.msix_vectors * PCI_MSIX_ENTRY_SIZE};
  for (const uint32_t end : ends) {
    if (end > size) {
      printf("rootstock-child: hostile: a virtio structure lies past BAR 0's %llu bytes\n",
             static_cast<unsigned long long>(size));
      return false;
    }
  }
  snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", bdf);
  const int bar_fd = ::open(path, O_RDWR | O_SYNC | O_CLOEXEC);
  void* bar = bar_fd < 0 ? MAP_FAILED
                         : ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, bar_fd, 0);
  const int error = errno;
  if (bar_fd >= 0) ::close(bar_fd);
  if (bar == MAP_FAILED) {
    printf("rootstock-child: hostile: cannot map %s: %s\n", path, strerror(error));
    return false;
  }
  bar_ = static_cast<volatile uint8_t*>(bar);
  bar_size_ = size;
  return true;
}

// 4.1.4: vendor-specific capabilities (ID 09h) with cfg_type; the first of each type the driver
// can use is the one to use (4.1.4.1). Only structures in BAR 0 are accepted here, the MSI-X
// table too (an MSI-X capability whose table is elsewhere counts as none).
bool VirtioUserPci::find_capabilities(const uint8_t* config, size_t size) {
  bool common = false;
  bool notify = false;
  bool isr = false;
  if ((le16(config + PCI_STATUS) & PCI_STATUS_CAP_LIST) != 0) {
    size_t at = config[PCI_CAPABILITY_LIST] & ~3u;
    for (int n = 0; n < kMaxCapabilities && at >= 0x40 && at + 20 <= size; ++n) {
      const uint8_t* cap = config + at;
      const uint32_t table = le32(cap + PCI_MSIX_TABLE);
      if (cap[0] == PCI_CAP_ID_MSIX && (table & PCI_MSIX_TABLE_BIR) == 0 &&
          layout_.msix_capability == 0) {
        layout_.msix_capability = static_cast<uint8_t>(at);
        layout_.msix_table = table & PCI_MSIX_TABLE_OFFSET;
        layout_.msix_vectors =
            static_cast<uint16_t>((le16(cap + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_QSIZE) + 1);
      }
      if (cap[0] == PCI_CAP_ID_VNDR && cap[VIRTIO_PCI_CAP_BAR] == 0) {
        const uint32_t offset = le32(cap + VIRTIO_PCI_CAP_OFFSET);
        switch (cap[VIRTIO_PCI_CAP_CFG_TYPE]) {
          case VIRTIO_PCI_CAP_COMMON_CFG:
            if (!common) layout_.common = offset;
            common = true;
            break;
          case VIRTIO_PCI_CAP_NOTIFY_CFG:
            if (!notify) {
              layout_.notify = offset;
              layout_.notify_multiplier = le32(cap + sizeof(virtio_pci_cap));
            }
            notify = true;
            break;
          case VIRTIO_PCI_CAP_ISR_CFG:
            if (!isr) layout_.isr = offset;
            isr = true;
            break;
          default:
            break;
        }
      }
      at = cap[1] & ~3u;
    }
  }
  if (!common || !notify || !isr) {
    printf("rootstock-child: hostile: missing virtio capabilities (common %d notify %d isr %d)\n",
           common, notify, isr);
    return false;
  }
  return true;
}

uint8_t VirtioUserPci::status() const {
  return *at(layout_.common + VIRTIO_PCI_COMMON_STATUS);
}

void VirtioUserPci::write_status(uint8_t status) {
  *at(layout_.common + VIRTIO_PCI_COMMON_STATUS) = status;
}

bool VirtioUserPci::reset() {
  write_status(0);
  for (const uint64_t end = monotonic_ms() + 1000; monotonic_ms() < end;) {
    if (status() == 0) return true;
    usleep(1000);
  }
  return status() == 0;
}

uint8_t VirtioUserPci::start(uint64_t wanted, const QueueSetup& queue) {
  const auto reg16 = [this](uint32_t field) {
    return reinterpret_cast<volatile uint16_t*>(at(layout_.common + field));
  };
  const auto reg32 = [this](uint32_t field) {
    return reinterpret_cast<volatile uint32_t*>(at(layout_.common + field));
  };
  const auto write64 = [&](uint32_t low_field, uint64_t value) {
    *reg32(low_field) = static_cast<uint32_t>(value);
    *reg32(low_field + 4) = static_cast<uint32_t>(value >> 32);
  };
  uint8_t status = VIRTIO_CONFIG_S_ACKNOWLEDGE;
  write_status(status);
  status |= VIRTIO_CONFIG_S_DRIVER;
  write_status(status);
  uint64_t offered = 0;
  for (uint32_t word = 0; word < 2; ++word) {
    *reg32(VIRTIO_PCI_COMMON_DFSELECT) = word;
    offered |= uint64_t{*reg32(VIRTIO_PCI_COMMON_DF)} << (32 * word);
  }
  const uint64_t accepted = offered & wanted;
  for (uint32_t word = 0; word < 2; ++word) {
    *reg32(VIRTIO_PCI_COMMON_GFSELECT) = word;
    *reg32(VIRTIO_PCI_COMMON_GF) = static_cast<uint32_t>(accepted >> (32 * word));
  }
  status |= VIRTIO_CONFIG_S_FEATURES_OK;
  write_status(status);
  if ((this->status() & VIRTIO_CONFIG_S_FEATURES_OK) == 0) return this->status();

  *reg16(VIRTIO_PCI_COMMON_Q_SELECT) = 0;
  *reg16(VIRTIO_PCI_COMMON_Q_SIZE) = queue.size;
  *reg16(VIRTIO_PCI_COMMON_Q_MSIX) = queue.msix_vector;
  write64(VIRTIO_PCI_COMMON_Q_DESCLO, queue.desc);
  write64(VIRTIO_PCI_COMMON_Q_AVAILLO, queue.avail);
  write64(VIRTIO_PCI_COMMON_Q_USEDLO, queue.used);
  *reg16(VIRTIO_PCI_COMMON_Q_ENABLE) = 1;
  queue_notify_ = layout_.notify + *reg16(VIRTIO_PCI_COMMON_Q_NOFF) * layout_.notify_multiplier;
  if (queue_notify_ + 2 > bar_size_) queue_notify_ = layout_.notify;

  write_status(status | VIRTIO_CONFIG_S_DRIVER_OK);
  return this->status();
}

void VirtioUserPci::notify(uint16_t queue) {
  // 2.7.13.4: the ring's updates are visible before the device hears of them. 4.1.5.2: the
  // queue's index, 16 bits, at its notification address.
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  *reinterpret_cast<volatile uint16_t*>(at(queue_notify_)) = queue;
}

uint8_t VirtioUserPci::read_isr() {
  return *at(layout_.isr);
}

bool VirtioUserPci::write_message_control(uint16_t value) {
  const off_t at = layout_.msix_capability + PCI_MSIX_FLAGS;
  return ::pwrite(config_fd_, &value, sizeof(value), at) == sizeof(value);
}

volatile uint32_t* VirtioUserPci::msix_entry(uint16_t vector, uint32_t field) const {
  return reinterpret_cast<volatile uint32_t*>(
      at(layout_.msix_table + vector * PCI_MSIX_ENTRY_SIZE + field));
}

bool VirtioUserPci::enable_msix(uint16_t vector, const MsixMessage& message) {
  if (vector >= layout_.msix_vectors) return false;
  // 6.8.3.5: an entry is written while masked, then unmasked.
  *msix_entry(vector, PCI_MSIX_ENTRY_VECTOR_CTRL) = PCI_MSIX_ENTRY_CTRL_MASKBIT;
  *msix_entry(vector, PCI_MSIX_ENTRY_LOWER_ADDR) = message.address;
  *msix_entry(vector, PCI_MSIX_ENTRY_UPPER_ADDR) = message.upper_address;
  *msix_entry(vector, PCI_MSIX_ENTRY_DATA) = message.data;
  *msix_entry(vector, PCI_MSIX_ENTRY_VECTOR_CTRL) = 0;
  return write_message_control(PCI_MSIX_FLAGS_ENABLE);
}

bool VirtioUserPci::move_bar0(uint32_t base) {
  uint32_t bar = 0;
  if (::pread(config_fd_, &bar, sizeof(bar), PCI_BASE_ADDRESS_0) != sizeof(bar)) return false;
  // The low bits say the BAR's kind (memory, 32-bit, prefetchable) and are read-only.
  bar = (bar & ~PCI_BASE_ADDRESS_MEM_MASK) | (base & PCI_BASE_ADDRESS_MEM_MASK);
  return ::pwrite(config_fd_, &bar, sizeof(bar), PCI_BASE_ADDRESS_0) == sizeof(bar);
}

void VirtioUserPci::disable_msix() {
  if (layout_.msix_vectors == 0) return;
  (void)write_message_control(0);
  *msix_entry(0, PCI_MSIX_ENTRY_VECTOR_CTRL) = PCI_MSIX_ENTRY_CTRL_MASKBIT;
}

}  // namespace rootstock::child
