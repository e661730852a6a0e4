// The Linux/x86 boot protocol's data structures: the setup header a bzImage carries at 0x1f1
// and the "zero page" (struct boot_params) a loader hands the kernel in RSI.
//
// Sources: Documentation/arch/x86/boot.rst (protocol 2.15), "The Real-Mode Kernel Header" and
// "Details of Header Fields"; Documentation/arch/x86/zero-page.rst; the layouts of
// arch/x86/include/uapi/asm/bootparam.h and the e820 types of asm/e820/types.h. All fields are
// little endian; hv and the VMM only run on x86, so the structures are read and written in place.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace rootstock::linux_boot {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "boot protocol fields are little endian");

/// Offset of the setup header in both the image file and boot_params (boot.rst, header table).
inline constexpr size_t kSetupHeaderOffset = 0x1f1;
/// Offset of the jump instruction whose second byte gives the header's end (boot.rst,
/// "64-bit Boot Protocol": the header ends at 0x0202 + the byte at 0x0201).
inline constexpr size_t kJumpOffset = 0x200;
inline constexpr size_t kHeaderEndBase = 0x202;
/// boot_params reserves 0x1f1..0x290 for the setup header (bootparam.h, _pad7); a header that
/// claims to reach past it would overwrite edd_mbr_sig_buffer.
inline constexpr size_t kSetupHeaderAreaEnd = 0x290;

/// boot_flag: the boot sector signature at 0x1fe.
inline constexpr uint16_t kBootFlag = 0xAA55;
/// header: "HdrS" at 0x202.
inline constexpr uint32_t kHeaderMagic = 0x53726448;
/// Lowest protocol accepted: 2.12 added xloadflags (XLF_KERNEL_64) and the ext_ fields.
inline constexpr uint16_t kMinProtocolVersion = 0x020c;

/// The real-mode part is (setup_sects + 1) sectors of this size; setup_sects 0 means 4.
inline constexpr size_t kSectorSize = 512;
inline constexpr uint8_t kDefaultSetupSects = 4;
/// Largest setup_sects accepted: the kernel's own image builder never writes more
/// (arch/x86/boot/tools/build.c, SETUP_SECT_MAX).
inline constexpr uint8_t kMaxSetupSects = 64;

/// The 64-bit entry point is this far into the protected-mode kernel (boot.rst, "64-bit Boot
/// Protocol").
inline constexpr uint64_t kEntry64Offset = 0x200;

/// type_of_loader for a boot loader without an assigned id (boot.rst, type_of_loader).
inline constexpr uint8_t kLoaderUndefined = 0xFF;

/// heap_end_ptr as boot.rst's "Sample Boot Configuration" sets it (heap end 0xe000 - 0x200).
/// The 64-bit entry skips the real-mode setup code that uses it; it is written for
/// completeness.
inline constexpr uint16_t kHeapEndPtr = 0xde00;

/// boot.rst, loadflags (0x211).
namespace loadflags {
inline constexpr uint8_t kLoadedHigh = 1u << 0;    ///< read: protected-mode code at 0x100000
inline constexpr uint8_t kKaslr = 1u << 1;         ///< kernel internal
inline constexpr uint8_t kQuiet = 1u << 5;         ///< write: suppress early messages
inline constexpr uint8_t kKeepSegments = 1u << 6;  ///< obsolete (2.07+)
inline constexpr uint8_t kCanUseHeap = 1u << 7;    ///< write: heap_end_ptr is valid
}  // namespace loadflags

/// boot.rst, xloadflags (0x236, protocol 2.12+).
namespace xloadflags {
inline constexpr uint16_t kKernel64 = 1u << 0;            ///< 64-bit entry at load address + 0x200
inline constexpr uint16_t kCanBeLoadedAbove4G = 1u << 1;  ///< kernel/boot_params/cmdline/initrd
inline constexpr uint16_t kEfiHandover32 = 1u << 2;
inline constexpr uint16_t kEfiHandover64 = 1u << 3;
inline constexpr uint16_t kEfiKexec = 1u << 4;
inline constexpr uint16_t k5Level = 1u << 5;
inline constexpr uint16_t k5LevelEnabled = 1u << 6;
inline constexpr uint16_t kMemEncryption = 1u << 7;
}  // namespace xloadflags

/// e820 range types (asm/e820/types.h; ACPI 6.5, 15.1).
enum class E820Type : uint32_t {
  kRam = 1,
  kReserved = 2,
  kAcpi = 3,
  kNvs = 4,
  kUnusable = 5,
  kPmem = 7,
};

/// struct setup_header (bootparam.h), at 0x1f1 in the image and in boot_params. Field comments
/// give the boot.rst access type: read (kernel to loader), write (loader to kernel), modify.
struct [[gnu::packed]] SetupHeader {
  uint8_t setup_sects;  ///< read: real-mode setup size in sectors (0 means 4)
  uint16_t root_flags;  ///< modify (optional)
  uint32_t syssize;     ///< read: protected-mode size in 16-byte paragraphs (2.04+)
  uint16_t ram_size;    ///< obsolete
  uint16_t vid_mode;    ///< modify (obligatory)
  uint16_t root_dev;    ///< modify (optional)
  uint16_t boot_flag;   ///< read: kBootFlag
  uint16_t jump;        ///< read: short jump; its second byte gives the header's end
  uint32_t header;      ///< read: kHeaderMagic
  uint16_t version;     ///< read: protocol version, major << 8 | minor
  uint32_t realmode_swtch;
  uint16_t start_sys_seg;
  uint16_t kernel_version;  ///< read: offset of the version string - 0x200
  uint8_t type_of_loader;   ///< write (obligatory)
  uint8_t loadflags;        ///< modify (obligatory): loadflags::
  uint16_t setup_move_size;
  uint32_t code32_start;   ///< modify (optional, reloc): 32-bit entry
  uint32_t ramdisk_image;  ///< write: initrd address, low 32 bits
  uint32_t ramdisk_size;   ///< write: initrd size, low 32 bits
  uint32_t bootsect_kludge;
  uint16_t heap_end_ptr;  ///< write: end of setup heap - 0x200
  uint8_t ext_loader_ver;
  uint8_t ext_loader_type;
  uint32_t cmd_line_ptr;       ///< write (obligatory): command line address, low 32 bits
  uint32_t initrd_addr_max;    ///< read: highest byte address an initrd may occupy
  uint32_t kernel_alignment;   ///< read/modify (reloc): required/preferred load alignment
  uint8_t relocatable_kernel;  ///< read (reloc)
  uint8_t min_alignment;       ///< read (reloc): log2 of the minimum alignment (2.10+)
  uint16_t xloadflags;         ///< read: xloadflags:: (2.12+)
  uint32_t cmdline_size;       ///< read: longest command line without its NUL (2.06+)
  uint32_t hardware_subarch;   ///< write (optional): 0 is the PC
  uint64_t hardware_subarch_data;
  uint32_t payload_offset;  ///< read: compressed payload, from the protected-mode start (2.08+)
  uint32_t payload_length;
  uint64_t setup_data;          ///< write (special): list of struct setup_data (2.09+)
  uint64_t pref_address;        ///< read (reloc): preferred load address (2.10+)
  uint32_t init_size;           ///< read: bytes needed from the runtime start address (2.10+)
  uint32_t handover_offset;     ///< read: EFI handover entry (2.11+)
  uint32_t kernel_info_offset;  ///< read: (2.15+)
};

// Offsets relative to the header; the absolute offsets of boot.rst's table are checked against
// BootParams below.
static_assert(sizeof(SetupHeader) == 0x26c - kSetupHeaderOffset);

/// Header bytes boot_params reserves beyond the fields this file knows (room for protocols
/// newer than 2.15).
inline constexpr size_t kSetupHeaderTailSize = kSetupHeaderAreaEnd - 0x26c;

/// struct boot_e820_entry: one range of the zero page's memory map.
struct [[gnu::packed]] E820Entry {
  uint64_t addr;
  uint64_t size;
  uint32_t type;  ///< E820Type
};
static_assert(sizeof(E820Entry) == 20);
static_assert(offsetof(E820Entry, size) == 8);
static_assert(offsetof(E820Entry, type) == 16);

/// Entries the zero page's e820_table holds (bootparam.h, E820_MAX_ENTRIES_ZEROPAGE).
inline constexpr size_t kE820MaxEntries = 128;

/// struct screen_info (include/uapi/linux/screen_info.h), the zero page's first 0x40 bytes: the
/// console the boot loader left. Only the linear-framebuffer fields are named.
struct [[gnu::packed]] ScreenInfo {
  uint8_t legacy[0x0f];        // 0x00: text-mode cursor, page, mode, columns, ...
  uint8_t orig_video_is_vga;   ///< 0x0f: VideoType
  uint16_t orig_video_points;  // 0x10
  uint16_t lfb_width;          ///< 0x12: pixels
  uint16_t lfb_height;         ///< 0x14
  uint16_t lfb_depth;          ///< 0x16: bits per pixel
  uint32_t lfb_base;           ///< 0x18: low 32 bits of the framebuffer's address
  uint32_t lfb_size;           ///< 0x1c: bytes (VIDEO_TYPE_EFI)
  uint16_t cl_magic;           // 0x20
  uint16_t cl_offset;          // 0x22
  uint16_t lfb_linelength;     ///< 0x24: bytes per line
  uint8_t red_size;            ///< 0x26
  uint8_t red_pos;             ///< 0x27
  uint8_t green_size;          ///< 0x28
  uint8_t green_pos;           ///< 0x29
  uint8_t blue_size;           ///< 0x2a
  uint8_t blue_pos;            ///< 0x2b
  uint8_t rsvd_size;           ///< 0x2c
  uint8_t rsvd_pos;            ///< 0x2d
  uint16_t vesapm_seg;         // 0x2e
  uint16_t vesapm_off;         // 0x30
  uint16_t pages;              // 0x32
  uint16_t vesa_attributes;    // 0x34
  uint32_t capabilities;       ///< 0x36: ScreenCapability bits
  uint32_t ext_lfb_base;       ///< 0x3a: high 32 bits of the framebuffer's address
  uint8_t reserved[2];         // 0x3e
};
static_assert(sizeof(ScreenInfo) == 0x40);
static_assert(offsetof(ScreenInfo, orig_video_is_vga) == 0x0f);
static_assert(offsetof(ScreenInfo, lfb_width) == 0x12);
static_assert(offsetof(ScreenInfo, lfb_base) == 0x18);
static_assert(offsetof(ScreenInfo, lfb_size) == 0x1c);
static_assert(offsetof(ScreenInfo, lfb_linelength) == 0x24);
static_assert(offsetof(ScreenInfo, red_size) == 0x26);
static_assert(offsetof(ScreenInfo, rsvd_pos) == 0x2d);
static_assert(offsetof(ScreenInfo, capabilities) == 0x36);
static_assert(offsetof(ScreenInfo, ext_lfb_base) == 0x3a);

/// orig_video_isVGA values (screen_info.h): VIDEO_TYPE_EFI, a framebuffer the firmware set up.
inline constexpr uint8_t kVideoTypeEfi = 0x70;
/// capabilities (screen_info.h): VIDEO_CAPABILITY_64BIT_BASE, ext_lfb_base holds the high half.
inline constexpr uint32_t kVideoCapability64BitBase = 1u << 1;

/// struct boot_params, the zero page (zero-page.rst). Structures this project never fills are
/// opaque byte arrays; a loader starts from all zeroes.
struct [[gnu::packed]] BootParams {
  ScreenInfo screen_info;           ///< 0x000
  uint8_t apm_bios_info[0x14];      // 0x040
  uint8_t pad2[4];                  // 0x054
  uint64_t tboot_addr;              // 0x058
  uint8_t ist_info[0x10];           // 0x060
  uint64_t acpi_rsdp_addr;          ///< 0x070: physical address of the ACPI RSDP (0: search)
  uint8_t pad3[8];                  // 0x078
  uint8_t hd0_info[16];             // 0x080, obsolete
  uint8_t hd1_info[16];             // 0x090, obsolete
  uint8_t sys_desc_table[16];       // 0x0a0, obsolete
  uint8_t olpc_ofw_header[16];      // 0x0b0
  uint32_t ext_ramdisk_image;       ///< 0x0c0: initrd address, high 32 bits
  uint32_t ext_ramdisk_size;        ///< 0x0c4: initrd size, high 32 bits
  uint32_t ext_cmd_line_ptr;        ///< 0x0c8: command line address, high 32 bits
  uint8_t pad4[112];                // 0x0cc
  uint32_t cc_blob_address;         // 0x13c
  uint8_t edid_info[0x80];          // 0x140
  uint8_t efi_info[0x20];           // 0x1c0
  uint32_t alt_mem_k;               // 0x1e0
  uint32_t scratch;                 // 0x1e4
  uint8_t e820_entries;             ///< 0x1e8: entries used in e820_table
  uint8_t eddbuf_entries;           // 0x1e9
  uint8_t edd_mbr_sig_buf_entries;  // 0x1ea
  uint8_t kbd_status;               // 0x1eb
  uint8_t secure_boot;              // 0x1ec
  uint8_t pad5[2];                  // 0x1ed
  uint8_t sentinel;  ///< 0x1ef: nonzero tells the kernel the loader copied too much; keep 0
  uint8_t pad6[1];   // 0x1f0
  SetupHeader hdr;   ///< 0x1f1
  uint8_t hdr_tail[kSetupHeaderTailSize];  ///< 0x26c: header bytes of newer protocols
  uint32_t edd_mbr_sig_buffer[16];         // 0x290
  E820Entry e820_table[kE820MaxEntries];   ///< 0x2d0
  uint8_t pad8[48];                        // 0xcd0
  uint8_t eddbuf[0x1ec];                   // 0xd00
  uint8_t pad9[276];                       // 0xeec
};

static_assert(sizeof(BootParams) == 4096);
static_assert(offsetof(BootParams, acpi_rsdp_addr) == 0x070);
static_assert(offsetof(BootParams, ext_ramdisk_image) == 0x0c0);
static_assert(offsetof(BootParams, ext_ramdisk_size) == 0x0c4);
static_assert(offsetof(BootParams, ext_cmd_line_ptr) == 0x0c8);
static_assert(offsetof(BootParams, cc_blob_address) == 0x13c);
static_assert(offsetof(BootParams, e820_entries) == 0x1e8);
static_assert(offsetof(BootParams, sentinel) == 0x1ef);
static_assert(offsetof(BootParams, hdr) == kSetupHeaderOffset);
static_assert(offsetof(BootParams, hdr_tail) == 0x26c);
static_assert(offsetof(BootParams, edd_mbr_sig_buffer) == 0x290);
static_assert(offsetof(BootParams, e820_table) == 0x2d0);
static_assert(offsetof(BootParams, eddbuf) == 0xd00);

// boot.rst, "The Real-Mode Kernel Header": absolute offsets of the header fields.
/// Absolute offset (in the image and in boot_params) of a SetupHeader field.
constexpr size_t hdr_at(size_t field_offset) {
  return kSetupHeaderOffset + field_offset;
}
static_assert(hdr_at(offsetof(SetupHeader, setup_sects)) == 0x1f1);
static_assert(hdr_at(offsetof(SetupHeader, syssize)) == 0x1f4);
static_assert(hdr_at(offsetof(SetupHeader, vid_mode)) == 0x1fa);
static_assert(hdr_at(offsetof(SetupHeader, boot_flag)) == 0x1fe);
static_assert(hdr_at(offsetof(SetupHeader, jump)) == 0x200);
static_assert(hdr_at(offsetof(SetupHeader, header)) == 0x202);
static_assert(hdr_at(offsetof(SetupHeader, version)) == 0x206);
static_assert(hdr_at(offsetof(SetupHeader, kernel_version)) == 0x20e);
static_assert(hdr_at(offsetof(SetupHeader, type_of_loader)) == 0x210);
static_assert(hdr_at(offsetof(SetupHeader, loadflags)) == 0x211);
static_assert(hdr_at(offsetof(SetupHeader, code32_start)) == 0x214);
static_assert(hdr_at(offsetof(SetupHeader, ramdisk_image)) == 0x218);
static_assert(hdr_at(offsetof(SetupHeader, ramdisk_size)) == 0x21c);
static_assert(hdr_at(offsetof(SetupHeader, heap_end_ptr)) == 0x224);
static_assert(hdr_at(offsetof(SetupHeader, ext_loader_ver)) == 0x226);
static_assert(hdr_at(offsetof(SetupHeader, cmd_line_ptr)) == 0x228);
static_assert(hdr_at(offsetof(SetupHeader, initrd_addr_max)) == 0x22c);
static_assert(hdr_at(offsetof(SetupHeader, kernel_alignment)) == 0x230);
static_assert(hdr_at(offsetof(SetupHeader, relocatable_kernel)) == 0x234);
static_assert(hdr_at(offsetof(SetupHeader, min_alignment)) == 0x235);
static_assert(hdr_at(offsetof(SetupHeader, xloadflags)) == 0x236);
static_assert(hdr_at(offsetof(SetupHeader, cmdline_size)) == 0x238);
static_assert(hdr_at(offsetof(SetupHeader, hardware_subarch)) == 0x23c);
static_assert(hdr_at(offsetof(SetupHeader, payload_offset)) == 0x248);
static_assert(hdr_at(offsetof(SetupHeader, payload_length)) == 0x24c);
static_assert(hdr_at(offsetof(SetupHeader, setup_data)) == 0x250);
static_assert(hdr_at(offsetof(SetupHeader, pref_address)) == 0x258);
static_assert(hdr_at(offsetof(SetupHeader, init_size)) == 0x260);
static_assert(hdr_at(offsetof(SetupHeader, handover_offset)) == 0x264);
static_assert(hdr_at(offsetof(SetupHeader, kernel_info_offset)) == 0x268);

/// Smallest header end accepted: a 2.12 header reaches through handover_offset.
inline constexpr size_t kMinHeaderEnd = 0x268;

}  // namespace rootstock::linux_boot
