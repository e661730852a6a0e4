#include "selftest/memory_figures.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace rootstock::selftest {
namespace {

constexpr const char* kStateNames[RS_FRAME_STATE_SLOTS] = {
    "hv_free",        "hv_used",        "root",  "run_page",
    "deposited_free", "deposited_used", "child", "reserved7"};

}  // namespace

std::optional<uint64_t> meminfo_kib(std::string_view text, std::string_view key) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ':') {
      const std::string number(line.substr(key.size() + 1));
      char* rest = nullptr;
      const unsigned long long v = std::strtoull(number.c_str(), &rest, 10);
      if (rest == number.c_str()) return std::nullopt;
      return v;
    }
  }
  return std::nullopt;
}

uint64_t free_kib() {
  ::sync();
  // 1: drop the page cache (PID 1 writes no files, but the kernel may have read some); clean
  // pages only, so nothing is lost. Failing to drop just makes the figure noisier.
  const int fd = ::open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    (void)!::write(fd, "1", 1);
    ::close(fd);
  }
  std::ifstream in("/proc/meminfo");
  std::stringstream s;
  s << in.rdbuf();
  const uint64_t free = meminfo_kib(s.str(), "MemFree").value_or(0);
  return free == 0 ? 0 : free + per_cpu_list_kib();
}

uint64_t per_cpu_list_kib() {
  // Freed pages wait on per-CPU lists before they count as free (mm/page_alloc.c): with four
  // CPUs that is several MiB that MemFree leaves out and that move on their own. /proc/zoneinfo
  // shows each list's "count:" under "pagesets".
  std::ifstream in("/proc/zoneinfo");
  std::string word;
  uint64_t pages = 0, value = 0;
  bool in_pagesets = false;
  while (in >> word) {
    if (word == "pagesets") in_pagesets = true;
    if (word == "Node") in_pagesets = false;
    if (in_pagesets && word == "count:" && in >> value) pages += value;
  }
  return pages * 4;
}

std::optional<uint64_t> pins_outstanding() {
  // The counters are kept per CPU and folded into /proc/vmstat now and then; stat_refresh folds
  // them at once, so that the difference is exact.
  if (const int fd = ::open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC); fd >= 0) {
    (void)!::write(fd, "1", 1);
    ::close(fd);
  }
  std::ifstream in("/proc/vmstat");
  std::string key;
  uint64_t value = 0;
  std::optional<uint64_t> acquired, released;
  while (in >> key >> value) {
    if (key == "nr_foll_pin_acquired") acquired = value;
    if (key == "nr_foll_pin_released") released = value;
  }
  if (!acquired || !released || *released > *acquired) return std::nullopt;
  return *acquired - *released;
}

std::string frame_counts_text(const rs_hc_invariants_output& c) {
  return "frames: total=" + std::to_string(c.frames_total) +
         " root=" + std::to_string(c.frames[RS_FRAME_ROOT]) +
         " hv_free=" + std::to_string(c.frames[RS_FRAME_HV_FREE]) +
         " hv_used=" + std::to_string(c.frames[RS_FRAME_HV_USED]) +
         " deposited_free=" + std::to_string(c.frames[RS_FRAME_DEPOSITED_FREE]) +
         " deposited_used=" + std::to_string(c.frames[RS_FRAME_DEPOSITED_USED]) +
         " child=" + std::to_string(c.frames[RS_FRAME_CHILD]) +
         " run_page=" + std::to_string(c.frames[RS_FRAME_RUN_PAGE]) +
         " partitions=" + std::to_string(c.partitions) + " vps=" + std::to_string(c.vps) +
         " violations=" + std::to_string(c.violations);
}

bool same_frame_counts(const rs_hc_invariants_output& a, const rs_hc_invariants_output& b) {
  for (const unsigned state : {RS_FRAME_ROOT, RS_FRAME_RUN_PAGE, RS_FRAME_DEPOSITED_FREE,
                               RS_FRAME_DEPOSITED_USED, RS_FRAME_CHILD}) {
    if (a.frames[state] != b.frames[state]) return false;
  }
  return a.frames_total == b.frames_total && a.partitions == b.partitions && a.vps == b.vps;
}

bool hv_growth_allowed(const rs_hc_invariants_output& before,
                       const rs_hc_invariants_output& after) {
  constexpr uint64_t kFramesPer2MiB = 512;
  return after.frames[RS_FRAME_HV_USED] <=
         before.frames[RS_FRAME_HV_USED] + before.frames_total / kFramesPer2MiB;
}

std::string frame_count_changes(const rs_hc_invariants_output& before,
                                const rs_hc_invariants_output& after) {
  std::string changes;
  const auto note = [&](const char* name, uint64_t x, uint64_t y) {
    if (x == y) return;
    if (!changes.empty()) changes += ' ';
    changes += std::string(name) + " " + std::to_string(x) + "->" + std::to_string(y);
  };
  note("total", before.frames_total, after.frames_total);
  for (unsigned i = 0; i < RS_FRAME_STATE_SLOTS; ++i) {
    note(kStateNames[i], before.frames[i], after.frames[i]);
  }
  note("partitions", before.partitions, after.partitions);
  note("vps", before.vps, after.vps);
  return changes;
}

const char* invariant_name(uint32_t invariant) {
  switch (invariant) {
    case RS_INVARIANT_NONE:
      return "none";
    case RS_INVARIANT_STATE_COUNTS:
      return "state-counts";
    case RS_INVARIANT_ROOT_MAPPING:
      return "root-mapping";
    case RS_INVARIANT_CHILD_MAPPING:
      return "child-mapping";
    case RS_INVARIANT_DEPOSIT:
      return "deposit";
    case RS_INVARIANT_RUN_PAGE:
      return "run-page";
    case RS_INVARIANT_COUNTERS:
      return "counters";
    default:
      return "unknown";
  }
}

}  // namespace rootstock::selftest
