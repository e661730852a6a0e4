// PID 1's console: /dev/console as stdin, stdout and stderr, lines prefixed "rootstock: ",
// and milestone lines (docs/milestones.md) printed whole.
#pragma once

#include <stdint.h>

#include <string>

#include <rootstock/milestone.hpp>

namespace rootstock::init {

/// Points fds 0-2 at /dev/console (the kernel opens it for init only if it existed in the
/// initramfs; after devtmpfs is mounted it always does).
void attach_console();

/// Prints "rootstock: MESSAGE".
void say(const std::string& message);

/// Prints a milestone line.
void announce(const milestone::Writer& line);

}  // namespace rootstock::init
