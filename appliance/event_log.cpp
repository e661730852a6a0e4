#include "appliance/event_log.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <fstream>

#include <nlohmann/json.hpp>

namespace rootstock::appliance {

std::string utc_timestamp(std::chrono::system_clock::time_point t) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char text[40];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return text;
}

void EventLog::api_request(std::string_view method, std::string_view path, int status,
                           std::chrono::microseconds took) {
  nlohmann::ordered_json o;
  o["time"] = utc_timestamp(std::chrono::system_clock::now());
  o["kind"] = "api";
  o["method"] = method;
  o["path"] = path;
  o["status"] = status;
  o["ms"] = static_cast<double>(took.count()) / 1000.0;
  append(o.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

void EventLog::vm_event(std::string_view id, std::string_view what, std::string_view detail) {
  nlohmann::ordered_json o;
  o["time"] = utc_timestamp(std::chrono::system_clock::now());
  o["kind"] = "vm";
  o["id"] = id;
  o["event"] = what;
  if (!detail.empty()) o["detail"] = detail;
  append(o.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

void EventLog::append(std::string line) {
  line += '\n';
  std::lock_guard lock(mutex_);
  if (!options_.file.empty()) {
    if (!file_sized_) {
      struct stat st{};
      file_bytes_ = ::stat(options_.file.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
      file_sized_ = true;
    }
    if (file_bytes_ + line.size() > options_.max_bytes) {
      // The older half of the log on disk: one generation kept.
      (void)std::rename(options_.file.c_str(), (options_.file + ".1").c_str());
      file_bytes_ = 0;
    }
    std::ofstream out(options_.file, std::ios::app | std::ios::binary);
    if (out.write(line.data(), static_cast<std::streamsize>(line.size()))) {
      file_bytes_ += line.size();
    }
  }
  bytes_ += line.size();
  lines_.push_back(std::move(line));
  while (bytes_ > options_.max_bytes && !lines_.empty()) {
    bytes_ -= lines_.front().size();
    lines_.pop_front();
  }
}

std::string EventLog::text(size_t max_lines) const {
  std::lock_guard lock(mutex_);
  const size_t first = lines_.size() > max_lines ? lines_.size() - max_lines : 0;
  std::string out;
  for (size_t i = first; i < lines_.size(); ++i) out += lines_[i];
  return out;
}

}  // namespace rootstock::appliance
