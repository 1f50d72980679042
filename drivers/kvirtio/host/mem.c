// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio kernel guest memory.
 *
 * The table maps guest-physical ranges to the VMM's virtual addresses, as
 * VHOST_SET_MEM_TABLE does.  Rings are pinned long-term and vmap'ed so the
 * worker touches them with plain loads and stores; a long-term pin keeps
 * the page ours until we unpin it, so no MMU notifier is needed (the 2019
 * vhost attempt without FOLL_LONGTERM needed one and was reverted).  Every
 * pin is charged to the creator's RLIMIT_MEMLOCK through locked_vm, like
 * VFIO type1.  Buffers are copied with copy_{from,to}_user in the
 * creator's mm: see Documentation/userspace-api.rst for why buffers are
 * not pinned.  Everything that touches user memory runs in the creator's
 * mm (its own syscalls, or a worker under kthread_use_mm); unpinning and
 * uncharging may run anywhere (the last close).
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <uapi/linux/kvirtio.h>

#include "host.h"
#include "kmem.h"

/*
 * The biggest ring area is a 32768-entry descriptor table: 512 KiB, which
 * with a misaligned start spans 129 pages.
 */
#define KVIRTIO_KMEM_MAP_PAGES_MAX	(((16U * KVIRTIO_QUEUE_SIZE_MAX) >> PAGE_SHIFT) + 1)

/* One pinned and vmap'ed ring area. */
struct kvirtio_kmem_map {
	struct list_head node;
	void *vaddr;
	void *ptr;
	u64 gpa;
	u32 len;
	unsigned long npages;
	bool charged;
	struct page *pages[];
};

static struct kvirtio_kmem *to_kmem(struct kvirtio_guest_mem *mem)
{
	return container_of(mem, struct kvirtio_kmem, gmem);
}

bool kvirtio_kmem_is_kernel(const struct kvirtio_guest_mem *mem)
{
	return mem && mem->ops == &kvirtio_kmem_ops;
}

/* User memory is only ever touched in the creator's address space. */
static bool kmem_in_creator_mm(const struct kvirtio_kmem *km)
{
	return km->mm && current->mm == km->mm;
}

static const struct kvirtio_kmem_region *
table_find(const struct kvirtio_kmem_table *t, u64 gpa)
{
	u32 lo = 0, hi;

	if (!t)
		return NULL;
	hi = t->nregions;
	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		const struct kvirtio_kmem_region *r = &t->regions[mid];

		if (gpa < r->gpa)
			hi = mid;
		else if (gpa - r->gpa >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

/* @t comes from rcu_dereference*(): under rcu_read_lock() or km->lock. */
static int kmem_piece(const struct kvirtio_kmem_table *t, u64 gpa, u64 len,
		      u64 *uaddr, u64 *contig)
{
	const struct kvirtio_kmem_region *r = table_find(t, gpa);
	u64 off;

	if (!r)
		return -EFAULT;
	off = gpa - r->gpa;
	*uaddr = r->uaddr + off;
	*contig = min(len, r->size - off);
	return 0;
}

int kvirtio_kmem_translate(struct kvirtio_guest_mem *mem, u64 gpa, u64 len,
			   void __user **uaddr, u64 *contig)
{
	struct kvirtio_kmem *km;
	u64 ua, n;
	int ret;

	if (!kvirtio_kmem_is_kernel(mem))
		return -EOPNOTSUPP;
	if (!len)
		return -EINVAL;
	if (gpa + (len - 1) < gpa)
		return -EFAULT;
	km = to_kmem(mem);
	rcu_read_lock();
	ret = kmem_piece(rcu_dereference(km->table), gpa, len, &ua, &n);
	rcu_read_unlock();
	if (ret)
		return ret;
	*uaddr = u64_to_user_ptr(ua);
	*contig = n;
	return 0;
}

static bool kmem_range_ok(struct kvirtio_guest_mem *mem, u64 gpa, u64 len)
{
	struct kvirtio_kmem *km = to_kmem(mem);
	const struct kvirtio_kmem_table *t;
	bool ok = true;
	u64 ua, n;
	u32 i;

	if (gpa + (len ? len - 1 : 0) < gpa)
		return false;
	rcu_read_lock();
	t = rcu_dereference(km->table);
	/* An empty range still has to start in guest RAM. */
	if (!len)
		ok = table_find(t, gpa);
	/* Adjacent regions may cover a range together; at most one piece each. */
	for (i = 0; len; i++) {
		if (!t || i >= t->nregions || kmem_piece(t, gpa, len, &ua, &n)) {
			ok = false;
			break;
		}
		gpa += n;
		len -= n;
	}
	rcu_read_unlock();
	return ok;
}

static int kmem_copy(struct kvirtio_kmem *km, u64 gpa, void *buf, u32 len,
		     bool to_guest)
{
	const struct kvirtio_kmem_table *t;
	u64 ua, n;
	int ret;

	if (!kmem_in_creator_mm(km))
		return -EFAULT;
	if (!len)
		return 0;
	if (gpa + (len - 1) < gpa)
		return -EFAULT;
	while (len) {
		rcu_read_lock();
		t = rcu_dereference(km->table);
		ret = kmem_piece(t, gpa, len, &ua, &n);
		rcu_read_unlock();
		if (ret)
			return ret;
		/* A stale address after a table swap still only reaches the VMM. */
		if (to_guest)
			ret = copy_to_user(u64_to_user_ptr(ua), buf, n);
		else
			ret = copy_from_user(buf, u64_to_user_ptr(ua), n);
		if (ret)
			return -EFAULT;
		buf += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

static int kmem_read(struct kvirtio_guest_mem *mem, u64 gpa, void *dst,
		     u32 len)
{
	return kmem_copy(to_kmem(mem), gpa, dst, len, false);
}

static int kmem_write(struct kvirtio_guest_mem *mem, u64 gpa,
		      const void *src, u32 len)
{
	return kmem_copy(to_kmem(mem), gpa, (void *)src, len, true);
}

/*
 * Pin every page of [first, first + npages pages) through the table.  The
 * caller runs in the creator's mm: pin_user_pages_fast() takes its mmap
 * lock as needed and has the same signature on 6.1 and 6.12.
 */
static int kmem_pin_range(struct kvirtio_kmem *km, u64 first,
			  unsigned long npages, struct page **pages)
{
	const struct kvirtio_kmem_table *t;
	unsigned long done = 0;
	int ret = 0;

	mutex_lock(&km->lock);
	t = rcu_dereference_protected(km->table, lockdep_is_held(&km->lock));
	while (done < npages) {
		u64 gpa = first + ((u64)done << PAGE_SHIFT);
		u64 ua, n;
		int nr, got;

		ret = kmem_piece(t, gpa, (u64)(npages - done) << PAGE_SHIFT,
				 &ua, &n);
		if (ret)
			break;
		/* Regions are page aligned, so pieces are whole pages. */
		nr = n >> PAGE_SHIFT;
		got = pin_user_pages_fast(ua, nr, FOLL_WRITE | FOLL_LONGTERM,
					  pages + done);
		if (got > 0)
			done += got;
		if (got != nr) {
			ret = got < 0 ? got : -EFAULT;
			break;
		}
	}
	mutex_unlock(&km->lock);
	if (ret && done)
		unpin_user_pages(pages, done);
	return ret;
}

static void kmem_uncharge(struct kvirtio_kmem *km, unsigned long npages)
{
	/* An mm that already exited has no locked_vm left to give back. */
	if (mmget_not_zero(km->mm)) {
		account_locked_vm(km->mm, npages, false);
		mmput(km->mm);
	}
}

static void *kmem_map_ring(struct kvirtio_guest_mem *mem, u64 gpa, u32 len)
{
	struct kvirtio_kmem *km = to_kmem(mem);
	struct kvirtio_kmem_map *map;
	unsigned long npages;
	u64 first, last;

	if (!len || gpa + (len - 1) < gpa || !kmem_in_creator_mm(km))
		return NULL;
	/* PAGE_MASK is an unsigned long: widen it for a 64-bit gpa. */
	first = gpa & ~(u64)(PAGE_SIZE - 1);
	last = (gpa + (len - 1)) & ~(u64)(PAGE_SIZE - 1);
	npages = ((last - first) >> PAGE_SHIFT) + 1;
	if (npages > KVIRTIO_KMEM_MAP_PAGES_MAX)
		return NULL;

	map = kzalloc(struct_size(map, pages, npages), GFP_KERNEL_ACCOUNT);
	if (!map)
		return NULL;
	map->npages = npages;
	map->gpa = gpa;
	map->len = len;

	if (account_locked_vm(km->mm, npages, true))
		goto err_free;
	map->charged = true;
	if (kmem_pin_range(km, first, npages, map->pages))
		goto err_uncharge;
	map->vaddr = vmap(map->pages, npages, VM_MAP, PAGE_KERNEL);
	if (!map->vaddr)
		goto err_unpin;
	map->ptr = map->vaddr + (gpa & (PAGE_SIZE - 1));

	mutex_lock(&km->lock);
	list_add(&map->node, &km->maps);
	WRITE_ONCE(km->nr_maps, km->nr_maps + 1);
	mutex_unlock(&km->lock);
	atomic_long_add(npages, &km->pinned_pages);
	atomic_long_add(npages, &kvirtio_live.pinned_pages);
	atomic_long_inc(&kvirtio_live.mapped_rings);
	return map->ptr;

err_unpin:
	unpin_user_pages(map->pages, npages);
err_uncharge:
	kmem_uncharge(km, npages);
err_free:
	kfree(map);
	return NULL;
}

static void kmem_release_map(struct kvirtio_kmem *km,
			     struct kvirtio_kmem_map *map)
{
	vunmap(map->vaddr);
	/* The device wrote the used ring: keep those pages dirty. */
	unpin_user_pages_dirty_lock(map->pages, map->npages, true);
	if (map->charged)
		kmem_uncharge(km, map->npages);
	atomic_long_sub(map->npages, &km->pinned_pages);
	atomic_long_sub(map->npages, &kvirtio_live.pinned_pages);
	atomic_long_dec(&kvirtio_live.mapped_rings);
	kfree(map);
}

static void kmem_unmap_ring(struct kvirtio_guest_mem *mem, void *ptr, u64 gpa,
			    u32 len)
{
	struct kvirtio_kmem *km = to_kmem(mem);
	struct kvirtio_kmem_map *map, *found = NULL;

	if (!ptr)
		return;
	mutex_lock(&km->lock);
	list_for_each_entry(map, &km->maps, node) {
		if (map->ptr == ptr && map->gpa == gpa && map->len == len) {
			list_del(&map->node);
			WRITE_ONCE(km->nr_maps, km->nr_maps - 1);
			found = map;
			break;
		}
	}
	mutex_unlock(&km->lock);
	if (found)
		kmem_release_map(km, found);
	else
		pr_err_ratelimited("kvirtio: unmap of an unknown ring %llx+%u\n",
				   gpa, len);
}

const struct kvirtio_guest_mem_ops kvirtio_kmem_ops = {
	.map_ring = kmem_map_ring,
	.unmap_ring = kmem_unmap_ring,
	.range_ok = kmem_range_ok,
	.read = kmem_read,
	.write = kmem_write,
};

/**
 * kvirtio_kmem_init - set up an empty guest memory for the creator's mm
 * @km: the memory
 * @mm: the creator's mm; grabbed (mmgrab) until kvirtio_kmem_destroy()
 */
void kvirtio_kmem_init(struct kvirtio_kmem *km, struct mm_struct *mm)
{
	km->gmem.ops = &kvirtio_kmem_ops;
	km->mm = mm;
	mmgrab(mm);
	RCU_INIT_POINTER(km->table, NULL);
	mutex_init(&km->lock);
	INIT_LIST_HEAD(&km->maps);
	km->nr_maps = 0;
	atomic_long_set(&km->pinned_pages, 0);
}

/**
 * kvirtio_kmem_destroy - release everything; no user of @km may remain
 * @km: the memory
 *
 * Rings still mapped here mean a teardown bug elsewhere; they are unpinned
 * anyway so that no page stays pinned after the device is gone.
 */
void kvirtio_kmem_destroy(struct kvirtio_kmem *km)
{
	struct kvirtio_kmem_map *map, *tmp;
	struct kvirtio_kmem_table *t;

	list_for_each_entry_safe(map, tmp, &km->maps, node) {
		pr_warn_ratelimited("kvirtio: ring %llx+%u still mapped at destroy\n",
				    map->gpa, map->len);
		list_del(&map->node);
		WRITE_ONCE(km->nr_maps, km->nr_maps - 1);
		kmem_release_map(km, map);
	}
	t = rcu_dereference_protected(km->table, true);
	RCU_INIT_POINTER(km->table, NULL);
	if (t)
		kfree_rcu(t, rcu);
	mmdrop(km->mm);
	km->mm = NULL;
	mutex_destroy(&km->lock);
}

static int region_cmp(const void *a, const void *b)
{
	const struct kvirtio_kmem_region *x = a, *y = b;

	if (x->gpa < y->gpa)
		return -1;
	return x->gpa > y->gpa;
}

static int check_one(const struct kvirtio_mem_region *r)
{
	if (r->flags)
		return -EINVAL;
	if (!r->size || !PAGE_ALIGNED(r->gpa) || !PAGE_ALIGNED(r->size) ||
	    !PAGE_ALIGNED(r->uaddr))
		return -EINVAL;
	if (r->gpa + (r->size - 1) < r->gpa ||
	    r->uaddr + (r->size - 1) < r->uaddr)
		return -EOVERFLOW;
	if (r->uaddr != (unsigned long)r->uaddr ||
	    !access_ok(u64_to_user_ptr(r->uaddr), r->size))
		return -EFAULT;
	return 0;
}

/* Validate, copy and sort @regs into a new table. */
static struct kvirtio_kmem_table *
build_table(const struct kvirtio_mem_region *regs, u32 nregions, int *err)
{
	struct kvirtio_kmem_table *t;
	u32 i;

	*err = 0;
	if (nregions > KVIRTIO_MEM_REGIONS_MAX) {
		*err = -E2BIG;
		return NULL;
	}
	for (i = 0; i < nregions; i++) {
		*err = check_one(&regs[i]);
		if (*err)
			return NULL;
	}
	t = kzalloc(struct_size(t, regions, nregions), GFP_KERNEL_ACCOUNT);
	if (!t) {
		*err = -ENOMEM;
		return NULL;
	}
	t->nregions = nregions;
	for (i = 0; i < nregions; i++) {
		t->regions[i].gpa = regs[i].gpa;
		t->regions[i].size = regs[i].size;
		t->regions[i].uaddr = regs[i].uaddr;
	}
	sort(t->regions, nregions, sizeof(t->regions[0]), region_cmp, NULL);
	for (i = 1; i < nregions; i++) {
		const struct kvirtio_kmem_region *p = &t->regions[i - 1];

		/* Sorted and non-wrapping: overlap iff p ends past the next. */
		if (t->regions[i].gpa - p->gpa < p->size) {
			kfree(t);
			*err = -EEXIST;
			return NULL;
		}
	}
	return t;
}

/**
 * kvirtio_kmem_check_regions - validate a memory table without applying it
 * @regs: regions as the VMM gave them
 * @nregions: count
 *
 * Return: 0; -E2BIG for more than KVIRTIO_MEM_REGIONS_MAX regions;
 * -EINVAL for flags, a zero size or a misaligned gpa/size/uaddr;
 * -EOVERFLOW when a range wraps; -EFAULT when a range is not user memory;
 * -EEXIST when two ranges overlap in guest-physical space; -ENOMEM.
 */
int kvirtio_kmem_check_regions(const struct kvirtio_mem_region *regs,
			       u32 nregions)
{
	struct kvirtio_kmem_table *t;
	int err;

	t = build_table(regs, nregions, &err);
	kfree(t);
	return err;
}

/**
 * kvirtio_kmem_set_table - replace the memory table
 * @km: the memory
 * @regs: new regions (validated here)
 * @nregions: count, 0 to remove all memory
 *
 * Return: 0, an error of kvirtio_kmem_check_regions(), or -EBUSY while a
 * ring is mapped through the current table.  On error nothing changes.
 */
int kvirtio_kmem_set_table(struct kvirtio_kmem *km,
			   const struct kvirtio_mem_region *regs, u32 nregions)
{
	struct kvirtio_kmem_table *t, *old;
	int err;

	t = build_table(regs, nregions, &err);
	if (err)
		return err;
	mutex_lock(&km->lock);
	if (km->nr_maps) {
		mutex_unlock(&km->lock);
		kfree(t);
		return -EBUSY;
	}
	old = rcu_replace_pointer(km->table, t, lockdep_is_held(&km->lock));
	mutex_unlock(&km->lock);
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}
