// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the fuzzer plays a hostile guest against the
 * virtio-blk device (devices/blk.c) over a checking backend double.
 *
 * Input: a 2-byte header (device options; queue size and how often the
 * backend hands each request back with kvirtio_blk_requeue() before doing
 * it), then an op stream: post a chain (descriptors anywhere, a request
 * header of a chosen type and sector in the first buffer, discard segments
 * in the second), poke raw guest bytes, run process_queue with a budget,
 * complete requests the backend holds (any order), reset a queue and set
 * it up again.
 *
 * The backend aborts (libFuzzer reports a crash) if the device ever hands
 * it a request it should have refused:
 *  - a range outside the capacity, not block aligned, or a write, discard
 *    or write-zeroes on a read-only disk;
 *  - read/write segments that do not add up to the length, exceed
 *    size_max, leave guest RAM, or are more than seg_max + 2;
 *  - discard/write-zeroes ranges beyond the negotiated limits.
 * After a reset nothing may be held by the backend, and at the end every
 * request must be back in the pool (the device frees without leaks).
 * Also built without libFuzzer (tools/tests/corpus_replay.c).
 */
#include "compat.h"
#include "virtqueue.h"
#include "virtio_dev.h"
#include "devices/blk.h"
#include "kvirtio_test_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FB_BASE		0x40000ULL
#define FB_RAM		0x10000ULL
#define FB_SECTORS	64
#define FB_SEG_MAX	6
#define FB_SIZE_MAX	4096
#define FB_DSEG		3
#define FB_DSECTORS	8
#define FB_HELD		64

#define fb_assert(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz_blk: %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

struct fb {
	const u8 *p;
	size_t left;
	struct kvirtio_blk_backend be;
	struct kvirtio_test_mem tm;
	struct kvirtio_test_ring r;
	struct kvirtio_device *vdev;
	bool async;
	u8 requeues;		/* hand each request back this often first */
	u16 qsize;
	u16 next_desc;
	u64 features;
	u8 disk[FB_SECTORS * 512];
	struct kvirtio_blk_req *held[FB_HELD];
	unsigned int nheld;
};

static u8 fb_u8(struct fb *z)
{
	if (!z->left)
		return 0;
	z->left--;
	return *z->p++;
}

static u16 fb_u16(struct fb *z)
{
	u16 lo = fb_u8(z);

	return lo | (u16)fb_u8(z) << 8;
}

static u32 fb_u32(struct fb *z)
{
	u32 lo = fb_u16(z);

	return lo | (u32)fb_u16(z) << 16;
}

/* Sectors near the interesting edges. */
static u64 fb_sector(struct fb *z)
{
	u8 mode = fb_u8(z);
	u64 hi;

	switch (mode & 3) {
	case 0:
		return fb_u8(z) % (FB_SECTORS + 2);
	case 1:
		return (U64_MAX >> 9) - (fb_u8(z) & 3);
	case 2:
		hi = fb_u32(z);
		return hi << 32 | fb_u32(z);
	default:
		return FB_SECTORS - (fb_u8(z) & 7);
	}
}

static void fb_check_req(struct fb *z, struct kvirtio_blk_req *req)
{
	u64 total = 0, end;
	u16 i;

	if (req->op == KVIRTIO_BLK_OP_FLUSH)
		return;
	fb_assert(req->op != KVIRTIO_BLK_OP_READ ? !z->be.read_only : 1);
	for (i = 0; i < req->nr_segs; i++) {
		const struct kvirtio_blk_seg *s = &req->segs[i];

		fb_assert(s->len);
		if (req->op == KVIRTIO_BLK_OP_READ ||
		    req->op == KVIRTIO_BLK_OP_WRITE) {
			fb_assert(s->len <= FB_SIZE_MAX);
			fb_assert(kvirtio_test_mem_is_ram(&z->tm, s->addr, s->len));
		} else {
			fb_assert(s->len <= FB_DSECTORS * 512ULL);
			fb_assert(!check_add_overflow(s->addr, s->len, &end));
			fb_assert(end <= sizeof(z->disk));
			fb_assert(!(s->addr % 512));
		}
		total += s->len;
	}
	fb_assert(total == req->len);
	if (req->op == KVIRTIO_BLK_OP_READ || req->op == KVIRTIO_BLK_OP_WRITE) {
		fb_assert(req->nr_segs <= FB_SEG_MAX + 2);
		fb_assert(!check_add_overflow(req->offset, req->len, &end));
		fb_assert(end <= sizeof(z->disk));
		fb_assert(!(req->offset % 512) && !(req->len % 512));
	} else {
		fb_assert(req->nr_segs <= FB_DSEG);
	}
}

static void fb_execute(struct fb *z, struct kvirtio_blk_req *req)
{
	u64 off = req->offset;
	u32 bytes = 0;
	u8 status = VIRTIO_BLK_S_OK;
	u16 i;

	for (i = 0; i < req->nr_segs; i++) {
		const struct kvirtio_blk_seg *s = &req->segs[i];

		if (req->op == KVIRTIO_BLK_OP_READ) {
			if (kvirtio_gmem_write(req->mem, s->addr, z->disk + off,
					       s->len))
				status = VIRTIO_BLK_S_IOERR;
			bytes += s->len;
			off += s->len;
		} else if (req->op == KVIRTIO_BLK_OP_WRITE) {
			if (kvirtio_gmem_read(req->mem, s->addr, z->disk + off,
					      s->len))
				status = VIRTIO_BLK_S_IOERR;
			off += s->len;
		} else {
			memset(z->disk + s->addr, 0, s->len);
		}
	}
	kvirtio_blk_complete(req, status, bytes);
}

static int fb_submit(struct kvirtio_blk_backend *be, struct kvirtio_blk_req *req)
{
	struct fb *z = container_of(be, struct fb, be);

	fb_check_req(z, req);
	/* Long work, as a zero-filling backend does (kvirtio_blk_requeue). */
	if (req->resumes < z->requeues) {
		kvirtio_blk_requeue(req);
		return 0;
	}
	if (z->async && z->nheld < FB_HELD) {
		z->held[z->nheld++] = req;
		return 0;
	}
	fb_execute(z, req);
	return 0;
}

static void fb_complete_held(struct fb *z, unsigned int i)
{
	struct kvirtio_blk_req *req = z->held[i];

	z->held[i] = z->held[--z->nheld];
	fb_execute(z, req);
}

static void fb_wait(struct kvirtio_blk_backend *be)
{
	struct fb *z = container_of(be, struct fb, be);

	while (z->nheld)
		fb_complete_held(z, 0);
}

static const struct kvirtio_blk_backend_ops fb_ops = {
	.submit = fb_submit,
	.wait = fb_wait,
};

static void fb_irq(struct kvirtio_device *vdev, u16 qid)
{
}

static void fb_cfg_irq(struct kvirtio_device *vdev)
{
}

static void fb_kick(struct kvirtio_device *vdev, u16 qid)
{
}

static const struct kvirtio_transport_ops fb_transport = {
	.queue_interrupt = fb_irq,
	.config_interrupt = fb_cfg_irq,
	.needs_reset = fb_cfg_irq,
};

static const struct kvirtio_host_ops fb_host = {
	.kick = fb_kick,
};

static bool fb_setup_queue(struct fb *z)
{
	struct kvirtio_queue_config cfg;

	kvirtio_test_ring_place(&z->r, &z->tm, z->qsize, FB_BASE);
	kvirtio_test_ring_config(&z->r, &cfg, z->features, z->vdev->max_chain);
	z->next_desc = 0;
	if (kvirtio_queue_setup(&z->vdev->queues[0], &z->tm.mem, &cfg))
		return false;
	return !z->vdev->ops->queue_enable(z->vdev, 0);
}

/* Post a chain; the first buffer gets a header, the second maybe segments. */
static void fb_post(struct fb *z)
{
	static const u32 types[] = { 0, 1, 4, 8, 11, 13, 14, 99 };
	struct kvirtio_test_buf b[FB_SEG_MAX + 4];
	u8 n = fb_u8(z) % ARRAY_SIZE(b) + 1;
	u8 i, k;

	for (i = 0; i < n; i++) {
		u8 m = fb_u8(z);

		b[i].addr = FB_BASE + 0x2000 + (fb_u16(z) % (FB_RAM - 0x2000));
		b[i].writable = m & 1;
		/* Lengths a well-formed request uses, and others. */
		switch ((m >> 1) & 7) {
		case 0:
			b[i].len = 16;
			break;
		case 1:
			b[i].len = 1;
			break;
		case 2:
		case 3:
			b[i].len = 512 * (1 + fb_u8(z) % 9);
			break;
		case 4:
			b[i].len = 16 * (1 + fb_u8(z) % 5);
			break;
		case 5:
			b[i].len = 0;
			break;
		default:
			b[i].len = fb_u16(z) % 0x2200;
			break;
		}
		if (!kvirtio_test_mem_is_ram(&z->tm, b[i].addr, b[i].len))
			b[i].len = 1;
	}
	if (b[0].len >= 16) {
		__le32 t = cpu_to_le32(types[fb_u8(z) % ARRAY_SIZE(types)]);
		__le64 s = cpu_to_le64(fb_sector(z));

		kvirtio_test_poke(&z->tm, b[0].addr, &t, 4);
		kvirtio_test_poke(&z->tm, b[0].addr + 8, &s, 8);
	}
	if (n > 1) {
		for (k = 0; k < 4 && (k + 1) * 16U <= b[1].len; k++) {
			__le64 s = cpu_to_le64(fb_sector(z));
			__le32 ns = cpu_to_le32(fb_u8(z) % 12);
			__le32 fl = cpu_to_le32(fb_u8(z) % 3);

			kvirtio_test_poke(&z->tm, b[1].addr + 16 * k, &s, 8);
			kvirtio_test_poke(&z->tm, b[1].addr + 16 * k + 8, &ns, 4);
			kvirtio_test_poke(&z->tm, b[1].addr + 16 * k + 12, &fl, 4);
		}
	}
	kvirtio_test_add_chain(&z->r, z->next_desc, b, n);
	kvirtio_test_avail_add(&z->r, z->next_desc & (z->qsize - 1));
	kvirtio_test_avail_publish(&z->r);
	z->next_desc += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fb z;
	struct kvirtio_blk_opts o = { 0 };
	struct kvirtio_budget budget;
	unsigned int ops = 0;
	u8 flags, b;
	int ret;

	memset(&z, 0, sizeof(z));
	z.p = data;
	z.left = size;
	flags = fb_u8(&z);
	b = fb_u8(&z);
	z.qsize = 4U << (b % 5);
	z.requeues = b / 5 % 3;
	z.async = flags & 1;
	z.be.ops = &fb_ops;
	z.be.capacity = sizeof(z.disk);
	z.be.blk_size = flags & 2 ? 4096 : 512;
	z.be.read_only = flags & 4;
	z.be.discard = true;
	z.be.write_zeroes = true;
	z.be.zeroes_may_unmap = flags & 8;
	o.queue_size = z.qsize;
	o.seg_max = FB_SEG_MAX;
	o.size_max = FB_SIZE_MAX;
	o.discard_seg = FB_DSEG;
	o.discard_sectors = FB_DSECTORS;
	o.flush = flags & 16;
	z.features = BIT_ULL(VIRTIO_F_VERSION_1) |
		     (flags & 32 ? BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) : 0) |
		     (flags & 64 ? BIT_ULL(VIRTIO_BLK_F_DISCARD) |
				   BIT_ULL(VIRTIO_BLK_F_WRITE_ZEROES) : 0) |
		     (flags & 128 ? BIT_ULL(VIRTIO_BLK_F_FLUSH) : 0);

	if (kvirtio_test_mem_init(&z.tm, FB_BASE, FB_RAM))
		return 0;
	fb_assert(!kvirtio_blk_create(&o, &z.be, &z.vdev));
	z.vdev->mem = &z.tm.mem;
	z.vdev->transport = &fb_transport;
	z.vdev->host = &fb_host;
	z.vdev->driver_features = z.features;
	if (!fb_setup_queue(&z))
		goto out;

	while (z.left && ops++ < 256) {
		u8 op = fb_u8(&z);

		switch (op % 6) {
		case 0:
		case 1:
			fb_post(&z);
			break;
		case 2:
			budget.requests = fb_u8(&z);
			budget.bytes = fb_u32(&z);
			/* An inline pass: no request larger than what is left. */
			budget.no_overdraw = budget.requests & 1;
			ret = z.vdev->ops->process_queue(z.vdev, 0, &budget);
			fb_assert(ret <= 1);
			break;
		case 3:
			if (z.nheld)
				fb_complete_held(&z, fb_u8(&z) % z.nheld);
			break;
		case 4: {
			u16 off = fb_u16(&z) % FB_RAM;
			u8 v = fb_u8(&z);

			kvirtio_test_poke(&z.tm, FB_BASE + off, &v, 1);
			break;
		}
		default:
			/* Queue reset: waits, then the driver sets it up again. */
			z.vdev->ops->queue_disable(z.vdev, 0);
			fb_assert(!z.nheld);
			kvirtio_queue_teardown(&z.vdev->queues[0]);
			if (!fb_setup_queue(&z))
				goto out;
			break;
		}
	}
out:
	z.vdev->ops->reset(z.vdev);
	fb_assert(!z.nheld);
	kvirtio_queue_teardown(&z.vdev->queues[0]);
	fb_assert(!z.tm.live_maps);
	kvirtio_blk_destroy(z.vdev);
	kvirtio_test_mem_destroy(&z.tm);
	return 0;
}
