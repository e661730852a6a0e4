/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hypercalls of Rootstock's hv, one inline each (docs/hypercalls.md §5).
 *
 * Calling convention (§2): VMMCALL from CPL 0; RAX carries the control word in and the result
 * word out; RBX, RCX, RDX, RSI carry a fast call's arguments in and its outputs out, or a page
 * call's input and output page addresses. Every argument register a call does not use is 0, as
 * hv requires (RS_STATUS_RESERVED_NONZERO otherwise). hv preserves every other register.
 *
 * Each wrapper returns the raw result word; RS_HC_RESULT_STATUS() and friends take it apart.
 * Rep calls take the rep count and start of this invocation: the caller loops (§3).
 *
 * AMD only for now: VMMCALL. Intel's VMCALL raises #UD under hv on AMD and the reverse, so the
 * module refuses to load on other vendors before it makes any call.
 */
#ifndef HVROOT_HYPERCALL_H
#define HVROOT_HYPERCALL_H

#include <linux/types.h>

#include <rootstock/hypercall_abi.h>

/* The four argument and output registers of a hypercall (§2, "Registers"). */
struct hvroot_hc_regs {
	u64 rbx;
	u64 rcx;
	u64 rdx;
	u64 rsi;
};

/**
 * hvroot_hypercall() - issue one hypercall
 * @control: RAX on entry, the control word (RS_HC_CONTROL())
 * @regs: RBX, RCX, RDX, RSI on entry; on return what hv left in them (a fast call's outputs
 *        on RS_STATUS_SUCCESS, the inputs otherwise)
 *
 * The "memory" clobber orders the call after the stores that fill an input page and before
 * the loads that read an output page or the run page.
 *
 * Return: RAX on return, the result word.
 */
static __always_inline u64 hvroot_hypercall(u64 control, struct hvroot_hc_regs *regs)
{
	asm volatile("vmmcall"
		     : "+a" (control), "+b" (regs->rbx), "+c" (regs->rcx),
		       "+d" (regs->rdx), "+S" (regs->rsi)
		     :
		     : "memory");
	return control;
}

/* A fast call without rep fields; the outputs, if any, are left in @regs. */
static __always_inline u64 hvroot_hc_fast(u16 code, struct hvroot_hc_regs *regs)
{
	return hvroot_hypercall(RS_HC_CONTROL(code, RS_HC_CONTROL_FAST, 0, 0), regs);
}

/* A page call: @input and @output are root physical addresses of 4 KiB pages, or 0. */
static __always_inline u64 hvroot_hc_page(u16 code, u32 count, u32 start,
					  phys_addr_t input, phys_addr_t output)
{
	struct hvroot_hc_regs regs = { .rbx = input, .rcx = output };

	return hvroot_hypercall(RS_HC_CONTROL(code, 0, count, start), &regs);
}

/* GET_VERSION: on SUCCESS, RBX = RS_ABI_VERSION, RCX = features, RDX = limits. */
static inline u64 hvroot_hc_get_version(struct hvroot_hc_regs *out)
{
	*out = (struct hvroot_hc_regs){};
	return hvroot_hc_fast(RS_HC_GET_VERSION, out);
}

/* CHECK_INVARIANTS: hv writes struct rs_hc_invariants_output to the page at @output. */
static inline u64 hvroot_hc_check_invariants(phys_addr_t output)
{
	return hvroot_hc_page(RS_HC_CHECK_INVARIANTS, 0, 0, 0, output);
}

/* PARTITION_CREATE: @flags must be 0 in 1.0; *id is the new partition's id on SUCCESS. */
static inline u64 hvroot_hc_partition_create(u64 flags, u64 *id)
{
	struct hvroot_hc_regs regs = { .rbx = flags };
	u64 result = hvroot_hc_fast(RS_HC_PARTITION_CREATE, &regs);

	*id = regs.rbx;
	return result;
}

/* PARTITION_DESTROY: a continuation call, repeated while it answers RS_STATUS_PARTIAL. */
static inline u64 hvroot_hc_partition_destroy(u64 id)
{
	struct hvroot_hc_regs regs = { .rbx = id };

	return hvroot_hc_fast(RS_HC_PARTITION_DESTROY, &regs);
}

/*
 * PARTITION_QUERY: on SUCCESS, RBX = VPs, RCX = mapped 4 KiB pages, RDX = deposited pages,
 * RSI = deposited pages in use.
 */
static inline u64 hvroot_hc_partition_query(u64 id, struct hvroot_hc_regs *out)
{
	*out = (struct hvroot_hc_regs){ .rbx = id };
	return hvroot_hc_fast(RS_HC_PARTITION_QUERY, out);
}

/* MAP_GPA_RANGE: elements @start .. @count - 1 of struct rs_hc_map_gpa_input at @input. */
static inline u64 hvroot_hc_map_gpa_range(phys_addr_t input, u32 count, u32 start)
{
	return hvroot_hc_page(RS_HC_MAP_GPA_RANGE, count, start, input, 0);
}

/*
 * UNMAP_GPA_RANGE: a fast rep call; element i is the mapping at @gpa_base + i * size, the size
 * being 2 MiB with RS_MAP_LARGE in @flags and 4 KiB without.
 */
static inline u64 hvroot_hc_unmap_gpa_range(u64 id, u64 gpa_base, u32 flags,
					    u32 count, u32 start)
{
	struct hvroot_hc_regs regs = { .rbx = id, .rcx = gpa_base, .rdx = flags };

	return hvroot_hypercall(RS_HC_CONTROL(RS_HC_UNMAP_GPA_RANGE, RS_HC_CONTROL_FAST,
					      count, start), &regs);
}

/* DEPOSIT_MEMORY: elements @start .. @count - 1 of struct rs_hc_deposit_input at @input. */
static inline u64 hvroot_hc_deposit_memory(phys_addr_t input, u32 count, u32 start)
{
	return hvroot_hc_page(RS_HC_DEPOSIT_MEMORY, count, start, input, 0);
}

/*
 * WITHDRAW_MEMORY: up to @count unused deposited frames come back, listed in the output page;
 * may succeed with fewer reps done than asked. The driver does not withdraw today: deposits come
 * back all at once when the partition is destroyed.
 */
static inline u64 hvroot_hc_withdraw_memory(phys_addr_t input, phys_addr_t output,
					    u32 count, u32 start)
{
	return hvroot_hc_page(RS_HC_WITHDRAW_MEMORY, count, start, input, output);
}

/* VP_CREATE: @run_page is the root physical address of the VP's zeroed run page. */
static inline u64 hvroot_hc_vp_create(u64 id, u32 vp_index, phys_addr_t run_page)
{
	struct hvroot_hc_regs regs = { .rbx = id, .rcx = vp_index, .rdx = run_page };

	return hvroot_hc_fast(RS_HC_VP_CREATE, &regs);
}

/* VP_DESTROY: on SUCCESS the run page is the root's again. */
static inline u64 hvroot_hc_vp_destroy(u64 id, u32 vp_index)
{
	struct hvroot_hc_regs regs = { .rbx = id, .rcx = vp_index };

	return hvroot_hc_fast(RS_HC_VP_DESTROY, &regs);
}

/*
 * VP_RUN: runs the VP on this CPU until an exit for the root (SUCCESS, described in the run
 * page) or a physical interrupt (INTERRUPTED). Called with interrupts enabled; the root takes
 * the interrupt natively once hv has returned.
 */
static inline u64 hvroot_hc_vp_run(u64 id, u32 vp_index, u64 flags)
{
	struct hvroot_hc_regs regs = { .rbx = id, .rcx = vp_index, .rdx = flags };

	return hvroot_hc_fast(RS_HC_VP_RUN, &regs);
}

/*
 * VP_GET_REGISTERS: names from struct rs_hc_get_registers_input at @input, values into
 * struct rs_hc_get_registers_output at @output.
 */
static inline u64 hvroot_hc_vp_get_registers(phys_addr_t input, phys_addr_t output,
					     u32 count, u32 start)
{
	return hvroot_hc_page(RS_HC_VP_GET_REGISTERS, count, start, input, output);
}

/* VP_SET_REGISTERS: elements of struct rs_hc_set_registers_input at @input. */
static inline u64 hvroot_hc_vp_set_registers(phys_addr_t input, u32 count, u32 start)
{
	return hvroot_hc_page(RS_HC_VP_SET_REGISTERS, count, start, input, 0);
}

/* VP_INJECT: @event is the RS_EVENT_* word (vector, type, error code). */
static inline u64 hvroot_hc_vp_inject(u64 id, u32 vp_index, u64 event)
{
	struct hvroot_hc_regs regs = { .rbx = id, .rcx = vp_index, .rdx = event };

	return hvroot_hc_fast(RS_HC_VP_INJECT, &regs);
}

/*
 * PARTITION_INTERRUPT: a GSI edge or level, or an MSI (@flags, @argument as in
 * hypercall_abi.h); on SUCCESS *wake is the VPs it reached outside hv's run loop.
 */
static inline u64 hvroot_hc_partition_interrupt(u64 id, u64 flags, u64 argument, u64 *wake)
{
	struct hvroot_hc_regs regs = { .rbx = id, .rcx = flags, .rdx = argument };
	u64 result = hvroot_hc_fast(RS_HC_PARTITION_INTERRUPT, &regs);

	*wake = regs.rbx;
	return result;
}

/* PARTITION_DOORBELL (ABI 1.2): @flags with the cookie in bits 63:32, as in hypercall_abi.h. */
static inline u64 hvroot_hc_partition_doorbell(u64 id, u64 gpa, u64 flags, u64 value)
{
	struct hvroot_hc_regs regs = { .rbx = id, .rcx = gpa, .rdx = flags, .rsi = value };

	return hvroot_hc_fast(RS_HC_PARTITION_DOORBELL, &regs);
}

#endif /* HVROOT_HYPERCALL_H */
