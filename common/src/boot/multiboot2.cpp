#include "rootstock/boot/multiboot2.hpp"

namespace rootstock::boot {

namespace {

using mb2::TagType;

// State of one walk over the tags. Every read goes through tag_paddr + an offset below the
// tag's size, and every tag lies inside [base, base + total_size): nothing outside is read.
struct Walk {
  const PhysReader& reader;
  BootInfo& out;
  bool seen_cmdline = false;
  bool seen_mmap = false;
  bool seen_framebuffer = false;
  uint64_t rsdp_old = 0;
  uint64_t rsdp_new = 0;
};

Status fail(BootInfo& out, Status status, uint64_t paddr) {
  out.error_paddr = paddr;
  return status;
}

// 3.6.5: the string fills the rest of the tag; its NUL must lie inside the tag.
Status cmdline_tag(Walk& w, uint64_t tag, uint32_t size) {
  if (w.seen_cmdline) {
    return Status::kMb2DuplicateTag;
  }
  w.seen_cmdline = true;
  return read_c_string(w.reader, tag + sizeof(mb2::Tag), size - sizeof(mb2::Tag),
                       w.out.cmdline_storage, sizeof(w.out.cmdline_storage), w.out.cmdline_length,
                       Status::kCmdlineTooLong, Status::kCmdlineUnterminated);
}

// 3.6.6: one tag per module, in load order.
Status module_tag(Walk& w, uint64_t tag, uint32_t size) {
  mb2::ModuleTag t{};
  if (size < sizeof(t)) {
    return Status::kMb2TagTruncated;
  }
  if (!read_struct(w.reader, tag, t)) {
    return Status::kUnreadable;
  }
  if (t.mod_end < t.mod_start) {
    return Status::kMb2ModuleEndBeforeStart;
  }
  if (w.out.module_count >= kMaxModules) {
    return Status::kTooManyModules;
  }
  BootModule& m = w.out.modules[w.out.module_count];
  m.base = t.mod_start;
  m.size = t.mod_end - t.mod_start;
  const Status s = read_c_string(w.reader, tag + sizeof(t), size - sizeof(t), m.cmdline_storage,
                                 sizeof(m.cmdline_storage), m.cmdline_length,
                                 Status::kModuleCmdlineTooLong, Status::kModuleCmdlineUnterminated);
  if (s == Status::kOk) {
    ++w.out.module_count;
  }
  return s;
}

// 3.6.8: entries of entry_size bytes fill the rest of the tag exactly.
Status mmap_tag(Walk& w, uint64_t tag, uint32_t size) {
  if (w.seen_mmap) {
    return Status::kMb2DuplicateTag;
  }
  w.seen_mmap = true;
  mb2::MmapTag t{};
  if (size < sizeof(t)) {
    return Status::kMb2TagTruncated;
  }
  if (!read_struct(w.reader, tag, t)) {
    return Status::kUnreadable;
  }
  if (t.entry_size < sizeof(mb2::MmapEntry) || t.entry_size % 8 != 0) {
    return Status::kMb2MmapEntrySizeInvalid;
  }
  const uint32_t bytes = size - static_cast<uint32_t>(sizeof(t));
  if (bytes % t.entry_size != 0) {
    return Status::kMb2TagTruncated;
  }
  const uint32_t count = bytes / t.entry_size;
  if (count > kMaxMemoryRanges) {
    return Status::kTooManyMemoryRanges;
  }
  for (uint32_t i = 0; i < count; ++i) {
    mb2::MmapEntry e{};
    if (!read_struct(w.reader, tag + sizeof(t) + uint64_t{i} * t.entry_size, e)) {
      return Status::kUnreadable;
    }
    // Fields after `reserved` (entry_version > 0) are ignored, as the spec allows.
    const Status s = add_memory_range(w.out, e.base_addr, e.length, e.type);
    if (s != Status::kOk) {
      return s;
    }
  }
  return Status::kOk;
}

// 3.6.16 / 3.6.17: the tag holds a copy of the RSDP; its address is what the ACPI parser gets.
Status acpi_tag(uint64_t tag, uint32_t size, uint32_t rsdp_size, uint64_t& rsdp) {
  if (rsdp != 0) {
    return Status::kMb2DuplicateTag;
  }
  if (size < sizeof(mb2::Tag) + rsdp_size) {
    return Status::kMb2TagTruncated;
  }
  rsdp = tag + sizeof(mb2::Tag);
  return Status::kOk;
}

// 3.6.12: only a direct-RGB framebuffer is kept (an indexed or EGA text one is no console the
// root's Linux can take over); one whose values do not add up is left out, not refused: the
// machine boots without it.
Status framebuffer_tag(Walk& w, uint64_t tag, uint32_t size) {
  if (w.seen_framebuffer) {
    return Status::kMb2DuplicateTag;
  }
  w.seen_framebuffer = true;
  mb2::FramebufferTag t{};
  constexpr uint32_t kFixedSize = offsetof(mb2::FramebufferTag, red_field_position);
  if (size < kFixedSize) {
    return Status::kMb2TagTruncated;
  }
  if (!w.reader.read(tag, &t, kFixedSize)) {
    return Status::kUnreadable;
  }
  if (t.framebuffer_type != static_cast<uint8_t>(mb2::FramebufferType::kDirectRgb)) {
    return Status::kOk;
  }
  if (size < mb2::kFramebufferRgbTagSize) {
    return Status::kMb2TagTruncated;
  }
  if (!w.reader.read(tag, &t, mb2::kFramebufferRgbTagSize)) {
    return Status::kUnreadable;
  }
  Framebuffer f;
  f.address = t.framebuffer_addr;
  f.pitch = t.framebuffer_pitch;
  f.width = t.framebuffer_width;
  f.height = t.framebuffer_height;
  f.bpp = t.framebuffer_bpp;
  f.red_position = t.red_field_position;
  f.red_size = t.red_mask_size;
  f.green_position = t.green_field_position;
  f.green_size = t.green_mask_size;
  f.blue_position = t.blue_field_position;
  f.blue_size = t.blue_mask_size;
  f.present = framebuffer_valid(f);
  if (f.present) {
    w.out.framebuffer = f;
  }
  return Status::kOk;
}

Status handle_tag(Walk& w, uint64_t tag, uint32_t type, uint32_t size) {
  switch (static_cast<TagType>(type)) {
    case TagType::kCmdline:
      return cmdline_tag(w, tag, size);
    case TagType::kModule:
      return module_tag(w, tag, size);
    case TagType::kMmap:
      return mmap_tag(w, tag, size);
    case TagType::kAcpiOld:
      return acpi_tag(tag, size, mb2::kRsdpV1Size, w.rsdp_old);
    case TagType::kAcpiNew:
      return acpi_tag(tag, size, mb2::kRsdpV2Size, w.rsdp_new);
    case TagType::kFramebuffer:
      return framebuffer_tag(w, tag, size);
    default:
      return Status::kOk;  // tags hv does not use, and unknown ones, are skipped
  }
}

}  // namespace

Status parse_multiboot2(const PhysReader& reader, uint64_t mbi_paddr, BootInfo& out) {
  out.reset(BootProtocol::kMultiboot2);
  if (mbi_paddr % mb2::kAlignment != 0) {
    return fail(out, Status::kMb2Misaligned, mbi_paddr);
  }
  mb2::InfoHeader header{};
  if (!read_struct(reader, mbi_paddr, header)) {
    return fail(out, Status::kUnreadable, mbi_paddr);
  }
  const uint32_t total = header.total_size;
  if (total < sizeof(header) + sizeof(mb2::Tag) || total > mb2::kMaxTotalSize) {
    return fail(out, Status::kMb2TotalSizeInvalid, mbi_paddr);
  }
  if (mbi_paddr > kMaxPhysicalAddress - total) {
    return fail(out, Status::kUnreadable, mbi_paddr);
  }

  // Each step advances by at least 8 bytes and total <= 1 MiB: the walk ends.
  Walk w{reader, out};
  bool ended = false;
  uint32_t offset = sizeof(header);
  while (!ended && total - offset >= sizeof(mb2::Tag)) {
    const uint64_t tag_paddr = mbi_paddr + offset;
    mb2::Tag tag{};
    if (!read_struct(reader, tag_paddr, tag)) {
      return fail(out, Status::kUnreadable, tag_paddr);
    }
    if (tag.size < sizeof(tag)) {
      return fail(out, Status::kMb2TagTooSmall, tag_paddr);
    }
    if (tag.size > total - offset) {
      return fail(out, Status::kMb2TagPastEnd, tag_paddr);
    }
    if (tag.type == static_cast<uint32_t>(TagType::kEnd)) {
      if (tag.size != sizeof(tag)) {
        return fail(out, Status::kMb2BadEndTag, tag_paddr);
      }
      ended = true;
      continue;
    }
    if (const Status s = handle_tag(w, tag_paddr, tag.type, tag.size); s != Status::kOk) {
      return fail(out, s, tag_paddr);
    }
    // offset + size <= total <= 1 MiB, so rounding up cannot wrap.
    offset = (offset + tag.size + 7u) & ~7u;
    if (offset > total) {
      offset = total;
    }
  }
  if (!ended) {
    return fail(out, Status::kMb2NoEndTag, mbi_paddr);
  }
  if (!w.seen_mmap) {
    return fail(out, Status::kNoMemoryMap, mbi_paddr);
  }
  if (const Status s = normalize_memory(out); s != Status::kOk) {
    return fail(out, s, mbi_paddr);
  }
  out.rsdp = w.rsdp_new != 0 ? w.rsdp_new : w.rsdp_old;
  return Status::kOk;
}

}  // namespace rootstock::boot
