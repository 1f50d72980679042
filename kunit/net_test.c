// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the kvirtio virtio-net device (devices/net.c).
 *
 * The device sits behind the real virtio-pci transport, over real split
 * rings in the flat guest memory double, with the recording backend of
 * kvirtio_test_netbe.c (kvtn_*).  The tests play the guest driver: they
 * negotiate through the common config, post buffers, kick, run worker
 * passes (kvirtio_device_service_queue()) and read what the device wrote
 * back: used elements, headers, acks, config space, MSI-X messages.
 *
 * Queue layout: receiveq p is 2p, transmitq p is 2p + 1, control last.
 */
#include <kunit/test.h>

#include "compat.h"
#include "kvirtio_test_netbe.h"

#ifdef __KERNEL__
#include <uapi/linux/virtio_net.h>
#else
#include <linux/virtio_net.h>
#endif

#define NT_QSIZE	128
#define NT_HDR		KVIRTIO_NET_HDR_LEN
#define NT_ACK_FILL	0xee

#define NF(x)		BIT_ULL(VIRTIO_NET_F_##x)
#define NT_F_V1		BIT_ULL(VIRTIO_F_VERSION_1)
#define NT_F_BASE	(NT_F_V1 | NF(MAC) | NF(STATUS))
#define NT_F_HOST	(NF(CSUM) | NF(HOST_TSO4) | NF(HOST_TSO6) | \
			 NF(HOST_ECN))
#define NT_F_GUEST	(NF(GUEST_CSUM) | NF(GUEST_TSO4) | NF(GUEST_TSO6) | \
			 NF(GUEST_ECN))
#define NT_F_CTRL	(NF(CTRL_VQ) | NF(CTRL_RX) | NF(CTRL_MAC_ADDR) | \
			 NF(CTRL_GUEST_OFFLOADS))
#define NT_F_ALL	(NT_F_BASE | NT_F_HOST | NT_F_GUEST | NT_F_CTRL | \
			 NF(MRG_RXBUF))
#define NT_BE_OFFLOADS	(NT_F_HOST | NT_F_GUEST)

#define S_NEEDS_RESET	VIRTIO_CONFIG_S_NEEDS_RESET

static const u8 nt_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const u8 nt_other[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
static const u8 nt_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const u8 nt_mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const u8 nt_mcast2[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x02 };

struct nt {
	struct kvtn t;
	struct kunit *test;
	struct kvirtio_net_opts o;
	u16 pairs;
	u16 ctrl_q;
	u8 frame[NT_HDR + 4096 + 1024];
};

static int nt_init(struct kunit *test)
{
	test->priv = NULL;
	return 0;
}

/* Whatever a case left, even after a failed assertion. */
static void nt_exit(struct kunit *test)
{
	struct nt *c = test->priv;

	if (!c)
		return;
	if (c->t.vdev)
		KUNIT_EXPECT_EQ(test, c->t.tb.violations, 0U);
	kvtn_destroy(&c->t);
	test->priv = NULL;
}

/* A context with a backend of @be_queues packet queues; not created yet. */
static struct nt *nt_alloc(struct kunit *test, u16 pairs, u16 be_queues,
			   u64 be_offloads)
{
	struct nt *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->test = test;
	c->pairs = pairs;
	c->ctrl_q = 2 * pairs;
	kvtn_be_init(&c->t.tb, be_queues, be_offloads);
	memcpy(c->o.mac, nt_mac, 6);
	c->o.num_pairs = pairs;
	c->o.queue_size = NT_QSIZE;
	test->priv = c;
	return c;
}

static void nt_create(struct nt *c)
{
	KUNIT_ASSERT_EQ(c->test, kvtn_create(&c->t, &c->o), 0);
}

/* Without MQ the control queue is queue 2 (virtio 1.2, 5.1.2). */
static void nt_start_size(struct nt *c, u64 features, u16 qsize)
{
	c->ctrl_q = features & NF(MQ) ? 2 * c->pairs : 2;
	KUNIT_ASSERT_EQ(c->test, kvtn_start(&c->t, features, qsize), 0);
}

static void nt_start(struct nt *c, u64 features)
{
	nt_start_size(c, features, NT_QSIZE);
}

/* One pair, every offload, negotiated with @features. */
static struct nt *nt_up(struct kunit *test, u64 features)
{
	struct nt *c = nt_alloc(test, 1, 1, NT_BE_OFFLOADS);

	nt_create(c);
	nt_start(c, features);
	return c;
}

static u16 nt_rxq(u16 pair)
{
	return 2 * pair;
}

static u16 nt_txq(u16 pair)
{
	return 2 * pair + 1;
}

static u16 nt_ctrlq(struct nt *c)
{
	return c->ctrl_q;
}

static void nt_stats(struct nt *c, struct kvirtio_net_stats *s)
{
	kvirtio_net_get_stats(c->t.vdev, s);
}

static struct kvirtio_test_ring *nt_ring(struct nt *c, u16 qid)
{
	return &c->t.rings[qid];
}

static u8 *nt_ptr(struct nt *c, u64 gpa, u32 len)
{
	return kvirtio_test_mem_ptr(&c->t.tm, gpa, len);
}

/*
 * A VERSION_1 header is little-endian; the UAPI's __virtio16 also covers
 * legacy, so convert explicitly (sparse checks this file in sparse-uml).
 */
static __virtio16 nt_v16(u16 v)
{
	return (__force __virtio16)cpu_to_le16(v);
}

static u16 nt_u16(__virtio16 v)
{
	return le16_to_cpu((__force __le16)v);
}

static struct virtio_net_hdr_v1 nt_hdr(u8 flags, u8 gso_type, u16 hdr_len,
				       u16 gso_size, u16 csum_start,
				       u16 csum_offset)
{
	struct virtio_net_hdr_v1 h = {
		.flags = flags,
		.gso_type = gso_type,
		.hdr_len = nt_v16(hdr_len),
		.gso_size = nt_v16(gso_size),
		.csum_start = nt_v16(csum_start),
		.csum_offset = nt_v16(csum_offset),
	};

	return h;
}

static u8 nt_pattern(u32 i)
{
	return (u8)(i * 7 + 3);
}

/*
 * Build header + Ethernet frame (@dst, our other MAC as source, IPv4
 * ethertype, a pattern) of @plen bytes after the header into @buf.
 */
static void nt_build(u8 *buf, const struct virtio_net_hdr_v1 *h,
		     const u8 *dst, u32 plen)
{
	u32 i;

	memcpy(buf, h, NT_HDR);
	for (i = 0; i < plen; i++)
		buf[NT_HDR + i] = nt_pattern(i);
	if (plen >= 14) {
		memcpy(buf + NT_HDR, dst, 6);
		memcpy(buf + NT_HDR + 6, nt_other, 6);
		buf[NT_HDR + 12] = 0x08;
		buf[NT_HDR + 13] = 0x00;
	}
}

/* ---- Transmit helpers --------------------------------------------------- */

/*
 * Post a transmit chain of header + @plen bytes, cut into descriptors of
 * the lengths in @cuts (the rest in a last one), and run the queue.
 * Returns the head.
 */
static u16 nt_tx_cut(struct nt *c, u16 pair, const struct virtio_net_hdr_v1 *h,
		     u32 plen, const u32 *cuts, u16 ncuts)
{
	struct kvirtio_test_buf b[KVIRTIO_NET_MAX_CHAIN];
	u32 len = NT_HDR + plen, off = 0;
	u64 gpa = kvtn_alloc(&c->t, len);
	u8 *p;
	u16 n = 0, head;

	KUNIT_ASSERT_NE(c->test, gpa, 0ULL);
	p = nt_ptr(c, gpa, len);
	if (len <= sizeof(c->frame)) {
		nt_build(c->frame, h, nt_bcast, plen);
		memcpy(p, c->frame, len);
	} else {
		u32 i;

		memcpy(p, h, NT_HDR);
		for (i = 0; i < plen; i++)
			p[NT_HDR + i] = nt_pattern(i);
	}
	for (n = 0; n < ncuts; n++) {
		b[n] = (struct kvirtio_test_buf){ gpa + off, cuts[n], false };
		off += cuts[n];
	}
	b[n++] = (struct kvirtio_test_buf){ gpa + off, len - off, false };
	head = kvtn_post(&c->t, nt_txq(pair), b, n);
	KUNIT_EXPECT_EQ(c->test, kvtn_service(&c->t, nt_txq(pair), 64, 1 << 30),
			0);
	return head;
}

static u16 nt_tx(struct nt *c, const struct virtio_net_hdr_v1 *h, u32 plen)
{
	return nt_tx_cut(c, 0, h, plen, NULL, 0);
}

/* The next used element of @qid: it must be @head with length @len. */
static void nt_expect_used(struct nt *c, u16 qid, u16 head, u32 len)
{
	u32 id, l;

	KUNIT_ASSERT_TRUE(c->test, kvirtio_test_used_get(nt_ring(c, qid), &id,
							 &l));
	KUNIT_EXPECT_EQ(c->test, id, (u32)head);
	KUNIT_EXPECT_EQ(c->test, l, len);
}

static void nt_expect_no_used(struct nt *c, u16 qid)
{
	KUNIT_EXPECT_EQ(c->test, kvirtio_test_used_idx(nt_ring(c, qid)),
			nt_ring(c, qid)->last_used);
}

/* ---- Receive helpers ---------------------------------------------------- */

/* One writable buffer of @len on receiveq @pair, filled with 0xcd. */
static u16 nt_rx_post(struct nt *c, u16 pair, u32 len, u64 *gpa)
{
	struct kvirtio_test_buf b;

	b.addr = kvtn_alloc(&c->t, len);
	b.len = len;
	b.writable = true;
	KUNIT_ASSERT_NE(c->test, b.addr, 0ULL);
	memset(nt_ptr(c, b.addr, len), 0xcd, len);
	if (gpa)
		*gpa = b.addr;
	return kvtn_post(&c->t, nt_rxq(pair), &b, 1);
}

/* A frame to @dst of @plen bytes with header @h arrives on packet queue @q. */
static void nt_rx_push(struct nt *c, u16 q, const struct virtio_net_hdr_v1 *h,
		       const u8 *dst, u32 plen)
{
	KUNIT_ASSERT_LE(c->test, NT_HDR + plen, (u32)sizeof(c->frame));
	nt_build(c->frame, h, dst, plen);
	KUNIT_ASSERT_EQ(c->test, kvtn_be_push(&c->t.tb, q, c->frame,
					      NT_HDR + plen), 0);
}

static void nt_rx_push_plain(struct nt *c, u16 q, const u8 *dst, u32 plen)
{
	struct virtio_net_hdr_v1 h = nt_hdr(0, 0, 0, 0, 0, 0);

	/* num_buffers is the device's: garbage here must be overwritten. */
	h.num_buffers = nt_v16(0xabcd);
	nt_rx_push(c, q, &h, dst, plen);
}

static int nt_rx_run(struct nt *c, u16 pair)
{
	return kvtn_service(&c->t, nt_rxq(pair), 64, 1 << 30);
}

/* Expect the frame last built in c->frame (@plen) in the buffer at @gpa. */
static void nt_expect_frame(struct nt *c, u64 gpa, u32 plen, u16 nbufs)
{
	struct virtio_net_hdr_v1 h;
	u8 *p = nt_ptr(c, gpa, NT_HDR + plen);

	memcpy(&h, p, NT_HDR);
	KUNIT_EXPECT_EQ(c->test, nt_u16(h.num_buffers), nbufs);
	KUNIT_EXPECT_EQ(c->test, memcmp(p, c->frame, NT_HDR - 2), 0);
	KUNIT_EXPECT_EQ(c->test, memcmp(p + NT_HDR, c->frame + NT_HDR, plen),
			0);
}

/* ---- Control helpers ---------------------------------------------------- */

/*
 * Send class/cmd with @data (@len bytes) on the control queue, with an ack
 * buffer of @ack_len bytes (0: none).  Returns the ack byte, or
 * NT_ACK_FILL if nothing was written.  Checks the used length.
 */
static u8 nt_ctrl_ack(struct nt *c, u8 class, u8 cmd, const void *data,
		      u32 len, u32 ack_len)
{
	struct kvirtio_test_buf b[3];
	u64 hdr = kvtn_alloc(&c->t, 2), body = 0, ack = 0;
	u16 n = 0, head, q = nt_ctrlq(c);
	u8 *h = nt_ptr(c, hdr, 2), v = NT_ACK_FILL;

	h[0] = class;
	h[1] = cmd;
	b[n++] = (struct kvirtio_test_buf){ hdr, 2, false };
	if (len) {
		body = kvtn_alloc(&c->t, len);
		memcpy(nt_ptr(c, body, len), data, len);
		b[n++] = (struct kvirtio_test_buf){ body, len, false };
	}
	if (ack_len) {
		ack = kvtn_alloc(&c->t, ack_len);
		memset(nt_ptr(c, ack, ack_len), NT_ACK_FILL, ack_len);
		b[n++] = (struct kvirtio_test_buf){ ack, ack_len, true };
	}
	head = kvtn_post(&c->t, q, b, n);
	KUNIT_EXPECT_EQ(c->test, kvtn_service(&c->t, q, 64, 1 << 30), 0);
	nt_expect_used(c, q, head, ack_len ? 1 : 0);
	if (ack_len)
		v = *nt_ptr(c, ack, 1);
	return v;
}

static u8 nt_ctrl(struct nt *c, u8 class, u8 cmd, const void *data, u32 len)
{
	return nt_ctrl_ack(c, class, cmd, data, len, 1);
}

static u8 nt_ctrl_u8(struct nt *c, u8 class, u8 cmd, u8 val)
{
	return nt_ctrl(c, class, cmd, &val, 1);
}

/*
 * Put a VIRTIO_NET_CTRL_MAC_TABLE_SET payload with @nu unicast entries
 * (@uni, repeated) and @nm multicast ones (@multi) into @buf.  Returns
 * its length.
 */
static u32 nt_mac_table(u8 *buf, u32 nu, const u8 *uni, u32 nm,
			const u8 *multi)
{
	__le32 le;
	u32 i, off = 0;

	le = cpu_to_le32(nu);
	memcpy(buf + off, &le, 4);
	off += 4;
	for (i = 0; i < nu; i++, off += 6) {
		memcpy(buf + off, uni, 6);
		buf[off + 5] = uni[5] + i;
	}
	le = cpu_to_le32(nm);
	memcpy(buf + off, &le, 4);
	off += 4;
	for (i = 0; i < nm; i++, off += 6)
		memcpy(buf + off, multi, 6);
	return off;
}

/*
 * Offer one frame to @dst and report whether the guest got it: a buffer
 * is posted first and taken back (the ring idles) if the frame was
 * filtered.  @pair's receive queue is used.
 */
static bool nt_rx_passes(struct nt *c, const u8 *dst)
{
	struct kvirtio_net_stats s0, s1;
	u16 used = kvirtio_test_used_idx(nt_ring(c, 0));

	nt_stats(c, &s0);
	if (kvirtio_test_used_idx(nt_ring(c, 0)) == nt_ring(c, 0)->avail_idx)
		nt_rx_post(c, 0, 256, NULL);
	nt_rx_push_plain(c, 0, dst, 60);
	KUNIT_EXPECT_EQ(c->test, nt_rx_run(c, 0), 0);
	nt_stats(c, &s1);
	KUNIT_EXPECT_EQ(c->test, kvtn_be_waiting(&c->t.tb, 0), 0U);
	if (kvirtio_test_used_idx(nt_ring(c, 0)) != used) {
		u32 id, len;

		KUNIT_EXPECT_TRUE(c->test, kvirtio_test_used_get(nt_ring(c, 0),
								 &id, &len));
		KUNIT_EXPECT_EQ(c->test, len, NT_HDR + 60U);
		return true;
	}
	KUNIT_EXPECT_EQ(c->test, s1.rx_filtered, s0.rx_filtered + 1);
	return false;
}

/* ==== Features ========================================================== */

static u64 nt_offered(struct kunit *test, u16 pairs, u64 be_offloads,
		      u64 off, u16 mtu)
{
	struct kvtn_be *tb = kunit_kzalloc(test, sizeof(*tb), GFP_KERNEL);
	struct kvirtio_net_opts o = { .num_pairs = pairs, .mtu = mtu,
				      .features_off = off };
	struct kvirtio_device *vdev;
	u64 f;

	KUNIT_ASSERT_NOT_NULL(test, tb);
	kvtn_be_init(tb, KVIRTIO_NET_PAIRS_MAX, be_offloads);
	memcpy(o.mac, nt_mac, 6);
	KUNIT_ASSERT_EQ(test, kvirtio_net_create(&o, &tb->be, &vdev), 0);
	f = vdev->device_features;
	KUNIT_EXPECT_EQ(test, vdev->num_queues,
			2 * pairs + !!(f & NF(CTRL_VQ)));
	kvirtio_net_destroy(vdev);
	return f;
}

static void net_features_offer(struct kunit *test)
{
	u64 f;

	/* Everything the backend carries, one pair, no MTU. */
	f = nt_offered(test, 1, NT_BE_OFFLOADS, 0, 0);
	KUNIT_EXPECT_EQ(test, f & (NT_F_ALL | NF(MQ) | NF(MTU)), NT_F_ALL);
	KUNIT_EXPECT_TRUE(test, f & BIT_ULL(VIRTIO_RING_F_EVENT_IDX));
	KUNIT_EXPECT_TRUE(test, f & BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC));
	/* Never offered: UFO, USO, RSS, VLAN, ANNOUNCE, ... */
	KUNIT_EXPECT_FALSE(test, f & (NF(GUEST_UFO) | NF(HOST_UFO) |
				      NF(CTRL_VLAN) | NF(GUEST_ANNOUNCE) |
				      NF(CTRL_RX_EXTRA) | NF(RSS)));

	/* A backend without offloads: none offered. */
	f = nt_offered(test, 1, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, f & (NT_F_HOST | NT_F_GUEST), 0ULL);
	/* TSO without the checksum offload it needs is pruned. */
	f = nt_offered(test, 1, NF(HOST_TSO4) | NF(GUEST_TSO6) |
		       NF(GUEST_ECN), 0, 0);
	KUNIT_EXPECT_EQ(test, f & (NT_F_HOST | NT_F_GUEST), 0ULL);
	/* ECN without TSO is pruned. */
	f = nt_offered(test, 1, NF(CSUM) | NF(HOST_ECN) | NF(GUEST_CSUM) |
		       NF(GUEST_ECN), 0, 0);
	KUNIT_EXPECT_EQ(test, f & (NT_F_HOST | NT_F_GUEST),
			NF(CSUM) | NF(GUEST_CSUM));

	/* features_off masks, and what depends on a masked bit goes too. */
	f = nt_offered(test, 1, NT_BE_OFFLOADS, NF(CSUM), 0);
	KUNIT_EXPECT_EQ(test, f & (NT_F_HOST | NT_F_GUEST), NT_F_GUEST);
	f = nt_offered(test, 1, NT_BE_OFFLOADS, NF(GUEST_CSUM), 0);
	KUNIT_EXPECT_EQ(test, f & (NT_F_HOST | NT_F_GUEST), NT_F_HOST);
	f = nt_offered(test, 1, NT_BE_OFFLOADS, NF(HOST_TSO4) | NF(HOST_TSO6),
		       0);
	KUNIT_EXPECT_EQ(test, f & NT_F_HOST, NF(CSUM));
	f = nt_offered(test, 1, NT_BE_OFFLOADS, NF(MRG_RXBUF), 0);
	KUNIT_EXPECT_FALSE(test, f & NF(MRG_RXBUF));
	f = nt_offered(test, 2, NT_BE_OFFLOADS, NF(CTRL_RX), 0);
	KUNIT_EXPECT_EQ(test, f & (NT_F_CTRL | NF(MQ)),
			(NT_F_CTRL & ~NF(CTRL_RX)) | NF(MQ));
	/* No control queue: no control feature at all (and no MQ). */
	f = nt_offered(test, 1, NT_BE_OFFLOADS, NF(CTRL_VQ), 0);
	KUNIT_EXPECT_EQ(test, f & (NT_F_CTRL | NF(MQ)), 0ULL);

	/* MQ only with more than one pair; MTU only when set. */
	f = nt_offered(test, 2, NT_BE_OFFLOADS, 0, 0);
	KUNIT_EXPECT_TRUE(test, f & NF(MQ));
	KUNIT_EXPECT_FALSE(test, f & NF(MTU));
	f = nt_offered(test, KVIRTIO_NET_PAIRS_MAX, NT_BE_OFFLOADS, 0, 9000);
	KUNIT_EXPECT_TRUE(test, f & NF(MQ));
	KUNIT_EXPECT_TRUE(test, f & NF(MTU));
}

/* What the transport offers is what the device offers, plus nothing. */
static void net_features_through_transport(struct kunit *test)
{
	struct nt *c = nt_alloc(test, 2, 2, NF(CSUM) | NF(GUEST_CSUM));
	u64 f;

	c->o.mtu = 1500;
	nt_create(c);
	f = kvtn_device_features(&c->t);
	KUNIT_EXPECT_EQ(test, f & ~BIT_ULL(VIRTIO_F_RING_RESET),
			c->t.vdev->device_features &
			~BIT_ULL(VIRTIO_F_RING_RESET));
	KUNIT_EXPECT_TRUE(test, f & NF(MQ));
	KUNIT_EXPECT_TRUE(test, f & NF(MTU));
	KUNIT_EXPECT_FALSE(test, f & NF(HOST_TSO4));
	KUNIT_EXPECT_EQ(test, c->t.vdev->num_queues, 5);
	KUNIT_EXPECT_EQ(test, c->t.vdev->device_id, (u32)VIRTIO_ID_NET);
	KUNIT_EXPECT_EQ(test, c->t.vdev->pci_class, 0x020000U);
	nt_start(c, f & ~BIT_ULL(VIRTIO_F_RING_RESET));
	KUNIT_EXPECT_EQ(test, kvirtio_net_active_pairs(c->t.vdev), 1);
}

static void net_create_rejects(struct kunit *test)
{
	static const struct kvirtio_net_backend_ops no_ops;
	struct nt *c = nt_alloc(test, 1, 2, NT_BE_OFFLOADS);
	struct kvirtio_net_backend_ops half;
	const struct kvirtio_net_backend_ops *ops = c->t.tb.be.ops;
	struct kvirtio_net_opts o = c->o;
	struct kvirtio_device *vdev;

#define NT_REJECT(what) do {						\
		what;							\
		KUNIT_EXPECT_EQ(test, kvirtio_net_create(&o, &c->t.tb.be,	\
							 &vdev), -EINVAL); \
		o = c->o;						\
	} while (0)
	NT_REJECT(o.num_pairs = 3);	/* more than the backend has */
	NT_REJECT(o.num_pairs = KVIRTIO_NET_PAIRS_MAX + 1);
	NT_REJECT(o.queue_size = 96);
	NT_REJECT(o.queue_size = 2 * KVIRTIO_NET_QUEUE_SIZE_MAX);
	NT_REJECT(o.mac[0] = 0x01);
	NT_REJECT(memset(o.mac, 0, 6));
	NT_REJECT(o.mtu = KVIRTIO_NET_MTU_MIN - 1);
	NT_REJECT(o.features_off = NT_F_V1);
	NT_REJECT(o.features_off = NF(MAC));
	NT_REJECT(o.num_pairs = 2; o.features_off = NF(MQ));
	NT_REJECT(o.num_pairs = 2; o.features_off = NF(CTRL_VQ));
#undef NT_REJECT
	c->t.tb.be.ops = &no_ops;
	KUNIT_EXPECT_EQ(test, kvirtio_net_create(&o, &c->t.tb.be, &vdev),
			-EINVAL);
	half = *ops;
	half.drop = NULL;
	c->t.tb.be.ops = &half;
	KUNIT_EXPECT_EQ(test, kvirtio_net_create(&o, &c->t.tb.be, &vdev),
			-EINVAL);
	c->t.tb.be.ops = ops;
	KUNIT_EXPECT_EQ(test, kvirtio_net_create(&o, NULL, &vdev), -EINVAL);
	/* The limits themselves are fine. */
	o.mtu = KVIRTIO_NET_MTU_MIN;
	o.queue_size = KVIRTIO_NET_QUEUE_SIZE_MAX;
	o.num_pairs = 2;
	KUNIT_ASSERT_EQ(test, kvirtio_net_create(&o, &c->t.tb.be, &vdev), 0);
	kvirtio_net_destroy(vdev);
}

/* virtio 1.2, 5.1.3.1: each violation makes FEATURES_OK not stick. */
struct nt_deps_case {
	const char *name;
	u64 features;
};

static const struct nt_deps_case nt_deps_cases[] = {
	{ "guest_tso4_without_guest_csum", NF(GUEST_TSO4) },
	{ "guest_tso6_without_guest_csum", NF(GUEST_TSO6) },
	{ "guest_ecn_without_guest_tso", NF(GUEST_CSUM) | NF(GUEST_ECN) },
	{ "host_tso4_without_csum", NF(HOST_TSO4) },
	{ "host_tso6_without_csum", NF(HOST_TSO6) },
	{ "host_ecn_without_host_tso", NF(CSUM) | NF(HOST_ECN) },
	{ "ctrl_rx_without_ctrl_vq", NF(CTRL_RX) },
	{ "ctrl_mac_addr_without_ctrl_vq", NF(CTRL_MAC_ADDR) },
	{ "ctrl_guest_offloads_without_ctrl_vq", NF(CTRL_GUEST_OFFLOADS) },
	{ "mq_without_ctrl_vq", NF(MQ) },
};

static void nt_deps_desc(const struct nt_deps_case *p, char *desc)
{
	strscpy(desc, p->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(nt_deps, nt_deps_cases, nt_deps_desc);

static void net_validate_features(struct kunit *test)
{
	const struct nt_deps_case *p = test->param_value;
	struct nt *c = nt_alloc(test, 2, 2, NT_BE_OFFLOADS);
	u64 with_deps = p->features | NF(GUEST_CSUM) | NF(CSUM) |
			NF(HOST_TSO4) | NF(GUEST_TSO4) | NF(CTRL_VQ);

	nt_create(c);
	KUNIT_EXPECT_FALSE(test, kvtn_negotiate(&c->t, NT_F_V1 | p->features));
	KUNIT_EXPECT_FALSE(test, kvtn_status(&c->t) &
			   VIRTIO_CONFIG_S_FEATURES_OK);
	/* The same bit with what it needs is accepted. */
	KUNIT_EXPECT_TRUE(test, kvtn_negotiate(&c->t, NT_F_V1 | with_deps));
	/* And so is everything at once. */
	KUNIT_EXPECT_TRUE(test, kvtn_negotiate(&c->t, NT_F_ALL | NF(MQ)));
}

/* ==== Config space ====================================================== */

static void net_config_fields(struct kunit *test)
{
	struct nt *c = nt_alloc(test, 3, 3, 0);
	struct kvirtio_net_config cfg;
	u8 raw[KVIRTIO_NET_CONFIG_SIZE];
	u32 i;

	c->o.mtu = 9000;
	nt_create(c);
	for (i = 0; i < sizeof(raw); i++)
		KUNIT_ASSERT_EQ(test, kvtn_config_read(&c->t, i, raw + i, 1), 0);
	memcpy(&cfg, raw, sizeof(cfg));
	KUNIT_EXPECT_EQ(test, memcmp(cfg.mac, nt_mac, 6), 0);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(cfg.status), VIRTIO_NET_S_LINK_UP);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(cfg.max_virtqueue_pairs), 3);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(cfg.mtu), 9000);
	KUNIT_EXPECT_EQ(test, c->t.vdev->config_size,
			(u32)KVIRTIO_NET_CONFIG_SIZE);
	/* Past the end, through the BAR: refused by the transport. */
	KUNIT_EXPECT_NE(test, kvtn_config_read(&c->t, KVIRTIO_NET_CONFIG_SIZE,
					       raw, 1), 0);
}

/* The device's own bounds: every offset and length, in and out. */
static void net_config_every_offset(struct kunit *test)
{
	struct nt *c = nt_alloc(test, 2, 2, 0);
	struct kvirtio_device *vdev;
	u8 all[KVIRTIO_NET_CONFIG_SIZE], buf[16];
	u32 off, len;

	c->o.mtu = 1280;
	c->o.link_down = true;
	nt_create(c);
	vdev = c->t.vdev;
	KUNIT_ASSERT_EQ(test, vdev->ops->config_read(vdev, 0, all, sizeof(all)),
			0);
	KUNIT_EXPECT_EQ(test, memcmp(all, nt_mac, 6), 0);
	KUNIT_EXPECT_EQ(test, all[6] | all[7] << 8, 0);
	KUNIT_EXPECT_EQ(test, all[8] | all[9] << 8, 2);
	KUNIT_EXPECT_EQ(test, all[10] | all[11] << 8, 1280);
	for (off = 0; off <= KVIRTIO_NET_CONFIG_SIZE + 2; off++) {
		for (len = 1; len <= 8; len++) {
			bool in = off + len <= KVIRTIO_NET_CONFIG_SIZE;
			int ret;

			memset(buf, 0x5a, sizeof(buf));
			ret = vdev->ops->config_read(vdev, off, buf, len);
			KUNIT_EXPECT_EQ(test, ret, in ? 0 : -EINVAL);
			if (in)
				KUNIT_EXPECT_EQ(test, memcmp(buf, all + off, len),
						0);
			/* Nothing written past what was asked. */
			KUNIT_EXPECT_EQ(test, buf[len], 0x5a);
		}
	}
	KUNIT_EXPECT_EQ(test, vdev->ops->config_read(vdev, U32_MAX, buf, 2),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vdev->ops->config_read(vdev, 2, buf, U32_MAX),
			-EINVAL);
}

static void net_link_change(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_BASE);
	struct kvirtio_net_stats s;
	u64 gen;
	__le16 st;

	gen = kvtn_common_read(&c->t, VIRTIO_PCI_COMMON_CFGGENERATION, 1);
	KUNIT_EXPECT_EQ(test, c->t.msix[0], 0U);
	kvirtio_net_set_link(c->t.vdev, false);
	KUNIT_EXPECT_EQ(test, c->t.msix[0], 1U);
	KUNIT_ASSERT_EQ(test, kvtn_config_read(&c->t, 6, &st, 2), 0);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(st), 0);
	/* No change, no interrupt. */
	kvirtio_net_set_link(c->t.vdev, false);
	KUNIT_EXPECT_EQ(test, c->t.msix[0], 1U);
	kvirtio_net_set_link(c->t.vdev, true);
	KUNIT_EXPECT_EQ(test, c->t.msix[0], 2U);
	KUNIT_ASSERT_EQ(test, kvtn_config_read(&c->t, 6, &st, 2), 0);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(st), VIRTIO_NET_S_LINK_UP);
	kvirtio_net_set_link(c->t.vdev, true);
	KUNIT_EXPECT_EQ(test, c->t.msix[0], 2U);
	KUNIT_EXPECT_EQ(test, c->t.msix_total, 2U);
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, s.link_changes, 2ULL);
	/* The config generation moved with each change. */
	KUNIT_EXPECT_EQ(test, kvtn_common_read(&c->t,
					       VIRTIO_PCI_COMMON_CFGGENERATION,
					       1), (gen + 2) & 0xff);
}

/* ==== Transmit ========================================================== */

/* Header and data cut in odd places, a zero-length descriptor between. */
static void net_tx_good_split(struct kunit *test)
{
	static const u32 cuts[] = { 5, 7, 0, 1, 13, 200, 3 };
	struct nt *c = nt_up(test, NT_F_ALL);
	struct virtio_net_hdr_v1 h = nt_hdr(0, 0, 0, 0, 0, 0);
	struct kvirtio_net_stats s;
	u16 head;

	head = nt_tx_cut(c, 0, &h, 1000, cuts, ARRAY_SIZE(cuts));
	nt_expect_used(c, nt_txq(0), head, 0);
	KUNIT_ASSERT_EQ(test, c->t.tb.tx_count, 1U);
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_last_q, 0);
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_last_len, NT_HDR + 1000U);
	/* Seven cuts, one of them empty, and the rest: seven segments. */
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_last_nr_segs, 7);
	KUNIT_EXPECT_EQ(test, memcmp(c->t.tb.tx_last, c->frame, NT_HDR + 1000),
			0);
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, s.tx_packets, 1ULL);
	KUNIT_EXPECT_EQ(test, s.tx_bytes, 1000ULL);
	KUNIT_EXPECT_EQ(test, s.tx_bad_hdr + s.tx_bad_len + s.tx_backend_err,
			0ULL);
	KUNIT_EXPECT_EQ(test, c->t.msix[1 + nt_txq(0)], 1U);
}

/* Offloaded frames at the exact limits of each rule go through. */
static void net_tx_offload_limits(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_ALL);
	struct virtio_net_hdr_v1 h;
	u32 plen = 200;

	/* csum_start + csum_offset + 2 == the frame's length. */
	h = nt_hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 150, plen - 152);
	nt_tx(c, &h, plen);
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_count, 1U);
	/* TSO4 with ECN, hdr_len == the frame's length. */
	h = nt_hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM,
		   VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, plen,
		   1448, 34, 16);
	nt_tx(c, &h, plen);
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_count, 2U);
	h = nt_hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6, 74,
		   1, 54, 16);
	nt_tx(c, &h, plen);
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_count, 3U);
	KUNIT_EXPECT_EQ(test, memcmp(c->t.tb.tx_last, &h, NT_HDR), 0);
}

struct nt_txh_case {
	const char *name;
	u64 features;
	u8 flags;
	u8 gso_type;
	u16 hdr_len;
	u16 gso_size;
	u16 csum_start;
	u16 csum_offset;
};

#define NT_CS		VIRTIO_NET_HDR_F_NEEDS_CSUM
#define NT_TSO4		VIRTIO_NET_HDR_GSO_TCPV4
#define NT_TSO6		VIRTIO_NET_HDR_GSO_TCPV6
#define NT_ECN		VIRTIO_NET_HDR_GSO_ECN
#define NT_TXH_PLEN	200
/* Not in every copy of the UAPI header. */
#define NT_GSO_UDP_L4	5

static const struct nt_txh_case nt_txh_cases[] = {
	{ "unknown_flag", NT_F_ALL, 0x10, 0, 0, 0, 0, 0 },
	{ "rsc_info_flag", NT_F_ALL, VIRTIO_NET_HDR_F_RSC_INFO, 0, 0, 0, 0, 0 },
	{ "data_valid_from_driver", NT_F_ALL, VIRTIO_NET_HDR_F_DATA_VALID, 0, 0,
	  0, 0, 0 },
	{ "needs_csum_without_csum", NT_F_BASE | NF(GUEST_CSUM), NT_CS, 0, 0, 0,
	  14, 16 },
	{ "csum_past_frame", NT_F_ALL, NT_CS, 0, 0, 0, 150, NT_TXH_PLEN - 151 },
	{ "csum_offset_huge", NT_F_ALL, NT_CS, 0, 0, 0, 0, 0xffff },
	{ "csum_start_huge", NT_F_ALL, NT_CS, 0, 0, 0, 0xffff, 0 },
	{ "gso_without_needs_csum", NT_F_ALL, 0, NT_TSO4, 54, 1448, 0, 0 },
	{ "tso4_not_negotiated", NT_F_ALL & ~NF(HOST_TSO4), NT_CS, NT_TSO4, 54,
	  1448, 34, 16 },
	{ "tso6_not_negotiated", NT_F_ALL & ~NF(HOST_TSO6), NT_CS, NT_TSO6, 74,
	  1448, 54, 16 },
	{ "ecn_not_negotiated", NT_F_ALL & ~NF(HOST_ECN), NT_CS,
	  NT_TSO4 | NT_ECN, 54, 1448, 34, 16 },
	{ "ecn_without_gso", NT_F_ALL, 0, NT_ECN, 0, 0, 0, 0 },
	{ "udp_ufo", NT_F_ALL, NT_CS, VIRTIO_NET_HDR_GSO_UDP, 42, 1400, 34, 6 },
	{ "udp_l4_uso", NT_F_ALL, NT_CS, NT_GSO_UDP_L4, 42, 1400,
	  34, 6 },
	{ "unknown_gso_type", NT_F_ALL, NT_CS, 0x22, 54, 1448, 34, 16 },
	{ "gso_size_zero", NT_F_ALL, NT_CS, NT_TSO4, 54, 0, 34, 16 },
	{ "hdr_len_past_frame", NT_F_ALL, NT_CS, NT_TSO4, NT_TXH_PLEN + 1,
	  1448, 34, 16 },
};

static void nt_txh_desc(const struct nt_txh_case *p, char *desc)
{
	strscpy(desc, p->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(nt_txh, nt_txh_cases, nt_txh_desc);

/* A bad header is dropped and counted; the next good frame goes. */
static void net_tx_bad_header(struct kunit *test)
{
	const struct nt_txh_case *p = test->param_value;
	struct nt *c = nt_up(test, p->features);
	struct virtio_net_hdr_v1 h = nt_hdr(p->flags, p->gso_type, p->hdr_len,
					    p->gso_size, p->csum_start,
					    p->csum_offset);
	struct virtio_net_hdr_v1 good = nt_hdr(0, 0, 0, 0, 0, 0);
	struct kvirtio_net_stats s;
	u16 head;

	head = nt_tx(c, &h, NT_TXH_PLEN);
	nt_expect_used(c, nt_txq(0), head, 0);
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_count, 0U);
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, s.tx_bad_hdr, 1ULL);
	KUNIT_EXPECT_EQ(test, s.tx_packets, 0ULL);
	head = nt_tx(c, &good, NT_TXH_PLEN);
	nt_expect_used(c, nt_txq(0), head, 0);
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_count, 1U);
	KUNIT_EXPECT_FALSE(test, kvtn_status(&c->t) & S_NEEDS_RESET);
}

static void net_tx_bad_lengths(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_ALL);
	struct virtio_net_hdr_v1 h = nt_hdr(0, 0, 0, 0, 0, 0);
	struct kvirtio_test_buf b[2];
	struct kvirtio_net_stats s;
	u16 head;

	/* Shorter than header + Ethernet header; exactly that is fine. */
	head = nt_tx(c, &h, 13);
	nt_expect_used(c, nt_txq(0), head, 0);
	head = nt_tx(c, &h, 0);
	nt_expect_used(c, nt_txq(0), head, 0);
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_count, 0U);
	head = nt_tx(c, &h, 14);
	nt_expect_used(c, nt_txq(0), head, 0);
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_count, 1U);
	/* The largest frame goes, one byte more does not. */
	head = nt_tx_cut(c, 0, &h, KVIRTIO_NET_FRAME_MAX, NULL, 0);
	nt_expect_used(c, nt_txq(0), head, 0);
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_count, 2U);
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_last_len,
			(u32)(NT_HDR + KVIRTIO_NET_FRAME_MAX));
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_last[NT_HDR + 60000],
			nt_pattern(60000));
	head = nt_tx_cut(c, 0, &h, KVIRTIO_NET_FRAME_MAX + 1, NULL, 0);
	nt_expect_used(c, nt_txq(0), head, 0);
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_count, 2U);
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, s.tx_bad_len, 3ULL);

	/* A writable descriptor in a transmit chain: dropped, counted. */
	b[0] = (struct kvirtio_test_buf){ kvtn_alloc(&c->t, 128), 128, false };
	b[1] = (struct kvirtio_test_buf){ kvtn_alloc(&c->t, 64), 64, true };
	nt_build(nt_ptr(c, b[0].addr, 128), &h, nt_bcast, 100);
	head = kvtn_post(&c->t, nt_txq(0), b, 2);
	KUNIT_EXPECT_EQ(test, kvtn_service(&c->t, nt_txq(0), 64, 1 << 30), 0);
	nt_expect_used(c, nt_txq(0), head, 0);
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_count, 2U);
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, s.tx_bad_len, 4ULL);
	KUNIT_EXPECT_EQ(test, s.tx_bad_hdr, 0ULL);
	nt_tx(c, &h, 60);
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_count, 3U);
	KUNIT_EXPECT_FALSE(test, kvtn_status(&c->t) & S_NEEDS_RESET);
}

static void net_tx_backend_refuses(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_ALL);
	struct virtio_net_hdr_v1 h = nt_hdr(0, 0, 0, 0, 0, 0);
	struct kvirtio_net_stats s;
	u16 head;

	c->t.tb.xmit_ret = -EINVAL;
	head = nt_tx(c, &h, 100);
	nt_expect_used(c, nt_txq(0), head, 0);
	c->t.tb.xmit_ret = -ENOBUFS;
	nt_tx(c, &h, 100);
	c->t.tb.xmit_ret = 0;
	nt_tx(c, &h, 100);
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, s.tx_backend_err, 2ULL);
	KUNIT_EXPECT_EQ(test, s.tx_packets, 1ULL);
	KUNIT_EXPECT_EQ(test, s.tx_bytes, 100ULL);
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_count, 3U);
}

/* Transmit budget: a pass stops after the requests it may do. */
static void net_tx_budget(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_ALL);
	struct kvirtio_test_buf b;
	unsigned int i;

	b.len = 100;
	b.writable = false;
	for (i = 0; i < 5; i++) {
		b.addr = kvtn_alloc(&c->t, 100);
		nt_build(nt_ptr(c, b.addr, 100), &(struct virtio_net_hdr_v1){},
			 nt_bcast, 100 - NT_HDR);
		kvtn_post(&c->t, nt_txq(0), &b, 1);
	}
	KUNIT_EXPECT_EQ(test, kvtn_service(&c->t, nt_txq(0), 2, 1 << 30), 1);
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_count, 2U);
	KUNIT_EXPECT_EQ(test, kvtn_service(&c->t, nt_txq(0), 64, 1 << 30), 0);
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_count, 5U);
}

/*
 * An inline pass (no_overdraw) does not start a frame larger than the
 * bytes it has left: a later pass does (struct kvirtio_budget).
 */
static void net_no_overdraw(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_BASE);
	struct kvirtio_budget b = { .requests = 64, .bytes = 500,
				    .no_overdraw = true };
	struct kvirtio_test_buf tb;
	u16 head;

	tb.addr = kvtn_alloc(&c->t, 1000);
	tb.len = 1000;
	tb.writable = false;
	nt_build(nt_ptr(c, tb.addr, 1000), &(struct virtio_net_hdr_v1){},
		 nt_bcast, 1000 - NT_HDR);
	head = kvtn_post(&c->t, nt_txq(0), &tb, 1);
	KUNIT_EXPECT_EQ(test, kvirtio_device_service_queue(c->t.vdev,
							   nt_txq(0), &b), 1);
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_count, 0U);
	nt_expect_no_used(c, nt_txq(0));
	/* A worker pass may overdraw by one frame. */
	b.no_overdraw = false;
	KUNIT_EXPECT_EQ(test, kvirtio_device_service_queue(c->t.vdev,
							   nt_txq(0), &b), 1);
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_count, 1U);
	nt_expect_used(c, nt_txq(0), head, 0);

	/* Receive: the same for a frame waiting in the backend. */
	head = nt_rx_post(c, 0, 2048, NULL);
	nt_rx_push_plain(c, 0, nt_mac, 1000);
	b.bytes = 500;
	b.no_overdraw = true;
	KUNIT_EXPECT_EQ(test, kvirtio_device_service_queue(c->t.vdev,
							   nt_rxq(0), &b), 1);
	KUNIT_EXPECT_EQ(test, kvtn_be_waiting(&c->t.tb, 0), 1U);
	nt_expect_no_used(c, nt_rxq(0));
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_expect_used(c, nt_rxq(0), head, NT_HDR + 1000);
}

/* ==== Receive =========================================================== */

static void net_rx_one_buffer(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_BASE);
	struct kvirtio_net_stats s;
	u64 gpa;
	u16 head;

	head = nt_rx_post(c, 0, 2048, &gpa);
	nt_rx_push_plain(c, 0, nt_mac, 100);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_expect_used(c, nt_rxq(0), head, NT_HDR + 100);
	nt_expect_frame(c, gpa, 100, 1);
	/* Nothing past the frame was written. */
	KUNIT_EXPECT_EQ(test, *nt_ptr(c, gpa + NT_HDR + 100, 1), 0xcd);
	KUNIT_EXPECT_EQ(test, c->t.tb.rx_last_len, 2048U);
	KUNIT_EXPECT_EQ(test, kvtn_be_waiting(&c->t.tb, 0), 0U);
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, s.rx_packets, 1ULL);
	KUNIT_EXPECT_EQ(test, s.rx_bytes, 100ULL);
	KUNIT_EXPECT_EQ(test, s.rx_merged, 0ULL);
	KUNIT_EXPECT_EQ(test, c->t.msix[1 + nt_rxq(0)], 1U);
}

static void net_rx_mergeable(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_BASE | NF(MRG_RXBUF));
	struct kvirtio_net_stats s;
	u64 gpa[4];
	u16 head[4], i;

	for (i = 0; i < 4; i++)
		head[i] = nt_rx_post(c, 0, 100, &gpa[i]);
	nt_rx_push_plain(c, 0, nt_mac, 250);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_expect_used(c, nt_rxq(0), head[0], 100);
	nt_expect_used(c, nt_rxq(0), head[1], 100);
	nt_expect_used(c, nt_rxq(0), head[2], NT_HDR + 250 - 200);
	nt_expect_no_used(c, nt_rxq(0));
	KUNIT_EXPECT_EQ(test, le16_to_cpu(*(__le16 *)nt_ptr(c, gpa[0] + 10, 2)),
			3);
	KUNIT_EXPECT_EQ(test, memcmp(nt_ptr(c, gpa[0] + NT_HDR, 88),
				     c->frame + NT_HDR, 88), 0);
	KUNIT_EXPECT_EQ(test, memcmp(nt_ptr(c, gpa[1], 100),
				     c->frame + 100, 100), 0);
	KUNIT_EXPECT_EQ(test, memcmp(nt_ptr(c, gpa[2], 62),
				     c->frame + 200, 62), 0);
	/* The fourth buffer went back to the ring: the next frame uses it. */
	nt_rx_push_plain(c, 0, nt_mac, 50);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_expect_used(c, nt_rxq(0), head[3], NT_HDR + 50);
	nt_expect_frame(c, gpa[3], 50, 1);
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, s.rx_packets, 2ULL);
	KUNIT_EXPECT_EQ(test, s.rx_merged, 1ULL);
	KUNIT_EXPECT_EQ(test, s.rx_bytes, 300ULL);
}

/* Without MRG_RXBUF one buffer must hold the frame. */
static void net_rx_short_buffer_no_mrg(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_BASE);
	struct kvirtio_net_stats s;
	u64 gpa;
	u16 head;

	head = nt_rx_post(c, 0, 64, &gpa);
	nt_rx_post(c, 0, 2048, NULL);
	nt_rx_push_plain(c, 0, nt_mac, 100);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, s.rx_too_big, 1ULL);
	KUNIT_EXPECT_EQ(test, s.rx_packets, 0ULL);
	KUNIT_EXPECT_EQ(test, c->t.tb.drops, 1U);
	nt_expect_no_used(c, nt_rxq(0));
	/* The short buffer was kept: a frame that fits lands in it. */
	nt_rx_push_plain(c, 0, nt_mac, 40);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_expect_used(c, nt_rxq(0), head, NT_HDR + 40);
	nt_expect_frame(c, gpa, 40, 1);
}

/*
 * Too few buffers: the frame stays with the backend, the queue waits for
 * more with kicks on and does not spin; buffers plus a kick deliver it.
 */
static void net_rx_waits_for_more(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_BASE | NF(MRG_RXBUF));
	struct kvirtio_queue *vq = &c->t.vdev->queues[nt_rxq(0)];
	struct kvirtio_net_stats s;
	unsigned int peeks, kicks;
	u64 gpa;
	u16 head;

	head = nt_rx_post(c, 0, 100, &gpa);
	nt_rx_push_plain(c, 0, nt_mac, 250);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	KUNIT_EXPECT_EQ(test, kvtn_be_waiting(&c->t.tb, 0), 1U);
	nt_expect_no_used(c, nt_rxq(0));
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, s.rx_no_buffers, 1ULL);
	KUNIT_EXPECT_EQ(test, s.rx_too_big, 0ULL);
	/* Kicks on, and the buffer already there is not work. */
	KUNIT_EXPECT_FALSE(test, kvirtio_test_used_flags(nt_ring(c, 0)) &
			   VRING_USED_F_NO_NOTIFY);
	KUNIT_EXPECT_FALSE(test, kvirtio_queue_has_avail(vq));
	/* A spurious pass finds nothing new and returns at once. */
	peeks = c->t.tb.peeks;
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	KUNIT_EXPECT_LE(test, c->t.tb.peeks - peeks, 2U);
	KUNIT_EXPECT_EQ(test, kvtn_be_waiting(&c->t.tb, 0), 1U);

	nt_rx_post(c, 0, 100, NULL);
	nt_rx_post(c, 0, 100, NULL);
	KUNIT_EXPECT_TRUE(test, kvirtio_queue_has_avail(vq));
	kicks = c->t.kicks[nt_rxq(0)];
	kvtn_notify(&c->t, nt_rxq(0));
	KUNIT_EXPECT_EQ(test, c->t.kicks[nt_rxq(0)], kicks + 1);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	KUNIT_EXPECT_EQ(test, kvtn_be_waiting(&c->t.tb, 0), 0U);
	nt_expect_used(c, nt_rxq(0), head, 100);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(*(__le16 *)nt_ptr(c, gpa + 10, 2)),
			3);
}

/* No frame: the queue waits for the backend with kicks off. */
static void net_rx_waits_for_backend(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_BASE);
	struct kvirtio_queue *vq = &c->t.vdev->queues[nt_rxq(0)];
	u16 head;

	KUNIT_EXPECT_TRUE(test, c->t.tb.watching[0]);
	head = nt_rx_post(c, 0, 2048, NULL);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_expect_no_used(c, nt_rxq(0));
	KUNIT_EXPECT_TRUE(test, kvirtio_test_used_flags(nt_ring(c, 0)) &
			  VRING_USED_F_NO_NOTIFY);
	KUNIT_EXPECT_FALSE(test, kvirtio_queue_has_avail(vq));
	/* More buffers change nothing. */
	nt_rx_post(c, 0, 2048, NULL);
	KUNIT_EXPECT_FALSE(test, kvirtio_queue_has_avail(vq));
	KUNIT_EXPECT_EQ(test, c->t.kicks[nt_rxq(0)], 0U);
	/* A frame arrives: the backend's ready call kicks the queue. */
	nt_rx_push_plain(c, 0, nt_mac, 60);
	KUNIT_EXPECT_EQ(test, c->t.kicks[nt_rxq(0)], 1U);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_expect_used(c, nt_rxq(0), head, NT_HDR + 60);
}

/* Readable, empty and too-short-for-the-header buffers come back empty. */
static void net_rx_bad_buffers(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_BASE | NF(MRG_RXBUF));
	struct kvirtio_test_buf b[2];
	struct kvirtio_net_stats s;
	u16 bad[4], good[3], i;
	u64 gpa;

	/* Device-readable. */
	b[0] = (struct kvirtio_test_buf){ kvtn_alloc(&c->t, 256), 256, false };
	bad[0] = kvtn_post(&c->t, nt_rxq(0), b, 1);
	/* Empty: one zero-length writable descriptor. */
	b[0] = (struct kvirtio_test_buf){ kvtn_alloc(&c->t, 16), 0, true };
	bad[1] = kvtn_post(&c->t, nt_rxq(0), b, 1);
	/* Too short for the header, over two descriptors. */
	b[0] = (struct kvirtio_test_buf){ kvtn_alloc(&c->t, 16), 6, true };
	b[1] = (struct kvirtio_test_buf){ kvtn_alloc(&c->t, 16), 5, true };
	bad[2] = kvtn_post(&c->t, nt_rxq(0), b, 2);
	good[0] = nt_rx_post(c, 0, 512, &gpa);
	nt_rx_push_plain(c, 0, nt_mac, 100);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	for (i = 0; i < 3; i++)
		nt_expect_used(c, nt_rxq(0), bad[i], 0);
	nt_expect_used(c, nt_rxq(0), good[0], NT_HDR + 100);
	nt_expect_frame(c, gpa, 100, 1);
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, s.rx_bad_buf, 3ULL);
	KUNIT_EXPECT_EQ(test, s.rx_packets, 1ULL);

	/*
	 * A bad buffer among the ones gathered for a merged frame: it and
	 * the good one before it come back empty; the frame goes on.
	 */
	good[1] = nt_rx_post(c, 0, 100, NULL);
	b[0] = (struct kvirtio_test_buf){ kvtn_alloc(&c->t, 64), 64, false };
	bad[3] = kvtn_post(&c->t, nt_rxq(0), b, 1);
	good[2] = nt_rx_post(c, 0, 200, &gpa);
	nt_rx_post(c, 0, 200, NULL);
	nt_rx_push_plain(c, 0, nt_mac, 300);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_expect_used(c, nt_rxq(0), bad[3], 0);
	nt_expect_used(c, nt_rxq(0), good[1], 0);
	nt_expect_used(c, nt_rxq(0), good[2], 200);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(*(__le16 *)nt_ptr(c, gpa + 10, 2)),
			2);
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, s.rx_bad_buf, 4ULL);
	KUNIT_EXPECT_EQ(test, s.rx_packets, 2ULL);
	KUNIT_EXPECT_FALSE(test, kvtn_status(&c->t) & S_NEEDS_RESET);
}

/* Offloads the guest did not accept never reach it. */
static void net_rx_offload_not_accepted(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_BASE | NF(GUEST_CSUM));
	struct virtio_net_hdr_v1 h;
	struct kvirtio_net_stats s;
	u16 head;

	KUNIT_EXPECT_EQ(test, c->t.tb.offloads, NF(GUEST_CSUM));
	head = nt_rx_post(c, 0, 2048, NULL);
	/* GSO without GUEST_TSO4: dropped, the buffer kept. */
	h = nt_hdr(NT_CS, NT_TSO4, 54, 1448, 34, 16);
	nt_rx_push(c, 0, &h, nt_mac, 1000);
	/* ECN without GUEST_ECN. */
	h = nt_hdr(0, NT_ECN, 0, 0, 0, 0);
	nt_rx_push(c, 0, &h, nt_mac, 1000);
	/* RSC_INFO (GUEST_RSC4/6 not offered) and unknown flags. */
	h = nt_hdr(VIRTIO_NET_HDR_F_RSC_INFO, 0, 0, 0, 0, 0);
	nt_rx_push(c, 0, &h, nt_mac, 100);
	h = nt_hdr(0x80 | VIRTIO_NET_HDR_F_DATA_VALID, 0, 0, 0, 0, 0);
	nt_rx_push(c, 0, &h, nt_mac, 100);
	/* A checksum offload the guest accepted goes through. */
	h = nt_hdr(VIRTIO_NET_HDR_F_DATA_VALID, 0, 0, 0, 0, 0);
	nt_rx_push(c, 0, &h, nt_mac, 100);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, s.rx_bad_hdr, 4ULL);
	KUNIT_EXPECT_EQ(test, s.rx_packets, 1ULL);
	nt_expect_used(c, nt_rxq(0), head, NT_HDR + 100);
	nt_expect_no_used(c, nt_rxq(0));
}

/*
 * Without GUEST_CSUM: a partial checksum (NEEDS_CSUM) cannot reach the
 * guest; a verified one (DATA_VALID, which tun sets whatever the offloads)
 * arrives with the flags cleared, as the guest must see them.
 */
static void net_rx_csum_not_accepted(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_BASE);
	struct virtio_net_hdr_v1 h;
	struct kvirtio_net_stats s;
	u16 head;
	u64 gpa;

	KUNIT_EXPECT_EQ(test, c->t.tb.offloads, 0ULL);
	head = nt_rx_post(c, 0, 2048, &gpa);
	h = nt_hdr(NT_CS, 0, 0, 0, 34, 16);
	nt_rx_push(c, 0, &h, nt_mac, 100);
	h = nt_hdr(VIRTIO_NET_HDR_F_DATA_VALID | VIRTIO_NET_HDR_F_NEEDS_CSUM,
		   0, 0, 0, 34, 16);
	nt_rx_push(c, 0, &h, nt_mac, 100);
	h = nt_hdr(VIRTIO_NET_HDR_F_DATA_VALID, 0, 0, 0, 0, 0);
	nt_rx_push(c, 0, &h, nt_mac, 100);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, s.rx_bad_hdr, 2ULL);
	KUNIT_EXPECT_EQ(test, s.rx_packets, 1ULL);
	nt_expect_used(c, nt_rxq(0), head, NT_HDR + 100);
	KUNIT_EXPECT_EQ(test, *(u8 *)nt_ptr(c, gpa, 1), 0);
	nt_expect_no_used(c, nt_rxq(0));
}

/* With VIRTIO_NET_F_MTU no unsegmented frame above mtu + 18 is received. */
static void net_rx_mtu(struct kunit *test)
{
	struct nt *c = nt_alloc(test, 1, 1, NT_BE_OFFLOADS);
	struct virtio_net_hdr_v1 h;
	struct kvirtio_net_stats s;
	u16 head;

	c->o.mtu = 1500;
	nt_create(c);
	nt_start(c, NT_F_BASE | NF(MTU) | NF(GUEST_CSUM) | NF(GUEST_TSO4));
	head = nt_rx_post(c, 0, 4096, NULL);
	nt_rx_push_plain(c, 0, nt_mac, 1500 + 18 + 1);
	nt_rx_push_plain(c, 0, nt_mac, 1500 + 18);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_expect_used(c, nt_rxq(0), head, NT_HDR + 1518);
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, s.rx_bad_hdr, 1ULL);
	/* A segmented frame may be larger. */
	head = nt_rx_post(c, 0, 4096, NULL);
	h = nt_hdr(NT_CS, NT_TSO4, 54, 1448, 34, 16);
	nt_rx_push(c, 0, &h, nt_mac, 3000);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_expect_used(c, nt_rxq(0), head, NT_HDR + 3000);
}

/* The MTU rule only holds when the driver negotiated VIRTIO_NET_F_MTU. */
static void net_rx_mtu_not_negotiated(struct kunit *test)
{
	struct nt *c = nt_alloc(test, 1, 1, 0);
	u16 head;

	c->o.mtu = 1500;
	nt_create(c);
	nt_start(c, NT_F_BASE);
	head = nt_rx_post(c, 0, 4096, NULL);
	nt_rx_push_plain(c, 0, nt_mac, 2000);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_expect_used(c, nt_rxq(0), head, NT_HDR + 2000);
}

static void net_rx_mac_filter(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_BASE | NT_F_CTRL);
	u8 tab[4 + 6 * 2 + 4 + 6 * 2];
	u32 len;

	/* Promiscuous until the driver says otherwise. */
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_other));
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_mcast));
	KUNIT_ASSERT_EQ(test, nt_ctrl_u8(c, VIRTIO_NET_CTRL_RX,
					 VIRTIO_NET_CTRL_RX_PROMISC, 0),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_FALSE(test, nt_rx_passes(c, nt_other));
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_mac));
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_bcast));
	KUNIT_EXPECT_FALSE(test, nt_rx_passes(c, nt_mcast));
	KUNIT_ASSERT_EQ(test, nt_ctrl_u8(c, VIRTIO_NET_CTRL_RX,
					 VIRTIO_NET_CTRL_RX_ALLMULTI, 1),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_mcast));
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_mcast2));
	KUNIT_EXPECT_FALSE(test, nt_rx_passes(c, nt_other));
	KUNIT_ASSERT_EQ(test, nt_ctrl_u8(c, VIRTIO_NET_CTRL_RX,
					 VIRTIO_NET_CTRL_RX_ALLMULTI, 0),
			VIRTIO_NET_OK);

	/* The table: nt_other and its successor, and nt_mcast. */
	len = nt_mac_table(tab, 2, nt_other, 1, nt_mcast);
	KUNIT_ASSERT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_TABLE_SET, tab, len),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_other));
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_mac));
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_mcast));
	KUNIT_EXPECT_FALSE(test, nt_rx_passes(c, nt_mcast2));
	tab[4 + 5] += 7;	/* nt_other's last byte plus 7: not listed */
	KUNIT_EXPECT_FALSE(test, nt_rx_passes(c, tab + 4));
	/* Promiscuous again: everything. */
	KUNIT_ASSERT_EQ(test, nt_ctrl_u8(c, VIRTIO_NET_CTRL_RX,
					 VIRTIO_NET_CTRL_RX_PROMISC, 1),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_mcast2));
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, tab + 4));
}

/* Without VIRTIO_NET_F_CTRL_RX there is no filter. */
static void net_rx_no_filter_without_ctrl_rx(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_BASE | NF(CTRL_VQ));

	KUNIT_EXPECT_EQ(test, nt_ctrl_u8(c, VIRTIO_NET_CTRL_RX,
					 VIRTIO_NET_CTRL_RX_PROMISC, 0),
			VIRTIO_NET_ERR);
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_other));
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_mcast));
}

/* A frame that needs more than KVIRTIO_NET_RX_BUFS_MAX buffers. */
static void net_rx_too_many_buffers(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_BASE | NF(MRG_RXBUF));
	struct kvirtio_net_stats s;
	u32 plen = 16 * KVIRTIO_NET_RX_BUFS_MAX + 20 - NT_HDR;
	u16 head0 = 0, i;
	u64 gpa0 = 0;

	for (i = 0; i < KVIRTIO_NET_RX_BUFS_MAX + 4; i++) {
		u64 gpa;
		u16 h = nt_rx_post(c, 0, 16, &gpa);

		if (!i) {
			head0 = h;
			gpa0 = gpa;
		}
	}
	nt_rx_push_plain(c, 0, nt_mac, plen);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, s.rx_too_big, 1ULL);
	KUNIT_EXPECT_EQ(test, kvtn_be_waiting(&c->t.tb, 0), 0U);
	nt_expect_no_used(c, nt_rxq(0));
	/* Exactly KVIRTIO_NET_RX_BUFS_MAX buffers is fine. */
	nt_rx_push_plain(c, 0, nt_mac, 16 * KVIRTIO_NET_RX_BUFS_MAX - NT_HDR);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_expect_used(c, nt_rxq(0), head0, 16);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(*(__le16 *)nt_ptr(c, gpa0 + 10, 2)),
			KVIRTIO_NET_RX_BUFS_MAX);
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, s.rx_packets, 1ULL);
}

/*
 * Buffers of many descriptors each: gathering them must not ask the ring
 * for a chain with less room than a chain may legally have (that breaks
 * the queue of a well-behaved driver).
 */
static void net_rx_long_chains(struct kunit *test)
{
	struct nt *c = nt_alloc(test, 1, 1, 0);
	struct kvirtio_test_buf b[60];
	struct kvirtio_net_stats s;
	u16 i, j, head[6];
	u64 gpa0 = 0;

	c->o.queue_size = 512;
	nt_create(c);
	nt_start_size(c, NT_F_BASE | NF(MRG_RXBUF), 512);
	for (i = 0; i < ARRAY_SIZE(head); i++) {
		for (j = 0; j < ARRAY_SIZE(b); j++)
			b[j] = (struct kvirtio_test_buf){
				kvtn_alloc(&c->t, 16), 16, true };
		if (!i)
			gpa0 = b[0].addr;
		head[i] = kvtn_post(&c->t, nt_rxq(0), b, ARRAY_SIZE(b));
	}
	/* A frame of five such buffers (960 bytes each). */
	nt_rx_push_plain(c, 0, nt_mac, 5 * 960 - 200 - NT_HDR);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	KUNIT_EXPECT_FALSE(test, kvtn_queue_broken(&c->t, nt_rxq(0)));
	KUNIT_EXPECT_FALSE(test, kvtn_status(&c->t) & S_NEEDS_RESET);
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, s.rx_packets, 1ULL);
	for (i = 0; i < 4; i++)
		nt_expect_used(c, nt_rxq(0), head[i], 960);
	nt_expect_used(c, nt_rxq(0), head[4], 960 - 200);
	nt_expect_no_used(c, nt_rxq(0));
	KUNIT_EXPECT_EQ(test, le16_to_cpu(*(__le16 *)nt_ptr(c, gpa0 + 10, 2)),
			5);
}

/* The budget bounds a pass, whatever happens to the frames. */
static void net_rx_budget(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_BASE | NT_F_CTRL);
	unsigned int i;

	for (i = 0; i < 5; i++) {
		nt_rx_post(c, 0, 256, NULL);
		nt_rx_push_plain(c, 0, nt_mac, 60);
	}
	KUNIT_EXPECT_EQ(test, kvtn_service(&c->t, nt_rxq(0), 2, 1 << 30), 1);
	KUNIT_EXPECT_EQ(test, kvtn_be_waiting(&c->t.tb, 0), 3U);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	KUNIT_EXPECT_EQ(test, kvtn_be_waiting(&c->t.tb, 0), 0U);

	/* Frames that are dropped count against the budget too. */
	KUNIT_ASSERT_EQ(test, nt_ctrl_u8(c, VIRTIO_NET_CTRL_RX,
					 VIRTIO_NET_CTRL_RX_PROMISC, 0),
			VIRTIO_NET_OK);
	nt_rx_post(c, 0, 256, NULL);
	for (i = 0; i < 5; i++)
		nt_rx_push_plain(c, 0, nt_other, 60);
	KUNIT_EXPECT_EQ(test, kvtn_service(&c->t, nt_rxq(0), 2, 1 << 30), 1);
	KUNIT_EXPECT_EQ(test, kvtn_be_waiting(&c->t.tb, 0), 3U);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	KUNIT_EXPECT_EQ(test, kvtn_be_waiting(&c->t.tb, 0), 0U);
	/* So do frames too big for the buffer (no MRG_RXBUF here). */
	for (i = 0; i < 5; i++)
		nt_rx_push_plain(c, 0, nt_mac, 1000);
	KUNIT_EXPECT_EQ(test, kvtn_service(&c->t, nt_rxq(0), 2, 1 << 30), 1);
	KUNIT_EXPECT_EQ(test, kvtn_be_waiting(&c->t.tb, 0), 3U);
}

/* Lengths the backend announces outside the frame limits are dropped. */
static void net_rx_bad_lengths(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_BASE | NF(MRG_RXBUF));
	struct kvirtio_net_stats s;
	u16 head;

	head = nt_rx_post(c, 0, 2048, NULL);
	nt_rx_push_plain(c, 0, nt_mac, 60);
	c->t.tb.rx_claim[0] = NT_HDR + KVIRTIO_NET_FRAME_MAX + 1;
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_rx_push_plain(c, 0, nt_mac, 60);
	c->t.tb.rx_claim[0] = NT_HDR + 13;
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, c->t.tb.drops, 2U);
	KUNIT_EXPECT_EQ(test, s.rx_packets, 0ULL);
	nt_expect_no_used(c, nt_rxq(0));
	/* The backend hands over less than a header and Ethernet header. */
	nt_rx_push_plain(c, 0, nt_mac, 10);
	c->t.tb.rx_claim[0] = NT_HDR + 60;
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_expect_no_used(c, nt_rxq(0));
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, s.rx_backend_err, 1ULL);
	/* And the buffer still takes the next good frame. */
	nt_rx_push_plain(c, 0, nt_mac, 60);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_expect_used(c, nt_rxq(0), head, NT_HDR + 60);
}

static void net_rx_backend_error(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_BASE);
	struct kvirtio_net_stats s;
	u64 gpa;
	u16 head;

	head = nt_rx_post(c, 0, 2048, &gpa);
	nt_rx_push_plain(c, 0, nt_mac, 60);
	c->t.tb.recv_ret = -EIO;
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, s.rx_backend_err, 1ULL);
	nt_expect_no_used(c, nt_rxq(0));
	c->t.tb.recv_ret = 0;
	nt_rx_push_plain(c, 0, nt_mac, 70);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_expect_used(c, nt_rxq(0), head, NT_HDR + 70);
	nt_expect_frame(c, gpa, 70, 1);
}

/* ==== Control queue ===================================================== */

static void net_ctrl_rx_mode(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_BASE | NT_F_CTRL);
	struct kvirtio_net_stats s;
	u8 two[2] = { 0, 0 };
	u8 cmd;

	KUNIT_EXPECT_EQ(test, nt_ctrl_u8(c, VIRTIO_NET_CTRL_RX,
					 VIRTIO_NET_CTRL_RX_PROMISC, 2),
			VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, nt_ctrl_u8(c, VIRTIO_NET_CTRL_RX,
					 VIRTIO_NET_CTRL_RX_ALLMULTI, 0xff),
			VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_RX,
				      VIRTIO_NET_CTRL_RX_PROMISC, two, 2),
			VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_RX,
				      VIRTIO_NET_CTRL_RX_PROMISC, NULL, 0),
			VIRTIO_NET_ERR);
	/* The CTRL_RX_EXTRA commands and beyond: not offered. */
	for (cmd = VIRTIO_NET_CTRL_RX_ALLUNI; cmd <= 9; cmd++)
		KUNIT_EXPECT_EQ(test, nt_ctrl_u8(c, VIRTIO_NET_CTRL_RX, cmd, 0),
				VIRTIO_NET_ERR);
	/* None of those changed the filter. */
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_other));
	KUNIT_EXPECT_EQ(test, nt_ctrl_u8(c, VIRTIO_NET_CTRL_RX,
					 VIRTIO_NET_CTRL_RX_PROMISC, 0),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_FALSE(test, nt_rx_passes(c, nt_other));
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, s.ctrl_ok, 1ULL);
	KUNIT_EXPECT_EQ(test, s.ctrl_err, 4ULL + 9 - VIRTIO_NET_CTRL_RX_ALLUNI +
			1);
}

static void net_ctrl_mac_table(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_BASE | NT_F_CTRL);
	u8 *tab = kunit_kzalloc(test, 1024, GFP_KERNEL);
	__le32 le;
	u32 len;

	KUNIT_ASSERT_NOT_NULL(test, tab);
	KUNIT_ASSERT_EQ(test, nt_ctrl_u8(c, VIRTIO_NET_CTRL_RX,
					 VIRTIO_NET_CTRL_RX_PROMISC, 0),
			VIRTIO_NET_OK);
	len = nt_mac_table(tab, 1, nt_other, 1, nt_mcast);
	KUNIT_ASSERT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_TABLE_SET, tab, len),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_other));

	/* Bad lengths: a byte short, a byte long, no multicast count. */
	len = nt_mac_table(tab, 0, nt_other, 0, nt_mcast);
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_TABLE_SET, tab,
				      len - 1), VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_TABLE_SET, tab,
				      len + 1), VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_TABLE_SET, tab, 4),
			VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_TABLE_SET, NULL, 0),
			VIRTIO_NET_ERR);
	/* Counts bigger than the payload. */
	len = nt_mac_table(tab, 2, nt_other, 0, nt_mcast);
	le = cpu_to_le32(3);
	memcpy(tab, &le, 4);
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_TABLE_SET, tab, len),
			VIRTIO_NET_ERR);
	le = cpu_to_le32(U32_MAX);
	memcpy(tab, &le, 4);
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_TABLE_SET, tab, len),
			VIRTIO_NET_ERR);
	len = nt_mac_table(tab, 0, nt_other, 2, nt_mcast);
	le = cpu_to_le32(0x80000001);
	memcpy(tab + 4, &le, 4);
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_TABLE_SET, tab, len),
			VIRTIO_NET_ERR);
	/* A wrong command of the class. */
	len = nt_mac_table(tab, 0, nt_other, 0, nt_mcast);
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC, 2, tab, len),
			VIRTIO_NET_ERR);
	/* None of the bad ones changed the table. */
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_other));
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_mcast));

	/* More entries than the table holds: that kind all passes. */
	len = nt_mac_table(tab, KVIRTIO_NET_MAC_TABLE_MAX + 1, nt_mac, 0,
			   nt_mcast);
	KUNIT_ASSERT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_TABLE_SET, tab, len),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_other));
	KUNIT_EXPECT_FALSE(test, nt_rx_passes(c, nt_mcast));
	len = nt_mac_table(tab, 0, nt_mac, KVIRTIO_NET_MAC_TABLE_MAX + 2,
			   nt_mcast);
	KUNIT_ASSERT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_TABLE_SET, tab, len),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_FALSE(test, nt_rx_passes(c, nt_other));
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_mcast2));
	/* An empty table: own address and broadcast only. */
	len = nt_mac_table(tab, 0, nt_mac, 0, nt_mcast);
	KUNIT_ASSERT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_TABLE_SET, tab, len),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_FALSE(test, nt_rx_passes(c, nt_mcast2));
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_mac));
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_bcast));

	/* Without CTRL_RX negotiated the command is refused. */
	nt_exit(test);
	c = nt_up(test, NT_F_BASE | NF(CTRL_VQ) | NF(CTRL_MAC_ADDR));
	len = nt_mac_table(tab, 1, nt_other, 1, nt_mcast);
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_TABLE_SET, tab, len),
			VIRTIO_NET_ERR);
}

/*
 * A table whose count runs into the millions (descriptors may alias one
 * buffer): the device must not spend guest-chosen time on entries it
 * drops anyway.
 */
static void net_ctrl_mac_table_huge(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_BASE | NT_F_CTRL);
	struct kvirtio_test_buf b[KVIRTIO_NET_MAX_CHAIN];
	u32 per = 6 * 10000, count = 60 * (per / 6), n = 0, i, reads;
	u64 hdr = kvtn_alloc(&c->t, 8), alias = kvtn_alloc(&c->t, per);
	u64 tail = kvtn_alloc(&c->t, 4), ack = kvtn_alloc(&c->t, 1);
	u8 *h = nt_ptr(c, hdr, 6);
	__le32 le = cpu_to_le32(count);
	u16 head;

	KUNIT_ASSERT_NE(test, ack, 0ULL);
	h[0] = VIRTIO_NET_CTRL_MAC;
	h[1] = VIRTIO_NET_CTRL_MAC_TABLE_SET;
	memcpy(h + 2, &le, 4);
	memset(nt_ptr(c, alias, per), 0x02, per);
	memset(nt_ptr(c, tail, 4), 0, 4);
	*nt_ptr(c, ack, 1) = NT_ACK_FILL;
	b[n++] = (struct kvirtio_test_buf){ hdr, 6, false };
	for (i = 0; i < 60; i++)
		b[n++] = (struct kvirtio_test_buf){ alias, per, false };
	b[n++] = (struct kvirtio_test_buf){ tail, 4, false };
	b[n++] = (struct kvirtio_test_buf){ ack, 1, true };
	head = kvtn_post(&c->t, nt_ctrlq(c), b, n);
	reads = c->t.tm.read_calls;
	KUNIT_EXPECT_EQ(test, kvtn_service(&c->t, nt_ctrlq(c), 64, 1 << 30),
			0);
	nt_expect_used(c, nt_ctrlq(c), head, 1);
	KUNIT_EXPECT_EQ(test, *nt_ptr(c, ack, 1), VIRTIO_NET_OK);
	/* Reads bounded by the table, not by the guest's count. */
	KUNIT_EXPECT_LT(test, c->t.tm.read_calls - reads,
			4U * KVIRTIO_NET_MAC_TABLE_MAX + 64);
}

static void net_ctrl_mac_addr(struct kunit *test)
{
	static const u8 newmac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const u8 zero[6];
	struct nt *c = nt_up(test, NT_F_BASE | NT_F_CTRL);
	u8 mac[8];
	u64 gen;

	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_ADDR_SET, nt_mcast, 6),
			VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_ADDR_SET, nt_bcast, 6),
			VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_ADDR_SET, zero, 6),
			VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_ADDR_SET, newmac, 5),
			VIRTIO_NET_ERR);
	memcpy(mac, newmac, 6);
	mac[6] = 0;
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_ADDR_SET, mac, 7),
			VIRTIO_NET_ERR);
	KUNIT_ASSERT_EQ(test, kvtn_config_read(&c->t, 0, mac, 4), 0);
	KUNIT_ASSERT_EQ(test, kvtn_config_read(&c->t, 4, mac + 4, 2), 0);
	KUNIT_EXPECT_EQ(test, memcmp(mac, nt_mac, 6), 0);
	KUNIT_EXPECT_EQ(test, c->t.msix[0], 0U);
	gen = kvtn_common_read(&c->t, VIRTIO_PCI_COMMON_CFGGENERATION, 1);

	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_ADDR_SET, newmac, 6),
			VIRTIO_NET_OK);
	KUNIT_ASSERT_EQ(test, kvtn_config_read(&c->t, 0, mac, 4), 0);
	KUNIT_ASSERT_EQ(test, kvtn_config_read(&c->t, 4, mac + 4, 2), 0);
	KUNIT_EXPECT_EQ(test, memcmp(mac, newmac, 6), 0);
	/* The filter follows the new address. */
	KUNIT_ASSERT_EQ(test, nt_ctrl_u8(c, VIRTIO_NET_CTRL_RX,
					 VIRTIO_NET_CTRL_RX_PROMISC, 0),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, newmac));
	KUNIT_EXPECT_FALSE(test, nt_rx_passes(c, nt_mac));
	/* Config changed: one config interrupt, a new generation. */
	KUNIT_EXPECT_EQ(test, c->t.msix[0], 1U);
	KUNIT_EXPECT_EQ(test, kvtn_common_read(&c->t,
					       VIRTIO_PCI_COMMON_CFGGENERATION,
					       1), (gen + 1) & 0xff);
	/* The same address again changes nothing. */
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_ADDR_SET, newmac, 6),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, c->t.msix[0], 1U);

	/* Not negotiated: refused. */
	nt_exit(test);
	c = nt_up(test, NT_F_BASE | NF(CTRL_VQ) | NF(CTRL_RX));
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_ADDR_SET, newmac, 6),
			VIRTIO_NET_ERR);
	KUNIT_ASSERT_EQ(test, kvtn_config_read(&c->t, 0, mac, 4), 0);
	KUNIT_EXPECT_EQ(test, memcmp(mac, nt_mac, 4), 0);
}

static u8 nt_pairs_set(struct nt *c, u16 pairs)
{
	__le16 le = cpu_to_le16(pairs);

	return nt_ctrl(c, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
		       &le, 2);
}

/* Which receive queue got the frame pushed on packet queue @q? */
static int nt_rx_lands(struct nt *c, u16 q)
{
	u16 p, used[KVIRTIO_NET_PAIRS_MAX];
	int where = -1;

	for (p = 0; p < c->pairs; p++)
		used[p] = kvirtio_test_used_idx(nt_ring(c, nt_rxq(p)));
	nt_rx_push_plain(c, q, nt_mac, 60);
	for (p = 0; p < c->pairs; p++)
		KUNIT_EXPECT_GE(c->test, nt_rx_run(c, p), 0);
	for (p = 0; p < c->pairs; p++) {
		if (kvirtio_test_used_idx(nt_ring(c, nt_rxq(p))) != used[p]) {
			KUNIT_EXPECT_EQ(c->test, where, -1);
			where = p;
		}
	}
	return where;
}

/*
 * Two pairs over a backend of three packet queues: packet queue q is
 * received on pair q % active, so none is left unserved.
 */
static void net_ctrl_mq(struct kunit *test)
{
	struct nt *c = nt_alloc(test, 2, 3, 0);
	u8 three[3] = { 2, 0, 0 };
	u16 p, i;

	nt_create(c);
	nt_start(c, NT_F_BASE | NF(CTRL_VQ) | NF(MQ));
	KUNIT_EXPECT_EQ(test, nt_ctrlq(c), 4);
	for (p = 0; p < 2; p++)
		for (i = 0; i < 8; i++)
			nt_rx_post(c, p, 256, NULL);
	KUNIT_EXPECT_EQ(test, kvirtio_net_active_pairs(c->t.vdev), 1);
	/* One pair: every packet queue is received on pair 0. */
	KUNIT_EXPECT_EQ(test, nt_rx_lands(c, 1), 0);
	KUNIT_EXPECT_EQ(test, nt_rx_lands(c, 2), 0);

	KUNIT_EXPECT_EQ(test, nt_pairs_set(c, 0), VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, nt_pairs_set(c, 3), VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, nt_pairs_set(c, 0x8000), VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MQ,
				      VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, three, 1),
			VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MQ,
				      VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, three, 3),
			VIRTIO_NET_ERR);
	/* RSS and hash configuration are not offered. */
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MQ,
				      VIRTIO_NET_CTRL_MQ_RSS_CONFIG, three, 2),
			VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, kvirtio_net_active_pairs(c->t.vdev), 1);

	memset(c->t.kicks, 0, sizeof(c->t.kicks));
	KUNIT_EXPECT_EQ(test, nt_pairs_set(c, 2), VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, kvirtio_net_active_pairs(c->t.vdev), 2);
	/* The receive queues of the pairs that serve now were kicked. */
	KUNIT_EXPECT_GE(test, c->t.kicks[nt_rxq(0)], 1U);
	KUNIT_EXPECT_GE(test, c->t.kicks[nt_rxq(1)], 1U);
	/* Packet queue q is received on pair q % active. */
	KUNIT_EXPECT_EQ(test, nt_rx_lands(c, 0), 0);
	KUNIT_EXPECT_EQ(test, nt_rx_lands(c, 1), 1);
	KUNIT_EXPECT_EQ(test, nt_rx_lands(c, 2), 0);
	/* A frame's arrival kicks the pair that serves its queue. */
	memset(c->t.kicks, 0, sizeof(c->t.kicks));
	nt_rx_push_plain(c, 1, nt_mac, 60);
	KUNIT_EXPECT_EQ(test, c->t.kicks[nt_rxq(1)], 1U);
	KUNIT_EXPECT_EQ(test, c->t.kicks[nt_rxq(0)], 0U);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 1), 0);
	/* Transmit queue p goes out on packet queue p. */
	nt_tx_cut(c, 1, &(struct virtio_net_hdr_v1){}, 60, NULL, 0);
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_last_q, 1);
	nt_tx_cut(c, 0, &(struct virtio_net_hdr_v1){}, 60, NULL, 0);
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_last_q, 0);

	KUNIT_EXPECT_EQ(test, nt_pairs_set(c, 1), VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, nt_rx_lands(c, 1), 0);
	KUNIT_EXPECT_EQ(test, nt_rx_lands(c, 2), 0);
}

static void net_ctrl_mq_not_negotiated(struct kunit *test)
{
	struct nt *c = nt_alloc(test, 2, 2, 0);
	u16 q;

	nt_create(c);
	nt_start(c, NT_F_BASE | NF(CTRL_VQ) | NF(CTRL_RX));
	/* The driver sees one pair: the control queue is queue 2. */
	KUNIT_EXPECT_EQ(test, nt_ctrlq(c), 2);
	KUNIT_EXPECT_EQ(test, nt_pairs_set(c, 2), VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, kvirtio_net_active_pairs(c->t.vdev), 1);
	KUNIT_EXPECT_EQ(test, nt_ctrl_u8(c, VIRTIO_NET_CTRL_RX,
					 VIRTIO_NET_CTRL_RX_PROMISC, 0),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_FALSE(test, nt_rx_passes(c, nt_other));
	/*
	 * Queues 3 and 4 are not part of this layout: chains there are
	 * never work (a pass that claimed them would spin the worker).
	 */
	for (q = 3; q <= 4; q++) {
		struct kvirtio_budget bud = { .requests = 64, .bytes = 1 << 20 };
		struct kvirtio_queue *vq = &c->t.vdev->queues[q];
		struct kvirtio_test_buf b = { kvtn_alloc(&c->t, 128), 128,
					      q == 4 };

		nt_build(nt_ptr(c, b.addr, 128), &(struct virtio_net_hdr_v1){},
			 nt_bcast, 100);
		kvtn_post(&c->t, q, &b, 1);
		KUNIT_EXPECT_EQ(test, c->t.vdev->ops->process_queue(c->t.vdev,
								    q, &bud),
				0);
		KUNIT_EXPECT_FALSE(test, kvirtio_queue_has_avail(vq));
		KUNIT_EXPECT_FALSE(test, kvirtio_queue_enable_notify(vq));
	}
	KUNIT_EXPECT_EQ(test, c->t.tb.tx_count, 0U);
	KUNIT_EXPECT_FALSE(test, kvtn_status(&c->t) & S_NEEDS_RESET);
}

static u8 nt_offloads_set(struct nt *c, u64 off)
{
	__le64 le = cpu_to_le64(off);

	return nt_ctrl(c, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
		       VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &le, 8);
}

static void net_ctrl_guest_offloads(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_BASE | NT_F_GUEST | NT_F_CTRL);
	struct virtio_net_hdr_v1 h = nt_hdr(NT_CS, NT_TSO4, 54, 1448, 34, 16);
	struct kvirtio_net_stats s;
	__le64 le = 0;
	u16 head;

	KUNIT_EXPECT_EQ(test, c->t.tb.offloads, NT_F_GUEST);
	KUNIT_EXPECT_EQ(test, nt_offloads_set(c, NF(GUEST_CSUM)),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, c->t.tb.offloads, NF(GUEST_CSUM));
	/* TSO4 is off now: a TSO frame is dropped. */
	head = nt_rx_post(c, 0, 4096, NULL);
	nt_rx_push(c, 0, &h, nt_mac, 3000);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, s.rx_bad_hdr, 1ULL);
	nt_expect_no_used(c, nt_rxq(0));

	/* Refused: not negotiated, TSO without CSUM, ECN without TSO. */
	KUNIT_EXPECT_EQ(test, nt_offloads_set(c, NF(GUEST_UFO)),
			VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, nt_offloads_set(c, NF(GUEST_CSUM) | NF(MQ)),
			VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, nt_offloads_set(c, NF(GUEST_TSO4)),
			VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, nt_offloads_set(c, NF(GUEST_TSO6)),
			VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, nt_offloads_set(c, NF(GUEST_CSUM) |
					      NF(GUEST_ECN)), VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
				      VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &le,
				      4), VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_GUEST_OFFLOADS, 1,
				      &le, 8), VIRTIO_NET_ERR);
	/* The backend refuses: the command fails, nothing changes. */
	c->t.tb.set_offloads_ret = -EINVAL;
	KUNIT_EXPECT_EQ(test, nt_offloads_set(c, NT_F_GUEST), VIRTIO_NET_ERR);
	c->t.tb.set_offloads_ret = 0;
	KUNIT_EXPECT_EQ(test, c->t.tb.offloads, NF(GUEST_CSUM));
	nt_rx_push(c, 0, &h, nt_mac, 3000);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_expect_no_used(c, nt_rxq(0));

	/* Everything negotiated again: the TSO frame is received. */
	KUNIT_EXPECT_EQ(test, nt_offloads_set(c, NT_F_GUEST), VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, c->t.tb.offloads, NT_F_GUEST);
	nt_rx_push(c, 0, &h, nt_mac, 3000);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_expect_used(c, nt_rxq(0), head, NT_HDR + 3000);
	/* And off altogether: a checksum offload is dropped. */
	KUNIT_EXPECT_EQ(test, nt_offloads_set(c, 0), VIRTIO_NET_OK);
	nt_rx_post(c, 0, 4096, NULL);
	h = nt_hdr(NT_CS, 0, 0, 0, 34, 16);
	nt_rx_push(c, 0, &h, nt_mac, 100);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	nt_expect_no_used(c, nt_rxq(0));

	/* Not negotiated at all. */
	nt_exit(test);
	c = nt_up(test, NT_F_BASE | NT_F_GUEST | NF(CTRL_VQ));
	KUNIT_EXPECT_EQ(test, nt_offloads_set(c, NF(GUEST_CSUM)),
			VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, c->t.tb.offloads, NT_F_GUEST);
}

/* Unknown classes, and acks missing or too long. */
static void net_ctrl_unknown_and_acks(struct kunit *test)
{
	struct nt *c = nt_up(test, NT_F_BASE | NT_F_CTRL);
	struct kvirtio_net_stats s;
	struct kvirtio_test_buf b[2];
	u8 zero[8] = { 0 }, cls;
	u64 ack;
	u16 head;

	/* VLAN, ANNOUNCE, NOTF_COAL, STATS and made-up classes. */
	for (cls = 2; cls <= 8; cls++)
		if (cls != VIRTIO_NET_CTRL_MQ)
			KUNIT_EXPECT_EQ(test, nt_ctrl(c, cls, 0, zero, 2),
					VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, 0xff, 0xff, zero, 8), VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MQ, 0xff, zero, 2),
			VIRTIO_NET_ERR);

	/* No ack buffer: nothing written, used length 0, not executed. */
	KUNIT_EXPECT_EQ(test, nt_ctrl_ack(c, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_PROMISC, zero, 1, 0),
			NT_ACK_FILL);
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_other));
	/* An ack of two bytes: ERR in the first, used length 1, not done. */
	KUNIT_EXPECT_EQ(test, nt_ctrl_ack(c, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_PROMISC, zero, 1, 2),
			VIRTIO_NET_ERR);
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_other));
	/* A header of one byte. */
	ack = kvtn_alloc(&c->t, 1);
	b[0] = (struct kvirtio_test_buf){ kvtn_alloc(&c->t, 1), 1, false };
	b[1] = (struct kvirtio_test_buf){ ack, 1, true };
	*nt_ptr(c, b[0].addr, 1) = VIRTIO_NET_CTRL_RX;
	head = kvtn_post(&c->t, nt_ctrlq(c), b, 2);
	KUNIT_EXPECT_EQ(test, kvtn_service(&c->t, nt_ctrlq(c), 64, 1 << 30), 0);
	nt_expect_used(c, nt_ctrlq(c), head, 1);
	KUNIT_EXPECT_EQ(test, *nt_ptr(c, ack, 1), VIRTIO_NET_ERR);
	nt_stats(c, &s);
	KUNIT_EXPECT_EQ(test, s.ctrl_ok, 0ULL);
	KUNIT_EXPECT_EQ(test, s.ctrl_err, 6ULL + 1 + 1 + 2 + 1);
	KUNIT_EXPECT_FALSE(test, kvtn_status(&c->t) & S_NEEDS_RESET);
}

/* ==== Reset ============================================================= */

static void net_reset_restores(struct kunit *test)
{
	static const u8 newmac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	const u64 f = NT_F_ALL | NF(MQ);
	struct nt *c = nt_alloc(test, 2, 2, NT_BE_OFFLOADS);
	struct virtio_net_hdr_v1 h = nt_hdr(NT_CS, NT_TSO4, 54, 1448, 34, 16);
	unsigned int irqs, kicks;
	u8 mac[8], tab[32];
	u32 len;
	u16 q;

	nt_create(c);
	nt_start(c, f);
	KUNIT_EXPECT_TRUE(test, c->t.tb.watching[0] && c->t.tb.watching[1]);
	KUNIT_ASSERT_EQ(test, nt_ctrl_u8(c, VIRTIO_NET_CTRL_RX,
					 VIRTIO_NET_CTRL_RX_PROMISC, 0),
			VIRTIO_NET_OK);
	KUNIT_ASSERT_EQ(test, nt_ctrl_u8(c, VIRTIO_NET_CTRL_RX,
					 VIRTIO_NET_CTRL_RX_ALLMULTI, 1),
			VIRTIO_NET_OK);
	len = nt_mac_table(tab, 1, nt_other, 0, nt_mcast);
	KUNIT_ASSERT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_TABLE_SET, tab, len),
			VIRTIO_NET_OK);
	KUNIT_ASSERT_EQ(test, nt_ctrl(c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_ADDR_SET, newmac, 6),
			VIRTIO_NET_OK);
	KUNIT_ASSERT_EQ(test, nt_offloads_set(c, NF(GUEST_CSUM)),
			VIRTIO_NET_OK);
	KUNIT_ASSERT_EQ(test, nt_pairs_set(c, 2), VIRTIO_NET_OK);

	irqs = c->t.msix_total;
	kvtn_reset(&c->t);
	KUNIT_EXPECT_EQ(test, kvtn_status(&c->t), 0);
	/* The backend stopped being watched and carries no offload. */
	for (q = 0; q < 2; q++)
		KUNIT_EXPECT_FALSE(test, c->t.tb.watching[q]);
	KUNIT_EXPECT_EQ(test, c->t.tb.offloads, 0ULL);
	KUNIT_EXPECT_EQ(test, kvirtio_net_active_pairs(c->t.vdev), 1);
	KUNIT_ASSERT_EQ(test, kvtn_config_read(&c->t, 0, mac, 4), 0);
	KUNIT_ASSERT_EQ(test, kvtn_config_read(&c->t, 4, mac + 4, 2), 0);
	KUNIT_EXPECT_EQ(test, memcmp(mac, nt_mac, 6), 0);
	/* Nothing signals a device being reset. */
	kicks = c->t.kicks[0] + c->t.kicks[2];
	nt_rx_push_plain(c, 0, nt_mac, 60);
	nt_rx_push_plain(c, 1, nt_mac, 60);
	KUNIT_EXPECT_EQ(test, c->t.kicks[0] + c->t.kicks[2], kicks);
	kvirtio_net_set_link(c->t.vdev, false);
	kvirtio_net_set_link(c->t.vdev, true);
	KUNIT_EXPECT_EQ(test, c->t.msix_total, irqs);
	kvtn_be_clear(&c->t.tb);

	/* Up again: the initial filter, offloads and pairs. */
	memset(c->t.rings, 0, sizeof(c->t.rings));
	nt_start(c, f);
	KUNIT_EXPECT_TRUE(test, c->t.tb.watching[0] && c->t.tb.watching[1]);
	KUNIT_EXPECT_EQ(test, c->t.tb.offloads, NT_F_GUEST);
	KUNIT_EXPECT_EQ(test, kvirtio_net_active_pairs(c->t.vdev), 1);
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_mcast2));
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, newmac));
	/* The old table is gone: with the filter on, only our address. */
	KUNIT_ASSERT_EQ(test, nt_ctrl_u8(c, VIRTIO_NET_CTRL_RX,
					 VIRTIO_NET_CTRL_RX_PROMISC, 0),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_FALSE(test, nt_rx_passes(c, nt_other));
	KUNIT_EXPECT_FALSE(test, nt_rx_passes(c, newmac));
	KUNIT_EXPECT_FALSE(test, nt_rx_passes(c, nt_mcast));
	KUNIT_EXPECT_TRUE(test, nt_rx_passes(c, nt_mac));
	/* Packet queue 1 is served by pair 0 again. */
	nt_rx_post(c, 0, 256, NULL);
	nt_rx_push_plain(c, 1, nt_mac, 60);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	KUNIT_EXPECT_EQ(test, kvtn_be_waiting(&c->t.tb, 1), 0U);
	/* The TSO offload is back. */
	nt_rx_post(c, 0, 4096, NULL);
	nt_rx_push(c, 0, &h, nt_mac, 3000);
	KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
	KUNIT_EXPECT_EQ(test, kvtn_be_waiting(&c->t.tb, 0), 0U);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(nt_ring(c, 0)), 5);
}

/* A failing backend at DRIVER_OK: the device asks for a reset. */
static void net_driver_ok_backend_fails(struct kunit *test)
{
	struct nt *c = nt_alloc(test, 1, 1, NT_BE_OFFLOADS);

	nt_create(c);
	c->t.tb.set_offloads_ret = -EIO;
	KUNIT_EXPECT_EQ(test, kvtn_start(&c->t, NT_F_ALL, NT_QSIZE), 0);
	KUNIT_EXPECT_TRUE(test, kvtn_status(&c->t) & S_NEEDS_RESET);
	c->t.tb.set_offloads_ret = 0;
}

/* ==== Hostile rings ===================================================== */

enum nt_hostile_kind {
	NT_AVAIL_JUMP,
	NT_HEAD_RANGE,
	NT_DESC_LOOP,
	NT_DESC_NOT_RAM,
	NT_CHAIN_TOO_LONG,
};

struct nt_hostile_case {
	const char *name;
	u16 qid;		/* 0: rx, 1: tx, 2: ctrl */
	enum nt_hostile_kind kind;
};

static const struct nt_hostile_case nt_hostile_cases[] = {
	{ "rx_avail_idx_jump", 0, NT_AVAIL_JUMP },
	{ "tx_avail_idx_jump", 1, NT_AVAIL_JUMP },
	{ "ctrl_avail_idx_jump", 2, NT_AVAIL_JUMP },
	{ "rx_head_out_of_range", 0, NT_HEAD_RANGE },
	{ "tx_desc_loop", 1, NT_DESC_LOOP },
	{ "ctrl_desc_loop", 2, NT_DESC_LOOP },
	{ "rx_desc_not_ram", 0, NT_DESC_NOT_RAM },
	{ "tx_desc_not_ram", 1, NT_DESC_NOT_RAM },
	{ "tx_chain_too_long", 1, NT_CHAIN_TOO_LONG },
	{ "rx_chain_too_long", 0, NT_CHAIN_TOO_LONG },
};

static void nt_hostile_desc(const struct nt_hostile_case *p, char *desc)
{
	strscpy(desc, p->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(nt_hostile, nt_hostile_cases, nt_hostile_desc);

/* A ring violation breaks that queue only and sets NEEDS_RESET. */
static void net_hostile_ring(struct kunit *test)
{
	const struct nt_hostile_case *p = test->param_value;
	struct nt *c = nt_up(test, NT_F_ALL);
	struct kvirtio_test_ring *r = nt_ring(c, p->qid);
	struct kvirtio_test_buf b[KVIRTIO_NET_MAX_CHAIN + 1];
	bool writable = p->qid == 0;
	u64 gpa = kvtn_alloc(&c->t, 256);
	u16 i, head;

	nt_build(nt_ptr(c, gpa, 256), &(struct virtio_net_hdr_v1){}, nt_bcast,
		 100);
	if (p->qid == 0)
		nt_rx_push_plain(c, 0, nt_mac, 60);
	switch (p->kind) {
	case NT_AVAIL_JUMP:
		kvirtio_test_avail_set_idx(r, NT_QSIZE + 1);
		break;
	case NT_HEAD_RANGE:
		kvirtio_test_avail_add(r, NT_QSIZE);
		kvirtio_test_avail_publish(r);
		break;
	case NT_DESC_LOOP:
		kvirtio_test_set_desc(r, 0, gpa, 2, VRING_DESC_F_NEXT, 1);
		kvirtio_test_set_desc(r, 1, gpa + 2, 64, VRING_DESC_F_NEXT, 0);
		kvirtio_test_avail_add(r, 0);
		kvirtio_test_avail_publish(r);
		break;
	case NT_DESC_NOT_RAM:
		b[0] = (struct kvirtio_test_buf){ KVTN_MEM_BASE + KVTN_MEM_SIZE -
						  8, 64, writable };
		kvtn_post(&c->t, p->qid, b, 1);
		break;
	case NT_CHAIN_TOO_LONG:
		for (i = 0; i < ARRAY_SIZE(b); i++)
			b[i] = (struct kvirtio_test_buf){ gpa, 16, writable };
		kvtn_post(&c->t, p->qid, b, ARRAY_SIZE(b));
		break;
	}
	KUNIT_EXPECT_LT(test, kvtn_service(&c->t, p->qid, 64, 1 << 30), 0);
	KUNIT_EXPECT_TRUE(test, kvtn_queue_broken(&c->t, p->qid));
	KUNIT_EXPECT_TRUE(test, kvtn_status(&c->t) & S_NEEDS_RESET);
	KUNIT_EXPECT_EQ(test, c->t.msix[0], 1U);
	/* Again: still broken, no second config interrupt. */
	KUNIT_EXPECT_LE(test, kvtn_service(&c->t, p->qid, 64, 1 << 30), 0);
	KUNIT_EXPECT_EQ(test, c->t.msix[0], 1U);

	/* The other queues go on. */
	if (p->qid != 1) {
		struct virtio_net_hdr_v1 h = nt_hdr(0, 0, 0, 0, 0, 0);

		nt_tx(c, &h, 60);
		KUNIT_EXPECT_EQ(test, c->t.tb.tx_count, 1U);
	}
	if (p->qid != 0) {
		head = nt_rx_post(c, 0, 256, NULL);
		nt_rx_push_plain(c, 0, nt_mac, 60);
		KUNIT_EXPECT_EQ(test, nt_rx_run(c, 0), 0);
		nt_expect_used(c, nt_rxq(0), head, NT_HDR + 60);
	}
	if (p->qid != 2)
		KUNIT_EXPECT_EQ(test, nt_ctrl_u8(c, VIRTIO_NET_CTRL_RX,
						 VIRTIO_NET_CTRL_RX_PROMISC, 0),
				VIRTIO_NET_OK);
}

static struct kunit_case net_test_cases[] = {
	KUNIT_CASE(net_features_offer),
	KUNIT_CASE(net_features_through_transport),
	KUNIT_CASE(net_create_rejects),
	KUNIT_CASE_PARAM(net_validate_features, nt_deps_gen_params),
	KUNIT_CASE(net_config_fields),
	KUNIT_CASE(net_config_every_offset),
	KUNIT_CASE(net_link_change),
	KUNIT_CASE(net_tx_good_split),
	KUNIT_CASE(net_tx_offload_limits),
	KUNIT_CASE_PARAM(net_tx_bad_header, nt_txh_gen_params),
	KUNIT_CASE(net_tx_bad_lengths),
	KUNIT_CASE(net_tx_backend_refuses),
	KUNIT_CASE(net_tx_budget),
	KUNIT_CASE(net_no_overdraw),
	KUNIT_CASE(net_rx_one_buffer),
	KUNIT_CASE(net_rx_mergeable),
	KUNIT_CASE(net_rx_short_buffer_no_mrg),
	KUNIT_CASE(net_rx_waits_for_more),
	KUNIT_CASE(net_rx_waits_for_backend),
	KUNIT_CASE(net_rx_bad_buffers),
	KUNIT_CASE(net_rx_offload_not_accepted),
	KUNIT_CASE(net_rx_csum_not_accepted),
	KUNIT_CASE(net_rx_mtu),
	KUNIT_CASE(net_rx_mtu_not_negotiated),
	KUNIT_CASE(net_rx_mac_filter),
	KUNIT_CASE(net_rx_no_filter_without_ctrl_rx),
	KUNIT_CASE(net_rx_too_many_buffers),
	KUNIT_CASE(net_rx_long_chains),
	KUNIT_CASE(net_rx_budget),
	KUNIT_CASE(net_rx_bad_lengths),
	KUNIT_CASE(net_rx_backend_error),
	KUNIT_CASE(net_ctrl_rx_mode),
	KUNIT_CASE(net_ctrl_mac_table),
	KUNIT_CASE(net_ctrl_mac_table_huge),
	KUNIT_CASE(net_ctrl_mac_addr),
	KUNIT_CASE(net_ctrl_mq),
	KUNIT_CASE(net_ctrl_mq_not_negotiated),
	KUNIT_CASE(net_ctrl_guest_offloads),
	KUNIT_CASE(net_ctrl_unknown_and_acks),
	KUNIT_CASE(net_reset_restores),
	KUNIT_CASE(net_driver_ok_backend_fails),
	KUNIT_CASE_PARAM(net_hostile_ring, nt_hostile_gen_params),
	{}
};

static struct kunit_suite net_test_suite = {
	.name = "kvirtio_net",
	.init = nt_init,
	.exit = nt_exit,
	.test_cases = net_test_cases,
};

kunit_test_suite(net_test_suite);
