// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio device factory: KVIRTIO_CREATE_DEVICE arguments -> a device of
 * drivers/kvirtio/devices/ with its kernel resources.
 */
#include <linux/kernel.h>
#include <linux/random.h>

#include "host.h"
#include "../devices/rng.h"

/**
 * kvirtio_rng_fill_kernel - the kernel's random source for virtio-rng
 * @opaque: unused
 * @buf: where to put the bytes
 * @len: how many
 */
void kvirtio_rng_fill_kernel(void *opaque, void *buf, u32 len)
{
	get_random_bytes(buf, len);
}

static int rng_create(struct kvirtio_hdev *hdev,
		      const struct kvirtio_create_device *args)
{
	struct kvirtio_rng_opts p = {
		.queue_size = args->queue_size_max,
		.fill = kvirtio_rng_fill_kernel,
	};

	/* One queue, no type parameters. */
	if (args->num_queues > 1 ||
	    memchr_inv(args->type_params, 0, sizeof(args->type_params)))
		return -EINVAL;
	return kvirtio_rng_create(&p, &hdev->vdev);
}

static void rng_destroy(struct kvirtio_hdev *hdev)
{
	kvirtio_rng_destroy(hdev->vdev);
}

static const struct kvirtio_hdev_type kvirtio_hdev_types[] = {
	{
		.type = KVIRTIO_DEV_RNG,
		.name = "rng",
		.create = rng_create,
		.destroy = rng_destroy,
	},
};

/**
 * kvirtio_hdev_type_find - the factory entry of a device type
 * @type: KVIRTIO_DEV_*
 *
 * Return: the entry, or NULL for a type this module cannot create.
 */
const struct kvirtio_hdev_type *kvirtio_hdev_type_find(u32 type)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kvirtio_hdev_types); i++)
		if (kvirtio_hdev_types[i].type == type)
			return &kvirtio_hdev_types[i];
	return NULL;
}
