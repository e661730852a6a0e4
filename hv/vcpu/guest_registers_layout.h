/* Offsets of GuestRegisters (vcpu/exit.hpp) for the entry assembly; vcpu/svm_vcpu.cpp
 * static_asserts that they match. */
#ifndef HV_VCPU_GUEST_REGISTERS_LAYOUT_H
#define HV_VCPU_GUEST_REGISTERS_LAYOUT_H

#define GR_RAX 0x00
#define GR_RBX 0x08
#define GR_RCX 0x10
#define GR_RDX 0x18
#define GR_RSI 0x20
#define GR_RDI 0x28
#define GR_RBP 0x30
#define GR_R8 0x38
#define GR_R9 0x40
#define GR_R10 0x48
#define GR_R11 0x50
#define GR_R12 0x58
#define GR_R13 0x60
#define GR_R14 0x68
#define GR_R15 0x70

#endif
