#include "lib/format.hpp"

#include <stdint.h>

namespace hv {
namespace {

class Sink {
 public:
  Sink(char* buf, size_t size) : buf_(buf), size_(size) {}
  void put(char c) {
    if (len_ + 1 < size_) {
      buf_[len_++] = c;
    }
  }
  size_t finish() {
    if (size_ > 0) {
      buf_[len_] = '\0';
    }
    return len_;
  }

 private:
  char* buf_;
  size_t size_;
  size_t len_ = 0;
};

// Writes `sign` (if any) and the digits of v, padded to `width`: spaces go before the sign,
// zeros after it, as printf does.
void put_number(Sink& out, uint64_t v, unsigned base, bool upper, unsigned width, char pad,
                char sign) {
  char digits[24];
  unsigned n = 0;
  const char* set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  do {
    digits[n++] = set[v % base];
    v /= base;
  } while (v != 0);
  const unsigned used = n + (sign != '\0' ? 1u : 0u);
  if (pad == ' ') {
    for (unsigned i = used; i < width; ++i) out.put(' ');
  }
  if (sign != '\0') out.put(sign);
  if (pad == '0') {
    for (unsigned i = used; i < width; ++i) out.put('0');
  }
  while (n > 0) {
    out.put(digits[--n]);
  }
}

}  // namespace

size_t vformat(char* buf, size_t size, const char* fmt, va_list args) {
  Sink out(buf, size);
  for (const char* p = fmt; *p != '\0'; ++p) {
    if (*p != '%') {
      out.put(*p);
      continue;
    }
    const char* start = p++;
    char pad = ' ';
    if (*p == '0') {
      pad = '0';
      ++p;
    }
    unsigned width = 0;
    while (*p >= '0' && *p <= '9' && width < 64) {
      width = width * 10 + static_cast<unsigned>(*p++ - '0');
    }
    int longs = 0;
    bool size_t_arg = false;
    while (*p == 'l') {
      ++longs;
      ++p;
    }
    if (*p == 'z') {
      size_t_arg = true;
      ++p;
    }
    const bool wide = longs > 0 || size_t_arg;
    switch (*p) {
      case 's': {
        const char* s = va_arg(args, const char*);
        s = s != nullptr ? s : "(null)";
        unsigned n = 0;
        while (s[n] != '\0') ++n;
        for (unsigned i = n; i < width; ++i) out.put(' ');
        while (*s != '\0') out.put(*s++);
        break;
      }
      case 'c':
        out.put(static_cast<char>(va_arg(args, int)));
        break;
      case 'd':
      case 'i': {
        const int64_t v = wide ? va_arg(args, int64_t) : va_arg(args, int);
        const uint64_t bits = static_cast<uint64_t>(v);
        put_number(out, v < 0 ? ~bits + 1 : bits, 10, false, width, pad, v < 0 ? '-' : '\0');
        break;
      }
      case 'u':
      case 'x':
      case 'X': {
        const uint64_t v = wide ? va_arg(args, uint64_t) : va_arg(args, unsigned);
        put_number(out, v, *p == 'u' ? 10 : 16, *p == 'X', width, pad, '\0');
        break;
      }
      case 'p':
        out.put('0');
        out.put('x');
        put_number(out, reinterpret_cast<uintptr_t>(va_arg(args, void*)), 16, false, 16, '0', '\0');
        break;
      case '%':
        out.put('%');
        break;
      default:
        // Not a conversion we know: copy it literally and read no argument.
        for (const char* q = start; q <= p && *q != '\0'; ++q) out.put(*q);
        if (*p == '\0') return out.finish();
        break;
    }
  }
  return out.finish();
}

size_t format(char* buf, size_t size, const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  const size_t n = vformat(buf, size, fmt, args);
  va_end(args);
  return n;
}

}  // namespace hv
