/*
 * The Rootstock hypercall ABI: every number and structure that crosses the boundary between hv
 * and the root partition (DESIGN.md §2, "Hypercall ABI"). docs/hypercalls.md is the contract and
 * explains each name; this header is the one place the numbers are written. hv (freestanding
 * C++20), the hvroot driver (kernel C) and the VMM (C++) all include it.
 *
 * Plain C99/C11 that also compiles as C++20: fixed-width types only, no casts in macros (hv builds
 * with -Wold-style-cast), no compiler-specific layout: every structure has natural alignment,
 * explicit reserved fields instead of implicit padding, and a size/offset assertion per field.
 */
#ifndef ROOTSTOCK_HYPERCALL_ABI_H
#define ROOTSTOCK_HYPERCALL_ABI_H

#ifdef __KERNEL__
#include <linux/stddef.h>
#include <linux/types.h>
#else
#include <stddef.h>
#include <stdint.h>
#endif

/* Compile-time layout checks in both languages. */
#ifdef __cplusplus
#define RS_ABI_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define RS_ABI_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif
#define RS_ABI_ASSERT_SIZE(type, size) RS_ABI_ASSERT(sizeof(type) == (size), #type " size")
#define RS_ABI_ASSERT_OFFSET(type, field, offset) \
  RS_ABI_ASSERT(offsetof(type, field) == (offset), #type "." #field " offset")

/* ---- Versions and discovery (hypercalls.md "Discovery and versions") ---- */

/* ABI version: major in bits 31:16, minor in bits 15:0. 0 means "no hypercall ABI". */
#define RS_ABI_VERSION_MAJOR 1u
#define RS_ABI_VERSION_MINOR 3u
#define RS_ABI_VERSION ((RS_ABI_VERSION_MAJOR << 16) | RS_ABI_VERSION_MINOR)
#define RS_ABI_VERSION_MAJOR_SHIFT 16
#define RS_ABI_VERSION_MINOR_MASK 0xffffu

/* CPUID 0x40000000: EAX = highest hypervisor leaf, EBX:ECX:EDX = "Rootstock hv". */
#define RS_CPUID_LEAF_SIGNATURE 0x40000000u
#define RS_CPUID_SIGNATURE_EBX 0x746f6f52u /* "Root" */
#define RS_CPUID_SIGNATURE_ECX 0x636f7473u /* "stoc" */
#define RS_CPUID_SIGNATURE_EDX 0x7668206bu /* "k hv" */
/* CPUID 0x40000001: EAX = RS_ABI_VERSION; EBX, ECX, EDX = 0 (reserved). */
#define RS_CPUID_LEAF_ABI 0x40000001u
/* CPUID 0x40000002: EAX/EBX = hv reservation base (low/high), ECX = its size in MiB. */
#define RS_CPUID_LEAF_HV_MEMORY 0x40000002u
/* CPUID 0x40000003: EAX/EBX = hv canary page (low/high), ECX = 1 while intact. */
#define RS_CPUID_LEAF_HV_CANARY 0x40000003u

/* ---- Calling convention (hypercalls.md "Calling convention") ---- */

#define RS_HC_PAGE_SIZE 4096u
#define RS_HC_LARGE_PAGE_SIZE 0x200000u

/* RAX on entry: the control word. */
#define RS_HC_CONTROL_CODE_MASK 0xffffull
#define RS_HC_CONTROL_FAST (1ull << 16)
#define RS_HC_CONTROL_REP_COUNT_SHIFT 32
#define RS_HC_CONTROL_REP_COUNT_MASK (0xfffull << 32)
#define RS_HC_CONTROL_REP_START_SHIFT 48
#define RS_HC_CONTROL_REP_START_MASK (0xfffull << 48)
/* Bits 17-31, 44-47 and 60-63. */
#define RS_HC_CONTROL_RESERVED_MASK 0xf000f000fffe0000ull
/* The largest rep count the control word can carry; each rep call has its own lower limit. */
#define RS_HC_REP_COUNT_FIELD_MAX 4095u

RS_ABI_ASSERT((RS_HC_CONTROL_RESERVED_MASK &
               (RS_HC_CONTROL_CODE_MASK | RS_HC_CONTROL_FAST | RS_HC_CONTROL_REP_COUNT_MASK |
                RS_HC_CONTROL_REP_START_MASK)) == 0 &&
                  (RS_HC_CONTROL_RESERVED_MASK | RS_HC_CONTROL_CODE_MASK | RS_HC_CONTROL_FAST |
                   RS_HC_CONTROL_REP_COUNT_MASK | RS_HC_CONTROL_REP_START_MASK) == ~0ull,
              "control word fields and reserved bits cover RAX exactly once");

/* RAX on return: the result word. */
#define RS_HC_RESULT_STATUS_MASK 0xffffull
#define RS_HC_RESULT_DETAIL_SHIFT 16
#define RS_HC_RESULT_DETAIL_MASK (0xffffull << 16)
#define RS_HC_RESULT_REPS_DONE_SHIFT 32
#define RS_HC_RESULT_REPS_DONE_MASK (0xfffull << 32)
/* The detail field saturates: INSUFFICIENT_MEMORY asks for at most this many pages at once. */
#define RS_HC_RESULT_DETAIL_MAX 0xffffu

/*
 * Builds a control word from a call code, RS_HC_CONTROL_FAST or 0, a rep count and a rep start
 * (in range). Macros rather than inline functions: no casts (0ull + x widens), no unused-function
 * warnings where a translation unit uses none of them.
 */
#define RS_HC_CONTROL(code, flags, rep_count, rep_start)                                      \
  (((0ull + (code)) & RS_HC_CONTROL_CODE_MASK) | ((0ull + (flags)) & RS_HC_CONTROL_FAST) |    \
   (((0ull + (rep_count)) << RS_HC_CONTROL_REP_COUNT_SHIFT) & RS_HC_CONTROL_REP_COUNT_MASK) | \
   (((0ull + (rep_start)) << RS_HC_CONTROL_REP_START_SHIFT) & RS_HC_CONTROL_REP_START_MASK))
/* The RS_STATUS_* of a result word. */
#define RS_HC_RESULT_STATUS(result) ((result) & RS_HC_RESULT_STATUS_MASK)
/* The status-specific detail of a result word (pages needed, failing element). */
#define RS_HC_RESULT_DETAIL(result) \
  (((result) & RS_HC_RESULT_DETAIL_MASK) >> RS_HC_RESULT_DETAIL_SHIFT)
/* The index of the first element not yet done: the rep start of the next invocation. */
#define RS_HC_RESULT_REPS_DONE(result) \
  (((result) & RS_HC_RESULT_REPS_DONE_MASK) >> RS_HC_RESULT_REPS_DONE_SHIFT)

/* ---- Call codes (hypercalls.md "Calls"). 0x0000 is never a call. ---- */

#define RS_HC_GET_VERSION 0x0001u       /* fast */
#define RS_HC_CHECK_INVARIANTS 0x0002u  /* page: output */
#define RS_HC_PARTITION_CREATE 0x0010u  /* fast */
#define RS_HC_PARTITION_DESTROY 0x0011u /* fast, continuation */
#define RS_HC_PARTITION_QUERY 0x0012u   /* fast */
#define RS_HC_MAP_GPA_RANGE 0x0020u     /* page: input, rep */
#define RS_HC_UNMAP_GPA_RANGE 0x0021u   /* fast, rep */
#define RS_HC_DEPOSIT_MEMORY 0x0022u    /* page: input, rep */
#define RS_HC_WITHDRAW_MEMORY 0x0023u   /* page: input and output, rep */
#define RS_HC_VP_CREATE 0x0030u         /* fast */
#define RS_HC_VP_DESTROY 0x0031u        /* fast */
#define RS_HC_VP_RUN 0x0032u            /* fast */
#define RS_HC_VP_GET_REGISTERS 0x0033u  /* page: input and output, rep */
#define RS_HC_VP_SET_REGISTERS 0x0034u  /* page: input, rep */
#define RS_HC_VP_INJECT 0x0035u         /* fast */
/* ABI 1.1: the child interrupt controller (hypercalls.md "Child interrupts"). */
#define RS_HC_PARTITION_INTERRUPT 0x0040u /* fast */
/* ABI 1.2: doorbells (hypercalls.md "Doorbells"). 0x0042-0x004f are kept for later minors. */
#define RS_HC_PARTITION_DOORBELL 0x0041u /* fast */

/* Per-call rep limits: what fits in one 4 KiB input or output page. */
#define RS_HC_MAP_GPA_MAX_REPS 508u
#define RS_HC_UNMAP_GPA_MAX_REPS 4095u
#define RS_HC_DEPOSIT_MAX_REPS 510u
#define RS_HC_WITHDRAW_MAX_REPS 512u
#define RS_HC_REGISTERS_MAX_REPS 128u

RS_ABI_ASSERT(RS_HC_MAP_GPA_MAX_REPS <= RS_HC_REP_COUNT_FIELD_MAX &&
                  RS_HC_UNMAP_GPA_MAX_REPS <= RS_HC_REP_COUNT_FIELD_MAX &&
                  RS_HC_DEPOSIT_MAX_REPS <= RS_HC_REP_COUNT_FIELD_MAX &&
                  RS_HC_WITHDRAW_MAX_REPS <= RS_HC_REP_COUNT_FIELD_MAX &&
                  RS_HC_REGISTERS_MAX_REPS <= RS_HC_REP_COUNT_FIELD_MAX,
              "every rep limit fits the control word's rep count");

/* ---- Status codes (hypercalls.md "Status codes") ---- */

/* 0x0000-0x000f: the call did what it could; the caller continues as documented. */
#define RS_STATUS_SUCCESS 0x0000u
#define RS_STATUS_PARTIAL 0x0001u
#define RS_STATUS_INTERRUPTED 0x0002u
#define RS_STATUS_INSUFFICIENT_MEMORY 0x0003u
/* 0x0010 and up: the call was refused and changed nothing. */
#define RS_STATUS_INVALID_CONTROL 0x0010u
#define RS_STATUS_RESERVED_NONZERO 0x0011u
#define RS_STATUS_INVALID_PARAMETER 0x0012u
#define RS_STATUS_MISALIGNED 0x0013u
#define RS_STATUS_REP_COUNT_TOO_LARGE 0x0014u
#define RS_STATUS_ACCESS_DENIED 0x0015u
#define RS_STATUS_INVALID_PARTITION_ID 0x0016u
#define RS_STATUS_INVALID_VP_INDEX 0x0017u
#define RS_STATUS_FRAME_NOT_OWNED 0x0018u
#define RS_STATUS_GPA_OVERLAP 0x0019u
#define RS_STATUS_GPA_OUT_OF_RANGE 0x001au
#define RS_STATUS_GPA_NOT_MAPPED 0x001bu
#define RS_STATUS_BUSY 0x001cu
#define RS_STATUS_EXISTS 0x001du
#define RS_STATUS_LIMIT_REACHED 0x001eu
#define RS_STATUS_NOT_SUPPORTED 0x001fu
/* Unknown call code, in every ABI version (hv answered this before the ABI existed). */
#define RS_STATUS_INVALID_CALL_CODE 0xffffu
/* Statuses below this value are not errors. */
#define RS_STATUS_FIRST_ERROR 0x0010u

/* ---- Identifiers and limits ---- */

/* Partition ids are opaque, chosen by hv, never 0 and never reused during one boot. */
#define RS_PARTITION_ID_NONE 0ull

/* GET_VERSION RDX: hv's limits. */
#define RS_HC_LIMITS_GPA_BITS_MASK 0xffull
#define RS_HC_LIMITS_VP_COUNT_SHIFT 16
#define RS_HC_LIMITS_VP_COUNT_MASK (0xffffull << 16)
#define RS_HC_LIMITS_PARTITION_COUNT_SHIFT 32
#define RS_HC_LIMITS_PARTITION_COUNT_MASK (0xffffull << 32)
/* GET_VERSION RCX: optional features. None in 1.0; unknown bits are reserved. */
#define RS_HC_FEATURES_NONE 0ull

/* ---- Memory: access rights, mapping flags, frame states ---- */

/* Access kinds: MAP_GPA_RANGE rights and the access of a memory exit. */
#define RS_ACCESS_READ 0x1u
#define RS_ACCESS_WRITE 0x2u
#define RS_ACCESS_EXECUTE 0x4u
/* MAP_GPA_RANGE / UNMAP_GPA_RANGE flags: the access bits, and the element size. */
#define RS_MAP_LARGE 0x100u /* elements are 2 MiB pages, not 4 KiB */
#define RS_MAP_FLAGS_VALID (RS_ACCESS_READ | RS_ACCESS_WRITE | RS_ACCESS_EXECUTE | RS_MAP_LARGE)
#define RS_UNMAP_FLAGS_VALID RS_MAP_LARGE

/* Frame states in hv's frame table; CHECK_INVARIANTS counts frames per state at these indices. */
#define RS_FRAME_HV_FREE 0u
#define RS_FRAME_HV_USED 1u
#define RS_FRAME_ROOT 2u
#define RS_FRAME_RUN_PAGE 3u
#define RS_FRAME_DEPOSITED_FREE 4u
#define RS_FRAME_DEPOSITED_USED 5u
#define RS_FRAME_CHILD 6u
#define RS_FRAME_STATE_SLOTS 8u /* slot 7 is reserved (0) */

/* Invariants CHECK_INVARIANTS verifies (its first_violation). 0: all hold. */
#define RS_INVARIANT_NONE 0u
#define RS_INVARIANT_STATE_COUNTS 1u
#define RS_INVARIANT_ROOT_MAPPING 2u
#define RS_INVARIANT_CHILD_MAPPING 3u
#define RS_INVARIANT_DEPOSIT 4u
#define RS_INVARIANT_RUN_PAGE 5u
#define RS_INVARIANT_COUNTERS 6u

/* ---- Page-call structures (hypercalls.md, one table per call) ---- */

/* MAP_GPA_RANGE input: element i maps gpa_base + i * size to frames[i]. */
struct rs_hc_map_gpa_input {
  uint64_t partition_id;
  uint64_t gpa_base;
  uint32_t flags; /* RS_ACCESS_* | RS_MAP_LARGE */
  uint32_t reserved0;
  uint64_t reserved1;
  uint64_t frames[RS_HC_MAP_GPA_MAX_REPS]; /* root physical addresses */
};
RS_ABI_ASSERT_SIZE(struct rs_hc_map_gpa_input, 4096);
RS_ABI_ASSERT_OFFSET(struct rs_hc_map_gpa_input, partition_id, 0);
RS_ABI_ASSERT_OFFSET(struct rs_hc_map_gpa_input, gpa_base, 8);
RS_ABI_ASSERT_OFFSET(struct rs_hc_map_gpa_input, flags, 16);
RS_ABI_ASSERT_OFFSET(struct rs_hc_map_gpa_input, reserved0, 20);
RS_ABI_ASSERT_OFFSET(struct rs_hc_map_gpa_input, reserved1, 24);
RS_ABI_ASSERT_OFFSET(struct rs_hc_map_gpa_input, frames, 32);

/* DEPOSIT_MEMORY input: element i is the 4 KiB root frame frames[i]. */
struct rs_hc_deposit_input {
  uint64_t partition_id;
  uint64_t reserved0;
  uint64_t frames[RS_HC_DEPOSIT_MAX_REPS];
};
RS_ABI_ASSERT_SIZE(struct rs_hc_deposit_input, 4096);
RS_ABI_ASSERT_OFFSET(struct rs_hc_deposit_input, partition_id, 0);
RS_ABI_ASSERT_OFFSET(struct rs_hc_deposit_input, reserved0, 8);
RS_ABI_ASSERT_OFFSET(struct rs_hc_deposit_input, frames, 16);

/* WITHDRAW_MEMORY input. */
struct rs_hc_withdraw_input {
  uint64_t partition_id;
  uint64_t reserved0;
};
RS_ABI_ASSERT_SIZE(struct rs_hc_withdraw_input, 16);
RS_ABI_ASSERT_OFFSET(struct rs_hc_withdraw_input, partition_id, 0);
RS_ABI_ASSERT_OFFSET(struct rs_hc_withdraw_input, reserved0, 8);

/* WITHDRAW_MEMORY output: element i is the frame returned to the root. */
struct rs_hc_withdraw_output {
  uint64_t frames[RS_HC_WITHDRAW_MAX_REPS];
};
RS_ABI_ASSERT_SIZE(struct rs_hc_withdraw_output, 4096);

/* A register value whose name is not a segment or descriptor-table register. */
struct rs_hc_scalar_register {
  uint64_t value;
  uint64_t reserved0;
};
RS_ABI_ASSERT_SIZE(struct rs_hc_scalar_register, 16);
RS_ABI_ASSERT_OFFSET(struct rs_hc_scalar_register, value, 0);
RS_ABI_ASSERT_OFFSET(struct rs_hc_scalar_register, reserved0, 8);

/* ES, CS, SS, DS, FS, GS, LDTR, TR. attributes: RS_SEGMENT_ATTR_* (bits 12-15 reserved). */
struct rs_hc_segment_register {
  uint64_t base;
  uint32_t limit; /* in bytes, as the hidden part of the register holds it */
  uint16_t selector;
  uint16_t attributes;
};
RS_ABI_ASSERT_SIZE(struct rs_hc_segment_register, 16);
RS_ABI_ASSERT_OFFSET(struct rs_hc_segment_register, base, 0);
RS_ABI_ASSERT_OFFSET(struct rs_hc_segment_register, limit, 8);
RS_ABI_ASSERT_OFFSET(struct rs_hc_segment_register, selector, 12);
RS_ABI_ASSERT_OFFSET(struct rs_hc_segment_register, attributes, 14);

/* GDTR, IDTR. */
struct rs_hc_table_register {
  uint64_t base;
  uint16_t limit;
  uint16_t reserved0;
  uint32_t reserved1;
};
RS_ABI_ASSERT_SIZE(struct rs_hc_table_register, 16);
RS_ABI_ASSERT_OFFSET(struct rs_hc_table_register, base, 0);
RS_ABI_ASSERT_OFFSET(struct rs_hc_table_register, limit, 8);
RS_ABI_ASSERT_OFFSET(struct rs_hc_table_register, reserved0, 10);
RS_ABI_ASSERT_OFFSET(struct rs_hc_table_register, reserved1, 12);

/* One register value; the register's name decides which member applies. */
union rs_hc_register_value {
  struct rs_hc_scalar_register scalar;
  struct rs_hc_segment_register segment;
  struct rs_hc_table_register table;
};
RS_ABI_ASSERT_SIZE(union rs_hc_register_value, 16);

/* VP_GET_REGISTERS input: element i is names[i]; its value lands in output values[i]. */
struct rs_hc_get_registers_input {
  uint64_t partition_id;
  uint32_t vp_index;
  uint32_t reserved0;
  uint32_t names[RS_HC_REGISTERS_MAX_REPS]; /* RS_REG_* */
};
RS_ABI_ASSERT_SIZE(struct rs_hc_get_registers_input, 528);
RS_ABI_ASSERT_OFFSET(struct rs_hc_get_registers_input, partition_id, 0);
RS_ABI_ASSERT_OFFSET(struct rs_hc_get_registers_input, vp_index, 8);
RS_ABI_ASSERT_OFFSET(struct rs_hc_get_registers_input, reserved0, 12);
RS_ABI_ASSERT_OFFSET(struct rs_hc_get_registers_input, names, 16);

/* VP_GET_REGISTERS output. */
struct rs_hc_get_registers_output {
  union rs_hc_register_value values[RS_HC_REGISTERS_MAX_REPS];
};
RS_ABI_ASSERT_SIZE(struct rs_hc_get_registers_output, 2048);

/* One VP_SET_REGISTERS element: a name and its new value. */
struct rs_hc_register_assoc {
  uint32_t name; /* RS_REG_* */
  uint32_t reserved0;
  union rs_hc_register_value value;
};
RS_ABI_ASSERT_SIZE(struct rs_hc_register_assoc, 24);
RS_ABI_ASSERT_OFFSET(struct rs_hc_register_assoc, name, 0);
RS_ABI_ASSERT_OFFSET(struct rs_hc_register_assoc, reserved0, 4);
RS_ABI_ASSERT_OFFSET(struct rs_hc_register_assoc, value, 8);

/* VP_SET_REGISTERS input: element i is elements[i]. */
struct rs_hc_set_registers_input {
  uint64_t partition_id;
  uint32_t vp_index;
  uint32_t reserved0;
  struct rs_hc_register_assoc elements[RS_HC_REGISTERS_MAX_REPS];
};
RS_ABI_ASSERT_SIZE(struct rs_hc_set_registers_input, 3088);
RS_ABI_ASSERT_OFFSET(struct rs_hc_set_registers_input, partition_id, 0);
RS_ABI_ASSERT_OFFSET(struct rs_hc_set_registers_input, vp_index, 8);
RS_ABI_ASSERT_OFFSET(struct rs_hc_set_registers_input, reserved0, 12);
RS_ABI_ASSERT_OFFSET(struct rs_hc_set_registers_input, elements, 16);

/* CHECK_INVARIANTS output: hv's frame accounting and the first broken invariant. */
struct rs_hc_invariants_output {
  uint64_t frames_total;                 /* RAM frames in the frame table */
  uint64_t frames[RS_FRAME_STATE_SLOTS]; /* per RS_FRAME_* state */
  uint64_t partitions;                   /* live partitions */
  uint64_t vps;                          /* live VPs over all partitions */
  uint64_t violations;                   /* frames or objects breaking an invariant */
  uint64_t first_violation_frame;        /* physical address, or 0 */
  uint32_t first_violation;              /* RS_INVARIANT_* */
  uint32_t reserved0;
  uint64_t reserved1[2];
};
RS_ABI_ASSERT_SIZE(struct rs_hc_invariants_output, 128);
RS_ABI_ASSERT_OFFSET(struct rs_hc_invariants_output, frames_total, 0);
RS_ABI_ASSERT_OFFSET(struct rs_hc_invariants_output, frames, 8);
RS_ABI_ASSERT_OFFSET(struct rs_hc_invariants_output, partitions, 72);
RS_ABI_ASSERT_OFFSET(struct rs_hc_invariants_output, vps, 80);
RS_ABI_ASSERT_OFFSET(struct rs_hc_invariants_output, violations, 88);
RS_ABI_ASSERT_OFFSET(struct rs_hc_invariants_output, first_violation_frame, 96);
RS_ABI_ASSERT_OFFSET(struct rs_hc_invariants_output, first_violation, 104);
RS_ABI_ASSERT_OFFSET(struct rs_hc_invariants_output, reserved0, 108);
RS_ABI_ASSERT_OFFSET(struct rs_hc_invariants_output, reserved1, 112);

/* ---- Register names (hypercalls.md "Register names") ---- */

/* General-purpose registers in ModRM order, as the instruction decoder numbers them. */
#define RS_REG_RAX 0x00u
#define RS_REG_RCX 0x01u
#define RS_REG_RDX 0x02u
#define RS_REG_RBX 0x03u
#define RS_REG_RSP 0x04u
#define RS_REG_RBP 0x05u
#define RS_REG_RSI 0x06u
#define RS_REG_RDI 0x07u
#define RS_REG_R8 0x08u
#define RS_REG_R9 0x09u
#define RS_REG_R10 0x0au
#define RS_REG_R11 0x0bu
#define RS_REG_R12 0x0cu
#define RS_REG_R13 0x0du
#define RS_REG_R14 0x0eu
#define RS_REG_R15 0x0fu
#define RS_REG_RIP 0x10u
#define RS_REG_RFLAGS 0x11u
/* Segment registers in the instruction set's Sreg order, then LDTR and TR (segment values). */
#define RS_REG_ES 0x20u
#define RS_REG_CS 0x21u
#define RS_REG_SS 0x22u
#define RS_REG_DS 0x23u
#define RS_REG_FS 0x24u
#define RS_REG_GS 0x25u
#define RS_REG_LDTR 0x26u
#define RS_REG_TR 0x27u
/* Descriptor-table registers (table values). */
#define RS_REG_GDTR 0x28u
#define RS_REG_IDTR 0x29u
/* Control registers: 0x40 + n for CRn. */
#define RS_REG_CR0 0x40u
#define RS_REG_CR2 0x42u
#define RS_REG_CR3 0x43u
#define RS_REG_CR4 0x44u
#define RS_REG_CR8 0x48u
#define RS_REG_XCR0 0x50u
/* 0x60-0x6f are kept for debug registers (DR0-DR7) in a later minor. */
/* Model-specific registers. */
#define RS_REG_EFER 0x80u
#define RS_REG_STAR 0x81u
#define RS_REG_LSTAR 0x82u
#define RS_REG_CSTAR 0x83u
#define RS_REG_SFMASK 0x84u
#define RS_REG_KERNEL_GS_BASE 0x85u
#define RS_REG_SYSENTER_CS 0x86u
#define RS_REG_SYSENTER_ESP 0x87u
#define RS_REG_SYSENTER_EIP 0x88u
#define RS_REG_PAT 0x89u
#define RS_REG_TSC 0x8au
#define RS_REG_APIC_BASE 0x8bu
/* ABI 1.1: what the VP is doing besides executing (RS_ACTIVITY_*). */
#define RS_REG_ACTIVITY 0x8cu

/* RS_REG_ACTIVITY values. */
#define RS_ACTIVITY_RUNNING 0u
#define RS_ACTIVITY_WAIT_FOR_SIPI 1u /* after INIT, an AP: only a startup IPI starts it */

/* ---- PARTITION_INTERRUPT (RCX: kind and flags; RDX: GSI, or MSI address and data) ---- */

#define RS_INTERRUPT_KIND_MASK 0xffull
#define RS_INTERRUPT_GSI_EDGE 1u  /* a rising and falling edge on GSI RDX */
#define RS_INTERRUPT_GSI_LEVEL 2u /* GSI RDX's line to RS_INTERRUPT_ASSERTED or not */
#define RS_INTERRUPT_MSI 3u       /* RDX bits 31:0 the MSI address, bits 63:32 its data */
#define RS_INTERRUPT_ASSERTED (1ull << 8)
#define RS_INTERRUPT_RESERVED_MASK (~0x1ffull)
#define RS_INTERRUPT_GSI_COUNT 24u /* the child I/O APIC's pins */
/* MSI address and data (Intel SDM vol. 3A, 11.11.1 and 11.11.2). */
#define RS_MSI_ADDRESS_BASE 0xfee00000ull
#define RS_MSI_ADDRESS_BASE_MASK 0xfff00000ull
#define RS_MSI_ADDRESS_DEST_SHIFT 12
#define RS_MSI_ADDRESS_DEST_MASK (0xffull << 12)
#define RS_MSI_ADDRESS_REDIRECTION_HINT (1ull << 3)
#define RS_MSI_ADDRESS_DEST_LOGICAL (1ull << 2)
#define RS_MSI_DATA_VECTOR_MASK 0xffull
#define RS_MSI_DATA_DELIVERY_SHIFT 8
#define RS_MSI_DATA_DELIVERY_MASK (0x7ull << 8)
#define RS_MSI_DATA_LEVEL_ASSERT (1ull << 14)
#define RS_MSI_DATA_TRIGGER_LEVEL (1ull << 15)
#define RS_MSI_DATA_RESERVED_MASK 0xffff3800ull

/* ---- VP_RUN flags (RDX) ---- */

/* 1.3: an INTERRUPTED return for a PAUSE loop says so (exit_reason RS_EXIT_PAUSE, not NONE). */
#define RS_VP_RUN_REPORT_PAUSE (1ull << 0)
#define RS_VP_RUN_FLAGS_VALID RS_VP_RUN_REPORT_PAUSE

/* ---- PARTITION_DOORBELL (RCX: GPA; RDX: flags and cookie; RSI: the value to match) ---- */

#define RS_DOORBELL_LENGTH_MASK 0xfull      /* 1, 2, 4 or 8: the size of the write */
#define RS_DOORBELL_MATCH_VALUE (1ull << 8) /* only a write of exactly RSI rings it */
#define RS_DOORBELL_REMOVE (1ull << 9)      /* remove the doorbell named instead of adding */
#define RS_DOORBELL_COOKIE_SHIFT 32         /* bits 63:32: the cookie its exits report */
#define RS_DOORBELL_MAX 64u                 /* doorbells per partition */

/* Segment attributes: descriptor bits 40-47 in bits 0-7, descriptor bits 52-55 in bits 8-11. */
#define RS_SEGMENT_ATTR_TYPE_MASK 0x000fu
#define RS_SEGMENT_ATTR_S 0x0010u
#define RS_SEGMENT_ATTR_DPL_SHIFT 5
#define RS_SEGMENT_ATTR_DPL_MASK 0x0060u
#define RS_SEGMENT_ATTR_P 0x0080u
#define RS_SEGMENT_ATTR_AVL 0x0100u
#define RS_SEGMENT_ATTR_L 0x0200u
#define RS_SEGMENT_ATTR_DB 0x0400u
#define RS_SEGMENT_ATTR_G 0x0800u
#define RS_SEGMENT_ATTR_RESERVED_MASK 0xf000u

/* ---- VP_INJECT event (RDX) ---- */

#define RS_EVENT_VECTOR_MASK 0xffull
#define RS_EVENT_TYPE_SHIFT 8
#define RS_EVENT_TYPE_MASK (0x7ull << 8)
#define RS_EVENT_ERROR_CODE_VALID (1ull << 11)
#define RS_EVENT_RESERVED_MASK 0xfffff000ull /* bits 12-31 */
#define RS_EVENT_ERROR_CODE_SHIFT 32
#define RS_EVENT_ERROR_CODE_MASK (0xffffffffull << 32)
/* Event types, numbered as AMD EVENTINJ and Intel VM-entry interruption information number them. */
#define RS_EVENT_TYPE_INTERRUPT 0u
#define RS_EVENT_TYPE_NMI 2u
#define RS_EVENT_TYPE_EXCEPTION 3u

/* ---- The run page (hypercalls.md "The run page") ---- */

#define RS_RUN_PAGE_VERSION 1u

/* Exit reasons (rs_run_page.exit_reason). */
#define RS_EXIT_NONE 0u
#define RS_EXIT_IO 1u
#define RS_EXIT_MEMORY 2u
#define RS_EXIT_HALT 3u
#define RS_EXIT_SHUTDOWN 4u
#define RS_EXIT_HYPERCALL 5u
#define RS_EXIT_UNSUPPORTED 6u
#define RS_EXIT_INVALID_STATE 7u
#define RS_EXIT_DOORBELL 8u /* 1.2: a write rang a doorbell (only after PARTITION_DOORBELL) */
#define RS_EXIT_PAUSE 9u    /* 1.3: with VP_RUN's INTERRUPTED: the VP spun in a PAUSE loop */

/* rs_run_page.cpu_mode: the default operand size the exiting instruction was fetched with. */
#define RS_CPU_MODE_REAL 1u   /* real or virtual-8086 mode: 16-bit */
#define RS_CPU_MODE_PROT16 2u /* protected or compatibility mode, CS.D = 0 */
#define RS_CPU_MODE_PROT32 3u /* protected or compatibility mode, CS.D = 1 */
#define RS_CPU_MODE_LONG64 4u /* 64-bit mode */

/* rs_run_page.halt_state at RS_EXIT_HALT: what can end the halt (1.1). */
#define RS_HALT_DISABLED 0u      /* HLT with RFLAGS.IF clear: only an NMI or INIT ends it */
#define RS_HALT_INTERRUPTIBLE 1u /* HLT with RFLAGS.IF set: an interrupt or the timer ends it */
#define RS_HALT_WAIT_FOR_SIPI 2u /* RS_ACTIVITY_WAIT_FOR_SIPI: a startup IPI ends it */

/* Root-written completion of the last exit (rs_run_page.completion). */
#define RS_RUN_COMPLETE_NONE 0u
#define RS_RUN_COMPLETE_ADVANCE 1u
/* Root-written flags (rs_run_page.root_flags). */
#define RS_RUN_LOAD_REGS 0x1u
#define RS_RUN_ROOT_FLAGS_VALID RS_RUN_LOAD_REGS

/*
 * rs_run_page.exit_stats (1.1): the VP's guest exits since VP_CREATE by kind, counted by hv
 * whether it handled them itself or returned them to the root. For measurements only.
 */
#define RS_STAT_CPUID 0u
#define RS_STAT_MSR 1u         /* RDMSR/WRMSR hv emulates, other than the LAPIC's */
#define RS_STAT_LAPIC_MSR 2u   /* x2APIC MSRs, IA32_APIC_BASE, IA32_TSC_DEADLINE */
#define RS_STAT_XAPIC_MMIO 3u  /* the xAPIC page */
#define RS_STAT_IOAPIC_MMIO 4u /* the I/O APIC window */
#define RS_STAT_HLT 5u         /* HLT, whether it ended in hv or in the root */
#define RS_STAT_WINDOW 6u      /* interrupt windows (SVM VINTR) */
#define RS_STAT_INTERRUPT 7u   /* physical interrupts (the root's, its timers for the VP) */
#define RS_STAT_NMI 8u         /* NMIs: kicks, TLB flush requests, the root's */
#define RS_STAT_XSETBV 9u
#define RS_STAT_IO 10u          /* port I/O returned to the root */
#define RS_STAT_MEMORY 11u      /* nested page faults returned to the root */
#define RS_STAT_OTHER 12u       /* shutdown, hypercall, unsupported, invalid state */
#define RS_STAT_INJECTED 13u    /* interrupts hv injected (not an exit kind) */
#define RS_STAT_TIMER_REARM 14u /* returns so that the root re-arms the VP's timer */
#define RS_STAT_DOORBELL 15u    /* 1.2: doorbell writes hv completed (RS_EXIT_DOORBELL) */
#define RS_STAT_PAUSE 16u       /* 1.3: PAUSE loops that left the guest (RS_EXIT_PAUSE) */
#define RS_STAT_COUNT 17u

/* rs_exit_io.direction */
#define RS_IO_OUT 0u
#define RS_IO_IN 1u
/* rs_exit_memory.flags */
#define RS_MEMORY_MAPPED 0x1u /* the GPA is mapped; the access kind is not allowed */
/* rs_exit_hardware.arch */
#define RS_ARCH_SVM 1u
#define RS_ARCH_VMX 2u

/* The child's general-purpose registers, RIP and RFLAGS. */
struct rs_run_regs {
  uint64_t gpr[16]; /* indexed by RS_REG_RAX..RS_REG_R15 */
  uint64_t rip;
  uint64_t rflags;
};
RS_ABI_ASSERT_SIZE(struct rs_run_regs, 144);
RS_ABI_ASSERT_OFFSET(struct rs_run_regs, gpr, 0);
RS_ABI_ASSERT_OFFSET(struct rs_run_regs, rip, 128);
RS_ABI_ASSERT_OFFSET(struct rs_run_regs, rflags, 136);

/* RS_EXIT_IO: one IN or OUT of 1, 2 or 4 bytes (no string or REP forms). */
struct rs_exit_io {
  uint16_t port;
  uint8_t size;      /* 1, 2 or 4 */
  uint8_t direction; /* RS_IO_OUT or RS_IO_IN */
  uint32_t reserved0;
  uint64_t data; /* OUT: the bytes written (hv); IN: the bytes to load (root) */
};
RS_ABI_ASSERT_SIZE(struct rs_exit_io, 16);
RS_ABI_ASSERT_OFFSET(struct rs_exit_io, port, 0);
RS_ABI_ASSERT_OFFSET(struct rs_exit_io, size, 2);
RS_ABI_ASSERT_OFFSET(struct rs_exit_io, direction, 3);
RS_ABI_ASSERT_OFFSET(struct rs_exit_io, reserved0, 4);
RS_ABI_ASSERT_OFFSET(struct rs_exit_io, data, 8);

/* RS_EXIT_MEMORY: an access to a GPA that is not mapped, or not mapped for that access. */
struct rs_exit_memory {
  uint64_t gpa;
  uint8_t access;                 /* one RS_ACCESS_* */
  uint8_t flags;                  /* RS_MEMORY_* */
  uint8_t instruction_byte_count; /* 0-15: bytes hv could fetch at CS:RIP */
  uint8_t reserved0[5];
  uint8_t instruction_bytes[16];
};
RS_ABI_ASSERT_SIZE(struct rs_exit_memory, 32);
RS_ABI_ASSERT_OFFSET(struct rs_exit_memory, gpa, 0);
RS_ABI_ASSERT_OFFSET(struct rs_exit_memory, access, 8);
RS_ABI_ASSERT_OFFSET(struct rs_exit_memory, flags, 9);
RS_ABI_ASSERT_OFFSET(struct rs_exit_memory, instruction_byte_count, 10);
RS_ABI_ASSERT_OFFSET(struct rs_exit_memory, reserved0, 11);
RS_ABI_ASSERT_OFFSET(struct rs_exit_memory, instruction_bytes, 16);

/* RS_EXIT_DOORBELL (1.2): a write that rang a doorbell, already completed by hv. */
struct rs_exit_doorbell {
  uint64_t gpa;   /* the doorbell's GPA */
  uint64_t value; /* the value written (its low `length` bytes) */
  uint32_t cookie;
  uint8_t length; /* 1, 2, 4 or 8 */
  uint8_t reserved0[3];
};
RS_ABI_ASSERT_SIZE(struct rs_exit_doorbell, 24);
RS_ABI_ASSERT_OFFSET(struct rs_exit_doorbell, gpa, 0);
RS_ABI_ASSERT_OFFSET(struct rs_exit_doorbell, value, 8);
RS_ABI_ASSERT_OFFSET(struct rs_exit_doorbell, cookie, 16);
RS_ABI_ASSERT_OFFSET(struct rs_exit_doorbell, length, 20);

/* RS_EXIT_UNSUPPORTED and RS_EXIT_INVALID_STATE: the raw hardware exit, for logs. */
struct rs_exit_hardware {
  uint32_t arch; /* RS_ARCH_* */
  uint32_t reserved0;
  uint64_t code;  /* SVM EXITCODE / VMX basic exit reason */
  uint64_t info1; /* SVM EXITINFO1 / VMX exit qualification */
  uint64_t info2; /* SVM EXITINFO2 / VMX VM-exit instruction information */
  uint8_t instruction_byte_count;
  uint8_t reserved1[7];
  uint8_t instruction_bytes[16];
};
RS_ABI_ASSERT_SIZE(struct rs_exit_hardware, 56);
RS_ABI_ASSERT_OFFSET(struct rs_exit_hardware, arch, 0);
RS_ABI_ASSERT_OFFSET(struct rs_exit_hardware, reserved0, 4);
RS_ABI_ASSERT_OFFSET(struct rs_exit_hardware, code, 8);
RS_ABI_ASSERT_OFFSET(struct rs_exit_hardware, info1, 16);
RS_ABI_ASSERT_OFFSET(struct rs_exit_hardware, info2, 24);
RS_ABI_ASSERT_OFFSET(struct rs_exit_hardware, instruction_byte_count, 32);
RS_ABI_ASSERT_OFFSET(struct rs_exit_hardware, reserved1, 33);
RS_ABI_ASSERT_OFFSET(struct rs_exit_hardware, instruction_bytes, 40);

/* Per-reason exit data; exit_reason says which member is valid. */
union rs_exit_data {
  struct rs_exit_io io;
  struct rs_exit_memory memory;
  struct rs_exit_hardware hardware;
  struct rs_exit_doorbell doorbell; /* 1.2 */
  uint8_t raw[256];
};
RS_ABI_ASSERT_SIZE(union rs_exit_data, 256);

/*
 * The per-VP run page: a root-owned 4 KiB frame named at VP_CREATE, shared by hv and the root
 * (the VMM mmaps it). hv writes 0x000-0x0ff and the exit data; the root writes 0x100-0x13f.
 */
struct rs_run_page {
  /* hv-written */
  uint32_t version; /* RS_RUN_PAGE_VERSION, set at VP_CREATE */
  uint32_t exit_reason;
  uint64_t exit_count;         /* returns from VP_RUN with an exit, since VP_CREATE */
  uint64_t timer_deadline_tsc; /* host TSC at which the child's LAPIC timer fires; 0: none */
  uint8_t cpu_mode;            /* RS_CPU_MODE_* */
  uint8_t cpl;
  uint8_t instruction_length; /* of the exiting instruction when hv knows it, else 0 */
  uint8_t halt_state;         /* RS_EXIT_HALT: RS_HALT_* (1.1) */
  uint32_t reserved1;
  uint64_t cr0;
  uint64_t cr3;
  uint64_t cr4;
  uint64_t efer;
  struct rs_run_regs regs; /* hv-written at every return; root-written with RS_RUN_LOAD_REGS */
  uint64_t wake_vps; /* 1.1: VPs (bit n: VP n) an interrupt reached outside VP_RUN: wake them */
  uint64_t reserved2[5];
  /* root-written */
  uint32_t completion; /* RS_RUN_COMPLETE_* */
  uint32_t root_flags; /* RS_RUN_LOAD_REGS */
  uint64_t reserved3[7];
  /* hv-written (IN data: root-written) */
  union rs_exit_data exit;
  uint64_t exit_stats[RS_STAT_COUNT]; /* 1.1: RS_STAT_*, hv-written */
  uint8_t reserved4[3384];
};
RS_ABI_ASSERT_SIZE(struct rs_run_page, 4096);
RS_ABI_ASSERT_OFFSET(struct rs_run_page, version, 0x000);
RS_ABI_ASSERT_OFFSET(struct rs_run_page, exit_reason, 0x004);
RS_ABI_ASSERT_OFFSET(struct rs_run_page, exit_count, 0x008);
RS_ABI_ASSERT_OFFSET(struct rs_run_page, timer_deadline_tsc, 0x010);
RS_ABI_ASSERT_OFFSET(struct rs_run_page, cpu_mode, 0x018);
RS_ABI_ASSERT_OFFSET(struct rs_run_page, cpl, 0x019);
RS_ABI_ASSERT_OFFSET(struct rs_run_page, instruction_length, 0x01a);
RS_ABI_ASSERT_OFFSET(struct rs_run_page, halt_state, 0x01b);
RS_ABI_ASSERT_OFFSET(struct rs_run_page, reserved1, 0x01c);
RS_ABI_ASSERT_OFFSET(struct rs_run_page, cr0, 0x020);
RS_ABI_ASSERT_OFFSET(struct rs_run_page, cr3, 0x028);
RS_ABI_ASSERT_OFFSET(struct rs_run_page, cr4, 0x030);
RS_ABI_ASSERT_OFFSET(struct rs_run_page, efer, 0x038);
RS_ABI_ASSERT_OFFSET(struct rs_run_page, regs, 0x040);
RS_ABI_ASSERT_OFFSET(struct rs_run_page, wake_vps, 0x0d0);
RS_ABI_ASSERT_OFFSET(struct rs_run_page, reserved2, 0x0d8);
RS_ABI_ASSERT_OFFSET(struct rs_run_page, completion, 0x100);
RS_ABI_ASSERT_OFFSET(struct rs_run_page, root_flags, 0x104);
RS_ABI_ASSERT_OFFSET(struct rs_run_page, reserved3, 0x108);
RS_ABI_ASSERT_OFFSET(struct rs_run_page, exit, 0x140);
RS_ABI_ASSERT_OFFSET(struct rs_run_page, exit_stats, 0x240);
RS_ABI_ASSERT_OFFSET(struct rs_run_page, reserved4, 0x2c8);

#endif /* ROOTSTOCK_HYPERCALL_ABI_H */
