// A VM spec's virtio devices (appliance/virtio_devices.hpp): the MAC an interface gets when its
// spec names none, the refusals that come before anything is opened, and the vsock's socket,
// there while the devices are and refused where it cannot be made.
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <string>

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
        "6 virtio devices (drives, interfaces, entropy, vsock and the console); at most 5 work "
        "over "
        "virtio-mmio");
  // Over PCI the count is fine, and the missing file is what refuses.
  spec.virtio_transport = VirtioTransport::kPci;
  auto missing = VirtioDevices::open(spec, "vm");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().starts_with("drive d0: "));
}

TEST_CASE("virtio devices: a spec's vsock listens at uds_path while the devices exist",
          "[appliance]") {
  char pattern[] = "/tmp/rootstock-vsock-spec-XXXXXX";
  REQUIRE(::mkdtemp(pattern) != nullptr);
  const std::string dir = pattern;
  VmSpec spec;
  spec.vsock = Vsock{3, dir + "/v.sock", std::nullopt};
  struct stat st{};
  {
    auto devices = VirtioDevices::open(spec, "vm");
    REQUIRE(devices);
    REQUIRE(::lstat((dir + "/v.sock").c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    // A second VM with the same uds_path is refused, naming the path.
    auto second = VirtioDevices::open(spec, "other");
    REQUIRE_FALSE(second);
    CHECK(second.error().find("vsock uds_path " + dir + "/v.sock: in use") == 0);
  }
  CHECK(::lstat((dir + "/v.sock").c_str(), &st) != 0);  // removed with the device
  // Where no socket can be made (no such folder): refused with the path.
  spec.vsock->uds_path = dir + "/missing/v.sock";
  auto refused = VirtioDevices::open(spec, "vm");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().find(dir + "/missing/v.sock") != std::string::npos);
  // The vsock takes a slot: with five drives over virtio-mmio it is one too many.
  spec.virtio_transport = VirtioTransport::kMmio;
  spec.vsock->uds_path = dir + "/v.sock";
  for (int i = 0; i < 4; ++i) {
    spec.drives.push_back(Drive{"d" + std::to_string(i), "/nonexistent", false, false, std::nullopt,
                                CacheType::kUnsafe, IoEngine::kSync});
  }
  auto full = VirtioDevices::open(spec, "vm");
  REQUIRE_FALSE(full);
  CHECK(full.error().starts_with("6 virtio devices"));
  ::rmdir(dir.c_str());
}
