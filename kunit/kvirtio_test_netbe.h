/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TEST DOUBLE: a recording virtio-net packet backend and a rig that puts
 * the real virtio-net device (devices/net.c) behind the real virtio-pci
 * transport over the flat guest memory double.  Not a real backend.
 *
 * The backend keeps a FIFO of frames per packet queue for the device to
 * receive, copies every transmitted frame out of guest memory and counts
 * every call.  It checks what the device hands it against the interface's
 * contract (segments non-empty and in guest RAM, lengths that add up, a
 * receive buffer that holds the frame peek announced) and counts each
 * breach in @violations, which the KUnit suite and the fuzzer insist stays
 * 0.
 *
 * The rig plays the driver the way virtio_pci_modern does: BARs placed,
 * MSI-X on (config on vector 0, queue q on vector q + 1), features written
 * through the common config, rings placed and enabled queue by queue.
 * Host kicks and MSI-X messages are counted per queue and per vector.
 *
 * Host-agnostic (compat.h only): built into the KUnit kernel, the
 * userspace KUnit build and the net fuzz target.
 */
#ifndef KVIRTIO_TEST_NETBE_H
#define KVIRTIO_TEST_NETBE_H

#include "compat.h"
#include "virtio_dev.h"
#include "virtio_pci.h"
#include "devices/net.h"
#include "kvirtio_test_mem.h"

#define KVTN_QUEUES_MAX		(2 * KVIRTIO_NET_PAIRS_MAX + 1)
#define KVTN_VECTORS_MAX	(KVTN_QUEUES_MAX + 1)
/* Frames waiting per packet queue. */
#define KVTN_RX_FIFO		64
/* A transmitted frame is copied whole: header plus the largest frame. */
#define KVTN_TX_MAX		(KVIRTIO_NET_HDR_LEN + KVIRTIO_NET_FRAME_MAX)
#define KVTN_MEM_BASE		0x100000ULL
#define KVTN_MEM_SIZE		(4ULL << 20)

/**
 * struct kvtn_be - the recording backend double
 * @be: what the device sees
 * @rx: per packet queue, the frames waiting (copies, kmalloc'd)
 * @rx_len: their lengths (header included)
 * @rx_head: index of the oldest waiting frame
 * @rx_count: frames waiting
 * @rx_claim: when nonzero, peek announces this length for the oldest
 *	frame instead of its own (a frame that is larger or smaller than
 *	its announcement)
 * @recv_ret: when nonzero, recv consumes the frame and returns this
 * @xmit_ret: what xmit returns (0: sent)
 * @set_offloads_ret: what set_offloads returns
 * @watching: per packet queue, watch(q, on) state
 * @watch_calls: watch calls
 * @peeks: peek calls
 * @recvs: recv calls that wrote a frame
 * @drops: drop calls that dropped a frame
 * @offloads_calls: set_offloads calls
 * @offloads: last value passed to set_offloads
 * @tx_count: frames passed to xmit
 * @tx_per_q: per packet queue
 * @tx_last_q: packet queue of the last xmit
 * @tx_last_len: length of the last frame (header included)
 * @tx_last_nr_segs: its segment count
 * @tx_last: its bytes
 * @rx_last_nr_segs: segment count of the last recv
 * @rx_last_len: buffer bytes offered to the last recv
 * @violations: contract breaches seen (must stay 0)
 * @on_xmit: optional: called with each transmitted frame as copied (the
 *	fuzzer checks the header rules on it)
 * @priv: for @on_xmit
 */
struct kvtn_be {
	struct kvirtio_net_backend be;
	u8 *rx[KVIRTIO_NET_PAIRS_MAX][KVTN_RX_FIFO];
	u32 rx_len[KVIRTIO_NET_PAIRS_MAX][KVTN_RX_FIFO];
	unsigned int rx_head[KVIRTIO_NET_PAIRS_MAX];
	unsigned int rx_count[KVIRTIO_NET_PAIRS_MAX];
	u32 rx_claim[KVIRTIO_NET_PAIRS_MAX];
	int recv_ret;
	int xmit_ret;
	int set_offloads_ret;
	bool watching[KVIRTIO_NET_PAIRS_MAX];
	unsigned int watch_calls;
	unsigned int peeks;
	unsigned int recvs;
	unsigned int drops;
	unsigned int offloads_calls;
	u64 offloads;
	unsigned int tx_count;
	unsigned int tx_per_q[KVIRTIO_NET_PAIRS_MAX];
	u16 tx_last_q;
	u32 tx_last_len;
	u16 tx_last_nr_segs;
	u8 tx_last[KVTN_TX_MAX];
	u16 rx_last_nr_segs;
	u32 rx_last_len;
	unsigned int violations;
	void (*on_xmit)(struct kvtn_be *tb, u16 q, const u8 *frame, u32 len);
	void *priv;
};

void kvtn_be_init(struct kvtn_be *tb, u16 num_queues, u64 offloads);
void kvtn_be_clear(struct kvtn_be *tb);
int kvtn_be_push(struct kvtn_be *tb, u16 q, const void *frame, u32 len);
unsigned int kvtn_be_waiting(const struct kvtn_be *tb, u16 q);

/**
 * struct kvtn - the virtio-net device behind the virtio-pci transport
 * @tm: guest memory
 * @vp: the transport
 * @vdev: the device under test
 * @tb: its backend
 * @rings: the driver's view of each queue
 * @next_desc: next free descriptor index per queue
 * @heap: next free guest address for buffers
 * @qsize: size of every queue
 * @kicks: host kicks per queue (notifies and the device's own)
 * @msix: MSI-X messages per vector (config is vector 0)
 * @msix_total: all MSI-X messages
 */
struct kvtn {
	struct kvirtio_test_mem tm;
	struct kvirtio_pci vp;
	struct kvirtio_device *vdev;
	struct kvtn_be tb;
	struct kvirtio_test_ring rings[KVTN_QUEUES_MAX];
	u16 next_desc[KVTN_QUEUES_MAX];
	u64 heap;
	u16 qsize;
	unsigned int kicks[KVTN_QUEUES_MAX];
	unsigned int msix[KVTN_VECTORS_MAX];
	unsigned int msix_total;
};

int kvtn_create(struct kvtn *t, const struct kvirtio_net_opts *opts);
void kvtn_destroy(struct kvtn *t);

u64 kvtn_common_read(struct kvtn *t, u32 off, u32 len);
void kvtn_common_write(struct kvtn *t, u32 off, u32 len, u64 val);
u8 kvtn_status(struct kvtn *t);
int kvtn_config_read(struct kvtn *t, u32 off, void *buf, u32 len);
u64 kvtn_device_features(struct kvtn *t);
bool kvtn_negotiate(struct kvtn *t, u64 features);
int kvtn_start(struct kvtn *t, u64 features, u16 qsize);
void kvtn_reset(struct kvtn *t);

u64 kvtn_alloc(struct kvtn *t, u32 len);
u16 kvtn_post(struct kvtn *t, u16 qid, const struct kvirtio_test_buf *bufs,
	      u16 n);
void kvtn_notify(struct kvtn *t, u16 qid);
int kvtn_service(struct kvtn *t, u16 qid, u32 requests, u64 bytes);
bool kvtn_queue_broken(struct kvtn *t, u16 qid);

#endif /* KVIRTIO_TEST_NETBE_H */
