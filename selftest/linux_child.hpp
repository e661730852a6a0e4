// A Linux child as the self-tests run it (linux-children, vm-isolation): a LinuxVm whose
// console goes into ConsoleLines (or nowhere), run() on its own thread, and its end collected
// with a deadline after which it is stopped.
#pragma once

#include <stdint.h>

#include <chrono>
#include <expected>
#include <future>
#include <memory>
#include <span>
#include <string>

#include "selftest/console_lines.hpp"
#include "selftest/selftest_context.hpp"
#include "vmm/backend.hpp"
#include "vmm/linux_vm.hpp"

namespace rootstock::selftest {

/// What to build.
struct ChildRunConfig {
  std::span<const uint8_t> kernel;
  std::span<const uint8_t> initramfs;
  uint64_t ram_mib = 256;
  uint32_t vcpus = 1;
  std::string cmdline;
  std::string console_prefix;  ///< of its console lines ("child0: "); empty: the console is dropped
  std::shared_ptr<vmm::ExtraDevices> extra_devices;  ///< its virtio devices; null: none
  bool doorbells = true;                             ///< vmm::LinuxVmConfig::doorbells
};

/// One child. Built, then start(); finish() ends it.
struct ChildRun {
  std::unique_ptr<ConsoleLines> console;  ///< null when the console is dropped
  std::unique_ptr<vmm::LinuxVm> vm;
  std::future<vmm::LinuxVmExit> ended;  ///< valid once started; its console closes at the end
};

/// What the Linux self-tests need before they build children: the default child's images and
/// the VMM's backend, with the kick handler installed.
struct LinuxChildSetup {
  DefaultChildImages images;
  std::unique_ptr<vmm::Backend> backend;
};

/// Gets both, or says why not.
[[nodiscard]] std::expected<LinuxChildSetup, std::string> set_up_linux_children(
    SelftestContext& context);

/// Builds the VM (nothing runs yet), its console lines shown through `context`; the loader's or
/// the VMM's error if it cannot.
[[nodiscard]] vmm::Result<ChildRun> build_child(SelftestContext& context, vmm::Backend& backend,
                                                const ChildRunConfig& config);
/// Runs it on its own thread.
void start(ChildRun& child);
/// How it ended: waited for up to `deadline`, after which it is stopped.
vmm::LinuxVmExit finish(ChildRun& child, std::chrono::steady_clock::duration deadline);

}  // namespace rootstock::selftest
