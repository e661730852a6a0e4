// SPDX-License-Identifier: GPL-2.0
/*
 * The caller's side of docs/hypercalls.md §3 and §4: continuing rep calls, answering
 * RS_STATUS_INSUFFICIENT_MEMORY with deposits, and turning hv's statuses into errnos
 * (the table in docs/hvroot.md).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/uaccess.h>

#include "hvroot_drv.h"

/*
 * hv asks for exactly what it lacks (§6), so one deposit normally suffices; a few more
 * answers in a row without progress mean hv and driver disagree, and looping on would only
 * drain the root's memory into the partition.
 */
#define HVROOT_DEPOSIT_ATTEMPTS 4

/**
 * hvroot_call_again() - decide what follows one invocation of a call (§3)
 * @part: partition to deposit into on INSUFFICIENT_MEMORY; NULL for calls that never ask
 * @result: the invocation's result word
 * @call: the call's progress; @call->status is final once this returns false
 *
 * PARTIAL: continue at reps done (a rep call) or with the same arguments (PARTITION_DESTROY),
 * after giving the scheduler a chance. INSUFFICIENT_MEMORY: deposit what hv asked for and
 * re-issue unchanged. Anything else ends the call. A PARTIAL that does not move forward ends
 * the call too, as PARTIAL, which hvroot_status_errno() reports as unexpected.
 *
 * Return: true to issue the call again with @call->start as the rep start.
 */
bool hvroot_call_again(struct hvroot_partition *part, u64 result, struct hvroot_call *call)
{
	u32 done = RS_HC_RESULT_REPS_DONE(result);

	call->status = RS_HC_RESULT_STATUS(result);
	switch (call->status) {
	case RS_STATUS_SUCCESS:
		call->start = call->count;
		return false;
	case RS_STATUS_PARTIAL:
		if (call->count) {
			/* hv completes at least one element and never all of them (§3). */
			if (done <= call->start || done >= call->count)
				return false;
			call->start = done;
		}
		call->deposits = 0;
		cond_resched();
		return true;
	case RS_STATUS_INSUFFICIENT_MEMORY:
		if (!part)
			return false;
		if (++call->deposits > HVROOT_DEPOSIT_ATTEMPTS) {
			pr_err_ratelimited("%s: hv still asks for memory after %u deposits\n",
					   call->name, HVROOT_DEPOSIT_ATTEMPTS);
			return false;
		}
		/* detail is 1 .. 0xffff; a 0 would be hv's bug, and one page still helps. */
		return !hvroot_deposit(part, max_t(u32, RS_HC_RESULT_DETAIL(result), 1));
	default:
		return false;
	}
}

/**
 * hvroot_status_errno() - the errno a call ending with @status returns (docs/hvroot.md)
 * @status: RS_STATUS_* that ended the call
 * @name: the call's name, logged for statuses the driver never expects
 *
 * Statuses a user's request can cause get an errno of their own; the rest mean a bug in the
 * driver or in hv and give -EIO with a log line.
 *
 * Return: 0 for RS_STATUS_SUCCESS, else a negative errno.
 */
int hvroot_status_errno(u16 status, const char *name)
{
	switch (status) {
	case RS_STATUS_SUCCESS:
		return 0;
	case RS_STATUS_INSUFFICIENT_MEMORY:
		return -ENOMEM;
	case RS_STATUS_RESERVED_NONZERO:
	case RS_STATUS_INVALID_PARAMETER:
	case RS_STATUS_MISALIGNED:
	case RS_STATUS_INVALID_VP_INDEX:
	case RS_STATUS_GPA_OUT_OF_RANGE:
		return -EINVAL;
	case RS_STATUS_FRAME_NOT_OWNED:
		return -EFAULT;
	case RS_STATUS_GPA_OVERLAP:
	case RS_STATUS_EXISTS:
		return -EEXIST;
	case RS_STATUS_GPA_NOT_MAPPED:
		return -ENOENT;
	case RS_STATUS_BUSY:
		return -EBUSY;
	case RS_STATUS_LIMIT_REACHED:
		return -ENOSPC;
	case RS_STATUS_NOT_SUPPORTED:
		return -EOPNOTSUPP;
	default:
		pr_err_ratelimited("%s: unexpected hv status %#x\n", name, status);
		return -EIO;
	}
}

/**
 * hvroot_put_hv_status() - store hv's status in the caller's hv_status field
 * @uptr: the field in user memory
 * @status: RS_STATUS_* of the call that failed the ioctl, or 0
 * @ret: the ioctl's result so far
 *
 * Return: @ret, or -EFAULT if the store failed after an otherwise successful ioctl (whose
 * effect stays: the VMM learns of its own bad pointer, as with KVM's ioctls).
 */
int hvroot_put_hv_status(u32 __user *uptr, u16 status, int ret)
{
	if (put_user(status, uptr) && !ret)
		return -EFAULT;
	return ret;
}
