// A function's configuration space register file (vmm/pci/config_header.hpp): the type 0
// header's identity (read-only), the Command register's writable bits, storage registers,
// memory BAR sizing (PCI 3.0, 6.2.5.1) and where BARs decode, the capability list (6.7) as
// Linux's pci_find_capability() walks it, and accesses at the edge of the 256 bytes.
#include <catch2/catch_test_macros.hpp>

#include <cstdint>
#include <vector>

#include "vmm/pci/config_header.hpp"

using namespace rootstock::vmm::pci;

namespace {

constexpr Identity kIdentity{.vendor_id = 0x1234,
                             .device_id = 0x5678,
                             .revision_id = 0x9a,
                             .class_code = 0x0c0330,
                             .subsystem_vendor_id = 0xabcd,
                             .subsystem_id = 0xef01};
constexpr uint16_t kBar0 = 0x10;
constexpr uint32_t kAllOnes = 0xffffffff;

uint16_t at(Header h) {
  return offset(h);
}

// Linux's pci_find_capability() (drivers/pci/pci.c, __pci_find_next_cap_ttl): from the
// Capabilities Pointer, dword-aligned, at most 48 hops, stopping at a pointer below 40h.
std::vector<uint16_t> capability_chain(const ConfigHeader& h) {
  std::vector<uint16_t> chain;
  if ((h.read(at(Header::kStatus), 2) & status::kCapabilitiesList) == 0) return chain;
  auto pos = static_cast<uint16_t>(h.read(at(Header::kCapabilities), 1));
  for (int ttl = 48; ttl > 0 && pos >= kFirstCapability; --ttl) {
    pos &= ~uint16_t{3};
    const uint32_t ent = h.read(pos, 2);
    if ((ent & 0xff) == 0xff) break;
    chain.push_back(pos);
    pos = static_cast<uint16_t>(ent >> 8);
  }
  return chain;
}

}  // namespace

TEST_CASE("pci config header: identity registers read as given and are read-only", "[pci]") {
  ConfigHeader h(kIdentity);
  CHECK(h.read(at(Header::kVendorId), 4) == 0x56781234);
  CHECK(h.read(at(Header::kVendorId), 2) == 0x1234);
  CHECK(h.read(at(Header::kDeviceId), 2) == 0x5678);
  CHECK(h.read(at(Header::kVendorId) + 1, 1) == 0x12);
  // Revision ID in byte 8, the class code above it (6.2.1).
  CHECK(h.read(at(Header::kRevisionId), 4) == 0x0c03309a);
  CHECK(h.read(0x0a, 2) == 0x0c03);  // subclass, base class: what Linux's sanity check reads
  CHECK(h.read(at(Header::kClassCode), 1) == 0x30);
  CHECK(h.read(at(Header::kHeaderType), 1) == kHeaderTypeEndpoint);
  CHECK(h.read(at(Header::kSubsystemVendorId), 4) == 0xef01abcd);
  CHECK(h.read(at(Header::kStatus), 2) == 0);  // no capabilities yet
  CHECK(h.read(at(Header::kCapabilities), 1) == 0);
  CHECK(h.read(at(Header::kInterruptPin), 1) == 0);
  CHECK(h.command() == 0);

  for (uint16_t reg : {uint16_t{0x00}, uint16_t{0x08}, uint16_t{0x2c}, uint16_t{0x34}}) {
    const uint32_t before = h.read(reg, 4);
    h.write(reg, 4, kAllOnes);
    h.write(reg, 2, 0);
    h.write(reg, 1, 0x55);
    CAPTURE(reg);
    CHECK(h.read(reg, 4) == before);
  }
  // Header Type and BIST: read-only (no BIST).
  h.write(at(Header::kHeaderType), 2, 0xffff);
  CHECK(h.read(at(Header::kHeaderType), 2) == 0);
  // Status: no bit the child may set.
  h.write(at(Header::kStatus), 2, 0xffff);
  CHECK(h.read(at(Header::kStatus), 2) == 0);
}

TEST_CASE("pci config header: Command takes only the bits a virtual function has", "[pci]") {
  ConfigHeader h(kIdentity);
  h.write(at(Header::kCommand), 2, 0xffff);
  const uint16_t expected = command::kIoSpace | command::kMemorySpace | command::kBusMaster |
                            command::kParityError | command::kSerr | command::kIntxDisable;
  CHECK(h.command() == expected);
  CHECK(h.read(at(Header::kCommand), 4) == expected);  // Status above stays 0
  // A byte write changes one byte.
  h.write(at(Header::kCommand) + 1, 1, 0);
  CHECK(h.command() == (expected & 0xff));
  h.write(at(Header::kCommand), 1, command::kMemorySpace);
  CHECK(h.command() == command::kMemorySpace);
  // A dword write at 04h sets Command and leaves Status alone.
  h.write(at(Header::kCommand), 4, 0xffff0000u | command::kBusMaster);
  CHECK(h.command() == command::kBusMaster);
  CHECK(h.read(at(Header::kStatus), 2) == 0);
}

TEST_CASE("pci config header: the OS's storage registers keep what it writes", "[pci]") {
  ConfigHeader h(kIdentity);
  h.write(at(Header::kCacheLineSize), 1, 0x10);
  h.write(at(Header::kLatencyTimer), 1, 0x40);
  h.write(at(Header::kInterruptLine), 1, 0x0b);
  CHECK(h.read(at(Header::kCacheLineSize), 2) == 0x4010);
  CHECK(h.read(at(Header::kInterruptLine), 1) == 0x0b);
  // Interrupt Pin, Min_Gnt, Max_Lat: read-only 0 beside the Interrupt Line.
  h.write(at(Header::kInterruptLine), 4, kAllOnes);
  CHECK(h.read(at(Header::kInterruptLine), 4) == 0xff);
}

TEST_CASE("pci config header: BAR sizing reads back the size, restoring the base", "[pci]") {
  ConfigHeader h(kIdentity);
  REQUIRE(h.set_memory_bar(0, 0x8000, 0xc0000000));
  REQUIRE(h.set_memory_bar(2, 0x10, 0xc0010010));
  CHECK(h.read(kBar0, 4) == 0xc0000000);
  CHECK(h.read(kBar0 + 8, 4) == 0xc0010010);

  // What Linux's __pci_read_base() does: save, write all ones, read, restore.
  const uint32_t saved = h.read(kBar0, 4);
  h.write(kBar0, 4, kAllOnes);
  const uint32_t sized = h.read(kBar0, 4);
  CHECK(sized == (~uint32_t{0x8000 - 1} | bar::kMemory32));
  CHECK((sized & bar::kIo) == 0);            // memory
  CHECK((sized & 0x6) == bar::kMemory32);    // 32-bit
  CHECK((sized & bar::kPrefetchable) == 0);  // not prefetchable
  CHECK(~(sized & ~bar::kMemoryFlags) + 1 == 0x8000);
  h.write(kBar0, 4, saved);
  CHECK(h.read(kBar0, 4) == 0xc0000000);

  h.write(kBar0 + 8, 4, kAllOnes);
  CHECK(h.read(kBar0 + 8, 4) == 0xfffffff0);

  // Unimplemented BARs and the Expansion ROM read 0 and size to 0.
  for (uint16_t reg :
       {uint16_t{0x14}, uint16_t{0x1c}, uint16_t{0x20}, uint16_t{0x24}, uint16_t{0x30}}) {
    h.write(reg, 4, kAllOnes);
    CAPTURE(reg);
    CHECK(h.read(reg, 4) == 0);
  }
  // Type bits stay, whatever is written; address bits below the size stay 0.
  h.write(kBar0, 4, 0xd000400f);
  CHECK(h.read(kBar0, 4) == 0xd0000000);
  // A byte write moves one byte of the address.
  h.write(kBar0 + 3, 1, 0xc1);
  CHECK(h.read(kBar0, 4) == 0xc1000000);
}

TEST_CASE("pci config header: BARs out of range are refused", "[pci]") {
  ConfigHeader h(kIdentity);
  CHECK_FALSE(h.set_memory_bar(kBarCount, 0x1000, 0));
  CHECK_FALSE(h.set_memory_bar(0, 8, 0));  // under 16 bytes
  CHECK_FALSE(h.set_memory_bar(0, 0, 0));
  CHECK_FALSE(h.set_memory_bar(0, 0x3000, 0x3000));   // not a power of two
  CHECK_FALSE(h.set_memory_bar(0, 0x1000, 0x10800));  // not aligned to its size
  CHECK(h.read(kBar0, 4) == 0);
  h.write(kBar0, 4, kAllOnes);
  CHECK(h.read(kBar0, 4) == 0);  // still no BAR
  CHECK(h.set_memory_bar(5, 0x80000000, 0x80000000));
  h.write(0x24, 4, kAllOnes);
  CHECK(h.read(0x24, 4) == 0x80000000);
}

TEST_CASE("pci config header: BARs decode only with Memory Space, where they are now", "[pci]") {
  ConfigHeader h(kIdentity);
  REQUIRE(h.set_memory_bar(0, 0x8000, 0xc0000000));
  REQUIRE(h.set_memory_bar(3, 0x1000, 0xc0100000));
  const auto none = [](const BarWindows& w) {
    for (const BarWindow& b : w) {
      if (b.size != 0) return false;
    }
    return true;
  };
  CHECK(none(h.bar_windows()));
  h.write(at(Header::kCommand), 2, command::kIoSpace | command::kBusMaster);
  CHECK(none(h.bar_windows()));

  h.write(at(Header::kCommand), 2, command::kMemorySpace);
  BarWindows w = h.bar_windows();
  CHECK(w[0].base == 0xc0000000);
  CHECK(w[0].size == 0x8000);
  CHECK(w[3].base == 0xc0100000);
  CHECK(w[3].size == 0x1000);
  CHECK(w[1].size == 0);

  // Moved: the window follows.
  h.write(kBar0, 4, 0xc0208000);
  w = h.bar_windows();
  CHECK(w[0].base == 0xc0208000);
  CHECK(w[0].size == 0x8000);
  // Holding the sizing pattern, or at 0: nowhere.
  h.write(kBar0, 4, kAllOnes);
  CHECK(h.bar_windows()[0].size == 0);
  CHECK(h.bar_windows()[3].size == 0x1000);
  h.write(kBar0, 4, 0);
  CHECK(h.bar_windows()[0].size == 0);
  h.write(kBar0, 4, 0xc0000000);
  CHECK(h.bar_windows()[0].size == 0x8000);
  // Memory Space off again: nothing.
  h.write(at(Header::kCommand), 2, 0);
  CHECK(none(h.bar_windows()));
}

TEST_CASE("pci config header: capabilities form a list pci_find_capability walks", "[pci]") {
  ConfigHeader h(kIdentity);
  CHECK(capability_chain(h).empty());
  const uint16_t a = h.add_capability(CapabilityId::kMsix, 12);
  const uint16_t b = h.add_capability(CapabilityId::kVendorSpecific, 16);
  const uint16_t c = h.add_capability(CapabilityId::kVendorSpecific, 20);
  CHECK(a == kFirstCapability);
  CHECK(b == a + 12);
  CHECK(c == b + 16);
  CHECK((h.read(at(Header::kStatus), 2) & status::kCapabilitiesList) != 0);
  CHECK(h.read(at(Header::kCapabilities), 1) == a);
  CHECK(capability_chain(h) == std::vector<uint16_t>{a, b, c});
  CHECK(h.read(a, 1) == static_cast<uint8_t>(CapabilityId::kMsix));
  CHECK(h.read(b, 1) == static_cast<uint8_t>(CapabilityId::kVendorSpecific));
  CHECK(h.read(c + 1, 1) == 0);  // the end of the list

  // The list and the capability's bytes are read-only until opened.
  h.write(a, 4, kAllOnes);
  h.write(b + 4, 4, kAllOnes);
  CHECK(h.read(a, 4) == (uint32_t{b} << 8 | 0x11));
  CHECK(h.read(b + 4, 4) == 0);
  h.set(b + 4, 4, 0x12345678);
  CHECK(h.read(b + 4, 4) == 0x12345678);
  h.open_for_writes(b + 4, 2, 0x00ff);
  h.write(b + 4, 4, 0);
  CHECK(h.read(b + 4, 4) == 0x12345600);  // only the opened byte changed
}

TEST_CASE("pci config header: capability lengths and a full space are refused", "[pci]") {
  ConfigHeader h(kIdentity);
  CHECK(h.add_capability(CapabilityId::kMsi, 0) == 0);
  CHECK(h.add_capability(CapabilityId::kMsi, 2) == 0);
  CHECK(h.add_capability(CapabilityId::kMsi, 6) == 0);   // not a multiple of 4
  CHECK(h.add_capability(CapabilityId::kMsi, 68) == 0);  // over 64
  CHECK(h.read(at(Header::kStatus), 2) == 0);            // nothing was linked
  // 40h to FFh is 192 bytes: three of 64 fill it exactly.
  CHECK(h.add_capability(CapabilityId::kVendorSpecific, 64) == 0x40);
  CHECK(h.add_capability(CapabilityId::kVendorSpecific, 64) == 0x80);
  CHECK(h.add_capability(CapabilityId::kVendorSpecific, 64) == 0xc0);
  CHECK(h.add_capability(CapabilityId::kVendorSpecific, 4) == 0);
  CHECK(capability_chain(h) == std::vector<uint16_t>{0x40, 0x80, 0xc0});
}

TEST_CASE("pci config header: accesses at the end of the space stop at 256 bytes", "[pci]") {
  ConfigHeader h(kIdentity);
  h.set(0xfc, 4, 0x44332211);
  h.open_for_writes(0xfc, 4, kAllOnes);
  CHECK(h.read(0xfc, 4) == 0x44332211);
  CHECK(h.read(0xfe, 4) == 0x4433);  // bytes past the space read 0
  CHECK(h.read(0xff, 2) == 0x44);
  CHECK(h.read(0x100, 4) == 0);
  h.write(0xfe, 4, 0xaabbccdd);  // writes stop at the end as well
  CHECK(h.read(0xfc, 4) == 0xccdd2211);
  h.write(0x100, 4, kAllOnes);
  h.set(0x1fe, 4, kAllOnes);
  h.open_for_writes(0xffff, 4, kAllOnes);
  CHECK(h.read(0xfc, 4) == 0xccdd2211);
  // A size above 4 reads 4 bytes at most.
  CHECK(h.read(0, 8) == 0x56781234);
}
