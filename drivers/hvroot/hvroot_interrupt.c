// SPDX-License-Identifier: GPL-2.0
/*
 * HVROOT_INTERRUPT on a partition fd: PARTITION_INTERRUPT, then the VPs it reached that hv
 * does not run right now are woken, in case they sleep in a halt (hvroot_vp.c).
 */
#include <linux/uaccess.h>

#include "hvroot_drv.h"
#include "hvroot_hypercall.h"

/**
 * hvroot_interrupt() - HVROOT_INTERRUPT
 * @part: the partition
 * @uarg: struct hvroot_interrupt in user memory
 *
 * Return: 0, or a negative errno (hv's status in hv_status).
 */
long hvroot_interrupt(struct hvroot_partition *part, struct hvroot_interrupt __user *uarg)
{
	struct hvroot_interrupt arg;
	u64 wake = 0;
	u16 status;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	status = RS_HC_RESULT_STATUS(hvroot_hc_partition_interrupt(part->id, arg.flags,
								   arg.argument, &wake));
	if (status == RS_STATUS_SUCCESS && wake)
		hvroot_wake_vps(part, wake);
	return hvroot_put_hv_status(&uarg->hv_status, status,
				    hvroot_status_errno(status, "PARTITION_INTERRUPT"));
}
