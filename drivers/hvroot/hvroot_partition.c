// SPDX-License-Identifier: GPL-2.0
/*
 * A partition fd (HVROOT_CREATE_PARTITION): one child partition in hv, destroyed when the fd
 * is closed for the last time, which happens only after every VP fd of it is closed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "hvroot_drv.h"
#include "hvroot_hypercall.h"

/* PARTITION_DESTROY, continued until hv has taken everything apart. */
static int hvroot_partition_destroy(u64 id, u16 *status)
{
	struct hvroot_call call = { .name = "PARTITION_DESTROY" };
	u64 result;

	do {
		result = hvroot_hc_partition_destroy(id);
	} while (hvroot_call_again(NULL, result, &call));
	*status = call.status;
	return hvroot_status_errno(call.status, call.name);
}

/*
 * Last close of the partition fd. No VP fd is open (each holds this file), so no VP is in
 * VP_RUN and PARTITION_DESTROY cannot answer BUSY; once it succeeded, hv has given back every
 * frame (mapped, deposited, run pages), and only then may Linux have them back.
 */
static int hvroot_partition_release(struct inode *inode, struct file *file)
{
	struct hvroot_partition *part = file->private_data;
	u16 status;

	if (hvroot_partition_destroy(part->id, &status)) {
		pr_err("partition %llu: PARTITION_DESTROY failed (status %#x): leaking %lu hv pages and every mapped page\n",
		       part->id, status, part->nr_hv_pages);
		hvroot_regions_leak(part);
	} else {
		hvroot_regions_release(part);
		hvroot_hv_pages_free(part);
	}
	hvroot_doorbells_release(part);
	mutex_destroy(&part->lock);
	kfree(part);
	return 0;
}

static long hvroot_partition_query(struct hvroot_partition *part,
				   struct hvroot_partition_info __user *uarg)
{
	struct hvroot_partition_info info = { .partition_id = part->id };
	struct hvroot_hc_regs out;
	u16 status;
	int ret;

	status = RS_HC_RESULT_STATUS(hvroot_hc_partition_query(part->id, &out));
	ret = hvroot_status_errno(status, "PARTITION_QUERY");
	if (ret)
		return ret;
	info.vps = out.rbx;
	info.mapped_pages = out.rcx;
	info.deposited_pages = out.rdx;
	info.deposited_used = out.rsi;
	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

static long hvroot_partition_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct hvroot_partition *part = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case HVROOT_MAP_MEMORY:
		return hvroot_map_memory(part, uarg);
	case HVROOT_UNMAP_MEMORY:
		return hvroot_unmap_memory(part, uarg);
	case HVROOT_CREATE_VP:
		return hvroot_create_vp(file, uarg);
	case HVROOT_QUERY_PARTITION:
		return hvroot_partition_query(part, uarg);
	case HVROOT_INTERRUPT:
		return hvroot_interrupt(part, uarg);
	case HVROOT_DOORBELL:
		return hvroot_doorbell(part, uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations hvroot_partition_fops = {
	.owner = THIS_MODULE,
	.release = hvroot_partition_release,
	.unlocked_ioctl = hvroot_partition_ioctl,
	.llseek = noop_llseek,
};

/**
 * hvroot_create_partition() - HVROOT_CREATE_PARTITION
 * @uarg: struct hvroot_create_partition in user memory
 *
 * Return: a new partition fd (O_CLOEXEC), or a negative errno.
 */
long hvroot_create_partition(struct hvroot_create_partition __user *uarg)
{
	struct hvroot_create_partition arg;
	struct hvroot_partition *part;
	struct file *file;
	int fd, ret;
	u16 status;
	u64 id;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags)
		return -EINVAL;

	part = kzalloc(sizeof(*part), GFP_KERNEL_ACCOUNT);
	if (!part)
		return -ENOMEM;
	mutex_init(&part->lock);
	INIT_LIST_HEAD(&part->regions);
	INIT_LIST_HEAD(&part->hv_pages);
	spin_lock_init(&part->vps_lock);
	spin_lock_init(&part->doorbells_lock);
	INIT_LIST_HEAD(&part->doorbells);

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto free;
	}

	status = RS_HC_RESULT_STATUS(hvroot_hc_partition_create(0, &id));
	ret = hvroot_status_errno(status, "PARTITION_CREATE");
	if (ret)
		goto put_fd;
	part->id = id;

	file = anon_inode_getfile("hvroot-partition", &hvroot_partition_fops, part, O_RDWR);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto destroy;
	}
	fd_install(fd, file);
	return fd;

destroy:
	if (hvroot_partition_destroy(id, &status))
		pr_err("partition %llu: PARTITION_DESTROY failed (status %#x)\n", id, status);
put_fd:
	put_unused_fd(fd);
free:
	mutex_destroy(&part->lock);
	kfree(part);
	return ret;
}
