// SPDX-License-Identifier: GPL-2.0
/*
 * HVROOT_TEST_NMIS: the root sends NMIs to one of its CPUs, one at a time, and counts those
 * that arrive, for the hostile-root self-test (docs/hvroot.md). hv takes every NMI the root
 * sends through its ICR and delivers it as a request, so that none is merged into one of hv's
 * own NMIs (TLB flushes, kicks) and lost (docs/hypercalls.md §6). Off unless the module was
 * loaded with allow_raw_hypercalls=1, and needs CAP_SYS_RAWIO: an NMI stops whatever the
 * target CPU runs.
 */
#include <linux/atomic.h>
#include <linux/capability.h>
#include <linux/cpumask.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <asm/apic.h>
#include <asm/nmi.h>

#include "hvroot_drv.h"

#define HVROOT_TEST_NMI_MAX_COUNT 100000u
#define HVROOT_TEST_NMI_MAX_WAIT_MS 10000u

static DEFINE_MUTEX(hvroot_test_nmi_lock);
/* The CPU the next NMI is for, or -1 while none is awaited. */
static atomic_t hvroot_test_nmi_awaited = ATOMIC_INIT(-1);

/* Claims the NMI only when this CPU was sent one the test still waits for. */
static int hvroot_test_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	if (atomic_cmpxchg(&hvroot_test_nmi_awaited, smp_processor_id(), -1) != smp_processor_id())
		return NMI_DONE;
	return NMI_HANDLED;
}

/* Sends one NMI to `cpu` and waits up to `wait_ms` for it: true if it came. */
static bool hvroot_test_one_nmi(int cpu, u32 wait_ms)
{
	const ktime_t deadline = ktime_add_ms(ktime_get(), wait_ms);

	atomic_set(&hvroot_test_nmi_awaited, cpu);
	__apic_send_IPI_mask(cpumask_of(cpu), NMI_VECTOR);
	while (atomic_read(&hvroot_test_nmi_awaited) == cpu) {
		if (ktime_after(ktime_get(), deadline))
			/* Lost, unless it lands just now: then it counts. */
			return atomic_cmpxchg(&hvroot_test_nmi_awaited, cpu, -1) != cpu;
		cond_resched();
		cpu_relax();
	}
	return true;
}

/**
 * hvroot_test_nmis() - HVROOT_TEST_NMIS
 * @uarg: struct hvroot_test_nmis in user memory
 *
 * Return: 0 with `received` stored back, or a negative errno if no NMI was sent.
 */
long hvroot_test_nmis(struct hvroot_test_nmis __user *uarg)
{
	struct hvroot_test_nmis arg;
	long ret;
	u32 i;

	if (!hvroot_allow_raw_hypercalls || !capable(CAP_SYS_RAWIO))
		return -EPERM;
	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.reserved || arg.received || arg.count == 0 ||
	    arg.count > HVROOT_TEST_NMI_MAX_COUNT || arg.wait_ms == 0 ||
	    arg.wait_ms > HVROOT_TEST_NMI_MAX_WAIT_MS)
		return -EINVAL;
	if (arg.cpu >= nr_cpu_ids || !cpu_online(arg.cpu))
		return -ENODEV;
	if (mutex_lock_interruptible(&hvroot_test_nmi_lock))
		return -EINTR;
	ret = register_nmi_handler(NMI_LOCAL, hvroot_test_nmi_handler, 0, "hvroot_test");
	if (ret)
		goto unlock;
	for (i = 0; i < arg.count; i++) {
		if (hvroot_test_one_nmi(arg.cpu, arg.wait_ms))
			arg.received++;
		if (fatal_signal_pending(current))
			break;
	}
	atomic_set(&hvroot_test_nmi_awaited, -1);
	unregister_nmi_handler(NMI_LOCAL, "hvroot_test");
	arg.sent = i < arg.count ? i + 1 : arg.count;
	ret = copy_to_user(uarg, &arg, sizeof(arg)) ? -EFAULT : 0;
unlock:
	mutex_unlock(&hvroot_test_nmi_lock);
	return ret;
}
