#include "vmm/devices/uart16550.hpp"

#include <algorithm>
#include <deque>
#include <string_view>
#include <utility>

#include "vmm/board.hpp"

namespace rootstock::vmm::devices {

using namespace uart16550;

namespace {

/// Receiver FIFO trigger levels in bytes, indexed by FCR bits 7:6 (PC16550D, FCR).
constexpr std::array<uint8_t, 4> kRxTriggerLevels = {1, 4, 8, 14};
constexpr unsigned kRxTriggerShift = 6;

/// The modem inputs outside loopback: the far end is the VMM, always there and ready. DCD keeps
/// a tty without CLOCAL open and CTS keeps CRTSCTS output flowing; RI never rings.
constexpr uint8_t kFarEndInputs = bits(Msr::kCts, Msr::kDsr, Msr::kDcd);

/// An IN from a port nobody answers.
constexpr uint8_t kEmptyBus = 0xff;

}  // namespace

Uart16550::Uart16550(uint16_t base, TransmitFn transmit, IrqFn irq)
    : base_(base), transmit_(std::move(transmit)), irq_(std::move(irq)) {}

Next Uart16550::out(uint16_t port, uint8_t size, uint32_t value) {
  for (unsigned i = 0; i < size && i < sizeof(value); ++i) {
    const uint32_t p = uint32_t{port} + i;  // no wrap at 0xffff onto a UART at 0
    const uint8_t byte = static_cast<uint8_t>(value >> (8 * i));
    if (p < base_ || p - base_ >= kPortCount) {
      ++stray_;
      continue;
    }
    write(static_cast<uint8_t>(p - base_), byte);
  }
  return Next::kContinue;
}

uint32_t Uart16550::in(uint16_t port, uint8_t size) {
  uint32_t value = ~uint32_t{0};
  for (unsigned i = 0; i < size && i < sizeof(value); ++i) {
    const uint32_t p = uint32_t{port} + i;
    uint8_t byte = kEmptyBus;
    if (p < base_ || p - base_ >= kPortCount) {
      ++stray_;
    } else {
      byte = read(static_cast<uint8_t>(p - base_));
    }
    value = (value & ~(uint32_t{0xff} << (8 * i))) | uint32_t{byte} << (8 * i);
  }
  return value;
}

size_t Uart16550::rx_room() const {
  return loopback() ? 0 : rx_capacity() - rx_count_;
}

size_t Uart16550::receive(std::span<const uint8_t> bytes) {
  const size_t taken = std::min(bytes.size(), rx_room());
  for (size_t i = 0; i < taken; ++i) shift_in(bytes[i]);
  update_irq();
  return taken;
}

void Uart16550::write(uint8_t offset, uint8_t value) {
  switch (static_cast<Reg>(offset)) {
    case Reg::kRbrThr:
      if (dlab()) {
        dll_ = value;
      } else {
        write_thr(value);
      }
      break;
    case Reg::kIer:
      if (dlab()) {
        dlm_ = value;
      } else {
        write_ier(value);
      }
      break;
    case Reg::kIirFcr:
      write_fcr(value);
      break;
    case Reg::kLcr:
      lcr_ = value;
      break;
    case Reg::kMcr:
      write_mcr(value);
      break;
    case Reg::kLsr:  // read-only: the datasheet keeps LSR writes for factory testing
    case Reg::kMsr:
      break;
    case Reg::kScr:
      scr_ = value;
      break;
  }
}

uint8_t Uart16550::read(uint8_t offset) {
  switch (static_cast<Reg>(offset)) {
    case Reg::kRbrThr:
      return dlab() ? dll_ : read_rbr();
    case Reg::kIer:
      return dlab() ? dlm_ : ier_;
    case Reg::kIirFcr:
      return read_iir();
    case Reg::kLcr:
      return lcr_;
    case Reg::kMcr:
      return mcr_;
    case Reg::kLsr:
      return read_lsr();
    case Reg::kMsr:
      return read_msr();
    case Reg::kScr:
      return scr_;
  }
  return kEmptyBus;
}

void Uart16550::write_thr(uint8_t byte) {
  // Writing THR resets the THRE interrupt (Table IV)...
  thre_pending_ = false;
  update_irq();
  // ...the byte leaves THR for the shift register at once (to the receiver in loopback, where
  // SOUT is held marking)...
  if (loopback()) {
    shift_in(byte);
  } else if (transmit_) {
    transmit_(byte);
  }
  // ...so THR is empty again and the THRE interrupt is back. The output drops and rises around
  // the write as the chip's does, which is the edge an edge-triggered controller needs to
  // deliver the next THRE interrupt.
  thre_pending_ = true;
  update_irq();
}

void Uart16550::write_ier(uint8_t value) {
  const uint8_t before = ier_;
  ier_ = static_cast<uint8_t>(value & bits(Ier::kAll));
  // Setting ETBEI while THR is empty raises the THRE interrupt, even after an IIR read reset
  // it: Linux's 8250 startup tests exactly this (UART_BUG_THRE, UART_BUG_TXEN), and QEMU and
  // Bochs raise it on the enable edge the same way.
  if ((ier_ & ~before & bits(Ier::kEtbei)) != 0) thre_pending_ = true;
  update_irq();
}

void Uart16550::write_fcr(uint8_t value) {
  const bool enable = (value & bits(Fcr::kFifoEnable)) != 0;
  // Changing between FIFO and 16450 mode clears the FIFOs (FCR bit 0).
  if (enable != fifo_enabled_) clear_rx_fifo();
  fifo_enabled_ = enable;
  // "FCR0 must be a 1 when other FCR bits are written to or they will not be programmed." The
  // XMIT FIFO reset has nothing to do: the transmitter is always empty here.
  if (enable) {
    if ((value & bits(Fcr::kRcvrFifoReset)) != 0) clear_rx_fifo();
    rx_trigger_ = kRxTriggerLevels[(value & bits(Fcr::kRcvrTrigger)) >> kRxTriggerShift];
  }
  update_irq();
}

void Uart16550::write_mcr(uint8_t value) {
  const uint8_t inputs_before = modem_inputs();
  mcr_ = static_cast<uint8_t>(value & bits(Mcr::kAll));
  note_modem_inputs(inputs_before);
  update_irq();
}

uint8_t Uart16550::read_rbr() {
  if (rx_count_ > 0) {
    rbr_ = rx_fifo_[rx_head_];
    rx_head_ = (rx_head_ + 1) % kFifoSize;
    --rx_count_;
    update_irq();
  }
  return rbr_;
}

uint8_t Uart16550::read_iir() {
  const uint8_t id = pending_interrupt();
  // Reading IIR resets the THRE interrupt only when it is the one reported (Table IV).
  if (id == bits(Iir::kThrEmpty)) {
    thre_pending_ = false;
    update_irq();
  }
  return static_cast<uint8_t>(id | (fifo_enabled_ ? bits(Iir::kFifosEnabled) : 0));
}

uint8_t Uart16550::read_lsr() {
  uint8_t value = static_cast<uint8_t>(lsr_errors_ | bits(Lsr::kThre, Lsr::kTemt));
  if (rx_count_ > 0) value |= bits(Lsr::kDr);
  if (lsr_errors_ != 0) {  // the error bits, and with them the line status interrupt, reset
    lsr_errors_ = 0;
    update_irq();
  }
  return value;
}

uint8_t Uart16550::read_msr() {
  const uint8_t value = static_cast<uint8_t>(modem_inputs() | msr_deltas_);
  if (msr_deltas_ != 0) {
    msr_deltas_ = 0;
    update_irq();
  }
  return value;
}

void Uart16550::shift_in(uint8_t byte) {
  if (rx_count_ == rx_capacity()) {
    // Overrun (LSR bit 1): in FIFO mode the new character stays in the shift register and is
    // lost; in 16450 mode it replaces the unread one in RBR.
    lsr_errors_ |= bits(Lsr::kOe);
    if (!fifo_enabled_) rx_fifo_[rx_head_] = byte;
    return;
  }
  rx_fifo_[(rx_head_ + rx_count_) % kFifoSize] = byte;
  ++rx_count_;
}

bool Uart16550::dlab() const {
  return (lcr_ & bits(Lcr::kDlab)) != 0;
}

bool Uart16550::loopback() const {
  return (mcr_ & bits(Mcr::kLoop)) != 0;
}

uint8_t Uart16550::pending_interrupt() const {
  if ((ier_ & bits(Ier::kElsi)) != 0 && lsr_errors_ != 0) return bits(Iir::kReceiverLineStatus);
  if ((ier_ & bits(Ier::kErbfi)) != 0 && rx_count_ > 0) {
    // Simplified timing: with no character clock, the four character times of silence that
    // raise the character timeout have passed as soon as the owner's input burst ends.
    if (!fifo_enabled_ || rx_count_ >= rx_trigger_) return bits(Iir::kReceivedDataAvailable);
    return bits(Iir::kCharacterTimeout);
  }
  if ((ier_ & bits(Ier::kEtbei)) != 0 && thre_pending_) return bits(Iir::kThrEmpty);
  if ((ier_ & bits(Ier::kEdssi)) != 0 && msr_deltas_ != 0) return bits(Iir::kModemStatus);
  return bits(Iir::kNone);
}

uint8_t Uart16550::modem_inputs() const {
  if (!loopback()) return kFarEndInputs;
  // Loopback (MCR bit 4): RTS drives CTS, DTR drives DSR, OUT1 drives RI and OUT2 drives DCD.
  uint8_t inputs = 0;
  if ((mcr_ & bits(Mcr::kRts)) != 0) inputs |= bits(Msr::kCts);
  if ((mcr_ & bits(Mcr::kDtr)) != 0) inputs |= bits(Msr::kDsr);
  if ((mcr_ & bits(Mcr::kOut1)) != 0) inputs |= bits(Msr::kRi);
  if ((mcr_ & bits(Mcr::kOut2)) != 0) inputs |= bits(Msr::kDcd);
  return inputs;
}

void Uart16550::note_modem_inputs(uint8_t before) {
  const uint8_t after = modem_inputs();
  const uint8_t changed = static_cast<uint8_t>(before ^ after);
  if ((changed & bits(Msr::kCts)) != 0) msr_deltas_ |= bits(Msr::kDcts);
  if ((changed & bits(Msr::kDsr)) != 0) msr_deltas_ |= bits(Msr::kDdsr);
  if ((changed & bits(Msr::kDcd)) != 0) msr_deltas_ |= bits(Msr::kDdcd);
  if ((before & ~after & bits(Msr::kRi)) != 0) msr_deltas_ |= bits(Msr::kTeri);
}

void Uart16550::update_irq() {
  const bool level =
      pending_interrupt() != bits(Iir::kNone) && (mcr_ & bits(Mcr::kOut2)) != 0 && !loopback();
  if (level == irq_level_) return;
  irq_level_ = level;
  if (irq_) irq_(level);
}

namespace {

constexpr uint16_t kCom1 = 0x3f8;
constexpr uint32_t kCom1Irq = 4;

// The console UART with the typed input it has not taken yet; under the device's lock, as the
// UART is.
class ConsoleUart final : public PortIoHandler {
 public:
  ConsoleUart(Board& board, InterruptLine& line)
      : uart_(
            kCom1, [&board](uint8_t byte) { board.console_output(byte); },
            [&line](bool level) { line.set(level); }) {}

  Next out(uint16_t port, uint8_t size, uint32_t value) override {
    const Next next = uart_.out(port, size, value);
    feed();
    return next;
  }
  uint32_t in(uint16_t port, uint8_t size) override {
    const uint32_t value = uart_.in(port, size);
    feed();
    return value;
  }
  void type(std::string_view bytes) {
    input_.insert(input_.end(), bytes.begin(), bytes.end());
    feed();
  }

 private:
  // What the receiver FIFO has room for: only the child's accesses make room.
  void feed() {
    if (input_.empty() || uart_.rx_room() == 0) return;
    uint8_t chunk[Uart16550::kFifoSize];
    size_t n = 0;
    while (n < sizeof(chunk) && n < input_.size()) {
      chunk[n] = input_[n];
      ++n;
    }
    const size_t taken = uart_.receive({chunk, n});
    input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(taken));
  }

  Uart16550 uart_;
  std::deque<uint8_t> input_;
};

}  // namespace

Result<void> plug_com1(Board& board) {
  // ISA IRQ 4 has no override in the MADT: GSI 4, edge-triggered, so each rise of the 16550's
  // output level is the edge the I/O APIC latches.
  auto line = board.isa_line(kCom1Irq);
  if (!line) return std::unexpected(line.error());
  auto& com1 = board.add_device<ConsoleUart>("com1 16550", board, **line);
  if (auto r = board.add_ports(com1, kCom1, Uart16550::kPortCount); !r) return r;
  return board.add_console_input(
      [&com1](std::string_view bytes) { com1.with([bytes](ConsoleUart& u) { u.type(bytes); }); });
}

}  // namespace rootstock::vmm::devices
