#include "rootstock/linux_boot/bzimage.hpp"

#include "rootstock/memory_map.hpp"

namespace rootstock::linux_boot {

namespace {

// Alignments outside this range are not what any x86-64 kernel asks for (CONFIG_PHYSICAL_ALIGN
// is 2 MiB..16 MiB) and would make a load address search absurd.
constexpr uint32_t kMinKernelAlignment = 0x1000;
constexpr uint32_t kMaxKernelAlignment = uint32_t{1} << 30;

void copy_bytes(void* dst, const uint8_t* src, size_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  for (size_t i = 0; i < n; ++i) d[i] = src[i];
}

uint16_t read16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}

uint32_t read32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

bool is_power_of_two(uint64_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}

// The fixed fields before the header's self-described length is known: up to and including
// version (boot.rst: boot_flag, header and version are readable in every 2.00+ image).
Status check_signature(const uint8_t* image, size_t size, BzImage& out) {
  if (image == nullptr || size < hdr_at(offsetof(SetupHeader, version)) + sizeof(uint16_t)) {
    return Status::kImageTooSmall;
  }
  if (read16(image + hdr_at(offsetof(SetupHeader, boot_flag))) != kBootFlag) {
    return Status::kBadBootFlag;
  }
  if (read32(image + hdr_at(offsetof(SetupHeader, header))) != kHeaderMagic) {
    return Status::kBadMagic;
  }
  out.version = read16(image + hdr_at(offsetof(SetupHeader, version)));
  if (out.version < kMinProtocolVersion) {
    return Status::kProtocolTooOld;
  }
  return Status::kOk;
}

// Copies the header the image declares (boot.rst, "64-bit Boot Protocol": it ends at 0x0202 +
// the byte at 0x0201) into `out`.
Status copy_header(const uint8_t* image, size_t size, BzImage& out) {
  const size_t header_end = kHeaderEndBase + image[kJumpOffset + 1];
  if (header_end < kMinHeaderEnd) {
    return Status::kHeaderTooShort;
  }
  if (header_end > kSetupHeaderAreaEnd) {
    return Status::kHeaderTooLong;
  }
  if (size < header_end) {
    return Status::kHeaderTruncated;
  }
  out.header_size = header_end - kSetupHeaderOffset;
  const size_t known =
      out.header_size < sizeof(SetupHeader) ? out.header_size : sizeof(SetupHeader);
  copy_bytes(&out.header, image + kSetupHeaderOffset, known);
  copy_bytes(out.header_tail, image + kSetupHeaderOffset + known, out.header_size - known);

  const SetupHeader& h = out.header;
  out.kernel_alignment = h.kernel_alignment;
  out.pref_address = h.pref_address;
  out.init_size = h.init_size;
  out.relocatable = h.relocatable_kernel != 0;
  out.xloadflags = h.xloadflags;
  out.entry64 = (h.xloadflags & xloadflags::kKernel64) != 0;
  out.cmdline_size = h.cmdline_size;
  out.initrd_addr_max = h.initrd_addr_max;
  return Status::kOk;
}

// boot.rst, "Loading The Rest of The Kernel": the protected-mode kernel starts at
// (setup_sects + 1) * 512; syssize (2.04+) gives its length in 16-byte paragraphs and the
// payload (2.08+) lies inside it.
Status locate_kernel(size_t size, BzImage& out) {
  const SetupHeader& h = out.header;
  if ((h.loadflags & loadflags::kLoadedHigh) == 0) {
    return Status::kNotBzImage;
  }
  const size_t sects = h.setup_sects == 0 ? kDefaultSetupSects : h.setup_sects;
  if (sects > kMaxSetupSects) {
    return Status::kBadSetupSects;
  }
  const size_t setup_size = (sects + 1) * kSectorSize;
  if (size < setup_size) {
    return Status::kSetupTruncated;
  }
  out.kernel_offset = setup_size;
  out.kernel_size = size - setup_size;
  if (out.kernel_size <= kEntry64Offset || uint64_t{h.syssize} * 16 > out.kernel_size) {
    return Status::kKernelTruncated;
  }
  if (h.payload_length == 0) {
    return Status::kNoPayload;
  }
  if (uint64_t{h.payload_offset} + h.payload_length > out.kernel_size) {
    return Status::kPayloadOutsideImage;
  }
  return Status::kOk;
}

// What the 64-bit protocol needs from a relocating loader's point of view (boot.rst,
// xloadflags, relocatable_kernel, kernel_alignment, init_size, cmdline_size, pref_address).
Status check_load_parameters(const BzImage& k) {
  if (!k.entry64) {
    return Status::kNo64BitEntry;
  }
  if (!k.relocatable) {
    return Status::kNotRelocatable;
  }
  if (!is_power_of_two(k.kernel_alignment) || k.kernel_alignment < kMinKernelAlignment ||
      k.kernel_alignment > kMaxKernelAlignment) {
    return Status::kBadKernelAlignment;
  }
  if (k.init_size == 0) {
    return Status::kNoInitSize;
  }
  if (k.init_size < k.kernel_size) {
    return Status::kInitSizeTooSmall;
  }
  if (k.cmdline_size == 0) {
    return Status::kNoCmdlineSize;
  }
  if (k.pref_address > kMaxPhysicalAddress - k.footprint()) {
    return Status::kBadPrefAddress;
  }
  return Status::kOk;
}

}  // namespace

Status parse_bzimage(const uint8_t* image, size_t size, BzImage& out) {
  out = BzImage{};
  Status s = check_signature(image, size, out);
  if (s == Status::kOk) s = copy_header(image, size, out);
  if (s == Status::kOk) s = locate_kernel(size, out);
  if (s == Status::kOk) s = check_load_parameters(out);
  return s;
}

const char* describe(Status s) {
  switch (s) {
    case Status::kOk:
      return "ok";
    case Status::kImageTooSmall:
      return "image ends before the setup header's version field (0x208 bytes)";
    case Status::kBadBootFlag:
      return "boot_flag at 0x1fe is not 0xAA55";
    case Status::kBadMagic:
      return "no \"HdrS\" magic at 0x202: not a Linux x86 boot image";
    case Status::kProtocolTooOld:
      return "boot protocol older than 2.12 (no xloadflags, no 64-bit entry)";
    case Status::kNotBzImage:
      return "loadflags lacks LOADED_HIGH: a zImage, not a bzImage";
    case Status::kHeaderTooShort:
      return "setup header length (0x202 + byte at 0x201) ends before handover_offset (0x268)";
    case Status::kHeaderTooLong:
      return "setup header length (0x202 + byte at 0x201) runs past 0x290, its room in boot_params";
    case Status::kHeaderTruncated:
      return "image ends inside the setup header it declares";
    case Status::kBadSetupSects:
      return "setup_sects exceeds 64, the most a kernel build writes";
    case Status::kSetupTruncated:
      return "image ends inside the real-mode setup part ((setup_sects + 1) * 512 bytes)";
    case Status::kKernelTruncated:
      return "protected-mode kernel is missing, ends before its 64-bit entry, or is shorter "
             "than syssize";
    case Status::kNoPayload:
      return "payload_length is zero: no compressed kernel";
    case Status::kPayloadOutsideImage:
      return "payload_offset + payload_length runs past the end of the image";
    case Status::kNo64BitEntry:
      return "xloadflags lacks XLF_KERNEL_64: no 64-bit entry point";
    case Status::kNotRelocatable:
      return "relocatable_kernel is 0: the kernel cannot be loaded at a chosen address";
    case Status::kBadKernelAlignment:
      return "kernel_alignment is not a power of two between 4 KiB and 1 GiB";
    case Status::kNoInitSize:
      return "init_size is zero";
    case Status::kInitSizeTooSmall:
      return "init_size is smaller than the protected-mode kernel in the file";
    case Status::kNoCmdlineSize:
      return "cmdline_size is zero";
    case Status::kBadPrefAddress:
      return "pref_address + init_size lies beyond the physical address space";
    case Status::kNoRoomForKernel:
      return "no usable RAM range holds the kernel's init_size at an aligned address";
    case Status::kImageNotParsed:
      return "kernel image description is not from a successful parse_bzimage";
    case Status::kKernelMisaligned:
      return "kernel load address is not a multiple of kernel_alignment";
    case Status::kKernelBelowPrefAddress:
      return "kernel load address is below pref_address: the kernel would move itself there, "
             "outside the memory reserved for it";
    case Status::kKernelNotInRam:
      return "kernel load address + init_size is not inside one usable e820 range";
    case Status::kKernelAbove4G:
      return "kernel lies above 4 GiB but lacks XLF_CAN_BE_LOADED_ABOVE_4G";
    case Status::kCmdlineMissing:
      return "command line address is zero (the kernel would assume a pre-2.02 loader)";
    case Status::kCmdlineTooLong:
      return "command line is longer than the kernel's cmdline_size";
    case Status::kCmdlineRangeInvalid:
      return "command line range wraps or lies beyond the physical address space";
    case Status::kCmdlineAbove4G:
      return "command line lies above 4 GiB but the kernel lacks XLF_CAN_BE_LOADED_ABOVE_4G";
    case Status::kInitrdRangeInvalid:
      return "initrd address is zero, or its range wraps or lies beyond the physical address "
             "space";
    case Status::kInitrdMisaligned:
      return "initrd address is not 4 KiB aligned";
    case Status::kInitrdAboveMax:
      return "initrd ends above initrd_addr_max and the kernel lacks "
             "XLF_CAN_BE_LOADED_ABOVE_4G";
    case Status::kZeroPageRangeInvalid:
      return "zero page range wraps or lies beyond the physical address space";
    case Status::kZeroPageAbove4G:
      return "zero page lies above 4 GiB but the kernel lacks XLF_CAN_BE_LOADED_ABOVE_4G";
    case Status::kPlacementsOverlap:
      return "kernel window, zero page, command line and initrd overlap";
    case Status::kTooManyMemoryRanges:
      return "memory map has more than the zero page's 128 e820 entries";
    case Status::kMemoryRangeInvalid:
      return "memory range wraps or lies beyond the physical address space";
    case Status::kMemoryMapUnsorted:
      return "memory map is not sorted by base or has overlapping ranges";
    case Status::kMemoryTypeUnknown:
      return "memory range type has no e820 equivalent";
    case Status::kNoUsableMemory:
      return "memory map has no usable RAM";
  }
  return "unknown Linux boot status";
}

}  // namespace rootstock::linux_boot
