// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio worker threads.
 *
 * One kernel thread per device (or one per queue) runs the device's
 * process_queue under kthread_use_mm(creator's mm), so buffer copies and
 * direct I/O reach guest RAM through the VMM's own page tables.  A kick
 * (eventfd wakeup, notify write or an asynchronous completion) sets the
 * queue's pending bit and wakes the thread; it never sleeps and never
 * takes the device's config lock.
 *
 * The worker owns notification control and the interrupt decision: kicks
 * are disabled while a queue is processed, each batch is flushed and gets
 * one should_notify decision, and kicks are re-enabled (and the ring
 * re-checked for the race with a driver that did not kick) before
 * sleeping.  A per-wakeup budget of requests and bytes bounds one pass
 * (CVE-2019-3900); a queue that used it up is requeued behind the others.
 */
#include <linux/cgroup.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/sched/clock.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "host.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

struct kvirtio_worker {
	struct kvirtio_workers *ws;
	struct task_struct *task;
	unsigned long pending;
	unsigned long owned;
};

/**
 * kvirtio_workers_init - prepare (not start) a device's workers
 * @ws: the workers
 * @vdev: the device
 * @mm: the creator's mm; the caller keeps it alive (mmget) meanwhile
 * @stats: counters to update
 * @name_id: number used in the thread names
 */
void kvirtio_workers_init(struct kvirtio_workers *ws,
			  struct kvirtio_device *vdev, struct mm_struct *mm,
			  struct kvirtio_hstats *stats, int name_id)
{
	memset(ws, 0, sizeof(*ws));
	ws->vdev = vdev;
	ws->mm = mm;
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
	spin_lock_init(&ws->lock);
}

/**
 * kvirtio_workers_run_queue - one budgeted pass over one queue
 * @ws: the workers
 * @qid: the queue
 * @more: set when the budget ran out with work left (call again)
 *
 * Called by the queue's worker only (or by a test standing in for it).
 *
 * Return: 0, or the negative errno of a queue that broke.
 */
int kvirtio_workers_run_queue(struct kvirtio_workers *ws, u16 qid,
			      bool *more)
{
	struct kvirtio_device *vdev = ws->vdev;
	struct kvirtio_queue *vq = &vdev->queues[qid];
	struct kvirtio_budget budget;
	u64 used0, chains0, bytes0;
	int ret = 0;

	*more = false;
	if (!kvirtio_queue_ready(vq))
		return 0;
	budget.requests = READ_ONCE(ws->opts.budget_requests);
	budget.bytes = READ_ONCE(ws->opts.budget_bytes);
	bytes0 = budget.bytes;
	used0 = vq->stats.used;
	chains0 = vq->stats.chains;

	ret = kvirtio_device_service_queue(vdev, qid, &budget);
	if (ret < 0) {
		atomic64_inc(&ws->stats->errors);
	} else if (ret > 0) {
		/* Budget spent: kicks stay off, we come back soon. */
		atomic64_inc(&ws->stats->budget_exhausted);
		*more = true;
		ret = 0;
	}

	atomic64_add(vq->stats.used - used0, &ws->stats->requests);
	atomic64_add(bytes0 - budget.bytes, &ws->stats->bytes);
	trace_kvirtio_pop(ws->name_id, qid, vq->stats.chains - chains0);
	trace_kvirtio_complete(ws->name_id, qid, vq->stats.used - used0,
			       bytes0 - budget.bytes, ret);
	return ret;
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
	unsigned long q;
	bool found = false;

	for_each_set_bit(q, &w->owned, vdev->num_queues)
		kvirtio_queue_disable_notify(&vdev->queues[q]);

	while (!found && local_clock() < deadline) {
		if (kthread_should_stop() || kthread_should_park() ||
		    need_resched() || READ_ONCE(w->pending))
			break;
		for_each_set_bit(q, &w->owned, vdev->num_queues) {
			if (kvirtio_queue_has_avail(&vdev->queues[q])) {
				set_bit(q, &w->pending);
				atomic64_inc(&ws->stats->poll_hits);
				found = true;
			}
		}
		cpu_relax();
	}

	/* Work that arrived while kicks were off also counts as a hit. */
	for_each_set_bit(q, &w->owned, vdev->num_queues) {
		if (test_bit(q, &w->pending))
			continue;
		if (kvirtio_queue_enable_notify(&vdev->queues[q])) {
			set_bit(q, &w->pending);
			atomic64_inc(&ws->stats->poll_hits);
		}
	}
}

static int kvirtio_worker_fn(void *data)
{
	struct kvirtio_worker *w = data;
	struct kvirtio_workers *ws = w->ws;
	u16 nq = ws->vdev->num_queues;

	kthread_use_mm(ws->mm);
	for (;;) {
		unsigned long todo, q;
		bool polled = false;

		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			break;
		}
		if (kthread_should_park()) {
			__set_current_state(TASK_RUNNING);
			kthread_parkme();
			continue;
		}
		todo = xchg(&w->pending, 0);
		if (!todo) {
			schedule();
			continue;
		}
		__set_current_state(TASK_RUNNING);
		atomic64_inc(&ws->stats->wakeups);
		do {
			for_each_set_bit(q, &todo, nq) {
				bool more;

				kvirtio_workers_run_queue(ws, q, &more);
				if (more)
					set_bit(q, &w->pending);
			}
			todo = 0;
			/* Poll once per wakeup, after everything drained. */
			if (!polled && !READ_ONCE(w->pending)) {
				u32 us = READ_ONCE(ws->opts.busy_poll_us);

				polled = true;
				if (us) {
					worker_busy_poll(w, us);
					todo = xchg(&w->pending, 0);
				}
			}
		} while (todo && !kthread_should_stop() &&
			 !kthread_should_park());
		for_each_set_bit(q, &todo, nq)
			set_bit(q, &w->pending);
		cond_resched();
	}
	kthread_unuse_mm(ws->mm);
	return 0;
}

/**
 * kvirtio_workers_start - create and start the threads
 * @ws: the workers (stopped)
 *
 * Context: process context of the VMM (the threads join its cgroups),
 * may sleep.
 * Return: 0 or a negative errno (nothing started).
 */
int kvirtio_workers_start(struct kvirtio_workers *ws)
{
	u16 nq = ws->vdev->num_queues;
	unsigned int nr, i;
	struct kvirtio_worker *w[KVIRTIO_MAX_QUEUES] = {};
	u16 q;

	if (ws->running)
		return 0;
	if (!nq || nq > KVIRTIO_MAX_QUEUES)
		return -EINVAL;
	nr = ws->opts.per_queue ? nq : 1;
	for (i = 0; i < nr; i++) {
		struct task_struct *t;

		w[i] = kzalloc(sizeof(*w[i]), GFP_KERNEL_ACCOUNT);
		if (!w[i])
			goto err;
		w[i]->ws = ws;
		for (q = i; q < nq; q += nr)
			set_bit(q, &w[i]->owned);
		if (nr == 1)
			t = kthread_create(kvirtio_worker_fn, w[i], "kvirtio-%d",
					   ws->name_id);
		else
			t = kthread_create(kvirtio_worker_fn, w[i],
					   "kvirtio-%d-q%u", ws->name_id, i);
		if (IS_ERR(t)) {
			kfree(w[i]);
			w[i] = NULL;
			goto err;
		}
		get_task_struct(t);
		w[i]->task = t;
		/*
		 * Charge the thread's CPU time to the VMM's cgroups, as vhost
		 * did with its kthreads.  Not fatal: the device still works.
		 */
		if (cgroup_attach_task_all(current, t))
			pr_warn_once("kvirtio: worker left outside the VMM's cgroups\n");
	}
	spin_lock_irq(&ws->lock);
	for (i = 0; i < nr; i++)
		ws->w[i] = w[i];
	ws->nr = nr;
	ws->running = true;
	ws->paused = false;
	spin_unlock_irq(&ws->lock);
	for (i = 0; i < nr; i++) {
		atomic_long_inc(&kvirtio_live.workers);
		wake_up_process(w[i]->task);
	}
	kvirtio_workers_kick_all(ws);
	return 0;

err:
	for (i = 0; i < nr; i++) {
		if (!w[i])
			continue;
		/* Never woken: kthread_stop makes it exit without running. */
		kthread_stop(w[i]->task);
		put_task_struct(w[i]->task);
		kfree(w[i]);
	}
	return -ENOMEM;
}

/**
 * kvirtio_workers_stop - stop and free the threads
 * @ws: the workers
 *
 * After return no thread runs process_queue and later kicks are dropped.
 * Context: process context, may sleep.
 */
void kvirtio_workers_stop(struct kvirtio_workers *ws)
{
	struct kvirtio_worker *w[KVIRTIO_MAX_QUEUES];
	unsigned int nr, i;

	spin_lock_irq(&ws->lock);
	nr = ws->nr;
	for (i = 0; i < nr; i++) {
		w[i] = ws->w[i];
		ws->w[i] = NULL;
	}
	ws->nr = 0;
	ws->running = false;
	ws->paused = false;
	spin_unlock_irq(&ws->lock);

	for (i = 0; i < nr; i++) {
		kthread_stop(w[i]->task);
		put_task_struct(w[i]->task);
		kfree(w[i]);
		atomic_long_dec(&kvirtio_live.workers);
	}
}

/**
 * kvirtio_workers_pause - park every thread between passes
 * @ws: the workers
 *
 * On return no queue is being processed; kicks are remembered.
 */
void kvirtio_workers_pause(struct kvirtio_workers *ws)
{
	unsigned int i;

	if (!ws->running || ws->paused)
		return;
	for (i = 0; i < ws->nr; i++)
		kthread_park(ws->w[i]->task);
	ws->paused = true;
}

/**
 * kvirtio_workers_resume - undo kvirtio_workers_pause and rescan the queues
 * @ws: the workers
 *
 * Every queue is looked at once: a kick may have been dropped while the
 * device was being reconfigured.
 */
void kvirtio_workers_resume(struct kvirtio_workers *ws)
{
	unsigned int i;

	if (!ws->running || !ws->paused)
		return;
	for (i = 0; i < ws->nr; i++)
		kthread_unpark(ws->w[i]->task);
	ws->paused = false;
	kvirtio_workers_kick_all(ws);
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
	if (ws->running && ws->nr) {
		w = ws->w[qid % ws->nr];
		set_bit(qid, &w->pending);
		wake_up_process(w->task);
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
