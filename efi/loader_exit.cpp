// Placing hv and the modules (UEFI 2.10, 7.2 AllocatePages), the boot information built from
// the last memory map, ExitBootServices (7.4) and the jump into hv through leave_firmware.S.
#include "leave_firmware.h"
#include "loader.hpp"
#include "memory_map.hpp"
#include "module_placement.hpp"

extern "C" {
extern const uint8_t efi_leave_start[];
extern const uint8_t efi_leave_end[];
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

// Flat 4 GiB descriptors (AMD APM vol. 2, 4.8): 32-bit code (D=1) and read/write data.
constexpr uint64_t kGdtCode32 = 0x00cf9a000000ffffull;
constexpr uint64_t kGdtData32 = 0x00cf92000000ffffull;

/// The GDTR image LGDT reads in 64-bit mode: a 16-bit limit and a 64-bit base.
struct [[gnu::packed]] GdtRegister {
  uint16_t limit;
  uint64_t base;
};
static_assert(sizeof(GdtRegister) == 10);

/// The copy of leave_firmware.S, called with the Microsoft x64 convention.
using LeaveFirmware = void(ROOTSTOCK_EFIAPI*)(uint64_t page, uint32_t entry, uint32_t info);

MemoryRange g_ranges[kMaxWorkingRanges];

}  // namespace

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

// A module stays where the firmware loaded this image when it may lie there for hv
// (module_placement.hpp); otherwise it is copied to pages below 4 GiB that may.
Status Loader::place_module(Part part, Text name, Module& out) {
  const auto base = reinterpret_cast<uintptr_t>(part.data);
  if (module_can_stay(base, part.size, kernel_window_)) {
    out = {base, part.size, name};
    return Status::kSuccess;
  }
  PhysicalAddress at = kBelow4GiB;
  const uint64_t pages = (part.size + kPageSize - 1) / kPageSize;
  Status s = allocate(AllocateType::kMaxAddress, EfiMemoryType::kLoaderData, pages, at);
  if (!is_error(s) && !module_can_stay(at, part.size, kernel_window_)) s = Status::kOutOfResources;
  if (is_error(s)) {
    return refuse(Message()
                      .text("no room below 4 GiB and outside the root kernel's window for the ")
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
  in.cmdline = Text(cmdline_);
  in.loader_name = "rootstock.efi " ROOTSTOCK_VERSION;
  in.modules = modules_;
  in.module_count = 2;
  in.rsdp = rsdp_;
  in.rsdp_size = rsdp_size_;
  in.framebuffer = &framebuffer_;
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

void Loader::leave() {
  const auto leave = reinterpret_cast<LeaveFirmware>(leave_page_);
  leave(leave_page_, plan_.entry, static_cast<uint32_t>(info_));
  for (;;) asm volatile("cli; hlt");
}

}  // namespace rootstock::efi
