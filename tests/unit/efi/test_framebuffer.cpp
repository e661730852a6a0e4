// GOP's current mode as a Multiboot2 direct-RGB framebuffer (efi/framebuffer.hpp): the three
// pixel formats that have a framebuffer, and none for BltOnly or sizes that do not add up.
#include "framebuffer.hpp"

#include <catch2/catch_test_macros.hpp>

using namespace rootstock;
using namespace rootstock::efi;

namespace {

GraphicsModeInformation mode(PixelFormat format, uint32_t width = 1280, uint32_t height = 800,
                             uint32_t stride = 1280) {
  GraphicsModeInformation m{};
  m.horizontal_resolution = width;
  m.vertical_resolution = height;
  m.pixel_format = format;
  m.pixels_per_scan_line = stride;
  return m;
}

constexpr uint64_t kBase = 0x80000000;
constexpr uint64_t kSize = 1280 * 800 * 4;

}  // namespace

TEST_CASE("32-bit RGB and BGR modes give their colour positions") {
  boot::Framebuffer f;
  REQUIRE(
      framebuffer_from_gop(mode(PixelFormat::kBlueGreenRedReserved8BitPerColor), kBase, kSize, f));
  CHECK(f.address == kBase);
  CHECK(f.present);
  CHECK(f.width == 1280);
  CHECK(f.height == 800);
  CHECK(f.pitch == 5120);
  CHECK(f.bpp == 32);
  CHECK(f.blue_position == 0);
  CHECK(f.green_position == 8);
  CHECK(f.red_position == 16);
  CHECK(f.red_size == 8);

  REQUIRE(
      framebuffer_from_gop(mode(PixelFormat::kRedGreenBlueReserved8BitPerColor), kBase, kSize, f));
  CHECK(f.red_position == 0);
  CHECK(f.blue_position == 16);
}

TEST_CASE("a bit-mask mode gives its fields and bits per pixel, a wider stride its pitch") {
  GraphicsModeInformation m = mode(PixelFormat::kBitMask, 1024, 768, 1056);
  m.pixel_information = {0xf800, 0x07e0, 0x001f, 0};  // RGB 5:6:5
  boot::Framebuffer f;
  REQUIRE(framebuffer_from_gop(m, kBase, 1056 * 768 * 2, f));
  CHECK(f.bpp == 16);
  CHECK(f.pitch == 2112);
  CHECK(f.red_position == 11);
  CHECK(f.red_size == 5);
  CHECK(f.green_position == 5);
  CHECK(f.green_size == 6);
  CHECK(f.blue_position == 0);
  CHECK(f.blue_size == 5);
}

TEST_CASE("modes without a usable linear framebuffer give none") {
  boot::Framebuffer f;
  CHECK_FALSE(framebuffer_from_gop(mode(PixelFormat::kBltOnly), kBase, kSize, f));
  CHECK_FALSE(framebuffer_from_gop(mode(static_cast<PixelFormat>(7)), kBase, kSize, f));
  // Smaller than the mode needs; a stride below the width; no size; no address.
  CHECK_FALSE(framebuffer_from_gop(mode(PixelFormat::kBlueGreenRedReserved8BitPerColor), kBase,
                                   kSize - 1, f));
  CHECK_FALSE(framebuffer_from_gop(
      mode(PixelFormat::kBlueGreenRedReserved8BitPerColor, 1280, 800, 1279), kBase, kSize, f));
  CHECK_FALSE(framebuffer_from_gop(
      mode(PixelFormat::kBlueGreenRedReserved8BitPerColor, 0, 800, 1280), kBase, kSize, f));
  CHECK_FALSE(
      framebuffer_from_gop(mode(PixelFormat::kBlueGreenRedReserved8BitPerColor), 0, kSize, f));
  CHECK_FALSE(framebuffer_from_gop(mode(PixelFormat::kBlueGreenRedReserved8BitPerColor),
                                   ~uint64_t{0} - 16, kSize, f));
  // An absurd stride whose pitch overflows 32 bits.
  CHECK_FALSE(framebuffer_from_gop(
      mode(PixelFormat::kBlueGreenRedReserved8BitPerColor, 1280, 1, 0x40000000), kBase,
      ~uint64_t{0} - kBase, f));
  // Bit masks that are not contiguous, overlap or are missing.
  GraphicsModeInformation m = mode(PixelFormat::kBitMask);
  m.pixel_information = {0xff00ff, 0xff00, 0xff, 0};
  CHECK_FALSE(framebuffer_from_gop(m, kBase, kSize, f));
  m.pixel_information = {0xff0000, 0xffff00, 0xff, 0};
  CHECK_FALSE(framebuffer_from_gop(m, kBase, kSize, f));
  m.pixel_information = {0, 0xff00, 0xff, 0};
  CHECK_FALSE(framebuffer_from_gop(m, kBase, kSize, f));
}
