// SPDX-License-Identifier: GPL-2.0
/*
 * HVROOT_DOORBELL on a partition fd: PARTITION_DOORBELL with an eventfd (ioeventfd for hv,
 * docs/hvroot.md "Doorbells"). Each doorbell gets a cookie hv reports in RS_EXIT_DOORBELL;
 * HVROOT_RUN_VP signals the cookie's eventfd and runs the VP again (hvroot_vp.c).
 */
#include <linux/eventfd.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "hvroot_drv.h"
#include "hvroot_hypercall.h"

/* One doorbell: hv's table has the same (gpa, length, match, value) with this cookie. */
struct hvroot_doorbell_entry {
	struct list_head node; /* in hvroot_partition.doorbells */
	u64 gpa;
	u64 value;
	u32 cookie;
	u32 flags;		/* HVROOT_DOORBELL_LENGTH_MASK | HVROOT_DOORBELL_MATCH_VALUE */
	struct eventfd_ctx *eventfd;
};

/* The hv flags word for @flags (HVROOT_DOORBELL_*) and @cookie. */
static u64 hvroot_doorbell_hv_flags(u32 flags, u32 cookie)
{
	u64 hv = flags & HVROOT_DOORBELL_LENGTH_MASK;

	if (flags & HVROOT_DOORBELL_MATCH_VALUE)
		hv |= RS_DOORBELL_MATCH_VALUE;
	if (flags & HVROOT_DOORBELL_REMOVE)
		hv |= RS_DOORBELL_REMOVE;
	return hv | ((u64)cookie << RS_DOORBELL_COOKIE_SHIFT);
}

/* Under part->lock: the entry hv's REMOVE would name, or NULL. */
static struct hvroot_doorbell_entry *hvroot_doorbell_find(struct hvroot_partition *part,
							  const struct hvroot_doorbell *arg)
{
	const u32 same = HVROOT_DOORBELL_LENGTH_MASK | HVROOT_DOORBELL_MATCH_VALUE;
	struct hvroot_doorbell_entry *e;

	list_for_each_entry(e, &part->doorbells, node) {
		if (e->gpa == arg->gpa && e->value == arg->value &&
		    e->flags == (arg->flags & same))
			return e;
	}
	return NULL;
}

static int hvroot_doorbell_add(struct hvroot_partition *part, const struct hvroot_doorbell *arg,
			       u16 *status)
{
	struct hvroot_doorbell_entry *e;
	struct eventfd_ctx *eventfd;

	eventfd = eventfd_ctx_fdget(arg->fd);
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);
	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e) {
		eventfd_ctx_put(eventfd);
		return -ENOMEM;
	}
	e->gpa = arg->gpa;
	e->value = arg->value;
	e->flags = arg->flags;
	e->eventfd = eventfd;
	mutex_lock(&part->lock);
	e->cookie = ++part->next_cookie;
	*status = RS_HC_RESULT_STATUS(hvroot_hc_partition_doorbell(
		part->id, arg->gpa, hvroot_doorbell_hv_flags(arg->flags, e->cookie), arg->value));
	if (*status == RS_STATUS_SUCCESS) {
		spin_lock(&part->doorbells_lock);
		list_add(&e->node, &part->doorbells);
		spin_unlock(&part->doorbells_lock);
	}
	mutex_unlock(&part->lock);
	if (*status != RS_STATUS_SUCCESS) {
		eventfd_ctx_put(eventfd);
		kfree(e);
	}
	return hvroot_status_errno(*status, "PARTITION_DOORBELL");
}

static int hvroot_doorbell_remove(struct hvroot_partition *part,
				  const struct hvroot_doorbell *arg, u16 *status)
{
	struct hvroot_doorbell_entry *e;

	mutex_lock(&part->lock);
	*status = RS_HC_RESULT_STATUS(hvroot_hc_partition_doorbell(
		part->id, arg->gpa, hvroot_doorbell_hv_flags(arg->flags, 0), arg->value));
	e = *status == RS_STATUS_SUCCESS ? hvroot_doorbell_find(part, arg) : NULL;
	if (e) {
		spin_lock(&part->doorbells_lock);
		list_del(&e->node);
		spin_unlock(&part->doorbells_lock);
	}
	mutex_unlock(&part->lock);
	if (e) {
		eventfd_ctx_put(e->eventfd);
		kfree(e);
	}
	return hvroot_status_errno(*status, "PARTITION_DOORBELL");
}

/**
 * hvroot_doorbell() - HVROOT_DOORBELL
 * @part: the partition
 * @uarg: struct hvroot_doorbell in user memory
 *
 * Return: 0, or a negative errno (hv's status in hv_status).
 */
long hvroot_doorbell(struct hvroot_partition *part, struct hvroot_doorbell __user *uarg)
{
	struct hvroot_doorbell arg;
	u16 status = RS_STATUS_SUCCESS;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.reserved || arg.hv_status || (arg.flags & ~HVROOT_DOORBELL_FLAGS_VALID))
		return -EINVAL;
	if ((hvroot_hv.abi_version & RS_ABI_VERSION_MINOR_MASK) < 2)
		return -EOPNOTSUPP;
	if (arg.flags & HVROOT_DOORBELL_REMOVE)
		ret = hvroot_doorbell_remove(part, &arg, &status);
	else
		ret = hvroot_doorbell_add(part, &arg, &status);
	return hvroot_put_hv_status(&uarg->hv_status, status, ret);
}

/**
 * hvroot_doorbell_ring() - signals the eventfd of the doorbell with @cookie
 * @part: the partition whose VP reported RS_EXIT_DOORBELL
 * @cookie: rs_exit_doorbell.cookie
 *
 * Return: true if the doorbell is still there (its eventfd signalled); false if it was removed
 * meanwhile (the VMM gets the exit and treats it as a completed write).
 */
bool hvroot_doorbell_ring(struct hvroot_partition *part, u32 cookie)
{
	struct hvroot_doorbell_entry *e;
	bool found = false;

	spin_lock(&part->doorbells_lock);
	list_for_each_entry(e, &part->doorbells, node) {
		if (e->cookie == cookie) {
			eventfd_signal(e->eventfd);
			found = true;
			break;
		}
	}
	spin_unlock(&part->doorbells_lock);
	return found;
}

/* The partition is gone from hv (or leaked): its doorbells' eventfds are let go. */
void hvroot_doorbells_release(struct hvroot_partition *part)
{
	struct hvroot_doorbell_entry *e, *next;

	list_for_each_entry_safe(e, next, &part->doorbells, node) {
		list_del(&e->node);
		eventfd_ctx_put(e->eventfd);
		kfree(e);
	}
}
