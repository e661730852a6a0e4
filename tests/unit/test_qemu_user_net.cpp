// The harness's guestfwd on a QEMU command line (--http-file): where it goes, and the command
// lines it refuses.
#include <catch2/catch_test_macros.hpp>
#include <string>
#include <vector>

#include "qemu_user_net.hpp"

using namespace rootstock::harness;

TEST_CASE("guest endpoint: A.B.C.D:PORT and nothing else", "[harness]") {
  const auto ep = parse_guest_endpoint("10.0.2.100:80");
  REQUIRE(ep);
  CHECK(ep->address == "10.0.2.100");
  CHECK(ep->port == 80);
  CHECK(parse_guest_endpoint("10.0.2.9:65535")->port == 65535);
  for (const char* bad : {"10.0.2.100", "10.0.2.100:", "10.0.2.100:0", "10.0.2.100:65536",
                          "10.0.2.100:8x", "host:80", "10.0.2:80", ":80", "::1:80"}) {
    INFO(bad);
    CHECK_FALSE(parse_guest_endpoint(bad));
  }
}

TEST_CASE("guestfwd goes on the first restricted user network", "[harness]") {
  const GuestEndpoint guest{"10.0.2.100", 80};
  std::vector<std::string> cmd = {
      "qemu-system-x86_64", "-m", "1G", "-nic", "user,model=virtio-net-pci,restrict=on", "-nic",
      "user,restrict=on"};
  CHECK_FALSE(add_guestfwd(cmd, guest, 40123));
  CHECK(cmd[4] ==
        "user,model=virtio-net-pci,restrict=on,guestfwd=tcp:10.0.2.100:80-tcp:127.0.0.1:40123");
  CHECK(cmd[6] == "user,restrict=on");

  std::vector<std::string> netdev = {"qemu", "-netdev", "user,id=n0,restrict=yes", "-device",
                                     "virtio-net-pci,netdev=n0"};
  CHECK_FALSE(add_guestfwd(netdev, {"10.0.2.7", 8080}, 5));
  CHECK(netdev[2] == "user,id=n0,restrict=yes,guestfwd=tcp:10.0.2.7:8080-tcp:127.0.0.1:5");
}

TEST_CASE("guestfwd is refused without a user network or without restrict=on", "[harness]") {
  const GuestEndpoint guest{"10.0.2.100", 80};
  std::vector<std::string> none = {"qemu", "-nic", "none", "-append", "user,restrict=on"};
  const auto no_user = add_guestfwd(none, guest, 1);
  REQUIRE(no_user);
  CHECK(no_user->find("no QEMU user network") != std::string::npos);
  CHECK(none[4] == "user,restrict=on");  // not a -nic or -netdev value: left alone

  for (const char* open : {"user", "user,model=e1000e", "user,restrict=off", "user,restrict=onx",
                           "user,norestrict=on"}) {
    INFO(open);
    std::vector<std::string> cmd = {"qemu", "-nic", open};
    const auto refused = add_guestfwd(cmd, guest, 1);
    REQUIRE(refused);
    CHECK(refused->find("lacks restrict=on") != std::string::npos);
    CHECK(cmd[2] == open);
  }
  // "usermode" is no user network.
  std::vector<std::string> other = {"qemu", "-netdev", "usermode,restrict=on"};
  CHECK(add_guestfwd(other, guest, 1));
}

TEST_CASE("hostfwd reaches the guest's port from 127.0.0.1 only, restricted networks only",
          "[harness]") {
  std::vector<std::string> cmd = {"qemu", "-nic", "user,model=e1000e,restrict=on"};
  CHECK_FALSE(add_hostfwd(cmd, 40001, 8080));
  CHECK(cmd[2] == "user,model=e1000e,restrict=on,hostfwd=tcp:127.0.0.1:40001-:8080");
  std::vector<std::string> open = {"qemu", "-nic", "user"};
  CHECK(add_hostfwd(open, 40001, 8080));
  CHECK(open[2] == "user");
  CHECK(free_loopback_port() != 0);
}
