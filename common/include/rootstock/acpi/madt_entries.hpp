// The Multiple APIC Description Table as stored by firmware: its fixed part and the interrupt
// controller structures that follow it (ACPI 6.5, 5.2.12).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "rootstock/acpi/sdt.hpp"

namespace rootstock::acpi {

/// MADT fixed part (ACPI 6.5, 5.2.12); entries follow at offset 44.
struct [[gnu::packed]] MadtHeader {
  SdtHeader header;
  uint32_t local_apic_address;
  uint32_t flags;  ///< MadtFlags
};
static_assert(sizeof(MadtHeader) == 44);
static_assert(offsetof(MadtHeader, local_apic_address) == 36);

/// Multiple APIC Flags.
namespace madt_flags {
inline constexpr uint32_t kPcatCompat = 1u << 0;  ///< dual 8259 PICs present
}  // namespace madt_flags

/// Interrupt Controller Structure Types (5.2.12), the ones hv reads.
enum class MadtEntryType : uint8_t {
  kProcessorLocalApic = 0x0,
  kIoApic = 0x1,
  kInterruptSourceOverride = 0x2,
  kNmiSource = 0x3,
  kLocalApicNmi = 0x4,
  kLocalApicAddressOverride = 0x5,
  kProcessorLocalX2apic = 0x9,
  kLocalX2apicNmi = 0xa,
};

/// Every interrupt controller structure starts with these two bytes.
struct [[gnu::packed]] MadtEntryHeader {
  uint8_t type;
  uint8_t length;  ///< of the whole entry, header included
};
static_assert(sizeof(MadtEntryHeader) == 2);

/// Local APIC Flags (5.2.12.2), shared by local APIC and local x2APIC entries.
namespace lapic_flags {
inline constexpr uint32_t kEnabled = 1u << 0;
/// Meaningful only when kEnabled is clear: the processor can be brought online later.
inline constexpr uint32_t kOnlineCapable = 1u << 1;
}  // namespace lapic_flags

/// Processor Local APIC Structure (5.2.12.2).
struct [[gnu::packed]] MadtLocalApic {
  MadtEntryHeader h;
  uint8_t acpi_processor_uid;
  uint8_t apic_id;
  uint32_t flags;
};
static_assert(sizeof(MadtLocalApic) == 8);

/// I/O APIC Structure (5.2.12.3).
struct [[gnu::packed]] MadtIoApic {
  MadtEntryHeader h;
  uint8_t io_apic_id;
  uint8_t reserved;
  uint32_t io_apic_address;
  uint32_t global_system_interrupt_base;
};
static_assert(sizeof(MadtIoApic) == 12);
static_assert(offsetof(MadtIoApic, io_apic_address) == 4);

/// Interrupt Source Override Structure (5.2.12.5).
struct [[gnu::packed]] MadtInterruptSourceOverride {
  MadtEntryHeader h;
  uint8_t bus;     ///< 0: ISA
  uint8_t source;  ///< bus-relative IRQ
  uint32_t global_system_interrupt;
  uint16_t flags;  ///< MPS INTI flags (mps_inti)
};
static_assert(sizeof(MadtInterruptSourceOverride) == 10);
static_assert(offsetof(MadtInterruptSourceOverride, global_system_interrupt) == 4);

/// MPS INTI Flags.
namespace mps_inti {
inline constexpr uint16_t kPolarityMask = 0x3;  ///< 0 bus default, 1 active high, 3 active low
inline constexpr uint16_t kTriggerMask = 0xc;   ///< 0 bus default, 4 edge, 0xc level
}  // namespace mps_inti

/// Local APIC NMI Structure (5.2.12.7).
struct [[gnu::packed]] MadtLocalApicNmi {
  MadtEntryHeader h;
  uint8_t acpi_processor_uid;  ///< 0xFF: all processors
  uint16_t flags;              ///< MPS INTI flags
  uint8_t local_apic_lint;     ///< LINT0 or LINT1
};
static_assert(sizeof(MadtLocalApicNmi) == 6);

/// Local APIC Address Override Structure (5.2.12.8).
struct [[gnu::packed]] MadtLocalApicAddressOverride {
  MadtEntryHeader h;
  uint16_t reserved;
  uint64_t local_apic_address;
};
static_assert(sizeof(MadtLocalApicAddressOverride) == 12);
static_assert(offsetof(MadtLocalApicAddressOverride, local_apic_address) == 4);

/// Processor Local x2APIC Structure (5.2.12.12).
struct [[gnu::packed]] MadtLocalX2apic {
  MadtEntryHeader h;
  uint16_t reserved;
  uint32_t x2apic_id;
  uint32_t flags;  ///< lapic_flags
  uint32_t acpi_processor_uid;
};
static_assert(sizeof(MadtLocalX2apic) == 16);
static_assert(offsetof(MadtLocalX2apic, x2apic_id) == 4);
static_assert(offsetof(MadtLocalX2apic, acpi_processor_uid) == 12);

/// Local x2APIC NMI Structure (5.2.12.13).
struct [[gnu::packed]] MadtLocalX2apicNmi {
  MadtEntryHeader h;
  uint16_t flags;
  uint32_t acpi_processor_uid;  ///< 0xFFFFFFFF: all processors
  uint8_t local_x2apic_lint;
  uint8_t reserved[3];
};
static_assert(sizeof(MadtLocalX2apicNmi) == 12);
static_assert(offsetof(MadtLocalX2apicNmi, acpi_processor_uid) == 4);
static_assert(offsetof(MadtLocalX2apicNmi, local_x2apic_lint) == 8);

}  // namespace rootstock::acpi
