// The child's console UART: Linux's 8250 driver finds a 16550A with the probe it runs
// (drivers/tty/serial/8250/8250_port.c: autoconfig(), autoconfig_16550a(),
// serial8250_do_startup()), the guest's bytes reach the sink, and the receive path, the
// interrupt identification and the interrupt output behave as the PC16550D datasheet says.
#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <string>
#include <vector>

#include "vmm/devices/uart16550.hpp"

using namespace rootstock::vmm;
using namespace rootstock::vmm::devices;
using namespace rootstock::vmm::devices::uart16550;

namespace {

constexpr uint16_t kCom1 = 0x3f8;

// Values Linux writes (include/uapi/linux/serial_reg.h).
constexpr uint8_t kLcrConfModeA = 0x80;  // UART_LCR_CONF_MODE_A: DLAB
constexpr uint8_t kLcrConfModeB = 0xbf;  // UART_LCR_CONF_MODE_B: the EFR unlock
constexpr uint8_t kLcr8N1 = 0x03;        // UART_LCR_WLEN8
constexpr uint8_t kFcr7_64Byte = 0x20;   // UART_FCR7_64BYTE (TI16750 only)
constexpr uint8_t kIirFifo16750 = 0x20;  // UART_IIR_64BYTE_FIFO
constexpr uint8_t kIerUue = 0x40;        // UART_IER_UUE (XScale only)
constexpr uint8_t kFcrTrigger8 = 0x80;   // UART_FCR_R_TRIG_10: 8 bytes

/// A UART at COM1 with its sink and interrupt line recorded.
struct Rig {
  std::string sent;
  std::vector<bool> irq_changes;
  Uart16550 uart{kCom1, [this](uint8_t b) { sent += static_cast<char>(b); },
                 [this](bool level) { irq_changes.push_back(level); }};

  /// Rising edges of the interrupt output so far.
  [[nodiscard]] size_t rises() const {
    return static_cast<size_t>(std::count(irq_changes.begin(), irq_changes.end(), true));
  }

  void out(Reg reg, uint8_t value) { REQUIRE(uart.out(port(reg), 1, value) == Next::kContinue); }
  uint8_t in(Reg reg) { return static_cast<uint8_t>(uart.in(port(reg), 1)); }
  size_t feed(const std::string& text) {
    return uart.receive({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  }
  static uint16_t port(Reg reg) { return static_cast<uint16_t>(kCom1 + std::to_underlying(reg)); }
};

}  // namespace

TEST_CASE("uart16550: reset state as in the datasheet's reset table") {
  Rig rig;
  CHECK(rig.in(Reg::kIer) == 0);
  CHECK(rig.in(Reg::kIirFcr) == bits(Iir::kNone));
  CHECK(rig.in(Reg::kLcr) == 0);
  CHECK(rig.in(Reg::kMcr) == 0);
  CHECK(rig.in(Reg::kLsr) == bits(Lsr::kThre, Lsr::kTemt));  // 0x60; Linux bails on 0xff
  CHECK(rig.in(Reg::kMsr) == bits(Msr::kCts, Msr::kDsr, Msr::kDcd));
  CHECK_FALSE(rig.uart.irq_level());
  CHECK(rig.irq_changes.empty());
  CHECK(rig.uart.rx_room() == 1);
}

TEST_CASE("uart16550: Linux's IER and scratch tests find a UART") {
  Rig rig;
  // autoconfig(): IER reads back what was written in bits 3:0.
  const uint8_t saved_ier = rig.in(Reg::kIer);
  rig.out(Reg::kIer, 0);
  CHECK((rig.in(Reg::kIer) & 0x0f) == 0);
  rig.out(Reg::kIer, 0x0f);
  CHECK((rig.in(Reg::kIer) & 0x0f) == 0x0f);
  rig.out(Reg::kIer, saved_ier);
  // Bits 7:4 stay 0 (autoconfig_16550a() takes a writable bit 6 for an XScale UART).
  rig.out(Reg::kIer, kIerUue);
  CHECK(rig.in(Reg::kIer) == 0);
  // autoconfig_8250(): a scratch register tells a 16450 from an 8250.
  rig.out(Reg::kScr, 0xa5);
  CHECK(rig.in(Reg::kScr) == 0xa5);
  rig.out(Reg::kScr, 0x5a);
  CHECK(rig.in(Reg::kScr) == 0x5a);
}

TEST_CASE("uart16550: Linux's loopback test sees MSR follow MCR") {
  Rig rig;
  const uint8_t saved_mcr = rig.in(Reg::kMcr);
  rig.out(Reg::kMcr, bits(Mcr::kLoop, Mcr::kOut2, Mcr::kRts));      // 0x1a
  CHECK((rig.in(Reg::kMsr) & 0xf0) == bits(Msr::kDcd, Msr::kCts));  // 0x90
  rig.out(Reg::kMcr, saved_mcr);
  CHECK(rig.in(Reg::kMcr) == 0);
  // Each MCR output drives its MSR input.
  const struct {
    Mcr out;
    Msr in;
  } wiring[] = {{Mcr::kRts, Msr::kCts},
                {Mcr::kDtr, Msr::kDsr},
                {Mcr::kOut1, Msr::kRi},
                {Mcr::kOut2, Msr::kDcd}};
  for (const auto& w : wiring) {
    rig.out(Reg::kMcr, bits(Mcr::kLoop, w.out));
    CHECK((rig.in(Reg::kMsr) & 0xf0) == bits(w.in));
  }
  // MCR bits 7:5 do not exist on a 16550A (bit 5 is a TI16750's AFE).
  rig.out(Reg::kMcr, 0xe0);
  CHECK(rig.in(Reg::kMcr) == 0);
}

TEST_CASE("uart16550: the divisor latch round-trips behind DLAB") {
  Rig rig;
  rig.out(Reg::kIer, bits(Ier::kErbfi));
  rig.out(Reg::kLcr, static_cast<uint8_t>(kLcr8N1 | bits(Lcr::kDlab)));
  rig.out(Reg::kRbrThr, 0x01);  // DLL: 115200 baud
  rig.out(Reg::kIer, 0x02);     // DLM
  CHECK(rig.in(Reg::kRbrThr) == 0x01);
  CHECK(rig.in(Reg::kIer) == 0x02);
  CHECK(rig.uart.divisor() == 0x0201);
  CHECK(rig.sent.empty());  // the DLL write did not transmit
  rig.out(Reg::kLcr, kLcr8N1);
  CHECK(rig.in(Reg::kIer) == bits(Ier::kErbfi));  // IER was not touched
  CHECK(rig.uart.line_control() == kLcr8N1);
  // The conf modes Linux uses are LCR values with DLAB: offset 2 stays IIR/FCR under them.
  rig.out(Reg::kLcr, kLcrConfModeB);
  CHECK(rig.in(Reg::kLcr) == kLcrConfModeB);
  CHECK(rig.in(Reg::kIirFcr) == bits(Iir::kNone));
}

TEST_CASE("uart16550: Linux's FIFO probe identifies a 16550A and nothing more") {
  Rig rig;
  // autoconfig(): clear the EFR a 16650 would have (FCR here), then enable the FIFOs.
  rig.out(Reg::kLcr, kLcrConfModeB);
  rig.out(Reg::kIirFcr, 0);
  rig.out(Reg::kLcr, 0);
  rig.out(Reg::kIirFcr, bits(Fcr::kFifoEnable));
  CHECK((rig.in(Reg::kIirFcr) & 0xc0) == 0xc0);  // UART_IIR_FIFO_ENABLED_16550A
  // autoconfig_16550a(): no EFR under conf mode A (IIR answers, non-zero)...
  rig.out(Reg::kLcr, kLcrConfModeA);
  CHECK(rig.in(Reg::kIirFcr) != 0);
  // ...nor under conf mode B...
  rig.out(Reg::kLcr, kLcrConfModeB);
  CHECK(rig.in(Reg::kIirFcr) != 0);
  // ...and no 64-byte FIFO of a TI16750, with or without DLAB.
  rig.out(Reg::kLcr, 0);
  rig.out(Reg::kIirFcr, static_cast<uint8_t>(bits(Fcr::kFifoEnable) | kFcr7_64Byte));
  CHECK((rig.in(Reg::kIirFcr)&kIirFifo16750) == 0);
  rig.out(Reg::kLcr, kLcrConfModeA);
  rig.out(Reg::kIirFcr, static_cast<uint8_t>(bits(Fcr::kFifoEnable) | kFcr7_64Byte));
  CHECK((rig.in(Reg::kIirFcr)&kIirFifo16750) == 0);
  // FCR.0 = 0 is 16450 mode again.
  rig.out(Reg::kLcr, 0);
  rig.out(Reg::kIirFcr, 0);
  CHECK(rig.in(Reg::kIirFcr) == bits(Iir::kNone));
}

TEST_CASE("uart16550: THR bytes go to the sink and THR is always empty") {
  Rig rig;
  // Whole bytes even before the guest programs 8 data bits (reset LCR: 5 bits).
  rig.out(Reg::kRbrThr, 'a');
  CHECK(rig.sent == "a");
  rig.sent.clear();
  rig.out(Reg::kLcr, kLcr8N1);
  for (const char c : std::string("ok\n")) {
    CHECK((rig.in(Reg::kLsr)&bits(Lsr::kThre, Lsr::kTemt)) == bits(Lsr::kThre, Lsr::kTemt));
    rig.out(Reg::kRbrThr, static_cast<uint8_t>(c));
  }
  CHECK(rig.sent == "ok\n");
  CHECK(rig.in(Reg::kLsr) == bits(Lsr::kThre, Lsr::kTemt));
}

TEST_CASE("uart16550: the THRE interrupt follows the datasheet and Linux's startup tests") {
  Rig rig;
  rig.out(Reg::kMcr, bits(Mcr::kDtr, Mcr::kRts, Mcr::kOut2));
  rig.out(Reg::kIirFcr, bits(Fcr::kFifoEnable));

  // Setting ETBEI with THR empty raises it at once (UART_BUG_TXEN test).
  rig.out(Reg::kIer, bits(Ier::kEtbei));
  CHECK((rig.in(Reg::kLsr)&bits(Lsr::kTemt)) != 0);
  CHECK(rig.uart.irq_level());
  CHECK(rig.in(Reg::kIirFcr) == (bits(Iir::kFifosEnabled) | bits(Iir::kThrEmpty)));  // 0xc2
  // That IIR read was the THRE interrupt's reset.
  CHECK_FALSE(rig.uart.irq_level());
  CHECK(rig.in(Reg::kIirFcr) == (bits(Iir::kFifosEnabled) | bits(Iir::kNone)));
  CHECK(rig.irq_changes == std::vector<bool>{true, false});

  // Clearing and setting ETBEI raises it again (UART_BUG_THRE test).
  rig.out(Reg::kIer, 0);
  rig.out(Reg::kIer, bits(Ier::kEtbei));
  CHECK(rig.in(Reg::kIirFcr) == 0xc2);
  CHECK(rig.in(Reg::kIirFcr) == 0xc1);

  // A THR write resets it and, the byte gone, THR is empty and it is pending again: the line
  // pulses, giving an edge-triggered controller its next edge.
  rig.out(Reg::kIer, 0);
  rig.out(Reg::kIer, bits(Ier::kEtbei));
  REQUIRE(rig.uart.irq_level());
  rig.irq_changes.clear();
  rig.out(Reg::kRbrThr, 'x');
  CHECK(rig.irq_changes == std::vector<bool>{false, true});
  CHECK(rig.in(Reg::kIirFcr) == 0xc2);
  CHECK(rig.sent == "x");

  // After the IIR read reset it, a THR write brings it back (the next THRE interrupt).
  rig.irq_changes.clear();
  rig.out(Reg::kRbrThr, 'y');
  CHECK(rig.irq_changes == std::vector<bool>{true});

  // Clearing ETBEI masks it.
  rig.out(Reg::kIer, 0);
  CHECK_FALSE(rig.uart.irq_level());
  CHECK(rig.in(Reg::kIirFcr) == 0xc1);
}

TEST_CASE("uart16550: received data sets DR and raises RDA above THRE") {
  Rig rig;
  rig.out(Reg::kMcr, bits(Mcr::kOut2));
  rig.out(Reg::kIer, bits(Ier::kErbfi, Ier::kEtbei));
  CHECK(rig.in(Reg::kIirFcr) == bits(Iir::kThrEmpty));
  rig.out(Reg::kIer, 0);
  rig.out(Reg::kIer, bits(Ier::kErbfi, Ier::kEtbei));  // THRE pending again
  REQUIRE(rig.uart.irq_level());
  rig.irq_changes.clear();

  // 16450 mode: RBR holds one byte.
  CHECK(rig.uart.rx_room() == 1);
  CHECK(rig.feed("ab") == 1);
  CHECK(rig.uart.rx_room() == 0);
  CHECK(rig.feed("b") == 0);
  CHECK((rig.in(Reg::kLsr)&bits(Lsr::kDr, Lsr::kOe)) == bits(Lsr::kDr));  // no overrun
  CHECK(rig.in(Reg::kIirFcr) == bits(Iir::kReceivedDataAvailable));       // over THRE
  CHECK(rig.in(Reg::kIirFcr) == bits(Iir::kReceivedDataAvailable));       // IIR reads keep it
  CHECK(rig.in(Reg::kRbrThr) == 'a');
  CHECK((rig.in(Reg::kLsr)&bits(Lsr::kDr)) == 0);
  CHECK(rig.in(Reg::kIirFcr) == bits(Iir::kThrEmpty));  // THRE survived below RDA
  CHECK(rig.in(Reg::kIirFcr) == bits(Iir::kNone));
  // The line stayed up from THRE through RDA and back, and fell with the last reset.
  CHECK(rig.irq_changes == std::vector<bool>{false});
  // An empty RBR still holds the last byte.
  CHECK(rig.in(Reg::kRbrThr) == 'a');
}

TEST_CASE("uart16550: the FIFO takes 16 bytes, reports its trigger level and times out") {
  Rig rig;
  rig.out(Reg::kMcr, bits(Mcr::kOut2));
  rig.out(Reg::kIirFcr, static_cast<uint8_t>(bits(Fcr::kFifoEnable) | kFcrTrigger8));
  rig.out(Reg::kIer, bits(Ier::kErbfi));
  CHECK(rig.uart.rx_room() == Uart16550::kFifoSize);

  // Below the trigger level: the character timeout (at once: no character clock here).
  CHECK(rig.feed("abc") == 3);
  CHECK(rig.in(Reg::kIirFcr) == (bits(Iir::kFifosEnabled) | bits(Iir::kCharacterTimeout)));
  CHECK(rig.uart.irq_level());
  // At the trigger level: received data available.
  CHECK(rig.feed("defgh") == 5);
  CHECK(rig.in(Reg::kIirFcr) == (bits(Iir::kFifosEnabled) | bits(Iir::kReceivedDataAvailable)));
  // A full FIFO takes no more: the owner keeps the rest, nothing overruns.
  CHECK(rig.feed("ijklmnopqrstuvwxyz") == 8);
  CHECK(rig.uart.rx_room() == 0);
  CHECK(rig.feed("q") == 0);
  CHECK((rig.in(Reg::kLsr)&bits(Lsr::kOe)) == 0);

  std::string got;
  while ((rig.in(Reg::kLsr)&bits(Lsr::kDr)) != 0) {
    got += static_cast<char>(rig.in(Reg::kRbrThr));
    if (got.size() == 9) {  // 7 left: below the trigger again
      CHECK(rig.in(Reg::kIirFcr) == (bits(Iir::kFifosEnabled) | bits(Iir::kCharacterTimeout)));
    }
  }
  CHECK(got == "abcdefghijklmnop");
  CHECK(rig.in(Reg::kIirFcr) == (bits(Iir::kFifosEnabled) | bits(Iir::kNone)));
  CHECK_FALSE(rig.uart.irq_level());
  CHECK(rig.irq_changes == std::vector<bool>{true, false});
  CHECK(rig.uart.rx_room() == Uart16550::kFifoSize);
}

TEST_CASE("uart16550: FCR resets and mode changes clear the receiver FIFO") {
  Rig rig;
  rig.out(Reg::kIirFcr, bits(Fcr::kFifoEnable));
  REQUIRE(rig.feed("abcd") == 4);
  // Without FCR.0 the other bits are not programmed: this write leaves 16450 mode cleared...
  rig.out(Reg::kIirFcr, bits(Fcr::kRcvrFifoReset));
  CHECK((rig.in(Reg::kLsr)&bits(Lsr::kDr)) == 0);
  CHECK(rig.uart.rx_room() == 1);
  // ...a RCVR FIFO reset with FCR.0 clears it too...
  rig.out(Reg::kIirFcr, bits(Fcr::kFifoEnable));
  REQUIRE(rig.feed("abcd") == 4);
  rig.out(Reg::kIirFcr, bits(Fcr::kFifoEnable, Fcr::kRcvrFifoReset, Fcr::kXmitFifoReset));
  CHECK((rig.in(Reg::kLsr)&bits(Lsr::kDr)) == 0);
  CHECK(rig.uart.rx_room() == Uart16550::kFifoSize);
  // ...and rewriting FCR.0 unchanged keeps the data.
  REQUIRE(rig.feed("ab") == 2);
  rig.out(Reg::kIirFcr, bits(Fcr::kFifoEnable));
  CHECK(rig.in(Reg::kRbrThr) == 'a');
}

TEST_CASE("uart16550: loopback receives THR, overruns when full, and cuts off the input") {
  Rig rig;
  rig.out(Reg::kIirFcr, bits(Fcr::kFifoEnable));
  rig.out(Reg::kMcr, bits(Mcr::kLoop));
  rig.out(Reg::kIer, bits(Ier::kErbfi, Ier::kElsi));
  CHECK(rig.uart.rx_room() == 0);  // SIN is disconnected: console input waits
  CHECK(rig.feed("z") == 0);

  for (int i = 0; i < 17; ++i) rig.out(Reg::kRbrThr, static_cast<uint8_t>('A' + i));
  CHECK(rig.sent.empty());  // SOUT is held marking
  // The 17th byte overran: the line status interrupt comes before received data.
  CHECK(rig.in(Reg::kIirFcr) == (bits(Iir::kFifosEnabled) | bits(Iir::kReceiverLineStatus)));
  CHECK(rig.in(Reg::kLsr) == bits(Lsr::kDr, Lsr::kOe, Lsr::kThre, Lsr::kTemt));
  // Reading LSR reset OE.
  CHECK(rig.in(Reg::kLsr) == bits(Lsr::kDr, Lsr::kThre, Lsr::kTemt));
  CHECK(rig.in(Reg::kIirFcr) == (bits(Iir::kFifosEnabled) | bits(Iir::kReceivedDataAvailable)));
  std::string got;
  while ((rig.in(Reg::kLsr)&bits(Lsr::kDr)) != 0) got += static_cast<char>(rig.in(Reg::kRbrThr));
  CHECK(got == "ABCDEFGHIJKLMNOP");  // the FIFO kept the first 16; 'Q' was lost

  // In 16450 mode the new byte replaces the unread one.
  rig.out(Reg::kIirFcr, 0);
  rig.out(Reg::kRbrThr, '1');
  rig.out(Reg::kRbrThr, '2');
  CHECK(rig.in(Reg::kLsr) == bits(Lsr::kDr, Lsr::kOe, Lsr::kThre, Lsr::kTemt));
  CHECK(rig.in(Reg::kRbrThr) == '2');

  // None of this reached the interrupt controller: loopback holds the OUT2 pin inactive.
  CHECK(rig.irq_changes.empty());
  // Leaving loopback opens the input again.
  rig.out(Reg::kMcr, 0);
  CHECK(rig.uart.rx_room() == 1);
}

TEST_CASE("uart16550: MSR delta bits latch changes and raise the modem status interrupt") {
  Rig rig;
  rig.out(Reg::kIer, bits(Ier::kEdssi));
  CHECK(rig.in(Reg::kIirFcr) == bits(Iir::kNone));
  // Entering loopback drops CTS, DSR and DCD (all MCR outputs are off).
  rig.out(Reg::kMcr, bits(Mcr::kLoop));
  CHECK(rig.in(Reg::kIirFcr) == bits(Iir::kModemStatus));
  CHECK(rig.in(Reg::kMsr) == bits(Msr::kDcts, Msr::kDdsr, Msr::kDdcd));
  CHECK(rig.in(Reg::kIirFcr) == bits(Iir::kNone));  // reading MSR reset it
  CHECK(rig.in(Reg::kMsr) == 0);
  // RI rising is no trailing edge; RI falling is.
  rig.out(Reg::kMcr, bits(Mcr::kLoop, Mcr::kOut1));
  CHECK(rig.in(Reg::kMsr) == bits(Msr::kRi));
  CHECK(rig.in(Reg::kIirFcr) == bits(Iir::kNone));
  rig.out(Reg::kMcr, bits(Mcr::kLoop));
  CHECK(rig.in(Reg::kMsr) == bits(Msr::kTeri));
  // Leaving loopback gives the far end's lines back.
  rig.out(Reg::kMcr, 0);
  CHECK(rig.in(Reg::kMsr) ==
        bits(Msr::kCts, Msr::kDsr, Msr::kDcd, Msr::kDcts, Msr::kDdsr, Msr::kDdcd));
  CHECK(rig.in(Reg::kMsr) == bits(Msr::kCts, Msr::kDsr, Msr::kDcd));
  // An MCR write outside loopback changes no input.
  rig.out(Reg::kMcr, bits(Mcr::kDtr, Mcr::kRts));
  CHECK(rig.in(Reg::kMsr) == bits(Msr::kCts, Msr::kDsr, Msr::kDcd));
}

TEST_CASE("uart16550: OUT2 gates the interrupt output") {
  Rig rig;
  rig.out(Reg::kIer, bits(Ier::kEtbei));
  // Pending, as IIR says, but OUT2 is off.
  CHECK_FALSE(rig.uart.irq_level());
  CHECK(rig.irq_changes.empty());
  rig.out(Reg::kMcr, bits(Mcr::kOut2));
  CHECK(rig.uart.irq_level());
  rig.out(Reg::kMcr, bits(Mcr::kDtr, Mcr::kRts));
  CHECK_FALSE(rig.uart.irq_level());
  rig.out(Reg::kMcr, bits(Mcr::kDtr, Mcr::kRts, Mcr::kOut2));
  CHECK(rig.uart.irq_level());
  // Loopback forces the OUT2 pin inactive.
  rig.out(Reg::kMcr, bits(Mcr::kLoop, Mcr::kOut2));
  CHECK_FALSE(rig.uart.irq_level());
  CHECK(rig.irq_changes == std::vector<bool>{true, false, true, false});
  CHECK(rig.in(Reg::kIirFcr) == bits(Iir::kThrEmpty));  // still pending inside the chip
}

TEST_CASE("uart16550: the line callback runs only on changes") {
  Rig rig;
  rig.out(Reg::kMcr, bits(Mcr::kOut2));
  rig.out(Reg::kMcr, bits(Mcr::kOut2));
  rig.out(Reg::kIer, bits(Ier::kErbfi));
  rig.out(Reg::kIer, bits(Ier::kErbfi));
  CHECK(rig.irq_changes.empty());
  REQUIRE(rig.feed("a") == 1);
  rig.out(Reg::kIer, bits(Ier::kErbfi, Ier::kElsi, Ier::kEdssi));  // still pending
  rig.out(Reg::kMcr, bits(Mcr::kOut2, Mcr::kDtr));
  (void)rig.in(Reg::kIirFcr);  // RDA is not reset by IIR reads
  (void)rig.in(Reg::kLsr);
  (void)rig.in(Reg::kMsr);
  CHECK(rig.irq_changes == std::vector<bool>{true});
  (void)rig.in(Reg::kRbrThr);
  (void)rig.in(Reg::kRbrThr);
  CHECK(rig.irq_changes == std::vector<bool>{true, false});
}

TEST_CASE("uart16550: wide accesses split into bytes; other ports are an empty bus") {
  Rig rig;
  // A 16-bit OUT at LCR writes LCR and MCR.
  rig.uart.out(Rig::port(Reg::kLcr), 2, 0x0b03);
  CHECK(rig.in(Reg::kLcr) == 0x03);
  CHECK(rig.in(Reg::kMcr) == 0x0b);
  // A 32-bit IN at LCR reads LCR, MCR, LSR, MSR.
  CHECK(rig.uart.in(Rig::port(Reg::kLcr), 4) == 0xb0'60'0b'03);
  // Bytes past the UART's eight ports: writes dropped, reads 0xff.
  rig.uart.out(Rig::port(Reg::kScr), 2, 0x1234);
  CHECK(rig.in(Reg::kScr) == 0x34);
  CHECK(rig.uart.in(Rig::port(Reg::kScr), 2) == 0xffff'ff34);
  CHECK(rig.uart.in(kCom1 - 1, 1) == 0xffff'ffff);
  CHECK(rig.uart.stray_accesses() == 3);
  CHECK(rig.sent.empty());
}

namespace {

/// Linux's interrupt-driven 8250 port, cut down to what touches the chip:
/// serial8250_handle_irq() with serial8250_rx_chars() and serial8250_tx_chars() (tx_loadsz 16
/// for a 16550A; __stop_tx() clears THRI once the buffer is empty).
struct LinuxPort {
  Rig& rig;
  std::string to_send;
  size_t next = 0;
  std::string received;
  uint8_t ier = 0;

  void startup() {
    rig.out(Reg::kIirFcr, static_cast<uint8_t>(bits(Fcr::kFifoEnable) | kFcrTrigger8));
    rig.out(Reg::kLcr, kLcr8N1);
    rig.out(Reg::kMcr, bits(Mcr::kDtr, Mcr::kRts, Mcr::kOut2));
    ier = bits(Ier::kErbfi, Ier::kElsi);
    rig.out(Reg::kIer, ier);
  }
  void start_tx() {
    ier |= bits(Ier::kEtbei);
    rig.out(Reg::kIer, ier);
  }
  void handle_irq() {
    if ((rig.in(Reg::kIirFcr)&bits(Iir::kNone)) != 0) return;
    uint8_t lsr = rig.in(Reg::kLsr);
    while ((lsr & bits(Lsr::kDr)) != 0) {
      received += static_cast<char>(rig.in(Reg::kRbrThr));
      lsr = rig.in(Reg::kLsr);
    }
    if ((lsr & bits(Lsr::kThre)) == 0 || (ier & bits(Ier::kEtbei)) == 0) return;
    for (int count = 16; count > 0 && next < to_send.size(); --count) {
      rig.out(Reg::kRbrThr, static_cast<uint8_t>(to_send[next++]));
    }
    if (next == to_send.size()) {
      ier &= static_cast<uint8_t>(~bits(Ier::kEtbei));
      rig.out(Reg::kIer, ier);
    }
  }
};

}  // namespace

TEST_CASE("uart16550: Linux's interrupt-driven port runs over an edge-triggered pin") {
  // The controller latches one rising edge while the handler runs, as an IOAPIC edge pin does
  // for ISA IRQ 4: the port stalls if the UART ever holds its output high without a new edge,
  // or leaves it low with work pending.
  Rig rig;
  LinuxPort port{.rig = rig,
                 .to_send = "Linux version 6.12 (rootstock) #1 SMP\nlogin: ",
                 .next = 0,
                 .received = {},
                 .ier = 0};
  size_t handled = 0;
  // Runs the handler for each latched edge, feeding `typed` as room appears, until quiet.
  const auto run = [&](const std::string& typed) {
    size_t fed = 0;
    for (int round = 0; round < 1000 && (handled < rig.rises() || fed < typed.size()); ++round) {
      fed += rig.feed(typed.substr(fed));
      if (handled < rig.rises()) {
        handled = rig.rises();
        port.handle_irq();
      }
    }
  };
  port.startup();
  port.start_tx();
  run("");
  CHECK(rig.sent == port.to_send);  // three THRE interrupts' worth, no input to help
  CHECK_FALSE(rig.uart.irq_level());

  const std::string typed = "root\nuname -a; cat /proc/interrupts\n";
  run(typed);
  CHECK(port.received == typed);
  CHECK_FALSE(rig.uart.irq_level());
  CHECK(rig.in(Reg::kIirFcr) == (bits(Iir::kFifosEnabled) | bits(Iir::kNone)));
}
