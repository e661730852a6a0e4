// A VM spec's virtio devices (appliance/virtio_devices.hpp): the MAC an interface gets when its
// spec names none, and the refusals that come before anything is opened.
#include <catch2/catch_test_macros.hpp>

#include "appliance/virtio_devices.hpp"

using namespace rootstock::appliance;

TEST_CASE(
    "virtio devices: a derived MAC is stable, local, unicast, and differs by VM and "
    "interface",
    "[appliance]") {
  const auto mac = derived_mac("web", "eth0");
  CHECK(mac == derived_mac("web", "eth0"));
  CHECK(mac[0] == 0x02);  // locally administered, unicast
  CHECK(mac != derived_mac("web", "eth1"));
  CHECK(mac != derived_mac("db", "eth0"));
  // The separator keeps ("ab", "c") and ("a", "bc") apart.
  CHECK(derived_mac("ab", "c") != derived_mac("a", "bc"));
}

TEST_CASE("virtio devices: more devices than the transport has slots are refused", "[appliance]") {
  VmSpec spec;
  spec.virtio_transport = VirtioTransport::kMmio;
  for (int i = 0; i < 5; ++i) {
    spec.drives.push_back(Drive{"d" + std::to_string(i), "/nonexistent", false, false, std::nullopt,
                                CacheType::kUnsafe, IoEngine::kSync});
  }
  // Five drives and the console: six, where virtio-mmio has five slots.
  auto refused = VirtioDevices::open(spec, "vm");
  REQUIRE_FALSE(refused);
  CHECK(refused.error() ==
        "6 virtio devices (drives, interfaces, entropy and the console); at most 5 work over "
        "virtio-mmio");
  // Over PCI the count is fine, and the missing file is what refuses.
  spec.virtio_transport = VirtioTransport::kPci;
  auto missing = VirtioDevices::open(spec, "vm");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().starts_with("drive d0: "));
}
