// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio virtio-net device (virtio 1.2, section 5.1), host-agnostic.
 *
 * Transmit: each chain is one frame (header first, any layout).  The
 * device checks the header against what was negotiated and the frame
 * against the size limits, then hands the guest buffers to the backend,
 * which copies them once and checks the header again (the guest can change
 * it under us).  A bad frame is dropped and counted; the queue goes on.
 *
 * Receive: the device asks the backend for the next frame's length, pops
 * enough receive buffers (several with VIRTIO_NET_F_MRG_RXBUF), lets the
 * backend write the frame into them, writes num_buffers, filters by
 * destination MAC and returns the buffers it used; buffers it popped but
 * did not use go back to the avail ring (kvirtio_queue_unpop()).  When the
 * backend has nothing the queue waits for the backend with kicks off;
 * when the guest has too few buffers it waits for more with kicks on
 * (enum kvirtio_queue_wait).
 *
 * Packet queues and pairs: pair p transmits on packet queue p; received
 * frames of packet queue q go to pair q % active_pairs, so a tap queue is
 * never left unserved when the driver enables fewer pairs than exist.
 *
 * Control: every command is checked for its feature and exact length; a
 * command this device does not implement is answered VIRTIO_NET_ERR.
 * Nothing the guest sends is used as an allocation size.
 */
#include "../compat.h"
#include "../virtqueue.h"
#include "../virtio_dev.h"
#include "net.h"

#ifdef __KERNEL__
#include <uapi/linux/virtio_net.h>
#else
#include <linux/virtio_net.h>
#endif

#define ETH_ADDR_LEN		6
#define ETH_HDR_LEN		14
/* Receive: descriptors of all the buffers gathered for one frame. */
#define NET_RX_DESCS		256
/*
 * Room for them: every pop must be able to take a chain of max_chain
 * descriptors (a shorter capacity makes a legal chain a ring violation
 * that breaks the queue), so the last pop may start at NET_RX_DESCS - 1.
 */
#define NET_RX_DESCS_ROOM	(NET_RX_DESCS + KVIRTIO_NET_MAX_CHAIN - 1)

/* Offloads a guest may accept and the device may use on receive. */
#define NET_GUEST_OFFLOADS	(BIT_ULL(VIRTIO_NET_F_GUEST_CSUM) | \
				 BIT_ULL(VIRTIO_NET_F_GUEST_TSO4) | \
				 BIT_ULL(VIRTIO_NET_F_GUEST_TSO6) | \
				 BIT_ULL(VIRTIO_NET_F_GUEST_ECN))
#define NET_HOST_OFFLOADS	(BIT_ULL(VIRTIO_NET_F_CSUM) | \
				 BIT_ULL(VIRTIO_NET_F_HOST_TSO4) | \
				 BIT_ULL(VIRTIO_NET_F_HOST_TSO6) | \
				 BIT_ULL(VIRTIO_NET_F_HOST_ECN))
#define NET_CTRL_FEATURES	(BIT_ULL(VIRTIO_NET_F_CTRL_RX) | \
				 BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR) | \
				 BIT_ULL(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) | \
				 BIT_ULL(VIRTIO_NET_F_MQ))
/* What features_off may take away. */
#define NET_OPTIONAL_FEATURES	(NET_GUEST_OFFLOADS | NET_HOST_OFFLOADS | \
				 NET_CTRL_FEATURES | \
				 BIT_ULL(VIRTIO_NET_F_CTRL_VQ) | \
				 BIT_ULL(VIRTIO_NET_F_MRG_RXBUF))

/*
 * struct virtio_net_hdr_v1 with its fields as a VERSION_1 device has them:
 * little-endian (the UAPI header's __virtio16 also covers legacy).
 */
struct net_hdr {
	u8 flags;
	u8 gso_type;
	__le16 hdr_len;
	__le16 gso_size;
	__le16 csum_start;
	__le16 csum_offset;
	__le16 num_buffers;
} __packed;

struct net_rx_stats {
	u64 packets, bytes, merged, too_big, filtered, bad_hdr, bad_buf;
	u64 backend_err, no_buffers;
};

struct net_tx_stats {
	u64 packets, bytes, bad_hdr, bad_len, backend_err;
};

/* Per receive queue: room for the buffers of one frame. */
struct net_rxq {
	struct kvirtio_desc descs[NET_RX_DESCS_ROOM];
	struct kvirtio_net_seg segs[NET_RX_DESCS_ROOM];
	u16 heads[KVIRTIO_NET_RX_BUFS_MAX];
	u32 lens[KVIRTIO_NET_RX_BUFS_MAX];
	u16 next_q;		/* round robin over the packet queues served */
	struct net_rx_stats stats;
};

struct net_txq {
	struct kvirtio_desc descs[KVIRTIO_NET_MAX_CHAIN];
	struct kvirtio_net_seg segs[KVIRTIO_NET_MAX_CHAIN];
	struct net_tx_stats stats;
};

/* The MAC filter the control queue programs (VIRTIO_NET_F_CTRL_RX). */
struct net_filter {
	bool promisc;
	bool allmulti;
	bool uni_overflow;
	bool multi_overflow;
	u32 n_uni;
	u32 n_multi;
	u8 uni[KVIRTIO_NET_MAC_TABLE_MAX][ETH_ADDR_LEN];
	u8 multi[KVIRTIO_NET_MAC_TABLE_MAX][ETH_ADDR_LEN];
};

struct kvirtio_net {
	struct kvirtio_device vdev;
	struct kvirtio_net_backend *be;
	u16 max_pairs;
	u16 ctrl_qid;		/* num_queues when there is no control queue */
	u16 mtu;
	u8 init_mac[ETH_ADDR_LEN];

	/* Written by the control queue, read by the data queues. */
	u16 active_pairs;
	u64 guest_offloads;
	bool watching;

	/* Config space and the filter; taken from any queue's pass. */
	spinlock_t lock;
	struct kvirtio_net_config config;
	struct net_filter filter;
	struct net_filter scratch;	/* the control queue's, unlocked */

	u64 ctrl_ok, ctrl_err, link_changes;
	struct kvirtio_desc ctrl_descs[KVIRTIO_NET_MAX_CHAIN];
	struct net_rxq *rxq;
	struct net_txq *txq;
	struct kvirtio_queue *queues;
};

static struct kvirtio_net *to_net(struct kvirtio_device *vdev)
{
	return container_of(vdev, struct kvirtio_net, vdev);
}

static bool net_has(const struct kvirtio_net *n, unsigned int bit)
{
	return kvirtio_device_has_feature(&n->vdev, bit);
}

static bool mac_is_multicast(const u8 *mac)
{
	return mac[0] & 1;
}

static bool mac_is_zero(const u8 *mac)
{
	return !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

static bool mac_is_broadcast(const u8 *mac)
{
	return (mac[0] & mac[1] & mac[2] & mac[3] & mac[4] & mac[5]) == 0xff;
}

/**
 * kvirtio_net_frame_copy() - copy between a frame's guest buffers and @buf
 * @f: the frame
 * @off: offset in the frame where the copy starts
 * @buf: @len bytes of host memory
 * @len: bytes to copy
 * @to_guest: copy @buf into the frame (else the frame into @buf)
 *
 * For the device and for backends that have no faster way in.
 *
 * Return: 0, -ERANGE when the frame ends before @off + @len, or the guest
 * memory's error.
 */
int kvirtio_net_frame_copy(const struct kvirtio_net_frame *f, u32 off,
			   void *buf, u32 len, bool to_guest)
{
	u8 *p = buf;
	u16 i;
	int ret;

	for (i = 0; i < f->nr_segs && len; i++) {
		const struct kvirtio_net_seg *s = &f->segs[i];
		u32 n;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = min(len, s->len - off);
		ret = to_guest ? kvirtio_gmem_write(f->mem, s->gpa + off, p, n) :
				 kvirtio_gmem_read(f->mem, s->gpa + off, p, n);
		if (ret)
			return ret;
		p += n;
		len -= n;
		off = 0;
	}
	return len ? -ERANGE : 0;
}

/* ---- Transmit ----------------------------------------------------------- */

/*
 * Check a transmit header against the negotiated features (virtio 1.2,
 * 5.1.6.2).  @plen is the frame's length without the header.
 */
static bool net_tx_hdr_ok(const struct kvirtio_net *n,
			  const struct net_hdr *h, u32 plen)
{
	u8 gso = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	bool csum = h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;

	/* DATA_VALID and RSC_INFO are the device's; no other flag exists. */
	if (h->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return false;
	if (csum) {
		u32 start = le16_to_cpu(h->csum_start);
		u32 off = le16_to_cpu(h->csum_offset);

		if (!net_has(n, VIRTIO_NET_F_CSUM) || start + off + 2 > plen)
			return false;
	}
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return h->gso_type == VIRTIO_NET_HDR_GSO_NONE;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		if (!net_has(n, VIRTIO_NET_F_HOST_TSO4))
			return false;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (!net_has(n, VIRTIO_NET_F_HOST_TSO6))
			return false;
		break;
	default:
		/* UFO and USO are not offered. */
		return false;
	}
	if ((h->gso_type & VIRTIO_NET_HDR_GSO_ECN) &&
	    !net_has(n, VIRTIO_NET_F_HOST_ECN))
		return false;
	/* A segmentation request needs the checksum offload and a size. */
	return csum && h->gso_size && le16_to_cpu(h->hdr_len) <= plen;
}

/* One transmit chain: 0 when handled (sent or dropped), else broken. */
static int net_tx_one(struct kvirtio_net *n, struct net_txq *tq, u16 pair,
		      const struct kvirtio_chain *chain)
{
	struct kvirtio_net_frame frame = { .mem = n->vdev.mem, .segs = tq->segs };
	struct net_hdr hdr;
	u32 len = chain->readable_len;
	u16 i, nr = 0;
	int ret;

	if (chain->num_readable != chain->num || len < KVIRTIO_NET_HDR_LEN +
	    ETH_HDR_LEN || len > KVIRTIO_NET_HDR_LEN + KVIRTIO_NET_FRAME_MAX) {
		tq->stats.bad_len++;
		return 0;
	}
	for (i = 0; i < chain->num; i++) {
		if (!chain->descs[i].len)
			continue;
		tq->segs[nr].gpa = chain->descs[i].addr;
		tq->segs[nr].len = chain->descs[i].len;
		nr++;
	}
	frame.nr_segs = nr;
	frame.len = len;
	ret = kvirtio_net_frame_copy(&frame, 0, &hdr, sizeof(hdr), false);
	if (ret)
		return ret;
	if (!net_tx_hdr_ok(n, &hdr, len - KVIRTIO_NET_HDR_LEN)) {
		tq->stats.bad_hdr++;
		return 0;
	}
	ret = n->be->ops->xmit(n->be, pair, &frame);
	if (ret) {
		tq->stats.backend_err++;
		return 0;
	}
	tq->stats.packets++;
	tq->stats.bytes += len - KVIRTIO_NET_HDR_LEN;
	return 0;
}

static int net_tx_process(struct kvirtio_net *n, u16 pair,
			  struct kvirtio_budget *budget)
{
	struct kvirtio_queue *vq = &n->queues[2 * pair + 1];
	struct net_txq *tq = &n->txq[pair];
	struct kvirtio_chain chain;
	int ret;

	while (budget->requests && budget->bytes) {
		chain.descs = tq->descs;
		chain.capacity = KVIRTIO_NET_MAX_CHAIN;
		ret = kvirtio_queue_pop(vq, &chain);
		if (ret == -EAGAIN || ret == -EIO)
			return 0;
		if (ret < 0)
			return ret;
		if (budget->no_overdraw && chain.readable_len > budget->bytes) {
			/* Too big for an inline pass: a later pass takes it. */
			kvirtio_queue_unpop(vq, 1);
			return 1;
		}
		budget->requests--;
		budget->bytes -= min_t(u64, budget->bytes, chain.readable_len);
		ret = net_tx_one(n, tq, pair, &chain);
		if (ret < 0) {
			kvirtio_queue_break(vq, ret, "net: reading a frame failed");
			return ret;
		}
		ret = kvirtio_queue_push(vq, chain.head, 0);
		if (ret < 0)
			return ret;
	}
	return kvirtio_queue_has_avail(vq) ? 1 : 0;
}

/* ---- Receive ------------------------------------------------------------ */

/* Does the filter the driver programmed let a frame to @dst through? */
static bool net_rx_accept(struct kvirtio_net *n, const u8 *dst)
{
	const struct net_filter *f = &n->filter;
	bool ok = false;
	u32 i;

	if (!net_has(n, VIRTIO_NET_F_CTRL_RX))
		return true;
	spin_lock(&n->lock);
	if (f->promisc || mac_is_broadcast(dst)) {
		ok = true;
	} else if (mac_is_multicast(dst)) {
		ok = f->allmulti || f->multi_overflow;
		for (i = 0; !ok && i < f->n_multi; i++)
			ok = !memcmp(dst, f->multi[i], ETH_ADDR_LEN);
	} else {
		ok = f->uni_overflow ||
		     !memcmp(dst, n->config.mac, ETH_ADDR_LEN);
		for (i = 0; !ok && i < f->n_uni; i++)
			ok = !memcmp(dst, f->uni[i], ETH_ADDR_LEN);
	}
	spin_unlock(&n->lock);
	return ok;
}

/* A received header may only use offloads the guest accepts now. */
static bool net_rx_hdr_ok(struct kvirtio_net *n,
			  const struct net_hdr *h, u32 plen)
{
	u64 off = READ_ONCE(n->guest_offloads);
	u8 gso = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;

	/* RSC_INFO needs VIRTIO_NET_F_GUEST_RSC4/6 (not offered). */
	if (h->flags & ~(VIRTIO_NET_HDR_F_NEEDS_CSUM |
			 VIRTIO_NET_HDR_F_DATA_VALID))
		return false;
	if ((h->flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM |
			 VIRTIO_NET_HDR_F_DATA_VALID)) &&
	    !(off & BIT_ULL(VIRTIO_NET_F_GUEST_CSUM)))
		return false;
	if ((h->gso_type & VIRTIO_NET_HDR_GSO_ECN) &&
	    !(off & BIT_ULL(VIRTIO_NET_F_GUEST_ECN)))
		return false;
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		/* With VIRTIO_NET_F_MTU, no unsegmented frame above it. */
		return !n->mtu || !net_has(n, VIRTIO_NET_F_MTU) ||
		       plen <= (u32)n->mtu + ETH_HDR_LEN + 4;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return off & BIT_ULL(VIRTIO_NET_F_GUEST_TSO4);
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return off & BIT_ULL(VIRTIO_NET_F_GUEST_TSO6);
	default:
		return false;
	}
}

/*
 * Pop receive buffers until they hold @need bytes.  Returns the number of
 * chains popped (their heads and writable lengths in @rq, their buffers in
 * @rq->segs, *@nsegs of them), 0 when the guest has too few buffers now
 * (nothing stays popped), -EMSGSIZE when no buffers the guest could
 * post would hold the frame (nothing stays popped), or a broken queue's
 * errno.  (Not -E2BIG: that is a pop's "chain too long", which broke the
 * queue and must reach kvirtio_device_needs_reset().)
 */
static int net_rx_gather(struct kvirtio_net *n, struct net_rxq *rq,
			 struct kvirtio_queue *vq, u32 need, u16 *nsegs)
{
	u16 max_bufs = net_has(n, VIRTIO_NET_F_MRG_RXBUF) ?
		       KVIRTIO_NET_RX_BUFS_MAX : 1;
	u16 used_descs = 0, nr = 0, nbufs = 0;
	u64 total = 0;	/* up to 64 guest lengths of up to 4 GiB */
	int ret;

	while (total < need) {
		struct kvirtio_chain chain;
		u16 i;

		if (nbufs == max_bufs || used_descs >= NET_RX_DESCS) {
			kvirtio_queue_unpop(vq, nbufs);
			return -EMSGSIZE;
		}
		chain.descs = rq->descs + used_descs;
		chain.capacity = KVIRTIO_NET_MAX_CHAIN;
		ret = kvirtio_queue_pop(vq, &chain);
		if (ret == -EAGAIN || ret == -EIO) {
			kvirtio_queue_unpop(vq, nbufs);
			return 0;
		}
		if (ret < 0)
			return ret;
		/*
		 * Receive buffers are device-writable, and the first must hold
		 * the header.  A bad one is returned empty (the driver drops
		 * it) with the buffers gathered before it, which cannot go
		 * back to the ring past it: the queue goes on.
		 */
		if (chain.num_readable || !chain.writable_len ||
		    (!nbufs && chain.writable_len < KVIRTIO_NET_HDR_LEN)) {
			rq->stats.bad_buf++;
			ret = kvirtio_queue_push(vq, chain.head, 0);
			for (i = 0; !ret && i < nbufs; i++)
				ret = kvirtio_queue_push(vq, rq->heads[i], 0);
			if (ret < 0)
				return ret;
			nbufs = 0;
			nr = 0;
			used_descs = 0;
			total = 0;
			continue;
		}
		for (i = 0; i < chain.num; i++) {
			if (!chain.descs[i].len)
				continue;
			rq->segs[nr].gpa = chain.descs[i].addr;
			rq->segs[nr].len = chain.descs[i].len;
			nr++;
		}
		used_descs += chain.num;
		rq->heads[nbufs] = chain.head;
		rq->lens[nbufs] = chain.writable_len;
		total += chain.writable_len;
		nbufs++;
	}
	*nsegs = nr;
	return nbufs;
}

/*
 * Receive one frame of packet queue @q into @vq.  Returns 1 when a frame
 * was delivered or dropped, 0 when the guest has too few buffers (the
 * frame stays with the backend), or a broken queue's errno.
 */
static int net_rx_one(struct kvirtio_net *n, struct net_rxq *rq,
		      struct kvirtio_queue *vq, u16 q, u32 len,
		      struct kvirtio_budget *budget)
{
	struct kvirtio_net_frame frame = { .mem = n->vdev.mem, .segs = rq->segs };
	u8 head[KVIRTIO_NET_HDR_LEN + ETH_ADDR_LEN];
	struct net_hdr hdr;
	u16 nsegs = 0, used, i;
	u32 left;
	u64 room;
	int nbufs, got, ret;
	bool fix_flags;

	nbufs = net_rx_gather(n, rq, vq, len, &nsegs);
	if (nbufs == -EMSGSIZE) {
		n->be->ops->drop(n->be, q);
		rq->stats.too_big++;
		return 1;
	}
	if (nbufs <= 0)
		return nbufs;

	/* Room as the guest posted it; a wrap of u32 must not shrink it. */
	room = 0;
	for (i = 0; i < nbufs; i++)
		room += rq->lens[i];
	frame.nr_segs = nsegs;
	frame.len = min_t(u64, room, U32_MAX);
	got = n->be->ops->recv(n->be, q, &frame);
	if (got <= 0 || (u32)got > frame.len ||
	    got < KVIRTIO_NET_HDR_LEN + ETH_HDR_LEN) {
		/* Gone (another pass took it), or lost in the backend. */
		if (got)
			rq->stats.backend_err++;
		kvirtio_queue_unpop(vq, nbufs);
		return 1;
	}

	ret = kvirtio_net_frame_copy(&frame, 0, head, sizeof(head), false);
	if (ret) {
		kvirtio_queue_break(vq, ret, "net: reading a received frame failed");
		return ret;
	}
	memcpy(&hdr, head, sizeof(hdr));
	/*
	 * tun marks a frame whose checksum it verified DATA_VALID whatever
	 * TUNSETOFFLOAD says.  Without GUEST_CSUM the flags must be zero
	 * (virtio 1.2, 5.1.6.4.1) and such a frame is complete: drop the
	 * mark, not the frame.
	 */
	fix_flags = hdr.flags == VIRTIO_NET_HDR_F_DATA_VALID &&
		    !(READ_ONCE(n->guest_offloads) &
		      BIT_ULL(VIRTIO_NET_F_GUEST_CSUM));
	if (fix_flags)
		hdr.flags = 0;
	if (!net_rx_hdr_ok(n, &hdr, got - KVIRTIO_NET_HDR_LEN)) {
		rq->stats.bad_hdr++;
		kvirtio_queue_unpop(vq, nbufs);
		return 1;
	}
	if (!net_rx_accept(n, head + KVIRTIO_NET_HDR_LEN)) {
		rq->stats.filtered++;
		kvirtio_queue_unpop(vq, nbufs);
		return 1;
	}

	/* Buffers the frame did not reach go back, latest first. */
	for (used = 0, left = got; left; used++)
		left -= min(left, rq->lens[used]);
	kvirtio_queue_unpop(vq, nbufs - used);

	hdr.num_buffers = cpu_to_le16(used);
	ret = kvirtio_net_frame_copy(&frame,
				     offsetof(struct net_hdr, num_buffers),
				     &hdr.num_buffers, sizeof(hdr.num_buffers),
				     true);
	if (!ret && fix_flags)
		ret = kvirtio_net_frame_copy(&frame, 0, &hdr.flags,
					     sizeof(hdr.flags), true);
	if (ret) {
		kvirtio_queue_break(vq, ret, "net: writing the header failed");
		return ret;
	}
	for (i = 0, left = got; i < used; i++) {
		u32 l = min(left, rq->lens[i]);

		ret = kvirtio_queue_push(vq, rq->heads[i], l);
		if (ret < 0)
			return ret;
		left -= l;
	}
	rq->stats.packets++;
	rq->stats.bytes += got - KVIRTIO_NET_HDR_LEN;
	if (used > 1)
		rq->stats.merged++;
	budget->bytes -= min_t(u64, budget->bytes, got);
	return 1;
}

static int net_rx_process(struct kvirtio_net *n, u16 pair,
			  struct kvirtio_budget *budget)
{
	struct kvirtio_queue *vq = &n->queues[2 * pair];
	struct net_rxq *rq = &n->rxq[pair];
	u16 active = READ_ONCE(n->active_pairs);
	u16 nq = n->be->num_queues;
	int ret;

	kvirtio_queue_set_wait(vq, KVIRTIO_QUEUE_WAIT_AVAIL);
	if (pair >= active) {
		/* Its packet queue is served by pair % active. */
		kvirtio_queue_set_wait(vq, KVIRTIO_QUEUE_WAIT_BACKEND);
		return 0;
	}
	/*
	 * Every frame taken off the backend costs a request, dropped or
	 * not: a flood the guest never sees (filtered, oversized, refused
	 * offloads) must not hold the worker beyond its budget.
	 */
	while (budget->requests && budget->bytes) {
		u16 tries, q = 0;
		u32 len = 0;

		/* The next packet queue of this pair with a frame waiting. */
		if (rq->next_q < pair || rq->next_q >= nq ||
		    rq->next_q % active != pair)
			rq->next_q = pair;
		for (tries = 0; tries < nq && !len; tries++) {
			q = rq->next_q;
			rq->next_q = q + active < nq ? q + active : pair;
			len = n->be->ops->peek(n->be, q);
		}
		if (!len) {
			kvirtio_queue_set_wait(vq, KVIRTIO_QUEUE_WAIT_BACKEND);
			return 0;
		}
		if (len < KVIRTIO_NET_HDR_LEN + ETH_HDR_LEN ||
		    len > KVIRTIO_NET_HDR_LEN + KVIRTIO_NET_FRAME_MAX) {
			n->be->ops->drop(n->be, q);
			rq->stats.too_big++;
			budget->requests--;
			continue;
		}
		/* Too big for an inline pass: a later pass takes it. */
		if (budget->no_overdraw && len > budget->bytes)
			return 1;
		ret = net_rx_one(n, rq, vq, q, len, budget);
		if (ret < 0)
			return ret;
		if (ret > 0)
			budget->requests--;
		if (!ret) {
			/* Kick me when the driver adds buffers. */
			rq->stats.no_buffers++;
			kvirtio_queue_set_wait(vq, KVIRTIO_QUEUE_WAIT_MORE);
			return 0;
		}
	}
	return 1;
}

/**
 * kvirtio_net_backend_rx_ready() - a packet queue has frames
 * @be: the backend
 * @q: the packet queue
 *
 * Called by a watching backend from any context; schedules the receive
 * queue of the pair that serves @q.
 */
void kvirtio_net_backend_rx_ready(struct kvirtio_net_backend *be, u16 q)
{
	struct kvirtio_net *n = to_net(be->vdev);
	u16 active = READ_ONCE(n->active_pairs);

	if (active)
		kvirtio_device_kick(&n->vdev, 2 * (q % active));
}

/* ---- Control queue ------------------------------------------------------ */

static u8 net_ctrl_rx(struct kvirtio_net *n, u8 cmd,
		      struct kvirtio_chain_iter *it, u32 len)
{
	u8 on;

	if (!net_has(n, VIRTIO_NET_F_CTRL_RX) || len != 1 ||
	    (cmd != VIRTIO_NET_CTRL_RX_PROMISC &&
	     cmd != VIRTIO_NET_CTRL_RX_ALLMULTI))
		return VIRTIO_NET_ERR;
	if (kvirtio_chain_read(it, n->vdev.mem, &on, 1) < 0 || on > 1)
		return VIRTIO_NET_ERR;
	spin_lock(&n->lock);
	if (cmd == VIRTIO_NET_CTRL_RX_PROMISC)
		n->filter.promisc = on;
	else
		n->filter.allmulti = on;
	spin_unlock(&n->lock);
	return VIRTIO_NET_OK;
}

/*
 * Read one MAC table (le32 count, then the addresses) into @tab.  Entries
 * past the table's size set *@overflow and are skipped: the filter then
 * lets every address of that kind through, which is what the driver's
 * list asked for at the least.  Returns the count or -1 for bad lengths.
 */
static s64 net_ctrl_mac_table(struct kvirtio_net *n,
			      struct kvirtio_chain_iter *it, u32 *left,
			      u8 (*tab)[ETH_ADDR_LEN], bool *overflow)
{
	__le32 le;
	u32 count, kept, i;

	if (*left < sizeof(le) ||
	    kvirtio_chain_read(it, n->vdev.mem, &le, sizeof(le)) < 0)
		return -1;
	*left -= sizeof(le);
	count = le32_to_cpu(le);
	if (count > *left / ETH_ADDR_LEN)
		return -1;
	*overflow = count > KVIRTIO_NET_MAC_TABLE_MAX;
	kept = min_t(u32, count, KVIRTIO_NET_MAC_TABLE_MAX);
	for (i = 0; i < kept; i++)
		if (kvirtio_chain_read(it, n->vdev.mem, tab[i],
				       ETH_ADDR_LEN) < 0)
			return -1;
	/*
	 * Skip the rest in one step: the count is the guest's (descriptors
	 * may alias one buffer), reading entry by entry would let it set
	 * the time this command takes.
	 */
	if (kvirtio_chain_skip(it, (count - kept) * ETH_ADDR_LEN) < 0)
		return -1;
	*left -= count * ETH_ADDR_LEN;
	return kept;
}

static u8 net_ctrl_mac(struct kvirtio_net *n, u8 cmd,
		       struct kvirtio_chain_iter *it, u32 len)
{
	struct net_filter *f;
	u8 mac[ETH_ADDR_LEN];
	s64 nu, nm;
	bool uo, mo;
	int changed;

	if (cmd == VIRTIO_NET_CTRL_MAC_ADDR_SET) {
		if (!net_has(n, VIRTIO_NET_F_CTRL_MAC_ADDR) ||
		    len != ETH_ADDR_LEN ||
		    kvirtio_chain_read(it, n->vdev.mem, mac, ETH_ADDR_LEN) < 0 ||
		    mac_is_multicast(mac) || mac_is_zero(mac))
			return VIRTIO_NET_ERR;
		spin_lock(&n->lock);
		changed = memcmp(n->config.mac, mac, ETH_ADDR_LEN);
		memcpy(n->config.mac, mac, ETH_ADDR_LEN);
		spin_unlock(&n->lock);
		/* Config contents changed: config_generation must move. */
		if (changed)
			kvirtio_device_config_changed(&n->vdev);
		return VIRTIO_NET_OK;
	}
	if (cmd != VIRTIO_NET_CTRL_MAC_TABLE_SET ||
	    !net_has(n, VIRTIO_NET_F_CTRL_RX))
		return VIRTIO_NET_ERR;

	/* Build the new tables aside: a bad command changes nothing. */
	f = &n->scratch;
	nu = net_ctrl_mac_table(n, it, &len, f->uni, &uo);
	nm = nu < 0 ? -1 : net_ctrl_mac_table(n, it, &len, f->multi, &mo);
	if (nm < 0 || len)
		return VIRTIO_NET_ERR;
	spin_lock(&n->lock);
	n->filter.n_uni = nu;
	n->filter.n_multi = nm;
	n->filter.uni_overflow = uo;
	n->filter.multi_overflow = mo;
	memcpy(n->filter.uni, f->uni, nu * ETH_ADDR_LEN);
	memcpy(n->filter.multi, f->multi, nm * ETH_ADDR_LEN);
	spin_unlock(&n->lock);
	return VIRTIO_NET_OK;
}

static u8 net_ctrl_mq(struct kvirtio_net *n, u8 cmd,
		      struct kvirtio_chain_iter *it, u32 len)
{
	__le16 le;
	u16 pairs, old, p;

	if (!net_has(n, VIRTIO_NET_F_MQ) ||
	    cmd != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET || len != sizeof(le) ||
	    kvirtio_chain_read(it, n->vdev.mem, &le, sizeof(le)) < 0)
		return VIRTIO_NET_ERR;
	pairs = le16_to_cpu(le);
	if (pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || pairs > n->max_pairs)
		return VIRTIO_NET_ERR;
	old = READ_ONCE(n->active_pairs);
	WRITE_ONCE(n->active_pairs, pairs);
	/* Packet queues change hands: let every serving pair look. */
	for (p = 0; p < max(old, pairs); p++)
		kvirtio_device_kick(&n->vdev, 2 * p);
	return VIRTIO_NET_OK;
}

static u8 net_ctrl_offloads(struct kvirtio_net *n, u8 cmd,
			    struct kvirtio_chain_iter *it, u32 len)
{
	u64 negotiated = n->vdev.driver_features & NET_GUEST_OFFLOADS;
	__le64 le;
	u64 want;

	if (!net_has(n, VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) ||
	    cmd != VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET || len != sizeof(le) ||
	    kvirtio_chain_read(it, n->vdev.mem, &le, sizeof(le)) < 0)
		return VIRTIO_NET_ERR;
	want = le64_to_cpu(le);
	if (want & ~negotiated)
		return VIRTIO_NET_ERR;
	/* Segmentation needs the checksum offload, ECN needs TSO. */
	if ((want & (BIT_ULL(VIRTIO_NET_F_GUEST_TSO4) |
		     BIT_ULL(VIRTIO_NET_F_GUEST_TSO6))) &&
	    !(want & BIT_ULL(VIRTIO_NET_F_GUEST_CSUM)))
		return VIRTIO_NET_ERR;
	if ((want & BIT_ULL(VIRTIO_NET_F_GUEST_ECN)) &&
	    !(want & (BIT_ULL(VIRTIO_NET_F_GUEST_TSO4) |
		      BIT_ULL(VIRTIO_NET_F_GUEST_TSO6))))
		return VIRTIO_NET_ERR;
	if (n->be->ops->set_offloads && n->be->ops->set_offloads(n->be, want))
		return VIRTIO_NET_ERR;
	WRITE_ONCE(n->guest_offloads, want);
	return VIRTIO_NET_OK;
}

static u8 net_ctrl_command(struct kvirtio_net *n,
			   const struct kvirtio_chain *chain)
{
	struct virtio_net_ctrl_hdr ch;
	struct kvirtio_chain_iter it;
	u32 len;

	kvirtio_chain_iter_readable(&it, chain);
	if (chain->readable_len < sizeof(ch) ||
	    kvirtio_chain_read(&it, n->vdev.mem, &ch, sizeof(ch)) < 0)
		return VIRTIO_NET_ERR;
	len = chain->readable_len - sizeof(ch);
	switch (ch.class) {
	case VIRTIO_NET_CTRL_RX:
		return net_ctrl_rx(n, ch.cmd, &it, len);
	case VIRTIO_NET_CTRL_MAC:
		return net_ctrl_mac(n, ch.cmd, &it, len);
	case VIRTIO_NET_CTRL_MQ:
		return net_ctrl_mq(n, ch.cmd, &it, len);
	case VIRTIO_NET_CTRL_GUEST_OFFLOADS:
		return net_ctrl_offloads(n, ch.cmd, &it, len);
	default:
		/* VLAN, ANNOUNCE, coalescing, ...: not offered. */
		return VIRTIO_NET_ERR;
	}
}

static int net_ctrl_process(struct kvirtio_net *n, u16 qid,
			    struct kvirtio_budget *budget)
{
	struct kvirtio_queue *vq = &n->queues[qid];
	struct kvirtio_chain chain;
	int ret;

	while (budget->requests) {
		struct kvirtio_chain_iter it;
		u32 written = 0;
		u8 ack;

		chain.descs = n->ctrl_descs;
		chain.capacity = KVIRTIO_NET_MAX_CHAIN;
		ret = kvirtio_queue_pop(vq, &chain);
		if (ret == -EAGAIN || ret == -EIO)
			return 0;
		if (ret < 0)
			return ret;
		budget->requests--;
		/* The ack is the writable part: one byte. */
		ack = chain.writable_len == 1 ? net_ctrl_command(n, &chain) :
		      VIRTIO_NET_ERR;
		if (ack == VIRTIO_NET_OK)
			n->ctrl_ok++;
		else
			n->ctrl_err++;
		if (chain.writable_len) {
			kvirtio_chain_iter_writable(&it, &chain);
			ret = kvirtio_chain_write(&it, n->vdev.mem, &ack, 1);
			if (ret < 0) {
				kvirtio_queue_break(vq, ret,
						    "net: writing the ack failed");
				return ret;
			}
			written = 1;
		}
		ret = kvirtio_queue_push(vq, chain.head, written);
		if (ret < 0)
			return ret;
	}
	return kvirtio_queue_has_avail(vq) ? 1 : 0;
}

/* ---- Device ops --------------------------------------------------------- */

/*
 * The control queue is 2N for the N pairs the driver may use: all of them
 * with VIRTIO_NET_F_MQ, else one (virtio 1.2, 5.1.2), so a driver that
 * did not take MQ from a multi-pair device puts it at queue 2.
 */
static u16 net_ctrl_queue(const struct kvirtio_net *n)
{
	return net_has(n, VIRTIO_NET_F_MQ) ? n->ctrl_qid : 2;
}

static int net_process_queue(struct kvirtio_device *vdev, u16 qid,
			     struct kvirtio_budget *budget)
{
	struct kvirtio_net *n = to_net(vdev);
	u16 ctrl = net_ctrl_queue(n);
	int ret;

	if (qid >= vdev->num_queues || !kvirtio_queue_ready(&n->queues[qid]))
		return 0;
	/*
	 * Queues past the control queue are not in the driver's layout:
	 * their chains are never work (waiting for the backend keeps kicks
	 * off and the worker from looping on chains it will not take).
	 */
	if (qid > ctrl) {
		kvirtio_queue_set_wait(&n->queues[qid],
				       KVIRTIO_QUEUE_WAIT_BACKEND);
		return 0;
	}
	if (qid == ctrl)
		ret = net_ctrl_process(n, qid, budget);
	else if (qid & 1)
		ret = net_tx_process(n, qid / 2, budget);
	else
		ret = net_rx_process(n, qid / 2, budget);
	if (ret < 0)
		kvirtio_device_needs_reset(vdev);
	return ret;
}

static int net_config_read(struct kvirtio_device *vdev, u32 off, void *buf,
			   u32 len)
{
	struct kvirtio_net *n = to_net(vdev);

	if (off > sizeof(n->config) || len > sizeof(n->config) - off)
		return -EINVAL;
	spin_lock(&n->lock);
	memcpy(buf, (const u8 *)&n->config + off, len);
	spin_unlock(&n->lock);
	return 0;
}

/* Feature dependencies of virtio 1.2, 5.1.3.1. */
static int net_validate_features(struct kvirtio_device *vdev, u64 f)
{
	static const struct { u8 bit; u64 needs; } deps[] = {
		{ VIRTIO_NET_F_GUEST_TSO4, BIT_ULL(VIRTIO_NET_F_GUEST_CSUM) },
		{ VIRTIO_NET_F_GUEST_TSO6, BIT_ULL(VIRTIO_NET_F_GUEST_CSUM) },
		{ VIRTIO_NET_F_GUEST_ECN, BIT_ULL(VIRTIO_NET_F_GUEST_TSO4) |
					  BIT_ULL(VIRTIO_NET_F_GUEST_TSO6) },
		{ VIRTIO_NET_F_HOST_TSO4, BIT_ULL(VIRTIO_NET_F_CSUM) },
		{ VIRTIO_NET_F_HOST_TSO6, BIT_ULL(VIRTIO_NET_F_CSUM) },
		{ VIRTIO_NET_F_HOST_ECN, BIT_ULL(VIRTIO_NET_F_HOST_TSO4) |
					 BIT_ULL(VIRTIO_NET_F_HOST_TSO6) },
		{ VIRTIO_NET_F_CTRL_RX, BIT_ULL(VIRTIO_NET_F_CTRL_VQ) },
		{ VIRTIO_NET_F_CTRL_MAC_ADDR, BIT_ULL(VIRTIO_NET_F_CTRL_VQ) },
		{ VIRTIO_NET_F_CTRL_GUEST_OFFLOADS,
		  BIT_ULL(VIRTIO_NET_F_CTRL_VQ) },
		{ VIRTIO_NET_F_MQ, BIT_ULL(VIRTIO_NET_F_CTRL_VQ) },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(deps); i++)
		if ((f & BIT_ULL(deps[i].bit)) && !(f & deps[i].needs))
			return -EINVAL;
	return 0;
}

static int net_queue_enable(struct kvirtio_device *vdev, u16 qid)
{
	return qid < vdev->num_queues ? 0 : -EINVAL;
}

static void net_watch(struct kvirtio_net *n, bool on)
{
	u16 q;

	if (n->watching == on)
		return;
	for (q = 0; q < n->be->num_queues; q++)
		n->be->ops->watch(n->be, q, on);
	n->watching = on;
}

static int net_driver_ok(struct kvirtio_device *vdev)
{
	struct kvirtio_net *n = to_net(vdev);
	u64 off = vdev->driver_features & NET_GUEST_OFFLOADS;
	int ret = 0;

	if (n->be->ops->set_offloads)
		ret = n->be->ops->set_offloads(n->be, off);
	WRITE_ONCE(n->guest_offloads, ret ? 0 : off);
	/* One pair until the driver asks for more (5.1.6.5.5). */
	WRITE_ONCE(n->active_pairs, 1);
	net_watch(n, true);
	return ret;
}

static void net_reset(struct kvirtio_device *vdev)
{
	struct kvirtio_net *n = to_net(vdev);

	net_watch(n, false);
	if (n->be->ops->set_offloads)
		n->be->ops->set_offloads(n->be, 0);
	WRITE_ONCE(n->guest_offloads, 0);
	WRITE_ONCE(n->active_pairs, 1);
	spin_lock(&n->lock);
	memset(&n->filter, 0, sizeof(n->filter));
	/* Everything passes until the driver programs a filter. */
	n->filter.promisc = true;
	memcpy(n->config.mac, n->init_mac, ETH_ADDR_LEN);
	spin_unlock(&n->lock);
}

static const struct kvirtio_device_ops net_ops = {
	.config_read = net_config_read,
	.validate_features = net_validate_features,
	.queue_enable = net_queue_enable,
	.process_queue = net_process_queue,
	.driver_ok = net_driver_ok,
	.reset = net_reset,
};

/**
 * kvirtio_net_set_link() - report the link up or down
 * @vdev: a net device
 * @up: the new state
 *
 * A change updates the status field and raises a config interrupt.
 */
void kvirtio_net_set_link(struct kvirtio_device *vdev, bool up)
{
	struct kvirtio_net *n = to_net(vdev);
	bool changed;
	u16 old, st;

	spin_lock(&n->lock);
	old = le16_to_cpu(n->config.status);
	st = up ? old | VIRTIO_NET_S_LINK_UP : old & ~VIRTIO_NET_S_LINK_UP;
	n->config.status = cpu_to_le16(st);
	changed = st != old;
	if (changed)
		n->link_changes++;
	spin_unlock(&n->lock);
	if (changed)
		kvirtio_device_config_changed(vdev);
}

/**
 * kvirtio_net_active_pairs() - queue pairs the driver enabled
 * @vdev: a net device
 *
 * Return: 1 until the driver sends VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET.
 */
u16 kvirtio_net_active_pairs(struct kvirtio_device *vdev)
{
	return READ_ONCE(to_net(vdev)->active_pairs);
}

/**
 * kvirtio_net_get_stats() - the device's counters
 * @vdev: a net device
 * @s: filled in; a snapshot, each counter read once
 */
void kvirtio_net_get_stats(struct kvirtio_device *vdev,
			   struct kvirtio_net_stats *s)
{
	struct kvirtio_net *n = to_net(vdev);
	u16 p;

	memset(s, 0, sizeof(*s));
	for (p = 0; p < n->max_pairs; p++) {
		const struct net_rx_stats *r = &n->rxq[p].stats;
		const struct net_tx_stats *t = &n->txq[p].stats;

		s->rx_packets += READ_ONCE(r->packets);
		s->rx_bytes += READ_ONCE(r->bytes);
		s->rx_merged += READ_ONCE(r->merged);
		s->rx_too_big += READ_ONCE(r->too_big);
		s->rx_filtered += READ_ONCE(r->filtered);
		s->rx_bad_hdr += READ_ONCE(r->bad_hdr);
		s->rx_bad_buf += READ_ONCE(r->bad_buf);
		s->rx_backend_err += READ_ONCE(r->backend_err);
		s->rx_no_buffers += READ_ONCE(r->no_buffers);
		s->tx_packets += READ_ONCE(t->packets);
		s->tx_bytes += READ_ONCE(t->bytes);
		s->tx_bad_hdr += READ_ONCE(t->bad_hdr);
		s->tx_bad_len += READ_ONCE(t->bad_len);
		s->tx_backend_err += READ_ONCE(t->backend_err);
	}
	s->ctrl_ok = READ_ONCE(n->ctrl_ok);
	s->ctrl_err = READ_ONCE(n->ctrl_err);
	s->link_changes = READ_ONCE(n->link_changes);
}

static u64 net_offered(const struct kvirtio_net_opts *opts,
		       const struct kvirtio_net_backend *be, u16 pairs)
{
	u64 f = BIT_ULL(VIRTIO_F_VERSION_1) |
		BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) |
		BIT_ULL(VIRTIO_RING_F_EVENT_IDX) |
		BIT_ULL(VIRTIO_F_RING_RESET) |
		BIT_ULL(VIRTIO_NET_F_MAC) | BIT_ULL(VIRTIO_NET_F_STATUS) |
		BIT_ULL(VIRTIO_NET_F_MRG_RXBUF) |
		BIT_ULL(VIRTIO_NET_F_CTRL_VQ) | NET_CTRL_FEATURES;

	f |= be->offloads & (NET_GUEST_OFFLOADS | NET_HOST_OFFLOADS);
	if (opts->mtu)
		f |= BIT_ULL(VIRTIO_NET_F_MTU);
	if (pairs == 1)
		f &= ~BIT_ULL(VIRTIO_NET_F_MQ);
	f &= ~opts->features_off;
	/* Drop what depends on a bit that is gone. */
	if (!(f & BIT_ULL(VIRTIO_NET_F_CTRL_VQ)))
		f &= ~NET_CTRL_FEATURES;
	if (!(f & BIT_ULL(VIRTIO_NET_F_CSUM)))
		f &= ~(NET_HOST_OFFLOADS & ~BIT_ULL(VIRTIO_NET_F_CSUM));
	if (!(f & BIT_ULL(VIRTIO_NET_F_GUEST_CSUM)))
		f &= ~(NET_GUEST_OFFLOADS & ~BIT_ULL(VIRTIO_NET_F_GUEST_CSUM));
	if (!(f & (BIT_ULL(VIRTIO_NET_F_HOST_TSO4) |
		   BIT_ULL(VIRTIO_NET_F_HOST_TSO6))))
		f &= ~BIT_ULL(VIRTIO_NET_F_HOST_ECN);
	if (!(f & (BIT_ULL(VIRTIO_NET_F_GUEST_TSO4) |
		   BIT_ULL(VIRTIO_NET_F_GUEST_TSO6))))
		f &= ~BIT_ULL(VIRTIO_NET_F_GUEST_ECN);
	return f;
}

static void net_free(struct kvirtio_net *n)
{
	kfree(n->queues);
	kfree(n->rxq);
	kfree(n->txq);
	kfree(n);
}

/**
 * kvirtio_net_create() - create a virtio-net device
 * @opts: pairs, queue size, MAC, MTU and features to leave out
 * @be: the packet backend, with at least @opts->num_pairs packet queues
 *	and all its callbacks but set_offloads; it must outlive the device
 * @out: the new device
 *
 * The transport and the host fill in their parts of @out before use.
 *
 * Return: 0, -EINVAL for bad @opts or @be, -ENOMEM.
 */
int kvirtio_net_create(const struct kvirtio_net_opts *opts,
		       struct kvirtio_net_backend *be,
		       struct kvirtio_device **out)
{
	u16 pairs = opts->num_pairs ? opts->num_pairs : 1;
	u16 qsize = opts->queue_size ? opts->queue_size :
		    KVIRTIO_NET_DEF_QUEUE_SIZE;
	struct kvirtio_net *n;
	u64 features;
	u16 nq;

	BUILD_BUG_ON(sizeof(struct kvirtio_net_config) !=
		     KVIRTIO_NET_CONFIG_SIZE);
	BUILD_BUG_ON(offsetof(struct kvirtio_net_config, mtu) !=
		     offsetof(struct virtio_net_config, mtu));
	BUILD_BUG_ON(sizeof(struct virtio_net_hdr_v1) != KVIRTIO_NET_HDR_LEN);
	BUILD_BUG_ON(sizeof(struct net_hdr) != KVIRTIO_NET_HDR_LEN);
	BUILD_BUG_ON(offsetof(struct net_hdr, num_buffers) !=
		     offsetof(struct virtio_net_hdr_v1, num_buffers));

	if (!be || !be->ops || !be->ops->xmit || !be->ops->peek ||
	    !be->ops->recv || !be->ops->drop || !be->ops->watch)
		return -EINVAL;
	if (pairs > KVIRTIO_NET_PAIRS_MAX || pairs > be->num_queues ||
	    !be->num_queues || be->num_queues > KVIRTIO_NET_PAIRS_MAX)
		return -EINVAL;
	if (!is_power_of_2(qsize) || qsize < 2 ||
	    qsize > KVIRTIO_NET_QUEUE_SIZE_MAX)
		return -EINVAL;
	if (mac_is_multicast(opts->mac) || mac_is_zero(opts->mac))
		return -EINVAL;
	if (opts->mtu && opts->mtu < KVIRTIO_NET_MTU_MIN)
		return -EINVAL;
	if (opts->features_off & ~NET_OPTIONAL_FEATURES)
		return -EINVAL;
	features = net_offered(opts, be, pairs);
	/* Several pairs cannot be used without MQ. */
	if (pairs > 1 && !(features & BIT_ULL(VIRTIO_NET_F_MQ)))
		return -EINVAL;

	n = kzalloc(sizeof(*n), GFP_KERNEL_ACCOUNT);
	if (!n)
		return -ENOMEM;
	nq = 2 * pairs + !!(features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ));
	n->queues = kcalloc(nq, sizeof(*n->queues), GFP_KERNEL_ACCOUNT);
	n->rxq = kcalloc(pairs, sizeof(*n->rxq), GFP_KERNEL_ACCOUNT);
	n->txq = kcalloc(pairs, sizeof(*n->txq), GFP_KERNEL_ACCOUNT);
	if (!n->queues || !n->rxq || !n->txq) {
		net_free(n);
		return -ENOMEM;
	}
	spin_lock_init(&n->lock);
	n->be = be;
	be->vdev = &n->vdev;
	n->max_pairs = pairs;
	n->ctrl_qid = 2 * pairs;
	n->mtu = opts->mtu;
	n->active_pairs = 1;
	memcpy(n->init_mac, opts->mac, ETH_ADDR_LEN);
	memcpy(n->config.mac, opts->mac, ETH_ADDR_LEN);
	n->config.status = cpu_to_le16(opts->link_down ? 0 :
				       VIRTIO_NET_S_LINK_UP);
	n->config.max_virtqueue_pairs = cpu_to_le16(pairs);
	n->config.mtu = cpu_to_le16(opts->mtu);
	n->filter.promisc = true;

	n->vdev.ops = &net_ops;
	n->vdev.name = "net";
	n->vdev.device_id = VIRTIO_ID_NET;
	/* Network controller, Ethernet. */
	n->vdev.pci_class = 0x020000;
	n->vdev.device_features = features;
	n->vdev.config_size = KVIRTIO_NET_CONFIG_SIZE;
	n->vdev.num_queues = nq;
	n->vdev.queue_size_max = qsize;
	n->vdev.max_chain = KVIRTIO_NET_MAX_CHAIN;
	n->vdev.queues = n->queues;
	n->vdev.priv = n;
	*out = &n->vdev;
	return 0;
}

/**
 * kvirtio_net_destroy() - free a device made by kvirtio_net_create()
 * @vdev: the device, already reset and detached from its transport
 *
 * The backend is the creator's to free, after this.
 */
void kvirtio_net_destroy(struct kvirtio_device *vdev)
{
	struct kvirtio_net *n;

	if (!vdev)
		return;
	n = to_net(vdev);
	net_watch(n, false);
	net_free(n);
}
