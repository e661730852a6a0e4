#include "rootstock/acpi/madt.hpp"

#include "rootstock/acpi/madt_entries.hpp"

namespace rootstock::acpi {
namespace {

// Reads the entry at `offset` as T, which must fit in the entry's stated length.
template <typename T>
Status read_entry(const boot::PhysReader& reader, const Table& madt, uint64_t offset,
                  uint8_t length, T& out) {
  if (length < sizeof(T)) return Status::kMadtEntryShorterThanType;
  return read_table_struct(reader, madt, offset, out) ? Status::kOk : Status::kTableTruncated;
}

Status add_cpu(MadtInfo& info, uint8_t madt_revision, uint32_t apic_id, uint32_t uid,
               uint32_t flags, bool x2apic) {
  const bool enabled = (flags & lapic_flags::kEnabled) != 0;
  // 5.2.12.2: Online Capable exists from MADT revision 5 (ACPI 6.3) and only for disabled CPUs.
  const bool online_capable =
      !enabled && madt_revision >= 5 && (flags & lapic_flags::kOnlineCapable) != 0;
  if (!enabled && !online_capable) {
    // Firmware pads the MADT with such placeholders (often with ID 0xFF); they describe nothing.
    ++info.unusable_cpu_entries;
    return Status::kOk;
  }
  if (apic_id == (x2apic ? 0xffffffffu : 0xffu)) return Status::kMadtInvalidApicId;
  for (size_t i = 0; i < info.cpu_count; ++i) {
    if (info.cpus[i].apic_id == apic_id) return Status::kMadtDuplicateApicId;
  }
  if (info.cpu_count == kMaxCpus) return Status::kMadtTooManyCpus;
  info.cpus[info.cpu_count++] = {apic_id, uid, enabled, online_capable, x2apic};
  if (enabled) ++info.enabled_cpu_count;
  return Status::kOk;
}

Status add_override(MadtInfo& info, const MadtInterruptSourceOverride& e) {
  if (info.find_override(e.bus, e.source) != nullptr) return Status::kMadtDuplicateOverride;
  if (info.override_count == kMaxOverrides) return Status::kMadtTooManyOverrides;
  info.overrides[info.override_count++] = {e.bus, e.source, e.global_system_interrupt, e.flags};
  return Status::kOk;
}

Status add_nmi(MadtInfo& info, uint32_t uid, uint16_t flags, uint8_t lint) {
  if (info.nmi_count == kMaxLapicNmis) return Status::kMadtTooManyNmis;
  info.nmis[info.nmi_count++] = {uid, flags, lint};
  return Status::kOk;
}

Status parse_entry(const boot::PhysReader& reader, const Table& madt, uint64_t offset,
                   const MadtEntryHeader& h, bool& address_overridden, MadtInfo& info) {
  Status s = Status::kOk;
  switch (static_cast<MadtEntryType>(h.type)) {
    case MadtEntryType::kProcessorLocalApic: {
      MadtLocalApic e{};
      s = read_entry(reader, madt, offset, h.length, e);
      if (s != Status::kOk) return s;
      return add_cpu(info, madt.revision, e.apic_id, e.acpi_processor_uid, e.flags, false);
    }
    case MadtEntryType::kProcessorLocalX2apic: {
      MadtLocalX2apic e{};
      s = read_entry(reader, madt, offset, h.length, e);
      if (s != Status::kOk) return s;
      return add_cpu(info, madt.revision, e.x2apic_id, e.acpi_processor_uid, e.flags, true);
    }
    case MadtEntryType::kIoApic: {
      MadtIoApic e{};
      s = read_entry(reader, madt, offset, h.length, e);
      if (s != Status::kOk) return s;
      if (info.ioapic_count == kMaxIoApics) return Status::kMadtTooManyIoApics;
      info.ioapics[info.ioapic_count++] = {e.io_apic_id, e.io_apic_address,
                                           e.global_system_interrupt_base};
      return Status::kOk;
    }
    case MadtEntryType::kInterruptSourceOverride: {
      MadtInterruptSourceOverride e{};
      s = read_entry(reader, madt, offset, h.length, e);
      return s != Status::kOk ? s : add_override(info, e);
    }
    case MadtEntryType::kLocalApicNmi: {
      MadtLocalApicNmi e{};
      s = read_entry(reader, madt, offset, h.length, e);
      if (s != Status::kOk) return s;
      const uint32_t uid = e.acpi_processor_uid == 0xff ? kAllProcessors : e.acpi_processor_uid;
      return add_nmi(info, uid, e.flags, e.local_apic_lint);
    }
    case MadtEntryType::kLocalX2apicNmi: {
      MadtLocalX2apicNmi e{};
      s = read_entry(reader, madt, offset, h.length, e);
      return s != Status::kOk ? s
                              : add_nmi(info, e.acpi_processor_uid, e.flags, e.local_x2apic_lint);
    }
    case MadtEntryType::kLocalApicAddressOverride: {
      MadtLocalApicAddressOverride e{};
      s = read_entry(reader, madt, offset, h.length, e);
      if (s != Status::kOk) return s;
      // 5.2.12.8: at most one; it replaces the 32-bit address in the MADT header.
      if (address_overridden) return Status::kMadtDuplicateAddressOverride;
      address_overridden = true;
      info.lapic_base = e.local_apic_address;
      return Status::kOk;
    }
    case MadtEntryType::kNmiSource:
      break;
  }
  return Status::kOk;  // types hv does not use (NMI sources, SAPIC, GIC, ...)
}

}  // namespace

const InterruptOverride* MadtInfo::find_override(uint8_t bus, uint8_t irq) const {
  for (size_t i = 0; i < override_count; ++i) {
    if (overrides[i].bus == bus && overrides[i].source_irq == irq) return &overrides[i];
  }
  return nullptr;
}

Status parse_madt(const boot::PhysReader& reader, const Table& madt, MadtInfo& out) {
  // Field by field, not `out = MadtInfo{}`: that would build a 7 KiB temporary on hv's stack.
  out.lapic_base = 0;
  out.pcat_compat = false;
  out.cpu_count = out.enabled_cpu_count = out.unusable_cpu_entries = 0;
  out.ioapic_count = out.override_count = out.nmi_count = 0;
  MadtHeader header{};
  if (!read_table_struct(reader, madt, 0, header)) return Status::kTableTooShort;
  out.lapic_base = header.local_apic_address;
  out.pcat_compat = (header.flags & madt_flags::kPcatCompat) != 0;
  bool address_overridden = false;
  // Each step advances by the entry's length, which is checked to be >= 2 and to stay inside
  // the table, so the walk ends after at most length / 2 entries.
  for (uint64_t offset = sizeof(MadtHeader); offset < madt.length;) {
    MadtEntryHeader h{};
    if (madt.length - offset < sizeof(h)) return Status::kMadtEntryPastEnd;
    if (!read_table_struct(reader, madt, offset, h)) return Status::kTableTruncated;
    if (h.length < sizeof(h)) return Status::kMadtEntryTooShort;
    if (h.length > madt.length - offset) return Status::kMadtEntryPastEnd;
    const Status s = parse_entry(reader, madt, offset, h, address_overridden, out);
    if (s != Status::kOk) return s;
    offset += h.length;
  }
  if (out.enabled_cpu_count == 0) return Status::kMadtNoEnabledCpu;
  return Status::kOk;
}

}  // namespace rootstock::acpi
