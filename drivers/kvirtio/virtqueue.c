// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio virtqueue engine: the device side of a split virtqueue.
 *
 * The ring areas are mapped once at setup (mem->ops->map_ring) and then
 * read and written with single accesses; descriptor buffers and indirect
 * tables are only reached through mem->ops.  Every value that comes from
 * the guest is loaded once into a local, validated, and only the local is
 * used afterwards.  See Documentation/virtqueue.rst.
 */
#include "compat.h"
#include "guest_mem.h"
#include "virtqueue.h"

/* Byte sizes of the three ring areas for a queue of @size entries. */
static u32 vq_desc_bytes(u32 size)
{
	return size * (u32)sizeof(struct kvirtio_vring_desc);
}

static u32 vq_avail_bytes(u32 size)
{
	/* flags, idx, ring[size], used_event */
	return 4 + size * 2 + 2;
}

static u32 vq_used_bytes(u32 size)
{
	/* flags, idx, ring[size], avail_event */
	return 4 + size * (u32)sizeof(struct kvirtio_vring_used_elem) + 2;
}

/*
 * A ring area must not wrap the guest-physical space and must be RAM.
 * The sizes are at most 6 + 16 * 32768 bytes, so they fit in u32.
 */
static int vq_check_area(struct kvirtio_guest_mem *mem, u64 gpa, u32 len)
{
	u64 end;

	if (check_add_overflow(gpa, (u64)len, &end))
		return -EFAULT;
	if (!mem->ops->range_ok(mem, gpa, len))
		return -EFAULT;
	return 0;
}

/**
 * kvirtio_queue_check_config() - validate a queue's programming
 * @cfg: size, ring addresses and features the driver programmed
 * @mem: the guest memory the rings must live in
 *
 * Checks what kvirtio_queue_setup() would check, without mapping anything:
 * the size is a power of two in 1..KVIRTIO_QUEUE_SIZE_MAX, the descriptor
 * table is 16-, the driver area 2- and the device area 4-byte aligned, and
 * each whole area (16*N, 6+2*N and 6+8*N bytes) neither wraps nor leaves
 * guest RAM.  The transport calls this when the driver enables a queue.
 *
 * Return: 0 when the configuration is usable; -EINVAL for a bad size or
 * alignment; -EFAULT when an area wraps or is not guest RAM.
 */
int kvirtio_queue_check_config(const struct kvirtio_queue_config *cfg,
			       struct kvirtio_guest_mem *mem)
{
	u32 size = cfg->size;
	int ret;

	if (!size || size > KVIRTIO_QUEUE_SIZE_MAX || !is_power_of_2(size))
		return -EINVAL;
	/* Alignment first: a misaligned ring is -EINVAL wherever it lies. */
	if ((cfg->desc & (KVIRTIO_DESC_ALIGN - 1)) ||
	    (cfg->avail & (KVIRTIO_AVAIL_ALIGN - 1)) ||
	    (cfg->used & (KVIRTIO_USED_ALIGN - 1)))
		return -EINVAL;
	ret = vq_check_area(mem, cfg->desc, vq_desc_bytes(size));
	if (ret)
		return ret;
	ret = vq_check_area(mem, cfg->avail, vq_avail_bytes(size));
	if (ret)
		return ret;
	return vq_check_area(mem, cfg->used, vq_used_bytes(size));
}

static void vq_unmap_rings(struct kvirtio_queue *vq)
{
	struct kvirtio_guest_mem *mem = vq->mem;
	u32 size = vq->ring.size;

	/* The ring pointers are const for the engine, not for the host. */
	if (vq->ring.used)
		mem->ops->unmap_ring(mem, vq->ring.used, vq->used_gpa,
				     vq_used_bytes(size));
	if (vq->ring.avail)
		mem->ops->unmap_ring(mem, (void *)vq->ring.avail,
				     vq->avail_gpa, vq_avail_bytes(size));
	if (vq->ring.desc)
		mem->ops->unmap_ring(mem, (void *)vq->ring.desc, vq->desc_gpa,
				     vq_desc_bytes(size));
	vq->ring.desc = NULL;
	vq->ring.avail = NULL;
	vq->ring.used = NULL;
	vq->ring.used_event = NULL;
	vq->ring.avail_event = NULL;
}

/**
 * kvirtio_queue_setup() - map a queue's rings and start serving it
 * @vq: a DISABLED queue (zero-initialised, or torn down)
 * @mem: the guest memory the rings and buffers live in
 * @cfg: what the driver programmed
 *
 * Validates @cfg as kvirtio_queue_check_config() does, maps the three ring
 * areas through @mem->ops->map_ring, takes the ring features
 * (VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC) from
 * @cfg->features and starts from the indices in @cfg (0 for a new queue).
 * It writes the device area's flags (0) and idx (@cfg->used_idx), and with
 * EVENT_IDX avail_event (@cfg->last_avail_idx), so that the guest sees the
 * state the engine starts from.  The per-chain cap is
 * @cfg->max_chain, or the queue size when that is 0.  Statistics and the
 * recorded error are cleared.  May sleep (map_ring may).
 *
 * Return: 0 and the queue READY; -EBUSY when @vq is not DISABLED;
 * -EINVAL or -EFAULT from the checks; -EFAULT when a map fails (whatever
 * was mapped is unmapped again and @vq stays DISABLED).
 */
int kvirtio_queue_setup(struct kvirtio_queue *vq, struct kvirtio_guest_mem *mem,
			const struct kvirtio_queue_config *cfg)
{
	u32 size = cfg->size;
	void *desc, *avail, *used;
	int ret;

	might_sleep();	/* map_ring may pin and map pages */
	if (vq->state != KVIRTIO_QUEUE_DISABLED)
		return -EBUSY;
	ret = kvirtio_queue_check_config(cfg, mem);
	if (ret)
		return ret;

	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
	vq->ring.size = size;
	vq->desc_gpa = cfg->desc;
	vq->avail_gpa = cfg->avail;
	vq->used_gpa = cfg->used;

	desc = mem->ops->map_ring(mem, cfg->desc, vq_desc_bytes(size));
	if (!desc)
		goto fail;
	vq->ring.desc = desc;
	avail = mem->ops->map_ring(mem, cfg->avail, vq_avail_bytes(size));
	if (!avail)
		goto fail;
	vq->ring.avail = avail;
	used = mem->ops->map_ring(mem, cfg->used, vq_used_bytes(size));
	if (!used)
		goto fail;
	vq->ring.used = used;
	vq->ring.used_event = &vq->ring.avail->ring[size];
	vq->ring.avail_event = (__le16 *)&vq->ring.used->ring[size];

	vq->event_idx = !!(cfg->features & BIT_ULL(VIRTIO_RING_F_EVENT_IDX));
	vq->indirect = !!(cfg->features & BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC));
	vq->max_chain = cfg->max_chain ? cfg->max_chain : size;
	vq->notify_enabled = true;
	vq->last_avail_idx = cfg->last_avail_idx;
	vq->avail_idx_shadow = cfg->last_avail_idx;
	vq->used_idx = cfg->used_idx;
	vq->published_used_idx = cfg->used_idx;

	WRITE_ONCE(vq->ring.used->flags, cpu_to_le16(0));
	WRITE_ONCE(vq->ring.used->idx, cpu_to_le16(cfg->used_idx));
	if (vq->event_idx)
		WRITE_ONCE(*vq->ring.avail_event,
			   cpu_to_le16(cfg->last_avail_idx));
	vq->state = KVIRTIO_QUEUE_READY;
	return 0;

fail:
	vq_unmap_rings(vq);
	memset(vq, 0, sizeof(*vq));
	return -EFAULT;
}

/**
 * kvirtio_queue_teardown() - stop a queue and release its rings
 * @vq: the queue, in any state
 *
 * Unmaps every ring area that is mapped and returns the queue to DISABLED
 * with its indices cleared.  The statistics, the first error and its
 * message are kept for diagnostics until the next setup.  Safe on a
 * DISABLED or BROKEN queue and idempotent.  Chains still in flight are
 * forgotten: the caller must have completed or cancelled them.
 */
void kvirtio_queue_teardown(struct kvirtio_queue *vq)
{
	struct kvirtio_queue_stats stats = vq->stats;
	const char *msg = vq->error_msg;
	int error = vq->error;

	if (vq->mem)
		vq_unmap_rings(vq);
	memset(vq, 0, sizeof(*vq));
	vq->stats = stats;
	vq->error = error;
	vq->error_msg = msg;
}

/**
 * kvirtio_queue_break() - stop a queue after a violation
 * @vq: the queue
 * @err: negative errno describing the violation
 * @why: static string naming the violated rule
 *
 * A READY queue becomes BROKEN, remembers @err and @why and counts one
 * error; it then refuses pop, push and notification work until it is torn
 * down.  Only the first violation is recorded: breaking a BROKEN or a
 * DISABLED queue does nothing.  Devices call this too when a request's
 * contents violate their protocol.  Logs once, rate limited; never WARNs.
 */
void kvirtio_queue_break(struct kvirtio_queue *vq, int err, const char *why)
{
	if (vq->state != KVIRTIO_QUEUE_READY)
		return;
	vq->state = KVIRTIO_QUEUE_BROKEN;
	vq->error = err < 0 ? err : -EINVAL;
	vq->error_msg = why;
	vq->stats.errors++;
	pr_warn_ratelimited("kvirtio: queue broken: %s (%d)\n", why,
			    vq->error);
}

static int vq_fail(struct kvirtio_queue *vq, int err, const char *why)
{
	kvirtio_queue_break(vq, err, why);
	return err;
}

/* A descriptor as fetched: one load per guest field. */
struct vq_desc {
	u64 addr;
	u32 len;
	u16 flags;
	u16 next;
};

static void vq_fetch_desc(const struct kvirtio_vring_desc *d,
			  struct vq_desc *out)
{
	out->addr = le64_to_cpu(READ_ONCE(d->addr));
	out->len = le32_to_cpu(READ_ONCE(d->len));
	out->flags = le16_to_cpu(READ_ONCE(d->flags));
	out->next = le16_to_cpu(READ_ONCE(d->next));
}

/* Running state of one pop. */
struct vq_walk {
	struct kvirtio_chain *chain;
	u16 cap;	/* min(chain capacity, queue max_chain) */
	u32 total;	/* readable + writable bytes so far */
};

/*
 * Append one buffer to the chain after checking it: room, direction order,
 * address range (a zero-length buffer must still point at a RAM byte) and
 * the 32-bit total.
 */
static int vq_add_buf(struct kvirtio_queue *vq, struct vq_walk *w,
		      const struct vq_desc *d)
{
	struct kvirtio_chain *chain = w->chain;
	bool writable = d->flags & VRING_DESC_F_WRITE;
	struct kvirtio_desc *out;
	u64 end;
	u32 total;

	if (chain->num >= w->cap)
		return vq_fail(vq, -E2BIG, "descriptor chain longer than allowed");
	if (!writable && chain->num_readable != chain->num)
		return vq_fail(vq, -EPROTO,
			       "device-readable descriptor after a writable one");
	if (check_add_overflow(d->addr, (u64)(d->len ? d->len : 1), &end))
		return vq_fail(vq, -EFAULT, "descriptor buffer wraps around");
	if (!vq->mem->ops->range_ok(vq->mem, d->addr, d->len ? d->len : 1))
		return vq_fail(vq, -EFAULT, "descriptor buffer not in guest RAM");
	if (check_add_overflow(w->total, d->len, &total))
		return vq_fail(vq, -EOVERFLOW,
			       "descriptor chain length overflows 32 bits");
	w->total = total;

	out = &chain->descs[chain->num++];
	out->addr = d->addr;
	out->len = d->len;
	out->writable = writable;
	if (writable) {
		chain->writable_len += d->len;
	} else {
		chain->num_readable++;
		chain->readable_len += d->len;
	}
	return 0;
}

/*
 * Walk an indirect table: entries linked by next from entry 0, each one
 * read from guest memory exactly once (a visited bitmap turns any revisit
 * into -ELOOP before the entry is fetched again).
 */
static int vq_walk_indirect(struct kvirtio_queue *vq, struct vq_walk *w,
			    const struct vq_desc *ind)
{
	u64 visited[KVIRTIO_INDIRECT_MAX / 64];
	struct kvirtio_vring_desc raw;
	struct vq_desc d;
	u32 n, i;
	u64 end, gpa;
	int ret;

	if (!vq->indirect)
		return vq_fail(vq, -EINVAL, "indirect descriptor not negotiated");
	if (ind->flags & VRING_DESC_F_NEXT)
		return vq_fail(vq, -EINVAL, "indirect descriptor with NEXT");
	if (!ind->len || ind->len % sizeof(struct kvirtio_vring_desc))
		return vq_fail(vq, -EINVAL, "indirect table length invalid");
	n = ind->len / sizeof(struct kvirtio_vring_desc);
	if (n > KVIRTIO_INDIRECT_MAX)
		return vq_fail(vq, -E2BIG, "indirect table too large");
	if (check_add_overflow(ind->addr, (u64)ind->len, &end) ||
	    !vq->mem->ops->range_ok(vq->mem, ind->addr, ind->len))
		return vq_fail(vq, -EFAULT, "indirect table not in guest RAM");

	memset(visited, 0, sizeof(visited));
	i = 0;
	for (;;) {
		if (visited[i / 64] & BIT_ULL(i % 64))
			return vq_fail(vq, -ELOOP, "indirect table loops");
		visited[i / 64] |= BIT_ULL(i % 64);

		gpa = ind->addr + (u64)i * sizeof(raw);
		if (vq->mem->ops->read(vq->mem, gpa, &raw, sizeof(raw)))
			return vq_fail(vq, -EFAULT,
				       "indirect table read failed");
		/* raw is our private copy: plain loads are single fetches. */
		d.addr = le64_to_cpu(raw.addr);
		d.len = le32_to_cpu(raw.len);
		d.flags = le16_to_cpu(raw.flags);
		d.next = le16_to_cpu(raw.next);

		if (d.flags & VRING_DESC_F_INDIRECT)
			return vq_fail(vq, -EINVAL,
				       "nested indirect descriptor");
		ret = vq_add_buf(vq, w, &d);
		if (ret)
			return ret;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		if (d.next >= n)
			return vq_fail(vq, -ERANGE,
				       "indirect next index out of range");
		i = d.next;
	}
}

/* Walk the direct chain from @head (already checked < size). */
static int vq_walk_chain(struct kvirtio_queue *vq, struct vq_walk *w, u16 head)
{
	u32 size = vq->ring.size;
	struct vq_desc d;
	u32 count;
	u16 idx = head;
	int ret;

	for (count = 0;; count++) {
		/* A valid direct chain has at most size descriptors. */
		if (count >= size)
			return vq_fail(vq, -ELOOP, "descriptor chain loops");
		vq_fetch_desc(&vq->ring.desc[idx], &d);

		if (d.flags & VRING_DESC_F_INDIRECT)
			return vq_walk_indirect(vq, w, &d);
		ret = vq_add_buf(vq, w, &d);
		if (ret)
			return ret;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		if (d.next >= size)
			return vq_fail(vq, -ERANGE,
				       "descriptor next index out of range");
		idx = d.next;
	}
}

/*
 * Number of entries the driver has made available and we have not
 * consumed; re-reads avail->idx only when the shadow is used up.  Returns
 * a negative errno (queue broken) when the driver ran ahead by more than
 * the ring holds.
 */
static int vq_avail_pending(struct kvirtio_queue *vq)
{
	u16 avail_idx, pending;

	pending = vq->avail_idx_shadow - vq->last_avail_idx;
	if (pending)
		return pending;

	avail_idx = le16_to_cpu(READ_ONCE(vq->ring.avail->idx));
	pending = avail_idx - vq->last_avail_idx;
	if (pending > vq->ring.size)
		return vq_fail(vq, -ERANGE, "avail.idx too far ahead");
	vq->avail_idx_shadow = avail_idx;
	if (pending)
		/* Read ring entries below avail_idx only after avail_idx. */
		virt_rmb();
	return pending;
}

/**
 * kvirtio_queue_pop() - take the next available descriptor chain
 * @vq: the queue
 * @chain: caller storage; @chain->descs and @chain->capacity must be set,
 *	every other field is filled in
 *
 * Reads avail->idx (once, then a read barrier before the ring entries it
 * covers), the head index and each descriptor of the chain, following
 * NEXT links and at most one indirect table (when negotiated).  Every
 * buffer is checked against guest RAM and the chain against the rules in
 * Documentation/virtqueue.rst.  On success the chain is in flight until
 * kvirtio_queue_push() returns it.
 *
 * Return: 0 with @chain filled; -EAGAIN when nothing is available; -EIO
 * when the queue is not READY.  Any other negative errno means the guest
 * violated a rule just now and the queue is BROKEN (see virtqueue.h for
 * the codes); @chain contents are then undefined.
 */
int kvirtio_queue_pop(struct kvirtio_queue *vq, struct kvirtio_chain *chain)
{
	struct vq_walk w;
	u16 head;
	int ret;

	if (vq->state != KVIRTIO_QUEUE_READY)
		return -EIO;
	ret = vq_avail_pending(vq);
	if (ret < 0)
		return ret;
	if (!ret)
		return -EAGAIN;
	/*
	 * Every descriptor index is owned by a chain in flight: a new chain
	 * would have to reuse one the device still holds.
	 */
	if (vq->inflight >= vq->ring.size)
		return vq_fail(vq, -ENOSPC,
			       "more chains in flight than the queue size");

	head = le16_to_cpu(READ_ONCE(vq->ring.avail->ring[vq->last_avail_idx &
							   (vq->ring.size - 1)]));
	if (head >= vq->ring.size)
		return vq_fail(vq, -ERANGE, "avail ring head out of range");

	chain->head = head;
	chain->num = 0;
	chain->num_readable = 0;
	chain->readable_len = 0;
	chain->writable_len = 0;
	w.chain = chain;
	w.cap = min_t(u16, chain->capacity, vq->max_chain);
	w.total = 0;

	ret = vq_walk_chain(vq, &w, head);
	if (ret)
		return ret;

	vq->last_avail_idx++;
	WRITE_ONCE(vq->inflight, vq->inflight + 1);
	vq->stats.chains++;
	return 0;
}

/**
 * kvirtio_queue_push() - return a chain to the driver
 * @vq: the queue
 * @head: the chain's head index (kvirtio_chain.head)
 * @len: bytes the device wrote into the chain's writable buffers
 *
 * Writes one used element at the device's used index; it becomes visible
 * to the driver only at the next kvirtio_queue_flush().  A device completes
 * a batch with several pushes, one flush and one should_notify decision.
 *
 * Return: 0; -EIO when the queue is not READY (the element is dropped:
 * a broken queue is reset by the driver anyway); -EINVAL for a device bug
 * (@head out of range or nothing in flight), with no guest write.
 */
int kvirtio_queue_push(struct kvirtio_queue *vq, u16 head, u32 len)
{
	struct kvirtio_vring_used_elem *elem;

	if (vq->state != KVIRTIO_QUEUE_READY)
		return -EIO;
	if (head >= vq->ring.size || !vq->inflight)
		return -EINVAL;
	elem = &vq->ring.used->ring[vq->used_idx & (vq->ring.size - 1)];
	WRITE_ONCE(elem->id, cpu_to_le32(head));
	WRITE_ONCE(elem->len, cpu_to_le32(len));
	vq->used_idx++;
	WRITE_ONCE(vq->inflight, vq->inflight - 1);
	vq->stats.used++;
	return 0;
}

/**
 * kvirtio_queue_flush() - publish the used elements pushed so far
 * @vq: the queue
 *
 * A write barrier orders the buffer contents and used elements before the
 * store of used->idx.  Nothing happens when nothing was pushed or the
 * queue is not READY.
 */
void kvirtio_queue_flush(struct kvirtio_queue *vq)
{
	if (vq->state != KVIRTIO_QUEUE_READY)
		return;
	if (vq->used_idx == vq->published_used_idx)
		return;
	/* Buffer data and used elements before the index that covers them. */
	virt_wmb();
	WRITE_ONCE(vq->ring.used->idx, cpu_to_le16(vq->used_idx));
	vq->published_used_idx = vq->used_idx;
}

/**
 * kvirtio_queue_should_notify() - decide whether to interrupt the driver
 * @vq: the queue, after kvirtio_queue_flush()
 *
 * With VIRTIO_RING_F_EVENT_IDX: interrupt when the used index published
 * since the last decision crossed the driver's used_event
 * (vring_need_event(used_event, new, old)); the first decision after setup
 * always says yes.  Without it: interrupt when something was published
 * since the last decision and avail->flags lacks VRING_AVAIL_F_NO_INTERRUPT.
 * A full barrier orders the used->idx store before the load of used_event
 * or avail->flags, so a driver that re-enables interrupts concurrently is
 * never missed.  Each call is one decision: it records the published index
 * as signalled.
 *
 * Return: true when the caller must raise the queue interrupt.
 */
bool kvirtio_queue_should_notify(struct kvirtio_queue *vq)
{
	u16 old, new, event, flags;
	bool valid, notify;

	if (vq->state != KVIRTIO_QUEUE_READY)
		return false;
	/* used->idx store before the used_event / avail->flags load. */
	virt_mb();
	old = vq->signalled_used;
	new = vq->published_used_idx;
	valid = vq->signalled_used_valid;
	vq->signalled_used = new;
	vq->signalled_used_valid = true;

	if (vq->event_idx) {
		event = le16_to_cpu(READ_ONCE(*vq->ring.used_event));
		notify = !valid || vring_need_event(event, new, old);
	} else {
		flags = le16_to_cpu(READ_ONCE(vq->ring.avail->flags));
		notify = (!valid || new != old) &&
			 !(flags & VRING_AVAIL_F_NO_INTERRUPT);
	}
	if (notify)
		vq->stats.notifies++;
	else
		vq->stats.notifies_suppressed++;
	return notify;
}

/**
 * kvirtio_queue_disable_notify() - ask the driver not to kick
 * @vq: the queue
 *
 * Without EVENT_IDX sets VRING_USED_F_NO_NOTIFY in used->flags.  With
 * EVENT_IDX writes nothing: avail_event stays at the value of the last
 * kvirtio_queue_enable_notify(), which the driver has already passed, so
 * it will not kick again.  Kicks are only a hint either way; the worker
 * keeps polling with pop until it re-enables.
 */
void kvirtio_queue_disable_notify(struct kvirtio_queue *vq)
{
	if (vq->state != KVIRTIO_QUEUE_READY || !vq->notify_enabled)
		return;
	vq->notify_enabled = false;
	if (!vq->event_idx)
		WRITE_ONCE(vq->ring.used->flags,
			   cpu_to_le16(VRING_USED_F_NO_NOTIFY));
}

/**
 * kvirtio_queue_unpop() - give back the last chains popped
 * @vq: the queue
 * @n: how many of the most recently popped chains to give back
 *
 * The chains become available again, as if never popped; the next pop
 * returns them in the same order.  A device uses it when it popped buffers
 * it then cannot use yet (a receive packet larger than the buffers it
 * gathered, a filtered packet).  The chains must not have been pushed.
 *
 * Return: 0, -EIO when the queue is not READY, or -EINVAL (nothing
 * changed) when fewer than @n chains are in flight.
 */
int kvirtio_queue_unpop(struct kvirtio_queue *vq, u16 n)
{
	if (vq->state != KVIRTIO_QUEUE_READY)
		return -EIO;
	if (n > vq->inflight)
		return -EINVAL;
	vq->last_avail_idx -= n;
	WRITE_ONCE(vq->inflight, vq->inflight - n);
	vq->stats.chains -= n;
	return 0;
}

/**
 * kvirtio_queue_enable_notify() - ask the driver to kick again
 * @vq: the queue
 *
 * Without EVENT_IDX clears VRING_USED_F_NO_NOTIFY; with EVENT_IDX writes
 * avail_event = the last avail->idx the engine read, i.e. "kick me for
 * anything after what I have seen".  Then a full barrier and a fresh read
 * of avail->idx close the race with a driver that added buffers while
 * kicks were off (it may have decided not to kick).
 *
 * Return: true when buffers are available that have not been popped: the
 * caller must process the queue again instead of waiting for a kick (call
 * kvirtio_queue_disable_notify() first).  False when the queue is empty or
 * not READY.  A bogus avail->idx also returns true; the next pop breaks
 * the queue.  A queue waiting for its backend keeps kicks off and returns
 * false; one waiting for more chains counts only chains added after the
 * last read of avail->idx (enum kvirtio_queue_wait).
 */
bool kvirtio_queue_enable_notify(struct kvirtio_queue *vq)
{
	u8 wait = READ_ONCE(vq->wait);
	u16 avail_idx;

	if (vq->state != KVIRTIO_QUEUE_READY ||
	    wait == KVIRTIO_QUEUE_WAIT_BACKEND)
		return false;
	if (vq->event_idx)
		WRITE_ONCE(*vq->ring.avail_event,
			   cpu_to_le16(vq->avail_idx_shadow));
	else if (!vq->notify_enabled)
		WRITE_ONCE(vq->ring.used->flags, cpu_to_le16(0));
	vq->notify_enabled = true;
	/* The flag or event store must be visible before we look again. */
	virt_mb();
	avail_idx = le16_to_cpu(READ_ONCE(vq->ring.avail->idx));
	if (wait == KVIRTIO_QUEUE_WAIT_MORE)
		return avail_idx != vq->avail_idx_shadow;
	return avail_idx != vq->last_avail_idx;
}

/**
 * kvirtio_queue_has_avail() - is there anything to pop?
 * @vq: the queue
 *
 * A hint for the worker's polling loop: reads avail->idx without
 * validating or recording it (kvirtio_queue_pop() does both).
 *
 * Return: true when the queue is READY and avail->idx differs from the
 * next entry to consume; for a queue that waits (enum kvirtio_queue_wait)
 * only when what it waits for may have come.
 */
bool kvirtio_queue_has_avail(struct kvirtio_queue *vq)
{
	u8 wait = READ_ONCE(vq->wait);

	if (vq->state != KVIRTIO_QUEUE_READY ||
	    wait == KVIRTIO_QUEUE_WAIT_BACKEND)
		return false;
	if (wait == KVIRTIO_QUEUE_WAIT_MORE)
		return le16_to_cpu(READ_ONCE(vq->ring.avail->idx)) !=
		       vq->avail_idx_shadow;
	if (vq->avail_idx_shadow != vq->last_avail_idx)
		return true;
	return le16_to_cpu(READ_ONCE(vq->ring.avail->idx)) != vq->last_avail_idx;
}

/* ---- Chain cursors ------------------------------------------------------ */

/**
 * kvirtio_chain_iter_readable() - cursor over a chain's readable bytes
 * @it: the cursor
 * @chain: a chain returned by kvirtio_queue_pop()
 */
void kvirtio_chain_iter_readable(struct kvirtio_chain_iter *it,
				 const struct kvirtio_chain *chain)
{
	it->chain = chain;
	it->idx = 0;
	it->off = 0;
	it->end = chain->num_readable;
}

/**
 * kvirtio_chain_iter_writable() - cursor over a chain's writable bytes
 * @it: the cursor
 * @chain: a chain returned by kvirtio_queue_pop()
 */
void kvirtio_chain_iter_writable(struct kvirtio_chain_iter *it,
				 const struct kvirtio_chain *chain)
{
	it->chain = chain;
	it->idx = chain->num_readable;
	it->off = 0;
	it->end = chain->num;
}

/**
 * kvirtio_chain_iter_remaining() - bytes left under the cursor
 * @it: the cursor
 *
 * Return: bytes from the cursor to the end of its direction (fits in u32:
 * the engine capped the chain's total length).
 */
u32 kvirtio_chain_iter_remaining(const struct kvirtio_chain_iter *it)
{
	const struct kvirtio_chain *chain = it->chain;
	u32 left = 0;
	u16 i;

	for (i = it->idx; i < it->end; i++)
		left += chain->descs[i].len;
	return left - it->off;
}

/*
 * Do at least @len bytes remain under the cursor?  Walks only the
 * descriptors @len spans, so a device reading a long chain in small
 * pieces stays linear in the chain length.
 */
static bool chain_iter_has(const struct kvirtio_chain_iter *it, u32 len)
{
	const struct kvirtio_chain *chain = it->chain;
	u64 avail = 0;
	u16 i;

	for (i = it->idx; i < it->end; i++) {
		avail += chain->descs[i].len - (i == it->idx ? it->off : 0);
		if (avail >= len)
			return true;
	}
	return !len;
}

/*
 * Move the cursor over @len bytes, calling @mem's read or write for each
 * piece when @mem is set.  The cursor only moves when everything succeeded.
 */
static int chain_iter_move(struct kvirtio_chain_iter *it,
			   struct kvirtio_guest_mem *mem, void *dst,
			   const void *src, u32 len)
{
	const struct kvirtio_chain *chain = it->chain;
	u16 idx = it->idx;
	u32 off = it->off;
	u32 done = 0;
	int ret;

	if (!chain_iter_has(it, len))
		return -EMSGSIZE;
	while (done < len) {
		const struct kvirtio_desc *d = &chain->descs[idx];
		u32 piece = min_t(u32, d->len - off, len - done);

		if (piece && dst)
			ret = mem->ops->read(mem, d->addr + off,
					     (u8 *)dst + done, piece);
		else if (piece && src)
			ret = mem->ops->write(mem, d->addr + off,
					      (const u8 *)src + done, piece);
		else
			ret = 0;
		if (ret)
			return ret;
		done += piece;
		off += piece;
		if (off == d->len) {
			idx++;
			off = 0;
		}
	}
	it->idx = idx;
	it->off = off;
	return 0;
}

/**
 * kvirtio_chain_read() - copy request bytes out of the readable buffers
 * @it: a readable cursor
 * @mem: the guest memory of the chain's queue
 * @dst: destination
 * @len: bytes to copy, across any descriptor split
 *
 * Return: 0 and the cursor advanced by @len; -EMSGSIZE when fewer than
 * @len bytes remain (nothing copied); -EFAULT from guest memory.  On an
 * error the cursor does not move.
 */
int kvirtio_chain_read(struct kvirtio_chain_iter *it,
		       struct kvirtio_guest_mem *mem, void *dst, u32 len)
{
	return chain_iter_move(it, mem, dst, NULL, len);
}

/**
 * kvirtio_chain_write() - copy reply bytes into the writable buffers
 * @it: a writable cursor
 * @mem: the guest memory of the chain's queue
 * @src: source
 * @len: bytes to copy, across any descriptor split
 *
 * Return: 0 and the cursor advanced by @len; -EMSGSIZE when fewer than
 * @len bytes of room remain (nothing written); -EFAULT from guest memory.
 * On an error the cursor does not move (bytes may have been written).
 */
int kvirtio_chain_write(struct kvirtio_chain_iter *it,
			struct kvirtio_guest_mem *mem, const void *src,
			u32 len)
{
	return chain_iter_move(it, mem, NULL, src, len);
}

/**
 * kvirtio_chain_skip() - advance the cursor without copying
 * @it: the cursor
 * @len: bytes to skip
 *
 * Return: 0; -EMSGSIZE when fewer than @len bytes remain (no move).
 */
int kvirtio_chain_skip(struct kvirtio_chain_iter *it, u32 len)
{
	return chain_iter_move(it, NULL, NULL, NULL, len);
}
