#include "rootstock/acpi/status.hpp"

namespace rootstock::acpi {

const char* describe(Status s) {
  switch (s) {
    case Status::kOk:
      return "ok";
    case Status::kRsdpNotFound:
      return "no RSDP: no \"RSD PTR \" with valid checksums in the EBDA or 0xE0000-0xFFFFF";
    case Status::kRsdpUnreadable:
      return "RSDP address is not readable memory";
    case Status::kRsdpBadSignature:
      return "RSDP signature is not \"RSD PTR \"";
    case Status::kRsdpBadChecksum:
      return "RSDP checksum (first 20 bytes) does not sum to zero";
    case Status::kRsdpBadExtendedChecksum:
      return "RSDP extended checksum (whole structure) does not sum to zero";
    case Status::kRsdpBadLength:
      return "RSDP length is below 36 bytes or absurdly large";
    case Status::kNoRootTable:
      return "RSDP gives neither an RSDT nor an XSDT address";
    case Status::kTableAddressInvalid:
      return "table address is zero or the table would wrap around the address space";
    case Status::kTableUnreadable:
      return "table header is not readable memory";
    case Status::kTableBadSignature:
      return "table signature is not the one expected";
    case Status::kTableTooShort:
      return "table length is smaller than the table's fixed part";
    case Status::kTableTooLong:
      return "table length exceeds the 1 MiB sanity bound";
    case Status::kTableTruncated:
      return "table length runs into unreadable memory";
    case Status::kTableBadChecksum:
      return "table checksum does not sum to zero";
    case Status::kRootTableBadLength:
      return "RSDT/XSDT length is not the header plus a whole number of entries";
    case Status::kRootTableTooManyEntries:
      return "RSDT/XSDT lists more tables than the parser's bound";
    case Status::kRootTableDuplicateEntry:
      return "RSDT/XSDT lists the same table address twice";
    case Status::kTableNotFound:
      return "RSDT/XSDT lists no table with this signature";
    case Status::kTableDuplicate:
      return "RSDT/XSDT lists two tables with this signature";
    case Status::kMadtEntryTooShort:
      return "MADT entry length is below 2 (an entry must cover its own header)";
    case Status::kMadtEntryShorterThanType:
      return "MADT entry length is smaller than its type's structure";
    case Status::kMadtEntryPastEnd:
      return "MADT entry runs past the end of the table";
    case Status::kMadtTooManyCpus:
      return "MADT lists more usable processors than hv supports";
    case Status::kMadtTooManyIoApics:
      return "MADT lists more I/O APICs than hv supports";
    case Status::kMadtTooManyOverrides:
      return "MADT lists more interrupt source overrides than hv supports";
    case Status::kMadtTooManyNmis:
      return "MADT lists more local APIC NMI entries than hv supports";
    case Status::kMadtDuplicateApicId:
      return "MADT lists two usable processors with the same APIC ID";
    case Status::kMadtInvalidApicId:
      return "MADT lists a usable processor with the broadcast APIC ID";
    case Status::kMadtDuplicateOverride:
      return "MADT has two interrupt source overrides for the same bus and IRQ";
    case Status::kMadtDuplicateAddressOverride:
      return "MADT has more than one local APIC address override";
    case Status::kMadtNoEnabledCpu:
      return "MADT lists no enabled processor";
    case Status::kFadtNoDsdt:
      return "FADT gives no DSDT address";
    case Status::kFadtBadAddressSpace:
      return "FADT register is in an address space hv cannot use for it";
    case Status::kFadtBadIoPort:
      return "FADT I/O register address does not fit a 16-bit port";
    case Status::kS5BadPackage:
      return "\\_S5 package is malformed or runs past the DSDT";
    case Status::kS5BadElement:
      return "\\_S5 package element is not a constant integer";
    case Status::kS5ValueOutOfRange:
      return "\\_S5 sleep type does not fit the 3-bit SLP_TYP field";
    case Status::kS5Ambiguous:
      return "DSDT defines \\_S5 more than once with different values";
  }
  return "unknown ACPI status";
}

}  // namespace rootstock::acpi
