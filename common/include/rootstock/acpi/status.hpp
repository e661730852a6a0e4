// The outcome of parsing firmware ACPI tables: every way hostile or broken tables are refused.
#pragma once

#include <stdint.h>

namespace rootstock::acpi {

/// Why parsing failed; kOk when it did not. describe() gives the sentence for the log.
enum class Status : uint8_t {
  kOk,
  // RSDP, ACPI 6.5 5.2.5
  kRsdpNotFound,
  kRsdpUnreadable,
  kRsdpBadSignature,
  kRsdpBadChecksum,
  kRsdpBadExtendedChecksum,
  kRsdpBadLength,
  kNoRootTable,
  // Any system description table, 5.2.6
  kTableAddressInvalid,
  kTableUnreadable,
  kTableBadSignature,
  kTableTooShort,
  kTableTooLong,
  kTableTruncated,
  kTableBadChecksum,
  // RSDT / XSDT, 5.2.7 and 5.2.8
  kRootTableBadLength,
  kRootTableTooManyEntries,
  kRootTableDuplicateEntry,
  kTableNotFound,
  kTableDuplicate,
  // MADT, 5.2.12
  kMadtEntryTooShort,
  kMadtEntryShorterThanType,
  kMadtEntryPastEnd,
  kMadtTooManyCpus,
  kMadtTooManyIoApics,
  kMadtTooManyOverrides,
  kMadtTooManyNmis,
  kMadtDuplicateApicId,
  kMadtInvalidApicId,
  kMadtDuplicateOverride,
  kMadtDuplicateAddressOverride,
  kMadtNoEnabledCpu,
  // FADT, 5.2.9
  kFadtNoDsdt,
  kFadtBadAddressSpace,
  kFadtBadIoPort,
  // \_S5 in the DSDT, 7.4.2 and 20.2
  kS5BadPackage,
  kS5BadElement,
  kS5ValueOutOfRange,
  kS5Ambiguous,
};

/// One sentence saying what was wrong, e.g. for "acpi: <describe(s)>" on the serial log.
[[nodiscard]] const char* describe(Status s);

}  // namespace rootstock::acpi
