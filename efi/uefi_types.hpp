// UEFI's basic types and the memory map, as the UEFI Specification 2.10 defines them (2.3.1
// "Data Types", Appendix D "Status Codes", 7.2 "Memory Allocation Services"). Plain layouts,
// usable by the loader (freestanding, Microsoft x64 ABI) and by host tests alike.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace rootstock::efi {

/// Every firmware call is EFIAPI: the Microsoft x64 calling convention (2.3.4.2), whatever the
/// compiler's default (the host tests use the System V one).
#define ROOTSTOCK_EFIAPI __attribute__((ms_abi))

using Char16 = char16_t;
using Handle = void*;
using PhysicalAddress = uint64_t;

/// EFI_STATUS (Appendix D): errors have the top bit set.
enum class Status : uint64_t {
  kSuccess = 0,
  kLoadError = (uint64_t{1} << 63) | 1,
  kInvalidParameter = (uint64_t{1} << 63) | 2,
  kUnsupported = (uint64_t{1} << 63) | 3,
  kBufferTooSmall = (uint64_t{1} << 63) | 5,
  kOutOfResources = (uint64_t{1} << 63) | 9,
  kNotFound = (uint64_t{1} << 63) | 14,
};

/// True for an error status (Appendix D: the high bit).
[[nodiscard]] constexpr bool is_error(Status s) {
  return (static_cast<uint64_t>(s) >> 63) != 0;
}

/// EFI_GUID (2.3.1, Appendix A): the first three fields little endian.
struct Guid {
  uint32_t data1;
  uint16_t data2;
  uint16_t data3;
  uint8_t data4[8];

  [[nodiscard]] constexpr bool operator==(const Guid& o) const {
    if (data1 != o.data1 || data2 != o.data2 || data3 != o.data3) return false;
    for (size_t i = 0; i < sizeof(data4); ++i) {
      if (data4[i] != o.data4[i]) return false;
    }
    return true;
  }
};
static_assert(sizeof(Guid) == 16);

/// EFI_MEMORY_TYPE (7.2.1, Table 7-6 "Memory Type Usage before ExitBootServices()").
enum class EfiMemoryType : uint32_t {
  kReservedMemoryType = 0,
  kLoaderCode = 1,
  kLoaderData = 2,
  kBootServicesCode = 3,
  kBootServicesData = 4,
  kRuntimeServicesCode = 5,
  kRuntimeServicesData = 6,
  kConventionalMemory = 7,
  kUnusableMemory = 8,
  kAcpiReclaimMemory = 9,
  kAcpiMemoryNvs = 10,
  kMemoryMappedIo = 11,
  kMemoryMappedIoPortSpace = 12,
  kPalCode = 13,
  kPersistentMemory = 14,
  kUnacceptedMemoryType = 15,  ///< 2.9 and later: memory a confidential guest must accept
};

/// EFI_MEMORY_DESCRIPTOR attribute bits (7.2.3) the loader looks at.
namespace memory_attribute {
/// EFI_MEMORY_SP: "specific-purpose" memory, for a driver rather than the OS's general use.
inline constexpr uint64_t kSpecificPurpose = 0x40000;
/// EFI_MEMORY_RUNTIME: the firmware's runtime services need the range mapped.
inline constexpr uint64_t kRuntime = uint64_t{1} << 63;
}  // namespace memory_attribute

/// EFI_MEMORY_DESCRIPTOR (7.2.3, version 1). GetMemoryMap returns an array of these with a
/// stride of its DescriptorSize, which may exceed this structure: always step by that.
struct MemoryDescriptor {
  uint32_t type;  ///< EfiMemoryType (raw: firmware may return values this code does not know)
  uint32_t padding;
  PhysicalAddress physical_start;  ///< 4 KiB aligned
  uint64_t virtual_start;
  uint64_t number_of_pages;  ///< 4 KiB pages
  uint64_t attribute;
};
static_assert(sizeof(MemoryDescriptor) == 40);
static_assert(offsetof(MemoryDescriptor, physical_start) == 8);
static_assert(offsetof(MemoryDescriptor, number_of_pages) == 24);
static_assert(offsetof(MemoryDescriptor, attribute) == 32);

/// EFI_PAGE_SIZE (7.2.1).
inline constexpr uint64_t kPageSize = 4096;

}  // namespace rootstock::efi
