#include "appliance/vm_console_output.hpp"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <string_view>

namespace rootstock::appliance {

std::expected<std::unique_ptr<VmConsoleOutput>, std::string> VmConsoleOutput::open(
    std::shared_ptr<ConsoleRing> ring, std::string prefix, TextFn shown,
    const std::optional<std::string>& log_path, uint64_t max_log_bytes) {
  int fd = -1;
  if (log_path) {
    // O_NONBLOCK: a FIFO with no reader at the path must not hang start(); it fails instead.
    fd = ::open(log_path->c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0640);
    if (fd < 0) {
      return std::unexpected("console log " + *log_path + ": cannot open: " + ::strerror(errno));
    }
  }
  return std::unique_ptr<VmConsoleOutput>(
      new VmConsoleOutput(std::move(ring), std::move(prefix), std::move(shown), fd, max_log_bytes));
}

VmConsoleOutput::VmConsoleOutput(std::shared_ptr<ConsoleRing> ring, std::string prefix,
                                 TextFn shown, int log_fd, uint64_t max_log_bytes)
    : ring_(std::move(ring)),
      shown_(shown ? std::make_unique<VmConsole>(std::move(prefix), std::move(shown)) : nullptr),
      log_fd_(log_fd),
      log_left_(max_log_bytes) {}

VmConsoleOutput::~VmConsoleOutput() {
  if (log_fd_ >= 0) ::close(log_fd_);
}

void VmConsoleOutput::put(uint8_t byte) {
  const char c = static_cast<char>(byte);
  ring_->write({&c, 1});
  if (shown_) shown_->put(byte);
  if (log_fd_ >= 0) {
    log_buffer_.push_back(c);
    if (c == '\n' || log_buffer_.size() >= kLogChunk) flush_log();
  }
}

void VmConsoleOutput::finish() {
  if (shown_) shown_->close();
  flush_log();
}

void VmConsoleOutput::flush_log() {
  if (log_fd_ < 0 || log_buffer_.empty()) return;
  const size_t fits = static_cast<size_t>(std::min<uint64_t>(log_buffer_.size(), log_left_));
  write_log(log_buffer_.data(), fits);
  log_left_ -= fits;
  if (log_fd_ >= 0 && fits < log_buffer_.size()) {
    static constexpr std::string_view kFull = "\n[console log full: the rest is not kept here]\n";
    write_log(kFull.data(), kFull.size());
    ::close(log_fd_);
    log_fd_ = -1;
  }
  log_buffer_.clear();
}

void VmConsoleOutput::write_log(const char* data, size_t size) {
  while (size > 0 && log_fd_ >= 0) {
    const ssize_t n = ::write(log_fd_, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // A full disk or a FIFO nobody reads: the VM runs on, its log ends here (the ring has it).
      ::close(log_fd_);
      log_fd_ = -1;
      return;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

}  // namespace rootstock::appliance
