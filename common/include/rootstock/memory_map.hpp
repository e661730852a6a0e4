// The physical memory map as hv sees it after parsing the firmware's (PVH memmap, Multiboot2
// mmap tag, later UEFI) and as it hands it on (the root's e820, a child's e820): one
// representation for every boot protocol.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace rootstock {

/// What a physical range is, in the e820 vocabulary (ACPI 6.5, 15.1 "Address Range Types").
enum class MemoryType : uint32_t {
  kUsable = 1,           ///< AddressRangeMemory: RAM the OS may use
  kReserved = 2,         ///< AddressRangeReserved
  kAcpiReclaimable = 3,  ///< AddressRangeACPI: ACPI tables, reusable once read
  kAcpiNvs = 4,          ///< AddressRangeNVS: must be preserved across sleep
  kUnusable = 5,         ///< AddressRangeUnusable: bad memory
  kPersistent = 7,       ///< AddressRangePersistentMemory
};

/// One range of the map: [base, base + length).
struct MemoryRange {
  uint64_t base = 0;
  uint64_t length = 0;
  MemoryType type = MemoryType::kReserved;

  [[nodiscard]] constexpr uint64_t end() const { return base + length; }
};

/// Highest physical address width x86-64 defines (AMD APM vol. 2, 5.3.3: 52 bits); a range
/// reaching past it is absurd input.
inline constexpr uint64_t kMaxPhysicalAddress = uint64_t{1} << 52;

}  // namespace rootstock
