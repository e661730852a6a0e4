// PID 1's duties (DESIGN.md §3): mount, set up the console, read its options, announce
// root-init, reap every child, load modules, run self-tests, start the appliance (the VMs from
// specs), and power off or reboot in order on request (signals, Ctrl-Alt-Del, the ACPI power
// button), the VMs first. It never returns and never exits.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "appliance/api_router.hpp"
#include "appliance/api_server.hpp"
#include "appliance/appliance.hpp"
#include "appliance/image_store.hpp"
#include "appliance/tls_server.hpp"
#include "data_partition.hpp"
#include "esp_config.hpp"
#include "event_loop.hpp"
#include "mounts.hpp"
#include "options.hpp"
#include "raw_terminal.hpp"
#include "shutdown.hpp"
#include "system.hpp"
#include "vmm/backend.hpp"

namespace rootstock::init {

/// The RAM the kernel manages, from /proc/iomem's top-level "System RAM" ranges (the e820
/// usable ranges it kept): what PID 1 reports as ram_mib.
uint64_t system_ram_bytes(const std::string& iomem);

/// The running init.
/// Where the initramfs holds the hvroot driver (image/initramfs/root.list.in).
inline constexpr const char* kHvrootModule = "/lib/modules/hvroot.ko";

class PidOne {
 public:
  explicit PidOne(System& sys) : sys_(sys) {}

  /// Runs PID 1 to the end (power-off or reboot).
  [[noreturn]] void run();

  /// Called with the exit of every child PID 1 reaps (the self-tests and, later, the VMM
  /// watch their children through it). Keyed by PID; one-shot.
  void on_exit(pid_t pid, std::function<void(int status)> callback);
  /// Exits of children nobody asked about (orphans reparented to PID 1 among them).
  const std::vector<Reaped>& unclaimed_exits() const { return unclaimed_; }

  EventLoop& loop() { return loop_; }
  System& system() { return sys_; }
  const Options& options() const { return options_; }

 private:
  void start();
  void open_state();
  void apply_configuration();
  void write_first_boot_vms();
  void load_hvroot();
  void watch_signals();
  void watch_power_buttons();
  void reap();
  void run_selftests();
  void start_appliance();
  void define_vms();
  void start_api();
  // The certificate and key the configuration names (read from the ESP), checked.
  [[nodiscard]] std::expected<appliance::TlsIdentity, std::string> supplied_api_identity() const;
  [[noreturn]] void shut_down(PowerAction action, const std::string& reason);
  [[noreturn]] void fatal(const std::string& message);

  System& sys_;
  EventLoop loop_;
  Options options_;
  EspConfig config_;                   // from the boot disk's ESP, or the defaults
  std::optional<DataPartition> data_;  // mounted at kDataMount
  std::vector<MountSpec> mounted_;
  std::map<pid_t, std::function<void(int)>> exit_callbacks_;
  std::vector<Reaped> unclaimed_;
  bool stopping_ = false;
  bool hvroot_loaded_ = false;
  std::unique_ptr<vmm::Backend> backend_;  // hvroot, for the appliance's VMs
  // The appliance's JSON-lines log (VM starts and ends, API requests): before the appliance,
  // which writes to it, and gone after it.
  std::unique_ptr<appliance::EventLog> log_;
  std::unique_ptr<appliance::Appliance> appliance_;
  // The management API over the network (docs/api.md): its routes over the appliance's VMs and
  // the server that takes connections; the server goes first at shutdown.
  std::unique_ptr<appliance::ImageStore> images_;       // on the data partition, for the API
  std::unique_ptr<appliance::TlsServer> api_tls_;       // its HTTPS, unless api.tls is false
  std::unique_ptr<appliance::MetricsFlusher> metrics_;  // the VMs' metrics files, for the API
  std::unique_ptr<appliance::ApiRouter> api_router_;
  std::unique_ptr<appliance::ApiServer> api_server_;
  std::unique_ptr<RawTerminal> raw_terminal_;  // while the appliance takes console input
};

}  // namespace rootstock::init
