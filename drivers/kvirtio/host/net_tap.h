/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio virtio-net backend on tap files (drivers/net/tun.c), kernel
 * module only.
 */
#ifndef KVIRTIO_HOST_NET_TAP_H
#define KVIRTIO_HOST_NET_TAP_H

#include <linux/types.h>
#include <linux/seq_file.h>
#include "../devices/net_backend.h"

struct file;

/**
 * struct kvirtio_net_tap_counts - what the tap backend counted
 * @tx_frames: frames the tap took
 * @tx_errors: frames the tap refused (malformed header, no memory, queue
 *	detached) or that could not be translated
 * @rx_frames: frames received into guest buffers
 * @rx_errors: receive errors (truncated, header refused by the tap,
 *	untranslatable buffers)
 * @rx_dropped: frames consumed and discarded on the device's request
 * @wakeups: readiness callbacks that found a frame (EPOLLIN)
 * @bounced: frames copied through a kernel buffer (memory with neither
 *	user addresses nor pages, the KUnit doubles; or pages that did not
 *	fit the queue's page vector)
 * @offload_sets: TUNSETOFFLOAD calls that succeeded
 */
struct kvirtio_net_tap_counts {
	u64 tx_frames;
	u64 tx_errors;
	u64 rx_frames;
	u64 rx_errors;
	u64 rx_dropped;
	u64 wakeups;
	u64 bounced;
	u64 offload_sets;
};

struct kvirtio_net_backend *kvirtio_net_tap_create(struct file **files,
						   u16 nr);
void kvirtio_net_tap_quiesce(struct kvirtio_net_backend *be);
void kvirtio_net_tap_defer_offloads(struct kvirtio_net_backend *be);
void kvirtio_net_tap_destroy(struct kvirtio_net_backend *be);
void kvirtio_net_tap_counts(struct kvirtio_net_backend *be,
			    struct kvirtio_net_tap_counts *c);

#endif /* KVIRTIO_HOST_NET_TAP_H */
