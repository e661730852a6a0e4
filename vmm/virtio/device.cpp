#include "vmm/virtio/device.hpp"

namespace rootstock::vmm::virtio {

std::string_view describe(DeviceType type) {
  switch (type) {
    case DeviceType::kNet:
      return "net";
    case DeviceType::kBlock:
      return "block";
    case DeviceType::kConsole:
      return "console";
    case DeviceType::kEntropy:
      return "entropy";
    case DeviceType::kVsock:
      return "vsock";
  }
  return "unknown";
}

}  // namespace rootstock::vmm::virtio
