// rootstock.efi: a UEFI application that boots the appliance (DESIGN.md §1). It finds the parts
// it carries (parts.S), places hv's ELF image at its physical addresses and the root's kernel
// and initramfs as Multiboot2 modules, takes the memory map, the ACPI RSDP and the GOP
// framebuffer from the firmware, leaves boot services and enters hv's Multiboot2 entry as GRUB
// does (leave_firmware.S). Every value from the firmware and every part is checked first; a
// machine the loader cannot boot gets a line on the firmware's console saying why and an EFI
// error back, before anything is changed for good.
#include "loader.hpp"

namespace rootstock::efi {

Status Loader::refuse(const Message& m, Status status) {
  console_.say(m);
  console_.say("cannot boot, returning to the firmware");
  free_allocations();
  return status;
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
  if (s == Status::kSuccess) {
    find_boot_partition();
    s = read_load_options();
  }
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
  console_.say(Message().text("command line \"").text(Text(cmdline_)).text("\""));
  console_.say("leaving the firmware");
  s = exit_boot_services();
  if (is_error(s)) return s;  // after ExitBootServices was tried: no console, no freeing

  leave();
}

}  // namespace rootstock::efi

extern "C" rootstock::efi::Status ROOTSTOCK_EFIAPI efi_main(rootstock::efi::Handle image,
                                                            rootstock::efi::SystemTable* system) {
  rootstock::efi::Loader loader(image, system);
  return loader.run();
}
