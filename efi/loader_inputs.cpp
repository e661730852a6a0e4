// What the loader takes from its own image (the parts, UEFI 2.10 9.1 EFI_LOADED_IMAGE_PROTOCOL)
// and from the firmware (load options, the ACPI RSDP from the configuration table, 4.6; the GOP
// framebuffer, 12.9), each checked before it is used.
#include <rootstock/acpi/rsdp.hpp>
#include <rootstock/linux_boot/bzimage.hpp>

#include "boot_device.hpp"
#include "command_line.hpp"
#include "framebuffer.hpp"
#include "loader.hpp"
#include "module_placement.hpp"
#include "pe_image.hpp"

namespace rootstock::efi {
namespace {

// A PhysReader over the firmware's identity map (UEFI 2.10, 2.3.4), for the ACPI parser.
class FirmwareMemory final : public rootstock::boot::PhysReader {
 public:
  bool read(uint64_t paddr, void* out, size_t len) const override {
    if (len != 0 && len - 1 > UINT64_MAX - paddr) return false;
    memcpy(out, reinterpret_cast<const void*>(paddr), len);
    return true;
  }
};

}  // namespace

Status Loader::find_parts() {
  const auto* image = static_cast<const uint8_t*>(loaded_->image_base);
  const uint64_t size = loaded_->image_size;
  struct Wanted {
    Text name;
    Part* part;
  };
  const Wanted wanted[] = {
      {".hv", &hv_}, {".kernel", &kernel_}, {".initrd", &initrd_}, {".cmdline", &cmdline_part_}};
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
  // Checked as hv will check it, so that a kernel hv cannot boot is refused here, with the firmware
  // still there to say so.
  linux_boot::BzImage kernel;
  if (const linux_boot::Status s = linux_boot::parse_bzimage(kernel_.data, kernel_.size, kernel);
      s != linux_boot::Status::kOk) {
    return refuse(
        Message().text("the embedded kernel (.kernel) is refused: ").text(linux_boot::describe(s)));
  }
  kernel_window_ = kernel_window(kernel);
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

void Loader::find_boot_partition() {
  void* path = nullptr;
  char guid[kGuidTextLength + 1];
  if (loaded_->device_handle == nullptr ||
      is_error(boot_->handle_protocol(loaded_->device_handle, &kDevicePathProtocolGuid, &path)) ||
      !gpt_partition_guid(path, kMaxDevicePathBytes, guid)) {
    console_.say("not started from a GPT partition: the root looks for no boot disk");
    return;
  }
  constexpr char kKey[] = "rootstock.esp=";
  memcpy(esp_word_, kKey, sizeof(kKey) - 1);
  memcpy(esp_word_ + sizeof(kKey) - 1, guid, sizeof(guid));
  console_.say(Message().text("started from GPT partition ").text(Text(guid)));
}

Status Loader::read_load_options() {
  size_t length = 0;
  const OptionsStatus s = options_to_ascii(loaded_->load_options, loaded_->load_options_size,
                                           options_text_, sizeof(options_text_), length);
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
  const Text options(options_text_, length);
  const Text embedded = embedded_text(cmdline_part_.data, cmdline_part_.size);
  // The boot partition's word between the two: a user's own rootstock.esp= comes later and wins.
  char with_esp[sizeof(cmdline_)];
  size_t n = 0;
  const Text esp(esp_word_);
  if (!join_words(embedded, esp, with_esp, sizeof(with_esp), n) ||
      !join_words(Text(with_esp, n), options, cmdline_, sizeof(cmdline_), n)) {
    return refuse(Message()
                      .text("the command line (")
                      .dec(embedded.size + 1 + esp.size + 1 + options.size)
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

}  // namespace rootstock::efi
