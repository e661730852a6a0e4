#include "rootstock/acpi/sdt.hpp"

#include "rootstock/acpi/checksum.hpp"

namespace rootstock::acpi {

Status load_table(const boot::PhysReader& reader, uint64_t paddr, Signature expected,
                  uint32_t min_length, Table& out) {
  out = Table{};
  out.paddr = paddr;
  if (paddr == 0) return Status::kTableAddressInvalid;
  SdtHeader header{};
  if (!boot::read_struct(reader, paddr, header)) return Status::kTableUnreadable;
  out.signature = static_cast<Signature>(header.signature);
  if (expected != Signature::kNone && out.signature != expected) {
    return Status::kTableBadSignature;
  }
  if (header.length < sizeof(SdtHeader) || header.length < min_length) {
    return Status::kTableTooShort;
  }
  if (header.length > kMaxTableLength) return Status::kTableTooLong;
  if (paddr + (header.length - 1) < paddr) return Status::kTableAddressInvalid;
  uint8_t sum = 0;
  if (!sum_bytes(reader, paddr, header.length, sum)) return Status::kTableTruncated;
  if (sum != 0) return Status::kTableBadChecksum;
  out.length = header.length;
  out.revision = header.revision;
  return Status::kOk;
}

bool read_table(const boot::PhysReader& reader, const Table& table, uint64_t offset, void* out,
                size_t len) {
  if (offset > table.length || len > table.length - offset) return false;
  return reader.read(table.paddr + offset, out, len);
}

}  // namespace rootstock::acpi
