// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the kvirtio virtio-rng device.
 *
 * The random source is a counter so that every byte the device writes can
 * be checked: byte k of the stream is (k * 7 + 1) & 0xff, never 0, and
 * guest memory starts zeroed, so an unfilled byte shows as 0.
 */
#include <kunit/test.h>
#include "devices/rng.h"
#include "kvirtio_dev_harness.h"

#define RNG_FEATURES	(BIT_ULL(VIRTIO_F_VERSION_1) | \
			 BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC))

struct rng_ctx {
	struct kvt_dev h;
	u64 produced;
	unsigned int fill_calls;
};

static u8 rng_stream_byte(u64 k)
{
	return (u8)(k * 7 + 1) ? (u8)(k * 7 + 1) : 0x5a;
}

static void rng_test_fill(void *opaque, void *buf, u32 len)
{
	struct rng_ctx *c = opaque;
	u8 *p = buf;
	u32 i;

	c->fill_calls++;
	for (i = 0; i < len; i++)
		p[i] = rng_stream_byte(c->produced++);
}

static struct rng_ctx *rng_setup(struct kunit *test, u32 req_max)
{
	struct kvirtio_rng_opts p = {
		.queue_size = 16,
		.req_max = req_max,
		.fill = rng_test_fill,
	};
	struct kvirtio_device *vdev;
	struct rng_ctx *c;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	p.fill_opaque = c;
	KUNIT_ASSERT_EQ(test, kvirtio_rng_create(&p, &vdev), 0);
	KUNIT_ASSERT_EQ(test, kvt_dev_attach(&c->h, vdev, RNG_FEATURES, 16), 0);
	return c;
}

static void rng_teardown(struct rng_ctx *c)
{
	struct kvirtio_device *vdev = c->h.vdev;

	kvt_dev_detach(&c->h);
	kvirtio_rng_destroy(vdev);
}

/* Check that @len bytes at @gpa hold the stream from byte @k on. */
static void rng_expect_stream(struct kunit *test, struct rng_ctx *c, u64 gpa,
			      u32 len, u64 k)
{
	u8 *p = kvirtio_test_mem_ptr(&c->h.tm, gpa, len);
	u32 i;

	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < len; i++)
		KUNIT_ASSERT_EQ_MSG(test, p[i], rng_stream_byte(k + i),
				    "byte %u", i);
}

static bool rng_is_zero(struct rng_ctx *c, u64 gpa, u32 len)
{
	u8 *p = kvirtio_test_mem_ptr(&c->h.tm, gpa, len);
	u32 i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static void rng_test_device_identity(struct kunit *test)
{
	struct rng_ctx *c = rng_setup(test, 0);
	struct kvirtio_device *vdev = c->h.vdev;

	KUNIT_EXPECT_EQ(test, vdev->device_id, (u32)VIRTIO_ID_RNG);
	KUNIT_EXPECT_EQ(test, vdev->num_queues, 1);
	KUNIT_EXPECT_EQ(test, vdev->config_size, 0U);
	KUNIT_EXPECT_EQ(test, vdev->pci_class, 0xff0000U);
	KUNIT_EXPECT_TRUE(test, vdev->device_features &
			  BIT_ULL(VIRTIO_F_VERSION_1));
	KUNIT_EXPECT_TRUE(test, vdev->device_features &
			  BIT_ULL(VIRTIO_RING_F_EVENT_IDX));
	KUNIT_EXPECT_FALSE(test, vdev->device_features &
			   BIT_ULL(VIRTIO_F_ACCESS_PLATFORM));
	KUNIT_EXPECT_NE(test, vdev->ops->queue_enable(vdev, 1), 0);
	rng_teardown(c);
}

static void rng_test_create_rejects(struct kunit *test)
{
	struct kvirtio_rng_opts p = { .fill = rng_test_fill };
	struct kvirtio_device *vdev;

	p.queue_size = 12;
	KUNIT_EXPECT_EQ(test, kvirtio_rng_create(&p, &vdev), -EINVAL);
	p.queue_size = 2048;
	KUNIT_EXPECT_EQ(test, kvirtio_rng_create(&p, &vdev), -EINVAL);
	p.queue_size = 16;
	p.req_max = KVIRTIO_RNG_REQ_MAX + 1;
	KUNIT_EXPECT_EQ(test, kvirtio_rng_create(&p, &vdev), -EINVAL);
	p.req_max = 0;
	p.fill = NULL;
	KUNIT_EXPECT_EQ(test, kvirtio_rng_create(&p, &vdev), -EINVAL);
}

/* Every writable byte is filled; the used length says how many. */
static void rng_test_fills_writable(struct kunit *test)
{
	struct rng_ctx *c = rng_setup(test, 0);
	u64 buf = kvt_alloc(&c->h, 512);
	struct kvirtio_test_buf b = { buf, 512, true };
	u32 id, len;
	u16 head;

	head = kvt_post(&c->h, 0, &b, 1);
	KUNIT_EXPECT_EQ(test, kvt_process(&c->h, 0, 64, 1 << 20), 0);
	KUNIT_ASSERT_TRUE(test, kvirtio_test_used_get(&c->h.rings[0], &id, &len));
	KUNIT_EXPECT_EQ(test, id, (u32)head);
	KUNIT_EXPECT_EQ(test, len, 512U);
	rng_expect_stream(test, c, buf, 512, 0);
	KUNIT_EXPECT_EQ(test, c->h.needs_reset, 0U);
	rng_teardown(c);
}

/*
 * Odd splits: readable descriptors first (ignored, untouched), then
 * writable ones of 1, 3, 0, 7 and 300 bytes.
 */
static void rng_test_odd_splits(struct kunit *test)
{
	static const u32 wl[] = { 1, 3, 0, 7, 300 };
	struct rng_ctx *c = rng_setup(test, 0);
	struct kvirtio_test_buf b[7];
	u64 gpa[7], k = 0;
	u32 id, len, i;

	for (i = 0; i < 2; i++) {
		gpa[i] = kvt_alloc(&c->h, 32);
		memset(kvirtio_test_mem_ptr(&c->h.tm, gpa[i], 32), 0xee, 32);
		b[i] = (struct kvirtio_test_buf){ gpa[i], 32, false };
	}
	for (i = 0; i < ARRAY_SIZE(wl); i++) {
		gpa[i + 2] = kvt_alloc(&c->h, 512);
		b[i + 2] = (struct kvirtio_test_buf){ gpa[i + 2], wl[i], true };
	}
	kvt_post(&c->h, 0, b, 7);
	KUNIT_EXPECT_EQ(test, kvt_process(&c->h, 0, 64, 1 << 20), 0);
	KUNIT_ASSERT_TRUE(test, kvirtio_test_used_get(&c->h.rings[0], &id, &len));
	KUNIT_EXPECT_EQ(test, len, 311U);
	for (i = 0; i < ARRAY_SIZE(wl); i++) {
		rng_expect_stream(test, c, gpa[i + 2], wl[i], k);
		/* Nothing past the descriptor's end. */
		KUNIT_EXPECT_TRUE(test, rng_is_zero(c, gpa[i + 2] + wl[i], 16));
		k += wl[i];
	}
	for (i = 0; i < 2; i++)
		KUNIT_EXPECT_EQ(test, *(u8 *)kvirtio_test_mem_ptr(&c->h.tm,
								  gpa[i], 1),
				0xee);
	rng_teardown(c);
}

/* A chain with only readable descriptors is returned with length 0. */
static void rng_test_no_writable(struct kunit *test)
{
	struct rng_ctx *c = rng_setup(test, 0);
	struct kvirtio_test_buf b = { kvt_alloc(&c->h, 64), 64, false };
	u32 id, len;
	u16 head;

	head = kvt_post(&c->h, 0, &b, 1);
	KUNIT_EXPECT_EQ(test, kvt_process(&c->h, 0, 64, 1 << 20), 0);
	KUNIT_ASSERT_TRUE(test, kvirtio_test_used_get(&c->h.rings[0], &id, &len));
	KUNIT_EXPECT_EQ(test, id, (u32)head);
	KUNIT_EXPECT_EQ(test, len, 0U);
	KUNIT_EXPECT_EQ(test, c->fill_calls, 0U);
	KUNIT_EXPECT_EQ(test, c->h.needs_reset, 0U);
	rng_teardown(c);
}

/* The per-request cap limits the fill; the rest stays untouched. */
static void rng_test_request_cap(struct kunit *test)
{
	struct rng_ctx *c = rng_setup(test, 100);
	u64 buf = kvt_alloc(&c->h, 1000);
	struct kvirtio_test_buf b = { buf, 1000, true };
	u32 id, len;

	kvt_post(&c->h, 0, &b, 1);
	KUNIT_EXPECT_EQ(test, kvt_process(&c->h, 0, 64, 1 << 20), 0);
	KUNIT_ASSERT_TRUE(test, kvirtio_test_used_get(&c->h.rings[0], &id, &len));
	KUNIT_EXPECT_EQ(test, len, 100U);
	rng_expect_stream(test, c, buf, 100, 0);
	KUNIT_EXPECT_TRUE(test, rng_is_zero(c, buf + 100, 900));
	rng_teardown(c);
}

/* The request and byte budgets stop the device; more work remains. */
static void rng_test_budget(struct kunit *test)
{
	struct rng_ctx *c = rng_setup(test, 0);
	struct kvirtio_test_buf b;
	u32 id, len, i;

	for (i = 0; i < 3; i++) {
		b = (struct kvirtio_test_buf){ kvt_alloc(&c->h, 64), 64, true };
		kvt_post(&c->h, 0, &b, 1);
	}
	/* Two requests allowed: two used, the third waits. */
	KUNIT_EXPECT_EQ(test, kvt_process(&c->h, 0, 2, 1 << 20), 1);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&c->h.rings[0]), 2);
	/* Ten bytes allowed: the third gets a partial fill. */
	KUNIT_EXPECT_EQ(test, kvt_process(&c->h, 0, 64, 10), 0);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&c->h.rings[0]), 3);
	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_TRUE(test, kvirtio_test_used_get(&c->h.rings[0],
							      &id, &len));
	KUNIT_EXPECT_EQ(test, len, 10U);
	KUNIT_EXPECT_EQ(test, c->produced, 138ULL);
	/* A zero budget does nothing. */
	b = (struct kvirtio_test_buf){ kvt_alloc(&c->h, 64), 64, true };
	kvt_post(&c->h, 0, &b, 1);
	KUNIT_EXPECT_EQ(test, kvt_process(&c->h, 0, 0, 1 << 20), 1);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&c->h.rings[0]), 3);
	rng_teardown(c);
}

/* A ring violation breaks the queue and asks for a reset. */
static void rng_test_bad_chain_breaks(struct kunit *test)
{
	struct rng_ctx *c = rng_setup(test, 0);
	struct kvirtio_test_buf b[2] = {
		{ kvt_alloc(&c->h, 64), 64, true },
		{ kvt_alloc(&c->h, 64), 64, false },	/* readable after writable */
	};

	kvt_post(&c->h, 0, b, 2);
	KUNIT_EXPECT_LT(test, kvt_process(&c->h, 0, 64, 1 << 20), 0);
	KUNIT_EXPECT_EQ(test, c->h.needs_reset, 1U);
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_broken(&c->h.vdev->queues[0]));
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&c->h.rings[0]), 0);
	KUNIT_EXPECT_EQ(test, c->fill_calls, 0U);
	rng_teardown(c);
}

/* A chain longer than the device's cap is a violation. */
static void rng_test_long_chain_breaks(struct kunit *test)
{
	struct rng_ctx *c = rng_setup(test, 0);
	struct kvirtio_test_buf b = { kvt_alloc(&c->h, 64), 1, true };
	u64 table = kvt_alloc(&c->h, 16 * (KVIRTIO_RNG_MAX_CHAIN + 1));
	struct kvirtio_test_buf *bufs;
	u16 i;

	/* Indirect table of MAX_CHAIN + 1 one-byte buffers. */
	bufs = kunit_kcalloc(test, KVIRTIO_RNG_MAX_CHAIN + 1, sizeof(*bufs),
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bufs);
	for (i = 0; i <= KVIRTIO_RNG_MAX_CHAIN; i++)
		bufs[i] = (struct kvirtio_test_buf){ b.addr + i % 64, 1, true };
	kvirtio_test_write_table(&c->h.tm, table, bufs,
				 KVIRTIO_RNG_MAX_CHAIN + 1);
	kvirtio_test_set_desc(&c->h.rings[0], 0, table,
			      16 * (KVIRTIO_RNG_MAX_CHAIN + 1),
			      VRING_DESC_F_INDIRECT, 0);
	kvirtio_test_avail_add(&c->h.rings[0], 0);
	kvirtio_test_avail_publish(&c->h.rings[0]);
	KUNIT_EXPECT_LT(test, kvt_process(&c->h, 0, 64, 1 << 20), 0);
	KUNIT_EXPECT_EQ(test, c->h.needs_reset, 1U);
	KUNIT_EXPECT_TRUE(test, rng_is_zero(c, b.addr, 64));
	rng_teardown(c);
}

static struct kunit_case rng_test_cases[] = {
	KUNIT_CASE(rng_test_device_identity),
	KUNIT_CASE(rng_test_create_rejects),
	KUNIT_CASE(rng_test_fills_writable),
	KUNIT_CASE(rng_test_odd_splits),
	KUNIT_CASE(rng_test_no_writable),
	KUNIT_CASE(rng_test_request_cap),
	KUNIT_CASE(rng_test_budget),
	KUNIT_CASE(rng_test_bad_chain_breaks),
	KUNIT_CASE(rng_test_long_chain_breaks),
	{}
};

static struct kunit_suite rng_test_suite = {
	.name = "kvirtio_rng",
	.test_cases = rng_test_cases,
};

kunit_test_suite(rng_test_suite);
