/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio test double for guest memory, plus the driver-side ring helpers
 * a test needs to play the guest.
 *
 * Guest RAM is one flat host buffer of @size bytes at guest-physical
 * @base, optionally with holes (ranges that are not RAM, like an MMIO
 * window).  Every callback is counted, live ring maps are tracked so a
 * test can assert that none leaked, and a hook runs after each access so
 * a test can change guest memory between the engine's fetches (the guest
 * runs concurrently on real hardware).
 *
 * Built both into the KUnit kernel and into userspace (tools/): it uses
 * only compat.h.
 */
#ifndef KVIRTIO_TEST_MEM_H
#define KVIRTIO_TEST_MEM_H

#include "compat.h"
#include "guest_mem.h"
#include "virtqueue.h"

#define KVIRTIO_TEST_MEM_MAX_HOLES	4
#define KVIRTIO_TEST_MEM_MAX_MAPS	16

enum kvirtio_test_mem_access {
	KVIRTIO_TEST_MEM_MAP,
	KVIRTIO_TEST_MEM_RANGE_OK,
	KVIRTIO_TEST_MEM_READ,
	KVIRTIO_TEST_MEM_WRITE,
};

struct kvirtio_test_mem;

/*
 * Called after each map/range_ok/read/write with the access's range and
 * result (@ok: the access succeeded).  It may change guest memory.
 */
typedef void (*kvirtio_test_mem_hook_t)(struct kvirtio_test_mem *tm,
					enum kvirtio_test_mem_access kind,
					u64 gpa, u64 len, bool ok);

/**
 * struct kvirtio_test_mem - flat-buffer guest memory
 * @mem: what the core sees; pass &tm->mem
 * @buf: backing store of @size bytes (zeroed at init)
 * @base: guest-physical address of @buf[0]
 * @size: bytes of RAM (holes included)
 * @holes: ranges inside [@base, @base + @size) that are not RAM
 * @nr_holes: used entries of @holes
 * @map_calls: map_ring calls
 * @unmap_calls: unmap_ring calls
 * @range_ok_calls: range_ok calls
 * @read_calls: read calls
 * @write_calls: write calls
 * @live_maps: maps not yet unmapped (0 after a clean teardown)
 * @bad_unmaps: unmap_ring calls that matched no live map (must stay 0)
 * @map_fail_at: when nonzero, the map_ring call with this 1-based number
 *	fails (to test unwinding)
 * @read_bytes: bytes copied by read
 * @write_bytes: bytes copied by write
 * @hook: optional access hook; @hook_priv is the test's
 * @hook_priv: for @hook
 * @maps: live map records
 */
struct kvirtio_test_mem {
	struct kvirtio_guest_mem mem;
	u8 *buf;
	u64 base;
	u64 size;
	struct {
		u64 gpa;
		u64 len;
	} holes[KVIRTIO_TEST_MEM_MAX_HOLES];
	unsigned int nr_holes;
	unsigned int map_calls;
	unsigned int unmap_calls;
	unsigned int range_ok_calls;
	unsigned int read_calls;
	unsigned int write_calls;
	int live_maps;
	unsigned int bad_unmaps;
	unsigned int map_fail_at;
	u64 read_bytes;
	u64 write_bytes;
	kvirtio_test_mem_hook_t hook;
	void *hook_priv;
	struct {
		void *ptr;
		u64 gpa;
		u32 len;
	} maps[KVIRTIO_TEST_MEM_MAX_MAPS];
};

int kvirtio_test_mem_init(struct kvirtio_test_mem *tm, u64 base, u64 size);
void kvirtio_test_mem_destroy(struct kvirtio_test_mem *tm);
int kvirtio_test_mem_add_hole(struct kvirtio_test_mem *tm, u64 gpa, u64 len);
bool kvirtio_test_mem_is_ram(const struct kvirtio_test_mem *tm, u64 gpa,
			     u64 len);
void *kvirtio_test_mem_ptr(struct kvirtio_test_mem *tm, u64 gpa, u64 len);
void kvirtio_test_mem_reset_counters(struct kvirtio_test_mem *tm);

/* Raw guest stores and loads for test setup (not counted, no hook). */
void kvirtio_test_poke(struct kvirtio_test_mem *tm, u64 gpa, const void *src,
		       u32 len);
void kvirtio_test_peek(struct kvirtio_test_mem *tm, u64 gpa, void *dst,
		       u32 len);
void kvirtio_test_poke16(struct kvirtio_test_mem *tm, u64 gpa, u16 val);
u16 kvirtio_test_peek16(struct kvirtio_test_mem *tm, u64 gpa);
u32 kvirtio_test_peek32(struct kvirtio_test_mem *tm, u64 gpa);

/**
 * struct kvirtio_test_ring - the driver's view of one split ring
 * @tm: guest memory
 * @size: queue size
 * @desc: descriptor table gpa
 * @avail: driver area gpa
 * @used: device area gpa
 * @avail_idx: driver's next avail index (published by ..._publish)
 * @last_used: next used element the driver will consume
 */
struct kvirtio_test_ring {
	struct kvirtio_test_mem *tm;
	u16 size;
	u64 desc;
	u64 avail;
	u64 used;
	u16 avail_idx;
	u16 last_used;
};

/* One buffer of a chain being built. */
struct kvirtio_test_buf {
	u64 addr;
	u32 len;
	bool writable;
};

u64 kvirtio_test_ring_bytes(u16 size);
void kvirtio_test_ring_init(struct kvirtio_test_ring *r,
			    struct kvirtio_test_mem *tm, u16 size, u64 desc,
			    u64 avail, u64 used);
u64 kvirtio_test_ring_place(struct kvirtio_test_ring *r,
			    struct kvirtio_test_mem *tm, u16 size, u64 gpa);
void kvirtio_test_ring_config(const struct kvirtio_test_ring *r,
			      struct kvirtio_queue_config *cfg, u64 features,
			      u16 max_chain);

void kvirtio_test_write_desc(struct kvirtio_test_mem *tm, u64 table, u16 i,
			     u64 addr, u32 len, u16 flags, u16 next);
void kvirtio_test_set_desc(struct kvirtio_test_ring *r, u16 i, u64 addr,
			   u32 len, u16 flags, u16 next);
u16 kvirtio_test_add_chain(struct kvirtio_test_ring *r, u16 first,
			   const struct kvirtio_test_buf *bufs, u16 n);
void kvirtio_test_write_table(struct kvirtio_test_mem *tm, u64 table,
			      const struct kvirtio_test_buf *bufs, u16 n);

void kvirtio_test_avail_add(struct kvirtio_test_ring *r, u16 head);
void kvirtio_test_avail_publish(struct kvirtio_test_ring *r);
void kvirtio_test_avail_set_idx(struct kvirtio_test_ring *r, u16 idx);
void kvirtio_test_avail_set_flags(struct kvirtio_test_ring *r, u16 flags);
void kvirtio_test_set_used_event(struct kvirtio_test_ring *r, u16 val);

u16 kvirtio_test_used_idx(struct kvirtio_test_ring *r);
u16 kvirtio_test_used_flags(struct kvirtio_test_ring *r);
u16 kvirtio_test_avail_event(struct kvirtio_test_ring *r);
bool kvirtio_test_used_get(struct kvirtio_test_ring *r, u32 *id, u32 *len);

#endif /* KVIRTIO_TEST_MEM_H */
