#include "console/log.hpp"

#include <stdarg.h>

#include "arch/x86/cpu.hpp"
#include "lib/format.hpp"
#include "lib/spinlock.hpp"

namespace hv::log {
namespace {

Uart16550* g_uart = nullptr;
Spinlock g_lock;  // one line at a time: CPUs log concurrently
Level g_level = Level::kInfo;

void put_line(const char* text) {
  if (g_uart == nullptr) {
    return;
  }
  SpinlockGuard guard(g_lock);
  for (const char* p = text; *p != '\0'; ++p) {
    if (*p == '\n') {
      g_uart->put('\r');
    }
    g_uart->put(*p);
  }
  g_uart->put('\r');
  g_uart->put('\n');
}

void vwrite(Level level, const char* fmt, va_list args) {
  if (level > g_level) {
    return;
  }
  static constexpr const char* kTag[] = {"error: ", "warning: ", "", "debug: "};
  // Timestamps are TSC megacycles: the TSC frequency is not known this early, and a raw,
  // monotonic count is what comparisons between lines need.
  char line[320];
  const uint64_t tsc = x86::rdtsc();
  size_t n = format(line, sizeof(line), "[%8lu.%03luM] hv: %s", tsc / 1000000, (tsc / 1000) % 1000,
                    kTag[static_cast<int>(level)]);
  vformat(line + n, sizeof(line) - n, fmt, args);
  put_line(line);
}

}  // namespace

void attach(Uart16550* uart) {
  g_uart = uart;
}
void set_level(Level level) {
  g_level = level;
}

void write(Level level, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vwrite(level, fmt, args);
  va_end(args);
}

#define HV_LOG_AT(name, level)      \
  void name(const char* fmt, ...) { \
    va_list args;                   \
    va_start(args, fmt);            \
    vwrite(level, fmt, args);       \
    va_end(args);                   \
  }
HV_LOG_AT(error, Level::kError)
HV_LOG_AT(warn, Level::kWarn)
HV_LOG_AT(info, Level::kInfo)
HV_LOG_AT(debug, Level::kDebug)
#undef HV_LOG_AT

void milestone(const rootstock::milestone::Writer& line) {
  put_line(line.c_str());
}

void flush() {
  if (g_uart != nullptr) {
    SpinlockGuard guard(g_lock);
    g_uart->flush();
  }
}

}  // namespace hv::log
