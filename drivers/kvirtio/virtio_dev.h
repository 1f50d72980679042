/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio device framework (the seed's VirtioDeviceConfig).
 *
 * A device type (rng, blk, ...) fills a struct kvirtio_device and its ops;
 * the transport (virtio_pci.c) owns feature negotiation, the status state
 * machine, queue programming and interrupt routing, and calls the device
 * back through the ops.  The device signals the driver only through the
 * kvirtio_device_*() helpers below, which go to the transport.  No part of
 * this file knows about PCI or KVM.
 */
#ifndef KVIRTIO_VIRTIO_DEV_H
#define KVIRTIO_VIRTIO_DEV_H

#include "compat.h"
#include "guest_mem.h"
#include "virtqueue.h"

struct kvirtio_device;

/**
 * struct kvirtio_budget - work a device may do in one process_queue call
 * @requests: chains it may still pop
 * @bytes: payload bytes it may still move
 * @no_overdraw: do not start a request larger than @bytes in this pass:
 *	leave it to a later pass (an inline pass in a vCPU's thread must stay
 *	short; a worker pass may overdraw by one request)
 *
 * Per-wakeup budgets keep one queue from monopolising a worker
 * (CVE-2019-3900).  The device decrements both as it goes.
 */
struct kvirtio_budget {
	u32 requests;
	u64 bytes;
	bool no_overdraw;
};

/**
 * struct kvirtio_host_ops - what the host (module, VMM, KUnit) provides
 * @kick: queue @qid has work: the driver notified it, or an asynchronous
 *	request completed.  Schedule process_queue for it.  Callable from
 *	any context, including hard interrupt; must not sleep.
 */
struct kvirtio_host_ops {
	void (*kick)(struct kvirtio_device *vdev, u16 qid);
};

/**
 * struct kvirtio_device_ops - device type callbacks
 * @config_read: read @len bytes of device config at @off into @buf.  The
 *	transport has checked that [@off, @off + @len) is inside
 *	@config_size.  May be NULL when @config_size is 0.
 * @config_write: write to device config; return 0 or a negative errno
 *	(the write is then ignored).  On a change the device calls
 *	kvirtio_device_config_changed().  NULL: config is read-only.
 * @validate_features: extra checks at FEATURES_OK on the driver's
 *	accepted set @features (already a subset of the offered set, with
 *	VERSION_1).  Return 0 to accept or a negative errno to refuse.
 * @queue_enable: the driver enabled queue @qid and its rings are set up in
 *	@vdev->queues[@qid].  Return a negative errno to refuse.  Called with
 *	the device stopped or the queue idle.
 * @queue_disable: queue @qid is being reset (VIRTIO_F_RING_RESET) or the
 *	whole device is being reset.  When it returns, the device no longer
 *	touches the queue and has completed or cancelled its in-flight
 *	requests.
 * @process_queue: do the work of queue @qid: reap completed requests,
 *	push their used elements, pop and start new chains, until the queue
 *	is empty or @budget is spent.  Return 1 when work remains (the budget
 *	ran out: call again soon), 0 when the queue is drained, or a negative
 *	errno when the queue broke (the device has called
 *	kvirtio_device_needs_reset()).  Called by the host's worker, one call
 *	per queue at a time, never before driver_ok.  The worker, not the
 *	device, owns notification suppression and the interrupt decision.
 * @driver_ok: the driver set DRIVER_OK; queues may be processed from now.
 * @reset: device reset.  On return every queue is quiescent, device state
 *	is back to its initial values and no interrupt will be raised.
 */
struct kvirtio_device_ops {
	int (*config_read)(struct kvirtio_device *vdev, u32 off, void *buf,
			   u32 len);
	int (*config_write)(struct kvirtio_device *vdev, u32 off,
			    const void *buf, u32 len);
	int (*validate_features)(struct kvirtio_device *vdev, u64 features);
	int (*queue_enable)(struct kvirtio_device *vdev, u16 qid);
	void (*queue_disable)(struct kvirtio_device *vdev, u16 qid);
	int (*process_queue)(struct kvirtio_device *vdev, u16 qid,
			     struct kvirtio_budget *budget);
	int (*driver_ok)(struct kvirtio_device *vdev);
	void (*reset)(struct kvirtio_device *vdev);
};

/**
 * struct kvirtio_transport_ops - what a device may ask of its transport
 * @queue_interrupt: signal used buffers on queue @qid (MSI-X vector or
 *	ISR QUEUE + INTx), unless the queue is mapped to NO_VECTOR.
 * @config_interrupt: signal a config change (ISR CONFIG + INTx, or the
 *	config MSI-X vector), bumping config_generation.
 * @needs_reset: set DEVICE_NEEDS_RESET and send a config interrupt.
 *
 * These are callable from the data path (worker context): they must not
 * sleep and must not take the transport's configuration lock.
 */
struct kvirtio_transport_ops {
	void (*queue_interrupt)(struct kvirtio_device *vdev, u16 qid);
	void (*config_interrupt)(struct kvirtio_device *vdev);
	void (*needs_reset)(struct kvirtio_device *vdev);
};

/**
 * struct kvirtio_device - one virtio device instance
 * @ops: device type callbacks
 * @name: short type name ("rng", "blk")
 * @device_id: VIRTIO_ID_*
 * @pci_class: PCI class code, base << 16 | sub << 8 | prog-if
 * @device_features: features offered; VIRTIO_F_VERSION_1 is always set
 * @driver_features: features accepted, valid once FEATURES_OK holds
 * @config_size: bytes of device-specific config space
 * @num_queues: queues the device has
 * @queue_size_max: largest size offered for each queue (power of two)
 * @max_chain: descriptors per chain the device accepts (0: queue size)
 * @queues: @num_queues queues, owned by the transport's programming
 * @mem: guest memory for rings and buffers
 * @transport: the transport's callbacks (set by the transport)
 * @host: the host's callbacks (set by the host)
 * @host_priv: the host's own state
 * @transport_priv: the transport's own state
 * @priv: the device type's own state
 */
struct kvirtio_device {
	const struct kvirtio_device_ops *ops;
	const char *name;
	u32 device_id;
	u32 pci_class;
	u64 device_features;
	u64 driver_features;
	u32 config_size;
	u16 num_queues;
	u16 queue_size_max;
	u16 max_chain;
	struct kvirtio_queue *queues;
	struct kvirtio_guest_mem *mem;
	const struct kvirtio_transport_ops *transport;
	void *transport_priv;
	const struct kvirtio_host_ops *host;
	void *host_priv;
	void *priv;
};

int kvirtio_device_service_queue(struct kvirtio_device *vdev, u16 qid,
				 struct kvirtio_budget *budget);

static inline bool kvirtio_device_has_feature(const struct kvirtio_device *vdev,
					      unsigned int bit)
{
	return bit < 64 && (vdev->driver_features & (1ULL << bit));
}

static inline void kvirtio_device_queue_interrupt(struct kvirtio_device *vdev,
						  u16 qid)
{
	vdev->transport->queue_interrupt(vdev, qid);
}

static inline void kvirtio_device_config_changed(struct kvirtio_device *vdev)
{
	vdev->transport->config_interrupt(vdev);
}

static inline void kvirtio_device_kick(struct kvirtio_device *vdev, u16 qid)
{
	vdev->host->kick(vdev, qid);
}

static inline void kvirtio_device_needs_reset(struct kvirtio_device *vdev)
{
	vdev->transport->needs_reset(vdev);
}

#endif /* KVIRTIO_VIRTIO_DEV_H */
