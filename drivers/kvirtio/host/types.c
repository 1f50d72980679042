// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio device factory: KVIRTIO_CREATE_DEVICE arguments -> a device of
 * drivers/kvirtio/devices/ with its kernel resources.
 */
#include <linux/kernel.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/random.h>

#include "host.h"
#include "blk_file.h"
#include "../devices/blk.h"
#include "../devices/rng.h"

/* The UAPI counts capacity in 512-byte sectors. */
#define KV_SECTOR_SHIFT	9

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

static int blk_check(const struct kvirtio_create_device *args)
{
	const struct kvirtio_blk_params *u = &args->blk;
	const u8 *tail = (const u8 *)args->type_params + sizeof(*u);

	BUILD_BUG_ON(sizeof(*u) > sizeof(args->type_params));
	if (u->fd < 0)
		return -EBADF;
	/* The union's bytes past the blk parameters are reserved too. */
	if ((u->flags & ~KVIRTIO_BLK_F_ALL) ||
	    memchr_inv(u->reserved, 0, sizeof(u->reserved)) ||
	    memchr_inv(tail, 0, sizeof(args->type_params) - sizeof(*u)))
		return -EINVAL;
	if (u->logical_block_size &&
	    (!is_power_of_2(u->logical_block_size) ||
	     u->logical_block_size < 512 || u->logical_block_size > 4096))
		return -EINVAL;
	if (u->capacity > (U64_MAX >> KV_SECTOR_SHIFT))
		return -EINVAL;
	if (u->seg_max > KVIRTIO_BLK_SEG_MAX_LIMIT ||
	    (u->size_max && u->size_max < 4096))
		return -EINVAL;
	return 0;
}

static int blk_create(struct kvirtio_hdev *hdev,
		      const struct kvirtio_create_device *args)
{
	const struct kvirtio_blk_params *u = &args->blk;
	struct kvirtio_blk_opts o = {};
	struct kvirtio_blk_backend *be;
	bool ro = u->flags & KVIRTIO_BLK_F_READ_ONLY;
	struct file *file;
	u16 qsize;
	int ret;

	ret = blk_check(args);
	if (ret)
		return ret;
	qsize = args->queue_size_max ? args->queue_size_max :
		KVIRTIO_BLK_DEF_QUEUE_SIZE;
	if (qsize < 4 || qsize > KVIRTIO_BLK_QUEUE_SIZE_MAX)
		return -EINVAL;
	o.num_queues = args->num_queues;
	o.queue_size = qsize;
	o.seg_max = min_t(u32, u->seg_max ? u->seg_max :
			  KVIRTIO_BLK_DEF_SEG_MAX, qsize - 2);
	o.size_max = u->size_max;
	o.read_only = ro;
	o.flush = u->flags & KVIRTIO_BLK_F_FLUSH;
	memcpy(o.serial, u->serial, sizeof(o.serial));

	file = fget(u->fd);
	if (!file)
		return -EBADF;
	/* A writable disk needs a writable file: no silent read-only. */
	if (!(file->f_mode & FMODE_READ) ||
	    (!ro && !(file->f_mode & FMODE_WRITE))) {
		fput(file);
		return -EBADF;
	}
	be = kvirtio_blk_file_create(file, u->capacity << KV_SECTOR_SHIFT,
				     u->logical_block_size, ro, o.seg_max);
	fput(file);
	if (IS_ERR(be))
		return PTR_ERR(be);
	ret = kvirtio_blk_create(&o, be, &hdev->vdev);
	if (ret) {
		kvirtio_blk_file_destroy(be);
		return ret;
	}
	hdev->type_priv = be;
	return 0;
}

static void blk_destroy(struct kvirtio_hdev *hdev)
{
	u64 kiocbs, bounced, queued;

	kvirtio_blk_file_counts(hdev->type_priv, &kiocbs, &bounced, &queued);
	atomic_long_add(queued, &kvirtio_live.file_async);
	kvirtio_blk_destroy(hdev->vdev);
	kvirtio_blk_file_destroy(hdev->type_priv);
	hdev->type_priv = NULL;
}

/* debugfs: how the backing file served the requests. */
static void blk_show(struct kvirtio_hdev *hdev, struct seq_file *m)
{
	u64 kiocbs, bounced, queued;

	kvirtio_blk_file_counts(hdev->type_priv, &kiocbs, &bounced, &queued);
	seq_printf(m, "file_kiocbs %llu\nfile_async %llu\nfile_bounced %llu\n",
		   kiocbs, queued, bounced);
}

static const struct kvirtio_hdev_type kvirtio_hdev_types[] = {
	{
		.type = KVIRTIO_DEV_BLK,
		.name = "blk",
		.create = blk_create,
		.destroy = blk_destroy,
		.show = blk_show,
	},
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
