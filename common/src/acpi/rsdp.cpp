#include "rootstock/acpi/rsdp.hpp"

#include "rootstock/acpi/checksum.hpp"

namespace rootstock::acpi {
namespace {

constexpr char kRsdpSignature[8] = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' '};

bool has_signature(const char (&sig)[8]) {
  for (size_t i = 0; i < sizeof(sig); ++i) {
    if (sig[i] != kRsdpSignature[i]) return false;
  }
  return true;
}

// Scans [start, end) on 16-byte boundaries. Unreadable chunks are skipped: the area may be
// partly unmapped. `first_failure` keeps the failure of the first signature match.
bool scan(const boot::PhysReader& reader, uint64_t start, uint64_t end, RsdpInfo& out,
          Status& first_failure) {
  constexpr uint64_t kChunk = 256;
  uint8_t chunk[kChunk];
  for (uint64_t base = start; base < end; base += kChunk) {
    const uint64_t n = end - base < kChunk ? end - base : kChunk;
    if (!reader.read(base, chunk, static_cast<size_t>(n))) continue;
    for (uint64_t off = 0; off + 8 <= n; off += 16) {
      bool match = true;
      for (size_t i = 0; i < 8; ++i) {
        match = match && chunk[off + i] == static_cast<uint8_t>(kRsdpSignature[i]);
      }
      if (!match) continue;
      const Status s = read_rsdp(reader, base + off, out);
      if (s == Status::kOk) return true;
      if (first_failure == Status::kRsdpNotFound) first_failure = s;
    }
  }
  return false;
}

}  // namespace

Status read_rsdp(const boot::PhysReader& reader, uint64_t paddr, RsdpInfo& out) {
  Rsdp rsdp{};
  // Revision 0 structures are only 20 bytes long: read those first, the rest only if present.
  if (!reader.read(paddr, &rsdp, kRsdpV1Length)) return Status::kRsdpUnreadable;
  if (!has_signature(rsdp.signature)) return Status::kRsdpBadSignature;
  uint8_t sum = 0;
  if (!sum_bytes(reader, paddr, kRsdpV1Length, sum)) return Status::kRsdpUnreadable;
  if (sum != 0) return Status::kRsdpBadChecksum;

  RsdpInfo info;
  info.paddr = paddr;
  info.revision = rsdp.revision;
  info.rsdt_address = rsdp.rsdt_address;
  if (rsdp.revision >= 2) {
    if (!boot::read_struct(reader, paddr, rsdp)) return Status::kRsdpUnreadable;
    if (rsdp.length < sizeof(Rsdp) || rsdp.length > kRsdpMaxLength) {
      return Status::kRsdpBadLength;
    }
    if (!sum_bytes(reader, paddr, rsdp.length, sum)) return Status::kRsdpUnreadable;
    if (sum != 0) return Status::kRsdpBadExtendedChecksum;
    info.xsdt_address = rsdp.xsdt_address;
  }
  out = info;
  return Status::kOk;
}

Status find_rsdp(const boot::PhysReader& reader, RsdpInfo& out) {
  Status first_failure = Status::kRsdpNotFound;
  uint16_t ebda_segment = 0;
  if (boot::read_struct(reader, kEbdaPointer, ebda_segment)) {
    const uint64_t ebda = uint64_t{ebda_segment} << 4;
    // Only a plausible EBDA (above the BDA, below the VGA hole) is worth searching.
    if (ebda >= 0x500 && ebda + kEbdaSearchLength <= 0xa0000 &&
        scan(reader, ebda, ebda + kEbdaSearchLength, out, first_failure)) {
      return Status::kOk;
    }
  }
  if (scan(reader, kBiosAreaStart, kBiosAreaEnd, out, first_failure)) return Status::kOk;
  return first_failure;
}

}  // namespace rootstock::acpi
