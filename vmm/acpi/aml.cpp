#include "vmm/acpi/aml.hpp"

namespace rootstock::vmm::acpi::aml {

namespace {

// Opcodes and prefixes (20.2.3, 20.2.5).
constexpr uint8_t kZeroOp = 0x00;
constexpr uint8_t kOneOp = 0x01;
constexpr uint8_t kNameOp = 0x08;
constexpr uint8_t kBytePrefix = 0x0a;
constexpr uint8_t kWordPrefix = 0x0b;
constexpr uint8_t kDWordPrefix = 0x0c;
constexpr uint8_t kQWordPrefix = 0x0e;
constexpr uint8_t kScopeOp = 0x10;
constexpr uint8_t kBufferOp = 0x11;
constexpr uint8_t kRootChar = 0x5c;  // '\\' (20.2.2 RootChar)
constexpr uint8_t kExtOpPrefix = 0x5b;
constexpr uint8_t kDeviceOp = 0x82;  // after ExtOpPrefix

// Resource descriptor tags (6.4.2, 6.4.3).
constexpr uint8_t kIoPortTag = 0x47;        // small item 8, length 7
constexpr uint8_t kEndTag = 0x79;           // small item 0xF, length 1
constexpr uint8_t kDWordAddressTag = 0x87;  // large item 7
constexpr uint8_t kWordAddressTag = 0x88;   // large item 8
constexpr uint16_t kWordAddressLength = 13;
constexpr uint16_t kDWordAddressLength = 23;

// Resource Type (6.4.3.5.1).
constexpr uint8_t kMemoryRange = 0;
constexpr uint8_t kIoRange = 1;
constexpr uint8_t kBusNumberRange = 2;

constexpr uint8_t kIoDecode16 = 0x01;          // 6.4.2.5: _DEC, 16-bit decode
constexpr uint8_t kIoEntireRange = 0x03;       // 6.4.3.5.3 I/O flags: _RNG, ISA and non-ISA
constexpr uint8_t kMemoryReadWrite = 0x01;     // memory flags: _RW, _MEM 0 (non-cacheable)
constexpr size_t kMaxOneBytePkgLength = 0x3f;  // 6 bits
constexpr size_t kMaxPkgLength = (1u << 28) - 1;

void le(Bytes& out, uint64_t value, unsigned bytes) {
  for (unsigned i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

void name_seg(Bytes& out, NameSeg seg) {
  out.insert(out.end(), seg.begin(), seg.end());
}

void append(Bytes& out, std::span<const uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

}  // namespace

Bytes pkg_length(size_t length) {
  if (length > kMaxPkgLength) return {};
  // One byte holds 6 bits; with n more bytes, the lead byte holds 4 bits and each further one
  // 8, and the whole encoding counts itself.
  if (length + 1 <= kMaxOneBytePkgLength) return {static_cast<uint8_t>(length + 1)};
  for (unsigned extra = 1; extra <= 3; ++extra) {
    const size_t total = length + 1 + extra;
    if (total < (size_t{1} << (4 + 8 * extra))) {
      Bytes out = {static_cast<uint8_t>(extra << 6 | (total & 0xf))};
      for (unsigned i = 0; i < extra; ++i) {
        out.push_back(static_cast<uint8_t>(total >> (4 + 8 * i)));
      }
      return out;
    }
  }
  return {};
}

void integer(Bytes& out, uint64_t value) {
  if (value == 0) {
    out.push_back(kZeroOp);
  } else if (value == 1) {
    out.push_back(kOneOp);
  } else if (value <= 0xff) {
    out.push_back(kBytePrefix);
    le(out, value, 1);
  } else if (value <= 0xffff) {
    out.push_back(kWordPrefix);
    le(out, value, 2);
  } else if (value <= 0xffffffff) {
    out.push_back(kDWordPrefix);
    le(out, value, 4);
  } else {
    out.push_back(kQWordPrefix);
    le(out, value, 8);
  }
}

void name(Bytes& out, NameSeg seg, std::span<const uint8_t> object) {
  out.push_back(kNameOp);
  name_seg(out, seg);
  append(out, object);
}

Bytes eisa_id(std::string_view id) {
  // 19.6.35: "UUUNNNN", U an uppercase letter, N a hex digit.
  constexpr size_t kLength = 7;
  if (id.size() != kLength) return {};
  const auto letter = [](char c) { return static_cast<uint32_t>(c - '@') & 0x1f; };
  const auto hex = [](char c) -> uint32_t {
    return c <= '9' ? static_cast<uint32_t>(c - '0') : static_cast<uint32_t>(c - 'A' + 10);
  };
  const uint32_t vendor = letter(id[0]) << 10 | letter(id[1]) << 5 | letter(id[2]);
  const uint32_t product = hex(id[3]) << 12 | hex(id[4]) << 8 | hex(id[5]) << 4 | hex(id[6]);
  // Stored big-endian: the vendor's two bytes, then the product's.
  return {kDWordPrefix, static_cast<uint8_t>(vendor >> 8), static_cast<uint8_t>(vendor),
          static_cast<uint8_t>(product >> 8), static_cast<uint8_t>(product)};
}

Bytes buffer(std::span<const uint8_t> bytes) {
  Bytes size;
  integer(size, bytes.size());
  const Bytes length = pkg_length(size.size() + bytes.size());
  Bytes out = {kBufferOp};
  append(out, length);
  append(out, size);
  append(out, bytes);
  return out;
}

void root_scope(Bytes& out, NameSeg seg, std::span<const uint8_t> terms) {
  out.push_back(kScopeOp);
  append(out, pkg_length(1 + seg.size() + terms.size()));
  out.push_back(kRootChar);
  name_seg(out, seg);
  append(out, terms);
}

void device(Bytes& out, NameSeg seg, std::span<const uint8_t> terms) {
  out.push_back(kExtOpPrefix);
  out.push_back(kDeviceOp);
  append(out, pkg_length(seg.size() + terms.size()));
  name_seg(out, seg);
  append(out, terms);
}

namespace {

/// A Word Address Space Descriptor (6.4.3.5.3): granularity 0, no translation.
void word_address(Bytes& out, uint8_t type, uint8_t type_flags, uint16_t first, uint16_t last) {
  out.push_back(kWordAddressTag);
  le(out, kWordAddressLength, 2);
  out.push_back(type);
  out.push_back(kBridgeWindowFlags);
  out.push_back(type_flags);
  le(out, 0, 2);  // _GRA
  le(out, first, 2);
  le(out, last, 2);
  le(out, 0, 2);  // _TRA
  le(out, uint32_t{last} - first + 1, 2);
}

}  // namespace

void word_bus_numbers(Bytes& out, uint16_t first, uint16_t last) {
  word_address(out, kBusNumberRange, 0, first, last);
}

void word_io(Bytes& out, uint16_t first, uint16_t last) {
  word_address(out, kIoRange, kIoEntireRange, first, last);
}

void io_port(Bytes& out, uint16_t base, uint8_t length) {
  out.push_back(kIoPortTag);
  out.push_back(kIoDecode16);
  le(out, base, 2);  // _MIN
  le(out, base, 2);  // _MAX
  out.push_back(1);  // _ALN
  out.push_back(length);
}

void dword_memory(Bytes& out, uint32_t first, uint32_t last) {
  out.push_back(kDWordAddressTag);
  le(out, kDWordAddressLength, 2);
  out.push_back(kMemoryRange);
  out.push_back(kBridgeWindowFlags);
  out.push_back(kMemoryReadWrite);
  le(out, 0, 4);  // _GRA
  le(out, first, 4);
  le(out, last, 4);
  le(out, 0, 4);  // _TRA
  le(out, uint64_t{last} - first + 1, 4);
}

void end_tag(Bytes& out) {
  out.push_back(kEndTag);
  out.push_back(0);
}

}  // namespace rootstock::vmm::acpi::aml
