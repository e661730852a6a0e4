#include "vmm/virtio/vsock_device.hpp"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "vmm/virtio/chain_io.hpp"
#include "vmm/virtio/feature_bits.hpp"
#include "vmm/virtio/queue_loop.hpp"

namespace rootstock::vmm::virtio {
namespace {

/// Reads an eventfd's count to zero.
void drain(int fd) {
  uint64_t count = 0;
  (void)!::read(fd, &count, sizeof(count));
}

void signal(int fd) {
  const uint64_t one = 1;
  // A full counter (EAGAIN) is already a wake-up.
  (void)!::write(fd, &one, sizeof(one));
}

}  // namespace

Result<std::unique_ptr<VsockDevice>> VsockDevice::open(uint64_t guest_cid, std::string uds_path,
                                                       VsockServing serving) {
  if (guest_cid < kVsockFirstGuestCid || guest_cid > 0xfffffffe) {
    return fail("vsock guest_cid " + std::to_string(guest_cid) +
                ": must be from 3 to 4294967294 (0-2 are reserved, 2 is the host)");
  }
  auto muxer = VsockMuxer::open(guest_cid, std::move(uds_path));
  if (!muxer) return std::unexpected(muxer.error());
  return std::unique_ptr<VsockDevice>(new VsockDevice(guest_cid, std::move(*muxer), serving));
}

VsockDevice::VsockDevice(uint64_t guest_cid, std::unique_ptr<VsockMuxer> muxer,
                         VsockServing serving)
    : serving_(serving),
      muxer_(std::move(muxer)),
      tx_payload_(kVsockMaxPayload),
      rx_payload_(kVsockMaxPayload) {
  config_.guest_cid = guest_cid;
}

VsockDevice::~VsockDevice() {
  stop_thread();
}

uint64_t VsockDevice::features() const {
  return kFeatureVersion1 | feature_mask(FeatureBit::kIndirectDesc) |
         feature_mask(FeatureBit::kEventIdx) | vsock_feature_mask(VsockFeatureBit::kStream);
}

uint16_t VsockDevice::max_queue_size(uint16_t queue) const {
  return queue < queue_count() ? kQueueSize : 0;
}

void VsockDevice::read_config(uint32_t offset, std::span<uint8_t> out) const {
  read_config_bytes(config_, offset, out);
}

void VsockDevice::write_config(uint32_t, std::span<const uint8_t>) {}

bool VsockDevice::activate(uint64_t, std::span<SplitVirtqueue*> queues, DeviceLink& link) {
  stop_thread();  // activated twice without a reset: the old thread goes first
  auto refuse = [&](std::string why) {
    std::lock_guard lock(mutex_);
    last_error_ = std::move(why);
    return false;
  };
  if (queues.size() <= kTxQueue || queues[kRxQueue] == nullptr || queues[kTxQueue] == nullptr) {
    return refuse("the driver did not enable the rx and tx queues");
  }
  for (UniqueFd* fd : {&rx_kick_fd_, &tx_kick_fd_}) {
    if (*fd || serving_ == VsockServing::kInline) continue;
    *fd = UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!*fd) return refuse(std::string("cannot create an eventfd: ") + strerror(errno));
  }
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
    broken_ = false;
    rx_queue_ = queues[kRxQueue];
    tx_queue_ = queues[kTxQueue];
    link_ = &link;
    rx_held_ = false;
  }
  if (serving_ == VsockServing::kThread) thread_ = std::thread([this] { run(); });
  active_ = true;
  return true;
}

void VsockDevice::reset() {
  stop_thread();
  active_ = false;
  std::lock_guard lock(mutex_);
  muxer_->reset();
  rx_queue_ = nullptr;
  tx_queue_ = nullptr;
  link_ = nullptr;
  rx_held_ = false;
  broken_ = false;
}

void VsockDevice::notify(uint16_t queue) {
  if (serving_ == VsockServing::kThread) {
    const int fd = kick_fd(queue);
    if (fd >= 0) signal(fd);
    return;
  }
  if (!active_ || (queue != kRxQueue && queue != kTxQueue)) return;
  std::lock_guard lock(mutex_);
  if (broken_) return;
  std::vector<pollfd> fds;
  muxer_->poll_fds(fds);
  if (::poll(fds.data(), fds.size(), 0) < 0) {
    for (pollfd& p : fds) p.revents = 0;
  }
  serve_locked(fds);
}

int VsockDevice::kick_fd(uint16_t queue) const {
  if (!active_ || serving_ == VsockServing::kInline) return -1;
  if (queue == kRxQueue) return rx_kick_fd_.get();
  return queue == kTxQueue ? tx_kick_fd_.get() : -1;
}

std::string VsockDevice::uds_path() const {
  std::lock_guard lock(mutex_);
  return muxer_->uds_path();
}

VsockCounters VsockDevice::counters() const {
  std::lock_guard lock(mutex_);
  VsockCounters c = counters_;
  c.host = muxer_->counters();
  return c;
}

std::string VsockDevice::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

void VsockDevice::stop_thread() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  signal(rx_kick_fd_.get());
  thread_.join();
}

void VsockDevice::run() {
  std::vector<pollfd> fds;
  for (;;) {
    fds.clear();
    fds.push_back({rx_kick_fd_.get(), POLLIN, 0});
    fds.push_back({tx_kick_fd_.get(), POLLIN, 0});
    int timeout = -1;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      if (!broken_) {
        muxer_->poll_fds(fds);
        timeout = muxer_->timeout_ms(VsockMuxer::Clock::now());
      }
    }
    if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) {
      std::lock_guard lock(mutex_);
      last_error_ = std::string("cannot poll the vsock sockets: ") + strerror(errno);
      return;
    }
    if (fds[0].revents != 0) drain(fds[0].fd);
    if (fds[1].revents != 0) drain(fds[1].fd);
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    if (!broken_) serve_locked(std::span(fds).subspan(2));
  }
}

void VsockDevice::serve_locked(std::span<const pollfd> host_fds) {
  const auto now = VsockMuxer::Clock::now();
  muxer_->on_events(host_fds);
  muxer_->expire(now);
  transmit_locked(now);
  if (!broken_) receive_locked(now);
}

// Transmit chains carry nothing back: each is returned with 0 bytes written (5.10.6.2).
void VsockDevice::transmit_locked(VsockMuxer::Clock::time_point now) {
  auto served = serve_available(
      *tx_queue_, kTxQueue, *link_, tx_chain_,
      [this, now](const DescriptorChain& chain) {
        send_locked(chain, now);
        return uint32_t{0};
      },
      [this](const QueueFault& fault) {
        ++counters_.tx_refused;
        last_error_ = describe(fault);
      });
  if (!served) break_locked(describe(served.error()));
}

void VsockDevice::send_locked(const DescriptorChain& chain, VsockMuxer::Clock::time_point now) {
  auto packet = read_vsock_packet(link_->ram(), chain, config_.guest_cid, tx_payload_);
  if (!packet) {
    ++counters_.tx_refused;
    last_error_ = describe(packet.error().reason);
    if (answers_rst(packet.error().reason)) muxer_->answer_rst(packet.error().header);
    return;
  }
  ++counters_.tx_packets;
  muxer_->on_packet(packet->header, packet->payload, now);
}

// Not the loop of queue_loop.hpp: a receive buffer is taken only when the host side may owe the
// child a packet, so buffers the driver adds meanwhile stay in the ring.
void VsockDevice::receive_locked(VsockMuxer::Clock::time_point now) {
  while (muxer_->has_pending()) {
    if (!rx_held_ && !hold_rx_chain_locked()) return;
    const uint32_t room = std::min<uint32_t>(
        rx_chain_.writable_bytes() - static_cast<uint32_t>(sizeof(VsockHeader)), kVsockMaxPayload);
    VsockHeader header{};
    auto len = muxer_->next_packet(header, std::span(rx_payload_).first(room), now);
    if (!len) continue;  // each call takes a turn off the host side's list: this ends
    if (!deliver_locked(header, *len)) return;
  }
  // Nothing is owed: the driver need not kick for the buffers it adds (2.7.10).
  if (auto off = rx_queue_->disable_notifications(); !off) break_locked(describe(off.error()));
}

bool VsockDevice::hold_rx_chain_locked() {
  for (;;) {
    auto got = rx_queue_->pop(rx_chain_);
    if (!got) {
      if (breaks_queue(got.error().error)) {
        break_locked(describe(got.error()));
        return false;
      }
      ++counters_.rx_errors;
      last_error_ = describe(got.error());
    } else if (!*got) {
      // Packets wait and there is no buffer: the driver's next one must be notified.
      auto more = rx_queue_->enable_notifications();
      if (!more) {
        break_locked(describe(more.error()));
        return false;
      }
      if (*more) continue;
      return false;
    } else if (!rx_chain_.readable().empty() || rx_chain_.writable_bytes() < sizeof(VsockHeader)) {
      // 5.10.6.1: receive buffers are device-writable and hold at least the header.
      ++counters_.rx_errors;
      last_error_ = "a vsock receive chain with device-readable buffers or shorter than the header";
    } else {
      rx_held_ = true;
      return true;
    }
    // A chain that cannot be used goes back with nothing written.
    auto interrupt = rx_queue_->return_chain(rx_chain_, 0);
    if (!interrupt) {
      break_locked(describe(interrupt.error()));
      return false;
    }
    if (*interrupt) link_->used_buffers(kRxQueue);
  }
}

bool VsockDevice::deliver_locked(const VsockHeader& header, uint32_t payload_len) {
  std::array<uint8_t, sizeof(VsockHeader)> raw{};
  memcpy(raw.data(), &header, sizeof(header));
  auto put = write_to_chain(link_->ram(), rx_chain_, 0, raw);
  bool ok = put && *put == raw.size();
  if (ok && payload_len != 0) {
    auto data = write_to_chain(link_->ram(), rx_chain_, sizeof(VsockHeader),
                               std::span(rx_payload_).first(payload_len));
    ok = data && *data == payload_len;
  }
  uint32_t written = 0;
  if (ok) {
    written = static_cast<uint32_t>(sizeof(VsockHeader)) + payload_len;
    ++counters_.rx_packets;
  } else {
    ++counters_.rx_errors;
    last_error_ = "guest RAM refused a checked vsock receive buffer";
    // The packet is lost: its connection cannot go on as if the child had it.
    if (header.op != static_cast<uint16_t>(VsockOp::kRst)) {
      muxer_->lost(VsockPorts{header.src_port, header.dst_port});
    }
  }
  rx_held_ = false;
  auto interrupt = rx_queue_->return_chain(rx_chain_, written);
  if (!interrupt) {
    break_locked(describe(interrupt.error()));
    return false;
  }
  if (*interrupt) link_->used_buffers(kRxQueue);
  return true;
}

void VsockDevice::break_locked(std::string reason) {
  broken_ = true;
  last_error_ = std::move(reason);
  link_->needs_reset();
}

}  // namespace rootstock::vmm::virtio
