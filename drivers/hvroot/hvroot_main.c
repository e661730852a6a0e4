// SPDX-License-Identifier: GPL-2.0
/*
 * hvroot: the root partition's driver for Rootstock's hv (docs/hvroot.md).
 *
 * Module init finds hv (docs/hypercalls.md §1) and registers /dev/hvroot, whose ioctls report
 * hv's version, create partitions (hvroot_partition.c), check hv's invariants and, for
 * self-tests only, make raw hypercalls (hvroot_raw.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cache.h>
#include <linux/errno.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/processor.h>

#include "hvroot_drv.h"
#include "hvroot_hypercall.h"

struct hvroot_hv_info hvroot_hv __ro_after_init;

bool hvroot_allow_raw_hypercalls;
module_param_named(allow_raw_hypercalls, hvroot_allow_raw_hypercalls, bool, 0444);
MODULE_PARM_DESC(allow_raw_hypercalls,
		 "Allow HVROOT_RAW_HYPERCALL and HVROOT_TEST_NMIS (self-tests only; also needs CAP_SYS_RAWIO)");

static unsigned int hvroot_null_call_cycles;
module_param_named(null_hypercall_cycles, hvroot_null_call_cycles, uint, 0444);
MODULE_PARM_DESC(null_hypercall_cycles,
		 "Median TSC cycles of one GET_VERSION round trip, measured at load (read-only)");

/* HVROOT_GET_VERSION: what hv reported at load time. */
static long hvroot_get_version(struct hvroot_version __user *uarg)
{
	struct hvroot_version version = {
		.abi_version = hvroot_hv.abi_version,
		.gpa_bits = hvroot_hv.gpa_bits,
		.vp_limit = hvroot_hv.vp_limit,
		.partition_limit = hvroot_hv.partition_limit,
	};

	return copy_to_user(uarg, &version, sizeof(version)) ? -EFAULT : 0;
}

/* HVROOT_CHECK_INVARIANTS: not time-bounded in hv; for self-tests and burn-in. */
static long hvroot_check_invariants(struct rs_hc_invariants_output __user *uarg)
{
	struct page *out_page;
	u16 status;
	long ret;

	out_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!out_page)
		return -ENOMEM;
	status = RS_HC_RESULT_STATUS(hvroot_hc_check_invariants(page_to_phys(out_page)));
	ret = hvroot_status_errno(status, "CHECK_INVARIANTS");
	if (!ret && copy_to_user(uarg, page_address(out_page),
				 sizeof(struct rs_hc_invariants_output)))
		ret = -EFAULT;
	__free_page(out_page);
	return ret;
}

static long hvroot_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case HVROOT_GET_VERSION:
		return hvroot_get_version(uarg);
	case HVROOT_CREATE_PARTITION:
		return hvroot_create_partition(uarg);
	case HVROOT_CHECK_INVARIANTS:
		return hvroot_check_invariants(uarg);
	case HVROOT_RAW_HYPERCALL:
		return hvroot_raw_hypercall(uarg);
	case HVROOT_TEST_NMIS:
		return hvroot_test_nmis(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations hvroot_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = hvroot_dev_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice hvroot_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "hvroot",
	.fops = &hvroot_dev_fops,
	.mode = 0600,
};

/*
 * Finds hv through its CPUID leaves (docs/hypercalls.md §1). Without a Rootstock hv that has
 * a hypercall ABI there is nothing to drive: that is said once, and the module does not load.
 */
static int hvroot_cpuid_abi_version(u32 *version)
{
	u32 max_leaf, signature[3];
	char name[sizeof(signature) + 1] = {};

	if (!boot_cpu_has(X86_FEATURE_HYPERVISOR)) {
		pr_info("no hypervisor present: not running on Rootstock hv\n");
		return -ENODEV;
	}
	cpuid(RS_CPUID_LEAF_SIGNATURE, &max_leaf, &signature[0], &signature[1], &signature[2]);
	if (signature[0] != RS_CPUID_SIGNATURE_EBX || signature[1] != RS_CPUID_SIGNATURE_ECX ||
	    signature[2] != RS_CPUID_SIGNATURE_EDX) {
		memcpy(name, signature, sizeof(signature));
		pr_info("hypervisor \"%*pE\" is not Rootstock hv\n", (int)strlen(name), name);
		return -ENODEV;
	}
	*version = max_leaf >= RS_CPUID_LEAF_ABI ? cpuid_eax(RS_CPUID_LEAF_ABI) : 0;
	if (!*version) {
		pr_info("Rootstock hv reports ABI version 0: it has no hypercalls\n");
		return -ENODEV;
	}
	return 0;
}

/* Checks hv's ABI version and the CPU vendor, then records GET_VERSION's limits. */
static int hvroot_discover(void)
{
	struct hvroot_hc_regs out;
	u32 version, major;
	u16 status;
	int ret;

	ret = hvroot_cpuid_abi_version(&version);
	if (ret)
		return ret;
	major = version >> RS_ABI_VERSION_MAJOR_SHIFT;
	if (major != RS_ABI_VERSION_MAJOR) {
		pr_err("hv has ABI %u.%u; this driver speaks %u.x\n",
		       major, version & RS_ABI_VERSION_MINOR_MASK, RS_ABI_VERSION_MAJOR);
		return -ENODEV;
	}
	/* The driver only has VMMCALL, which raises #UD on Intel: make no call at all there. */
	if (boot_cpu_data.x86_vendor != X86_VENDOR_AMD) {
		pr_err("hypercalls are implemented for AMD CPUs (VMMCALL) only, not on this %s CPU\n",
		       boot_cpu_data.x86_vendor_id);
		return -ENODEV;
	}

	status = RS_HC_RESULT_STATUS(hvroot_hc_get_version(&out));
	if (status != RS_STATUS_SUCCESS || out.rbx != version) {
		pr_err("GET_VERSION failed (status %#x, version %#llx, CPUID says %#x)\n",
		       status, out.rbx, version);
		return -ENODEV;
	}
	hvroot_hv.abi_version = version;
	hvroot_hv.gpa_bits = out.rdx & RS_HC_LIMITS_GPA_BITS_MASK;
	hvroot_hv.vp_limit = min_t(u32, HVROOT_MAX_VPS,
				   (out.rdx & RS_HC_LIMITS_VP_COUNT_MASK) >>
				   RS_HC_LIMITS_VP_COUNT_SHIFT);
	hvroot_hv.partition_limit = (out.rdx & RS_HC_LIMITS_PARTITION_COUNT_MASK) >>
				    RS_HC_LIMITS_PARTITION_COUNT_SHIFT;
	return 0;
}

static int hvroot_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * The null hypercall's round trip (GET_VERSION: VMMCALL, hv's dispatch, back), in TSC cycles:
 * the median of HVROOT_NULL_CALLS calls, each timed with serializing TSC reads.
 */
#define HVROOT_NULL_CALLS 1000
static void __init hvroot_measure_null_call(void)
{
	struct hvroot_hc_regs out;
	u64 *samples;
	int i;

	samples = kvmalloc_array(HVROOT_NULL_CALLS, sizeof(*samples), GFP_KERNEL);
	if (!samples)
		return;
	for (i = 0; i < HVROOT_NULL_CALLS; i++) {
		u64 start = rdtsc_ordered();

		hvroot_hc_get_version(&out);
		samples[i] = rdtsc_ordered() - start;
	}
	sort(samples, HVROOT_NULL_CALLS, sizeof(*samples), hvroot_cmp_u64, NULL);
	hvroot_null_call_cycles = min_t(u64, samples[HVROOT_NULL_CALLS / 2], UINT_MAX);
	kvfree(samples);
}

static int __init hvroot_init(void)
{
	int ret;

	ret = hvroot_discover();
	if (ret)
		return ret;
	hvroot_measure_null_call();
	ret = misc_register(&hvroot_dev);
	if (ret) {
		pr_err("cannot register /dev/hvroot: %d\n", ret);
		return ret;
	}
	pr_info("hv ABI %u.%u: %u-bit guest physical addresses, %u VPs per partition, %u partitions\n",
		hvroot_hv.abi_version >> RS_ABI_VERSION_MAJOR_SHIFT,
		hvroot_hv.abi_version & RS_ABI_VERSION_MINOR_MASK, hvroot_hv.gpa_bits,
		hvroot_hv.vp_limit, hvroot_hv.partition_limit);
	return 0;
}

/* Every partition and VP fd holds a module reference, so none is left here. */
static void __exit hvroot_exit(void)
{
	misc_deregister(&hvroot_dev);
}

module_init(hvroot_init);
module_exit(hvroot_exit);

MODULE_DESCRIPTION("Rootstock hv root partition driver (/dev/hvroot)");
MODULE_LICENSE("GPL");
