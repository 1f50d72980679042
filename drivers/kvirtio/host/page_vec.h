/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio: guest buffers as page vectors, for backends that pass them to
 * ->read_iter/->write_iter or a socket as an ITER_BVEC iterator.
 *
 * Only guest memory whose ops offer get_pages has them: the vDPA front
 * end's, whose addresses are pinned host pages rather than the VMM's user
 * addresses (struct kvirtio_kmem).  A backend without either copies
 * through a bounce buffer.
 */
#ifndef KVIRTIO_HOST_PAGE_VEC_H
#define KVIRTIO_HOST_PAGE_VEC_H

#include <linux/bvec.h>
#include <linux/mm.h>
#include "../guest_mem.h"

/**
 * struct kvirtio_page_vec - guest pages held for one I/O
 * @bv: the entries, one page (or part of one) each
 * @nr: entries filled
 * @cap: entries @bv has room for
 * @bytes: bytes the filled entries cover
 * @refs: a page reference is held on each entry (set by get_pages; false
 *	when the memory's owner keeps the pages alive for the whole I/O)
 */
struct kvirtio_page_vec {
	struct bio_vec *bv;
	unsigned int nr;
	unsigned int cap;
	size_t bytes;
	bool refs;
};

static inline void kvirtio_page_vec_init(struct kvirtio_page_vec *pv,
					 struct bio_vec *bv, unsigned int cap)
{
	pv->bv = bv;
	pv->nr = 0;
	pv->cap = cap;
	pv->bytes = 0;
	pv->refs = false;
}

/* True when @mem can hand out its pages (see kvirtio_page_vec_add()). */
static inline bool kvirtio_gmem_has_pages(const struct kvirtio_guest_mem *mem)
{
	return mem->ops->get_pages;
}

/**
 * kvirtio_page_vec_add - append the pages of a guest range
 * @pv: the vector
 * @mem: guest memory with get_pages
 * @gpa: start of the range
 * @len: its length
 * @dev_writes: the I/O writes the pages (a read request, a received frame)
 *
 * On an error the entries added so far stay in @pv: release them with
 * kvirtio_page_vec_put() either way.
 *
 * Return: 0; -EFAULT when a byte is not mapped with the permission the
 * I/O needs; -E2BIG when @pv is full.
 */
static inline int kvirtio_page_vec_add(struct kvirtio_page_vec *pv,
				       struct kvirtio_guest_mem *mem, u64 gpa,
				       u64 len, bool dev_writes)
{
	return mem->ops->get_pages(mem, gpa, len, dev_writes, pv);
}

/* Drop what @pv holds; it may be filled again. */
static inline void kvirtio_page_vec_put(struct kvirtio_page_vec *pv)
{
	unsigned int i;

	if (pv->refs)
		for (i = 0; i < pv->nr; i++)
			put_page(pv->bv[i].bv_page);
	pv->nr = 0;
	pv->bytes = 0;
}

#endif /* KVIRTIO_HOST_PAGE_VEC_H */
