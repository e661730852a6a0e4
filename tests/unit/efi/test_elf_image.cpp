// hv's ELF image as the loader plans it (efi/elf_image.hpp): PT_LOAD segments to their
// physical addresses below 4 GiB, entered where the Multiboot2 header's entry address tag says;
// every malformed header, segment or Multiboot2 tag is refused before anything is written; and
// the built hv.elf plans as rootstock.efi loads it.
#include "elf_image.hpp"

#include <rootstock/boot/multiboot2.hpp>

#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <vector>

#include "byte_image.hpp"

using namespace rootstock::efi;
using rootstock::testing::ByteImage;
namespace mb2 = rootstock::boot::mb2;

namespace {

constexpr uint64_t kText = 0x100000;
constexpr size_t kTextOffset = 0x1000;
constexpr size_t kDataOffset = 0x3000;

// An image like hv.elf: text (with the Multiboot2 header first) at 1 MiB, data + bss after.
struct ElfBuilder {
  ByteImage img{0x4000};
  std::vector<elf::ProgramHeader> phdrs = {
      {elf::kPtLoad, 5, kTextOffset, kText, kText, 0x2000, 0x2000, 0x1000},
      {elf::kPtLoad, 6, kDataOffset, kText + 0x2000, kText + 0x2000, 0x1000, 0x5000, 0x1000},
  };
  uint64_t e_entry = kText + 0x40;
  // The Multiboot2 header's tags after its fixed part: an entry address tag, the end tag.
  std::vector<uint8_t> tags = entry_tag(kText + 0x30);
  size_t header_offset = kTextOffset;
  uint32_t architecture = mb2::kArchitectureI386;
  bool bad_checksum = false;

  static std::vector<uint8_t> entry_tag(uint32_t entry) {
    ByteImage t;
    t.put(0, mb2::EntryAddressTag{3, 0, 12, entry});
    t.resize(16);
    t.put(16, mb2::HeaderTag{0, 0, 8});
    return t.bytes();
  }

  ByteImage build() const {
    ByteImage out = img;
    for (size_t i = 0; i < 0x2000; ++i) out.data()[kTextOffset + i] = static_cast<uint8_t>(i);
    for (size_t i = 0; i < 0x1000; ++i) out.data()[kDataOffset + i] = 0xda;
    elf::FileHeader eh{};
    std::memcpy(eh.ident,
                "\x7f"
                "ELF",
                4);
    eh.ident[4] = elf::kClass64;
    eh.ident[5] = elf::kDataLsb;
    eh.ident[6] = 1;
    eh.type = elf::kTypeExec;
    eh.machine = elf::kMachineX86_64;
    eh.version = 1;
    eh.entry = e_entry;
    eh.phoff = sizeof(eh);
    eh.ehsize = sizeof(eh);
    eh.phentsize = sizeof(elf::ProgramHeader);
    eh.phnum = static_cast<uint16_t>(phdrs.size());
    out.put(0, eh);
    for (size_t i = 0; i < phdrs.size(); ++i) out.put(sizeof(eh) + i * sizeof(phdrs[0]), phdrs[i]);
    const auto length = static_cast<uint32_t>(sizeof(mb2::Header) + tags.size());
    mb2::Header h{mb2::kHeaderMagic, architecture, length, 0};
    h.checksum = -(h.magic + h.architecture + h.header_length) + (bad_checksum ? 1 : 0);
    out.put(header_offset, h);
    out.put_bytes(header_offset + sizeof(h), tags.data(), tags.size());
    return out;
  }
};

elf::Status plan(const ByteImage& img, elf::LoadPlan& p, uint64_t& detail) {
  // An exact-size copy, so that ASan sees any read past the end.
  const std::vector<uint8_t> bytes(img.data(), img.data() + img.size());
  return elf::plan_load(bytes.data(), bytes.size(), p, detail);
}

elf::Status plan(const ElfBuilder& b, uint64_t* detail_out = nullptr) {
  elf::LoadPlan p;
  uint64_t detail = 0;
  const elf::Status s = plan(b.build(), p, detail);
  if (detail_out != nullptr) *detail_out = detail;
  return s;
}

}  // namespace

TEST_CASE("an hv-like image plans to its physical addresses and its Multiboot2 entry") {
  const ElfBuilder b;
  const ByteImage img = b.build();
  elf::LoadPlan p;
  uint64_t detail = 0;
  REQUIRE(plan(img, p, detail) == elf::Status::kOk);
  CHECK(p.segment_count == 2);
  CHECK(p.low == kText);
  CHECK(p.high == kText + 0x7000);
  CHECK(p.entry == kText + 0x30);
  CHECK(p.entry_from_header);

  // Loading writes each segment's file bytes and zeros everything else in the span.
  std::vector<uint8_t> dest(p.high - p.low, 0xcc);
  elf::load_segments(p, img.data(), dest.data());
  CHECK(std::memcmp(dest.data(), img.data() + kTextOffset, 0x2000) == 0);
  CHECK(dest[0x2000] == 0xda);
  CHECK(dest[0x2fff] == 0xda);
  for (size_t i = 0x3000; i < dest.size(); ++i) REQUIRE(dest[i] == 0);
}

TEST_CASE("without an entry address tag the ELF entry is used") {
  ElfBuilder b;
  b.tags = {0, 0, 0, 0, 8, 0, 0, 0};  // the end tag only
  elf::LoadPlan p;
  uint64_t detail = 0;
  REQUIRE(plan(b.build(), p, detail) == elf::Status::kOk);
  CHECK(p.entry == kText + 0x40);
  CHECK_FALSE(p.entry_from_header);
}

TEST_CASE("segments are sorted, empty ones and other program headers are ignored") {
  ElfBuilder b;
  std::swap(b.phdrs[0], b.phdrs[1]);
  b.phdrs.push_back({4 /* PT_NOTE */, 4, 0x1100, 0x2000000, 0x2000000, 0x10, 0x10, 4});
  b.phdrs.push_back({elf::kPtLoad, 6, 0, 0x9000000, 0x9000000, 0, 0, 0x1000});
  elf::LoadPlan p;
  uint64_t detail = 0;
  REQUIRE(plan(b.build(), p, detail) == elf::Status::kOk);
  CHECK(p.segment_count == 2);
  CHECK(p.segments[0].paddr == kText);
  CHECK(p.high == kText + 0x7000);
}

TEST_CASE("malformed ELF images are refused with the reason and the value at fault") {
  uint64_t detail = 0;
  SECTION("not ELF; not 64-bit little endian; not an x86-64 executable") {
    ByteImage img = ElfBuilder().build();
    img.data()[1] = 'X';
    elf::LoadPlan p;
    CHECK(plan(img, p, detail) == elf::Status::kNotElf);
    img = ElfBuilder().build();
    img.data()[4] = 1;  // ELFCLASS32
    CHECK(plan(img, p, detail) == elf::Status::kNotElf64LittleEndian);
    img = ElfBuilder().build();
    img.data()[5] = 2;  // big endian
    CHECK(plan(img, p, detail) == elf::Status::kNotElf64LittleEndian);
    img = ElfBuilder().build();
    img.put<uint16_t>(offsetof(elf::FileHeader, type), 3);  // ET_DYN
    CHECK(plan(img, p, detail) == elf::Status::kNotX86_64Executable);
    img = ElfBuilder().build();
    img.put<uint16_t>(offsetof(elf::FileHeader, machine), 3);  // EM_386
    CHECK(plan(img, p, detail) == elf::Status::kNotX86_64Executable);
    CHECK(plan(ByteImage(63), p, detail) == elf::Status::kNotElf);
  }
  SECTION("program headers outside the file or of the wrong size") {
    ByteImage img = ElfBuilder().build();
    elf::LoadPlan p;
    img.put<uint64_t>(offsetof(elf::FileHeader, phoff), 0x3ff0);
    CHECK(plan(img, p, detail) == elf::Status::kProgramHeadersOutside);
    img = ElfBuilder().build();
    img.put<uint64_t>(offsetof(elf::FileHeader, phoff), ~uint64_t{0});
    CHECK(plan(img, p, detail) == elf::Status::kProgramHeadersOutside);
    img = ElfBuilder().build();
    img.put<uint16_t>(offsetof(elf::FileHeader, phentsize), 32);
    CHECK(plan(img, p, detail) == elf::Status::kProgramHeadersOutside);
    img = ElfBuilder().build();
    img.put<uint16_t>(offsetof(elf::FileHeader, phnum), 65);
    CHECK(plan(img, p, detail) == elf::Status::kProgramHeadersOutside);
  }
  SECTION("a segment's bytes outside the file") {
    ElfBuilder b;
    b.phdrs[1].filesz = 0x1001;
    CHECK(plan(b, &detail) == elf::Status::kSegmentOutsideFile);
    CHECK(detail == kText + 0x2000);
    b = ElfBuilder();
    b.phdrs[1].offset = ~uint64_t{0};
    CHECK(plan(b) == elf::Status::kSegmentOutsideFile);
  }
  SECTION("more file bytes than memory") {
    ElfBuilder b;
    b.phdrs[0].memsz = 0x1000;
    CHECK(plan(b) == elf::Status::kSegmentFileSizeExceedsMemory);
  }
  SECTION("at or past 4 GiB, or wrapping") {
    for (uint64_t paddr : {uint64_t{1} << 32, uint64_t{0xfffff000}, ~uint64_t{0} - 0x10}) {
      ElfBuilder b;
      b.phdrs[1].paddr = paddr;
      CHECK(plan(b, &detail) == elf::Status::kSegmentAbove4GiB);
      CHECK(detail == paddr);
    }
  }
  SECTION("overlapping segments") {
    ElfBuilder b;
    b.phdrs[1].paddr = kText + 0x1fff;
    CHECK(plan(b) == elf::Status::kSegmentsOverlap);
    std::swap(b.phdrs[0], b.phdrs[1]);
    CHECK(plan(b) == elf::Status::kSegmentsOverlap);
  }
  SECTION("too many segments, or none") {
    ElfBuilder b;
    for (uint64_t i = 0; i < elf::kMaxSegments; ++i) {
      b.phdrs.push_back(
          {elf::kPtLoad, 6, 0, 0x1000000 + i * 0x1000, 0x1000000 + i * 0x1000, 0, 0x1000, 0x1000});
    }
    CHECK(plan(b) == elf::Status::kTooManySegments);
    b = ElfBuilder();
    b.phdrs.clear();
    CHECK(plan(b) == elf::Status::kNoSegments);
  }
  SECTION("a span larger than hv could be") {
    ElfBuilder b;
    b.phdrs[1].paddr = kText + elf::kMaxSpan;
    CHECK(plan(b) == elf::Status::kSpanTooLarge);
  }
}

TEST_CASE("the Multiboot2 header is found only where the spec puts it, and checked") {
  uint64_t detail = 0;
  SECTION("past the first 32 KiB") {
    ElfBuilder b;
    b.img.resize(0x9000);
    b.phdrs[1].filesz = 0x6000;
    b.phdrs[1].memsz = 0x6000;
    b.header_offset = 0x8000;
    CHECK(plan(b) == elf::Status::kNoMultiboot2Header);
  }
  SECTION("not 8-byte aligned, or its checksum wrong: not a header") {
    ElfBuilder b;
    b.header_offset = kTextOffset + 4;
    CHECK(plan(b) == elf::Status::kNoMultiboot2Header);
    b = ElfBuilder();
    b.bad_checksum = true;
    CHECK(plan(b) == elf::Status::kNoMultiboot2Header);
  }
  SECTION("not for i386 protected mode") {
    ElfBuilder b;
    b.architecture = 4;  // MIPS
    CHECK(plan(b, &detail) == elf::Status::kMultiboot2NotI386);
    CHECK(detail == 4);
  }
  SECTION("a required tag the loader does not support") {
    ElfBuilder b;
    ByteImage t;
    t.put(0, mb2::HeaderTag{5, 0, 20});  // framebuffer request, required
    t.resize(24);
    t.put(24, mb2::HeaderTag{0, 0, 8});
    b.tags = t.bytes();
    CHECK(plan(b, &detail) == elf::Status::kMultiboot2RequiredTag);
    CHECK(detail == 5);
    // The same tag marked optional is skipped.
    t.put(0, mb2::HeaderTag{5, mb2::kHeaderTagOptional, 20});
    b.tags = t.bytes();
    CHECK(plan(b) == elf::Status::kOk);
  }
  SECTION("an information request: met when it asks for what the loader writes") {
    ElfBuilder b;
    ByteImage t;
    t.put(0, mb2::HeaderTag{1, 0, 8 + 4 * 3});
    t.put<uint32_t>(8, 1);    // command line
    t.put<uint32_t>(12, 6);   // memory map
    t.put<uint32_t>(16, 15);  // new ACPI
    t.resize(24);
    t.put(24, mb2::HeaderTag{0, 0, 8});
    b.tags = t.bytes();
    CHECK(plan(b) == elf::Status::kOk);
    t.put<uint32_t>(12, 9);  // ELF sections: not written
    b.tags = t.bytes();
    CHECK(plan(b, &detail) == elf::Status::kMultiboot2RequiredTag);
    CHECK(detail == 9);
  }
  SECTION("malformed tags and lengths") {
    ElfBuilder b;
    b.tags = {3, 0, 0, 0, 4, 0, 0, 0};  // size 4 < a tag header
    CHECK(plan(b) == elf::Status::kMultiboot2HeaderInvalid);
    b.tags = {3, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0};  // entry tag too short
    CHECK(plan(b) == elf::Status::kMultiboot2HeaderInvalid);
    b.tags = {0, 0, 0, 0, 16, 0, 0, 0};  // end tag of size 16
    CHECK(plan(b) == elf::Status::kMultiboot2HeaderInvalid);
    b.tags = {};  // no end tag
    CHECK(plan(b) == elf::Status::kMultiboot2HeaderInvalid);
  }
  SECTION("an entry outside the executable segments' bytes") {
    for (uint32_t entry : {uint32_t{kText - 1}, uint32_t{kText + 0x2000}, 0u}) {
      ElfBuilder b;
      b.tags = ElfBuilder::entry_tag(entry);
      CHECK(plan(b, &detail) == elf::Status::kEntryOutsideCode);
      CHECK(detail == entry);
    }
  }
}

TEST_CASE("every truncation of an image is refused, never read past") {
  const ByteImage img = ElfBuilder().build();
  for (size_t n = 1; n < img.size(); n += 7) {
    ByteImage copy(n);
    std::memcpy(copy.data(), img.data(), n);
    elf::LoadPlan p;
    uint64_t detail = 0;
    CHECK(plan(copy, p, detail) != elf::Status::kOk);
  }
}

TEST_CASE("the built hv.elf plans at 1 MiB with its Multiboot2 entry") {
  const std::vector<uint8_t> file = rootstock::testing::read_file(ROOTSTOCK_TEST_HV_ELF);
  if (file.empty()) SKIP("no " ROOTSTOCK_TEST_HV_ELF);
  elf::LoadPlan p;
  uint64_t detail = 0;
  REQUIRE(elf::plan_load(file.data(), file.size(), p, detail) == elf::Status::kOk);
  CHECK(p.low == 0x100000);
  CHECK(p.entry_from_header);
  // Below OVMF's first reserved page at 0x806000 (efi-boot test): hv's image is small.
  CHECK(p.high < 0x800000);
}
