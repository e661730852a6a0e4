// SPDX-License-Identifier: GPL-2.0
/*
 * A VP fd (HVROOT_CREATE_VP): one virtual processor, its run page (mmap offset 0) and the
 * run loop. The fd holds the partition's file, so the partition outlives its VPs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/bitops.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/io.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <asm/tsc.h>

#include "hvroot_drv.h"
#include "hvroot_hypercall.h"

/*
 * VP_DESTROY, then the run page goes back to Linux. If hv refused (its bug: no VP_RUN can be
 * in progress when the fd is released), hv still holds the run page: it is freed with the
 * partition's deposits once PARTITION_DESTROY has returned it.
 */
static void hvroot_vp_destroy(struct hvroot_vp *vp)
{
	struct hvroot_partition *part = vp->part;
	u16 status;

	status = RS_HC_RESULT_STATUS(hvroot_hc_vp_destroy(part->id, vp->index));
	if (status == RS_STATUS_SUCCESS) {
		__free_page(vp->run_page);
		return;
	}
	pr_err("partition %llu VP %u: VP_DESTROY failed (status %#x)\n",
	       part->id, vp->index, status);
	mutex_lock(&part->lock);
	hvroot_hv_pages_give(part, vp->run_page);
	mutex_unlock(&part->lock);
}

static int hvroot_vp_release(struct inode *inode, struct file *file)
{
	struct hvroot_vp *vp = file->private_data;
	struct hvroot_partition *part = vp->part;

	spin_lock_irq(&part->vps_lock);
	part->vps[vp->index] = NULL;
	spin_unlock_irq(&part->vps_lock);
	hvroot_vp_clear_thread(vp);
	hrtimer_cancel(&vp->timer);
	hvroot_vp_destroy(vp);
	fput(vp->part_file);
	kfree(vp);
	return 0;
}

/* mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vp_fd, 0): the run page. */
static int hvroot_vp_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct hvroot_vp *vp = file->private_data;

	if (vma->vm_pgoff || vma_pages(vma) != 1 || !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	vm_flags_set(vma, VM_DONTEXPAND);
	return vm_insert_page(vma, vma->vm_start, vp->run_page);
}

/**
 * hvroot_wake_vps() - ends the halts of the VPs an interrupt reached
 * @part: their partition
 * @mask: bit n for VP n (rs_run_page.wake_vps, PARTITION_INTERRUPT's answer)
 *
 * Any context. A VP that is not halted now does not sleep at its next halt until it has run
 * again, so a wake is never lost between hv's halt exit and the sleep.
 */
void hvroot_wake_vps(struct hvroot_partition *part, u64 mask)
{
	unsigned long bits = mask;
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&part->vps_lock, flags);
	for_each_set_bit(i, &bits, HVROOT_MAX_VPS) {
		struct hvroot_vp *vp = part->vps[i];

		if (vp) {
			atomic_set(&vp->kicked, 1);
			wake_up(&vp->wait);
		}
	}
	spin_unlock_irqrestore(&part->vps_lock, flags);
}

/* The child's timer fired: its interrupt took the CPU out of the child; a halt ends. */
static enum hrtimer_restart hvroot_vp_timer_fn(struct hrtimer *timer)
{
	struct hvroot_vp *vp = container_of(timer, struct hvroot_vp, timer);

	atomic_set(&vp->kicked, 1);
	wake_up(&vp->wait);
	return HRTIMER_NORESTART;
}

/* The longest wait armed at once (a later deadline is re-armed when this one fires). */
#define HVROOT_TIMER_MAX_NS (60ull * NSEC_PER_SEC)

/*
 * Arms the VP's timer for @deadline (host TSC; 0: none) on this CPU, where the VP is about to
 * run (the caller has preemption disabled), so that its interrupt arrives where the child is.
 */
static void hvroot_vp_arm_timer(struct hvroot_vp *vp, u64 deadline)
{
	u64 now, ns;

	if (!deadline) {
		hrtimer_try_to_cancel(&vp->timer);
		return;
	}
	now = rdtsc();
	ns = deadline > now ? mul_u64_u32_div(deadline - now, USEC_PER_SEC, tsc_khz) : 0;
	hrtimer_start(&vp->timer, ns_to_ktime(min(ns, HVROOT_TIMER_MAX_NS)),
		      HRTIMER_MODE_REL_PINNED_HARD);
}

/*
 * A halt with HVROOT_RUN_HALT_IN_KERNEL: sleeps until hvroot_wake_vps() or the timer (only a
 * halt with interrupts enabled can be ended by the timer) or a signal (-EINTR).
 */
static int hvroot_vp_halt(struct hvroot_vp *vp, struct rs_run_page *page)
{
	if (READ_ONCE(page->halt_state) == RS_HALT_INTERRUPTIBLE)
		hvroot_vp_arm_timer(vp, READ_ONCE(page->timer_deadline_tsc));
	if (wait_event_interruptible(vp->wait, atomic_read(&vp->kicked))) {
		/* The halt is over as far as the VMM sees: the next RUN_VP goes on after it. */
		WRITE_ONCE(page->exit_reason, RS_EXIT_NONE);
		return -EINTR;
	}
	return 0;
}

/* RS_EXIT_DOORBELL whose doorbell is still there: signalled, the VMM need not see it. */
static bool hvroot_vp_doorbell(struct hvroot_vp *vp, struct rs_run_page *page)
{
	if (READ_ONCE(page->exit_reason) != RS_EXIT_DOORBELL ||
	    !hvroot_doorbell_ring(vp->part, READ_ONCE(page->exit.doorbell.cookie)))
		return false;
	WRITE_ONCE(page->exit_reason, RS_EXIT_NONE);
	return true;
}

/*
 * HVROOT_RUN_VP. VP_RUN returns INTERRUPTED when a physical interrupt arrived (or hv wants
 * the timer re-armed, or VPs woken); the root has taken the interrupt by the time the call
 * returns (interrupts are enabled around VMMCALL). Then a pending signal ends the ioctl, and
 * otherwise the scheduler gets its chance before the VP runs on, so a vCPU thread is
 * scheduled like any other thread. A doorbell's exit (hv completed the write) is handled the
 * same way once its eventfd is signalled. A VP that spun in a PAUSE loop (RS_EXIT_PAUSE, ABI
 * 1.3) first gives the CPU to a sibling's thread that waits for one (hvroot_spin.c).
 */
static long hvroot_vp_run(struct hvroot_vp *vp, unsigned long flags)
{
	struct rs_run_page *page = page_address(vp->run_page);
	const u64 run_flags =
		(hvroot_hv.abi_version & RS_ABI_VERSION_MINOR_MASK) >= 3 ? RS_VP_RUN_REPORT_PAUSE : 0;
	u64 wake;
	u16 status;
	int ret;

	hvroot_vp_set_thread(vp);
	for (;;) {
		atomic_set(&vp->kicked, 0);
		preempt_disable();
		hvroot_vp_arm_timer(vp, READ_ONCE(page->timer_deadline_tsc));
		status = RS_HC_RESULT_STATUS(hvroot_hc_vp_run(vp->part->id, vp->index, run_flags));
		preempt_enable();
		wake = READ_ONCE(page->wake_vps);
		if (wake)
			hvroot_wake_vps(vp->part, wake);
		if (status == RS_STATUS_SUCCESS && (flags & HVROOT_RUN_HALT_IN_KERNEL) &&
		    READ_ONCE(page->exit_reason) == RS_EXIT_HALT) {
			ret = hvroot_vp_halt(vp, page);
			if (ret)
				return ret;
			continue;
		}
		if (status == RS_STATUS_SUCCESS && hvroot_vp_doorbell(vp, page))
			status = RS_STATUS_INTERRUPTED;
		if (status != RS_STATUS_INTERRUPTED)
			return hvroot_status_errno(status, "VP_RUN");
		if (READ_ONCE(page->exit_reason) == RS_EXIT_PAUSE) {
			/* The VMM never sees it: a spin is the driver's to handle. */
			WRITE_ONCE(page->exit_reason, RS_EXIT_NONE);
			hvroot_vp_spun(vp);
		}
		if (signal_pending(current))
			return -EINTR;
		cond_resched();
	}
}

/* HVROOT_INJECT */
static long hvroot_vp_inject(struct hvroot_vp *vp, struct hvroot_inject __user *uarg)
{
	struct hvroot_inject arg;
	u16 status;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.reserved)
		return -EINVAL;
	status = RS_HC_RESULT_STATUS(hvroot_hc_vp_inject(vp->part->id, vp->index, arg.event));
	return hvroot_put_hv_status(&uarg->hv_status, status,
				    hvroot_status_errno(status, "VP_INJECT"));
}

static long hvroot_vp_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct hvroot_vp *vp = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case HVROOT_RUN_VP:
		return arg & ~HVROOT_RUN_FLAGS_VALID ? -EINVAL : hvroot_vp_run(vp, arg);
	case HVROOT_GET_REGISTERS:
		return hvroot_vp_get_registers(vp, uarg);
	case HVROOT_SET_REGISTERS:
		return hvroot_vp_set_registers(vp, uarg);
	case HVROOT_INJECT:
		return hvroot_vp_inject(vp, uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations hvroot_vp_fops = {
	.owner = THIS_MODULE,
	.release = hvroot_vp_release,
	.unlocked_ioctl = hvroot_vp_ioctl,
	.mmap = hvroot_vp_mmap,
	.llseek = noop_llseek,
};

/* VP_CREATE, depositing what hv asks for; the run page is hv's from SUCCESS on. */
static int hvroot_vp_create(struct hvroot_vp *vp)
{
	struct hvroot_partition *part = vp->part;
	struct hvroot_call call = { .name = "VP_CREATE" };
	u64 result;

	mutex_lock(&part->lock);
	do {
		result = hvroot_hc_vp_create(part->id, vp->index, page_to_phys(vp->run_page));
	} while (hvroot_call_again(part, result, &call));
	mutex_unlock(&part->lock);
	return hvroot_status_errno(call.status, call.name);
}

/**
 * hvroot_create_vp() - HVROOT_CREATE_VP
 * @part_file: the partition's file, which the new VP fd holds
 * @uarg: struct hvroot_create_vp in user memory
 *
 * Return: a new VP fd (O_CLOEXEC), or a negative errno.
 */
long hvroot_create_vp(struct file *part_file, struct hvroot_create_vp __user *uarg)
{
	struct hvroot_create_vp arg;
	struct hvroot_vp *vp;
	struct file *file;
	int fd, ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.reserved || arg.vp_index >= hvroot_hv.vp_limit)
		return -EINVAL;

	vp = kzalloc(sizeof(*vp), GFP_KERNEL_ACCOUNT);
	if (!vp)
		return -ENOMEM;
	vp->part = part_file->private_data;
	vp->index = arg.vp_index;
	init_waitqueue_head(&vp->wait);
	hrtimer_init(&vp->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	vp->timer.function = hvroot_vp_timer_fn;
	vp->run_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!vp->run_page) {
		ret = -ENOMEM;
		goto free_vp;
	}

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto free_page;
	}
	ret = hvroot_vp_create(vp);
	if (ret)
		goto put_fd;

	file = anon_inode_getfile("hvroot-vp", &hvroot_vp_fops, vp, O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		hvroot_vp_destroy(vp);
		kfree(vp);
		return PTR_ERR(file);
	}
	vp->part_file = get_file(part_file);
	spin_lock_irq(&vp->part->vps_lock);
	vp->part->vps[vp->index] = vp;
	spin_unlock_irq(&vp->part->vps_lock);
	fd_install(fd, file);
	return fd;

put_fd:
	put_unused_fd(fd);
free_page:
	__free_page(vp->run_page);
free_vp:
	kfree(vp);
	return ret;
}
