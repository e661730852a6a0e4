// PID 1's console: /dev/console as stdin, stdout and stderr, lines prefixed "rootstock: ",
// and milestone lines (docs/milestones.md) printed whole. On a box with a screen (a framebuffer,
// the boot loader's, which fbcon draws the first virtual terminal on) what PID 1 prints is
// shown there too, when /dev/console is the serial port.
#pragma once

#include <stdint.h>

#include <string>
#include <string_view>

#include <rootstock/milestone.hpp>

namespace rootstock::init {

/// Points fds 0-2 at /dev/console (the kernel opens it for init only if it existed in the
/// initramfs; after devtmpfs is mounted it always does).
void attach_console();

/// Mirrors the console on the first virtual terminal when there is a framebuffer (/dev/fb0)
/// and /dev/console is not a virtual terminal already. Needs /dev and /sys mounted.
void attach_screen();

/// Writes `text` to the console (and the screen): one write each, so lines do not interleave.
void write_console(std::string_view text);

/// Prints "rootstock: MESSAGE".
void say(const std::string& message);

/// Prints a milestone line.
void announce(const milestone::Writer& line);

}  // namespace rootstock::init
