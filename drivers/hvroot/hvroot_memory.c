// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory of a partition (HVROOT_MAP_MEMORY, HVROOT_UNMAP_MEMORY): user pages pinned for
 * as long as a child may touch them, and mapped into the child with MAP_GPA_RANGE
 * (docs/hypercalls.md §5). The frames stay mapped in the root, so the VMM keeps reaching its
 * guest's memory through its own mapping.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/io.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "hvroot_drv.h"
#include "hvroot_hypercall.h"

/* Pages per pin_user_pages_fast() call, with a chance to reschedule between calls. */
#define HVROOT_PIN_CHUNK 512UL

static_assert(PAGE_SIZE == RS_HC_PAGE_SIZE);

/* Bytes per MAP/UNMAP_GPA_RANGE element for these flags. */
static u64 hvroot_element_size(u32 flags)
{
	return (flags & RS_MAP_LARGE) ? RS_HC_LARGE_PAGE_SIZE : RS_HC_PAGE_SIZE;
}

static unsigned long hvroot_region_elements(const struct hvroot_region *rg)
{
	return rg->size / hvroot_element_size(rg->flags);
}

/* The ioctl's own checks, before any page is pinned or hv is asked. */
static int hvroot_region_check(const struct hvroot_memory_region *arg)
{
	u64 align = hvroot_element_size(arg->flags);
	u64 gpa_end, user_end;

	if ((arg->flags & ~RS_MAP_FLAGS_VALID) || !(arg->flags & RS_ACCESS_READ))
		return -EINVAL;
	if (!arg->size || !IS_ALIGNED(arg->size | arg->guest_phys_addr | arg->userspace_addr,
				      align))
		return -EINVAL;
	if (check_add_overflow(arg->userspace_addr, arg->size, &user_end) ||
	    check_add_overflow(arg->guest_phys_addr, arg->size, &gpa_end))
		return -EINVAL;
	if (hvroot_hv.gpa_bits < 64 && gpa_end > BIT_ULL(hvroot_hv.gpa_bits))
		return -EINVAL;
	return 0;
}

static bool hvroot_regions_overlap(struct hvroot_partition *part, u64 gpa, u64 size)
{
	struct hvroot_region *rg;

	list_for_each_entry(rg, &part->regions, node)
		if (gpa < rg->gpa + rg->size && rg->gpa < gpa + size)
			return true;
	return false;
}

/* Unpins @nr pages of @rg, marking them dirty if the child could write them. */
static void hvroot_region_unpin(struct hvroot_region *rg, unsigned long nr)
{
	bool dirty = rg->flags & RS_ACCESS_WRITE;
	unsigned long done, n;

	for (done = 0; done < nr; done += n) {
		n = min(nr - done, HVROOT_PIN_CHUNK);
		unpin_user_pages_dirty_lock(rg->pages + done, n, dirty);
		cond_resched();
	}
}

static void hvroot_region_free(struct hvroot_region *rg)
{
	kvfree(rg->pages);
	kfree(rg);
}

/* Pins the user range backing @rg (FOLL_LONGTERM: the child may use it for ever). */
static int hvroot_region_pin(struct hvroot_region *rg, unsigned long uaddr)
{
	unsigned int gup = FOLL_LONGTERM | ((rg->flags & RS_ACCESS_WRITE) ? FOLL_WRITE : 0);
	unsigned long pinned = 0;
	int n;

	while (pinned < rg->nr_pages) {
		n = min(rg->nr_pages - pinned, HVROOT_PIN_CHUNK);
		n = pin_user_pages_fast(uaddr + pinned * PAGE_SIZE, n, gup, rg->pages + pinned);
		if (n <= 0) {
			unpin_user_pages(rg->pages, pinned);
			return n ? n : -EFAULT;
		}
		pinned += n;
		cond_resched();
	}
	return 0;
}

/*
 * Pages hv could not take as asked. The shared zero page (what an untouched private page of a
 * read-only region pins as) is one frame for the whole system and cannot belong to one child.
 * A 2 MiB element needs 512 physically contiguous frames starting 2 MiB-aligned.
 */
static int hvroot_region_check_pages(const struct hvroot_region *rg)
{
	unsigned long per_element = hvroot_element_size(rg->flags) / PAGE_SIZE;
	unsigned long i, first;

	for (i = 0; i < rg->nr_pages; i++)
		if (is_zero_page(rg->pages[i]))
			return -EFAULT;
	if (per_element == 1)
		return 0;
	for (i = 0; i < rg->nr_pages; i++) {
		if (i % per_element == 0) {
			first = page_to_pfn(rg->pages[i]);
			if (!IS_ALIGNED(first, per_element))
				return -EINVAL;
		} else if (page_to_pfn(rg->pages[i]) != first + i % per_element) {
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * UNMAP_GPA_RANGE of @nr_elements mappings from @gpa, in invocations of at most
 * RS_HC_UNMAP_GPA_MAX_REPS elements.
 */
static int hvroot_hv_unmap(struct hvroot_partition *part, u64 gpa, u32 flags,
			   unsigned long nr_elements, u16 *status)
{
	u64 element_size = hvroot_element_size(flags);
	u64 result;

	while (nr_elements) {
		struct hvroot_call call = {
			.name = "UNMAP_GPA_RANGE",
			.count = min_t(unsigned long, nr_elements, RS_HC_UNMAP_GPA_MAX_REPS),
		};

		do {
			result = hvroot_hc_unmap_gpa_range(part->id, gpa, flags & RS_MAP_LARGE,
							   call.count, call.start);
		} while (hvroot_call_again(NULL, result, &call));
		if (call.status) {
			*status = call.status;
			return hvroot_status_errno(call.status, call.name);
		}
		gpa += call.count * element_size;
		nr_elements -= call.count;
	}
	return 0;
}

/*
 * MAP_GPA_RANGE of all of @rg, in invocations of at most RS_HC_MAP_GPA_MAX_REPS elements,
 * depositing memory as hv asks. *@mapped is the number of elements mapped, also on failure.
 */
static int hvroot_hv_map(struct hvroot_partition *part, const struct hvroot_region *rg,
			 unsigned long *mapped, u16 *status)
{
	unsigned long per_element = hvroot_element_size(rg->flags) / PAGE_SIZE;
	unsigned long nr_elements = hvroot_region_elements(rg);
	struct rs_hc_map_gpa_input *in;
	struct page *in_page;
	u64 result;
	int ret = 0;

	*mapped = 0;
	in_page = alloc_page(GFP_KERNEL);
	if (!in_page)
		return -ENOMEM;
	in = page_address(in_page);

	while (*mapped < nr_elements && !ret) {
		struct hvroot_call call = {
			.name = "MAP_GPA_RANGE",
			.count = min_t(unsigned long, nr_elements - *mapped,
				       RS_HC_MAP_GPA_MAX_REPS),
		};

		in->partition_id = part->id;
		in->gpa_base = rg->gpa + *mapped * hvroot_element_size(rg->flags);
		in->flags = rg->flags;
		in->reserved0 = 0;
		in->reserved1 = 0;
		for (u32 i = 0; i < call.count; i++)
			in->frames[i] = page_to_phys(rg->pages[(*mapped + i) * per_element]);

		do {
			result = hvroot_hc_map_gpa_range(page_to_phys(in_page), call.count,
							 call.start);
		} while (hvroot_call_again(part, result, &call));

		*mapped += call.start;
		if (call.status) {
			*status = call.status;
			ret = hvroot_status_errno(call.status, call.name);
		}
	}

	__free_page(in_page);
	return ret;
}

/* Pins, maps and records a region; part->lock is held. */
static int hvroot_region_add(struct hvroot_partition *part, const struct hvroot_memory_region *arg,
			     u16 *status)
{
	struct hvroot_region *rg;
	unsigned long mapped;
	u16 undo_status;
	int ret;

	if (hvroot_regions_overlap(part, arg->guest_phys_addr, arg->size))
		return -EEXIST;

	rg = kzalloc(sizeof(*rg), GFP_KERNEL_ACCOUNT);
	if (!rg)
		return -ENOMEM;
	rg->gpa = arg->guest_phys_addr;
	rg->size = arg->size;
	rg->flags = arg->flags;
	rg->nr_pages = arg->size >> PAGE_SHIFT;
	/* A huge request must fail with -ENOMEM, not warn in kvmalloc. */
	rg->pages = kvcalloc(rg->nr_pages, sizeof(*rg->pages),
			     GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!rg->pages) {
		ret = -ENOMEM;
		goto free;
	}

	ret = hvroot_region_pin(rg, arg->userspace_addr);
	if (ret)
		goto free;
	ret = hvroot_region_check_pages(rg);
	if (ret)
		goto unpin;

	ret = hvroot_hv_map(part, rg, &mapped, status);
	if (!ret) {
		list_add_tail(&rg->node, &part->regions);
		return 0;
	}
	if (mapped && hvroot_hv_unmap(part, rg->gpa, rg->flags, mapped, &undo_status)) {
		/*
		 * hv kept some of the frames (its bug): they must stay pinned until
		 * PARTITION_DESTROY takes them back, so the region stays recorded.
		 */
		pr_err("partition %llu: could not undo a failed map at GPA %#llx (status %#x)\n",
		       part->id, rg->gpa, undo_status);
		list_add_tail(&rg->node, &part->regions);
		return ret;
	}
unpin:
	hvroot_region_unpin(rg, rg->nr_pages);
free:
	hvroot_region_free(rg);
	return ret;
}

/**
 * hvroot_map_memory() - HVROOT_MAP_MEMORY
 * @part: the partition
 * @uarg: struct hvroot_memory_region in user memory
 *
 * Return: 0, or a negative errno (docs/hvroot.md); nothing stays mapped or pinned on failure.
 */
long hvroot_map_memory(struct hvroot_partition *part, struct hvroot_memory_region __user *uarg)
{
	struct hvroot_memory_region arg;
	u16 status = RS_STATUS_SUCCESS;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	ret = hvroot_region_check(&arg);
	if (!ret) {
		mutex_lock(&part->lock);
		ret = hvroot_region_add(part, &arg, &status);
		mutex_unlock(&part->lock);
	}
	return hvroot_put_hv_status(&uarg->hv_status, status, ret);
}

/**
 * hvroot_unmap_memory() - HVROOT_UNMAP_MEMORY
 * @part: the partition
 * @uarg: struct hvroot_memory_region in user memory; guest_phys_addr and size name the region
 *
 * Return: 0, -ENOENT if no region has exactly this start and size, or another negative errno.
 */
long hvroot_unmap_memory(struct hvroot_partition *part,
			 struct hvroot_memory_region __user *uarg)
{
	struct hvroot_memory_region arg;
	u16 status = RS_STATUS_SUCCESS;
	struct hvroot_region *rg, *found = NULL;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;

	mutex_lock(&part->lock);
	list_for_each_entry(rg, &part->regions, node) {
		if (rg->gpa == arg.guest_phys_addr && rg->size == arg.size) {
			found = rg;
			break;
		}
	}
	if (!found) {
		ret = -ENOENT;
	} else {
		ret = hvroot_hv_unmap(part, found->gpa, found->flags,
				      hvroot_region_elements(found), &status);
		if (!ret)
			list_del(&found->node);
	}
	mutex_unlock(&part->lock);

	/* No CPU can reach the frames through the child any more: give them back to Linux. */
	if (!ret) {
		hvroot_region_unpin(found, found->nr_pages);
		hvroot_region_free(found);
	}
	return hvroot_put_hv_status(&uarg->hv_status, status, ret);
}

/**
 * hvroot_regions_release() - unpin and forget every region of a destroyed partition
 * @part: a partition that PARTITION_DESTROY has completely destroyed
 */
void hvroot_regions_release(struct hvroot_partition *part)
{
	struct hvroot_region *rg, *tmp;

	list_for_each_entry_safe(rg, tmp, &part->regions, node) {
		list_del(&rg->node);
		hvroot_region_unpin(rg, rg->nr_pages);
		hvroot_region_free(rg);
	}
}

/**
 * hvroot_regions_leak() - forget every region without unpinning it
 * @part: a partition hv failed to destroy; its frames may still be mapped into the child, so
 *        they stay pinned (lost to Linux) rather than reused under the child
 */
void hvroot_regions_leak(struct hvroot_partition *part)
{
	struct hvroot_region *rg, *tmp;

	list_for_each_entry_safe(rg, tmp, &part->regions, node) {
		list_del(&rg->node);
		hvroot_region_free(rg);
	}
}
