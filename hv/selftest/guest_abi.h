/* The contract between hv's self-test guest (guest.S) and its driver (selftest.cpp): where the
 * guest lives, the values each side expects of the other, and the report codes the guest
 * passes in EAX with VMMCALL (EBX carries the value). Plain #defines: the assembler reads it. */
#ifndef HV_SELFTEST_GUEST_ABI_H
#define HV_SELFTEST_GUEST_ABI_H

#define SELFTEST_GUEST_CODE_GPA 0x1000 /* the code page; the guest is linked for this */
#define SELFTEST_GUEST_DATA_GPA 0x2000 /* stack */
#define SELFTEST_GUEST_STACK_TOP 0x3000
#define SELFTEST_UNMAPPED_GPA 0x40000000 /* first touch faults; hv then maps it */

#define SELFTEST_CPUID_LEAF 0x40000000
/* hv's CPUID signature, "Rootstock hv" in EBX, ECX, EDX. */
#define SELFTEST_SIG_EBX 0x746f6f52 /* "Root" */
#define SELFTEST_SIG_ECX 0x636f7473 /* "stoc" */
#define SELFTEST_SIG_EDX 0x7668206b /* "k hv" */

#define SELFTEST_PORT 0x99
#define SELFTEST_OUT_VALUE 0x5a
#define SELFTEST_IN_VALUE 0xa5a5f00d
#define SELFTEST_MSR 0x40000100
#define SELFTEST_MSR_VALUE_LO 0x89abcdef
#define SELFTEST_MSR_VALUE_HI 0x01234567
#define SELFTEST_NPF_PATTERN 0xc0ffee00
#define SELFTEST_INTERRUPT_VECTOR 0x40
#define SELFTEST_EXCEPTION_VECTOR 13 /* #GP, which carries an error code */
#define SELFTEST_EXCEPTION_ERROR 0x1238

#define REPORT_CPUID 1 /* EBX: 1 if the signature matched */
#define REPORT_IN 2    /* EBX: the value IN read */
#define REPORT_NPF 3   /* EBX: the value read at SELFTEST_UNMAPPED_GPA */
#define REPORT_READY_INTERRUPT 4
#define REPORT_GOT_INTERRUPT 5 /* EBX: the vector */
#define REPORT_READY_EXCEPTION 6
#define REPORT_GOT_EXCEPTION 7 /* EBX: the error code */
#define REPORT_DONE 8

#endif
