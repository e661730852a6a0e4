#include "pe_image.hpp"

#include "load_at.hpp"

namespace rootstock::efi::pe {
namespace {

// Where the section table is, once the headers check out.
struct Headers {
  ImageInfo info;
  size_t section_table = 0;
};

Status locate(const uint8_t* image, size_t size, Headers& out) {
  if (size < kDosLfanewOffset + sizeof(uint32_t) || load_at<uint16_t>(image, 0) != kDosMagic) {
    return Status::kNoDosHeader;
  }
  const uint32_t pe = load_at<uint32_t>(image, kDosLfanewOffset);
  const uint64_t headers_end =
      uint64_t{pe} + sizeof(uint32_t) + sizeof(FileHeader) + sizeof(OptionalHeaderStart);
  if (pe < kDosLfanewOffset + sizeof(uint32_t) || headers_end > size) return Status::kBadPeOffset;
  if (load_at<uint32_t>(image, pe) != kPeSignature) return Status::kNoPeSignature;
  const auto file = load_at<FileHeader>(image, pe + sizeof(uint32_t));
  if (file.machine != kMachineAmd64) return Status::kNotAmd64;
  const size_t optional = pe + sizeof(uint32_t) + sizeof(FileHeader);
  const auto opt = load_at<OptionalHeaderStart>(image, optional);
  if (opt.magic != kPe32PlusMagic || file.size_of_optional_header < sizeof(opt)) {
    return Status::kNotPe32Plus;
  }
  if (file.number_of_sections > kMaxSections) return Status::kTooManySections;
  const uint64_t table = uint64_t{optional} + file.size_of_optional_header;
  if (table + uint64_t{file.number_of_sections} * sizeof(SectionHeader) > size) {
    return Status::kSectionTableOutside;
  }
  out.info = {opt.subsystem, opt.size_of_image, file.number_of_sections};
  out.section_table = static_cast<size_t>(table);
  return Status::kOk;
}

bool name_is(const SectionHeader& s, Text name) {
  if (name.size > sizeof(s.name)) return false;
  for (size_t i = 0; i < sizeof(s.name); ++i) {
    const char want = i < name.size ? name[i] : '\0';
    if (s.name[i] != want) return false;
  }
  return true;
}

}  // namespace

const char* describe(Status status) {
  switch (status) {
    case Status::kOk:
      return "ok";
    case Status::kNoDosHeader:
      return "no MS-DOS header (\"MZ\")";
    case Status::kBadPeOffset:
      return "the PE header offset points outside the image";
    case Status::kNoPeSignature:
      return "no PE signature";
    case Status::kNotAmd64:
      return "not an x86-64 (AMD64) image";
    case Status::kNotPe32Plus:
      return "not a PE32+ image";
    case Status::kSectionTableOutside:
      return "the section table lies outside the image";
    case Status::kTooManySections:
      return "more sections than the loader looks through";
    case Status::kSectionNotFound:
      return "no section of that name";
    case Status::kSectionOutside:
      return "the section's data lies outside the image";
  }
  return "unknown PE status";
}

Status read_headers(const uint8_t* image, size_t size, ImageInfo& out) {
  Headers h;
  const Status s = locate(image, size, h);
  if (s == Status::kOk) out = h.info;
  return s;
}

Status find_section(const uint8_t* image, size_t size, Layout layout, Text name,
                    const uint8_t*& data, size_t& data_size) {
  data = nullptr;
  data_size = 0;
  Headers h;
  if (const Status s = locate(image, size, h); s != Status::kOk) return s;
  for (uint16_t i = 0; i < h.info.section_count; ++i) {
    const auto sec = load_at<SectionHeader>(image, h.section_table + i * sizeof(SectionHeader));
    if (!name_is(sec, name)) continue;
    const uint64_t start =
        layout == Layout::kFile ? sec.pointer_to_raw_data : uint64_t{sec.virtual_address};
    // In the file, bytes past SizeOfRawData are not there (the loader zero-fills them).
    if (layout == Layout::kFile && sec.virtual_size > sec.size_of_raw_data) {
      return Status::kSectionOutside;
    }
    if (start > size || sec.virtual_size > size - start) return Status::kSectionOutside;
    data = image + start;
    data_size = sec.virtual_size;
    return Status::kOk;
  }
  return Status::kSectionNotFound;
}

}  // namespace rootstock::efi::pe
