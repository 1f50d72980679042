/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio kernel guest memory: the VMM's guest-physical -> userspace table,
 * ring pinning and the kernel struct kvirtio_guest_mem_ops.
 *
 * Guest RAM is the VMM's own anonymous or file memory, reached in the
 * creator's mm only: rings are pinned long-term (FOLL_LONGTERM, charged to
 * RLIMIT_MEMLOCK) and vmap'ed for the lifetime of a queue; buffers are
 * copied with copy_{from,to}_user or handed to the block layer as a user
 * iov_iter, from a worker running under kthread_use_mm(creator mm) or from
 * the VMM's own ioctl/pread/pwrite context.  Any other context is refused.
 */
#ifndef KVIRTIO_HOST_KMEM_H
#define KVIRTIO_HOST_KMEM_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/list.h>
#include <linux/rcupdate.h>
#include "../guest_mem.h"

struct mm_struct;
struct kvirtio_mem_region;

/* One guest RAM range, validated: page aligned, no wrap, no overlap. */
struct kvirtio_kmem_region {
	u64 gpa;
	u64 size;
	u64 uaddr;
};

/* An immutable table, sorted by gpa, replaced as a whole under RCU. */
struct kvirtio_kmem_table {
	struct rcu_head rcu;
	u32 nregions;
	struct kvirtio_kmem_region regions[];
};

/**
 * struct kvirtio_kmem - one device's view of its VMM's guest memory
 * @gmem: the core's door (ops = kvirtio_kmem_ops)
 * @mm: the creator's mm (mmgrab'ed for the lifetime of the device)
 * @table: the current table, NULL for none
 * @lock: serializes table replacement and the ring map list
 * @maps: pinned ring mappings (struct kvirtio_kmem_map)
 * @nr_maps: entries on @maps
 * @pinned_pages: pages pinned by this device (for stats)
 */
struct kvirtio_kmem {
	struct kvirtio_guest_mem gmem;
	struct mm_struct *mm;
	struct kvirtio_kmem_table __rcu *table;
	struct mutex lock;	/* see @lock above */
	struct list_head maps;
	unsigned int nr_maps;
	atomic_long_t pinned_pages;
};

extern const struct kvirtio_guest_mem_ops kvirtio_kmem_ops;

void kvirtio_kmem_init(struct kvirtio_kmem *km, struct mm_struct *mm);
void kvirtio_kmem_destroy(struct kvirtio_kmem *km);

int kvirtio_kmem_check_regions(const struct kvirtio_mem_region *regs,
			       u32 nregions);
int kvirtio_kmem_set_table(struct kvirtio_kmem *km,
			   const struct kvirtio_mem_region *regs, u32 nregions);

/**
 * kvirtio_kmem_translate - find the VMM address of guest-physical memory
 * @mem: a device's guest memory (vdev->mem)
 * @gpa: guest-physical start
 * @len: bytes wanted (> 0)
 * @uaddr: the userspace address of @gpa in the creator's mm
 * @contig: bytes from @gpa that are contiguous at @uaddr, at most @len
 *
 * Call it in a loop to cover [@gpa, @gpa + @len); each call returns the
 * longest piece that one region covers.  The address is only valid for
 * user access in the creator's mm (the device's worker, or the VMM's own
 * syscalls), e.g. to build an ITER_UBUF/ITER_IOVEC iov_iter.
 *
 * Return: 0; -EFAULT when @gpa is not guest RAM or @gpa + @len wraps;
 * -EINVAL for @len 0; -EOPNOTSUPP when @mem is not kernel memory (KUnit
 * doubles): the caller should then fall back to kvirtio_gmem_read/write.
 */
int kvirtio_kmem_translate(struct kvirtio_guest_mem *mem, u64 gpa, u64 len,
			   void __user **uaddr, u64 *contig);

/* True when @mem is backed by struct kvirtio_kmem. */
bool kvirtio_kmem_is_kernel(const struct kvirtio_guest_mem *mem);

#endif /* KVIRTIO_HOST_KMEM_H */
