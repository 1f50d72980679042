// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio device framework helpers shared by every host: the kernel
 * module's workers and the reference VMM's userspace backend run queues
 * through the same pass, so that only the place of the backend differs.
 */
#include "virtio_dev.h"

/**
 * kvirtio_device_service_queue() - one budgeted pass over one queue
 * @vdev: the device, after DRIVER_OK
 * @qid: the queue
 * @budget: work still allowed in this wakeup; decremented by the device
 *
 * Kicks stay suppressed while the device works.  Each batch of completions
 * is published with one flush and gets one interrupt decision.  When the
 * queue drains, kicks are re-enabled and the avail ring is looked at once
 * more, so that a buffer the driver added in between is not stranded.
 * When the budget runs out, kicks stay off: the caller comes back soon.
 *
 * Return: 0 when the queue drained (or is not ready), 1 when the budget ran
 * out with work left, or the negative errno of a queue that broke.
 */
int kvirtio_device_service_queue(struct kvirtio_device *vdev, u16 qid,
				 struct kvirtio_budget *budget)
{
	struct kvirtio_queue *vq = &vdev->queues[qid];
	int ret;

	if (!kvirtio_queue_ready(vq))
		return 0;

	kvirtio_queue_disable_notify(vq);
	for (;;) {
		u16 published = vq->published_used_idx;

		ret = vdev->ops->process_queue(vdev, qid, budget);
		kvirtio_queue_flush(vq);
		if (vq->published_used_idx != published &&
		    kvirtio_queue_should_notify(vq))
			vdev->transport->queue_interrupt(vdev, qid);
		if (ret < 0)
			return ret;
		if (ret > 0 || !budget->requests || !budget->bytes)
			return 1;
		if (!kvirtio_queue_enable_notify(vq))
			return 0;
		kvirtio_queue_disable_notify(vq);
	}
}
