// rootstock.efi: a UEFI application that boots the appliance (DESIGN.md §1). It finds the parts
// it carries (parts.S), places hv's ELF image at its physical addresses and the root's kernel
// and initramfs as Multiboot2 modules, takes the memory map, the ACPI RSDP and the GOP
// framebuffer from the firmware, leaves boot services and enters hv's Multiboot2 entry as GRUB
// does (leave_firmware.S). Every value from the firmware and every part is checked first; a
// machine the loader cannot boot gets a line on the firmware's console saying why and an EFI
// error back, before anything is changed for good.
#include <stddef.h>
#include <stdint.h>

#include <rootstock/acpi/rsdp.hpp>
#include <rootstock/boot/boot_info.hpp>

#include "command_line.hpp"
#include "console.hpp"
#include "elf_image.hpp"
#include "framebuffer.hpp"
#include "leave_firmware.h"
#include "memory_map.hpp"
#include "multiboot2_info.hpp"
#include "pe_image.hpp"
#include "uefi_tables.hpp"

extern "C" {
extern const uint8_t efi_leave_start[];
extern const uint8_t efi_leave_end[];
void* memcpy(void* dst, const void* src, size_t n);
}

namespace rootstock::efi {
namespace {

constexpr uint64_t k4GiB = uint64_t{1} << 32;
constexpr PhysicalAddress kBelow4GiB = k4GiB - 1;
/// Pages for the boot information: its largest tags are the memory map (hv takes at most 128
/// ranges, 3 KiB), the command line (2 KiB) and the RSDP (at most 4 KiB).
constexpr uint64_t kInfoPages = 4;
/// Most ranges the firmware's map may have while it is merged (its final count must fit hv's
/// 128; an unsorted map needs room on the way).
constexpr size_t kMaxWorkingRanges = 512;
/// Room for descriptors the loader's own last allocations add to the map.
constexpr uint64_t kMapHeadroomDescriptors = 16;
/// GetMemoryMap + ExitBootServices rounds before giving up (the map may change in between).
constexpr int kExitAttempts = 4;
/// Most allocations the loader makes and frees again if it cannot boot.
constexpr size_t kMaxAllocations = 8;

// Linux boot protocol: the setup header's "HdrS" at 0x202 marks a bzImage; hv tells the kernel
// module from the initramfs by it (hv/root/payload.cpp).
constexpr size_t kBzImageMagicOffset = 0x202;

// Flat 4 GiB descriptors (AMD APM vol. 2, 4.8): 32-bit code (D=1) and read/write data.
constexpr uint64_t kGdtCode32 = 0x00cf9a000000ffffull;
constexpr uint64_t kGdtData32 = 0x00cf92000000ffffull;

/// The GDTR image LGDT reads in 64-bit mode: a 16-bit limit and a 64-bit base.
struct [[gnu::packed]] GdtRegister {
  uint16_t limit;
  uint64_t base;
};
static_assert(sizeof(GdtRegister) == 10);

using LeaveFirmware = void(ROOTSTOCK_EFIAPI*)(uint64_t page, uint32_t entry, uint32_t info);

MemoryRange g_ranges[kMaxWorkingRanges];
char g_options[rootstock::boot::kMaxCmdline + 1];
char g_cmdline[rootstock::boot::kMaxCmdline + 1];

// A PhysReader over the firmware's identity map (UEFI 2.10, 2.3.4), for the ACPI parser.
class FirmwareMemory final : public rootstock::boot::PhysReader {
 public:
  bool read(uint64_t paddr, void* out, size_t len) const override {
    if (len != 0 && len - 1 > UINT64_MAX - paddr) return false;
    memcpy(out, reinterpret_cast<const void*>(paddr), len);
    return true;
  }
};

struct Part {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

class Loader {
 public:
  Loader(Handle image, SystemTable* system) : image_(image), system_(system), console_(nullptr) {}

  Status run();

 private:
  Status refuse(const Message& m, Status status = Status::kLoadError);
  Status find_parts();
  Status plan_hv();
  Status read_load_options();
  Status find_rsdp();
  void find_framebuffer();
  Status allocate(AllocateType type, EfiMemoryType memory, uint64_t pages, PhysicalAddress& at);
  void free_allocations();
  Status place_hv();
  Status place_module(Part part, Text name, Module& out);
  Status prepare_leaving();
  Status exit_boot_services();

  Handle image_;
  SystemTable* system_;
  BootServices* boot_ = nullptr;
  Console console_;
  LoadedImage* loaded_ = nullptr;

  Part hv_, kernel_, initrd_, cmdline_;
  elf::LoadPlan plan_;
  Text options_;
  const uint8_t* rsdp_ = nullptr;
  size_t rsdp_size_ = 0;
  Framebuffer framebuffer_;
  bool has_framebuffer_ = false;
  Module modules_[2];

  struct Allocation {
    PhysicalAddress base;
    uint64_t pages;
  };
  Allocation allocations_[kMaxAllocations] = {};
  size_t allocation_count_ = 0;

  PhysicalAddress leave_page_ = 0;
  PhysicalAddress info_ = 0;
  MemoryDescriptor* map_ = nullptr;
  uint64_t map_capacity_ = 0;
};

Status Loader::refuse(const Message& m, Status status) {
  console_.say(m);
  console_.say("cannot boot, returning to the firmware");
  free_allocations();
  return status;
}

Status Loader::find_parts() {
  const auto* image = static_cast<const uint8_t*>(loaded_->image_base);
  const uint64_t size = loaded_->image_size;
  struct Wanted {
    Text name;
    Part* part;
  };
  const Wanted wanted[] = {
      {".hv", &hv_}, {".kernel", &kernel_}, {".initrd", &initrd_}, {".cmdline", &cmdline_}};
  for (const Wanted& w : wanted) {
    const pe::Status s = pe::find_section(image, static_cast<size_t>(size), pe::Layout::kLoaded,
                                          w.name, w.part->data, w.part->size);
    if (s != pe::Status::kOk) {
      return refuse(Message()
                        .text("its own image has no usable section ")
                        .text(w.name)
                        .text(": ")
                        .text(pe::describe(s)));
    }
  }
  if (kernel_.size < kBzImageMagicOffset + 4 || kernel_.data[kBzImageMagicOffset] != 'H' ||
      kernel_.data[kBzImageMagicOffset + 1] != 'd' ||
      kernel_.data[kBzImageMagicOffset + 2] != 'r' ||
      kernel_.data[kBzImageMagicOffset + 3] != 'S') {
    return refuse(Message().text("the embedded kernel (.kernel) is not a Linux bzImage"));
  }
  return Status::kSuccess;
}

Status Loader::plan_hv() {
  uint64_t detail = 0;
  const elf::Status s = elf::plan_load(hv_.data, hv_.size, plan_, detail);
  if (s != elf::Status::kOk) {
    Message m;
    m.text("the embedded hv image (.hv, ").dec(hv_.size).text(" bytes) is refused: ");
    m.text(elf::describe(s));
    if (detail != 0) m.text(" (").hex(detail).text(")");
    return refuse(m);
  }
  return Status::kSuccess;
}

Status Loader::read_load_options() {
  size_t length = 0;
  const OptionsStatus s = options_to_ascii(loaded_->load_options, loaded_->load_options_size,
                                           g_options, sizeof(g_options), length);
  if (s == OptionsStatus::kTooLong) {
    return refuse(Message().text(describe(s)));
  }
  if (s != OptionsStatus::kOk) {
    console_.say(Message()
                     .text(describe(s))
                     .text(" (")
                     .dec(loaded_->load_options_size)
                     .text(" bytes, a boot entry's data?): ignored"));
  }
  options_ = {g_options, length};
  const Text embedded = embedded_text(cmdline_.data, cmdline_.size);
  size_t n = 0;
  if (!join_words(embedded, options_, g_cmdline, sizeof(g_cmdline), n)) {
    return refuse(Message()
                      .text("the command line (")
                      .dec(embedded.size + 1 + options_.size)
                      .text(" characters) is longer than hv takes (")
                      .dec(rootstock::boot::kMaxCmdline)
                      .text(")"));
  }
  return Status::kSuccess;
}

// The RSDP from the configuration table (UEFI 2.10, 4.6): ACPI 2.0's entry, else ACPI 1.0's.
// hv needs ACPI (the MADT lists the CPUs) and on UEFI there is no RSDP to find in the BIOS area.
Status Loader::find_rsdp() {
  const uint64_t n = system_->number_of_table_entries;
  const ConfigurationTable* tables = system_->configuration_table;
  const Guid* const preference[] = {&kAcpi20TableGuid, &kAcpi10TableGuid};
  const void* found = nullptr;
  for (const Guid* want : preference) {
    for (uint64_t i = 0; tables != nullptr && i < n && found == nullptr; ++i) {
      if (tables[i].vendor_guid == *want) found = tables[i].vendor_table;
    }
  }
  if (found == nullptr) {
    return refuse(
        Message().text("the firmware gives no ACPI tables (no ACPI RSDP in its "
                       "configuration table); hv needs them"));
  }
  const FirmwareMemory memory;
  const auto paddr = reinterpret_cast<uintptr_t>(found);
  rootstock::acpi::RsdpInfo info;
  if (const auto s = rootstock::acpi::read_rsdp(memory, paddr, info);
      s != rootstock::acpi::Status::kOk) {
    return refuse(Message()
                      .text("the firmware's ACPI RSDP at ")
                      .hex(paddr)
                      .text(" is refused: ")
                      .text(rootstock::acpi::describe(s)));
  }
  rsdp_ = static_cast<const uint8_t*>(found);
  rsdp_size_ = rootstock::acpi::kRsdpV1Length;
  if (info.revision >= 2) {
    rootstock::acpi::Rsdp full{};
    memcpy(&full, found, sizeof(full));
    rsdp_size_ = full.length;  // read_rsdp checked it: 36 to kRsdpMaxLength
  }
  return Status::kSuccess;
}

void Loader::find_framebuffer() {
  void* interface = nullptr;
  if (is_error(boot_->locate_protocol(&kGraphicsOutputProtocolGuid, nullptr, &interface)) ||
      interface == nullptr) {
    console_.say("no graphics output (GOP): the root gets no framebuffer");
    return;
  }
  const GraphicsOutputMode* mode = static_cast<GraphicsOutput*>(interface)->mode;
  if (mode == nullptr || mode->info == nullptr ||
      mode->size_of_info < sizeof(GraphicsModeInformation) ||
      !framebuffer_from_gop(*mode->info, mode->frame_buffer_base, mode->frame_buffer_size,
                            framebuffer_)) {
    console_.say("the graphics output (GOP) has no linear framebuffer: the root gets none");
    return;
  }
  has_framebuffer_ = true;
  console_.say(Message()
                   .text("framebuffer ")
                   .dec(framebuffer_.width)
                   .text("x")
                   .dec(framebuffer_.height)
                   .text("x")
                   .dec(framebuffer_.bpp)
                   .text(" at ")
                   .hex(framebuffer_.address));
}

Status Loader::allocate(AllocateType type, EfiMemoryType memory, uint64_t pages,
                        PhysicalAddress& at) {
  if (allocation_count_ == kMaxAllocations) return Status::kOutOfResources;
  const Status s = boot_->allocate_pages(type, memory, pages, &at);
  if (!is_error(s)) allocations_[allocation_count_++] = {at, pages};
  return s;
}

void Loader::free_allocations() {
  while (allocation_count_ > 0) {
    const Allocation& a = allocations_[--allocation_count_];
    (void)boot_->free_pages(a.base, a.pages);
  }
  if (map_ != nullptr) (void)boot_->free_pool(map_);
  map_ = nullptr;
}

// hv is not relocatable: its segments go exactly where its ELF says (1 MiB up), which the
// firmware must not be using.
Status Loader::place_hv() {
  PhysicalAddress at = plan_.low;
  const uint64_t pages = (plan_.high - plan_.low) / kPageSize;
  if (const Status s = allocate(AllocateType::kAddress, EfiMemoryType::kLoaderData, pages, at);
      is_error(s)) {
    return refuse(Message()
                      .text("the firmware holds memory in [")
                      .hex(plan_.low)
                      .text(", ")
                      .hex(plan_.high)
                      .text("), where hv must be loaded (AllocatePages: ")
                      .hex(static_cast<uint64_t>(s))
                      .text(")"),
                  s);
  }
  elf::load_segments(plan_, hv_.data, reinterpret_cast<uint8_t*>(at));
  return Status::kSuccess;
}

// A module stays where the firmware loaded this image when it lies below 4 GiB (the Multiboot2
// module tag has 32-bit addresses); otherwise it is copied below.
Status Loader::place_module(Part part, Text name, Module& out) {
  const auto base = reinterpret_cast<uintptr_t>(part.data);
  if (base < k4GiB && part.size <= k4GiB - base) {
    out = {base, part.size, name};
    return Status::kSuccess;
  }
  PhysicalAddress at = kBelow4GiB;
  const uint64_t pages = (part.size + kPageSize - 1) / kPageSize;
  if (const Status s = allocate(AllocateType::kMaxAddress, EfiMemoryType::kLoaderData, pages, at);
      is_error(s)) {
    return refuse(Message()
                      .text("no room below 4 GiB for the ")
                      .text(name)
                      .text(" (")
                      .dec(part.size)
                      .text(" bytes)"),
                  s);
  }
  memcpy(reinterpret_cast<void*>(at), part.data, part.size);
  out = {at, part.size, name};
  return Status::kSuccess;
}

// The page to leave from, the boot information's pages and the memory map's buffer: the last
// allocations, so that the map GetMemoryMap gives next already holds them.
Status Loader::prepare_leaving() {
  const auto code = static_cast<size_t>(efi_leave_end - efi_leave_start);
  if (code > LEAVE_CODE_MAX) return refuse(Message().text("the leave code outgrew its page"));
  // Loader code, not data: firmware that maps data non-executable still runs it.
  leave_page_ = kBelow4GiB;
  Status s = allocate(AllocateType::kMaxAddress, EfiMemoryType::kLoaderCode, 1, leave_page_);
  // ACPI reclaim memory: the boot information holds the RSDP copy whose address hv hands the
  // root's Linux (boot_params.acpi_rsdp_addr), so the root must keep these pages as ACPI data.
  info_ = kBelow4GiB;
  if (!is_error(s)) {
    s = allocate(AllocateType::kMaxAddress, EfiMemoryType::kAcpiReclaimMemory, kInfoPages, info_);
  }
  if (is_error(s)) {
    return refuse(Message()
                      .text("no pages below 4 GiB for the boot information and the code "
                            "that leaves the firmware (AllocatePages: ")
                      .hex(static_cast<uint64_t>(s))
                      .text(")"),
                  s);
  }
  auto* page = reinterpret_cast<uint8_t*>(leave_page_);
  memcpy(page, efi_leave_start, code);
  auto* gdt = reinterpret_cast<uint64_t*>(page + LEAVE_GDT_OFFSET);
  gdt[0] = 0;
  gdt[LEAVE_CODE32_SELECTOR / 8] = kGdtCode32;
  gdt[LEAVE_DATA32_SELECTOR / 8] = kGdtData32;
  const GdtRegister gdtr{3 * 8 - 1, leave_page_ + LEAVE_GDT_OFFSET};
  memcpy(page + LEAVE_GDTR_OFFSET, &gdtr, sizeof(gdtr));

  uint64_t size = 0, key = 0, descriptor_size = 0;
  uint32_t version = 0;
  s = boot_->get_memory_map(&size, nullptr, &key, &descriptor_size, &version);
  if (s != Status::kBufferTooSmall || descriptor_size < kMinDescriptorSize ||
      descriptor_size > kMaxDescriptorSize || size > kMaxDescriptors * descriptor_size) {
    return refuse(Message()
                      .text("GetMemoryMap gives no usable size (")
                      .hex(static_cast<uint64_t>(s))
                      .text(", ")
                      .dec(size)
                      .text(" bytes of ")
                      .dec(descriptor_size)
                      .text(")"));
  }
  map_capacity_ = size + kMapHeadroomDescriptors * descriptor_size;
  void* buffer = nullptr;
  s = boot_->allocate_pool(EfiMemoryType::kLoaderData, map_capacity_, &buffer);
  if (is_error(s)) {
    return refuse(Message()
                      .text("no memory for the memory map (AllocatePool: ")
                      .hex(static_cast<uint64_t>(s))
                      .text(")"),
                  s);
  }
  map_ = static_cast<MemoryDescriptor*>(buffer);
  return Status::kSuccess;
}

// GetMemoryMap, the boot information from it, ExitBootServices with its key; when the map
// changed in between (EFI_INVALID_PARAMETER) again, with only GetMemoryMap allowed (UEFI 2.10,
// 7.4 ExitBootServices). Nothing may print once the first ExitBootServices call has been made.
Status Loader::exit_boot_services() {
  InfoInputs in;
  in.cmdline = Text(g_cmdline);
  in.loader_name = "rootstock.efi " ROOTSTOCK_VERSION;
  in.modules = modules_;
  in.module_count = 2;
  in.rsdp = rsdp_;
  in.rsdp_size = rsdp_size_;
  in.framebuffer = has_framebuffer_ ? &framebuffer_ : nullptr;
  for (int attempt = 0; attempt < kExitAttempts; ++attempt) {
    const bool can_print = attempt == 0;
    uint64_t size = map_capacity_, key = 0, descriptor_size = 0;
    uint32_t version = 0;
    Status s = boot_->get_memory_map(&size, map_, &key, &descriptor_size, &version);
    if (is_error(s)) {
      if (!can_print) return s;
      return refuse(Message().text("GetMemoryMap failed: ").hex(static_cast<uint64_t>(s)), s);
    }
    size_t count = 0;
    MapError where;
    const MapStatus m =
        convert_memory_map(map_, size, descriptor_size, g_ranges, kMaxWorkingRanges, count, where);
    if (m != MapStatus::kOk) {
      if (!can_print) return Status::kLoadError;
      return refuse(Message()
                        .text("the firmware's memory map is refused: ")
                        .text(describe(m))
                        .text(" (descriptor ")
                        .dec(where.index)
                        .text(")"));
    }
    in.memory = g_ranges;
    in.memory_count = count;
    size_t info_size = 0;
    const InfoStatus b = build_multiboot2_info(in, reinterpret_cast<void*>(info_),
                                               kInfoPages * kPageSize, info_size);
    if (b != InfoStatus::kOk) {
      if (!can_print) return Status::kLoadError;
      return refuse(Message()
                        .text("the boot information cannot be built: ")
                        .text(describe(b))
                        .text(" (")
                        .dec(count)
                        .text(" memory ranges)"));
    }
    s = boot_->exit_boot_services(image_, key);
    if (!is_error(s)) return s;
    if (s != Status::kInvalidParameter) return s;
  }
  return Status::kLoadError;
}

Status Loader::run() {
  if (system_ == nullptr || system_->hdr.signature != kSystemTableSignature) {
    return Status::kLoadError;
  }
  console_ = Console(system_->con_out);
  boot_ = system_->boot_services;
  if (boot_ == nullptr || boot_->hdr.signature != kBootServicesSignature) {
    console_.say("the firmware's boot services table is missing or malformed");
    return Status::kLoadError;
  }
  void* interface = nullptr;
  if (is_error(boot_->handle_protocol(image_, &kLoadedImageProtocolGuid, &interface)) ||
      interface == nullptr) {
    return refuse(
        Message().text("the firmware does not say where this image was loaded "
                       "(no EFI_LOADED_IMAGE_PROTOCOL)"));
  }
  loaded_ = static_cast<LoadedImage*>(interface);
  console_.say(Message()
                   .text("Rootstock ")
                   .text(ROOTSTOCK_VERSION)
                   .text(", loaded at ")
                   .hex(reinterpret_cast<uintptr_t>(loaded_->image_base)));

  Status s = find_parts();
  if (s == Status::kSuccess) s = plan_hv();
  if (s == Status::kSuccess) s = read_load_options();
  if (s == Status::kSuccess) s = find_rsdp();
  if (s != Status::kSuccess) return s;
  find_framebuffer();
  s = place_hv();
  if (s == Status::kSuccess) s = place_module(kernel_, "kernel", modules_[0]);
  if (s == Status::kSuccess) s = place_module(initrd_, "initramfs", modules_[1]);
  if (s == Status::kSuccess) s = prepare_leaving();
  if (s != Status::kSuccess) return s;

  console_.say(Message()
                   .text("hv at ")
                   .hex(plan_.low)
                   .text("-")
                   .hex(plan_.high)
                   .text(", entry ")
                   .hex(plan_.entry)
                   .text(", kernel ")
                   .dec(kernel_.size >> 10)
                   .text(" KiB, initramfs ")
                   .dec(initrd_.size >> 10)
                   .text(" KiB"));
  console_.say(Message().text("command line \"").text(Text(g_cmdline)).text("\""));
  console_.say("leaving the firmware");
  s = exit_boot_services();
  if (is_error(s)) return s;  // after ExitBootServices was tried: no console, no freeing

  const auto leave = reinterpret_cast<LeaveFirmware>(leave_page_);
  leave(leave_page_, plan_.entry, static_cast<uint32_t>(info_));
  for (;;) asm volatile("cli; hlt");
}

}  // namespace
}  // namespace rootstock::efi

extern "C" rootstock::efi::Status ROOTSTOCK_EFIAPI efi_main(rootstock::efi::Handle image,
                                                            rootstock::efi::SystemTable* system) {
  rootstock::efi::Loader loader(image, system);
  return loader.run();
}
