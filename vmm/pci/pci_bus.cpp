#include "vmm/pci/pci_bus.hpp"

#include <bit>
#include <string>

namespace rootstock::vmm::pci {

namespace {

constexpr uint64_t k4GiB = uint64_t{1} << 32;
constexpr uint8_t kDword = 4;

/// All ones in `size` bytes: what a read nobody answers gives.
constexpr uint64_t all_ones(uint8_t size) {
  return size >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * size)) - 1;
}

}  // namespace

PciBus::PciBus(uint64_t window_base, uint64_t window_size)
    : window_base_(window_base), window_size_(window_size) {
  slots_[0] = &host_bridge_;
  names_[0] = "the PCI host bridge";
}

Result<uint32_t> PciBus::allocate_bar(uint32_t size, std::string_view name) {
  if (size == 0 || !std::has_single_bit(size)) {
    return fail(std::string(name) + ": a BAR's size must be a power of two");
  }
  const uint64_t start = (window_base_ + window_used_ + size - 1) & ~uint64_t{size - 1};
  if (start + size > window_base_ + window_size_ || start + size > k4GiB) {
    return fail(std::string(name) + ": the PCI window has no room for a BAR of " +
                std::to_string(size) + " bytes");
  }
  window_used_ = start + size - window_base_;
  return static_cast<uint32_t>(start);
}

Result<uint8_t> PciBus::add(PciFunction& function, std::string_view name) {
  for (unsigned device = 1; device < kDevicesPerBus; ++device) {
    if (slots_[device] != nullptr) continue;
    slots_[device] = &function;
    names_[device] = name;
    decoded_[device] = function.bar_windows();
    return static_cast<uint8_t>(device);
  }
  return fail(std::string(name) + ": the PCI bus has no free slot (" +
              std::to_string(kDevicesPerBus - 1) + " devices at most)");
}

PciFunction* PciBus::function_at(ConfigAddress address) const {
  // One bus, single-function devices: other buses and functions are empty (all ones).
  if (!address.enabled() || address.bus() != 0 || address.function() != 0) return nullptr;
  return slots_[address.device()];
}

uint32_t PciBus::config_read(ConfigAddress address, uint8_t byte, uint8_t size) {
  std::lock_guard lock(config_mutex_);
  PciFunction* function = function_at(address);
  if (function == nullptr) return static_cast<uint32_t>(all_ones(size));
  return function->config_read(static_cast<uint16_t>(address.register_offset() + byte), size);
}

void PciBus::config_write(ConfigAddress address, uint8_t byte, uint8_t size, uint32_t value) {
  std::lock_guard lock(config_mutex_);
  PciFunction* function = function_at(address);
  if (function == nullptr) return;
  function->config_write(static_cast<uint16_t>(address.register_offset() + byte), size, value);
  // The write may have moved a BAR or switched decoding: the table follows.
  const BarWindows windows = function->bar_windows();
  std::unique_lock table(decode_mutex_);
  decoded_[address.device()] = windows;
}

PciBus::Target PciBus::decode(uint64_t gpa) const {
  std::shared_lock lock(decode_mutex_);
  for (unsigned device = 0; device < kDevicesPerBus; ++device) {
    for (unsigned bar = 0; bar < kBarCount; ++bar) {
      const BarWindow& w = decoded_[device][bar];
      if (w.size != 0 && gpa >= w.base && gpa - w.base < w.size) {
        return {slots_[device], bar, gpa - w.base};
      }
    }
  }
  return {};
}

Next PciBus::Ports::out(uint16_t port, uint8_t size, uint32_t value) {
  if (port == kConfigAddressPort) {
    // 3.2.2.3.2: only a DWORD access is CONFIG_ADDRESS; bits 1:0 are read-only 0.
    if (size == kDword) bus.config_address_.store(value & ~uint32_t{3});
    return Next::kContinue;
  }
  const auto byte = static_cast<uint8_t>(port - kConfigDataPort);
  if (port >= kConfigDataPort && byte + size <= kDword) {
    bus.config_write({bus.config_address_.load()}, byte, size, value);
  }
  return Next::kContinue;
}

uint32_t PciBus::Ports::in(uint16_t port, uint8_t size) {
  if (port == kConfigAddressPort) {
    return size == kDword ? bus.config_address_.load() : static_cast<uint32_t>(all_ones(size));
  }
  const auto byte = static_cast<uint8_t>(port - kConfigDataPort);
  if (port >= kConfigDataPort && byte + size <= kDword) {
    return bus.config_read({bus.config_address_.load()}, byte, size);
  }
  return static_cast<uint32_t>(all_ones(size));
}

uint64_t PciBus::Window::read(uint64_t gpa, uint8_t size) {
  const Target t = bus.decode(gpa);
  if (t.function == nullptr) {
    bus.unclaimed_.fetch_add(1, std::memory_order_relaxed);
    return all_ones(size);
  }
  return t.function->bar_read(t.bar, t.offset, size);
}

Next PciBus::Window::write(uint64_t gpa, uint8_t size, uint64_t value) {
  const Target t = bus.decode(gpa);
  if (t.function == nullptr) {
    bus.unclaimed_.fetch_add(1, std::memory_order_relaxed);
  } else {
    t.function->bar_write(t.bar, t.offset, size, value);
  }
  return Next::kContinue;
}

}  // namespace rootstock::vmm::pci
