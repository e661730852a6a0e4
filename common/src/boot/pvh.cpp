#include "rootstock/boot/pvh.hpp"

namespace rootstock::boot {

namespace {

Status fail(BootInfo& out, Status status, uint64_t paddr) {
  out.error_paddr = paddr;
  return status;
}

// Address of element `index` of an array of `size`-byte elements at `base`; false on wrap.
bool element_paddr(uint64_t base, uint64_t index, uint64_t size, uint64_t& paddr) {
  const uint64_t offset = index * size;  // index and size are small: checked by the callers
  if (offset > UINT64_MAX - base) {
    return false;
  }
  paddr = base + offset;
  return true;
}

Status parse_modules(const PhysReader& reader, const pvh::StartInfo& si, BootInfo& out) {
  if (si.nr_modules == 0) {
    return Status::kOk;
  }
  if (si.nr_modules > kMaxModules) {
    return fail(out, Status::kTooManyModules, si.modlist_paddr);
  }
  if (si.modlist_paddr == 0) {
    return fail(out, Status::kPvhModuleListMissing, 0);
  }
  for (uint32_t i = 0; i < si.nr_modules; ++i) {
    uint64_t at = 0;
    pvh::ModlistEntry e{};
    if (!element_paddr(si.modlist_paddr, i, sizeof(e), at) || !read_struct(reader, at, e)) {
      return fail(out, Status::kUnreadable, si.modlist_paddr);
    }
    if (!module_range_valid(e.paddr, e.size)) {
      return fail(out, Status::kModuleRangeInvalid, at);
    }
    BootModule& m = out.modules[out.module_count];
    m.base = e.paddr;
    m.size = e.size;
    m.cmdline_length = 0;
    m.cmdline_storage[0] = '\0';
    if (e.cmdline_paddr != 0) {
      const Status s = read_c_string(
          reader, e.cmdline_paddr, UINT64_MAX, m.cmdline_storage, sizeof(m.cmdline_storage),
          m.cmdline_length, Status::kModuleCmdlineTooLong, Status::kModuleCmdlineUnterminated);
      if (s != Status::kOk) {
        return fail(out, s, e.cmdline_paddr);
      }
    }
    ++out.module_count;
  }
  return Status::kOk;
}

Status parse_memmap(const PhysReader& reader, const pvh::StartInfo& si, BootInfo& out) {
  if (si.memmap_entries == 0 || si.memmap_paddr == 0) {
    return fail(out, Status::kNoMemoryMap, 0);
  }
  // Bounds the loop before anything is read: a count of 2^32 must not mean 2^32 reads.
  if (si.memmap_entries > kMaxMemoryRanges) {
    return fail(out, Status::kTooManyMemoryRanges, si.memmap_paddr);
  }
  for (uint32_t i = 0; i < si.memmap_entries; ++i) {
    uint64_t at = 0;
    pvh::MemmapEntry e{};
    if (!element_paddr(si.memmap_paddr, i, sizeof(e), at) || !read_struct(reader, at, e)) {
      return fail(out, Status::kUnreadable, si.memmap_paddr);
    }
    const Status s = add_memory_range(out, e.addr, e.size, e.type);
    if (s != Status::kOk) {
      return fail(out, s, at);
    }
  }
  const Status s = normalize_memory(out);
  return s == Status::kOk ? s : fail(out, s, si.memmap_paddr);
}

}  // namespace

Status parse_pvh(const PhysReader& reader, uint64_t start_info_paddr, BootInfo& out) {
  out.reset(BootProtocol::kPvh);
  // Read the version-0 part first: a version-0 structure may end where readable memory does.
  pvh::StartInfo si{};
  if (!reader.read(start_info_paddr, &si, pvh::kStartInfoV0Size)) {
    return fail(out, Status::kUnreadable, start_info_paddr);
  }
  if (si.magic != pvh::kMagic) {
    return fail(out, Status::kPvhBadMagic, start_info_paddr);
  }
  if (si.version == 0) {
    return fail(out, Status::kPvhVersion0, start_info_paddr);
  }
  // Versions above 1 are accepted: Xen guarantees they extend version 1 compatibly.
  if (!read_struct(reader, start_info_paddr, si)) {
    return fail(out, Status::kUnreadable, start_info_paddr);
  }

  if (si.cmdline_paddr != 0) {
    const Status s = read_c_string(reader, si.cmdline_paddr, UINT64_MAX, out.cmdline_storage,
                                   sizeof(out.cmdline_storage), out.cmdline_length,
                                   Status::kCmdlineTooLong, Status::kCmdlineUnterminated);
    if (s != Status::kOk) {
      return fail(out, s, si.cmdline_paddr);
    }
  }
  if (const Status s = parse_modules(reader, si, out); s != Status::kOk) {
    return s;
  }
  if (const Status s = parse_memmap(reader, si, out); s != Status::kOk) {
    return s;
  }
  out.rsdp = si.rsdp_paddr;
  return Status::kOk;
}

}  // namespace rootstock::boot
