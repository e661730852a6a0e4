#include "appliance/firecracker_metrics.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "appliance/whole_file.hpp"

namespace rootstock::appliance {
namespace {

using Out = nlohmann::ordered_json;

// A counter's growth; a reading that went down (a new run's device) counts from zero.
uint64_t since(uint64_t now, uint64_t before) {
  return now >= before ? now - before : now;
}

vmm::virtio::BlockCounters since(const vmm::virtio::BlockCounters& n,
                                 const vmm::virtio::BlockCounters& b) {
  return {since(n.reads, b.reads),
          since(n.writes, b.writes),
          since(n.flushes, b.flushes),
          since(n.get_ids, b.get_ids),
          since(n.discards, b.discards),
          since(n.write_zeroes, b.write_zeroes),
          since(n.unsupported, b.unsupported),
          since(n.errors, b.errors),
          since(n.bytes_read, b.bytes_read),
          since(n.bytes_written, b.bytes_written)};
}

vmm::virtio::NetCounters since(const vmm::virtio::NetCounters& n,
                               const vmm::virtio::NetCounters& b) {
  return {since(n.tx_packets, b.tx_packets), since(n.tx_bytes, b.tx_bytes),
          since(n.tx_dropped, b.tx_dropped), since(n.tx_errors, b.tx_errors),
          since(n.rx_packets, b.rx_packets), since(n.rx_bytes, b.rx_bytes),
          since(n.rx_dropped, b.rx_dropped), since(n.rx_errors, b.rx_errors)};
}

// Adds `v` to counter `key` of group `o` (a device's own group, or the sum of its kind).
void add_to(Out& o, const char* key, uint64_t v) {
  o[key] = (o.contains(key) ? o[key].get<uint64_t>() : 0) + v;
}

void add_block(Out& o, const vmm::virtio::BlockCounters& c, uint64_t updates) {
  auto add = [&o](const char* key, uint64_t v) { add_to(o, key, v); };
  add("read_bytes", c.bytes_read);
  add("write_bytes", c.bytes_written);
  add("read_count", c.reads);
  add("write_count", c.writes);
  add("flush_count", c.flushes);
  add("invalid_reqs_count", c.unsupported);
  add("execute_fails", c.errors);
  add("update_count", updates);
}

void add_net(Out& o, const vmm::virtio::NetCounters& c) {
  auto add = [&o](const char* key, uint64_t v) { add_to(o, key, v); };
  add("rx_bytes_count", c.rx_bytes);
  add("rx_packets_count", c.rx_packets);
  add("rx_fails", c.rx_errors);
  add("tx_bytes_count", c.tx_bytes);
  add("tx_packets_count", c.tx_packets);
  add("tx_fails", c.tx_errors);
}

}  // namespace

VmFigures figures_since(const VmFigures& now, const VmFigures& before) {
  VmFigures d = now;
  for (auto& [kind, count] : d.exits_by_kind) {
    auto b =
        std::ranges::find(before.exits_by_kind, kind, &std::pair<std::string, uint64_t>::first);
    if (b != before.exits_by_kind.end()) count = since(count, b->second);
  }
  d.vmm_exits = since(now.vmm_exits, before.vmm_exits);
  d.vcpu_time_ns = since(now.vcpu_time_ns, before.vcpu_time_ns);
  for (DriveFigures& drive : d.drives) {
    auto b = std::ranges::find(before.drives, drive.drive_id, &DriveFigures::drive_id);
    if (b == before.drives.end()) continue;
    drive.counters = since(drive.counters, b->counters);
    drive.medium_replacements = since(drive.medium_replacements, b->medium_replacements);
  }
  for (InterfaceFigures& nic : d.interfaces) {
    auto b = std::ranges::find(before.interfaces, nic.iface_id, &InterfaceFigures::iface_id);
    if (b != before.interfaces.end()) nic.counters = since(nic.counters, b->counters);
  }
  return d;
}

std::string firecracker_metrics_json(const VmFigures& f,
                                     std::chrono::system_clock::time_point time) {
  Out o;
  o["utc_timestamp_ms"] =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  if (!f.drives.empty()) {
    Out& all = o["block"] = Out::object();
    for (const DriveFigures& d : f.drives) {
      add_block(all, d.counters, d.medium_replacements);
      add_block(o["block_" + d.drive_id] = Out::object(), d.counters, d.medium_replacements);
    }
  }
  if (!f.interfaces.empty()) {
    Out& all = o["net"] = Out::object();
    for (const InterfaceFigures& n : f.interfaces) {
      add_net(all, n.counters);
      add_net(o["net_" + n.iface_id] = Out::object(), n.counters);
    }
  }
  Out& own = o["rootstock"];
  own["vcpu_time_us"] = f.vcpu_time_ns / 1000;
  own["vmm_exits"] = f.vmm_exits;
  Out& exits = own["exits"] = Out::object();
  for (const auto& [kind, count] : f.exits_by_kind) exits[kind] = count;
  return o.dump(-1, ' ', false, Out::error_handler_t::replace);
}

MetricsFlusher::MetricsFlusher(const VmManager& vms, std::chrono::milliseconds period)
    : vms_(vms), period_(period), thread_([this] { run(); }) {}

MetricsFlusher::~MetricsFlusher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::expected<void, std::string> MetricsFlusher::flush(const std::string& id) {
  auto spec = vms_.spec(id);
  if (!spec) return std::unexpected(spec.error().message);
  if (!spec->metrics) {
    return std::unexpected("vm '" + id + "' has no metrics file: PUT /metrics names one");
  }
  auto info = vms_.get(id);
  auto now = vms_.figures(id);
  if (!info || !now) return std::unexpected("vm '" + id + "' is gone");
  // One flush at a time: each line starts where the one before ended.
  std::lock_guard lock(mutex_);
  Written& last = written_[id];
  const bool same_run = last.serial == info->serial && last.start_count == info->start_count;
  const VmFigures interval = same_run ? figures_since(*now, last.figures) : *now;
  const std::string line =
      firecracker_metrics_json(interval, std::chrono::system_clock::now()) + "\n";
  if (auto r = append_to_file(spec->metrics->metrics_path, line, 0640); !r) return r;
  last = Written{info->serial, info->start_count, *now};
  return {};
}

void MetricsFlusher::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (wake_.wait_for(lock, period_, [this] { return stopping_; })) return;
    lock.unlock();
    const std::vector<VmInfo> vms = vms_.list();
    for (const VmInfo& vm : vms) {
      const bool runs = vm.state == VmState::kRunning || vm.state == VmState::kPaused;
      auto spec = vms_.spec(vm.id);
      if (runs && spec && spec->metrics) (void)flush(vm.id);  // a failure waits for the next
    }
    lock.lock();
    // What is kept of VMs deleted since goes: the map holds the VMs there are.
    std::erase_if(written_, [&vms](const auto& entry) {
      return std::ranges::find(vms, entry.first, &VmInfo::id) == vms.end();
    });
  }
}

}  // namespace rootstock::appliance
