// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio device test harness (see kvirtio_dev_harness.h).
 */
#include "kvirtio_dev_harness.h"

static struct kvt_dev *to_kvt(struct kvirtio_device *vdev)
{
	return vdev->host_priv;
}

static void kvt_queue_interrupt(struct kvirtio_device *vdev, u16 qid)
{
	to_kvt(vdev)->queue_irqs++;
}

static void kvt_config_interrupt(struct kvirtio_device *vdev)
{
	to_kvt(vdev)->config_irqs++;
}

static void kvt_needs_reset(struct kvirtio_device *vdev)
{
	to_kvt(vdev)->needs_reset++;
}

static void kvt_kick(struct kvirtio_device *vdev, u16 qid)
{
	if (qid < KVT_MAX_QUEUES)
		to_kvt(vdev)->kicks[qid]++;
}

static const struct kvirtio_transport_ops kvt_transport = {
	.queue_interrupt = kvt_queue_interrupt,
	.config_interrupt = kvt_config_interrupt,
	.needs_reset = kvt_needs_reset,
};

static const struct kvirtio_host_ops kvt_host = {
	.kick = kvt_kick,
};

/**
 * kvt_dev_attach() - wire @vdev to test guest memory and enable its queues
 * @h: harness state (zeroed by the caller)
 * @vdev: the device
 * @features: what the "driver" accepted
 * @qsize: size of every queue
 *
 * Return: 0 or a negative errno from memory, queue setup or queue_enable.
 */
int kvt_dev_attach(struct kvt_dev *h, struct kvirtio_device *vdev,
		   u64 features, u16 qsize)
{
	struct kvirtio_queue_config cfg;
	u64 gpa = KVT_MEM_BASE;
	u16 q;
	int ret;

	if (vdev->num_queues > KVT_MAX_QUEUES)
		return -EINVAL;
	ret = kvirtio_test_mem_init(&h->tm, KVT_MEM_BASE, KVT_MEM_SIZE);
	if (ret)
		return ret;
	h->vdev = vdev;
	vdev->mem = &h->tm.mem;
	vdev->transport = &kvt_transport;
	vdev->host = &kvt_host;
	vdev->host_priv = h;
	vdev->driver_features = features;
	for (q = 0; q < vdev->num_queues; q++) {
		gpa = kvirtio_test_ring_place(&h->rings[q], &h->tm, qsize, gpa);
		kvirtio_test_ring_config(&h->rings[q], &cfg, features,
					 vdev->max_chain);
		ret = kvirtio_queue_setup(&vdev->queues[q], &h->tm.mem, &cfg);
		if (!ret)
			ret = vdev->ops->queue_enable(vdev, q);
		if (ret)
			return ret;
	}
	h->heap = ALIGN(gpa, 4096);
	return 0;
}

/**
 * kvt_dev_detach() - reset the device, tear its queues down, free memory
 * @h: harness state
 */
void kvt_dev_detach(struct kvt_dev *h)
{
	u16 q;

	if (!h->vdev)
		return;
	if (h->vdev->ops->reset)
		h->vdev->ops->reset(h->vdev);
	for (q = 0; q < h->vdev->num_queues; q++)
		kvirtio_queue_teardown(&h->vdev->queues[q]);
	kvirtio_test_mem_destroy(&h->tm);
	h->vdev = NULL;
}

/* Carve @len bytes of guest memory, 16-byte aligned; 0 when full. */
u64 kvt_alloc(struct kvt_dev *h, u32 len)
{
	u64 gpa = h->heap;

	if (gpa + len > KVT_MEM_BASE + KVT_MEM_SIZE)
		return 0;
	h->heap = ALIGN(gpa + len, 16);
	return gpa;
}

/* Write a direct chain of @n buffers and make it available. */
u16 kvt_post(struct kvt_dev *h, u16 qid, const struct kvirtio_test_buf *bufs,
	     u16 n)
{
	struct kvirtio_test_ring *r = &h->rings[qid];
	u16 head = kvirtio_test_add_chain(r, h->next_desc[qid], bufs, n);

	h->next_desc[qid] += n;
	kvirtio_test_avail_add(r, head);
	kvirtio_test_avail_publish(r);
	return head;
}

/* One process_queue call with the given budget. */
int kvt_process(struct kvt_dev *h, u16 qid, u32 requests, u64 bytes)
{
	struct kvirtio_budget b = { .requests = requests, .bytes = bytes };

	return h->vdev->ops->process_queue(h->vdev, qid, &b);
}
