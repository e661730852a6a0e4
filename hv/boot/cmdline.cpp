#include "boot/cmdline.hpp"

namespace hv {

namespace {

using rootstock::Text;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// The argument starting at `pos` (after white space): up to white space outside quotes, or
// the end of the line when a quote is left open.
Text next_argument(Text line, size_t& pos) {
  while (pos < line.size && is_space(line[pos])) ++pos;
  const size_t start = pos;
  bool quoted = false;
  while (pos < line.size && (quoted || !is_space(line[pos]))) {
    if (line[pos] == '"') quoted = !quoted;
    ++pos;
  }
  return line.sub(start, pos - start);
}

void add_problem(HvOptions& out, Text argument, const char* reason) {
  if (out.problem_count >= kMaxOptionProblems) {
    ++out.problems_dropped;
    return;
  }
  OptionProblem& p = out.problems[out.problem_count++];
  size_t n = argument.size <= kMaxProblemText ? argument.size : kMaxProblemText - 3;
  for (size_t i = 0; i < n; ++i) p.option[i] = argument[i];
  if (n < argument.size) {
    for (size_t i = 0; i < 3; ++i) p.option[n++] = '.';
  }
  p.option[n] = '\0';
  p.reason = reason;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "0x" and 1-4 hex digits naming a port in 1..max.
bool parse_hex_port(Text v, uint32_t max, uint16_t& port) {
  if (v.size < 3 || v.size > 6 || !v.starts_with("0x")) return false;
  uint32_t value = 0;
  for (size_t i = 2; i < v.size; ++i) {
    const int d = hex_digit(v[i]);
    if (d < 0) return false;
    value = value * 16 + static_cast<uint32_t>(d);
  }
  if (value == 0 || value > max) return false;
  port = static_cast<uint16_t>(value);
  return true;
}

// "com1".."com4" (the PC's standard UART bases), "none", or "0x" and 1-4 hex digits naming a
// base whose 8 registers fit in the I/O space.
const char* parse_console(Text v, HvOptions& out) {
  static constexpr uint16_t kComPorts[] = {0x3f8, 0x2f8, 0x3e8, 0x2e8};
  static constexpr uint32_t kMaxBase = 0x10000 - 8;
  if (v == "none") {
    out.console_enabled = false;
    return nullptr;
  }
  if (v.size == 4 && v.starts_with("com") && v[3] >= '1' && v[3] <= '4') {
    out.console_enabled = true;
    out.console_port = kComPorts[v[3] - '1'];
    return nullptr;
  }
  uint16_t port = 0;
  if (!parse_hex_port(v, kMaxBase, port))
    return "is not com1..com4, none or a hex I/O port 0x1..0xfff8";
  out.console_enabled = true;
  out.console_port = port;
  return nullptr;
}

// "0x" and the I/O port of QEMU's isa-debug-exit device (usually 0xf4).
const char* parse_debug_exit(Text v, HvOptions& out) {
  uint16_t port = 0;
  if (!parse_hex_port(v, 0xffff, port)) return "is not a hex I/O port 0x1..0xffff";
  out.debug_exit_port = port;
  return nullptr;
}

// Decimal digits with an optional K, M or G suffix (either case), as Linux's memparse.
const char* parse_reserve(Text v, HvOptions& out) {
  const char* bad = "is not a size (digits with an optional K, M or G suffix)";
  size_t digits = 0;
  uint64_t value = 0;
  while (digits < v.size && v[digits] >= '0' && v[digits] <= '9') {
    const auto d = static_cast<uint64_t>(v[digits] - '0');
    if (value > (UINT64_MAX - d) / 10) return "is too large";
    value = value * 10 + d;
    ++digits;
  }
  if (digits == 0 || v.size - digits > 1) return bad;
  unsigned shift = 0;
  if (digits < v.size) {
    switch (v[digits]) {
      case 'K':
      case 'k':
        shift = 10;
        break;
      case 'M':
      case 'm':
        shift = 20;
        break;
      case 'G':
      case 'g':
        shift = 30;
        break;
      default:
        return bad;
    }
  }
  if (value > (UINT64_MAX >> shift)) return "is too large";
  value <<= shift;
  if (value % kReserveAlignment != 0) return "is not a multiple of 2M";
  if (value < kMinReserve) return "is below 16M";
  if (value > kMaxReserve) return "is above 4G";
  out.reserve_bytes = value;
  return nullptr;
}

const char* parse_loglevel(Text v, HvOptions& out) {
  if (v == "error") {
    out.log_level = log::Level::kError;
  } else if (v == "warn") {
    out.log_level = log::Level::kWarn;
  } else if (v == "info") {
    out.log_level = log::Level::kInfo;
  } else if (v == "debug") {
    out.log_level = log::Level::kDebug;
  } else {
    return "is not one of error, warn, info, debug";
  }
  return nullptr;
}

const char* parse_pause_exits(Text v, HvOptions& out) {
  if (v == "auto") {
    out.pause_exits = PauseExitMode::kAuto;
  } else if (v == "all") {
    out.pause_exits = PauseExitMode::kAll;
  } else if (v == "none") {
    out.pause_exits = PauseExitMode::kNone;
  } else {
    return "is not one of auto, all, none";
  }
  return nullptr;
}

// A comma-separated list of hv's named self-tests: guest, exception.
const char* parse_selftests(Text v, HvOptions& out) {
  bool guest = false, exception = false;
  size_t pos = 0;
  while (pos <= v.size) {
    size_t end = pos;
    while (end < v.size && v[end] != ',') ++end;
    const Text name = v.sub(pos, end - pos);
    if (name == "guest") {
      guest = true;
    } else if (name == "exception") {
      exception = true;
    } else {
      return "names a self-test hv does not have (guest, exception)";
    }
    pos = end + 1;
  }
  out.selftest = guest;
  out.selftest_exception = exception;
  return nullptr;
}

// Applies one hv.* argument; returns the reason it was refused, or nullptr.
const char* apply_option(Text argument, HvOptions& out) {
  const size_t eq = argument.find("=");
  const bool has_value = eq < argument.size;
  const Text name = argument.sub(0, eq);
  Text value = has_value ? argument.sub(eq + 1, argument.size) : Text{};
  if (value.size >= 2 && value[0] == '"' && value[value.size - 1] == '"') {
    value = value.sub(1, value.size - 2);
  }

  if (name == "hv.selftest") {
    if (!has_value) {
      out.selftest = true;  // bare: the guest test
      return nullptr;
    }
    return parse_selftests(value, out);
  }
  using Parser = const char* (*)(Text, HvOptions&);
  Parser parse = nullptr;
  if (name == "hv.console") {
    parse = parse_console;
  } else if (name == "hv.reserve") {
    parse = parse_reserve;
  } else if (name == "hv.loglevel") {
    parse = parse_loglevel;
  } else if (name == "hv.debug_exit") {
    parse = parse_debug_exit;
  } else if (name == "hv.pause_exits") {
    parse = parse_pause_exits;
  } else {
    return "unknown hv option";
  }
  if (value.empty()) return "needs a value";
  return parse(value, out);
}

// Appends an argument for the root; false when it does not fit.
bool keep(HvOptions& out, Text argument) {
  const size_t sep = out.root_cmdline_length == 0 ? 0 : 1;
  if (argument.size > kMaxRootCmdline - out.root_cmdline_length ||
      sep > kMaxRootCmdline - out.root_cmdline_length - argument.size) {
    return false;
  }
  if (sep != 0) out.root_cmdline_storage[out.root_cmdline_length++] = ' ';
  for (size_t i = 0; i < argument.size; ++i) {
    out.root_cmdline_storage[out.root_cmdline_length++] = argument[i];
  }
  out.root_cmdline_storage[out.root_cmdline_length] = '\0';
  return true;
}

}  // namespace

void parse_cmdline(Text cmdline, HvOptions& out) {
  // Copied from a constant rather than a temporary: hv's boot stack is small.
  static constexpr HvOptions kDefaults{};
  out = kDefaults;
  bool root_only = false;  // after "--"
  bool root_full = false;
  size_t pos = 0;
  for (;;) {
    const Text argument = next_argument(cmdline, pos);
    if (argument.empty()) break;
    if (!root_only && argument.starts_with("hv.")) {
      if (const char* reason = apply_option(argument, out); reason != nullptr) {
        add_problem(out, argument, reason);
      }
      continue;
    }
    if (argument == "--") root_only = true;
    if (!root_full && !keep(out, argument)) {
      root_full = true;
      add_problem(out, argument, "does not fit the root command line: it and the rest dropped");
    }
  }
}

}  // namespace hv
