/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvroot internals: the objects behind /dev/hvroot's file descriptors and the helpers the files
 * share (docs/hvroot.md).
 *
 * Lifetimes: a partition lives as long as its fd; every VP fd holds a reference to the
 * partition's file, so a partition is destroyed only after all of its VPs are (its release can
 * never meet a VP in VP_RUN). An ioctl holds its file, so a release never races an ioctl on the
 * same fd.
 *
 * Locking: hvroot_partition.lock serialises everything that changes the partition's memory in
 * hv (map, unmap, deposit, VP create) and protects the region and hv-page lists. It is taken
 * before mmap_lock (pinning user pages under it). VP_RUN, register access, injection and query
 * take no driver lock: hv serialises them itself and answers RS_STATUS_BUSY where they conflict
 * (docs/hypercalls.md §9).
 */
#ifndef HVROOT_DRV_H
#define HVROOT_DRV_H

#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include <rootstock/hypercall_abi.h>

#include "uapi/hvroot.h"

/* VPs per partition the driver serves: a wake mask (rs_run_page.wake_vps) has 64 bits. */
#define HVROOT_MAX_VPS 64

/* What hv reported at load time (CPUID and GET_VERSION). */
struct hvroot_hv_info {
	u32 abi_version;	/* RS_ABI_VERSION */
	u32 gpa_bits;		/* guest physical address width of every child */
	u32 vp_limit;		/* VP indices 0 .. vp_limit - 1 */
	u32 partition_limit;	/* live partitions at once */
};

extern struct hvroot_hv_info hvroot_hv;
extern bool hvroot_allow_raw_hypercalls;

/* User memory pinned and mapped into a child at [gpa, gpa + size) (HVROOT_MAP_MEMORY). */
struct hvroot_region {
	struct list_head node;		/* in hvroot_partition.regions */
	u64 gpa;
	u64 size;
	u32 flags;			/* RS_ACCESS_* | RS_MAP_LARGE as mapped */
	unsigned long nr_pages;		/* size / PAGE_SIZE */
	struct page **pages;		/* pinned FOLL_LONGTERM, in GPA order */
};

/* A child partition: the private data of one partition fd. */
struct hvroot_partition {
	u64 id;				/* hv's id, never RS_PARTITION_ID_NONE once created */
	struct mutex lock;		/* see the file comment */
	struct list_head regions;	/* struct hvroot_region, disjoint GPA ranges */
	/*
	 * Root pages hv holds for this partition until PARTITION_DESTROY gives them back zeroed:
	 * deposits, and run pages of VPs whose destroy failed. Linked through page->lru (the pages
	 * are ours, from alloc_page, and on no LRU). While hv holds them they are out of the
	 * root's nested page tables: nothing may touch them.
	 */
	struct list_head hv_pages;
	unsigned long nr_hv_pages;
	/* The partition's VPs by index, for waking them; under vps_lock (taken in any context). */
	spinlock_t vps_lock;
	struct hvroot_vp *vps[HVROOT_MAX_VPS];
	u32 last_boosted;		/* the VP a spinning sibling yielded to last (hvroot_spin.c) */
	/*
	 * Doorbells (hvroot_doorbell.c): struct hvroot_doorbell_entry by cookie. Added and removed
	 * under @lock (with hv's table), looked up by VP_RUN under @doorbells_lock.
	 */
	spinlock_t doorbells_lock;
	struct list_head doorbells;
	u32 next_cookie;
};

/* A virtual processor: the private data of one VP fd. */
struct hvroot_vp {
	struct hvroot_partition *part;
	struct file *part_file;		/* reference that keeps the partition alive */
	u32 index;
	struct page *run_page;		/* struct rs_run_page, lent to hv from VP_CREATE */
	/*
	 * Halting in the driver (HVROOT_RUN_HALT_IN_KERNEL): the thread sleeps on @wait until
	 * @kicked is set by an interrupt for this VP (hvroot_wake_vps()) or the timer fires.
	 * @timer also fires while the VP runs in hv: its interrupt is what makes hv look at the
	 * child's timer (docs/hvroot.md "Timers and halts").
	 */
	wait_queue_head_t wait;
	atomic_t kicked;
	struct hrtimer timer;
	/* The thread that last ran the VP, referenced; under part->vps_lock (hvroot_spin.c). */
	struct task_struct *thread;
};

/*
 * One call's progress across its invocations (docs/hypercalls.md §3): a rep call, or a plain
 * call that can ask for deposits (VP_CREATE) or be continued (PARTITION_DESTROY).
 */
struct hvroot_call {
	const char *name;	/* the call's name, for logs */
	u32 count;		/* rep count; 0 for a call without reps */
	u32 start;		/* rep start of the next invocation: elements before it are done */
	u16 status;		/* RS_STATUS_* that ended the call */
	u8 deposits;		/* INSUFFICIENT_MEMORY answers since the last progress */
};

/* hvroot_call.c */
bool hvroot_call_again(struct hvroot_partition *part, u64 result, struct hvroot_call *call);
int hvroot_status_errno(u16 status, const char *name);
int hvroot_put_hv_status(u32 __user *uptr, u16 status, int ret);

/* hvroot_deposit.c */
int hvroot_deposit(struct hvroot_partition *part, unsigned int nr_pages);
void hvroot_hv_pages_give(struct hvroot_partition *part, struct page *page);
void hvroot_hv_pages_free(struct hvroot_partition *part);

/* hvroot_partition.c */
long hvroot_create_partition(struct hvroot_create_partition __user *uarg);

/* hvroot_memory.c */
long hvroot_map_memory(struct hvroot_partition *part, struct hvroot_memory_region __user *uarg);
long hvroot_unmap_memory(struct hvroot_partition *part,
			 struct hvroot_memory_region __user *uarg);
void hvroot_regions_release(struct hvroot_partition *part);
void hvroot_regions_leak(struct hvroot_partition *part);

/* hvroot_vp.c */
long hvroot_create_vp(struct file *part_file, struct hvroot_create_vp __user *uarg);
void hvroot_wake_vps(struct hvroot_partition *part, u64 mask);

/* hvroot_doorbell.c */
long hvroot_doorbell(struct hvroot_partition *part, struct hvroot_doorbell __user *uarg);
bool hvroot_doorbell_ring(struct hvroot_partition *part, u32 cookie);
void hvroot_doorbells_release(struct hvroot_partition *part);

/* hvroot_spin.c */
void hvroot_vp_set_thread(struct hvroot_vp *vp);
void hvroot_vp_clear_thread(struct hvroot_vp *vp);
bool hvroot_vp_spun(struct hvroot_vp *vp);

/* hvroot_interrupt.c */
long hvroot_interrupt(struct hvroot_partition *part, struct hvroot_interrupt __user *uarg);

/* hvroot_registers.c */
long hvroot_vp_get_registers(struct hvroot_vp *vp, struct hvroot_registers __user *uarg);
long hvroot_vp_set_registers(struct hvroot_vp *vp, struct hvroot_registers __user *uarg);

/* hvroot_raw.c */
long hvroot_raw_hypercall(struct hvroot_raw_hypercall __user *uarg);

/* hvroot_test_nmi.c */
long hvroot_test_nmis(struct hvroot_test_nmis __user *uarg);

#endif /* HVROOT_DRV_H */
