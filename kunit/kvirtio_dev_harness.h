/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio device test harness: plays transport, host and guest driver
 * around one device so that KUnit suites can drive a device's ops
 * directly over the flat guest memory double.
 */
#ifndef KVIRTIO_DEV_HARNESS_H
#define KVIRTIO_DEV_HARNESS_H

#include "compat.h"
#include "virtio_dev.h"
#include "kvirtio_test_mem.h"

#define KVT_MAX_QUEUES		4
#define KVT_MEM_BASE		0x100000ULL
#define KVT_MEM_SIZE		(4ULL << 20)

/**
 * struct kvt_dev - one device under test
 * @tm: guest memory
 * @vdev: the device
 * @rings: the driver's view of each queue
 * @next_desc: next free descriptor index per queue
 * @heap: next free guest address for buffers
 * @needs_reset: transport needs_reset calls
 * @config_irqs: transport config interrupts
 * @queue_irqs: transport queue interrupts
 * @kicks: host kicks (per queue)
 */
struct kvt_dev {
	struct kvirtio_test_mem tm;
	struct kvirtio_device *vdev;
	struct kvirtio_test_ring rings[KVT_MAX_QUEUES];
	u16 next_desc[KVT_MAX_QUEUES];
	u64 heap;
	unsigned int needs_reset;
	unsigned int config_irqs;
	unsigned int queue_irqs;
	unsigned int kicks[KVT_MAX_QUEUES];
};

int kvt_dev_attach(struct kvt_dev *h, struct kvirtio_device *vdev,
		   u64 features, u16 qsize);
void kvt_dev_detach(struct kvt_dev *h);
u64 kvt_alloc(struct kvt_dev *h, u32 len);
u16 kvt_post(struct kvt_dev *h, u16 qid, const struct kvirtio_test_buf *bufs,
	     u16 n);
int kvt_process(struct kvt_dev *h, u16 qid, u32 requests, u64 bytes);

#endif /* KVIRTIO_DEV_HARNESS_H */
