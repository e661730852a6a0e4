#include "vmm/pci/host_bridge.hpp"

namespace rootstock::vmm::pci {

HostBridge::HostBridge()
    : header_(Identity{.vendor_id = kHostBridgeVendorId,
                       .device_id = kHostBridgeDeviceId,
                       .revision_id = 0,
                       .class_code = class_code::kHostBridge}) {}

}  // namespace rootstock::vmm::pci
