// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio virtio-blk backend on a struct file.
 *
 * Reads and writes are asynchronous kiocbs: the guest segments are
 * translated to the VMM's user addresses (the device's worker runs under
 * kthread_use_mm() of the VMM, so they are valid) and handed to
 * ->read_iter/->write_iter as an ITER_IOVEC iterator.  -EIOCBQUEUED means
 * ->ki_complete runs later, possibly in interrupt context; any other
 * return completed the request inline.  O_DIRECT on the file (IOCB_DIRECT)
 * is honoured as the VMM opened it.
 *
 * Guest memory that is host pages (the vDPA front end's: get_pages) goes
 * to the same kiocbs as an ITER_BVEC iterator over those pages, each held
 * until the request completes: the file reads and writes the pages the
 * driver mapped, with no copy.  Guest memory with neither (the KUnit
 * double), and a page vector that would not fit, is copied through one
 * bounce page with the guest memory ops and kernel_read/kernel_write,
 * synchronously.
 *
 * Flush (vfs_fsync), discard and write-zeroes (vfs_fallocate) have no
 * asynchronous form for files: they run synchronously in the worker that
 * submits them.  Where the file system can neither zero nor punch a
 * range, write-zeroes writes zero pages, at most BF_ZERO_STEP bytes per
 * pass: the request is handed back to the device (kvirtio_blk_requeue())
 * and continued in the next pass, so that one request cannot hold the
 * worker (and a config write waiting for it) for gigabytes.
 *
 * Only regular files of real file systems and block devices back a disk:
 * never the files of procfs, sysfs and the other pseudo file systems,
 * whose writes have side effects rather than storage.
 */
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/falloc.h>
#include <linux/uio.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/atomic.h>
#include <linux/bvec.h>
#include <linux/mm.h>
#include <linux/err.h>
#include <linux/mutex.h>
#include <linux/gfp.h>
#include <linux/magic.h>
#include <linux/sizes.h>

#include "../devices/blk.h"
#include "blk_file.h"
#include "kmem.h"
#include "page_vec.h"

/* Zero pages written per call by the explicit write-zeroes fallback. */
#define BF_ZERO_PAGES	16
/* Bytes the fallback writes for one request in one worker pass. */
#define BF_ZERO_STEP	SZ_1M
/* iovecs kept in each request; longer requests allocate for the call. */
#define BF_INLINE_IOV	8
/* Page vector entries kept in each request (a 16 KiB request fits). */
#define BF_INLINE_BV	8
/*
 * Most page vector entries a request may take (16 KiB of them, 4 MiB of
 * data in pages): longer requests, which a driver may build with a large
 * size_max, go through the bounce page instead.
 */
#define BF_MAX_BV	1024

/**
 * struct kvirtio_blk_file - a file as a virtio-blk backend
 * @be: what the device sees
 * @file: our reference to the backing file
 * @inflight: requests between submit and the end of their completion
 * @completions: bumped by every completion, for waiters
 * @wq: waiters for @completions and @inflight
 * @iov_cap: iovecs a request may need (a segment cut by region boundaries
 *	takes several)
 * @is_reg: a regular file (freeze protection for writes)
 * @no_zero_range: fallocate cannot zero a range
 * @no_punch: fallocate cannot punch a hole
 * @kiocbs: read/write requests submitted as kiocbs (user memory or pages)
 * @pagevecs: those of them on guest pages (get_pages)
 * @bounced: read/write requests copied through @bounce
 * @queued: kiocbs the file queued (-EIOCBQUEUED): completed later, by
 *	->ki_complete, possibly in interrupt context
 * @bounce_lock: serializes users of @bounce (workers of several queues)
 * @bounce: one page for guest memory that cannot be translated
 */
struct kvirtio_blk_file {
	struct kvirtio_blk_backend be;
	struct file *file;
	atomic_t inflight;
	atomic_t completions;
	wait_queue_head_t wq;
	u32 iov_cap;
	bool is_reg;
	bool no_zero_range;
	bool no_punch;
	atomic64_t kiocbs;
	atomic64_t pagevecs;
	atomic64_t bounced;
	atomic64_t queued;
	struct mutex bounce_lock;	/* @bounce */
	void *bounce;
};

/*
 * Per-request state, in kvirtio_blk_req.backend_priv.  The iovecs are
 * needed only while ->read_iter/->write_iter runs: an asynchronous
 * request has consumed its iterator by the time it returns -EIOCBQUEUED
 * (fs/aio.c frees its iovecs then too).  A page vector is different: a
 * direct I/O bio may point at the bvec array itself, and the pages must
 * stay ours, so @pv lives until the completion.
 */
struct bf_req {
	struct kiocb iocb;
	struct kvirtio_blk_req *req;
	struct kvirtio_blk_file *bf;
	bool write;
	u16 zero_seg;		/* write-zeroes fallback: next segment */
	u64 zero_done;		/* ...and bytes of it already zeroed */
	struct kvirtio_page_vec pv;	/* pages of a get_pages request */
	union {
		struct iovec inline_iov[BF_INLINE_IOV];
		struct bio_vec inline_bv[BF_INLINE_BV];
	};
};

static struct kvirtio_blk_file *to_bf(struct kvirtio_blk_backend *be)
{
	return container_of(be, struct kvirtio_blk_file, be);
}

static void bf_done(struct kvirtio_blk_file *bf, struct kvirtio_blk_req *req,
		    u8 status, u32 bytes)
{
	unsigned long flags;

	kvirtio_blk_complete(req, status, bytes);
	/*
	 * Under the wait queue's lock: kvirtio_blk_file_destroy() takes it
	 * after seeing inflight == 0, so this is the last touch of @bf.
	 */
	spin_lock_irqsave(&bf->wq.lock, flags);
	atomic_inc(&bf->completions);
	atomic_dec(&bf->inflight);
	wake_up_locked(&bf->wq);
	spin_unlock_irqrestore(&bf->wq.lock, flags);
}

/*
 * Drop the pages of a request's page vector and its array, if allocated:
 * any context (put_page() and kfree() are both safe in an interrupt).
 */
static void bf_pv_release(struct bf_req *r)
{
	kvirtio_page_vec_put(&r->pv);
	if (r->pv.bv != r->inline_bv)
		kfree(r->pv.bv);
	kvirtio_page_vec_init(&r->pv, NULL, 0);
}

/* ->ki_complete: any context, including hard interrupt. */
static void bf_rw_complete(struct kiocb *iocb, long res)
{
	struct bf_req *r = container_of(iocb, struct bf_req, iocb);
	struct kvirtio_blk_req *req = r->req;
	u8 status = VIRTIO_BLK_S_OK;

	if (r->write && r->bf->is_reg)
		kiocb_end_write(iocb);
	/* A short transfer is an error: the range was inside the disk. */
	if (res < 0 || (u64)res != req->len)
		status = VIRTIO_BLK_S_IOERR;
	bf_pv_release(r);
	bf_done(r->bf, req, status, res > 0 ? (u32)res : 0);
}

/* Translate the guest segments into the user iovecs @iov (@cap of them). */
static int bf_build_iov(struct kvirtio_blk_req *req, struct iovec *iov,
			unsigned long cap, unsigned long *nr)
{
	unsigned long n = 0;
	u16 i;

	for (i = 0; i < req->nr_segs; i++) {
		u64 gpa = req->segs[i].addr, left = req->segs[i].len;

		while (left) {
			void __user *uaddr;
			u64 contig;
			int ret;

			ret = kvirtio_kmem_translate(req->mem, gpa, left, &uaddr,
						     &contig);
			if (ret)
				return ret;
			/* Pieces cut by region boundaries beyond the slack. */
			if (n >= cap || !contig)
				return -E2BIG;
			iov[n].iov_base = uaddr;
			iov[n].iov_len = contig;
			n++;
			gpa += contig;
			left -= contig;
		}
	}
	*nr = n;
	return 0;
}

/*
 * Hold the pages of @req's segments in r->pv.  Return 0; -E2BIG when they
 * would take more than BF_MAX_BV entries (the caller bounces); -EFAULT
 * for a byte not mapped with the permission the request needs; -ENOMEM.
 */
static int bf_build_pv(struct bf_req *r, struct kvirtio_blk_req *req)
{
	bool dev_writes = req->op == KVIRTIO_BLK_OP_READ;
	struct bio_vec *bv = r->inline_bv;
	u64 need = 0;
	int ret = 0;
	u16 i;

	/*
	 * The pages each segment spans, if its addresses map page to page
	 * (they do for vhost_vdpa and virtio_vdpa); a finer mapping fills
	 * the vector early and the request bounces.
	 */
	for (i = 0; i < req->nr_segs; i++)
		need += DIV_ROUND_UP_ULL(offset_in_page(req->segs[i].addr) +
					 (u64)req->segs[i].len, PAGE_SIZE);
	if (need > BF_MAX_BV)
		return -E2BIG;
	if (need > BF_INLINE_BV) {
		bv = kmalloc_array(need, sizeof(*bv), GFP_KERNEL_ACCOUNT);
		if (!bv)
			return -ENOMEM;
	}
	kvirtio_page_vec_init(&r->pv, bv, need);
	for (i = 0; i < req->nr_segs && !ret; i++)
		ret = kvirtio_page_vec_add(&r->pv, req->mem, req->segs[i].addr,
					   req->segs[i].len, dev_writes);
	if (!ret && r->pv.bytes != req->len)
		ret = -EINVAL;
	if (ret)
		bf_pv_release(r);
	return ret;
}

/* Copy one request through the bounce page; 0 or a negative errno. */
static int bf_rw_bounce(struct kvirtio_blk_file *bf, struct kvirtio_blk_req *req)
{
	bool write = req->op == KVIRTIO_BLK_OP_WRITE;
	loff_t pos = req->offset;
	int ret = 0;
	u16 i;

	mutex_lock(&bf->bounce_lock);
	for (i = 0; i < req->nr_segs && !ret; i++) {
		u64 gpa = req->segs[i].addr, left = req->segs[i].len;

		while (left && !ret) {
			u32 n = min_t(u64, left, PAGE_SIZE);
			ssize_t done;

			if (write) {
				ret = kvirtio_gmem_read(req->mem, gpa, bf->bounce, n);
				if (ret)
					break;
				done = kernel_write(bf->file, bf->bounce, n, &pos);
			} else {
				done = kernel_read(bf->file, bf->bounce, n, &pos);
				if (done == n)
					ret = kvirtio_gmem_write(req->mem, gpa,
								 bf->bounce, n);
			}
			if (done < 0)
				ret = done;
			else if (done != n)
				ret = -EIO;
			gpa += n;
			left -= n;
		}
	}
	mutex_unlock(&bf->bounce_lock);
	if (!ret && write && req->sync)
		ret = vfs_fsync(bf->file, 1);
	return ret;
}

/* Start @req's read or write over @iter as a kiocb; it completes there. */
static void bf_submit_iter(struct kvirtio_blk_file *bf, struct bf_req *r,
			   struct kvirtio_blk_req *req, struct iov_iter *iter)
{
	struct file *file = bf->file;
	ssize_t ret;

	atomic64_inc(&bf->kiocbs);
	r->req = req;
	r->bf = bf;
	r->write = req->op == KVIRTIO_BLK_OP_WRITE;

	init_sync_kiocb(&r->iocb, file);
	/* Positional I/O: an O_APPEND open must not redirect writes. */
	r->iocb.ki_flags &= ~IOCB_APPEND;
	r->iocb.ki_pos = req->offset;
	r->iocb.ki_complete = bf_rw_complete;
	if (r->write && req->sync)
		r->iocb.ki_flags |= IOCB_DSYNC;

	atomic_inc(&bf->inflight);
	if (r->write) {
		if (bf->is_reg)
			kiocb_start_write(&r->iocb);
		ret = file->f_op->write_iter(&r->iocb, iter);
	} else {
		ret = file->f_op->read_iter(&r->iocb, iter);
	}
	if (ret != -EIOCBQUEUED)
		bf_rw_complete(&r->iocb, ret);
	else
		atomic64_inc(&bf->queued);
}

static int bf_submit_rw(struct kvirtio_blk_file *bf, struct kvirtio_blk_req *req)
{
	struct bf_req *r = req->backend_priv;
	struct iovec *iov = r->inline_iov;
	unsigned long nr, cap = BF_INLINE_IOV;
	struct iov_iter iter;
	int err;

	kvirtio_page_vec_init(&r->pv, NULL, 0);
	if (kvirtio_gmem_has_pages(req->mem)) {
		err = bf_build_pv(r, req);
		if (!err) {
			atomic64_inc(&bf->pagevecs);
			iov_iter_bvec(&iter, req->op == KVIRTIO_BLK_OP_WRITE ?
				      ITER_SOURCE : ITER_DEST, r->pv.bv,
				      r->pv.nr, req->len);
			bf_submit_iter(bf, r, req, &iter);
			return 0;
		}
		if (err != -E2BIG)
			return err;
	}
	if (!kvirtio_kmem_is_kernel(req->mem)) {
		/* No user addresses (the KUnit double), or too many pages. */
		err = bf_rw_bounce(bf, req);
		atomic64_inc(&bf->bounced);
		atomic_inc(&bf->inflight);
		bf_done(bf, req, kvirtio_blk_errno_status(err),
			!err && req->op == KVIRTIO_BLK_OP_READ ? req->len : 0);
		return 0;
	}
	if (req->nr_segs > BF_INLINE_IOV) {
		cap = bf->iov_cap;
		iov = kmalloc_array(cap, sizeof(*iov), GFP_KERNEL_ACCOUNT);
		if (!iov)
			return -ENOMEM;
	}
	err = bf_build_iov(req, iov, cap, &nr);
	if (err) {
		if (iov != r->inline_iov)
			kfree(iov);
		return err;
	}
	iov_iter_init(&iter, req->op == KVIRTIO_BLK_OP_WRITE ? ITER_SOURCE :
		      ITER_DEST, iov, nr, req->len);
	bf_submit_iter(bf, r, req, &iter);
	/* The iterator is consumed, even when the request is queued. */
	if (iov != r->inline_iov)
		kfree(iov);
	return 0;
}

/*
 * Write @len bytes of zeroes at @off by hand: the file system can neither
 * zero nor punch.  Positional, like every write here: an O_APPEND open
 * must not send the zeroes to the end of the file.
 */
static int bf_write_zero_pages(struct kvirtio_blk_file *bf, u64 off, u64 len)
{
	struct bio_vec bv[BF_ZERO_PAGES];
	struct iov_iter iter;
	struct kiocb kiocb;
	unsigned int i;

	while (len) {
		size_t chunk = min_t(u64, len, BF_ZERO_PAGES * PAGE_SIZE);
		size_t left = chunk;
		ssize_t ret;

		for (i = 0; left; i++) {
			size_t n = min_t(size_t, left, PAGE_SIZE);

			bv[i].bv_page = ZERO_PAGE(0);
			bv[i].bv_len = n;
			bv[i].bv_offset = 0;
			left -= n;
		}
		iov_iter_bvec(&iter, ITER_SOURCE, bv, i, chunk);
		init_sync_kiocb(&kiocb, bf->file);
		kiocb.ki_flags &= ~IOCB_APPEND;
		kiocb.ki_pos = off;
		if (bf->is_reg)
			kiocb_start_write(&kiocb);
		ret = bf->file->f_op->write_iter(&kiocb, &iter);
		if (bf->is_reg)
			kiocb_end_write(&kiocb);
		if (ret < 0)
			return ret;
		if (ret != chunk)
			return -EIO;
		off += chunk;
		len -= chunk;
	}
	return 0;
}

/*
 * Zero (or, with @unmap, punch) [off, off + len) in one call; -EOPNOTSUPP
 * when the file system can do neither.  What it cannot do is remembered.
 */
static int bf_zero_fast(struct kvirtio_blk_file *bf, u64 off, u64 len,
			bool unmap)
{
	int ret;

	if (!READ_ONCE(bf->no_zero_range)) {
		ret = vfs_fallocate(bf->file,
				    FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
				    off, len);
		if (ret != -EOPNOTSUPP)
			return ret;
		WRITE_ONCE(bf->no_zero_range, true);
	}
	if (unmap && !READ_ONCE(bf->no_punch)) {
		ret = vfs_fallocate(bf->file,
				    FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				    off, len);
		if (ret != -EOPNOTSUPP)
			return ret;
		WRITE_ONCE(bf->no_punch, true);
	}
	return -EOPNOTSUPP;
}

/*
 * Write-zeroes.  Return 0 when done, 1 when the fallback stopped after
 * BF_ZERO_STEP bytes with more to do (its progress is in @r), or a
 * negative errno.
 */
static int bf_write_zeroes(struct kvirtio_blk_file *bf,
			   struct kvirtio_blk_req *req, struct bf_req *r)
{
	u64 step = 0;
	int ret;

	if (!req->resumes) {
		r->zero_seg = 0;
		r->zero_done = 0;
	}
	while (r->zero_seg < req->nr_segs) {
		const struct kvirtio_blk_seg *seg = &req->segs[r->zero_seg];
		u64 n;

		if (!r->zero_done) {
			ret = bf_zero_fast(bf, seg->addr, seg->len, req->unmap);
			if (ret != -EOPNOTSUPP) {
				if (ret)
					return ret;
				r->zero_seg++;
				continue;
			}
		}
		if (step >= BF_ZERO_STEP)
			return 1;
		n = min_t(u64, seg->len - r->zero_done, BF_ZERO_STEP - step);
		ret = bf_write_zero_pages(bf, seg->addr + r->zero_done, n);
		if (ret)
			return ret;
		step += n;
		r->zero_done += n;
		if (r->zero_done == seg->len) {
			r->zero_seg++;
			r->zero_done = 0;
		}
	}
	return 0;
}

/* Flush, discard and write-zeroes: synchronous, in the worker. */
static int bf_submit_sync(struct kvirtio_blk_file *bf,
			  struct kvirtio_blk_req *req)
{
	int ret = 0;
	u16 i;

	switch (req->op) {
	case KVIRTIO_BLK_OP_FLUSH:
		ret = vfs_fsync(bf->file, 1);
		break;
	case KVIRTIO_BLK_OP_DISCARD:
		for (i = 0; i < req->nr_segs && !ret; i++) {
			ret = vfs_fallocate(bf->file,
					    FALLOC_FL_PUNCH_HOLE |
					    FALLOC_FL_KEEP_SIZE,
					    req->segs[i].addr, req->segs[i].len);
			/* Discard is a hint: nothing to undo if unsupported. */
			if (ret == -EOPNOTSUPP)
				ret = 0;
		}
		break;
	case KVIRTIO_BLK_OP_WRITE_ZEROES:
		ret = bf_write_zeroes(bf, req, req->backend_priv);
		if (ret == 1) {
			/* More next pass; zeroes are never acknowledged early. */
			kvirtio_blk_requeue(req);
			return 0;
		}
		break;
	default:
		return -EOPNOTSUPP;
	}
	atomic_inc(&bf->inflight);
	bf_done(bf, req, kvirtio_blk_errno_status(ret), 0);
	return 0;
}

static int bf_submit(struct kvirtio_blk_backend *be, struct kvirtio_blk_req *req)
{
	struct kvirtio_blk_file *bf = to_bf(be);

	if (req->op == KVIRTIO_BLK_OP_READ || req->op == KVIRTIO_BLK_OP_WRITE)
		return bf_submit_rw(bf, req);
	return bf_submit_sync(bf, req);
}

/* Sleep until a completion arrives, or 10 ms: the device polls its count. */
static void bf_wait(struct kvirtio_blk_backend *be)
{
	struct kvirtio_blk_file *bf = to_bf(be);
	int seen = atomic_read(&bf->completions);

	wait_event_timeout(bf->wq, atomic_read(&bf->completions) != seen,
			   msecs_to_jiffies(10));
}

/**
 * kvirtio_blk_file_get_counts() - how read/write requests were served
 * @be: a backend made by kvirtio_blk_file_create()
 * @c: set to the counts
 */
void kvirtio_blk_file_get_counts(struct kvirtio_blk_backend *be,
				 struct kvirtio_blk_file_counts *c)
{
	struct kvirtio_blk_file *bf = to_bf(be);

	c->kiocbs = atomic64_read(&bf->kiocbs);
	c->pagevecs = atomic64_read(&bf->pagevecs);
	c->bounced = atomic64_read(&bf->bounced);
	c->queued = atomic64_read(&bf->queued);
}

/* Magic numbers private to their file systems (fs/configfs, fs/fuse). */
#define BF_CONFIGFS_MAGIC	0x62656570
#define BF_FUSE_CTL_MAGIC	0x65735543

/* Pseudo file systems: reading or writing their files is not storage. */
static bool bf_pseudo_fs(const struct file *file)
{
	switch (file_inode(file)->i_sb->s_magic) {
	case PROC_SUPER_MAGIC:
	case SYSFS_MAGIC:
	case DEBUGFS_MAGIC:
	case TRACEFS_MAGIC:
	case SECURITYFS_MAGIC:
	case CGROUP_SUPER_MAGIC:
	case CGROUP2_SUPER_MAGIC:
	case BPF_FS_MAGIC:
	case BF_CONFIGFS_MAGIC:
	case EFIVARFS_MAGIC:
	case PSTOREFS_MAGIC:
	case SELINUX_MAGIC:
	case SMACK_MAGIC:
	case BINFMTFS_MAGIC:
	case DEVPTS_SUPER_MAGIC:
	case NSFS_MAGIC:
	case BF_FUSE_CTL_MAGIC:
		return true;
	}
	return false;
}

static const struct kvirtio_blk_backend_ops bf_ops = {
	.submit = bf_submit,
	.wait = bf_wait,
};

/**
 * kvirtio_blk_file_create() - a virtio-blk backend on @file
 * @file: regular file or block device opened by the VMM; the backend takes
 *	its own reference
 * @capacity: bytes to expose, 0 for the whole file; never more than it
 * @blk_size: logical block size, 0 for 512
 * @read_only: refuse writes even if @file is writable
 * @seg_max: the device's seg_max (sizes the per-request iovec array)
 *
 * A file not opened for writing is read-only.  The capacity is rounded
 * down to whole blocks.  @file must be a block device or a regular file
 * of a file system that stores data (not procfs, sysfs and the like).
 *
 * Return: the backend, or ERR_PTR(-EINVAL) for an unusable file or
 * geometry, ERR_PTR(-ENOMEM).
 */
struct kvirtio_blk_backend *
kvirtio_blk_file_create(struct file *file, u64 capacity, u32 blk_size,
			bool read_only, u32 seg_max)
{
	struct inode *host = file->f_mapping->host;
	struct kvirtio_blk_file *bf;
	umode_t mode = file_inode(file)->i_mode;
	u64 size;

	if (!S_ISREG(mode) && !S_ISBLK(mode))
		return ERR_PTR(-EINVAL);
	if (S_ISREG(mode) && bf_pseudo_fs(file))
		return ERR_PTR(-EINVAL);
	if (!(file->f_mode & FMODE_READ) || !file->f_op->read_iter ||
	    !file->f_op->write_iter)
		return ERR_PTR(-EINVAL);
	if (!blk_size)
		blk_size = 512;
	if (blk_size < 512 || blk_size > 4096 || !is_power_of_2(blk_size) ||
	    !seg_max || seg_max > KVIRTIO_BLK_SEG_MAX_LIMIT)
		return ERR_PTR(-EINVAL);
	/* For a block device the mapping's host is the bdev inode. */
	size = i_size_read(host);
	if (!capacity)
		capacity = size;
	if (capacity > size)
		return ERR_PTR(-EINVAL);
	capacity &= ~(u64)(blk_size - 1);
	if (!capacity)
		return ERR_PTR(-EINVAL);

	bf = kzalloc(sizeof(*bf), GFP_KERNEL_ACCOUNT);
	if (!bf)
		return ERR_PTR(-ENOMEM);
	bf->bounce = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!bf->bounce) {
		kfree(bf);
		return ERR_PTR(-ENOMEM);
	}
	mutex_init(&bf->bounce_lock);
	bf->file = get_file(file);
	bf->is_reg = S_ISREG(mode);
	atomic_set(&bf->inflight, 0);
	atomic_set(&bf->completions, 0);
	init_waitqueue_head(&bf->wq);
	/* Slack for segments that a memory region boundary cuts in two. */
	bf->iov_cap = 2 * (seg_max + 2);

	bf->be.ops = &bf_ops;
	bf->be.capacity = capacity;
	bf->be.blk_size = blk_size;
	bf->be.read_only = read_only || !(file->f_mode & FMODE_WRITE);
	bf->be.discard = !!file->f_op->fallocate;
	bf->be.write_zeroes = true;
	bf->be.zeroes_may_unmap = bf->is_reg && file->f_op->fallocate;
	bf->be.req_priv_size = sizeof(struct bf_req);
	return &bf->be;
}

/**
 * kvirtio_blk_file_destroy() - free a backend made by kvirtio_blk_file_create()
 * @be: the backend; its device is destroyed already (or was never made)
 *
 * Waits until every completion has finished touching the backend, then
 * drops the file reference.
 */
void kvirtio_blk_file_destroy(struct kvirtio_blk_backend *be)
{
	struct kvirtio_blk_file *bf;

	if (!be)
		return;
	bf = to_bf(be);
	wait_event(bf->wq, !atomic_read(&bf->inflight));
	/* Let the last completer leave its critical section. */
	spin_lock_irq(&bf->wq.lock);
	spin_unlock_irq(&bf->wq.lock);
	fput(bf->file);
	free_page((unsigned long)bf->bounce);
	mutex_destroy(&bf->bounce_lock);
	kfree(bf);
}
