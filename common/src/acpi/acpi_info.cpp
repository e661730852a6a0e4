#include "rootstock/acpi/acpi_info.hpp"

#include "rootstock/acpi/fadt_table.hpp"
#include "rootstock/acpi/madt_entries.hpp"
#include "rootstock/acpi/root_table.hpp"

namespace rootstock::acpi {
namespace {

Status fail(AcpiInfo& out, Status s, Signature table, uint64_t paddr) {
  out.fault = {table, paddr};
  return s;
}

}  // namespace

Status parse_acpi(const boot::PhysReader& reader, uint64_t rsdp_paddr, AcpiInfo& out) {
  out.fault = {};
  out.xsdt = false;
  out.s5 = {};
  Status s =
      rsdp_paddr != 0 ? read_rsdp(reader, rsdp_paddr, out.rsdp) : find_rsdp(reader, out.rsdp);
  if (s != Status::kOk) return fail(out, s, Signature::kNone, rsdp_paddr);

  RootTable root;
  out.xsdt = uses_xsdt(out.rsdp);
  s = load_root_table(reader, out.rsdp, root);
  if (s != Status::kOk)
    return fail(out, s, out.xsdt ? Signature::kXsdt : Signature::kRsdt, root.table.paddr);

  Table madt;
  s = find_table(reader, root, Signature::kApic, sizeof(MadtHeader), madt);
  if (s == Status::kOk) s = parse_madt(reader, madt, out.madt);
  if (s != Status::kOk) return fail(out, s, Signature::kApic, madt.paddr);

  Table fadt;
  s = find_table(reader, root, Signature::kFacp, kFadtV1Length, fadt);
  if (s == Status::kOk) s = parse_fadt(reader, fadt, out.fadt);
  if (s != Status::kOk) return fail(out, s, Signature::kFacp, fadt.paddr);

  Table dsdt;
  s = load_table(reader, out.fadt.dsdt, Signature::kDsdt, 0, dsdt);
  if (s == Status::kOk) s = find_s5(reader, dsdt, out.s5);
  if (s != Status::kOk) return fail(out, s, Signature::kDsdt, out.fadt.dsdt);
  return Status::kOk;
}

}  // namespace rootstock::acpi
