// PID 1's sequencing logic against a recording fake: its options, the mounts, stopping
// processes with escalation, and the shutdown order (stop, sync, unmount in reverse, milestone,
// power off). Module error texts are checked here too.
#include <linux/reboot.h>
#include <sys/mount.h>

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <cerrno>

#include "fake_system.hpp"
#include "modules.hpp"
#include "mounts.hpp"
#include "options.hpp"
#include "pid_one.hpp"
#include "shutdown.hpp"

using namespace rootstock::init;
using rootstock::testing::FakeSystem;

namespace {

size_t index_of(const std::vector<std::string>& calls, const std::string& call) {
  return static_cast<size_t>(std::find(calls.begin(), calls.end(), call) - calls.begin());
}

}  // namespace

TEST_CASE("init options: rootstock.* words, kernel words ignored, problems kept", "[init]") {
  const Options o = parse_options(
      "console=ttyS0 quiet rootstock.selftest=init,linux-children rootstock.on_fatal=poweroff "
      "rootstock.bogus=1 rootstock.selftest= rootstock.on_fatal=never "
      "rootstock.selftest=\"bad name\"\n");
  CHECK(o.selftests == std::vector<std::string>{"init", "linux-children"});
  CHECK(o.on_fatal == FatalAction::kPowerOff);
  REQUIRE(o.problems.size() == 4);
  CHECK(o.problems[0] == "rootstock.bogus=1: unknown rootstock option");
  CHECK(o.problems[1].find("rootstock.selftest=:") == 0);
  CHECK(o.problems[2].find("is not stay, poweroff or reboot") != std::string::npos);
  CHECK(o.problems[3].find("rootstock.selftest=bad name") == 0);
  CHECK(parse_options("").on_fatal == FatalAction::kStay);
}

TEST_CASE("init options: the default child VM", "[init]") {
  const Options d = parse_options("console=ttyS0");
  CHECK(d.vm.start);
  CHECK(d.vm.vcpus == 2);
  CHECK(d.vm.mem_mib == 256);
  CHECK(d.vm.cmdline == "console=ttyS0");
  const Options o = parse_options(
      "rootstock.vm=off rootstock.vm_vcpus=4 rootstock.vm_mem_mib=512 "
      "rootstock.vm_cmdline=\"console=ttyS0 quiet\"");
  CHECK_FALSE(o.vm.start);
  CHECK(o.vm.vcpus == 4);
  CHECK(o.vm.mem_mib == 512);
  CHECK(o.vm.cmdline == "console=ttyS0 quiet");
  CHECK(o.problems.empty());
  const Options bad = parse_options(
      "rootstock.vm=maybe rootstock.vm_vcpus=0 rootstock.vm_vcpus=65 rootstock.vm_mem_mib=8 "
      "rootstock.vm_mem_mib=2048 rootstock.vm_vcpus=-1 rootstock.vm_mem_mib=1234567890");
  CHECK(bad.problems.size() == 7);
  CHECK(bad.vm.start);  // refused values change nothing
  CHECK(bad.vm.vcpus == 2);
  CHECK(bad.vm.mem_mib == 256);
}

TEST_CASE("init options: the steps of a self-test", "[init]") {
  CHECK(parse_options("").selftest_steps.empty());
  const Options o = parse_options("rootstock.selftest_steps=apic-base,cpu-hotplug");
  CHECK(o.selftest_steps == std::vector<std::string>{"apic-base", "cpu-hotplug"});
  CHECK(parse_options("rootstock.selftest_steps=a,,b").problems.size() == 1);
}

TEST_CASE("init options: the hypercall-abuse stream's length", "[init]") {
  CHECK(parse_options("").abuse_calls == 100000);
  CHECK(parse_options("rootstock.abuse_calls=1000000").abuse_calls == 1000000);
  const Options bad = parse_options(
      "rootstock.abuse_calls=0 rootstock.abuse_calls=x rootstock.abuse_calls=100000001");
  CHECK(bad.problems.size() == 3);
  CHECK(bad.abuse_calls == 100000);
}

TEST_CASE("init options: the VM spec folder and the shutdown bound", "[init]") {
  const Options d = parse_options("");
  CHECK(d.vm_specs == "/etc/rootstock/vms");
  CHECK_FALSE(d.stop_timeout_s.has_value());
  const Options o = parse_options("rootstock.vm_specs=/data/vms rootstock.stop_timeout=0");
  CHECK(o.vm_specs == "/data/vms");
  CHECK(o.stop_timeout_s == 0);
  CHECK(o.problems.empty());
  const Options bad =
      parse_options("rootstock.vm_specs=vms rootstock.stop_timeout=3601 rootstock.stop_timeout=-1");
  CHECK(bad.problems.size() == 3);
  CHECK(bad.vm_specs == "/etc/rootstock/vms");
  CHECK_FALSE(bad.stop_timeout_s.has_value());
}

TEST_CASE("init mounts: each target made and mounted, failures reported and skipped", "[init]") {
  FakeSystem sys;
  sys.mount_errors["/sys"] = ENODEV;
  sys.mount_errors["/dev"] = EBUSY;  // already mounted: fine
  std::vector<std::string> errors;
  const auto mounted = mount_all(sys, early_mounts(), errors);
  REQUIRE(mounted.size() == 3);
  CHECK(mounted[0].target == "/proc");
  CHECK(mounted[1].target == "/dev");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("cannot mount sysfs on /sys") == 0);
  CHECK(index_of(sys.calls, "mkdir /proc") < index_of(sys.calls, "mount proc /proc"));
}

TEST_CASE("init stop: SIGTERM, grace, SIGKILL only for those who ignore it", "[init]") {
  FakeSystem sys;
  sys.children = {{10, {}}, {11, {SIGTERM}}, {12, {}}};
  StopPolicy policy;
  policy.grace = std::chrono::milliseconds(200);
  const StopReport r = stop_processes(sys, policy);
  CHECK(r.all_gone);
  CHECK(r.killed);
  REQUIRE(r.reaped.size() == 3);
  CHECK(r.reaped.back().pid == 11);
  CHECK(r.reaped.back().status == SIGKILL);
  CHECK(sys.slept_ms >= 200);  // the grace period was given
  CHECK(index_of(sys.calls, "kill -1 15") < index_of(sys.calls, "kill -1 9"));

  FakeSystem polite;
  polite.children = {{20, {}}};
  const StopReport p = stop_processes(polite, policy);
  CHECK(p.all_gone);
  CHECK_FALSE(p.killed);
  CHECK(index_of(polite.calls, "kill -1 9") == polite.calls.size());  // never sent
}

TEST_CASE("init shutdown: stop, sync, unmount in reverse, then power off", "[init]") {
  FakeSystem sys;
  sys.children = {{30, {}}};
  sys.unmount_errors["/dev"] = EBUSY;  // the console is open on it
  std::vector<std::string> errors;
  const auto mounted = mount_all(sys, early_mounts(), errors);
  sys.calls.clear();
  std::vector<std::string> said;
  shut_down(sys, PowerAction::kPowerOff, "test", mounted, StopPolicy{},
            [&](const std::string& s) { said.push_back(s); });
  const auto& c = sys.calls;
  const size_t term = index_of(c, "kill -1 15");
  const size_t first_sync = index_of(c, "sync");
  const size_t run = index_of(c, "umount /run");
  const size_t dev = index_of(c, "umount /dev");
  const size_t dev_detach = index_of(c, "umount /dev detach");
  const size_t proc = index_of(c, "umount /proc");
  const size_t off = index_of(c, "reboot " + std::to_string(LINUX_REBOOT_CMD_POWER_OFF));
  REQUIRE(off < c.size());
  CHECK(term < first_sync);
  CHECK(first_sync < run);
  CHECK(run < dev);
  CHECK(dev < dev_detach);
  CHECK(dev_detach < proc);
  CHECK(proc < off);
  CHECK(off == c.size() - 1);
  // A failing reboot(2) is said, not hidden.
  FakeSystem stuck;
  stuck.reboot_result = EPERM;
  said.clear();
  shut_down(stuck, PowerAction::kReboot, "test", {}, StopPolicy{},
            [&](const std::string& s) { said.push_back(s); });
  CHECK(said.back().find("reboot(2) failed") == 0);
  CHECK(index_of(stuck.calls, "reboot " + std::to_string(LINUX_REBOOT_CMD_RESTART)) <
        stuck.calls.size());
}

TEST_CASE("init modules: errors in words", "[init]") {
  CHECK(module_error_text(ENOENT) == "no such file");
  CHECK(module_error_text(ENOEXEC).find("not a valid module") == 0);
  CHECK(module_error_text(EEXIST).find("already loaded") != std::string::npos);
  CHECK_FALSE(module_error_text(EIO).empty());
  const auto r = load_module("/nonexistent/x.ko", "");
  REQUIRE_FALSE(r);
  CHECK(r.error() == "cannot load module /nonexistent/x.ko: no such file");
}

TEST_CASE("init: RAM from /proc/iomem counts top-level System RAM only", "[init]") {
  const std::string iomem =
      "00000000-00000fff : Reserved\n"
      "00001000-0009fbff : System RAM\n"
      "000f0000-000fffff : System ROM\n"
      "00100000-05ffffff : Reserved\n"
      "06000000-3bdfffff : System RAM\n"
      "  01000000-01ffffff : Kernel code\n"
      "  02000000-020fffff : System RAM\n"
      "100000000-13fffffff : System RAM\n";
  CHECK(rootstock::init::system_ram_bytes(iomem) ==
        (0x9fc00 - 0x1000) + (0x3be00000 - 0x6000000) + 0x40000000ull);
  CHECK(rootstock::init::system_ram_bytes("") == 0);
}
