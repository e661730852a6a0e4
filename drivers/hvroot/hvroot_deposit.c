// SPDX-License-Identifier: GPL-2.0
/*
 * Deposits (docs/hypercalls.md §6): root pages given to hv for one partition's page tables
 * and VP state, when a call answers RS_STATUS_INSUFFICIENT_MEMORY. The driver remembers every
 * page it gave; PARTITION_DESTROY hands them all back zeroed, and only then are they freed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/sched.h>

#include "hvroot_drv.h"
#include "hvroot_hypercall.h"

/*
 * Deposits one batch of up to RS_HC_DEPOSIT_MAX_REPS pages from @batch, in list order. The
 * pages hv took move to the partition's hv_pages; the caller frees what is left in @batch.
 */
static int hvroot_deposit_batch(struct hvroot_partition *part, struct rs_hc_deposit_input *in,
				phys_addr_t in_pa, struct list_head *batch, u32 count)
{
	struct hvroot_call call = { .name = "DEPOSIT_MEMORY", .count = count };
	struct page *page, *tmp;
	u32 i = 0;
	u64 result;

	in->partition_id = part->id;
	in->reserved0 = 0;
	list_for_each_entry(page, batch, lru)
		in->frames[i++] = page_to_phys(page);

	/* Deposits themselves never need memory: no partition to deposit into. */
	do {
		result = hvroot_hc_deposit_memory(in_pa, call.count, call.start);
	} while (hvroot_call_again(NULL, result, &call));

	/* Elements before call.start are hv's now, whatever the final status (§3). */
	i = 0;
	list_for_each_entry_safe(page, tmp, batch, lru) {
		if (i++ == call.start)
			break;
		list_move_tail(&page->lru, &part->hv_pages);
		part->nr_hv_pages++;
	}
	return hvroot_status_errno(call.status, call.name);
}

/**
 * hvroot_deposit() - give @nr_pages zeroed root pages to hv for @part
 * @part: the partition; its lock is held
 * @nr_pages: what hv asked for (the detail of RS_STATUS_INSUFFICIENT_MEMORY)
 *
 * Return: 0, or a negative errno when pages could not be allocated or hv refused them. Pages
 * deposited before a failure stay deposited (they are useful to the next call).
 */
int hvroot_deposit(struct hvroot_partition *part, unsigned int nr_pages)
{
	struct page *in_page, *page, *tmp;
	LIST_HEAD(batch);
	int ret = 0;
	u32 count;

	lockdep_assert_held(&part->lock);

	in_page = alloc_page(GFP_KERNEL);
	if (!in_page)
		return -ENOMEM;

	while (nr_pages && !ret) {
		count = min_t(u32, nr_pages, RS_HC_DEPOSIT_MAX_REPS);
		for (u32 i = 0; i < count; i++) {
			page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
			if (!page) {
				ret = -ENOMEM;
				break;
			}
			list_add_tail(&page->lru, &batch);
		}
		if (!ret)
			ret = hvroot_deposit_batch(part, page_address(in_page),
						   page_to_phys(in_page), &batch, count);
		list_for_each_entry_safe(page, tmp, &batch, lru) {
			list_del(&page->lru);
			__free_page(page);
		}
		nr_pages -= count;
	}

	__free_page(in_page);
	return ret;
}

/**
 * hvroot_hv_pages_give() - remember a page hv keeps until the partition is destroyed
 * @part: the partition; its lock is held
 * @page: a root page hv did not give back (a run page whose VP_DESTROY failed)
 */
void hvroot_hv_pages_give(struct hvroot_partition *part, struct page *page)
{
	lockdep_assert_held(&part->lock);
	list_add_tail(&page->lru, &part->hv_pages);
	part->nr_hv_pages++;
}

/**
 * hvroot_hv_pages_free() - free every page hv held for @part
 * @part: a partition that PARTITION_DESTROY has completely destroyed (so hv gave every one
 *        of these pages back to the root, zeroed and in the root's nested page tables again)
 */
void hvroot_hv_pages_free(struct hvroot_partition *part)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, &part->hv_pages, lru) {
		list_del(&page->lru);
		__free_page(page);
		cond_resched();
	}
	part->nr_hv_pages = 0;
}
