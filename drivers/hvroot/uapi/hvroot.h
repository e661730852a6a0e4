/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/hvroot: the root partition's user-space interface to Rootstock's hv (docs/hvroot.md).
 *
 * A VMM opens /dev/hvroot and creates partitions; each partition is a file descriptor, and each
 * of its virtual processors (VPs) is another one whose run page the VMM maps with mmap(). Closing
 * a partition's fd (or the VMM dying) destroys the partition and gives every page back to Linux.
 *
 * One header for the kernel module (C) and the VMM (C++). Numbers and structures of the hypercall
 * ABI itself (statuses, register names, the run page) come from
 * common/include/rootstock/hypercall_abi.h; this header adds only the ioctl layer.
 *
 * Rules for every ioctl: reserved fields and undefined flag bits must be 0 (-EINVAL); unknown
 * ioctl numbers give -ENOTTY. Errors hv reports map to errno values as docs/hvroot.md lists, and
 * the hv status itself is kept in the structure's `hv_status` field where there is one.
 */
#ifndef ROOTSTOCK_HVROOT_UAPI_H
#define ROOTSTOCK_HVROOT_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* 0xB9: free in Documentation/userspace-api/ioctl/ioctl-number.rst (MSHV uses 0xB8). */
#define HVROOT_IOCTL_TYPE 0xB9

/* ---- /dev/hvroot ---- */

/* HVROOT_GET_VERSION: what hv reports (GET_VERSION) */
struct hvroot_version {
	__u32 abi_version;     /* RS_ABI_VERSION of hv */
	__u32 gpa_bits;        /* guest physical address width of every child */
	__u32 vp_limit;        /* VP indices per partition: 0 .. vp_limit - 1 */
	__u32 partition_limit; /* live partitions at once */
};

/* HVROOT_CREATE_PARTITION: returns a new partition fd (O_CLOEXEC) */
struct hvroot_create_partition {
	__u64 flags; /* must be 0 */
};

/*
 * HVROOT_RAW_HYPERCALL: one hypercall exactly as given, for self-tests of hv's validation
 * (rootstock.selftest=hypercall-abuse). Refused (-EPERM) unless the module was loaded with
 * allow_raw_hypercalls=1, and without CAP_SYS_RAWIO.
 * If HVROOT_RAW_INPUT_PAGE is set, RBX is replaced by the physical address of a kernel page
 * holding the 4096 bytes at `input` (a user pointer); if HVROOT_RAW_OUTPUT_PAGE is set, RCX is
 * replaced by that of a zeroed kernel page whose 4096 bytes are copied back to `output`
 * afterwards. Otherwise the registers go to hv unchanged (hostile addresses included).
 */
#define HVROOT_RAW_INPUT_PAGE (1u << 0)
#define HVROOT_RAW_OUTPUT_PAGE (1u << 1)
#define HVROOT_RAW_FLAGS_VALID (HVROOT_RAW_INPUT_PAGE | HVROOT_RAW_OUTPUT_PAGE)
struct hvroot_raw_hypercall {
	__u64 control;   /* in: RAX */
	__u64 args[4];   /* in: RBX, RCX, RDX, RSI; out: their values after the call */
	__u64 result;    /* out: RAX (the result word) */
	__u64 input;     /* user pointer to 4096 bytes, with HVROOT_RAW_INPUT_PAGE */
	__u64 output;    /* user pointer to 4096 bytes, with HVROOT_RAW_OUTPUT_PAGE */
	__u32 flags;     /* HVROOT_RAW_* */
	__u32 reserved;
};

/*
 * HVROOT_TEST_NMIS: sends `count` NMIs to the root's CPU `cpu`, one at a time, each after the
 * last arrived or `wait_ms` passed, and stores how many were sent and arrived. For the
 * hostile-root self-test; refused (-EPERM) like HVROOT_RAW_HYPERCALL. `count` 1..100000,
 * `wait_ms` 1..10000; -ENODEV if the CPU is not online.
 */
struct hvroot_test_nmis {
	__u32 cpu;
	__u32 count;
	__u32 wait_ms;
	__u32 sent;     /* out; must be 0 in */
	__u32 received; /* out; must be 0 in */
	__u32 reserved;
};

#define HVROOT_GET_VERSION _IOR(HVROOT_IOCTL_TYPE, 0x00, struct hvroot_version)
#define HVROOT_CREATE_PARTITION _IOW(HVROOT_IOCTL_TYPE, 0x01, struct hvroot_create_partition)
/* struct rs_hc_invariants_output: include <rootstock/hypercall_abi.h> before using it */
#define HVROOT_CHECK_INVARIANTS _IOR(HVROOT_IOCTL_TYPE, 0x02, struct rs_hc_invariants_output)
#define HVROOT_RAW_HYPERCALL _IOWR(HVROOT_IOCTL_TYPE, 0x03, struct hvroot_raw_hypercall)
#define HVROOT_TEST_NMIS _IOWR(HVROOT_IOCTL_TYPE, 0x04, struct hvroot_test_nmis)

/* ---- a partition fd ---- */

/*
 * HVROOT_MAP_MEMORY: makes [userspace_addr, +size) of the calling process the child's
 * [guest_phys_addr, +size). The pages are pinned until unmapped or the partition is destroyed.
 * userspace_addr, guest_phys_addr and size are 4 KiB multiples (2 MiB with RS_MAP_LARGE,
 * which also needs the user range backed by 2 MiB-contiguous physical pages).
 * flags: RS_ACCESS_READ (required), RS_ACCESS_WRITE, RS_ACCESS_EXECUTE, RS_MAP_LARGE.
 */
struct hvroot_memory_region {
	__u64 userspace_addr;
	__u64 guest_phys_addr;
	__u64 size;
	__u32 flags;
	__u32 hv_status; /* out: the RS_STATUS_* that failed the call, or 0 */
};

/*
 * HVROOT_UNMAP_MEMORY: removes a region HVROOT_MAP_MEMORY made, given by the same
 * guest_phys_addr and size (userspace_addr and flags are ignored)
 */

/* HVROOT_CREATE_VP: returns a VP fd (O_CLOEXEC) */
struct hvroot_create_vp {
	__u32 vp_index;
	__u32 reserved;
};

/* HVROOT_QUERY_PARTITION: PARTITION_QUERY */
struct hvroot_partition_info {
	__u64 partition_id;
	__u64 vps;
	__u64 mapped_pages;    /* 4 KiB pages mapped into the child */
	__u64 deposited_pages; /* pages deposited to hv for this partition */
	__u64 deposited_used;  /* of which hv uses */
};

#define HVROOT_MAP_MEMORY _IOWR(HVROOT_IOCTL_TYPE, 0x10, struct hvroot_memory_region)
#define HVROOT_UNMAP_MEMORY _IOWR(HVROOT_IOCTL_TYPE, 0x11, struct hvroot_memory_region)
#define HVROOT_CREATE_VP _IOW(HVROOT_IOCTL_TYPE, 0x12, struct hvroot_create_vp)
#define HVROOT_QUERY_PARTITION _IOR(HVROOT_IOCTL_TYPE, 0x13, struct hvroot_partition_info)

/*
 * HVROOT_INTERRUPT: PARTITION_INTERRUPT (ABI 1.1) — a GSI edge or level, or an MSI, into the
 * child's interrupt controller in hv; VPs it reached that sleep in a halt are woken.
 */
struct hvroot_interrupt {
	__u32 flags;     /* RS_INTERRUPT_GSI_EDGE/_GSI_LEVEL/_MSI, | RS_INTERRUPT_ASSERTED */
	__u32 hv_status; /* out */
	__u64 argument;  /* the GSI; or the MSI address in bits 31:0 and its data in 63:32 */
};
#define HVROOT_INTERRUPT _IOWR(HVROOT_IOCTL_TYPE, 0x14, struct hvroot_interrupt)

/*
 * HVROOT_DOORBELL: PARTITION_DOORBELL (ABI 1.2) with an eventfd — ioeventfd for hv. A plain
 * store of `length` bytes at `gpa` (of exactly `value` with HVROOT_DOORBELL_MATCH_VALUE) by any
 * of the partition's VPs then signals the eventfd `fd` inside HVROOT_RUN_VP, which goes on
 * running the VP: the VMM never sees that write. HVROOT_DOORBELL_REMOVE removes the doorbell
 * with the same gpa, length, match flag and value (`fd` is ignored). -EOPNOTSUPP when hv is
 * older than ABI 1.2; hv's refusals as for every call (EEXIST: the same doorbell is there;
 * ENOSPC: the partition has RS_DOORBELL_MAX).
 */
#define HVROOT_DOORBELL_LENGTH_MASK 0xfu        /* 1, 2, 4 or 8 */
#define HVROOT_DOORBELL_MATCH_VALUE (1u << 8)
#define HVROOT_DOORBELL_REMOVE (1u << 9)
#define HVROOT_DOORBELL_FLAGS_VALID \
	(HVROOT_DOORBELL_LENGTH_MASK | HVROOT_DOORBELL_MATCH_VALUE | HVROOT_DOORBELL_REMOVE)
struct hvroot_doorbell {
	__u64 gpa;
	__u64 value;     /* with HVROOT_DOORBELL_MATCH_VALUE; else 0 */
	__s32 fd;        /* an eventfd */
	__u32 flags;     /* HVROOT_DOORBELL_* */
	__u32 hv_status; /* out */
	__u32 reserved;
};
#define HVROOT_DOORBELL _IOWR(HVROOT_IOCTL_TYPE, 0x15, struct hvroot_doorbell)

/* ---- a VP fd ---- */

/*
 * mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vp_fd, 0): the VP's run page
 * (struct rs_run_page).
 *
 * HVROOT_RUN_VP (argument: HVROOT_RUN_* flags): runs the VP until an exit the VMM must handle
 * is in the run page (returns 0). Returns -EINTR when a signal is pending (the run page then
 * says RS_EXIT_NONE); the VMM calls it again to continue. Physical interrupts, rescheduling
 * and the child LAPIC's timer (rs_run_page.timer_deadline_tsc) are handled inside the call.
 *
 * With HVROOT_RUN_HALT_IN_KERNEL, a halt (RS_EXIT_HALT) does not return: the thread sleeps
 * until an interrupt, the VP's timer deadline or a startup IPI can end it, as a halted CPU
 * would, and the VP runs on. Without it, RS_EXIT_HALT returns to the VMM (a VP whose halt
 * means "done", as in the self-tests' payloads).
 */
#define HVROOT_RUN_VP _IO(HVROOT_IOCTL_TYPE, 0x20)
#define HVROOT_RUN_HALT_IN_KERNEL 0x1ul
#define HVROOT_RUN_FLAGS_VALID HVROOT_RUN_HALT_IN_KERNEL

/*
 * HVROOT_GET_REGISTERS / HVROOT_SET_REGISTERS: count (1 .. RS_HC_REGISTERS_MAX_REPS) names
 * (__u32 RS_REG_*) at `names` and values (union rs_hc_register_value) at `values`
 */
struct hvroot_registers {
	__u32 count;
	__u32 hv_status; /* out: the RS_STATUS_* that failed the call, or 0 */
	__u64 names;     /* user pointer to count __u32 */
	__u64 values;    /* user pointer to count 16-byte values */
};

/* HVROOT_INJECT: VP_INJECT with the event word of hypercall_abi.h (RS_EVENT_*) */
struct hvroot_inject {
	__u64 event;
	__u32 hv_status; /* out */
	__u32 reserved;
};

#define HVROOT_GET_REGISTERS _IOWR(HVROOT_IOCTL_TYPE, 0x21, struct hvroot_registers)
#define HVROOT_SET_REGISTERS _IOWR(HVROOT_IOCTL_TYPE, 0x22, struct hvroot_registers)
#define HVROOT_INJECT _IOWR(HVROOT_IOCTL_TYPE, 0x23, struct hvroot_inject)

#endif /* ROOTSTOCK_HVROOT_UAPI_H */
