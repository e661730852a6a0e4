#include "rootstock/acpi/aml_s5.hpp"

#include "rootstock/acpi/table_bytes.hpp"

namespace rootstock::acpi {
namespace {

// AML encodings (ACPI 6.5, 20.2).
enum class Aml : uint8_t {
  kZeroOp = 0x00,       // 20.2.3 ConstObj
  kOneOp = 0x01,        // 20.2.3 ConstObj
  kNameOp = 0x08,       // 20.2.5.1 DefName := NameOp NameString DataRefObject
  kBytePrefix = 0x0a,   // 20.2.3 ByteConst
  kWordPrefix = 0x0b,   // 20.2.3 WordConst
  kDWordPrefix = 0x0c,  // 20.2.3 DWordConst
  kQWordPrefix = 0x0e,  // 20.2.3 QWordConst
  kPackageOp = 0x12,    // 20.2.5.4 DefPackage := PackageOp PkgLength NumElements ElementList
  kRootChar = 0x5c,     // 20.2.2 '\'
  kOnesOp = 0xff,       // 20.2.3 ConstObj
};

constexpr uint8_t op(Aml a) {
  return static_cast<uint8_t>(a);
}

// Reads bytes in [pos, end) of the table; `end` never exceeds the table's length.
struct Cursor {
  TableBytes& bytes;
  uint64_t pos;
  uint64_t end;

  bool next(uint8_t& b) {
    if (pos >= end || !bytes.at(pos, b)) return false;
    ++pos;
    return true;
  }
  bool next_le(unsigned size, uint64_t& v) {
    v = 0;
    for (unsigned i = 0; i < size; ++i) {
      uint8_t b = 0;
      if (!next(b)) return false;
      v |= uint64_t{b} << (8 * i);
    }
    return true;
  }
};

// 20.2.3: a constant integer, or kS5BadElement for anything an interpreter would have to run.
Status decode_integer(Cursor& c, uint64_t& value) {
  uint8_t lead = 0;
  if (!c.next(lead)) return Status::kS5BadPackage;
  unsigned size = 0;
  switch (static_cast<Aml>(lead)) {
    case Aml::kZeroOp:
      value = 0;
      return Status::kOk;
    case Aml::kOneOp:
      value = 1;
      return Status::kOk;
    case Aml::kOnesOp:
      value = ~uint64_t{0};
      return Status::kOk;
    case Aml::kBytePrefix:
      size = 1;
      break;
    case Aml::kWordPrefix:
      size = 2;
      break;
    case Aml::kDWordPrefix:
      size = 4;
      break;
    case Aml::kQWordPrefix:
      size = 8;
      break;
    default:
      return Status::kS5BadElement;
  }
  return c.next_le(size, value) ? Status::kOk : Status::kS5BadPackage;
}

// Decodes the package that starts at `pkg_op` (the PackageOp byte).
Status decode_package(TableBytes& bytes, uint64_t pkg_op, SleepState& out) {
  // 20.2.4: PkgLength counts from its own first byte. Bits 7-6 of the lead byte give the
  // number of bytes that follow; with followers, bits 5-4 must be zero.
  Cursor c{bytes, pkg_op + 1, bytes.length()};
  const uint64_t pkg_start = c.pos;
  uint8_t lead = 0;
  if (!c.next(lead)) return Status::kS5BadPackage;
  const unsigned followers = lead >> 6;
  uint64_t pkg_length = followers == 0 ? lead & 0x3fu : lead & 0x0fu;
  if (followers != 0 && (lead & 0x30) != 0) return Status::kS5BadPackage;
  for (unsigned i = 0; i < followers; ++i) {
    uint8_t b = 0;
    if (!c.next(b)) return Status::kS5BadPackage;
    pkg_length |= uint64_t{b} << (4 + 8 * i);
  }
  // The package must hold its PkgLength and NumElements and end inside the table.
  if (pkg_length < 1 + followers + 1 || pkg_length > bytes.length() - pkg_start) {
    return Status::kS5BadPackage;
  }
  c.end = pkg_start + pkg_length;
  uint8_t num_elements = 0;
  if (!c.next(num_elements) || num_elements == 0) return Status::kS5BadPackage;
  uint64_t a = 0;
  uint64_t b = 0;
  Status s = decode_integer(c, a);
  if (s != Status::kOk) return s;
  if (num_elements >= 2) {
    s = decode_integer(c, b);
    if (s != Status::kOk) return s;
  } else {
    b = (a >> 8) & 0xff;
    a &= 0xff;
  }
  // SLP_TYPx is a 3-bit field of PM1x_CNT (4.8.3.2.1).
  if (a > 7 || b > 7) return Status::kS5ValueOutOfRange;
  out.present = true;
  out.slp_typa = static_cast<uint8_t>(a);
  out.slp_typb = static_cast<uint8_t>(b);
  return Status::kOk;
}

// True when the NameSeg at `seg` is preceded by NameOp, directly or through a RootChar.
bool after_name_op(TableBytes& bytes, uint64_t seg) {
  constexpr uint64_t kAmlStart = sizeof(SdtHeader);
  uint8_t b1 = 0;
  uint8_t b2 = 0;
  if (seg < kAmlStart + 1 || !bytes.at(seg - 1, b1)) return false;
  if (b1 == op(Aml::kNameOp)) return true;
  return b1 == op(Aml::kRootChar) && seg >= kAmlStart + 2 && bytes.at(seg - 2, b2) &&
         b2 == op(Aml::kNameOp);
}

}  // namespace

Status find_s5(const boot::PhysReader& reader, const Table& dsdt, SleepState& out) {
  out = SleepState{};
  SleepState result;
  TableBytes bytes(reader, dsdt);
  constexpr uint8_t kName[4] = {'_', 'S', '5', '_'};
  // Every byte of the AML is visited once as a possible match start: the scan is linear.
  for (uint64_t i = sizeof(SdtHeader); i + sizeof(kName) < dsdt.length; ++i) {
    bool match = true;
    for (size_t k = 0; k < sizeof(kName) && match; ++k) {
      uint8_t b = 0;
      if (!bytes.at(i + k, b)) return Status::kTableTruncated;
      match = b == kName[k];
    }
    uint8_t next = 0;
    if (!match || !after_name_op(bytes, i) || !bytes.at(i + sizeof(kName), next) ||
        next != op(Aml::kPackageOp)) {
      continue;
    }
    SleepState found;
    const Status s = decode_package(bytes, i + sizeof(kName), found);
    if (s != Status::kOk) return s;
    if (result.present &&
        (found.slp_typa != result.slp_typa || found.slp_typb != result.slp_typb)) {
      return Status::kS5Ambiguous;
    }
    result = found;
  }
  out = result;
  return Status::kOk;
}

}  // namespace rootstock::acpi
