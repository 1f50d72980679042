// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio eventfds: kicks in, interrupts out.
 *
 * Kick: the VMM registers an eventfd with KVM_IOEVENTFD on a queue's
 * notify address and gives it to us.  We hang a wait-queue entry on it
 * (as KVM's irqfd does on its eventfd), so a guest notify write wakes our
 * callback inside KVM's eventfd_signal(): the callback drains the counter
 * and goes through the transport's notify entry to the worker.  No
 * userspace runs.
 *
 * Interrupt: per MSI-X vector, an eventfd the VMM registered with
 * KVM_IRQFD; the transport's msix hook signals it.  INTx: a trigger
 * eventfd (KVM_IRQFD with KVM_IRQFD_FLAG_RESAMPLE) and its resample
 * eventfd, which KVM signals when the guest EOIs the level interrupt; we
 * then re-assert while the transport's INTx level is still high.  An
 * eventfd may not be signalled from inside another eventfd's wakeup, so
 * the re-assert runs from a work item.
 */
#include <linux/kernel.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "host.h"
#include "trace.h"

/**
 * kvirtio_irq_signal - signal an eventfd once, on 6.1 and 6.8+ kernels
 * @ctx: the eventfd context
 */
void kvirtio_irq_signal(struct eventfd_ctx *ctx)
{
	/* Kbuild probes the header: the count argument went away in 6.8. */
#ifdef KVIRTIO_EVENTFD_SIGNAL_NO_COUNT
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/* ---- kick ------------------------------------------------------------ */

static int kick_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync,
		       void *key)
{
	struct kvirtio_kick *k = container_of(wait, struct kvirtio_kick, wait);
	__poll_t flags = key_to_poll(key);
	u64 cnt;

	if (flags & EPOLLIN) {
		/* We run under the eventfd's wait-queue lock: drain it. */
		eventfd_ctx_do_read(k->ctx, &cnt);
		atomic64_inc(&k->hdev->stats.kicks);
		trace_kvirtio_kick(k->hdev->id, k->qid, KVIRTIO_KICK_EVENTFD);
		kvirtio_pci_notify(&k->hdev->vp, k->qid);
	}
	return 0;
}

static void kick_queue_proc(struct file *file, wait_queue_head_t *wqh,
			    poll_table *pt)
{
	struct kvirtio_kick *k = container_of(pt, struct kvirtio_kick, pt);

	k->wqh = wqh;
	add_wait_queue(wqh, &k->wait);
}

/* Unhook and free; after return the callback cannot be running. */
static void kick_free(struct kvirtio_kick *k)
{
	u64 cnt;

	if (k->wqh)
		eventfd_ctx_remove_wait_queue(k->ctx, &k->wait, &cnt);
	eventfd_ctx_put(k->ctx);
	kfree(k);
	atomic_long_dec(&kvirtio_live.kick_fds);
}

/**
 * kvirtio_kick_attach - hook eventfd @fd as queue @qid's kick
 * @hdev: the device (lock held)
 * @qid: queue, checked by the caller
 * @fd: an eventfd
 *
 * Replaces any previous kick eventfd of the queue.
 * Return: 0; -EBADF when @fd is not open; -EINVAL when it is not an
 * eventfd; -ENOMEM.
 */
int kvirtio_kick_attach(struct kvirtio_hdev *hdev, u16 qid, int fd)
{
	struct kvirtio_kick *k;
	struct eventfd_ctx *ctx;
	struct file *file;
	__poll_t events;

	file = fget(fd);
	if (!file)
		return -EBADF;
	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx)) {
		fput(file);
		return PTR_ERR(ctx);
	}
	k = kzalloc(sizeof(*k), GFP_KERNEL_ACCOUNT);
	if (!k) {
		eventfd_ctx_put(ctx);
		fput(file);
		return -ENOMEM;
	}
	k->hdev = hdev;
	k->qid = qid;
	k->ctx = ctx;
	init_waitqueue_func_entry(&k->wait, kick_wakeup);
	init_poll_funcptr(&k->pt, kick_queue_proc);
	atomic_long_inc(&kvirtio_live.kick_fds);

	/* Old hook off first: one eventfd per queue at any time. */
	kvirtio_kick_detach(hdev, qid);
	hdev->kick[qid] = k;

	events = vfs_poll(file, &k->pt);
	fput(file);
	/* A kick that came before the hook is not lost. */
	if (events & EPOLLIN)
		kvirtio_pci_notify(&hdev->vp, qid);
	return 0;
}

/**
 * kvirtio_kick_detach - unhook queue @qid's kick eventfd, if any
 * @hdev: the device (lock held)
 * @qid: queue
 */
void kvirtio_kick_detach(struct kvirtio_hdev *hdev, u16 qid)
{
	struct kvirtio_kick *k = hdev->kick[qid];

	if (!k)
		return;
	hdev->kick[qid] = NULL;
	kick_free(k);
}

/* ---- interrupts ------------------------------------------------------ */

static void msix_put(struct kvirtio_hdev *hdev, u16 vector)
{
	struct eventfd_ctx *old;

	old = rcu_replace_pointer(hdev->msix[vector], NULL,
				  lockdep_is_held(&hdev->lock));
	if (old) {
		/* The transport may be signalling it right now. */
		synchronize_rcu();
		eventfd_ctx_put(old);
		atomic_long_dec(&kvirtio_live.irq_fds);
	}
}

static int intx_resample_wakeup(wait_queue_entry_t *wait, unsigned int mode,
				int sync, void *key)
{
	struct kvirtio_intx *ix = container_of(wait, struct kvirtio_intx, wait);
	__poll_t flags = key_to_poll(key);
	u64 cnt;

	if (flags & EPOLLIN) {
		eventfd_ctx_do_read(ix->resample, &cnt);
		if (atomic_read(&ix->level))
			schedule_work(&ix->resample_work);
	}
	return 0;
}

static void intx_resample_queue_proc(struct file *file, wait_queue_head_t *wqh,
				     poll_table *pt)
{
	struct kvirtio_intx *ix = container_of(pt, struct kvirtio_intx, pt);

	ix->wqh = wqh;
	add_wait_queue(wqh, &ix->wait);
}

static void intx_resample_work(struct work_struct *work)
{
	struct kvirtio_intx *ix = container_of(work, struct kvirtio_intx,
					       resample_work);
	struct kvirtio_hdev *hdev = container_of(ix, struct kvirtio_hdev, intx);
	struct eventfd_ctx *ctx;

	/* Level still high after the guest's EOI: assert again. */
	rcu_read_lock();
	ctx = rcu_dereference(ix->trigger);
	if (ctx && atomic_read(&ix->level)) {
		kvirtio_irq_signal(ctx);
		atomic64_inc(&hdev->stats.interrupts);
		trace_kvirtio_interrupt(hdev->id, -1, true);
	}
	rcu_read_unlock();
}

static void intx_clear(struct kvirtio_hdev *hdev)
{
	struct kvirtio_intx *ix = &hdev->intx;
	struct eventfd_ctx *old;
	u64 cnt;

	if (ix->resample) {
		if (ix->wqh)
			eventfd_ctx_remove_wait_queue(ix->resample, &ix->wait,
						      &cnt);
		ix->wqh = NULL;
		eventfd_ctx_put(ix->resample);
		ix->resample = NULL;
		atomic_long_dec(&kvirtio_live.irq_fds);
	}
	/* No new work can be queued now; wait for a running one. */
	cancel_work_sync(&ix->resample_work);
	old = rcu_replace_pointer(ix->trigger, NULL,
				  lockdep_is_held(&hdev->lock));
	if (old) {
		synchronize_rcu();
		eventfd_ctx_put(old);
		atomic_long_dec(&kvirtio_live.irq_fds);
	}
}

static int intx_set(struct kvirtio_hdev *hdev, int fd, int resample_fd)
{
	struct kvirtio_intx *ix = &hdev->intx;
	struct eventfd_ctx *trigger, *resample = NULL;
	struct file *rfile = NULL;

	if (fd < 0) {
		intx_clear(hdev);
		return 0;
	}
	trigger = eventfd_ctx_fdget(fd);
	if (IS_ERR(trigger))
		return PTR_ERR(trigger);
	if (resample_fd >= 0) {
		rfile = fget(resample_fd);
		if (!rfile) {
			eventfd_ctx_put(trigger);
			return -EBADF;
		}
		resample = eventfd_ctx_fileget(rfile);
		if (IS_ERR(resample)) {
			fput(rfile);
			eventfd_ctx_put(trigger);
			return PTR_ERR(resample);
		}
	}
	/* Everything acquired: from here on nothing can fail. */
	intx_clear(hdev);
	atomic_long_inc(&kvirtio_live.irq_fds);
	rcu_assign_pointer(ix->trigger, trigger);
	if (resample) {
		atomic_long_inc(&kvirtio_live.irq_fds);
		ix->resample = resample;
		init_waitqueue_func_entry(&ix->wait, intx_resample_wakeup);
		init_poll_funcptr(&ix->pt, intx_resample_queue_proc);
		/* A pending resample count is stale: the level decides. */
		vfs_poll(rfile, &ix->pt);
		fput(rfile);
	}
	/* A level raised before the eventfd was attached is delivered now. */
	if (atomic_read(&ix->level))
		schedule_work(&ix->resample_work);
	return 0;
}

/**
 * kvirtio_irq_set - attach or detach an interrupt eventfd
 * @hdev: the device (lock held)
 * @arg: the validated-for-reserved-fields argument
 *
 * Return: 0; -EINVAL for a bad type, index or resample_fd combination;
 * -EBADF for an fd that is not open; -EINVAL for one that is not an
 * eventfd.  On error nothing changed.
 */
int kvirtio_irq_set(struct kvirtio_hdev *hdev, const struct kvirtio_irq_fd *arg)
{
	struct eventfd_ctx *ctx, *old;

	if (arg->fd < -1 || arg->resample_fd < -1)
		return -EBADF;
	switch (arg->type) {
	case KVIRTIO_IRQ_MSIX:
		if (arg->index >= hdev->num_msix || arg->resample_fd != -1)
			return -EINVAL;
		if (arg->fd == -1) {
			msix_put(hdev, arg->index);
			return 0;
		}
		ctx = eventfd_ctx_fdget(arg->fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
		atomic_long_inc(&kvirtio_live.irq_fds);
		old = rcu_replace_pointer(hdev->msix[arg->index], ctx,
					  lockdep_is_held(&hdev->lock));
		if (old) {
			synchronize_rcu();
			eventfd_ctx_put(old);
			atomic_long_dec(&kvirtio_live.irq_fds);
		}
		return 0;
	case KVIRTIO_IRQ_INTX:
		if (arg->index != 0 || (arg->fd == -1 && arg->resample_fd != -1))
			return -EINVAL;
		return intx_set(hdev, arg->fd, arg->resample_fd);
	default:
		return -EINVAL;
	}
}

/**
 * kvirtio_irq_release_all - drop every interrupt eventfd
 * @hdev: the device; the transport no longer raises interrupts
 */
void kvirtio_irq_release_all(struct kvirtio_hdev *hdev)
{
	u16 v;

	for (v = 0; v < hdev->num_msix; v++)
		msix_put(hdev, v);
	intx_clear(hdev);
}

/* Transport hooks (called under the transport's irq_lock, irqs off). */

static void host_msix(struct kvirtio_pci *vp, u16 vector)
{
	struct kvirtio_hdev *hdev = vp->host_priv;
	struct eventfd_ctx *ctx;

	if (vector >= hdev->num_msix)
		return;
	rcu_read_lock();
	ctx = rcu_dereference(hdev->msix[vector]);
	if (ctx) {
		kvirtio_irq_signal(ctx);
		atomic64_inc(&hdev->stats.interrupts);
		trace_kvirtio_interrupt(hdev->id, vector, false);
	}
	rcu_read_unlock();
}

static void host_intx(struct kvirtio_pci *vp, bool level)
{
	struct kvirtio_hdev *hdev = vp->host_priv;
	struct kvirtio_intx *ix = &hdev->intx;
	struct eventfd_ctx *ctx;
	bool was = atomic_xchg(&ix->level, level);

	/*
	 * With a resample eventfd KVM holds the line until the guest's EOI
	 * and we re-assert from the resample hook: signal on a rising level
	 * only.  Without one each signal is a pulse: signal every event.
	 */
	if (!level || (was && READ_ONCE(ix->resample)))
		return;
	rcu_read_lock();
	ctx = rcu_dereference(ix->trigger);
	if (ctx) {
		kvirtio_irq_signal(ctx);
		atomic64_inc(&hdev->stats.interrupts);
		trace_kvirtio_interrupt(hdev->id, -1, true);
	}
	rcu_read_unlock();
}

const struct kvirtio_pci_host_ops kvirtio_host_pci_ops = {
	.msix = host_msix,
	.intx = host_intx,
};

/**
 * kvirtio_intx_init - set up the INTx state of a new device
 * @hdev: the device
 */
void kvirtio_intx_init(struct kvirtio_hdev *hdev)
{
	RCU_INIT_POINTER(hdev->intx.trigger, NULL);
	hdev->intx.resample = NULL;
	hdev->intx.wqh = NULL;
	INIT_WORK(&hdev->intx.resample_work, intx_resample_work);
	atomic_set(&hdev->intx.level, 0);
}
