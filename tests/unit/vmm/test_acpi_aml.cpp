// The AML encoder (vmm/acpi/aml.hpp: ACPI 6.5, 20 and 6.4), the PCI host bridge's Device
// (PCI0) (pci_host.hpp), read back with a small AML reader here: PkgLength in its 1- to 4-byte
// forms, integers, EISAID, buffers and resource descriptors byte for byte, and a DSDT built
// with a PCI host (acpi_builder.hpp) that holds the device after \_S5, checksums, and still
// parses with the readers hv uses on firmware tables.
#include <rootstock/acpi/acpi_info.hpp>
#include <rootstock/acpi/checksum.hpp>
#include <rootstock/acpi/sdt.hpp>

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "vmm/acpi/acpi_builder.hpp"
#include "vmm/acpi/aml.hpp"
#include "vmm/acpi/pci_host.hpp"

namespace fw = rootstock::acpi;
using namespace rootstock::vmm::acpi;
using Bytes = std::vector<uint8_t>;

namespace {

// 20.2.4: the PkgLength at `pos`: its value (which counts itself) and its size in bytes.
struct PkgLength {
  size_t value = 0;
  size_t bytes = 0;
};
std::optional<PkgLength> read_pkg_length(const Bytes& b, size_t pos) {
  if (pos >= b.size()) return std::nullopt;
  const uint8_t lead = b[pos];
  const size_t followers = lead >> 6;
  if (followers == 0) return PkgLength{lead & 0x3fu, 1};
  if ((lead & 0x30) != 0 || pos + followers >= b.size()) return std::nullopt;
  size_t value = lead & 0x0fu;
  for (size_t i = 0; i < followers; ++i) value |= size_t{b[pos + 1 + i]} << (4 + 8 * i);
  return PkgLength{value, 1 + followers};
}

Bytes integer_bytes(uint64_t v) {
  Bytes out;
  aml::integer(out, v);
  return out;
}

// A resource template's descriptors (6.4.1): each one's bytes, the End Tag last.
std::vector<Bytes> descriptors(const Bytes& crs) {
  std::vector<Bytes> out;
  size_t pos = 0;
  while (pos < crs.size()) {
    const uint8_t tag = crs[pos];
    size_t length = 0;
    if ((tag & 0x80) != 0) {
      REQUIRE(pos + 3 <= crs.size());
      length = 3 + (crs[pos + 1] | size_t{crs[pos + 2]} << 8);
    } else {
      length = 1 + (tag & 0x7u);
    }
    REQUIRE(pos + length <= crs.size());
    out.emplace_back(crs.begin() + static_cast<long>(pos),
                     crs.begin() + static_cast<long>(pos + length));
    pos += length;
  }
  return out;
}

// Scope (\_SB) { ... } read back: the terms inside.
Bytes inside_sb_scope(const Bytes& aml) {
  REQUIRE(aml.size() >= 2);
  REQUIRE(aml[0] == 0x10);  // ScopeOp
  const auto pkg = read_pkg_length(aml, 1);
  REQUIRE(pkg);
  REQUIRE(1 + pkg->value == aml.size());  // the scope is the whole term
  const size_t name = 1 + pkg->bytes;
  REQUIRE(Bytes(aml.begin() + static_cast<long>(name), aml.begin() + static_cast<long>(name + 5)) ==
          Bytes{'\\', '_', 'S', 'B', '_'});
  return Bytes(aml.begin() + static_cast<long>(name + 5), aml.end());
}

// Device (PCI0) read back: its names and their objects' bytes.
struct ParsedDevice {
  std::string name;
  std::vector<std::pair<std::string, Bytes>> names;
};
ParsedDevice parse_device(const Bytes& aml) {
  ParsedDevice d;
  REQUIRE(aml.size() >= 2);
  REQUIRE(aml[0] == 0x5b);  // ExtOpPrefix
  REQUIRE(aml[1] == 0x82);  // DeviceOp
  const auto pkg = read_pkg_length(aml, 2);
  REQUIRE(pkg);
  REQUIRE(2 + pkg->value == aml.size());  // the device is the whole term
  size_t pos = 2 + pkg->bytes;
  d.name.assign(aml.begin() + static_cast<long>(pos), aml.begin() + static_cast<long>(pos + 4));
  pos += 4;
  while (pos < aml.size()) {
    REQUIRE(aml[pos] == 0x08);  // NameOp
    std::string seg(aml.begin() + static_cast<long>(pos + 1),
                    aml.begin() + static_cast<long>(pos + 5));
    pos += 5;
    size_t length = 0;
    switch (aml[pos]) {
      case 0x00:
      case 0x01:
        length = 1;
        break;
      case 0x0a:
        length = 2;
        break;
      case 0x0b:
        length = 3;
        break;
      case 0x0c:
        length = 5;
        break;
      case 0x11: {  // BufferOp PkgLength ...
        const auto b = read_pkg_length(aml, pos + 1);
        REQUIRE(b);
        length = 1 + b->value;
        break;
      }
      default:
        FAIL("unexpected object " << int{aml[pos]});
    }
    REQUIRE(pos + length <= aml.size());
    d.names.emplace_back(seg, Bytes(aml.begin() + static_cast<long>(pos),
                                    aml.begin() + static_cast<long>(pos + length)));
    pos += length;
  }
  return d;
}

// The ByteList of a DefBuffer, its BufferSize checked against it.
Bytes buffer_contents(const Bytes& buffer) {
  REQUIRE(buffer.at(0) == 0x11);
  const auto pkg = read_pkg_length(buffer, 1);
  REQUIRE(pkg);
  REQUIRE(1 + pkg->value == buffer.size());
  size_t pos = 1 + pkg->bytes;
  uint64_t size = 0;
  switch (buffer.at(pos)) {
    case 0x00:
      size = 0;
      pos += 1;
      break;
    case 0x01:
      size = 1;
      pos += 1;
      break;
    case 0x0a:
      size = buffer.at(pos + 1);
      pos += 2;
      break;
    case 0x0b:
      size = buffer.at(pos + 1) | uint64_t{buffer.at(pos + 2)} << 8;
      pos += 3;
      break;
    default:
      FAIL("unexpected BufferSize");
  }
  REQUIRE(pos + size == buffer.size());
  return Bytes(buffer.begin() + static_cast<long>(pos), buffer.end());
}

}  // namespace

TEST_CASE("aml: PkgLength in its one- to four-byte forms counts itself", "[aml]") {
  CHECK(aml::pkg_length(0) == Bytes{0x01});
  CHECK(aml::pkg_length(5) == Bytes{0x06});
  CHECK(aml::pkg_length(62) == Bytes{0x3f});  // the largest one-byte form: 63
  // Two bytes: the lead's low nibble, then bits 11:4.
  CHECK(aml::pkg_length(63) == Bytes{0x41, 0x04});    // 65
  CHECK(aml::pkg_length(4093) == Bytes{0x4f, 0xff});  // 4095, the largest
  // Three bytes.
  CHECK(aml::pkg_length(4094) == Bytes{0x81, 0x00, 0x01});  // 4097
  CHECK(aml::pkg_length((1u << 20) - 4) == Bytes{0x8f, 0xff, 0xff});
  // Four bytes.
  CHECK(aml::pkg_length((1u << 20) - 3) == Bytes{0xc1, 0x00, 0x00, 0x01});
  CHECK(aml::pkg_length((1u << 28) - 5) == Bytes{0xcf, 0xff, 0xff, 0xff});
  // Beyond what 28 bits can say: nothing.
  CHECK(aml::pkg_length((1u << 28) - 4).empty());
  CHECK(aml::pkg_length(size_t{1} << 40).empty());

  // Every length round-trips through the reader, in the smallest form.
  for (size_t length :
       {size_t{0}, size_t{1}, size_t{61}, size_t{62}, size_t{63}, size_t{64}, size_t{4092},
        size_t{4093}, size_t{4094}, size_t{4095}, size_t{65533}, size_t{(1u << 20) - 4},
        size_t{(1u << 20) - 3}, size_t{(1u << 20)}, size_t{(1u << 28) - 5}}) {
    CAPTURE(length);
    const Bytes enc = aml::pkg_length(length);
    const auto dec = read_pkg_length(enc, 0);
    REQUIRE(dec);
    CHECK(dec->bytes == enc.size());
    CHECK(dec->value == length + enc.size());
    const size_t smallest = length + 1 <= 63          ? 1
                            : length + 2 < (1u << 12) ? 2
                            : length + 3 < (1u << 20) ? 3
                                                      : 4;
    CHECK(enc.size() == smallest);
  }
}

TEST_CASE("aml: integers take the smallest encoding", "[aml]") {
  CHECK(integer_bytes(0) == Bytes{0x00});
  CHECK(integer_bytes(1) == Bytes{0x01});
  CHECK(integer_bytes(2) == Bytes{0x0a, 0x02});
  CHECK(integer_bytes(0xff) == Bytes{0x0a, 0xff});
  CHECK(integer_bytes(0x100) == Bytes{0x0b, 0x00, 0x01});
  CHECK(integer_bytes(0xffff) == Bytes{0x0b, 0xff, 0xff});
  CHECK(integer_bytes(0x10000) == Bytes{0x0c, 0x00, 0x00, 0x01, 0x00});
  CHECK(integer_bytes(0xffffffff) == Bytes{0x0c, 0xff, 0xff, 0xff, 0xff});
  CHECK(integer_bytes(0x1'00000000) == Bytes{0x0e, 0, 0, 0, 0, 1, 0, 0, 0});
  CHECK(integer_bytes(~uint64_t{0}) == Bytes{0x0e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
}

TEST_CASE("aml: EISAID as ASL compilers make it", "[aml]") {
  CHECK(aml::eisa_id("PNP0A03") == Bytes{0x0c, 0x41, 0xd0, 0x0a, 0x03});
  CHECK(aml::eisa_id("PNP0A08") == Bytes{0x0c, 0x41, 0xd0, 0x0a, 0x08});
  CHECK(aml::eisa_id("PNP0C0F") == Bytes{0x0c, 0x41, 0xd0, 0x0c, 0x0f});
  CHECK(aml::eisa_id("QEMU0002") == Bytes{});  // not UUUNNNN
  CHECK(aml::eisa_id("PNP0A0").empty());
}

TEST_CASE("aml: Name, Buffer and Device wrap their contents", "[aml]") {
  Bytes out;
  aml::name(out, {'_', 'U', 'I', 'D'}, integer_bytes(0));
  CHECK(out == Bytes{0x08, '_', 'U', 'I', 'D', 0x00});

  const Bytes three = {0xaa, 0xbb, 0xcc};
  CHECK(aml::buffer(three) == Bytes{0x11, 0x06, 0x0a, 0x03, 0xaa, 0xbb, 0xcc});
  CHECK(aml::buffer(Bytes{}) == Bytes{0x11, 0x02, 0x00});
  CHECK(aml::buffer(Bytes{0x79}) == Bytes{0x11, 0x03, 0x01, 0x79});
  // A buffer whose PkgLength takes two bytes and whose size a word.
  const Bytes big(300, 0x5a);
  const Bytes wrapped = aml::buffer(big);
  CHECK(buffer_contents(wrapped) == big);
  CHECK(wrapped.size() == 1 + 2 + 3 + 300);

  Bytes dev;
  aml::device(dev, {'P', 'C', 'I', '0'}, out);
  CHECK(dev == Bytes{0x5b, 0x82, 0x0b, 'P', 'C', 'I', '0', 0x08, '_', 'U', 'I', 'D', 0x00});
  // A device with a long term list: a two-byte PkgLength, still the whole term.
  Bytes long_terms;
  aml::name(long_terms, {'_', 'C', 'R', 'S'}, wrapped);
  Bytes long_dev;
  aml::device(long_dev, {'D', 'E', 'V', '0'}, long_terms);
  CHECK((long_dev[2] >> 6) == 1);
  CHECK(parse_device(long_dev).name == "DEV0");
}

TEST_CASE("aml: resource descriptors byte for byte", "[aml]") {
  Bytes bus;
  aml::word_bus_numbers(bus, 0, 0xff);
  // WordBusNumber(ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, 0, 0xff, 0, 0x100).
  CHECK(bus == Bytes{0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00,
                     0x00, 0x00, 0x01});
  Bytes io;
  aml::word_io(io, 0x0d00, 0xffff);
  // WordIO(ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0, 0xd00, 0xffff, 0,
  // 0xf300).
  CHECK(io == Bytes{0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0x00, 0x00, 0x00, 0x0d, 0xff, 0xff, 0x00,
                    0x00, 0x00, 0xf3});
  Bytes port;
  aml::io_port(port, 0xcf8, 8);
  CHECK(port == Bytes{0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08});  // IO(Decode16, ...)
  Bytes mem;
  aml::dword_memory(mem, 0xc0000000, 0xcfffffff);
  // DWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, 0,
  // 0xc0000000, 0xcfffffff, 0, 0x10000000).
  CHECK(mem == Bytes{0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                     0xc0, 0xff, 0xff, 0xff, 0xcf, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10});
  Bytes end;
  aml::end_tag(end);
  CHECK(end == Bytes{0x79, 0x00});
  // A window that ends at 4 GiB: its length is 2^32 - base, within 32 bits.
  Bytes top;
  aml::dword_memory(top, 0xf0000000, 0xffffffff);
  CHECK(Bytes(top.end() - 4, top.end()) == Bytes{0x00, 0x00, 0x00, 0x10});
}

TEST_CASE("aml: \\_SB.PCI0 is a PNP0A03 bridge on segment 0, bus 0, with its window", "[aml]") {
  const PciHost host{0xc0000000, 0x10000000};
  const Bytes aml = pci_host_aml(host);
  const ParsedDevice d = parse_device(inside_sb_scope(aml));
  CHECK(d.name == "PCI0");
  REQUIRE(d.names.size() == 5);
  CHECK(d.names[0] == std::pair<std::string, Bytes>{"_HID", aml::eisa_id("PNP0A03")});
  CHECK(d.names[1] == std::pair<std::string, Bytes>{"_UID", Bytes{0x00}});
  CHECK(d.names[2] == std::pair<std::string, Bytes>{"_SEG", Bytes{0x00}});
  CHECK(d.names[3] == std::pair<std::string, Bytes>{"_BBN", Bytes{0x00}});
  REQUIRE(d.names[4].first == "_CRS");

  const std::vector<Bytes> crs = descriptors(buffer_contents(d.names[4].second));
  REQUIRE(crs.size() == 6);
  Bytes expected;
  aml::word_bus_numbers(expected, 0, 0);
  CHECK(crs[0] == expected);
  expected.clear();
  aml::io_port(expected, 0xcf8, 8);
  CHECK(crs[1] == expected);
  expected.clear();
  aml::word_io(expected, 0, 0xcf7);
  CHECK(crs[2] == expected);
  expected.clear();
  aml::word_io(expected, 0xd00, 0xffff);
  CHECK(crs[3] == expected);
  expected.clear();
  aml::dword_memory(expected, 0xc0000000, 0xcfffffff);
  CHECK(crs[4] == expected);
  CHECK(crs[5] == Bytes{0x79, 0x00});
}

namespace {

class AreaReader final : public rootstock::boot::PhysReader {
 public:
  AreaReader(uint64_t gpa, std::span<const uint8_t> bytes) : gpa_(gpa), bytes_(bytes) {}
  bool read(uint64_t paddr, void* out, size_t len) const override {
    if (paddr < gpa_ || paddr - gpa_ > bytes_.size() || len > bytes_.size() - (paddr - gpa_)) {
      return false;
    }
    std::memcpy(out, bytes_.data() + (paddr - gpa_), len);
    return true;
  }

 private:
  uint64_t gpa_;
  std::span<const uint8_t> bytes_;
};

}  // namespace

TEST_CASE("aml: a DSDT with a PCI host holds \\_S5 and Device (PCI0), and checksums", "[aml]") {
  AcpiConfig c;
  c.pci_host = PciHost{0xc0000000, 0x10000000};
  std::vector<uint8_t> area(c.area_size);
  const auto tables = build_acpi_tables(c, area);
  REQUIRE(tables);
  const AreaReader r(c.area_gpa, area);

  const Bytes pci = pci_host_aml(*c.pci_host);
  CHECK(tables->dsdt.length == sizeof(fw::SdtHeader) + 12 + pci.size());
  Bytes dsdt(tables->dsdt.length);
  REQUIRE(r.read(tables->dsdt.gpa, dsdt.data(), dsdt.size()));
  // The device follows Name (_S5, ...) in the root scope.
  CHECK(Bytes(dsdt.end() - static_cast<long>(pci.size()), dsdt.end()) == pci);
  CHECK(dsdt[sizeof(fw::SdtHeader)] == 0x08);
  CHECK(std::string(dsdt.begin() + sizeof(fw::SdtHeader) + 1,
                    dsdt.begin() + sizeof(fw::SdtHeader) + 5) == "_S5_");

  uint8_t sum = 0xff;
  REQUIRE(fw::sum_bytes(r, tables->dsdt.gpa, tables->dsdt.length, sum));
  CHECK(sum == 0);
  fw::Table t;
  REQUIRE(fw::load_table(r, tables->dsdt.gpa, fw::Signature::kDsdt, 0, t) == fw::Status::kOk);
  CHECK(t.length == tables->dsdt.length);

  auto info = std::make_unique<fw::AcpiInfo>();
  REQUIRE(fw::parse_acpi(r, tables->rsdp.gpa, *info) == fw::Status::kOk);
  CHECK(info->s5.present);
  CHECK(info->fadt.dsdt == tables->dsdt.gpa);

  // Without a PCI host the DSDT is \_S5 alone, as before.
  AcpiConfig plain;
  std::vector<uint8_t> area2(plain.area_size);
  const auto without = build_acpi_tables(plain, area2);
  REQUIRE(without);
  CHECK(without->dsdt.length == sizeof(fw::SdtHeader) + 12);
}

TEST_CASE("aml: PCI windows that are empty or cross 4 GiB are refused", "[aml]") {
  const auto build = [](PciHost host) {
    AcpiConfig c;
    c.pci_host = host;
    std::vector<uint8_t> area(c.area_size, 0xa5);
    auto t = build_acpi_tables(c, area);
    const bool untouched =
        std::all_of(area.begin(), area.end(), [](uint8_t b) { return b == 0xa5; });
    return std::make_pair(t, untouched);
  };
  const auto empty = build({0xc0000000, 0});
  REQUIRE_FALSE(empty.first);
  CHECK(empty.first.error() == BuildError::kBadPciWindow);
  CHECK(empty.second);
  const auto crossing = build({0xf0000000, 0x20000000});
  REQUIRE_FALSE(crossing.first);
  CHECK(crossing.first.error() == BuildError::kBadPciWindow);
  CHECK(std::string(describe(BuildError::kBadPciWindow)).find("PCI") != std::string::npos);
  // Ending exactly at 4 GiB is fine.
  CHECK(build({0xf0000000, 0x10000000}).first);
}
