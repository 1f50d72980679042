/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio guest memory: the one narrow door through which the core reaches
 * memory that the guest controls.
 *
 * The core never dereferences a guest-physical address itself.  Each host
 * supplies an implementation:
 *  - the kernel module: ring pages pinned (FOLL_LONGTERM) and vmap'ed,
 *    buffers reached through the VMM's memory table;
 *  - KUnit and the fuzzer: one flat test buffer, optionally with holes;
 *  - the userspace backend: the VMM's own mapping of guest RAM.
 */
#ifndef KVIRTIO_GUEST_MEM_H
#define KVIRTIO_GUEST_MEM_H

#include "compat.h"

struct kvirtio_guest_mem;
struct kvirtio_page_vec;

/**
 * struct kvirtio_guest_mem_ops - host implementation of guest memory access
 * @map_ring: make [@gpa, @gpa + @len) directly addressable for the lifetime
 *	of a queue (until @unmap_ring) and return a host pointer to it, or
 *	NULL when any byte of the range is not guest RAM or cannot be mapped.
 *	May sleep.  Used only for the three ring areas.
 * @unmap_ring: undo @map_ring; @ptr, @gpa and @len are those of the map.
 * @range_ok: true when [@gpa, @gpa + @len) lies wholly inside guest RAM
 *	(never an MMIO hole).  @len may be 0; the sum may not wrap.
 * @read: copy @len bytes at @gpa into @dst; 0 or -EFAULT.  One call is one
 *	fetch: the core copies guest structures once and uses its copy.
 * @write: copy @len bytes from @src to @gpa; 0 or -EFAULT.
 * @get_pages: optional, for hosts whose guest memory is the kernel's own
 *	pages: append the pages of [@gpa, @gpa + @len) to @pv, each one
 *	checked for @dev_writes (the device will write it) and held until
 *	the caller releases @pv, so that a backend hands them to the file
 *	or socket as they are, with no copy.  0, -EFAULT, or -E2BIG when @pv
 *	is full.  The type of @pv is the host's (host/page_vec.h); the core
 *	never calls it.
 *
 * Every callback must itself reject a range that wraps or leaves guest RAM:
 * the core checks first, but a host must not trust that alone.
 */
struct kvirtio_guest_mem_ops {
	void *(*map_ring)(struct kvirtio_guest_mem *mem, u64 gpa, u32 len);
	void (*unmap_ring)(struct kvirtio_guest_mem *mem, void *ptr, u64 gpa,
			   u32 len);
	bool (*range_ok)(struct kvirtio_guest_mem *mem, u64 gpa, u64 len);
	int (*read)(struct kvirtio_guest_mem *mem, u64 gpa, void *dst, u32 len);
	int (*write)(struct kvirtio_guest_mem *mem, u64 gpa, const void *src,
		     u32 len);
	int (*get_pages)(struct kvirtio_guest_mem *mem, u64 gpa, u64 len,
			 bool dev_writes, struct kvirtio_page_vec *pv);
};

/**
 * struct kvirtio_guest_mem - a guest's memory as seen by one device
 * @ops: the host implementation
 *
 * Embed this in the host's own structure and use container_of() in @ops.
 */
struct kvirtio_guest_mem {
	const struct kvirtio_guest_mem_ops *ops;
};

static inline int kvirtio_gmem_read(struct kvirtio_guest_mem *mem, u64 gpa,
				    void *dst, u32 len)
{
	return mem->ops->read(mem, gpa, dst, len);
}

static inline int kvirtio_gmem_write(struct kvirtio_guest_mem *mem, u64 gpa,
				     const void *src, u32 len)
{
	return mem->ops->write(mem, gpa, src, len);
}

#endif /* KVIRTIO_GUEST_MEM_H */
