#include "rootstock/boot/boot_info.hpp"

namespace rootstock::boot {

const char* describe(Status status) {
  switch (status) {
    case Status::kOk:
      return "boot information accepted";
    case Status::kUnreadable:
      return "boot information points at memory that cannot be read";
    case Status::kNoMemoryMap:
      return "the boot loader gave no memory map (or only empty entries); hv cannot run without";
    case Status::kTooManyMemoryRanges:
      return "the memory map has more entries than hv keeps (128)";
    case Status::kMemoryRangeWraps:
      return "a memory map entry's base + length wraps past 2^64";
    case Status::kMemoryRangeTooHigh:
      return "a memory map entry reaches above the 52-bit physical address limit";
    case Status::kMemoryRangesOverlap:
      return "two memory map entries of different types overlap";
    case Status::kCmdlineTooLong:
      return "the command line is longer than 2047 bytes (or has no NUL terminator)";
    case Status::kCmdlineUnterminated:
      return "the command line has no NUL terminator within its tag";
    case Status::kModuleCmdlineTooLong:
      return "a module's command line is longer than 511 bytes (or has no NUL terminator)";
    case Status::kModuleCmdlineUnterminated:
      return "a module's command line has no NUL terminator within its tag";
    case Status::kTooManyModules:
      return "more boot modules than hv keeps (8)";
    case Status::kModuleRangeInvalid:
      return "a boot module's range wraps or reaches above the physical address limit";
    case Status::kPvhBadMagic:
      return "PVH start info has the wrong magic (want 0x336ec578)";
    case Status::kPvhVersion0:
      return "PVH start info version 0 carries no memory map; hv needs version 1 or later";
    case Status::kPvhModuleListMissing:
      return "PVH start info announces modules but gives no module list address";
    case Status::kMb2Misaligned:
      return "Multiboot2 information is not 8-byte aligned";
    case Status::kMb2TotalSizeInvalid:
      return "Multiboot2 total_size is below 16 bytes or above 1 MiB";
    case Status::kMb2TagTooSmall:
      return "a Multiboot2 tag's size is below 8 bytes";
    case Status::kMb2TagPastEnd:
      return "a Multiboot2 tag runs past total_size";
    case Status::kMb2TagTruncated:
      return "a Multiboot2 tag is too short for its contents";
    case Status::kMb2DuplicateTag:
      return "a Multiboot2 tag that may appear once appears twice";
    case Status::kMb2BadEndTag:
      return "the Multiboot2 end tag's size is not 8";
    case Status::kMb2NoEndTag:
      return "Multiboot2 information has no end tag within total_size";
    case Status::kMb2MmapEntrySizeInvalid:
      return "Multiboot2 memory map entry_size is below 24 or not a multiple of 8";
    case Status::kMb2ModuleEndBeforeStart:
      return "a Multiboot2 module's mod_end lies below its mod_start";
  }
  return "unknown boot information status";
}

void BootInfo::reset(BootProtocol p) {
  protocol = p;
  memory_count = 0;
  memory_skipped_empty = 0;
  memory_unknown_types = 0;
  cmdline_storage[0] = '\0';
  cmdline_length = 0;
  module_count = 0;
  rsdp = 0;
  framebuffer = {};
  error_paddr = 0;
}

bool framebuffer_valid(const Framebuffer& f) {
  if (f.width == 0 || f.height == 0 || f.address == 0) return false;
  if (f.bpp < 8 || f.bpp > 32 || f.bpp % 8 != 0) return false;
  if (f.pitch < uint64_t{f.width} * (uint64_t{f.bpp} / 8)) return false;
  if (f.address >= kMaxPhysicalAddress || f.bytes() > kMaxPhysicalAddress - f.address) return false;
  const auto inside = [&](uint8_t position, uint8_t size) {
    return size != 0 && position + size <= f.bpp;
  };
  return inside(f.red_position, f.red_size) && inside(f.green_position, f.green_size) &&
         inside(f.blue_position, f.blue_size);
}

uint64_t usable_bytes(const BootInfo& info) {
  // Ranges are disjoint and below 2^52 after normalization, so the sum cannot wrap.
  uint64_t total = 0;
  for (size_t i = 0; i < info.memory_count && i < kMaxMemoryRanges; ++i) {
    if (info.memory[i].type == MemoryType::kUsable) {
      total += info.memory[i].length;
    }
  }
  return total;
}

MemoryType memory_type_from_e820(uint32_t raw, bool& known) {
  known = true;
  switch (raw) {
    case static_cast<uint32_t>(MemoryType::kUsable):
      return MemoryType::kUsable;
    case static_cast<uint32_t>(MemoryType::kReserved):
      return MemoryType::kReserved;
    case static_cast<uint32_t>(MemoryType::kAcpiReclaimable):
      return MemoryType::kAcpiReclaimable;
    case static_cast<uint32_t>(MemoryType::kAcpiNvs):
      return MemoryType::kAcpiNvs;
    case static_cast<uint32_t>(MemoryType::kUnusable):
      return MemoryType::kUnusable;
    case static_cast<uint32_t>(MemoryType::kPersistent):
      return MemoryType::kPersistent;
    default:
      // Includes 6 (AddressRangeDisabled / XEN_HVM_MEMMAP_TYPE_DISABLED): not RAM either way.
      known = false;
      return MemoryType::kReserved;
  }
}

Status add_memory_range(BootInfo& info, uint64_t base, uint64_t length, uint32_t raw_type) {
  if (length == 0) {
    ++info.memory_skipped_empty;
    return Status::kOk;
  }
  if (length > UINT64_MAX - base) {
    return Status::kMemoryRangeWraps;
  }
  if (base + length > kMaxPhysicalAddress) {
    return Status::kMemoryRangeTooHigh;
  }
  if (info.memory_count >= kMaxMemoryRanges) {
    return Status::kTooManyMemoryRanges;
  }
  bool known = true;
  const MemoryType type = memory_type_from_e820(raw_type, known);
  if (!known) {
    ++info.memory_unknown_types;
  }
  info.memory[info.memory_count++] = MemoryRange{base, length, type};
  return Status::kOk;
}

Status normalize_memory(BootInfo& info) {
  const size_t n = info.memory_count;
  if (n == 0) {
    return Status::kNoMemoryMap;
  }
  MemoryRange* m = info.memory;
  // Insertion sort: n <= 128, no library, and firmware maps arrive nearly sorted.
  for (size_t i = 1; i < n; ++i) {
    const MemoryRange r = m[i];
    size_t j = i;
    while (j > 0 && m[j - 1].base > r.base) {
      m[j] = m[j - 1];
      --j;
    }
    m[j] = r;
  }
  // Merge in place. Invariant: m[0..out) are sorted, disjoint, and no two neighbours of the
  // same type touch; since bases are sorted, a new range can only meet m[out - 1].
  size_t out = 1;
  for (size_t i = 1; i < n; ++i) {
    MemoryRange& last = m[out - 1];
    const MemoryRange r = m[i];
    if (r.base < last.end()) {
      if (r.type != last.type) {
        return Status::kMemoryRangesOverlap;
      }
      if (r.end() > last.end()) {
        last.length = r.end() - last.base;
      }
    } else if (r.base == last.end() && r.type == last.type) {
      last.length += r.length;
    } else {
      m[out++] = r;
    }
  }
  info.memory_count = out;
  return Status::kOk;
}

Status read_c_string(const PhysReader& reader, uint64_t paddr, uint64_t limit, char* out,
                     size_t out_size, size_t& length, Status too_long, Status unterminated) {
  length = 0;
  if (out_size == 0) {
    return too_long;
  }
  Status status = Status::kOk;
  for (uint64_t i = 0;; ++i) {
    if (i == limit) {
      status = unterminated;
      break;
    }
    if (i == out_size) {
      status = too_long;
      break;
    }
    char c = 0;
    if (i > UINT64_MAX - paddr || !reader.read(paddr + i, &c, 1)) {
      status = Status::kUnreadable;
      break;
    }
    out[i] = c;
    if (c == '\0') {
      length = static_cast<size_t>(i);
      return Status::kOk;
    }
  }
  out[0] = '\0';  // a rejected string leaves an empty one behind, never a partial copy
  return status;
}

bool module_range_valid(uint64_t base, uint64_t size) {
  return size <= UINT64_MAX - base && base + size <= kMaxPhysicalAddress;
}

}  // namespace rootstock::boot
