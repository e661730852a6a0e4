// hv's C++ entry, reached from arch/x86/entry.S in long mode on the boot CPU.
#include <stdint.h>

#include "arch/x86/boot_layout.h"
#include "arch/x86/port_io.hpp"
#include "console/log.hpp"
#include "console/uart16550.hpp"

namespace {

hv::Uart16550 g_console{hv::Uart16550::kCom1};

const char* protocol_name(uint32_t protocol) {
  switch (protocol) {
    case BOOT_PROTOCOL_PVH:
      return "PVH";
    case BOOT_PROTOCOL_MULTIBOOT2:
      return "Multiboot2";
    default:
      return "an unknown boot protocol";
  }
}

}  // namespace

extern "C" [[noreturn]] void hv_main(uint32_t protocol, uint32_t boot_info) {
  if (g_console.init()) {
    hv::log::attach(&g_console);
  }
  hv::log::info("Rootstock hv %s, entered through %s, boot information at 0x%x", ROOTSTOCK_VERSION,
                protocol_name(protocol), boot_info);
  hv::log::error("not yet: boot information, memory, ACPI, SMP and SVM (issue 3); stopping");
  hv::x86::halt_forever();
}
