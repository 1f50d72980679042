// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the kvirtio virtqueue engine.
 *
 * The test plays a hostile guest: it writes rings and descriptors into a
 * flat-buffer guest memory (kvirtio_test_mem) and checks that each ring
 * rule of shared/notes/virtio-device-rules.md is enforced with the
 * documented errno, that a violation breaks the queue for good, that no
 * ring map leaks and that each guest field is fetched once.  Most
 * violation cases also run a control: the same layout with the one bad
 * field made good must pop, so a test cannot pass by refusing everything.
 */
#include <kunit/test.h>

#include "compat.h"
#include "virtqueue.h"
#include "kvirtio_test_mem.h"

#define T_BASE		0x10000000ULL		/* guest RAM starts here */
#define T_RAM		0x200000ULL		/* 2 MiB of RAM */
#define T_DATA		(T_BASE + 0x100000)	/* buffer area */
#define T_HOLE		(T_BASE + 0x1c0000)	/* 4 KiB not-RAM window */
#define T_HOLE_LEN	0x1000ULL
#define T_TABLE		(T_BASE + 0x180000)	/* indirect tables here */
#define T_DESCS		64			/* default chain capacity */

#define F_EVENT_IDX	BIT_ULL(VIRTIO_RING_F_EVENT_IDX)
#define F_INDIRECT	BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC)

struct vq_fix {
	struct kvirtio_test_mem tm;
	struct kvirtio_test_ring r;
	struct kvirtio_queue vq;
	struct kvirtio_queue_config cfg;
	struct kvirtio_chain chain;
	struct kvirtio_desc descs[T_DESCS];
};

static int vq_test_init(struct kunit *test)
{
	struct vq_fix *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_ASSERT_EQ(test, kvirtio_test_mem_init(&f->tm, T_BASE, T_RAM), 0);
	KUNIT_ASSERT_EQ(test, kvirtio_test_mem_add_hole(&f->tm, T_HOLE,
							T_HOLE_LEN), 0);
	f->chain.descs = f->descs;
	f->chain.capacity = T_DESCS;
	test->priv = f;
	return 0;
}

static void vq_test_exit(struct kunit *test)
{
	struct vq_fix *f = test->priv;

	kvirtio_queue_teardown(&f->vq);
	/* Whatever the test did, no ring map may outlive the queue. */
	KUNIT_EXPECT_EQ(test, f->tm.live_maps, 0);
	KUNIT_EXPECT_EQ(test, f->tm.bad_unmaps, 0U);
	kvirtio_test_mem_destroy(&f->tm);
}

/* Lay out a ring of @size at T_BASE and set the queue up. */
static void fix_setup(struct kunit *test, u16 size, u64 features,
		      u16 max_chain)
{
	struct vq_fix *f = test->priv;

	kvirtio_test_ring_place(&f->r, &f->tm, size, T_BASE);
	kvirtio_test_ring_config(&f->r, &f->cfg, features, max_chain);
	KUNIT_ASSERT_EQ(test, kvirtio_queue_setup(&f->vq, &f->tm.mem, &f->cfg),
			0);
	KUNIT_ASSERT_TRUE(test, kvirtio_queue_ready(&f->vq));
}

/* Make descriptor @head available and publish it. */
static void fix_offer(struct vq_fix *f, u16 head)
{
	kvirtio_test_avail_add(&f->r, head);
	kvirtio_test_avail_publish(&f->r);
}

static int fix_pop(struct vq_fix *f)
{
	return kvirtio_queue_pop(&f->vq, &f->chain);
}

/*
 * The pop that just ran found a violation: check the errno, the broken
 * state, that it is counted once, and that the queue refuses further work
 * without touching the used ring.
 */
static void expect_broken(struct kunit *test, int ret, int err)
{
	struct vq_fix *f = test->priv;
	u16 used = kvirtio_test_used_idx(&f->r);

	KUNIT_EXPECT_EQ(test, ret, err);
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_broken(&f->vq));
	KUNIT_EXPECT_EQ(test, f->vq.error, err);
	KUNIT_EXPECT_NOT_NULL(test, f->vq.error_msg);
	KUNIT_EXPECT_EQ(test, f->vq.stats.errors, 1ULL);
	KUNIT_EXPECT_EQ(test, fix_pop(f), -EIO);
	KUNIT_EXPECT_EQ(test, kvirtio_queue_push(&f->vq, 0, 0), -EIO);
	kvirtio_queue_flush(&f->vq);
	KUNIT_EXPECT_FALSE(test, kvirtio_queue_should_notify(&f->vq));
	KUNIT_EXPECT_FALSE(test, kvirtio_queue_has_avail(&f->vq));
	KUNIT_EXPECT_FALSE(test, kvirtio_queue_enable_notify(&f->vq));
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), used);
	KUNIT_EXPECT_EQ(test, f->vq.stats.errors, 1ULL);
}

static void expect_msg(struct kunit *test, const char *part)
{
	struct vq_fix *f = test->priv;

	KUNIT_ASSERT_NOT_NULL(test, f->vq.error_msg);
	KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(f->vq.error_msg, part),
				  "error_msg \"%s\" lacks \"%s\"",
				  f->vq.error_msg, part);
}

/* Tear down and set up again (same ring) for a control run. */
static void fix_reset(struct kunit *test, u16 size, u64 features,
		      u16 max_chain)
{
	struct vq_fix *f = test->priv;

	kvirtio_queue_teardown(&f->vq);
	KUNIT_ASSERT_EQ(test, f->tm.live_maps, 0);
	fix_setup(test, size, features, max_chain);
}

/* ---- Queue configuration ------------------------------------------------ */

static const u16 bad_sizes[] = { 0, 3, 6, 100, 255, 32769, 49152, 65535 };

static void bad_size_desc(const u16 *p, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "size %u", *p);
}

KUNIT_ARRAY_PARAM(bad_size, bad_sizes, bad_size_desc);

static void vq_test_size_invalid(struct kunit *test)
{
	struct vq_fix *f = test->priv;
	const u16 *size = test->param_value;

	kvirtio_test_ring_place(&f->r, &f->tm, 4, T_BASE);
	kvirtio_test_ring_config(&f->r, &f->cfg, 0, 0);
	f->cfg.size = *size;
	KUNIT_EXPECT_EQ(test, kvirtio_queue_check_config(&f->cfg, &f->tm.mem),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, kvirtio_queue_setup(&f->vq, &f->tm.mem, &f->cfg),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, f->vq.state, KVIRTIO_QUEUE_DISABLED);
	KUNIT_EXPECT_EQ(test, f->tm.map_calls, 0U);
}

static const u16 good_sizes[] = { 1, 2, 256, 32768 };

static void size_desc(const u16 *p, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "size %u", *p);
}

KUNIT_ARRAY_PARAM(good_size, good_sizes, size_desc);

static void vq_test_size_valid(struct kunit *test)
{
	struct vq_fix *f = test->priv;
	const u16 *size = test->param_value;

	fix_setup(test, *size, 0, 0);
	KUNIT_EXPECT_EQ(test, f->tm.map_calls, 3U);
	KUNIT_EXPECT_EQ(test, f->tm.live_maps, 3);
	KUNIT_EXPECT_EQ(test, f->vq.max_chain, *size);
	kvirtio_queue_teardown(&f->vq);
	KUNIT_EXPECT_EQ(test, f->tm.unmap_calls, 3U);
	KUNIT_EXPECT_EQ(test, f->tm.live_maps, 0);
	KUNIT_EXPECT_EQ(test, f->vq.state, KVIRTIO_QUEUE_DISABLED);
}

struct ring_case {
	const char *name;
	s64 desc_off;	/* added to the good address */
	s64 avail_off;
	s64 used_off;
	u64 desc_abs;	/* when nonzero, replaces the address */
	u64 avail_abs;
	u64 used_abs;
	int err;
};

static const struct ring_case ring_cases[] = {
	{ "desc 8-aligned", .desc_off = 8, .err = -EINVAL },
	{ "desc odd", .desc_off = 1, .err = -EINVAL },
	{ "avail odd", .avail_off = 1, .err = -EINVAL },
	{ "used 2-aligned", .used_off = 2, .err = -EINVAL },
	{ "used odd", .used_off = 1, .err = -EINVAL },
	{ "desc below RAM", .desc_abs = T_BASE - 0x1000, .err = -EFAULT },
	{ "desc straddles RAM start", .desc_abs = T_BASE - 16, .err = -EFAULT },
	{ "avail past RAM", .avail_abs = T_BASE + T_RAM, .err = -EFAULT },
	{ "used straddles RAM end", .used_abs = T_BASE + T_RAM - 16,
	  .err = -EFAULT },
	{ "desc straddles hole", .desc_abs = T_HOLE - 64, .err = -EFAULT },
	{ "avail inside hole", .avail_abs = T_HOLE + 0x100, .err = -EFAULT },
	{ "used straddles hole end", .used_abs = T_HOLE + T_HOLE_LEN - 8,
	  .err = -EFAULT },
	{ "desc wraps 2^64", .desc_abs = 0xfffffffffffffff0ULL,
	  .err = -EFAULT },
	{ "used wraps 2^64", .used_abs = 0xfffffffffffffffcULL,
	  .err = -EFAULT },
};

static void ring_case_desc(const struct ring_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ring_case, ring_cases, ring_case_desc);

static void vq_test_ring_bad(struct kunit *test)
{
	const struct ring_case *c = test->param_value;
	struct vq_fix *f = test->priv;

	kvirtio_test_ring_place(&f->r, &f->tm, 64, T_BASE);
	kvirtio_test_ring_config(&f->r, &f->cfg, 0, 0);
	/* Control: the untouched layout is valid. */
	KUNIT_ASSERT_EQ(test, kvirtio_queue_check_config(&f->cfg, &f->tm.mem),
			0);
	f->cfg.desc = c->desc_abs ? c->desc_abs : f->cfg.desc + c->desc_off;
	f->cfg.avail = c->avail_abs ? c->avail_abs :
		       f->cfg.avail + c->avail_off;
	f->cfg.used = c->used_abs ? c->used_abs : f->cfg.used + c->used_off;
	KUNIT_EXPECT_EQ(test, kvirtio_queue_check_config(&f->cfg, &f->tm.mem),
			c->err);
	KUNIT_EXPECT_EQ(test, kvirtio_queue_setup(&f->vq, &f->tm.mem, &f->cfg),
			c->err);
	KUNIT_EXPECT_EQ(test, f->vq.state, KVIRTIO_QUEUE_DISABLED);
	KUNIT_EXPECT_EQ(test, f->tm.map_calls, 0U);
	KUNIT_EXPECT_EQ(test, f->tm.live_maps, 0);
}

static const unsigned int map_fail_steps[] = { 1, 2, 3 };

static void map_fail_desc(const unsigned int *p, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "map %u fails", *p);
}

KUNIT_ARRAY_PARAM(map_fail, map_fail_steps, map_fail_desc);

static void vq_test_map_failure_unwinds(struct kunit *test)
{
	const unsigned int *step = test->param_value;
	struct vq_fix *f = test->priv;

	kvirtio_test_ring_place(&f->r, &f->tm, 16, T_BASE);
	kvirtio_test_ring_config(&f->r, &f->cfg, 0, 0);
	f->tm.map_fail_at = *step;
	KUNIT_EXPECT_EQ(test, kvirtio_queue_setup(&f->vq, &f->tm.mem, &f->cfg),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, f->vq.state, KVIRTIO_QUEUE_DISABLED);
	KUNIT_EXPECT_EQ(test, f->tm.map_calls, *step);
	KUNIT_EXPECT_EQ(test, f->tm.unmap_calls, *step - 1);
	KUNIT_EXPECT_EQ(test, f->tm.live_maps, 0);
	/* A later setup works. */
	f->tm.map_fail_at = 0;
	KUNIT_EXPECT_EQ(test, kvirtio_queue_setup(&f->vq, &f->tm.mem, &f->cfg),
			0);
}

static void vq_test_setup_busy_and_teardown_idempotent(struct kunit *test)
{
	struct vq_fix *f = test->priv;

	kvirtio_queue_teardown(&f->vq);		/* on a DISABLED queue */
	KUNIT_EXPECT_EQ(test, f->tm.unmap_calls, 0U);
	fix_setup(test, 8, 0, 0);
	KUNIT_EXPECT_EQ(test, kvirtio_queue_setup(&f->vq, &f->tm.mem, &f->cfg),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, f->tm.live_maps, 3);
	kvirtio_queue_teardown(&f->vq);
	kvirtio_queue_teardown(&f->vq);
	KUNIT_EXPECT_EQ(test, f->tm.unmap_calls, 3U);
	KUNIT_EXPECT_EQ(test, f->tm.live_maps, 0);
	KUNIT_EXPECT_EQ(test, fix_pop(f), -EIO);
}

static void vq_test_setup_resets_device_area(struct kunit *test)
{
	struct vq_fix *f = test->priv;

	/* A driver that left garbage in the device area. */
	kvirtio_test_ring_place(&f->r, &f->tm, 8, T_BASE);
	kvirtio_test_poke16(&f->tm, f->r.used, 0xffff);
	kvirtio_test_poke16(&f->tm, f->r.used + 2, 0x1234);
	kvirtio_test_poke16(&f->tm, f->r.used + 4 + 8 * 8, 0x4321);
	kvirtio_test_ring_config(&f->r, &f->cfg, F_EVENT_IDX, 0);
	KUNIT_ASSERT_EQ(test, kvirtio_queue_setup(&f->vq, &f->tm.mem, &f->cfg),
			0);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_flags(&f->r), 0);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 0);
	KUNIT_EXPECT_EQ(test, kvirtio_test_avail_event(&f->r), 0);
	KUNIT_EXPECT_TRUE(test, f->vq.event_idx);
	KUNIT_EXPECT_FALSE(test, f->vq.indirect);
}

/*
 * A queue resumed at a base index (vDPA set_vq_state): the engine starts
 * there, publishes it as used->idx and avail_event, pops the entry at the
 * base, and still refuses an avail->idx more than size ahead of it.
 */
static void vq_test_setup_at_base(struct kunit *test)
{
	struct vq_fix *f = test->priv;

	kvirtio_test_ring_place(&f->r, &f->tm, 4, T_BASE);
	kvirtio_test_ring_config(&f->r, &f->cfg, F_EVENT_IDX, 0);
	f->cfg.last_avail_idx = 0xfffe;
	f->cfg.used_idx = 0xfffe;
	KUNIT_ASSERT_EQ(test, kvirtio_queue_setup(&f->vq, &f->tm.mem, &f->cfg),
			0);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 0xfffe);
	KUNIT_EXPECT_EQ(test, kvirtio_test_avail_event(&f->r), 0xfffe);
	/* The driver's ring is at the same place: nothing pending yet. */
	kvirtio_test_avail_set_idx(&f->r, 0xfffe);
	KUNIT_EXPECT_EQ(test, fix_pop(f), -EAGAIN);

	/* Two chains across the 16-bit wrap. */
	kvirtio_test_set_desc(&f->r, 1, T_DATA, 8, 0, 0);
	kvirtio_test_set_desc(&f->r, 3, T_DATA, 8, 0, 0);
	fix_offer(f, 1);
	fix_offer(f, 3);
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_EXPECT_EQ(test, f->chain.head, 1);
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_EXPECT_EQ(test, f->chain.head, 3);
	KUNIT_EXPECT_EQ(test, kvirtio_queue_push(&f->vq, 1, 0), 0);
	KUNIT_EXPECT_EQ(test, kvirtio_queue_push(&f->vq, 3, 0), 0);
	kvirtio_queue_flush(&f->vq);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 0);
	KUNIT_EXPECT_EQ(test, f->vq.last_avail_idx, 0);

	/* Relative to the base, 5 ahead of a size-4 queue is a violation. */
	kvirtio_test_avail_set_idx(&f->r, 5);
	expect_broken(test, fix_pop(f), -ERANGE);
}

static void vq_test_device_break(struct kunit *test)
{
	struct vq_fix *f = test->priv;

	/* Breaking a DISABLED queue records nothing. */
	kvirtio_queue_break(&f->vq, -EIO, "device saw a bad request");
	KUNIT_EXPECT_EQ(test, f->vq.state, KVIRTIO_QUEUE_DISABLED);
	KUNIT_EXPECT_EQ(test, f->vq.stats.errors, 0ULL);
	fix_setup(test, 8, 0, 0);
	/* A non-negative code from a device still reads as an error. */
	kvirtio_queue_break(&f->vq, 5, "device saw a bad request");
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_broken(&f->vq));
	KUNIT_EXPECT_EQ(test, f->vq.error, -EINVAL);
	KUNIT_EXPECT_STREQ(test, f->vq.error_msg, "device saw a bad request");
	KUNIT_EXPECT_EQ(test, fix_pop(f), -EIO);
}

/* ---- avail ring and indices --------------------------------------------- */

static void vq_test_empty_is_eagain(struct kunit *test)
{
	struct vq_fix *f = test->priv;

	fix_setup(test, 8, 0, 0);
	KUNIT_EXPECT_EQ(test, fix_pop(f), -EAGAIN);
	KUNIT_EXPECT_FALSE(test, kvirtio_queue_has_avail(&f->vq));
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_ready(&f->vq));
}

static const u16 ahead_by[] = { 9, 16, 0x8000, 0xffff };

static void ahead_desc(const u16 *p, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "avail.idx ahead by %u", *p);
}

KUNIT_ARRAY_PARAM(ahead, ahead_by, ahead_desc);

static void vq_test_avail_idx_too_far(struct kunit *test)
{
	const u16 *ahead = test->param_value;
	struct vq_fix *f = test->priv;
	u16 i;

	fix_setup(test, 8, 0, 0);
	for (i = 0; i < 8; i++)
		kvirtio_test_set_desc(&f->r, i, T_DATA, 16, 0, 0);
	/* Control: exactly size ahead is legal: all 8 pop. */
	kvirtio_test_avail_set_idx(&f->r, 8);
	for (i = 0; i < 8; i++) {
		KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
		KUNIT_ASSERT_EQ(test, kvirtio_queue_push(&f->vq, f->chain.head,
							 0), 0);
	}
	KUNIT_EXPECT_EQ(test, fix_pop(f), -EAGAIN);
	kvirtio_test_avail_set_idx(&f->r, 8 + *ahead);
	expect_broken(test, fix_pop(f), -ERANGE);
	expect_msg(test, "avail.idx");
}

static void vq_test_avail_idx_wraps(struct kunit *test)
{
	struct vq_fix *f = test->priv;
	u32 n;

	/* Run the free-running indices through 0xffff -> 0 for real. */
	fix_setup(test, 4, 0, 0);
	kvirtio_test_set_desc(&f->r, 2, T_DATA, 8, 0, 0);
	for (n = 0; n < 0x10000 + 5; n++) {
		fix_offer(f, 2);
		KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
		KUNIT_ASSERT_EQ(test, kvirtio_queue_push(&f->vq, 2, 0), 0);
		kvirtio_queue_flush(&f->vq);
	}
	KUNIT_EXPECT_EQ(test, f->vq.last_avail_idx, 5);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 5);
	KUNIT_EXPECT_EQ(test, f->vq.inflight, 0U);
}

/*
 * Chain shapes: a few ring descriptors and indirect entries (at T_TABLE),
 * one head made available, and the outcome.  Each violation sits next to
 * its control, the nearest legal shape, which must pop.
 */
struct chain_desc {
	u16 i;
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};

struct chain_case {
	const char *name;
	u16 size;
	u64 features;
	u16 max_chain;
	struct chain_desc ring[4];
	struct chain_desc table[4];
	u16 head;
	int err;		/* 0: must pop */
	const char *msg;	/* part of the error message */
	u16 num;		/* descriptors in the chain (on ELOOP: walked) */
};

#define NX	VRING_DESC_F_NEXT
#define WR	VRING_DESC_F_WRITE
#define IN	VRING_DESC_F_INDIRECT
#define D(idx, a, l, f, n)	{ .i = idx, .addr = a, .len = l, .flags = f, .next = n }

static const struct chain_case chain_cases[] = {
	{ "head size-1", 8, 0, 0, { D(7, T_DATA, 16, 0, 0) }, {}, 7, 0, NULL,
	  1 },
	{ "head == size", 8, 0, 0, { D(7, T_DATA, 16, 0, 0) }, {}, 8, -ERANGE,
	  "head", 0 },
	{ "head 0xffff", 8, 0, 0, {}, {}, 0xffff, -ERANGE, "head", 0 },
	{ "next size-1", 8, 0, 0,
	  { D(0, T_DATA, 16, NX, 7), D(7, T_DATA, 16, 0, 0) }, {}, 0, 0, NULL,
	  2 },
	{ "next == size", 8, 0, 0, { D(3, T_DATA, 16, NX, 8) }, {}, 3, -ERANGE,
	  "next", 0 },
	{ "next size+1", 8, 0, 0, { D(3, T_DATA, 16, NX, 9) }, {}, 3, -ERANGE,
	  "next", 0 },
	{ "next 0x8000", 8, 0, 0, { D(3, T_DATA, 16, NX, 0x8000) }, {}, 3,
	  -ERANGE, "next", 0 },
	{ "next 0xffff", 8, 0, 0, { D(3, T_DATA, 16, NX, 0xffff) }, {}, 3,
	  -ERANGE, "next", 0 },
	/* Caps above the size so that the loop bound, not E2BIG, trips. */
	{ "loop 0-1-2-0", 16, 0, 32,
	  { D(0, T_DATA, 4, NX, 1), D(1, T_DATA, 4, NX, 2),
	    D(2, T_DATA, 4, NX, 0) }, {}, 0, -ELOOP, "loops", 16 },
	{ "self loop", 16, 0, 32, { D(5, T_DATA, 4, NX, 5) }, {}, 5, -ELOOP,
	  "loops", 16 },
	{ "R W", 8, 0, 0, { D(0, T_DATA, 8, NX, 1), D(1, T_DATA + 8, 8, WR, 0) },
	  {}, 0, 0, NULL, 2 },
	{ "R W R", 8, 0, 0,
	  { D(0, T_DATA, 8, NX, 1), D(1, T_DATA + 8, 8, WR | NX, 2),
	    D(2, T_DATA + 16, 8, 0, 0) }, {}, 0, -EPROTO, "readable", 0 },
	{ "indirect R W", 8, F_INDIRECT, 0, { D(0, T_TABLE, 32, IN, 0) },
	  { D(0, T_DATA, 8, NX, 1), D(1, T_DATA + 8, 8, WR, 0) }, 0, 0, NULL,
	  2 },
	{ "indirect W R W", 8, F_INDIRECT, 0, { D(0, T_TABLE, 48, IN, 0) },
	  { D(0, T_DATA, 8, WR | NX, 1), D(1, T_DATA + 8, 8, NX, 2),
	    D(2, T_DATA + 16, 8, WR, 0) }, 0, -EPROTO, "readable", 0 },
	{ "direct W then indirect R", 8, F_INDIRECT, 0,
	  { D(2, T_DATA, 1, WR | NX, 1), D(1, T_TABLE, 16, IN, 0) },
	  { D(0, T_DATA + 8, 8, 0, 0) }, 2, -EPROTO, "readable", 0 },
	{ "indirect nested", 8, F_INDIRECT, 0, { D(0, T_TABLE, 32, IN, 0) },
	  { D(0, T_DATA, 8, NX, 1), D(1, T_TABLE + 64, 16, IN, 0) }, 0,
	  -EINVAL, "nested", 0 },
	{ "indirect next == entries", 8, F_INDIRECT, 0,
	  { D(0, T_TABLE, 32, IN, 0) },
	  { D(0, T_DATA, 8, NX, 2), D(1, T_DATA, 8, 0, 0),
	    D(2, T_DATA, 8, 0, 0) }, 0, -ERANGE, "indirect next", 0 },
	{ "indirect next last", 8, F_INDIRECT, 0, { D(0, T_TABLE, 48, IN, 0) },
	  { D(0, T_DATA, 8, NX, 2), D(1, T_DATA, 8, 0, 0),
	    D(2, T_DATA, 8, 0, 0) }, 0, 0, NULL, 2 },
	{ "indirect loop", 8, F_INDIRECT, 64, { D(0, T_TABLE, 32, IN, 0) },
	  { D(0, T_DATA, 8, NX, 1), D(1, T_DATA, 8, NX, 0) }, 0, -ELOOP,
	  "indirect table loops", 2 },
};

static void chain_case_desc(const struct chain_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(chain_case, chain_cases, chain_case_desc);

static void vq_test_chain_shape(struct kunit *test)
{
	const struct chain_case *c = test->param_value;
	struct vq_fix *f = test->priv;
	const struct chain_desc *d;
	unsigned int i;

	fix_setup(test, c->size, c->features, c->max_chain);
	for (i = 0; i < ARRAY_SIZE(c->ring); i++) {
		d = &c->ring[i];
		if (d->addr)
			kvirtio_test_set_desc(&f->r, d->i, d->addr, d->len,
					      d->flags, d->next);
	}
	for (i = 0; i < ARRAY_SIZE(c->table); i++) {
		d = &c->table[i];
		if (d->addr)
			kvirtio_test_write_desc(&f->tm, T_TABLE, d->i, d->addr,
						d->len, d->flags, d->next);
	}
	fix_offer(f, c->head);
	if (!c->err) {
		KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
		KUNIT_EXPECT_EQ(test, f->chain.head, c->head);
		KUNIT_EXPECT_EQ(test, f->chain.num, c->num);
		KUNIT_EXPECT_TRUE(test, kvirtio_queue_ready(&f->vq));
		return;
	}
	expect_broken(test, fix_pop(f), c->err);
	expect_msg(test, c->msg);
	if (c->err == -ELOOP) {
		/* The walk stopped at its bound, no further. */
		KUNIT_EXPECT_EQ(test, f->chain.num, c->num);
		if (c->features & F_INDIRECT)	/* each entry fetched once */
			KUNIT_EXPECT_EQ(test, f->tm.read_calls, (u32)c->num);
	}
}

static void vq_test_chain_longer_than_capacity(struct kunit *test)
{
	struct kvirtio_test_buf bufs[5];
	struct vq_fix *f = test->priv;
	int i;

	for (i = 0; i < 5; i++)
		bufs[i] = (struct kvirtio_test_buf){ T_DATA + 64 * i, 64,
						     i >= 3 };
	fix_setup(test, 16, 0, 0);
	f->chain.capacity = 5;			/* control: fits exactly */
	kvirtio_test_add_chain(&f->r, 0, bufs, 5);
	fix_offer(f, 0);
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_EXPECT_EQ(test, f->chain.num, 5);
	f->chain.capacity = 4;
	kvirtio_test_add_chain(&f->r, 8, bufs, 5);
	fix_offer(f, 8);
	expect_broken(test, fix_pop(f), -E2BIG);
}

static void vq_test_chain_longer_than_max_chain(struct kunit *test)
{
	struct kvirtio_test_buf bufs[5];
	struct vq_fix *f = test->priv;
	int i;

	for (i = 0; i < 5; i++)
		bufs[i] = (struct kvirtio_test_buf){ T_DATA, 1, false };
	fix_setup(test, 16, 0, 5);		/* device cap 5 */
	kvirtio_test_add_chain(&f->r, 0, bufs, 5);
	fix_offer(f, 0);
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	fix_reset(test, 16, 0, 4);
	kvirtio_test_add_chain(&f->r, 0, bufs, 5);
	fix_offer(f, 0);
	expect_broken(test, fix_pop(f), -E2BIG);
	expect_msg(test, "longer");
}

/* ---- Indirect tables ---------------------------------------------------- */

static void vq_test_indirect_not_negotiated(struct kunit *test)
{
	struct kvirtio_test_buf b = { T_DATA, 32, false };
	struct vq_fix *f = test->priv;

	kvirtio_test_write_table(&f->tm, T_TABLE, &b, 1);
	fix_setup(test, 8, F_INDIRECT, 0);	/* control */
	kvirtio_test_set_desc(&f->r, 0, T_TABLE, 16, VRING_DESC_F_INDIRECT, 0);
	fix_offer(f, 0);
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_EXPECT_EQ(test, f->chain.num, 1);
	fix_reset(test, 8, 0, 0);
	kvirtio_test_set_desc(&f->r, 0, T_TABLE, 16, VRING_DESC_F_INDIRECT, 0);
	fix_offer(f, 0);
	expect_broken(test, fix_pop(f), -EINVAL);
	expect_msg(test, "not negotiated");
}

struct ind_case {
	const char *name;
	u64 addr;
	u32 len;
	u16 flags;	/* besides INDIRECT */
	int err;
	const char *msg;
};

static const struct ind_case ind_cases[] = {
	{ "len 0", T_TABLE, 0, 0, -EINVAL, "length" },
	{ "len 24", T_TABLE, 24, 0, -EINVAL, "length" },
	{ "len 15", T_TABLE, 15, 0, -EINVAL, "length" },
	{ "1025 entries", T_TABLE, 16 * (KVIRTIO_INDIRECT_MAX + 1), 0, -E2BIG,
	  "too large" },
	{ "len 0xfffffff0", T_TABLE, 0xfffffff0, 0, -E2BIG, "too large" },
	{ "INDIRECT|NEXT", T_TABLE, 32, VRING_DESC_F_NEXT, -EINVAL, "NEXT" },
	{ "table in hole", T_HOLE, 32, 0, -EFAULT, "indirect table" },
	{ "table straddles hole", T_HOLE - 16, 32, 0, -EFAULT,
	  "indirect table" },
	{ "table past RAM", T_BASE + T_RAM - 16, 32, 0, -EFAULT,
	  "indirect table" },
	{ "table below RAM", T_BASE - 32, 32, 0, -EFAULT, "indirect table" },
	{ "table wraps", 0xfffffffffffffff0ULL, 32, 0, -EFAULT,
	  "indirect table" },
};

static void ind_case_desc(const struct ind_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(ind_case, ind_cases, ind_case_desc);

static void vq_test_indirect_bad(struct kunit *test)
{
	const struct ind_case *c = test->param_value;
	struct kvirtio_test_buf b[2] = {
		{ T_DATA, 32, false }, { T_DATA + 32, 32, true },
	};
	struct vq_fix *f = test->priv;

	fix_setup(test, 8, F_INDIRECT, 0);
	kvirtio_test_write_table(&f->tm, T_TABLE, b, 2);
	kvirtio_test_set_desc(&f->r, 0, T_TABLE, 32, VRING_DESC_F_INDIRECT, 0);
	fix_offer(f, 0);			/* control */
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_EXPECT_EQ(test, f->chain.num, 2);
	kvirtio_test_set_desc(&f->r, 1, c->addr, c->len,
			      VRING_DESC_F_INDIRECT | c->flags, 2);
	kvirtio_test_set_desc(&f->r, 2, T_DATA, 8, 0, 0);
	fix_offer(f, 1);
	expect_broken(test, fix_pop(f), c->err);
	expect_msg(test, c->msg);
}

static void vq_test_indirect_max_entries(struct kunit *test)
{
	struct vq_fix *f = test->priv;
	struct kvirtio_desc *descs;
	u16 i;

	descs = kunit_kcalloc(test, KVIRTIO_INDIRECT_MAX, sizeof(*descs),
			      GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, descs);
	f->chain.descs = descs;
	f->chain.capacity = KVIRTIO_INDIRECT_MAX;
	fix_setup(test, 8, F_INDIRECT, KVIRTIO_INDIRECT_MAX);
	for (i = 0; i < KVIRTIO_INDIRECT_MAX; i++)
		kvirtio_test_write_desc(&f->tm, T_TABLE, i, T_DATA + i, 1,
					i + 1 < KVIRTIO_INDIRECT_MAX ?
					VRING_DESC_F_NEXT : 0, i + 1);
	kvirtio_test_set_desc(&f->r, 0, T_TABLE, 16 * KVIRTIO_INDIRECT_MAX,
			      VRING_DESC_F_INDIRECT, 0);
	fix_offer(f, 0);
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_EXPECT_EQ(test, f->chain.num, KVIRTIO_INDIRECT_MAX);
	KUNIT_EXPECT_EQ(test, f->chain.readable_len, (u32)KVIRTIO_INDIRECT_MAX);
	KUNIT_EXPECT_EQ(test, f->chain.descs[1023].addr, T_DATA + 1023);
	/* Every entry was read exactly once, in one read each. */
	KUNIT_EXPECT_EQ(test, f->tm.read_calls, (unsigned int)KVIRTIO_INDIRECT_MAX);
	KUNIT_EXPECT_EQ(test, f->tm.read_bytes, 16ULL * KVIRTIO_INDIRECT_MAX);
}

static void vq_test_indirect_happy(struct kunit *test)
{
	struct vq_fix *f = test->priv;
	static const u16 order[] = { 0, 3, 1, 4, 2 };	/* next links */
	int i;

	fix_setup(test, 8, F_INDIRECT, 0);
	/* Entries linked out of table order: the walk follows next. */
	for (i = 0; i < 5; i++) {
		u16 flags = i < 4 ? VRING_DESC_F_NEXT : 0;

		if (i >= 3)
			flags |= VRING_DESC_F_WRITE;
		kvirtio_test_write_desc(&f->tm, T_TABLE, order[i],
					T_DATA + 0x100 * i, 0x10 + i, flags,
					i < 4 ? order[i + 1] : 0);
	}
	/* WRITE on the indirect descriptor itself is ignored. */
	kvirtio_test_set_desc(&f->r, 6, T_TABLE, 16 * 5,
			      VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE, 0);
	fix_offer(f, 6);
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_EXPECT_EQ(test, f->chain.head, 6);
	KUNIT_EXPECT_EQ(test, f->chain.num, 5);
	KUNIT_EXPECT_EQ(test, f->chain.num_readable, 3);
	for (i = 0; i < 5; i++) {
		KUNIT_EXPECT_EQ(test, f->chain.descs[i].addr,
				T_DATA + 0x100 * i);
		KUNIT_EXPECT_EQ(test, f->chain.descs[i].len, 0x10U + i);
		KUNIT_EXPECT_EQ(test, f->chain.descs[i].writable, i >= 3);
	}
	KUNIT_EXPECT_EQ(test, f->chain.readable_len, 0x10U + 0x11 + 0x12);
	KUNIT_EXPECT_EQ(test, f->chain.writable_len, 0x13U + 0x14);
}

static void vq_test_mixed_direct_indirect(struct kunit *test)
{
	struct kvirtio_test_buf tbl[3] = {
		{ T_DATA + 0x200, 3, false },
		{ T_DATA + 0x300, 4, true },
		{ T_DATA + 0x400, 5, true },
	};
	struct vq_fix *f = test->priv;

	fix_setup(test, 8, F_INDIRECT, 0);
	kvirtio_test_write_table(&f->tm, T_TABLE, tbl, 3);
	kvirtio_test_set_desc(&f->r, 2, T_DATA, 1, VRING_DESC_F_NEXT, 5);
	kvirtio_test_set_desc(&f->r, 5, T_DATA + 0x100, 2, VRING_DESC_F_NEXT,
			      1);
	kvirtio_test_set_desc(&f->r, 1, T_TABLE, 48, VRING_DESC_F_INDIRECT, 0);
	fix_offer(f, 2);
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_EXPECT_EQ(test, f->chain.num, 5);
	KUNIT_EXPECT_EQ(test, f->chain.num_readable, 3);
	KUNIT_EXPECT_EQ(test, f->chain.readable_len, 6U);
	KUNIT_EXPECT_EQ(test, f->chain.writable_len, 9U);
	KUNIT_EXPECT_EQ(test, f->chain.descs[2].addr, T_DATA + 0x200);
	KUNIT_EXPECT_TRUE(test, f->chain.descs[4].writable);
}

/* ---- Direction, lengths and addresses ----------------------------------- */

/*
 * Chains of 2 MiB buffers (all of RAM) sum past 2^32 at the 2048th; the
 * last buffer's length is the parameter.
 */
static const u32 sum_last_lens[] = { 0x1fffff, 0x200000, 0xffffffff };

static void sum_desc(const u32 *p, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "2047 x 2MiB + %#x", *p);
}

KUNIT_ARRAY_PARAM(sum_last, sum_last_lens, sum_desc);

static void vq_test_length_overflow(struct kunit *test)
{
	const u32 *last = test->param_value;
	struct vq_fix *f = test->priv;
	struct kvirtio_desc *descs;
	u16 i;

	descs = kunit_kcalloc(test, 2048, sizeof(*descs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, descs);
	f->chain.descs = descs;
	f->chain.capacity = 2048;
	/* No hole: every buffer covers all of RAM. */
	f->tm.nr_holes = 0;
	fix_setup(test, 2048, 0, 0);
	for (i = 0; i < 2047; i++)
		kvirtio_test_set_desc(&f->r, i, T_BASE, T_RAM,
				      VRING_DESC_F_NEXT, i + 1);
	kvirtio_test_set_desc(&f->r, 2047, T_BASE, *last, 0, 0);
	fix_offer(f, 0);
	if (*last == 0x1fffff) {
		/* 2047 * 2 MiB + 2 MiB - 1 == U32_MAX: the largest legal. */
		KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
		KUNIT_EXPECT_EQ(test, f->chain.num, 2048);
		KUNIT_EXPECT_EQ(test, f->chain.readable_len, U32_MAX);
	} else if (*last == 0x200000) {
		expect_broken(test, fix_pop(f), -EOVERFLOW);
		expect_msg(test, "32 bits");
	} else {
		/* Huge length: refused as not RAM before it is summed. */
		expect_broken(test, fix_pop(f), -EFAULT);
	}
}

static void vq_test_sum_overflow_mixed_directions(struct kunit *test)
{
	struct vq_fix *f = test->priv;
	struct kvirtio_desc *descs;
	u16 i;

	/* Readable and writable each fit in u32, their total does not. */
	descs = kunit_kcalloc(test, 2048, sizeof(*descs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, descs);
	f->chain.descs = descs;
	f->chain.capacity = 2048;
	f->tm.nr_holes = 0;
	fix_setup(test, 2048, 0, 0);
	for (i = 0; i < 2048; i++)
		kvirtio_test_set_desc(&f->r, i, T_BASE, T_RAM,
				      (i < 2047 ? VRING_DESC_F_NEXT : 0) |
				      (i >= 1024 ? VRING_DESC_F_WRITE : 0),
				      i + 1);
	fix_offer(f, 0);
	expect_broken(test, fix_pop(f), -EOVERFLOW);
}

struct buf_case {
	const char *name;
	u64 addr;
	u32 len;
	int err;	/* 0: accepted */
	const char *msg;
};

static const struct buf_case buf_cases[] = {
	{ "in RAM", T_DATA, 4096, 0, NULL },
	{ "last RAM byte", T_BASE + T_RAM - 1, 1, 0, NULL },
	{ "addr+len wraps", 0xfffffffffffffff0ULL, 0x20, -EFAULT, "wraps" },
	{ "addr U64_MAX len 1", 0xffffffffffffffffULL, 1, -EFAULT, "wraps" },
	{ "in hole", T_HOLE + 8, 8, -EFAULT, "not in guest RAM" },
	{ "straddles hole start", T_HOLE - 4, 8, -EFAULT, "not in guest RAM" },
	{ "straddles hole end", T_HOLE + T_HOLE_LEN - 4, 8, -EFAULT,
	  "not in guest RAM" },
	{ "past RAM end", T_BASE + T_RAM - 4, 8, -EFAULT, "not in guest RAM" },
	{ "below RAM", T_BASE - 8, 8, -EFAULT, "not in guest RAM" },
	{ "huge length", T_DATA, 0xffffffff, -EFAULT, "not in guest RAM" },
	{ "zero length in RAM", T_DATA, 0, 0, NULL },
	{ "zero length at last RAM byte", T_BASE + T_RAM - 1, 0, 0, NULL },
	{ "zero length at RAM end", T_BASE + T_RAM, 0, -EFAULT,
	  "not in guest RAM" },
	{ "zero length in hole", T_HOLE, 0, -EFAULT, "not in guest RAM" },
	{ "zero length at 0 (no RAM)", 0, 0, -EFAULT, "not in guest RAM" },
	{ "zero length at U64_MAX", 0xffffffffffffffffULL, 0, -EFAULT,
	  "wraps" },
};

static void buf_case_desc(const struct buf_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(buf_case, buf_cases, buf_case_desc);

/* The buffer is the second of a chain, writable: the walk must reach it. */
static void vq_test_buffer_address(struct kunit *test)
{
	const struct buf_case *c = test->param_value;
	struct vq_fix *f = test->priv;

	fix_setup(test, 8, 0, 0);
	kvirtio_test_set_desc(&f->r, 0, T_DATA, 16, VRING_DESC_F_NEXT, 1);
	kvirtio_test_set_desc(&f->r, 1, c->addr, c->len, VRING_DESC_F_WRITE, 0);
	fix_offer(f, 0);
	if (!c->err) {
		KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
		KUNIT_EXPECT_EQ(test, f->chain.num, 2);
		KUNIT_EXPECT_EQ(test, f->chain.descs[1].addr, c->addr);
		KUNIT_EXPECT_EQ(test, f->chain.descs[1].len, c->len);
		KUNIT_EXPECT_EQ(test, f->chain.writable_len, c->len);
		return;
	}
	expect_broken(test, fix_pop(f), c->err);
	expect_msg(test, c->msg);
}

/* The same addresses inside an indirect table. */
static void vq_test_buffer_address_indirect(struct kunit *test)
{
	const struct buf_case *c = test->param_value;
	struct vq_fix *f = test->priv;

	fix_setup(test, 8, F_INDIRECT, 0);
	kvirtio_test_write_desc(&f->tm, T_TABLE, 0, T_DATA, 16,
				VRING_DESC_F_NEXT, 1);
	kvirtio_test_write_desc(&f->tm, T_TABLE, 1, c->addr, c->len,
				VRING_DESC_F_WRITE, 0);
	kvirtio_test_set_desc(&f->r, 0, T_TABLE, 32, VRING_DESC_F_INDIRECT, 0);
	fix_offer(f, 0);
	if (!c->err) {
		KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
		KUNIT_EXPECT_EQ(test, f->chain.descs[1].addr, c->addr);
		return;
	}
	expect_broken(test, fix_pop(f), c->err);
	expect_msg(test, c->msg);
}

static void vq_test_inflight_cap(struct kunit *test)
{
	struct vq_fix *f = test->priv;
	u16 i;

	fix_setup(test, 4, 0, 0);
	for (i = 0; i < 4; i++) {
		kvirtio_test_set_desc(&f->r, i, T_DATA, 8, 0, 0);
		kvirtio_test_avail_add(&f->r, i);
	}
	kvirtio_test_avail_publish(&f->r);
	for (i = 0; i < 4; i++)
		KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_EXPECT_EQ(test, f->vq.inflight, 4U);
	/* Control: with one returned, a reused descriptor is fine. */
	KUNIT_ASSERT_EQ(test, kvirtio_queue_push(&f->vq, 2, 0), 0);
	fix_offer(f, 2);
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_EXPECT_EQ(test, f->vq.inflight, 4U);
	/* All four are still out: a fifth chain is a violation. */
	fix_offer(f, 1);
	expect_broken(test, fix_pop(f), -ENOSPC);
	expect_msg(test, "in flight");
}

static void vq_test_broken_stays_broken(struct kunit *test)
{
	struct vq_fix *f = test->priv;

	fix_setup(test, 8, 0, 0);
	kvirtio_test_set_desc(&f->r, 0, T_DATA, 8, 0, 0);
	fix_offer(f, 0);
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	fix_offer(f, 9);
	expect_broken(test, fix_pop(f), -ERANGE);
	/* The guest repairs the ring: the queue stays broken. */
	kvirtio_test_avail_add(&f->r, 0);
	kvirtio_test_avail_set_idx(&f->r, 1);
	KUNIT_EXPECT_EQ(test, fix_pop(f), -EIO);
	/* A second violation report does not replace the first. */
	kvirtio_queue_break(&f->vq, -EFAULT, "later");
	KUNIT_EXPECT_EQ(test, f->vq.error, -ERANGE);
	KUNIT_EXPECT_EQ(test, f->vq.stats.errors, 1ULL);
	/* Teardown releases the maps, keeps the diagnosis; setup clears it. */
	kvirtio_queue_teardown(&f->vq);
	KUNIT_EXPECT_EQ(test, f->tm.live_maps, 0);
	KUNIT_EXPECT_EQ(test, f->vq.state, KVIRTIO_QUEUE_DISABLED);
	KUNIT_EXPECT_EQ(test, f->vq.error, -ERANGE);
	kvirtio_queue_teardown(&f->vq);
	KUNIT_EXPECT_EQ(test, f->tm.unmap_calls, 3U);
	fix_setup(test, 8, 0, 0);
	KUNIT_EXPECT_EQ(test, f->vq.error, 0);
	KUNIT_EXPECT_EQ(test, f->vq.stats.errors, 0ULL);
	kvirtio_test_set_desc(&f->r, 0, T_DATA, 8, 0, 0);
	fix_offer(f, 0);
	KUNIT_EXPECT_EQ(test, fix_pop(f), 0);
}

/* ---- Single fetch ------------------------------------------------------- */

/*
 * The hook plays a guest CPU that rewrites ring memory while the device
 * walks a chain.  Right after the engine checks a buffer (range_ok), every
 * ring descriptor pointing at that buffer is trashed (huge len, bogus
 * addr, INDIRECT|NEXT, next 0xffff) and so is every avail slot; right
 * after an indirect entry is read, that entry is trashed.  An engine that
 * fetched any field twice would use the garbage and fail or misreport.
 */
#define TRASH_ADDR	0xfffffffffffff000ULL

struct race {
	struct kvirtio_test_ring *r;
	unsigned int trashed;		/* ring descriptors trashed */
	unsigned int entry_reads[8];	/* reads of indirect entries */
};

static void trash_desc(struct kvirtio_test_mem *tm, u64 table, u16 i)
{
	kvirtio_test_write_desc(tm, table, i, TRASH_ADDR, 0xffffffff,
				VRING_DESC_F_NEXT | VRING_DESC_F_INDIRECT,
				0xffff);
}

static void race_hook(struct kvirtio_test_mem *tm,
		      enum kvirtio_test_mem_access kind, u64 gpa, u64 len,
		      bool ok)
{
	struct race *rc = tm->hook_priv;
	struct kvirtio_test_ring *r = rc->r;
	struct kvirtio_vring_desc d;
	u16 i;

	if (kind == KVIRTIO_TEST_MEM_READ && gpa >= T_TABLE &&
	    gpa < T_TABLE + 16 * ARRAY_SIZE(rc->entry_reads)) {
		i = (gpa - T_TABLE) / 16;
		rc->entry_reads[i]++;
		trash_desc(tm, T_TABLE, i);
		return;
	}
	if (kind != KVIRTIO_TEST_MEM_RANGE_OK || gpa == TRASH_ADDR)
		return;
	for (i = 0; i < r->size; i++) {
		kvirtio_test_peek(tm, r->desc + 16 * i, &d, sizeof(d));
		if (le64_to_cpu(d.addr) == gpa) {
			trash_desc(tm, r->desc, i);
			rc->trashed++;
		}
	}
	for (i = 0; i < r->size; i++)
		kvirtio_test_poke16(tm, r->avail + 4 + 2 * i, 0xffff);
}

static void vq_test_single_fetch_direct(struct kunit *test)
{
	struct kvirtio_test_buf bufs[3] = {
		{ T_DATA, 10, false }, { T_DATA + 0x100, 20, false },
		{ T_DATA + 0x200, 30, true },
	};
	struct vq_fix *f = test->priv;
	struct race rc = { .r = &f->r };
	u32 id, len;
	int i;

	fix_setup(test, 8, 0, 0);
	kvirtio_test_add_chain(&f->r, 3, bufs, 3);
	fix_offer(f, 3);
	f->tm.hook = race_hook;
	f->tm.hook_priv = &rc;
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	/* Every descriptor was trashed right after its check. */
	KUNIT_EXPECT_EQ(test, rc.trashed, 3U);
	KUNIT_EXPECT_EQ(test, f->chain.head, 3);
	KUNIT_EXPECT_EQ(test, f->chain.num, 3);
	KUNIT_EXPECT_EQ(test, f->chain.num_readable, 2);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, f->chain.descs[i].addr, bufs[i].addr);
		KUNIT_EXPECT_EQ(test, f->chain.descs[i].len, bufs[i].len);
		KUNIT_EXPECT_EQ(test, f->chain.descs[i].writable,
				bufs[i].writable);
	}
	KUNIT_EXPECT_EQ(test, f->chain.readable_len, 30U);
	KUNIT_EXPECT_EQ(test, f->chain.writable_len, 30U);
	KUNIT_ASSERT_EQ(test, kvirtio_queue_push(&f->vq, f->chain.head, 30), 0);
	kvirtio_queue_flush(&f->vq);
	KUNIT_ASSERT_TRUE(test, kvirtio_test_used_get(&f->r, &id, &len));
	KUNIT_EXPECT_EQ(test, id, 3U);
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_ready(&f->vq));
}

static void vq_test_single_fetch_head(struct kunit *test)
{
	struct vq_fix *f = test->priv;
	struct race rc = { .r = &f->r };
	u32 id, len;

	fix_setup(test, 8, 0, 0);
	/* A one-descriptor chain at 5: nothing left to walk after the race. */
	kvirtio_test_set_desc(&f->r, 5, T_DATA + 0x40, 12, VRING_DESC_F_WRITE,
			      0);
	fix_offer(f, 5);
	f->tm.hook = race_hook;
	f->tm.hook_priv = &rc;
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_EXPECT_EQ(test, rc.trashed, 1U);
	KUNIT_EXPECT_EQ(test, f->chain.head, 5);
	KUNIT_EXPECT_EQ(test, f->chain.num, 1);
	KUNIT_EXPECT_EQ(test, f->chain.descs[0].addr, T_DATA + 0x40);
	KUNIT_EXPECT_EQ(test, f->chain.descs[0].len, 12U);
	KUNIT_EXPECT_TRUE(test, f->chain.descs[0].writable);
	KUNIT_EXPECT_EQ(test, f->chain.writable_len, 12U);
	KUNIT_ASSERT_EQ(test, kvirtio_queue_push(&f->vq, f->chain.head, 12), 0);
	kvirtio_queue_flush(&f->vq);
	KUNIT_ASSERT_TRUE(test, kvirtio_test_used_get(&f->r, &id, &len));
	KUNIT_EXPECT_EQ(test, id, 5U);
	KUNIT_EXPECT_EQ(test, len, 12U);
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_ready(&f->vq));
}

static void vq_test_single_fetch_indirect(struct kunit *test)
{
	struct kvirtio_test_buf tbl[4] = {
		{ T_DATA, 1, false }, { T_DATA + 0x10, 2, false },
		{ T_DATA + 0x20, 3, true }, { T_DATA + 0x30, 4, true },
	};
	struct vq_fix *f = test->priv;
	struct race rc = { .r = &f->r };
	int i;

	fix_setup(test, 8, F_INDIRECT, 0);
	/* Table of 8 entries, chain uses the first 4. */
	kvirtio_test_write_table(&f->tm, T_TABLE, tbl, 4);
	kvirtio_test_set_desc(&f->r, 0, T_TABLE, 16 * 8, VRING_DESC_F_INDIRECT,
			      0);
	fix_offer(f, 0);
	f->tm.hook = race_hook;
	f->tm.hook_priv = &rc;
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	/* The indirect descriptor itself was trashed after the table check. */
	KUNIT_EXPECT_EQ(test, rc.trashed, 1U);
	KUNIT_EXPECT_EQ(test, f->chain.num, 4);
	for (i = 0; i < 4; i++) {
		KUNIT_EXPECT_EQ(test, rc.entry_reads[i], 1U);
		KUNIT_EXPECT_EQ(test, f->chain.descs[i].addr, tbl[i].addr);
		KUNIT_EXPECT_EQ(test, f->chain.descs[i].len, tbl[i].len);
	}
	for (i = 4; i < 8; i++)
		KUNIT_EXPECT_EQ(test, rc.entry_reads[i], 0U);
	KUNIT_EXPECT_EQ(test, f->chain.readable_len, 3U);
	KUNIT_EXPECT_EQ(test, f->chain.writable_len, 7U);
}

/* ---- Long chains -------------------------------------------------------- */

static void vq_test_long_chain(struct kunit *test)
{
	const u16 *sizep = test->param_value;
	struct vq_fix *f = test->priv;
	u32 size = *sizep, i;
	struct kvirtio_desc *descs;
	u64 readable = 0, writable = 0;
	u32 id, len;

	descs = kunit_kcalloc(test, size, sizeof(*descs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, descs);
	f->chain.descs = descs;
	f->chain.capacity = size;
	fix_setup(test, size, 0, 0);
	/* Descriptors linked in reverse, second half writable. */
	for (i = 0; i < size; i++) {
		u16 idx = size - 1 - i;
		u16 flags = (i + 1 < size ? VRING_DESC_F_NEXT : 0) |
			    (i >= size / 2 && size > 1 ? VRING_DESC_F_WRITE : 0);

		kvirtio_test_set_desc(&f->r, idx, T_DATA + (i % 4096), 1 + i % 7,
				      flags, idx - 1);
		if (flags & VRING_DESC_F_WRITE)
			writable += 1 + i % 7;
		else
			readable += 1 + i % 7;
	}
	fix_offer(f, size - 1);
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_EXPECT_EQ(test, (u32)f->chain.num, size);
	KUNIT_EXPECT_EQ(test, (u64)f->chain.readable_len, readable);
	KUNIT_EXPECT_EQ(test, (u64)f->chain.writable_len, writable);
	KUNIT_EXPECT_EQ(test, f->chain.descs[size - 1].addr,
			T_DATA + ((size - 1) % 4096));
	KUNIT_ASSERT_EQ(test, kvirtio_queue_push(&f->vq, f->chain.head, 1), 0);
	kvirtio_queue_flush(&f->vq);
	KUNIT_ASSERT_TRUE(test, kvirtio_test_used_get(&f->r, &id, &len));
	KUNIT_EXPECT_EQ(test, id, size - 1);
}

/* ---- Used ring, notification -------------------------------------------- */

static void vq_test_push_errors(struct kunit *test)
{
	struct vq_fix *f = test->priv;

	fix_setup(test, 8, 0, 0);
	KUNIT_EXPECT_EQ(test, kvirtio_queue_push(&f->vq, 0, 0), -EINVAL);
	kvirtio_test_set_desc(&f->r, 0, T_DATA, 8, 0, 0);
	fix_offer(f, 0);
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_EXPECT_EQ(test, kvirtio_queue_push(&f->vq, 8, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvirtio_test_peek32(&f->tm, f->r.used + 4), 0U);
	KUNIT_EXPECT_EQ(test, kvirtio_queue_push(&f->vq, 0, 5), 0);
	KUNIT_EXPECT_EQ(test, kvirtio_queue_push(&f->vq, 0, 5), -EINVAL);
	/* A device bug is not a guest violation. */
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_ready(&f->vq));
}

static void vq_test_batching(struct kunit *test)
{
	struct vq_fix *f = test->priv;
	u32 id, len;
	u16 i;

	fix_setup(test, 8, 0, 0);
	for (i = 0; i < 8; i++) {
		kvirtio_test_set_desc(&f->r, i, T_DATA + 8 * i, 8,
				      VRING_DESC_F_WRITE, 0);
		kvirtio_test_avail_add(&f->r, 7 - i);
	}
	kvirtio_test_avail_publish(&f->r);
	for (i = 0; i < 8; i++) {
		KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
		KUNIT_ASSERT_EQ(test, kvirtio_queue_push(&f->vq, f->chain.head,
							 i), 0);
		/* Nothing is visible before the flush. */
		KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 0);
	}
	kvirtio_queue_flush(&f->vq);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 8);
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_should_notify(&f->vq));
	KUNIT_EXPECT_EQ(test, f->vq.stats.notifies, 1ULL);
	/* Nothing new published: no second interrupt. */
	kvirtio_queue_flush(&f->vq);
	KUNIT_EXPECT_FALSE(test, kvirtio_queue_should_notify(&f->vq));
	for (i = 0; i < 8; i++) {
		KUNIT_ASSERT_TRUE(test, kvirtio_test_used_get(&f->r, &id, &len));
		KUNIT_EXPECT_EQ(test, id, 7U - i);
		KUNIT_EXPECT_EQ(test, len, (u32)i);
	}
	KUNIT_EXPECT_EQ(test, f->vq.stats.used, 8ULL);
	KUNIT_EXPECT_EQ(test, f->vq.inflight, 0U);
}

static void cycle(struct kunit *test, u16 head)
{
	struct vq_fix *f = test->priv;

	fix_offer(f, head);
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_ASSERT_EQ(test, kvirtio_queue_push(&f->vq, head, 0), 0);
	kvirtio_queue_flush(&f->vq);
}

static void vq_test_no_interrupt_flag(struct kunit *test)
{
	struct vq_fix *f = test->priv;

	fix_setup(test, 4, 0, 0);
	kvirtio_test_set_desc(&f->r, 0, T_DATA, 8, 0, 0);
	kvirtio_test_avail_set_flags(&f->r, VRING_AVAIL_F_NO_INTERRUPT);
	cycle(test, 0);
	KUNIT_EXPECT_FALSE(test, kvirtio_queue_should_notify(&f->vq));
	kvirtio_test_avail_set_flags(&f->r, 0);
	cycle(test, 0);
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_should_notify(&f->vq));
	/* Without EVENT_IDX used_event means nothing. */
	kvirtio_test_set_used_event(&f->r, 100);
	cycle(test, 0);
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_should_notify(&f->vq));
	KUNIT_EXPECT_EQ(test, f->vq.stats.notifies, 2ULL);
	KUNIT_EXPECT_EQ(test, f->vq.stats.notifies_suppressed, 1ULL);
}

static void vq_test_no_notify_flag(struct kunit *test)
{
	struct vq_fix *f = test->priv;

	fix_setup(test, 4, 0, 0);
	kvirtio_test_set_desc(&f->r, 0, T_DATA, 8, 0, 0);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_flags(&f->r), 0);
	kvirtio_queue_disable_notify(&f->vq);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_flags(&f->r),
			VRING_USED_F_NO_NOTIFY);
	/* Nothing raced in: enable says so and clears the flag. */
	KUNIT_EXPECT_FALSE(test, kvirtio_queue_enable_notify(&f->vq));
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_flags(&f->r), 0);
	/* A buffer added while kicks were off is reported by enable. */
	kvirtio_queue_disable_notify(&f->vq);
	fix_offer(f, 0);
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_has_avail(&f->vq));
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_enable_notify(&f->vq));
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_EXPECT_FALSE(test, kvirtio_queue_enable_notify(&f->vq));
	KUNIT_EXPECT_FALSE(test, kvirtio_queue_has_avail(&f->vq));
	/*
	 * A bogus avail.idx seen by enable_notify is reported as work, so
	 * the worker pops and the pop breaks the queue (not enable_notify).
	 */
	kvirtio_queue_disable_notify(&f->vq);
	kvirtio_test_avail_set_idx(&f->r, f->r.avail_idx + 100);
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_enable_notify(&f->vq));
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_ready(&f->vq));
	KUNIT_EXPECT_EQ(test, fix_pop(f), -ERANGE);
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_broken(&f->vq));
	/* With EVENT_IDX the used flags stay untouched. */
	fix_reset(test, 4, F_EVENT_IDX, 0);
	kvirtio_queue_disable_notify(&f->vq);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_flags(&f->r), 0);
}

/* Step the whole ring to the index just below the 0xffff wrap. */
static void run_to(struct kunit *test, u16 target)
{
	struct vq_fix *f = test->priv;

	kvirtio_test_set_desc(&f->r, 0, T_DATA, 8, 0, 0);
	while (f->vq.used_idx != target) {
		cycle(test, 0);
		kvirtio_queue_should_notify(&f->vq);
	}
}

static void vq_test_event_idx_used_event_wrap(struct kunit *test)
{
	struct vq_fix *f = test->priv;

	fix_setup(test, 4, F_EVENT_IDX, 0);
	/* The first decision after setup always notifies. */
	kvirtio_test_set_used_event(&f->r, 1000);
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_should_notify(&f->vq));
	run_to(test, 0xfffd);
	/* "Interrupt me once element 0xffff is used": used idx 0xffff -> 0. */
	kvirtio_test_set_used_event(&f->r, 0xffff);
	cycle(test, 0);				/* used idx 0xfffe */
	KUNIT_EXPECT_FALSE(test, kvirtio_queue_should_notify(&f->vq));
	cycle(test, 0);				/* 0xffff */
	KUNIT_EXPECT_FALSE(test, kvirtio_queue_should_notify(&f->vq));
	cycle(test, 0);				/* 0x0000: crossed */
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 0);
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_should_notify(&f->vq));
	cycle(test, 0);				/* 0x0001 */
	KUNIT_EXPECT_FALSE(test, kvirtio_queue_should_notify(&f->vq));
	/* A batch that jumps over the event across the wrap notifies. */
	run_to(test, 0xfffe);
	kvirtio_test_set_used_event(&f->r, 0xffff);
	kvirtio_test_set_desc(&f->r, 1, T_DATA, 8, 0, 0);
	fix_offer(f, 0);
	fix_offer(f, 1);
	fix_offer(f, 0);
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_ASSERT_EQ(test, kvirtio_queue_push(&f->vq, 0, 0), 0);
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_ASSERT_EQ(test, kvirtio_queue_push(&f->vq, 1, 0), 0);
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_ASSERT_EQ(test, kvirtio_queue_push(&f->vq, 0, 0), 0);
	kvirtio_queue_flush(&f->vq);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 1);
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_should_notify(&f->vq));
	/* Event behind the batch: suppressed.  avail.flags ignored. */
	kvirtio_test_avail_set_flags(&f->r, 0);
	kvirtio_test_set_used_event(&f->r, 0xfff0);
	cycle(test, 0);
	KUNIT_EXPECT_FALSE(test, kvirtio_queue_should_notify(&f->vq));
}

static void vq_test_event_idx_avail_event_wrap(struct kunit *test)
{
	struct vq_fix *f = test->priv;
	int i;

	fix_setup(test, 4, F_EVENT_IDX, 0);
	KUNIT_EXPECT_EQ(test, kvirtio_test_avail_event(&f->r), 0);
	run_to(test, 0xfffe);
	KUNIT_EXPECT_FALSE(test, kvirtio_queue_enable_notify(&f->vq));
	KUNIT_EXPECT_EQ(test, kvirtio_test_avail_event(&f->r), 0xfffe);
	kvirtio_queue_disable_notify(&f->vq);
	/* Guest adds 3 across the wrap while kicks are off. */
	fix_offer(f, 0);
	fix_offer(f, 0);
	fix_offer(f, 0);
	KUNIT_EXPECT_EQ(test, f->r.avail_idx, 1);
	/* avail_event was not moved by disable. */
	KUNIT_EXPECT_EQ(test, kvirtio_test_avail_event(&f->r), 0xfffe);
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_enable_notify(&f->vq));
	kvirtio_queue_disable_notify(&f->vq);
	for (i = 0; i < 3; i++) {
		KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
		KUNIT_ASSERT_EQ(test, kvirtio_queue_push(&f->vq, 0, 0), 0);
	}
	KUNIT_EXPECT_EQ(test, fix_pop(f), -EAGAIN);
	/* Caught up across the wrap: "kick me after avail idx 1". */
	KUNIT_EXPECT_FALSE(test, kvirtio_queue_enable_notify(&f->vq));
	KUNIT_EXPECT_EQ(test, kvirtio_test_avail_event(&f->r), 1);
	/* The driver's own test then asks for a kick on its next add. */
	KUNIT_EXPECT_TRUE(test, vring_need_event(kvirtio_test_avail_event(&f->r),
						 2, 1));
}

/* ---- Unpop and the wait states ------------------------------------------ */

static void vq_test_unpop(struct kunit *test)
{
	struct vq_fix *f = test->priv;

	fix_setup(test, 4, 0, 0);
	kvirtio_test_set_desc(&f->r, 0, T_DATA, 8, VRING_DESC_F_WRITE, 0);
	kvirtio_test_set_desc(&f->r, 1, T_DATA + 8, 8, VRING_DESC_F_WRITE, 0);
	kvirtio_test_set_desc(&f->r, 2, T_DATA + 16, 8, VRING_DESC_F_WRITE, 0);
	fix_offer(f, 0);
	fix_offer(f, 1);
	fix_offer(f, 2);
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_EXPECT_EQ(test, f->vq.inflight, 3U);
	/* More than in flight: refused, nothing moves. */
	KUNIT_EXPECT_EQ(test, kvirtio_queue_unpop(&f->vq, 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, f->vq.inflight, 3U);
	/* The last two come back, in order. */
	KUNIT_EXPECT_EQ(test, kvirtio_queue_unpop(&f->vq, 2), 0);
	KUNIT_EXPECT_EQ(test, f->vq.inflight, 1U);
	KUNIT_EXPECT_EQ(test, f->vq.stats.chains, 1ULL);
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_has_avail(&f->vq));
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_EXPECT_EQ(test, f->chain.head, 1);
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_EXPECT_EQ(test, f->chain.head, 2);
	KUNIT_EXPECT_EQ(test, fix_pop(f), -EAGAIN);
	/* Unpopped chains can still be pushed normally afterwards. */
	KUNIT_EXPECT_EQ(test, kvirtio_queue_push(&f->vq, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, kvirtio_queue_push(&f->vq, 1, 8), 0);
	KUNIT_EXPECT_EQ(test, kvirtio_queue_push(&f->vq, 2, 8), 0);
	KUNIT_EXPECT_EQ(test, f->vq.inflight, 0U);
	/* A broken queue gives nothing back. */
	kvirtio_queue_break(&f->vq, -EPROTO, "test");
	KUNIT_EXPECT_EQ(test, kvirtio_queue_unpop(&f->vq, 0), -EIO);
}

static void wait_desc(const u64 *p, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s",
		 *p ? "event_idx" : "flags");
}

static const u64 wait_features[] = { 0, F_EVENT_IDX };
KUNIT_ARRAY_PARAM(wait_features, wait_features, wait_desc);

/*
 * A queue waiting for its backend: chains sit in the avail ring, yet
 * neither has_avail nor enable_notify report work, and kicks stay off.
 */
static void vq_test_wait_backend(struct kunit *test)
{
	struct vq_fix *f = test->priv;
	const u64 *feat = test->param_value;

	fix_setup(test, 4, *feat, 0);
	kvirtio_test_set_desc(&f->r, 0, T_DATA, 8, VRING_DESC_F_WRITE, 0);
	fix_offer(f, 0);
	kvirtio_queue_disable_notify(&f->vq);
	kvirtio_queue_set_wait(&f->vq, KVIRTIO_QUEUE_WAIT_BACKEND);
	KUNIT_EXPECT_FALSE(test, kvirtio_queue_has_avail(&f->vq));
	KUNIT_EXPECT_FALSE(test, kvirtio_queue_enable_notify(&f->vq));
	if (!*feat)
		KUNIT_EXPECT_EQ(test, kvirtio_test_used_flags(&f->r),
				VRING_USED_F_NO_NOTIFY);
	KUNIT_EXPECT_FALSE(test, f->vq.notify_enabled);
	/* Back to waiting for chains: the one there is work again. */
	kvirtio_queue_set_wait(&f->vq, KVIRTIO_QUEUE_WAIT_AVAIL);
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_has_avail(&f->vq));
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_enable_notify(&f->vq));
	/* Setup clears the wait. */
	kvirtio_queue_set_wait(&f->vq, KVIRTIO_QUEUE_WAIT_BACKEND);
	fix_reset(test, 4, *feat, 0);
	KUNIT_EXPECT_EQ(test, f->vq.wait, KVIRTIO_QUEUE_WAIT_AVAIL);
}

/*
 * A queue waiting for more chains than it has: the chains it gave back do
 * not count, one added later does, and the kick is asked for it.
 */
static void vq_test_wait_more(struct kunit *test)
{
	struct vq_fix *f = test->priv;
	const u64 *feat = test->param_value;

	fix_setup(test, 4, *feat, 0);
	kvirtio_test_set_desc(&f->r, 0, T_DATA, 8, VRING_DESC_F_WRITE, 0);
	kvirtio_test_set_desc(&f->r, 1, T_DATA + 8, 8, VRING_DESC_F_WRITE, 0);
	fix_offer(f, 0);
	kvirtio_queue_disable_notify(&f->vq);
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_ASSERT_EQ(test, fix_pop(f), -EAGAIN);
	KUNIT_ASSERT_EQ(test, kvirtio_queue_unpop(&f->vq, 1), 0);
	kvirtio_queue_set_wait(&f->vq, KVIRTIO_QUEUE_WAIT_MORE);
	KUNIT_EXPECT_FALSE(test, kvirtio_queue_has_avail(&f->vq));
	KUNIT_EXPECT_FALSE(test, kvirtio_queue_enable_notify(&f->vq));
	KUNIT_EXPECT_TRUE(test, f->vq.notify_enabled);
	if (*feat)
		KUNIT_EXPECT_EQ(test, kvirtio_test_avail_event(&f->r), 1);
	else
		KUNIT_EXPECT_EQ(test, kvirtio_test_used_flags(&f->r), 0);
	/* The driver adds one: now there is work, and both say so. */
	fix_offer(f, 1);
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_has_avail(&f->vq));
	kvirtio_queue_disable_notify(&f->vq);
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_enable_notify(&f->vq));
	/* Without the wait, the given-back chain alone is work. */
	kvirtio_queue_set_wait(&f->vq, KVIRTIO_QUEUE_WAIT_AVAIL);
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_EXPECT_EQ(test, f->chain.head, 0);
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_has_avail(&f->vq));
}

/* ---- Chain cursors ------------------------------------------------------ */

static const u32 chunk_sizes[] = { 1, 2, 3, 5, 7, 16, 17 };

static void chunk_desc(const u32 *p, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "chunks of %u", *p);
}

KUNIT_ARRAY_PARAM(chunk, chunk_sizes, chunk_desc);

static void vq_test_chain_iter(struct kunit *test)
{
	/* Readable 16 bytes split 1+3+0+7+5, writable 15 split 2+0+9+4. */
	static const u32 rl[] = { 1, 3, 0, 7, 5 }, wl[] = { 2, 0, 9, 4 };
	const u32 *chunk = test->param_value;
	struct kvirtio_test_buf bufs[9];
	struct vq_fix *f = test->priv;
	struct kvirtio_chain_iter it;
	u8 in[16], out[15], got[16], b;
	u32 i, n, off;
	u64 gpa;

	fix_setup(test, 16, 0, 0);
	for (i = 0; i < 16; i++)
		in[i] = 0xa0 + i;
	for (i = 0; i < 15; i++)
		out[i] = 0x50 + i;
	gpa = T_DATA;
	off = 0;
	for (i = 0; i < 5; i++) {
		bufs[i] = (struct kvirtio_test_buf){ gpa, rl[i], false };
		kvirtio_test_poke(&f->tm, gpa, in + off, rl[i]);
		off += rl[i];
		gpa += rl[i] + 13;	/* scattered */
	}
	for (i = 0; i < 4; i++) {
		bufs[5 + i] = (struct kvirtio_test_buf){ gpa, wl[i], true };
		gpa += wl[i] + 5;
	}
	kvirtio_test_add_chain(&f->r, 0, bufs, 9);
	fix_offer(f, 0);
	KUNIT_ASSERT_EQ(test, fix_pop(f), 0);
	KUNIT_ASSERT_EQ(test, f->chain.readable_len, 16U);
	KUNIT_ASSERT_EQ(test, f->chain.writable_len, 15U);

	kvirtio_chain_iter_readable(&it, &f->chain);
	KUNIT_EXPECT_EQ(test, kvirtio_chain_iter_remaining(&it), 16U);
	for (off = 0; off < 16; off += n) {
		n = min_t(u32, *chunk, 16 - off);
		KUNIT_ASSERT_EQ(test, kvirtio_chain_read(&it, &f->tm.mem,
							 got + off, n), 0);
		KUNIT_EXPECT_EQ(test, kvirtio_chain_iter_remaining(&it),
				16 - off - n);
	}
	KUNIT_EXPECT_EQ(test, memcmp(got, in, 16), 0);
	/* Reading past the readable part fails and does not move. */
	KUNIT_EXPECT_EQ(test, kvirtio_chain_read(&it, &f->tm.mem, &b, 1),
			-EMSGSIZE);
	KUNIT_EXPECT_EQ(test, kvirtio_chain_read(&it, &f->tm.mem, &b, 0), 0);

	kvirtio_chain_iter_writable(&it, &f->chain);
	KUNIT_EXPECT_EQ(test, kvirtio_chain_iter_remaining(&it), 15U);
	KUNIT_EXPECT_EQ(test, kvirtio_chain_write(&it, &f->tm.mem, out, 16),
			-EMSGSIZE);
	KUNIT_EXPECT_EQ(test, f->tm.write_calls, 0U);
	for (off = 0; off < 15; off += n) {
		n = min_t(u32, *chunk, 15 - off);
		KUNIT_ASSERT_EQ(test, kvirtio_chain_write(&it, &f->tm.mem,
							  out + off, n), 0);
	}
	KUNIT_EXPECT_EQ(test, kvirtio_chain_iter_remaining(&it), 0U);
	/* Check what landed in each writable buffer. */
	off = 0;
	for (i = 0; i < 4; i++) {
		kvirtio_test_peek(&f->tm, bufs[5 + i].addr, got, wl[i]);
		KUNIT_EXPECT_EQ(test, memcmp(got, out + off, wl[i]), 0);
		off += wl[i];
	}
	/* Readable buffers were never written. */
	kvirtio_test_peek(&f->tm, bufs[3].addr, got, 7);
	KUNIT_EXPECT_EQ(test, memcmp(got, in + 4, 7), 0);

	/* Skip moves like a read. */
	kvirtio_chain_iter_readable(&it, &f->chain);
	KUNIT_EXPECT_EQ(test, kvirtio_chain_skip(&it, *chunk % 16), 0);
	KUNIT_EXPECT_EQ(test, kvirtio_chain_iter_remaining(&it),
			16 - *chunk % 16);
	KUNIT_EXPECT_EQ(test, kvirtio_chain_skip(&it, 17), -EMSGSIZE);
	KUNIT_ASSERT_EQ(test, kvirtio_chain_read(&it, &f->tm.mem, &b, 1), 0);
	KUNIT_EXPECT_EQ(test, b, in[*chunk % 16]);
}

static struct kunit_case kvirtio_virtqueue_cases[] = {
	KUNIT_CASE_PARAM(vq_test_size_invalid, bad_size_gen_params),
	KUNIT_CASE_PARAM(vq_test_size_valid, good_size_gen_params),
	KUNIT_CASE_PARAM(vq_test_ring_bad, ring_case_gen_params),
	KUNIT_CASE_PARAM(vq_test_map_failure_unwinds, map_fail_gen_params),
	KUNIT_CASE(vq_test_setup_busy_and_teardown_idempotent),
	KUNIT_CASE(vq_test_unpop),
	KUNIT_CASE_PARAM(vq_test_wait_backend, wait_features_gen_params),
	KUNIT_CASE_PARAM(vq_test_wait_more, wait_features_gen_params),
	KUNIT_CASE(vq_test_setup_resets_device_area),
	KUNIT_CASE(vq_test_setup_at_base),
	KUNIT_CASE(vq_test_device_break),
	KUNIT_CASE(vq_test_empty_is_eagain),
	KUNIT_CASE_PARAM(vq_test_avail_idx_too_far, ahead_gen_params),
	KUNIT_CASE(vq_test_avail_idx_wraps),
	KUNIT_CASE_PARAM(vq_test_chain_shape, chain_case_gen_params),
	KUNIT_CASE(vq_test_chain_longer_than_capacity),
	KUNIT_CASE(vq_test_chain_longer_than_max_chain),
	KUNIT_CASE(vq_test_indirect_not_negotiated),
	KUNIT_CASE_PARAM(vq_test_indirect_bad, ind_case_gen_params),
	KUNIT_CASE(vq_test_indirect_max_entries),
	KUNIT_CASE(vq_test_indirect_happy),
	KUNIT_CASE(vq_test_mixed_direct_indirect),
	KUNIT_CASE_PARAM(vq_test_length_overflow, sum_last_gen_params),
	KUNIT_CASE(vq_test_sum_overflow_mixed_directions),
	KUNIT_CASE_PARAM(vq_test_buffer_address, buf_case_gen_params),
	KUNIT_CASE_PARAM(vq_test_buffer_address_indirect, buf_case_gen_params),
	KUNIT_CASE(vq_test_inflight_cap),
	KUNIT_CASE(vq_test_broken_stays_broken),
	KUNIT_CASE(vq_test_single_fetch_direct),
	KUNIT_CASE(vq_test_single_fetch_head),
	KUNIT_CASE(vq_test_single_fetch_indirect),
	KUNIT_CASE_PARAM(vq_test_long_chain, good_size_gen_params),
	KUNIT_CASE(vq_test_push_errors),
	KUNIT_CASE(vq_test_batching),
	KUNIT_CASE(vq_test_no_interrupt_flag),
	KUNIT_CASE(vq_test_no_notify_flag),
	KUNIT_CASE(vq_test_event_idx_used_event_wrap),
	KUNIT_CASE(vq_test_event_idx_avail_event_wrap),
	KUNIT_CASE_PARAM(vq_test_chain_iter, chunk_gen_params),
	{}
};

static struct kunit_suite kvirtio_virtqueue_suite = {
	.name = "kvirtio-virtqueue",
	.init = vq_test_init,
	.exit = vq_test_exit,
	.test_cases = kvirtio_virtqueue_cases,
};

kunit_test_suite(kvirtio_virtqueue_suite);
