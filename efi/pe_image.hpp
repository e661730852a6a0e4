// Finding a named section in a PE32+ image (Microsoft "PE Format" specification: 2 "MS-DOS
// Stub", 3 "COFF File Header", 3.4 "Optional Header", 4 "Section Table"), the way xen.efi and
// systemd's stub find the parts they carry. Two layouts: the file as built (sections at their
// PointerToRawData) and the image as the firmware loaded it (headers at ImageBase, sections at
// their VirtualAddress). Every offset and size read from the headers is checked against the
// bytes given before anything is read through it.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <rootstock/text.hpp>

namespace rootstock::efi::pe {

/// IMAGE_DOS_HEADER's first field "MZ" and e_lfanew, the file offset of the PE signature.
inline constexpr uint16_t kDosMagic = 0x5a4d;
inline constexpr size_t kDosLfanewOffset = 0x3c;
/// "PE\0\0".
inline constexpr uint32_t kPeSignature = 0x00004550;
/// IMAGE_FILE_MACHINE_AMD64.
inline constexpr uint16_t kMachineAmd64 = 0x8664;
/// The optional header's magic for PE32+.
inline constexpr uint16_t kPe32PlusMagic = 0x20b;
/// IMAGE_SUBSYSTEM_EFI_APPLICATION.
inline constexpr uint16_t kSubsystemEfiApplication = 10;

/// COFF file header (3.3).
struct FileHeader {
  uint16_t machine;
  uint16_t number_of_sections;
  uint32_t time_date_stamp;
  uint32_t pointer_to_symbol_table;
  uint32_t number_of_symbols;
  uint16_t size_of_optional_header;
  uint16_t characteristics;
};
static_assert(sizeof(FileHeader) == 20);

/// The start of the PE32+ optional header (3.4.1, 3.4.2), up to the fields read here.
struct OptionalHeaderStart {
  uint16_t magic;
  uint8_t major_linker_version;
  uint8_t minor_linker_version;
  uint32_t size_of_code;
  uint32_t size_of_initialized_data;
  uint32_t size_of_uninitialized_data;
  uint32_t address_of_entry_point;
  uint32_t base_of_code;
  uint64_t image_base;
  uint32_t section_alignment;
  uint32_t file_alignment;
  uint16_t os_versions[4];
  uint16_t major_subsystem_version;
  uint16_t minor_subsystem_version;
  uint32_t win32_version_value;
  uint32_t size_of_image;
  uint32_t size_of_headers;
  uint32_t check_sum;
  uint16_t subsystem;
  uint16_t dll_characteristics;
};
static_assert(offsetof(OptionalHeaderStart, image_base) == 24);
static_assert(offsetof(OptionalHeaderStart, size_of_image) == 56);
static_assert(offsetof(OptionalHeaderStart, subsystem) == 68);
static_assert(sizeof(OptionalHeaderStart) == 72);

/// Section table entry (4).
struct SectionHeader {
  char name[8];  ///< NUL-padded, not terminated when 8 long
  uint32_t virtual_size;
  uint32_t virtual_address;
  uint32_t size_of_raw_data;
  uint32_t pointer_to_raw_data;
  uint32_t pointer_to_relocations;
  uint32_t pointer_to_linenumbers;
  uint16_t number_of_relocations;
  uint16_t number_of_linenumbers;
  uint32_t characteristics;
};
static_assert(sizeof(SectionHeader) == 40);

/// Most sections looked through (a linked image has a handful).
inline constexpr uint16_t kMaxSections = 96;

/// Which layout the bytes have.
enum class Layout : uint32_t {
  kFile,    ///< the .efi file: section data at PointerToRawData
  kLoaded,  ///< loaded by the firmware: section data at VirtualAddress
};

/// Why a section was not found.
enum class Status : uint32_t {
  kOk,
  kNoDosHeader,
  kBadPeOffset,
  kNoPeSignature,
  kNotAmd64,
  kNotPe32Plus,
  kSectionTableOutside,
  kTooManySections,
  kSectionNotFound,
  kSectionOutside,
};

/// A clear one-line message for `status` (never nullptr).
[[nodiscard]] const char* describe(Status status);

/// What the headers say about the image as a whole.
struct ImageInfo {
  uint16_t subsystem = 0;
  uint32_t size_of_image = 0;
  uint16_t section_count = 0;
};

/// Checks the headers of the `size` bytes at `image` (DOS stub, signature, AMD64, PE32+, the
/// section table inside the bytes).
[[nodiscard]] Status read_headers(const uint8_t* image, size_t size, ImageInfo& out);

/// The contents of section `name` (up to 8 characters): its VirtualSize bytes, which must lie
/// inside the bytes given (and, in the file layout, inside its raw data).
[[nodiscard]] Status find_section(const uint8_t* image, size_t size, Layout layout, Text name,
                                  const uint8_t*& data, size_t& data_size);

}  // namespace rootstock::efi::pe
