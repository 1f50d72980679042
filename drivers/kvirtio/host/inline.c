// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio vCPU-context ("inline") processing.
 *
 * A guest's notify write exits to KVM in the vCPU's own thread, and KVM's
 * ioeventfd signals the kick eventfd there: kvirtio's wait-queue callback
 * runs in that thread, in atomic context.  With inline kicks on, the
 * callback queues a task_work on the thread (TWA_RESUME).  KVM's run loop
 * runs it in process context before it enters the guest again
 * (vcpu_run -> xfer_to_guest_mode_handle_work -> TIF_NOTIFY_RESUME), so
 * the request is popped, served, its used element pushed and its irqfd
 * signalled before the guest resumes: the interrupt is injected on that
 * very entry.  No other thread wakes up.  A notify write forwarded by the
 * VMM (pwrite) is served the same way on the way back to userspace.
 *
 * Who: only a user thread of the device's mm (not a kthread, not a
 * vhost_task or io_uring worker, not an exiting task, not interrupt
 * context).  Every other kick goes to the worker, as without inline kicks.
 *
 * One task_work per queue: its callback_head lives in the device; a kick
 * that finds it queued needs nothing more, since the queued pass will see
 * the new buffers.  The pass itself (kvirtio_workers_inline_pass()) takes
 * the queue's ownership bit, so it never runs a queue a worker runs.
 *
 * Lifetime: a queued task_work holds a reference on the device's file,
 * taken in the kick path only while the file is still referenced (the
 * release, which needs the last reference, unhooks the kick eventfds
 * first).  So the device and the module (the file holds it through
 * fops->owner) live until the callback drops the reference, as its last
 * act; if that reference was the last one, fput() queues the release on
 * this same thread, to run after the callback has returned.  A callback
 * that runs in an exiting thread (after exit_mm()) or in another mm does
 * not touch guest memory: it hands the queue to the worker.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/task_work.h>

#include "host.h"

#if IS_ENABLED(CONFIG_KVIRTIO_KUNIT_TEST)
bool kvirtio_inline_any_task;
#endif

/* Threads that may serve a queue inline: the VMM's own. */
static bool inline_eligible(struct kvirtio_hdev *hdev)
{
	unsigned int no = PF_EXITING | PF_IO_WORKER;

#ifdef PF_USER_WORKER	/* 6.4+: vhost_tasks, our own workers among them */
	no |= PF_USER_WORKER;
#endif
	if (in_interrupt() || current->mm != hdev->mm)
		return false;
#if IS_ENABLED(CONFIG_KVIRTIO_KUNIT_TEST)
	if (READ_ONCE(kvirtio_inline_any_task))
		no &= ~PF_KTHREAD;
	else
#endif
		no |= PF_KTHREAD;
	return !(current->flags & no);
}

/* A reference on @file unless its last one is already gone. */
static bool inline_file_tryget(struct file *file)
{
	return atomic_long_inc_not_zero(&file->f_count);
}

static void inline_run(struct callback_head *cb)
{
	struct kvirtio_inline_q *iq = container_of(cb, struct kvirtio_inline_q,
						   cb);
	struct kvirtio_hdev *hdev = iq->hdev;
	struct file *file = hdev->file;

	/* From here a new kick queues a new pass. */
	clear_bit(0, &iq->queued);
	/*
	 * The clear before this pass reads the ring: a kick either finds the
	 * bit set and its buffers are seen here, or queues its own pass.
	 */
	smp_mb__after_atomic();
	if (current->mm == hdev->mm && !(current->flags & PF_EXITING)) {
		/* Completions inside the pass need no pass of their own. */
		WRITE_ONCE(iq->runner, current);
		kvirtio_workers_inline_pass(&hdev->workers, iq->qid);
		WRITE_ONCE(iq->runner, NULL);
	} else {
		kvirtio_workers_kick(&hdev->workers, iq->qid);
	}
	/* The last act: this may queue the device's release after us. */
	fput(file);
}

/**
 * kvirtio_inline_kick - serve queue @qid in the kicking thread, if allowed
 * @hdev: the device
 * @qid: the queue (checked by the caller)
 *
 * Context: any, including an eventfd's wake-up (atomic); does not sleep.
 * Return: true when the kick is taken care of (a pass is queued on the
 * current thread, or already was), false when the worker must get it.
 */
bool kvirtio_inline_kick(struct kvirtio_hdev *hdev, u16 qid)
{
	struct kvirtio_inline_q *iq = &hdev->inline_q[qid];

	if (!READ_ONCE(hdev->workers.opts.inline_kicks) ||
	    !inline_eligible(hdev))
		return false;
	if (READ_ONCE(iq->runner) == current)
		return true;	/* this thread's pass reaps it */
	if (test_and_set_bit(0, &iq->queued))
		return true;	/* a queued pass will see this kick's work */
	if (!inline_file_tryget(hdev->file)) {
		clear_bit(0, &iq->queued);
		return true;	/* being released: nothing to serve */
	}
	if (task_work_add(current, &iq->cb, TWA_RESUME)) {
		/* The thread is exiting: the worker takes it. */
		clear_bit(0, &iq->queued);
		fput(hdev->file);
		return false;
	}
	return true;
}

/**
 * kvirtio_inline_init - set up the per-queue task_works of a new device
 * @hdev: the device
 */
void kvirtio_inline_init(struct kvirtio_hdev *hdev)
{
	u16 q;

	for (q = 0; q < KVIRTIO_MAX_QUEUES; q++) {
		init_task_work(&hdev->inline_q[q].cb, inline_run);
		hdev->inline_q[q].hdev = hdev;
		hdev->inline_q[q].qid = q;
		hdev->inline_q[q].queued = 0;
		hdev->inline_q[q].runner = NULL;
	}
}
