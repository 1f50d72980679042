// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the fuzzer plays a hostile guest and a hostile
 * network against the virtio-net device (devices/net.c) over the
 * recording backend double of kunit/kvirtio_test_netbe.c.
 *
 * Input: a 4-byte header (queue pairs, queue size, device options, the
 * features the driver accepts), then an op stream: post receive buffers,
 * transmit chains (a header of chosen flags, GSO type and sizes, cut into
 * descriptors anywhere) and control commands (any class and command,
 * payloads of chosen lengths, MAC tables with chosen counts, acks of 0-2
 * bytes); let frames arrive from the network (chosen header, destination
 * and length, or a length the backend lies about); run queues with chosen
 * budgets; poke raw guest bytes (rings included); change the link; make
 * the backend fail; reset the device and bring it up again.
 *
 * It aborts (libFuzzer reports a crash) when:
 *  - the backend sees a frame or buffer outside guest RAM, lengths that
 *    do not add up, or receive buffers smaller than the frame announced
 *    (kvtn_be.violations);
 *  - a transmitted frame breaks a header rule for the negotiated
 *    features (checked here independently of net.c), or a length limit;
 *  - process_queue returns more than 1, counters disagree with what the
 *    backend saw, or after a reset the backend is still watched;
 *  - at the end a ring map is left (live_maps).
 * Also built without libFuzzer (tools/tests/corpus_replay.c).
 */
#include "compat.h"
#include "virtqueue.h"
#include "virtio_dev.h"
#include "devices/net.h"
#include "kvirtio_test_mem.h"
#include "kvirtio_test_netbe.h"

#include <linux/virtio_net.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FN_BASE		0x40000ULL
#define FN_RAM		0x40000ULL
#define FN_RINGS	0x6000ULL	/* ring area at the start of RAM */
#define FN_PAIRS	2		/* 5 queues: the memory double's maps */
#define FN_QUEUES	(2 * FN_PAIRS + 1)
#define FN_OPS		384
#define FN_HDR		KVIRTIO_NET_HDR_LEN

#define fn_assert(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz_net: %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

static const u8 fn_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
/* Destinations: ours, broadcast, multicast, another unicast. */
static const u8 fn_dsts[4][6] = {
	{ 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 },
	{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 },
	{ 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc },
};

struct fn {
	const u8 *p;
	size_t left;
	struct kvtn_be tb;
	struct kvirtio_test_mem tm;
	struct kvirtio_test_ring r[FN_QUEUES];
	u16 next_desc[FN_QUEUES];
	struct kvirtio_device *vdev;
	u16 pairs;
	u16 qsize;
	u64 features;
	bool up;
	u8 frame[FN_HDR + 16384];
};

static u8 fn_u8(struct fn *z)
{
	if (!z->left)
		return 0;
	z->left--;
	return *z->p++;
}

static u16 fn_u16(struct fn *z)
{
	u16 lo = fn_u8(z);

	return lo | (u16)fn_u8(z) << 8;
}

static u32 fn_u32(struct fn *z)
{
	u32 lo = fn_u16(z);

	return lo | (u32)fn_u16(z) << 16;
}

static bool fn_has(const struct fn *z, unsigned int bit)
{
	return z->features & BIT_ULL(bit);
}

/*
 * The transmit rules of virtio 1.2, 5.1.6.2, written again from the
 * specification: what the device hands the backend must pass them.
 */
static void fn_on_xmit(struct kvtn_be *tb, u16 q, const u8 *frame, u32 len)
{
	struct fn *z = tb->priv;
	struct virtio_net_hdr_v1 h;
	u32 plen = len - FN_HDR;
	u8 gso;

	fn_assert(q < z->pairs);
	fn_assert(len >= FN_HDR + 14 && len <= FN_HDR + KVIRTIO_NET_FRAME_MAX);
	memcpy(&h, frame, sizeof(h));
	gso = h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	fn_assert(!(h.flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM));
	if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		fn_assert(fn_has(z, VIRTIO_NET_F_CSUM));
		fn_assert((u32)le16_to_cpu(h.csum_start) +
			  le16_to_cpu(h.csum_offset) + 2 <= plen);
	}
	if (h.gso_type & VIRTIO_NET_HDR_GSO_ECN)
		fn_assert(fn_has(z, VIRTIO_NET_F_HOST_ECN) &&
			  gso != VIRTIO_NET_HDR_GSO_NONE);
	if (gso == VIRTIO_NET_HDR_GSO_NONE)
		return;
	fn_assert(gso == VIRTIO_NET_HDR_GSO_TCPV4 ||
		  gso == VIRTIO_NET_HDR_GSO_TCPV6);
	fn_assert(fn_has(z, gso == VIRTIO_NET_HDR_GSO_TCPV4 ?
			 VIRTIO_NET_F_HOST_TSO4 : VIRTIO_NET_F_HOST_TSO6));
	fn_assert(h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
	fn_assert(h.gso_size);
	fn_assert(le16_to_cpu(h.hdr_len) <= plen);
}

static u32 fn_irqs;

static void fn_irq(struct kvirtio_device *vdev, u16 qid)
{
	fn_irqs++;
}

static void fn_cfg_irq(struct kvirtio_device *vdev)
{
	fn_irqs++;
}

static void fn_kick(struct kvirtio_device *vdev, u16 qid)
{
	fn_assert(qid < vdev->num_queues);
}

static const struct kvirtio_transport_ops fn_transport = {
	.queue_interrupt = fn_irq,
	.config_interrupt = fn_cfg_irq,
	.needs_reset = fn_cfg_irq,
};

static const struct kvirtio_host_ops fn_host = {
	.kick = fn_kick,
};

/* Rings, DRIVER_OK: what the transport does when the driver sets up. */
static bool fn_bring_up(struct fn *z)
{
	struct kvirtio_queue_config cfg;
	u64 gpa = FN_BASE;
	u16 q;

	z->vdev->driver_features = z->features;
	for (q = 0; q < z->vdev->num_queues; q++) {
		gpa = kvirtio_test_ring_place(&z->r[q], &z->tm, z->qsize, gpa);
		kvirtio_test_ring_config(&z->r[q], &cfg, z->features,
					 z->vdev->max_chain);
		z->next_desc[q] = 0;
		if (kvirtio_queue_setup(&z->vdev->queues[q], &z->tm.mem, &cfg) ||
		    z->vdev->ops->queue_enable(z->vdev, q))
			return false;
	}
	fn_assert(gpa <= FN_BASE + FN_RINGS);
	z->vdev->ops->driver_ok(z->vdev);
	z->up = true;
	return true;
}

static void fn_reset(struct fn *z)
{
	u16 q;

	z->vdev->ops->reset(z->vdev);
	for (q = 0; q < z->vdev->num_queues; q++)
		kvirtio_queue_teardown(&z->vdev->queues[q]);
	for (q = 0; q < z->tb.be.num_queues; q++)
		fn_assert(!z->tb.watching[q]);
	z->up = false;
}

/* A buffer length: the sizes a driver uses, and edges around them. */
static u32 fn_len(struct fn *z)
{
	u8 m = fn_u8(z);

	switch (m & 7) {
	case 0:
		return FN_HDR;
	case 1:
		return FN_HDR - 1 + (fn_u8(z) & 3);
	case 2:
		return 1514 + FN_HDR;
	case 3:
		return 64 * (1 + (fn_u8(z) & 31));
	case 4:
		return 0;
	case 5:
		return fn_u16(z) % 0x4000;
	case 6:
		return 1 + (fn_u8(z) & 63);
	default:
		return 4096;
	}
}

static u64 fn_addr(struct fn *z, u32 len)
{
	u64 span = FN_RAM - FN_RINGS;
	u64 off = (fn_u16(z) * 16ULL) % span;

	if (len > span)
		return FN_BASE + FN_RINGS;
	if (off + len > span)
		off = span - len;
	return FN_BASE + FN_RINGS + off;
}

/* Make a chain of @n buffers available on @qid, directly or indirectly. */
static void fn_publish(struct fn *z, u16 qid, struct kvirtio_test_buf *b,
		       u16 n, bool indirect)
{
	struct kvirtio_test_ring *r = &z->r[qid];
	u16 head = z->next_desc[qid] & (z->qsize - 1);

	if (indirect && fn_has(z, VIRTIO_RING_F_INDIRECT_DESC)) {
		u64 table = fn_addr(z, 16 * n);

		kvirtio_test_write_table(&z->tm, table, b, n);
		kvirtio_test_set_desc(r, head, table, 16 * n,
				      VRING_DESC_F_INDIRECT, 0);
		z->next_desc[qid]++;
	} else {
		kvirtio_test_add_chain(r, head, b, n);
		z->next_desc[qid] += n;
	}
	kvirtio_test_avail_add(r, head);
	kvirtio_test_avail_publish(r);
}

static void fn_post_rx(struct fn *z)
{
	struct kvirtio_test_buf b[8];
	u8 m = fn_u8(z);
	u16 n = 1 + (m & 3), i;

	if (m & 0x80)
		n = 1 + (fn_u8(z) & 7);
	for (i = 0; i < n; i++) {
		b[i].len = fn_len(z);
		b[i].addr = fn_addr(z, b[i].len);
		/* Now and then a readable one: a bad receive buffer. */
		b[i].writable = !((m & 0x70) == 0x70 && i == 0);
	}
	fn_publish(z, 2 * ((m >> 2) % z->pairs), b, n, m & 0x08);
}

/* A transmit header mostly near the rules, sometimes anything. */
static void fn_tx_hdr(struct fn *z, struct virtio_net_hdr_v1 *h, u32 plen)
{
	static const u8 gsos[] = { 0, 1, 4, 3, 5, 0x81, 0x84, 0x80, 0x22 };
	u8 m = fn_u8(z);

	memset(h, 0, sizeof(*h));
	if ((m & 7) == 7) {
		u8 *raw = (u8 *)h;
		u16 i;

		for (i = 0; i < sizeof(*h); i++)
			raw[i] = fn_u8(z);
		return;
	}
	h->flags = m & 8 ? VIRTIO_NET_HDR_F_NEEDS_CSUM : 0;
	if (m & 0x40)
		h->flags |= fn_u8(z) & 7;
	h->gso_type = gsos[(m & 7) % ARRAY_SIZE(gsos)];
	if (m & 0x10)
		h->gso_type = gsos[fn_u8(z) % ARRAY_SIZE(gsos)];
	h->csum_start = cpu_to_le16(m & 0x20 ? fn_u16(z) : 34);
	h->csum_offset = cpu_to_le16(m & 0x80 ? plen - 34 - (fn_u8(z) & 3) :
				     16);
	h->hdr_len = cpu_to_le16(m & 0x20 ? fn_u16(z) : 54);
	h->gso_size = cpu_to_le16(m & 0x40 ? fn_u16(z) : 1448);
}

static void fn_post_tx(struct fn *z)
{
	struct kvirtio_test_buf b[8];
	struct virtio_net_hdr_v1 h;
	u8 m = fn_u8(z);
	u32 len, off = 0, plen;
	u16 n = 1 + (m & 7), i;
	u64 gpa;
	u8 *p;

	switch ((m >> 3) & 3) {
	case 0:
		len = FN_HDR + 14 + fn_u8(z);
		break;
	case 1:
		len = FN_HDR + 1514;
		break;
	case 2:
		len = fn_u32(z) % (FN_HDR + KVIRTIO_NET_FRAME_MAX + 4);
		break;
	default:
		len = FN_HDR + KVIRTIO_NET_FRAME_MAX + (fn_u8(z) & 1);
		break;
	}
	if (len < n)
		len = n;
	gpa = fn_addr(z, len);
	if (len > FN_RAM - FN_RINGS)
		len = FN_RAM - FN_RINGS;
	plen = len > FN_HDR ? len - FN_HDR : 0;
	fn_tx_hdr(z, &h, plen);
	p = kvirtio_test_mem_ptr(&z->tm, gpa, len);
	memcpy(p, &h, min_t(u32, len, sizeof(h)));
	for (i = 0; i < n; i++) {
		u32 cut = i + 1 < n ? fn_u16(z) % (len - off + 1) : len - off;

		b[i].addr = gpa + off;
		b[i].len = cut;
		/* Now and then a writable one: a bad transmit chain. */
		b[i].writable = (m & 0xe0) == 0xe0 && i == n - 1;
		off += cut;
	}
	fn_publish(z, 2 * ((m >> 5) % z->pairs) + 1, b, n, m & 0x80 &&
		   !(m & 0x40));
}

/* The payload length each command expects (@def for the others). */
static u32 fn_ctrl_len(u8 cls, u8 cmd, u32 def)
{
	switch (cls) {
	case VIRTIO_NET_CTRL_RX:
		return 1;
	case VIRTIO_NET_CTRL_MAC:
		return cmd == VIRTIO_NET_CTRL_MAC_ADDR_SET ? 6 : def;
	case VIRTIO_NET_CTRL_MQ:
		return 2;
	case VIRTIO_NET_CTRL_GUEST_OFFLOADS:
		return 8;
	default:
		return def;
	}
}

/* Its payload, with values near the command's rules. */
static void fn_ctrl_payload(struct fn *z, u8 cls, u8 cmd, u8 *p)
{
	static const u8 bits[] = { VIRTIO_NET_F_GUEST_CSUM,
				   VIRTIO_NET_F_GUEST_TSO4,
				   VIRTIO_NET_F_GUEST_TSO6,
				   VIRTIO_NET_F_GUEST_ECN,
				   VIRTIO_NET_F_GUEST_UFO, VIRTIO_NET_F_MQ };
	u8 v = fn_u8(z);
	__le64 off = 0;
	u16 i;

	switch (cls) {
	case VIRTIO_NET_CTRL_RX:
		p[0] = v % 3;
		break;
	case VIRTIO_NET_CTRL_MAC:
		if (cmd != VIRTIO_NET_CTRL_MAC_ADDR_SET)
			break;
		memcpy(p, fn_dsts[v & 3], 6);
		p[5] ^= v >> 2;
		break;
	case VIRTIO_NET_CTRL_MQ:
		p[0] = v % 4;
		p[1] = v >> 7;
		break;
	case VIRTIO_NET_CTRL_GUEST_OFFLOADS:
		for (i = 0; i < ARRAY_SIZE(bits); i++)
			if (v & BIT(i))
				off |= cpu_to_le64(BIT_ULL(bits[i]));
		memcpy(p, &off, 8);
		break;
	}
}

static void fn_post_ctrl(struct fn *z)
{
	struct kvirtio_test_buf b[4];
	u8 m = fn_u8(z), cls, cmd, *p;
	bool table, exact;
	u32 len, i;
	u64 gpa;
	u16 n = 0;

	if (z->vdev->num_queues <= 2 * z->pairs)
		return;
	cls = m & 0x80 ? fn_u8(z) : m & 7;
	cmd = m & 0x40 ? fn_u8(z) : (m >> 3) & 3;
	len = (m & 0x30) == 0x30 ? fn_u16(z) % 1024 :
	      ((u32[]){ 1, 2, 8, 0 })[(m >> 4) & 3];
	table = cls == VIRTIO_NET_CTRL_MAC &&
		cmd == VIRTIO_NET_CTRL_MAC_TABLE_SET;
	exact = !table && (m & 0x30) != 0x30 && (m & 0x20);
	if (table)
		len = 8 + 6 * (fn_u8(z) % 80) + (fn_u8(z) & 1);
	else if (exact)
		len = fn_ctrl_len(cls, cmd, len);
	gpa = fn_addr(z, 2 + len + 2);
	p = kvirtio_test_mem_ptr(&z->tm, gpa, 2 + len + 2);
	p[0] = cls;
	p[1] = cmd;
	for (i = 0; i < len; i++)
		p[2 + i] = fn_u8(z);
	if (table) {
		/* Counts that mostly fit the payload, and some that do not. */
		u32 nu = fn_u8(z) % 80, nm;
		__le32 le = cpu_to_le32(nu);

		memcpy(p + 2, &le, 4);
		/* Entries the arriving frames are sent to, mostly. */
		for (i = 0; 4 + 6 * (i + 1) <= len; i++)
			memcpy(p + 6 + 6 * i, fn_dsts[fn_u8(z) & 3], 6);
		if (4 + 6 * nu + 4 <= len) {
			nm = (len - 8 - 6 * nu) / 6 + (fn_u8(z) & 1);
			le = cpu_to_le32(nm);
			memcpy(p + 2 + 4 + 6 * nu, &le, 4);
		}
	} else if (exact) {
		fn_ctrl_payload(z, cls, cmd, p + 2);
	}
	b[n++] = (struct kvirtio_test_buf){ gpa, 2 + len, false };
	if (m & 8 && len > 1) {
		/* The same bytes cut in two. */
		b[0].len = 1 + fn_u8(z) % (1 + len);
		b[n++] = (struct kvirtio_test_buf){ gpa + b[0].len,
						    2 + len - b[0].len, false };
	}
	i = fn_u8(z) % 5;
	if (i)
		b[n++] = (struct kvirtio_test_buf){ gpa + 2 + len,
						    i < 3 ? 1 : i - 2, true };
	fn_publish(z, 2 * z->pairs, b, n, false);
}

/* A frame arrives on a packet queue. */
static void fn_arrive(struct fn *z)
{
	static const u8 gsos[] = { 0, 0, 1, 4, 0x81, 3, 5 };
	struct virtio_net_hdr_v1 h = { 0 };
	u8 m = fn_u8(z);
	u16 q = m % z->tb.be.num_queues;
	u32 len, i;

	switch ((m >> 3) & 3) {
	case 0:
		len = FN_HDR + 60;
		break;
	case 1:
		len = FN_HDR + 1514;
		break;
	case 2:
		len = fn_u16(z) % sizeof(z->frame);
		break;
	default:
		len = FN_HDR + 9000 + fn_u8(z);
		break;
	}
	if (!len)
		len = 1;
	h.flags = fn_u8(z) & 3;
	h.gso_type = gsos[fn_u8(z) % ARRAY_SIZE(gsos)];
	h.num_buffers = cpu_to_le16(fn_u16(z));
	memcpy(z->frame, &h, sizeof(h));
	for (i = FN_HDR; i < len; i++)
		z->frame[i] = (u8)i;
	if (len >= FN_HDR + 6)
		memcpy(z->frame + FN_HDR, fn_dsts[(m >> 5) & 3], 6);
	if (kvtn_be_push(&z->tb, q, z->frame, len))
		return;
	/* The backend lies about the length now and then. */
	if ((m & 0xc0) == 0xc0 && kvtn_be_waiting(&z->tb, q) == 1)
		z->tb.rx_claim[q] = fn_u32(z) % (FN_HDR + 0x11000);
}

static void fn_service(struct fn *z)
{
	struct kvirtio_net_stats s;
	struct kvirtio_budget budget;
	u8 m = fn_u8(z);
	u16 qid = m % z->vdev->num_queues;
	int ret;

	budget.requests = m & 0x80 ? fn_u8(z) : 64;
	budget.bytes = m & 0x40 ? fn_u32(z) : 1 << 20;
	budget.no_overdraw = m & 0x20;
	if (!z->up)
		return;
	if (m & 0x10)
		ret = z->vdev->ops->process_queue(z->vdev, qid, &budget);
	else
		ret = kvirtio_device_service_queue(z->vdev, qid, &budget);
	fn_assert(ret <= 1);
	fn_assert(z->tb.violations == 0);
	kvirtio_net_get_stats(z->vdev, &s);
	fn_assert(s.tx_packets + s.tx_backend_err == z->tb.tx_count);
	fn_assert(s.rx_packets <= z->tb.recvs);
	fn_assert(kvirtio_net_active_pairs(z->vdev) >= 1 &&
		  kvirtio_net_active_pairs(z->vdev) <= z->pairs);
}

static void fn_config(struct fn *z)
{
	u8 buf[16];
	u32 off = fn_u8(z) % 20, len = fn_u8(z) % 17;
	int ret = z->vdev->ops->config_read(z->vdev, off, buf, len);

	fn_assert(ret == (off + len <= KVIRTIO_NET_CONFIG_SIZE ? 0 : -EINVAL));
}

static u64 fn_features(struct fn *z, u16 want)
{
	/* Dependencies, in an order that completes them in one pass. */
	static const struct { u8 bit, need, alt; } deps[] = {
		{ VIRTIO_NET_F_GUEST_ECN, VIRTIO_NET_F_GUEST_TSO4,
		  VIRTIO_NET_F_GUEST_TSO6 },
		{ VIRTIO_NET_F_HOST_ECN, VIRTIO_NET_F_HOST_TSO4,
		  VIRTIO_NET_F_HOST_TSO6 },
		{ VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_CSUM, 0 },
		{ VIRTIO_NET_F_GUEST_TSO6, VIRTIO_NET_F_GUEST_CSUM, 0 },
		{ VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_CSUM, 0 },
		{ VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_CSUM, 0 },
		{ VIRTIO_NET_F_CTRL_RX, VIRTIO_NET_F_CTRL_VQ, 0 },
		{ VIRTIO_NET_F_CTRL_MAC_ADDR, VIRTIO_NET_F_CTRL_VQ, 0 },
		{ VIRTIO_NET_F_CTRL_GUEST_OFFLOADS, VIRTIO_NET_F_CTRL_VQ, 0 },
		{ VIRTIO_NET_F_MQ, VIRTIO_NET_F_CTRL_VQ, 0 },
	};
	u64 offered = z->vdev->device_features, f;
	u8 how = fn_u8(z);
	unsigned int i;

	/* Two bytes pick the bits: spread them over the offered ones. */
	f = offered & (((u64)want * 0x0001000100010001ULL) ^ ((u64)how << 32));
	f |= BIT_ULL(VIRTIO_F_VERSION_1);
	/* Mostly what a driver does: take what each bit needs too. */
	for (i = 0; !(how & 1) && i < ARRAY_SIZE(deps); i++) {
		if (!(f & BIT_ULL(deps[i].bit)))
			continue;
		if (offered & BIT_ULL(deps[i].need))
			f |= BIT_ULL(deps[i].need);
		else if (deps[i].alt)
			f |= BIT_ULL(deps[i].alt) & offered;
	}
	if (z->vdev->ops->validate_features(z->vdev, f)) {
		/* Only a set the driver left incomplete may be refused. */
		fn_assert(how & 1);
		for (i = 0; i < ARRAY_SIZE(deps); i++)
			f &= ~BIT_ULL(deps[i].bit);
	}
	fn_assert(!z->vdev->ops->validate_features(z->vdev, f));
	return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fn z;
	struct kvirtio_net_opts o = { 0 };
	unsigned int ops = 0;
	u8 b0, b1;
	u16 want;

	memset(&z, 0, sizeof(z));
	z.p = data;
	z.left = size;
	b0 = fn_u8(&z);
	b1 = fn_u8(&z);
	want = fn_u16(&z);
	z.pairs = 1 + (b0 & 1);
	z.qsize = 4U << (b1 % 5);
	kvtn_be_init(&z.tb, z.pairs + (b0 >> 1 & 1),
		     b0 & 4 ? 0 : BIT_ULL(VIRTIO_NET_F_CSUM) |
		     BIT_ULL(VIRTIO_NET_F_GUEST_CSUM) |
		     BIT_ULL(VIRTIO_NET_F_HOST_TSO4) |
		     BIT_ULL(VIRTIO_NET_F_HOST_TSO6) |
		     BIT_ULL(VIRTIO_NET_F_HOST_ECN) |
		     BIT_ULL(VIRTIO_NET_F_GUEST_TSO4) |
		     BIT_ULL(VIRTIO_NET_F_GUEST_TSO6) |
		     BIT_ULL(VIRTIO_NET_F_GUEST_ECN));
	z.tb.on_xmit = fn_on_xmit;
	z.tb.priv = &z;
	memcpy(o.mac, fn_mac, 6);
	o.num_pairs = z.pairs;
	o.queue_size = z.qsize;
	o.mtu = b0 & 8 ? 1500 : 0;
	o.link_down = b0 & 16;
	if (b0 & 32)
		o.features_off = BIT_ULL(VIRTIO_NET_F_MRG_RXBUF);
	if (kvirtio_test_mem_init(&z.tm, FN_BASE, FN_RAM))
		return 0;
	fn_assert(!kvirtio_net_create(&o, &z.tb.be, &z.vdev));
	z.vdev->mem = &z.tm.mem;
	z.vdev->transport = &fn_transport;
	z.vdev->host = &fn_host;
	z.features = fn_features(&z, want);
	if (!fn_bring_up(&z))
		goto out;

	while (z.left && ops++ < FN_OPS) {
		u8 op = fn_u8(&z);

		switch (op % 12) {
		case 0:
		case 1:
			fn_post_rx(&z);
			break;
		case 2:
			fn_post_tx(&z);
			break;
		case 3:
			fn_post_ctrl(&z);
			break;
		case 4:
			fn_arrive(&z);
			break;
		case 5:
		case 6:
			fn_service(&z);
			break;
		case 7: {
			u32 off = fn_u32(&z) % FN_RAM;
			u8 v = fn_u8(&z);

			kvirtio_test_poke(&z.tm, FN_BASE + off, &v, 1);
			break;
		}
		case 8:
			kvirtio_net_set_link(z.vdev, op & 0x80);
			fn_config(&z);
			break;
		case 9:
			z.tb.xmit_ret = op & 0x10 ? -EINVAL : 0;
			z.tb.recv_ret = op & 0x20 ? -EIO : 0;
			z.tb.set_offloads_ret = op & 0x40 ? -EINVAL : 0;
			break;
		case 10:
			/* A spurious ready call, as a racing backend makes. */
			if (z.up)
				kvirtio_net_backend_rx_ready(&z.tb.be,
							     (op >> 4) %
							     z.tb.be.num_queues);
			break;
		default:
			fn_reset(&z);
			if (!(op & 0x80)) {
				z.features = fn_features(&z, fn_u16(&z));
				if (!fn_bring_up(&z))
					goto out;
			}
			break;
		}
	}
out:
	if (z.up || z.vdev->queues[0].state != KVIRTIO_QUEUE_DISABLED)
		fn_reset(&z);
	fn_assert(!z.tm.live_maps);
	fn_assert(z.tb.violations == 0);
	kvirtio_net_destroy(z.vdev);
	kvtn_be_clear(&z.tb);
	kvirtio_test_mem_destroy(&z.tm);
	return 0;
}
