// rootstock.selftest=virtio-exits: the exits a virtio request costs, with hvroot's doorbells
// and without (docs/virtio.md "Threads and kicks"). The default child with a virtio-blk disk
// (a file in the root) and a virtio-net NIC on the VMs' bridge runs its exit-figures command
// (image/child/init.sh): 1024 direct 4 KiB reads of the disk, then 200 pings of the root; it
// waits for a typed line before each workload and prints a line after it, and the root reads
// the vCPU's exit counters at both points. Counted, per request and per packet: guest exits
// to hv (rs_run_page.exit_stats), returns to the root (exit_count: hvroot's run loop) and
// exits to the VMM (the port and MMIO exits it handled). Checks that with doorbells a request
// or a packet costs the VMM (almost) no exit and without them about one or more.
#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>

#include "appliance/appliance_config.hpp"
#include "appliance/virtio_devices.hpp"
#include "appliance/vm_spec.hpp"
#include "selftest/console_lines.hpp"
#include "selftest/linux_child.hpp"
#include "selftest/selftests.hpp"

namespace rootstock::selftest {
namespace {

constexpr uint64_t kRamMib = 256;
constexpr auto kInitDeadline = std::chrono::seconds(300);
constexpr auto kStepDeadline = std::chrono::seconds(120);
constexpr auto kAddressWait = std::chrono::seconds(90);
constexpr const char* kDiskPath = "/run/rootstock-virtio-exits.img";
constexpr uint64_t kDiskBytes = 8 * 1024 * 1024;
constexpr int kReads = 1024;  // the child's dd count (init.sh exit-figures)
constexpr const char* kTap = "rs-exits0";
// A fixed address on the LAN the bridge holds (QEMU's user network leases from .15 up).
constexpr const char* kChildAddress = "10.0.2.60";

/// The counters at one moment.
struct Counters {
  uint64_t to_hv = 0;      ///< guest exits hv saw, of every kind
  uint64_t to_root = 0;    ///< returns from VP_RUN with an exit (into hvroot's run loop)
  uint64_t to_vmm = 0;     ///< exits the VMM handled in user space
  uint64_t doorbells = 0;  ///< doorbell rings hv completed
};

Counters read_counters(vmm::LinuxVm& vm) {
  Counters c;
  const vmm::ExitCounts e = vm.exit_counts();
  c.to_hv = e.guest_exits;
  c.to_root = vm.vp_exits();
  c.to_vmm = vm.handled_exits();
  c.doorbells = e.doorbells;
  return c;
}

/// Per unit of work between two readings.
struct PerUnit {
  double to_hv = 0, to_root = 0, to_vmm = 0, doorbells = 0;
};

PerUnit per_unit(const Counters& a, const Counters& b, double units) {
  return {static_cast<double>(b.to_hv - a.to_hv) / units,
          static_cast<double>(b.to_root - a.to_root) / units,
          static_cast<double>(b.to_vmm - a.to_vmm) / units,
          static_cast<double>(b.doorbells - a.doorbells) / units};
}

std::string describe(const PerUnit& p) {
  char line[160];
  std::snprintf(line, sizeof(line), "hv=%.2f root=%.2f vmm=%.2f doorbells=%.2f", p.to_hv, p.to_root,
                p.to_vmm, p.doorbells);
  return line;
}

/// The root's IPv4 address on the VMs' bridge, once it has one (DHCP may still run).
std::optional<std::string> bridge_address() {
  const auto until = std::chrono::steady_clock::now() + kAddressWait;
  for (;;) {
    ifaddrs* list = nullptr;
    std::optional<std::string> found;
    if (::getifaddrs(&list) == 0) {
      for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
        if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
        if (std::string(a->ifa_name) != appliance::kVmBridge) continue;
        char text[INET_ADDRSTRLEN] = {};
        const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
        if (::inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text)) != nullptr) found = text;
      }
      ::freeifaddrs(list);
    }
    if (found || std::chrono::steady_clock::now() > until) return found;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

/// A sparse disk file with a pattern in its first blocks.
bool make_disk() {
  const int fd = ::open(kDiskPath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  std::string block(4096, 'r');
  bool ok = ::ftruncate(fd, static_cast<off_t>(kDiskBytes)) == 0 &&
            ::pwrite(fd, block.data(), block.size(), 0) == static_cast<ssize_t>(block.size());
  ::close(fd);
  return ok;
}

/// What one run of the child measured.
struct Figures {
  bool complete = false;
  PerUnit per_read;
  PerUnit per_packet;
  long long packets = 0;
  std::string clocksource;  ///< the child's, from its blk-reads done line
};

/// Sends the go-ahead after `ready` and reads the counters around the workload that ends with
/// `done`; the done line, or nothing if a step did not come.
std::optional<std::string> measure(ChildRun& child, const std::string& ready,
                                   const std::string& done, Counters& before, Counters& after,
                                   SelftestResult& r) {
  ConsoleLines& console = *child.console;
  const auto got_ready = console.wait_for(ready, 0, kStepDeadline);
  r.check(got_ready.has_value(), "the child did not print \"" + ready + "\"");
  if (!got_ready) return std::nullopt;
  before = read_counters(*child.vm);
  const size_t mark = console.count();
  child.vm->send_input("go\n");
  const auto got_done = console.wait_for(done, mark, kStepDeadline);
  after = read_counters(*child.vm);
  r.check(got_done.has_value(), "the child did not print \"" + done + "\"");
  if (!got_done) return std::nullopt;
  return console.line(got_done->index);
}

Figures run_child(SelftestContext& context, LinuxChildSetup& setup, bool doorbells,
                  const std::string& root_address, SelftestResult& r) {
  Figures f;
  appliance::VmSpec spec;
  appliance::Drive disk;
  disk.drive_id = "exits";
  disk.path_on_host = kDiskPath;
  spec.drives.push_back(disk);
  appliance::NetworkInterface nic;
  nic.iface_id = "eth0";
  nic.host_dev_name = kTap;
  spec.network_interfaces.push_back(nic);
  auto devices = appliance::VirtioDevices::open(spec, "virtio-exits");
  r.check(devices.has_value(), "virtio devices: " + (devices ? std::string() : devices.error()));
  if (!devices) return f;

  ChildRunConfig config;
  config.kernel = setup.images.kernel;
  config.initramfs = setup.images.initramfs;
  config.ram_mib = kRamMib;
  config.vcpus = 1;
  config.cmdline = std::string("console=ttyS0 rootstock.child_cmd=exit-figures rootstock.peer=") +
                   root_address + " ip=" + kChildAddress + "::" + root_address +
                   ":255.255.255.0::eth0:off";
  config.console_prefix = doorbells ? "exits-on: " : "exits-off: ";
  config.extra_devices = std::move(*devices);
  config.doorbells = doorbells;
  auto child = build_child(context, *setup.backend, config);
  r.check(child.has_value(),
          "linux child: " + (child ? std::string() : vmm::describe(child.error())));
  if (!child) return f;
  start(*child);
  const bool reached =
      child->console->wait_for("rootstock-child: init reached", 0, kInitDeadline).has_value();
  r.check(reached, "the child did not reach its init");
  Counters a, b, c, d;
  std::optional<std::string> reads, pings;
  if (reached) {
    reads = measure(*child, "rootstock-child: blk-reads ready", "rootstock-child: blk-reads done",
                    a, b, r);
  }
  if (reads) {
    r.check(line_field(*reads, "read") == kReads, "the child's reads: " + *reads);
    const size_t at = reads->find("clocksource=");
    if (at != std::string::npos)
      f.clocksource = reads->substr(at + 12, reads->find(' ', at) - at - 12);
    pings = measure(*child, "rootstock-child: net-pings ready", "rootstock-child: net-pings done",
                    c, d, r);
  }
  if (pings) {
    f.packets = line_field(*pings, "sent") + line_field(*pings, "received");
    r.check(line_field(*pings, "received") > 0, "the root did not answer the child: " + *pings);
  }
  (void)finish(*child, std::chrono::seconds(0));
  if (!reads || !pings || f.packets <= 0) return f;
  f.complete = true;
  f.per_read = per_unit(a, b, kReads);
  f.per_packet = per_unit(c, d, static_cast<double>(f.packets));
  return f;
}

}  // namespace

void selftest_virtio_exits(SelftestContext& context, SelftestResult& r) {
  auto setup = set_up_linux_children(context);
  if (!setup) return r.check(false, setup.error());
  r.check(make_disk(), std::string("cannot make the disk file ") + kDiskPath);
  const std::optional<std::string> root = bridge_address();
  r.check(root.has_value(), "the root has no address on " + std::string(appliance::kVmBridge));
  if (!root) return;
  const Figures on = run_child(context, *setup, true, *root, r);
  const Figures off = run_child(context, *setup, false, *root, r);
  ::unlink(kDiskPath);
  if (!on.complete || !off.complete) return;
  r.note("virtio-exits: child clocksource=" + on.clocksource);
  r.note("virtio-exits: blk 4k-read doorbells=on " + describe(on.per_read));
  r.note("virtio-exits: blk 4k-read doorbells=off " + describe(off.per_read));
  r.note("virtio-exits: net packet doorbells=on " + describe(on.per_packet) +
         " packets=" + std::to_string(on.packets));
  r.note("virtio-exits: net packet doorbells=off " + describe(off.per_packet) +
         " packets=" + std::to_string(off.packets));
  // The console lines around the workloads cost a few dozen exits at most: 0.25 a request
  // leaves room for them and none for a kick per request.
  r.check(on.per_read.doorbells >= 0.9,
          "with doorbells a read rang none: " + describe(on.per_read));
  r.check(on.per_read.to_vmm < 0.25,
          "with doorbells a read still costs the VMM " + describe(on.per_read));
  r.check(off.per_read.to_vmm >= 0.9,
          "without doorbells a read cost the VMM less than an exit: " + describe(off.per_read));
  // A ping is a transmit kick (the receive ring rarely runs dry, so its kicks are rare); the
  // child's other exits to the VMM (its clock source's port reads under emulation) are the same
  // either way, so each doorbell must have saved the VMM about one exit.
  r.check(on.per_packet.doorbells >= 0.45,
          "with doorbells a ping rang none: " + describe(on.per_packet));
  r.check(off.per_packet.to_vmm - on.per_packet.to_vmm >= 0.8 * on.per_packet.doorbells,
          "doorbells did not spare the VMM an exit each: " + describe(on.per_packet) + " against " +
              describe(off.per_packet));
}

}  // namespace rootstock::selftest
