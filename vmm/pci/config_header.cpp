#include "vmm/pci/config_header.hpp"

#include <bit>

namespace rootstock::vmm::pci {

namespace {

constexpr uint8_t kByteBits = 8;
constexpr uint32_t kMinBarSize = 16;   // PCI 3.0, 6.2.5.1: a memory BAR claims at least 16 bytes
constexpr uint8_t kMinCapability = 4;  // ID, next, and at least one register word
constexpr uint8_t kMaxCapability = 64;
constexpr uint16_t kCapabilityNext = 1;  // offset of the next pointer in a capability

/// The Command bits the child may set: decoding, bus mastering, error reporting and INTx
/// disable (PCI 3.0, 6.2.2). Bits for features a virtual function has none of (special
/// cycles, memory write and invalidate, VGA snooping, fast back-to-back) stay 0.
constexpr uint16_t kWritableCommand = command::kIoSpace | command::kMemorySpace |
                                      command::kBusMaster | command::kParityError | command::kSerr |
                                      command::kIntxDisable;

constexpr uint16_t bar_offset(unsigned index) {
  return static_cast<uint16_t>(offset(Header::kBar0) + 4 * index);
}

}  // namespace

ConfigHeader::ConfigHeader(const Identity& identity) {
  set(offset(Header::kVendorId), 2, identity.vendor_id);
  set(offset(Header::kDeviceId), 2, identity.device_id);
  set(offset(Header::kRevisionId), 1, identity.revision_id);
  set(offset(Header::kClassCode), 1, identity.class_code & 0xff);
  set(offset(Header::kClassCode) + 1, 2, (identity.class_code >> kByteBits) & 0xffff);
  set(offset(Header::kHeaderType), 1, kHeaderTypeEndpoint);
  set(offset(Header::kSubsystemVendorId), 2, identity.subsystem_vendor_id);
  set(offset(Header::kSubsystemId), 2, identity.subsystem_id);
  open_for_writes(offset(Header::kCommand), 2, kWritableCommand);
  // Storage for the OS (6.2.4): Cache Line Size, Latency Timer, Interrupt Line.
  open_for_writes(offset(Header::kCacheLineSize), 1, 0xff);
  open_for_writes(offset(Header::kLatencyTimer), 1, 0xff);
  open_for_writes(offset(Header::kInterruptLine), 1, 0xff);
}

bool ConfigHeader::set_memory_bar(unsigned index, uint32_t size, uint32_t base) {
  if (index >= kBarCount || size < kMinBarSize || !std::has_single_bit(size) || base % size != 0) {
    return false;
  }
  bar_sizes_[index] = size;
  set(bar_offset(index), 4, base | bar::kMemory32);
  // The address bits at and above the size are the child's; those below, and the type bits,
  // read back as they are (6.2.5.1).
  open_for_writes(bar_offset(index), 4, ~(size - 1));
  return true;
}

uint16_t ConfigHeader::add_capability(CapabilityId id, uint8_t length) {
  if (length < kMinCapability || length > kMaxCapability || length % 4 != 0 ||
      next_capability_ + length > kConfigSize) {
    return 0;
  }
  const uint16_t at = next_capability_;
  set(at, 1, static_cast<uint8_t>(id));
  set(at + kCapabilityNext, 1, 0);
  if (last_capability_ == 0) {
    set(offset(Header::kCapabilities), 1, at);
    const uint32_t status = read(offset(Header::kStatus), 2);
    set(offset(Header::kStatus), 2, status | status::kCapabilitiesList);
  } else {
    set(last_capability_ + kCapabilityNext, 1, at);
  }
  last_capability_ = at;
  next_capability_ = static_cast<uint16_t>(at + length);
  return at;
}

void ConfigHeader::set(uint16_t offset, uint8_t size, uint32_t value) {
  for (unsigned i = 0; i < size && offset + i < kConfigSize; ++i) {
    bytes_[offset + i] = static_cast<uint8_t>(value >> (kByteBits * i));
  }
}

void ConfigHeader::open_for_writes(uint16_t offset, uint8_t size, uint32_t mask) {
  for (unsigned i = 0; i < size && offset + i < kConfigSize; ++i) {
    writable_[offset + i] = static_cast<uint8_t>(mask >> (kByteBits * i));
  }
}

uint32_t ConfigHeader::read(uint16_t offset, uint8_t size) const {
  uint32_t value = 0;
  for (unsigned i = 0; i < size && i < 4 && offset + i < kConfigSize; ++i) {
    value |= uint32_t{bytes_[offset + i]} << (kByteBits * i);
  }
  return value;
}

void ConfigHeader::write(uint16_t offset, uint8_t size, uint32_t value) {
  for (unsigned i = 0; i < size && i < 4 && offset + i < kConfigSize; ++i) {
    const uint8_t mask = writable_[offset + i];
    const auto byte = static_cast<uint8_t>(value >> (kByteBits * i));
    bytes_[offset + i] = static_cast<uint8_t>((bytes_[offset + i] & ~mask) | (byte & mask));
  }
}

uint16_t ConfigHeader::command() const {
  return static_cast<uint16_t>(read(offset(Header::kCommand), 2));
}

BarWindows ConfigHeader::bar_windows() const {
  BarWindows windows{};
  if ((command() & command::kMemorySpace) == 0) return windows;
  for (unsigned i = 0; i < kBarCount; ++i) {
    const uint32_t size = bar_sizes_[i];
    if (size == 0) continue;
    const uint32_t base = read(bar_offset(i), 4) & ~bar::kMemoryFlags;
    // A BAR at 0 decodes nowhere; one still holding the sizing pattern (all address bits set)
    // lies past the top of 32-bit space's PCI windows, where no window of this machine is.
    if (base == 0 || base == (~(size - 1) & ~bar::kMemoryFlags)) continue;
    windows[i] = {base, size};
  }
  return windows;
}

}  // namespace rootstock::vmm::pci
