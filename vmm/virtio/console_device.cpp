#include "vmm/virtio/console_device.hpp"

#include <algorithm>
#include <utility>

#include "vmm/virtio/chain_io.hpp"
#include "vmm/virtio/feature_bits.hpp"
#include "vmm/virtio/queue_loop.hpp"

namespace rootstock::vmm::virtio {
namespace {

constexpr uint16_t kReceive = static_cast<uint16_t>(ConsoleQueue::kReceive);
constexpr uint16_t kTransmit = static_cast<uint16_t>(ConsoleQueue::kTransmit);

}  // namespace

ConsoleDevice::ConsoleDevice(Output output)
    : output_(std::move(output)), backlog_(kBacklogBytes), chunk_(kOutputChunkBytes) {}

uint64_t ConsoleDevice::features() const {
  return kFeatureVersion1 | feature_mask(FeatureBit::kIndirectDesc) |
         feature_mask(FeatureBit::kEventIdx) | console_feature_mask(ConsoleFeatureBit::kSize);
}

uint16_t ConsoleDevice::max_queue_size(uint16_t queue) const {
  return queue < queue_count() ? kQueueSize : 0;
}

void ConsoleDevice::read_config(uint32_t offset, std::span<uint8_t> out) const {
  std::lock_guard lock(mutex_);
  read_config_bytes(config_, offset, out);
}

void ConsoleDevice::set_size(uint16_t cols, uint16_t rows) {
  std::lock_guard lock(mutex_);
  if (config_.cols == cols && config_.rows == rows) return;
  config_.cols = cols;
  config_.rows = rows;
  if (link_ != nullptr && (negotiated_ & console_feature_mask(ConsoleFeatureBit::kSize)) != 0) {
    link_->config_changed();
  }
}

void ConsoleDevice::write_config(uint32_t, std::span<const uint8_t>) {}

bool ConsoleDevice::activate(uint64_t features, std::span<SplitVirtqueue*> queues,
                             DeviceLink& link) {
  if (queues.size() < queue_count() || queues[kReceive] == nullptr ||
      queues[kTransmit] == nullptr) {
    return false;
  }
  std::lock_guard lock(mutex_);
  receive_ = queues[kReceive];
  transmit_ = queues[kTransmit];
  link_ = &link;
  negotiated_ = features;
  receive_locked();
  return true;
}

void ConsoleDevice::reset() {
  std::lock_guard lock(mutex_);
  receive_ = nullptr;
  transmit_ = nullptr;
  link_ = nullptr;
  negotiated_ = 0;
}

void ConsoleDevice::notify(uint16_t queue) {
  std::lock_guard lock(mutex_);
  if (queue == kReceive) receive_locked();
  if (queue == kTransmit) transmit_locked();
}

void ConsoleDevice::feed(std::span<const uint8_t> bytes) {
  std::lock_guard lock(mutex_);
  counters_.input_bytes += bytes.size();
  counters_.dropped_input += backlog_.push(bytes);
  receive_locked();
}

void ConsoleDevice::feed(std::string_view text) {
  feed(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

ConsoleCounters ConsoleDevice::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

size_t ConsoleDevice::waiting_input() const {
  std::lock_guard lock(mutex_);
  return backlog_.size();
}

std::string ConsoleDevice::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

// Not the loop of queue_loop.hpp: a receive buffer is taken only when input waits for it, so
// buffers the driver adds while nothing waits stay in the ring for the next feed().
void ConsoleDevice::receive_locked() {
  if (receive_ == nullptr) return;
  while (!backlog_.empty()) {
    auto got = receive_->pop(chain_);
    uint32_t written = 0;
    if (!got) {
      if (breaks_queue(got.error().error)) return stop(got.error());
      failed(describe(got.error()));  // returned with nothing written
    } else if (!*got) {
      // Input waits and there is no buffer: the driver's next one must be notified.
      auto more = receive_->enable_notifications();
      if (!more) return stop(more.error());
      if (*more) continue;
      return;
    } else {
      written = fill(chain_);
    }
    auto interrupt = receive_->return_chain(chain_, written);
    if (!interrupt) return stop(interrupt.error());
    if (*interrupt) link_->used_buffers(kReceive);
  }
  // Nothing waits: feed() looks for buffers itself, the driver need not kick for them.
  if (auto off = receive_->disable_notifications(); !off) stop(off.error());
}

void ConsoleDevice::transmit_locked() {
  if (transmit_ == nullptr) return;
  auto served = serve_available(
      *transmit_, kTransmit, *link_, chain_,
      [this](const DescriptorChain& chain) {
        emit(chain);
        return uint32_t{0};  // the device writes nothing into a transmit buffer
      },
      [this](const QueueFault& fault) { failed(describe(fault)); });
  if (!served) stop(served.error());
}

uint32_t ConsoleDevice::fill(const DescriptorChain& chain) {
  // 5.3.6.1: "The driver MUST NOT put a device-readable in a receiveq."
  if (!chain.readable().empty()) {
    failed("a console receive chain with a device-readable buffer");
    return 0;
  }
  if (chain.writable().empty()) {
    failed("a console receive chain with no writable buffer");
    return 0;
  }
  uint32_t written = 0;
  while (written < chain.writable_bytes() && !backlog_.empty()) {
    const auto run = backlog_.front();
    auto put =
        write_to_chain(link_->ram(), chain, written,
                       run.first(std::min<size_t>(run.size(), chain.writable_bytes() - written)));
    // What the refused run had written stays in the backlog and is not reported.
    if (!put) {
      failed("guest RAM refused a console receive buffer");
      break;
    }
    backlog_.consume(*put);
    written += static_cast<uint32_t>(*put);
    counters_.received_bytes += *put;
  }
  return written;
}

void ConsoleDevice::emit(const DescriptorChain& chain) {
  // 5.3.6.1: "The driver MUST NOT put a device-writable buffer in a transmitq."
  if (!chain.writable().empty()) return failed("a console transmit chain with a writable buffer");
  const uint32_t total = chain.readable_bytes();
  const uint32_t bounded = std::min(total, kMaxOutputPerChain);
  counters_.dropped_output += total - bounded;
  for (uint32_t done = 0; done < bounded;) {
    const auto chunk = std::span(chunk_).first(std::min<size_t>(chunk_.size(), bounded - done));
    auto got = read_from_chain(link_->ram(), chain, done, chunk);
    if (!got || *got != chunk.size()) {
      counters_.dropped_output += bounded - done;
      return failed("guest RAM refused a console transmit buffer");
    }
    if (output_) output_(chunk);
    counters_.output_bytes += chunk.size();
    done += static_cast<uint32_t>(chunk.size());
  }
}

void ConsoleDevice::failed(std::string reason) {
  ++counters_.errors;
  last_error_ = std::move(reason);
}

void ConsoleDevice::stop(const QueueFault& fault) {
  last_error_ = describe(fault);
  receive_ = nullptr;
  transmit_ = nullptr;
  link_->needs_reset();
}

}  // namespace rootstock::vmm::virtio
