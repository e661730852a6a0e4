// SPDX-License-Identifier: GPL-2.0
/*
 * HVROOT_GET_REGISTERS and HVROOT_SET_REGISTERS: VP_GET_REGISTERS and VP_SET_REGISTERS
 * (docs/hypercalls.md §5 and §8), one page call each, continued while hv answers PARTIAL.
 * The input and output pages are allocated per call, so no other thread can change them
 * while hv reads them.
 */
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "hvroot_drv.h"
#include "hvroot_hypercall.h"

static_assert(sizeof(struct rs_hc_set_registers_input) <= PAGE_SIZE);
static_assert(sizeof(struct rs_hc_get_registers_output) <= PAGE_SIZE);

/* Copies the ioctl's header and checks its count. */
static int hvroot_registers_arg(struct hvroot_registers *arg,
				const struct hvroot_registers __user *uarg)
{
	if (copy_from_user(arg, uarg, sizeof(*arg)))
		return -EFAULT;
	if (!arg->count || arg->count > RS_HC_REGISTERS_MAX_REPS)
		return -EINVAL;
	return 0;
}

/* VP_GET_REGISTERS with the names already in @in; the values land in @out. */
static int hvroot_get_registers_call(struct page *in, struct page *out, u32 count,
				     u16 *status)
{
	struct hvroot_call call = { .name = "VP_GET_REGISTERS", .count = count };
	u64 result;

	do {
		result = hvroot_hc_vp_get_registers(page_to_phys(in), page_to_phys(out),
						    call.count, call.start);
	} while (hvroot_call_again(NULL, result, &call));
	*status = call.status;
	return hvroot_status_errno(call.status, call.name);
}

/**
 * hvroot_vp_get_registers() - HVROOT_GET_REGISTERS
 * @vp: the VP
 * @uarg: struct hvroot_registers in user memory
 *
 * Return: 0 with count values written to the user's values array, or a negative errno.
 */
long hvroot_vp_get_registers(struct hvroot_vp *vp, struct hvroot_registers __user *uarg)
{
	struct rs_hc_get_registers_output *out;
	struct rs_hc_get_registers_input *in;
	struct page *in_page, *out_page;
	struct hvroot_registers arg;
	u16 status = RS_STATUS_SUCCESS;
	int ret;

	ret = hvroot_registers_arg(&arg, uarg);
	if (ret)
		return ret;

	in_page = alloc_page(GFP_KERNEL);
	/* Zeroed: nothing of the kernel's reaches the user even if hv wrote less. */
	out_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!in_page || !out_page) {
		ret = -ENOMEM;
		goto free;
	}
	in = page_address(in_page);
	out = page_address(out_page);

	in->partition_id = vp->part->id;
	in->vp_index = vp->index;
	in->reserved0 = 0;
	if (copy_from_user(in->names, u64_to_user_ptr(arg.names),
			   arg.count * sizeof(in->names[0]))) {
		ret = -EFAULT;
		goto free;
	}
	ret = hvroot_get_registers_call(in_page, out_page, arg.count, &status);
	if (!ret && copy_to_user(u64_to_user_ptr(arg.values), out->values,
				 arg.count * sizeof(out->values[0])))
		ret = -EFAULT;
free:
	if (out_page)
		__free_page(out_page);
	if (in_page)
		__free_page(in_page);
	return hvroot_put_hv_status(&uarg->hv_status, status, ret);
}

/* Builds VP_SET_REGISTERS' input page from the user's names and values. */
static int hvroot_set_registers_input(struct rs_hc_set_registers_input *in,
				      const struct hvroot_registers *arg)
{
	union rs_hc_register_value *values;
	u32 *names;

	names = memdup_array_user(u64_to_user_ptr(arg->names), arg->count, sizeof(*names));
	if (IS_ERR(names))
		return PTR_ERR(names);
	values = memdup_array_user(u64_to_user_ptr(arg->values), arg->count, sizeof(*values));
	if (IS_ERR(values)) {
		kfree(names);
		return PTR_ERR(values);
	}
	for (u32 i = 0; i < arg->count; i++) {
		in->elements[i].name = names[i];
		in->elements[i].reserved0 = 0;
		in->elements[i].value = values[i];
	}
	kfree(values);
	kfree(names);
	return 0;
}

/**
 * hvroot_vp_set_registers() - HVROOT_SET_REGISTERS
 * @vp: the VP
 * @uarg: struct hvroot_registers in user memory
 *
 * On an error hv found in element i, elements before i may have been set by an earlier
 * invocation of a continued call (docs/hypercalls.md §3).
 *
 * Return: 0, or a negative errno.
 */
long hvroot_vp_set_registers(struct hvroot_vp *vp, struct hvroot_registers __user *uarg)
{
	struct hvroot_call call = { .name = "VP_SET_REGISTERS" };
	struct rs_hc_set_registers_input *in;
	struct hvroot_registers arg;
	struct page *in_page;
	u64 result;
	int ret;

	ret = hvroot_registers_arg(&arg, uarg);
	if (ret)
		return ret;

	in_page = alloc_page(GFP_KERNEL);
	if (!in_page)
		return -ENOMEM;
	in = page_address(in_page);
	in->partition_id = vp->part->id;
	in->vp_index = vp->index;
	in->reserved0 = 0;
	ret = hvroot_set_registers_input(in, &arg);
	if (!ret) {
		call.count = arg.count;
		do {
			result = hvroot_hc_vp_set_registers(page_to_phys(in_page), call.count,
							    call.start);
		} while (hvroot_call_again(NULL, result, &call));
		ret = hvroot_status_errno(call.status, call.name);
	}
	__free_page(in_page);
	return hvroot_put_hv_status(&uarg->hv_status, call.status, ret);
}
