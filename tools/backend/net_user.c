// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio virtio-net backend on tap queue fds (userspace hosts).
 *
 * Transmit writes a frame's segments, header first, straight from guest
 * memory to the queue's fd with writev(): the tap copies it once and
 * checks the header itself, so a guest that changes the frame under us
 * gets only what the tap would give any writer.  Receive must tell the
 * device a frame's length before it picks buffers, and a tap cannot be
 * peeked: each packet queue keeps at most one frame read ahead in its own
 * bounce buffer (KVIRTIO_NET_HDR_LEN + KVIRTIO_NET_FRAME_MAX bytes, sized
 * at creation, never by the guest), which recv copies into the guest's
 * buffers and drop discards.
 *
 * Readiness: while the device watches a packet queue, its fd sits in the
 * host's epoll set edge-triggered, and the host's worker hands each event
 * to kvirtio_net_user_event(), which tells the device.  Edge-triggered
 * because the device stops reading when the guest has no buffers and
 * waits for the guest, not the tap: level-triggered, a tap with a queue
 * of frames would wake the worker in a loop.  The device reads until the
 * fd is empty (EAGAIN) or keeps its own reason to come back, so no edge
 * is lost.  A frame already read ahead when watching starts has no edge
 * to come: the backend's eventfd raises one.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../../drivers/kvirtio/devices/net.h"
#include "net_user.h"

#define NU_BUF_LEN	(KVIRTIO_NET_HDR_LEN + KVIRTIO_NET_FRAME_MAX)
#define NU_IOV_MAX	256
/* Runts read in one peek before it gives up for now (see nu_fill()). */
#define NU_RUNTS_MAX	64

/* What a tap carries: checksum, TSO and ECN both ways (TUNSETOFFLOAD). */
#define NU_TAP_OFFLOADS	(BIT_ULL(VIRTIO_NET_F_CSUM) |			\
			 BIT_ULL(VIRTIO_NET_F_GUEST_CSUM) |		\
			 BIT_ULL(VIRTIO_NET_F_HOST_TSO4) |		\
			 BIT_ULL(VIRTIO_NET_F_HOST_TSO6) |		\
			 BIT_ULL(VIRTIO_NET_F_HOST_ECN) |		\
			 BIT_ULL(VIRTIO_NET_F_GUEST_TSO4) |		\
			 BIT_ULL(VIRTIO_NET_F_GUEST_TSO6) |		\
			 BIT_ULL(VIRTIO_NET_F_GUEST_ECN))

/*
 * One packet queue.  @lock covers @rx, @rx_len and @tx: two passes of
 * the device may use the same packet queue at once (see net_backend.h).
 */
struct nu_queue {
	int fd;
	pthread_mutex_t lock;
	u8 *rx;			/* the frame read ahead, @rx_len bytes */
	u32 rx_len;		/* 0: none */
	u8 *tx;			/* transmit bounce, for unmapped segments */
	atomic_bool watched;
	atomic_bool ready;	/* an event is owed through @wake_fd */
};

struct kvirtio_net_user {
	struct kvirtio_net_backend be;
	struct nu_queue q[KVIRTIO_NET_PAIRS_MAX];
	u16 num_queues;
	bool tap;
	int epfd;
	u32 tag_base;
	int wake_fd;
	kvirtio_net_user_translate_t translate;
	void *opaque;
	atomic64_t reads;
	atomic64_t read_errors;
	atomic64_t runts;
	atomic64_t drops;
	atomic64_t writes;
	atomic64_t write_errors;
	atomic64_t events;
};

static struct kvirtio_net_user *to_nu(struct kvirtio_net_backend *be)
{
	return container_of(be, struct kvirtio_net_user, be);
}

static struct nu_queue *nu_queue(struct kvirtio_net_user *nu, u16 q)
{
	return q < nu->num_queues ? &nu->q[q] : NULL;
}

/* Owe the host an event: kvirtio_net_user_event() sees @ready flags. */
static void nu_wake(struct kvirtio_net_user *nu)
{
	u64 one = 1;
	ssize_t n;

	n = write(nu->wake_fd, &one, sizeof(one));
	(void)n;	/* a full counter still leaves the fd readable */
}

/*
 * Read the next frame ahead into @nq->rx unless one is there already.
 * Return its length, 0 when the fd has none (or failed: counted).  A
 * flood of runts (never from a tap, which always prepends its header) is
 * cut off after NU_RUNTS_MAX, with an event owed so that the rest is
 * read later rather than lost until the next edge.  Called with the lock.
 */
static u32 nu_fill(struct kvirtio_net_user *nu, struct nu_queue *nq)
{
	unsigned int runts = 0;
	ssize_t n;

	while (!nq->rx_len) {
		n = read(nq->fd, nq->rx, NU_BUF_LEN);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				atomic64_inc(&nu->read_errors);
			return 0;
		}
		atomic64_inc(&nu->reads);
		if (n >= KVIRTIO_NET_HDR_LEN) {
			nq->rx_len = n;
			break;
		}
		atomic64_inc(&nu->runts);
		if (++runts >= NU_RUNTS_MAX) {
			atomic_store(&nq->ready, true);
			nu_wake(nu);
			return 0;
		}
	}
	return nq->rx_len;
}

static u32 nu_peek(struct kvirtio_net_backend *be, u16 q)
{
	struct kvirtio_net_user *nu = to_nu(be);
	struct nu_queue *nq = nu_queue(nu, q);
	u32 len;

	if (!nq)
		return 0;
	pthread_mutex_lock(&nq->lock);
	len = nu_fill(nu, nq);
	pthread_mutex_unlock(&nq->lock);
	return len;
}

static int nu_recv(struct kvirtio_net_backend *be, u16 q,
		   const struct kvirtio_net_frame *frame)
{
	struct kvirtio_net_user *nu = to_nu(be);
	struct nu_queue *nq = nu_queue(nu, q);
	u32 len;
	int ret;

	if (!nq)
		return -EINVAL;
	pthread_mutex_lock(&nq->lock);
	len = nu_fill(nu, nq);
	if (!len) {
		pthread_mutex_unlock(&nq->lock);
		return 0;
	}
	/*
	 * Another pass took the frame the device peeked, and this one is
	 * larger than the buffers picked for that one: it goes, as the
	 * interface says of a host error (never written in part).
	 */
	ret = len <= frame->len ?
	      kvirtio_net_frame_copy(frame, 0, nq->rx, len, true) : -EMSGSIZE;
	nq->rx_len = 0;
	pthread_mutex_unlock(&nq->lock);
	if (ret) {
		atomic64_inc(&nu->drops);
		return ret;
	}
	return len;
}

static void nu_drop(struct kvirtio_net_backend *be, u16 q)
{
	struct kvirtio_net_user *nu = to_nu(be);
	struct nu_queue *nq = nu_queue(nu, q);

	if (!nq)
		return;
	pthread_mutex_lock(&nq->lock);
	if (nu_fill(nu, nq)) {
		nq->rx_len = 0;
		atomic64_inc(&nu->drops);
	}
	pthread_mutex_unlock(&nq->lock);
}

/* One write of the whole frame; a tap takes it all or nothing. */
static int nu_write(int fd, const struct iovec *iov, int cnt, u32 len)
{
	ssize_t n;

	do {
		n = writev(fd, iov, cnt);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* The frame through @nq->tx: for segments the VMM cannot map. */
static int nu_xmit_copy(struct nu_queue *nq,
			const struct kvirtio_net_frame *frame)
{
	struct iovec iov;
	u32 done = 0;
	u16 i;
	int ret;

	if (frame->len > NU_BUF_LEN)
		return -EINVAL;
	for (i = 0; i < frame->nr_segs; i++) {
		const struct kvirtio_net_seg *s = &frame->segs[i];

		if (s->len > frame->len - done)
			return -EINVAL;
		ret = kvirtio_gmem_read(frame->mem, s->gpa, nq->tx + done,
					s->len);
		if (ret)
			return ret;
		done += s->len;
	}
	iov.iov_base = nq->tx;
	iov.iov_len = done;
	return nu_write(nq->fd, &iov, 1, done);
}

static int nu_xmit(struct kvirtio_net_backend *be, u16 q,
		   const struct kvirtio_net_frame *frame)
{
	struct kvirtio_net_user *nu = to_nu(be);
	struct nu_queue *nq = nu_queue(nu, q);
	struct iovec iov[NU_IOV_MAX];
	u64 total = 0;
	int ret = 0;
	u16 i;

	if (!nq || !frame->nr_segs)
		return -EINVAL;
	if (!nu->translate || frame->nr_segs > NU_IOV_MAX)
		goto copy;
	for (i = 0; i < frame->nr_segs; i++) {
		const struct kvirtio_net_seg *s = &frame->segs[i];

		iov[i].iov_base = nu->translate(nu->opaque, s->gpa, s->len);
		if (!iov[i].iov_base)
			goto copy;
		iov[i].iov_len = s->len;
		total += s->len;
	}
	if (total != frame->len || total > NU_BUF_LEN)
		ret = -EINVAL;
	else
		ret = nu_write(nq->fd, iov, frame->nr_segs, total);
	goto out;
copy:
	pthread_mutex_lock(&nq->lock);
	ret = nu_xmit_copy(nq, frame);
	pthread_mutex_unlock(&nq->lock);
out:
	if (ret)
		atomic64_inc(&nu->write_errors);
	else
		atomic64_inc(&nu->writes);
	return ret;
}

static void nu_watch(struct kvirtio_net_backend *be, u16 q, bool on)
{
	struct kvirtio_net_user *nu = to_nu(be);
	struct nu_queue *nq = nu_queue(nu, q);
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLET,
		.data.u32 = nu->tag_base + q,
	};
	bool pending;

	if (!nq)
		return;
	if (!on) {
		atomic_store(&nq->watched, false);
		epoll_ctl(nu->epfd, EPOLL_CTL_DEL, nq->fd, NULL);
		return;
	}
	atomic_store(&nq->watched, true);
	/* Adding a readable fd reports it once: frames already queued. */
	if (epoll_ctl(nu->epfd, EPOLL_CTL_ADD, nq->fd, &ev) &&
	    errno == EEXIST)
		epoll_ctl(nu->epfd, EPOLL_CTL_MOD, nq->fd, &ev);
	pthread_mutex_lock(&nq->lock);
	pending = nq->rx_len;
	pthread_mutex_unlock(&nq->lock);
	if (pending) {
		atomic_store(&nq->ready, true);
		nu_wake(nu);
	}
}

/* Guest offloads as TUN_F_* flags the tap accepts (tun's set_offload()). */
static unsigned int nu_tun_flags(u64 f)
{
	unsigned int flags = 0;

	if (!(f & BIT_ULL(VIRTIO_NET_F_GUEST_CSUM)))
		return 0;	/* the tap refuses segmentation without it */
	flags |= TUN_F_CSUM;
	if (f & BIT_ULL(VIRTIO_NET_F_GUEST_TSO4))
		flags |= TUN_F_TSO4;
	if (f & BIT_ULL(VIRTIO_NET_F_GUEST_TSO6))
		flags |= TUN_F_TSO6;
	if ((flags & (TUN_F_TSO4 | TUN_F_TSO6)) &&
	    (f & BIT_ULL(VIRTIO_NET_F_GUEST_ECN)))
		flags |= TUN_F_TSO_ECN;
	return flags;
}

static int nu_set_offloads(struct kvirtio_net_backend *be, u64 guest_features)
{
	struct kvirtio_net_user *nu = to_nu(be);

	if (!nu->tap)
		return guest_features & NU_TAP_OFFLOADS ? -EOPNOTSUPP : 0;
	/* The offloads are the tap device's, shared by all its queues. */
	if (ioctl(nu->q[0].fd, TUNSETOFFLOAD, nu_tun_flags(guest_features)))
		return -errno;
	return 0;
}

static const struct kvirtio_net_backend_ops nu_ops = {
	.xmit = nu_xmit,
	.peek = nu_peek,
	.recv = nu_recv,
	.drop = nu_drop,
	.watch = nu_watch,
	.set_offloads = nu_set_offloads,
};

/**
 * kvirtio_net_user_event() - the host's epoll reported one of our tags
 * @be: the backend
 * @tag: the event's data.u32
 *
 * Tells the device which packet queues have frames.  Call it from the
 * host's worker, outside the device's queue processing (it may run it:
 * see kvirtio_net_backend_rx_ready()).  A tag of another owner, or of a
 * queue no longer watched (an event fetched before the device stopped
 * watching), is ignored.
 */
void kvirtio_net_user_event(struct kvirtio_net_backend *be, u32 tag)
{
	struct kvirtio_net_user *nu = to_nu(be);
	u64 cnt;
	u16 q;

	if (tag < nu->tag_base || tag - nu->tag_base > nu->num_queues)
		return;
	q = tag - nu->tag_base;
	if (q < nu->num_queues) {
		if (atomic_load(&nu->q[q].watched)) {
			atomic64_inc(&nu->events);
			kvirtio_net_backend_rx_ready(be, q);
		}
		return;
	}
	if (read(nu->wake_fd, &cnt, sizeof(cnt)) < 0)
		return;
	for (q = 0; q < nu->num_queues; q++) {
		if (atomic_exchange(&nu->q[q].ready, false) &&
		    atomic_load(&nu->q[q].watched)) {
			atomic64_inc(&nu->events);
			kvirtio_net_backend_rx_ready(be, q);
		}
	}
}

/**
 * kvirtio_net_user_get_stats() - the backend's counters
 * @be: the backend
 * @st: filled in
 */
void kvirtio_net_user_get_stats(struct kvirtio_net_backend *be,
				struct kvirtio_net_user_stats *st)
{
	struct kvirtio_net_user *nu = to_nu(be);

	st->reads = atomic64_read(&nu->reads);
	st->read_errors = atomic64_read(&nu->read_errors);
	st->runts = atomic64_read(&nu->runts);
	st->drops = atomic64_read(&nu->drops);
	st->writes = atomic64_read(&nu->writes);
	st->write_errors = atomic64_read(&nu->write_errors);
	st->events = atomic64_read(&nu->events);
}

/*
 * Is @fd a tap as the interface wants it?  1: yes; 0: not a tun fd at
 * all (a frame-preserving socket in tests); -EINVAL: a tun fd set up
 * otherwise; -errno: it cannot tell.
 */
static int nu_check_tap(int fd)
{
	struct ifreq ifr = { 0 };
	int hdr_len = 0;

	if (ioctl(fd, TUNGETIFF, &ifr))
		return errno == ENOTTY ? 0 : -errno;
	if ((ifr.ifr_flags & (IFF_TAP | IFF_TUN)) != IFF_TAP ||
	    !(ifr.ifr_flags & IFF_NO_PI) || !(ifr.ifr_flags & IFF_VNET_HDR))
		return -EINVAL;
	if (ioctl(fd, TUNGETVNETHDRSZ, &hdr_len))
		return -errno;
	return hdr_len == KVIRTIO_NET_HDR_LEN ? 1 : -EINVAL;
}

static int nu_open_queue(struct kvirtio_net_user *nu, struct nu_queue *nq,
			 int fd)
{
	int fl;

	pthread_mutex_init(&nq->lock, NULL);
	nq->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (nq->fd < 0)
		return -errno;
	fl = fcntl(nq->fd, F_GETFL);
	if (fl < 0 || fcntl(nq->fd, F_SETFL, fl | O_NONBLOCK))
		return -errno;
	nq->rx = kmalloc(NU_BUF_LEN, GFP_KERNEL);
	nq->tx = kmalloc(NU_BUF_LEN, GFP_KERNEL);
	return nq->rx && nq->tx ? 0 : -ENOMEM;
}

/**
 * kvirtio_net_user_create() - a virtio-net backend on tap queue fds
 * @opts: the fds and the host's epoll set
 * @out: the backend
 *
 * Return: 0; -EINVAL for a bad queue count or a tun fd that is not a tap
 * with IFF_NO_PI, IFF_VNET_HDR and a 12-byte header, or fds of mixed
 * kinds; -errno from dup(), fcntl(), eventfd() or epoll_ctl(); -ENOMEM.
 */
int kvirtio_net_user_create(const struct kvirtio_net_user_opts *opts,
			    struct kvirtio_net_backend **out)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct kvirtio_net_user *nu;
	int kind = -1, ret;
	u16 i;

	if (!opts->fds || !opts->num_queues ||
	    opts->num_queues > KVIRTIO_NET_PAIRS_MAX ||
	    opts->tag_base > U32_MAX - opts->num_queues)
		return -EINVAL;
	for (i = 0; i < opts->num_queues; i++) {
		ret = nu_check_tap(opts->fds[i]);
		if (ret < 0)
			return ret;
		if (kind >= 0 && ret != kind)
			return -EINVAL;
		kind = ret;
	}
	nu = kzalloc(sizeof(*nu), GFP_KERNEL);
	if (!nu)
		return -ENOMEM;
	nu->num_queues = opts->num_queues;
	nu->tap = kind;
	nu->epfd = opts->epfd;
	nu->tag_base = opts->tag_base;
	nu->translate = opts->translate;
	nu->opaque = opts->translate_opaque;
	for (i = 0; i < KVIRTIO_NET_PAIRS_MAX; i++)
		nu->q[i].fd = -1;
	nu->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (nu->wake_fd < 0) {
		ret = -errno;
		goto fail;
	}
	for (i = 0; i < nu->num_queues; i++) {
		ret = nu_open_queue(nu, &nu->q[i], opts->fds[i]);
		if (ret)
			goto fail;
	}
	ev.data.u32 = nu->tag_base + nu->num_queues;
	if (epoll_ctl(nu->epfd, EPOLL_CTL_ADD, nu->wake_fd, &ev)) {
		ret = -errno;
		goto fail;
	}
	nu->be.ops = &nu_ops;
	nu->be.num_queues = nu->num_queues;
	nu->be.offloads = nu->tap ? NU_TAP_OFFLOADS : 0;
	*out = &nu->be;
	return 0;
fail:
	kvirtio_net_user_destroy(&nu->be);
	return ret;
}

/**
 * kvirtio_net_user_destroy() - close the fds and free the buffers
 * @be: the backend; its device is destroyed (nothing calls it any more)
 */
void kvirtio_net_user_destroy(struct kvirtio_net_backend *be)
{
	struct kvirtio_net_user *nu;
	u16 i;

	if (!be)
		return;
	nu = to_nu(be);
	for (i = 0; i < KVIRTIO_NET_PAIRS_MAX; i++) {
		struct nu_queue *nq = &nu->q[i];

		if (nq->fd < 0)
			continue;
		/* Closing drops it from the epoll set unless dup()ed. */
		epoll_ctl(nu->epfd, EPOLL_CTL_DEL, nq->fd, NULL);
		close(nq->fd);
		kfree(nq->rx);
		kfree(nq->tx);
		pthread_mutex_destroy(&nq->lock);
	}
	if (nu->wake_fd >= 0) {
		epoll_ctl(nu->epfd, EPOLL_CTL_DEL, nu->wake_fd, NULL);
		close(nu->wake_fd);
	}
	kfree(nu);
}
