/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio virtio-blk I/O backend interface.
 *
 * The virtio-blk device (blk.c) parses and validates requests; a backend
 * moves the data.  Backends exist per host: a struct file in the kernel
 * module (host/blk_file.c), a file descriptor in the reference VMM
 * (tools/backend/blk_user.c) and an in-memory recording double in KUnit.
 *
 * A backend receives only validated requests: the byte range lies inside
 * the capacity, is aligned to the block size, the guest segments lie
 * inside guest RAM and the device is writable for writes.  It completes
 * every accepted request exactly once with kvirtio_blk_complete(), from
 * any context and possibly before its submit callback returns.
 */
#ifndef KVIRTIO_BLK_BACKEND_H
#define KVIRTIO_BLK_BACKEND_H

#include "../compat.h"
#include "../guest_mem.h"

#ifdef __KERNEL__
#include <uapi/linux/virtio_blk.h>
#else
#include <linux/virtio_blk.h>
#endif

struct kvirtio_blk_backend;
struct kvirtio_blk_vq;

/**
 * enum kvirtio_blk_op - what a request asks of the backend
 * @KVIRTIO_BLK_OP_READ: read @len bytes at @offset into the guest segments
 * @KVIRTIO_BLK_OP_WRITE: write the guest segments to @offset
 * @KVIRTIO_BLK_OP_FLUSH: make every write completed so far durable
 * @KVIRTIO_BLK_OP_DISCARD: deallocate each range in @segs
 * @KVIRTIO_BLK_OP_WRITE_ZEROES: zero each range in @segs
 */
enum kvirtio_blk_op {
	KVIRTIO_BLK_OP_READ,
	KVIRTIO_BLK_OP_WRITE,
	KVIRTIO_BLK_OP_FLUSH,
	KVIRTIO_BLK_OP_DISCARD,
	KVIRTIO_BLK_OP_WRITE_ZEROES,
};

/**
 * struct kvirtio_blk_seg - one piece of a request
 * @addr: for READ/WRITE a guest-physical address; for DISCARD and
 *	WRITE_ZEROES a byte offset on the disk
 * @len: length in bytes
 */
struct kvirtio_blk_seg {
	u64 addr;
	u64 len;
};

/**
 * struct kvirtio_blk_req - one request handed to a backend
 * @op: see enum kvirtio_blk_op
 * @offset: byte offset on the disk (READ/WRITE)
 * @len: total bytes of @segs
 * @segs: READ/WRITE: guest segments in order; DISCARD/WRITE_ZEROES: disk
 *	ranges; FLUSH: none
 * @nr_segs: entries in @segs
 * @unmap: WRITE_ZEROES may deallocate the zeroed ranges
 * @sync: WRITE must be durable when completed (write-through: the driver
 *	did not negotiate VIRTIO_BLK_F_FLUSH)
 * @mem: guest memory that READ/WRITE segments live in
 * @qid: queue the request came from
 * @resumes: 0 at the first submit; the number of times the request was
 *	resubmitted after kvirtio_blk_requeue()
 * @backend_priv: @kvirtio_blk_backend.req_priv_size bytes of scratch for
 *	the backend (zeroed at device creation only)
 *
 * The fields below belong to the device; a backend must not touch them.
 */
struct kvirtio_blk_req {
	enum kvirtio_blk_op op;
	u64 offset;
	u64 len;
	struct kvirtio_blk_seg *segs;
	u16 nr_segs;
	bool unmap;
	bool sync;
	struct kvirtio_guest_mem *mem;
	u16 qid;
	u32 resumes;
	void *backend_priv;

	/* device private */
	struct kvirtio_blk_vq *bvq;
	struct kvirtio_blk_req *next;
	u64 status_gpa;
	u32 done_bytes;
	u16 head;
	u8 status;
	bool in;
	bool deferred;
};

/**
 * struct kvirtio_blk_backend_ops - I/O callbacks
 * @submit: start @req.  Return 0 when the request was accepted: it will be
 *	(or already was) completed with kvirtio_blk_complete(), or handed
 *	back with kvirtio_blk_requeue() to be continued in a later pass
 *	(work that would take longer than one pass should).  Return a
 *	negative errno to refuse it without completing it; the device then
 *	answers VIRTIO_BLK_S_UNSUPP for -EOPNOTSUPP, VIRTIO_BLK_S_IOERR
 *	otherwise.  Called from the device's worker; may sleep only if the
 *	host's worker may (the kernel and userspace workers may).
 * @wait: sleep until some request completes or a short while passes.
 *	The device calls it in a loop while it waits for a queue's requests
 *	to finish (queue reset, device reset).  NULL when every request
 *	completes before @submit returns.
 */
struct kvirtio_blk_backend_ops {
	int (*submit)(struct kvirtio_blk_backend *be,
		      struct kvirtio_blk_req *req);
	void (*wait)(struct kvirtio_blk_backend *be);
};

/**
 * struct kvirtio_blk_backend - a disk as the device sees it
 * @ops: callbacks
 * @capacity: size in bytes, a multiple of @blk_size (the device rounds
 *	down to whole blocks)
 * @blk_size: logical block size: 512, or a larger power of two <= 64 KiB
 * @read_only: refuse every write, discard and write-zeroes
 * @discard: the backend can deallocate ranges
 * @write_zeroes: the backend can zero ranges
 * @zeroes_may_unmap: zeroing with @unmap may deallocate
 * @req_priv_size: scratch bytes per request (capped by the device)
 *
 * Embed it in the backend's own structure and use container_of().
 */
struct kvirtio_blk_backend {
	const struct kvirtio_blk_backend_ops *ops;
	u64 capacity;
	u32 blk_size;
	bool read_only;
	bool discard;
	bool write_zeroes;
	bool zeroes_may_unmap;
	u32 req_priv_size;
};

void kvirtio_blk_complete(struct kvirtio_blk_req *req, u8 status, u32 bytes);
void kvirtio_blk_requeue(struct kvirtio_blk_req *req);

/* Map a backend error to a virtio-blk status byte. */
static inline u8 kvirtio_blk_errno_status(int err)
{
	if (!err)
		return VIRTIO_BLK_S_OK;
	return err == -EOPNOTSUPP ? VIRTIO_BLK_S_UNSUPP : VIRTIO_BLK_S_IOERR;
}

#endif /* KVIRTIO_BLK_BACKEND_H */
