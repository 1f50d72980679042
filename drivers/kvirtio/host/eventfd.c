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
 *
 * Roles: an eventfd we wait on (a kick, an INTx resample) is never also
 * one we signal (an MSI-X vector, an INTx trigger), on this device or on
 * any other.  Signalling it would run our own kick or resample callback
 * inside eventfd_signal(), under that eventfd's lock: a VMM that wired one
 * eventfd both ways (KVM allows it) would have the device kick itself, or
 * an INTx line re-asserted forever.  The registry below refuses it.
 */
#include <linux/kernel.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/mutex.h>
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

/* ---- roles ----------------------------------------------------------- */

enum kvirtio_efd_role {
	KVIRTIO_EFD_WAIT,	/* we hook its wait queue: kick, resample */
	KVIRTIO_EFD_SIGNAL,	/* we signal it: MSI-X vector, INTx trigger */
};

/* One eventfd in use by any kvirtio device, with a count per role. */
struct efd_use {
	struct hlist_node node;
	struct eventfd_ctx *ctx;
	unsigned int n[2];
};

static DEFINE_HASHTABLE(efd_uses, 6);
static DEFINE_MUTEX(efd_uses_lock);	/* efd_uses and every count in it */

static struct efd_use *efd_use_find(struct eventfd_ctx *ctx)
{
	struct efd_use *u;

	lockdep_assert_held(&efd_uses_lock);
	hash_for_each_possible(efd_uses, u, node, (unsigned long)ctx)
		if (u->ctx == ctx)
			return u;
	return NULL;
}

/*
 * Record that a device uses @ctx in @role.  The caller holds a reference
 * on @ctx until the matching efd_unclaim(), so the pointer stays unique.
 * Return: 0; -EBUSY when @ctx is in use in the other role; -ENOMEM.
 */
static int efd_claim(struct eventfd_ctx *ctx, enum kvirtio_efd_role role)
{
	struct efd_use *u;
	int ret = 0;

	mutex_lock(&efd_uses_lock);
	u = efd_use_find(ctx);
	if (u && u->n[!role]) {
		ret = -EBUSY;
	} else if (u) {
		u->n[role]++;
	} else {
		u = kzalloc(sizeof(*u), GFP_KERNEL_ACCOUNT);
		if (u) {
			u->ctx = ctx;
			u->n[role] = 1;
			hash_add(efd_uses, &u->node, (unsigned long)ctx);
		} else {
			ret = -ENOMEM;
		}
	}
	mutex_unlock(&efd_uses_lock);
	return ret;
}

static void efd_unclaim(struct eventfd_ctx *ctx, enum kvirtio_efd_role role)
{
	struct efd_use *u;

	mutex_lock(&efd_uses_lock);
	u = efd_use_find(ctx);
	if (u && u->n[role]) {
		u->n[role]--;
		if (!u->n[0] && !u->n[1]) {
			hash_del(&u->node);
			kfree(u);
		}
	}
	mutex_unlock(&efd_uses_lock);
}

/* Take a signalled eventfd by fd: a reference and the role, or an errno. */
static struct eventfd_ctx *efd_get_signal(int fd)
{
	struct eventfd_ctx *ctx = eventfd_ctx_fdget(fd);
	int ret;

	if (IS_ERR(ctx))
		return ctx;
	ret = efd_claim(ctx, KVIRTIO_EFD_SIGNAL);
	if (ret) {
		eventfd_ctx_put(ctx);
		return ERR_PTR(ret);
	}
	return ctx;
}

static void efd_put_signal(struct eventfd_ctx *ctx)
{
	efd_unclaim(ctx, KVIRTIO_EFD_SIGNAL);
	eventfd_ctx_put(ctx);
	atomic_long_dec(&kvirtio_live.irq_fds);
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
	efd_unclaim(k->ctx, KVIRTIO_EFD_WAIT);
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
 * eventfd; -EBUSY when a kvirtio device signals it (an interrupt
 * eventfd); -ENOMEM.
 */
int kvirtio_kick_attach(struct kvirtio_hdev *hdev, u16 qid, int fd)
{
	struct kvirtio_kick *k;
	struct eventfd_ctx *ctx;
	struct file *file;
	__poll_t events;
	int ret;

	lockdep_assert_held(&hdev->lock);
	file = fget(fd);
	if (!file)
		return -EBADF;
	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx)) {
		fput(file);
		return PTR_ERR(ctx);
	}
	k = kzalloc(sizeof(*k), GFP_KERNEL_ACCOUNT);
	ret = k ? efd_claim(ctx, KVIRTIO_EFD_WAIT) : -ENOMEM;
	if (ret) {
		kfree(k);
		eventfd_ctx_put(ctx);
		fput(file);
		return ret;
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

	lockdep_assert_held(&hdev->lock);
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
		efd_put_signal(old);
	}
}

static int intx_resample_wakeup(wait_queue_entry_t *wait, unsigned int mode,
				int sync, void *key)
{
	struct kvirtio_intx *ix = container_of(wait, struct kvirtio_intx, wait);
	__poll_t flags = key_to_poll(key);
	u64 cnt;

	if (flags & EPOLLIN) {
		struct kvirtio_hdev *hdev = container_of(ix, struct kvirtio_hdev,
							 intx);

		eventfd_ctx_do_read(ix->resample, &cnt);
		if (kvirtio_pci_intx_level(&hdev->vp))
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
	if (ctx && kvirtio_pci_intx_level(&hdev->vp)) {
		kvirtio_irq_signal(ctx);
		atomic64_inc(&hdev->stats.interrupts);
		trace_kvirtio_interrupt(hdev->id, -1, true);
	}
	rcu_read_unlock();
}

/*
 * Unhook the resample eventfd and detach the trigger.  The trigger is
 * returned, not released: the caller waits for an RCU grace period (the
 * transport may be signalling it) and then calls efd_put_signal().
 */
static struct eventfd_ctx *intx_detach(struct kvirtio_hdev *hdev)
{
	struct kvirtio_intx *ix = &hdev->intx;
	u64 cnt;

	lockdep_assert_held(&hdev->lock);
	if (ix->resample) {
		if (ix->wqh)
			eventfd_ctx_remove_wait_queue(ix->resample, &ix->wait,
						      &cnt);
		ix->wqh = NULL;
		efd_unclaim(ix->resample, KVIRTIO_EFD_WAIT);
		eventfd_ctx_put(ix->resample);
		ix->resample = NULL;
		atomic_long_dec(&kvirtio_live.irq_fds);
	}
	/* No new work can be queued now; wait for a running one. */
	cancel_work_sync(&ix->resample_work);
	return rcu_replace_pointer(ix->trigger, NULL,
				   lockdep_is_held(&hdev->lock));
}

static void intx_clear(struct kvirtio_hdev *hdev)
{
	struct eventfd_ctx *old = intx_detach(hdev);

	if (old) {
		synchronize_rcu();
		efd_put_signal(old);
	}
}

static int intx_set(struct kvirtio_hdev *hdev, int fd, int resample_fd)
{
	struct kvirtio_intx *ix = &hdev->intx;
	struct eventfd_ctx *trigger, *resample = NULL;
	struct file *rfile = NULL;

	int ret;

	if (fd < 0) {
		intx_clear(hdev);
		return 0;
	}
	trigger = efd_get_signal(fd);
	if (IS_ERR(trigger))
		return PTR_ERR(trigger);
	/* Counted now so that efd_put_signal() on an error path balances. */
	atomic_long_inc(&kvirtio_live.irq_fds);
	if (resample_fd >= 0) {
		rfile = fget(resample_fd);
		if (!rfile) {
			efd_put_signal(trigger);
			return -EBADF;
		}
		resample = eventfd_ctx_fileget(rfile);
		if (IS_ERR(resample)) {
			fput(rfile);
			efd_put_signal(trigger);
			return PTR_ERR(resample);
		}
		/* Also refuses resample == trigger (re-asserted forever). */
		ret = efd_claim(resample, KVIRTIO_EFD_WAIT);
		if (ret) {
			eventfd_ctx_put(resample);
			fput(rfile);
			efd_put_signal(trigger);
			return ret;
		}
	}
	/* Everything acquired: from here on nothing can fail. */
	intx_clear(hdev);
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
	if (kvirtio_pci_intx_level(&hdev->vp))
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
 * eventfd; -EBUSY for an eventfd a kvirtio device waits on (a kick or a
 * resample eventfd, including @arg's own trigger as its resample).  On
 * error nothing changed.
 */
int kvirtio_irq_set(struct kvirtio_hdev *hdev, const struct kvirtio_irq_fd *arg)
{
	struct eventfd_ctx *ctx, *old;

	lockdep_assert_held(&hdev->lock);
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
		ctx = efd_get_signal(arg->fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
		atomic_long_inc(&kvirtio_live.irq_fds);
		old = rcu_replace_pointer(hdev->msix[arg->index], ctx,
					  lockdep_is_held(&hdev->lock));
		if (old) {
			synchronize_rcu();
			efd_put_signal(old);
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
 *
 * Detaches everything first and waits for one RCU grace period for all of
 * them, not one per vector.
 */
void kvirtio_irq_release_all(struct kvirtio_hdev *hdev)
{
	struct eventfd_ctx *old[KVIRTIO_MAX_QUEUES + 2];
	unsigned int n = 0, i;
	u16 v;

	lockdep_assert_held(&hdev->lock);
	/* Vectors: num_queues + 1, checked against the array at creation. */
	for (v = 0; v < hdev->num_msix; v++) {
		old[n] = rcu_replace_pointer(hdev->msix[v], NULL,
					     lockdep_is_held(&hdev->lock));
		if (old[n])
			n++;
	}
	old[n] = intx_detach(hdev);
	if (old[n])
		n++;
	if (!n)
		return;
	synchronize_rcu();
	for (i = 0; i < n; i++)
		efd_put_signal(old[i]);
}

/*
 * Transport hooks.  The transport calls them with none of its locks held,
 * from the data path or the config path; they must not sleep.
 */

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

	/*
	 * Signal each rise.  With a resample eventfd KVM holds the line until
	 * the guest's EOI, and the resample hook re-asserts while the
	 * transport's level is still high; a rise reported late (after a fall
	 * on another CPU) costs at most one spurious interrupt, never a lost
	 * one.  Without a resample eventfd each signal is a pulse.
	 */
	if (!level)
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
}
