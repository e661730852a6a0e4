#include "appliance/prometheus_metrics.hpp"

#include <cstdio>

namespace rootstock::appliance {
namespace {

// One metric family: its HELP and TYPE lines, then its samples.
class Family {
 public:
  Family(std::string& out, const char* name, const char* type, const char* help)
      : out_(out), name_(name) {
    out_ += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void sample(const std::string& labels, uint64_t value) {
    out_ += name_ + (labels.empty() ? "" : "{" + labels + "}") + " " + std::to_string(value) + "\n";
  }
  void sample(const std::string& labels, double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", value);
    out_ += name_ + (labels.empty() ? "" : "{" + labels + "}") + " " + text + "\n";
  }

 private:
  std::string& out_;
  std::string name_;
};

std::string vm_label(const std::string& id) {
  return "id=\"" + prometheus_label(id) + "\"";
}

struct Vm {
  VmInfo info;
  VmSpec spec;
  VmFigures figures;
};

// A family with a sample per VM and device: `label` names the device ("drive", "interface"),
// `of` picks the devices from a VM's figures and `value` the number from one device's.
template <typename Devices, typename Value>
void device_family(std::string& out, const std::vector<Vm>& all, const char* name, const char* help,
                   const char* label, Devices of, Value value) {
  Family f(out, name, "counter", help);
  for (const Vm& vm : all) {
    for (const auto& device : of(vm.figures)) {
      f.sample(vm_label(vm.info.id) + "," + label + "=\"" + prometheus_label(device.first) + "\"",
               value(device.second));
    }
  }
}

void block_families(std::string& out, const std::vector<Vm>& all) {
  using C = vmm::virtio::BlockCounters;
  auto drives = [](const VmFigures& f) {
    std::vector<std::pair<std::string, C>> v;
    for (const DriveFigures& d : f.drives) v.emplace_back(d.drive_id, d.counters);
    return v;
  };
  const char* d = "drive";
  device_family(out, all, "rootstock_vm_block_read_bytes_total",
                "Bytes the current run read from the drive.", d, drives,
                [](const C& c) { return c.bytes_read; });
  device_family(out, all, "rootstock_vm_block_written_bytes_total",
                "Bytes the current run wrote to the drive.", d, drives,
                [](const C& c) { return c.bytes_written; });
  device_family(out, all, "rootstock_vm_block_reads_total", "Read requests of the current run.", d,
                drives, [](const C& c) { return c.reads; });
  device_family(out, all, "rootstock_vm_block_writes_total", "Write requests of the current run.",
                d, drives, [](const C& c) { return c.writes; });
  device_family(out, all, "rootstock_vm_block_flushes_total", "Flush requests of the current run.",
                d, drives, [](const C& c) { return c.flushes; });
  device_family(out, all, "rootstock_vm_block_discards_total",
                "Discard and write-zeroes requests of the current run.", d, drives,
                [](const C& c) { return c.discards + c.write_zeroes; });
  device_family(out, all, "rootstock_vm_block_errors_total",
                "Requests of the current run that failed or were not supported.", d, drives,
                [](const C& c) { return c.errors + c.unsupported; });
}

void net_families(std::string& out, const std::vector<Vm>& all) {
  using C = vmm::virtio::NetCounters;
  auto interfaces = [](const VmFigures& f) {
    std::vector<std::pair<std::string, C>> v;
    for (const InterfaceFigures& i : f.interfaces) v.emplace_back(i.iface_id, i.counters);
    return v;
  };
  const char* i = "interface";
  device_family(out, all, "rootstock_vm_net_rx_bytes_total",
                "Bytes of frames the current run received (virtio-net header not counted).", i,
                interfaces, [](const C& c) { return c.rx_bytes; });
  device_family(out, all, "rootstock_vm_net_tx_bytes_total",
                "Bytes of frames the current run sent.", i, interfaces,
                [](const C& c) { return c.tx_bytes; });
  device_family(out, all, "rootstock_vm_net_rx_packets_total", "Frames the current run received.",
                i, interfaces, [](const C& c) { return c.rx_packets; });
  device_family(out, all, "rootstock_vm_net_tx_packets_total", "Frames the current run sent.", i,
                interfaces, [](const C& c) { return c.tx_packets; });
  device_family(out, all, "rootstock_vm_net_dropped_total",
                "Frames dropped either way (too large, or no room).", i, interfaces,
                [](const C& c) { return c.rx_dropped + c.tx_dropped; });
  device_family(out, all, "rootstock_vm_net_errors_total",
                "Malformed chains and the tap's failures, either way.", i, interfaces,
                [](const C& c) { return c.rx_errors + c.tx_errors; });
}

}  // namespace

std::string prometheus_label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string prometheus_metrics(const VmManager& vms,
                               const std::optional<ApplianceFigures>& appliance) {
  std::string out;
  std::vector<Vm> all;
  for (const VmInfo& info : vms.list()) {
    auto spec = vms.spec(info.id);
    auto figures = vms.figures(info.id);
    if (!spec || !figures) continue;  // deleted meanwhile
    all.push_back(Vm{info, *spec, *figures});
  }
  {
    Family f(out, "rootstock_vm_info", "gauge", "A VM, with its name and state (value 1).");
    for (const Vm& vm : all) {
      f.sample(vm_label(vm.info.id) + ",name=\"" + prometheus_label(vm.info.name) + "\",state=\"" +
                   describe(vm.info.state) + "\"",
               uint64_t{1});
    }
  }
  {
    Family f(out, "rootstock_vm_running", "gauge", "1 while the VM runs or is paused, else 0.");
    for (const Vm& vm : all) {
      const bool runs = vm.info.state == VmState::kRunning || vm.info.state == VmState::kPaused ||
                        vm.info.state == VmState::kPausing || vm.info.state == VmState::kResuming;
      f.sample(vm_label(vm.info.id), uint64_t{runs ? 1u : 0u});
    }
  }
  {
    Family f(out, "rootstock_vm_vcpus", "gauge", "The VM's vCPUs, as its spec gives them.");
    for (const Vm& vm : all)
      f.sample(vm_label(vm.info.id), uint64_t{vm.spec.machine_config.vcpu_count});
  }
  {
    Family f(out, "rootstock_vm_memory_bytes", "gauge", "The VM's memory, as its spec gives it.");
    for (const Vm& vm : all) {
      f.sample(vm_label(vm.info.id), vm.spec.machine_config.mem_size_mib << 20);
    }
  }
  {
    Family f(out, "rootstock_vm_starts_total", "counter",
             "Successful starts of the VM, restarts after a reset included.");
    for (const Vm& vm : all) f.sample(vm_label(vm.info.id), uint64_t{vm.info.start_count});
  }
  {
    Family f(out, "rootstock_vm_exits_total", "counter",
             "The current run's guest exits by kind, as hv counts them (every vCPU).");
    for (const Vm& vm : all) {
      for (const auto& [kind, count] : vm.figures.exits_by_kind) {
        f.sample(vm_label(vm.info.id) + ",kind=\"" + prometheus_label(kind) + "\"", count);
      }
    }
  }
  {
    Family f(out, "rootstock_vm_vmm_exits_total", "counter",
             "The current run's exits the VMM's user space handled (port I/O and MMIO).");
    for (const Vm& vm : all) f.sample(vm_label(vm.info.id), vm.figures.vmm_exits);
  }
  {
    Family f(out, "rootstock_vm_vcpu_seconds_total", "counter",
             "The current run's CPU time on its vCPU threads: the guest running, and the "
             "VMM's work for its exits (a halted vCPU uses none).");
    for (const Vm& vm : all) {
      f.sample(vm_label(vm.info.id), static_cast<double>(vm.figures.vcpu_time_ns) / 1e9);
    }
  }
  {
    Family f(out, "rootstock_vm_hv_bytes", "gauge",
             "Memory the root deposited with hv for the VM (its nested page tables, VMCBs "
             "and run state): its cost to hv beyond its RAM.");
    for (const Vm& vm : all) f.sample(vm_label(vm.info.id), vm.figures.hv_pages * 4096);
  }
  {
    Family f(out, "rootstock_vm_hv_used_bytes", "gauge",
             "Of the memory deposited with hv for the VM, what hv uses now.");
    for (const Vm& vm : all) f.sample(vm_label(vm.info.id), vm.figures.hv_pages_used * 4096);
  }
  {
    Family f(out, "rootstock_vm_mapped_bytes", "gauge",
             "The root's memory mapped into the VM as its RAM, as hv counts it.");
    for (const Vm& vm : all) f.sample(vm_label(vm.info.id), vm.figures.mapped_pages * 4096);
  }
  block_families(out, all);
  net_families(out, all);
  if (!appliance) return out;
  {
    Family f(out, "rootstock_uptime_seconds", "gauge", "Time since the root partition started.");
    f.sample("", appliance->uptime_seconds);
  }
  {
    Family f(out, "rootstock_memory_total_bytes", "gauge", "The root partition's memory.");
    f.sample("", appliance->memory_total_bytes);
  }
  {
    Family f(out, "rootstock_memory_available_bytes", "gauge",
             "Memory the root partition can give to new VMs and work (MemAvailable).");
    f.sample("", appliance->memory_available_bytes);
  }
  {
    Family f(out, "rootstock_vmm_anon_bytes", "gauge",
             "The VMM's anonymous resident memory (PID 1's RssAnon): its own, and the RAM of "
             "every VM it runs.");
    f.sample("", appliance->vmm_anon_bytes);
  }
  if (!appliance->hv_frames.empty()) {
    Family f(out, "rootstock_hv_frames", "gauge", "hv's 4 KiB frames of RAM by state.");
    for (const auto& [state, count] : appliance->hv_frames) {
      f.sample("state=\"" + prometheus_label(state) + "\"", count);
    }
  }
  if (appliance->hv_partitions) {
    Family f(out, "rootstock_hv_partitions", "gauge", "Child partitions hv holds.");
    f.sample("", *appliance->hv_partitions);
  }
  return out;
}

}  // namespace rootstock::appliance
