// Firecracker's metrics for one VM (docs/metrics.md of Firecracker; its `FirecrackerMetrics`
// groups): a JSON document of counters. GET /vms/{id}/metrics answers the current run's totals;
// the file a VM's spec names in `metrics` (PUT /metrics) gets, as Firecracker writes it, one
// document per line, each with what was counted since the line before — on FlushMetrics and
// every flush period while the VM runs.
//
// The groups filled are those whose figures Rootstock has: "block" and "block_<drive_id>"
// (read_bytes, write_bytes, read_count, write_count, flush_count, invalid_reqs_count,
// execute_fails, update_count), "net" and "net_<iface_id>" (rx_bytes_count, rx_packets_count,
// rx_fails, tx_bytes_count, tx_packets_count, tx_fails), and Rootstock's own "rootstock" group
// (vcpu_time_us, vmm_exits, exits by kind). Firecracker's other groups are absent rather than
// made-up zeros; its readers (Go's encoding/json, serde with defaults) take absent as zero.
#pragma once

#include <chrono>
#include <condition_variable>
#include <expected>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "appliance/vm_manager.hpp"

namespace rootstock::appliance {

/// What was counted between `before` and `now` (two readings of one run): each counter's
/// difference, devices matched by id (one that is new counts from zero).
[[nodiscard]] VmFigures figures_since(const VmFigures& now, const VmFigures& before);

/// The document for `figures`, stamped with `time` (utc_timestamp_ms), on one line.
[[nodiscard]] std::string firecracker_metrics_json(const VmFigures& figures,
                                                   std::chrono::system_clock::time_point time);

/// Writes the metrics of the VMs whose spec names a metrics file: on flush(), and every
/// `period` for each running or paused VM. One per appliance; its thread ends with it.
class MetricsFlusher {
 public:
  MetricsFlusher(const VmManager& vms, std::chrono::milliseconds period);
  ~MetricsFlusher();
  MetricsFlusher(const MetricsFlusher&) = delete;
  MetricsFlusher& operator=(const MetricsFlusher&) = delete;

  /// Appends VM `id`'s document since its last flush (of this run) to its metrics file; the
  /// refusal's words when it has none configured, or the file cannot be written.
  [[nodiscard]] std::expected<void, std::string> flush(const std::string& id);

 private:
  void run();

  const VmManager& vms_;
  const std::chrono::milliseconds period_;
  std::mutex mutex_;  // everything below
  std::condition_variable wake_;
  bool stopping_ = false;
  // Per VM id: the run whose figures were last written (which VM, which of its starts), and
  // those figures.
  struct Written {
    uint64_t serial = 0;
    uint32_t start_count = 0;
    VmFigures figures;
  };
  std::map<std::string, Written> written_;
  std::thread thread_;  // last: it uses everything above
};

}  // namespace rootstock::appliance
