// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio virtio-rng device.
 *
 * The driver posts device-writable buffers; the device fills them from the
 * host's random source and returns them with the number of bytes written.
 * Readable descriptors carry no meaning for this device and are ignored;
 * a chain without writable descriptors is returned with length 0 so the
 * driver gets its buffer back instead of the queue stalling.
 */
#include "../compat.h"
#include "../virtqueue.h"
#include "../virtio_dev.h"
#include "rng.h"

/* Random bytes are produced in chunks of this size (stack buffer). */
#define RNG_CHUNK	256

struct kvirtio_rng {
	struct kvirtio_device vdev;
	struct kvirtio_queue queue;
	u32 req_max;
	kvirtio_rng_fill_t fill;
	void *fill_opaque;
	struct kvirtio_desc descs[KVIRTIO_RNG_MAX_CHAIN];
};

static struct kvirtio_rng *to_rng(struct kvirtio_device *vdev)
{
	return container_of(vdev, struct kvirtio_rng, vdev);
}

/*
 * Fill up to @want writable bytes of @chain.  Returns the bytes written or
 * a negative errno when guest memory could not be written (the buffers
 * were validated at pop time, so that is a host fault or a hole punched
 * since: the queue breaks).
 */
static int rng_fill_chain(struct kvirtio_rng *rng,
			  const struct kvirtio_chain *chain, u32 want)
{
	struct kvirtio_chain_iter it;
	u8 buf[RNG_CHUNK];
	u32 done = 0;
	int ret;

	kvirtio_chain_iter_writable(&it, chain);
	while (done < want) {
		u32 n = min_t(u32, want - done, sizeof(buf));

		rng->fill(rng->fill_opaque, buf, n);
		ret = kvirtio_chain_write(&it, rng->vdev.mem, buf, n);
		if (ret < 0) {
			memset(buf, 0, sizeof(buf));
			return ret;
		}
		done += n;
	}
	/* Do not leave entropy handed to the guest on the host stack. */
	memset(buf, 0, sizeof(buf));
	return done;
}

static int rng_process_queue(struct kvirtio_device *vdev, u16 qid,
			     struct kvirtio_budget *budget)
{
	struct kvirtio_rng *rng = to_rng(vdev);
	struct kvirtio_queue *vq = &rng->queue;
	struct kvirtio_chain chain;
	int ret = 0;

	if (qid != 0 || !kvirtio_queue_ready(vq))
		return 0;

	while (budget->requests && budget->bytes) {
		u32 want;

		chain.descs = rng->descs;
		chain.capacity = KVIRTIO_RNG_MAX_CHAIN;
		ret = kvirtio_queue_pop(vq, &chain);
		if (ret == -EAGAIN || ret == -EIO)
			break;
		if (ret < 0)
			goto broken;
		budget->requests--;

		want = min_t(u32, chain.writable_len, rng->req_max);
		want = min_t(u64, want, budget->bytes);
		ret = rng_fill_chain(rng, &chain, want);
		if (ret < 0) {
			kvirtio_queue_break(vq, ret, "rng: writing the buffer failed");
			goto broken;
		}
		budget->bytes -= ret;
		ret = kvirtio_queue_push(vq, chain.head, ret);
		if (ret < 0)
			goto broken;
	}
	kvirtio_queue_flush(vq);
	if (ret == -EAGAIN || ret == -EIO)
		return 0;
	return kvirtio_queue_has_avail(vq) ? 1 : 0;

broken:
	kvirtio_device_needs_reset(vdev);
	return ret;
}

static int rng_queue_enable(struct kvirtio_device *vdev, u16 qid)
{
	return qid == 0 ? 0 : -EINVAL;
}

/*
 * No queue_disable or reset: requests complete inside process_queue, so
 * nothing is ever in flight and the device keeps no state to reset.
 */
static const struct kvirtio_device_ops rng_ops = {
	.queue_enable = rng_queue_enable,
	.process_queue = rng_process_queue,
};

/**
 * kvirtio_rng_create() - create a virtio-rng device
 * @opts: queue size, request cap and random source
 * @out: the new device
 *
 * The device has no config space and one queue.  The transport and the
 * host fill in their parts of @out (transport, host, mem) before use.
 *
 * Return: 0 or -EINVAL for bad @opts, -ENOMEM.
 */
int kvirtio_rng_create(const struct kvirtio_rng_opts *opts,
		       struct kvirtio_device **out)
{
	u16 qsize = opts->queue_size ? opts->queue_size :
			KVIRTIO_RNG_DEF_QUEUE_SIZE;
	u32 req_max = opts->req_max ? opts->req_max : KVIRTIO_RNG_REQ_MAX;
	struct kvirtio_rng *rng;

	if (!opts->fill || !is_power_of_2(qsize) ||
	    qsize > KVIRTIO_RNG_QUEUE_SIZE_MAX || req_max > KVIRTIO_RNG_REQ_MAX)
		return -EINVAL;

	rng = kzalloc(sizeof(*rng), GFP_KERNEL_ACCOUNT);
	if (!rng)
		return -ENOMEM;
	rng->req_max = req_max;
	rng->fill = opts->fill;
	rng->fill_opaque = opts->fill_opaque;

	rng->vdev.ops = &rng_ops;
	rng->vdev.name = "rng";
	rng->vdev.device_id = VIRTIO_ID_RNG;
	/* Base class 0xff: no PCI class describes an entropy source. */
	rng->vdev.pci_class = 0xff0000;
	rng->vdev.device_features = BIT_ULL(VIRTIO_F_VERSION_1) |
				    BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) |
				    BIT_ULL(VIRTIO_RING_F_EVENT_IDX) |
				    BIT_ULL(VIRTIO_F_RING_RESET);
	rng->vdev.config_size = 0;
	rng->vdev.num_queues = 1;
	rng->vdev.queue_size_max = qsize;
	rng->vdev.max_chain = KVIRTIO_RNG_MAX_CHAIN;
	rng->vdev.queues = &rng->queue;
	rng->vdev.priv = rng;
	*out = &rng->vdev;
	return 0;
}

/**
 * kvirtio_rng_destroy() - free a device made by kvirtio_rng_create()
 * @vdev: the device, already reset and detached from its transport
 */
void kvirtio_rng_destroy(struct kvirtio_device *vdev)
{
	if (vdev)
		kfree(to_rng(vdev));
}
