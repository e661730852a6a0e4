// Test support for the ACPI parser: loading QEMU's real tables (tests/unit/data/acpi, format in
// its README.md) into a FakePhys, patching them with checksums kept valid, and building
// synthetic tables byte by byte.
#pragma once

#include <rootstock/acpi/sdt.hpp>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "fake_phys.hpp"

#ifndef ROOTSTOCK_TEST_DATA
#error "ROOTSTOCK_TEST_DATA must name tests/unit/data"
#endif

namespace rootstock::testing {

using ByteVec = std::vector<uint8_t>;

/// Little-endian byte assembly for synthetic tables and AML.
class Bytes {
 public:
  Bytes& u8(uint64_t v) { return le(v, 1); }
  Bytes& u16(uint64_t v) { return le(v, 2); }
  Bytes& u32(uint64_t v) { return le(v, 4); }
  Bytes& u64(uint64_t v) { return le(v, 8); }
  Bytes& raw(const ByteVec& b) {
    v_.insert(v_.end(), b.begin(), b.end());
    return *this;
  }
  Bytes& str(const char* s) {
    while (*s != '\0') v_.push_back(static_cast<uint8_t>(*s++));
    return *this;
  }
  Bytes& zeros(size_t n) {
    v_.insert(v_.end(), n, 0);
    return *this;
  }
  [[nodiscard]] const ByteVec& vec() const { return v_; }
  operator const ByteVec&() const { return v_; }  // NOLINT(google-explicit-constructor)

 private:
  Bytes& le(uint64_t v, unsigned n) {
    for (unsigned i = 0; i < n; ++i) v_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  ByteVec v_;
};

inline void put_le(ByteVec& b, size_t offset, uint64_t v, unsigned n) {
  if (offset + n > b.size()) throw std::logic_error("put_le past the end");
  for (unsigned i = 0; i < n; ++i) b[offset + i] = static_cast<uint8_t>(v >> (8 * i));
}

inline uint64_t get_le(const ByteVec& b, size_t offset, unsigned n) {
  if (offset + n > b.size()) throw std::logic_error("get_le past the end");
  uint64_t v = 0;
  for (unsigned i = 0; i < n; ++i) v |= uint64_t{b[offset + i]} << (8 * i);
  return v;
}

/// Sets the byte at `checksum_offset` so that bytes [0, len) sum to zero (len 0: all).
inline void fix_checksum(ByteVec& b, size_t checksum_offset, size_t len = 0) {
  if (len == 0) len = b.size();
  b.at(checksum_offset) = 0;
  uint8_t sum = 0;
  for (size_t i = 0; i < len; ++i) sum = static_cast<uint8_t>(sum + b.at(i));
  b[checksum_offset] = static_cast<uint8_t>(0x100 - sum);
}

/// Sets an SDT's length field to its size and fixes its checksum.
inline void seal_sdt(ByteVec& t) {
  put_le(t, 4, t.size(), 4);
  fix_checksum(t, 9);
}

/// A whole SDT: header (`signature`, `revision`, QEMU-like OEM fields) plus `body`, sealed.
inline ByteVec make_sdt(const char* signature, uint8_t revision, const ByteVec& body) {
  ByteVec t = Bytes()
                  .str(signature)
                  .u32(0)
                  .u8(revision)
                  .u8(0)
                  .str("ROOTST")
                  .str("TESTTABL")
                  .u32(1)
                  .str("RSTK")
                  .u32(1);
  t.insert(t.end(), body.begin(), body.end());
  seal_sdt(t);
  return t;
}

/// An RSDP: 20 bytes for revision 0, else 36 with both checksums valid.
inline ByteVec make_rsdp(uint8_t revision, uint32_t rsdt, uint64_t xsdt) {
  ByteVec r = Bytes().str("RSD PTR ").u8(0).str("ROOTST").u8(revision).u32(rsdt);
  if (revision >= 2) r = Bytes().raw(r).u32(36).u64(xsdt).u8(0).zeros(3);
  fix_checksum(r, 8, 20);
  if (revision >= 2) fix_checksum(r, 32);
  return r;
}

/// The RSDT (`entry_size` 4) or XSDT (8) listing `entries`.
inline ByteVec make_root(unsigned entry_size, const std::vector<uint64_t>& entries) {
  Bytes body;
  for (uint64_t e : entries) entry_size == 4 ? body.u32(e) : body.u64(e);
  return make_sdt(entry_size == 4 ? "RSDT" : "XSDT", 1, body);
}

/// The tables of one QEMU machine as captured by data/acpi/capture.py, editable before they
/// are placed in a FakePhys.
struct AcpiFixture {
  uint64_t rsdp = 0;
  std::map<uint64_t, ByteVec> regions;  ///< paddr -> bytes, one region per table

  /// Loads `name` from ROOTSTOCK_TEST_DATA/acpi.
  static AcpiFixture load(const std::string& name) {
    const std::string path = std::string(ROOTSTOCK_TEST_DATA) + "/acpi/" + name;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    const ByteVec f((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (f.size() < 20 || std::memcmp(f.data(), "RSACPI01", 8) != 0) {
      throw std::runtime_error("not an ACPI fixture: " + path);
    }
    AcpiFixture fx;
    fx.rsdp = get_le(f, 8, 8);
    const uint64_t count = get_le(f, 16, 4);
    size_t at = 20;
    for (uint64_t i = 0; i < count; ++i) {
      const uint64_t paddr = get_le(f, at, 8);
      const size_t len = static_cast<size_t>(get_le(f, at + 8, 4));
      at += 12;
      if (at + len > f.size()) throw std::runtime_error("truncated fixture: " + path);
      fx.regions[paddr] = ByteVec(f.begin() + static_cast<std::ptrdiff_t>(at),
                                  f.begin() + static_cast<std::ptrdiff_t>(at + len));
      at += len;
    }
    return fx;
  }

  /// Address of the one table with `signature` ("APIC", "FACP", "DSDT", "RSDT", ...).
  [[nodiscard]] uint64_t address_of(const char* signature) const {
    for (const auto& [paddr, bytes] : regions) {
      if (paddr != rsdp && bytes.size() >= 4 && std::memcmp(bytes.data(), signature, 4) == 0) {
        return paddr;
      }
    }
    throw std::logic_error(std::string("fixture has no ") + signature);
  }
  ByteVec& table(const char* signature) { return regions.at(address_of(signature)); }
  ByteVec& rsdp_bytes() { return regions.at(rsdp); }

  /// Points the (revision 0) RSDP at a new RSDT placed at `paddr` listing `entries`.
  void replace_rsdt(uint64_t paddr, const std::vector<uint64_t>& entries) {
    regions.erase(address_of("RSDT"));
    regions[paddr] = make_root(4, entries);
    put_le(rsdp_bytes(), 16, paddr, 4);
    fix_checksum(rsdp_bytes(), 8, 20);
  }
  /// The RSDT's entries as captured.
  [[nodiscard]] std::vector<uint64_t> rsdt_entries() const {
    const ByteVec& r = regions.at(address_of("RSDT"));
    std::vector<uint64_t> e;
    for (size_t off = 36; off + 4 <= r.size(); off += 4) e.push_back(get_le(r, off, 4));
    return e;
  }

  /// Places every region; with `bios_area`, the RSDP sits inside a zero-filled
  /// 0xE0000-0xFFFFF instead of alone, as the scan fallback sees it.
  void install(FakePhys& phys, bool bios_area = false) const {
    for (const auto& [paddr, bytes] : regions) {
      if (bios_area && paddr == rsdp) continue;
      phys.add(paddr, bytes);
    }
    if (bios_area) {
      ByteVec area(0x20000, 0);
      const ByteVec& r = regions.at(rsdp);
      std::memcpy(area.data() + (rsdp - 0xe0000), r.data(), r.size());
      phys.add(0xe0000, area);
    }
  }

  /// True when every successful read of `phys` lay inside a single region (a read spanning
  /// two adjacent tables would mean the parser left a table through its end).
  [[nodiscard]] bool reads_stay_in_regions(const FakePhys& phys, bool bios_area = false) const {
    for (const FakePhys::Read& r : phys.reads()) {
      if (!r.ok) continue;
      if (bios_area && r.paddr >= 0xe0000 && r.paddr + r.len <= 0x100000) continue;
      bool inside = false;
      for (const auto& [paddr, bytes] : regions) {
        inside = inside || (r.paddr >= paddr && r.paddr + r.len <= paddr + bytes.size());
      }
      if (!inside) return false;
    }
    return true;
  }
};

}  // namespace rootstock::testing
