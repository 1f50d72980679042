// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio worker threads.
 *
 * A device's workers (one thread, or one per queue) are created once, the
 * first time the driver sets DRIVER_OK, and live until the device fd is
 * released: a guest that resets its device in a loop creates no threads.
 *
 * A worker acts as the VMM.  Where the kernel has vhost_task (6.4 and
 * later: Debian 6.12), the worker is one: a thread of the VMM's own
 * process, created from the VMM's thread, so it has the VMM's credentials,
 * rlimits (RLIMIT_FSIZE), mm, cgroups (counted in its pids) and is frozen
 * with its cgroup and killed with it.  Elsewhere (Debian 6.1) it is a
 * kthread that adopts the creator's credentials and RLIMIT_FSIZE,
 * is attached to its cgroups, uses its mm for the length of each pass
 * only, and stops taking work while the VMM's cgroup is frozen.
 *
 * Devices with no VMM (the vDPA front end, kvirtio_workers_init_kernel())
 * have no user mm: their workers are always kthreads that never touch
 * user memory, run with the credentials and RLIMIT_FSIZE of the device's
 * creator, and may be started from any process context.
 *
 * A kick (eventfd wake-up, notify write, asynchronous completion) sets the
 * queue's pending bit and wakes the thread; it never sleeps and never
 * takes the device's config lock.  The config path stops processing with
 * kvirtio_workers_pause(): it waits, killably, for every worker and every
 * inline pass to be outside a pass; a pass is bounded by its budget.
 *
 * One owner per queue.  A queue is also processed by inline passes
 * (kvirtio_workers_inline_pass(), in the kicking vCPU's thread:
 * host/inline.c).  Whoever processes queue q holds bit q of ws->qbusy.  A
 * worker that finds it taken sets q's pending bit again and leaves the
 * queue; the inline pass, when it drops the bit, wakes the worker if that
 * bit is set.  Both sides set their flag, issue a full barrier and then
 * look at the other's, so one of them always sees the other.  An inline
 * pass that finds the bit taken, or that reaches its bounds, hands the
 * queue to the worker the same way a kick does.
 *
 * The worker owns notification control and the interrupt decision: kicks
 * are disabled while a queue is processed, each batch is flushed and gets
 * one should_notify decision, and kicks are re-enabled (and the ring
 * re-checked for the race with a driver that did not kick) before
 * sleeping.  A per-wakeup budget of requests and bytes bounds one pass
 * (CVE-2019-3900); a queue that used it up is requeued behind the others.
 */
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/freezer.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/resource.h>
#include <linux/sched/clock.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "host.h"
#if KVIRTIO_HAVE_VHOST_TASK
#include <linux/sched/vhost_task.h>
#endif

#define CREATE_TRACE_POINTS
#include "trace.h"

/* Requests an inline pass takes between looks at the clock and signals. */
#define KVIRTIO_INLINE_STEP	8

/* A frozen VMM is looked at again this often (kthread workers only). */
#define KVIRTIO_FROZEN_RECHECK	(HZ / 10)

/**
 * struct kvirtio_worker - one thread
 * @ws: its device's workers
 * @vtsk: the vhost_task, when @ws->use_vhost_task
 * @task: the kthread otherwise
 * @pending: queues kicked since the thread last looked (bit per queue)
 * @owned: queues this thread serves
 * @in_pass: inside a processing pass (see kvirtio_workers_pause())
 * @killed: the VMM was killed and the thread exited with it
 */
struct kvirtio_worker {
	struct kvirtio_workers *ws;
#if KVIRTIO_HAVE_VHOST_TASK
	struct vhost_task *vtsk;
#endif
	struct task_struct *task;
	unsigned long pending;
	unsigned long owned;
	bool in_pass;
	bool killed;
};

/**
 * kvirtio_workers_init - prepare (not start) a device's workers
 * @ws: the workers
 * @vdev: the device
 * @mm: the creator's mm; the caller keeps the struct alive (mmgrab)
 * @stats: counters to update
 * @name_id: number used in the thread names
 */
void kvirtio_workers_init(struct kvirtio_workers *ws,
			  struct kvirtio_device *vdev, struct mm_struct *mm,
			  struct kvirtio_hstats *stats, int name_id)
{
	/* The pending and owned bitmaps hold one bit per queue. */
	BUILD_BUG_ON(KVIRTIO_MAX_QUEUES > BITS_PER_LONG);

	memset(ws, 0, sizeof(*ws));
	ws->vdev = vdev;
	ws->mm = mm;
	ws->prefix = "kvirtio";
	ws->stats = stats;
	ws->name_id = name_id;
	ws->opts.busy_poll_us = min_t(unsigned int, kvirtio_busy_poll_us,
				      KVIRTIO_BUSY_POLL_US_MAX);
	ws->opts.budget_requests = clamp(kvirtio_budget_requests, 1U,
					 (unsigned int)KVIRTIO_BUDGET_REQUESTS_MAX);
	ws->opts.budget_bytes = clamp_t(u64, (u64)kvirtio_budget_kbytes << 10,
					KVIRTIO_BUDGET_BYTES_MIN,
					KVIRTIO_BUDGET_BYTES_MAX);
	ws->opts.per_queue = kvirtio_worker_per_queue;
	ws->opts.inline_kicks = kvirtio_inline_kicks;
	ws->opts.inline_requests = clamp(kvirtio_inline_requests, 1U,
					 (unsigned int)KVIRTIO_INLINE_REQUESTS_MAX);
	ws->opts.inline_us = clamp(kvirtio_inline_us, 1U,
				   (unsigned int)KVIRTIO_INLINE_US_MAX);
	ws->opts.inline_bytes = clamp_t(u64, (u64)kvirtio_inline_kbytes << 10,
					KVIRTIO_BUDGET_BYTES_MIN,
					KVIRTIO_INLINE_BYTES_MAX);
	atomic_set(&ws->inline_active, 0);
	spin_lock_init(&ws->lock);
	init_waitqueue_head(&ws->idle_wq);
}

/**
 * kvirtio_workers_init_kernel - prepare workers for a device with no VMM
 * @ws: the workers
 * @vdev: the device
 * @stats: counters to update
 * @name_id: number used in the thread names
 * @prefix: thread name prefix (a string that outlives @ws)
 *
 * The threads will be kthreads with no user mm, made at the first
 * kvirtio_workers_start() from whatever context that runs in.  The
 * caller's credentials and RLIMIT_FSIZE are taken now, for the file I/O
 * of the threads; kvirtio_workers_destroy() drops them.
 */
void kvirtio_workers_init_kernel(struct kvirtio_workers *ws,
				 struct kvirtio_device *vdev,
				 struct kvirtio_hstats *stats, int name_id,
				 const char *prefix)
{
	kvirtio_workers_init(ws, vdev, NULL, stats, name_id);
	ws->prefix = prefix;
	ws->cred = get_current_cred();
	ws->fsize = current->signal->rlim[RLIMIT_FSIZE];
}

/*
 * One service call over queue @qid within @budget, with its accounting.
 * The caller owns the queue (bit @qid of ws->qbusy, or is a test).
 */
static int workers_service(struct kvirtio_workers *ws, u16 qid,
			   struct kvirtio_budget *budget, bool *more)
{
	struct kvirtio_device *vdev = ws->vdev;
	struct kvirtio_queue *vq = &vdev->queues[qid];
	u64 used0, chains0, bytes0;
	int ret = 0;

	*more = false;
	if (!kvirtio_queue_ready(vq))
		return 0;
	bytes0 = budget->bytes;
	used0 = vq->stats.used;
	chains0 = vq->stats.chains;

	ret = kvirtio_device_service_queue(vdev, qid, budget);
	if (ret < 0) {
		atomic64_inc(&ws->stats->errors);
	} else if (ret > 0) {
		/* Budget spent: kicks stay off, we come back soon. */
		*more = true;
		ret = 0;
	}

	atomic64_add(vq->stats.used - used0, &ws->stats->requests);
	atomic64_add(bytes0 - budget->bytes, &ws->stats->bytes);
	trace_kvirtio_pop(ws->name_id, qid, vq->stats.chains - chains0);
	trace_kvirtio_complete(ws->name_id, qid, vq->stats.used - used0,
			       bytes0 - budget->bytes, ret);
	return ret;
}

/**
 * kvirtio_workers_run_queue - one budgeted worker pass over one queue
 * @ws: the workers
 * @qid: the queue
 * @more: set when the budget ran out with work left (call again)
 *
 * Called by the queue's worker, which owns the queue, or by a test
 * standing in for it.
 *
 * Return: 0, or the negative errno of a queue that broke.
 */
int kvirtio_workers_run_queue(struct kvirtio_workers *ws, u16 qid,
			      bool *more)
{
	struct kvirtio_budget budget = {
		.requests = READ_ONCE(ws->opts.budget_requests),
		.bytes = READ_ONCE(ws->opts.budget_bytes),
	};
	int ret = workers_service(ws, qid, &budget, more);

	if (*more)
		atomic64_inc(&ws->stats->budget_exhausted);
	return ret;
}

/* Processing is off: the config path is working, or DRIVER_OK is clear. */
static bool workers_held(struct kvirtio_workers *ws)
{
	return READ_ONCE(ws->paused) || !READ_ONCE(ws->enabled);
}

/*
 * Keep polling the avail rings of the worker's drained queues, with kicks
 * suppressed, for up to busy_poll_us: a busy queue then costs no exits.
 * Kicks are re-enabled (with the race re-check) before returning.
 */
static void worker_busy_poll(struct kvirtio_worker *w, u32 us)
{
	struct kvirtio_workers *ws = w->ws;
	struct kvirtio_device *vdev = ws->vdev;
	u64 deadline = local_clock() + (u64)us * NSEC_PER_USEC;
	unsigned long q, held = 0;
	bool found = false;

	/* Only queues no inline pass owns; they stay ours for the window. */
	for_each_set_bit(q, &w->owned, vdev->num_queues) {
		if (test_and_set_bit_lock(q, &ws->qbusy))
			continue;
		__set_bit(q, &held);
		kvirtio_queue_disable_notify(&vdev->queues[q]);
	}

	while (held && !found && local_clock() < deadline) {
		if (workers_held(ws) || need_resched() ||
		    signal_pending(current) || READ_ONCE(w->pending))
			break;
		for_each_set_bit(q, &held, vdev->num_queues) {
			if (kvirtio_queue_has_avail(&vdev->queues[q])) {
				set_bit(q, &w->pending);
				atomic64_inc(&ws->stats->poll_hits);
				found = true;
			}
		}
		cpu_relax();
	}

	/* Work that arrived while kicks were off also counts as a hit. */
	for_each_set_bit(q, &held, vdev->num_queues) {
		if (!test_bit(q, &w->pending) &&
		    kvirtio_queue_enable_notify(&vdev->queues[q])) {
			set_bit(q, &w->pending);
			atomic64_inc(&ws->stats->poll_hits);
		}
		clear_bit_unlock(q, &ws->qbusy);
	}
}

/* Outside any pass: the pass's effects are visible to the caller. */
static bool worker_idle(struct kvirtio_worker *w)
{
	/* Acquire: pairs with the release in worker_leave_pass(). */
	return !smp_load_acquire(&w->in_pass);
}

/* An inline pass is over: tell a pausing waiter. */
static void inline_leave(struct kvirtio_workers *ws)
{
	/* The pass's effects before the count a pauser reads. */
	smp_mb__before_atomic();
	atomic_dec(&ws->inline_active);
	if (wq_has_sleeper(&ws->idle_wq))
		wake_up(&ws->idle_wq);
}

/* Leave a pass (or the attempt to start one) and tell a pausing waiter. */
static void worker_leave_pass(struct kvirtio_worker *w)
{
	/* Release: the pass's work is done before a pauser sees it end. */
	smp_store_release(&w->in_pass, false);
	if (wq_has_sleeper(&w->ws->idle_wq))
		wake_up(&w->ws->idle_wq);
}

/*
 * One pass: every pending queue once, then (if enabled) a busy-poll window.
 * Called with the task state already TASK_INTERRUPTIBLE, so that a kick
 * arriving after the pending bits were read makes the caller's schedule()
 * return at once.  Return: true if it did work (call again), false to
 * sleep.
 */
static bool worker_pass(struct kvirtio_worker *w)
{
	struct kvirtio_workers *ws = w->ws;
	u16 nq = ws->vdev->num_queues;
	unsigned long todo, q;
	bool did = false;
	u32 us;

	WRITE_ONCE(w->in_pass, true);
	/* Pairs with the barrier in kvirtio_workers_pause(). */
	smp_mb();
	if (workers_held(ws)) {
		worker_leave_pass(w);
		return false;
	}
	todo = xchg(&w->pending, 0);
	if (!todo) {
		worker_leave_pass(w);
		return false;
	}
	__set_current_state(TASK_RUNNING);
	atomic64_inc(&ws->stats->wakeups);
	for_each_set_bit(q, &todo, nq) {
		bool more;

		if (test_and_set_bit_lock(q, &ws->qbusy)) {
			/* An inline pass owns it: back to pending, see below. */
			set_bit(q, &w->pending);
			continue;
		}
		did = true;
		kvirtio_workers_run_queue(ws, q, &more);
		clear_bit_unlock(q, &ws->qbusy);
		if (more)
			set_bit(q, &w->pending);
	}
	if (!did) {
		/*
		 * Every queue was owned by an inline pass, which wakes us when
		 * it drops one with its pending bit set.  Sleep, unless one
		 * was dropped since (the barrier in set_current_state() pairs
		 * with the one in kvirtio_workers_inline_pass()).
		 */
		set_current_state(TASK_INTERRUPTIBLE);
		if (READ_ONCE(w->pending) & ~READ_ONCE(ws->qbusy)) {
			__set_current_state(TASK_RUNNING);
			did = true;
		}
		worker_leave_pass(w);
		return did;
	}
	us = READ_ONCE(ws->opts.busy_poll_us);
	if (us && !READ_ONCE(w->pending))
		worker_busy_poll(w, us);
	worker_leave_pass(w);
	cond_resched();
	return true;
}

#if KVIRTIO_HAVE_VHOST_TASK
static bool worker_vhost_fn(void *data)
{
	return worker_pass(data);
}

/* The VMM was killed: its threads, this one included, exit. */
static void worker_vhost_killed(void *data)
{
	struct kvirtio_worker *w = data;

	WRITE_ONCE(w->killed, true);
	worker_leave_pass(w);
}
#endif

/* The kthread fallback: take on the creator's identity for file I/O. */
static void worker_kthread_adopt(struct kvirtio_workers *ws)
{
	struct rlimit *rl = &current->signal->rlim[RLIMIT_FSIZE];

	/* A kthread has its own signal_struct: this changes only us. */
	task_lock(current->group_leader);
	*rl = ws->fsize;
	task_unlock(current->group_leader);
	set_freezable();
}

static bool worker_kthread_owner_frozen(struct kvirtio_workers *ws)
{
	return ws->owner && cgroup_task_frozen(ws->owner);
}

static int worker_kthread_fn(void *data)
{
	struct kvirtio_worker *w = data;
	struct kvirtio_workers *ws = w->ws;
	const struct cred *old = override_creds(ws->cred);

	worker_kthread_adopt(ws);
	for (;;) {
		bool did = false;

		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			break;
		}
		/* Frozen with the VMM's cgroup: hold the pending work. */
		if (worker_kthread_owner_frozen(ws)) {
			schedule_timeout(KVIRTIO_FROZEN_RECHECK);
			continue;
		}
		/* The address space only for the pass, and only if it lives. */
		if (READ_ONCE(w->pending) && !ws->mm) {
			did = worker_pass(w);
		} else if (READ_ONCE(w->pending) && mmget_not_zero(ws->mm)) {
			kthread_use_mm(ws->mm);
			did = worker_pass(w);
			kthread_unuse_mm(ws->mm);
			mmput(ws->mm);
		}
		if (!did)
			schedule();
		try_to_freeze();
	}
	revert_creds(old);
	return 0;
}

static void worker_free(struct kvirtio_worker *w)
{
#if KVIRTIO_HAVE_VHOST_TASK
	if (w->vtsk) {
		vhost_task_stop(w->vtsk);
		kfree(w);
		return;
	}
#endif
	kthread_stop(w->task);
	put_task_struct(w->task);
	kfree(w);
}

static int worker_create(struct kvirtio_workers *ws, struct kvirtio_worker *w,
			 const char *name)
{
#if KVIRTIO_HAVE_VHOST_TASK
	if (ws->use_vhost_task) {
		struct vhost_task *vtsk;

		vtsk = vhost_task_create(worker_vhost_fn, worker_vhost_killed,
					 w, name);
		if (IS_ERR_OR_NULL(vtsk))
			return vtsk ? PTR_ERR(vtsk) : -ENOMEM;
		w->vtsk = vtsk;
		return 0;
	}
#endif
	w->task = kthread_create(worker_kthread_fn, w, "%s", name);
	if (IS_ERR(w->task))
		return PTR_ERR(w->task);
	get_task_struct(w->task);
	/*
	 * Charge the thread to the VMM's cgroups (cpu, pids), as vhost did
	 * with its kthreads.  Not fatal: the device still works.  A device
	 * with no VMM has no cgroups to follow.
	 */
	if (ws->mm && cgroup_attach_task_all(current, w->task))
		pr_warn_once("kvirtio: worker left outside the VMM's cgroups\n");
	return 0;
}

static void worker_wake(struct kvirtio_worker *w)
{
#if KVIRTIO_HAVE_VHOST_TASK
	if (w->vtsk) {
		vhost_task_wake(w->vtsk);
		return;
	}
#endif
	wake_up_process(w->task);
}

static void worker_start(struct kvirtio_worker *w)
{
#if KVIRTIO_HAVE_VHOST_TASK
	if (w->vtsk) {
		vhost_task_start(w->vtsk);
		return;
	}
#endif
	wake_up_process(w->task);
}

/* Take the creator's identity for kthread workers. */
static void workers_capture_owner(struct kvirtio_workers *ws)
{
	ws->cred = get_current_cred();
	ws->fsize = current->signal->rlim[RLIMIT_FSIZE];
	ws->owner = get_task_struct(current->group_leader);
}

static void workers_release_owner(struct kvirtio_workers *ws)
{
	if (ws->cred)
		put_cred(ws->cred);
	if (ws->owner)
		put_task_struct(ws->owner);
	ws->cred = NULL;
	ws->owner = NULL;
}

/* Create the threads; nothing runs a pass before ws->enabled. */
static int workers_create(struct kvirtio_workers *ws)
{
	u16 nq = ws->vdev->num_queues;
	struct kvirtio_worker *w[KVIRTIO_MAX_QUEUES] = {};
	unsigned int nr, i;
	char name[TASK_COMM_LEN];
	int ret = 0;
	u16 q;

	if (!nq || nq > KVIRTIO_MAX_QUEUES)
		return -EINVAL;
	if (ws->mm && ws->mm != current->mm)
		return -EPERM;
	/* No VMM: kthreads with the identity kvirtio_workers_init_kernel() took. */
	ws->use_vhost_task = ws->mm && KVIRTIO_HAVE_VHOST_TASK &&
			     !READ_ONCE(kvirtio_worker_kthread);
	if (!ws->use_vhost_task && ws->mm)
		workers_capture_owner(ws);
	nr = ws->opts.per_queue ? nq : 1;
	for (i = 0; i < nr; i++) {
		w[i] = kzalloc(sizeof(*w[i]), GFP_KERNEL_ACCOUNT);
		if (!w[i]) {
			ret = -ENOMEM;
			break;
		}
		w[i]->ws = ws;
		for (q = i; q < nq; q += nr)
			set_bit(q, &w[i]->owned);
		if (nr == 1)
			snprintf(name, sizeof(name), "%s-%d", ws->prefix,
				 ws->name_id);
		else
			snprintf(name, sizeof(name), "%s-%d-q%u", ws->prefix,
				 ws->name_id, i);
		ret = worker_create(ws, w[i], name);
		if (ret) {
			kfree(w[i]);
			w[i] = NULL;
			break;
		}
	}
	if (ret) {
		/* Never started: stopping them makes them exit unrun. */
		while (i--)
			worker_free(w[i]);
		if (ws->mm)
			workers_release_owner(ws);
		return ret;
	}
	spin_lock_irq(&ws->lock);
	for (i = 0; i < nr; i++)
		ws->w[i] = w[i];
	WRITE_ONCE(ws->nr, nr);
	spin_unlock_irq(&ws->lock);
	for (i = 0; i < nr; i++) {
		atomic_long_inc(&kvirtio_live.workers);
		atomic_long_inc(&kvirtio_live.worker_creations);
		worker_start(w[i]);
	}
	return 0;
}

/**
 * kvirtio_workers_start - let the workers process the queues
 * @ws: the workers
 *
 * Creates the threads the first time (in the caller's process: the
 * caller must run in the device's mm), then enables processing and looks
 * at every queue once, since a driver may have made buffers available
 * before DRIVER_OK without a kick.
 *
 * Context: process context of the VMM, may sleep.
 * Return: 0 or a negative errno (nothing started).
 */
int kvirtio_workers_start(struct kvirtio_workers *ws)
{
	int ret;

	might_sleep();
	if (!ws->nr) {
		ret = workers_create(ws);
		if (ret)
			return ret;
	}
	WRITE_ONCE(ws->enabled, true);
	kvirtio_workers_kick_all(ws);
	return 0;
}

/**
 * kvirtio_workers_disable - no more passes until kvirtio_workers_start()
 * @ws: the workers (paused by the caller, or idle)
 *
 * The threads stay: a device reset does not cost a thread.
 */
void kvirtio_workers_disable(struct kvirtio_workers *ws)
{
	unsigned int i;

	WRITE_ONCE(ws->enabled, false);
	for (i = 0; i < ws->nr; i++)
		WRITE_ONCE(ws->w[i]->pending, 0);
}

/**
 * kvirtio_workers_destroy - stop and free the threads
 * @ws: the workers
 *
 * After return no thread runs a pass and later kicks are dropped.
 * Context: process context, may sleep.
 */
void kvirtio_workers_destroy(struct kvirtio_workers *ws)
{
	struct kvirtio_worker *w[KVIRTIO_MAX_QUEUES];
	unsigned int nr, i;

	might_sleep();
	spin_lock_irq(&ws->lock);
	nr = ws->nr;
	for (i = 0; i < nr; i++) {
		w[i] = ws->w[i];
		ws->w[i] = NULL;
	}
	WRITE_ONCE(ws->nr, 0);
	WRITE_ONCE(ws->enabled, false);
	spin_unlock_irq(&ws->lock);

	for (i = 0; i < nr; i++) {
		worker_free(w[i]);
		atomic_long_dec(&kvirtio_live.workers);
	}
	WRITE_ONCE(ws->paused, false);
	workers_release_owner(ws);
}

/* Wait for every pass to end; killably, or not.  0 or -EINTR (undone). */
static int workers_pause(struct kvirtio_workers *ws, bool killable)
{
	unsigned int i;

	might_sleep();
	WRITE_ONCE(ws->paused, true);
	/* Pairs with the barrier in worker_pass(). */
	smp_mb();
	for (i = 0; i < ws->nr; i++) {
		struct kvirtio_worker *w = ws->w[i];

		if (!killable)
			wait_event(ws->idle_wq, worker_idle(w));
		else if (wait_event_killable(ws->idle_wq, worker_idle(w)))
			goto intr;
	}
	if (!killable)
		wait_event(ws->idle_wq, !atomic_read(&ws->inline_active));
	else if (wait_event_killable(ws->idle_wq,
				     !atomic_read(&ws->inline_active)))
		goto intr;
	return 0;
intr:
	kvirtio_workers_resume(ws);
	return -EINTR;
}

/**
 * kvirtio_workers_pause - wait until no thread is inside a pass
 * @ws: the workers
 *
 * Kicks that arrive meanwhile are kept.  A pass is bounded by the budget,
 * so the wait is short; it ends early, undone, on a fatal signal.
 *
 * Context: process context, may sleep; the caller serializes pause and
 * resume (the device's config lock).
 * Return: 0, or -EINTR when a fatal signal interrupted the wait.
 */
int kvirtio_workers_pause(struct kvirtio_workers *ws)
{
	return workers_pause(ws, true);
}

/**
 * kvirtio_workers_pause_sync - kvirtio_workers_pause(), not killable
 * @ws: the workers
 *
 * For callers that cannot fail (vDPA config ops return void): the wait is
 * bounded by one budgeted pass, as in kvirtio_workers_pause().
 *
 * Context: process context, may sleep; the caller serializes pause and
 * resume.
 */
void kvirtio_workers_pause_sync(struct kvirtio_workers *ws)
{
	workers_pause(ws, false);
}

/**
 * kvirtio_workers_resume - undo kvirtio_workers_pause()
 * @ws: the workers
 *
 * Threads with kicks that arrived while paused run them now.
 */
void kvirtio_workers_resume(struct kvirtio_workers *ws)
{
	unsigned long flags;
	unsigned int i;

	WRITE_ONCE(ws->paused, false);
	/* Order the flag before the pending bits read below. */
	smp_mb();
	spin_lock_irqsave(&ws->lock, flags);
	for (i = 0; i < ws->nr; i++)
		if (READ_ONCE(ws->w[i]->pending))
			worker_wake(ws->w[i]);
	spin_unlock_irqrestore(&ws->lock, flags);
}

/**
 * kvirtio_workers_kick - queue @qid has work
 * @ws: the workers
 * @qid: the queue
 *
 * Context: any, including hard interrupt; does not sleep.
 */
void kvirtio_workers_kick(struct kvirtio_workers *ws, u16 qid)
{
	unsigned long flags;
	struct kvirtio_worker *w;

	if (qid >= ws->vdev->num_queues || qid >= KVIRTIO_MAX_QUEUES)
		return;
	spin_lock_irqsave(&ws->lock, flags);
	if (ws->nr) {
		w = ws->w[qid % ws->nr];
		set_bit(qid, &w->pending);
		worker_wake(w);
	}
	spin_unlock_irqrestore(&ws->lock, flags);
}

/**
 * kvirtio_workers_kick_all - look at every queue once
 * @ws: the workers
 */
void kvirtio_workers_kick_all(struct kvirtio_workers *ws)
{
	u16 q;

	for (q = 0; q < ws->vdev->num_queues; q++)
		kvirtio_workers_kick(ws, q);
}

/**
 * kvirtio_workers_have_vhost_task - can workers be threads of the VMM?
 *
 * Return: true when this build of the module has vhost_task workers.
 */
bool kvirtio_workers_have_vhost_task(void)
{
	return KVIRTIO_HAVE_VHOST_TASK;
}

/**
 * kvirtio_workers_uses_vhost_task - do the threads belong to the VMM?
 * @ws: the workers
 *
 * Return: true when the threads are vhost_tasks of the VMM's process,
 * false for kthreads (or when none exist yet).
 */
bool kvirtio_workers_uses_vhost_task(const struct kvirtio_workers *ws)
{
	return ws->nr && ws->use_vhost_task;
}

/**
 * kvirtio_workers_inline_pass - serve a queue in the kicking vCPU's thread
 * @ws: the workers
 * @qid: the queue
 *
 * Within the inline bounds (requests, bytes, time; no request larger than
 * the bytes left), and only while nothing else owns the queue and the
 * config path is not pausing processing.  Whatever it does not finish goes
 * to the worker, as a kick would.  Stops early on a fatal signal.
 *
 * Context: process context of a thread of the device's mm, may sleep.
 * Return: true if the queue was served here (fully or partly).
 */
bool kvirtio_workers_inline_pass(struct kvirtio_workers *ws, u16 qid)
{
	struct kvirtio_budget budget = {
		.requests = READ_ONCE(ws->opts.inline_requests),
		.bytes = READ_ONCE(ws->opts.inline_bytes),
		.no_overdraw = true,
	};
	u64 deadline = local_clock() +
		       (u64)READ_ONCE(ws->opts.inline_us) * NSEC_PER_USEC;
	struct kvirtio_worker *w = NULL;
	unsigned long flags;
	bool more = false;
	u32 chunk;

	might_sleep();
	if (qid >= ws->vdev->num_queues || qid >= KVIRTIO_MAX_QUEUES)
		return false;
	atomic_inc(&ws->inline_active);
	/* Pairs with the barrier in kvirtio_workers_pause(). */
	smp_mb__after_atomic();
	if (workers_held(ws) || test_and_set_bit_lock(qid, &ws->qbusy)) {
		/* Paused, or a worker (or busy poll) has it: it gets the kick. */
		inline_leave(ws);
		kvirtio_workers_kick(ws, qid);
		return false;
	}
	/*
	 * Small steps, so that the time bound and a fatal signal are looked
	 * at between them; each step is one batch: one flush, one interrupt
	 * decision (with EVENT_IDX only the first can interrupt: the guest
	 * does not run meanwhile).
	 */
	do {
		struct kvirtio_budget step = budget;

		chunk = min_t(u32, budget.requests, KVIRTIO_INLINE_STEP);
		step.requests = chunk;
		workers_service(ws, qid, &step, &more);
		budget.requests -= chunk - step.requests;
		budget.bytes = step.bytes;
		if (!more)
			break;
	} while (budget.requests && budget.bytes &&
		 local_clock() < deadline && !fatal_signal_pending(current));
	if (more)
		atomic64_inc(&ws->stats->inline_handoffs);
	atomic64_inc(&ws->stats->inline_passes);

	clear_bit_unlock(qid, &ws->qbusy);
	/* Pairs with the barrier of a worker that found the queue owned. */
	smp_mb__after_atomic();
	inline_leave(ws);
	if (more) {
		kvirtio_workers_kick(ws, qid);
		return true;
	}
	spin_lock_irqsave(&ws->lock, flags);
	if (ws->nr)
		w = ws->w[qid % ws->nr];
	if (w && test_bit(qid, &w->pending))
		worker_wake(w);
	spin_unlock_irqrestore(&ws->lock, flags);
	return true;
}
