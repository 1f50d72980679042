// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio virtio-net backend on tap files.
 *
 * The VMM opens a tap queue per queue pair (IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR, IFF_MULTI_QUEUE for more than one, vnet header size 12)
 * and hands the fds over; we keep a reference to each file and use the
 * socket that tun_get_socket() finds behind it, as vhost-net does:
 *
 *  - transmit: ->sendmsg() with MSG_DONTWAIT over a user iov_iter of the
 *    guest buffers.  Guest RAM is the VMM's own memory, translated with
 *    kvirtio_kmem_translate(); the worker runs under kthread_use_mm() of
 *    the VMM and inline passes run in its vCPU threads, so the addresses
 *    are valid.  tun copies the frame once and checks the header itself.
 *  - receive: ->peek_len() sizes the next frame, ->recvmsg() with
 *    MSG_DONTWAIT | MSG_TRUNC copies it into the guest buffers, the vnet
 *    header first; tun writes the first 10 bytes of the 12-byte header
 *    and skips num_buffers, which the device fills in.
 *  - readiness: a wait-queue entry on the tap's socket wait queue (hooked
 *    through vfs_poll(), as vhost_poll and our kick eventfds do) turns a
 *    frame's arrival (EPOLLIN) into kvirtio_net_backend_rx_ready().
 *  - offloads: TUNSETOFFLOAD through the file's ioctl; it takes its flags
 *    by value, so a kernel caller needs no user memory.
 *
 * tun_get_socket() lives in tun.ko: we find it with symbol_get() when a
 * device is made and drop it when the device goes, so kvirtio.ko does not
 * depend on tun.ko (a tap fd in hand means tun.ko is loaded anyway).
 *
 * Guest memory that is host pages (the vDPA front end's: get_pages) has
 * no user addresses either, but its pages go to sendmsg/recvmsg as an
 * ITER_BVEC iterator, held only for the call: tun copies from or into
 * them once, as from the VMM's memory.  Memory with neither (the KUnit
 * doubles), or a frame whose pages do not fit the queue's vector, is
 * copied through a kernel buffer with the guest memory ops.
 */
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/if_tun.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <uapi/linux/virtio_net.h>

#include "../devices/net.h"
#include "net_tap.h"
#include "kmem.h"
#include "page_vec.h"

/*
 * iovecs kept per queue and direction: a frame spanning every merged
 * receive buffer, or the longest transmit chain, with room for pieces
 * that memory-region boundaries cut off.
 */
#define TAP_QUEUE_IOV		(2 * KVIRTIO_NET_RX_BUFS_MAX)
/* iovecs on the stack when two passes meet on one queue. */
#define TAP_FAST_IOV		8
/* Most pieces one frame may take (the kernel's own limit for sendmsg). */
#define TAP_MAX_IOV		UIO_MAXIOV
/* Most bytes one frame moves: the vnet header and the largest frame. */
#define TAP_FRAME_LIMIT		(KVIRTIO_NET_HDR_LEN + KVIRTIO_NET_FRAME_MAX)
/* What tun writes of the header: num_buffers (2 bytes) is the device's. */
#define TAP_HDR_WRITTEN		(KVIRTIO_NET_HDR_LEN - 2)
/*
 * Page vector entries kept per queue and direction: the largest frame in
 * pages, plus a partial page at each end of every segment.
 */
#define TAP_QUEUE_BV		(TAP_QUEUE_IOV + (TAP_FRAME_LIMIT >> PAGE_SHIFT) + 1)
/* Buffer a discarded frame is read into (tun frees the rest of it). */
#define TAP_DROP_BUF		64

struct kvirtio_net_tap;

/**
 * struct tap_iovs - a queue's iovecs for one direction
 * @busy: bit 0 set while a pass uses @iov or @bv (passes on a queue may
 *	overlap when the driver changes the number of pairs: the second one
 *	takes the stack or the heap for iovecs, the bounce buffer for pages)
 * @iov: the iovecs (memory with user addresses)
 * @bv: page vector entries (memory with get_pages)
 */
struct tap_iovs {
	unsigned long busy;
	struct iovec iov[TAP_QUEUE_IOV];
	struct bio_vec bv[TAP_QUEUE_BV];
};

/**
 * struct tap_queue - one tap queue (one queue pair)
 * @tap: the backend
 * @file: our reference to the tap file
 * @sock: its socket, valid while we hold @file
 * @index: the packet queue number
 * @lock: serializes hooking and unhooking (@wqh, @dead)
 * @wqh: the wait queue @wait is on, NULL when not watching
 * @dead: no more watching (the backend is going away)
 * @wait: our entry on the tap's wait queue
 * @pt: the poll table whose queue proc adds @wait
 * @tx_iovs: iovecs of transmitted frames
 * @rx_iovs: iovecs of received frames
 */
struct tap_queue {
	struct kvirtio_net_tap *tap;
	struct file *file;
	struct socket *sock;
	u16 index;
	spinlock_t lock;	/* see @lock above */
	wait_queue_head_t *wqh;
	bool dead;
	wait_queue_entry_t wait;
	poll_table pt;
	struct tap_iovs *tx_iovs;
	struct tap_iovs *rx_iovs;
};

/**
 * struct kvirtio_net_tap - tap files as a virtio-net backend
 * @be: what the device sees
 * @get_socket: tun_get_socket(), while we hold tun.ko (symbol_get())
 * @nr: queues
 * @tx_frames: see struct kvirtio_net_tap_counts
 * @tx_errors: ditto
 * @rx_frames: ditto
 * @rx_errors: ditto
 * @rx_dropped: ditto
 * @wakeups: ditto
 * @bounced: ditto
 * @offload_sets: ditto
 * @deferred: offload changes go through @offload_work
 *	(kvirtio_net_tap_defer_offloads())
 * @offload_work: applies @offload_want with TUNSETOFFLOAD
 * @offload_want: the guest offloads of the last change asked for
 * @q: the queues
 */
struct kvirtio_net_tap {
	struct kvirtio_net_backend be;
	struct socket *(*get_socket)(struct file *file);
	u16 nr;
	atomic64_t tx_frames;
	atomic64_t tx_errors;
	atomic64_t rx_frames;
	atomic64_t rx_errors;
	atomic64_t rx_dropped;
	atomic64_t wakeups;
	atomic64_t bounced;
	atomic64_t offload_sets;
	bool deferred;
	struct work_struct offload_work;
	atomic64_t offload_want;
	struct tap_queue q[];
};

static struct kvirtio_net_tap *to_tap(struct kvirtio_net_backend *be)
{
	return container_of(be, struct kvirtio_net_tap, be);
}

/* ---- tun.ko's tun_get_socket(), without a link-time dependency ------- */

#if IS_ENABLED(CONFIG_TUN)
static int tap_symbol_get(struct kvirtio_net_tap *tap)
{
	tap->get_socket = symbol_get(tun_get_socket);
	return tap->get_socket ? 0 : -EOPNOTSUPP;
}

static void tap_symbol_put(void)
{
	symbol_put(tun_get_socket);
}
#else
static int tap_symbol_get(struct kvirtio_net_tap *tap)
{
	return -EOPNOTSUPP;
}

static void tap_symbol_put(void)
{
}
#endif

/* ---- guest buffers ---------------------------------------------------- */

/*
 * Translate the first @len bytes of @f's segments into user iovecs, at
 * most @cap of them (with @iov NULL, only count).  Return the number of
 * iovecs and set *@bytes to what they cover (less than @len when the
 * segments are shorter); -E2BIG past @cap; -EFAULT outside guest RAM.
 */
static int tap_map_iov(const struct kvirtio_net_frame *f, u32 len,
		       struct iovec *iov, unsigned int cap, size_t *bytes)
{
	unsigned int n = 0;
	size_t total = 0;
	u16 i;

	for (i = 0; i < f->nr_segs && total < len; i++) {
		u64 gpa = f->segs[i].gpa;
		u64 left = min_t(u64, f->segs[i].len, len - total);

		total += left;
		while (left) {
			void __user *uaddr;
			u64 contig;
			int ret;

			ret = kvirtio_kmem_translate(f->mem, gpa, left, &uaddr,
						     &contig);
			if (ret)
				return ret;
			if (!contig || contig > left)
				return -EFAULT;
			if (n >= cap)
				return -E2BIG;
			if (iov) {
				iov[n].iov_base = uaddr;
				iov[n].iov_len = contig;
			}
			n++;
			gpa += contig;
			left -= contig;
		}
	}
	*bytes = total;
	return n;
}

/*
 * The iovecs of @f's first @len bytes: in the queue's @c when it is free,
 * else in @fast when they fit, else in an array allocated here.  *@iov is
 * set in every case: give it back with tap_iov_put().
 */
static int tap_get_iov(struct tap_iovs *c, const struct kvirtio_net_frame *f,
		       u32 len, struct iovec *fast, struct iovec **iov,
		       size_t *bytes)
{
	struct iovec *heap;
	int n;

	if (!test_and_set_bit_lock(0, &c->busy)) {
		*iov = c->iov;
		n = tap_map_iov(f, len, c->iov, TAP_QUEUE_IOV, bytes);
		if (n != -E2BIG)
			return n;
		clear_bit_unlock(0, &c->busy);
		*iov = fast;
	} else {
		*iov = fast;
		n = tap_map_iov(f, len, fast, TAP_FAST_IOV, bytes);
		if (n != -E2BIG)
			return n;
	}
	/* Count first: the array is sized by the frame, up to a fixed cap. */
	n = tap_map_iov(f, len, NULL, TAP_MAX_IOV, bytes);
	if (n < 0)
		return n;
	heap = kmalloc_array(n, sizeof(*heap), GFP_KERNEL_ACCOUNT);
	if (!heap)
		return -ENOMEM;
	*iov = heap;
	return tap_map_iov(f, len, heap, n, bytes);
}

static void tap_iov_put(struct tap_iovs *c, struct iovec *iov,
			struct iovec *fast)
{
	if (iov == c->iov)
		clear_bit_unlock(0, &c->busy);
	else if (iov != fast)
		kfree(iov);
}

/*
 * Hold the pages of @f's first @len bytes (fewer when the segments are
 * shorter: see @pv->bytes) in the queue's page vector @pv, when it is
 * free; give it back with tap_pages_put().  Return 0; -E2BIG when the
 * vector is busy or too small (the caller bounces); -EFAULT.
 */
static int tap_get_pages(struct tap_iovs *c, const struct kvirtio_net_frame *f,
			 u32 len, bool dev_writes, struct kvirtio_page_vec *pv)
{
	u32 total = 0;
	int ret = 0;
	u16 i;

	if (test_and_set_bit_lock(0, &c->busy))
		return -E2BIG;
	kvirtio_page_vec_init(pv, c->bv, TAP_QUEUE_BV);
	for (i = 0; i < f->nr_segs && total < len && !ret; i++) {
		u32 n = min_t(u64, f->segs[i].len, len - total);

		ret = kvirtio_page_vec_add(pv, f->mem, f->segs[i].gpa, n,
					   dev_writes);
		total += n;
	}
	if (ret) {
		kvirtio_page_vec_put(pv);
		clear_bit_unlock(0, &c->busy);
	}
	return ret;
}

static void tap_pages_put(struct tap_iovs *c, struct kvirtio_page_vec *pv)
{
	kvirtio_page_vec_put(pv);
	clear_bit_unlock(0, &c->busy);
}

/* ---- transmit --------------------------------------------------------- */

static int tap_sendmsg(struct socket *sock, struct iov_iter *from)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	size_t len = iov_iter_count(from);

	msg.msg_iter = *from;
	return sock->ops->sendmsg(sock, &msg, len);
}

/* Memory without user addresses: through a kernel copy of the frame. */
static int tap_xmit_bounce(struct kvirtio_net_tap *tap, struct socket *sock,
			   const struct kvirtio_net_frame *f)
{
	struct iov_iter iter;
	struct kvec kv;
	void *buf;
	int ret;

	atomic64_inc(&tap->bounced);
	/* f->len is at most TAP_FRAME_LIMIT: checked by the caller. */
	buf = kvmalloc(f->len, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	ret = kvirtio_net_frame_copy(f, 0, buf, f->len, false);
	if (!ret) {
		kv.iov_base = buf;
		kv.iov_len = f->len;
		iov_iter_kvec(&iter, ITER_SOURCE, &kv, 1, f->len);
		ret = tap_sendmsg(sock, &iter);
	}
	kvfree(buf);
	return ret;
}

/* Send one frame; see struct kvirtio_net_backend_ops.xmit. */
static int tap_xmit(struct kvirtio_net_backend *be, u16 q,
		    const struct kvirtio_net_frame *f)
{
	struct kvirtio_net_tap *tap = to_tap(be);
	struct iovec fast[TAP_FAST_IOV], *iov;
	struct iov_iter iter;
	struct tap_queue *tq;
	size_t bytes;
	int n, ret;

	if (q >= tap->nr || f->len <= KVIRTIO_NET_HDR_LEN ||
	    f->len > TAP_FRAME_LIMIT) {
		atomic64_inc(&tap->tx_errors);
		return -EINVAL;
	}
	tq = &tap->q[q];
	if (kvirtio_gmem_has_pages(f->mem)) {
		struct kvirtio_page_vec pv;

		ret = tap_get_pages(tq->tx_iovs, f, f->len, false, &pv);
		if (!ret) {
			iov_iter_bvec(&iter, ITER_SOURCE, pv.bv, pv.nr, pv.bytes);
			ret = pv.bytes == f->len ? tap_sendmsg(tq->sock, &iter) :
				-EINVAL;
			tap_pages_put(tq->tx_iovs, &pv);
		} else if (ret == -E2BIG) {
			ret = tap_xmit_bounce(tap, tq->sock, f);
		}
	} else if (!kvirtio_kmem_is_kernel(f->mem)) {
		ret = tap_xmit_bounce(tap, tq->sock, f);
	} else {
		n = tap_get_iov(tq->tx_iovs, f, f->len, fast, &iov, &bytes);
		if (n < 0) {
			ret = n;
		} else if (bytes != f->len) {
			ret = -EINVAL;
		} else {
			iov_iter_init(&iter, ITER_SOURCE, iov, n, bytes);
			ret = tap_sendmsg(tq->sock, &iter);
		}
		tap_iov_put(tq->tx_iovs, iov, fast);
	}
	if (ret < 0) {
		atomic64_inc(&tap->tx_errors);
		/* -E2BIG: more pieces than a sendmsg may take; malformed. */
		return ret == -E2BIG ? -EINVAL : ret;
	}
	atomic64_inc(&tap->tx_frames);
	return 0;
}

/* ---- receive ---------------------------------------------------------- */

/* Length of the next frame, vnet header included; 0 for none. */
static u32 tap_peek(struct kvirtio_net_backend *be, u16 q)
{
	struct kvirtio_net_tap *tap = to_tap(be);
	struct socket *sock;
	int len;

	if (q >= tap->nr)
		return 0;
	sock = tap->q[q].sock;
	len = sock->ops->peek_len(sock);
	return len > 0 ? len + KVIRTIO_NET_HDR_LEN : 0;
}

static int tap_recvmsg(struct socket *sock, struct iov_iter *to)
{
	struct msghdr msg = {};
	size_t len = iov_iter_count(to);

	msg.msg_iter = *to;
	return sock->ops->recvmsg(sock, &msg, len, MSG_DONTWAIT | MSG_TRUNC);
}

/* Consume and discard the next frame of queue @q, if any. */
static void tap_drop(struct kvirtio_net_backend *be, u16 q)
{
	struct kvirtio_net_tap *tap = to_tap(be);
	u8 buf[TAP_DROP_BUF];
	struct iov_iter iter;
	struct kvec kv = { .iov_base = buf, .iov_len = sizeof(buf) };
	int ret;

	if (q >= tap->nr)
		return;
	/* Not empty: tun does not dequeue a frame for a 0-byte read. */
	iov_iter_kvec(&iter, ITER_DEST, &kv, 1, sizeof(buf));
	ret = tap_recvmsg(tap->q[q].sock, &iter);
	if (ret != -EAGAIN)
		atomic64_inc(&tap->rx_dropped);
}

static int tap_recv_bounce(struct kvirtio_net_tap *tap, struct socket *sock,
			   const struct kvirtio_net_frame *f, u32 len)
{
	struct iov_iter iter;
	struct kvec kv;
	void *buf;
	int ret;

	atomic64_inc(&tap->bounced);
	/* @len is at most TAP_FRAME_LIMIT: a fixed size, not the guest's. */
	buf = kvmalloc(len, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	kv.iov_base = buf;
	kv.iov_len = len;
	iov_iter_kvec(&iter, ITER_DEST, &kv, 1, len);
	ret = tap_recvmsg(sock, &iter);
	if (ret >= KVIRTIO_NET_HDR_LEN && ret <= len) {
		/* Like the user path: num_buffers stays the device's. */
		int err = kvirtio_net_frame_copy(f, 0, buf, TAP_HDR_WRITTEN,
						 true) ?:
			  kvirtio_net_frame_copy(f, KVIRTIO_NET_HDR_LEN,
						 buf + KVIRTIO_NET_HDR_LEN,
						 ret - KVIRTIO_NET_HDR_LEN, true);

		if (err)
			ret = err;
	}
	kvfree(buf);
	return ret;
}

/* Receive one frame; see struct kvirtio_net_backend_ops.recv. */
static int tap_recv(struct kvirtio_net_backend *be, u16 q,
		    const struct kvirtio_net_frame *f)
{
	struct kvirtio_net_tap *tap = to_tap(be);
	u32 len = min_t(u32, f->len, TAP_FRAME_LIMIT);
	struct iovec fast[TAP_FAST_IOV], *iov;
	struct iov_iter iter;
	struct tap_queue *tq;
	size_t bytes;
	int n, ret;

	if (q >= tap->nr)
		return -EINVAL;
	tq = &tap->q[q];
	if (len < KVIRTIO_NET_HDR_LEN) {
		/* Cannot be: the device sizes buffers by peek.  Keep our word. */
		ret = -EINVAL;
		goto drop;
	}
	if (kvirtio_gmem_has_pages(f->mem)) {
		struct kvirtio_page_vec pv;

		ret = tap_get_pages(tq->rx_iovs, f, len, true, &pv);
		if (ret == -E2BIG) {
			ret = tap_recv_bounce(tap, tq->sock, f, len);
		} else if (ret) {
			goto drop;
		} else if (pv.bytes < KVIRTIO_NET_HDR_LEN) {
			tap_pages_put(tq->rx_iovs, &pv);
			ret = -EINVAL;
			goto drop;
		} else {
			len = pv.bytes;
			iov_iter_bvec(&iter, ITER_DEST, pv.bv, pv.nr, len);
			ret = tap_recvmsg(tq->sock, &iter);
			tap_pages_put(tq->rx_iovs, &pv);
		}
	} else if (!kvirtio_kmem_is_kernel(f->mem)) {
		ret = tap_recv_bounce(tap, tq->sock, f, len);
	} else {
		n = tap_get_iov(tq->rx_iovs, f, len, fast, &iov, &bytes);
		/* Buffers shorter than the header: nothing tun can fill. */
		if (n >= 0 && bytes < KVIRTIO_NET_HDR_LEN)
			n = -EINVAL;
		if (n < 0) {
			tap_iov_put(tq->rx_iovs, iov, fast);
			ret = n;
			goto drop;
		}
		len = bytes;
		iov_iter_init(&iter, ITER_DEST, iov, n, bytes);
		ret = tap_recvmsg(tq->sock, &iter);
		tap_iov_put(tq->rx_iovs, iov, fast);
	}
	if (ret == -EAGAIN)
		return 0;	/* another pass took it, or it never came */
	if (ret < 0)
		goto err;
	/* MSG_TRUNC: the full length came back; the frame is gone. */
	if (ret > len) {
		ret = -EMSGSIZE;
		goto err;
	}
	/* Shorter than a header: no vnet header (or a smaller one) on the tap. */
	if (ret < KVIRTIO_NET_HDR_LEN) {
		ret = -EPROTO;
		goto err;
	}
	atomic64_inc(&tap->rx_frames);
	return ret;

drop:
	/* The device takes an error as the frame being gone: make it so. */
	tap_drop(be, q);
err:
	atomic64_inc(&tap->rx_errors);
	return ret;
}

/* ---- readiness -------------------------------------------------------- */

/* The tap's wait queue woke: under its lock, from any context. */
static int tap_wake(wait_queue_entry_t *wait, unsigned int mode, int sync,
		    void *key)
{
	struct tap_queue *tq = container_of(wait, struct tap_queue, wait);

	/* Write space and state changes (a NULL key) are not frames. */
	if (!(key_to_poll(key) & EPOLLIN))
		return 0;
	atomic64_inc(&tq->tap->wakeups);
	kvirtio_net_backend_rx_ready(&tq->tap->be, tq->index);
	return 0;
}

static void tap_queue_proc(struct file *file, wait_queue_head_t *wqh,
			   poll_table *pt)
{
	struct tap_queue *tq = container_of(pt, struct tap_queue, pt);

	/* tun polls one wait queue; never hook the entry twice. */
	if (tq->wqh)
		return;
	tq->wqh = wqh;
	add_wait_queue(wqh, &tq->wait);
}

/* Unhook @tq (lock held); once done, tap_wake() is not running for it. */
static void tap_unhook(struct tap_queue *tq)
{
	lockdep_assert_held(&tq->lock);
	if (!tq->wqh)
		return;
	/* Takes the wait queue's lock, which tap_wake() runs under. */
	remove_wait_queue(tq->wqh, &tq->wait);
	tq->wqh = NULL;
}

/*
 * Start or stop watching queue @q.  A frame that is already waiting when
 * the watch starts is reported at once: the tap signals arrivals only.
 * A queue that is not attached to a tap device (EPOLLERR, no wait queue
 * hooked) cannot be watched; its peeks find nothing.
 */
static void tap_watch(struct kvirtio_net_backend *be, u16 q, bool on)
{
	struct kvirtio_net_tap *tap = to_tap(be);
	struct tap_queue *tq;
	bool ready = false;
	__poll_t mask;

	if (q >= tap->nr)
		return;
	tq = &tap->q[q];
	spin_lock(&tq->lock);
	if (!on) {
		tap_unhook(tq);
	} else if (!tq->wqh && !tq->dead) {
		init_waitqueue_func_entry(&tq->wait, tap_wake);
		init_poll_funcptr(&tq->pt, tap_queue_proc);
		mask = vfs_poll(tq->file, &tq->pt);
		ready = tq->wqh && (mask & EPOLLIN);
	}
	spin_unlock(&tq->lock);
	if (ready)
		kvirtio_net_backend_rx_ready(be, q);
}

/* ---- offloads --------------------------------------------------------- */

/* VIRTIO_NET_F_GUEST_* the guest accepts -> TUN_F_* for TUNSETOFFLOAD. */
static unsigned int tap_offload_flags(u64 guest)
{
	unsigned int flags;

	/* tun refuses segmentation without checksum offload, as virtio does. */
	if (!(guest & BIT_ULL(VIRTIO_NET_F_GUEST_CSUM)))
		return 0;
	flags = TUN_F_CSUM;
	if (guest & BIT_ULL(VIRTIO_NET_F_GUEST_TSO4))
		flags |= TUN_F_TSO4;
	if (guest & BIT_ULL(VIRTIO_NET_F_GUEST_TSO6))
		flags |= TUN_F_TSO6;
	if ((flags & (TUN_F_TSO4 | TUN_F_TSO6)) &&
	    (guest & BIT_ULL(VIRTIO_NET_F_GUEST_ECN)))
		flags |= TUN_F_TSO_ECN;
	if (guest & BIT_ULL(VIRTIO_NET_F_GUEST_UFO))
		flags |= TUN_F_UFO;
	return flags;
}

/*
 * The offloads are the tap device's, not a queue's: one queue that is
 * attached is enough.  Sleeps (tun takes the RTNL).
 */
static int tap_apply_offloads(struct kvirtio_net_tap *tap, u64 guest)
{
	unsigned int flags = tap_offload_flags(guest);
	long ret = -EBADFD;
	u16 i;

	for (i = 0; i < tap->nr; i++) {
		struct file *file = tap->q[i].file;

		ret = file->f_op->unlocked_ioctl(file, TUNSETOFFLOAD, flags);
		if (!ret) {
			atomic64_inc(&tap->offload_sets);
			return 0;
		}
	}
	return ret;
}

static void tap_offload_work(struct work_struct *work)
{
	struct kvirtio_net_tap *tap = container_of(work, struct kvirtio_net_tap,
						   offload_work);

	tap_apply_offloads(tap, atomic64_read(&tap->offload_want));
}

/*
 * Deferred: the change is applied later, outside the caller's context,
 * and cannot fail here.  Meanwhile the device's receive path already
 * refuses what the guest no longer accepts (net_rx_hdr_ok()), and a tap
 * that does not offload yet only sends plain frames.
 */
static int tap_set_offloads(struct kvirtio_net_backend *be, u64 guest)
{
	struct kvirtio_net_tap *tap = to_tap(be);

	if (!READ_ONCE(tap->deferred))
		return tap_apply_offloads(tap, guest);
	atomic64_set(&tap->offload_want, guest);
	schedule_work(&tap->offload_work);
	return 0;
}

/**
 * kvirtio_net_tap_defer_offloads() - apply offload changes from a work item
 * @be: a backend made by kvirtio_net_tap_create(), before its device runs
 *
 * For a device whose driver may hold the RTNL while it waits for the
 * device (the host's own virtio_net through virtio_vdpa: it sets
 * DRIVER_OK and sends control commands under the RTNL), which TUNSETOFFLOAD
 * also takes.
 */
void kvirtio_net_tap_defer_offloads(struct kvirtio_net_backend *be)
{
	WRITE_ONCE(to_tap(be)->deferred, true);
}

static const struct kvirtio_net_backend_ops tap_ops = {
	.xmit = tap_xmit,
	.peek = tap_peek,
	.recv = tap_recv,
	.drop = tap_drop,
	.watch = tap_watch,
	.set_offloads = tap_set_offloads,
};

/* ---- lifetime --------------------------------------------------------- */

static void tap_put_queues(struct kvirtio_net_tap *tap)
{
	u16 i;

	for (i = 0; i < tap->nr; i++) {
		if (tap->q[i].file)
			fput(tap->q[i].file);
		kfree(tap->q[i].tx_iovs);
		kfree(tap->q[i].rx_iovs);
	}
}

/**
 * kvirtio_net_tap_create() - a virtio-net backend on tap files
 * @files: one tap queue per queue pair, opened by the VMM; the backend
 *	takes its own references
 * @nr: entries in @files, 1..KVIRTIO_NET_PAIRS_MAX
 *
 * Each file must be a tun/tap file, open for reading and writing and
 * attached to a device (TUNSETIFF or TUNSETQUEUE done), and no file may
 * come twice.  The kernel cannot see the tap's flags and vnet header size:
 * IFF_TAP, IFF_NO_PI, IFF_VNET_HDR and a header size of 12 are the VMM's
 * to set (libkvirtio checks them).
 *
 * Return: the backend; ERR_PTR(-EINVAL) for a bad count, a file that is
 * not a tap or not attached, or a file given twice; ERR_PTR(-EBADF) for a
 * file not open read-write; ERR_PTR(-EOPNOTSUPP) when tun's
 * tun_get_socket() cannot be found; ERR_PTR(-ENOMEM).
 */
struct kvirtio_net_backend *kvirtio_net_tap_create(struct file **files,
						   u16 nr)
{
	struct kvirtio_net_tap *tap;
	int ret = 0;
	u16 i, j;

	if (!nr || nr > KVIRTIO_NET_PAIRS_MAX)
		return ERR_PTR(-EINVAL);
	for (i = 0; i < nr; i++) {
		if ((files[i]->f_mode & (FMODE_READ | FMODE_WRITE)) !=
		    (FMODE_READ | FMODE_WRITE))
			return ERR_PTR(-EBADF);
		for (j = 0; j < i; j++)
			if (files[j] == files[i])
				return ERR_PTR(-EINVAL);
	}
	tap = kzalloc(struct_size(tap, q, nr), GFP_KERNEL_ACCOUNT);
	if (!tap)
		return ERR_PTR(-ENOMEM);
	ret = tap_symbol_get(tap);
	if (ret) {
		kfree(tap);
		return ERR_PTR(ret);
	}
	tap->nr = nr;
	for (i = 0; i < nr; i++) {
		struct tap_queue *tq = &tap->q[i];
		struct socket *sock = tap->get_socket(files[i]);

		/* Not a tun file; or an empty one (never attached). */
		if (IS_ERR(sock) || !sock->ops || !sock->ops->sendmsg ||
		    !sock->ops->recvmsg || !sock->ops->peek_len) {
			ret = -EINVAL;
			goto err_free;
		}
		/* A queue with no device (detached, deleted) polls EPOLLERR. */
		if (vfs_poll(files[i], NULL) & EPOLLERR) {
			ret = -EINVAL;
			goto err_free;
		}
		tq->tx_iovs = kzalloc(sizeof(*tq->tx_iovs), GFP_KERNEL_ACCOUNT);
		tq->rx_iovs = kzalloc(sizeof(*tq->rx_iovs), GFP_KERNEL_ACCOUNT);
		if (!tq->tx_iovs || !tq->rx_iovs) {
			ret = -ENOMEM;
			goto err_free;
		}
		tq->tap = tap;
		tq->file = get_file(files[i]);
		tq->sock = sock;
		tq->index = i;
		spin_lock_init(&tq->lock);
	}
	atomic64_set(&tap->tx_frames, 0);
	atomic64_set(&tap->tx_errors, 0);
	atomic64_set(&tap->rx_frames, 0);
	atomic64_set(&tap->rx_errors, 0);
	atomic64_set(&tap->rx_dropped, 0);
	atomic64_set(&tap->wakeups, 0);
	atomic64_set(&tap->bounced, 0);
	atomic64_set(&tap->offload_sets, 0);
	atomic64_set(&tap->offload_want, 0);
	INIT_WORK(&tap->offload_work, tap_offload_work);
	tap->be.ops = &tap_ops;
	tap->be.num_queues = nr;
	tap->be.offloads = BIT_ULL(VIRTIO_NET_F_CSUM) |
			   BIT_ULL(VIRTIO_NET_F_HOST_TSO4) |
			   BIT_ULL(VIRTIO_NET_F_HOST_TSO6) |
			   BIT_ULL(VIRTIO_NET_F_HOST_ECN) |
			   BIT_ULL(VIRTIO_NET_F_GUEST_CSUM) |
			   BIT_ULL(VIRTIO_NET_F_GUEST_TSO4) |
			   BIT_ULL(VIRTIO_NET_F_GUEST_TSO6) |
			   BIT_ULL(VIRTIO_NET_F_GUEST_ECN);
	return &tap->be;

err_free:
	tap_put_queues(tap);
	tap_symbol_put();
	kfree(tap);
	return ERR_PTR(ret);
}

/**
 * kvirtio_net_tap_quiesce() - stop every readiness callback for good
 * @be: a backend made by kvirtio_net_tap_create()
 *
 * After return no kvirtio_net_backend_rx_ready() call of this backend is
 * running or will come, and watching cannot start again: call it before
 * the device that the callbacks reach goes away.
 */
void kvirtio_net_tap_quiesce(struct kvirtio_net_backend *be)
{
	struct kvirtio_net_tap *tap = to_tap(be);
	u16 i;

	for (i = 0; i < tap->nr; i++) {
		struct tap_queue *tq = &tap->q[i];

		spin_lock(&tq->lock);
		tq->dead = true;
		tap_unhook(tq);
		spin_unlock(&tq->lock);
	}
	/* A deferred offload change uses the files: done before they go. */
	cancel_work_sync(&tap->offload_work);
}

/**
 * kvirtio_net_tap_destroy() - free a backend made by kvirtio_net_tap_create()
 * @be: the backend (may be NULL); its device is gone or was never made,
 *	so no transmit or receive runs
 */
void kvirtio_net_tap_destroy(struct kvirtio_net_backend *be)
{
	struct kvirtio_net_tap *tap;

	if (!be)
		return;
	tap = to_tap(be);
	kvirtio_net_tap_quiesce(be);
	tap_put_queues(tap);
	kfree(tap);
	tap_symbol_put();
}

/**
 * kvirtio_net_tap_counts() - what the backend counted
 * @be: a backend made by kvirtio_net_tap_create()
 * @c: filled in
 */
void kvirtio_net_tap_counts(struct kvirtio_net_backend *be,
			    struct kvirtio_net_tap_counts *c)
{
	struct kvirtio_net_tap *tap = to_tap(be);

	c->tx_frames = atomic64_read(&tap->tx_frames);
	c->tx_errors = atomic64_read(&tap->tx_errors);
	c->rx_frames = atomic64_read(&tap->rx_frames);
	c->rx_errors = atomic64_read(&tap->rx_errors);
	c->rx_dropped = atomic64_read(&tap->rx_dropped);
	c->wakeups = atomic64_read(&tap->wakeups);
	c->bounced = atomic64_read(&tap->bounced);
	c->offload_sets = atomic64_read(&tap->offload_sets);
}
