// The root's ICR writes as hv reads them (hv/root/apic_startup.hpp): INIT and STARTUP are
// hv's to emulate, NMIs become requests on exactly the CPUs the write names, and the rest is
// sent on. Values are built from the SDM's ICR layout (vol. 3A, 11.6.1).
#include <catch2/catch_test_macros.hpp>
#include <cstdint>

#include "root/apic_startup.hpp"

using hv::root::decode_icr;
using hv::root::icr_addresses;
using hv::root::IcrAction;
namespace bits = hv::root::icr_bits;

namespace {

constexpr uint64_t kFixed = 0x0u << 8;

uint64_t x2apic_icr(uint32_t destination, uint32_t low) {
  return (uint64_t{destination} << 32) | low;
}

uint64_t xapic_icr(uint8_t destination, uint32_t low) {
  return (uint64_t{destination} << 56) | low;
}

}  // namespace

TEST_CASE("root ICR: INIT, STARTUP and fixed IPIs keep their meaning", "[hv][isolation][icr]") {
  CHECK(decode_icr(x2apic_icr(1, bits::kDeliveryInit | bits::kLevelAssert), true).action ==
        IcrAction::kInit);
  CHECK(decode_icr(x2apic_icr(1, bits::kDeliveryInit | bits::kTriggerLevel), true).action ==
        IcrAction::kIgnore);
  const auto startup = decode_icr(xapic_icr(3, bits::kDeliveryStartup | 0x9a), false);
  CHECK(startup.action == IcrAction::kStartup);
  CHECK(startup.vector == 0x9a);
  CHECK(startup.destination == 3);
  CHECK(decode_icr(x2apic_icr(1, kFixed | 0xfd), true).action == IcrAction::kForward);
}

TEST_CASE("root ICR: an NMI is hv's to deliver, to the CPUs it names", "[hv][isolation][icr]") {
  const uint32_t nmi = bits::kDeliveryNmi | bits::kLevelAssert;
  SECTION("physical x2APIC destination") {
    const auto w = decode_icr(x2apic_icr(0x21, nmi), true);
    REQUIRE(w.action == IcrAction::kNmi);
    CHECK(icr_addresses(w, 0x21, false));
    CHECK_FALSE(icr_addresses(w, 0x20, false));
    CHECK_FALSE(icr_addresses(w, 0x121, false));  // all 32 bits count in x2APIC mode
  }
  SECTION("physical xAPIC destination and its broadcast") {
    const auto w = decode_icr(xapic_icr(2, nmi), false);
    REQUIRE(w.action == IcrAction::kNmi);
    CHECK(icr_addresses(w, 2, false));
    CHECK_FALSE(icr_addresses(w, 1, false));
    const auto all = decode_icr(xapic_icr(0xff, nmi), false);
    CHECK(icr_addresses(all, 0, true));
    CHECK(icr_addresses(all, 7, false));
  }
  SECTION("shorthands") {
    const auto self = decode_icr(x2apic_icr(9, nmi | bits::kShorthandSelf), true);
    REQUIRE(self.action == IcrAction::kNmi);
    CHECK(icr_addresses(self, 4, true));
    CHECK_FALSE(icr_addresses(self, 9, false));  // the destination field is ignored
    const auto others = decode_icr(xapic_icr(0, nmi | bits::kShorthandAllButSelf), false);
    CHECK(icr_addresses(others, 1, false));
    CHECK_FALSE(icr_addresses(others, 0, true));
    const auto all = decode_icr(xapic_icr(0, nmi | bits::kShorthandAllIncludingSelf), false);
    CHECK(icr_addresses(all, 0, true));
    CHECK(icr_addresses(all, 5, false));
  }
  SECTION("x2APIC logical: a cluster and a bit per member") {
    // Cluster 1 (APIC IDs 16-31), members 0 and 3: APIC IDs 16 and 19.
    const auto w = decode_icr(x2apic_icr((1u << 16) | 0x9, nmi | bits::kDestinationLogical), true);
    REQUIRE(w.action == IcrAction::kNmi);
    CHECK(icr_addresses(w, 16, false));
    CHECK(icr_addresses(w, 19, false));
    CHECK_FALSE(icr_addresses(w, 17, false));
    CHECK_FALSE(icr_addresses(w, 0, false));  // member 0 of cluster 0
    CHECK_FALSE(icr_addresses(w, 35, false));
    const auto all = decode_icr(x2apic_icr(0xffffffff, nmi | bits::kDestinationLogical), true);
    CHECK(icr_addresses(all, 35, false));
  }
  SECTION("xAPIC logical: hv cannot resolve it and sends it as written") {
    const auto w = decode_icr(xapic_icr(0x3, nmi | bits::kDestinationLogical), false);
    CHECK(w.action == IcrAction::kForward);
  }
}
