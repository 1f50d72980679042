// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the kernel file backend of virtio-blk (host/blk_file.c)
 * on an unnamed file of the root file system (O_TMPFILE; ramfs in the
 * KUnit kernel), driven through the real device.  The guest memory is
 * the flat test double, which the backend cannot translate to user
 * addresses: requests take the bounce path (kernel_read/kernel_write).
 * The double can also hand out its pages (get_pages, as the vDPA front
 * end's memory does): requests then go to the file as page vectors.
 * The kiocb path on user memory needs a VMM's mm and is covered by the
 * nested e2e runs.
 */
#include <kunit/test.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/fcntl.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>

#include "devices/blk.h"
#include "host/blk_file.h"
#include "host/page_vec.h"
#include "kvirtio_dev_harness.h"

#define BFT_SECTORS	64
#define BFT_QSIZE	16

#define BFT_FEATURES	(BIT_ULL(VIRTIO_F_VERSION_1) | \
			 BIT_ULL(VIRTIO_BLK_F_FLUSH) | \
			 BIT_ULL(VIRTIO_BLK_F_DISCARD) | \
			 BIT_ULL(VIRTIO_BLK_F_WRITE_ZEROES))

struct bft_ctx {
	struct kvt_dev h;
	struct file *file;
	struct kvirtio_blk_backend *be;
};

/* An unnamed @size-byte file of @fill bytes, gone at its last fput. */
static struct file *bft_file_fill(struct kunit *test, size_t size, u8 fill)
{
	u8 zero[512];
	struct file *file;
	loff_t pos = 0;

	memset(zero, fill, sizeof(zero));
	file = filp_open("/", O_TMPFILE | O_RDWR, 0600);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(file), "O_TMPFILE: %ld",
			       PTR_ERR(file));
	while (pos < size)
		KUNIT_ASSERT_EQ(test, kernel_write(file, zero, sizeof(zero),
						   &pos), (ssize_t)sizeof(zero));
	return file;
}

static struct file *bft_file(struct kunit *test, size_t size)
{
	return bft_file_fill(test, size, 0);
}

static struct bft_ctx *bft_setup_file(struct kunit *test, struct file *file)
{
	struct kvirtio_blk_opts o = { .queue_size = BFT_QSIZE, .flush = true };
	struct kvirtio_device *vdev;
	struct bft_ctx *c;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	c->file = file;
	c->be = kvirtio_blk_file_create(c->file, 0, 512, false, 8);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c->be));
	KUNIT_ASSERT_EQ(test, c->be->capacity, (u64)i_size_read(file_inode(file)));
	KUNIT_ASSERT_EQ(test, kvirtio_blk_create(&o, c->be, &vdev), 0);
	KUNIT_ASSERT_EQ(test, kvt_dev_attach(&c->h, vdev, BFT_FEATURES,
					     BFT_QSIZE), 0);
	return c;
}

static struct bft_ctx *bft_setup(struct kunit *test)
{
	return bft_setup_file(test, bft_file(test, BFT_SECTORS * 512));
}

static void bft_teardown(struct bft_ctx *c)
{
	struct kvirtio_device *vdev = c->h.vdev;

	kvt_dev_detach(&c->h);
	kvirtio_blk_destroy(vdev);
	kvirtio_blk_file_destroy(c->be);
	fput(c->file);
}

/* Post header [+ data] + status; run; return the status byte. */
static u8 bft_request(struct kunit *test, struct bft_ctx *c, u32 type,
		      u64 sector, u64 data, u32 len, bool writable)
{
	struct kvirtio_test_buf b[3];
	u64 hdr = kvt_alloc(&c->h, 16), st = kvt_alloc(&c->h, 1);
	__le32 t = cpu_to_le32(type);
	__le64 s = cpu_to_le64(sector);
	u8 status = 0xa5;
	u16 n = 0;

	kvirtio_test_poke(&c->h.tm, hdr, &t, 4);
	kvirtio_test_poke(&c->h.tm, hdr + 8, &s, 8);
	kvirtio_test_poke(&c->h.tm, st, &status, 1);
	b[n++] = (struct kvirtio_test_buf){ hdr, 16, false };
	if (len)
		b[n++] = (struct kvirtio_test_buf){ data, len, writable };
	b[n++] = (struct kvirtio_test_buf){ st, 1, true };
	kvt_post(&c->h, 0, b, n);
	KUNIT_EXPECT_EQ(test, kvt_process(&c->h, 0, 64, 1 << 20), 0);
	kvirtio_test_peek(&c->h.tm, st, &status, 1);
	return status;
}

static void bft_file_bytes(struct bft_ctx *c, loff_t pos, void *buf, size_t n)
{
	memset(buf, 0xee, n);
	kernel_read(c->file, buf, n, &pos);
}

static u64 bft_dwz(struct bft_ctx *c, u64 sector, u32 num, u32 flags)
{
	u64 gpa = kvt_alloc(&c->h, 16);
	__le64 s = cpu_to_le64(sector);
	__le32 ns = cpu_to_le32(num), f = cpu_to_le32(flags);

	kvirtio_test_poke(&c->h.tm, gpa, &s, 8);
	kvirtio_test_poke(&c->h.tm, gpa + 8, &ns, 4);
	kvirtio_test_poke(&c->h.tm, gpa + 12, &f, 4);
	return gpa;
}

static void blk_file_test_read_write(struct kunit *test)
{
	struct bft_ctx *c = bft_setup(test);
	u64 w = kvt_alloc(&c->h, 6144), r = kvt_alloc(&c->h, 6144);
	u8 *wp = kvirtio_test_mem_ptr(&c->h.tm, w, 6144);
	u8 file[16];
	u32 i;

	/* Crosses page boundaries of the bounce path. */
	for (i = 0; i < 6144; i++)
		wp[i] = (u8)(i * 7 + 3);
	KUNIT_EXPECT_EQ(test, bft_request(test, c, VIRTIO_BLK_T_OUT, 3, w, 6144,
					  false), VIRTIO_BLK_S_OK);
	bft_file_bytes(c, 3 * 512, file, 16);
	KUNIT_EXPECT_EQ(test, memcmp(file, wp, 16), 0);
	KUNIT_EXPECT_EQ(test, bft_request(test, c, VIRTIO_BLK_T_IN, 3, r, 6144,
					  true), VIRTIO_BLK_S_OK);
	KUNIT_EXPECT_EQ(test, memcmp(kvirtio_test_mem_ptr(&c->h.tm, r, 6144),
				     wp, 6144), 0);
	KUNIT_EXPECT_EQ(test, bft_request(test, c, VIRTIO_BLK_T_FLUSH, 0, 0, 0,
					  false), VIRTIO_BLK_S_OK);
	/* Past the end of the file: refused by the device. */
	KUNIT_EXPECT_EQ(test, bft_request(test, c, VIRTIO_BLK_T_IN,
					  BFT_SECTORS, r, 512, true),
			VIRTIO_BLK_S_IOERR);
	bft_teardown(c);
}

static void blk_file_test_discard_zeroes(struct kunit *test)
{
	struct bft_ctx *c = bft_setup(test);
	u64 w = kvt_alloc(&c->h, 4096);
	u8 file[512], ones[512];

	memset(kvirtio_test_mem_ptr(&c->h.tm, w, 4096), 0xff, 4096);
	memset(ones, 0xff, sizeof(ones));
	KUNIT_EXPECT_EQ(test, bft_request(test, c, VIRTIO_BLK_T_OUT, 8, w, 4096,
					  false), VIRTIO_BLK_S_OK);
	/*
	 * Discard sector 8: a hint; where the file system cannot punch
	 * holes (ramfs) the data may stay, and that is not an error.
	 */
	KUNIT_EXPECT_EQ(test, bft_request(test, c, VIRTIO_BLK_T_DISCARD, 0,
					  bft_dwz(c, 8, 1, 0), 16, false),
			VIRTIO_BLK_S_OK);
	/* Zero sector 10 without unmap (explicit zero writes on ramfs). */
	KUNIT_EXPECT_EQ(test, bft_request(test, c, VIRTIO_BLK_T_WRITE_ZEROES,
					  0, bft_dwz(c, 10, 1, 0), 16, false),
			VIRTIO_BLK_S_OK);
	/* Zero sector 12 with unmap allowed: zeroes by whatever means. */
	KUNIT_EXPECT_EQ(test, bft_request(test, c, VIRTIO_BLK_T_WRITE_ZEROES,
					  0, bft_dwz(c, 12, 1,
						     VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP),
					  16, false), VIRTIO_BLK_S_OK);
	bft_file_bytes(c, 10 * 512, file, 512);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(file, 0, 512));
	bft_file_bytes(c, 12 * 512, file, 512);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(file, 0, 512));
	bft_file_bytes(c, 9 * 512, file, 512);
	KUNIT_EXPECT_EQ(test, memcmp(file, ones, 512), 0);
	bft_file_bytes(c, 11 * 512, file, 512);
	KUNIT_EXPECT_EQ(test, memcmp(file, ones, 512), 0);
	bft_teardown(c);
}

/*
 * Where the file system can neither zero nor punch (ramfs here), a
 * write-zeroes request is written by hand in BF_ZERO_STEP pieces, one per
 * worker pass: the request is handed back between pieces, so one request
 * for gigabytes cannot hold the worker (or a config write) for its whole
 * length.  The zeroes land in place even on an O_APPEND open.
 */
static void blk_file_test_zero_fill_steps(struct kunit *test)
{
	/* Ones, so that zeroes show; then O_APPEND, as fcntl would set it. */
	struct file *file = bft_file_fill(test, 4 << 20, 0xff);
	struct bft_ctx *c;
	struct kvirtio_test_buf b[3];
	__le32 t = cpu_to_le32(VIRTIO_BLK_T_WRITE_ZEROES);
	u8 buf[512], status = 0xa5;
	unsigned int passes = 0;
	u64 st, hdr;

	spin_lock(&file->f_lock);
	file->f_flags |= O_APPEND;
	spin_unlock(&file->f_lock);
	c = bft_setup_file(test, file);
	st = kvt_alloc(&c->h, 1);
	hdr = kvt_alloc(&c->h, 16);
	kvirtio_test_poke(&c->h.tm, hdr, &t, 4);
	kvirtio_test_poke(&c->h.tm, st, &status, 1);
	b[0] = (struct kvirtio_test_buf){ hdr, 16, false };
	b[1] = (struct kvirtio_test_buf){ bft_dwz(c, 0, 3 << 11, 0), 16, false };
	b[2] = (struct kvirtio_test_buf){ st, 1, true };
	kvt_post(&c->h, 0, b, 3);
	/* 3 MiB in 1 MiB steps: three passes, answered only at the end. */
	while (kvt_process(&c->h, 0, 64, 1 << 20) && passes < 10) {
		passes++;
		kvirtio_test_peek(&c->h.tm, st, &status, 1);
		KUNIT_EXPECT_EQ(test, status, 0xa5);
	}
	passes++;
	KUNIT_EXPECT_EQ(test, passes, 3U);
	kvirtio_test_peek(&c->h.tm, st, &status, 1);
	KUNIT_EXPECT_EQ(test, status, VIRTIO_BLK_S_OK);
	bft_file_bytes(c, 0, buf, 512);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(buf, 0, 512));
	bft_file_bytes(c, (3 << 20) - 512, buf, 512);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(buf, 0, 512));
	bft_file_bytes(c, 3 << 20, buf, 512);
	KUNIT_EXPECT_EQ(test, buf[0], 0xff);
	/* In place: nothing went to the end of the O_APPEND file. */
	KUNIT_EXPECT_EQ(test, i_size_read(file_inode(c->file)), 4LL << 20);
	bft_teardown(c);
}

/*
 * The test double with get_pages.  Its buffer is kvzalloc'ed: a large
 * kmalloc or vmalloc, either way pages with a reference count of their
 * own.  @ro_gpa/@ro_len: a range the device may not write (a read-only
 * mapping); @full: every call answers -E2BIG (a vector too small).
 */
static struct {
	struct kvirtio_guest_mem_ops ops;
	u64 ro_gpa, ro_len;
	bool full;
	unsigned int calls;
} bft_pages;

static struct page *bft_page_of(void *p)
{
	return is_vmalloc_addr(p) ? vmalloc_to_page(p) : virt_to_page(p);
}

static int bft_get_pages(struct kvirtio_guest_mem *mem, u64 gpa, u64 len,
			 bool dev_writes, struct kvirtio_page_vec *pv)
{
	struct kvirtio_test_mem *tm = container_of(mem, struct kvirtio_test_mem,
						   mem);

	bft_pages.calls++;
	pv->refs = true;
	if (bft_pages.full)
		return -E2BIG;
	if (dev_writes && gpa < bft_pages.ro_gpa + bft_pages.ro_len &&
	    gpa + len > bft_pages.ro_gpa)
		return -EFAULT;
	while (len) {
		u8 *p = kvirtio_test_mem_ptr(tm, gpa, 1);
		u32 n = min_t(u64, len, PAGE_SIZE - offset_in_page(p));
		struct page *page;

		if (!p)
			return -EFAULT;
		if (pv->nr >= pv->cap)
			return -E2BIG;
		page = bft_page_of(p);
		get_page(page);
		bvec_set_page(&pv->bv[pv->nr++], page, n, offset_in_page(p));
		pv->bytes += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

static void bft_use_pages(struct bft_ctx *c)
{
	memset(&bft_pages, 0, sizeof(bft_pages));
	bft_pages.ops = *c->h.tm.mem.ops;
	bft_pages.ops.get_pages = bft_get_pages;
	c->h.tm.mem.ops = &bft_pages.ops;
}

static int bft_page_refs(struct bft_ctx *c, u64 gpa)
{
	return page_count(bft_page_of(kvirtio_test_mem_ptr(&c->h.tm, gpa, 1)));
}

/*
 * Page vectors: data crossing pages reaches the file and comes back with
 * no bounce, and every page reference taken for the I/O is dropped by its
 * completion.
 */
static void blk_file_test_pages(struct kunit *test)
{
	struct bft_ctx *c = bft_setup(test);
	u64 w = kvt_alloc(&c->h, 3 * PAGE_SIZE), r = kvt_alloc(&c->h, 6144);
	u8 *wp = kvirtio_test_mem_ptr(&c->h.tm, w, 6144);
	struct kvirtio_blk_file_counts counts;
	int refs_w, refs_r;
	u8 file[16];
	u32 i;

	bft_use_pages(c);
	/* Start mid-page, so the 6144 bytes span three pages. */
	w += PAGE_SIZE - 1024;
	wp += PAGE_SIZE - 1024;
	refs_w = bft_page_refs(c, w);
	refs_r = bft_page_refs(c, r);
	for (i = 0; i < 6144; i++)
		wp[i] = (u8)(i * 5 + 1);
	KUNIT_EXPECT_EQ(test, bft_request(test, c, VIRTIO_BLK_T_OUT, 5, w, 6144,
					  false), VIRTIO_BLK_S_OK);
	bft_file_bytes(c, 5 * 512 + 4000, file, 16);
	KUNIT_EXPECT_EQ(test, memcmp(file, wp + 4000, 16), 0);
	KUNIT_EXPECT_EQ(test, bft_request(test, c, VIRTIO_BLK_T_IN, 5, r, 6144,
					  true), VIRTIO_BLK_S_OK);
	KUNIT_EXPECT_EQ(test, memcmp(kvirtio_test_mem_ptr(&c->h.tm, r, 6144),
				     wp, 6144), 0);
	kvirtio_blk_file_get_counts(c->be, &counts);
	KUNIT_EXPECT_EQ(test, counts.pagevecs, 2ULL);
	KUNIT_EXPECT_EQ(test, counts.kiocbs, 2ULL);
	KUNIT_EXPECT_EQ(test, counts.bounced, 0ULL);
	KUNIT_EXPECT_EQ(test, bft_pages.calls, 2U);
	/* The same pages as before: no reference left behind. */
	KUNIT_EXPECT_EQ(test, bft_page_refs(c, w), refs_w);
	KUNIT_EXPECT_EQ(test, bft_page_refs(c, r), refs_r);
	bft_teardown(c);
}

/*
 * A read into memory the device may not write fails the request and
 * leaves the memory alone; a vector that runs out of room falls back to
 * the bounce page, with the same result.
 */
static void blk_file_test_pages_refused(struct kunit *test)
{
	struct bft_ctx *c = bft_setup(test);
	u64 w = kvt_alloc(&c->h, 4096), r = kvt_alloc(&c->h, 4096);
	u8 *wp = kvirtio_test_mem_ptr(&c->h.tm, w, 4096);
	u8 *rp = kvirtio_test_mem_ptr(&c->h.tm, r, 4096);
	struct kvirtio_blk_file_counts counts;
	int refs_r;

	bft_use_pages(c);
	refs_r = bft_page_refs(c, r);
	memset(wp, 0x3c, 4096);
	memset(rp, 0x77, 4096);
	KUNIT_EXPECT_EQ(test, bft_request(test, c, VIRTIO_BLK_T_OUT, 0, w, 4096,
					  false), VIRTIO_BLK_S_OK);
	bft_pages.ro_gpa = r + 2048;
	bft_pages.ro_len = 1;
	KUNIT_EXPECT_EQ(test, bft_request(test, c, VIRTIO_BLK_T_IN, 0, r, 4096,
					  true), VIRTIO_BLK_S_IOERR);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(rp, 0x77, 4096));
	KUNIT_EXPECT_EQ(test, bft_page_refs(c, r), refs_r);
	/* The queue goes on: the same read into writable memory. */
	bft_pages.ro_len = 0;
	bft_pages.full = true;
	KUNIT_EXPECT_EQ(test, bft_request(test, c, VIRTIO_BLK_T_IN, 0, r, 4096,
					  true), VIRTIO_BLK_S_OK);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(rp, 0x3c, 4096));
	KUNIT_EXPECT_EQ(test, bft_page_refs(c, r), refs_r);
	kvirtio_blk_file_get_counts(c->be, &counts);
	KUNIT_EXPECT_EQ(test, counts.pagevecs, 1ULL);
	KUNIT_EXPECT_EQ(test, counts.bounced, 1ULL);
	bft_teardown(c);
}

static void blk_file_test_create_rejects(struct kunit *test)
{
	struct file *file = bft_file(test, 4096);
	struct kvirtio_blk_backend *be;

	/* More than the file holds. */
	be = kvirtio_blk_file_create(file, 8192, 512, false, 8);
	KUNIT_EXPECT_EQ(test, PTR_ERR(be), -EINVAL);
	be = kvirtio_blk_file_create(file, 0, 1000, false, 8);
	KUNIT_EXPECT_EQ(test, PTR_ERR(be), -EINVAL);
	be = kvirtio_blk_file_create(file, 0, 512, false, 0);
	KUNIT_EXPECT_EQ(test, PTR_ERR(be), -EINVAL);
	/* Capacity rounds down to whole blocks. */
	be = kvirtio_blk_file_create(file, 4000, 512, true, 8);
	KUNIT_ASSERT_FALSE(test, IS_ERR(be));
	KUNIT_EXPECT_EQ(test, be->capacity, 3584ULL);
	KUNIT_EXPECT_TRUE(test, be->read_only);
	kvirtio_blk_file_destroy(be);
	fput(file);
}

static struct kunit_case blk_file_test_cases[] = {
	KUNIT_CASE(blk_file_test_read_write),
	KUNIT_CASE(blk_file_test_discard_zeroes),
	KUNIT_CASE(blk_file_test_zero_fill_steps),
	KUNIT_CASE(blk_file_test_create_rejects),
	KUNIT_CASE(blk_file_test_pages),
	KUNIT_CASE(blk_file_test_pages_refused),
	{}
};

static struct kunit_suite blk_file_test_suite = {
	.name = "kvirtio_blk_file",
	.test_cases = blk_file_test_cases,
};

kunit_test_suite(blk_file_test_suite);
