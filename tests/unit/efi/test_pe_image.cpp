// PE sections (efi/pe_image.hpp): found by exact name in the file and in the loaded layout,
// refused when any header offset or size points outside the bytes; and the built rootstock.efi
// is an x86-64 EFI application carrying hv, a bzImage, an initramfs and a command line.
#include "pe_image.hpp"

#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "byte_image.hpp"
#include "elf_image.hpp"

using namespace rootstock;
using namespace rootstock::efi;
using rootstock::testing::ByteImage;

namespace {

constexpr size_t kPeOffset = 0x80;
constexpr size_t kOptionalSize = 240;  // PE32+ with 16 data directories
constexpr size_t kTable = kPeOffset + 4 + sizeof(pe::FileHeader) + kOptionalSize;

struct Sec {
  std::string name;
  uint32_t rva;
  uint32_t file_offset;
  std::vector<uint8_t> data;
  uint32_t virtual_size = 0;  // 0: the data's size
};

// A PE32+ image in `layout`: headers, then each section's data at its file offset or RVA.
ByteImage pe_of(const std::vector<Sec>& secs, pe::Layout layout) {
  ByteImage img;
  img.put<uint16_t>(0, pe::kDosMagic);
  img.put<uint32_t>(pe::kDosLfanewOffset, kPeOffset);
  img.put<uint32_t>(kPeOffset, pe::kPeSignature);
  pe::FileHeader fh{};
  fh.machine = pe::kMachineAmd64;
  fh.number_of_sections = static_cast<uint16_t>(secs.size());
  fh.size_of_optional_header = kOptionalSize;
  img.put(kPeOffset + 4, fh);
  pe::OptionalHeaderStart oh{};
  oh.magic = pe::kPe32PlusMagic;
  oh.subsystem = pe::kSubsystemEfiApplication;
  oh.size_of_image = 0x10000;
  img.put(kPeOffset + 4 + sizeof(fh), oh);
  for (size_t i = 0; i < secs.size(); ++i) {
    pe::SectionHeader sh{};
    std::memcpy(sh.name, secs[i].name.data(), std::min<size_t>(8, secs[i].name.size()));
    sh.virtual_size = secs[i].virtual_size != 0 ? secs[i].virtual_size
                                                : static_cast<uint32_t>(secs[i].data.size());
    sh.virtual_address = secs[i].rva;
    sh.size_of_raw_data = static_cast<uint32_t>((secs[i].data.size() + 511) / 512 * 512);
    sh.pointer_to_raw_data = secs[i].file_offset;
    img.put(kTable + i * sizeof(sh), sh);
    const size_t at = layout == pe::Layout::kFile ? secs[i].file_offset : secs[i].rva;
    img.put_bytes(at, secs[i].data.data(), secs[i].data.size());
    if (layout == pe::Layout::kFile) img.resize(std::max(img.size(), at + sh.size_of_raw_data));
  }
  return img;
}

std::vector<uint8_t> text(const std::string& s) {
  return {s.begin(), s.end()};
}

const std::vector<Sec> kSections = {
    {".text", 0x1000, 0x400, text("code")},
    {".cmdline", 0x2000, 0x600, text("console=ttyS0")},
    {".hv", 0x3000, 0x800, text("hv image")},
    {".kernel", 0x4000, 0xa00, std::vector<uint8_t>(700, 0x4b)},
};

std::string found(const ByteImage& img, pe::Layout layout, const std::string& name,
                  pe::Status& status) {
  const uint8_t* data = nullptr;
  size_t size = 0;
  status =
      pe::find_section(img.data(), img.size(), layout, Text(name.data(), name.size()), data, size);
  if (status != pe::Status::kOk) return {};
  REQUIRE(data >= img.data());
  REQUIRE(data + size <= img.data() + img.size());
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace

TEST_CASE("sections are found by exact name in the file and in the loaded image") {
  for (pe::Layout layout : {pe::Layout::kFile, pe::Layout::kLoaded}) {
    const ByteImage img = pe_of(kSections, layout);
    pe::Status s;
    CHECK(found(img, layout, ".cmdline", s) == "console=ttyS0");
    CHECK(s == pe::Status::kOk);
    CHECK(found(img, layout, ".hv", s) == "hv image");
    CHECK(found(img, layout, ".kernel", s) == std::string(700, 'K'));
    // Prefixes and extensions of a name are other names.
    CHECK(found(img, layout, ".h", s).empty());
    CHECK(s == pe::Status::kSectionNotFound);
    CHECK(found(img, layout, ".hvx", s).empty());
    CHECK(s == pe::Status::kSectionNotFound);
    CHECK(found(img, layout, ".cmdlines", s).empty());
    CHECK(s == pe::Status::kSectionNotFound);

    pe::ImageInfo info;
    REQUIRE(pe::read_headers(img.data(), img.size(), info) == pe::Status::kOk);
    CHECK(info.subsystem == pe::kSubsystemEfiApplication);
    CHECK(info.section_count == 4);
  }
}

TEST_CASE("headers that point outside the bytes or are not PE32+ x86-64 are refused") {
  const ByteImage good = pe_of(kSections, pe::Layout::kLoaded);
  pe::Status s;
  SECTION("no MZ") {
    ByteImage img = good;
    img.put<uint16_t>(0, 0x4d5a);
    found(img, pe::Layout::kLoaded, ".hv", s);
    CHECK(s == pe::Status::kNoDosHeader);
  }
  SECTION("e_lfanew past the end, or into the DOS header") {
    for (uint32_t lfanew : {0u, 0x3cu, 0xfff0u, 0xffffffffu}) {
      ByteImage img = good;
      img.put<uint32_t>(pe::kDosLfanewOffset, lfanew);
      found(img, pe::Layout::kLoaded, ".hv", s);
      CHECK((s == pe::Status::kBadPeOffset || s == pe::Status::kNoPeSignature));
    }
  }
  SECTION("no PE signature") {
    ByteImage img = good;
    img.put<uint32_t>(kPeOffset, 0x00004551);
    found(img, pe::Layout::kLoaded, ".hv", s);
    CHECK(s == pe::Status::kNoPeSignature);
  }
  SECTION("another machine") {
    ByteImage img = good;
    img.put<uint16_t>(kPeOffset + 4, 0x14c);  // i386
    found(img, pe::Layout::kLoaded, ".hv", s);
    CHECK(s == pe::Status::kNotAmd64);
  }
  SECTION("PE32, or an optional header too short for PE32+") {
    ByteImage img = good;
    img.put<uint16_t>(kPeOffset + 4 + sizeof(pe::FileHeader), 0x10b);
    found(img, pe::Layout::kLoaded, ".hv", s);
    CHECK(s == pe::Status::kNotPe32Plus);
    img = good;
    img.put<uint16_t>(kPeOffset + 4 + offsetof(pe::FileHeader, size_of_optional_header), 16);
    found(img, pe::Layout::kLoaded, ".hv", s);
    CHECK(s == pe::Status::kNotPe32Plus);
  }
  SECTION("a section table past the end, or absurdly many sections") {
    ByteImage img = good;
    img.put<uint16_t>(kPeOffset + 4 + offsetof(pe::FileHeader, number_of_sections), 90);
    img.resize(kTable + 40 * 89);
    found(img, pe::Layout::kLoaded, ".hv", s);
    CHECK(s == pe::Status::kSectionTableOutside);
    img.put<uint16_t>(kPeOffset + 4 + offsetof(pe::FileHeader, number_of_sections), 1000);
    found(img, pe::Layout::kLoaded, ".hv", s);
    CHECK(s == pe::Status::kTooManySections);
  }
  SECTION("a section's data past the end") {
    std::vector<Sec> secs = kSections;
    secs[2].virtual_size = 0xf000;  // .hv at 0x3000 would run to 0x12000
    const ByteImage img = pe_of(secs, pe::Layout::kLoaded);
    found(img, pe::Layout::kLoaded, ".hv", s);
    CHECK(s == pe::Status::kSectionOutside);
    CHECK(found(img, pe::Layout::kLoaded, ".cmdline", s) == "console=ttyS0");
  }
  SECTION("in the file, more bytes than the section's raw data") {
    std::vector<Sec> secs = kSections;
    secs[1].virtual_size = 513;  // .cmdline's raw data is 512 bytes
    const ByteImage img = pe_of(secs, pe::Layout::kFile);
    found(img, pe::Layout::kFile, ".cmdline", s);
    CHECK(s == pe::Status::kSectionOutside);
  }
}

TEST_CASE("every truncation of an image is refused or found inside what is left") {
  for (pe::Layout layout : {pe::Layout::kFile, pe::Layout::kLoaded}) {
    const ByteImage img = pe_of(kSections, layout);
    for (size_t n = 0; n <= img.size(); ++n) {
      // An exact-size copy, so that ASan sees any read past the end.
      const std::vector<uint8_t> cut(img.data(), img.data() + n);
      const uint8_t* data = nullptr;
      size_t size = 0;
      const pe::Status s = pe::find_section(cut.data(), cut.size(), layout, ".kernel", data, size);
      if (s == pe::Status::kOk) {
        CHECK(data + size <= cut.data() + cut.size());
      }
    }
  }
}

TEST_CASE("the built rootstock.efi is an x86-64 EFI application carrying the appliance") {
  const std::vector<uint8_t> file = rootstock::testing::read_file(ROOTSTOCK_TEST_EFI);
  if (file.empty()) SKIP("no " ROOTSTOCK_TEST_EFI " (build the efi part first)");
  pe::ImageInfo info;
  REQUIRE(pe::read_headers(file.data(), file.size(), info) == pe::Status::kOk);
  CHECK(info.subsystem == pe::kSubsystemEfiApplication);

  auto section = [&](const char* name) {
    const uint8_t* data = nullptr;
    size_t size = 0;
    REQUIRE(pe::find_section(file.data(), file.size(), pe::Layout::kFile, name, data, size) ==
            pe::Status::kOk);
    return std::vector<uint8_t>(data, data + size);
  };
  const std::vector<uint8_t> hv = section(".hv");
  elf::LoadPlan plan;
  uint64_t detail = 0;
  REQUIRE(elf::plan_load(hv.data(), hv.size(), plan, detail) == elf::Status::kOk);
  CHECK(plan.low == 0x100000);
  CHECK(plan.entry_from_header);
  const std::vector<uint8_t> kernel = section(".kernel");
  REQUIRE(kernel.size() > 0x206);
  CHECK(std::memcmp(kernel.data() + 0x202, "HdrS", 4) == 0);
  // newc cpio: every member starts with "070701".
  const std::vector<uint8_t> initrd = section(".initrd");
  REQUIRE(initrd.size() > 6);
  CHECK(std::memcmp(initrd.data(), "070701", 6) == 0);
  const std::vector<uint8_t> cmdline = section(".cmdline");
  CHECK(std::string(cmdline.begin(), cmdline.end()).find("console=ttyS0") != std::string::npos);
}
