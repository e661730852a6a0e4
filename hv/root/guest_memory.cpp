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
bool translate(const GuestState& s, uint64_t gva, uint64_t& gpa, PhysicalCheck allowed) {
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
    if (!allowed(table + index * 8, 8)) return false;
    memcpy(&entry, reinterpret_cast<const void*>(table + index * 8), 8);
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
  auto* dst = static_cast<uint8_t*>(out);
  while (len > 0) {
    uint64_t gpa = 0;
    if (!translate(state, gva, gpa, allowed)) return false;
    size_t chunk = static_cast<size_t>(kPage - (gva & (kPage - 1)));
    if (chunk > len) chunk = len;
    if (!allowed(gpa, chunk)) return false;
    memcpy(dst, reinterpret_cast<const void*>(gpa), chunk);
    dst += chunk;
    gva += chunk;
    len -= chunk;
  }
  return true;
}

}  // namespace hv::root
