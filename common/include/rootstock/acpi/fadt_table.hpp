// The Fixed ACPI Description Table as stored by firmware (ACPI 6.5, 5.2.9). Older tables are
// shorter: ACPI 1.0's ends at 116 bytes, before RESET_REG and every X_ field.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "rootstock/acpi/generic_address.hpp"
#include "rootstock/acpi/sdt.hpp"

namespace rootstock::acpi {

/// FADT layout up to ACPI 6.5 (5.2.9).
struct [[gnu::packed]] Fadt {
  SdtHeader header;
  uint32_t firmware_ctrl;
  uint32_t dsdt;
  uint8_t reserved0;  ///< INT_MODEL in ACPI 1.0
  uint8_t preferred_pm_profile;
  uint16_t sci_int;
  uint32_t smi_cmd;
  uint8_t acpi_enable;
  uint8_t acpi_disable;
  uint8_t s4bios_req;
  uint8_t pstate_cnt;
  uint32_t pm1a_evt_blk;
  uint32_t pm1b_evt_blk;
  uint32_t pm1a_cnt_blk;
  uint32_t pm1b_cnt_blk;
  uint32_t pm2_cnt_blk;
  uint32_t pm_tmr_blk;
  uint32_t gpe0_blk;
  uint32_t gpe1_blk;
  uint8_t pm1_evt_len;
  uint8_t pm1_cnt_len;
  uint8_t pm2_cnt_len;
  uint8_t pm_tmr_len;
  uint8_t gpe0_blk_len;
  uint8_t gpe1_blk_len;
  uint8_t gpe1_base;
  uint8_t cst_cnt;
  uint16_t p_lvl2_lat;
  uint16_t p_lvl3_lat;
  uint16_t flush_size;
  uint16_t flush_stride;
  uint8_t duty_offset;
  uint8_t duty_width;
  uint8_t day_alrm;
  uint8_t mon_alrm;
  uint8_t century;
  uint16_t iapc_boot_arch;  ///< iapc_boot_arch flags (5.2.9.3)
  uint8_t reserved1;
  uint32_t flags;  ///< fadt_flags
  // ACPI 2.0 and later:
  GenericAddress reset_reg;
  uint8_t reset_value;
  uint16_t arm_boot_arch;
  uint8_t fadt_minor_version;
  uint64_t x_firmware_ctrl;
  uint64_t x_dsdt;
  GenericAddress x_pm1a_evt_blk;
  GenericAddress x_pm1b_evt_blk;
  GenericAddress x_pm1a_cnt_blk;
  GenericAddress x_pm1b_cnt_blk;
  GenericAddress x_pm2_cnt_blk;
  GenericAddress x_pm_tmr_blk;
  GenericAddress x_gpe0_blk;
  GenericAddress x_gpe1_blk;
  // ACPI 5.0 and later (hardware-reduced platforms):
  GenericAddress sleep_control_reg;
  GenericAddress sleep_status_reg;
  // ACPI 6.0 and later:
  uint64_t hypervisor_vendor_identity;
};
static_assert(sizeof(Fadt) == 276);
static_assert(offsetof(Fadt, dsdt) == 40);
static_assert(offsetof(Fadt, sci_int) == 46);
static_assert(offsetof(Fadt, pm1a_cnt_blk) == 64);
static_assert(offsetof(Fadt, pm1b_cnt_blk) == 68);
static_assert(offsetof(Fadt, pm1_cnt_len) == 89);
static_assert(offsetof(Fadt, iapc_boot_arch) == 109);
static_assert(offsetof(Fadt, flags) == 112);
static_assert(offsetof(Fadt, reset_reg) == 116);
static_assert(offsetof(Fadt, reset_value) == 128);
static_assert(offsetof(Fadt, x_dsdt) == 140);
static_assert(offsetof(Fadt, x_pm1a_cnt_blk) == 172);
static_assert(offsetof(Fadt, x_pm1b_cnt_blk) == 184);
static_assert(offsetof(Fadt, sleep_control_reg) == 244);
static_assert(offsetof(Fadt, hypervisor_vendor_identity) == 268);

/// Length of the ACPI 1.0 FADT, the shortest accepted.
inline constexpr uint32_t kFadtV1Length = offsetof(Fadt, reset_reg);

/// True when a FADT of `length` bytes holds the field at [offset, offset + size).
constexpr bool fadt_has(uint32_t length, size_t offset, size_t size) {
  return offset + size <= length;
}

/// Fixed Feature Flags (5.2.9, FADT Flags field), the ones hv reads.
namespace fadt_flags {
inline constexpr uint32_t kResetRegSup = 1u << 10;
inline constexpr uint32_t kHwReducedAcpi = 1u << 20;
}  // namespace fadt_flags

/// IA-PC Boot Architecture Flags (5.2.9.3).
namespace iapc_boot_arch {
inline constexpr uint16_t kLegacyDevices = 1u << 0;
inline constexpr uint16_t k8042 = 1u << 1;
inline constexpr uint16_t kVgaNotPresent = 1u << 2;
inline constexpr uint16_t kMsiNotSupported = 1u << 3;
inline constexpr uint16_t kPcieAspmControls = 1u << 4;
inline constexpr uint16_t kCmosRtcNotPresent = 1u << 5;
}  // namespace iapc_boot_arch

/// PM1 Control Register bits (4.8.3.2.1): writing SLP_TYP together with SLP_EN enters that
/// sleep state.
namespace pm1_cnt {
inline constexpr unsigned kSlpTypShift = 10;
inline constexpr uint16_t kSlpTypMask = 0x7u << kSlpTypShift;
inline constexpr uint16_t kSlpEn = 1u << 13;
}  // namespace pm1_cnt

}  // namespace rootstock::acpi
