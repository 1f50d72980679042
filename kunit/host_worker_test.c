// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the kvirtio worker (host/worker.c).
 *
 * A small fake device pops chains from a real engine queue over the flat
 * test memory and completes them at once; its transport counts queue
 * interrupts.  The tests check the per-wakeup budgets, one interrupt per
 * batch, notification control (kicks off while processing, back on when
 * drained, re-check for the driver that did not kick), broken queues, and
 * the real threads: kick -> process -> interrupt, parking, stopping and
 * busy polling.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>

#include "host/host.h"
#include "kvirtio_test_mem.h"

#define W_BASE		0x40000000ULL
#define W_RAM		0x100000ULL
#define W_DATA		(W_BASE + 0x80000)
#define W_QSIZE		64

struct wfix {
	struct kvirtio_test_mem tm;
	struct kvirtio_test_ring r;
	struct kvirtio_device vdev;
	struct kvirtio_queue vq;
	struct kvirtio_queue_config cfg;
	struct kvirtio_desc descs[4];
	struct kvirtio_workers ws;
	struct kvirtio_hstats stats;
	atomic_t irqs;
	atomic_t calls;
	u32 bytes_per_req;
	bool inject_on_drain;
	int fail_with;
	u16 want_used;
	struct completion done;
	struct hrtimer timer;
	atomic_t driver_kicks;
	unsigned int timer_tries;
	u16 next_desc;
};

static u16 add_chains(struct wfix *f, unsigned int n)
{
	struct kvirtio_test_buf b = { .addr = W_DATA, .len = 64,
				      .writable = true };
	unsigned int i;
	u16 head = 0;

	for (i = 0; i < n; i++) {
		head = kvirtio_test_add_chain(&f->r, f->next_desc, &b, 1);
		f->next_desc = (f->next_desc + 1) % W_QSIZE;
		kvirtio_test_avail_add(&f->r, head);
	}
	kvirtio_test_avail_publish(&f->r);
	return head;
}

static int fake_process(struct kvirtio_device *vdev, u16 qid,
			struct kvirtio_budget *b)
{
	struct wfix *f = vdev->priv;
	struct kvirtio_chain chain = { .descs = f->descs, .capacity = 4 };
	int ret;

	atomic_inc(&f->calls);
	while (b->requests && b->bytes) {
		ret = kvirtio_queue_pop(&f->vq, &chain);
		if (ret == -EAGAIN) {
			if (f->inject_on_drain) {
				/* The driver adds a buffer and, seeing kicks
				 * off, does not kick.
				 */
				f->inject_on_drain = false;
				add_chains(f, 1);
			}
			return 0;
		}
		if (ret < 0)
			return ret;
		if (f->fail_with) {
			kvirtio_queue_break(&f->vq, f->fail_with, "test");
			return f->fail_with;
		}
		kvirtio_queue_push(&f->vq, chain.head, 64);
		b->requests--;
		b->bytes -= min_t(u64, b->bytes, f->bytes_per_req);
	}
	return kvirtio_queue_has_avail(&f->vq) ? 1 : 0;
}

static const struct kvirtio_device_ops fake_ops = {
	.process_queue = fake_process,
};

static void fake_queue_irq(struct kvirtio_device *vdev, u16 qid)
{
	struct wfix *f = vdev->priv;

	atomic_inc(&f->irqs);
	if (f->want_used && f->vq.stats.used >= f->want_used)
		complete(&f->done);
}

static void fake_nop(struct kvirtio_device *vdev)
{
}

static const struct kvirtio_transport_ops fake_transport = {
	.queue_interrupt = fake_queue_irq,
	.config_interrupt = fake_nop,
	.needs_reset = fake_nop,
};

static int worker_test_init(struct kunit *test)
{
	struct wfix *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	unsigned long ua;

	KUNIT_ASSERT_NOT_NULL(test, f);
	/* A user mm for kthread_use_mm in the worker threads. */
	ua = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			   MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE(test, ua, 0UL);
	KUNIT_ASSERT_NOT_NULL(test, current->mm);

	KUNIT_ASSERT_EQ(test, kvirtio_test_mem_init(&f->tm, W_BASE, W_RAM), 0);
	kvirtio_test_ring_place(&f->r, &f->tm, W_QSIZE, W_BASE);
	kvirtio_test_ring_config(&f->r, &f->cfg, BIT_ULL(VIRTIO_F_VERSION_1),
				 0);
	KUNIT_ASSERT_EQ(test, kvirtio_queue_setup(&f->vq, &f->tm.mem, &f->cfg),
			0);
	f->vdev.ops = &fake_ops;
	f->vdev.transport = &fake_transport;
	f->vdev.num_queues = 1;
	f->vdev.queues = &f->vq;
	f->vdev.priv = f;
	f->bytes_per_req = 64;
	init_completion(&f->done);
	kvirtio_workers_init(&f->ws, &f->vdev, current->mm, &f->stats, 900);
	f->ws.opts.budget_requests = 256;
	f->ws.opts.budget_bytes = 512 << 10;
	f->ws.opts.busy_poll_us = 0;
	test->priv = f;
	return 0;
}

static void worker_test_exit(struct kunit *test)
{
	struct wfix *f = test->priv;

	kvirtio_workers_destroy(&f->ws);
	kvirtio_queue_teardown(&f->vq);
	KUNIT_EXPECT_EQ(test, f->tm.live_maps, 0);
	kvirtio_test_mem_destroy(&f->tm);
}

static void worker_budget_requests(struct kunit *test)
{
	struct wfix *f = test->priv;
	bool more;

	f->ws.opts.budget_requests = 4;
	add_chains(f, 10);
	KUNIT_EXPECT_EQ(test, kvirtio_workers_run_queue(&f->ws, 0, &more), 0);
	KUNIT_EXPECT_TRUE(test, more);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 4);
	/* Still busy: kicks stay suppressed. */
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_flags(&f->r),
			VRING_USED_F_NO_NOTIFY);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->stats.budget_exhausted), 1LL);
	kvirtio_workers_run_queue(&f->ws, 0, &more);
	KUNIT_EXPECT_TRUE(test, more);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 8);
	kvirtio_workers_run_queue(&f->ws, 0, &more);
	KUNIT_EXPECT_FALSE(test, more);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 10);
	/* Drained: kicks back on. */
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_flags(&f->r), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->stats.requests), 10LL);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->irqs), 3);
}

static void worker_budget_bytes(struct kunit *test)
{
	struct wfix *f = test->priv;
	bool more;

	f->bytes_per_req = 4096;
	f->ws.opts.budget_bytes = 3 * 4096;
	add_chains(f, 5);
	kvirtio_workers_run_queue(&f->ws, 0, &more);
	KUNIT_EXPECT_TRUE(test, more);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 3);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->stats.bytes), 3LL * 4096);
	kvirtio_workers_run_queue(&f->ws, 0, &more);
	KUNIT_EXPECT_FALSE(test, more);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 5);
}

static void worker_one_irq_per_batch(struct kunit *test)
{
	struct wfix *f = test->priv;
	bool more;

	add_chains(f, 8);
	kvirtio_workers_run_queue(&f->ws, 0, &more);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 8);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->irqs), 1);
	/* Nothing new: no interrupt. */
	kvirtio_workers_run_queue(&f->ws, 0, &more);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->irqs), 1);
	/* The driver asked for no interrupts: used advances, no interrupt. */
	kvirtio_test_avail_set_flags(&f->r, VRING_AVAIL_F_NO_INTERRUPT);
	add_chains(f, 2);
	kvirtio_workers_run_queue(&f->ws, 0, &more);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 10);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->irqs), 1);
}

static void worker_recheck_race(struct kunit *test)
{
	struct wfix *f = test->priv;
	bool more;

	add_chains(f, 3);
	f->inject_on_drain = true;
	kvirtio_workers_run_queue(&f->ws, 0, &more);
	/* The buffer added without a kick is served in the same pass. */
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 4);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->calls), 2);
	KUNIT_EXPECT_FALSE(test, more);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_flags(&f->r), 0);
}

static void worker_broken_queue(struct kunit *test)
{
	struct wfix *f = test->priv;
	bool more;

	add_chains(f, 2);
	f->fail_with = -EPROTO;
	KUNIT_EXPECT_EQ(test, kvirtio_workers_run_queue(&f->ws, 0, &more),
			-EPROTO);
	KUNIT_EXPECT_FALSE(test, more);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->stats.errors), 1LL);
	/* A broken queue is not processed again. */
	kvirtio_workers_run_queue(&f->ws, 0, &more);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->calls), 1);
}

static void worker_thread_kick_to_irq(struct kunit *test)
{
	struct wfix *f = test->priv;
	long live0 = atomic_long_read(&kvirtio_live.workers);

	f->want_used = 5;
	KUNIT_ASSERT_EQ(test, kvirtio_workers_start(&f->ws), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&kvirtio_live.workers),
			live0 + 1);
	/* Start rescans every queue once: wait for that to settle. */
	msleep(20);
	add_chains(f, 5);
	kvirtio_workers_kick(&f->ws, 0);
	KUNIT_EXPECT_GT(test, wait_for_completion_timeout(&f->done, 2 * HZ),
			0UL);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 5);
	KUNIT_EXPECT_GE(test, atomic_read(&f->irqs), 1);
	KUNIT_EXPECT_GE(test, atomic64_read(&f->stats.wakeups), 1LL);
	kvirtio_workers_destroy(&f->ws);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&kvirtio_live.workers), live0);
	/* Kicks after stop are dropped, not a use-after-free. */
	add_chains(f, 1);
	kvirtio_workers_kick(&f->ws, 0);
	msleep(20);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 5);
}

static void worker_per_queue_threads(struct kunit *test)
{
	struct wfix *f = test->priv;
	long live0 = atomic_long_read(&kvirtio_live.workers);

	f->ws.opts.per_queue = true;
	KUNIT_ASSERT_EQ(test, kvirtio_workers_start(&f->ws), 0);
	KUNIT_EXPECT_EQ(test, f->ws.nr, 1U);
	f->want_used = 2;
	add_chains(f, 2);
	kvirtio_workers_kick(&f->ws, 0);
	KUNIT_EXPECT_GT(test, wait_for_completion_timeout(&f->done, 2 * HZ),
			0UL);
	kvirtio_workers_destroy(&f->ws);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&kvirtio_live.workers), live0);
}

static void worker_park_holds_processing(struct kunit *test)
{
	struct wfix *f = test->priv;

	KUNIT_ASSERT_EQ(test, kvirtio_workers_start(&f->ws), 0);
	KUNIT_ASSERT_EQ(test, kvirtio_workers_pause(&f->ws), 0);
	add_chains(f, 3);
	kvirtio_workers_kick(&f->ws, 0);
	msleep(30);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 0);
	f->want_used = 3;
	kvirtio_workers_resume(&f->ws);
	KUNIT_EXPECT_GT(test, wait_for_completion_timeout(&f->done, 2 * HZ),
			0UL);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 3);
	/* Stopping a paused worker works too. */
	KUNIT_ASSERT_EQ(test, kvirtio_workers_pause(&f->ws), 0);
	kvirtio_workers_destroy(&f->ws);
	KUNIT_EXPECT_EQ(test, f->ws.nr, 0U);
}

struct start_in_kthread {
	struct kvirtio_workers *ws;
	int ret;
	struct completion done;
};

static int start_fn(void *data)
{
	struct start_in_kthread *s = data;

	s->ret = kvirtio_workers_start(s->ws);
	complete(&s->done);
	return 0;
}

/*
 * A device with no VMM (vDPA): workers with no user mm, started from a
 * context that has none either, still take kicks to interrupts, and the
 * non-killable pause holds processing like the killable one.
 */
static void worker_kernel_no_mm(struct kunit *test)
{
	struct wfix *f = test->priv;
	long live0 = atomic_long_read(&kvirtio_live.workers);
	struct start_in_kthread s = { .ws = &f->ws };
	struct task_struct *t;

	kvirtio_workers_init_kernel(&f->ws, &f->vdev, &f->stats, 901,
				    "kvtest");
	KUNIT_EXPECT_NULL(test, f->ws.mm);
	KUNIT_EXPECT_NOT_NULL(test, f->ws.cred);
	init_completion(&s.done);
	t = kthread_run(start_fn, &s, "kvirtio-kunit-start");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&s.done, 2 * HZ),
			0UL);
	KUNIT_ASSERT_EQ(test, s.ret, 0);
	KUNIT_EXPECT_EQ(test, f->ws.nr, 1U);
	KUNIT_EXPECT_FALSE(test, kvirtio_workers_uses_vhost_task(&f->ws));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&kvirtio_live.workers),
			live0 + 1);

	f->want_used = 2;
	add_chains(f, 2);
	kvirtio_workers_kick(&f->ws, 0);
	KUNIT_EXPECT_GT(test, wait_for_completion_timeout(&f->done, 2 * HZ),
			0UL);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 2);

	kvirtio_workers_pause_sync(&f->ws);
	reinit_completion(&f->done);
	add_chains(f, 3);
	kvirtio_workers_kick(&f->ws, 0);
	msleep(30);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 2);
	f->want_used = 5;
	kvirtio_workers_resume(&f->ws);
	KUNIT_EXPECT_GT(test, wait_for_completion_timeout(&f->done, 2 * HZ),
			0UL);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 5);
	kvirtio_workers_destroy(&f->ws);
	KUNIT_EXPECT_NULL(test, f->ws.cred);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&kvirtio_live.workers), live0);
}

/*
 * The guest, from a timer: once the first buffer is used and the worker
 * has switched kicks off to poll, add a buffer without kicking (the driver
 * sees VRING_USED_F_NO_NOTIFY).  If kicks are on, the driver must kick.
 */
static enum hrtimer_restart driver_timer(struct hrtimer *t)
{
	struct wfix *f = container_of(t, struct wfix, timer);
	bool kicks_off = kvirtio_test_used_flags(&f->r) & VRING_USED_F_NO_NOTIFY;

	if ((kvirtio_test_used_idx(&f->r) + 1 < f->want_used || !kicks_off) &&
	    f->timer_tries++ < 50) {
		hrtimer_forward_now(t, ns_to_ktime(200 * NSEC_PER_USEC));
		return HRTIMER_RESTART;
	}
	add_chains(f, 1);
	if (!kicks_off) {
		atomic_inc(&f->driver_kicks);
		kvirtio_workers_kick(&f->ws, 0);
	}
	return HRTIMER_NORESTART;
}

static void worker_busy_poll(struct kunit *test)
{
	struct wfix *f = test->priv;
	unsigned int attempt;
	bool hit = false;

	f->ws.opts.busy_poll_us = KVIRTIO_BUSY_POLL_US_MAX;
	hrtimer_init(&f->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	f->timer.function = driver_timer;
	KUNIT_ASSERT_EQ(test, kvirtio_workers_start(&f->ws), 0);
	/*
	 * UML runs on a shared host: a stalled UML process can outlast the
	 * poll window.  A few attempts keep that from failing the test; a
	 * worker that never polls fails every one of them.
	 */
	for (attempt = 0; attempt < 5 && !hit; attempt++) {
		s64 hits0 = atomic64_read(&f->stats.poll_hits);
		int kicks0 = atomic_read(&f->driver_kicks);

		reinit_completion(&f->done);
		f->timer_tries = 0;
		f->want_used = kvirtio_test_used_idx(&f->r) + 2;
		add_chains(f, 1);
		kvirtio_workers_kick(&f->ws, 0);
		hrtimer_start(&f->timer, ns_to_ktime(500 * NSEC_PER_USEC),
			      HRTIMER_MODE_REL);
		KUNIT_EXPECT_GT(test,
				wait_for_completion_timeout(&f->done, 2 * HZ),
				0UL);
		hrtimer_cancel(&f->timer);
		/* Found by polling, and the driver never had to kick. */
		hit = atomic64_read(&f->stats.poll_hits) > hits0 &&
		      atomic_read(&f->driver_kicks) == kicks0;
	}
	KUNIT_EXPECT_TRUE(test, hit);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), 2 * attempt);
	kvirtio_workers_destroy(&f->ws);
	/* After the window kicks are on again. */
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_flags(&f->r), 0);
}

static struct kunit_case host_worker_cases[] = {
	KUNIT_CASE(worker_budget_requests),
	KUNIT_CASE(worker_budget_bytes),
	KUNIT_CASE(worker_one_irq_per_batch),
	KUNIT_CASE(worker_recheck_race),
	KUNIT_CASE(worker_broken_queue),
	KUNIT_CASE(worker_thread_kick_to_irq),
	KUNIT_CASE(worker_per_queue_threads),
	KUNIT_CASE(worker_park_holds_processing),
	KUNIT_CASE(worker_kernel_no_mm),
	KUNIT_CASE(worker_busy_poll),
	{}
};

static struct kunit_suite host_worker_suite = {
	.name = "kvirtio_host_worker",
	.init = worker_test_init,
	.exit = worker_test_exit,
	.test_cases = host_worker_cases,
};

kunit_test_suite(host_worker_suite);
