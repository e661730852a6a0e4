// GET /metrics: the appliance's and every VM's figures in Prometheus's text exposition format
// (version 0.0.4: "# HELP", "# TYPE", then `name{label="value"} number` lines; label values
// escape \, " and newlines). Per VM: its state, vCPUs, memory, starts, exits by kind as hv
// counts them and those the VMM handled, its vCPU threads' CPU time, and per drive and network
// interface its bytes, requests or frames and failures; the appliance: uptime, memory, hv's
// frames.
#pragma once

#include <stdint.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "appliance/vm_manager.hpp"

namespace rootstock::appliance {

/// What the appliance tells of itself (PID 1 gathers it; empty parts are left out).
struct ApplianceFigures {
  double uptime_seconds = 0;
  uint64_t memory_total_bytes = 0;
  uint64_t memory_available_bytes = 0;
  /// PID 1's anonymous resident memory (RssAnon): the VMM's own heap and stacks, and the RAM of
  /// every VM it runs.
  uint64_t vmm_anon_bytes = 0;
  /// hv's frames by state ("root", "hv_free", "child", …), 4 KiB each; empty: not known.
  std::vector<std::pair<std::string, uint64_t>> hv_frames;
  std::optional<uint64_t> hv_partitions;
};

/// The whole exposition.
[[nodiscard]] std::string prometheus_metrics(const VmManager& vms,
                                             const std::optional<ApplianceFigures>& appliance);

/// A label value escaped as the format asks (backslash, double quote, line feed).
[[nodiscard]] std::string prometheus_label(std::string_view value);

}  // namespace rootstock::appliance
