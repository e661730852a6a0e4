// The non-template half of page_table.hpp: status texts and argument checks.
#include "mm/page_table.hpp"

namespace hv {
namespace {

// Input spaces (AMD APM vol. 2, 5.3.1): a canonical 48-bit virtual address has bits 63:47
// all equal; a guest-physical address in 4-level nested paging has 48 bits.
constexpr uint64_t kLowHalfEnd = uint64_t{1} << 47;
constexpr uint64_t kHighHalfStart = 0xffff'8000'0000'0000;
constexpr uint64_t kGuestPhysicalEnd = uint64_t{1} << 48;
// Physical addresses have at most 52 bits (APM vol. 2, 5.3.3: address fields are bits 51:12).
constexpr uint64_t kPhysicalEnd = uint64_t{1} << 52;
constexpr uint64_t kPageMask = bytes(PageSize::k4KiB) - 1;

// Whether [addr, last] (no wrap) lies in one half of the input space.
bool valid_input_range(bool canonical, uint64_t addr, uint64_t last) {
  if (!canonical) return last < kGuestPhysicalEnd;
  return last < kLowHalfEnd || addr >= kHighHalfStart;
}

// Whether [addr, addr + size) runs past 2^64 (size > 0).
bool wraps(uint64_t addr, uint64_t size) {
  return size - 1 > ~addr;
}

}  // namespace

const char* describe(PagingStatus status) {
  switch (status) {
    case PagingStatus::kOk:
      return "success";
    case PagingStatus::kNotInitialized:
      return "page table not initialised";
    case PagingStatus::kZeroSize:
      return "size is zero";
    case PagingStatus::kUnaligned:
      return "address, physical address or size not 4 KiB-aligned";
    case PagingStatus::kAddressOutOfRange:
      return "input range wraps or leaves the 48-bit input address space";
    case PagingStatus::kPhysicalOutOfRange:
      return "physical range wraps or reaches past 52 bits";
    case PagingStatus::kInvalidFlags:
      return "undefined page flags";
    case PagingStatus::kOutOfFrames:
      return "out of frames for page tables";
  }
  return "unknown paging status";
}

bool valid_input_address(bool canonical, uint64_t addr) {
  return valid_input_range(canonical, addr, addr);
}

PagingStatus check_unmap_input(bool canonical, uint64_t addr, uint64_t size) {
  if (size == 0) return PagingStatus::kZeroSize;
  if ((addr & kPageMask) != 0 || (size & kPageMask) != 0) return PagingStatus::kUnaligned;
  if (wraps(addr, size) || !valid_input_range(canonical, addr, addr + (size - 1))) {
    return PagingStatus::kAddressOutOfRange;
  }
  return PagingStatus::kOk;
}

PagingStatus check_map_input(bool canonical, uint64_t addr, uint64_t phys, uint64_t size,
                             PageFlags flags) {
  const PagingStatus s = check_unmap_input(canonical, addr, size);
  if (s != PagingStatus::kOk) return s;
  if ((phys & kPageMask) != 0) return PagingStatus::kUnaligned;
  if (wraps(phys, size) || phys + (size - 1) >= kPhysicalEnd) {
    return PagingStatus::kPhysicalOutOfRange;
  }
  if (!valid(flags)) return PagingStatus::kInvalidFlags;
  return PagingStatus::kOk;
}

}  // namespace hv
