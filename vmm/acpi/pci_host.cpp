#include "vmm/acpi/pci_host.hpp"

#include "vmm/acpi/aml.hpp"

namespace rootstock::vmm::acpi {

namespace {

// Configuration mechanism #1's ports (PCI 3.0, 3.2.2.3.2), consumed by the bridge itself.
constexpr uint16_t kConfigPorts = 0xcf8;
constexpr uint8_t kConfigPortCount = 8;
constexpr uint16_t kLastPort = 0xffff;

}  // namespace

std::vector<uint8_t> pci_host_aml(const PciHost& host) {
  aml::Bytes crs;
  aml::word_bus_numbers(crs, 0, 0);
  aml::io_port(crs, kConfigPorts, kConfigPortCount);
  // The I/O ports on either side of the configuration ports (what a PC's bridge forwards);
  // the legacy devices there (the UART, the PM block) are the machine's, not the bus's.
  aml::word_io(crs, 0, kConfigPorts - 1);
  aml::word_io(crs, kConfigPorts + kConfigPortCount, kLastPort);
  aml::dword_memory(crs, host.window_base, host.window_base + (host.window_size - 1));
  aml::end_tag(crs);

  aml::Bytes terms;
  aml::name(terms, {'_', 'H', 'I', 'D'}, aml::eisa_id("PNP0A03"));
  aml::Bytes zero;
  aml::integer(zero, 0);
  aml::name(terms, {'_', 'U', 'I', 'D'}, zero);
  aml::name(terms, {'_', 'S', 'E', 'G'}, zero);
  aml::name(terms, {'_', 'B', 'B', 'N'}, zero);
  aml::name(terms, {'_', 'C', 'R', 'S'}, aml::buffer(crs));

  aml::Bytes device;
  aml::device(device, {'P', 'C', 'I', '0'}, terms);
  // ACPI 6.5, 5.3.1: devices on the system bus are in \_SB.
  aml::Bytes out;
  aml::root_scope(out, {'_', 'S', 'B', '_'}, device);
  return out;
}

}  // namespace rootstock::vmm::acpi
