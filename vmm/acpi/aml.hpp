// The few AML encodings (ACPI 6.5, 20 "ACPI Machine Language Specification") and resource
// descriptors (6.4 "Resource Data Types for ACPI") the child's DSDT needs, as byte builders:
// the DSDT is written by the VMM itself, not by an ASL compiler. Each function appends one
// term; the comments name the grammar rule it encodes.
#pragma once

#include <stdint.h>

#include <array>
#include <span>
#include <string_view>
#include <vector>

namespace rootstock::vmm::acpi::aml {

using Bytes = std::vector<uint8_t>;

/// A NameSeg: four characters, [A-Z_][A-Z0-9_]{3} (20.2.2).
using NameSeg = std::array<char, 4>;

/// PkgLength (20.2.4) for a package whose contents after the PkgLength are `length` bytes:
/// the encoding counts itself. Lengths up to 2^28 - 1.
[[nodiscard]] Bytes pkg_length(size_t length);

/// The smallest integer encoding of `value` (20.2.3): ZeroOp, OneOp, BytePrefix, WordPrefix,
/// DWordPrefix or QWordPrefix.
void integer(Bytes& out, uint64_t value);

/// DefName := NameOp NameString DataRefObject (20.2.5.1), `object` already encoded.
void name(Bytes& out, NameSeg seg, std::span<const uint8_t> object);

/// A compressed EISA ID such as "PNP0A03" as the DWordConst ASL's EISAID() makes (19.6.35):
/// three letters of 5 bits, then four hex digits, big-endian.
[[nodiscard]] Bytes eisa_id(std::string_view id);

/// DefBuffer := BufferOp PkgLength BufferSize ByteList (20.2.5.4).
[[nodiscard]] Bytes buffer(std::span<const uint8_t> bytes);

/// DefScope := ScopeOp PkgLength NameString TermList (20.2.5.1), for a scope named from the
/// root: `\_SB_` for `{'_', 'S', 'B', '_'}`.
void root_scope(Bytes& out, NameSeg seg, std::span<const uint8_t> terms);

/// DefDevice := DeviceOp PkgLength NameString TermList (20.2.5.2).
void device(Bytes& out, NameSeg seg, std::span<const uint8_t> terms);

// ---- Resource descriptors (6.4) for a _CRS buffer ----

/// Address space descriptors' general flags (6.4.3.5.1-3, "General Flags"): a producer (a
/// bridge) whose minimum and maximum addresses are fixed, decoding positively.
inline constexpr uint8_t kBridgeWindowFlags = 0x0c;  // _MAF (bit 3) | _MIF (bit 2)

/// Word Address Space Descriptor (6.4.3.5.3) of bus numbers [first, last].
void word_bus_numbers(Bytes& out, uint16_t first, uint16_t last);
/// Word Address Space Descriptor of I/O ports [first, last], the entire ISA and non-ISA range.
void word_io(Bytes& out, uint16_t first, uint16_t last);
/// I/O Port Descriptor (6.4.2.5): `length` ports at `base`, 16-bit decode.
void io_port(Bytes& out, uint16_t base, uint8_t length);
/// DWord Address Space Descriptor (6.4.3.5.2) of non-cacheable, read-write memory [first,
/// last].
void dword_memory(Bytes& out, uint32_t first, uint32_t last);
/// End Tag (6.4.2.9), checksum 0 ("the checksum is treated as correct").
void end_tag(Bytes& out);

}  // namespace rootstock::vmm::acpi::aml
