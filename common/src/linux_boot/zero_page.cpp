#include "rootstock/linux_boot/zero_page.hpp"

namespace rootstock::linux_boot {

namespace {

constexpr uint64_t k4GiB = uint64_t{1} << 32;
constexpr uint64_t kPageSize = 4096;

// [base, base + size) as a checked range: `valid` is false when it wraps or passes
// kMaxPhysicalAddress, so that no later sum can overflow.
struct Span {
  uint64_t base = 0;
  uint64_t size = 0;
  bool valid = false;

  Span(uint64_t b, uint64_t s)
      : base(b), size(s), valid(b <= kMaxPhysicalAddress && s <= kMaxPhysicalAddress - b) {}
  [[nodiscard]] uint64_t end() const { return base + size; }
  [[nodiscard]] bool above_4g() const { return end() > k4GiB; }
  [[nodiscard]] bool overlaps(const Span& o) const {
    return size != 0 && o.size != 0 && base < o.end() && o.base < end();
  }
};

uint32_t low32(uint64_t v) {
  return static_cast<uint32_t>(v);
}
uint32_t high32(uint64_t v) {
  return static_cast<uint32_t>(v >> 32);
}

bool range_valid(const MemoryRange& r) {
  return r.base <= kMaxPhysicalAddress && r.length <= kMaxPhysicalAddress - r.base;
}

// True when `s` lies inside one kUsable range of ram[0, n).
bool inside_usable(const MemoryRange* ram, size_t n, const Span& s) {
  for (size_t i = 0; i < n; ++i) {
    const MemoryRange& r = ram[i];
    if (r.type == MemoryType::kUsable && range_valid(r) && s.base >= r.base && s.end() <= r.end()) {
      return true;
    }
  }
  return false;
}

// A kernel description that parse_bzimage accepted has these; anything else was built by hand
// or left over from a failed parse.
bool looks_parsed(const BzImage& k) {
  const size_t min_header = kMinHeaderEnd - kSetupHeaderOffset;
  const size_t max_header = kSetupHeaderAreaEnd - kSetupHeaderOffset;
  const uint32_t align = k.kernel_alignment;
  return k.version >= kMinProtocolVersion && k.header_size >= min_header &&
         k.header_size <= max_header && k.entry64 && k.relocatable && align != 0 &&
         (align & (align - 1)) == 0 && k.init_size != 0 && k.cmdline_size != 0;
}

// zero-page.rst e820_table / e820_entries (0x2d0, 0x1e8).
Status write_e820(const MemoryRange* map, size_t n, BootParams& out) {
  size_t count = 0;
  uint64_t previous_end = 0;
  bool usable = false;
  for (size_t i = 0; map != nullptr && i < n; ++i) {
    const MemoryRange& r = map[i];
    if (r.length == 0) continue;
    if (!range_valid(r)) return Status::kMemoryRangeInvalid;
    if (count > 0 && r.base < previous_end) return Status::kMemoryMapUnsorted;
    E820Type type{};
    if (!e820_type(r.type, type)) return Status::kMemoryTypeUnknown;
    if (count == kE820MaxEntries) return Status::kTooManyMemoryRanges;
    out.e820_table[count] = E820Entry{r.base, r.length, static_cast<uint32_t>(type)};
    ++count;
    previous_end = r.end();
    usable = usable || r.type == MemoryType::kUsable;
  }
  if (!usable) return Status::kNoUsableMemory;
  out.e820_entries = static_cast<uint8_t>(count);
  return Status::kOk;
}

// boot.rst, init_size: a relocatable kernel loaded below pref_address runs from pref_address,
// so the window reserved for it is [kernel_address, + footprint) only when kernel_address is at
// or above pref_address and aligned (then runtime start == load address).
Status check_kernel(const BzImage& k, const ZeroPageInputs& in, const Span& window) {
  if (in.kernel_address % k.kernel_alignment != 0) return Status::kKernelMisaligned;
  if (in.kernel_address < k.pref_address) return Status::kKernelBelowPrefAddress;
  if (!window.valid || !inside_usable(in.memory, in.memory_count, window)) {
    return Status::kKernelNotInRam;
  }
  if (window.above_4g() && !k.can_load_above_4g()) return Status::kKernelAbove4G;
  return Status::kOk;
}

// boot.rst cmd_line_ptr and cmdline_size; the NUL is part of the range.
Status check_cmdline(const BzImage& k, const ZeroPageInputs& in, const Span& cmdline) {
  if (in.cmdline_address == 0) return Status::kCmdlineMissing;
  if (in.cmdline.size > k.cmdline_size) return Status::kCmdlineTooLong;
  if (!cmdline.valid) return Status::kCmdlineRangeInvalid;
  if (cmdline.above_4g() && !k.can_load_above_4g()) return Status::kCmdlineAbove4G;
  return Status::kOk;
}

// boot.rst ramdisk_image, initrd_addr_max (the highest byte address an initrd may occupy) and
// XLF_CAN_BE_LOADED_ABOVE_4G. The kernel ignores an initrd at address 0 and reserves it in
// whole pages from its start (arch/x86/kernel/setup.c), hence the page alignment.
Status check_initrd(const BzImage& k, const ZeroPageInputs& in, const Span& initrd) {
  if (in.initrd_size == 0) return Status::kOk;
  if (in.initrd_address == 0 || !initrd.valid) return Status::kInitrdRangeInvalid;
  if (in.initrd_address % kPageSize != 0) return Status::kInitrdMisaligned;
  if (!k.can_load_above_4g() && initrd.end() - 1 > k.initrd_addr_max) {
    return Status::kInitrdAboveMax;
  }
  return Status::kOk;
}

// boot.rst, "64-bit Boot Protocol": the setup header goes into a clean boot_params exactly as
// long as the image declares it (header_size bytes from 0x1f1).
void copy_header(const BzImage& k, BootParams& out) {
  const auto* header = reinterpret_cast<const uint8_t*>(&k.header);
  auto* hdr = reinterpret_cast<uint8_t*>(&out.hdr);
  for (size_t i = 0; i < k.header_size; ++i) {
    if (i < sizeof(SetupHeader)) {
      hdr[i] = header[i];
    } else {
      out.hdr_tail[i - sizeof(SetupHeader)] = k.header_tail[i - sizeof(SetupHeader)];
    }
  }
}

// A framebuffer the firmware set up, as Linux's own EFI stub describes GOP's to the kernel
// (drivers/firmware/efi/libstub/gop.c): VIDEO_TYPE_EFI, lfb_size in bytes, the high half of the
// address in ext_lfb_base. Sizes too large for the 16-bit fields leave screen_info zero.
void write_screen_info(const boot::Framebuffer& f, ScreenInfo& s) {
  if (f.width > UINT16_MAX || f.height > UINT16_MAX || f.pitch > UINT16_MAX) return;
  s.orig_video_is_vga = kVideoTypeEfi;
  s.lfb_width = static_cast<uint16_t>(f.width);
  s.lfb_height = static_cast<uint16_t>(f.height);
  s.lfb_depth = f.bpp;
  s.lfb_linelength = static_cast<uint16_t>(f.pitch);
  s.lfb_base = low32(f.address);
  s.ext_lfb_base = high32(f.address);
  if (s.ext_lfb_base != 0) s.capabilities |= kVideoCapability64BitBase;
  const uint64_t bytes = f.bytes();
  s.lfb_size = bytes > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(bytes);
  s.red_size = f.red_size;
  s.red_pos = f.red_position;
  s.green_size = f.green_size;
  s.green_pos = f.green_position;
  s.blue_size = f.blue_size;
  s.blue_pos = f.blue_position;
  s.pages = 1;
}

// The fields a loader writes (boot.rst "Details of Header Fields", zero-page.rst). Fields the
// loader owns are always written, never inherited from the image.
void write_fields(const ZeroPageInputs& in, BootParams& out) {
  SetupHeader& h = out.hdr;
  h.type_of_loader = kLoaderUndefined;
  h.ext_loader_ver = 0;
  h.ext_loader_type = 0;
  // LOADED_HIGH is the kernel's to state; KASLR is kernel internal, KEEP_SEGMENTS obsolete
  // and QUIET not wanted. CAN_USE_HEAP with the sample heap_end_ptr.
  h.loadflags =
      static_cast<uint8_t>((h.loadflags & loadflags::kLoadedHigh) | loadflags::kCanUseHeap);
  h.heap_end_ptr = kHeapEndPtr;
  // relocatable_kernel: "the boot loader must set the code32_start field to point to the
  // loaded code". Only the 32-bit entry uses it, so above 4 GiB it is left at zero.
  h.code32_start = in.kernel_address < k4GiB ? low32(in.kernel_address) : 0;
  h.cmd_line_ptr = low32(in.cmdline_address);
  out.ext_cmd_line_ptr = high32(in.cmdline_address);
  const uint64_t initrd = in.initrd_size == 0 ? 0 : in.initrd_address;
  h.ramdisk_image = low32(initrd);
  out.ext_ramdisk_image = high32(initrd);
  h.ramdisk_size = low32(in.initrd_size);
  out.ext_ramdisk_size = high32(in.initrd_size);
  h.hardware_subarch = 0;  // X86_SUBARCH_PC
  h.hardware_subarch_data = 0;
  h.setup_data = 0;  // no setup_data list
  out.acpi_rsdp_addr = in.acpi_rsdp_address;
  if (in.framebuffer != nullptr && in.framebuffer->present) {
    write_screen_info(*in.framebuffer, out.screen_info);
  }
}

}  // namespace

bool e820_type(MemoryType type, E820Type& out) {
  switch (type) {
    case MemoryType::kUsable:
      out = E820Type::kRam;
      return true;
    case MemoryType::kReserved:
      out = E820Type::kReserved;
      return true;
    case MemoryType::kAcpiReclaimable:
      out = E820Type::kAcpi;
      return true;
    case MemoryType::kAcpiNvs:
      out = E820Type::kNvs;
      return true;
    case MemoryType::kUnusable:
      out = E820Type::kUnusable;
      return true;
    case MemoryType::kPersistent:
      out = E820Type::kPmem;
      return true;
  }
  return false;
}

Status build_zero_page(const BzImage& kernel, const ZeroPageInputs& in, BootParams& out) {
  out = BootParams{};
  if (!looks_parsed(kernel)) return Status::kImageNotParsed;

  const Span window(in.kernel_address, kernel.footprint());
  const Span zero_page(in.zero_page_address, sizeof(BootParams));
  const Span cmdline(in.cmdline_address, in.cmdline.size + 1);
  const Span initrd(in.initrd_address, in.initrd_size);

  Status s = write_e820(in.memory, in.memory_count, out);
  if (s == Status::kOk) s = check_kernel(kernel, in, window);
  if (s == Status::kOk && !zero_page.valid) s = Status::kZeroPageRangeInvalid;
  if (s == Status::kOk && zero_page.above_4g() && !kernel.can_load_above_4g()) {
    s = Status::kZeroPageAbove4G;
  }
  if (s == Status::kOk) s = check_cmdline(kernel, in, cmdline);
  if (s == Status::kOk) s = check_initrd(kernel, in, initrd);
  if (s != Status::kOk) return s;

  const Span* parts[] = {&window, &zero_page, &cmdline, &initrd};
  const size_t count = sizeof(parts) / sizeof(parts[0]);
  for (size_t i = 0; i < count; ++i) {
    for (size_t j = i + 1; j < count; ++j) {
      if (parts[i]->overlaps(*parts[j])) return Status::kPlacementsOverlap;
    }
  }

  copy_header(kernel, out);
  write_fields(in, out);
  return Status::kOk;
}

Status choose_load_address(const BzImage& kernel, const MemoryRange* ram, size_t n,
                           uint64_t min_addr, uint64_t& out) {
  if (!looks_parsed(kernel)) return Status::kImageNotParsed;
  const uint64_t align = kernel.kernel_alignment;
  const uint64_t size = kernel.footprint();
  const uint64_t limit = kernel.can_load_above_4g() ? kMaxPhysicalAddress : k4GiB;
  const uint64_t lowest = min_addr > kernel.pref_address ? min_addr : kernel.pref_address;

  bool found = false;
  uint64_t best = 0;
  for (size_t i = 0; ram != nullptr && i < n; ++i) {
    const MemoryRange& r = ram[i];
    if (r.type != MemoryType::kUsable || !range_valid(r)) continue;
    const uint64_t start = r.base > lowest ? r.base : lowest;
    const uint64_t end = r.end() < limit ? r.end() : limit;
    if (start >= end) continue;  // also keeps the align-up below from overflowing
    const uint64_t candidate = (start + align - 1) & ~(align - 1);
    if (candidate < end && end - candidate >= size && (!found || candidate < best)) {
      found = true;
      best = candidate;
    }
  }
  if (!found) return Status::kNoRoomForKernel;
  out = best;
  return Status::kOk;
}

}  // namespace rootstock::linux_boot
