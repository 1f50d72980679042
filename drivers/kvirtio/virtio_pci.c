// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio virtio-pci transport: a modern, non-transitional virtio 1.2 PCI
 * function (virtio 1.2, 4.1) in front of one struct kvirtio_device.
 *
 * The config path (config space, BAR 0, the MSI-X BAR, the PCI_CFG
 * window) runs serialized by the host and may sleep.  The data path
 * (notify, queue and config interrupts, needs_reset) may run on any CPU at
 * the same time; it touches only the state under @irq_lock.  The config
 * path takes @irq_lock whenever it changes that state.
 */
#include "virtio_pci.h"

/* Feature bits the transport cannot provide, whoever offers them. */
#define KVP_F_RING_PACKED		34
#define KVP_F_SR_IOV			37
#define KVP_F_NOTIFICATION_DATA		38
#define KVP_F_NOTIF_CONFIG_DATA		39
#define KVP_F_RING_RESET		40
#define KVP_F_ADMIN_VQ			41
#define KVP_F_UNSUPPORTED	(BIT_ULL(KVP_F_RING_PACKED) | \
				 BIT_ULL(KVP_F_SR_IOV) | \
				 BIT_ULL(KVP_F_NOTIFICATION_DATA) | \
				 BIT_ULL(KVP_F_NOTIF_CONFIG_DATA) | \
				 BIT_ULL(KVP_F_ADMIN_VQ))

/* Common config fields past the 6.1 UAPI header's list. */
#define KVP_COMMON_Q_NDATA		56
#define KVP_COMMON_Q_RESET		58
#define KVP_COMMON_ADM_Q_IDX		60
#define KVP_COMMON_ADM_Q_NUM		62

/* virtio_pci_cap and friends, by offset (virtio 1.2, 4.1.4). */
#define KVP_CAP_LEN			2
#define KVP_CAP_CFG_TYPE		3
#define KVP_CAP_BAR			4
#define KVP_CAP_ID			5
#define KVP_CAP_OFFSET			8
#define KVP_CAP_LENGTH			12
#define KVP_CAP_SIZE			16
#define KVP_NOTIFY_CAP_MULT		16
#define KVP_NOTIFY_CAP_SIZE		20
#define KVP_PCI_CFG_DATA		16
#define KVP_PCI_CFG_CAP_SIZE		20

/* MSI-X capability (PCI 3.0, 6.8.2). */
#define KVP_MSIX_CAP_SIZE		12
#define KVP_MSIX_CTRL			2
#define KVP_MSIX_TABLE			4
#define KVP_MSIX_PBA			8
#define KVP_MSIX_CTRL_ENABLE		0x8000
#define KVP_MSIX_CTRL_FMASK		0x4000
#define KVP_MSIX_VEC_MASKED		0x1

/* ISR status bits (4.1.4.5). */
#define KVP_ISR_QUEUE			0x1
#define KVP_ISR_CONFIG			0x2

#define KVP_STATUS_DRIVER_BITS	(VIRTIO_CONFIG_S_ACKNOWLEDGE | \
				 VIRTIO_CONFIG_S_DRIVER | \
				 VIRTIO_CONFIG_S_FEATURES_OK | \
				 VIRTIO_CONFIG_S_DRIVER_OK | \
				 VIRTIO_CONFIG_S_FAILED)

static const struct kvirtio_transport_ops kvirtio_pci_transport_ops;

static struct kvirtio_pci *to_vp(struct kvirtio_pci_dev *pdev)
{
	return container_of(pdev, struct kvirtio_pci, pdev);
}

static u64 vp_pow2_at_least(u64 n, u64 min)
{
	u64 v = min;

	while (v < n)
		v <<= 1;
	return v;
}

static void vp_put_le(void *buf, u32 len, u64 val)
{
	u8 *p = buf;
	u32 i;

	for (i = 0; i < len; i++)
		p[i] = (val >> (8 * i)) & 0xff;
}

static u64 vp_get_le(const void *buf, u32 len)
{
	const u8 *p = buf;
	u64 val = 0;
	u32 i;

	for (i = 0; i < len; i++)
		val |= (u64)p[i] << (8 * i);
	return val;
}

static bool vp_has(const struct kvirtio_pci *vp, unsigned int bit)
{
	return vp->vdev->driver_features & BIT_ULL(bit);
}

/* ---- Interrupts (data path) -------------------------------------------- */

/*
 * Interrupts are decided under @irq_lock and delivered after it is
 * dropped.  The host's hooks signal eventfds, and an eventfd's wait-queue
 * lock must never nest inside @irq_lock: a kick eventfd's wake-up callback
 * runs under its own lock and enters the transport (kvirtio_pci_notify()),
 * and all eventfd locks are one lock class.  A locked section records what
 * it decided in a struct vp_irq_out; vp_irq_deliver() acts on it.
 */
struct vp_irq_out {
	u16 vector;		/* MSI-X message to send, or NO_VECTOR */
	bool flush;		/* pending vectors may be deliverable now */
	bool intx;		/* the INTx level changed to @intx_level */
	bool intx_level;
};

static void vp_irq_out_init(struct vp_irq_out *out)
{
	out->vector = VIRTIO_MSI_NO_VECTOR;
	out->flush = false;
	out->intx = false;
	out->intx_level = false;
}

static void vp_update_intx_locked(struct kvirtio_pci *vp,
				  struct vp_irq_out *out)
{
	bool pending = vp->isr && !vp->msix_enabled;
	bool level = pending && !vp->intx_disabled;

	lockdep_assert_held(&vp->irq_lock);
	kvirtio_pci_dev_set_intx_status(&vp->pdev, pending);
	if (level == vp->intx_level)
		return;
	WRITE_ONCE(vp->intx_level, level);
	if (level)
		vp->stats.irq_intx++;
	out->intx = true;
	out->intx_level = level;
}

static bool vp_vector_masked_locked(const struct kvirtio_pci *vp, u16 v)
{
	return vp->msix_fmask || (vp->msix[v].ctrl & KVP_MSIX_VEC_MASKED);
}

/*
 * Take the next pending vector at or after @from that may be delivered
 * now, clearing its pending bit; NO_VECTOR when there is none.
 */
static u16 vp_take_pending_locked(struct kvirtio_pci *vp, u16 from)
{
	u16 v;

	lockdep_assert_held(&vp->irq_lock);
	if (!vp->msix_enabled || vp->msix_fmask)
		return VIRTIO_MSI_NO_VECTOR;
	for (v = from; v < vp->num_msix; v++) {
		u64 bit = BIT_ULL(v % 64);

		if (!(vp->pba[v / 64] & bit) || vp_vector_masked_locked(vp, v))
			continue;
		vp->pba[v / 64] &= ~bit;
		vp->stats.irq_msix++;
		return v;
	}
	return VIRTIO_MSI_NO_VECTOR;
}

static void vp_host_msix(struct kvirtio_pci *vp, u16 v)
{
	if (vp->host_ops && vp->host_ops->msix)
		vp->host_ops->msix(vp, v);
}

/* Act on what a locked section decided; @irq_lock must not be held. */
static void vp_irq_deliver(struct kvirtio_pci *vp, const struct vp_irq_out *out)
{
	unsigned long flags;
	u16 v = 0;

	lockdep_assert_not_held(&vp->irq_lock);
	if (out->vector != VIRTIO_MSI_NO_VECTOR)
		vp_host_msix(vp, out->vector);
	/* Unmasked vectors: one at a time, each taken under the lock. */
	while (out->flush) {
		spin_lock_irqsave(&vp->irq_lock, flags);
		v = vp_take_pending_locked(vp, v);
		spin_unlock_irqrestore(&vp->irq_lock, flags);
		if (v == VIRTIO_MSI_NO_VECTOR)
			break;
		vp_host_msix(vp, v++);
	}
	if (out->intx && vp->host_ops && vp->host_ops->intx)
		vp->host_ops->intx(vp, out->intx_level);
}

/*
 * Signal an event mapped to @vector.  With MSI-X on, a masked vector
 * becomes pending and NO_VECTOR sends nothing; with MSI-X off, the ISR bit
 * drives INTx.  The config bit is set in ISR in both modes (4.1.4.5.1).
 */
static void vp_signal_locked(struct kvirtio_pci *vp, u16 vector, u8 isr_bit,
			     struct vp_irq_out *out)
{
	lockdep_assert_held(&vp->irq_lock);
	if (!(vp->status & VIRTIO_CONFIG_S_DRIVER_OK)) {
		vp->stats.irq_suppressed++;
		return;
	}
	if (!vp->msix_enabled) {
		vp->isr |= isr_bit;
		vp_update_intx_locked(vp, out);
		return;
	}
	if (isr_bit == KVP_ISR_CONFIG)
		vp->isr |= isr_bit;
	if (vector >= vp->num_msix) {
		vp->stats.irq_no_vector++;
		return;
	}
	if (vp_vector_masked_locked(vp, vector)) {
		vp->pba[vector / 64] |= BIT_ULL(vector % 64);
		vp->stats.irq_pending++;
		return;
	}
	vp->stats.irq_msix++;
	out->vector = vector;
}

static void vp_queue_interrupt(struct kvirtio_device *vdev, u16 qid)
{
	struct kvirtio_pci *vp = kvirtio_pci_from_vdev(vdev);
	struct vp_irq_out out;
	unsigned long flags;

	vp_irq_out_init(&out);
	spin_lock_irqsave(&vp->irq_lock, flags);
	if (qid >= vdev->num_queues || !vp->queues[qid].live)
		vp->stats.irq_suppressed++;
	else
		vp_signal_locked(vp, vp->queues[qid].msix_vector,
				 KVP_ISR_QUEUE, &out);
	spin_unlock_irqrestore(&vp->irq_lock, flags);
	vp_irq_deliver(vp, &out);
}

static void vp_config_interrupt(struct kvirtio_device *vdev)
{
	struct kvirtio_pci *vp = kvirtio_pci_from_vdev(vdev);
	struct vp_irq_out out;
	unsigned long flags;

	vp_irq_out_init(&out);
	spin_lock_irqsave(&vp->irq_lock, flags);
	WRITE_ONCE(vp->generation, vp->generation + 1);
	vp_signal_locked(vp, vp->msix_config, KVP_ISR_CONFIG, &out);
	spin_unlock_irqrestore(&vp->irq_lock, flags);
	vp_irq_deliver(vp, &out);
}

static void vp_needs_reset_locked(struct kvirtio_pci *vp,
				  struct vp_irq_out *out)
{
	lockdep_assert_held(&vp->irq_lock);
	/* A device being reset or not yet initialised has nothing to say. */
	if (!vp->status)
		return;
	WRITE_ONCE(vp->status, vp->status | VIRTIO_CONFIG_S_NEEDS_RESET);
	/* No notification before DRIVER_OK: it waits for it. */
	if (vp->status & VIRTIO_CONFIG_S_DRIVER_OK)
		vp_signal_locked(vp, vp->msix_config, KVP_ISR_CONFIG, out);
	else
		vp->config_irq_deferred = true;
}

static void vp_needs_reset(struct kvirtio_device *vdev)
{
	struct kvirtio_pci *vp = kvirtio_pci_from_vdev(vdev);
	struct vp_irq_out out;
	unsigned long flags;

	vp_irq_out_init(&out);
	spin_lock_irqsave(&vp->irq_lock, flags);
	vp_needs_reset_locked(vp, &out);
	spin_unlock_irqrestore(&vp->irq_lock, flags);
	vp_irq_deliver(vp, &out);
}

static const struct kvirtio_transport_ops kvirtio_pci_transport_ops = {
	.queue_interrupt	= vp_queue_interrupt,
	.config_interrupt	= vp_config_interrupt,
	.needs_reset		= vp_needs_reset,
};

/*
 * Lock-free: the ioeventfd path calls this under the kick eventfd's
 * wait-queue lock.  @live is written under @irq_lock; a kick that races
 * with a queue being stopped reaches the host, whose worker then finds
 * the queue not ready (it is stopped with processing paused).
 */
void kvirtio_pci_notify(struct kvirtio_pci *vp, u16 qid)
{
	struct kvirtio_device *vdev = vp->vdev;

	if (qid >= vdev->num_queues || !READ_ONCE(vp->queues[qid].live)) {
		atomic64_inc(&vp->stats.kicks_ignored);
		return;
	}
	atomic64_inc(&vp->stats.kicks);
	if (vdev->host && vdev->host->kick)
		vdev->host->kick(vdev, qid);
}

bool kvirtio_pci_intx_level(const struct kvirtio_pci *vp)
{
	return READ_ONCE(vp->intx_level);
}

/* ---- Device and queue state (config path) ------------------------------ */

static void vp_queue_regs_reset(struct kvirtio_pci *vp, u16 qid)
{
	struct kvirtio_pci_queue *q = &vp->queues[qid];
	unsigned long flags;

	spin_lock_irqsave(&vp->irq_lock, flags);
	WRITE_ONCE(q->live, false);
	q->msix_vector = VIRTIO_MSI_NO_VECTOR;
	spin_unlock_irqrestore(&vp->irq_lock, flags);
	q->enabled = false;
	q->size = vp->vdev->queue_size_max;
	q->desc = 0;
	q->driver = 0;
	q->device = 0;
}

/* Stop queue @qid in the device and release its rings. */
static void vp_queue_stop(struct kvirtio_pci *vp, u16 qid)
{
	struct kvirtio_device *vdev = vp->vdev;

	if (!vp->queues[qid].enabled)
		return;
	if (vdev->ops->queue_disable)
		vdev->ops->queue_disable(vdev, qid);
	kvirtio_queue_teardown(&vdev->queues[qid]);
}

/*
 * Device reset (status 0).  Status keeps its old value until everything is
 * quiescent, so a driver that polls for 0 knows the reset is complete.
 */
static void vp_reset(struct kvirtio_pci *vp)
{
	struct kvirtio_device *vdev = vp->vdev;
	struct vp_irq_out out;
	unsigned long flags;
	u16 qid;

	might_sleep();
	vp_irq_out_init(&out);
	vp->stats.resets++;

	/* First cut the data path: no kick or interrupt gets through. */
	spin_lock_irqsave(&vp->irq_lock, flags);
	for (qid = 0; qid < vdev->num_queues; qid++)
		WRITE_ONCE(vp->queues[qid].live, false);
	vp->config_irq_deferred = false;
	spin_unlock_irqrestore(&vp->irq_lock, flags);

	for (qid = 0; qid < vdev->num_queues; qid++) {
		vp->queues[qid].resetting = false;
		vp_queue_stop(vp, qid);
	}
	if (vdev->ops->reset)
		vdev->ops->reset(vdev);

	for (qid = 0; qid < vdev->num_queues; qid++) {
		vp_queue_regs_reset(vp, qid);
		vp->queues[qid].was_reset = false;
	}
	vp->dfselect = 0;
	vp->gfselect = 0;
	vp->driver_features = 0;
	vp->queue_select = 0;
	vdev->driver_features = 0;

	spin_lock_irqsave(&vp->irq_lock, flags);
	vp->msix_config = VIRTIO_MSI_NO_VECTOR;
	vp->isr = 0;
	memset(vp->pba, 0, DIV_ROUND_UP(vp->num_msix, 64) * sizeof(u64));
	vp_update_intx_locked(vp, &out);
	WRITE_ONCE(vp->status, 0);
	spin_unlock_irqrestore(&vp->irq_lock, flags);
	vp_irq_deliver(vp, &out);
}

/* FEATURES_OK: the accepted set must be one the device can honour. */
static bool vp_features_ok(struct kvirtio_pci *vp)
{
	struct kvirtio_device *vdev = vp->vdev;
	u64 f = vp->driver_features;

	if (f & ~vp->offered)
		return false;
	if (!(f & BIT_ULL(VIRTIO_F_VERSION_1)))
		return false;
	/* Device-specific dependencies between bits are the device's. */
	if (vdev->ops->validate_features &&
	    vdev->ops->validate_features(vdev, f))
		return false;
	vdev->driver_features = f;
	return true;
}

static void vp_driver_ok(struct kvirtio_pci *vp)
{
	struct kvirtio_device *vdev = vp->vdev;
	struct vp_irq_out out;
	unsigned long flags;
	int err = 0;
	u16 qid;

	if (vdev->ops->driver_ok)
		err = vdev->ops->driver_ok(vdev);

	vp_irq_out_init(&out);
	spin_lock_irqsave(&vp->irq_lock, flags);
	WRITE_ONCE(vp->status, vp->status | VIRTIO_CONFIG_S_DRIVER_OK);
	for (qid = 0; qid < vdev->num_queues; qid++)
		WRITE_ONCE(vp->queues[qid].live, vp->queues[qid].enabled);
	if (err)
		vp_needs_reset_locked(vp, &out);
	else if (vp->config_irq_deferred)
		vp_signal_locked(vp, vp->msix_config, KVP_ISR_CONFIG, &out);
	vp->config_irq_deferred = false;
	spin_unlock_irqrestore(&vp->irq_lock, flags);
	vp_irq_deliver(vp, &out);
}

static void vp_write_status(struct kvirtio_pci *vp, u8 val)
{
	u8 cur, want, add, ok = 0;
	unsigned long flags;

	if (!val) {
		vp_reset(vp);
		return;
	}

	cur = READ_ONCE(vp->status) & KVP_STATUS_DRIVER_BITS;
	/* NEEDS_RESET belongs to the device: a written copy means nothing. */
	want = val & KVP_STATUS_DRIVER_BITS;
	if (val & ~(KVP_STATUS_DRIVER_BITS | VIRTIO_CONFIG_S_NEEDS_RESET) ||
	    (cur & ~want)) {
		/* Unknown bits, or clearing bits other than by reset. */
		vp->stats.status_refused++;
		return;
	}
	add = want & ~cur;

	/* Each step needs the previous one (virtio 1.2, 3.1.1). */
	if (add & VIRTIO_CONFIG_S_ACKNOWLEDGE)
		ok |= VIRTIO_CONFIG_S_ACKNOWLEDGE;
	if ((add & VIRTIO_CONFIG_S_DRIVER) &&
	    ((cur | ok) & VIRTIO_CONFIG_S_ACKNOWLEDGE))
		ok |= VIRTIO_CONFIG_S_DRIVER;
	if ((add & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    ((cur | ok) & VIRTIO_CONFIG_S_DRIVER)) {
		if (vp_features_ok(vp))
			ok |= VIRTIO_CONFIG_S_FEATURES_OK;
		else
			vp->stats.features_refused++;
	}
	if (add & VIRTIO_CONFIG_S_FAILED)
		ok |= VIRTIO_CONFIG_S_FAILED;
	if (ok != (add & ~VIRTIO_CONFIG_S_DRIVER_OK))
		vp->stats.status_refused++;

	if (ok) {
		spin_lock_irqsave(&vp->irq_lock, flags);
		WRITE_ONCE(vp->status, vp->status | ok);
		spin_unlock_irqrestore(&vp->irq_lock, flags);
	}

	if (add & VIRTIO_CONFIG_S_DRIVER_OK) {
		if ((cur | ok) & VIRTIO_CONFIG_S_FEATURES_OK)
			vp_driver_ok(vp);
		else
			vp->stats.status_refused++;
	}
}

/*
 * Queue fields may change only while the queue is disabled, and after
 * DRIVER_OK only for a queue the driver reset with VIRTIO_F_RING_RESET.
 */
static struct kvirtio_pci_queue *vp_writable_queue(struct kvirtio_pci *vp)
{
	struct kvirtio_pci_queue *q;

	if (vp->queue_select >= vp->vdev->num_queues)
		return NULL;
	q = &vp->queues[vp->queue_select];
	if (q->enabled)
		return NULL;
	if ((READ_ONCE(vp->status) & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !q->was_reset)
		return NULL;
	return q;
}

/*
 * queue_enable = 1.  The ring is checked and mapped here; a ring outside
 * RAM or misaligned is refused: queue_enable keeps reading 0 and the
 * device sets NEEDS_RESET (its config interrupt waits for DRIVER_OK).
 */
static void vp_queue_enable(struct kvirtio_pci *vp)
{
	struct kvirtio_device *vdev = vp->vdev;
	struct kvirtio_queue_config cfg = {};
	struct kvirtio_pci_queue *q;
	struct kvirtio_queue *vq;
	struct vp_irq_out out;
	unsigned long flags;
	u16 qid = vp->queue_select;
	int err;

	if (qid < vdev->num_queues && vp->queues[qid].enabled)
		return;		/* already enabled: nothing to do */
	q = vp_writable_queue(vp);
	if (!q || !(READ_ONCE(vp->status) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		vp->stats.ignored_writes++;
		return;
	}
	vq = &vdev->queues[qid];

	cfg.size = q->size;
	cfg.desc = q->desc;
	cfg.avail = q->driver;
	cfg.used = q->device;
	cfg.features = vdev->driver_features;
	cfg.max_chain = vdev->max_chain;

	err = vdev->mem ? kvirtio_queue_check_config(&cfg, vdev->mem) : -EFAULT;
	if (!err)
		err = kvirtio_queue_setup(vq, vdev->mem, &cfg);
	if (!err && vdev->ops->queue_enable) {
		err = vdev->ops->queue_enable(vdev, qid);
		if (err)
			kvirtio_queue_teardown(vq);
	}

	vp_irq_out_init(&out);
	spin_lock_irqsave(&vp->irq_lock, flags);
	if (err) {
		vp->stats.queue_enable_failed++;
		vp_needs_reset_locked(vp, &out);
	} else {
		q->enabled = true;
		q->was_reset = false;
		WRITE_ONCE(q->live,
			   !!(vp->status & VIRTIO_CONFIG_S_DRIVER_OK));
	}
	spin_unlock_irqrestore(&vp->irq_lock, flags);
	vp_irq_deliver(vp, &out);
}

/*
 * queue_reset = 1 (VIRTIO_F_RING_RESET).  Synchronous: queue_reset reads 1
 * while the device stops the queue, then 0 with queue_enable 0 and every
 * queue register back to its reset value.
 */
static void vp_queue_reset(struct kvirtio_pci *vp)
{
	u16 qid = vp->queue_select;
	struct kvirtio_pci_queue *q = &vp->queues[qid];
	unsigned long flags;

	vp->stats.queue_resets++;
	q->resetting = true;
	spin_lock_irqsave(&vp->irq_lock, flags);
	WRITE_ONCE(q->live, false);
	spin_unlock_irqrestore(&vp->irq_lock, flags);

	vp_queue_stop(vp, qid);
	vp_queue_regs_reset(vp, qid);
	q->was_reset = true;
	q->resetting = false;
}

static u16 vp_map_vector(const struct kvirtio_pci *vp, u16 v)
{
	return v < vp->num_msix ? v : VIRTIO_MSI_NO_VECTOR;
}

/* ---- Common configuration --------------------------------------------- */

/* Natural width of the common config field at each offset, 0: none. */
static u8 vp_common_width(u32 off)
{
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
	case VIRTIO_PCI_COMMON_DF:
	case VIRTIO_PCI_COMMON_GFSELECT:
	case VIRTIO_PCI_COMMON_GF:
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		return 4;
	case VIRTIO_PCI_COMMON_MSIX:
	case VIRTIO_PCI_COMMON_NUMQ:
	case VIRTIO_PCI_COMMON_Q_SELECT:
	case VIRTIO_PCI_COMMON_Q_SIZE:
	case VIRTIO_PCI_COMMON_Q_MSIX:
	case VIRTIO_PCI_COMMON_Q_ENABLE:
	case VIRTIO_PCI_COMMON_Q_NOFF:
	case KVP_COMMON_Q_NDATA:
	case KVP_COMMON_Q_RESET:
	case KVP_COMMON_ADM_Q_IDX:
	case KVP_COMMON_ADM_Q_NUM:
		return 2;
	case VIRTIO_PCI_COMMON_STATUS:
	case VIRTIO_PCI_COMMON_CFGGENERATION:
		return 1;
	}
	return 0;
}

static bool vp_common_access_ok(u32 off, u32 len)
{
	/* The 64-bit queue addresses may also be accessed whole. */
	if (len == 8)
		return off == VIRTIO_PCI_COMMON_Q_DESCLO ||
		       off == VIRTIO_PCI_COMMON_Q_AVAILLO ||
		       off == VIRTIO_PCI_COMMON_Q_USEDLO;
	return vp_common_width(off) == len;
}

static u64 vp_half(u64 v, u32 off, u32 lo)
{
	return off == lo ? lower_32_bits(v) : upper_32_bits(v);
}

static u64 vp_set_half(u64 v, u32 off, u32 lo, u32 len, u64 val)
{
	if (len == 8)
		return val;
	if (off == lo)
		return (v & ~0xffffffffULL) | (u32)val;
	return (v & 0xffffffffULL) | (u64)(u32)val << 32;
}

/* queue_desc, queue_driver or queue_device by its low half's offset. */
static u64 *vp_queue_addr(struct kvirtio_pci_queue *q, u32 lo)
{
	if (lo == VIRTIO_PCI_COMMON_Q_DESCLO)
		return &q->desc;
	if (lo == VIRTIO_PCI_COMMON_Q_AVAILLO)
		return &q->driver;
	return &q->device;
}

static u64 vp_common_read(struct kvirtio_pci *vp, u32 off, u32 len)
{
	struct kvirtio_device *vdev = vp->vdev;
	struct kvirtio_pci_queue *q = NULL;
	u16 qid = vp->queue_select;
	u32 lo;

	if (qid < vdev->num_queues)
		q = &vp->queues[qid];

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		return vp->dfselect;
	case VIRTIO_PCI_COMMON_DF:
		return vp->dfselect < 2 ? vp_half(vp->offered, vp->dfselect, 0)
					: 0;
	case VIRTIO_PCI_COMMON_GFSELECT:
		return vp->gfselect;
	case VIRTIO_PCI_COMMON_GF:
		return vp->gfselect < 2 ?
		       vp_half(vp->driver_features, vp->gfselect, 0) : 0;
	case VIRTIO_PCI_COMMON_MSIX:
		return vp->msix_config;
	case VIRTIO_PCI_COMMON_NUMQ:
		return vdev->num_queues;
	case VIRTIO_PCI_COMMON_STATUS:
		return READ_ONCE(vp->status);
	case VIRTIO_PCI_COMMON_CFGGENERATION:
		return READ_ONCE(vp->generation);
	case VIRTIO_PCI_COMMON_Q_SELECT:
		return qid;
	case VIRTIO_PCI_COMMON_Q_SIZE:
		return q ? q->size : 0;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		return q ? q->msix_vector : VIRTIO_MSI_NO_VECTOR;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		return q ? q->enabled : 0;
	case VIRTIO_PCI_COMMON_Q_NOFF:
		return q ? qid : 0;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		if (!q)
			return 0;
		lo = off & ~7u;
		return len == 8 ? *vp_queue_addr(q, lo) :
		       vp_half(*vp_queue_addr(q, lo), off, lo);
	case KVP_COMMON_Q_RESET:
		return q && vp_has(vp, KVP_F_RING_RESET) ? q->resetting : 0;
	}
	/* queue_notify_data (not offered), admin queue fields (none). */
	return 0;
}

static void vp_common_write(struct kvirtio_pci *vp, u32 off, u32 len, u64 val)
{
	struct kvirtio_pci_queue *q;
	unsigned long flags;
	u64 *addr;
	u32 sel;

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		vp->dfselect = val;
		return;
	case VIRTIO_PCI_COMMON_GFSELECT:
		vp->gfselect = val;
		return;
	case VIRTIO_PCI_COMMON_GF:
		sel = vp->gfselect;
		/* The set is frozen once FEATURES_OK was accepted. */
		if (sel >= 2 ||
		    (READ_ONCE(vp->status) & VIRTIO_CONFIG_S_FEATURES_OK)) {
			vp->stats.ignored_writes++;
			return;
		}
		vp->driver_features = vp_set_half(vp->driver_features, sel, 0,
						  4, val);
		return;
	case VIRTIO_PCI_COMMON_MSIX:
		spin_lock_irqsave(&vp->irq_lock, flags);
		vp->msix_config = vp_map_vector(vp, val);
		spin_unlock_irqrestore(&vp->irq_lock, flags);
		return;
	case VIRTIO_PCI_COMMON_STATUS:
		vp_write_status(vp, val);
		return;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		vp->queue_select = val;
		return;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		/* Writing 0 is forbidden to the driver: ignore it. */
		if (val != 1) {
			vp->stats.ignored_writes++;
			return;
		}
		vp_queue_enable(vp);
		return;
	case KVP_COMMON_Q_RESET:
		if (val != 1 || !vp_has(vp, KVP_F_RING_RESET) ||
		    vp->queue_select >= vp->vdev->num_queues) {
			vp->stats.ignored_writes++;
			return;
		}
		vp_queue_reset(vp);
		return;
	}

	q = vp_writable_queue(vp);
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		/* A power of two no larger than offered (driver may shrink). */
		if (!q || !is_power_of_2(val) ||
		    val > vp->vdev->queue_size_max)
			break;
		q->size = val;
		return;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		if (!q)
			break;
		spin_lock_irqsave(&vp->irq_lock, flags);
		q->msix_vector = vp_map_vector(vp, val);
		spin_unlock_irqrestore(&vp->irq_lock, flags);
		return;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		if (!q)
			break;
		addr = vp_queue_addr(q, off & ~7u);
		*addr = vp_set_half(*addr, off, off & ~7u, len, val);
		return;
	}
	/* Read-only fields, or queue fields in a state that forbids it. */
	vp->stats.ignored_writes++;
}

/* ---- BARs -------------------------------------------------------------- */

static u8 vp_isr_read(struct kvirtio_pci *vp)
{
	struct vp_irq_out out;
	unsigned long flags;
	u8 isr;

	vp_irq_out_init(&out);
	spin_lock_irqsave(&vp->irq_lock, flags);
	isr = vp->isr;
	vp->isr = 0;
	vp_update_intx_locked(vp, &out);
	spin_unlock_irqrestore(&vp->irq_lock, flags);
	vp_irq_deliver(vp, &out);
	return isr;
}

static int vp_cfg_bar_access(struct kvirtio_pci *vp, u32 off, void *buf,
			     u32 len, bool write)
{
	struct kvirtio_device *vdev = vp->vdev;
	unsigned long flags;
	u32 doff;
	int err;

	if (off < KVIRTIO_PCI_COMMON_OFF + KVIRTIO_PCI_COMMON_LEN) {
		off -= KVIRTIO_PCI_COMMON_OFF;
		if (!vp_common_access_ok(off, len))
			return -EINVAL;
		if (write)
			vp_common_write(vp, off, len, vp_get_le(buf, len));
		else
			vp_put_le(buf, len, vp_common_read(vp, off, len));
		return 0;
	}

	if (off >= KVIRTIO_PCI_ISR_OFF &&
	    off < KVIRTIO_PCI_ISR_OFF + KVIRTIO_PCI_ISR_LEN) {
		if (len > 4)
			return -EINVAL;
		if (write) {
			vp->stats.ignored_writes++;
			return 0;
		}
		/* Reading the ISR byte clears it and deasserts INTx. */
		vp_put_le(buf, len, off == KVIRTIO_PCI_ISR_OFF ?
			  vp_isr_read(vp) : 0);
		return 0;
	}

	if (off >= KVIRTIO_PCI_DEVCFG_OFF &&
	    off - KVIRTIO_PCI_DEVCFG_OFF < vdev->config_size) {
		doff = off - KVIRTIO_PCI_DEVCFG_OFF;
		if (len > vdev->config_size - doff)
			return -EINVAL;
		if (!write)
			return vdev->ops->config_read(vdev, doff, buf, len) ?
			       -EINVAL : 0;
		if (!vdev->ops->config_write) {
			vp->stats.ignored_writes++;
			return 0;
		}
		err = vdev->ops->config_write(vdev, doff, buf, len);
		if (err) {
			vp->stats.ignored_writes++;
			return 0;
		}
		/* The contents may have changed: a new generation. */
		spin_lock_irqsave(&vp->irq_lock, flags);
		WRITE_ONCE(vp->generation, vp->generation + 1);
		spin_unlock_irqrestore(&vp->irq_lock, flags);
		return 0;
	}
	return -EINVAL;
}

static int vp_notify_bar_access(struct kvirtio_pci *vp, u32 off, u32 len,
				bool write)
{
	u32 qid = off / KVIRTIO_PCI_NOTIFY_MULT;

	/* The notify area is write-only: one slot per queue. */
	if (!write || len > 4 || off % KVIRTIO_PCI_NOTIFY_MULT ||
	    qid >= vp->vdev->num_queues)
		return -EINVAL;
	kvirtio_pci_notify(vp, qid);
	return 0;
}

static int vp_msix_bar_access(struct kvirtio_pci *vp, u32 off, void *buf,
			      u32 len, bool write)
{
	u32 table_len = vp->num_msix * KVIRTIO_PCI_MSIX_ENTRY_SIZE;
	u32 pba_len = DIV_ROUND_UP(vp->num_msix, 64) * 8;
	struct vp_irq_out out;
	unsigned long flags;
	bool unmasked = false;
	u16 vec;
	u32 *w;
	u32 i;

	/* Table and PBA take dword or qword accesses only. */
	if (len != 4 && len != 8)
		return -EINVAL;

	if (off >= vp->msix_pba_off && off - vp->msix_pba_off < pba_len) {
		off -= vp->msix_pba_off;
		if (len > pba_len - off)
			return -EINVAL;
		if (write) {
			/* The PBA is read-only. */
			vp->stats.ignored_writes++;
			return 0;
		}
		spin_lock_irqsave(&vp->irq_lock, flags);
		vp_put_le(buf, len, vp->pba[off / 8] >> (8 * (off % 8)));
		spin_unlock_irqrestore(&vp->irq_lock, flags);
		return 0;
	}

	if (off >= table_len)
		return -EINVAL;
	vec = off / KVIRTIO_PCI_MSIX_ENTRY_SIZE;
	w = &vp->msix[vec].addr_lo + (off % KVIRTIO_PCI_MSIX_ENTRY_SIZE) / 4;

	spin_lock_irqsave(&vp->irq_lock, flags);
	for (i = 0; i < len / 4; i++) {
		bool ctrl = w + i == &vp->msix[vec].ctrl;

		if (!write) {
			vp_put_le((u8 *)buf + 4 * i, 4, w[i]);
			continue;
		}
		if (!ctrl) {
			w[i] = vp_get_le((u8 *)buf + 4 * i, 4);
			continue;
		}
		/* Only the mask bit of Vector Control is writable. */
		if ((w[i] & KVP_MSIX_VEC_MASKED) &&
		    !(vp_get_le((u8 *)buf + 4 * i, 4) & KVP_MSIX_VEC_MASKED))
			unmasked = true;
		w[i] = vp_get_le((u8 *)buf + 4 * i, 4) & KVP_MSIX_VEC_MASKED;
	}
	spin_unlock_irqrestore(&vp->irq_lock, flags);
	if (unmasked) {
		vp_irq_out_init(&out);
		out.flush = true;
		vp_irq_deliver(vp, &out);
	}

	if (write && vp->host_ops && vp->host_ops->msix_changed)
		vp->host_ops->msix_changed(vp, vec);
	return 0;
}

/* Dispatch one access that is inside @bar and naturally aligned. */
static int vp_bar_access(struct kvirtio_pci *vp, unsigned int bar, u64 off,
			 void *buf, u32 len, bool write)
{
	u64 size = kvirtio_pci_bar_size(vp, bar);
	int err = -EINVAL;

	if ((len == 1 || len == 2 || len == 4 || len == 8) &&
	    !(off & (len - 1)) && off < size && len <= size - off) {
		switch (bar) {
		case KVIRTIO_PCI_BAR_CFG:
			err = vp_cfg_bar_access(vp, off, buf, len, write);
			break;
		case KVIRTIO_PCI_BAR_NOTIFY:
		case KVIRTIO_PCI_BAR_PIO_NOTIFY:
			err = vp_notify_bar_access(vp, off, len, write);
			break;
		case KVIRTIO_PCI_BAR_MSIX:
			err = vp_msix_bar_access(vp, off, buf, len, write);
			break;
		}
	}
	if (err) {
		vp->stats.bad_access++;
		if (!write)
			memset(buf, 0xff, len);
	}
	return err;
}

int kvirtio_pci_bar_read(struct kvirtio_pci *vp, unsigned int bar, u64 off,
			 void *buf, u32 len)
{
	if (len > 8 || !kvirtio_pci_bar_decoded(vp, bar)) {
		vp->stats.bad_access++;
		memset(buf, 0xff, len);
		return -EINVAL;
	}
	return vp_bar_access(vp, bar, off, buf, len, false);
}

int kvirtio_pci_bar_write(struct kvirtio_pci *vp, unsigned int bar, u64 off,
			  const void *buf, u32 len)
{
	u8 tmp[8];

	might_sleep();	/* the config path: queue setup pins ring pages */
	if (len > sizeof(tmp) || !kvirtio_pci_bar_decoded(vp, bar)) {
		vp->stats.bad_access++;
		return -EINVAL;
	}
	memcpy(tmp, buf, len);
	return vp_bar_access(vp, bar, off, tmp, len, true);
}

/* ---- Config space side effects ------------------------------------------ */

static bool vp_overlaps(u32 off, u32 len, u32 start, u32 end)
{
	return off < end && off + len > start;
}

/* The PCI_CFG window: an access to pci_cfg_data runs on the chosen BAR. */
static void vp_pcicfg_access(struct kvirtio_pci *vp, bool write)
{
	struct kvirtio_pci_dev *pdev = &vp->pdev;
	u32 cap = vp->cap_pcicfg;
	u8 bar = kvirtio_pci_dev_get8(pdev, cap + KVP_CAP_BAR);
	u32 off = kvirtio_pci_dev_get32(pdev, cap + KVP_CAP_OFFSET);
	u32 len = kvirtio_pci_dev_get32(pdev, cap + KVP_CAP_LENGTH);
	u8 data[4];
	u32 i;

	/* cap.length 1, 2 or 4 and cap.offset aligned to it (4.1.4.7.2). */
	if (len != 1 && len != 2 && len != 4) {
		vp->stats.bad_access++;
		return;
	}
	for (i = 0; i < 4; i++)
		data[i] = kvirtio_pci_dev_get8(pdev, cap + KVP_PCI_CFG_DATA + i);
	if (vp_bar_access(vp, bar, off, data, len, write))
		return;
	if (!write)
		for (i = 0; i < len; i++)
			kvirtio_pci_dev_put8(pdev, cap + KVP_PCI_CFG_DATA + i,
					     data[i]);
}

static void vp_before_read(struct kvirtio_pci_dev *pdev, u32 off, u32 len)
{
	struct kvirtio_pci *vp = to_vp(pdev);
	u32 data = vp->cap_pcicfg + KVP_PCI_CFG_DATA;

	if (vp_overlaps(off, len, data, data + 4))
		vp_pcicfg_access(vp, false);
}

static void vp_msix_ctrl_written(struct kvirtio_pci *vp)
{
	u16 ctrl = kvirtio_pci_dev_get16(&vp->pdev, vp->cap_msix + KVP_MSIX_CTRL);
	struct vp_irq_out out;
	unsigned long flags;

	vp_irq_out_init(&out);
	spin_lock_irqsave(&vp->irq_lock, flags);
	vp->msix_enabled = !!(ctrl & KVP_MSIX_CTRL_ENABLE);
	vp->msix_fmask = !!(ctrl & KVP_MSIX_CTRL_FMASK);
	out.flush = true;
	vp_update_intx_locked(vp, &out);
	spin_unlock_irqrestore(&vp->irq_lock, flags);
	vp_irq_deliver(vp, &out);

	if (vp->host_ops && vp->host_ops->msix_changed)
		vp->host_ops->msix_changed(vp, KVIRTIO_PCI_MSIX_ALL);
}

static void vp_bar_changed(struct kvirtio_pci *vp, unsigned int bar)
{
	if (vp->host_ops && vp->host_ops->bar_changed)
		vp->host_ops->bar_changed(vp, bar);
}

static void vp_after_write(struct kvirtio_pci_dev *pdev, u32 off, u32 len)
{
	struct kvirtio_pci *vp = to_vp(pdev);
	u32 data = vp->cap_pcicfg + KVP_PCI_CFG_DATA;
	struct vp_irq_out out;
	unsigned long flags;
	unsigned int bar;
	u16 cmd;

	if (vp_overlaps(off, len, KVIRTIO_PCI_COMMAND,
			KVIRTIO_PCI_COMMAND + 2)) {
		cmd = kvirtio_pci_dev_command(pdev);
		vp_irq_out_init(&out);
		spin_lock_irqsave(&vp->irq_lock, flags);
		vp->intx_disabled = !!(cmd & KVIRTIO_PCI_CMD_INTX_DISABLE);
		vp_update_intx_locked(vp, &out);
		spin_unlock_irqrestore(&vp->irq_lock, flags);
		vp_irq_deliver(vp, &out);
		if (vp->mem_enabled != !!(cmd & KVIRTIO_PCI_CMD_MEMORY)) {
			vp->mem_enabled = !vp->mem_enabled;
			vp_bar_changed(vp, KVIRTIO_PCI_BAR_CFG);
			vp_bar_changed(vp, KVIRTIO_PCI_BAR_NOTIFY);
			vp_bar_changed(vp, KVIRTIO_PCI_BAR_MSIX);
		}
		if (vp->io_enabled != !!(cmd & KVIRTIO_PCI_CMD_IO)) {
			vp->io_enabled = !vp->io_enabled;
			if (vp->pio_notify_size)
				vp_bar_changed(vp, KVIRTIO_PCI_BAR_PIO_NOTIFY);
		}
	}

	for (bar = 0; bar < KVIRTIO_PCI_NUM_BARS; bar++) {
		u32 reg = KVIRTIO_PCI_BAR0 + 4 * bar;
		u32 width = kvirtio_pci_dev_bar_is_64(pdev, bar) ? 8 : 4;

		if (pdev->bar_size[bar] &&
		    vp_overlaps(off, len, reg, reg + width))
			vp_bar_changed(vp, bar);
	}

	if (vp_overlaps(off, len, vp->cap_msix + KVP_MSIX_CTRL,
			vp->cap_msix + KVP_MSIX_CTRL + 2))
		vp_msix_ctrl_written(vp);

	if (vp_overlaps(off, len, data, data + 4))
		vp_pcicfg_access(vp, true);
}

static const struct kvirtio_pci_dev_ops vp_pdev_ops = {
	.before_read	= vp_before_read,
	.after_write	= vp_after_write,
};

u32 kvirtio_pci_config_read(struct kvirtio_pci *vp, u32 off, u32 width)
{
	return kvirtio_pci_dev_read(&vp->pdev, off, width);
}

void kvirtio_pci_config_write(struct kvirtio_pci *vp, u32 off, u32 width,
			      u32 val)
{
	might_sleep();	/* the PCI_CFG window reaches the config path */
	kvirtio_pci_dev_write(&vp->pdev, off, width, val);
}

/* ---- Construction ----------------------------------------------------- */

static int vp_add_vndr_cap(struct kvirtio_pci *vp, u8 type, u32 caplen,
			   u8 bar, u32 offset, u32 length)
{
	struct kvirtio_pci_dev *pdev = &vp->pdev;
	int cap = kvirtio_pci_dev_add_cap(pdev, KVIRTIO_PCI_CAP_ID_VNDR, caplen);

	if (cap < 0)
		return cap;
	kvirtio_pci_dev_put8(pdev, cap + KVP_CAP_LEN, caplen);
	kvirtio_pci_dev_put8(pdev, cap + KVP_CAP_CFG_TYPE, type);
	kvirtio_pci_dev_put8(pdev, cap + KVP_CAP_BAR, bar);
	kvirtio_pci_dev_put8(pdev, cap + KVP_CAP_ID, 0);
	kvirtio_pci_dev_put32(pdev, cap + KVP_CAP_OFFSET, offset);
	kvirtio_pci_dev_put32(pdev, cap + KVP_CAP_LENGTH, length);
	return cap;
}

/* A NOTIFY_CFG capability: queue q at q * KVIRTIO_PCI_NOTIFY_MULT. */
static int vp_add_notify_cap(struct kvirtio_pci *vp, u8 bar)
{
	int cap = vp_add_vndr_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG,
				  KVP_NOTIFY_CAP_SIZE, bar,
				  KVIRTIO_PCI_NOTIFY_OFF,
				  vp->vdev->num_queues * KVIRTIO_PCI_NOTIFY_MULT);

	if (cap >= 0)
		kvirtio_pci_dev_put32(&vp->pdev, cap + KVP_NOTIFY_CAP_MULT,
				      KVIRTIO_PCI_NOTIFY_MULT);
	return cap;
}

static int vp_build_config_space(struct kvirtio_pci *vp)
{
	struct kvirtio_pci_dev *pdev = &vp->pdev;
	struct kvirtio_device *vdev = vp->vdev;
	struct kvirtio_pci_dev_id id = {
		.vendor		= KVIRTIO_PCI_VENDOR,
		.device		= KVIRTIO_PCI_DEVICE_BASE + vdev->device_id,
		.subsys_vendor	= KVIRTIO_PCI_SUBSYS_VENDOR,
		.subsys_id	= KVIRTIO_PCI_SUBSYS_ID,
		.revision	= KVIRTIO_PCI_REVISION,
		.class_code	= vdev->pci_class,
		.irq_pin	= KVIRTIO_PCI_INTX_A,
	};
	int cap, err;

	kvirtio_pci_dev_init(pdev, &id, &vp_pdev_ops);

	err = kvirtio_pci_dev_set_bar64(pdev, KVIRTIO_PCI_BAR_CFG,
					KVIRTIO_PCI_BAR_CFG_SIZE, false);
	if (!err)
		err = kvirtio_pci_dev_set_bar64(pdev, KVIRTIO_PCI_BAR_NOTIFY,
						vp->notify_bar_size, false);
	/* PIO notify needs register 5: the MSI-X BAR shrinks to 32 bits. */
	if (!err && vp->pio_notify_size)
		err = kvirtio_pci_dev_set_bar32(pdev, KVIRTIO_PCI_BAR_MSIX,
						vp->msix_bar_size, false);
	else if (!err)
		err = kvirtio_pci_dev_set_bar64(pdev, KVIRTIO_PCI_BAR_MSIX,
						vp->msix_bar_size, false);
	if (!err && vp->pio_notify_size)
		err = kvirtio_pci_dev_set_bar_io(pdev,
						 KVIRTIO_PCI_BAR_PIO_NOTIFY,
						 vp->pio_notify_size);
	if (err)
		return err;

	cap = kvirtio_pci_dev_add_cap(pdev, KVIRTIO_PCI_CAP_ID_MSIX,
				      KVP_MSIX_CAP_SIZE);
	if (cap < 0)
		return cap;
	vp->cap_msix = cap;
	kvirtio_pci_dev_put16(pdev, cap + KVP_MSIX_CTRL, vp->num_msix - 1);
	kvirtio_pci_dev_set_writable(pdev, cap + KVP_MSIX_CTRL, 2,
				     KVP_MSIX_CTRL_ENABLE | KVP_MSIX_CTRL_FMASK);
	kvirtio_pci_dev_put32(pdev, cap + KVP_MSIX_TABLE,
			      KVIRTIO_PCI_MSIX_TABLE_OFF | KVIRTIO_PCI_BAR_MSIX);
	kvirtio_pci_dev_put32(pdev, cap + KVP_MSIX_PBA,
			      vp->msix_pba_off | KVIRTIO_PCI_BAR_MSIX);

	cap = vp_add_vndr_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG, KVP_CAP_SIZE,
			      KVIRTIO_PCI_BAR_CFG, KVIRTIO_PCI_COMMON_OFF,
			      KVIRTIO_PCI_COMMON_LEN);
	if (cap < 0)
		return cap;
	vp->cap_common = cap;

	/* Listed before the MMIO one: the device's preferred notify. */
	vp->cap_pio_notify = 0;
	if (vp->pio_notify_size) {
		cap = vp_add_notify_cap(vp, KVIRTIO_PCI_BAR_PIO_NOTIFY);
		if (cap < 0)
			return cap;
		vp->cap_pio_notify = cap;
	}
	cap = vp_add_notify_cap(vp, KVIRTIO_PCI_BAR_NOTIFY);
	if (cap < 0)
		return cap;
	vp->cap_notify = cap;

	cap = vp_add_vndr_cap(vp, VIRTIO_PCI_CAP_ISR_CFG, KVP_CAP_SIZE,
			      KVIRTIO_PCI_BAR_CFG, KVIRTIO_PCI_ISR_OFF,
			      KVIRTIO_PCI_ISR_LEN);
	if (cap < 0)
		return cap;
	vp->cap_isr = cap;

	vp->cap_device = 0;
	if (vdev->config_size) {
		cap = vp_add_vndr_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG,
				      KVP_CAP_SIZE, KVIRTIO_PCI_BAR_CFG,
				      KVIRTIO_PCI_DEVCFG_OFF,
				      vdev->config_size);
		if (cap < 0)
			return cap;
		vp->cap_device = cap;
	}

	cap = vp_add_vndr_cap(vp, VIRTIO_PCI_CAP_PCI_CFG, KVP_PCI_CFG_CAP_SIZE,
			      0, 0, 0);
	if (cap < 0)
		return cap;
	vp->cap_pcicfg = cap;
	kvirtio_pci_dev_set_writable(pdev, cap + KVP_CAP_BAR, 1, 0xff);
	kvirtio_pci_dev_set_writable(pdev, cap + KVP_CAP_OFFSET, 4, ~0u);
	kvirtio_pci_dev_set_writable(pdev, cap + KVP_CAP_LENGTH, 4, ~0u);
	kvirtio_pci_dev_set_writable(pdev, cap + KVP_PCI_CFG_DATA, 4, ~0u);

	kvirtio_pci_dev_seal(pdev);
	return 0;
}

static void vp_msix_table_reset(struct kvirtio_pci *vp)
{
	struct vp_irq_out out;
	unsigned long flags;
	u16 v;

	vp_irq_out_init(&out);
	spin_lock_irqsave(&vp->irq_lock, flags);
	for (v = 0; v < vp->num_msix; v++) {
		memset(&vp->msix[v], 0, sizeof(vp->msix[v]));
		vp->msix[v].ctrl = KVP_MSIX_VEC_MASKED;
	}
	memset(vp->pba, 0, DIV_ROUND_UP(vp->num_msix, 64) * sizeof(u64));
	vp->msix_enabled = false;
	vp->msix_fmask = false;
	vp->intx_disabled = false;
	vp_update_intx_locked(vp, &out);
	spin_unlock_irqrestore(&vp->irq_lock, flags);
	vp_irq_deliver(vp, &out);
	vp->mem_enabled = false;
	vp->io_enabled = false;
}

int kvirtio_pci_init(struct kvirtio_pci *vp, struct kvirtio_device *vdev,
		     unsigned int flags,
		     const struct kvirtio_pci_host_ops *host_ops,
		     void *host_priv)
{
	u32 nq = vdev->num_queues;
	u16 qid;
	int err;

	might_sleep();
	if ((flags & ~KVIRTIO_PCI_F_PIO_NOTIFY) ||
	    ((flags & KVIRTIO_PCI_F_PIO_NOTIFY) &&
	     nq > KVIRTIO_PCI_PIO_NOTIFY_MAX_QUEUES))
		return -EINVAL;
	if (!vdev->ops || !nq || nq > KVIRTIO_PCI_MAX_QUEUES ||
	    !is_power_of_2(vdev->queue_size_max) ||
	    vdev->queue_size_max > KVIRTIO_QUEUE_SIZE_MAX ||
	    vdev->device_id > 0x3f ||
	    vdev->config_size > KVIRTIO_PCI_DEVCFG_MAX ||
	    (vdev->config_size && !vdev->ops->config_read))
		return -EINVAL;

	memset(vp, 0, sizeof(*vp));
	spin_lock_init(&vp->irq_lock);
	vp->vdev = vdev;
	vp->host_ops = host_ops;
	vp->host_priv = host_priv;
	vp->num_msix = nq + 1;
	vp->msix_pba_off = ALIGN(vp->num_msix * KVIRTIO_PCI_MSIX_ENTRY_SIZE,
				 4096);
	vp->msix_bar_size = vp_pow2_at_least(vp->msix_pba_off + 4096, 8192);
	vp->notify_bar_size = vp_pow2_at_least(nq * KVIRTIO_PCI_NOTIFY_MULT,
					       4096);
	if (flags & KVIRTIO_PCI_F_PIO_NOTIFY)
		vp->pio_notify_size =
			vp_pow2_at_least(nq * KVIRTIO_PCI_NOTIFY_MULT, 4);

	/* The transport adds what it implements, drops what it cannot. */
	vp->offered = (vdev->device_features & ~KVP_F_UNSUPPORTED) |
		      BIT_ULL(VIRTIO_F_VERSION_1);
	if (vdev->ops->queue_disable)
		vp->offered |= BIT_ULL(KVP_F_RING_RESET);
	else
		vp->offered &= ~BIT_ULL(KVP_F_RING_RESET);

	err = -ENOMEM;
	vp->queues = kcalloc(nq, sizeof(*vp->queues), GFP_KERNEL_ACCOUNT);
	vp->msix = kcalloc(vp->num_msix, sizeof(*vp->msix), GFP_KERNEL_ACCOUNT);
	vp->pba = kcalloc(DIV_ROUND_UP(vp->num_msix, 64), sizeof(u64),
			  GFP_KERNEL_ACCOUNT);
	if (!vp->queues || !vp->msix || !vp->pba)
		goto fail;
	if (!vdev->queues) {
		vdev->queues = kcalloc(nq, sizeof(*vdev->queues), GFP_KERNEL_ACCOUNT);
		if (!vdev->queues)
			goto fail;
		vp->own_vqs = true;
	}

	err = vp_build_config_space(vp);
	if (err)
		goto fail;
	vp_msix_table_reset(vp);
	for (qid = 0; qid < nq; qid++)
		vp_queue_regs_reset(vp, qid);
	vp->msix_config = VIRTIO_MSI_NO_VECTOR;
	vdev->driver_features = 0;

	vdev->transport = &kvirtio_pci_transport_ops;
	vdev->transport_priv = vp;
	return 0;

fail:
	if (vp->own_vqs) {
		kfree(vdev->queues);
		vdev->queues = NULL;
	}
	kfree(vp->pba);
	kfree(vp->msix);
	kfree(vp->queues);
	memset(vp, 0, sizeof(*vp));
	return err;
}

void kvirtio_pci_destroy(struct kvirtio_pci *vp)
{
	struct kvirtio_device *vdev = vp->vdev;

	if (!vdev)
		return;
	vp_reset(vp);
	if (vp->own_vqs) {
		kfree(vdev->queues);
		vdev->queues = NULL;
	}
	kfree(vp->pba);
	kfree(vp->msix);
	kfree(vp->queues);
	vdev->transport_priv = NULL;
	vp->vdev = NULL;
	vp->pba = NULL;
	vp->msix = NULL;
	vp->queues = NULL;
}

void kvirtio_pci_function_reset(struct kvirtio_pci *vp)
{
	unsigned int bar;

	might_sleep();
	vp_reset(vp);
	kvirtio_pci_dev_reset(&vp->pdev);
	vp_msix_table_reset(vp);
	if (vp->host_ops && vp->host_ops->msix_changed)
		vp->host_ops->msix_changed(vp, KVIRTIO_PCI_MSIX_ALL);
	for (bar = 0; bar < KVIRTIO_PCI_NUM_BARS; bar++)
		if (vp->pdev.bar_size[bar])
			vp_bar_changed(vp, bar);
}

/* ---- Queries ------------------------------------------------------------ */

u64 kvirtio_pci_bar_size(const struct kvirtio_pci *vp, unsigned int bar)
{
	return bar < KVIRTIO_PCI_NUM_BARS ? vp->pdev.bar_size[bar] : 0;
}

u64 kvirtio_pci_bar_addr(const struct kvirtio_pci *vp, unsigned int bar)
{
	return kvirtio_pci_dev_bar_addr(&vp->pdev, bar);
}

bool kvirtio_pci_memory_enabled(const struct kvirtio_pci *vp)
{
	return kvirtio_pci_dev_command(&vp->pdev) & KVIRTIO_PCI_CMD_MEMORY;
}

bool kvirtio_pci_io_enabled(const struct kvirtio_pci *vp)
{
	return kvirtio_pci_dev_command(&vp->pdev) & KVIRTIO_PCI_CMD_IO;
}

bool kvirtio_pci_bar_decoded(const struct kvirtio_pci *vp, unsigned int bar)
{
	if (kvirtio_pci_dev_bar_is_io(&vp->pdev, bar))
		return kvirtio_pci_io_enabled(vp);
	return kvirtio_pci_memory_enabled(vp);
}

u32 kvirtio_pci_notify_multiplier(const struct kvirtio_pci *vp)
{
	return KVIRTIO_PCI_NOTIFY_MULT;
}

u64 kvirtio_pci_queue_notify_offset(const struct kvirtio_pci *vp, u16 qid)
{
	return KVIRTIO_PCI_NOTIFY_OFF + (u64)qid * KVIRTIO_PCI_NOTIFY_MULT;
}

u16 kvirtio_pci_msix_vectors(const struct kvirtio_pci *vp)
{
	return vp->num_msix;
}

void kvirtio_pci_get_layout(const struct kvirtio_pci *vp,
			    struct kvirtio_pci_layout *layout)
{
	unsigned int bar;

	memset(layout, 0, sizeof(*layout));
	for (bar = 0; bar < KVIRTIO_PCI_NUM_BARS; bar++)
		layout->bar_size[bar] = kvirtio_pci_bar_size(vp, bar);
	layout->notify_bar = KVIRTIO_PCI_BAR_NOTIFY;
	layout->notify_offset = KVIRTIO_PCI_NOTIFY_OFF;
	layout->notify_off_multiplier = KVIRTIO_PCI_NOTIFY_MULT;
	layout->msix_bar = KVIRTIO_PCI_BAR_MSIX;
	layout->msix_table_offset = KVIRTIO_PCI_MSIX_TABLE_OFF;
	layout->msix_pba_offset = vp->msix_pba_off;
	if (vp->pio_notify_size) {
		layout->pio_notify = true;
		layout->pio_notify_bar = KVIRTIO_PCI_BAR_PIO_NOTIFY;
		layout->pio_notify_offset = KVIRTIO_PCI_NOTIFY_OFF;
		layout->pio_notify_off_multiplier = KVIRTIO_PCI_NOTIFY_MULT;
	}
	layout->num_msix = vp->num_msix;
	layout->num_queues = vp->vdev->num_queues;
}

int kvirtio_pci_msix_entry(struct kvirtio_pci *vp, u16 vector,
			   struct kvirtio_pci_msix_entry *entry)
{
	const struct kvirtio_pci_msix_vec *v;
	unsigned long flags;

	if (vector >= vp->num_msix)
		return -EINVAL;
	spin_lock_irqsave(&vp->irq_lock, flags);
	v = &vp->msix[vector];
	entry->addr = (u64)v->addr_hi << 32 | v->addr_lo;
	entry->data = v->data;
	entry->masked = v->ctrl & KVP_MSIX_VEC_MASKED;
	entry->function_masked = vp->msix_fmask;
	entry->enabled = vp->msix_enabled;
	spin_unlock_irqrestore(&vp->irq_lock, flags);
	return 0;
}
