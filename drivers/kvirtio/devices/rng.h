/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio virtio-rng (entropy) device (virtio 1.2, section 5.4),
 * host-agnostic.  One request queue; the device fills every
 * device-writable byte of a chain from the host's random source.
 */
#ifndef KVIRTIO_DEVICES_RNG_H
#define KVIRTIO_DEVICES_RNG_H

#include "../compat.h"
#include "../virtio_dev.h"

/* Largest queue the device offers and its default. */
#define KVIRTIO_RNG_QUEUE_SIZE_MAX	1024
#define KVIRTIO_RNG_DEF_QUEUE_SIZE	64
/* Bytes filled per request at most: larger buffers get a partial fill. */
#define KVIRTIO_RNG_REQ_MAX		(64 * 1024)
/* Descriptors per chain the device accepts. */
#define KVIRTIO_RNG_MAX_CHAIN		64

/**
 * typedef kvirtio_rng_fill_t - the host's random source
 * @opaque: the creator's cookie
 * @buf: where to put the bytes
 * @len: how many, at most 256 per call
 *
 * Kernel: get_random_bytes() (kvirtio_rng_fill_kernel() in host/types.c);
 * userspace: getrandom(2) (kvirtio_rng_fill_user() in tools/backend/).
 * Must fill all @len bytes and not sleep for long: it runs in the
 * device's worker.
 */
typedef void (*kvirtio_rng_fill_t)(void *opaque, void *buf, u32 len);

/**
 * struct kvirtio_rng_opts - what the creator chooses
 * @queue_size: queue size offered, a power of two (0: default)
 * @req_max: bytes per request, 1..KVIRTIO_RNG_REQ_MAX (0: the maximum)
 * @fill: random source, required
 * @fill_opaque: passed to @fill
 */
struct kvirtio_rng_opts {
	u16 queue_size;
	u32 req_max;
	kvirtio_rng_fill_t fill;
	void *fill_opaque;
};

int kvirtio_rng_create(const struct kvirtio_rng_opts *opts,
		       struct kvirtio_device **out);
void kvirtio_rng_destroy(struct kvirtio_device *vdev);

/* Host random sources, each built only on its own host. */
void kvirtio_rng_fill_kernel(void *opaque, void *buf, u32 len);
void kvirtio_rng_fill_user(void *opaque, void *buf, u32 len);

#endif /* KVIRTIO_DEVICES_RNG_H */
