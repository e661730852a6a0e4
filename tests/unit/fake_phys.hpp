// A fake physical memory for host tests of code that reads through rootstock::boot::PhysReader
// (boot-information and ACPI parsers): byte blobs placed at chosen physical addresses. A read
// fails unless every byte it asks for is covered, and every read is logged so that a test can
// assert where a parser looked.
#pragma once

#include <rootstock/boot/phys_reader.hpp>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace rootstock::testing {

class FakePhys final : public boot::PhysReader {
 public:
  struct Read {
    uint64_t paddr;
    size_t len;
    bool ok;
  };

  /// Places `bytes` at `paddr`. Blobs must not overlap or wrap (a test bug: throws).
  void add(uint64_t paddr, std::vector<uint8_t> bytes) {
    if (!bytes.empty() && bytes.size() - 1 > UINT64_MAX - paddr) {
      throw std::logic_error("FakePhys blob wraps past 2^64");
    }
    for (const Blob& b : blobs_) {
      const bool disjoint = bytes.empty() || b.bytes.empty() || paddr > last(b) ||
                            paddr + (bytes.size() - 1) < b.paddr;
      if (!disjoint) throw std::logic_error("FakePhys blobs overlap");
    }
    blobs_.push_back({paddr, std::move(bytes)});
  }
  void add(uint64_t paddr, const void* data, size_t len) {
    const auto* p = static_cast<const uint8_t*>(data);
    add(paddr, std::vector<uint8_t>(p, p + len));
  }
  /// Places a NUL-terminated copy of `s` at `paddr`.
  void add_string(uint64_t paddr, const std::string& s) { add(paddr, s.c_str(), s.size() + 1); }
  /// Places the bytes of a plain structure at `paddr`.
  template <typename T>
  void add_struct(uint64_t paddr, const T& value) {
    add(paddr, &value, sizeof(T));
  }

  bool read(uint64_t paddr, void* out, size_t len) const override {
    auto* dst = static_cast<uint8_t*>(out);
    bool ok = len == 0 || len - 1 <= UINT64_MAX - paddr;
    for (size_t done = 0; ok && done < len;) {
      const uint64_t at = paddr + done;
      const Blob* b = find(at);
      if (b == nullptr) {
        ok = false;
        break;
      }
      const uint64_t offset = at - b->paddr;
      size_t n = b->bytes.size() - static_cast<size_t>(offset);
      if (n > len - done) n = len - done;
      std::memcpy(dst + done, b->bytes.data() + offset, n);
      done += n;
    }
    log_.push_back({paddr, len, ok});
    return ok;
  }

  /// Every read so far, in order.
  [[nodiscard]] const std::vector<Read>& reads() const { return log_; }
  /// True when every read so far (successful or not) lay inside [base, base + size).
  [[nodiscard]] bool all_reads_within(uint64_t base, uint64_t size) const {
    for (const Read& r : log_) {
      if (r.paddr < base || r.paddr - base > size || r.len > size - (r.paddr - base)) {
        return false;
      }
    }
    return true;
  }
  void clear_log() { log_.clear(); }

 private:
  struct Blob {
    uint64_t paddr;
    std::vector<uint8_t> bytes;
  };
  static uint64_t last(const Blob& b) { return b.paddr + (b.bytes.size() - 1); }
  const Blob* find(uint64_t at) const {
    for (const Blob& b : blobs_) {
      if (!b.bytes.empty() && at >= b.paddr && at <= last(b)) return &b;
    }
    return nullptr;
  }

  std::vector<Blob> blobs_;
  mutable std::vector<Read> log_;
};

}  // namespace rootstock::testing
