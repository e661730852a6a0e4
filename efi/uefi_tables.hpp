// The UEFI tables and protocols the loader calls, typed as the UEFI Specification 2.10 lays
// them out: EFI_SYSTEM_TABLE (4.3), EFI_BOOT_SERVICES (4.4), EFI_CONFIGURATION_TABLE (4.6),
// EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL (12.4), EFI_LOADED_IMAGE_PROTOCOL (9.1) and
// EFI_GRAPHICS_OUTPUT_PROTOCOL (12.9). Services the loader never calls are kept as untyped
// slots so that the offsets of the ones it does call stay right (asserted below).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "uefi_types.hpp"

namespace rootstock::efi {

/// EFI_TABLE_HEADER (4.2).
struct TableHeader {
  uint64_t signature;
  uint32_t revision;
  uint32_t header_size;
  uint32_t crc32;
  uint32_t reserved;
};
static_assert(sizeof(TableHeader) == 24);

/// EFI_SYSTEM_TABLE_SIGNATURE "IBI SYST" and EFI_BOOT_SERVICES_SIGNATURE "BOOTSERV" (4.3, 4.4).
inline constexpr uint64_t kSystemTableSignature = 0x5453595320494249;
inline constexpr uint64_t kBootServicesSignature = 0x56524553544f4f42;

/// EFI_ALLOCATE_TYPE (7.2.1).
enum class AllocateType : uint32_t {
  kAnyPages = 0,
  kMaxAddress = 1,  ///< at or below the address given
  kAddress = 2,     ///< exactly at the address given
};

/// A service or field the loader does not use: only its slot.
using Unused = void*;

/// EFI_BOOT_SERVICES (4.4): the services the loader calls, typed; the rest as slots.
struct BootServices {
  TableHeader hdr;
  Unused raise_tpl;
  Unused restore_tpl;
  Status(ROOTSTOCK_EFIAPI* allocate_pages)(AllocateType type, EfiMemoryType memory_type,
                                           uint64_t pages, PhysicalAddress* memory);
  Status(ROOTSTOCK_EFIAPI* free_pages)(PhysicalAddress memory, uint64_t pages);
  Status(ROOTSTOCK_EFIAPI* get_memory_map)(uint64_t* memory_map_size, MemoryDescriptor* map,
                                           uint64_t* map_key, uint64_t* descriptor_size,
                                           uint32_t* descriptor_version);
  Status(ROOTSTOCK_EFIAPI* allocate_pool)(EfiMemoryType pool_type, uint64_t size, void** buffer);
  Status(ROOTSTOCK_EFIAPI* free_pool)(void* buffer);
  Unused create_event;
  Unused set_timer;
  Unused wait_for_event;
  Unused signal_event;
  Unused close_event;
  Unused check_event;
  Unused install_protocol_interface;
  Unused reinstall_protocol_interface;
  Unused uninstall_protocol_interface;
  Status(ROOTSTOCK_EFIAPI* handle_protocol)(Handle handle, const Guid* protocol, void** interface);
  Unused reserved;
  Unused register_protocol_notify;
  Unused locate_handle;
  Unused locate_device_path;
  Unused install_configuration_table;
  Unused load_image;
  Unused start_image;
  Unused exit;
  Unused unload_image;
  Status(ROOTSTOCK_EFIAPI* exit_boot_services)(Handle image_handle, uint64_t map_key);
  Unused get_next_monotonic_count;
  Unused stall;
  Status(ROOTSTOCK_EFIAPI* set_watchdog_timer)(uint64_t timeout, uint64_t code, uint64_t size,
                                               const Char16* data);
  Unused connect_controller;
  Unused disconnect_controller;
  Unused open_protocol;
  Unused close_protocol;
  Unused open_protocol_information;
  Unused protocols_per_handle;
  Unused locate_handle_buffer;
  Status(ROOTSTOCK_EFIAPI* locate_protocol)(const Guid* protocol, void* registration,
                                            void** interface);
};
static_assert(offsetof(BootServices, allocate_pages) == 40);
static_assert(offsetof(BootServices, get_memory_map) == 56);
static_assert(offsetof(BootServices, allocate_pool) == 64);
static_assert(offsetof(BootServices, handle_protocol) == 152);
static_assert(offsetof(BootServices, exit_boot_services) == 232);
static_assert(offsetof(BootServices, set_watchdog_timer) == 256);
static_assert(offsetof(BootServices, locate_protocol) == 320);

/// EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL (12.4): the loader only writes strings.
struct SimpleTextOutput {
  Unused reset;
  Status(ROOTSTOCK_EFIAPI* output_string)(SimpleTextOutput* self, const Char16* string);
};
static_assert(offsetof(SimpleTextOutput, output_string) == 8);

/// EFI_CONFIGURATION_TABLE (4.6).
struct ConfigurationTable {
  Guid vendor_guid;
  void* vendor_table;
};
static_assert(sizeof(ConfigurationTable) == 24);

/// EFI_SYSTEM_TABLE (4.3).
struct SystemTable {
  TableHeader hdr;
  const Char16* firmware_vendor;
  uint32_t firmware_revision;
  Handle console_in_handle;
  Unused con_in;
  Handle console_out_handle;
  SimpleTextOutput* con_out;
  Handle standard_error_handle;
  SimpleTextOutput* std_err;
  Unused runtime_services;
  BootServices* boot_services;
  uint64_t number_of_table_entries;
  ConfigurationTable* configuration_table;
};
static_assert(offsetof(SystemTable, con_out) == 64);
static_assert(offsetof(SystemTable, boot_services) == 96);
static_assert(offsetof(SystemTable, number_of_table_entries) == 104);
static_assert(offsetof(SystemTable, configuration_table) == 112);

/// EFI_LOADED_IMAGE_PROTOCOL (9.1).
struct LoadedImage {
  uint32_t revision;
  Handle parent_handle;
  SystemTable* system_table;
  Handle device_handle;
  void* file_path;
  void* reserved;
  uint32_t load_options_size;  ///< bytes
  const void* load_options;    ///< the shell's command line, UCS-2; or a boot option's data
  void* image_base;            ///< the PE image as loaded: headers, then sections at their RVAs
  uint64_t image_size;
  EfiMemoryType image_code_type;
  EfiMemoryType image_data_type;
  Unused unload;
};
static_assert(offsetof(LoadedImage, load_options_size) == 48);
static_assert(offsetof(LoadedImage, load_options) == 56);
static_assert(offsetof(LoadedImage, image_base) == 64);
static_assert(offsetof(LoadedImage, image_size) == 72);

/// EFI_GRAPHICS_PIXEL_FORMAT (12.9.1).
enum class PixelFormat : uint32_t {
  kRedGreenBlueReserved8BitPerColor = 0,
  kBlueGreenRedReserved8BitPerColor = 1,
  kBitMask = 2,
  kBltOnly = 3,  ///< no framebuffer the OS can write
};

/// EFI_PIXEL_BITMASK (12.9.1).
struct PixelBitmask {
  uint32_t red_mask;
  uint32_t green_mask;
  uint32_t blue_mask;
  uint32_t reserved_mask;
};

/// EFI_GRAPHICS_OUTPUT_MODE_INFORMATION (12.9.1).
struct GraphicsModeInformation {
  uint32_t version;
  uint32_t horizontal_resolution;
  uint32_t vertical_resolution;
  PixelFormat pixel_format;
  PixelBitmask pixel_information;  ///< for kBitMask only
  uint32_t pixels_per_scan_line;
};
static_assert(sizeof(GraphicsModeInformation) == 36);

/// EFI_GRAPHICS_OUTPUT_PROTOCOL_MODE (12.9.1).
struct GraphicsOutputMode {
  uint32_t max_mode;
  uint32_t mode;
  GraphicsModeInformation* info;
  uint64_t size_of_info;
  PhysicalAddress frame_buffer_base;
  uint64_t frame_buffer_size;
};
static_assert(offsetof(GraphicsOutputMode, frame_buffer_base) == 24);

/// EFI_GRAPHICS_OUTPUT_PROTOCOL (12.9.1).
struct GraphicsOutput {
  Unused query_mode;
  Unused set_mode;
  Unused blt;
  GraphicsOutputMode* mode;
};
static_assert(offsetof(GraphicsOutput, mode) == 24);

/// EFI_LOADED_IMAGE_PROTOCOL_GUID (9.1).
inline constexpr Guid kLoadedImageProtocolGuid = {
    0x5b1b31a1, 0x9562, 0x11d2, {0x8e, 0x3f, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b}};
/// EFI_DEVICE_PATH_PROTOCOL_GUID (10.2): on the loaded image's device handle, where it came from.
inline constexpr Guid kDevicePathProtocolGuid = {
    0x09576e91, 0x6d3f, 0x11d2, {0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b}};
/// EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID (12.9.1).
inline constexpr Guid kGraphicsOutputProtocolGuid = {
    0x9042a9de, 0x23dc, 0x4a38, {0x96, 0xfb, 0x7a, 0xde, 0xd0, 0x80, 0x51, 0x6a}};
/// EFI_ACPI_20_TABLE_GUID and ACPI_TABLE_GUID (4.6.1): the configuration table's RSDP.
inline constexpr Guid kAcpi20TableGuid = {
    0x8868e871, 0xe4f1, 0x11d3, {0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81}};
inline constexpr Guid kAcpi10TableGuid = {
    0xeb9d2d30, 0x2d88, 0x11d3, {0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d}};

}  // namespace rootstock::efi
