// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio device factory: KVIRTIO_CREATE_DEVICE arguments -> a device of
 * drivers/kvirtio/devices/ with its kernel resources.
 */
#include <linux/kernel.h>
#include <linux/etherdevice.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/random.h>
#include <uapi/linux/virtio_net.h>

#include "host.h"
#include "blk_file.h"
#include "net_tap.h"
#include "../devices/blk.h"
#include "../devices/net.h"
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

static int rng_get_files(const struct kvirtio_create_device *args,
			 struct file **files)
{
	/* One queue, no type parameters. */
	if (args->num_queues > 1 ||
	    memchr_inv(args->type_params, 0, sizeof(args->type_params)))
		return -EINVAL;
	return 0;
}

static int rng_create(const struct kvirtio_create_device *args,
		      struct file **files, struct kvirtio_device **vdev,
		      void **type_priv)
{
	struct kvirtio_rng_opts p = {
		.queue_size = args->queue_size_max,
		.fill = kvirtio_rng_fill_kernel,
	};

	return kvirtio_rng_create(&p, vdev);
}

static void rng_destroy(struct kvirtio_device *vdev, void *type_priv)
{
	kvirtio_rng_destroy(vdev);
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

static u16 blk_qsize(const struct kvirtio_create_device *args)
{
	return args->queue_size_max ? args->queue_size_max :
	       KVIRTIO_BLK_DEF_QUEUE_SIZE;
}

static int blk_get_files(const struct kvirtio_create_device *args,
			 struct file **files)
{
	const struct kvirtio_blk_params *u = &args->blk;
	bool ro = u->flags & KVIRTIO_BLK_F_READ_ONLY;
	struct file *file;
	u16 qsize;
	int ret;

	ret = blk_check(args);
	if (ret)
		return ret;
	qsize = blk_qsize(args);
	if (qsize < 4 || qsize > KVIRTIO_BLK_QUEUE_SIZE_MAX)
		return -EINVAL;
	file = fget(u->fd);
	if (!file)
		return -EBADF;
	/* A writable disk needs a writable file: no silent read-only. */
	if (!(file->f_mode & FMODE_READ) ||
	    (!ro && !(file->f_mode & FMODE_WRITE))) {
		fput(file);
		return -EBADF;
	}
	files[0] = file;
	return 1;
}

static int blk_create(const struct kvirtio_create_device *args,
		      struct file **files, struct kvirtio_device **vdev,
		      void **type_priv)
{
	const struct kvirtio_blk_params *u = &args->blk;
	struct kvirtio_blk_opts o = {};
	struct kvirtio_blk_backend *be;
	bool ro = u->flags & KVIRTIO_BLK_F_READ_ONLY;
	u16 qsize = blk_qsize(args);
	int ret;

	o.num_queues = args->num_queues;
	o.queue_size = qsize;
	o.seg_max = min_t(u32, u->seg_max ? u->seg_max :
			  KVIRTIO_BLK_DEF_SEG_MAX, qsize - 2);
	o.size_max = u->size_max;
	o.read_only = ro;
	o.flush = u->flags & KVIRTIO_BLK_F_FLUSH;
	memcpy(o.serial, u->serial, sizeof(o.serial));

	/* The backend takes its own reference to the file. */
	be = kvirtio_blk_file_create(files[0], u->capacity << KV_SECTOR_SHIFT,
				     u->logical_block_size, ro, o.seg_max);
	if (IS_ERR(be))
		return PTR_ERR(be);
	ret = kvirtio_blk_create(&o, be, vdev);
	if (ret) {
		kvirtio_blk_file_destroy(be);
		return ret;
	}
	*type_priv = be;
	return 0;
}

static void blk_destroy(struct kvirtio_device *vdev, void *type_priv)
{
	struct kvirtio_blk_file_counts c;

	kvirtio_blk_file_get_counts(type_priv, &c);
	atomic_long_add(c.queued, &kvirtio_live.file_async);
	kvirtio_blk_destroy(vdev);
	kvirtio_blk_file_destroy(type_priv);
}

/* debugfs: how the backing file served the requests. */
static void blk_show(struct kvirtio_device *vdev, void *type_priv,
		     struct seq_file *m)
{
	struct kvirtio_blk_file_counts c;

	kvirtio_blk_file_get_counts(type_priv, &c);
	seq_printf(m, "file_kiocbs %llu\nfile_async %llu\n", c.kiocbs, c.queued);
	seq_printf(m, "file_pagevecs %llu\nfile_bounced %llu\n", c.pagevecs,
		   c.bounced);
}

/*
 * features_off may hold offload, MRG_RXBUF, CTRL_* and MQ bits: those the
 * device can offer and do without (devices/net.c refuses any other).
 */
#define KV_NET_FEATURES_OFF_OK	(BIT_ULL(VIRTIO_NET_F_CSUM) |		\
				 BIT_ULL(VIRTIO_NET_F_GUEST_CSUM) |	\
				 BIT_ULL(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) | \
				 BIT_ULL(VIRTIO_NET_F_GUEST_TSO4) |	\
				 BIT_ULL(VIRTIO_NET_F_GUEST_TSO6) |	\
				 BIT_ULL(VIRTIO_NET_F_GUEST_ECN) |	\
				 BIT_ULL(VIRTIO_NET_F_HOST_TSO4) |	\
				 BIT_ULL(VIRTIO_NET_F_HOST_TSO6) |	\
				 BIT_ULL(VIRTIO_NET_F_HOST_ECN) |	\
				 BIT_ULL(VIRTIO_NET_F_MRG_RXBUF) |	\
				 BIT_ULL(VIRTIO_NET_F_CTRL_VQ) |	\
				 BIT_ULL(VIRTIO_NET_F_CTRL_RX) |	\
				 BIT_ULL(VIRTIO_NET_F_MQ) |		\
				 BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR))

static int net_check(const struct kvirtio_create_device *args)
{
	const struct kvirtio_net_params *u = &args->net;
	const u8 *tail = (const u8 *)args->type_params + sizeof(*u);
	unsigned int i, nq;

	BUILD_BUG_ON(sizeof(*u) > sizeof(args->type_params));
	BUILD_BUG_ON(ARRAY_SIZE(u->tap_fds) < KVIRTIO_NET_PAIRS_MAX);
	/* The union's bytes past the net parameters are reserved too. */
	if (u->reserved0 || u->reserved1 ||
	    memchr_inv(u->reserved, 0, sizeof(u->reserved)) ||
	    memchr_inv(tail, 0, sizeof(args->type_params) - sizeof(*u)))
		return -EINVAL;
	if (!u->num_pairs || u->num_pairs > KVIRTIO_NET_PAIRS_MAX)
		return -EINVAL;
	if (args->queue_size_max > KVIRTIO_NET_QUEUE_SIZE_MAX)
		return -EINVAL;
	if ((u->flags & ~KVIRTIO_NET_F_ALL) ||
	    (u->features_off & ~KV_NET_FEATURES_OFF_OK))
		return -EINVAL;
	/* Receive and transmit per pair, then the control queue if offered. */
	nq = 2 * u->num_pairs +
	     !(u->features_off & BIT_ULL(VIRTIO_NET_F_CTRL_VQ));
	if (args->num_queues && args->num_queues != nq)
		return -EINVAL;
	/* Unicast and not all zero. */
	if (!is_valid_ether_addr(u->mac))
		return -EINVAL;
	if (u->mtu && u->mtu < KVIRTIO_NET_MTU_MIN)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(u->tap_fds); i++) {
		if (i >= u->num_pairs && u->tap_fds[i] != -1)
			return -EINVAL;
		if (i < u->num_pairs && u->tap_fds[i] < 0)
			return -EBADF;
	}
	return 0;
}

static int net_get_files(const struct kvirtio_create_device *args,
			 struct file **files)
{
	const struct kvirtio_net_params *u = &args->net;
	unsigned int i;
	int ret;

	ret = net_check(args);
	if (ret)
		return ret;
	for (i = 0; i < u->num_pairs; i++) {
		files[i] = fget(u->tap_fds[i]);
		if (!files[i]) {
			kvirtio_type_put_files(files, i);
			return -EBADF;
		}
	}
	return u->num_pairs;
}

static int net_create(const struct kvirtio_create_device *args,
		      struct file **files, struct kvirtio_device **vdev,
		      void **type_priv)
{
	const struct kvirtio_net_params *u = &args->net;
	struct kvirtio_net_opts o = {};
	struct kvirtio_net_backend *be;
	int ret;

	o.num_pairs = u->num_pairs;
	o.queue_size = args->queue_size_max;
	memcpy(o.mac, u->mac, sizeof(o.mac));
	o.mtu = u->mtu;
	o.features_off = u->features_off;
	o.link_down = u->flags & KVIRTIO_NET_F_LINK_DOWN;

	/* The backend takes its own references to the taps. */
	be = kvirtio_net_tap_create(files, u->num_pairs);
	if (IS_ERR(be))
		return PTR_ERR(be);
	ret = kvirtio_net_create(&o, be, vdev);
	if (ret) {
		kvirtio_net_tap_destroy(be);
		return ret;
	}
	*type_priv = be;
	return 0;
}

static void net_destroy(struct kvirtio_device *vdev, void *type_priv)
{
	/* No readiness callback may reach the device once it is freed. */
	kvirtio_net_tap_quiesce(type_priv);
	kvirtio_net_destroy(vdev);
	kvirtio_net_tap_destroy(type_priv);
}

/* debugfs: the device's and the tap's counters, one "name value" a line. */
static void net_show_rows(struct seq_file *m,
			  const struct kvirtio_net_stats *s,
			  const struct kvirtio_net_tap_counts *c)
{
	const struct {
		const char *name;
		u64 val;
	} rows[] = {
		{ "net_tx_packets", s->tx_packets },
		{ "net_tx_bytes", s->tx_bytes },
		{ "net_tx_bad_hdr", s->tx_bad_hdr },
		{ "net_tx_bad_len", s->tx_bad_len },
		{ "net_tx_backend_err", s->tx_backend_err },
		{ "net_rx_packets", s->rx_packets },
		{ "net_rx_bytes", s->rx_bytes },
		{ "net_rx_merged", s->rx_merged },
		{ "net_rx_too_big", s->rx_too_big },
		{ "net_rx_filtered", s->rx_filtered },
		{ "net_rx_bad_hdr", s->rx_bad_hdr },
		{ "net_rx_bad_buf", s->rx_bad_buf },
		{ "net_rx_backend_err", s->rx_backend_err },
		{ "net_rx_no_buffers", s->rx_no_buffers },
		{ "net_ctrl_ok", s->ctrl_ok },
		{ "net_ctrl_err", s->ctrl_err },
		{ "net_link_changes", s->link_changes },
		{ "tap_tx_frames", c->tx_frames },
		{ "tap_tx_errors", c->tx_errors },
		{ "tap_rx_frames", c->rx_frames },
		{ "tap_rx_errors", c->rx_errors },
		{ "tap_rx_dropped", c->rx_dropped },
		{ "tap_wakeups", c->wakeups },
		{ "tap_bounced", c->bounced },
		{ "tap_offload_sets", c->offload_sets },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rows); i++)
		seq_printf(m, "%s %llu\n", rows[i].name, rows[i].val);
}

static void net_show(struct kvirtio_device *vdev, void *type_priv,
		     struct seq_file *m)
{
	struct kvirtio_net_tap_counts c;
	struct kvirtio_net_stats s;

	kvirtio_net_get_stats(vdev, &s);
	kvirtio_net_tap_counts(type_priv, &c);
	seq_printf(m, "net_active_pairs %u\n",
		   kvirtio_net_active_pairs(vdev));
	net_show_rows(m, &s, &c);
}

static const struct kvirtio_hdev_type kvirtio_hdev_types[] = {
	{
		.type = KVIRTIO_DEV_NET,
		.name = "net",
		.get_files = net_get_files,
		.create = net_create,
		.destroy = net_destroy,
		.show = net_show,
		/*
		 * A transmit stream served in the kicking vCPU empties the
		 * ring at every kick, so the guest kicks every packet: one
		 * exit each (make bench --mode net: 1.6 exits per packet and
		 * 1/16 of the worker's rate).  The worker runs beside the
		 * guest and lets it batch.  KVIRTIO_OPT_INLINE still turns
		 * inline passes on.
		 */
		.worker_kicks = true,
	},
	{
		.type = KVIRTIO_DEV_BLK,
		.name = "blk",
		.get_files = blk_get_files,
		.create = blk_create,
		.destroy = blk_destroy,
		.show = blk_show,
	},
	{
		.type = KVIRTIO_DEV_RNG,
		.name = "rng",
		.get_files = rng_get_files,
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

/**
 * kvirtio_type_put_files - drop the references kvirtio_hdev_type::get_files
 *	took
 * @files: the files
 * @nr: how many (the count get_files returned)
 */
void kvirtio_type_put_files(struct file **files, unsigned int nr)
{
	while (nr--) {
		fput(files[nr]);
		files[nr] = NULL;
	}
}
