#include "elf_image.hpp"

#include <rootstock/boot/multiboot2.hpp>

#include "load_at.hpp"

namespace rootstock::efi::elf {
namespace {

namespace mb2 = rootstock::boot::mb2;

constexpr uint64_t kPage = 4096;
constexpr uint64_t k4GiB = uint64_t{1} << 32;

// The boot information tags this loader writes (multiboot2_info.cpp): an information request
// for any of them can be met.
bool provided(uint32_t tag_type) {
  switch (static_cast<mb2::TagType>(tag_type)) {
    case mb2::TagType::kCmdline:
    case mb2::TagType::kBootLoaderName:
    case mb2::TagType::kModule:
    case mb2::TagType::kMmap:
    case mb2::TagType::kAcpiOld:
    case mb2::TagType::kAcpiNew:
      return true;
    default:
      return false;
  }
}

// Walks the header tags in [start + 16, start + length): the entry address tag is used, an
// information request must ask only for what the loader provides, any other tag must be
// optional (3.1.3: the loader must refuse an image with a required tag it does not support).
Status header_tags(const uint8_t* file, uint64_t start, uint32_t length, LoadPlan& out,
                   uint64_t& detail) {
  uint64_t at = sizeof(mb2::Header);
  while (at + sizeof(mb2::HeaderTag) <= length) {
    const auto tag = load_at<mb2::HeaderTag>(file, start + at);
    if (tag.size < sizeof(tag) || tag.size > length - at) return Status::kMultiboot2HeaderInvalid;
    const bool optional = (tag.flags & mb2::kHeaderTagOptional) != 0;
    switch (static_cast<mb2::HeaderTagType>(tag.type)) {
      case mb2::HeaderTagType::kEnd:
        return tag.size == sizeof(tag) ? Status::kOk : Status::kMultiboot2HeaderInvalid;
      case mb2::HeaderTagType::kEntryAddress:
        if (tag.size < sizeof(mb2::EntryAddressTag)) return Status::kMultiboot2HeaderInvalid;
        out.entry = load_at<mb2::EntryAddressTag>(file, start + at).entry_addr;
        out.entry_from_header = true;
        break;
      case mb2::HeaderTagType::kInformationRequest:
        for (uint64_t k = sizeof(tag); !optional && k + 4 <= tag.size; k += 4) {
          const auto wanted = load_at<uint32_t>(file, start + at + k);
          if (!provided(wanted)) {
            detail = wanted;
            return Status::kMultiboot2RequiredTag;
          }
        }
        break;
      default:
        if (!optional) {
          detail = tag.type;
          return Status::kMultiboot2RequiredTag;
        }
        break;
    }
    at = (at + tag.size + 7) & ~uint64_t{7};
  }
  return Status::kMultiboot2HeaderInvalid;  // no end tag
}

// 3.1.1: the header lies 8-byte aligned, wholly inside the first 32 KiB; its checksum makes the
// four fields sum to 0.
Status find_multiboot2_header(const uint8_t* file, size_t size, LoadPlan& out, uint64_t& detail) {
  const uint64_t limit = size < mb2::kHeaderSearchLimit ? size : mb2::kHeaderSearchLimit;
  for (uint64_t at = 0; at + sizeof(mb2::Header) <= limit; at += 8) {
    const auto h = load_at<mb2::Header>(file, at);
    if (h.magic != mb2::kHeaderMagic) continue;
    const uint32_t sum = h.magic + h.architecture + h.header_length + h.checksum;
    if (sum != 0) continue;  // a stray magic, not a header
    if (h.header_length < sizeof(h) || h.header_length > limit - at) {
      return Status::kMultiboot2HeaderInvalid;
    }
    if (h.architecture != mb2::kArchitectureI386) {
      detail = h.architecture;
      return Status::kMultiboot2NotI386;
    }
    return header_tags(file, at, h.header_length, out, detail);
  }
  return Status::kNoMultiboot2Header;
}

Status add_segment(const ProgramHeader& ph, size_t size, LoadPlan& out, uint64_t& detail) {
  detail = ph.paddr;
  if (ph.memsz == 0) return Status::kOk;
  if (out.segment_count == kMaxSegments) return Status::kTooManySegments;
  if (ph.offset > size || ph.filesz > size - ph.offset) return Status::kSegmentOutsideFile;
  if (ph.filesz > ph.memsz) return Status::kSegmentFileSizeExceedsMemory;
  if (ph.paddr >= k4GiB || ph.memsz > k4GiB - ph.paddr) return Status::kSegmentAbove4GiB;
  const Segment seg{ph.offset, ph.paddr, ph.filesz, ph.memsz, (ph.flags & kPfExecute) != 0};
  // Kept sorted by address; each must end before the next begins.
  size_t i = out.segment_count;
  while (i > 0 && out.segments[i - 1].paddr > seg.paddr) {
    out.segments[i] = out.segments[i - 1];
    --i;
  }
  out.segments[i] = seg;
  ++out.segment_count;
  if ((i > 0 && out.segments[i - 1].paddr + out.segments[i - 1].memsz > seg.paddr) ||
      (i + 1 < out.segment_count && seg.paddr + seg.memsz > out.segments[i + 1].paddr)) {
    return Status::kSegmentsOverlap;
  }
  return Status::kOk;
}

}  // namespace

const char* describe(Status status) {
  switch (status) {
    case Status::kOk:
      return "ok";
    case Status::kNotElf:
      return "not an ELF file";
    case Status::kNotElf64LittleEndian:
      return "not a 64-bit little-endian ELF file";
    case Status::kNotX86_64Executable:
      return "not an x86-64 ELF executable";
    case Status::kProgramHeadersOutside:
      return "the program headers lie outside the file or are malformed";
    case Status::kTooManySegments:
      return "more PT_LOAD segments than the loader accepts";
    case Status::kNoSegments:
      return "no PT_LOAD segment";
    case Status::kSegmentOutsideFile:
      return "a segment's bytes lie outside the file";
    case Status::kSegmentFileSizeExceedsMemory:
      return "a segment has more file bytes than memory";
    case Status::kSegmentAbove4GiB:
      return "a segment does not lie below 4 GiB (hv is entered with paging off)";
    case Status::kSegmentsOverlap:
      return "two segments overlap";
    case Status::kSpanTooLarge:
      return "the segments span more than 64 MiB";
    case Status::kNoMultiboot2Header:
      return "no Multiboot2 header in the first 32 KiB";
    case Status::kMultiboot2HeaderInvalid:
      return "the Multiboot2 header or one of its tags is malformed";
    case Status::kMultiboot2NotI386:
      return "the Multiboot2 header asks for an architecture other than i386 protected mode";
    case Status::kMultiboot2RequiredTag:
      return "the Multiboot2 header requires something this loader does not provide";
    case Status::kEntryOutsideCode:
      return "the entry point lies outside the executable segments' bytes";
  }
  return "unknown ELF status";
}

Status plan_load(const uint8_t* file, size_t size, LoadPlan& out, uint64_t& detail) {
  out = {};
  detail = 0;
  if (size < sizeof(FileHeader) || file[0] != 0x7f || file[1] != 'E' || file[2] != 'L' ||
      file[3] != 'F') {
    return Status::kNotElf;
  }
  const auto eh = load_at<FileHeader>(file, 0);
  if (eh.ident[4] != kClass64 || eh.ident[5] != kDataLsb) return Status::kNotElf64LittleEndian;
  if (eh.type != kTypeExec || eh.machine != kMachineX86_64) return Status::kNotX86_64Executable;
  if (eh.phentsize != sizeof(ProgramHeader) || eh.phnum > kMaxProgramHeaders || eh.phoff > size ||
      uint64_t{eh.phnum} * sizeof(ProgramHeader) > size - eh.phoff) {
    return Status::kProgramHeadersOutside;
  }
  for (uint16_t i = 0; i < eh.phnum; ++i) {
    const auto ph = load_at<ProgramHeader>(file, eh.phoff + uint64_t{i} * sizeof(ProgramHeader));
    if (ph.type != kPtLoad) continue;
    if (const Status s = add_segment(ph, size, out, detail); s != Status::kOk) return s;
  }
  if (out.segment_count == 0) return Status::kNoSegments;
  detail = 0;
  const Segment& last = out.segments[out.segment_count - 1];
  out.low = out.segments[0].paddr & ~(kPage - 1);
  out.high = (last.paddr + last.memsz + kPage - 1) & ~(kPage - 1);
  if (out.high - out.low > kMaxSpan) return Status::kSpanTooLarge;

  out.entry = static_cast<uint32_t>(eh.entry);
  if (eh.entry >= k4GiB) out.entry = 0;  // not reachable in 32-bit mode: fails the check below
  if (const Status s = find_multiboot2_header(file, size, out, detail); s != Status::kOk) {
    return s;
  }
  for (size_t i = 0; i < out.segment_count; ++i) {
    const Segment& s = out.segments[i];
    if (s.executable && out.entry >= s.paddr && out.entry - s.paddr < s.filesz) return Status::kOk;
  }
  detail = out.entry;
  return Status::kEntryOutsideCode;
}

void load_segments(const LoadPlan& plan, const uint8_t* file, uint8_t* dest) {
  const uint64_t span = plan.high - plan.low;
  for (uint64_t i = 0; i < span; ++i) dest[i] = 0;
  for (size_t k = 0; k < plan.segment_count; ++k) {
    const Segment& s = plan.segments[k];
    uint8_t* to = dest + (s.paddr - plan.low);
    for (uint64_t i = 0; i < s.filesz; ++i) to[i] = file[s.offset + i];
  }
}

}  // namespace rootstock::efi::elf
