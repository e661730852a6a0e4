// printf-style formatting into a fixed buffer for hv's log: no allocation, no libc.
// Supports %s %c %d %i %u %x %X %p %% with an optional '0' flag, a width and the length
// modifiers l, ll, z. Unknown conversions are copied as written, never read as arguments.
#pragma once

#include <stdarg.h>
#include <stddef.h>

namespace hv {

/// Formats into buf (always NUL-terminated when size > 0); returns the length written, which
/// is at most size - 1 (output that does not fit is cut).
size_t vformat(char* buf, size_t size, const char* fmt, va_list args);
size_t format(char* buf, size_t size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

}  // namespace hv
