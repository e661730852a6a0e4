// PID 1's own options, `rootstock.*` on the kernel command line (DESIGN.md §7: hv passes every
// option that is not its own through to the root kernel, so these reach PID 1).
//
//   rootstock.selftest=NAME[,NAME...]   run the named self-tests after start-up
//   rootstock.selftest_steps=STEP[,STEP...]  only these steps of a self-test that has steps
//                                       (hostile-root), e.g. to see one fail alone
//   rootstock.on_fatal=stay|poweroff|reboot   what follows a fatal error (default stay: the
//                                       appliance stays up, reaping, for diagnosis)
//   rootstock.vm=on|off                 start the default child VM at boot (default on)
//   rootstock.vm_vcpus=N                its vCPUs, 1-64 (default 2)
//   rootstock.vm_mem_mib=N              its memory, 16-1024 MiB (default 256)
//   rootstock.vm_cmdline="..."          its kernel command line (default: its console on
//                                       ttyS0); the VMM adds its timer options
//   rootstock.vm_specs=DIR              the folder of VM spec files (NAME.json, Firecracker's
//                                       /vm/config shape) defined at boot (default
//                                       /etc/rootstock/vms)
//   rootstock.stop_timeout=SECONDS      how long the VMs get to power off after the power
//                                       button when the appliance shuts down, 0-3600 (default
//                                       the configuration file's, else 30); then they are
//                                       stopped
//   rootstock.hostname=NAME             the root's host name; overrides the configuration
//                                       file's (default rootstock)
//   rootstock.esp=GUID                  the GPT partition the appliance booted from (rootstock
//                                       .efi adds it): its disk holds the data partition and
//                                       the configuration file
//   rootstock.data_wait=SECONDS         how long PID 1 waits for that disk to appear, 0-600
//                                       (default 30); then it runs without its state
//   rootstock.abuse_calls=N             the hypercall-abuse self-test's random calls,
//                                       1-100000000 (default 100000)
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "image/gpt/guid.hpp"

namespace rootstock::init {

/// What follows a fatal error in PID 1 (it must never exit: that panics the kernel).
enum class FatalAction { kStay, kPowerOff, kReboot };

/// The default child VM (DESIGN.md §3: the appliance exists to run it).
struct VmOptions {
  bool start = true;
  uint32_t vcpus = 2;
  uint64_t mem_mib = 256;
  std::string cmdline = "console=ttyS0";
};

/// PID 1's options and what was wrong with the command line.
struct Options {
  std::vector<std::string> selftests;
  std::vector<std::string> selftest_steps;  ///< empty: every step
  FatalAction on_fatal = FatalAction::kStay;
  VmOptions vm;
  std::string vm_specs = "/etc/rootstock/vms";
  std::optional<uint32_t> stop_timeout_s;  ///< absent: the configuration file's
  std::optional<std::string> hostname;     ///< absent: the configuration file's
  std::optional<gpt::Guid> esp;            ///< absent: not booted from a GPT partition
  uint32_t data_wait_s = 30;
  uint64_t abuse_calls = 100000;
  std::vector<std::string> problems;  ///< "rootstock.x=y: why", reported at start-up
};

/// Reads the `rootstock.*` words of a kernel command line (the contents of /proc/cmdline).
/// Other words are the kernel's and ignored; quoted values keep their spaces.
Options parse_options(std::string_view cmdline);

}  // namespace rootstock::init
