// Table signatures: the four ASCII characters that open every ACPI system description table.
#pragma once

#include <stdint.h>

namespace rootstock::acpi {

/// The signature as the little-endian 32-bit value of its four characters.
constexpr uint32_t signature_value(const char (&s)[5]) {
  return static_cast<uint32_t>(static_cast<uint8_t>(s[0])) |
         static_cast<uint32_t>(static_cast<uint8_t>(s[1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(s[2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(s[3])) << 24;
}

/// The signatures this parser looks for (ACPI 6.5, 5.2.6).
enum class Signature : uint32_t {
  kNone = 0,
  kApic = signature_value("APIC"),  ///< Multiple APIC Description Table (MADT), 5.2.12
  kDsdt = signature_value("DSDT"),  ///< Differentiated System Description Table, 5.2.11.1
  kFacp = signature_value("FACP"),  ///< Fixed ACPI Description Table (FADT), 5.2.9
  kRsdt = signature_value("RSDT"),  ///< Root System Description Table, 5.2.7
  kXsdt = signature_value("XSDT"),  ///< Extended System Description Table, 5.2.8
};

/// A signature as a NUL-terminated string, for logs.
struct SignatureText {
  char chars[5];
};

/// The four characters of `s` (non-printable ones as '?').
constexpr SignatureText signature_text(Signature s) {
  SignatureText t{};
  const auto v = static_cast<uint32_t>(s);
  for (unsigned i = 0; i < 4; ++i) {
    const auto c = static_cast<char>((v >> (8 * i)) & 0xff);
    t.chars[i] = c >= ' ' && c < 0x7f ? c : '?';
  }
  t.chars[4] = '\0';
  return t;
}

}  // namespace rootstock::acpi
