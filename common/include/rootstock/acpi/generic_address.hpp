// The Generic Address Structure: how ACPI names a register in some address space.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace rootstock::acpi {

/// Address Space ID (ACPI 6.5, 5.2.3.2).
enum class AddressSpace : uint8_t {
  kSystemMemory = 0x00,
  kSystemIo = 0x01,
  kPciConfig = 0x02,
  kEmbeddedController = 0x03,
  kSmbus = 0x04,
  kSystemCmos = 0x05,
  kPciBarTarget = 0x06,
  kIpmi = 0x07,
  kGpio = 0x08,
  kGenericSerialBus = 0x09,
  kPlatformCommChannel = 0x0a,
  kPlatformRuntimeMechanism = 0x0b,
  kFunctionalFixedHardware = 0x7f,
};

/// Generic Address Structure as stored in tables (ACPI 6.5, 5.2.3.2).
struct [[gnu::packed]] GenericAddress {
  uint8_t space_id;
  uint8_t bit_width;
  uint8_t bit_offset;
  uint8_t access_size;  ///< 0 undefined, 1 byte, 2 word, 3 dword, 4 qword
  uint64_t address;
};
static_assert(sizeof(GenericAddress) == 12);
static_assert(offsetof(GenericAddress, access_size) == 3);
static_assert(offsetof(GenericAddress, address) == 4);

/// A register decoded out of a table: a GenericAddress with natural alignment. An address of
/// zero means the table does not provide the register.
struct Register {
  AddressSpace space = AddressSpace::kSystemIo;
  uint8_t bit_width = 0;
  uint8_t bit_offset = 0;
  uint8_t access_size = 0;
  uint64_t address = 0;

  [[nodiscard]] constexpr bool present() const { return address != 0; }
};

/// The naturally aligned copy of `g`.
constexpr Register to_register(const GenericAddress& g) {
  return {static_cast<AddressSpace>(g.space_id), g.bit_width, g.bit_offset, g.access_size,
          g.address};
}

}  // namespace rootstock::acpi
