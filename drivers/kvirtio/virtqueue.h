/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio virtqueue engine: the device side of a split virtqueue
 * (virtio 1.2, section 2.7).
 *
 * Names follow the design this project started from: the ring
 * (kvirtio_ring, VirtioRing), the queue (kvirtio_queue, VirtioQueue), a
 * descriptor chain (kvirtio_chain, VirtioChain) and one descriptor
 * (kvirtio_desc, VirtioDescriptor).
 *
 * Everything under the ring pointers is guest memory and hostile.  Each
 * guest field is fetched once (READ_ONCE, or one gmem read for indirect
 * tables) and validated before use.  Any violation breaks the queue: it
 * stops, remembers the first error and reports it once; the transport then
 * sets DEVICE_NEEDS_RESET.  Nothing here may BUG, WARN, loop unbounded or
 * allocate a size the guest chose.
 *
 * Concurrency: one context at a time processes a queue (pop, push, flush,
 * notification control).  Setup and teardown happen with processing
 * stopped.  The engine takes no locks.
 *
 * Errors of kvirtio_queue_pop() (each one except -EAGAIN and -EIO is a
 * guest violation that has just broken the queue; see
 * Documentation/virtqueue.rst for the full table):
 *   -EAGAIN	nothing available (not an error)
 *   -EIO	queue not READY (disabled or already broken)
 *   -ERANGE	avail.idx more than size ahead, head or next index out of range
 *   -ENOSPC	a new chain while size chains are already in flight
 *   -ELOOP	descriptor chain or indirect table loops
 *   -E2BIG	chain longer than the caller's capacity or max_chain, or an
 *		indirect table with more than KVIRTIO_INDIRECT_MAX entries
 *   -EINVAL	bad indirect descriptor (not negotiated, len 0 or not a
 *		multiple of 16, nested, INDIRECT with NEXT)
 *   -EPROTO	device-readable descriptor after a device-writable one
 *   -EOVERFLOW	total chain length does not fit in 32 bits
 *   -EFAULT	buffer or indirect table wraps or is not guest RAM
 */
#ifndef KVIRTIO_VIRTQUEUE_H
#define KVIRTIO_VIRTQUEUE_H

#include "compat.h"
#include "guest_mem.h"

/* Largest split queue the specification allows. */
#define KVIRTIO_QUEUE_SIZE_MAX		32768
/* Ring alignment required of the driver (virtio 1.2, 2.7). */
#define KVIRTIO_DESC_ALIGN		16
#define KVIRTIO_AVAIL_ALIGN		2
#define KVIRTIO_USED_ALIGN		4
/* Hard ceiling on an indirect table, whatever the queue allows. */
#define KVIRTIO_INDIRECT_MAX		1024

/* Ring layout in guest memory, little-endian (modern devices only). */
struct kvirtio_vring_desc {
	__le64 addr;
	__le32 len;
	__le16 flags;
	__le16 next;
};

struct kvirtio_vring_avail {
	__le16 flags;
	__le16 idx;
	__le16 ring[];	/* then __le16 used_event */
};

struct kvirtio_vring_used_elem {
	__le32 id;
	__le32 len;
};

struct kvirtio_vring_used {
	__le16 flags;
	__le16 idx;
	struct kvirtio_vring_used_elem ring[];	/* then __le16 avail_event */
};

/**
 * struct kvirtio_ring - host mappings of one split ring (VirtioRing)
 * @size: number of entries, a power of two
 * @desc: descriptor table (device reads only)
 * @avail: driver area (device reads only)
 * @used: device area (device writes; reads back only its own fields)
 * @used_event: avail->ring[size], the driver's interrupt threshold
 * @avail_event: used->ring[size], the device's kick threshold
 */
struct kvirtio_ring {
	u16 size;
	const struct kvirtio_vring_desc *desc;
	const struct kvirtio_vring_avail *avail;
	struct kvirtio_vring_used *used;
	const __le16 *used_event;
	__le16 *avail_event;
};

/**
 * struct kvirtio_desc - one validated buffer of a chain (VirtioDescriptor)
 * @addr: guest-physical address; [addr, addr + len) is inside guest RAM
 * @len: length in bytes (may be 0)
 * @writable: device-writable (otherwise device-readable)
 */
struct kvirtio_desc {
	u64 addr;
	u32 len;
	bool writable;
};

/**
 * struct kvirtio_chain - one request popped from the avail ring (VirtioChain)
 * @descs: caller-provided storage for @capacity descriptors
 * @capacity: how many descriptors @descs holds; a longer chain is an error
 * @head: head descriptor index, returned in the used element
 * @num: descriptors in the chain; the readable ones come first
 * @num_readable: how many of the first descriptors are device-readable
 * @readable_len: total readable bytes (fits in u32: checked)
 * @writable_len: total writable bytes (fits in u32: checked)
 *
 * The device consumes a chain with the cursor helpers below or by walking
 * @descs itself, then returns it with kvirtio_queue_push().
 */
struct kvirtio_chain {
	struct kvirtio_desc *descs;
	u16 capacity;
	u16 head;
	u16 num;
	u16 num_readable;
	u32 readable_len;
	u32 writable_len;
};

/**
 * enum kvirtio_queue_state - lifecycle of a queue
 * @KVIRTIO_QUEUE_DISABLED: not set up; every operation is refused
 * @KVIRTIO_QUEUE_READY: set up and serving
 * @KVIRTIO_QUEUE_BROKEN: the guest violated a ring rule; see @error
 */
enum kvirtio_queue_state {
	KVIRTIO_QUEUE_DISABLED = 0,
	KVIRTIO_QUEUE_READY,
	KVIRTIO_QUEUE_BROKEN,
};

/**
 * enum kvirtio_queue_wait - what a drained queue is waiting for
 * @KVIRTIO_QUEUE_WAIT_AVAIL: new chains (the default): a kick or any chain
 *	not yet popped wakes it
 * @KVIRTIO_QUEUE_WAIT_BACKEND: the device's backend (e.g. a packet to
 *	receive), not the driver: kicks stay off and the chains already
 *	available do not count as work
 * @KVIRTIO_QUEUE_WAIT_MORE: more chains than are available (e.g. enough
 *	receive buffers for one packet): only chains made available after the
 *	last read of avail->idx count as work
 *
 * A device sets it with kvirtio_queue_set_wait() before it returns from a
 * pass that could not finish; the engine's kvirtio_queue_has_avail() and
 * kvirtio_queue_enable_notify() honour it, so that a worker neither spins
 * on buffers it cannot use nor takes a kick per buffer it does not need.
 */
enum kvirtio_queue_wait {
	KVIRTIO_QUEUE_WAIT_AVAIL = 0,
	KVIRTIO_QUEUE_WAIT_BACKEND,
	KVIRTIO_QUEUE_WAIT_MORE,
};

/**
 * struct kvirtio_queue_stats - counters kept by the engine
 * @chains: chains popped
 * @used: used elements pushed
 * @notifies: kvirtio_queue_should_notify() said yes
 * @notifies_suppressed: kvirtio_queue_should_notify() said no
 * @errors: violations (at most one per enable)
 *
 * Cleared by kvirtio_queue_setup(), kept by kvirtio_queue_teardown().
 */
struct kvirtio_queue_stats {
	u64 chains;
	u64 used;
	u64 notifies;
	u64 notifies_suppressed;
	u64 errors;
};

/**
 * struct kvirtio_queue - device side of one split virtqueue (VirtioQueue)
 * @ring: host mappings of the ring areas
 * @mem: guest memory the rings and buffers live in
 * @desc_gpa: guest-physical address of the descriptor table
 * @avail_gpa: guest-physical address of the driver area
 * @used_gpa: guest-physical address of the device area
 * @state: see enum kvirtio_queue_state
 * @error: first violation seen (negative errno), 0 if none
 * @error_msg: static text naming the violated rule, for logs and tests
 * @event_idx: VIRTIO_RING_F_EVENT_IDX negotiated
 * @indirect: VIRTIO_RING_F_INDIRECT_DESC negotiated
 * @max_chain: device's cap on descriptors per chain (0: queue size)
 * @last_avail_idx: next avail ring entry to consume (free-running)
 * @avail_idx_shadow: last avail->idx value read
 * @used_idx: next used ring entry to fill (free-running)
 * @published_used_idx: value last stored to used->idx
 * @signalled_used: used index at the last interrupt decision
 * @signalled_used_valid: @signalled_used means something
 * @notify_enabled: the device currently wants kicks
 * @inflight: chains popped but not yet pushed
 * @wait: what the queue waits for when drained (enum kvirtio_queue_wait)
 * @stats: counters
 */
struct kvirtio_queue {
	struct kvirtio_ring ring;
	struct kvirtio_guest_mem *mem;
	u64 desc_gpa;
	u64 avail_gpa;
	u64 used_gpa;
	enum kvirtio_queue_state state;
	int error;
	const char *error_msg;
	bool event_idx;
	bool indirect;
	u16 max_chain;
	u16 last_avail_idx;
	u16 avail_idx_shadow;
	u16 used_idx;
	u16 published_used_idx;
	u16 signalled_used;
	bool signalled_used_valid;
	bool notify_enabled;
	u32 inflight;
	u8 wait;
	struct kvirtio_queue_stats stats;
};

/**
 * struct kvirtio_queue_config - what the driver programmed for a queue
 * @size: queue size (power of two, 1..32768)
 * @desc: descriptor table address (16-byte aligned)
 * @avail: driver area address (2-byte aligned)
 * @used: device area address (4-byte aligned)
 * @features: negotiated feature bits (ring features are used)
 * @max_chain: device's cap on descriptors per chain, 0 for no device cap
 * @last_avail_idx: avail ring entry to start from (0 for a fresh queue; a
 *	host that resumes a queue, e.g. vDPA set_vq_state, sets it)
 * @used_idx: used index to start from, written to the device area
 */
struct kvirtio_queue_config {
	u16 size;
	u64 desc;
	u64 avail;
	u64 used;
	u64 features;
	u16 max_chain;
	u16 last_avail_idx;
	u16 used_idx;
};

int kvirtio_queue_check_config(const struct kvirtio_queue_config *cfg,
			       struct kvirtio_guest_mem *mem);
int kvirtio_queue_setup(struct kvirtio_queue *vq, struct kvirtio_guest_mem *mem,
			const struct kvirtio_queue_config *cfg);
void kvirtio_queue_teardown(struct kvirtio_queue *vq);

int kvirtio_queue_pop(struct kvirtio_queue *vq, struct kvirtio_chain *chain);
int kvirtio_queue_push(struct kvirtio_queue *vq, u16 head, u32 len);
int kvirtio_queue_unpop(struct kvirtio_queue *vq, u16 n);
void kvirtio_queue_flush(struct kvirtio_queue *vq);
bool kvirtio_queue_should_notify(struct kvirtio_queue *vq);

void kvirtio_queue_disable_notify(struct kvirtio_queue *vq);
bool kvirtio_queue_enable_notify(struct kvirtio_queue *vq);
bool kvirtio_queue_has_avail(struct kvirtio_queue *vq);

/* See enum kvirtio_queue_wait; cleared by setup and teardown. */
static inline void kvirtio_queue_set_wait(struct kvirtio_queue *vq,
					  enum kvirtio_queue_wait wait)
{
	WRITE_ONCE(vq->wait, wait);
}

void kvirtio_queue_break(struct kvirtio_queue *vq, int err, const char *why);

static inline bool kvirtio_queue_ready(const struct kvirtio_queue *vq)
{
	return vq->state == KVIRTIO_QUEUE_READY;
}

static inline bool kvirtio_queue_broken(const struct kvirtio_queue *vq)
{
	return vq->state == KVIRTIO_QUEUE_BROKEN;
}

/**
 * struct kvirtio_chain_iter - byte cursor over one direction of a chain
 * @chain: the chain
 * @idx: current descriptor
 * @off: offset inside it
 * @end: one past the last descriptor of this direction
 *
 * Devices read requests and write replies through a cursor so that no
 * device assumes a descriptor layout (virtio 1.2, 2.6.4).
 */
struct kvirtio_chain_iter {
	const struct kvirtio_chain *chain;
	u16 idx;
	u32 off;
	u16 end;
};

void kvirtio_chain_iter_readable(struct kvirtio_chain_iter *it,
				 const struct kvirtio_chain *chain);
void kvirtio_chain_iter_writable(struct kvirtio_chain_iter *it,
				 const struct kvirtio_chain *chain);
int kvirtio_chain_read(struct kvirtio_chain_iter *it,
		       struct kvirtio_guest_mem *mem, void *dst, u32 len);
int kvirtio_chain_write(struct kvirtio_chain_iter *it,
			struct kvirtio_guest_mem *mem, const void *src,
			u32 len);
int kvirtio_chain_skip(struct kvirtio_chain_iter *it, u32 len);
u32 kvirtio_chain_iter_remaining(const struct kvirtio_chain_iter *it);

#endif /* KVIRTIO_VIRTQUEUE_H */
