// bzImage parsing (Linux boot protocol 2.15, boot.rst "The Real-Mode Kernel Header" and
// "Loading The Rest of The Kernel"): the project's real kernel is accepted with the values hv
// and the VMM load it by; synthetic images exercise every refusal, and truncated or mangled
// images never make the parser read outside the buffer (ASan: each image is an exact-size
// heap allocation).
#include <rootstock/linux_boot/bzimage.hpp>
#include <rootstock/linux_boot/zero_page.hpp>

#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

using namespace rootstock;
using namespace rootstock::linux_boot;

namespace {

constexpr size_t kSetupSize = 5 * kSectorSize;  // setup_sects 4
constexpr size_t kKernelSize = 0x1000;

// A minimal, valid 64-bit relocatable bzImage: header as Linux 6.12 writes it, a 4-sector
// setup part and a 4 KiB protected-mode part whose payload fills its second half.
std::vector<uint8_t> synthetic_image() {
  std::vector<uint8_t> img(kSetupSize + kKernelSize, 0);
  for (size_t i = 0; i < kKernelSize; ++i) img[kSetupSize + i] = static_cast<uint8_t>(i * 7);
  SetupHeader h{};
  h.setup_sects = 4;
  h.syssize = kKernelSize / 16;
  h.boot_flag = kBootFlag;
  h.jump = 0x6aeb;  // jmp to 0x202 + 0x6a = 0x26c, the end of a 2.15 header
  h.header = kHeaderMagic;
  h.version = 0x020f;
  h.loadflags = loadflags::kLoadedHigh;
  h.initrd_addr_max = 0x7fffffff;
  h.kernel_alignment = 0x200000;
  h.relocatable_kernel = 1;
  h.min_alignment = 21;
  h.xloadflags = xloadflags::kKernel64 | xloadflags::kCanBeLoadedAbove4G;
  h.cmdline_size = 2047;
  h.payload_offset = 0x800;
  h.payload_length = 0x800;
  h.pref_address = 0x1000000;
  h.init_size = 0x40000;
  std::memcpy(img.data() + kSetupHeaderOffset, &h, sizeof(h));
  return img;
}

SetupHeader header_of(const std::vector<uint8_t>& img) {
  SetupHeader h{};
  std::memcpy(&h, img.data() + kSetupHeaderOffset, sizeof(h));
  return h;
}

// The image with its header changed by `edit`.
template <typename Edit>
std::vector<uint8_t> edited(Edit edit) {
  std::vector<uint8_t> img = synthetic_image();
  SetupHeader h = header_of(img);
  edit(h);
  std::memcpy(img.data() + kSetupHeaderOffset, &h, sizeof(h));
  return img;
}

std::vector<uint8_t> prefix(const std::vector<uint8_t>& img, size_t n) {
  return {img.data(), img.data() + n};
}

Status parse(const std::vector<uint8_t>& img, BzImage& out) {
  // An exact-size copy, so that ASan sees any read past the end.
  std::vector<uint8_t> exact(img.begin(), img.end());
  exact.shrink_to_fit();
  return parse_bzimage(exact.data(), exact.size(), out);
}

Status parse(const std::vector<uint8_t>& img) {
  BzImage out;
  return parse(img, out);
}

std::vector<uint8_t> read_file(const char* path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return {};
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("a synthetic 64-bit bzImage is parsed into its load parameters", "[linux-boot]") {
  const std::vector<uint8_t> img = synthetic_image();
  BzImage k;
  REQUIRE(parse(img, k) == Status::kOk);
  CHECK(k.header_size == 0x26c - 0x1f1);
  CHECK(k.kernel_offset == kSetupSize);
  CHECK(k.kernel_size == kKernelSize);
  CHECK(k.version == 0x020f);
  CHECK(k.kernel_alignment == 0x200000);
  CHECK(k.pref_address == 0x1000000);
  CHECK(k.init_size == 0x40000);
  CHECK(k.relocatable);
  CHECK(k.entry64);
  CHECK(k.cmdline_size == 2047);
  CHECK(k.initrd_addr_max == 0x7fffffff);
  CHECK(k.xloadflags == (xloadflags::kKernel64 | xloadflags::kCanBeLoadedAbove4G));
  CHECK(k.can_load_above_4g());
  CHECK(k.footprint() == 0x40000);
  CHECK(BzImage::entry_point(0x1000000) == 0x1000200);
  CHECK(std::memcmp(&k.header, img.data() + kSetupHeaderOffset, sizeof(SetupHeader)) == 0);
}

TEST_CASE("setup_sects 0 means 4", "[linux-boot]") {
  BzImage k;
  REQUIRE(parse(edited([](SetupHeader& h) { h.setup_sects = 0; }), k) == Status::kOk);
  CHECK(k.kernel_offset == 5 * kSectorSize);
}

TEST_CASE("a larger setup part moves the protected-mode kernel", "[linux-boot]") {
  std::vector<uint8_t> img = synthetic_image();
  img.insert(img.begin() + kSetupSize, 3 * kSectorSize, 0);
  SetupHeader h = header_of(img);
  h.setup_sects = 7;
  std::memcpy(img.data() + kSetupHeaderOffset, &h, sizeof(h));
  BzImage k;
  REQUIRE(parse(img, k) == Status::kOk);
  CHECK(k.kernel_offset == 8 * kSectorSize);
  CHECK(k.kernel_size == kKernelSize);
}

TEST_CASE("every truncation of an image is refused without reading past its end", "[linux-boot]") {
  const std::vector<uint8_t> img = synthetic_image();
  for (size_t size = 0; size < img.size(); ++size) {
    INFO("size " << size);
    const Status s = parse(prefix(img, size));
    if (size < 0x208) {
      CHECK(s == Status::kImageTooSmall);
    } else if (size < 0x26c) {
      CHECK(s == Status::kHeaderTruncated);
    } else if (size < kSetupSize) {
      CHECK(s == Status::kSetupTruncated);
    } else {
      CHECK(s == Status::kKernelTruncated);  // shorter than syssize * 16
    }
  }
  BzImage k;
  CHECK(parse_bzimage(nullptr, 0, k) == Status::kImageTooSmall);
  CHECK(parse_bzimage(nullptr, img.size(), k) == Status::kImageTooSmall);
}

TEST_CASE("an image shorter than its payload is refused", "[linux-boot]") {
  // syssize no longer covers the whole file, so only the payload's end catches the cut.
  std::vector<uint8_t> img = edited([](SetupHeader& h) { h.syssize = 0x40; });
  REQUIRE(parse(img) == Status::kOk);
  img.pop_back();
  CHECK(parse(img) == Status::kPayloadOutsideImage);
}

TEST_CASE("hostile header values are refused, each with its own status", "[linux-boot]") {
  struct Case {
    const char* name;
    void (*edit)(SetupHeader&);
    Status expected;
  };
  const Case cases[] = {
      {"boot_flag", [](SetupHeader& h) { h.boot_flag = 0x55aa; }, Status::kBadBootFlag},
      {"magic", [](SetupHeader& h) { h.header = 0x53726449; }, Status::kBadMagic},
      {"protocol 2.11", [](SetupHeader& h) { h.version = 0x020b; }, Status::kProtocolTooOld},
      {"protocol 1.x", [](SetupHeader& h) { h.version = 0x0100; }, Status::kProtocolTooOld},
      {"zImage", [](SetupHeader& h) { h.loadflags = 0; }, Status::kNotBzImage},
      {"header ends at 0x267", [](SetupHeader& h) { h.jump = 0x65eb; }, Status::kHeaderTooShort},
      {"header ends at 0x202", [](SetupHeader& h) { h.jump = 0x00eb; }, Status::kHeaderTooShort},
      {"header ends at 0x291", [](SetupHeader& h) { h.jump = 0x8feb; }, Status::kHeaderTooLong},
      {"header ends at 0x301", [](SetupHeader& h) { h.jump = 0xffeb; }, Status::kHeaderTooLong},
      {"setup_sects 65", [](SetupHeader& h) { h.setup_sects = 65; }, Status::kBadSetupSects},
      {"setup_sects 255", [](SetupHeader& h) { h.setup_sects = 255; }, Status::kBadSetupSects},
      // The synthetic image is 13 sectors long.
      {"setup past the end", [](SetupHeader& h) { h.setup_sects = 13; }, Status::kSetupTruncated},
      {"no protected-mode kernel", [](SetupHeader& h) { h.setup_sects = 12; },
       Status::kKernelTruncated},
      {"kernel ends at its 64-bit entry",
       [](SetupHeader& h) {
         h.setup_sects = 11;
         h.syssize = 0;
         h.payload_offset = 0;
         h.payload_length = 0x100;
       },
       Status::kKernelTruncated},
      {"syssize past the end", [](SetupHeader& h) { h.syssize = kKernelSize / 16 + 1; },
       Status::kKernelTruncated},
      {"syssize absurd", [](SetupHeader& h) { h.syssize = 0xffffffff; }, Status::kKernelTruncated},
      {"no payload", [](SetupHeader& h) { h.payload_length = 0; }, Status::kNoPayload},
      {"payload past the end", [](SetupHeader& h) { h.payload_offset = 0x801; },
       Status::kPayloadOutsideImage},
      {"payload offset outside",
       [](SetupHeader& h) {
         h.payload_offset = 0xfffffff0;
         h.payload_length = 0x20;
       },
       Status::kPayloadOutsideImage},
      {"payload wraps 32 bits",
       [](SetupHeader& h) {
         h.payload_offset = 0xffffffff;
         h.payload_length = 0xffffffff;
       },
       Status::kPayloadOutsideImage},
      {"no 64-bit entry", [](SetupHeader& h) { h.xloadflags = xloadflags::kCanBeLoadedAbove4G; },
       Status::kNo64BitEntry},
      {"not relocatable", [](SetupHeader& h) { h.relocatable_kernel = 0; },
       Status::kNotRelocatable},
      {"alignment 3 MiB", [](SetupHeader& h) { h.kernel_alignment = 0x300000; },
       Status::kBadKernelAlignment},
      {"alignment 0", [](SetupHeader& h) { h.kernel_alignment = 0; }, Status::kBadKernelAlignment},
      {"alignment 512", [](SetupHeader& h) { h.kernel_alignment = 0x200; },
       Status::kBadKernelAlignment},
      {"alignment 2 GiB", [](SetupHeader& h) { h.kernel_alignment = 0x80000000; },
       Status::kBadKernelAlignment},
      {"init_size 0", [](SetupHeader& h) { h.init_size = 0; }, Status::kNoInitSize},
      {"init_size below the file's kernel", [](SetupHeader& h) { h.init_size = kKernelSize - 1; },
       Status::kInitSizeTooSmall},
      {"cmdline_size 0", [](SetupHeader& h) { h.cmdline_size = 0; }, Status::kNoCmdlineSize},
      {"pref_address absurd", [](SetupHeader& h) { h.pref_address = 0xfffffffffff00000; },
       Status::kBadPrefAddress},
      {"pref_address at the top", [](SetupHeader& h) { h.pref_address = kMaxPhysicalAddress; },
       Status::kBadPrefAddress},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    BzImage k;
    CHECK(parse(edited(c.edit), k) == c.expected);
  }
}

TEST_CASE("a header longer than protocol 2.15's keeps its extra bytes", "[linux-boot]") {
  std::vector<uint8_t> img = edited([](SetupHeader& h) { h.jump = 0x6eeb; });  // ends at 0x270
  for (size_t i = 0; i < 8; ++i) img[0x26c + i] = static_cast<uint8_t>(0xa0 + i);
  BzImage k;
  REQUIRE(parse(img, k) == Status::kOk);
  CHECK(k.header_size == 0x270 - 0x1f1);
  CHECK(k.header_tail[0] == 0xa0);
  CHECK(k.header_tail[3] == 0xa3);
  CHECK(k.header_tail[4] == 0);  // past the declared end: not copied
}

TEST_CASE("a 2.12 header (no kernel_info_offset) is accepted and its end respected",
          "[linux-boot]") {
  std::vector<uint8_t> img = edited([](SetupHeader& h) {
    h.jump = 0x66eb;  // ends at 0x268
    h.version = 0x020c;
  });
  img[0x268] = 0x5a;  // setup code, not header
  BzImage k;
  REQUIRE(parse(img, k) == Status::kOk);
  CHECK(k.header_size == 0x268 - 0x1f1);
  CHECK(k.header.kernel_info_offset == 0);
}

TEST_CASE("mangled header bytes never make the parser read outside the image", "[linux-boot]") {
  const std::vector<uint8_t> good = synthetic_image();
  for (size_t at = kSetupHeaderOffset; at < kSetupHeaderAreaEnd; ++at) {
    for (const uint8_t v : {uint8_t{0x00}, uint8_t{0x7f}, uint8_t{0xff}}) {
      std::vector<uint8_t> img = good;
      img[at] = v;
      BzImage k;
      const Status s = parse(img, k);
      if (s == Status::kOk) {
        // Whatever was accepted still describes a kernel inside the image.
        CHECK(k.kernel_offset + k.kernel_size == img.size());
        CHECK(k.kernel_size > kEntry64Offset);
      }
    }
  }
}

TEST_CASE("describe() has a distinct sentence for every status", "[linux-boot]") {
  std::set<std::string> seen;
  const auto last = static_cast<int>(Status::kNoUsableMemory);
  for (int i = 0; i <= last; ++i) {
    const char* text = describe(static_cast<Status>(i));
    REQUIRE(text != nullptr);
    CHECK(std::string(text) != "unknown Linux boot status");
    CHECK(seen.insert(text).second);
  }
  CHECK(std::string(describe(static_cast<Status>(last + 1))) == "unknown Linux boot status");
}

TEST_CASE("the project's bzImage is a 64-bit relocatable kernel hv can load", "[linux-boot]") {
  const std::vector<uint8_t> img = read_file(ROOTSTOCK_TEST_BZIMAGE);
  if (img.empty()) SKIP("no kernel at " ROOTSTOCK_TEST_BZIMAGE " (build it first)");
  BzImage k;
  const Status s = parse(img, k);
  INFO(describe(s));
  REQUIRE(s == Status::kOk);
  CHECK(k.version >= 0x020f);
  CHECK(k.entry64);
  CHECK(k.relocatable);
  CHECK(k.can_load_above_4g());
  CHECK(k.kernel_alignment >= 0x200000);
  CHECK(k.pref_address % k.kernel_alignment == 0);
  CHECK(k.init_size >= k.kernel_size);
  CHECK(k.cmdline_size >= 2047);
  CHECK(k.header_size >= 0x26c - 0x1f1);
  CHECK(k.kernel_offset + k.kernel_size == img.size());
  // The payload (compressed vmlinux) starts with a known compression magic (boot.rst,
  // payload_offset): gzip, bzip2, LZMA, XZ, LZ4 or ZSTD.
  const uint8_t* payload = img.data() + k.kernel_offset + k.header.payload_offset;
  const bool known_magic =
      (payload[0] == 0x1f && (payload[1] == 0x8b || payload[1] == 0x9e)) ||
      (payload[0] == 0x42 && payload[1] == 0x5a) || (payload[0] == 0x5d && payload[1] == 0x00) ||
      (payload[0] == 0xfd && payload[1] == 0x37) || (payload[0] == 0x02 && payload[1] == 0x21) ||
      (payload[0] == 0x28 && payload[1] == 0xb5);
  CHECK(known_magic);

  // On a QEMU-like 2 GiB machine the kernel goes to its preferred address.
  const MemoryRange ram[] = {{0, 0x9fc00, MemoryType::kUsable},
                             {0x100000, 0x7fee0000, MemoryType::kUsable}};
  uint64_t at = 0;
  REQUIRE(choose_load_address(k, ram, 2, 0x100000, at) == Status::kOk);
  CHECK(at == k.pref_address);
}

TEST_CASE("truncations and mangled headers of the project's bzImage are refused safely",
          "[linux-boot]") {
  const std::vector<uint8_t> img = read_file(ROOTSTOCK_TEST_BZIMAGE);
  if (img.empty()) SKIP("no kernel at " ROOTSTOCK_TEST_BZIMAGE " (build it first)");
  for (size_t size = 0; size < 0x1000; size += 7) {
    CHECK(parse(prefix(img, size)) != Status::kOk);
  }
  // syssize has 16-byte granularity: a cut of 16 bytes or more is always caught.
  for (const size_t cut : {img.size() / 2, img.size() - 16}) {
    INFO("cut at " << cut);
    CHECK(parse(prefix(img, cut)) != Status::kOk);
  }
  for (size_t at = kSetupHeaderOffset; at < kSetupHeaderAreaEnd; ++at) {
    std::vector<uint8_t> copy = img;
    copy[at] ^= 0xff;
    BzImage k;
    if (parse(copy, k) == Status::kOk) CHECK(k.kernel_offset + k.kernel_size == copy.size());
  }
}
