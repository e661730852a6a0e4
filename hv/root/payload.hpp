// Where the root partition's kernel, initramfs and command line come from: embedded in the
// image (root/payload.S), unless the boot loader passed modules that override them — a module
// holding a bzImage (the "HdrS" header) replaces the kernel, any other module the initramfs —
// and the framebuffer the boot loader left for the root's console.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <rootstock/boot/boot_info.hpp>
#include <rootstock/text.hpp>

namespace hv::root {

/// A byte range hv can read (in its own image or a boot module).
struct Blob {
  const uint8_t* data = nullptr;
  size_t size = 0;
  bool from_module = false;
};

/// What the root partition boots.
struct Payload {
  Blob kernel;
  Blob initramfs;
  rootstock::Text cmdline;  ///< the embedded default; hv appends the boot loader's extra words
  /// The boot loader's framebuffer, handed on for the root's console (not present: none).
  rootstock::boot::Framebuffer framebuffer;
};

/// Picks the kernel and initramfs (modules first, then the embedded ones).
Payload find_payload(const rootstock::boot::BootInfo& boot);

/// The end of hv's image including the embedded payload (a linker symbol).
uint64_t image_end();

}  // namespace hv::root
