// SPDX-License-Identifier: GPL-2.0
/*
 * Spinning VPs (docs/hvroot.md "Spinning VPs"). When a child's vCPU spins in a PAUSE loop, hv
 * ends VP_RUN with RS_EXIT_PAUSE. The lock it waits for, or the IPI answer, is most likely owed
 * by a sibling VP whose thread the scheduler has preempted: with more vCPUs than CPUs that
 * sibling would otherwise wait for the spinner's whole time slice. So the spinner's thread
 * gives its CPU to such a sibling's thread (yield_to(), as KVM's kvm_vcpu_on_spin() does),
 * taking the siblings in turn after the one boosted last.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/spinlock.h>

#include "hvroot_drv.h"

/* Attempts that find nothing to gain before the spinner gives up (KVM's limit). */
#define HVROOT_SPIN_TRIES 3

/**
 * hvroot_vp_set_thread() - records the calling thread as the one that runs @vp
 * @vp: the VP about to run (HVROOT_RUN_VP)
 *
 * Process context. A VP fd may be run by another thread later; the newest caller counts.
 */
void hvroot_vp_set_thread(struct hvroot_vp *vp)
{
	struct hvroot_partition *part = vp->part;
	struct task_struct *old;

	if (likely(READ_ONCE(vp->thread) == current))
		return;
	get_task_struct(current);
	spin_lock_irq(&part->vps_lock);
	old = vp->thread;
	vp->thread = current;
	spin_unlock_irq(&part->vps_lock);
	if (old)
		put_task_struct(old);
}

/* At the VP's release: its thread is no longer one to yield to. */
void hvroot_vp_clear_thread(struct hvroot_vp *vp)
{
	struct task_struct *old;

	spin_lock_irq(&vp->part->vps_lock);
	old = vp->thread;
	vp->thread = NULL;
	spin_unlock_irq(&vp->part->vps_lock);
	if (old)
		put_task_struct(old);
}

/* The thread of VP @index with a reference; NULL when it has none or it is the caller. */
static struct task_struct *hvroot_sibling_thread(struct hvroot_partition *part, u32 index)
{
	struct task_struct *task = NULL;
	struct hvroot_vp *sibling;

	spin_lock_irq(&part->vps_lock);
	sibling = part->vps[index];
	if (sibling && sibling->thread && sibling->thread != current) {
		task = sibling->thread;
		get_task_struct(task);
	}
	spin_unlock_irq(&part->vps_lock);
	return task;
}

/**
 * hvroot_vp_spun() - gives the CPU of a VP that spun to a sibling VP's thread
 * @vp: the VP whose VP_RUN ended with RS_EXIT_PAUSE
 *
 * Process context, preemption enabled, no locks held. Return: true when a sibling got the CPU
 * (this thread runs again after it); false when none was waiting for one.
 */
bool hvroot_vp_spun(struct hvroot_vp *vp)
{
	struct hvroot_partition *part = vp->part;
	u32 limit = hvroot_hv.vp_limit;
	u32 start = READ_ONCE(part->last_boosted);
	int tries = HVROOT_SPIN_TRIES;
	u32 n;

	for (n = 1; n <= limit && tries > 0; n++) {
		u32 index = (start + n) % limit;
		struct task_struct *task;
		int yielded;

		if (index == vp->index)
			continue;
		task = hvroot_sibling_thread(part, index);
		if (!task)
			continue;
		/*
		 * >0: it gets the CPU; 0: it runs already, or sleeps (a halted VP); <0: it and
		 * this thread are alone on their CPUs, so a yield would gain nothing.
		 */
		yielded = yield_to(task, true);
		put_task_struct(task);
		if (yielded > 0) {
			WRITE_ONCE(part->last_boosted, index);
			return true;
		}
		if (yielded < 0)
			tries--;
	}
	return false;
}
