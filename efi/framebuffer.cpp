#include "framebuffer.hpp"

namespace rootstock::efi {
namespace {

// A colour mask as position and width; false when its bits are not one contiguous run.
bool field(uint32_t mask, uint8_t& position, uint8_t& size) {
  if (mask == 0) return false;
  uint8_t p = 0;
  while ((mask & 1) == 0) {
    mask >>= 1;
    ++p;
  }
  uint8_t n = 0;
  while ((mask & 1) != 0) {
    mask >>= 1;
    ++n;
  }
  if (mask != 0) return false;
  position = p;
  size = n;
  return true;
}

uint8_t highest_bit_plus_one(uint32_t v) {
  uint8_t n = 0;
  while (v != 0) {
    v >>= 1;
    ++n;
  }
  return n;
}

}  // namespace

bool framebuffer_from_gop(const GraphicsModeInformation& info, PhysicalAddress base, uint64_t size,
                          boot::Framebuffer& out) {
  boot::Framebuffer f;
  switch (info.pixel_format) {
    case PixelFormat::kRedGreenBlueReserved8BitPerColor:
      f.bpp = 32;
      f.red_position = 0;
      f.green_position = 8;
      f.blue_position = 16;
      f.red_size = f.green_size = f.blue_size = 8;
      break;
    case PixelFormat::kBlueGreenRedReserved8BitPerColor:
      f.bpp = 32;
      f.blue_position = 0;
      f.green_position = 8;
      f.red_position = 16;
      f.red_size = f.green_size = f.blue_size = 8;
      break;
    case PixelFormat::kBitMask: {
      const PixelBitmask& m = info.pixel_information;
      if (!field(m.red_mask, f.red_position, f.red_size) ||
          !field(m.green_mask, f.green_position, f.green_size) ||
          !field(m.blue_mask, f.blue_position, f.blue_size)) {
        return false;
      }
      if ((m.red_mask & m.green_mask) != 0 || (m.red_mask & m.blue_mask) != 0 ||
          (m.green_mask & m.blue_mask) != 0) {
        return false;
      }
      // Bits per pixel as Linux's efifb counts them: up to the highest bit of any mask.
      const uint8_t bits =
          highest_bit_plus_one(m.red_mask | m.green_mask | m.blue_mask | m.reserved_mask);
      f.bpp = static_cast<uint8_t>((bits + 7) / 8 * 8);
      break;
    }
    default:
      return false;  // kBltOnly, or a format the specification does not define
  }
  if (info.horizontal_resolution == 0 || info.vertical_resolution == 0 ||
      info.pixels_per_scan_line < info.horizontal_resolution || base == 0) {
    return false;
  }
  const uint64_t pitch = uint64_t{info.pixels_per_scan_line} * (f.bpp / 8);
  if (pitch > UINT32_MAX) return false;
  const uint64_t bytes = pitch * info.vertical_resolution;
  if (bytes > size || base > UINT64_MAX - size) return false;
  f.address = base;
  f.pitch = static_cast<uint32_t>(pitch);
  f.width = info.horizontal_resolution;
  f.height = info.vertical_resolution;
  f.present = boot::framebuffer_valid(f);
  if (f.present) out = f;
  return f.present;
}

}  // namespace rootstock::efi
