// hv's log: levelled lines with TSC timestamps on the serial console, and milestone lines
// (docs/milestones.md) printed verbatim so that tests can read them.
#pragma once

#include <rootstock/milestone.hpp>

#include "console/uart16550.hpp"

namespace hv::log {

enum class Level : uint8_t { kError, kWarn, kInfo, kDebug };

/// Sends the log to `uart` from now on (before this, lines are dropped).
void attach(Uart16550* uart);
/// Lines above `level` are dropped (hv.loglevel=).
void set_level(Level level);

void write(Level level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void error(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void warn(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void info(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void debug(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

/// Waits until the console has sent everything (before power-off or reset).
void flush();

/// Prints a milestone line exactly as built, whatever the level.
void milestone(const rootstock::milestone::Writer& line);

}  // namespace hv::log
