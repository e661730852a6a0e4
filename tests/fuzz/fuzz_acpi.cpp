// Fuzzes hv's ACPI parser (rootstock/acpi/acpi_info.hpp: RSDP, RSDT/XSDT, MADT, FADT, the
// DSDT's \_S5) over arbitrary firmware memory.
//
// Input: the fixture format of tests/unit/data/acpi (README.md there: an 8-byte magic, the
// RSDP's address, a region count, then regions of address, length and bytes), so the QEMU
// captures are seeds as they are. An odd last magic byte ("RSACPI01") asks the harness to seal
// every region's checksum (an SDT's byte 9, the RSDP's bytes 8 and 32) before parsing, so that
// mutations reach past the checksum checks; an even one leaves the bytes as they are.
// Checked: the parser reads only through the reader (ASan sees everything else) and gives a
// status describe() knows; a read outside every region fails, as unmapped memory does.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include <rootstock/acpi/acpi_info.hpp>

using namespace rootstock;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Region {
  uint64_t paddr;
  std::vector<uint8_t> bytes;
};

// Firmware memory made of the input's regions; a read must lie inside one of them.
class Memory final : public boot::PhysReader {
 public:
  explicit Memory(std::vector<Region> regions) : regions_(std::move(regions)) {}
  bool read(uint64_t paddr, void* out, size_t len) const override {
    for (const Region& r : regions_) {
      if (paddr < r.paddr || paddr - r.paddr > r.bytes.size()) continue;
      const uint64_t offset = paddr - r.paddr;
      if (len > r.bytes.size() - offset) continue;
      if (len != 0) std::memcpy(out, r.bytes.data() + offset, len);
      return true;
    }
    return false;
  }

 private:
  std::vector<Region> regions_;
};

uint64_t le(const uint8_t* p, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

// Sets bytes[at] so that bytes [0, length) sum to zero.
void seal(std::vector<uint8_t>& bytes, size_t at, size_t length) {
  if (at >= bytes.size() || length > bytes.size() || at >= length) return;
  bytes[at] = 0;
  uint8_t sum = 0;
  for (size_t i = 0; i < length; ++i) sum = static_cast<uint8_t>(sum + bytes[i]);
  bytes[at] = static_cast<uint8_t>(-sum);
}

void seal_region(Region& r) {
  std::vector<uint8_t>& b = r.bytes;
  if (b.size() >= 20 && std::memcmp(b.data(), "RSD PTR ", 8) == 0) {
    seal(b, 8, 20);  // ACPI 6.5, 5.2.5.3: the first 20 bytes, then the whole structure
    if (b.size() >= 36) seal(b, 32, std::min<size_t>(le(b.data() + 20, 4), b.size()));
  } else if (b.size() >= 36) {
    seal(b, 9, std::min<size_t>(le(b.data() + 4, 4), b.size()));  // 5.2.6: Length bytes
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kFixed = 20;  // magic, RSDP address, region count
  constexpr uint32_t kMaxRegions = 64;
  if (size < kFixed) return 0;
  const bool sealed = (data[7] & 1) != 0;
  const uint64_t rsdp = le(data + 8, 8);
  const uint64_t count = le(data + 16, 4);
  std::vector<Region> regions;
  size_t at = kFixed;
  for (uint32_t i = 0; i < count && i < kMaxRegions && size - at >= 12; ++i) {
    const uint64_t paddr = le(data + at, 8);
    const size_t length = std::min<size_t>(le(data + at + 8, 4), size - at - 12);
    at += 12;
    regions.push_back({paddr, std::vector<uint8_t>(data + at, data + at + length)});
    at += length;
    if (sealed) seal_region(regions.back());
  }
  const Memory memory(std::move(regions));

  acpi::AcpiInfo info;
  const acpi::Status status = acpi::parse_acpi(memory, rsdp, info);
  check(acpi::describe(status) != nullptr);
  return 0;
}
