#include "vmm/io_bus.hpp"

#include <algorithm>

namespace rootstock::vmm {
namespace {
constexpr uint32_t kPorts = 0x10000;
}

Result<void> IoBus::add(uint16_t first, uint32_t count, PortIoHandler& device) {
  if (count == 0 || first + count > kPorts) {
    return fail("io bus: ports " + std::to_string(first) + "+" + std::to_string(count) +
                " are not a range of the 64 Ki port space");
  }
  for (const Range& r : ranges_) {
    if (first < r.first + r.count && r.first < first + count) {
      return fail("io bus: ports " + std::to_string(first) + "+" + std::to_string(count) +
                  " overlap a device at " + std::to_string(r.first) + "+" +
                  std::to_string(r.count));
    }
  }
  const auto at = std::lower_bound(ranges_.begin(), ranges_.end(), first,
                                   [](const Range& r, uint16_t p) { return r.first < p; });
  ranges_.insert(at, Range{first, count, &device});
  return {};
}

PortIoHandler* IoBus::find(uint16_t port) const {
  // The last range starting at or below the port, if the port is inside it.
  const auto after = std::upper_bound(ranges_.begin(), ranges_.end(), port,
                                      [](uint16_t p, const Range& r) { return p < r.first; });
  if (after == ranges_.begin()) return nullptr;
  const Range& r = *(after - 1);
  return port < r.first + r.count ? r.device : nullptr;
}

Next IoBus::out(uint16_t port, uint8_t size, uint32_t value) {
  if (PortIoHandler* d = find(port)) return d->out(port, size, value);
  ++unclaimed_;
  return Next::kContinue;
}

uint32_t IoBus::in(uint16_t port, uint8_t size) {
  if (PortIoHandler* d = find(port)) return d->in(port, size);
  ++unclaimed_;
  return 0xffffffffu;
}

}  // namespace rootstock::vmm
