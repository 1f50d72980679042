// SPDX-License-Identifier: GPL-2.0-only
/*
 * TEST DOUBLE: recording virtio device and PCI host for the transport
 * suites.  See kvirtio_test_vdev.h.
 */
#include "kvirtio_test_vdev.h"

static struct kvtd *to_kvtd(struct kvirtio_device *vdev)
{
	return container_of(vdev, struct kvtd, vdev);
}

/* Read a common config register through the real BAR path. */
static u16 kvtd_peek_common16(struct kvtd *d, u32 off)
{
	u8 buf[2];

	kvirtio_pci_bar_read(&d->vp, KVIRTIO_PCI_BAR_CFG,
			     KVIRTIO_PCI_COMMON_OFF + off, buf, 2);
	return buf[0] | buf[1] << 8;
}

static int kvtd_config_read(struct kvirtio_device *vdev, u32 off, void *buf,
			    u32 len)
{
	memcpy(buf, to_kvtd(vdev)->config + off, len);
	return 0;
}

static int kvtd_config_write(struct kvirtio_device *vdev, u32 off,
			     const void *buf, u32 len)
{
	struct kvtd *d = to_kvtd(vdev);

	/* Only the last 4 bytes are writable by the driver. */
	if (off < KVTD_CONFIG_SIZE - 4)
		return -EPERM;
	memcpy(d->config + off, buf, len);
	d->config_writes++;
	return 0;
}

static int kvtd_validate_features(struct kvirtio_device *vdev, u64 features)
{
	struct kvtd *d = to_kvtd(vdev);

	d->validate_calls++;
	if ((features & BIT_ULL(KVTD_F_B)) && !(features & BIT_ULL(KVTD_F_A)))
		return -EINVAL;
	return 0;
}

static int kvtd_queue_enable(struct kvirtio_device *vdev, u16 qid)
{
	struct kvtd *d = to_kvtd(vdev);

	d->enable_calls++;
	return d->enable_ret;
}

static void kvtd_queue_disable(struct kvirtio_device *vdev, u16 qid)
{
	struct kvtd *d = to_kvtd(vdev);

	d->disable_calls++;
	d->disabled_mask |= 1u << qid;
	d->qreset_seen = kvtd_peek_common16(d, VIRTIO_PCI_COMMON_Q_RESET);
	d->qenable_seen = kvtd_peek_common16(d, VIRTIO_PCI_COMMON_Q_ENABLE);
}

static int kvtd_process_queue(struct kvirtio_device *vdev, u16 qid,
			      struct kvirtio_budget *budget)
{
	return 0;
}

static int kvtd_driver_ok(struct kvirtio_device *vdev)
{
	struct kvtd *d = to_kvtd(vdev);

	d->driver_ok_calls++;
	return d->driver_ok_ret;
}

static void kvtd_reset(struct kvirtio_device *vdev)
{
	struct kvtd *d = to_kvtd(vdev);
	u8 buf[1];

	d->reset_calls++;
	kvirtio_pci_bar_read(&d->vp, KVIRTIO_PCI_BAR_CFG,
			     KVIRTIO_PCI_COMMON_OFF + VIRTIO_PCI_COMMON_STATUS,
			     buf, 1);
	d->status_seen = buf[0];
}

static const struct kvirtio_device_ops kvtd_ops = {
	.config_read		= kvtd_config_read,
	.config_write		= kvtd_config_write,
	.validate_features	= kvtd_validate_features,
	.queue_enable		= kvtd_queue_enable,
	.queue_disable		= kvtd_queue_disable,
	.process_queue		= kvtd_process_queue,
	.driver_ok		= kvtd_driver_ok,
	.reset			= kvtd_reset,
};

static void kvtd_kick(struct kvirtio_device *vdev, u16 qid)
{
	struct kvtd *d = to_kvtd(vdev);

	if (qid < KVTD_MAX_QUEUES)
		d->kicks[qid]++;
	d->kick_total++;
}

static const struct kvirtio_host_ops kvtd_host_ops = {
	.kick = kvtd_kick,
};

static struct kvtd *vp_to_kvtd(struct kvirtio_pci *vp)
{
	return container_of(vp, struct kvtd, vp);
}

/*
 * The transport must call the host's interrupt hooks with its irq_lock
 * dropped (they signal eventfds).  The transport tests run in process
 * context, so interrupts off mean the lock is held; in userspace the lock
 * is a mutex this thread would already own.
 */
static bool kvtd_irq_lock_held(struct kvirtio_pci *vp)
{
#ifdef __KERNEL__
	return irqs_disabled();
#else
	if (pthread_mutex_trylock(&vp->irq_lock.m))
		return true;
	pthread_mutex_unlock(&vp->irq_lock.m);
	return false;
#endif
}

static void kvtd_msix(struct kvirtio_pci *vp, u16 vector)
{
	struct kvtd *d = vp_to_kvtd(vp);

	if (kvtd_irq_lock_held(vp))
		d->hooks_locked++;
	if (d->nmsix < KVTD_MSIX_LOG)
		d->msix_log[d->nmsix] = vector;
	d->nmsix++;
}

static void kvtd_intx(struct kvirtio_pci *vp, bool level)
{
	struct kvtd *d = vp_to_kvtd(vp);

	if (kvtd_irq_lock_held(vp))
		d->hooks_locked++;
	d->intx_calls++;
	if (level && !d->intx_level)
		d->intx_raises++;
	d->intx_level = level;
}

static void kvtd_msix_changed(struct kvirtio_pci *vp, u16 vector)
{
	struct kvtd *d = vp_to_kvtd(vp);

	d->msix_changed_calls++;
	d->msix_changed_last = vector;
}

static void kvtd_bar_changed(struct kvirtio_pci *vp, unsigned int bar)
{
	vp_to_kvtd(vp)->bar_changed_calls++;
}

static const struct kvirtio_pci_host_ops kvtd_pci_host_ops = {
	.msix		= kvtd_msix,
	.intx		= kvtd_intx,
	.msix_changed	= kvtd_msix_changed,
	.bar_changed	= kvtd_bar_changed,
};

/**
 * kvtd_init_flags() - a double device behind a fresh transport
 * @d: the double (zeroed here)
 * @num_queues: 1..KVTD_MAX_QUEUES
 * @queue_size_max: largest queue size offered
 * @device_features: device-specific bits to offer
 * @pci_flags: KVIRTIO_PCI_F_* for kvirtio_pci_init()
 *
 * Return: 0 or the errno of the memory double or kvirtio_pci_init().
 */
int kvtd_init_flags(struct kvtd *d, u16 num_queues, u16 queue_size_max,
		    u64 device_features, unsigned int pci_flags)
{
	unsigned int i;
	int err;

	memset(d, 0, sizeof(*d));
	if (!num_queues || num_queues > KVTD_MAX_QUEUES)
		return -EINVAL;
	err = kvirtio_test_mem_init(&d->tm, KVTD_MEM_BASE, KVTD_MEM_SIZE);
	if (err)
		return err;
	for (i = 0; i < KVTD_CONFIG_SIZE; i++)
		d->config[i] = 0xa0 + i;

	d->vdev.ops = &kvtd_ops;
	d->vdev.name = "kvtd";
	d->vdev.device_id = VIRTIO_ID_RNG;
	d->vdev.pci_class = 0xff0000;
	d->vdev.device_features = device_features;
	d->vdev.config_size = KVTD_CONFIG_SIZE;
	d->vdev.num_queues = num_queues;
	d->vdev.queue_size_max = queue_size_max;
	d->vdev.queues = d->vqs;
	d->vdev.mem = &d->tm.mem;
	d->vdev.host = &kvtd_host_ops;

	err = kvirtio_pci_init(&d->vp, &d->vdev, pci_flags, &kvtd_pci_host_ops,
			       d);
	if (err)
		kvirtio_test_mem_destroy(&d->tm);
	return err;
}

/**
 * kvtd_init() - kvtd_init_flags() without transport flags
 * @d: the double
 * @num_queues: 1..KVTD_MAX_QUEUES
 * @queue_size_max: largest queue size offered
 * @device_features: device-specific bits to offer
 *
 * Return: as kvtd_init_flags().
 */
int kvtd_init(struct kvtd *d, u16 num_queues, u16 queue_size_max,
	      u64 device_features)
{
	return kvtd_init_flags(d, num_queues, queue_size_max, device_features,
			       0);
}

/**
 * kvtd_destroy() - tear down transport and memory
 * @d: the double
 */
void kvtd_destroy(struct kvtd *d)
{
	kvirtio_pci_destroy(&d->vp);
	kvirtio_test_mem_destroy(&d->tm);
}
