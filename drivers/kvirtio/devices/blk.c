// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio virtio-blk device.
 *
 * Each chain popped from a request queue is parsed through the chain
 * cursors (no layout assumption): a 16-byte readable header, then the data
 * (readable for writes, writable for reads), then the status byte, which is
 * the last writable byte of the chain.  A request that can be answered but
 * is malformed gets an error status and is never executed; a chain with no
 * writable byte cannot be answered and breaks the queue.  Valid requests go
 * to the backend and complete asynchronously through
 * kvirtio_blk_complete(); process_queue then writes the status byte and
 * pushes the used element.  The decision table is in
 * Documentation/devices.rst.
 */
#include "../compat.h"
#include "../virtqueue.h"
#include "../virtio_dev.h"
#include "blk.h"

#define BLK_SECTOR_SHIFT	9
#define BLK_SECTOR_SIZE		512U
#define BLK_HDR_SIZE		16
#define BLK_DWZ_SIZE		16

/*
 * The request pools are the VMM's memory: charged to its memcg, and a
 * charge over its limit fails the creation with -ENOMEM instead of
 * invoking its OOM killer (or warning in the host's log).
 */
#define BLK_POOL_GFP	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/* struct virtio_blk_outhdr and struct virtio_blk_discard_write_zeroes */
struct blk_hdr {
	__le32 type;
	__le32 ioprio;
	__le64 sector;
};

struct blk_dwz {
	__le64 sector;
	__le32 num_sectors;
	__le32 flags;
};

/**
 * struct kvirtio_blk_vq - per-queue request state
 * @blk: the device
 * @qid: queue index
 * @reqs: request pool, one per queue slot
 * @free: unused pool entries (worker only)
 * @inflight: pool entries taken and not yet returned (worker only)
 * @enabled: the queue may be processed (changed with the queue idle)
 * @descs: descriptor storage for one popped chain
 * @lock: protects @pending and the done and resume lists; taken from any
 *	context
 * @pending: requests submitted to the backend and not yet completed
 * @done_head: completed requests waiting for their used element
 * @done_tail: where the next completed request is linked
 * @resume_head: requests the backend handed back to continue in a later
 *	pass (kvirtio_blk_requeue()), oldest first
 * @resume_tail: where the next one is linked
 */
struct kvirtio_blk_vq {
	struct kvirtio_blk *blk;
	u16 qid;
	struct kvirtio_blk_req *reqs;
	struct kvirtio_blk_req *free;
	u32 inflight;
	bool enabled;
	struct kvirtio_desc *descs;
	spinlock_t lock;	/* @pending, @done_head, @done_tail */
	u32 pending;
	struct kvirtio_blk_req *done_head;
	struct kvirtio_blk_req **done_tail;
	struct kvirtio_blk_req *resume_head;
	struct kvirtio_blk_req **resume_tail;
};

struct kvirtio_blk {
	struct kvirtio_device vdev;
	struct kvirtio_blk_backend *be;
	struct kvirtio_blk_config config;
	u64 capacity;		/* bytes, whole blocks */
	u32 blk_size;
	u32 seg_max;
	u32 size_max;
	u32 seg_cap;		/* entries of each request's segs[] */
	u32 discard_seg;
	u32 discard_sectors;
	u32 zeroes_seg;
	u32 zeroes_sectors;
	bool read_only;
	bool flush;
	bool zeroes_may_unmap;
	u16 pool_size;
	char serial[VIRTIO_BLK_ID_BYTES];
	struct kvirtio_queue *queues;
	struct kvirtio_blk_vq *bvqs;
};

static struct kvirtio_blk *to_blk(struct kvirtio_device *vdev)
{
	return container_of(vdev, struct kvirtio_blk, vdev);
}

static void blk_req_put(struct kvirtio_blk_vq *bvq, struct kvirtio_blk_req *req)
{
	req->next = bvq->free;
	bvq->free = req;
	bvq->inflight--;
}

/* Write the status byte and return the chain to the driver. */
static int blk_answer(struct kvirtio_blk_vq *bvq, struct kvirtio_blk_req *req,
		      u8 status, u32 data_bytes)
{
	struct kvirtio_device *vdev = &bvq->blk->vdev;
	struct kvirtio_queue *vq = &bvq->blk->queues[bvq->qid];
	int ret;

	/* A broken or disabled queue takes no more answers: drop it. */
	if (!kvirtio_queue_ready(vq))
		return 0;
	ret = kvirtio_gmem_write(vdev->mem, req->status_gpa, &status, 1);
	if (ret < 0) {
		kvirtio_queue_break(vq, ret, "blk: status byte not writable");
		return ret;
	}
	return kvirtio_queue_push(vq, req->head, data_bytes + 1);
}

/**
 * kvirtio_blk_complete() - a backend finished a request
 * @req: the request given to the backend's submit callback
 * @status: VIRTIO_BLK_S_OK or an error status
 * @bytes: bytes written into guest memory (reads; ignored otherwise)
 *
 * Callable from any context, once per accepted request.  The request is
 * queued for the device's worker, which writes the status and pushes the
 * used element; only then is a write acknowledged to the guest.
 */
void kvirtio_blk_complete(struct kvirtio_blk_req *req, u8 status, u32 bytes)
{
	struct kvirtio_blk_vq *bvq = req->bvq;
	unsigned long flags;

	req->status = status;
	req->done_bytes = req->in ? min_t(u64, bytes, req->len) : 0;
	req->next = NULL;

	spin_lock_irqsave(&bvq->lock, flags);
	*bvq->done_tail = req;
	bvq->done_tail = &req->next;
	/*
	 * Kick under the lock: once a waiter in blk_quiesce() sees
	 * pending == 0 nothing here touches the device any more.
	 */
	kvirtio_device_kick(&bvq->blk->vdev, bvq->qid);
	bvq->pending--;
	spin_unlock_irqrestore(&bvq->lock, flags);
}

/**
 * kvirtio_blk_requeue() - a backend hands a request back to continue later
 * @req: an accepted request, not completed
 *
 * For work too long for one pass (a zero-fill fallback writing gigabytes):
 * the backend did part of it, recorded its progress in its scratch, and
 * asks to be called again.  The device resubmits @req in a later pass of
 * its queue, charged to that pass's budget, with @req->resumes counting
 * up.  Between passes the config path may run and a reset drops @req.
 * Callable from the backend's submit callback or any context.
 */
void kvirtio_blk_requeue(struct kvirtio_blk_req *req)
{
	struct kvirtio_blk_vq *bvq = req->bvq;
	unsigned long flags;

	req->next = NULL;
	spin_lock_irqsave(&bvq->lock, flags);
	/* resume_head is peeked at without the lock. */
	WRITE_ONCE(*bvq->resume_tail, req);
	bvq->resume_tail = &req->next;
	kvirtio_device_kick(&bvq->blk->vdev, bvq->qid);
	bvq->pending--;
	spin_unlock_irqrestore(&bvq->lock, flags);
}

static struct kvirtio_blk_req *blk_take_done(struct kvirtio_blk_vq *bvq)
{
	struct kvirtio_blk_req *list;
	unsigned long flags;

	spin_lock_irqsave(&bvq->lock, flags);
	list = bvq->done_head;
	bvq->done_head = NULL;
	bvq->done_tail = &bvq->done_head;
	spin_unlock_irqrestore(&bvq->lock, flags);
	return list;
}

/*
 * Leave a request not yet submitted to a later pass (see
 * kvirtio_budget.no_overdraw): it waits on the resume list, unsubmitted.
 */
static void blk_defer(struct kvirtio_blk_vq *bvq, struct kvirtio_blk_req *req)
{
	unsigned long flags;

	req->deferred = true;
	req->next = NULL;
	spin_lock_irqsave(&bvq->lock, flags);
	WRITE_ONCE(*bvq->resume_tail, req);
	bvq->resume_tail = &req->next;
	spin_unlock_irqrestore(&bvq->lock, flags);
}

/* The oldest request waiting to be resumed, unlinked; NULL if none. */
static struct kvirtio_blk_req *blk_take_resume(struct kvirtio_blk_vq *bvq)
{
	struct kvirtio_blk_req *req;
	unsigned long flags;

	spin_lock_irqsave(&bvq->lock, flags);
	req = bvq->resume_head;
	if (req) {
		WRITE_ONCE(bvq->resume_head, req->next);
		if (!bvq->resume_head)
			bvq->resume_tail = &bvq->resume_head;
	}
	spin_unlock_irqrestore(&bvq->lock, flags);
	return req;
}

/* Put a request taken from the resume list back at its head. */
static void blk_requeue_head(struct kvirtio_blk_vq *bvq,
			     struct kvirtio_blk_req *req)
{
	unsigned long flags;

	spin_lock_irqsave(&bvq->lock, flags);
	req->next = bvq->resume_head;
	if (!req->next)
		bvq->resume_tail = &req->next;
	WRITE_ONCE(bvq->resume_head, req);
	spin_unlock_irqrestore(&bvq->lock, flags);
}

/* Give the request to the backend; 1 when it owns it, else answered. */
static int blk_submit(struct kvirtio_blk_vq *bvq, struct kvirtio_blk_req *req)
{
	struct kvirtio_blk *blk = bvq->blk;
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&bvq->lock, flags);
	bvq->pending++;
	spin_unlock_irqrestore(&bvq->lock, flags);
	ret = blk->be->ops->submit(blk->be, req);
	if (ret < 0) {
		spin_lock_irqsave(&bvq->lock, flags);
		bvq->pending--;
		spin_unlock_irqrestore(&bvq->lock, flags);
		return blk_answer(bvq, req, kvirtio_blk_errno_status(ret), 0);
	}
	return 1;	/* the backend owns it now */
}

/* What a request costs a pass's byte budget (it may be gigabytes). */
static void blk_charge(struct kvirtio_budget *budget, u64 len)
{
	budget->bytes -= min(budget->bytes, len);
}

/*
 * Continue requests the backend handed back, oldest first, while the
 * budget lasts.  Returns a negative errno when the queue broke.
 */
static int blk_resume(struct kvirtio_blk_vq *bvq, struct kvirtio_budget *budget)
{
	struct kvirtio_blk_req *req;
	int ret;

	while (budget->requests && budget->bytes &&
	       (req = blk_take_resume(bvq))) {
		if (budget->no_overdraw && req->len > budget->bytes) {
			/* Still too large for this pass: back to the head. */
			blk_requeue_head(bvq, req);
			budget->bytes = 0;
			break;
		}
		budget->requests--;
		blk_charge(budget, req->len);
		if (req->deferred)
			req->deferred = false;	/* its first submission */
		else
			req->resumes++;
		ret = blk_submit(bvq, req);
		if (ret <= 0)
			blk_req_put(bvq, req);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Push the used elements of completed requests. */
static int blk_reap(struct kvirtio_blk_vq *bvq)
{
	struct kvirtio_blk_req *req = blk_take_done(bvq);
	int err = 0;

	while (req) {
		struct kvirtio_blk_req *next = req->next;
		int ret;

		ret = blk_answer(bvq, req, req->status, req->done_bytes);
		if (ret < 0 && !err)
			err = ret;
		blk_req_put(bvq, req);
		req = next;
	}
	return err;
}

/*
 * Find the status byte: the last byte of the last non-empty writable
 * descriptor.  Returns false when the chain has no writable byte.
 */
static bool blk_status_gpa(const struct kvirtio_chain *chain, u64 *gpa)
{
	int i;

	if (!chain->writable_len)
		return false;
	for (i = chain->num - 1; i >= chain->num_readable; i--) {
		const struct kvirtio_desc *d = &chain->descs[i];

		if (d->len) {
			*gpa = d->addr + d->len - 1;
			return true;
		}
	}
	return false;
}

/*
 * Describe @len bytes of one direction of @chain, starting @skip bytes in,
 * as guest segments in @req.  Every piece must respect size_max.
 */
static int blk_collect(struct kvirtio_blk *blk, const struct kvirtio_chain *chain,
		       bool writable, u32 skip, u32 len,
		       struct kvirtio_blk_req *req)
{
	u16 first = writable ? chain->num_readable : 0;
	u16 end = writable ? chain->num : chain->num_readable;
	u16 i;

	req->nr_segs = 0;
	req->len = len;
	for (i = first; i < end && len; i++) {
		const struct kvirtio_desc *d = &chain->descs[i];
		u32 piece;

		if (skip >= d->len) {
			skip -= d->len;
			continue;
		}
		piece = min(d->len - skip, len);
		if (piece > blk->size_max || req->nr_segs >= blk->seg_cap)
			return -EINVAL;
		req->segs[req->nr_segs].addr = d->addr + skip;
		req->segs[req->nr_segs].len = piece;
		req->nr_segs++;
		len -= piece;
		skip = 0;
	}
	return len ? -EINVAL : 0;
}

/* Is [sector * 512, + len) a whole number of blocks inside the disk? */
static bool blk_range_ok(struct kvirtio_blk *blk, u64 sector, u64 len,
			 u64 *offset)
{
	u64 end;

	if (sector > (U64_MAX >> BLK_SECTOR_SHIFT))
		return false;
	*offset = sector << BLK_SECTOR_SHIFT;
	if (check_add_overflow(*offset, len, &end) || end > blk->capacity)
		return false;
	return !(*offset & (blk->blk_size - 1)) && !(len & (blk->blk_size - 1));
}

static u8 blk_prep_rw(struct kvirtio_blk *blk, const struct kvirtio_chain *chain,
		      const struct blk_hdr *hdr, struct kvirtio_blk_req *req)
{
	bool in = le32_to_cpu(hdr->type) == VIRTIO_BLK_T_IN;
	u32 len;

	if (in) {
		/* Header only readable; data and status writable. */
		if (chain->readable_len != BLK_HDR_SIZE)
			return VIRTIO_BLK_S_IOERR;
		len = chain->writable_len - 1;
	} else {
		if (blk->read_only)
			return VIRTIO_BLK_S_IOERR;
		/* Data readable after the header; only the status writable. */
		if (chain->writable_len != 1)
			return VIRTIO_BLK_S_IOERR;
		len = chain->readable_len - BLK_HDR_SIZE;
	}
	/* Also refuses a length that is not whole 512-byte sectors. */
	if (!blk_range_ok(blk, le64_to_cpu(hdr->sector), len, &req->offset))
		return VIRTIO_BLK_S_IOERR;
	if (blk_collect(blk, chain, in, in ? 0 : BLK_HDR_SIZE, len, req))
		return VIRTIO_BLK_S_IOERR;
	req->op = in ? KVIRTIO_BLK_OP_READ : KVIRTIO_BLK_OP_WRITE;
	req->in = in;
	/* No FLUSH negotiated: the driver relies on write-through. */
	req->sync = !in && !kvirtio_device_has_feature(&blk->vdev,
						       VIRTIO_BLK_F_FLUSH);
	return VIRTIO_BLK_S_OK;
}

/* Read and check the segments of a DISCARD or WRITE_ZEROES request. */
static u8 blk_prep_dwz(struct kvirtio_blk *blk, const struct kvirtio_chain *chain,
		       struct kvirtio_chain_iter *it, bool discard,
		       struct kvirtio_blk_req *req)
{
	unsigned int feature = discard ? VIRTIO_BLK_F_DISCARD :
					 VIRTIO_BLK_F_WRITE_ZEROES;
	u32 max_seg = discard ? blk->discard_seg : blk->zeroes_seg;
	u32 max_sectors = discard ? blk->discard_sectors : blk->zeroes_sectors;
	u32 payload = chain->readable_len - BLK_HDR_SIZE;
	u32 allowed_flags = discard ? 0 : VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
	bool unmap = true;
	u32 i, n;

	if (!kvirtio_device_has_feature(&blk->vdev, feature))
		return VIRTIO_BLK_S_UNSUPP;
	if (blk->read_only)
		return VIRTIO_BLK_S_IOERR;
	if (chain->writable_len != 1 || !payload || payload % BLK_DWZ_SIZE)
		return VIRTIO_BLK_S_IOERR;
	n = payload / BLK_DWZ_SIZE;
	if (n > max_seg)
		return VIRTIO_BLK_S_UNSUPP;

	req->nr_segs = 0;
	req->len = 0;
	for (i = 0; i < n; i++) {
		struct blk_dwz seg;
		u32 nsec, flags;
		u64 off;

		if (kvirtio_chain_read(it, blk->vdev.mem, &seg, sizeof(seg)))
			return VIRTIO_BLK_S_IOERR;
		nsec = le32_to_cpu(seg.num_sectors);
		flags = le32_to_cpu(seg.flags);
		if (flags & ~allowed_flags)
			return VIRTIO_BLK_S_UNSUPP;
		if (nsec > max_sectors)
			return VIRTIO_BLK_S_IOERR;
		if (!blk_range_ok(blk, le64_to_cpu(seg.sector),
				  (u64)nsec << BLK_SECTOR_SHIFT, &off))
			return VIRTIO_BLK_S_IOERR;
		if (!(flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP))
			unmap = false;
		if (!nsec)
			continue;
		if (req->nr_segs >= blk->seg_cap)
			return VIRTIO_BLK_S_UNSUPP;
		req->segs[req->nr_segs].addr = off;
		req->segs[req->nr_segs].len = (u64)nsec << BLK_SECTOR_SHIFT;
		req->nr_segs++;
		req->len += (u64)nsec << BLK_SECTOR_SHIFT;
	}
	req->op = discard ? KVIRTIO_BLK_OP_DISCARD : KVIRTIO_BLK_OP_WRITE_ZEROES;
	req->unmap = !discard && unmap && blk->zeroes_may_unmap;
	return VIRTIO_BLK_S_OK;
}

/* Answer GET_ID from the serial; the id fills at most 20 bytes. */
static int blk_get_id(struct kvirtio_blk *blk, const struct kvirtio_chain *chain,
		      struct kvirtio_blk_vq *bvq, struct kvirtio_blk_req *req)
{
	struct kvirtio_chain_iter it;
	u32 n;
	int ret;

	if (chain->readable_len != BLK_HDR_SIZE)
		return blk_answer(bvq, req, VIRTIO_BLK_S_IOERR, 0);
	n = min_t(u32, chain->writable_len - 1, VIRTIO_BLK_ID_BYTES);
	kvirtio_chain_iter_writable(&it, chain);
	ret = kvirtio_chain_write(&it, blk->vdev.mem, blk->serial, n);
	if (ret < 0) {
		kvirtio_queue_break(&blk->queues[bvq->qid], ret,
				    "blk: GET_ID buffer not writable");
		return ret;
	}
	return blk_answer(bvq, req, VIRTIO_BLK_S_OK, n);
}

/*
 * Handle one popped chain with @req from the pool.  Either answers it at
 * once (errors, GET_ID, empty transfers) or submits it to the backend.
 * Returns a negative errno only when the queue broke.
 */
static int blk_handle(struct kvirtio_blk_vq *bvq, const struct kvirtio_chain *chain,
		      struct kvirtio_blk_req *req, struct kvirtio_budget *budget)
{
	struct kvirtio_blk *blk = bvq->blk;
	struct kvirtio_queue *vq = &blk->queues[bvq->qid];
	struct kvirtio_chain_iter it;
	struct blk_hdr hdr;
	u8 status;

	req->head = chain->head;
	req->resumes = 0;
	req->deferred = false;
	req->mem = blk->vdev.mem;
	req->in = false;
	req->unmap = false;
	req->sync = false;
	req->nr_segs = 0;
	req->len = 0;
	req->offset = 0;
	if (!blk_status_gpa(chain, &req->status_gpa)) {
		kvirtio_queue_break(vq, -EPROTO, "blk: request without status byte");
		return -EPROTO;
	}

	kvirtio_chain_iter_readable(&it, chain);
	if (chain->readable_len < BLK_HDR_SIZE ||
	    kvirtio_chain_read(&it, blk->vdev.mem, &hdr, sizeof(hdr)))
		return blk_answer(bvq, req, VIRTIO_BLK_S_IOERR, 0);

	switch (le32_to_cpu(hdr.type)) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		status = blk_prep_rw(blk, chain, &hdr, req);
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = VIRTIO_BLK_S_OK;
		if (!blk->flush)
			status = VIRTIO_BLK_S_UNSUPP;
		else if (chain->readable_len != BLK_HDR_SIZE ||
			 chain->writable_len != 1)
			status = VIRTIO_BLK_S_IOERR;
		req->op = KVIRTIO_BLK_OP_FLUSH;
		break;
	case VIRTIO_BLK_T_GET_ID:
		return blk_get_id(blk, chain, bvq, req);
	case VIRTIO_BLK_T_DISCARD:
		status = blk_prep_dwz(blk, chain, &it, true, req);
		break;
	case VIRTIO_BLK_T_WRITE_ZEROES:
		status = blk_prep_dwz(blk, chain, &it, false, req);
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	if (status != VIRTIO_BLK_S_OK)
		return blk_answer(bvq, req, status, 0);

	/* Too large for a pass that must stay short: a later pass does it. */
	if (budget->no_overdraw && req->len > budget->bytes) {
		blk_defer(bvq, req);
		budget->bytes = 0;
		return 1;
	}
	/* Discard and write-zeroes cost what they cover, like data. */
	blk_charge(budget, req->len);
	if (req->op == KVIRTIO_BLK_OP_READ || req->op == KVIRTIO_BLK_OP_WRITE) {
		if (!req->len)
			return blk_answer(bvq, req, VIRTIO_BLK_S_OK, 0);
	} else if (req->op != KVIRTIO_BLK_OP_FLUSH && !req->nr_segs) {
		return blk_answer(bvq, req, VIRTIO_BLK_S_OK, 0);
	}
	return blk_submit(bvq, req);
}

static int blk_process_queue(struct kvirtio_device *vdev, u16 qid,
			     struct kvirtio_budget *budget)
{
	struct kvirtio_blk *blk = to_blk(vdev);
	struct kvirtio_blk_vq *bvq;
	struct kvirtio_queue *vq;
	struct kvirtio_chain chain;
	int ret;

	if (qid >= vdev->num_queues)
		return 0;
	bvq = &blk->bvqs[qid];
	vq = &blk->queues[qid];
	if (!bvq->enabled)
		return 0;

	for (;;) {
		struct kvirtio_blk_req *req;

		ret = blk_reap(bvq);
		if (ret < 0)
			goto broken;
		if (!kvirtio_queue_ready(vq))
			return 0;
		/* Unfinished requests go before new ones. */
		ret = blk_resume(bvq, budget);
		if (ret < 0)
			goto broken;
		if (!budget->requests || !budget->bytes) {
			/* Answering what completed costs no budget. */
			ret = blk_reap(bvq);
			if (ret < 0)
				goto broken;
			kvirtio_queue_flush(vq);
			return kvirtio_queue_has_avail(vq) ||
			       READ_ONCE(bvq->resume_head) ? 1 : 0;
		}
		/*
		 * The engine refuses more chains in flight than the ring size
		 * (a violation, -ENOSPC), and the pool holds queue_size_max >=
		 * ring size requests, so a popped chain always finds one.
		 */
		chain.descs = bvq->descs;
		chain.capacity = blk->seg_max + 2;
		ret = kvirtio_queue_pop(vq, &chain);
		if (ret == -EAGAIN || ret == -EIO)
			break;
		if (ret < 0)
			goto broken;
		req = bvq->free;
		if (!req) {
			ret = -ENOSPC;
			kvirtio_queue_break(vq, ret, "blk: request pool empty");
			goto broken;
		}
		budget->requests--;
		bvq->free = req->next;
		bvq->inflight++;
		ret = blk_handle(bvq, &chain, req, budget);
		if (ret <= 0)
			blk_req_put(bvq, req);
		if (ret < 0)
			goto broken;
	}
	/* Requests the backend completed while we were popping. */
	ret = blk_reap(bvq);
	if (ret < 0)
		goto broken;
	kvirtio_queue_flush(vq);
	return 0;

broken:
	kvirtio_device_needs_reset(vdev);
	return ret;
}

/*
 * Wait until the backend has completed every request of the queue, then
 * drop the completions without answering them: the queue is being reset,
 * so the driver will not see them, and no write was acknowledged.
 */
static void blk_quiesce(struct kvirtio_blk *blk, struct kvirtio_blk_vq *bvq)
{
	unsigned long flags;
	struct kvirtio_blk_req *req;
	u32 pending;
	u16 i;

	bvq->enabled = false;
	for (;;) {
		spin_lock_irqsave(&bvq->lock, flags);
		pending = bvq->pending;
		spin_unlock_irqrestore(&bvq->lock, flags);
		if (!pending)
			break;
		blk->be->ops->wait(blk->be);
	}
	req = blk_take_done(bvq);
	while (req) {
		struct kvirtio_blk_req *next = req->next;

		blk_req_put(bvq, req);
		req = next;
	}
	/* Requests waiting to continue are dropped: nothing was answered. */
	while ((req = blk_take_resume(bvq)))
		blk_req_put(bvq, req);
	/* Every entry is back: rebuild the free list in pool order. */
	bvq->free = NULL;
	for (i = blk->pool_size; i > 0; i--) {
		bvq->reqs[i - 1].next = bvq->free;
		bvq->free = &bvq->reqs[i - 1];
	}
	bvq->inflight = 0;
}

static int blk_queue_enable(struct kvirtio_device *vdev, u16 qid)
{
	struct kvirtio_blk *blk = to_blk(vdev);

	if (qid >= vdev->num_queues)
		return -EINVAL;
	blk->bvqs[qid].enabled = true;
	return 0;
}

static void blk_queue_disable(struct kvirtio_device *vdev, u16 qid)
{
	struct kvirtio_blk *blk = to_blk(vdev);

	if (qid < vdev->num_queues)
		blk_quiesce(blk, &blk->bvqs[qid]);
}

static void blk_reset(struct kvirtio_device *vdev)
{
	struct kvirtio_blk *blk = to_blk(vdev);
	u16 i;

	for (i = 0; i < vdev->num_queues; i++)
		blk_quiesce(blk, &blk->bvqs[i]);
}

static int blk_config_read(struct kvirtio_device *vdev, u32 off, void *buf,
			   u32 len)
{
	struct kvirtio_blk *blk = to_blk(vdev);

	if (off > sizeof(blk->config) || len > sizeof(blk->config) - off)
		return -EINVAL;
	memcpy(buf, (const u8 *)&blk->config + off, len);
	return 0;
}

static const struct kvirtio_device_ops blk_ops = {
	.config_read = blk_config_read,
	.queue_enable = blk_queue_enable,
	.queue_disable = blk_queue_disable,
	.process_queue = blk_process_queue,
	.reset = blk_reset,
};

static void blk_free(struct kvirtio_blk *blk)
{
	u16 q, i;

	if (blk->bvqs) {
		for (q = 0; q < blk->vdev.num_queues; q++) {
			struct kvirtio_blk_vq *bvq = &blk->bvqs[q];

			for (i = 0; bvq->reqs && i < blk->pool_size; i++) {
				kfree(bvq->reqs[i].segs);
				kvfree(bvq->reqs[i].backend_priv);
			}
			kfree(bvq->reqs);
			kfree(bvq->descs);
		}
	}
	kfree(blk->bvqs);
	kfree(blk->queues);
	kfree(blk);
}

static int blk_alloc_queue(struct kvirtio_blk *blk, u16 qid)
{
	struct kvirtio_blk_vq *bvq = &blk->bvqs[qid];
	u32 priv = blk->be->req_priv_size;
	u16 i;

	bvq->blk = blk;
	bvq->qid = qid;
	spin_lock_init(&bvq->lock);
	bvq->done_tail = &bvq->done_head;
	bvq->resume_tail = &bvq->resume_head;
	bvq->descs = kcalloc(blk->seg_max + 2, sizeof(*bvq->descs),
			     BLK_POOL_GFP);
	bvq->reqs = kcalloc(blk->pool_size, sizeof(*bvq->reqs),
			    BLK_POOL_GFP);
	if (!bvq->descs || !bvq->reqs)
		return -ENOMEM;
	for (i = 0; i < blk->pool_size; i++) {
		struct kvirtio_blk_req *req = &bvq->reqs[i];

		req->bvq = bvq;
		req->qid = qid;
		req->segs = kcalloc(blk->seg_cap, sizeof(*req->segs),
				    BLK_POOL_GFP);
		if (!req->segs)
			return -ENOMEM;
		if (priv) {
			req->backend_priv = kvzalloc(priv, BLK_POOL_GFP);
			if (!req->backend_priv)
				return -ENOMEM;
		}
	}
	blk_quiesce(blk, bvq);	/* builds the free list */
	return 0;
}

static void blk_fill_config(struct kvirtio_blk *blk, u16 nq)
{
	struct kvirtio_blk_config *c = &blk->config;

	/* The config struct must match the UAPI layout field for field. */
	BUILD_BUG_ON(sizeof(*c) != KVIRTIO_BLK_CONFIG_SIZE);
	BUILD_BUG_ON(offsetof(struct kvirtio_blk_config, blk_size) !=
		     offsetof(struct virtio_blk_config, blk_size));
	BUILD_BUG_ON(offsetof(struct kvirtio_blk_config, num_queues) !=
		     offsetof(struct virtio_blk_config, num_queues));
	BUILD_BUG_ON(offsetof(struct kvirtio_blk_config, max_discard_sectors) !=
		     offsetof(struct virtio_blk_config, max_discard_sectors));
	BUILD_BUG_ON(offsetof(struct kvirtio_blk_config,
			      write_zeroes_may_unmap) !=
		     offsetof(struct virtio_blk_config, write_zeroes_may_unmap));

	c->capacity = cpu_to_le64(blk->capacity >> BLK_SECTOR_SHIFT);
	c->size_max = cpu_to_le32(blk->size_max);
	c->seg_max = cpu_to_le32(blk->seg_max);
	c->blk_size = cpu_to_le32(blk->blk_size);
	c->num_queues = cpu_to_le16(nq);
	c->max_discard_sectors = cpu_to_le32(blk->discard_sectors);
	c->max_discard_seg = cpu_to_le32(blk->discard_seg);
	c->discard_sector_alignment =
		cpu_to_le32(blk->blk_size >> BLK_SECTOR_SHIFT);
	c->max_write_zeroes_sectors = cpu_to_le32(blk->zeroes_sectors);
	c->max_write_zeroes_seg = cpu_to_le32(blk->zeroes_seg);
	c->write_zeroes_may_unmap = blk->zeroes_may_unmap;
}

/* Bytes the request pools of @nq queues take (an upper bound). */
static u64 blk_pool_bytes(u16 nq, u16 qsize, u32 seg_cap, u32 priv)
{
	u64 per_req = sizeof(struct kvirtio_blk_req) +
		      (u64)seg_cap * sizeof(struct kvirtio_blk_seg) + priv;

	return (u64)nq * qsize * per_req;
}

/**
 * kvirtio_blk_create() - create a virtio-blk device
 * @opts: queues, limits and serial chosen by the creator
 * @be: the I/O backend; must outlive the device
 * @out: the new device
 *
 * Every request structure is allocated here, charged to the caller's
 * memory cgroup: nothing is allocated while the guest runs.  The request
 * pools of all queues together may take at most
 * %KVIRTIO_BLK_POOL_BYTES_MAX.  The transport and the host fill in their
 * parts of @out (transport, host, mem) before use.
 *
 * Return: 0, -EINVAL for bad @opts or backend geometry, -E2BIG when the
 * pools would exceed the cap, -ENOMEM.
 */
int kvirtio_blk_create(const struct kvirtio_blk_opts *opts,
		       struct kvirtio_blk_backend *be,
		       struct kvirtio_device **out)
{
	u16 nq = opts->num_queues ? opts->num_queues : 1;
	u16 qsize = opts->queue_size ? opts->queue_size :
			KVIRTIO_BLK_DEF_QUEUE_SIZE;
	u32 seg_max = opts->seg_max ? opts->seg_max :
			KVIRTIO_BLK_DEF_SEG_MAX;
	u32 size_max = opts->size_max ? opts->size_max :
			KVIRTIO_BLK_DEF_SIZE_MAX;
	u32 discard_seg = opts->discard_seg ? opts->discard_seg :
			KVIRTIO_BLK_DEF_DISCARD_SEG;
	u32 discard_sectors = opts->discard_sectors ? opts->discard_sectors :
			KVIRTIO_BLK_DEF_DISCARD_SECTORS;
	struct kvirtio_blk *blk;
	u64 features;
	u16 q;
	int ret;

	if (!be || !be->ops || !be->ops->submit || !be->ops->wait)
		return -EINVAL;
	if (nq > KVIRTIO_BLK_QUEUES_MAX || !is_power_of_2(qsize) || qsize < 4 ||
	    qsize > KVIRTIO_BLK_QUEUE_SIZE_MAX)
		return -EINVAL;
	seg_max = min_t(u32, seg_max, qsize - 2);
	if (seg_max > KVIRTIO_BLK_SEG_MAX_LIMIT || size_max < 4096 ||
	    discard_seg > KVIRTIO_BLK_DISCARD_SEG_MAX)
		return -EINVAL;
	if (be->blk_size < BLK_SECTOR_SIZE || be->blk_size > 4096 ||
	    !is_power_of_2(be->blk_size) ||
	    be->req_priv_size > KVIRTIO_BLK_REQ_PRIV_MAX)
		return -EINVAL;

	/* Everything is allocated now, so cap it now. */
	if (blk_pool_bytes(nq, qsize, max_t(u32, seg_max + 2, discard_seg),
			   be->req_priv_size) > KVIRTIO_BLK_POOL_BYTES_MAX)
		return -E2BIG;

	blk = kzalloc(sizeof(*blk), GFP_KERNEL_ACCOUNT);
	if (!blk)
		return -ENOMEM;
	blk->be = be;
	blk->capacity = be->capacity & ~(u64)(be->blk_size - 1);
	blk->blk_size = be->blk_size;
	blk->seg_max = seg_max;
	blk->size_max = size_max;
	blk->read_only = opts->read_only || be->read_only;
	blk->flush = opts->flush;
	blk->discard_seg = discard_seg;
	blk->discard_sectors = discard_sectors;
	blk->zeroes_seg = discard_seg;
	blk->zeroes_sectors = discard_sectors;
	blk->zeroes_may_unmap = be->zeroes_may_unmap;
	blk->seg_cap = max_t(u32, seg_max + 2, discard_seg);
	blk->pool_size = qsize;
	memcpy(blk->serial, opts->serial, sizeof(blk->serial));

	features = BIT_ULL(VIRTIO_F_VERSION_1) |
		   BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) |
		   BIT_ULL(VIRTIO_RING_F_EVENT_IDX) |
		   BIT_ULL(VIRTIO_F_RING_RESET) |
		   BIT_ULL(VIRTIO_BLK_F_SIZE_MAX) |
		   BIT_ULL(VIRTIO_BLK_F_SEG_MAX) |
		   BIT_ULL(VIRTIO_BLK_F_BLK_SIZE);
	if (blk->flush)
		features |= BIT_ULL(VIRTIO_BLK_F_FLUSH);
	if (blk->read_only)
		features |= BIT_ULL(VIRTIO_BLK_F_RO);
	if (be->discard && !blk->read_only)
		features |= BIT_ULL(VIRTIO_BLK_F_DISCARD);
	if (be->write_zeroes && !blk->read_only)
		features |= BIT_ULL(VIRTIO_BLK_F_WRITE_ZEROES);
	if (nq > 1)
		features |= BIT_ULL(VIRTIO_BLK_F_MQ);
	blk_fill_config(blk, nq);

	blk->vdev.ops = &blk_ops;
	blk->vdev.name = "blk";
	blk->vdev.device_id = VIRTIO_ID_BLOCK;
	/* Mass storage controller, "other" subclass, as QEMU does. */
	blk->vdev.pci_class = 0x018000;
	blk->vdev.device_features = features;
	blk->vdev.config_size = KVIRTIO_BLK_CONFIG_SIZE;
	blk->vdev.num_queues = nq;
	blk->vdev.queue_size_max = qsize;
	blk->vdev.max_chain = seg_max + 2;
	blk->vdev.priv = blk;

	blk->queues = kcalloc(nq, sizeof(*blk->queues), GFP_KERNEL_ACCOUNT);
	blk->bvqs = kcalloc(nq, sizeof(*blk->bvqs), GFP_KERNEL_ACCOUNT);
	if (!blk->queues || !blk->bvqs) {
		ret = -ENOMEM;
		goto err;
	}
	blk->vdev.queues = blk->queues;
	for (q = 0; q < nq; q++) {
		ret = blk_alloc_queue(blk, q);
		if (ret)
			goto err;
	}
	*out = &blk->vdev;
	return 0;

err:
	blk_free(blk);
	return ret;
}

/**
 * kvirtio_blk_destroy() - free a device made by kvirtio_blk_create()
 * @vdev: the device, already reset (no request in flight)
 */
void kvirtio_blk_destroy(struct kvirtio_device *vdev)
{
	if (vdev)
		blk_free(to_blk(vdev));
}
