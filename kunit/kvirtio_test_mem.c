// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio flat-buffer guest memory double and driver-side ring helpers.
 * See kvirtio_test_mem.h.  Shared by the KUnit suites, the userspace tests
 * and the fuzzer.
 */
#include "compat.h"
#include "kvirtio_test_mem.h"

static struct kvirtio_test_mem *to_tm(struct kvirtio_guest_mem *mem)
{
	return container_of(mem, struct kvirtio_test_mem, mem);
}

/**
 * kvirtio_test_mem_is_ram() - does [@gpa, @gpa + @len) lie in RAM?
 * @tm: the memory
 * @gpa: start
 * @len: length; 0 asks about the address alone
 *
 * Policy for @len 0: true when @gpa is itself a RAM byte.
 *
 * Return: true when no byte is outside [base, base + size) or in a hole
 * and the range does not wrap.
 */
bool kvirtio_test_mem_is_ram(const struct kvirtio_test_mem *tm, u64 gpa,
			     u64 len)
{
	u64 end, ram_end, hole_end;
	unsigned int i;

	if (!len)
		len = 1;
	if (check_add_overflow(gpa, len, &end))
		return false;
	ram_end = tm->base + tm->size;
	if (gpa < tm->base || end > ram_end)
		return false;
	for (i = 0; i < tm->nr_holes; i++) {
		hole_end = tm->holes[i].gpa + tm->holes[i].len;
		if (gpa < hole_end && end > tm->holes[i].gpa)
			return false;
	}
	return true;
}

/**
 * kvirtio_test_mem_ptr() - host pointer for a RAM range
 * @tm: the memory
 * @gpa: start
 * @len: length (0: just the address)
 *
 * Return: the pointer, or NULL when the range is not wholly RAM.
 */
void *kvirtio_test_mem_ptr(struct kvirtio_test_mem *tm, u64 gpa, u64 len)
{
	if (!kvirtio_test_mem_is_ram(tm, gpa, len))
		return NULL;
	return tm->buf + (gpa - tm->base);
}

static void tm_hook(struct kvirtio_test_mem *tm,
		    enum kvirtio_test_mem_access kind, u64 gpa, u64 len,
		    bool ok)
{
	if (tm->hook)
		tm->hook(tm, kind, gpa, len, ok);
}

static void *tm_map_ring(struct kvirtio_guest_mem *mem, u64 gpa, u32 len)
{
	struct kvirtio_test_mem *tm = to_tm(mem);
	void *ptr = NULL;
	unsigned int i;

	tm->map_calls++;
	if (tm->map_fail_at && tm->map_calls == tm->map_fail_at)
		goto out;
	ptr = kvirtio_test_mem_ptr(tm, gpa, len);
	if (!ptr)
		goto out;
	for (i = 0; i < KVIRTIO_TEST_MEM_MAX_MAPS; i++) {
		if (!tm->maps[i].ptr) {
			tm->maps[i].ptr = ptr;
			tm->maps[i].gpa = gpa;
			tm->maps[i].len = len;
			tm->live_maps++;
			goto out;
		}
	}
	ptr = NULL;	/* out of map slots: a leak in the code under test */
out:
	tm_hook(tm, KVIRTIO_TEST_MEM_MAP, gpa, len, ptr);
	return ptr;
}

static void tm_unmap_ring(struct kvirtio_guest_mem *mem, void *ptr, u64 gpa,
			  u32 len)
{
	struct kvirtio_test_mem *tm = to_tm(mem);
	unsigned int i;

	tm->unmap_calls++;
	for (i = 0; i < KVIRTIO_TEST_MEM_MAX_MAPS; i++) {
		if (tm->maps[i].ptr == ptr && tm->maps[i].gpa == gpa &&
		    tm->maps[i].len == len) {
			tm->maps[i].ptr = NULL;
			tm->live_maps--;
			return;
		}
	}
	tm->bad_unmaps++;
}

static bool tm_range_ok(struct kvirtio_guest_mem *mem, u64 gpa, u64 len)
{
	struct kvirtio_test_mem *tm = to_tm(mem);
	bool ok = kvirtio_test_mem_is_ram(tm, gpa, len);

	tm->range_ok_calls++;
	tm_hook(tm, KVIRTIO_TEST_MEM_RANGE_OK, gpa, len, ok);
	return ok;
}

static int tm_read(struct kvirtio_guest_mem *mem, u64 gpa, void *dst, u32 len)
{
	struct kvirtio_test_mem *tm = to_tm(mem);
	void *src = kvirtio_test_mem_ptr(tm, gpa, len);

	tm->read_calls++;
	if (src) {
		memcpy(dst, src, len);
		tm->read_bytes += len;
	}
	tm_hook(tm, KVIRTIO_TEST_MEM_READ, gpa, len, src);
	return src ? 0 : -EFAULT;
}

static int tm_write(struct kvirtio_guest_mem *mem, u64 gpa, const void *src,
		    u32 len)
{
	struct kvirtio_test_mem *tm = to_tm(mem);
	void *dst = kvirtio_test_mem_ptr(tm, gpa, len);

	tm->write_calls++;
	if (dst) {
		memcpy(dst, src, len);
		tm->write_bytes += len;
	}
	tm_hook(tm, KVIRTIO_TEST_MEM_WRITE, gpa, len, dst);
	return dst ? 0 : -EFAULT;
}

static const struct kvirtio_guest_mem_ops kvirtio_test_mem_ops = {
	.map_ring = tm_map_ring,
	.unmap_ring = tm_unmap_ring,
	.range_ok = tm_range_ok,
	.read = tm_read,
	.write = tm_write,
};

/**
 * kvirtio_test_mem_init() - create zeroed guest RAM
 * @tm: the memory to initialise
 * @base: guest-physical address of the first byte
 * @size: bytes of RAM (nonzero; base + size must not wrap)
 *
 * Return: 0, -EINVAL or -ENOMEM.
 */
int kvirtio_test_mem_init(struct kvirtio_test_mem *tm, u64 base, u64 size)
{
	u64 end;

	memset(tm, 0, sizeof(*tm));
	if (!size || check_add_overflow(base, size, &end) ||
	    size > (u64)S32_MAX)
		return -EINVAL;
	tm->buf = kvzalloc(size, GFP_KERNEL);
	if (!tm->buf)
		return -ENOMEM;
	tm->mem.ops = &kvirtio_test_mem_ops;
	tm->base = base;
	tm->size = size;
	return 0;
}

/**
 * kvirtio_test_mem_destroy() - free the backing store
 * @tm: the memory
 */
void kvirtio_test_mem_destroy(struct kvirtio_test_mem *tm)
{
	kvfree(tm->buf);
	tm->buf = NULL;
	tm->size = 0;
}

/**
 * kvirtio_test_mem_add_hole() - make a range stop being RAM
 * @tm: the memory
 * @gpa: start of the hole
 * @len: length of the hole
 *
 * Return: 0, or -ENOSPC when every hole slot is used.
 */
int kvirtio_test_mem_add_hole(struct kvirtio_test_mem *tm, u64 gpa, u64 len)
{
	if (tm->nr_holes >= KVIRTIO_TEST_MEM_MAX_HOLES)
		return -ENOSPC;
	tm->holes[tm->nr_holes].gpa = gpa;
	tm->holes[tm->nr_holes].len = len;
	tm->nr_holes++;
	return 0;
}

/**
 * kvirtio_test_mem_reset_counters() - zero the call counters
 * @tm: the memory
 *
 * Live map tracking is kept.
 */
void kvirtio_test_mem_reset_counters(struct kvirtio_test_mem *tm)
{
	tm->map_calls = 0;
	tm->unmap_calls = 0;
	tm->range_ok_calls = 0;
	tm->read_calls = 0;
	tm->write_calls = 0;
	tm->read_bytes = 0;
	tm->write_bytes = 0;
}

/*
 * Raw accessors: the test is the guest here, so a range outside the
 * backing store is a bug in the test; it is ignored (stores) or reads as
 * zero rather than corrupting the host.
 */
void kvirtio_test_poke(struct kvirtio_test_mem *tm, u64 gpa, const void *src,
		       u32 len)
{
	u64 end;

	if (gpa < tm->base || check_add_overflow(gpa, (u64)len, &end) ||
	    end > tm->base + tm->size)
		return;
	memcpy(tm->buf + (gpa - tm->base), src, len);
}

void kvirtio_test_peek(struct kvirtio_test_mem *tm, u64 gpa, void *dst,
		       u32 len)
{
	u64 end;

	if (gpa < tm->base || check_add_overflow(gpa, (u64)len, &end) ||
	    end > tm->base + tm->size) {
		memset(dst, 0, len);
		return;
	}
	memcpy(dst, tm->buf + (gpa - tm->base), len);
}

void kvirtio_test_poke16(struct kvirtio_test_mem *tm, u64 gpa, u16 val)
{
	__le16 v = cpu_to_le16(val);

	kvirtio_test_poke(tm, gpa, &v, sizeof(v));
}

u16 kvirtio_test_peek16(struct kvirtio_test_mem *tm, u64 gpa)
{
	__le16 v;

	kvirtio_test_peek(tm, gpa, &v, sizeof(v));
	return le16_to_cpu(v);
}

u32 kvirtio_test_peek32(struct kvirtio_test_mem *tm, u64 gpa)
{
	__le32 v;

	kvirtio_test_peek(tm, gpa, &v, sizeof(v));
	return le32_to_cpu(v);
}

/* ---- Driver-side ring helpers ------------------------------------------ */

/**
 * kvirtio_test_ring_bytes() - guest bytes kvirtio_test_ring_place() uses
 * @size: queue size
 *
 * Return: bytes for desc, avail and used laid out back to back, aligned.
 */
u64 kvirtio_test_ring_bytes(u16 size)
{
	u64 desc = 16ULL * size, avail = 6 + 2ULL * size;

	return desc + ALIGN(avail, 4) + 6 + 8ULL * size;
}

/**
 * kvirtio_test_ring_init() - driver view of a ring at given addresses
 * @r: the ring
 * @tm: guest memory
 * @size: queue size
 * @desc: descriptor table gpa
 * @avail: driver area gpa
 * @used: device area gpa
 *
 * Zeroes whatever part of the three areas is RAM, as a driver does.
 */
void kvirtio_test_ring_init(struct kvirtio_test_ring *r,
			    struct kvirtio_test_mem *tm, u16 size, u64 desc,
			    u64 avail, u64 used)
{
	void *p;

	memset(r, 0, sizeof(*r));
	r->tm = tm;
	r->size = size;
	r->desc = desc;
	r->avail = avail;
	r->used = used;
	p = kvirtio_test_mem_ptr(tm, desc, 16ULL * size);
	if (p)
		memset(p, 0, 16ULL * size);
	p = kvirtio_test_mem_ptr(tm, avail, 6 + 2ULL * size);
	if (p)
		memset(p, 0, 6 + 2ULL * size);
	p = kvirtio_test_mem_ptr(tm, used, 6 + 8ULL * size);
	if (p)
		memset(p, 0, 6 + 8ULL * size);
}

/**
 * kvirtio_test_ring_place() - lay a ring out at @gpa (16-byte aligned)
 * @r: the ring
 * @tm: guest memory
 * @size: queue size
 * @gpa: where the descriptor table starts
 *
 * Return: the first gpa after the ring, 16-byte aligned.
 */
u64 kvirtio_test_ring_place(struct kvirtio_test_ring *r,
			    struct kvirtio_test_mem *tm, u16 size, u64 gpa)
{
	u64 desc = ALIGN(gpa, 16);
	u64 avail = desc + 16ULL * size;
	u64 used = ALIGN(avail + 6 + 2ULL * size, 4);

	kvirtio_test_ring_init(r, tm, size, desc, avail, used);
	return ALIGN(used + 6 + 8ULL * size, 16);
}

/**
 * kvirtio_test_ring_config() - the queue programming for @r
 * @r: the ring
 * @cfg: filled in
 * @features: negotiated features (ring feature bits matter)
 * @max_chain: device cap on chain length, 0 for the queue size
 */
void kvirtio_test_ring_config(const struct kvirtio_test_ring *r,
			      struct kvirtio_queue_config *cfg, u64 features,
			      u16 max_chain)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->size = r->size;
	cfg->desc = r->desc;
	cfg->avail = r->avail;
	cfg->used = r->used;
	cfg->features = features;
	cfg->max_chain = max_chain;
}

/**
 * kvirtio_test_write_desc() - store descriptor @i of the table at @table
 * @tm: guest memory
 * @table: gpa of a descriptor table (the ring's or an indirect one)
 * @i: entry
 * @addr: buffer gpa
 * @len: buffer length
 * @flags: VRING_DESC_F_*
 * @next: next index
 */
void kvirtio_test_write_desc(struct kvirtio_test_mem *tm, u64 table, u16 i,
			     u64 addr, u32 len, u16 flags, u16 next)
{
	struct kvirtio_vring_desc d = {
		.addr = cpu_to_le64(addr),
		.len = cpu_to_le32(len),
		.flags = cpu_to_le16(flags),
		.next = cpu_to_le16(next),
	};

	kvirtio_test_poke(tm, table + 16ULL * i, &d, sizeof(d));
}

void kvirtio_test_set_desc(struct kvirtio_test_ring *r, u16 i, u64 addr,
			   u32 len, u16 flags, u16 next)
{
	kvirtio_test_write_desc(r->tm, r->desc, i, addr, len, flags, next);
}

/**
 * kvirtio_test_add_chain() - write a direct chain into the ring's table
 * @r: the ring
 * @first: first descriptor index; the chain uses first, first+1, ...
 *	(modulo the queue size)
 * @bufs: the buffers
 * @n: how many (at least 1)
 *
 * Does not make the chain available.
 *
 * Return: the head index (@first).
 */
u16 kvirtio_test_add_chain(struct kvirtio_test_ring *r, u16 first,
			   const struct kvirtio_test_buf *bufs, u16 n)
{
	u16 mask = r->size - 1;
	u16 i, idx, flags;

	for (i = 0; i < n; i++) {
		idx = (first + i) & mask;
		flags = bufs[i].writable ? VRING_DESC_F_WRITE : 0;
		if (i + 1 < n)
			flags |= VRING_DESC_F_NEXT;
		kvirtio_test_set_desc(r, idx, bufs[i].addr, bufs[i].len, flags,
				      (first + i + 1) & mask);
	}
	return first & mask;
}

/**
 * kvirtio_test_write_table() - write an indirect table of @n entries
 * @tm: guest memory
 * @table: table gpa
 * @bufs: the buffers, linked 0 -> 1 -> ... -> n-1
 * @n: entries
 */
void kvirtio_test_write_table(struct kvirtio_test_mem *tm, u64 table,
			      const struct kvirtio_test_buf *bufs, u16 n)
{
	u16 i, flags;

	for (i = 0; i < n; i++) {
		flags = bufs[i].writable ? VRING_DESC_F_WRITE : 0;
		if (i + 1 < n)
			flags |= VRING_DESC_F_NEXT;
		kvirtio_test_write_desc(tm, table, i, bufs[i].addr,
					bufs[i].len, flags, i + 1);
	}
}

/* Put @head in the next avail slot; visible after ..._publish(). */
void kvirtio_test_avail_add(struct kvirtio_test_ring *r, u16 head)
{
	u64 slot = r->avail + 4 + 2ULL * (r->avail_idx & (r->size - 1));

	kvirtio_test_poke16(r->tm, slot, head);
	r->avail_idx++;
}

void kvirtio_test_avail_publish(struct kvirtio_test_ring *r)
{
	kvirtio_test_poke16(r->tm, r->avail + 2, r->avail_idx);
}

/* Store a raw avail->idx (hostile tests); the driver shadow follows it. */
void kvirtio_test_avail_set_idx(struct kvirtio_test_ring *r, u16 idx)
{
	r->avail_idx = idx;
	kvirtio_test_avail_publish(r);
}

void kvirtio_test_avail_set_flags(struct kvirtio_test_ring *r, u16 flags)
{
	kvirtio_test_poke16(r->tm, r->avail, flags);
}

void kvirtio_test_set_used_event(struct kvirtio_test_ring *r, u16 val)
{
	kvirtio_test_poke16(r->tm, r->avail + 4 + 2ULL * r->size, val);
}

u16 kvirtio_test_used_idx(struct kvirtio_test_ring *r)
{
	return kvirtio_test_peek16(r->tm, r->used + 2);
}

u16 kvirtio_test_used_flags(struct kvirtio_test_ring *r)
{
	return kvirtio_test_peek16(r->tm, r->used);
}

u16 kvirtio_test_avail_event(struct kvirtio_test_ring *r)
{
	return kvirtio_test_peek16(r->tm, r->used + 4 + 8ULL * r->size);
}

/**
 * kvirtio_test_used_get() - consume the next published used element
 * @r: the ring
 * @id: chain head from the element
 * @len: written length from the element
 *
 * Return: false when the device published nothing new.
 */
bool kvirtio_test_used_get(struct kvirtio_test_ring *r, u32 *id, u32 *len)
{
	u64 elem;

	if (kvirtio_test_used_idx(r) == r->last_used)
		return false;
	elem = r->used + 4 + 8ULL * (r->last_used & (r->size - 1));
	*id = kvirtio_test_peek32(r->tm, elem);
	*len = kvirtio_test_peek32(r->tm, elem + 4);
	r->last_used++;
	return true;
}
