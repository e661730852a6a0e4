// SPDX-License-Identifier: GPL-2.0
/*
 * HVROOT_RAW_HYPERCALL: one hypercall exactly as user space gives it, so that the
 * hypercall-abuse self-test can show hv refusing every malformed call (docs/hypercalls.md §2,
 * "Validation order"). A raw call can hand any root frame to hv, the kernel's own included,
 * so it is off unless the module was loaded with allow_raw_hypercalls=1, and needs
 * CAP_SYS_RAWIO even then. Never for production images.
 */
#include <linux/capability.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/uaccess.h>

#include "hvroot_drv.h"
#include "hvroot_hypercall.h"

/* Copies the caller's 4096 input bytes into a fresh kernel page. */
static struct page *hvroot_raw_input(u64 uptr)
{
	struct page *page = alloc_page(GFP_KERNEL);

	if (!page)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(page_address(page), u64_to_user_ptr(uptr), PAGE_SIZE)) {
		__free_page(page);
		return ERR_PTR(-EFAULT);
	}
	return page;
}

/**
 * hvroot_raw_hypercall() - HVROOT_RAW_HYPERCALL
 * @uarg: struct hvroot_raw_hypercall in user memory
 *
 * Return: 0 with the result word and registers stored back (whatever hv answered), or a
 * negative errno if the call was not made or its results could not be stored.
 */
long hvroot_raw_hypercall(struct hvroot_raw_hypercall __user *uarg)
{
	struct page *in_page = NULL, *out_page = NULL;
	struct hvroot_raw_hypercall arg;
	struct hvroot_hc_regs regs;
	long ret = 0;

	if (!hvroot_allow_raw_hypercalls || !capable(CAP_SYS_RAWIO))
		return -EPERM;
	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if ((arg.flags & ~HVROOT_RAW_FLAGS_VALID) || arg.reserved)
		return -EINVAL;

	regs = (struct hvroot_hc_regs){
		.rbx = arg.args[0], .rcx = arg.args[1], .rdx = arg.args[2], .rsi = arg.args[3],
	};
	if (arg.flags & HVROOT_RAW_INPUT_PAGE) {
		in_page = hvroot_raw_input(arg.input);
		if (IS_ERR(in_page))
			return PTR_ERR(in_page);
		regs.rbx = page_to_phys(in_page);
	}
	if (arg.flags & HVROOT_RAW_OUTPUT_PAGE) {
		out_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!out_page) {
			ret = -ENOMEM;
			goto free;
		}
		regs.rcx = page_to_phys(out_page);
	}

	arg.result = hvroot_hypercall(arg.control, &regs);
	arg.args[0] = regs.rbx;
	arg.args[1] = regs.rcx;
	arg.args[2] = regs.rdx;
	arg.args[3] = regs.rsi;

	if (out_page && copy_to_user(u64_to_user_ptr(arg.output), page_address(out_page),
				     PAGE_SIZE))
		ret = -EFAULT;
	else if (copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
free:
	if (out_page)
		__free_page(out_page);
	if (in_page)
		__free_page(in_page);
	return ret;
}
