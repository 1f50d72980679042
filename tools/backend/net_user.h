/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio virtio-net backend on tap queue fds, for the reference VMM's
 * userspace device model (the same device core as the kernel module).
 */
#ifndef KVIRTIO_NET_USER_H
#define KVIRTIO_NET_USER_H

#include "../../drivers/kvirtio/devices/net_backend.h"

/*
 * Map [gpa, gpa + len) of guest RAM into the VMM: a pointer when the whole
 * range is RAM and contiguous in the VMM, NULL otherwise (the backend then
 * copies through the device's guest memory ops).
 */
typedef void *(*kvirtio_net_user_translate_t)(void *opaque, u64 gpa, u64 len);

/**
 * struct kvirtio_net_user_opts - how to open the backend
 * @fds: one fd per packet queue: queues of one tap opened with IFF_TAP |
 *	IFF_NO_PI | IFF_VNET_HDR and a vnet header size of 12, or (tests)
 *	any fd that reads and writes whole frames with their 12-byte header,
 *	such as a SOCK_SEQPACKET socket.  The backend dup()s them and makes
 *	its copies non-blocking (the flag is shared with the originals).
 * @num_queues: entries in @fds, 1..KVIRTIO_NET_PAIRS_MAX
 * @epfd: the host's epoll set.  While the device watches packet queue q,
 *	its fd is in @epfd (EPOLLIN, edge-triggered) with data.u32 =
 *	@tag_base + q; the backend's own eventfd is there for good with
 *	@tag_base + @num_queues.  The host calls kvirtio_net_user_event()
 *	for every event carrying one of these tags.
 * @tag_base: first epoll tag of the backend
 * @translate: guest RAM mapping for transmit (frames are written from
 *	guest memory in place), or NULL to copy through a bounce buffer
 * @translate_opaque: passed to @translate
 */
struct kvirtio_net_user_opts {
	const int *fds;
	u16 num_queues;
	int epfd;
	u32 tag_base;
	kvirtio_net_user_translate_t translate;
	void *translate_opaque;
};

/**
 * struct kvirtio_net_user_stats - what the backend counted
 * @reads: frames read from the fds
 * @read_errors: reads that failed with an error other than EAGAIN
 * @runts: reads shorter than a virtio-net header (discarded)
 * @drops: frames discarded for the device (no buffers could hold them)
 * @writes: frames written
 * @write_errors: writes refused or failed
 * @events: readiness events handed to the device
 */
struct kvirtio_net_user_stats {
	u64 reads;
	u64 read_errors;
	u64 runts;
	u64 drops;
	u64 writes;
	u64 write_errors;
	u64 events;
};

int kvirtio_net_user_create(const struct kvirtio_net_user_opts *opts,
			    struct kvirtio_net_backend **out);
void kvirtio_net_user_destroy(struct kvirtio_net_backend *be);
void kvirtio_net_user_event(struct kvirtio_net_backend *be, u32 tag);
void kvirtio_net_user_get_stats(struct kvirtio_net_backend *be,
				struct kvirtio_net_user_stats *st);

#endif /* KVIRTIO_NET_USER_H */
