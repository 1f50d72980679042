// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio vDPA front end: guest memory from the vDPA mapping.
 *
 * The device runs in physical-address mode (use_va = false).  A driver's
 * addresses (ring areas and buffers) are IOVAs, translated in one of two
 * ways:
 *  - vhost_vdpa pins the VMM's guest memory itself and hands us host
 *    physical addresses through dma_map/dma_unmap: they go into our own
 *    vhost_iotlb, with their permissions.  An address with no mapping, or
 *    without the permission the access needs, is refused.
 *  - virtio_vdpa (the host's own virtio drivers) maps its buffers with the
 *    DMA API of the vDPA device, which is dma-direct with a 64-bit mask:
 *    the DMA address is the physical address.  This identity mode is
 *    turned on only while the driver bound to the device is virtio_vdpa,
 *    so that no VMM can name arbitrary host memory.
 *
 * Every access is checked: the translation (and its permission), then the
 * page frame (pfn_valid; never a write to the zero page), and is done one
 * page at a time with kmap_local_page() under @lock, so that dma_unmap
 * returns only once no copy through the old mapping runs.  Pages behind
 * the iotlb are also referenced for the copy (get_page_unless_zero): a
 * page vhost_vdpa already unpinned and freed is refused, not written.
 *
 * Ring areas are mapped for the life of a queue: the pages are looked up
 * once and vmap'ed, and (iotlb mode) a reference is held on each, so a
 * later unmap of the IOVA cannot free them under the worker.  Identity
 * mode takes no references: the kernel driver owns the ring memory until
 * it resets the device (and DMA allocations may be high-order pages whose
 * tail pages have no reference count of their own).
 */
#include <linux/highmem.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "kvdpa.h"
#include "../host/page_vec.h"

/* As in host/mem.c: a 32768-entry descriptor table spans 129 pages. */
#define KVDPA_MAP_PAGES_MAX	(((16U * KVIRTIO_QUEUE_SIZE_MAX) >> PAGE_SHIFT) + 1)

/**
 * struct kvdpa_ring_map - one vmap'ed ring area
 * @node: on kvdpa_mem.maps
 * @vaddr: the vmap (page aligned)
 * @ptr: what map_ring returned (@vaddr plus the offset in the first page)
 * @gpa: the area's IOVA
 * @len: its length
 * @npages: pages in @pages
 * @refs: a reference is held on each page
 * @pages: the pages
 */
struct kvdpa_ring_map {
	struct list_head node;
	void *vaddr;
	void *ptr;
	u64 gpa;
	u32 len;
	unsigned int npages;
	bool refs;
	struct page *pages[];
};

static struct kvdpa_mem *to_mem(struct kvirtio_guest_mem *gmem)
{
	return container_of(gmem, struct kvdpa_mem, gmem);
}

/*
 * Translate @len bytes at @iova needing @perm (VHOST_MAP_*).  Sets the
 * physical address and how many bytes from it are contiguous (at most
 * @len, at least 1).  Caller holds m->lock; @len > 0 and no wrap.
 */
static int mem_lookup(struct kvdpa_mem *m, u64 iova, u64 len, u32 perm,
		      u64 *pa, u64 *contig)
{
	struct vhost_iotlb_map *map;
	u64 room;

	lockdep_assert_held(&m->lock);
	if (m->identity) {
		*pa = iova;
		*contig = len;
		return 0;
	}
	map = vhost_iotlb_itree_first(m->iotlb, iova, iova);
	if (!map || (map->perm & perm) != perm)
		return -EFAULT;
	/* The entry covers [start, last]: room - 1 more bytes past @iova. */
	room = map->last - iova;
	*pa = map->addr + (iova - map->start);
	*contig = room >= len - 1 ? len : room + 1;
	return 0;
}

/*
 * The page at physical address @pa, checked.  In iotlb mode a reference
 * is taken on it (drop with mem_put_page()).  NULL when there is no such
 * page or (for @write) it is the zero page.
 */
static struct page *mem_get_page(struct kvdpa_mem *m, u64 pa, bool write)
{
	unsigned long pfn = PHYS_PFN(pa);
	struct page *page;

	if (PFN_PHYS(pfn) >> PAGE_SHIFT != pfn || !pfn_valid(pfn))
		return NULL;
	if (write && is_zero_pfn(pfn))
		return NULL;
	page = pfn_to_page(pfn);
	if (!m->identity && !get_page_unless_zero(compound_head(page)))
		return NULL;
	return page;
}

static void mem_put_page(struct kvdpa_mem *m, struct page *page, bool ref)
{
	if (ref)
		put_page(compound_head(page));
}

/* Copy @len bytes between @buf and the driver's @iova, page by page. */
static int mem_copy(struct kvdpa_mem *m, u64 iova, void *buf, u32 len,
		    bool write)
{
	u32 perm = write ? VHOST_MAP_WO : VHOST_MAP_RO;

	if (!len)
		return 0;
	if (iova + (len - 1) < iova)
		goto fault;
	while (len) {
		struct page *page = NULL;
		bool ref = false;
		u64 pa, n;
		void *p;

		spin_lock(&m->lock);
		if (!mem_lookup(m, iova, len, perm, &pa, &n)) {
			n = min_t(u64, n, PAGE_SIZE - offset_in_page(pa));
			ref = !m->identity;
			page = mem_get_page(m, pa, write);
		}
		if (page) {
			p = kmap_local_page(page);
			if (write)
				memcpy(p + offset_in_page(pa), buf, n);
			else
				memcpy(buf, p + offset_in_page(pa), n);
			kunmap_local(p);
			mem_put_page(m, page, ref);
		}
		spin_unlock(&m->lock);
		if (!page)
			goto fault;
		buf += n;
		iova += n;
		len -= n;
	}
	return 0;
fault:
	atomic64_inc(&m->faults);
	return -EFAULT;
}

static int mem_read(struct kvirtio_guest_mem *gmem, u64 gpa, void *dst,
		    u32 len)
{
	return mem_copy(to_mem(gmem), gpa, dst, len, false);
}

static int mem_write(struct kvirtio_guest_mem *gmem, u64 gpa,
		     const void *src, u32 len)
{
	return mem_copy(to_mem(gmem), gpa, (void *)src, len, true);
}

/*
 * The pages of [@gpa, @gpa + @len) for a backend's zero-copy I/O: the
 * same checks as a copy (translation and permission, pfn_valid, never the
 * zero page for a write), one entry per page piece.  In iotlb mode each
 * page is referenced until the backend is done with it, so an unmap
 * during a file's asynchronous I/O cannot free the page under it; the
 * I/O then lands in a page the driver no longer maps, never in another.
 */
static int mem_get_pages(struct kvirtio_guest_mem *gmem, u64 gpa, u64 len,
			 bool dev_writes, struct kvirtio_page_vec *pv)
{
	struct kvdpa_mem *m = to_mem(gmem);
	u32 perm = dev_writes ? VHOST_MAP_WO : VHOST_MAP_RO;
	int ret = 0;

	if (!len)
		return 0;
	if (gpa + (len - 1) < gpa)
		goto fault;
	spin_lock(&m->lock);
	pv->refs = !m->identity;
	while (len) {
		struct page *page = NULL;
		u64 pa, n;

		if (pv->nr >= pv->cap) {
			ret = -E2BIG;
			break;
		}
		if (!mem_lookup(m, gpa, len, perm, &pa, &n)) {
			n = min_t(u64, n, PAGE_SIZE - offset_in_page(pa));
			page = mem_get_page(m, pa, dev_writes);
		}
		if (!page) {
			ret = -EFAULT;
			break;
		}
		bvec_set_page(&pv->bv[pv->nr++], page, n, offset_in_page(pa));
		pv->bytes += n;
		gpa += n;
		len -= n;
	}
	spin_unlock(&m->lock);
	if (ret != -EFAULT)
		return ret;
fault:
	atomic64_inc(&m->faults);
	return -EFAULT;
}

/*
 * Every byte of the range is mapped, whatever the permission (a buffer the
 * device only writes may be mapped write-only: each copy checks its own
 * permission); for an empty range, its start.  No sleeping: the engine
 * checks buffers wherever a device pops.
 */
static bool mem_range_ok(struct kvirtio_guest_mem *gmem, u64 gpa, u64 len)
{
	struct kvdpa_mem *m = to_mem(gmem);
	u64 left = len ? len : 1, pa, n;
	bool ok = true;

	if (gpa + (left - 1) < gpa)
		return false;
	while (left && ok) {
		spin_lock(&m->lock);
		ok = !mem_lookup(m, gpa, left, 0, &pa, &n);
		spin_unlock(&m->lock);
		if (ok) {
			gpa += n;
			left -= n;
		}
	}
	return ok;
}

/*
 * Look up and reference page @i of a ring area [@gpa, @gpa + @len): the
 * bytes of the area in that page must be mapped with @perm and the page's
 * physical address must follow from it (no sub-page remapping).
 */
static struct page *mem_ring_page(struct kvdpa_mem *m, u64 gpa, u32 len,
				  unsigned long i, u32 perm)
{
	u64 first = gpa & ~(u64)(PAGE_SIZE - 1);
	u64 pg = first + ((u64)i << PAGE_SHIFT);
	u64 from = max(pg, gpa), to = min(pg + PAGE_SIZE, gpa + len);
	struct page *page = NULL;
	u64 pa, n;

	spin_lock(&m->lock);
	if (!mem_lookup(m, from, to - from, perm, &pa, &n) &&
	    n == to - from && offset_in_page(pa) == offset_in_page(from))
		page = mem_get_page(m, pa - offset_in_page(pa),
				    perm & VHOST_MAP_WO);
	spin_unlock(&m->lock);
	return page;
}

static void mem_release_map(struct kvdpa_mem *m, struct kvdpa_ring_map *map)
{
	unsigned int i;

	vunmap(map->vaddr);
	for (i = 0; i < map->npages; i++)
		mem_put_page(m, map->pages[i], map->refs);
	atomic_long_dec(&kvirtio_live.mapped_rings);
	kfree(map);
}

static void *mem_map_ring(struct kvirtio_guest_mem *gmem, u64 gpa, u32 len)
{
	struct kvdpa_mem *m = to_mem(gmem);
	struct kvdpa_ring_map *map;
	unsigned long npages, i;
	u64 first, last;
	u32 perm;

	if (!len || gpa + (len - 1) < gpa)
		return NULL;
	first = gpa & ~(u64)(PAGE_SIZE - 1);
	last = (gpa + (len - 1)) & ~(u64)(PAGE_SIZE - 1);
	npages = ((last - first) >> PAGE_SHIFT) + 1;
	if (npages > KVDPA_MAP_PAGES_MAX)
		return NULL;

	map = kzalloc(struct_size(map, pages, npages), GFP_KERNEL_ACCOUNT);
	if (!map)
		return NULL;
	map->gpa = gpa;
	map->len = len;
	spin_lock(&m->lock);
	/* Only the used ring is written; the others need read access. */
	perm = gpa == m->wr_gpa && len == m->wr_len ? VHOST_MAP_RW :
	       VHOST_MAP_RO;
	map->refs = !m->identity;
	spin_unlock(&m->lock);

	for (i = 0; i < npages; i++) {
		map->pages[i] = mem_ring_page(m, gpa, len, i, perm);
		if (!map->pages[i])
			goto err;
		map->npages = i + 1;
	}
	map->vaddr = vmap(map->pages, npages, VM_MAP, PAGE_KERNEL);
	if (!map->vaddr)
		goto err;
	map->ptr = map->vaddr + offset_in_page(gpa);

	mutex_lock(&m->maps_lock);
	list_add(&map->node, &m->maps);
	m->nr_maps++;
	mutex_unlock(&m->maps_lock);
	atomic_long_inc(&kvirtio_live.mapped_rings);
	return map->ptr;

err:
	atomic64_inc(&m->faults);
	for (i = 0; i < map->npages; i++)
		mem_put_page(m, map->pages[i], map->refs);
	kfree(map);
	return NULL;
}

static void mem_unmap_ring(struct kvirtio_guest_mem *gmem, void *ptr, u64 gpa,
			   u32 len)
{
	struct kvdpa_mem *m = to_mem(gmem);
	struct kvdpa_ring_map *map, *found = NULL;

	if (!ptr)
		return;
	mutex_lock(&m->maps_lock);
	list_for_each_entry(map, &m->maps, node) {
		if (map->ptr == ptr && map->gpa == gpa && map->len == len) {
			list_del(&map->node);
			m->nr_maps--;
			found = map;
			break;
		}
	}
	mutex_unlock(&m->maps_lock);
	if (found)
		mem_release_map(m, found);
	else
		pr_err_ratelimited("kvirtio_vdpa: unmap of an unknown ring %llx+%u\n",
				   gpa, len);
}

static const struct kvirtio_guest_mem_ops kvdpa_mem_ops = {
	.map_ring = mem_map_ring,
	.unmap_ring = mem_unmap_ring,
	.range_ok = mem_range_ok,
	.read = mem_read,
	.write = mem_write,
	.get_pages = mem_get_pages,
};

/**
 * kvdpa_mem_init - an empty mapping (nothing reachable)
 * @m: the memory
 *
 * Return: 0 or -ENOMEM.
 */
int kvdpa_mem_init(struct kvdpa_mem *m)
{
	m->gmem.ops = &kvdpa_mem_ops;
	spin_lock_init(&m->lock);
	mutex_init(&m->maps_lock);
	INIT_LIST_HEAD(&m->maps);
	atomic64_set(&m->faults, 0);
	/*
	 * No real limit (0 would refuse every entry): vhost_vdpa bounds the
	 * mappings by the pages it pins under RLIMIT_MEMLOCK.
	 */
	m->iotlb = vhost_iotlb_alloc(UINT_MAX, 0);
	return m->iotlb ? 0 : -ENOMEM;
}

/**
 * kvdpa_mem_destroy - release everything; no queue may use @m any more
 * @m: the memory
 *
 * Ring areas still mapped mean a teardown bug elsewhere: they are
 * released anyway, so that no page reference outlives the device.
 */
void kvdpa_mem_destroy(struct kvdpa_mem *m)
{
	struct kvdpa_ring_map *map, *tmp;

	list_for_each_entry_safe(map, tmp, &m->maps, node) {
		pr_warn_ratelimited("kvirtio_vdpa: ring %llx+%u still mapped at destroy\n",
				    map->gpa, map->len);
		list_del(&map->node);
		m->nr_maps--;
		mem_release_map(m, map);
	}
	if (m->iotlb)
		vhost_iotlb_free(m->iotlb);
	m->iotlb = NULL;
	mutex_destroy(&m->maps_lock);
}

/**
 * kvdpa_mem_set_identity - addresses are physical, or go through the iotlb
 * @m: the memory
 * @identity: true only while the host kernel's own driver is bound
 *
 * Called with no queue set up (the transport sets it at DRIVER_OK).
 */
void kvdpa_mem_set_identity(struct kvdpa_mem *m, bool identity)
{
	spin_lock(&m->lock);
	m->identity = identity;
	spin_unlock(&m->lock);
}

/**
 * kvdpa_mem_expect_write - the next map of this area must be writable
 * @m: the memory
 * @gpa: the used ring being set up
 * @len: its length in bytes; 0 (with @gpa 0) when done
 */
void kvdpa_mem_expect_write(struct kvdpa_mem *m, u64 gpa, u32 len)
{
	spin_lock(&m->lock);
	m->wr_gpa = gpa;
	m->wr_len = len;
	spin_unlock(&m->lock);
}

/**
 * kvdpa_mem_dma_map - map [@iova, @iova + @size) to host physical @pa
 * @m: the memory
 * @iova: start
 * @size: bytes, > 0
 * @pa: host physical address (pages pinned by the caller, vhost_vdpa)
 * @perm: VHOST_MAP_RO, _WO or _RW
 *
 * Return: 0; -EINVAL for a zero size, a range that wraps or a bad
 * permission; -EEXIST when the range overlaps a mapping; -ENOMEM.
 */
int kvdpa_mem_dma_map(struct kvdpa_mem *m, u64 iova, u64 size, u64 pa,
		      u32 perm)
{
	u64 last;
	int ret;

	if (!size || check_add_overflow(iova, size - 1, &last) ||
	    pa + (size - 1) < pa || !perm || (perm & ~VHOST_MAP_RW))
		return -EINVAL;
	spin_lock(&m->lock);
	if (vhost_iotlb_itree_first(m->iotlb, iova, last))
		ret = -EEXIST;
	else
		ret = vhost_iotlb_add_range(m->iotlb, iova, last, pa, perm);
	spin_unlock(&m->lock);
	return ret;
}

/**
 * kvdpa_mem_dma_unmap - forget every mapping that overlaps a range
 * @m: the memory
 * @iova: start
 * @size: bytes
 *
 * On return no access through those mappings is running.  Ring areas
 * mapped before keep their page references until their queue stops.
 *
 * Return: 0, or -EINVAL for a zero size or a range that wraps.
 */
int kvdpa_mem_dma_unmap(struct kvdpa_mem *m, u64 iova, u64 size)
{
	u64 last;

	if (!size || check_add_overflow(iova, size - 1, &last))
		return -EINVAL;
	spin_lock(&m->lock);
	vhost_iotlb_del_range(m->iotlb, iova, last);
	spin_unlock(&m->lock);
	return 0;
}
