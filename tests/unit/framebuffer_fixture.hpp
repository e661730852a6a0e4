// The framebuffer tests hand around: what OVMF's GOP gives under QEMU with a VGA device
// (1280x800, 32 bits per pixel, blue-green-red), at a chosen address.
#pragma once

#include <rootstock/boot/boot_info.hpp>

#include <cstdint>

namespace rootstock::testing {

inline boot::Framebuffer gop_framebuffer(uint64_t address = 0x80000000) {
  boot::Framebuffer f;
  f.present = true;
  f.address = address;
  f.pitch = 1280 * 4;
  f.width = 1280;
  f.height = 800;
  f.bpp = 32;
  f.red_position = 16;
  f.red_size = 8;
  f.green_position = 8;
  f.green_size = 8;
  f.blue_position = 0;
  f.blue_size = 8;
  return f;
}

}  // namespace rootstock::testing
