/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio virtio-net device (virtio 1.2, section 5.1), host-agnostic.
 *
 * Queue layout: receiveq N is queue 2N, transmitq N is queue 2N + 1, for
 * N below the device's pair count, and the control queue comes last, or
 * at queue 2 when the driver did not negotiate VIRTIO_NET_F_MQ.  The
 * device checks every transmit header and every control command, places
 * received frames in the receive buffers (merging buffers when the driver
 * negotiated VIRTIO_NET_F_MRG_RXBUF), filters by MAC address as the
 * control queue asks, and hands frames to a struct kvirtio_net_backend.
 */
#ifndef KVIRTIO_DEVICES_NET_H
#define KVIRTIO_DEVICES_NET_H

#include "../compat.h"
#include "../virtio_dev.h"
#include "net_backend.h"

/* Queue pairs: with the control queue they fit KVIRTIO_MAX_QUEUES (16). */
#define KVIRTIO_NET_PAIRS_MAX		7
#define KVIRTIO_NET_QUEUE_SIZE_MAX	1024
#define KVIRTIO_NET_DEF_QUEUE_SIZE	256
/* Descriptors per chain: Linux uses MAX_SKB_FRAGS + 2 for a TSO frame. */
#define KVIRTIO_NET_MAX_CHAIN		64
/* Buffers one received frame may span with MRG_RXBUF. */
#define KVIRTIO_NET_RX_BUFS_MAX		64
/* Largest frame without header: 64 KiB of IP plus Ethernet and a VLAN tag. */
#define KVIRTIO_NET_FRAME_MAX		(65535 + 14 + 4)
/* Unicast plus multicast entries of VIRTIO_NET_CTRL_MAC_TABLE_SET. */
#define KVIRTIO_NET_MAC_TABLE_MAX	64
#define KVIRTIO_NET_MTU_MIN		68
#define KVIRTIO_NET_CONFIG_SIZE		12

/**
 * struct kvirtio_net_config - device config space, little-endian
 *
 * The first fields of struct virtio_net_config: mac, status,
 * max_virtqueue_pairs and mtu (checked against the UAPI header).
 */
struct kvirtio_net_config {
	u8 mac[6];
	__le16 status;
	__le16 max_virtqueue_pairs;
	__le16 mtu;
} __packed;

/**
 * struct kvirtio_net_opts - what the creator chooses
 * @num_pairs: queue pairs, 1..KVIRTIO_NET_PAIRS_MAX and at most the
 *	backend's packet queues (0: 1).  More than one offers VIRTIO_NET_F_MQ.
 * @queue_size: largest queue size offered, a power of two up to
 *	KVIRTIO_NET_QUEUE_SIZE_MAX (0: default)
 * @mac: the MAC address offered (VIRTIO_NET_F_MAC); must be unicast
 * @mtu: offer VIRTIO_NET_F_MTU with this value, KVIRTIO_NET_MTU_MIN..65535
 *	(0: no MTU feature)
 * @features_off: VIRTIO_NET_F_* bits not to offer, out of the ones the
 *	device would (turns offloads off for tests and benchmarks)
 * @link_down: start with the link down
 */
struct kvirtio_net_opts {
	u16 num_pairs;
	u16 queue_size;
	u8 mac[6];
	u16 mtu;
	u64 features_off;
	bool link_down;
};

/**
 * struct kvirtio_net_stats - what the device counted
 * @tx_packets: frames handed to the backend
 * @tx_bytes: their bytes, headers excluded
 * @tx_bad_hdr: frames dropped for a malformed or unnegotiated header
 * @tx_bad_len: frames dropped for a size: shorter than the header plus an
 *	Ethernet header, or longer than KVIRTIO_NET_FRAME_MAX
 * @tx_backend_err: frames the backend refused
 * @rx_packets: frames placed in receive buffers
 * @rx_bytes: their bytes, headers excluded
 * @rx_merged: frames that spanned more than one buffer
 * @rx_too_big: frames dropped because no buffers could hold them
 * @rx_filtered: frames dropped by the MAC filter
 * @rx_bad_hdr: frames dropped for an offload the guest did not accept
 * @rx_bad_buf: receive buffers returned unused: device-readable, empty,
 *	or too short for the header
 * @rx_backend_err: receive errors of the backend
 * @rx_no_buffers: passes that stopped for lack of receive buffers
 * @ctrl_ok: control commands answered VIRTIO_NET_OK
 * @ctrl_err: control commands answered VIRTIO_NET_ERR
 * @link_changes: link status changes signalled
 */
struct kvirtio_net_stats {
	u64 tx_packets;
	u64 tx_bytes;
	u64 tx_bad_hdr;
	u64 tx_bad_len;
	u64 tx_backend_err;
	u64 rx_packets;
	u64 rx_bytes;
	u64 rx_merged;
	u64 rx_too_big;
	u64 rx_filtered;
	u64 rx_bad_hdr;
	u64 rx_bad_buf;
	u64 rx_backend_err;
	u64 rx_no_buffers;
	u64 ctrl_ok;
	u64 ctrl_err;
	u64 link_changes;
};

int kvirtio_net_create(const struct kvirtio_net_opts *opts,
		       struct kvirtio_net_backend *be,
		       struct kvirtio_device **out);
void kvirtio_net_destroy(struct kvirtio_device *vdev);
void kvirtio_net_set_link(struct kvirtio_device *vdev, bool up);
void kvirtio_net_get_stats(struct kvirtio_device *vdev,
			   struct kvirtio_net_stats *stats);
u16 kvirtio_net_active_pairs(struct kvirtio_device *vdev);

#endif /* KVIRTIO_DEVICES_NET_H */
