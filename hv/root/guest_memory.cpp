#include "root/guest_memory.hpp"

extern "C" void* memcpy(void* dst, const void* src, size_t n);

namespace hv::root {
namespace {

constexpr uint64_t kCr0Pg = 1ull << 31;
constexpr uint64_t kCr4La57 = 1ull << 12;
constexpr uint64_t kEferLma = 1ull << 10;
constexpr uint64_t kPresent = 1ull << 0;
constexpr uint64_t kLarge = 1ull << 7;
constexpr uint64_t kAddressMask = 0x000ffffffffff000ull;
constexpr uint64_t kPage = 4096;

// Translates one guest-virtual address; false when unmapped.
bool translate(const GuestState& s, uint64_t gva, uint64_t& gpa, const PhysicalReader& reader) {
  if ((s.cr0 & kCr0Pg) == 0) {
    gpa = gva;  // paging off: linear = physical (the segment base is added by the caller)
    return true;
  }
  if ((s.efer & kEferLma) == 0) return false;  // 32-bit paging: the root never runs there
  const unsigned levels = (s.cr4 & kCr4La57) != 0 ? 5 : 4;
  uint64_t table = s.cr3 & kAddressMask;
  for (unsigned level = levels; level >= 1; --level) {
    const unsigned shift = 12 + 9 * (level - 1);
    const uint64_t index = (gva >> shift) & 511;
    uint64_t entry = 0;
    if (!reader.read(reader.context, table + index * 8, &entry, 8)) return false;
    if ((entry & kPresent) == 0) return false;
    const bool leaf = level == 1 || ((level == 2 || level == 3) && (entry & kLarge) != 0);
    if (leaf) {
      const uint64_t span = 1ull << shift;
      gpa = (entry & kAddressMask & ~(span - 1)) | (gva & (span - 1));
      return true;
    }
    table = entry & kAddressMask;
  }
  return false;
}

}  // namespace

bool read_guest_virtual(const GuestState& state, uint64_t gva, void* out, size_t len,
                        PhysicalCheck allowed) {
  // The root: guest-physical is host-physical, readable where `allowed` says.
  const PhysicalReader reader{[](void* context, uint64_t gpa, void* dst, size_t n) {
                                if (!reinterpret_cast<PhysicalCheck>(context)(gpa, n)) return false;
                                memcpy(dst, reinterpret_cast<const void*>(gpa), n);
                                return true;
                              },
                              reinterpret_cast<void*>(allowed)};
  return read_guest_virtual(state, gva, out, len, reader);
}

bool read_guest_virtual(const GuestState& state, uint64_t gva, void* out, size_t len,
                        const PhysicalReader& reader) {
  auto* dst = static_cast<uint8_t*>(out);
  while (len > 0) {
    uint64_t gpa = 0;
    if (!translate(state, gva, gpa, reader)) return false;
    size_t chunk = static_cast<size_t>(kPage - (gva & (kPage - 1)));
    if (chunk > len) chunk = len;
    if (!reader.read(reader.context, gpa, dst, chunk)) return false;
    dst += chunk;
    gva += chunk;
    len -= chunk;
  }
  return true;
}

}  // namespace hv::root
