// What hv's MMIO emulation (the root's xAPIC page, a child's xAPIC and I/O APIC pages) hands the
// shared instruction decoder (common/include/rootstock/x86/emulate.hpp) from an SVM guest: its
// registers in ModRM order and its CPU mode. RAX and RSP are passed in from where the caller
// keeps them (a child's are in its VMCB; the root's RAX is copied to GuestRegisters at exit).
#pragma once

#include <stdint.h>

#include <rootstock/x86/emulate.hpp>

#include "arch/x86/msr.hpp"
#include "arch/x86/svm/vmcb.hpp"
#include "vcpu/exit.hpp"

namespace hv {

/// The decoder's register file.
inline rootstock::x86::Gprs decoder_gprs(const GuestRegisters& r, uint64_t rax, uint64_t rsp) {
  return {{rax, r.rcx, r.rdx, r.rbx, rsp, r.rbp, r.rsi, r.rdi, r.r8, r.r9, r.r10, r.r11, r.r12,
           r.r13, r.r14, r.r15}};
}

/// The decoder's register file written back after an emulated load.
inline void store_decoder_gprs(const rootstock::x86::Gprs& g, GuestRegisters& r, uint64_t& rax,
                               uint64_t& rsp) {
  using namespace rootstock::x86::gpr;
  rax = g.r[kRax];
  r.rcx = g.r[kRcx];
  r.rdx = g.r[kRdx];
  r.rbx = g.r[kRbx];
  rsp = g.r[kRsp];
  r.rbp = g.r[kRbp];
  r.rsi = g.r[kRsi];
  r.rdi = g.r[kRdi];
  r.r8 = g.r[kR8];
  r.r9 = g.r[kR9];
  r.r10 = g.r[kR10];
  r.r11 = g.r[kR11];
  r.r12 = g.r[kR12];
  r.r13 = g.r[kR13];
  r.r14 = g.r[kR14];
  r.r15 = g.r[kR15];
}

/// The decoder's mode from EFER.LMA and the CS attributes in the VMCB's format (L, D/B).
inline rootstock::x86::CpuMode decoder_mode(uint64_t efer, uint16_t cs_attrib) {
  return rootstock::x86::cpu_mode((efer & x86::efer::kLma) != 0,
                                  (cs_attrib & svm::seg_attr::kLong) != 0,
                                  (cs_attrib & svm::seg_attr::kDefault32) != 0);
}

}  // namespace hv
