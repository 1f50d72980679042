// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the kvirtio virtio-blk device.
 *
 * The backend is an in-memory disk that records every request it gets.
 * It completes synchronously, or holds requests (async mode) until the
 * test completes them, in any order, or until the device waits for them
 * (queue or device reset).
 */
#include <kunit/test.h>
#include "devices/blk.h"
#include "kvirtio_dev_harness.h"

#define TB_SECTORS	64
#define TB_DISK		(TB_SECTORS * 512)
#define TB_QSIZE	64
#define TB_HELD_MAX	TB_QSIZE
#define TB_STATUS_FILL	0xa5
#define TB_MAX_SECTORS	16
#define TB_MAX_SEG	4

#define TB_FEATURES	(BIT_ULL(VIRTIO_F_VERSION_1) | \
			 BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) | \
			 BIT_ULL(VIRTIO_BLK_F_SEG_MAX) | \
			 BIT_ULL(VIRTIO_BLK_F_SIZE_MAX) | \
			 BIT_ULL(VIRTIO_BLK_F_BLK_SIZE) | \
			 BIT_ULL(VIRTIO_BLK_F_FLUSH) | \
			 BIT_ULL(VIRTIO_BLK_F_DISCARD) | \
			 BIT_ULL(VIRTIO_BLK_F_WRITE_ZEROES))

/* struct tb_backend - the recording in-memory backend double */
struct tb_backend {
	struct kvirtio_blk_backend be;
	u8 disk[TB_DISK];
	bool async;
	int submit_err;
	u8 complete_status;
	u32 bytes_bonus;
	unsigned int submits;
	unsigned int ops[KVIRTIO_BLK_OP_WRITE_ZEROES + 1];
	unsigned int waits;
	enum kvirtio_blk_op last_op;
	u64 last_offset;
	u64 last_len;
	u16 last_nr_segs;
	bool last_unmap;
	bool last_sync;
	struct kvirtio_blk_seg last_segs[8];
	struct kvirtio_blk_req *held[TB_HELD_MAX];
	unsigned int nheld;
	u32 requeues;
};

struct tb_ctx {
	struct kvt_dev h;
	struct tb_backend tb;
	struct kvirtio_blk_opts opts;
};

/* Carry out @req on the disk; returns the status and bytes for it. */
static u8 tb_execute(struct tb_backend *tb, struct kvirtio_blk_req *req,
		     u32 *bytes)
{
	u64 off = req->offset;
	u16 i;

	*bytes = 0;
	for (i = 0; i < req->nr_segs; i++) {
		struct kvirtio_blk_seg *s = &req->segs[i];

		switch (req->op) {
		case KVIRTIO_BLK_OP_READ:
			if (kvirtio_gmem_write(req->mem, s->addr,
					       tb->disk + off, s->len))
				return VIRTIO_BLK_S_IOERR;
			off += s->len;
			*bytes += s->len;
			break;
		case KVIRTIO_BLK_OP_WRITE:
			if (kvirtio_gmem_read(req->mem, s->addr,
					      tb->disk + off, s->len))
				return VIRTIO_BLK_S_IOERR;
			off += s->len;
			break;
		case KVIRTIO_BLK_OP_DISCARD:
		case KVIRTIO_BLK_OP_WRITE_ZEROES:
			memset(tb->disk + s->addr, 0, s->len);
			break;
		default:
			break;
		}
	}
	return tb->complete_status;
}

static void tb_complete(struct tb_backend *tb, struct kvirtio_blk_req *req)
{
	u32 bytes;
	u8 status = tb_execute(tb, req, &bytes);

	kvirtio_blk_complete(req, status, bytes + tb->bytes_bonus);
}

static int tb_submit(struct kvirtio_blk_backend *be, struct kvirtio_blk_req *req)
{
	struct tb_backend *tb = container_of(be, struct tb_backend, be);
	u16 i;

	tb->submits++;
	tb->ops[req->op]++;
	tb->last_op = req->op;
	tb->last_offset = req->offset;
	tb->last_len = req->len;
	tb->last_nr_segs = req->nr_segs;
	tb->last_unmap = req->unmap;
	tb->last_sync = req->sync;
	for (i = 0; i < req->nr_segs && i < ARRAY_SIZE(tb->last_segs); i++)
		tb->last_segs[i] = req->segs[i];
	if (tb->submit_err)
		return tb->submit_err;
	/* Long work: hand the request back @requeues times first. */
	if (req->resumes < tb->requeues) {
		kvirtio_blk_requeue(req);
		return 0;
	}
	if (tb->async && tb->nheld < TB_HELD_MAX) {
		tb->held[tb->nheld++] = req;
		return 0;
	}
	tb_complete(tb, req);
	return 0;
}

/* Complete held request @i (in submission order) now. */
static void tb_complete_held(struct tb_backend *tb, unsigned int i)
{
	struct kvirtio_blk_req *req = tb->held[i];

	memmove(&tb->held[i], &tb->held[i + 1],
		(tb->nheld - i - 1) * sizeof(tb->held[0]));
	tb->nheld--;
	tb_complete(tb, req);
}

/* The device waits: the "I/O" in flight finishes, oldest first. */
static void tb_wait(struct kvirtio_blk_backend *be)
{
	struct tb_backend *tb = container_of(be, struct tb_backend, be);

	tb->waits++;
	while (tb->nheld)
		tb_complete_held(tb, 0);
}

static const struct kvirtio_blk_backend_ops tb_ops = {
	.submit = tb_submit,
	.wait = tb_wait,
};

static struct tb_ctx *tb_alloc(struct kunit *test)
{
	struct tb_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->tb.be.ops = &tb_ops;
	c->tb.be.capacity = TB_DISK;
	c->tb.be.blk_size = 512;
	c->tb.be.discard = true;
	c->tb.be.write_zeroes = true;
	c->tb.be.zeroes_may_unmap = true;
	c->tb.complete_status = VIRTIO_BLK_S_OK;
	c->opts.queue_size = TB_QSIZE;
	c->opts.seg_max = 8;
	c->opts.size_max = 4096;
	c->opts.flush = true;
	c->opts.discard_sectors = TB_MAX_SECTORS;
	c->opts.discard_seg = TB_MAX_SEG;
	memcpy(c->opts.serial, "kvirtio-serial-00042", VIRTIO_BLK_ID_BYTES);
	return c;
}

static void tb_start(struct kunit *test, struct tb_ctx *c, u64 features)
{
	struct kvirtio_device *vdev;

	KUNIT_ASSERT_EQ(test, kvirtio_blk_create(&c->opts, &c->tb.be, &vdev),
			0);
	KUNIT_ASSERT_EQ(test, kvt_dev_attach(&c->h, vdev, features,
					     c->opts.queue_size), 0);
}

static struct tb_ctx *tb_setup(struct kunit *test)
{
	struct tb_ctx *c = tb_alloc(test);

	tb_start(test, c, TB_FEATURES);
	return c;
}

static void tb_teardown(struct tb_ctx *c)
{
	struct kvirtio_device *vdev = c->h.vdev;

	kvt_dev_detach(&c->h);
	kvirtio_blk_destroy(vdev);
}

/* A request header in fresh guest memory. */
static u64 tb_hdr(struct tb_ctx *c, u32 type, u64 sector)
{
	u64 gpa = kvt_alloc(&c->h, 16);
	__le32 t = cpu_to_le32(type);
	__le64 s = cpu_to_le64(sector);

	kvirtio_test_poke(&c->h.tm, gpa, &t, 4);
	kvirtio_test_poke(&c->h.tm, gpa + 8, &s, 8);
	return gpa;
}

/* A status byte pre-filled so that an unwritten status shows. */
static u64 tb_status(struct tb_ctx *c)
{
	u64 gpa = kvt_alloc(&c->h, 1);
	u8 v = TB_STATUS_FILL;

	kvirtio_test_poke(&c->h.tm, gpa, &v, 1);
	return gpa;
}

static u8 tb_peek8(struct tb_ctx *c, u64 gpa)
{
	u8 v;

	kvirtio_test_peek(&c->h.tm, gpa, &v, 1);
	return v;
}

static u64 tb_data(struct tb_ctx *c, u32 len, u8 fill)
{
	u64 gpa = kvt_alloc(&c->h, len);

	memset(kvirtio_test_mem_ptr(&c->h.tm, gpa, len), fill, len);
	return gpa;
}

static int tb_run(struct tb_ctx *c)
{
	return kvt_process(&c->h, 0, 64, 1 << 30);
}

/* Next used element: its head and length; fails the test if none. */
static void tb_expect_used(struct kunit *test, struct tb_ctx *c, u16 head,
			   u32 len)
{
	u32 id, l;

	KUNIT_ASSERT_TRUE(test, kvirtio_test_used_get(&c->h.rings[0], &id, &l));
	KUNIT_EXPECT_EQ(test, id, (u32)head);
	KUNIT_EXPECT_EQ(test, l, len);
}

/*
 * Post a header + status request whose only data is @data (readable or
 * writable) and check the status it gets.  Returns the head.
 */
static u16 tb_simple(struct tb_ctx *c, u32 type, u64 sector, u64 data,
		     u32 len, bool writable, u64 *status)
{
	struct kvirtio_test_buf b[3];
	u16 n = 0;

	b[n++] = (struct kvirtio_test_buf){ tb_hdr(c, type, sector), 16, false };
	if (len)
		b[n++] = (struct kvirtio_test_buf){ data, len, writable };
	*status = tb_status(c);
	b[n++] = (struct kvirtio_test_buf){ *status, 1, true };
	return kvt_post(&c->h, 0, b, n);
}

/* Run one request that must be refused with @want before the backend. */
static void tb_expect_refused(struct kunit *test, struct tb_ctx *c, u32 type,
			      u64 sector, u32 len, bool writable, u8 want)
{
	u64 data = tb_data(c, len ? len : 1, 0x77);
	unsigned int submits = c->tb.submits;
	u64 status;
	u16 head;

	head = tb_simple(c, type, sector, data, len, writable, &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	tb_expect_used(test, c, head, 1);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), want);
	KUNIT_EXPECT_EQ(test, c->tb.submits, submits);
	KUNIT_EXPECT_EQ(test, c->h.needs_reset, 0U);
}

static void blk_test_identity_config(struct kunit *test)
{
	struct tb_ctx *c = tb_setup(test);
	struct kvirtio_device *vdev = c->h.vdev;
	struct kvirtio_blk_config cfg;

	KUNIT_EXPECT_EQ(test, vdev->device_id, (u32)VIRTIO_ID_BLOCK);
	KUNIT_EXPECT_EQ(test, vdev->pci_class, 0x018000U);
	KUNIT_EXPECT_EQ(test, vdev->config_size, (u32)KVIRTIO_BLK_CONFIG_SIZE);
	KUNIT_EXPECT_EQ(test, vdev->max_chain, 10);
	KUNIT_EXPECT_TRUE(test, vdev->device_features &
			  BIT_ULL(VIRTIO_BLK_F_DISCARD));
	KUNIT_EXPECT_FALSE(test, vdev->device_features &
			   BIT_ULL(VIRTIO_BLK_F_RO));
	KUNIT_EXPECT_FALSE(test, vdev->device_features &
			   BIT_ULL(VIRTIO_BLK_F_MQ));
	KUNIT_ASSERT_EQ(test, vdev->ops->config_read(vdev, 0, &cfg, sizeof(cfg)),
			0);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(cfg.capacity), (u64)TB_SECTORS);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(cfg.seg_max), 8U);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(cfg.size_max), 4096U);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(cfg.blk_size), 512U);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(cfg.num_queues), 1);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(cfg.max_discard_seg), TB_MAX_SEG);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(cfg.max_write_zeroes_sectors),
			TB_MAX_SECTORS);
	KUNIT_EXPECT_EQ(test, cfg.write_zeroes_may_unmap, 1);
	KUNIT_EXPECT_NE(test, vdev->ops->config_read(vdev, 56, &cfg, 8), 0);
	tb_teardown(c);
}

static void blk_test_create_rejects(struct kunit *test)
{
	struct tb_ctx *c = tb_alloc(test);
	struct kvirtio_device *vdev;

	c->opts.queue_size = 48;
	KUNIT_EXPECT_EQ(test, kvirtio_blk_create(&c->opts, &c->tb.be, &vdev),
			-EINVAL);
	c->opts.queue_size = TB_QSIZE;
	c->opts.num_queues = KVIRTIO_BLK_QUEUES_MAX + 1;
	KUNIT_EXPECT_EQ(test, kvirtio_blk_create(&c->opts, &c->tb.be, &vdev),
			-EINVAL);
	c->opts.num_queues = 1;
	c->tb.be.blk_size = 1000;
	KUNIT_EXPECT_EQ(test, kvirtio_blk_create(&c->opts, &c->tb.be, &vdev),
			-EINVAL);
	c->tb.be.blk_size = 512;
	c->opts.size_max = 100;
	KUNIT_EXPECT_EQ(test, kvirtio_blk_create(&c->opts, &c->tb.be, &vdev),
			-EINVAL);
}

/* Write two sectors, read them back; used lengths and statuses. */
static void blk_test_write_read(struct kunit *test)
{
	struct tb_ctx *c = tb_setup(test);
	u64 wdata = tb_data(c, 1024, 0x3c), rdata = tb_data(c, 1024, 0);
	u64 status;
	u16 head;

	head = tb_simple(c, VIRTIO_BLK_T_OUT, 5, wdata, 1024, false, &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	tb_expect_used(test, c, head, 1);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_OK);
	KUNIT_EXPECT_EQ(test, c->tb.last_offset, 5ULL * 512);
	KUNIT_EXPECT_EQ(test, c->tb.disk[5 * 512], 0x3c);
	KUNIT_EXPECT_EQ(test, c->tb.disk[7 * 512 - 1], 0x3c);
	KUNIT_EXPECT_EQ(test, c->tb.disk[7 * 512], 0);
	KUNIT_EXPECT_EQ(test, c->tb.disk[5 * 512 - 1], 0);

	head = tb_simple(c, VIRTIO_BLK_T_IN, 5, rdata, 1024, true, &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	tb_expect_used(test, c, head, 1025);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_OK);
	KUNIT_EXPECT_EQ(test, memcmp(kvirtio_test_mem_ptr(&c->h.tm, rdata, 1024),
				     c->tb.disk + 5 * 512, 1024), 0);
	KUNIT_EXPECT_EQ(test, c->tb.ops[KVIRTIO_BLK_OP_READ], 1U);
	KUNIT_EXPECT_EQ(test, c->tb.ops[KVIRTIO_BLK_OP_WRITE], 1U);
	tb_teardown(c);
}

/*
 * Header split over three descriptors, data over six of odd sizes, the
 * status byte sharing a descriptor with the last data bytes.
 */
static void blk_test_split_layout(struct kunit *test)
{
	static const u32 split[] = { 100, 412, 1, 511, 500 };
	struct tb_ctx *c = tb_setup(test);
	u64 hdr = tb_hdr(c, VIRTIO_BLK_T_OUT, 8);
	struct kvirtio_test_buf b[10];
	u64 data, rdata, status;
	u32 i, n = 0, off = 0;
	u8 *d;

	data = tb_data(c, 2048, 0);
	d = kvirtio_test_mem_ptr(&c->h.tm, data, 2048);
	for (i = 0; i < 2048; i++)
		d[i] = (u8)(i * 13 + 5);
	b[n++] = (struct kvirtio_test_buf){ hdr, 3, false };
	b[n++] = (struct kvirtio_test_buf){ hdr + 3, 9, false };
	b[n++] = (struct kvirtio_test_buf){ hdr + 12, 4, false };
	for (i = 0; i < ARRAY_SIZE(split); i++) {
		b[n++] = (struct kvirtio_test_buf){ data + off, split[i], false };
		off += split[i];
	}
	b[n++] = (struct kvirtio_test_buf){ data + off, 1536 - off, false };
	status = tb_status(c);
	b[n++] = (struct kvirtio_test_buf){ status, 1, true };
	kvt_post(&c->h, 0, b, n);
	/* max_chain is seg_max + 2 = 10 descriptors: exactly at the cap. */
	KUNIT_EXPECT_EQ(test, n, 10U);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_OK);
	KUNIT_EXPECT_EQ(test, c->tb.last_nr_segs, 6);
	KUNIT_EXPECT_EQ(test, c->tb.last_len, 1536ULL);
	KUNIT_EXPECT_EQ(test, memcmp(c->tb.disk + 8 * 512, d, 1536), 0);

	/* Read back: data and status share the last writable descriptor. */
	rdata = tb_data(c, 1537, TB_STATUS_FILL);
	n = 0;
	b[n++] = (struct kvirtio_test_buf){ tb_hdr(c, VIRTIO_BLK_T_IN, 8), 16,
					     false };
	b[n++] = (struct kvirtio_test_buf){ rdata, 7, true };
	b[n++] = (struct kvirtio_test_buf){ rdata + 7, 0, true };
	b[n++] = (struct kvirtio_test_buf){ rdata + 7, 1530, true };
	kvt_post(&c->h, 0, b, n);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	tb_expect_used(test, c, 0, 1);
	tb_expect_used(test, c, 10, 1537);
	KUNIT_EXPECT_EQ(test, c->tb.last_nr_segs, 2);
	KUNIT_EXPECT_EQ(test, memcmp(kvirtio_test_mem_ptr(&c->h.tm, rdata, 1536),
				     d, 1536), 0);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, rdata + 1536), VIRTIO_BLK_S_OK);
	tb_teardown(c);
}

/* Header and data in one readable descriptor (any layout). */
static void blk_test_merged_header(struct kunit *test)
{
	struct tb_ctx *c = tb_setup(test);
	u64 buf = kvt_alloc(&c->h, 16 + 512);
	struct kvirtio_test_buf b[2];
	__le32 t = cpu_to_le32(VIRTIO_BLK_T_OUT);
	__le64 s = cpu_to_le64(TB_SECTORS - 1);
	u64 status = tb_status(c);

	memset(kvirtio_test_mem_ptr(&c->h.tm, buf, 528), 0x11, 528);
	kvirtio_test_poke(&c->h.tm, buf, &t, 4);
	kvirtio_test_poke(&c->h.tm, buf + 8, &s, 8);
	b[0] = (struct kvirtio_test_buf){ buf, 528, false };
	b[1] = (struct kvirtio_test_buf){ status, 1, true };
	kvt_post(&c->h, 0, b, 2);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_OK);
	KUNIT_EXPECT_EQ(test, c->tb.last_segs[0].addr, buf + 16);
	KUNIT_EXPECT_EQ(test, c->tb.disk[TB_DISK - 1], 0x11);
	tb_teardown(c);
}

static void blk_test_flush_get_id(struct kunit *test)
{
	struct tb_ctx *c = tb_setup(test);
	u64 id = tb_data(c, 32, 0), status;
	u16 head;

	head = tb_simple(c, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	tb_expect_used(test, c, head, 1);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_OK);
	KUNIT_EXPECT_EQ(test, c->tb.ops[KVIRTIO_BLK_OP_FLUSH], 1U);

	head = tb_simple(c, VIRTIO_BLK_T_GET_ID, 0, id, 20, true, &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	tb_expect_used(test, c, head, 21);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_OK);
	KUNIT_EXPECT_EQ(test, memcmp(kvirtio_test_mem_ptr(&c->h.tm, id, 20),
				     "kvirtio-serial-00042", 20), 0);
	KUNIT_EXPECT_EQ(test, c->tb.submits, 1U);

	/* A short GET_ID buffer gets what fits. */
	head = tb_simple(c, VIRTIO_BLK_T_GET_ID, 0, id + 24, 8, true, &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	tb_expect_used(test, c, head, 9);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_OK);
	KUNIT_EXPECT_EQ(test, memcmp(kvirtio_test_mem_ptr(&c->h.tm, id + 24, 8),
				     "kvirtio-", 8), 0);

	/* No data at all: nothing to do, OK, the backend is not asked. */
	head = tb_simple(c, VIRTIO_BLK_T_IN, 3, 0, 0, false, &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	tb_expect_used(test, c, head, 1);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_OK);
	KUNIT_EXPECT_EQ(test, c->tb.submits, 1U);

	/* A flush carrying data is malformed. */
	tb_expect_refused(test, c, VIRTIO_BLK_T_FLUSH, 0, 512, false,
			  VIRTIO_BLK_S_IOERR);
	tb_teardown(c);
}

/* Write a discard/write-zeroes payload of @n segments. */
static u64 tb_dwz(struct tb_ctx *c, const u64 *sector, const u32 *num,
		  const u32 *flags, u32 n)
{
	u64 gpa = kvt_alloc(&c->h, 16 * n);
	u32 i;

	for (i = 0; i < n; i++) {
		__le64 s = cpu_to_le64(sector[i]);
		__le32 ns = cpu_to_le32(num[i]), f = cpu_to_le32(flags[i]);

		kvirtio_test_poke(&c->h.tm, gpa + 16 * i, &s, 8);
		kvirtio_test_poke(&c->h.tm, gpa + 16 * i + 8, &ns, 4);
		kvirtio_test_poke(&c->h.tm, gpa + 16 * i + 12, &f, 4);
	}
	return gpa;
}

static void blk_test_discard(struct kunit *test)
{
	static const u64 sec[2] = { 2, 10 };
	static const u32 num[2] = { 1, 3 }, none[2] = { 0, 0 };
	struct tb_ctx *c = tb_setup(test);
	u64 payload, status;
	u16 head;

	memset(c->tb.disk, 0xff, TB_DISK);
	payload = tb_dwz(c, sec, num, none, 2);
	head = tb_simple(c, VIRTIO_BLK_T_DISCARD, 0, payload, 32, false, &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	tb_expect_used(test, c, head, 1);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_OK);
	KUNIT_EXPECT_EQ(test, c->tb.last_op, KVIRTIO_BLK_OP_DISCARD);
	KUNIT_ASSERT_EQ(test, c->tb.last_nr_segs, 2);
	KUNIT_EXPECT_EQ(test, c->tb.last_segs[0].addr, 1024ULL);
	KUNIT_EXPECT_EQ(test, c->tb.last_segs[0].len, 512ULL);
	KUNIT_EXPECT_EQ(test, c->tb.last_segs[1].addr, 5120ULL);
	KUNIT_EXPECT_EQ(test, c->tb.last_segs[1].len, 1536ULL);
	KUNIT_EXPECT_EQ(test, c->tb.disk[1024], 0);
	KUNIT_EXPECT_EQ(test, c->tb.disk[1536], 0xff);

	/* Segments of zero sectors are skipped; all empty: OK at once. */
	payload = tb_dwz(c, sec, none, none, 2);
	head = tb_simple(c, VIRTIO_BLK_T_DISCARD, 0, payload, 32, false, &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	tb_expect_used(test, c, head, 1);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_OK);
	KUNIT_EXPECT_EQ(test, c->tb.submits, 1U);
	tb_teardown(c);
}

/* Every refusal of a discard/write-zeroes segment list. */
static void blk_test_dwz_refusals(struct kunit *test)
{
	struct tb_ctx *c = tb_setup(test);
	u64 sec[TB_MAX_SEG + 1] = { 0 };
	u32 num[TB_MAX_SEG + 1] = { 0 };
	u32 flags[TB_MAX_SEG + 1] = { 0 };
	unsigned int submits = 0;
	struct {
		u32 type;
		u64 sector;
		u32 num;
		u32 flags;
		u32 nseg;
		u32 len_adj;
		u8 want;
	} cases[] = {
		/* unmap is not a discard flag */
		{ VIRTIO_BLK_T_DISCARD, 0, 1, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP,
		  1, 0, VIRTIO_BLK_S_UNSUPP },
		/* unknown flag */
		{ VIRTIO_BLK_T_WRITE_ZEROES, 0, 1, 2, 1, 0,
		  VIRTIO_BLK_S_UNSUPP },
		/* more segments than max_*_seg */
		{ VIRTIO_BLK_T_DISCARD, 0, 1, 0, TB_MAX_SEG + 1, 0,
		  VIRTIO_BLK_S_UNSUPP },
		/* more sectors than max_*_sectors, inside the disk */
		{ VIRTIO_BLK_T_WRITE_ZEROES, 0, TB_MAX_SECTORS + 1, 0, 1, 0,
		  VIRTIO_BLK_S_IOERR },
		{ VIRTIO_BLK_T_DISCARD, 8, TB_MAX_SECTORS + 1, 0, 1, 0,
		  VIRTIO_BLK_S_IOERR },
		/* beyond capacity by one sector */
		{ VIRTIO_BLK_T_DISCARD, TB_SECTORS - 1, 2, 0, 1, 0,
		  VIRTIO_BLK_S_IOERR },
		/* sector whose byte offset overflows */
		{ VIRTIO_BLK_T_DISCARD, U64_MAX >> 8, 1, 0, 1, 0,
		  VIRTIO_BLK_S_IOERR },
		/* payload not a whole number of segments */
		{ VIRTIO_BLK_T_DISCARD, 0, 1, 0, 1, 8, VIRTIO_BLK_S_IOERR },
	};
	u32 i, k;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		u64 payload, status;
		u32 len;
		u16 head;

		for (k = 0; k < cases[i].nseg; k++) {
			sec[k] = cases[i].sector;
			num[k] = cases[i].num;
			flags[k] = cases[i].flags;
		}
		payload = tb_dwz(c, sec, num, flags, cases[i].nseg);
		len = 16 * cases[i].nseg + cases[i].len_adj;
		head = tb_simple(c, cases[i].type, 0, payload, len, false,
				 &status);
		KUNIT_EXPECT_EQ(test, tb_run(c), 0);
		tb_expect_used(test, c, head, 1);
		KUNIT_EXPECT_EQ_MSG(test, tb_peek8(c, status), cases[i].want,
				    "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, c->tb.submits, submits, "case %u", i);
	}
	/* The last sector is fine. */
	sec[0] = TB_SECTORS - 1;
	num[0] = 1;
	flags[0] = 0;
	tb_expect_refused(test, c, VIRTIO_BLK_T_DISCARD, 0, 0, false,
			  VIRTIO_BLK_S_IOERR);	/* no payload at all */
	{
		u64 payload = tb_dwz(c, sec, num, flags, 1), status;

		tb_simple(c, VIRTIO_BLK_T_DISCARD, 0, payload, 16, false, &status);
		KUNIT_EXPECT_EQ(test, tb_run(c), 0);
		KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_OK);
		KUNIT_EXPECT_EQ(test, c->tb.submits, submits + 1);
	}
	KUNIT_EXPECT_EQ(test, c->h.needs_reset, 0U);
	tb_teardown(c);
}

static void blk_test_write_zeroes(struct kunit *test)
{
	static const u64 sec[1] = { 4 };
	static const u32 num[1] = { 2 };
	static const u32 unmap[1] = { VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP };
	static const u32 keep[1] = { 0 };
	struct tb_ctx *c = tb_setup(test);
	u64 payload, status;

	memset(c->tb.disk, 0xff, TB_DISK);
	payload = tb_dwz(c, sec, num, unmap, 1);
	tb_simple(c, VIRTIO_BLK_T_WRITE_ZEROES, 0, payload, 16, false, &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_OK);
	KUNIT_EXPECT_EQ(test, c->tb.last_op, KVIRTIO_BLK_OP_WRITE_ZEROES);
	KUNIT_EXPECT_TRUE(test, c->tb.last_unmap);
	KUNIT_EXPECT_EQ(test, c->tb.disk[4 * 512], 0);
	KUNIT_EXPECT_EQ(test, c->tb.disk[6 * 512 - 1], 0);
	KUNIT_EXPECT_EQ(test, c->tb.disk[6 * 512], 0xff);

	payload = tb_dwz(c, sec, num, keep, 1);
	tb_simple(c, VIRTIO_BLK_T_WRITE_ZEROES, 0, payload, 16, false, &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_OK);
	KUNIT_EXPECT_FALSE(test, c->tb.last_unmap);
	tb_teardown(c);
}

/* Discard and write zeroes not negotiated: UNSUPP, never executed. */
static void blk_test_dwz_not_negotiated(struct kunit *test)
{
	static const u64 sec[1] = { 0 };
	static const u32 num[1] = { 1 }, none[1] = { 0 };
	struct tb_ctx *c = tb_alloc(test);
	u64 payload, status;
	u16 head;

	tb_start(test, c, TB_FEATURES & ~(BIT_ULL(VIRTIO_BLK_F_DISCARD) |
					  BIT_ULL(VIRTIO_BLK_F_WRITE_ZEROES)));
	payload = tb_dwz(c, sec, num, none, 1);
	head = tb_simple(c, VIRTIO_BLK_T_DISCARD, 0, payload, 16, false, &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	tb_expect_used(test, c, head, 1);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_UNSUPP);
	head = tb_simple(c, VIRTIO_BLK_T_WRITE_ZEROES, 0, payload, 16, false,
			 &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	tb_expect_used(test, c, head, 1);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_UNSUPP);
	KUNIT_EXPECT_EQ(test, c->tb.submits, 0U);
	tb_teardown(c);
}

/* Answerable malformed requests: an error status, never executed. */
static void blk_test_malformed_status(struct kunit *test)
{
	struct tb_ctx *c = tb_setup(test);
	u64 data, status;
	struct kvirtio_test_buf b[3];
	u16 head;

	/* Unknown type. */
	tb_expect_refused(test, c, 99, 0, 0, false, VIRTIO_BLK_S_UNSUPP);
	tb_expect_refused(test, c, VIRTIO_BLK_T_SECURE_ERASE, 0, 0, false,
			  VIRTIO_BLK_S_UNSUPP);
	/* Length not a multiple of 512. */
	tb_expect_refused(test, c, VIRTIO_BLK_T_OUT, 0, 500, false,
			  VIRTIO_BLK_S_IOERR);
	tb_expect_refused(test, c, VIRTIO_BLK_T_IN, 0, 513, true,
			  VIRTIO_BLK_S_IOERR);
	/* Capacity boundary: last sector fine, one past refused. */
	tb_expect_refused(test, c, VIRTIO_BLK_T_IN, TB_SECTORS, 512, true,
			  VIRTIO_BLK_S_IOERR);
	tb_expect_refused(test, c, VIRTIO_BLK_T_OUT, TB_SECTORS - 1, 1024,
			  false, VIRTIO_BLK_S_IOERR);
	data = tb_data(c, 512, 0);
	head = tb_simple(c, VIRTIO_BLK_T_IN, TB_SECTORS - 1, data, 512, true,
			 &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	tb_expect_used(test, c, head, 513);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_OK);
	/* Sector * 512 wraps, or sector + len wraps. */
	tb_expect_refused(test, c, VIRTIO_BLK_T_IN, U64_MAX >> 9, 512, true,
			  VIRTIO_BLK_S_IOERR);
	tb_expect_refused(test, c, VIRTIO_BLK_T_IN, (U64_MAX >> 9) + 1, 512,
			  true, VIRTIO_BLK_S_IOERR);
	tb_expect_refused(test, c, VIRTIO_BLK_T_IN, U64_MAX, 512, true,
			  VIRTIO_BLK_S_IOERR);
	/* IN with readable data; OUT with writable data. */
	tb_expect_refused(test, c, VIRTIO_BLK_T_IN, 0, 512, false,
			  VIRTIO_BLK_S_IOERR);
	tb_expect_refused(test, c, VIRTIO_BLK_T_OUT, 0, 512, true,
			  VIRTIO_BLK_S_IOERR);
	/* A data piece larger than size_max. */
	tb_expect_refused(test, c, VIRTIO_BLK_T_OUT, 0, 8192, false,
			  VIRTIO_BLK_S_IOERR);
	/* GET_ID with readable data. */
	tb_expect_refused(test, c, VIRTIO_BLK_T_GET_ID, 0, 20, false,
			  VIRTIO_BLK_S_IOERR);

	/* Short header: 12 readable bytes, then the status. */
	b[0] = (struct kvirtio_test_buf){ tb_hdr(c, VIRTIO_BLK_T_IN, 0), 12,
					  false };
	status = tb_status(c);
	b[1] = (struct kvirtio_test_buf){ status, 1, true };
	head = kvt_post(&c->h, 0, b, 2);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	tb_expect_used(test, c, head, 1);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_IOERR);
	KUNIT_EXPECT_EQ(test, c->tb.submits, 1U);
	KUNIT_EXPECT_EQ(test, c->h.needs_reset, 0U);
	tb_teardown(c);
}

/* No writable byte: the request cannot be answered; the queue breaks. */
static void blk_test_no_status_breaks(struct kunit *test)
{
	struct tb_ctx *c = tb_setup(test);
	struct kvirtio_test_buf b[2] = {
		{ tb_hdr(c, VIRTIO_BLK_T_OUT, 0), 16, false },
		{ tb_data(c, 512, 0x42), 512, false },
	};

	kvt_post(&c->h, 0, b, 2);
	KUNIT_EXPECT_EQ(test, tb_run(c), -EPROTO);
	KUNIT_EXPECT_EQ(test, c->h.needs_reset, 1U);
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_broken(&c->h.vdev->queues[0]));
	KUNIT_EXPECT_EQ(test, c->tb.submits, 0U);
	KUNIT_EXPECT_EQ(test, c->tb.disk[0], 0);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&c->h.rings[0]), 0);
	/* A broken queue does nothing more. */
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	tb_teardown(c);
}

/* More descriptors than seg_max + 2: the engine refuses the chain. */
static void blk_test_too_many_descs_breaks(struct kunit *test)
{
	struct tb_ctx *c = tb_setup(test);
	struct kvirtio_test_buf b[11];
	u64 data = tb_data(c, 9 * 512, 0x42);
	u32 i;

	b[0] = (struct kvirtio_test_buf){ tb_hdr(c, VIRTIO_BLK_T_OUT, 0), 16,
					  false };
	for (i = 0; i < 9; i++)
		b[i + 1] = (struct kvirtio_test_buf){ data + 512 * i, 512, false };
	b[10] = (struct kvirtio_test_buf){ tb_status(c), 1, true };
	kvt_post(&c->h, 0, b, 11);
	KUNIT_EXPECT_LT(test, tb_run(c), 0);
	KUNIT_EXPECT_EQ(test, c->h.needs_reset, 1U);
	KUNIT_EXPECT_EQ(test, c->tb.submits, 0U);
	tb_teardown(c);
}

/* A read-only device refuses writes and offers no discard. */
static void blk_test_read_only(struct kunit *test)
{
	struct tb_ctx *c = tb_alloc(test);
	u64 data, status;
	u16 head;

	c->opts.read_only = true;
	tb_start(test, c, TB_FEATURES | BIT_ULL(VIRTIO_BLK_F_RO));
	KUNIT_EXPECT_TRUE(test, c->h.vdev->device_features &
			  BIT_ULL(VIRTIO_BLK_F_RO));
	KUNIT_EXPECT_FALSE(test, c->h.vdev->device_features &
			   BIT_ULL(VIRTIO_BLK_F_DISCARD));
	KUNIT_EXPECT_FALSE(test, c->h.vdev->device_features &
			   BIT_ULL(VIRTIO_BLK_F_WRITE_ZEROES));
	tb_expect_refused(test, c, VIRTIO_BLK_T_OUT, 0, 512, false,
			  VIRTIO_BLK_S_IOERR);
	KUNIT_EXPECT_EQ(test, c->tb.disk[0], 0);
	/* Even if the driver claims discard, a read-only disk refuses it. */
	tb_expect_refused(test, c, VIRTIO_BLK_T_DISCARD, 0, 16, false,
			  VIRTIO_BLK_S_IOERR);
	/* Reads still work. */
	c->tb.disk[0] = 0x99;
	data = tb_data(c, 512, 0);
	head = tb_simple(c, VIRTIO_BLK_T_IN, 0, data, 512, true, &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	tb_expect_used(test, c, head, 513);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, data), 0x99);
	tb_teardown(c);
}

/* A backend with 4 KiB blocks: unaligned ranges are refused. */
static void blk_test_block_size(struct kunit *test)
{
	struct tb_ctx *c = tb_alloc(test);
	u64 data, status;

	c->tb.be.blk_size = 4096;
	tb_start(test, c, TB_FEATURES);
	tb_expect_refused(test, c, VIRTIO_BLK_T_OUT, 1, 4096, false,
			  VIRTIO_BLK_S_IOERR);
	tb_expect_refused(test, c, VIRTIO_BLK_T_OUT, 8, 512, false,
			  VIRTIO_BLK_S_IOERR);
	data = tb_data(c, 4096, 0x21);
	tb_simple(c, VIRTIO_BLK_T_OUT, 8, data, 4096, false, &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_OK);
	KUNIT_EXPECT_EQ(test, c->tb.disk[4096], 0x21);
	tb_teardown(c);
}

/* Backend refusals and failures turn into the status the spec wants. */
static void blk_test_backend_errors(struct kunit *test)
{
	struct tb_ctx *c = tb_setup(test);
	u64 data = tb_data(c, 512, 0), status;
	u16 head;

	c->tb.submit_err = -EOPNOTSUPP;
	head = tb_simple(c, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	tb_expect_used(test, c, head, 1);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_UNSUPP);

	c->tb.submit_err = -ENOMEM;
	head = tb_simple(c, VIRTIO_BLK_T_IN, 0, data, 512, true, &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	tb_expect_used(test, c, head, 1);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_IOERR);

	/* A backend claiming more bytes than asked: used length capped. */
	c->tb.submit_err = 0;
	c->tb.bytes_bonus = 1000;
	head = tb_simple(c, VIRTIO_BLK_T_IN, 0, data, 512, true, &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	tb_expect_used(test, c, head, 513);
	c->tb.bytes_bonus = 0;

	c->tb.complete_status = VIRTIO_BLK_S_IOERR;
	head = tb_simple(c, VIRTIO_BLK_T_OUT, 0, data, 512, false, &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	tb_expect_used(test, c, head, 1);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_IOERR);
	tb_teardown(c);
}

/* Completions in any order, each answered with its own status. */
static void blk_test_async_out_of_order(struct kunit *test)
{
	struct tb_ctx *c = tb_setup(test);
	u64 data[3], status[3];
	u16 head[3];
	u32 i;

	for (i = 0; i < 3; i++)
		c->tb.disk[512 * i] = 0x10 + i;
	c->tb.async = true;
	for (i = 0; i < 3; i++) {
		data[i] = tb_data(c, 512, 0);
		head[i] = tb_simple(c, VIRTIO_BLK_T_IN, i, data[i], 512, true,
				    &status[i]);
	}
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	KUNIT_EXPECT_EQ(test, c->tb.nheld, 3U);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&c->h.rings[0]), 0);

	/* Complete the middle one; its kick leads to exactly one answer. */
	tb_complete_held(&c->tb, 1);
	KUNIT_EXPECT_EQ(test, c->h.kicks[0], 1U);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status[1]), TB_STATUS_FILL);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	tb_expect_used(test, c, head[1], 513);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status[1]), VIRTIO_BLK_S_OK);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status[0]), TB_STATUS_FILL);

	tb_complete_held(&c->tb, 1);	/* the third */
	tb_complete_held(&c->tb, 0);	/* the first */
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	tb_expect_used(test, c, head[2], 513);
	tb_expect_used(test, c, head[0], 513);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, tb_peek8(c, status[i]), VIRTIO_BLK_S_OK);
		KUNIT_EXPECT_EQ(test, tb_peek8(c, data[i]), 0x10 + i);
	}
	tb_teardown(c);
}

/*
 * Queue reset with writes in flight: the reset waits for the backend, no
 * answer is published afterwards, and the acknowledged write is on disk.
 */
static void blk_test_reset_inflight(struct kunit *test)
{
	struct tb_ctx *c = tb_setup(test);
	struct kvirtio_device *vdev = c->h.vdev;
	u64 a = tb_data(c, 512, 0xaa), b = tb_data(c, 512, 0xbb);
	u64 st_a, st_b, st_c;
	u16 used;

	c->tb.async = true;
	tb_simple(c, VIRTIO_BLK_T_OUT, 1, a, 512, false, &st_a);
	tb_simple(c, VIRTIO_BLK_T_OUT, 2, b, 512, false, &st_b);
	tb_simple(c, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, &st_c);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	KUNIT_ASSERT_EQ(test, c->tb.nheld, 3U);
	/* Write A completes and is acknowledged. */
	tb_complete_held(&c->tb, 0);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, st_a), VIRTIO_BLK_S_OK);
	used = kvirtio_test_used_idx(&c->h.rings[0]);
	KUNIT_EXPECT_EQ(test, used, 1);

	vdev->ops->queue_disable(vdev, 0);
	/* It waited: nothing is left with the backend. */
	KUNIT_EXPECT_GE(test, c->tb.waits, 1U);
	KUNIT_EXPECT_EQ(test, c->tb.nheld, 0U);
	/* Nothing answered after the reset began. */
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&c->h.rings[0]), used);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, st_b), TB_STATUS_FILL);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, st_c), TB_STATUS_FILL);
	/* The acknowledged write is on the disk. */
	KUNIT_EXPECT_EQ(test, c->tb.disk[512], 0xaa);
	/* Processing a disabled queue is a no-op. */
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	KUNIT_EXPECT_EQ(test, c->h.needs_reset, 0U);
	tb_teardown(c);
}

/*
 * Device reset after re-enable: every pool entry came back, so a full
 * queue's worth of requests can be in flight again.
 */
static void blk_test_pool_recycled(struct kunit *test)
{
	struct tb_ctx *c = tb_setup(test);
	struct kvirtio_device *vdev = c->h.vdev;
	struct kvirtio_queue_config cfg;
	u64 status;
	u32 i;

	c->tb.async = true;
	for (i = 0; i < 8; i++)
		tb_simple(c, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	KUNIT_EXPECT_EQ(test, c->tb.nheld, 8U);
	vdev->ops->reset(vdev);
	KUNIT_EXPECT_EQ(test, c->tb.nheld, 0U);

	/* The driver sets the queue up again from scratch. */
	kvirtio_queue_teardown(&vdev->queues[0]);
	c->h.next_desc[0] = 0;
	kvirtio_test_ring_init(&c->h.rings[0], &c->h.tm, TB_QSIZE,
			       c->h.rings[0].desc, c->h.rings[0].avail,
			       c->h.rings[0].used);
	kvirtio_test_ring_config(&c->h.rings[0], &cfg, TB_FEATURES,
				 vdev->max_chain);
	KUNIT_ASSERT_EQ(test, kvirtio_queue_setup(&vdev->queues[0], &c->h.tm.mem,
						  &cfg), 0);
	KUNIT_ASSERT_EQ(test, vdev->ops->queue_enable(vdev, 0), 0);
	for (i = 0; i < TB_QSIZE / 2; i++)
		tb_simple(c, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	KUNIT_EXPECT_EQ(test, c->tb.nheld, TB_QSIZE / 2U);
	tb_teardown(c);
}

/*
 * In flight is capped at the queue size: with every slot held by the
 * backend, one more available chain is a violation, not a new request.
 */
static void blk_test_inflight_cap(struct kunit *test)
{
	struct tb_ctx *c = tb_alloc(test);
	struct kvirtio_test_ring *r;
	struct kvirtio_test_buf b[2];
	u16 i;

	c->opts.queue_size = 8;
	tb_start(test, c, TB_FEATURES);
	r = &c->h.rings[0];
	c->tb.async = true;
	for (i = 0; i < 8; i++) {
		u64 table = kvt_alloc(&c->h, 32);

		b[0] = (struct kvirtio_test_buf){
			tb_hdr(c, VIRTIO_BLK_T_FLUSH, 0), 16, false };
		b[1] = (struct kvirtio_test_buf){ tb_status(c), 1, true };
		kvirtio_test_write_table(&c->h.tm, table, b, 2);
		kvirtio_test_set_desc(r, i, table, 32, VRING_DESC_F_INDIRECT, 0);
		kvirtio_test_avail_add(r, i);
	}
	kvirtio_test_avail_publish(r);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	KUNIT_EXPECT_EQ(test, c->tb.nheld, 8U);
	KUNIT_EXPECT_EQ(test, c->h.needs_reset, 0U);

	kvirtio_test_avail_add(r, 0);	/* head 0 is still in flight */
	kvirtio_test_avail_publish(r);
	KUNIT_EXPECT_LT(test, tb_run(c), 0);
	KUNIT_EXPECT_EQ(test, c->tb.submits, 8U);
	KUNIT_EXPECT_EQ(test, c->h.needs_reset, 1U);
	tb_teardown(c);
}

/* The request and byte budgets bound one process_queue call. */
static void blk_test_budget(struct kunit *test)
{
	struct tb_ctx *c = tb_setup(test);
	u64 data = tb_data(c, 4096, 0), status;
	u32 i;

	for (i = 0; i < 5; i++)
		tb_simple(c, VIRTIO_BLK_T_IN, 0, data, 1024, true, &status);
	KUNIT_EXPECT_EQ(test, kvt_process(&c->h, 0, 2, 1 << 20), 1);
	KUNIT_EXPECT_EQ(test, c->tb.submits, 2U);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&c->h.rings[0]), 2);
	/* 1500 bytes allow two 1 KiB requests (the second overdraws). */
	KUNIT_EXPECT_EQ(test, kvt_process(&c->h, 0, 64, 1500), 1);
	KUNIT_EXPECT_EQ(test, c->tb.submits, 4U);
	KUNIT_EXPECT_EQ(test, kvt_process(&c->h, 0, 64, 1 << 20), 0);
	KUNIT_EXPECT_EQ(test, c->tb.submits, 5U);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&c->h.rings[0]), 5);
	tb_teardown(c);
}

/*
 * Discard and write-zeroes are charged to the byte budget for what they
 * cover: one pass no longer takes any number of them for free.
 */
static void blk_test_dwz_budget(struct kunit *test)
{
	static const u64 sec[1] = { 0 };
	static const u32 num[1] = { 8 }, none[1] = { 0 };
	struct tb_ctx *c = tb_setup(test);
	u64 status;
	u32 i;

	for (i = 0; i < 3; i++)
		tb_simple(c, VIRTIO_BLK_T_WRITE_ZEROES, 0,
			  tb_dwz(c, sec, num, none, 1), 16, false, &status);
	/* 4 KiB of budget: the first request (4 KiB) spends it. */
	KUNIT_EXPECT_EQ(test, kvt_process(&c->h, 0, 64, 4096), 1);
	KUNIT_EXPECT_EQ(test, c->tb.ops[KVIRTIO_BLK_OP_WRITE_ZEROES], 1U);
	KUNIT_EXPECT_EQ(test, kvt_process(&c->h, 0, 64, 4096), 1);
	KUNIT_EXPECT_EQ(test, c->tb.ops[KVIRTIO_BLK_OP_WRITE_ZEROES], 2U);
	KUNIT_EXPECT_EQ(test, kvt_process(&c->h, 0, 64, 1 << 20), 0);
	KUNIT_EXPECT_EQ(test, c->tb.ops[KVIRTIO_BLK_OP_WRITE_ZEROES], 3U);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&c->h.rings[0]), 3);
	tb_teardown(c);
}

/*
 * A backend hands long work back (kvirtio_blk_requeue()): the device
 * resubmits it in later passes, each charged to that pass, before new
 * requests; a reset drops a handed-back request without answering it.
 */
static void blk_test_requeue(struct kunit *test)
{
	struct tb_ctx *c = tb_setup(test);
	u64 data = tb_data(c, 512, 0x3c), status, status2;

	c->tb.requeues = 2;
	tb_simple(c, VIRTIO_BLK_T_OUT, 1, data, 512, false, &status);
	KUNIT_EXPECT_EQ(test, kvt_process(&c->h, 0, 1, 1 << 20), 1);
	KUNIT_EXPECT_EQ(test, c->tb.submits, 1U);
	KUNIT_EXPECT_EQ(test, c->h.kicks[0], 1U);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&c->h.rings[0]), 0);
	/* A new request waits behind the handed-back one. */
	tb_simple(c, VIRTIO_BLK_T_IN, 1, tb_data(c, 512, 0), 512, true,
		  &status2);
	KUNIT_EXPECT_EQ(test, kvt_process(&c->h, 0, 1, 1 << 20), 1);
	KUNIT_EXPECT_EQ(test, c->tb.submits, 2U);
	/* It finishes, then the new one (handed back twice as well). */
	KUNIT_EXPECT_EQ(test, kvt_process(&c->h, 0, 64, 1 << 20), 0);
	KUNIT_EXPECT_EQ(test, c->tb.submits, 6U);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_OK);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status2), VIRTIO_BLK_S_OK);
	KUNIT_EXPECT_EQ(test, c->tb.disk[512], 0x3c);

	/* Reset while one waits to resume: dropped, pool entries back. */
	c->tb.requeues = 1;
	tb_simple(c, VIRTIO_BLK_T_OUT, 2, data, 512, false, &status);
	KUNIT_EXPECT_EQ(test, kvt_process(&c->h, 0, 1, 1 << 20), 1);
	c->h.vdev->ops->queue_disable(c->h.vdev, 0);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), TB_STATUS_FILL);
	KUNIT_EXPECT_NE(test, c->tb.disk[2 * 512], 0x3c);
	tb_teardown(c);
}

/* The request pools of one device are capped (memory is the VMM's). */
static void blk_test_pool_cap(struct kunit *test)
{
	struct tb_ctx *c = tb_alloc(test);
	struct kvirtio_device *vdev;

	c->opts.num_queues = KVIRTIO_BLK_QUEUES_MAX;
	c->opts.queue_size = KVIRTIO_BLK_QUEUE_SIZE_MAX;
	c->opts.seg_max = KVIRTIO_BLK_SEG_MAX_LIMIT;
	c->opts.size_max = 0;
	KUNIT_EXPECT_EQ(test, kvirtio_blk_create(&c->opts, &c->tb.be, &vdev),
			-E2BIG);
	/* What a VMM asks for in practice still fits. */
	c->opts.num_queues = 16;
	c->opts.queue_size = 256;
	c->opts.seg_max = 254;
	KUNIT_ASSERT_EQ(test, kvirtio_blk_create(&c->opts, &c->tb.be, &vdev),
			0);
	kvirtio_blk_destroy(vdev);
}

/*
 * Write cache: with FLUSH negotiated writes may be cached; without it every
 * write is submitted for durability, and a device that offers no FLUSH
 * refuses the command.
 */
static void blk_test_write_cache(struct kunit *test)
{
	struct tb_ctx *c = tb_setup(test);
	u64 data = tb_data(c, 512, 1), status;

	tb_simple(c, VIRTIO_BLK_T_OUT, 0, data, 512, false, &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	KUNIT_EXPECT_FALSE(test, c->tb.last_sync);
	tb_teardown(c);

	c = tb_alloc(test);
	tb_start(test, c, TB_FEATURES & ~BIT_ULL(VIRTIO_BLK_F_FLUSH));
	data = tb_data(c, 512, 1);
	tb_simple(c, VIRTIO_BLK_T_OUT, 0, data, 512, false, &status);
	KUNIT_EXPECT_EQ(test, tb_run(c), 0);
	KUNIT_EXPECT_TRUE(test, c->tb.last_sync);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_OK);
	tb_teardown(c);

	c = tb_alloc(test);
	c->opts.flush = false;
	tb_start(test, c, TB_FEATURES & ~BIT_ULL(VIRTIO_BLK_F_FLUSH));
	KUNIT_EXPECT_FALSE(test, c->h.vdev->device_features &
			   BIT_ULL(VIRTIO_BLK_F_FLUSH));
	tb_expect_refused(test, c, VIRTIO_BLK_T_FLUSH, 0, 0, false,
			  VIRTIO_BLK_S_UNSUPP);
	tb_teardown(c);
}

/* Two queues work independently. */
static void blk_test_multiqueue(struct kunit *test)
{
	struct tb_ctx *c = tb_alloc(test);
	struct kvirtio_test_buf b[3];
	u64 data, status;
	u16 head;

	c->opts.num_queues = 2;
	tb_start(test, c, TB_FEATURES | BIT_ULL(VIRTIO_BLK_F_MQ));
	KUNIT_EXPECT_TRUE(test, c->h.vdev->device_features &
			  BIT_ULL(VIRTIO_BLK_F_MQ));
	data = tb_data(c, 512, 0x5e);
	status = tb_status(c);
	b[0] = (struct kvirtio_test_buf){ tb_hdr(c, VIRTIO_BLK_T_OUT, 3), 16,
					  false };
	b[1] = (struct kvirtio_test_buf){ data, 512, false };
	b[2] = (struct kvirtio_test_buf){ status, 1, true };
	head = kvt_post(&c->h, 1, b, 3);
	KUNIT_EXPECT_EQ(test, kvt_process(&c->h, 0, 64, 1 << 20), 0);
	KUNIT_EXPECT_EQ(test, c->tb.submits, 0U);
	KUNIT_EXPECT_EQ(test, kvt_process(&c->h, 1, 64, 1 << 20), 0);
	KUNIT_EXPECT_EQ(test, c->tb.disk[3 * 512], 0x5e);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&c->h.rings[1]), 1);
	KUNIT_EXPECT_EQ(test, tb_peek8(c, status), VIRTIO_BLK_S_OK);
	KUNIT_EXPECT_EQ(test, head, 0);
	tb_teardown(c);
}

static struct kunit_case blk_test_cases[] = {
	KUNIT_CASE(blk_test_identity_config),
	KUNIT_CASE(blk_test_create_rejects),
	KUNIT_CASE(blk_test_write_read),
	KUNIT_CASE(blk_test_split_layout),
	KUNIT_CASE(blk_test_merged_header),
	KUNIT_CASE(blk_test_flush_get_id),
	KUNIT_CASE(blk_test_discard),
	KUNIT_CASE(blk_test_dwz_refusals),
	KUNIT_CASE(blk_test_write_zeroes),
	KUNIT_CASE(blk_test_dwz_not_negotiated),
	KUNIT_CASE(blk_test_malformed_status),
	KUNIT_CASE(blk_test_no_status_breaks),
	KUNIT_CASE(blk_test_too_many_descs_breaks),
	KUNIT_CASE(blk_test_read_only),
	KUNIT_CASE(blk_test_block_size),
	KUNIT_CASE(blk_test_backend_errors),
	KUNIT_CASE(blk_test_async_out_of_order),
	KUNIT_CASE(blk_test_reset_inflight),
	KUNIT_CASE(blk_test_pool_recycled),
	KUNIT_CASE(blk_test_inflight_cap),
	KUNIT_CASE(blk_test_budget),
	KUNIT_CASE(blk_test_dwz_budget),
	KUNIT_CASE(blk_test_requeue),
	KUNIT_CASE(blk_test_pool_cap),
	KUNIT_CASE(blk_test_write_cache),
	KUNIT_CASE(blk_test_multiqueue),
	{}
};

static struct kunit_suite blk_test_suite = {
	.name = "kvirtio_blk",
	.test_cases = blk_test_cases,
};

kunit_test_suite(blk_test_suite);
