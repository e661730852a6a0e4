#include "multiboot2_info.hpp"

#include <rootstock/acpi/rsdp.hpp>
#include <rootstock/boot/boot_info.hpp>
#include <rootstock/boot/multiboot2.hpp>

namespace rootstock::efi {
namespace {

namespace mb2 = rootstock::boot::mb2;

constexpr uint64_t k4GiB = uint64_t{1} << 32;

// Appends to the buffer; every tag starts 8-byte aligned (3.6.1). Once a write would pass the
// end, nothing more is written and full() says so.
class Writer {
 public:
  Writer(uint8_t* buffer, size_t capacity) : buffer_(buffer), capacity_(capacity) {}

  void bytes(const void* data, size_t n) {
    if (full_ || n > capacity_ - offset_) {
      full_ = true;
      return;
    }
    const auto* src = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < n; ++i) buffer_[offset_ + i] = src[i];
    offset_ += n;
  }
  template <typename T>
  void value(const T& v) {
    bytes(&v, sizeof(v));
  }
  void text_with_nul(Text t) {
    bytes(t.data, t.size);
    const char nul = '\0';
    bytes(&nul, 1);
  }
  // Starts a tag; end_tag() writes its size once its content is known.
  size_t begin_tag(mb2::TagType type) {
    align();
    const size_t start = offset_;
    value(mb2::Tag{static_cast<uint32_t>(type), 0});
    return start;
  }
  void end_tag(size_t start) {
    if (full_) return;
    const auto size = static_cast<uint32_t>(offset_ - start);
    auto* field = buffer_ + start + offsetof(mb2::Tag, size);
    for (size_t i = 0; i < sizeof(size); ++i) field[i] = static_cast<uint8_t>(size >> (8 * i));
  }
  void align() {
    while (!full_ && offset_ % mb2::kAlignment != 0) value(uint8_t{0});
  }
  [[nodiscard]] bool full() const { return full_; }
  [[nodiscard]] size_t offset() const { return offset_; }
  [[nodiscard]] uint8_t* at(size_t offset) const { return buffer_ + offset; }

 private:
  uint8_t* buffer_;
  size_t capacity_;
  size_t offset_ = 0;
  bool full_ = false;
};

void string_tag(Writer& w, mb2::TagType type, Text t) {
  const size_t start = w.begin_tag(type);
  w.text_with_nul(t);
  w.end_tag(start);
}

void module_tag(Writer& w, const Module& m) {
  const size_t start = w.begin_tag(mb2::TagType::kModule);
  w.value(static_cast<uint32_t>(m.base));
  w.value(static_cast<uint32_t>(m.base + m.size));
  w.text_with_nul(m.name);
  w.end_tag(start);
}

void mmap_tag(Writer& w, const MemoryRange* memory, size_t n) {
  const size_t start = w.begin_tag(mb2::TagType::kMmap);
  w.value(uint32_t{sizeof(mb2::MmapEntry)});  // entry_size
  w.value(uint32_t{0});                       // entry_version
  for (size_t i = 0; i < n; ++i) {
    w.value(
        mb2::MmapEntry{memory[i].base, memory[i].length, static_cast<uint32_t>(memory[i].type), 0});
  }
  w.end_tag(start);
}

void framebuffer_tag(Writer& w, const boot::Framebuffer& f) {
  const size_t start = w.begin_tag(mb2::TagType::kFramebuffer);
  mb2::FramebufferTag t{};
  t.framebuffer_addr = f.address;
  t.framebuffer_pitch = f.pitch;
  t.framebuffer_width = f.width;
  t.framebuffer_height = f.height;
  t.framebuffer_bpp = f.bpp;
  t.framebuffer_type = static_cast<uint8_t>(mb2::FramebufferType::kDirectRgb);
  t.red_field_position = f.red_position;
  t.red_mask_size = f.red_size;
  t.green_field_position = f.green_position;
  t.green_mask_size = f.green_size;
  t.blue_field_position = f.blue_position;
  t.blue_mask_size = f.blue_size;
  // The tag header is already written: the fields after it, without C++'s trailing padding.
  const auto* fields = reinterpret_cast<const uint8_t*>(&t) + sizeof(mb2::Tag);
  w.bytes(fields, mb2::kFramebufferRgbTagSize - sizeof(mb2::Tag));
  w.end_tag(start);
}

}  // namespace

const char* describe(InfoStatus status) {
  switch (status) {
    case InfoStatus::kOk:
      return "ok";
    case InfoStatus::kBufferMisaligned:
      return "the boot information buffer is not 8-byte aligned";
    case InfoStatus::kBufferTooSmall:
      return "the boot information does not fit its buffer";
    case InfoStatus::kModuleAbove4GiB:
      return "a module does not lie below 4 GiB";
    case InfoStatus::kRsdpSizeInvalid:
      return "the RSDP copy is neither 20 bytes (ACPI 1.0) nor 36 to 4096 (ACPI 2.0+)";
    case InfoStatus::kTooManyMemoryRanges:
      return "the memory map has more ranges than hv accepts";
  }
  return "unknown boot information status";
}

InfoStatus build_multiboot2_info(const InfoInputs& in, void* buffer, size_t capacity,
                                 size_t& size) {
  size = 0;
  if (reinterpret_cast<uintptr_t>(buffer) % mb2::kAlignment != 0) {
    return InfoStatus::kBufferMisaligned;
  }
  if (in.memory_count > rootstock::boot::kMaxMemoryRanges) {
    return InfoStatus::kTooManyMemoryRanges;
  }
  for (size_t i = 0; i < in.module_count; ++i) {
    const Module& m = in.modules[i];
    if (m.base >= k4GiB || m.size > k4GiB - m.base) return InfoStatus::kModuleAbove4GiB;
  }
  const bool acpi_old = in.rsdp_size == mb2::kRsdpV1Size;
  if (in.rsdp != nullptr && !acpi_old &&
      (in.rsdp_size < mb2::kRsdpV2Size || in.rsdp_size > rootstock::acpi::kRsdpMaxLength)) {
    return InfoStatus::kRsdpSizeInvalid;
  }

  Writer w(static_cast<uint8_t*>(buffer), capacity);
  w.value(mb2::InfoHeader{0, 0});  // total_size written at the end
  string_tag(w, mb2::TagType::kCmdline, in.cmdline);
  string_tag(w, mb2::TagType::kBootLoaderName, in.loader_name);
  for (size_t i = 0; i < in.module_count; ++i) module_tag(w, in.modules[i]);
  mmap_tag(w, in.memory, in.memory_count);
  if (in.rsdp != nullptr) {
    const size_t start = w.begin_tag(acpi_old ? mb2::TagType::kAcpiOld : mb2::TagType::kAcpiNew);
    w.bytes(in.rsdp, in.rsdp_size);
    w.end_tag(start);
  }
  if (in.framebuffer != nullptr && in.framebuffer->present) framebuffer_tag(w, *in.framebuffer);
  const size_t end = w.begin_tag(mb2::TagType::kEnd);
  w.end_tag(end);
  if (w.full()) return InfoStatus::kBufferTooSmall;

  const auto total = static_cast<uint32_t>(w.offset());
  uint8_t* header = w.at(0);
  for (size_t i = 0; i < sizeof(total); ++i) header[i] = static_cast<uint8_t>(total >> (8 * i));
  size = total;
  return InfoStatus::kOk;
}

}  // namespace rootstock::efi
