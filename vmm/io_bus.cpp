#include "vmm/io_bus.hpp"

namespace rootstock::vmm {
namespace {
constexpr uint32_t kPorts = 0x10000;
}

Result<void> IoBus::add(uint16_t first, uint32_t count, PortIoHandler& device,
                        std::string_view name) {
  if (count == 0 || first + count > kPorts) {
    return fail("io bus: ports " + std::to_string(first) + "+" + std::to_string(count) + " (" +
                std::string(name) + ") are not a range of the 64 Ki port space");
  }
  return ranges_.add("io bus: ports", first, first + count - 1, device, name);
}

Next IoBus::out(uint16_t port, uint8_t size, uint32_t value) {
  if (PortIoHandler* d = ranges_.find(port)) return d->out(port, size, value);
  unclaimed_.fetch_add(1, std::memory_order_relaxed);
  return Next::kContinue;
}

uint32_t IoBus::in(uint16_t port, uint8_t size) {
  if (PortIoHandler* d = ranges_.find(port)) return d->in(port, size);
  unclaimed_.fetch_add(1, std::memory_order_relaxed);
  return 0xffffffffu;
}

}  // namespace rootstock::vmm
