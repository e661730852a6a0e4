// The loader behind rootstock.efi's entry (main.cpp): what it takes from its own image and the
// firmware (loader_inputs.cpp), and how it places hv and the modules and leaves the firmware
// (loader_exit.cpp). Each step checks what it is given first; a refusal says why on the
// firmware's console, frees what the loader allocated and gives an EFI error back.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <rootstock/boot/boot_info.hpp>
#include <rootstock/text.hpp>

#include "boot_device.hpp"
#include "console.hpp"
#include "elf_image.hpp"
#include "multiboot2_info.hpp"
#include "uefi_tables.hpp"

extern "C" void* memcpy(void* dst, const void* src, size_t n);

namespace rootstock::efi {

/// One part the loader carries: a PE section of its own loaded image.
struct Part {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

/// Boots hv from the parts this image carries; run() returns only when it cannot.
class Loader {
 public:
  Loader(Handle image, SystemTable* system) : image_(image), system_(system), console_(nullptr) {}

  /// Every step in order, then the jump into hv; an EFI error when a step refuses.
  Status run();

 private:
  /// Most allocations the loader makes and frees again if it cannot boot.
  static constexpr size_t kMaxAllocations = 8;

  // main.cpp
  Status refuse(const Message& m, Status status = Status::kLoadError);
  // loader_inputs.cpp
  Status find_parts();
  Status plan_hv();
  void find_boot_partition();
  Status read_load_options();
  Status find_rsdp();
  void find_framebuffer();
  // loader_exit.cpp
  Status allocate(AllocateType type, EfiMemoryType memory, uint64_t pages, PhysicalAddress& at);
  void free_allocations();
  Status place_hv();
  Status place_module(Part part, Text name, Module& out);
  Status prepare_leaving();
  Status exit_boot_services();
  [[noreturn]] void leave();

  Handle image_;
  SystemTable* system_;
  BootServices* boot_ = nullptr;
  Console console_;
  LoadedImage* loaded_ = nullptr;

  Part hv_, kernel_, initrd_, cmdline_part_;
  elf::LoadPlan plan_;
  MemoryRange kernel_window_;  ///< where hv will copy the root's kernel: no module there
  char options_text_[rootstock::boot::kMaxCmdline + 1] = {};
  /// "rootstock.esp=GUID" when started from a GPT partition (boot_device.hpp), else "".
  char esp_word_[sizeof("rootstock.esp=") + kGuidTextLength] = {};
  char cmdline_[rootstock::boot::kMaxCmdline + 1] = {};  ///< hv's: embedded, then the options
  const uint8_t* rsdp_ = nullptr;
  size_t rsdp_size_ = 0;
  boot::Framebuffer framebuffer_;  ///< GOP's, when present
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

}  // namespace rootstock::efi
