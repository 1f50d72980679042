// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio virtio-blk backend on a file descriptor (userspace hosts).
 *
 * Requests run on a small pool of I/O threads (or inline in submit when
 * the pool is empty) with preadv/pwritev, fdatasync and fallocate.  Guest
 * buffers are reached through the VMM's mapping when it gives one, else
 * copied through the device's guest memory ops in bounded chunks.  Where
 * the file system can neither zero nor punch a range, write-zeroes writes
 * zeroes by hand, BU_ZERO_STEP bytes per pass, and hands the request back
 * to the device in between (kvirtio_blk_requeue()), as the kernel's file
 * backend does: run inline, one request must not hold the device's worker
 * (and with it the config path) for gigabytes.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "blk_user.h"

#define BU_THREADS_MAX	16
#define BU_BOUNCE	(256 * 1024)
#define BU_IOV_MAX	1024
#define BU_ZERO_STEP	(1024 * 1024)

struct bu_req {
	struct kvirtio_blk_req *req;
	struct bu_req *next;
	u16 zero_seg;		/* write-zeroes by hand: next segment */
	u64 zero_done;		/* ...and bytes of it already zeroed */
};

struct kvirtio_blk_user {
	struct kvirtio_blk_backend be;
	int fd;
	kvirtio_blk_user_translate_t translate;
	void *opaque;
	pthread_mutex_t lock;
	pthread_cond_t work;		/* queue not empty, or stopping */
	pthread_cond_t done;		/* a request completed */
	struct bu_req *head;
	struct bu_req **tail;
	unsigned long completions;
	unsigned int nthreads;
	bool stopping;
	pthread_t threads[BU_THREADS_MAX];
};

static struct kvirtio_blk_user *to_bu(struct kvirtio_blk_backend *be)
{
	return container_of(be, struct kvirtio_blk_user, be);
}

/* Full positional transfer of one host buffer; 0 or -errno. */
static int bu_pio(int fd, bool write, void *buf, size_t len, off_t off)
{
	while (len) {
		ssize_t n = write ? pwrite(fd, buf, len, off) :
				    pread(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;	/* end of file inside the disk */
		buf = (u8 *)buf + n;
		len -= n;
		off += n;
	}
	return 0;
}

/* Vectored transfer; iov is consumed.  0 or -errno. */
static int bu_vio(int fd, bool write, struct iovec *iov, int cnt, off_t off)
{
	while (cnt) {
		ssize_t n = write ? pwritev(fd, iov, cnt, off) :
				    preadv(fd, iov, cnt, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		off += n;
		while (cnt && (size_t)n >= iov->iov_len) {
			n -= iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt) {
			iov->iov_base = (u8 *)iov->iov_base + n;
			iov->iov_len -= n;
		}
	}
	return 0;
}

/* One segment through a bounce buffer and the guest memory ops. */
static int bu_bounce(struct kvirtio_blk_user *bu, struct kvirtio_blk_req *req,
		     const struct kvirtio_blk_seg *s, off_t off, u8 *bounce)
{
	bool write = req->op == KVIRTIO_BLK_OP_WRITE;
	u64 done = 0;
	int ret;

	while (done < s->len) {
		u32 n = min_t(u64, s->len - done, BU_BOUNCE);

		if (write) {
			ret = kvirtio_gmem_read(req->mem, s->addr + done, bounce, n);
			if (!ret)
				ret = bu_pio(bu->fd, true, bounce, n, off + done);
		} else {
			ret = bu_pio(bu->fd, false, bounce, n, off + done);
			if (!ret)
				ret = kvirtio_gmem_write(req->mem, s->addr + done,
							 bounce, n);
		}
		if (ret)
			return ret;
		done += n;
	}
	return 0;
}

static int bu_rw(struct kvirtio_blk_user *bu, struct kvirtio_blk_req *req)
{
	bool write = req->op == KVIRTIO_BLK_OP_WRITE;
	struct iovec iov[BU_IOV_MAX];
	u8 *bounce = NULL;
	off_t off = req->offset;
	u64 pending = 0;
	int cnt = 0, ret = 0;
	u16 i;

	for (i = 0; i < req->nr_segs && !ret; i++) {
		const struct kvirtio_blk_seg *s = &req->segs[i];
		void *p = NULL;

		if (bu->translate)
			p = bu->translate(bu->opaque, s->addr, s->len);
		if (p && cnt < BU_IOV_MAX) {
			iov[cnt].iov_base = p;
			iov[cnt].iov_len = s->len;
			cnt++;
			pending += s->len;
			continue;
		}
		/* Transfer what is mapped so far, then this one alone. */
		if (cnt) {
			ret = bu_vio(bu->fd, write, iov, cnt, off);
			if (ret)
				break;
			off += pending;
			pending = 0;
			cnt = 0;
		}
		if (p) {
			ret = bu_pio(bu->fd, write, p, s->len, off);
		} else {
			if (!bounce)
				bounce = malloc(BU_BOUNCE);
			ret = bounce ? bu_bounce(bu, req, s, off, bounce) :
				       -ENOMEM;
		}
		off += s->len;
	}
	if (!ret && cnt)
		ret = bu_vio(bu->fd, write, iov, cnt, off);
	free(bounce);
	if (!ret && write && req->sync)
		ret = fdatasync(bu->fd) ? -errno : 0;
	return ret;
}

/* Zero or punch a range in one call; -EOPNOTSUPP if neither works. */
static int bu_zero_fast(struct kvirtio_blk_user *bu, u64 off, u64 len,
			bool unmap)
{
	if (!fallocate(bu->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
		       off, len))
		return 0;
	if (errno != EOPNOTSUPP)
		return -errno;
	if (unmap && !fallocate(bu->fd, FALLOC_FL_PUNCH_HOLE |
				FALLOC_FL_KEEP_SIZE, off, len))
		return 0;
	return unmap && errno != EOPNOTSUPP ? -errno : -EOPNOTSUPP;
}

/*
 * Write-zeroes: 0 when done, 1 when the by-hand fallback stopped after
 * BU_ZERO_STEP bytes with more to do (progress in @r), or -errno.
 */
static int bu_write_zeroes(struct kvirtio_blk_user *bu,
			   struct kvirtio_blk_req *req, struct bu_req *r)
{
	static const u8 zeroes[64 * 1024];
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
			ret = bu_zero_fast(bu, seg->addr, seg->len, req->unmap);
			if (ret != -EOPNOTSUPP) {
				if (ret)
					return ret;
				r->zero_seg++;
				continue;
			}
		}
		if (step >= BU_ZERO_STEP)
			return 1;
		n = min_t(u64, seg->len - r->zero_done, sizeof(zeroes));
		ret = bu_pio(bu->fd, true, (void *)zeroes, n,
			     seg->addr + r->zero_done);
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

/* Carry out @req: 0 or -errno, or 1 to continue it in a later pass. */
static int bu_execute(struct kvirtio_blk_user *bu, struct kvirtio_blk_req *req)
{
	u16 i;

	switch (req->op) {
	case KVIRTIO_BLK_OP_READ:
	case KVIRTIO_BLK_OP_WRITE:
		return bu_rw(bu, req);
	case KVIRTIO_BLK_OP_FLUSH:
		return fdatasync(bu->fd) ? -errno : 0;
	case KVIRTIO_BLK_OP_DISCARD:
		for (i = 0; i < req->nr_segs; i++) {
			/* Discard is a hint: unsupported is not an error. */
			if (fallocate(bu->fd, FALLOC_FL_PUNCH_HOLE |
				      FALLOC_FL_KEEP_SIZE, req->segs[i].addr,
				      req->segs[i].len) && errno != EOPNOTSUPP)
				return -errno;
		}
		return 0;
	case KVIRTIO_BLK_OP_WRITE_ZEROES:
		return bu_write_zeroes(bu, req, req->backend_priv);
	}
	return -EOPNOTSUPP;
}

static void bu_finish(struct kvirtio_blk_user *bu, struct kvirtio_blk_req *req)
{
	int ret = bu_execute(bu, req);

	if (ret == 1) {
		/* Zeroes are never acknowledged early: the rest comes later. */
		kvirtio_blk_requeue(req);
		return;
	}
	kvirtio_blk_complete(req, kvirtio_blk_errno_status(ret),
			     !ret && req->op == KVIRTIO_BLK_OP_READ ?
			     (u32)req->len : 0);
	pthread_mutex_lock(&bu->lock);
	bu->completions++;
	pthread_cond_broadcast(&bu->done);
	pthread_mutex_unlock(&bu->lock);
}

static void *bu_thread(void *arg)
{
	struct kvirtio_blk_user *bu = arg;

	for (;;) {
		struct bu_req *r;

		pthread_mutex_lock(&bu->lock);
		while (!bu->head && !bu->stopping)
			pthread_cond_wait(&bu->work, &bu->lock);
		r = bu->head;
		if (!r) {	/* stopping and drained */
			pthread_mutex_unlock(&bu->lock);
			return NULL;
		}
		bu->head = r->next;
		if (!bu->head)
			bu->tail = &bu->head;
		pthread_mutex_unlock(&bu->lock);
		bu_finish(bu, r->req);
	}
}

static int bu_submit(struct kvirtio_blk_backend *be, struct kvirtio_blk_req *req)
{
	struct kvirtio_blk_user *bu = to_bu(be);
	struct bu_req *r = req->backend_priv;

	if (!bu->nthreads) {
		bu_finish(bu, req);
		return 0;
	}
	r->req = req;
	r->next = NULL;
	pthread_mutex_lock(&bu->lock);
	*bu->tail = r;
	bu->tail = &r->next;
	pthread_cond_signal(&bu->work);
	pthread_mutex_unlock(&bu->lock);
	return 0;
}

/* Sleep until a completion arrives, or 10 ms. */
static void bu_wait(struct kvirtio_blk_backend *be)
{
	struct kvirtio_blk_user *bu = to_bu(be);
	unsigned long seen;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 10 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&bu->lock);
	seen = bu->completions;
	while (bu->completions == seen &&
	       !pthread_cond_timedwait(&bu->done, &bu->lock, &ts))
		;
	pthread_mutex_unlock(&bu->lock);
}

static const struct kvirtio_blk_backend_ops bu_ops = {
	.submit = bu_submit,
	.wait = bu_wait,
};

static int bu_disk_size(int fd, u64 *size)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISREG(st.st_mode)) {
		*size = st.st_size;
		return 0;
	}
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) ? -errno : 0;
	return -EINVAL;
}

static void bu_stop_threads(struct kvirtio_blk_user *bu)
{
	unsigned int i;

	pthread_mutex_lock(&bu->lock);
	bu->stopping = true;
	pthread_cond_broadcast(&bu->work);
	pthread_mutex_unlock(&bu->lock);
	for (i = 0; i < bu->nthreads; i++)
		pthread_join(bu->threads[i], NULL);
	bu->nthreads = 0;
}

/**
 * kvirtio_blk_user_create() - a virtio-blk backend on a file descriptor
 * @opts: the disk and how to reach guest memory
 * @out: the backend
 *
 * Return: 0; -EINVAL for a bad fd (O_APPEND), size or geometry; -errno
 * from dup(), fcntl() or thread creation; -ENOMEM.
 */
int kvirtio_blk_user_create(const struct kvirtio_blk_user_opts *opts,
			    struct kvirtio_blk_backend **out)
{
	u32 blk_size = opts->blk_size ? opts->blk_size : 512;
	struct kvirtio_blk_user *bu;
	u64 size, capacity;
	unsigned int i;
	int fl, ret;

	if (blk_size < 512 || blk_size > 4096 || !is_power_of_2(blk_size) ||
	    opts->threads > BU_THREADS_MAX)
		return -EINVAL;
	ret = bu_disk_size(opts->fd, &size);
	if (ret)
		return ret;
	capacity = opts->capacity ? opts->capacity : size;
	if (capacity > size)
		return -EINVAL;
	capacity &= ~(u64)(blk_size - 1);
	if (!capacity)
		return -EINVAL;
	fl = fcntl(opts->fd, F_GETFL);
	if (fl < 0)
		return -errno;
	/* pwrite() on an O_APPEND file ignores the offset on Linux. */
	if (fl & O_APPEND)
		return -EINVAL;

	bu = kzalloc(sizeof(*bu), GFP_KERNEL);
	if (!bu)
		return -ENOMEM;
	bu->fd = fcntl(opts->fd, F_DUPFD_CLOEXEC, 0);
	if (bu->fd < 0) {
		ret = -errno;
		kfree(bu);
		return ret;
	}
	bu->translate = opts->translate;
	bu->opaque = opts->translate_opaque;
	pthread_mutex_init(&bu->lock, NULL);
	pthread_cond_init(&bu->work, NULL);
	pthread_cond_init(&bu->done, NULL);
	bu->tail = &bu->head;

	bu->be.ops = &bu_ops;
	bu->be.capacity = capacity;
	bu->be.blk_size = blk_size;
	bu->be.read_only = opts->read_only || (fl & O_ACCMODE) == O_RDONLY;
	bu->be.discard = true;
	bu->be.write_zeroes = true;
	bu->be.zeroes_may_unmap = true;
	bu->be.req_priv_size = sizeof(struct bu_req);

	for (i = 0; i < opts->threads; i++) {
		ret = -pthread_create(&bu->threads[i], NULL, bu_thread, bu);
		if (ret) {
			kvirtio_blk_user_destroy(&bu->be);
			return ret;
		}
		bu->nthreads++;
	}
	*out = &bu->be;
	return 0;
}

/**
 * kvirtio_blk_user_destroy() - stop the threads and close the disk
 * @be: the backend; its device was reset (nothing in flight)
 */
void kvirtio_blk_user_destroy(struct kvirtio_blk_backend *be)
{
	struct kvirtio_blk_user *bu;

	if (!be)
		return;
	bu = to_bu(be);
	bu_stop_threads(bu);
	close(bu->fd);
	pthread_cond_destroy(&bu->done);
	pthread_cond_destroy(&bu->work);
	pthread_mutex_destroy(&bu->lock);
	kfree(bu);
}
