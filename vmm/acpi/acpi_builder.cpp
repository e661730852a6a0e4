#include "vmm/acpi/acpi_builder.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <optional>
#include <type_traits>
#include <vector>

#include "rootstock/acpi/generic_address.hpp"
#include "rootstock/acpi/madt_entries.hpp"
#include "rootstock/acpi/rsdp.hpp"
#include "rootstock/acpi/sdt.hpp"
#include "rootstock/acpi/signature.hpp"

namespace rootstock::vmm::acpi {
namespace {

namespace fw = ::rootstock::acpi;
using Bytes = std::vector<uint8_t>;

// Revisions as ACPI 6.5 defines them for each structure.
constexpr uint8_t kRsdpRevision = 2;       // 5.2.5.3: ACPI 2.0 and later, XSDT address present
constexpr uint8_t kXsdtRevision = 1;       // 5.2.8
constexpr uint8_t kFadtRevision = 6;       // 5.2.9: FADT major version 6 ...
constexpr uint8_t kFadtMinorRevision = 5;  // ... minor version 5: ACPI 6.5
constexpr uint8_t kDsdtRevision = 2;       // 5.2.11.1: 2 or more makes AML integers 64-bit
constexpr uint8_t kMadtRevision = 6;       // 5.2.12, ACPI 6.5
constexpr uint8_t kFacsVersion = 2;        // 5.2.10

constexpr char kOemTableId[8] = {'R', 'S', 'T', 'O', 'C', 'K', 'V', 'M'};
constexpr uint32_t kOemRevision = 1;
// The creator is normally the ASL compiler; these tables are written by the VMM itself.
constexpr uint32_t kCreatorId = fw::signature_value("RSTK");
constexpr uint32_t kCreatorRevision = 1;
constexpr uint32_t kFacsSignature = fw::signature_value("FACS");
constexpr char kRsdpSignature[8] = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' '};

constexpr uint64_t kRsdpAlign = 16;   // 5.2.5.1: on a 16-byte boundary
constexpr uint64_t kFacsAlign = 64;   // 5.2.10: on a 64-byte boundary
constexpr uint64_t kTableAlign = 16;  // not required by 5.2.6; firmware does it, dumps read well
constexpr uint64_t k4GiB = uint64_t{1} << 32;
constexpr uint32_t kMaxVcpus = 255;  // xAPIC ID 0xFF is the broadcast ID (SDM vol. 3A, 11.6.1)
constexpr unsigned kIsaIrqs = 16;
constexpr uint32_t kIoPortLimit = 0x10000;

/// Fixed ACPI Description Table Fixed Feature Flags (5.2.9, table 5.10) beyond fadt_table.hpp's.
namespace fadt_flag {
constexpr uint32_t kWbinvd = 1u << 0;     // WBINVD works as specified (must be set since ACPI 2.0)
constexpr uint32_t kProcC1 = 1u << 2;     // C1 (HLT) works on every processor
constexpr uint32_t kPwrButton = 1u << 4;  // set: control-method power button, or none
constexpr uint32_t kSlpButton = 1u << 5;  // set: control-method sleep button, or none
constexpr uint32_t kFixRtc = 1u << 6;     // set: no RTC wake status in PM1 (no RTC_STS)
constexpr uint32_t kTmrValExt = 1u << 8;  // set: the PM timer counts 32 bits, not 24
}  // namespace fadt_flag

/// The child's FADT flags. PWR_BUTTON is clear: the power button is the fixed feature
/// (PWRBTN_STS and PWRBTN_EN in PM1, 4.8.2.2.1), which Linux binds as LNXPWRBN without any AML.
/// No sleep button, no RTC wake. The PM timer is 32 bits wide (the VMM returns the low 32 bits
/// of a 3.579545 MHz count; Linux's clocksource masks to 24 bits anyway). RESET_REG is valid.
/// HW_REDUCED_ACPI is clear: PM1 blocks exist and sleep goes through PM1a_CNT.
constexpr uint32_t kFadtFlags = fadt_flag::kWbinvd | fadt_flag::kProcC1 | fadt_flag::kSlpButton |
                                fadt_flag::kFixRtc | fadt_flag::kTmrValExt |
                                fw::fadt_flags::kResetRegSup;
static_assert((kFadtFlags & fadt_flag::kPwrButton) == 0);
static_assert((kFadtFlags & fw::fadt_flags::kHwReducedAcpi) == 0);

/// C2/C3 latencies that mean "not supported" (5.2.9: P_LVL2_LAT > 100, P_LVL3_LAT > 1000).
constexpr uint16_t kNoC2Latency = 101;
constexpr uint16_t kNoC3Latency = 1001;

/// Generic Address Structure Access Size (5.2.3.2, table 5.2).
enum class AccessSize : uint8_t { kUndefined = 0, kByte = 1, kWord = 2, kDword = 3, kQword = 4 };

/// Firmware ACPI Control Structure (5.2.10, table 5.14). It has no checksum.
struct [[gnu::packed]] Facs {
  uint32_t signature;
  uint32_t length;
  uint32_t hardware_signature;
  uint32_t firmware_waking_vector;
  uint32_t global_lock;
  uint32_t flags;
  uint64_t x_firmware_waking_vector;
  uint8_t version;
  uint8_t reserved0[3];
  uint32_t ospm_flags;
  uint8_t reserved1[24];
};
static_assert(sizeof(Facs) == 64);
static_assert(offsetof(Facs, global_lock) == 16);
static_assert(offsetof(Facs, x_firmware_waking_vector) == 24);
static_assert(offsetof(Facs, version) == 32);
static_assert(offsetof(Facs, ospm_flags) == 36);

/// AML encodings the DSDT uses (20.2).
enum class Aml : uint8_t {
  kNameOp = 0x08,      // 20.2.5.1 DefName := NameOp NameString DataRefObject
  kBytePrefix = 0x0a,  // 20.2.3 ByteConst := BytePrefix ByteData
  kPackageOp = 0x12,   // 20.2.5.4 DefPackage := PackageOp PkgLength NumElements ElementList
};

constexpr uint8_t op(Aml a) {
  return static_cast<uint8_t>(a);
}

template <typename T>
void append(Bytes& out, const T& value) {
  static_assert(std::is_trivially_copyable_v<T>, "tables are built from plain layouts only");
  const size_t at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &value, sizeof(T));
}

uint8_t sum(std::span<const uint8_t> bytes) {
  uint8_t s = 0;
  for (const uint8_t b : bytes) s = static_cast<uint8_t>(s + b);
  return s;
}

/// The checksum byte that makes `bytes`, in which it is still 0, sum to zero (5.2.6).
uint8_t checksum(std::span<const uint8_t> bytes) {
  return static_cast<uint8_t>(0u - sum(bytes));
}

fw::SdtHeader sdt_header(fw::Signature signature, uint8_t revision, const AcpiConfig& c) {
  fw::SdtHeader h{};
  h.signature = static_cast<uint32_t>(signature);
  h.revision = revision;
  std::memcpy(h.oem_id, c.oem_id.data(), sizeof(h.oem_id));
  std::memcpy(h.oem_table_id, kOemTableId, sizeof(h.oem_table_id));
  h.oem_revision = kOemRevision;
  h.creator_id = kCreatorId;
  h.creator_revision = kCreatorRevision;
  return h;
}

/// Sets the Length and Checksum of the finished table in `t` (5.2.6).
void seal(Bytes& t) {
  const auto length = static_cast<uint32_t>(t.size());
  std::memcpy(t.data() + offsetof(fw::SdtHeader, length), &length, sizeof(length));
  t[offsetof(fw::SdtHeader, checksum)] = 0;
  t[offsetof(fw::SdtHeader, checksum)] = checksum(t);
}

fw::GenericAddress io_register(uint16_t port, uint8_t length, AccessSize access) {
  fw::GenericAddress g{};
  g.space_id = static_cast<uint8_t>(fw::AddressSpace::kSystemIo);
  g.bit_width = static_cast<uint8_t>(length * 8u);
  g.access_size = static_cast<uint8_t>(access);
  g.address = port;
  return g;
}

// ---- Checks of the configuration (nothing is written before they all pass) ----

std::optional<BuildError> check_area(const AcpiConfig& c, size_t area_bytes) {
  if (c.area_gpa == 0 || c.area_size == 0 || c.area_gpa >= k4GiB ||
      c.area_size > k4GiB - c.area_gpa) {
    return BuildError::kAreaInvalid;
  }
  if (area_bytes != c.area_size) return BuildError::kAreaSizeMismatch;
  const uint64_t end = c.area_gpa + c.area_size;
  if (c.rsdp_gpa % kRsdpAlign != 0 || c.rsdp_gpa < c.area_gpa || c.rsdp_gpa >= end) {
    return BuildError::kRsdpMisplaced;
  }
  if (end - c.rsdp_gpa < sizeof(fw::Rsdp)) return BuildError::kAreaTooSmall;
  return std::nullopt;
}

bool valid_inti_flags(uint16_t flags) {
  // 5.2.12.5, table 5.26: polarity 2 and trigger mode 2 are reserved, as are bits 4-15.
  const uint16_t polarity = flags & fw::mps_inti::kPolarityMask;
  const uint16_t trigger = flags & fw::mps_inti::kTriggerMask;
  return (flags & ~(fw::mps_inti::kPolarityMask | fw::mps_inti::kTriggerMask)) == 0 &&
         polarity != 0x2 && trigger != 0x8;
}

std::optional<BuildError> check_interrupts(const AcpiConfig& c) {
  if (c.lapic_address == 0 || c.ioapic_address == 0 || c.ioapic_pins == 0 ||
      c.ioapic_pins > UINT32_MAX - c.ioapic_gsi_base) {
    return BuildError::kBadInterruptController;
  }
  if (c.overrides.size() > kIsaIrqs) return BuildError::kBadOverride;
  for (size_t i = 0; i < c.overrides.size(); ++i) {
    const IsaOverride& o = c.overrides[i];
    if (o.irq >= kIsaIrqs || o.gsi < c.ioapic_gsi_base ||
        o.gsi - c.ioapic_gsi_base >= c.ioapic_pins || !valid_inti_flags(o.flags)) {
      return BuildError::kBadOverride;
    }
    // Linux and hv's parser refuse a second override of the same IRQ.
    for (size_t j = 0; j < i; ++j) {
      if (c.overrides[j].irq == o.irq) return BuildError::kBadOverride;
    }
  }
  if (c.sci_irq >= kIsaIrqs) return BuildError::kBadSci;
  return std::nullopt;
}

struct PortRange {
  uint32_t first;
  uint32_t length;
};

std::optional<BuildError> check_ports(const AcpiConfig& c) {
  const PortRange ranges[] = {{c.pm1a_evt_port, kPm1EvtLength},
                              {c.pm1a_cnt_port, kPm1CntLength},
                              {c.pm_tmr_port, kPmTmrLength},
                              {kResetPort, 1}};
  for (size_t i = 0; i < std::size(ranges); ++i) {
    const PortRange& r = ranges[i];
    // Port 0 would read as "block absent" (5.2.9); a block must not run past port 0xFFFF.
    if (r.first == 0 || r.first + r.length > kIoPortLimit) return BuildError::kBadPmPorts;
    for (size_t j = 0; j < i; ++j) {
      const PortRange& o = ranges[j];
      if (r.first < o.first + o.length && o.first < r.first + r.length) {
        return BuildError::kBadPmPorts;
      }
    }
  }
  return std::nullopt;
}

std::optional<BuildError> check_config(const AcpiConfig& c, size_t area_bytes) {
  if (c.vcpu_count == 0) return BuildError::kNoVcpus;
  if (c.vcpu_count > kMaxVcpus) return BuildError::kTooManyVcpus;
  if (auto e = check_area(c, area_bytes)) return e;
  if (auto e = check_interrupts(c)) return e;
  if (c.pci_host && (c.pci_host->window_size == 0 ||
                     uint64_t{c.pci_host->window_base} + c.pci_host->window_size > k4GiB)) {
    return BuildError::kBadPciWindow;
  }
  return check_ports(c);
}

// ---- Layout ----

constexpr uint64_t align_up(uint64_t v, uint64_t align) {
  return (v + align - 1) / align * align;
}

/// Hands out GPAs in the area in increasing order, around the RSDP the caller placed.
class Placer {
 public:
  explicit Placer(const AcpiConfig& c)
      : next_(c.area_gpa), end_(c.area_gpa + c.area_size), rsdp_(c.rsdp_gpa) {}

  /// The GPA of `length` bytes aligned to `align`, or nullopt when they do not fit.
  std::optional<uint64_t> place(uint64_t length, uint64_t align) {
    // Everything here is below 4 GiB plus small lengths: no sum can wrap.
    uint64_t gpa = align_up(next_, align);
    if (gpa < rsdp_ + sizeof(fw::Rsdp) && rsdp_ < gpa + length) {
      gpa = align_up(rsdp_ + sizeof(fw::Rsdp), align);
    }
    if (gpa + length > end_) return std::nullopt;
    next_ = gpa + length;
    return gpa;
  }

 private:
  uint64_t next_;
  uint64_t end_;
  uint64_t rsdp_;
};

// ---- The tables ----

/// The DSDT's AML: Name (_S5, Package () { kS5SleepType, kS5SleepType }) and nothing else.
///
///   08            NameOp                                   DefName (20.2.5.1)
///   5F 53 35 5F   NameSeg "_S5_"                           (20.2.2; the DSDT's top level is
///                                                           the root scope: no '\' needed)
///   12            PackageOp                                DefPackage (20.2.5.4)
///   06            PkgLength, one-byte form: bits 7-6 = 0 (no bytes follow), bits 5-0 = 6,
///                 counting itself, NumElements and the elements (20.2.4)
///   02            NumElements
///   0A 07         BytePrefix 7: SLP_TYPa (20.2.3 ByteConst)
///   0A 07         BytePrefix 7: SLP_TYPb (no PM1b block exists: unused)
Bytes s5_aml() {
  const uint8_t elements[] = {op(Aml::kBytePrefix), kS5SleepType,   // SLP_TYPa
                              op(Aml::kBytePrefix), kS5SleepType};  // SLP_TYPb
  constexpr uint8_t kNumElements = 2;
  constexpr size_t kPkgLength = 1 + 1 + sizeof(elements);  // PkgLength + NumElements + elements
  constexpr size_t kMaxOneBytePkgLength = 0x3f;
  static_assert(kPkgLength <= kMaxOneBytePkgLength, "the package needs a multi-byte PkgLength");
  Bytes aml = {
      op(Aml::kNameOp), '_', 'S', '5', '_', op(Aml::kPackageOp), static_cast<uint8_t>(kPkgLength),
      kNumElements};
  aml.insert(aml.end(), std::begin(elements), std::end(elements));
  return aml;
}

/// 5.2.11.1: the header and the definition block.
Bytes build_dsdt(const AcpiConfig& c) {
  Bytes t;
  append(t, sdt_header(fw::Signature::kDsdt, kDsdtRevision, c));
  const Bytes aml = s5_aml();
  t.insert(t.end(), aml.begin(), aml.end());
  if (c.pci_host) {
    const Bytes pci = pci_host_aml(*c.pci_host);
    t.insert(t.end(), pci.begin(), pci.end());
  }
  seal(t);
  return t;
}

fw::MadtEntryHeader entry_header(fw::MadtEntryType type, size_t length) {
  return {static_cast<uint8_t>(type), static_cast<uint8_t>(length)};
}

/// 5.2.12: one enabled Processor Local APIC per vCPU, the I/O APIC, the overrides.
Bytes build_madt(const AcpiConfig& c) {
  Bytes t;
  fw::MadtHeader h{};
  h.header = sdt_header(fw::Signature::kApic, kMadtRevision, c);
  h.local_apic_address = c.lapic_address;
  // The VMM's 8259 pair exists: Linux masks it before it uses the I/O APIC.
  h.flags = fw::madt_flags::kPcatCompat;
  append(t, h);
  for (uint32_t i = 0; i < c.vcpu_count; ++i) {
    fw::MadtLocalApic e{};
    e.h = entry_header(fw::MadtEntryType::kProcessorLocalApic, sizeof(e));
    e.acpi_processor_uid = static_cast<uint8_t>(i);  // < kMaxVcpus
    e.apic_id = static_cast<uint8_t>(i);
    e.flags = fw::lapic_flags::kEnabled;
    append(t, e);
  }
  fw::MadtIoApic io{};
  io.h = entry_header(fw::MadtEntryType::kIoApic, sizeof(io));
  io.io_apic_id = c.ioapic_id;
  io.io_apic_address = c.ioapic_address;
  io.global_system_interrupt_base = c.ioapic_gsi_base;
  append(t, io);
  for (const IsaOverride& o : c.overrides) {
    fw::MadtInterruptSourceOverride e{};
    e.h = entry_header(fw::MadtEntryType::kInterruptSourceOverride, sizeof(e));
    e.bus = 0;  // ISA
    e.source = o.irq;
    e.global_system_interrupt = o.gsi;
    e.flags = o.flags;
    append(t, e);
  }
  seal(t);
  return t;
}

/// 5.2.10: no S4BIOS, no 64-bit waking; the global lock starts free. ACPI calls the FACS
/// optional only for hardware-reduced platforms; Linux on a full-hardware one works without it
/// (acpi_tb_initialize_facs just continues) until anything takes the global lock (\_GL in AML,
/// an EC's _GLK), where ACPICA reads the lock in the FACS. Its 64 bytes remove that trap; the
/// waking vector stays unused, as the DSDT offers no \_S3.
Bytes build_facs() {
  Facs f{};
  f.signature = kFacsSignature;
  f.length = sizeof(Facs);
  f.version = kFacsVersion;
  Bytes t;
  append(t, f);
  return t;
}

/// 5.2.9, a full-hardware (not hardware-reduced) platform.
Bytes build_fadt(const AcpiConfig& c, uint64_t dsdt, uint64_t facs) {
  fw::Fadt f{};
  f.header = sdt_header(fw::Signature::kFacp, kFadtRevision, c);
  // The area is below 4 GiB (check_area). The FACS goes in FIRMWARE_CTRL only: X_FIRMWARE_CTRL
  // stays 0, as ACPI before 6.0 required when FIRMWARE_CTRL is set, and ACPICA installs the FACS
  // once for each nonzero field. The DSDT goes in both fields, equal: ACPICA warns only when
  // they differ, and hv's parser takes X_DSDT.
  f.firmware_ctrl = static_cast<uint32_t>(facs);
  f.dsdt = static_cast<uint32_t>(dsdt);
  f.preferred_pm_profile = 0;  // Unspecified
  f.sci_int = c.sci_irq;
  // SMI_CMD, ACPI_ENABLE and ACPI_DISABLE stay 0: no SMM, the platform is always in ACPI mode
  // (ACPICA then never writes SMI_CMD; PM1a_CNT must read back with SCI_EN set).
  f.pm1a_evt_blk = c.pm1a_evt_port;
  f.pm1a_cnt_blk = c.pm1a_cnt_port;
  f.pm_tmr_blk = c.pm_tmr_port;
  f.pm1_evt_len = kPm1EvtLength;
  f.pm1_cnt_len = kPm1CntLength;
  f.pm_tmr_len = kPmTmrLength;
  // No PM1b, PM2 or GPE blocks: their addresses and lengths stay 0.
  f.p_lvl2_lat = kNoC2Latency;
  f.p_lvl3_lat = kNoC3Latency;
  f.iapc_boot_arch = c.iapc_boot_arch;
  f.flags = kFadtFlags;
  f.reset_reg = io_register(kResetPort, 1, AccessSize::kByte);
  f.reset_value = kResetValue;
  f.fadt_minor_version = kFadtMinorRevision;
  f.x_dsdt = dsdt;
  // Each X_ block names the same port and width (8 x the legacy length, which ACPICA checks).
  // PM1 event: two 16-bit registers, status then enable (4.8.3.1).
  f.x_pm1a_evt_blk = io_register(c.pm1a_evt_port, kPm1EvtLength, AccessSize::kWord);
  f.x_pm1a_cnt_blk = io_register(c.pm1a_cnt_port, kPm1CntLength, AccessSize::kWord);
  f.x_pm_tmr_blk = io_register(c.pm_tmr_port, kPmTmrLength, AccessSize::kDword);
  Bytes t;
  append(t, f);
  seal(t);
  return t;
}

/// 5.2.8: 64-bit addresses of the FADT and the MADT (the DSDT and FACS hang off the FADT).
Bytes build_xsdt(const AcpiConfig& c, uint64_t fadt, uint64_t madt) {
  Bytes t;
  append(t, sdt_header(fw::Signature::kXsdt, kXsdtRevision, c));
  append(t, fadt);
  append(t, madt);
  seal(t);
  return t;
}

/// 5.2.5.3: revision 2, no RSDT (an OSPM that reads revision 2 uses the XSDT).
Bytes build_rsdp(const AcpiConfig& c, uint64_t xsdt) {
  fw::Rsdp r{};
  std::memcpy(r.signature, kRsdpSignature, sizeof(r.signature));
  std::memcpy(r.oem_id, c.oem_id.data(), sizeof(r.oem_id));
  r.revision = kRsdpRevision;
  r.length = sizeof(fw::Rsdp);
  r.xsdt_address = xsdt;
  Bytes t;
  append(t, r);
  // The first checksum covers the ACPI 1.0 part; the extended one covers everything, the first
  // checksum included, so it is computed second.
  t[offsetof(fw::Rsdp, checksum)] = checksum(std::span(t).first(fw::kRsdpV1Length));
  t[offsetof(fw::Rsdp, extended_checksum)] = checksum(t);
  return t;
}

/// Sizes of the tables whose content depends on addresses, known before they are placed.
constexpr uint32_t kXsdtLength = sizeof(fw::SdtHeader) + 2 * sizeof(uint64_t);
constexpr uint32_t kFadtLength = sizeof(fw::Fadt);
constexpr uint32_t kFacsLength = sizeof(Facs);

}  // namespace

const char* describe(BuildError e) {
  switch (e) {
    case BuildError::kNoVcpus:
      return "a child needs at least one vCPU";
    case BuildError::kTooManyVcpus:
      return "more than 255 vCPUs: xAPIC IDs end at 254 (255 is the broadcast ID)";
    case BuildError::kAreaInvalid:
      return "ACPI table area is empty, at GPA 0, wraps or reaches past 4 GiB";
    case BuildError::kAreaSizeMismatch:
      return "the bytes given for the ACPI table area are not area_size long";
    case BuildError::kRsdpMisplaced:
      return "RSDP address is outside the table area or not 16-byte aligned";
    case BuildError::kBadInterruptController:
      return "local APIC or I/O APIC address is 0, or the I/O APIC has no pins";
    case BuildError::kBadOverride:
      return "interrupt source override: IRQ not ISA, GSI not on the I/O APIC, bad flags, "
             "or IRQ overridden twice";
    case BuildError::kBadSci:
      return "SCI is not an ISA IRQ";
    case BuildError::kBadPmPorts:
      return "PM1a event/control or PM timer port is 0, runs past 0xFFFF, or overlaps another "
             "(or the reset port 0xCF9)";
    case BuildError::kAreaTooSmall:
      return "ACPI tables do not fit in the table area";
    case BuildError::kBadPciWindow:
      return "the PCI window is empty or runs past 4 GiB";
  }
  return "unknown ACPI build error";
}

std::expected<AcpiTables, BuildError> build_acpi_tables(const AcpiConfig& config,
                                                        std::span<uint8_t> area) {
  if (auto e = check_config(config, area.size())) return std::unexpected(*e);

  // The tables whose content needs no address are built first, so that every length is known
  // when the area is laid out; nothing touches `area` until everything fits.
  const Bytes dsdt = build_dsdt(config);
  const Bytes madt = build_madt(config);
  Placer placer(config);
  const auto xsdt_gpa = placer.place(kXsdtLength, kTableAlign);
  const auto fadt_gpa = placer.place(kFadtLength, kTableAlign);
  const auto facs_gpa = placer.place(kFacsLength, kFacsAlign);
  const auto dsdt_gpa = placer.place(dsdt.size(), kTableAlign);
  const auto madt_gpa = placer.place(madt.size(), kTableAlign);
  if (!xsdt_gpa || !fadt_gpa || !facs_gpa || !dsdt_gpa || !madt_gpa) {
    return std::unexpected(BuildError::kAreaTooSmall);
  }
  const Bytes facs = build_facs();
  const Bytes fadt = build_fadt(config, *dsdt_gpa, *facs_gpa);
  const Bytes xsdt = build_xsdt(config, *fadt_gpa, *madt_gpa);
  const Bytes rsdp = build_rsdp(config, *xsdt_gpa);

  AcpiTables out;
  std::fill(area.begin(), area.end(), uint8_t{0});
  auto put = [&](uint64_t gpa, const Bytes& bytes) {
    // In the area by construction: Placer kept [gpa, gpa + length) inside it, and check_area
    // the RSDP.
    std::memcpy(area.data() + (gpa - config.area_gpa), bytes.data(), bytes.size());
    out.end_gpa = std::max(out.end_gpa, gpa + bytes.size());
    return TablePlace{gpa, static_cast<uint32_t>(bytes.size())};
  };
  out.rsdp = put(config.rsdp_gpa, rsdp);
  out.xsdt = put(*xsdt_gpa, xsdt);
  out.fadt = put(*fadt_gpa, fadt);
  out.facs = put(*facs_gpa, facs);
  out.dsdt = put(*dsdt_gpa, dsdt);
  out.madt = put(*madt_gpa, madt);
  return out;
}

}  // namespace rootstock::vmm::acpi
