// SPDX-License-Identifier: GPL-2.0-only
/*
 * TEST DOUBLE: recording virtio-net backend and the net-over-PCI rig.
 * See kvirtio_test_netbe.h.
 */
#include "kvirtio_test_netbe.h"

#define KVTN_BAR0_GPA	0x1fe000000ULL
#define KVTN_BAR2_GPA	0x1fe100000ULL
#define KVTN_BAR4_GPA	0x1fe200000ULL
#define KVTN_MSI_ADDR	0xfee00000ULL

static struct kvtn_be *to_tb(struct kvirtio_net_backend *be)
{
	return container_of(be, struct kvtn_be, be);
}

/* Every segment non-empty and in guest RAM, and they add up to @len. */
static bool kvtn_frame_ok(const struct kvirtio_net_frame *f)
{
	u64 total = 0;
	u16 i;

	if (!f->nr_segs || !f->segs || !f->mem)
		return false;
	for (i = 0; i < f->nr_segs; i++) {
		if (!f->segs[i].len ||
		    !f->mem->ops->range_ok(f->mem, f->segs[i].gpa,
					   f->segs[i].len))
			return false;
		total += f->segs[i].len;
	}
	return total == f->len;
}

static int kvtn_xmit(struct kvirtio_net_backend *be, u16 q,
		     const struct kvirtio_net_frame *f)
{
	struct kvtn_be *tb = to_tb(be);
	u32 off = 0;
	u16 i;

	if (q >= be->num_queues || !kvtn_frame_ok(f) ||
	    f->len < KVIRTIO_NET_HDR_LEN || f->len > KVTN_TX_MAX) {
		tb->violations++;
		return -EINVAL;
	}
	tb->tx_count++;
	tb->tx_per_q[q]++;
	tb->tx_last_q = q;
	tb->tx_last_len = f->len;
	tb->tx_last_nr_segs = f->nr_segs;
	for (i = 0; i < f->nr_segs; i++) {
		if (kvirtio_gmem_read(f->mem, f->segs[i].gpa,
				      tb->tx_last + off, f->segs[i].len))
			tb->violations++;
		off += f->segs[i].len;
	}
	if (tb->on_xmit)
		tb->on_xmit(tb, q, tb->tx_last, f->len);
	return tb->xmit_ret;
}

static u32 kvtn_peek(struct kvirtio_net_backend *be, u16 q)
{
	struct kvtn_be *tb = to_tb(be);

	tb->peeks++;
	if (q >= be->num_queues) {
		tb->violations++;
		return 0;
	}
	if (!tb->rx_count[q])
		return 0;
	if (tb->rx_claim[q])
		return tb->rx_claim[q];
	return tb->rx_len[q][tb->rx_head[q]];
}

/* Take the oldest frame of @q off the FIFO and free it. */
static void kvtn_pop(struct kvtn_be *tb, u16 q)
{
	unsigned int h = tb->rx_head[q];

	kfree(tb->rx[q][h]);
	tb->rx[q][h] = NULL;
	tb->rx_head[q] = (h + 1) % KVTN_RX_FIFO;
	tb->rx_count[q]--;
	tb->rx_claim[q] = 0;
}

static int kvtn_recv(struct kvirtio_net_backend *be, u16 q,
		     const struct kvirtio_net_frame *f)
{
	struct kvtn_be *tb = to_tb(be);
	u32 len, off = 0, want;
	const u8 *src;
	u16 i;

	if (q >= be->num_queues || !kvtn_frame_ok(f)) {
		tb->violations++;
		return -EINVAL;
	}
	tb->rx_last_nr_segs = f->nr_segs;
	tb->rx_last_len = f->len;
	if (!tb->rx_count[q])
		return 0;
	if (tb->recv_ret) {
		kvtn_pop(tb, q);
		return tb->recv_ret;
	}
	len = tb->rx_len[q][tb->rx_head[q]];
	src = tb->rx[q][tb->rx_head[q]];
	/* The device gathered at least what peek announced. */
	want = tb->rx_claim[q] ? tb->rx_claim[q] : len;
	if (f->len < want)
		tb->violations++;
	/* Like a tap into a short buffer: the rest is cut off. */
	len = min(len, f->len);
	for (i = 0; i < f->nr_segs && off < len; i++) {
		u32 n = min(len - off, f->segs[i].len);

		if (kvirtio_gmem_write(f->mem, f->segs[i].gpa, src + off, n))
			tb->violations++;
		off += n;
	}
	kvtn_pop(tb, q);
	tb->recvs++;
	return len;
}

static void kvtn_drop(struct kvirtio_net_backend *be, u16 q)
{
	struct kvtn_be *tb = to_tb(be);

	if (q >= be->num_queues) {
		tb->violations++;
		return;
	}
	if (tb->rx_count[q]) {
		kvtn_pop(tb, q);
		tb->drops++;
	}
}

static void kvtn_watch(struct kvirtio_net_backend *be, u16 q, bool on)
{
	struct kvtn_be *tb = to_tb(be);

	tb->watch_calls++;
	if (q >= be->num_queues) {
		tb->violations++;
		return;
	}
	tb->watching[q] = on;
}

static int kvtn_set_offloads(struct kvirtio_net_backend *be, u64 features)
{
	struct kvtn_be *tb = to_tb(be);

	tb->offloads_calls++;
	/* Only offloads the backend said it carries. */
	if (features & ~be->offloads)
		tb->violations++;
	if (tb->set_offloads_ret)
		return tb->set_offloads_ret;
	tb->offloads = features;
	return 0;
}

static const struct kvirtio_net_backend_ops kvtn_be_ops = {
	.xmit = kvtn_xmit,
	.peek = kvtn_peek,
	.recv = kvtn_recv,
	.drop = kvtn_drop,
	.watch = kvtn_watch,
	.set_offloads = kvtn_set_offloads,
};

/**
 * kvtn_be_init() - set up the backend double
 * @tb: the double (zeroed here)
 * @num_queues: packet queues, 1..KVIRTIO_NET_PAIRS_MAX
 * @offloads: VIRTIO_NET_F_* offloads it carries
 */
void kvtn_be_init(struct kvtn_be *tb, u16 num_queues, u64 offloads)
{
	memset(tb, 0, sizeof(*tb));
	tb->be.ops = &kvtn_be_ops;
	tb->be.num_queues = num_queues;
	tb->be.offloads = offloads;
}

/**
 * kvtn_be_clear() - free every frame still waiting
 * @tb: the double
 */
void kvtn_be_clear(struct kvtn_be *tb)
{
	u16 q;

	for (q = 0; q < KVIRTIO_NET_PAIRS_MAX; q++)
		while (tb->rx_count[q])
			kvtn_pop(tb, q);
}

/**
 * kvtn_be_push() - a frame arrives on packet queue @q
 * @tb: the double
 * @q: packet queue
 * @frame: header and frame bytes (copied)
 * @len: their length
 *
 * Calls kvirtio_net_backend_rx_ready() if the device watches @q.
 *
 * Return: 0, -ENOSPC when the FIFO is full, -EINVAL, -ENOMEM.
 */
int kvtn_be_push(struct kvtn_be *tb, u16 q, const void *frame, u32 len)
{
	unsigned int slot;
	u8 *copy;

	if (q >= tb->be.num_queues || !len)
		return -EINVAL;
	if (tb->rx_count[q] == KVTN_RX_FIFO)
		return -ENOSPC;
	copy = kmalloc(len, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, frame, len);
	slot = (tb->rx_head[q] + tb->rx_count[q]) % KVTN_RX_FIFO;
	tb->rx[q][slot] = copy;
	tb->rx_len[q][slot] = len;
	tb->rx_count[q]++;
	if (tb->watching[q] && tb->be.vdev)
		kvirtio_net_backend_rx_ready(&tb->be, q);
	return 0;
}

/**
 * kvtn_be_waiting() - frames still waiting on packet queue @q
 * @tb: the double
 * @q: packet queue
 *
 * Return: the count.
 */
unsigned int kvtn_be_waiting(const struct kvtn_be *tb, u16 q)
{
	return q < KVIRTIO_NET_PAIRS_MAX ? tb->rx_count[q] : 0;
}

/* ---- The rig: host and PCI hooks ---------------------------------------- */

static void kvtn_kick(struct kvirtio_device *vdev, u16 qid)
{
	struct kvtn *t = vdev->host_priv;

	if (qid < KVTN_QUEUES_MAX)
		t->kicks[qid]++;
}

static const struct kvirtio_host_ops kvtn_host_ops = {
	.kick = kvtn_kick,
};

static void kvtn_msix(struct kvirtio_pci *vp, u16 vector)
{
	struct kvtn *t = container_of(vp, struct kvtn, vp);

	if (vector < KVTN_VECTORS_MAX)
		t->msix[vector]++;
	t->msix_total++;
}

static void kvtn_intx(struct kvirtio_pci *vp, bool level)
{
}

static const struct kvirtio_pci_host_ops kvtn_pci_ops = {
	.msix = kvtn_msix,
	.intx = kvtn_intx,
};

static int kvtn_bar_write(struct kvtn *t, unsigned int bar, u64 off, u32 len,
			  u64 val)
{
	u8 buf[8];
	u32 i;

	for (i = 0; i < len && i < 8; i++)
		buf[i] = val >> (8 * i);
	return kvirtio_pci_bar_write(&t->vp, bar, off, buf, len);
}

/**
 * kvtn_common_read() - read a common config register through BAR 0
 * @t: the rig
 * @off: VIRTIO_PCI_COMMON_* offset
 * @len: 1, 2 or 4
 *
 * Return: the value (all ones when the access was refused).
 */
u64 kvtn_common_read(struct kvtn *t, u32 off, u32 len)
{
	u8 buf[8] = { 0 };
	u64 v = 0;
	u32 i;

	kvirtio_pci_bar_read(&t->vp, KVIRTIO_PCI_BAR_CFG,
			     KVIRTIO_PCI_COMMON_OFF + off, buf, len);
	for (i = 0; i < len && i < 8; i++)
		v |= (u64)buf[i] << (8 * i);
	return v;
}

/**
 * kvtn_common_write() - write a common config register through BAR 0
 * @t: the rig
 * @off: VIRTIO_PCI_COMMON_* offset
 * @len: 1, 2 or 4
 * @val: the value
 */
void kvtn_common_write(struct kvtn *t, u32 off, u32 len, u64 val)
{
	kvtn_bar_write(t, KVIRTIO_PCI_BAR_CFG, KVIRTIO_PCI_COMMON_OFF + off,
		       len, val);
}

/**
 * kvtn_status() - the device status register
 * @t: the rig
 *
 * Return: its value.
 */
u8 kvtn_status(struct kvtn *t)
{
	return kvtn_common_read(t, VIRTIO_PCI_COMMON_STATUS, 1);
}

static void kvtn_add_status(struct kvtn *t, u8 bit)
{
	kvtn_common_write(t, VIRTIO_PCI_COMMON_STATUS, 1, kvtn_status(t) | bit);
}

/**
 * kvtn_config_read() - read device config through the BAR, as a driver
 * @t: the rig
 * @off: offset in the device's config
 * @buf: out
 * @len: 1..8
 *
 * Return: the transport's result (0, or -EINVAL for a refused access).
 */
int kvtn_config_read(struct kvtn *t, u32 off, void *buf, u32 len)
{
	return kvirtio_pci_bar_read(&t->vp, KVIRTIO_PCI_BAR_CFG,
				    KVIRTIO_PCI_DEVCFG_OFF + off, buf, len);
}

/**
 * kvtn_device_features() - the 64 feature bits the transport offers
 * @t: the rig
 *
 * Return: the bits.
 */
u64 kvtn_device_features(struct kvtn *t)
{
	u64 f;

	kvtn_common_write(t, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	f = kvtn_common_read(t, VIRTIO_PCI_COMMON_DF, 4);
	kvtn_common_write(t, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	return f | kvtn_common_read(t, VIRTIO_PCI_COMMON_DF, 4) << 32;
}

/**
 * kvtn_reset() - the driver writes 0 to the status
 * @t: the rig
 */
void kvtn_reset(struct kvtn *t)
{
	kvtn_common_write(t, VIRTIO_PCI_COMMON_STATUS, 1, 0);
}

/**
 * kvtn_negotiate() - reset, then ACK, DRIVER, @features and FEATURES_OK
 * @t: the rig
 * @features: what the driver accepts
 *
 * Return: whether FEATURES_OK stuck (the device accepted @features).
 */
bool kvtn_negotiate(struct kvtn *t, u64 features)
{
	kvtn_reset(t);
	kvtn_add_status(t, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	kvtn_add_status(t, VIRTIO_CONFIG_S_DRIVER);
	kvtn_common_write(t, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	kvtn_common_write(t, VIRTIO_PCI_COMMON_GF, 4, lower_32_bits(features));
	kvtn_common_write(t, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	kvtn_common_write(t, VIRTIO_PCI_COMMON_GF, 4, upper_32_bits(features));
	kvtn_add_status(t, VIRTIO_CONFIG_S_FEATURES_OK);
	return kvtn_status(t) & VIRTIO_CONFIG_S_FEATURES_OK;
}

/* BARs where a driver would put them, decoding on, MSI-X on. */
static void kvtn_probe(struct kvtn *t)
{
	static const u64 gpa[] = { KVTN_BAR0_GPA, 0, KVTN_BAR2_GPA, 0,
				   KVTN_BAR4_GPA };
	struct kvirtio_pci *vp = &t->vp;
	unsigned int bar;
	u16 v;

	for (bar = 0; bar < ARRAY_SIZE(gpa); bar += 2) {
		u32 reg = KVIRTIO_PCI_BAR0 + 4 * bar;

		kvirtio_pci_config_write(vp, reg, 4, lower_32_bits(gpa[bar]));
		if (kvirtio_pci_dev_bar_is_64(&vp->pdev, bar))
			kvirtio_pci_config_write(vp, reg + 4, 4,
						 upper_32_bits(gpa[bar]));
	}
	kvirtio_pci_config_write(vp, KVIRTIO_PCI_COMMAND, 2,
				 KVIRTIO_PCI_CMD_MEMORY | KVIRTIO_PCI_CMD_MASTER);
	for (v = 0; v < kvirtio_pci_msix_vectors(vp); v++) {
		u32 e = KVIRTIO_PCI_MSIX_TABLE_OFF +
			v * KVIRTIO_PCI_MSIX_ENTRY_SIZE;

		kvtn_bar_write(t, KVIRTIO_PCI_BAR_MSIX, e, 4,
			       lower_32_bits(KVTN_MSI_ADDR));
		kvtn_bar_write(t, KVIRTIO_PCI_BAR_MSIX, e + 4, 4,
			       upper_32_bits(KVTN_MSI_ADDR));
		kvtn_bar_write(t, KVIRTIO_PCI_BAR_MSIX, e + 8, 4, 0x4000 + v);
		kvtn_bar_write(t, KVIRTIO_PCI_BAR_MSIX, e + 12, 4, 0);
	}
	kvirtio_pci_config_write(vp, vp->cap_msix + 2, 2,
				 kvirtio_pci_config_read(vp, vp->cap_msix + 2,
							 2) | 0x8000);
}

/**
 * kvtn_create() - the device, its backend double and the transport
 * @t: the rig (zeroed by the caller, backend set up with kvtn_be_init())
 * @opts: device options
 *
 * Return: 0, or the errno of the memory double, kvirtio_net_create() or
 * kvirtio_pci_init() (nothing is left allocated then).
 */
int kvtn_create(struct kvtn *t, const struct kvirtio_net_opts *opts)
{
	int err;

	err = kvirtio_test_mem_init(&t->tm, KVTN_MEM_BASE, KVTN_MEM_SIZE);
	if (err)
		return err;
	err = kvirtio_net_create(opts, &t->tb.be, &t->vdev);
	if (err)
		goto out_mem;
	t->vdev->mem = &t->tm.mem;
	t->vdev->host = &kvtn_host_ops;
	t->vdev->host_priv = t;
	err = kvirtio_pci_init(&t->vp, t->vdev, 0, &kvtn_pci_ops, t);
	if (err)
		goto out_dev;
	kvtn_probe(t);
	t->heap = KVTN_MEM_BASE;
	return 0;

out_dev:
	kvirtio_net_destroy(t->vdev);
	t->vdev = NULL;
out_mem:
	kvirtio_test_mem_destroy(&t->tm);
	return err;
}

/**
 * kvtn_destroy() - reset through the transport, free everything
 * @t: the rig
 */
void kvtn_destroy(struct kvtn *t)
{
	if (!t->vdev)
		return;
	kvirtio_pci_destroy(&t->vp);
	kvirtio_net_destroy(t->vdev);
	t->vdev = NULL;
	kvtn_be_clear(&t->tb);
	kvirtio_test_mem_destroy(&t->tm);
}

/**
 * kvtn_start() - bring the device up as virtio_pci_modern does
 * @t: the rig
 * @features: what the driver accepts
 * @qsize: size of every queue (at most the device's maximum)
 *
 * Rings are placed from the start of guest memory; buffers come after
 * them (kvtn_alloc()).  The config vector is 0, queue q uses q + 1.
 *
 * Return: 0, -EPERM when FEATURES_OK did not stick, -EIO when a queue
 * did not enable or DRIVER_OK did not stick.
 */
int kvtn_start(struct kvtn *t, u64 features, u16 qsize)
{
	u64 gpa = KVTN_MEM_BASE;
	u16 q;

	if (!kvtn_negotiate(t, features))
		return -EPERM;
	t->qsize = qsize;
	kvtn_common_write(t, VIRTIO_PCI_COMMON_MSIX, 2, 0);
	for (q = 0; q < t->vdev->num_queues; q++) {
		struct kvirtio_test_ring *r = &t->rings[q];

		gpa = kvirtio_test_ring_place(r, &t->tm, qsize, gpa);
		t->next_desc[q] = 0;
		kvtn_common_write(t, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		kvtn_common_write(t, VIRTIO_PCI_COMMON_Q_SIZE, 2, qsize);
		kvtn_common_write(t, VIRTIO_PCI_COMMON_Q_DESCLO, 4,
				  lower_32_bits(r->desc));
		kvtn_common_write(t, VIRTIO_PCI_COMMON_Q_DESCHI, 4,
				  upper_32_bits(r->desc));
		kvtn_common_write(t, VIRTIO_PCI_COMMON_Q_AVAILLO, 4,
				  lower_32_bits(r->avail));
		kvtn_common_write(t, VIRTIO_PCI_COMMON_Q_AVAILHI, 4,
				  upper_32_bits(r->avail));
		kvtn_common_write(t, VIRTIO_PCI_COMMON_Q_USEDLO, 4,
				  lower_32_bits(r->used));
		kvtn_common_write(t, VIRTIO_PCI_COMMON_Q_USEDHI, 4,
				  upper_32_bits(r->used));
		kvtn_common_write(t, VIRTIO_PCI_COMMON_Q_MSIX, 2, q + 1);
		kvtn_common_write(t, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
		if (kvtn_common_read(t, VIRTIO_PCI_COMMON_Q_ENABLE, 2) != 1)
			return -EIO;
	}
	t->heap = ALIGN(gpa, 4096);
	kvtn_add_status(t, VIRTIO_CONFIG_S_DRIVER_OK);
	if (!(kvtn_status(t) & VIRTIO_CONFIG_S_DRIVER_OK))
		return -EIO;
	return 0;
}

/**
 * kvtn_alloc() - carve guest memory for buffers, 16-byte aligned
 * @t: the rig
 * @len: bytes
 *
 * Return: the guest address, or 0 when memory is exhausted.
 */
u64 kvtn_alloc(struct kvtn *t, u32 len)
{
	u64 gpa = t->heap;

	if (gpa + len > KVTN_MEM_BASE + KVTN_MEM_SIZE)
		return 0;
	t->heap = ALIGN(gpa + len, 16);
	return gpa;
}

/**
 * kvtn_post() - write a direct chain and make it available
 * @t: the rig
 * @qid: queue
 * @bufs: the chain's buffers
 * @n: their number
 *
 * Descriptors are taken in order and wrap around the table.
 *
 * Return: the head.
 */
u16 kvtn_post(struct kvtn *t, u16 qid, const struct kvirtio_test_buf *bufs,
	      u16 n)
{
	struct kvirtio_test_ring *r = &t->rings[qid];
	u16 first = t->next_desc[qid] & (r->size - 1);
	u16 head = kvirtio_test_add_chain(r, first, bufs, n);

	t->next_desc[qid] += n;
	kvirtio_test_avail_add(r, head);
	kvirtio_test_avail_publish(r);
	return head;
}

/**
 * kvtn_notify() - the driver kicks queue @qid through the notify BAR
 * @t: the rig
 * @qid: queue
 */
void kvtn_notify(struct kvtn *t, u16 qid)
{
	kvtn_bar_write(t, KVIRTIO_PCI_BAR_NOTIFY,
		       kvirtio_pci_queue_notify_offset(&t->vp, qid), 2, qid);
}

/**
 * kvtn_service() - one worker pass over a queue
 * @t: the rig
 * @qid: queue
 * @requests: budget in chains
 * @bytes: budget in bytes
 *
 * Return: what kvirtio_device_service_queue() returns.
 */
int kvtn_service(struct kvtn *t, u16 qid, u32 requests, u64 bytes)
{
	struct kvirtio_budget b = { .requests = requests, .bytes = bytes };

	return kvirtio_device_service_queue(t->vdev, qid, &b);
}

/**
 * kvtn_queue_broken() - did the engine break queue @qid?
 * @t: the rig
 * @qid: queue
 *
 * Return: true when broken.
 */
bool kvtn_queue_broken(struct kvtn *t, u16 qid)
{
	return kvirtio_queue_broken(&t->vdev->queues[qid]);
}
