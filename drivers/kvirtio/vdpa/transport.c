// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio vDPA front end: struct vdpa_config_ops over a struct
 * kvirtio_device.
 *
 * This is the vDPA counterpart of virtio_pci.c: it owns feature
 * negotiation, the status state machine and the queue programming, and
 * hands the rings to the same virtqueue engine and device code.  The
 * driver is vhost_vdpa (a VMM through /dev/vhost-vdpa-N) or virtio_vdpa
 * (the host's own virtio drivers); both are treated as untrusted input
 * except for one thing: identity (physical) addressing is allowed only
 * to virtio_vdpa (mem.c).
 *
 * Config ops run under the device mutex; those that set up or stop queues
 * first wait for every worker pass to end (kvirtio_workers_pause_sync()),
 * as the engine requires.  kick_vq may come from any context (a vhost
 * worker, or virtio_vdpa's notify inside the block layer's locks): it only
 * marks the queue and wakes its worker.  Queue and config interrupts are
 * the driver's callbacks, called from the worker with softirqs off.
 *
 * Queues are set up when both the driver's ready bit and DRIVER_OK hold
 * (ready first and then DRIVER_OK, as virtio_vdpa and QEMU do, or a queue
 * enabled after DRIVER_OK).  A ring the engine refuses (not mapped,
 * misaligned, size) or a device that fails DRIVER_OK sets NEEDS_RESET and
 * calls the config callback; a queue the driver breaks later does the
 * same through the engine.
 */
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kvdpa.h"
#include "../host/net_tap.h"
#include "../virtqueue.h"
#include "../virtio_pci.h"

#define KVDPA_STATUS_DRIVER_BITS	(VIRTIO_CONFIG_S_ACKNOWLEDGE | \
					 VIRTIO_CONFIG_S_DRIVER | \
					 VIRTIO_CONFIG_S_FEATURES_OK | \
					 VIRTIO_CONFIG_S_DRIVER_OK | \
					 VIRTIO_CONFIG_S_FAILED)

/*
 * Transport feature bits (24..41): only these reach the driver.  Packed
 * rings, RING_RESET (no vDPA op), NOTIFICATION_DATA, IN_ORDER and the
 * others are not offered; ACCESS_PLATFORM always is (vhost_vdpa and QEMU
 * need it) and never reaches the device.
 */
#define KVDPA_F_TRANSPORT	GENMASK_ULL(41, 24)
#define KVDPA_F_TRANSPORT_OK	(BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) | \
				 BIT_ULL(VIRTIO_RING_F_EVENT_IDX) | \
				 BIT_ULL(VIRTIO_F_VERSION_1))

/* The virtio_vdpa driver: the host kernel's own virtio drivers. */
#define KVDPA_KERNEL_DRIVER	"virtio_vdpa"

static struct kvdpa_dev *to_kd(struct vdpa_device *vdpa)
{
	return container_of(vdpa, struct kvdpa_dev, vdpa);
}

static struct kvdpa_vq *kd_vq(struct kvdpa_dev *d, u16 idx)
{
	return idx < d->vdev->num_queues ? &d->vqs[idx] : NULL;
}

/* ---- what the device asks of its transport (worker context) ---------- */

static void kd_config_cb(struct kvdpa_dev *d)
{
	spin_lock_bh(&d->cb_lock);
	if (d->config_cb.callback)
		d->config_cb.callback(d->config_cb.private);
	spin_unlock_bh(&d->cb_lock);
}

static void kd_queue_interrupt(struct kvirtio_device *vdev, u16 qid)
{
	struct kvdpa_dev *d = vdev->transport_priv;
	struct kvdpa_vq *vq = kd_vq(d, qid);

	if (!vq || !READ_ONCE(vq->live))
		return;
	atomic64_inc(&d->stats.interrupts);
	spin_lock_bh(&vq->cb_lock);
	if (vq->cb.callback)
		vq->cb.callback(vq->cb.private);
	spin_unlock_bh(&vq->cb_lock);
}

static void kd_config_interrupt(struct kvirtio_device *vdev)
{
	struct kvdpa_dev *d = vdev->transport_priv;

	atomic_inc(&d->generation);
	if (READ_ONCE(d->status) & VIRTIO_CONFIG_S_DRIVER_OK)
		kd_config_cb(d);
}

/* Also the transport's own way to tell the driver it gave up. */
static void kd_needs_reset(struct kvirtio_device *vdev)
{
	struct kvdpa_dev *d = vdev->transport_priv;
	u8 st;

	spin_lock(&d->status_lock);
	st = d->status;
	/* A device being reset or not yet initialised has nothing to say. */
	if (st)
		WRITE_ONCE(d->status, st | VIRTIO_CONFIG_S_NEEDS_RESET);
	spin_unlock(&d->status_lock);
	/* Before DRIVER_OK the driver reads the status when it sets it. */
	if (st & VIRTIO_CONFIG_S_DRIVER_OK)
		kd_config_cb(d);
}

static const struct kvirtio_transport_ops kd_transport_ops = {
	.queue_interrupt = kd_queue_interrupt,
	.config_interrupt = kd_config_interrupt,
	.needs_reset = kd_needs_reset,
};

/* An asynchronous completion or a backend event: the worker runs it. */
static void kd_host_kick(struct kvirtio_device *vdev, u16 qid)
{
	struct kvdpa_dev *d = vdev->host_priv;

	kvirtio_workers_kick(&d->workers, qid);
}

static const struct kvirtio_host_ops kd_host_ops = {
	.kick = kd_host_kick,
};

/* ---- queues (config path: d->lock held, no pass running) ------------- */

/* Bytes of the device area the engine maps: flags, idx, ring, avail_event. */
static u32 kd_used_bytes(u32 num)
{
	return 4 + num * (u32)sizeof(struct kvirtio_vring_used_elem) + 2;
}

/* Hand queue @q to the engine; 0 or why the ring was refused. */
static int kd_vq_start(struct kvdpa_dev *d, u16 q)
{
	struct kvirtio_device *vdev = d->vdev;
	struct kvdpa_vq *vq = &d->vqs[q];
	struct kvirtio_queue_config cfg = {
		.desc = vq->desc,
		.avail = vq->driver,
		.used = vq->device,
		.features = vdev->driver_features,
		.max_chain = vdev->max_chain,
		/* Nothing is in flight at a start: used catches up with avail. */
		.last_avail_idx = vq->base,
		.used_idx = vq->base,
	};
	int ret;

	lockdep_assert_held(&d->lock);
	if (vq->live)
		return 0;
	if (!vq->num || vq->num > vdev->queue_size_max)
		return -EINVAL;
	cfg.size = vq->num;
	kvdpa_mem_expect_write(&d->mem, vq->device, kd_used_bytes(vq->num));
	ret = kvirtio_queue_setup(&vdev->queues[q], &d->mem.gmem, &cfg);
	kvdpa_mem_expect_write(&d->mem, 0, 0);
	if (!ret && vdev->ops->queue_enable) {
		ret = vdev->ops->queue_enable(vdev, q);
		if (ret)
			kvirtio_queue_teardown(&vdev->queues[q]);
	}
	if (ret)
		return ret;
	WRITE_ONCE(vq->live, true);
	return 0;
}

/* Take queue @q from the engine; its avail index is kept in @base. */
static void kd_vq_stop(struct kvdpa_dev *d, u16 q)
{
	struct kvirtio_device *vdev = d->vdev;
	struct kvdpa_vq *vq = &d->vqs[q];

	lockdep_assert_held(&d->lock);
	if (!vq->live)
		return;
	WRITE_ONCE(vq->live, false);
	if (vdev->ops->queue_disable)
		vdev->ops->queue_disable(vdev, q);
	vq->base = vdev->queues[q].last_avail_idx;
	kvirtio_queue_teardown(&vdev->queues[q]);
}

static void kd_status_or(struct kvdpa_dev *d, u8 bits)
{
	spin_lock(&d->status_lock);
	WRITE_ONCE(d->status, d->status | bits);
	spin_unlock(&d->status_lock);
}

/* Device reset: every queue stopped, every driver setting forgotten. */
static void kd_reset(struct kvdpa_dev *d)
{
	struct kvirtio_device *vdev = d->vdev;
	u16 q;

	lockdep_assert_held(&d->lock);
	kvirtio_workers_pause_sync(&d->workers);
	kvirtio_workers_disable(&d->workers);
	for (q = 0; q < vdev->num_queues; q++)
		kd_vq_stop(d, q);
	if (vdev->ops->reset)
		vdev->ops->reset(vdev);
	for (q = 0; q < vdev->num_queues; q++) {
		struct kvdpa_vq *vq = &d->vqs[q];

		vq->desc = 0;
		vq->driver = 0;
		vq->device = 0;
		vq->num = vdev->queue_size_max;
		vq->base = 0;
		vq->ready = false;
		spin_lock_bh(&vq->cb_lock);
		memset(&vq->cb, 0, sizeof(vq->cb));
		spin_unlock_bh(&vq->cb_lock);
	}
	d->features = 0;
	vdev->driver_features = 0;
	d->suspended = false;
	kvdpa_mem_set_identity(&d->mem, false);
	spin_lock(&d->status_lock);
	WRITE_ONCE(d->status, 0);
	spin_unlock(&d->status_lock);
	kvirtio_workers_resume(&d->workers);
}

/* FEATURES_OK: the accepted set must be one the device can honour. */
static bool kd_features_ok(struct kvdpa_dev *d)
{
	struct kvirtio_device *vdev = d->vdev;
	u64 f = d->features & ~BIT_ULL(VIRTIO_F_ACCESS_PLATFORM);

	if ((d->features & ~d->offered) || !(f & BIT_ULL(VIRTIO_F_VERSION_1)))
		return false;
	if (vdev->ops->validate_features && vdev->ops->validate_features(vdev, f))
		return false;
	vdev->driver_features = f;
	return true;
}

/* Only the host kernel's own driver may use physical addresses. */
static bool kd_driver_is_kernel(struct kvdpa_dev *d)
{
	struct device_driver *drv = READ_ONCE(d->vdpa.dev.driver);

	return drv && drv->name && !strcmp(drv->name, KVDPA_KERNEL_DRIVER);
}

static void kd_driver_ok(struct kvdpa_dev *d)
{
	struct kvirtio_device *vdev = d->vdev;
	bool failed = false;
	u16 q;

	kvdpa_mem_set_identity(&d->mem, kd_driver_is_kernel(d));
	kvirtio_workers_pause_sync(&d->workers);
	for (q = 0; q < vdev->num_queues; q++)
		if (d->vqs[q].ready && kd_vq_start(d, q))
			failed = true;
	if (vdev->ops->driver_ok && vdev->ops->driver_ok(vdev))
		failed = true;
	kd_status_or(d, VIRTIO_CONFIG_S_DRIVER_OK);
	/* The threads are made at the first DRIVER_OK and kept. */
	if (!d->suspended && kvirtio_workers_start(&d->workers)) {
		pr_warn_ratelimited("kvirtio_vdpa %s: cannot start workers\n",
				    d->name);
		failed = true;
	}
	kvirtio_workers_resume(&d->workers);
	if (failed) {
		atomic64_inc(&d->stats.errors);
		kd_needs_reset(vdev);
	}
}

static void kd_set_status_locked(struct kvdpa_dev *d, u8 status)
{
	u8 cur = READ_ONCE(d->status) & KVDPA_STATUS_DRIVER_BITS;
	u8 add, ok;

	lockdep_assert_held(&d->lock);
	if (!status) {
		kd_reset(d);
		return;
	}
	/* Unknown bits, or clearing bits other than by reset. */
	if ((status & ~(KVDPA_STATUS_DRIVER_BITS | VIRTIO_CONFIG_S_NEEDS_RESET)) ||
	    (cur & ~status)) {
		atomic64_inc(&d->status_refused);
		return;
	}
	add = status & KVDPA_STATUS_DRIVER_BITS & ~cur;
	ok = add & (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		    VIRTIO_CONFIG_S_FAILED);
	if (add & VIRTIO_CONFIG_S_FEATURES_OK) {
		if (kd_features_ok(d))
			ok |= VIRTIO_CONFIG_S_FEATURES_OK;
		else
			atomic64_inc(&d->status_refused);
	}
	if (ok)
		kd_status_or(d, ok);
	if (add & VIRTIO_CONFIG_S_DRIVER_OK) {
		if (READ_ONCE(d->status) & VIRTIO_CONFIG_S_FEATURES_OK)
			kd_driver_ok(d);
		else
			atomic64_inc(&d->status_refused);
	}
}

/* ---- vdpa_config_ops: queues ------------------------------------------ */

static int kd_set_vq_address(struct vdpa_device *vdpa, u16 idx, u64 desc,
			     u64 driver, u64 device)
{
	struct kvdpa_dev *d = to_kd(vdpa);
	struct kvdpa_vq *vq = kd_vq(d, idx);
	int ret = 0;

	if (!vq)
		return -EINVAL;
	mutex_lock(&d->lock);
	/* Checked (and mapped) when the queue starts. */
	if (vq->live) {
		ret = -EBUSY;
	} else {
		vq->desc = desc;
		vq->driver = driver;
		vq->device = device;
	}
	mutex_unlock(&d->lock);
	return ret;
}

static void kd_set_vq_num(struct vdpa_device *vdpa, u16 idx, u32 num)
{
	struct kvdpa_dev *d = to_kd(vdpa);
	struct kvdpa_vq *vq = kd_vq(d, idx);

	if (!vq)
		return;
	mutex_lock(&d->lock);
	if (!vq->live)
		vq->num = num;
	mutex_unlock(&d->lock);
}

/* Any context, no lock: a kick that races a stop finds the queue idle. */
static void kd_kick_vq(struct vdpa_device *vdpa, u16 idx)
{
	struct kvdpa_dev *d = to_kd(vdpa);
	struct kvdpa_vq *vq = kd_vq(d, idx);

	if (!vq || !READ_ONCE(vq->live))
		return;
	atomic64_inc(&d->stats.kicks);
	kvirtio_workers_kick(&d->workers, idx);
}

static void kd_set_vq_cb(struct vdpa_device *vdpa, u16 idx,
			 struct vdpa_callback *cb)
{
	struct kvdpa_dev *d = to_kd(vdpa);
	struct kvdpa_vq *vq = kd_vq(d, idx);

	if (!vq)
		return;
	spin_lock_bh(&vq->cb_lock);
	vq->cb = *cb;
	spin_unlock_bh(&vq->cb_lock);
}

static void kd_set_vq_ready(struct vdpa_device *vdpa, u16 idx, bool ready)
{
	struct kvdpa_dev *d = to_kd(vdpa);
	struct kvdpa_vq *vq = kd_vq(d, idx);
	bool failed = false;

	if (!vq)
		return;
	mutex_lock(&d->lock);
	if (vq->ready == ready)
		goto out;
	vq->ready = ready;
	/* Before DRIVER_OK the queue starts with the device. */
	if (!(READ_ONCE(d->status) & VIRTIO_CONFIG_S_DRIVER_OK))
		goto out;
	kvirtio_workers_pause_sync(&d->workers);
	if (ready)
		failed = kd_vq_start(d, idx) != 0;
	else
		kd_vq_stop(d, idx);
	kvirtio_workers_resume(&d->workers);
	if (ready && !failed)
		kvirtio_workers_kick(&d->workers, idx);
	if (failed) {
		atomic64_inc(&d->stats.errors);
		kd_needs_reset(d->vdev);
	}
out:
	mutex_unlock(&d->lock);
}

static bool kd_get_vq_ready(struct vdpa_device *vdpa, u16 idx)
{
	struct kvdpa_dev *d = to_kd(vdpa);
	struct kvdpa_vq *vq = kd_vq(d, idx);

	return vq && READ_ONCE(vq->ready);
}

static int kd_set_vq_state(struct vdpa_device *vdpa, u16 idx,
			   const struct vdpa_vq_state *state)
{
	struct kvdpa_dev *d = to_kd(vdpa);
	struct kvdpa_vq *vq = kd_vq(d, idx);
	int ret = 0;

	if (!vq)
		return -EINVAL;
	mutex_lock(&d->lock);
	/* Split rings only (packed is not offered). */
	if (vq->live)
		ret = -EBUSY;
	else
		vq->base = state->split.avail_index;
	mutex_unlock(&d->lock);
	return ret;
}

static int kd_get_vq_state(struct vdpa_device *vdpa, u16 idx,
			   struct vdpa_vq_state *state)
{
	struct kvdpa_dev *d = to_kd(vdpa);
	struct kvdpa_vq *vq = kd_vq(d, idx);

	if (!vq)
		return -EINVAL;
	mutex_lock(&d->lock);
	if (vq->live) {
		/* The engine's index is stable only between passes. */
		kvirtio_workers_pause_sync(&d->workers);
		state->split.avail_index = d->vdev->queues[idx].last_avail_idx;
		kvirtio_workers_resume(&d->workers);
	} else {
		state->split.avail_index = vq->base;
	}
	mutex_unlock(&d->lock);
	return 0;
}

#ifdef KVIRTIO_VDPA_HAVE_VQ_SIZE
static u16 kd_get_vq_size(struct vdpa_device *vdpa, u16 idx)
{
	struct kvdpa_dev *d = to_kd(vdpa);

	return kd_vq(d, idx) ? d->vdev->queue_size_max : 0;
}
#endif

static u32 kd_get_vq_align(struct vdpa_device *vdpa)
{
	/* For the driver's layout; the engine needs only 16/2/4 bytes. */
	return PAGE_SIZE;
}

static u16 kd_get_vq_num_max(struct vdpa_device *vdpa)
{
	return to_kd(vdpa)->vdev->queue_size_max;
}

/* ---- vdpa_config_ops: device -------------------------------------------- */

static u64 kd_get_device_features(struct vdpa_device *vdpa)
{
	return to_kd(vdpa)->offered;
}

static int kd_set_driver_features(struct vdpa_device *vdpa, u64 features)
{
	struct kvdpa_dev *d = to_kd(vdpa);
	int ret = 0;

	mutex_lock(&d->lock);
	if (READ_ONCE(d->status) & VIRTIO_CONFIG_S_FEATURES_OK)
		ret = -EBUSY;
	else if (features & ~d->offered)
		ret = -EINVAL;
	else
		d->features = features;
	mutex_unlock(&d->lock);
	return ret;
}

static u64 kd_get_driver_features(struct vdpa_device *vdpa)
{
	return READ_ONCE(to_kd(vdpa)->features);
}

static void kd_set_config_cb(struct vdpa_device *vdpa,
			     struct vdpa_callback *cb)
{
	struct kvdpa_dev *d = to_kd(vdpa);

	spin_lock_bh(&d->cb_lock);
	d->config_cb = *cb;
	spin_unlock_bh(&d->cb_lock);
}

static u32 kd_get_device_id(struct vdpa_device *vdpa)
{
	return to_kd(vdpa)->vdev->device_id;
}

static u32 kd_get_vendor_id(struct vdpa_device *vdpa)
{
	return KVIRTIO_PCI_SUBSYS_VENDOR;
}

static u8 kd_get_status(struct vdpa_device *vdpa)
{
	return READ_ONCE(to_kd(vdpa)->status);
}

static void kd_set_status(struct vdpa_device *vdpa, u8 status)
{
	struct kvdpa_dev *d = to_kd(vdpa);

	mutex_lock(&d->lock);
	kd_set_status_locked(d, status);
	mutex_unlock(&d->lock);
}

static int kd_reset_op(struct vdpa_device *vdpa)
{
	struct kvdpa_dev *d = to_kd(vdpa);

	mutex_lock(&d->lock);
	kd_reset(d);
	mutex_unlock(&d->lock);
	return 0;
}

/* Stop processing with the rings and indices kept (VHOST_VDPA_SUSPEND). */
static int kd_suspend(struct vdpa_device *vdpa)
{
	struct kvdpa_dev *d = to_kd(vdpa);

	mutex_lock(&d->lock);
	if (!d->suspended) {
		kvirtio_workers_pause_sync(&d->workers);
		kvirtio_workers_disable(&d->workers);
		d->suspended = true;
		kvirtio_workers_resume(&d->workers);
	}
	mutex_unlock(&d->lock);
	return 0;
}

#ifdef KVIRTIO_VDPA_HAVE_RESUME
static int kd_resume(struct vdpa_device *vdpa)
{
	struct kvdpa_dev *d = to_kd(vdpa);
	int ret = 0;

	mutex_lock(&d->lock);
	if (d->suspended) {
		d->suspended = false;
		if (READ_ONCE(d->status) & VIRTIO_CONFIG_S_DRIVER_OK)
			ret = kvirtio_workers_start(&d->workers);
	}
	mutex_unlock(&d->lock);
	return ret;
}
#endif

static size_t kd_get_config_size(struct vdpa_device *vdpa)
{
	return to_kd(vdpa)->vdev->config_size;
}

/* The vDPA core does not bound @offset and @len: we do. */
static void kd_get_config(struct vdpa_device *vdpa, unsigned int offset,
			  void *buf, unsigned int len)
{
	struct kvirtio_device *vdev = to_kd(vdpa)->vdev;
	u32 size = vdev->config_size;

	memset(buf, 0, len);
	if (offset >= size || !vdev->ops->config_read)
		return;
	vdev->ops->config_read(vdev, offset, buf, min(len, size - offset));
}

static void kd_set_config(struct vdpa_device *vdpa, unsigned int offset,
			  const void *buf, unsigned int len)
{
	struct kvdpa_dev *d = to_kd(vdpa);
	struct kvirtio_device *vdev = d->vdev;

	if (!len || offset > vdev->config_size ||
	    len > vdev->config_size - offset || !vdev->ops->config_write)
		return;
	mutex_lock(&d->lock);
	vdev->ops->config_write(vdev, offset, buf, len);
	mutex_unlock(&d->lock);
}

static u32 kd_get_generation(struct vdpa_device *vdpa)
{
	return atomic_read(&to_kd(vdpa)->generation);
}

static struct vdpa_iova_range kd_get_iova_range(struct vdpa_device *vdpa)
{
	return (struct vdpa_iova_range){ .first = 0, .last = U64_MAX };
}

/* ---- vdpa_config_ops: mapping (one address space) ------------------------ */

static int kd_dma_map(struct vdpa_device *vdpa, unsigned int asid, u64 iova,
		      u64 size, u64 pa, u32 perm, void *opaque)
{
	if (asid)
		return -EINVAL;
	return kvdpa_mem_dma_map(&to_kd(vdpa)->mem, iova, size, pa, perm);
}

static int kd_dma_unmap(struct vdpa_device *vdpa, unsigned int asid,
			u64 iova, u64 size)
{
	if (asid)
		return -EINVAL;
	return kvdpa_mem_dma_unmap(&to_kd(vdpa)->mem, iova, size);
}

/*
 * The vDPA device's release: after "vdpa dev del" (or a failed add) and
 * the last reference.  Undoes kvdpa_dev_build(), however far it got.
 */
static void kd_free(struct vdpa_device *vdpa)
{
	struct kvdpa_dev *d = to_kd(vdpa);
	struct kvirtio_device *vdev = d->vdev;
	u16 q;

	debugfs_remove(d->dbg);
	d->dbg = NULL;
	/* No pass after this; late kicks and completions are dropped. */
	if (d->wstarted)
		kvirtio_workers_destroy(&d->workers);
	if (vdev) {
		if (d->vqs) {
			mutex_lock(&d->lock);
			for (q = 0; q < vdev->num_queues; q++)
				kd_vq_stop(d, q);
			mutex_unlock(&d->lock);
		}
		if (vdev->ops->reset)
			vdev->ops->reset(vdev);
		d->type->destroy(vdev, d->type_priv);
		d->vdev = NULL;
	}
	kfree(d->vqs);
	d->vqs = NULL;
	if (d->mem.gmem.ops)
		kvdpa_mem_destroy(&d->mem);
	mutex_destroy(&d->lock);
	if (d->counted)
		atomic_long_dec(&kvirtio_live.devices);
	kvdpa_dev_freed();
}

const struct vdpa_config_ops kvdpa_config_ops = {
	.set_vq_address = kd_set_vq_address,
	.set_vq_num = kd_set_vq_num,
	.kick_vq = kd_kick_vq,
	.set_vq_cb = kd_set_vq_cb,
	.set_vq_ready = kd_set_vq_ready,
	.get_vq_ready = kd_get_vq_ready,
	.set_vq_state = kd_set_vq_state,
	.get_vq_state = kd_get_vq_state,
#ifdef KVIRTIO_VDPA_HAVE_VQ_SIZE
	.get_vq_size = kd_get_vq_size,
#endif
	.get_vq_align = kd_get_vq_align,
	.get_device_features = kd_get_device_features,
	.set_driver_features = kd_set_driver_features,
	.get_driver_features = kd_get_driver_features,
	.set_config_cb = kd_set_config_cb,
	.get_vq_num_max = kd_get_vq_num_max,
	.get_device_id = kd_get_device_id,
	.get_vendor_id = kd_get_vendor_id,
	.get_status = kd_get_status,
	.set_status = kd_set_status,
	.reset = kd_reset_op,
	.suspend = kd_suspend,
#ifdef KVIRTIO_VDPA_HAVE_RESUME
	.resume = kd_resume,
#endif
	.get_config_size = kd_get_config_size,
	.get_config = kd_get_config,
	.set_config = kd_set_config,
	.get_generation = kd_get_generation,
	.get_iova_range = kd_get_iova_range,
	.dma_map = kd_dma_map,
	.dma_unmap = kd_dma_unmap,
	.free = kd_free,
};

/**
 * kvdpa_dev_build - make the kvirtio device behind a new vDPA device
 * @d: allocated by vdpa_alloc_device(), not registered
 * @e: the registry entry (its arguments and files)
 *
 * On error the caller drops the vDPA device; kd_free() undoes what was
 * done here.
 *
 * Return: 0; an error of the type's constructor; -ENOMEM.
 */
int kvdpa_dev_build(struct kvdpa_dev *d, struct kvdpa_entry *e)
{
	struct device *dev = &d->vdpa.dev;
	struct kvirtio_device *vdev;
	const struct cred *old;
	u64 f;
	int ret;
	u16 q;

	mutex_init(&d->lock);
	spin_lock_init(&d->status_lock);
	spin_lock_init(&d->cb_lock);
	atomic_set(&d->generation, 0);
	atomic64_set(&d->status_refused, 0);
	d->type = e->type;
	strscpy(d->name, e->name, sizeof(d->name));
	ret = kvdpa_mem_init(&d->mem);
	if (ret)
		return ret;
	ret = e->type->create(&e->args, e->files, &d->vdev, &d->type_priv);
	if (ret)
		return ret;
	vdev = d->vdev;
	if (!vdev->num_queues || vdev->num_queues > KVIRTIO_MAX_QUEUES ||
	    !vdev->queues || !is_power_of_2(vdev->queue_size_max))
		return -EINVAL;
	d->vqs = kcalloc(vdev->num_queues, sizeof(*d->vqs), GFP_KERNEL_ACCOUNT);
	if (!d->vqs)
		return -ENOMEM;
	for (q = 0; q < vdev->num_queues; q++) {
		spin_lock_init(&d->vqs[q].cb_lock);
		d->vqs[q].num = vdev->queue_size_max;
	}
	vdev->mem = &d->mem.gmem;
	vdev->transport = &kd_transport_ops;
	vdev->transport_priv = d;
	vdev->host = &kd_host_ops;
	vdev->host_priv = d;
	vdev->driver_features = 0;
	/*
	 * virtio_vdpa's virtio_net sets DRIVER_OK and waits for control
	 * commands holding the RTNL, which the tap's TUNSETOFFLOAD takes.
	 */
	if (e->type->type == KVIRTIO_DEV_NET)
		kvirtio_net_tap_defer_offloads(d->type_priv);

	f = vdev->device_features;
	d->offered = (f & ~KVDPA_F_TRANSPORT) | (f & KVDPA_F_TRANSPORT_OK) |
		     BIT_ULL(VIRTIO_F_VERSION_1) |
		     BIT_ULL(VIRTIO_F_ACCESS_PLATFORM);

	/* The worker threads act for the creator, not for "vdpa dev add". */
	old = override_creds(e->cred);
	kvirtio_workers_init_kernel(&d->workers, vdev, &d->stats,
				    d->vdpa.index, "kvdpa");
	revert_creds(old);
	d->wstarted = true;

	/* dma-direct with a 64-bit mask: virtio_vdpa's DMA addresses are physical. */
	dev->dma_mask = &dev->coherent_dma_mask;
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	d->vdpa.dma_dev = dev;
	atomic_long_inc(&kvirtio_live.devices);
	d->counted = true;
	return 0;
}

/* ---- debugfs: kvirtio/vdpa-NAME/stats ------------------------------------ */

static int kd_stats_show(struct seq_file *m, void *v)
{
	struct kvdpa_dev *d = m->private;
	struct kvirtio_device *vdev = d->vdev;
	unsigned int nmaps;
	u16 q;

	seq_printf(m, "name %s\ntype %s\n", d->name, d->type->name);
	seq_printf(m, "status 0x%x\noffered 0x%llx\nfeatures 0x%llx\n",
		   READ_ONCE(d->status), d->offered, READ_ONCE(d->features));
	seq_printf(m, "suspended %d\n", READ_ONCE(d->suspended));
	spin_lock(&d->mem.lock);
	nmaps = d->mem.iotlb->nmaps;
	seq_printf(m, "identity %d\niotlb_ranges %u\n", d->mem.identity, nmaps);
	spin_unlock(&d->mem.lock);
	seq_printf(m, "mapped_rings %u\nmem_faults %lld\n",
		   READ_ONCE(d->mem.nr_maps),
		   (long long)atomic64_read(&d->mem.faults));
	seq_printf(m, "requests %lld\nbytes %lld\nkicks %lld\ninterrupts %lld\n",
		   (long long)atomic64_read(&d->stats.requests),
		   (long long)atomic64_read(&d->stats.bytes),
		   (long long)atomic64_read(&d->stats.kicks),
		   (long long)atomic64_read(&d->stats.interrupts));
	seq_printf(m, "errors %lld\nwakeups %lld\nbudget_exhausted %lld\n",
		   (long long)atomic64_read(&d->stats.errors),
		   (long long)atomic64_read(&d->stats.wakeups),
		   (long long)atomic64_read(&d->stats.budget_exhausted));
	seq_printf(m, "status_refused %lld\nworkers %u\n",
		   (long long)atomic64_read(&d->status_refused),
		   READ_ONCE(d->workers.nr));
	for (q = 0; q < vdev->num_queues; q++) {
		const struct kvirtio_queue *kq = &vdev->queues[q];
		const char *err = READ_ONCE(kq->error_msg);

		seq_printf(m, "q%u ready %d live %d num %u avail %u used %u inflight %u error %d%s%s\n",
			   q, READ_ONCE(d->vqs[q].ready),
			   READ_ONCE(d->vqs[q].live), READ_ONCE(d->vqs[q].num),
			   READ_ONCE(kq->last_avail_idx),
			   READ_ONCE(kq->published_used_idx),
			   READ_ONCE(kq->inflight), READ_ONCE(kq->error),
			   err ? " " : "", err ? err : "");
	}
	if (d->type->show)
		d->type->show(vdev, d->type_priv, m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kd_stats);

/**
 * kvdpa_dev_debugfs - add kvirtio/vdpa-NAME/stats for a built device
 * @d: the device
 */
void kvdpa_dev_debugfs(struct kvdpa_dev *d)
{
	struct dentry *root = kvirtio_debugfs_root();
	char name[KVIRTIO_VDPA_NAME_LEN + 8];

	if (IS_ERR_OR_NULL(root))
		return;
	snprintf(name, sizeof(name), "vdpa-%s", d->name);
	d->dbg = debugfs_create_dir(name, root);
	debugfs_create_file("stats", 0444, d->dbg, d, &kd_stats_fops);
}
