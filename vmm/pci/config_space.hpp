// The PCI configuration space as the child's kernel reads it (PCI Local Bus Specification 3.0,
// 6.1 "Configuration Space Organization"): the offsets of the type 0 header, the bits of its
// Command and Status registers, the BAR encodings (6.2.5.1) and the capability IDs (PCI Code
// and ID Assignment Specification 1.11, 2 "Capability IDs") the VMM's functions use.
#pragma once

#include <stdint.h>

namespace rootstock::vmm::pci {

/// The conventional configuration space of one function: 256 bytes (PCI 3.0, 6.1). PCI
/// Express's extended space (to 4 KiB) is reached only through ECAM, which this machine does
/// not offer (pci_bus.hpp).
inline constexpr uint32_t kConfigSize = 256;

/// Register offsets of the type 0 (endpoint) header (PCI 3.0, Figure 6-1).
enum class Header : uint16_t {
  kVendorId = 0x00,           ///< 16 bits; 0xFFFF: no function here
  kDeviceId = 0x02,           ///< 16 bits
  kCommand = 0x04,            ///< 16 bits (Command)
  kStatus = 0x06,             ///< 16 bits (Status)
  kRevisionId = 0x08,         ///< 8 bits
  kClassCode = 0x09,          ///< 24 bits: programming interface, subclass, base class
  kCacheLineSize = 0x0c,      ///< 8 bits, read-write storage software may use
  kLatencyTimer = 0x0d,       ///< 8 bits
  kHeaderType = 0x0e,         ///< 8 bits: 0 endpoint, bit 7 multi-function
  kBist = 0x0f,               ///< 8 bits
  kBar0 = 0x10,               ///< six 32-bit Base Address Registers, 0x10 to 0x27
  kCardbusCis = 0x28,         ///< 32 bits
  kSubsystemVendorId = 0x2c,  ///< 16 bits
  kSubsystemId = 0x2e,        ///< 16 bits
  kExpansionRom = 0x30,       ///< 32 bits
  kCapabilities = 0x34,       ///< 8 bits: the first capability's offset (Status bit 4 set)
  kInterruptLine = 0x3c,      ///< 8 bits, read-write storage for the OS
  kInterruptPin = 0x3d,       ///< 8 bits: 0 none, 1-4 INTA#-INTD#
  kMinGnt = 0x3e,
  kMaxLat = 0x3f,
};

/// The offset of a header register, as a number.
[[nodiscard]] constexpr uint16_t offset(Header h) {
  return static_cast<uint16_t>(h);
}

/// Where the header ends and capabilities may start (PCI 3.0, 6.7: capabilities lie in the
/// device-specific part, 40h-FFh, dword aligned).
inline constexpr uint16_t kFirstCapability = 0x40;
/// Six BARs (PCI 3.0, 6.2.5.1) in a type 0 header.
inline constexpr unsigned kBarCount = 6;
/// Header type 0, single function.
inline constexpr uint8_t kHeaderTypeEndpoint = 0x00;
/// A read of a function that does not exist: all ones (PCI 3.0, 6.1: "the host bus to PCI
/// bridge must unambiguously report attempts to read the Vendor ID of non-existent devices",
/// as 0xFFFF).
inline constexpr uint32_t kNoFunction = 0xffffffff;

/// Command register bits (PCI 3.0, 6.2.2, Figure 6-2).
namespace command {
inline constexpr uint16_t kIoSpace = 1u << 0;       ///< decode its I/O BARs
inline constexpr uint16_t kMemorySpace = 1u << 1;   ///< decode its memory BARs
inline constexpr uint16_t kBusMaster = 1u << 2;     ///< may master the bus (DMA, MSI writes)
inline constexpr uint16_t kParityError = 1u << 6;   ///< parity error response
inline constexpr uint16_t kSerr = 1u << 8;          ///< SERR# enable
inline constexpr uint16_t kIntxDisable = 1u << 10;  ///< INTx# emulation disable
}  // namespace command

/// Status register bits (PCI 3.0, 6.2.3, Figure 6-3).
namespace status {
inline constexpr uint16_t kCapabilitiesList = 1u << 4;  ///< Capabilities Pointer is valid
}  // namespace status

/// Memory BAR encodings (PCI 3.0, 6.2.5.1, Figure 6-5): bit 0 clear (memory), bits 2:1 the
/// type, bit 3 prefetchable, the address above.
namespace bar {
inline constexpr uint32_t kIo = 1u << 0;
inline constexpr uint32_t kMemory32 = 0u << 1;  ///< anywhere in 32-bit space
inline constexpr uint32_t kMemory64 = 2u << 1;  ///< a 64-bit pair with the next BAR
inline constexpr uint32_t kPrefetchable = 1u << 3;
inline constexpr uint32_t kMemoryFlags = 0xf;  ///< the read-only low bits of a memory BAR
}  // namespace bar

/// Capability IDs (PCI Code and ID Assignment 1.11, Table 2-1).
enum class CapabilityId : uint8_t {
  kMsi = 0x05,
  kVendorSpecific = 0x09,  ///< virtio-pci's structures (virtio 1.2, 4.1.4)
  kMsix = 0x11,
};

/// Class codes (PCI Code and ID Assignment 1.11, 1 "Class Codes"): base class << 16 | subclass
/// << 8 | programming interface.
namespace class_code {
inline constexpr uint32_t kHostBridge = 0x060000;
inline constexpr uint32_t kScsiStorage = 0x010000;
inline constexpr uint32_t kEthernet = 0x020000;
inline constexpr uint32_t kOtherCommunication = 0x078000;
inline constexpr uint32_t kOther = 0xff0000;  ///< "device does not fit any defined class"
}  // namespace class_code

}  // namespace rootstock::vmm::pci
