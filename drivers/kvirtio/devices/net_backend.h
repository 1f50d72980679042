/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio virtio-net packet backend interface.
 *
 * The virtio-net device (net.c) owns the rings, validates what the guest
 * posts and decides where each packet goes; a backend moves frames between
 * guest memory and the host's network.  Backends exist per host: a tap
 * file in the kernel module (host/net_tap.c), a tap fd in the reference
 * VMM (tools/backend/net_user.c) and a recording double in KUnit and the
 * fuzzer.
 *
 * Every frame crosses the interface with its 12-byte struct
 * virtio_net_hdr_v1 in front, as a tap with IFF_VNET_HDR and a vnet header
 * size of 12 takes and gives it.  Guest buffers are passed as
 * guest-physical segments that the device checked against guest RAM; the
 * backend copies through them in the host's own way.  A backend has one
 * packet queue per queue pair (a tap queue each, with IFF_MULTI_QUEUE).
 */
#ifndef KVIRTIO_NET_BACKEND_H
#define KVIRTIO_NET_BACKEND_H

#include "../compat.h"
#include "../guest_mem.h"

/* The virtio-net header of a VERSION_1 device: num_buffers included. */
#define KVIRTIO_NET_HDR_LEN	12

struct kvirtio_net_backend;

/**
 * struct kvirtio_net_seg - one guest buffer of a frame
 * @gpa: guest-physical address, inside guest RAM
 * @len: bytes, > 0
 */
struct kvirtio_net_seg {
	u64 gpa;
	u32 len;
};

/**
 * struct kvirtio_net_frame - a frame in guest memory
 * @mem: the guest memory @segs live in
 * @segs: buffers in order; the virtio-net header comes first
 * @nr_segs: entries in @segs
 * @len: total bytes of @segs (header included)
 */
struct kvirtio_net_frame {
	struct kvirtio_guest_mem *mem;
	const struct kvirtio_net_seg *segs;
	u16 nr_segs;
	u32 len;
};

/**
 * struct kvirtio_net_backend_ops - packet I/O callbacks
 * @xmit: send @frame (guest to network) on packet queue @q.  The header was
 *	checked by the device, but the guest can still change it under the
 *	backend: the backend must take the frame the way a tap does, which
 *	copies it once and validates the header itself.  Return 0 when sent,
 *	-EINVAL when the backend refused the frame as malformed, another
 *	negative errno for a host error; either way the device drops the
 *	frame and counts it (a tap never makes a writer wait).
 * @peek: length of the next frame waiting on packet queue @q, virtio-net
 *	header included; 0 when none waits.  Must not consume it.
 * @recv: receive the next frame of packet queue @q into @frame's buffers,
 *	header first (the backend writes the header; num_buffers is the
 *	device's).  Return the bytes written, which must not exceed @peek's
 *	answer nor @frame->len; 0 when no frame waits after all; a negative
 *	errno for a host error (the frame is gone and the device counts it).
 * @drop: consume and discard the next frame of packet queue @q (the guest
 *	has no buffers that could ever hold it).
 * @watch: start (@on) or stop watching packet queue @q for frames.  While
 *	watching, the backend calls kvirtio_net_backend_rx_ready() when a
 *	frame arrives, from any context, without sleeping.  Called from the
 *	device's control paths (driver_ok, reset, a queue pair count change).
 * @set_offloads: the guest accepts these VIRTIO_NET_F_GUEST_* offloads
 *	(a mask of feature bits); the backend must not hand the device a frame
 *	needing any other.  0 or a negative errno (the command then fails).
 *	NULL when the backend never produces offloaded frames.
 *
 * All callbacks but @watch run in the device's queue processing (a worker
 * or a vCPU thread); @xmit and @recv may sleep only if the host's worker
 * may.  A packet queue is used by one queue pair at a time, but the pair
 * that serves it changes with the number of pairs the driver enables: a
 * backend must allow two passes on the same packet queue to overlap (a
 * tap does).
 */
struct kvirtio_net_backend_ops {
	int (*xmit)(struct kvirtio_net_backend *be, u16 q,
		    const struct kvirtio_net_frame *frame);
	u32 (*peek)(struct kvirtio_net_backend *be, u16 q);
	int (*recv)(struct kvirtio_net_backend *be, u16 q,
		    const struct kvirtio_net_frame *frame);
	void (*drop)(struct kvirtio_net_backend *be, u16 q);
	void (*watch)(struct kvirtio_net_backend *be, u16 q, bool on);
	int (*set_offloads)(struct kvirtio_net_backend *be, u64 guest_features);
};

/**
 * struct kvirtio_net_backend - a network port as the device sees it
 * @ops: callbacks
 * @num_queues: packet queues, one per queue pair the device may offer
 * @offloads: VIRTIO_NET_F_* bits the backend can carry: the HOST_* and
 *	GUEST_* checksum and segmentation offloads (a tap carries them all)
 * @vdev: set by the device at creation, for kvirtio_net_backend_rx_ready()
 *
 * Embed it in the backend's own structure and use container_of().
 */
struct kvirtio_net_backend {
	const struct kvirtio_net_backend_ops *ops;
	u16 num_queues;
	u64 offloads;
	struct kvirtio_device *vdev;
};

void kvirtio_net_backend_rx_ready(struct kvirtio_net_backend *be, u16 q);
int kvirtio_net_frame_copy(const struct kvirtio_net_frame *f, u32 off,
			   void *buf, u32 len, bool to_guest);

#endif /* KVIRTIO_NET_BACKEND_H */
