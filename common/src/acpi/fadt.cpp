#include "rootstock/acpi/fadt.hpp"

#include "rootstock/acpi/fadt_table.hpp"

namespace rootstock::acpi {
namespace {

// 5.2.9: a nonzero X_ block supersedes the 32-bit port of the same block.
Register pick_block(uint32_t length, size_t x_offset, const GenericAddress& x, uint32_t port,
                    uint8_t len_bytes) {
  if (fadt_has(length, x_offset, sizeof(GenericAddress)) && x.address != 0) {
    return to_register(x);
  }
  Register r;
  r.space = AddressSpace::kSystemIo;
  r.bit_width = static_cast<uint8_t>(len_bytes * 8u);
  r.address = port;
  return r;
}

Status check_register(const Register& r, bool allow_pci_config) {
  if (!r.present()) return Status::kOk;
  switch (r.space) {
    case AddressSpace::kSystemIo: {
      const uint64_t bytes = r.bit_width >= 8 ? r.bit_width / 8u : 1u;
      return r.address <= 0xffff && r.address + (bytes - 1) <= 0xffff ? Status::kOk
                                                                      : Status::kFadtBadIoPort;
    }
    case AddressSpace::kSystemMemory:
      return Status::kOk;
    case AddressSpace::kPciConfig:
      return allow_pci_config ? Status::kOk : Status::kFadtBadAddressSpace;
    default:
      return Status::kFadtBadAddressSpace;
  }
}

}  // namespace

Status parse_fadt(const boot::PhysReader& reader, const Table& fadt, FadtInfo& out) {
  out = FadtInfo{};
  if (fadt.length < kFadtV1Length) return Status::kTableTooShort;
  // Shorter (older) tables leave the later fields zero, which reads as "absent".
  Fadt f{};
  const size_t n = fadt.length < sizeof(f) ? fadt.length : sizeof(f);
  if (!read_table(reader, fadt, 0, &f, n)) return Status::kTableTruncated;
  const uint32_t len = fadt.length;

  out.revision = fadt.revision;
  out.flags = f.flags;
  out.iapc_boot_arch = f.iapc_boot_arch;
  out.sci_irq = f.sci_int;
  out.hw_reduced = (f.flags & fadt_flags::kHwReducedAcpi) != 0;
  out.dsdt =
      fadt_has(len, offsetof(Fadt, x_dsdt), sizeof(f.x_dsdt)) && f.x_dsdt != 0 ? f.x_dsdt : f.dsdt;
  if (out.dsdt == 0) return Status::kFadtNoDsdt;

  out.pm1a_cnt = pick_block(len, offsetof(Fadt, x_pm1a_cnt_blk), f.x_pm1a_cnt_blk, f.pm1a_cnt_blk,
                            f.pm1_cnt_len);
  out.pm1b_cnt = pick_block(len, offsetof(Fadt, x_pm1b_cnt_blk), f.x_pm1b_cnt_blk, f.pm1b_cnt_blk,
                            f.pm1_cnt_len);
  if (fadt_has(len, offsetof(Fadt, sleep_control_reg), sizeof(GenericAddress))) {
    out.sleep_control = to_register(f.sleep_control_reg);
  }
  if (fadt_has(len, offsetof(Fadt, reset_value), sizeof(f.reset_value))) {
    out.reset_reg = to_register(f.reset_reg);
    out.reset_value = f.reset_value;
    out.reset_supported = (f.flags & fadt_flags::kResetRegSup) != 0 && out.reset_reg.present();
  }
  const Register* const fixed[] = {&out.pm1a_cnt, &out.pm1b_cnt, &out.sleep_control};
  for (const Register* r : fixed) {
    const Status s = check_register(*r, false);
    if (s != Status::kOk) return s;
  }
  return out.reset_supported ? check_register(out.reset_reg, true) : Status::kOk;
}

}  // namespace rootstock::acpi
