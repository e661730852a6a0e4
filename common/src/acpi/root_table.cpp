#include "rootstock/acpi/root_table.hpp"

namespace rootstock::acpi {

Status load_root_table(const boot::PhysReader& reader, const RsdpInfo& rsdp, RootTable& out) {
  out = RootTable{};
  const bool xsdt = uses_xsdt(rsdp);
  if (!xsdt && rsdp.rsdt_address == 0) return Status::kNoRootTable;
  const Status s = xsdt ? load_table(reader, rsdp.xsdt_address, Signature::kXsdt, 0, out.table)
                        : load_table(reader, rsdp.rsdt_address, Signature::kRsdt, 0, out.table);
  if (s != Status::kOk) return s;
  out.entry_size = xsdt ? 8 : 4;
  const uint32_t body = out.table.length - static_cast<uint32_t>(sizeof(SdtHeader));
  if (body % out.entry_size != 0) return Status::kRootTableBadLength;
  if (body / out.entry_size > kMaxRootEntries) return Status::kRootTableTooManyEntries;
  out.count = body / out.entry_size;
  for (uint32_t i = 0; i < out.count; ++i) {
    uint64_t a = 0;
    if (!root_entry(reader, out, i, a)) return Status::kTableTruncated;
    for (uint32_t j = 0; j < i && a != 0; ++j) {
      uint64_t b = 0;
      if (!root_entry(reader, out, j, b)) return Status::kTableTruncated;
      if (a == b) return Status::kRootTableDuplicateEntry;
    }
  }
  return Status::kOk;
}

bool root_entry(const boot::PhysReader& reader, const RootTable& root, uint32_t index,
                uint64_t& paddr) {
  if (index >= root.count) return false;
  const uint64_t offset = sizeof(SdtHeader) + uint64_t{index} * root.entry_size;
  if (root.entry_size == 4) {
    uint32_t a = 0;
    if (!read_table_struct(reader, root.table, offset, a)) return false;
    paddr = a;
    return true;
  }
  return read_table_struct(reader, root.table, offset, paddr);
}

Status find_table(const boot::PhysReader& reader, const RootTable& root, Signature signature,
                  uint32_t min_length, Table& out) {
  out = Table{};
  bool found = false;
  for (uint32_t i = 0; i < root.count; ++i) {
    uint64_t paddr = 0;
    if (!root_entry(reader, root, i, paddr)) return Status::kTableTruncated;
    if (paddr == 0) continue;
    uint32_t sig = 0;
    if (!boot::read_struct(reader, paddr, sig)) {
      out.paddr = paddr;
      return Status::kTableUnreadable;
    }
    if (static_cast<Signature>(sig) != signature) continue;
    if (found) {
      out = Table{};
      out.paddr = paddr;
      return Status::kTableDuplicate;
    }
    found = true;
    const Status s = load_table(reader, paddr, signature, min_length, out);
    if (s != Status::kOk) return s;
  }
  return found ? Status::kOk : Status::kTableNotFound;
}

}  // namespace rootstock::acpi
