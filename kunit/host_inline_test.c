// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit stress test of queue ownership between inline passes (served in a
 * kicking vCPU's thread, kvirtio_workers_inline_pass()) and the device's
 * worker threads (host/worker.c).
 *
 * A fake device over a real engine queue records every process_queue
 * call: two calls on one queue at the same time, or one while the config
 * path holds processing paused, is a violation.  Two "vCPU" threads add
 * buffers and serve them inline (with tiny inline bounds, so that passes
 * hand work to the worker), kick the worker instead now and then, an
 * hrtimer kicks as an asynchronous completion does, and the test thread
 * pauses and resumes processing as config writes do, while the device's
 * real workers run.  At the end every buffer must have been used and no
 * violation seen.  It runs in the plain, KASAN and lockdep KUnit stages.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>

#include "host/host.h"
#include "kvirtio_test_mem.h"

#define I_BASE		0x40000000ULL
#define I_RAM		0x100000ULL
#define I_DATA		(I_BASE + 0x80000)
#define I_QSIZE		64
#define I_VCPUS		2
#define I_CHAINS	3000	/* buffers each vCPU thread adds */

struct ifix;

struct ivcpu {
	struct ifix *f;
	struct completion done;
	struct task_struct *task;
};

struct ifix {
	struct kvirtio_test_mem tm;
	struct kvirtio_test_ring r;
	struct kvirtio_device vdev;
	struct kvirtio_queue vq;
	struct kvirtio_queue_config cfg;
	struct kvirtio_desc descs[4];
	struct kvirtio_workers ws;
	struct kvirtio_hstats stats;
	struct mutex driver;		/* the avail ring: one writer */
	u16 next_desc;
	u16 added;			/* avail entries published */
	atomic_t active;		/* process_queue calls running */
	atomic_t violations;
	atomic_t in_config;		/* processing paused by the test */
	atomic_t calls;
	atomic_t inline_served;
	bool stop_timer;
	struct hrtimer timer;
	struct ivcpu vcpu[I_VCPUS];
	struct kunit *test;
};

static int fake_process(struct kvirtio_device *vdev, u16 qid,
			struct kvirtio_budget *b)
{
	struct ifix *f = vdev->priv;
	struct kvirtio_chain chain = { .descs = f->descs, .capacity = 4 };
	int ret = 0;

	if (atomic_inc_return(&f->active) != 1 || atomic_read(&f->in_config))
		atomic_inc(&f->violations);
	/*
	 * Now and then wide enough for another owner to show up, if it
	 * could (UML has one CPU: only a sleep lets another thread run).
	 */
	if (!(atomic_inc_return(&f->calls) % 3))
		usleep_range(10, 30);
	while (b->requests && b->bytes) {
		ret = kvirtio_queue_pop(&f->vq, &chain);
		if (ret == -EAGAIN) {
			ret = 0;
			break;
		}
		if (ret < 0)
			break;
		kvirtio_queue_push(&f->vq, chain.head, 64);
		b->requests--;
		b->bytes -= min_t(u64, b->bytes, 64);
	}
	if (ret >= 0)
		ret = kvirtio_queue_has_avail(&f->vq) ? 1 : 0;
	atomic_dec(&f->active);
	return ret;
}

static const struct kvirtio_device_ops fake_ops = {
	.process_queue = fake_process,
};

static void fake_irq(struct kvirtio_device *vdev, u16 qid)
{
}

static void fake_nop(struct kvirtio_device *vdev)
{
}

static const struct kvirtio_transport_ops fake_transport = {
	.queue_interrupt = fake_irq,
	.config_interrupt = fake_nop,
	.needs_reset = fake_nop,
};

/* The driver: add one buffer if the ring has room; false when full. */
static bool add_chain(struct ifix *f)
{
	struct kvirtio_test_buf b = { .addr = I_DATA, .len = 64,
				      .writable = true };
	bool ok = false;
	u16 head;

	mutex_lock(&f->driver);
	if ((u16)(f->added - kvirtio_test_used_idx(&f->r)) < I_QSIZE) {
		head = kvirtio_test_add_chain(&f->r, f->next_desc, &b, 1);
		f->next_desc = (f->next_desc + 1) % I_QSIZE;
		kvirtio_test_avail_add(&f->r, head);
		kvirtio_test_avail_publish(&f->r);
		f->added++;
		ok = true;
	}
	mutex_unlock(&f->driver);
	return ok;
}

static int vcpu_fn(void *data)
{
	struct ivcpu *v = data;
	struct ifix *f = v->f;
	unsigned int n = 0, i = 0;

	while (n < I_CHAINS && !kthread_should_stop()) {
		if (!add_chain(f)) {
			/* Full: let the owners catch up. */
			kvirtio_workers_kick(&f->ws, 0);
			usleep_range(50, 100);
			continue;
		}
		n++;
		/* Mostly inline, sometimes a worker kick (a foreign kicker). */
		if (++i % 7) {
			if (kvirtio_workers_inline_pass(&f->ws, 0))
				atomic_inc(&f->inline_served);
		} else {
			kvirtio_workers_kick(&f->ws, 0);
		}
		/* Let the worker finish its passes and sleep, too. */
		if (!(i % 8))
			usleep_range(20, 60);
	}
	complete(&v->done);
	while (!kthread_should_stop())
		usleep_range(1000, 2000);
	return 0;
}

/* An asynchronous completion's kick, from interrupt context. */
static enum hrtimer_restart kick_timer(struct hrtimer *t)
{
	struct ifix *f = container_of(t, struct ifix, timer);

	kvirtio_workers_kick(&f->ws, 0);
	if (READ_ONCE(f->stop_timer))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(300 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

static int inline_test_init(struct kunit *test)
{
	struct ifix *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	unsigned long ua;

	KUNIT_ASSERT_NOT_NULL(test, f);
	/* The workers are threads of (or use) this test's mm. */
	ua = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			   MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE(test, ua, 0UL);
	KUNIT_ASSERT_EQ(test, kvirtio_test_mem_init(&f->tm, I_BASE, I_RAM), 0);
	kvirtio_test_ring_place(&f->r, &f->tm, I_QSIZE, I_BASE);
	kvirtio_test_ring_config(&f->r, &f->cfg, BIT_ULL(VIRTIO_F_VERSION_1),
				 0);
	KUNIT_ASSERT_EQ(test, kvirtio_queue_setup(&f->vq, &f->tm.mem, &f->cfg),
			0);
	f->vdev.ops = &fake_ops;
	f->vdev.transport = &fake_transport;
	f->vdev.num_queues = 1;
	f->vdev.queues = &f->vq;
	f->vdev.priv = f;
	mutex_init(&f->driver);
	f->test = test;
	kvirtio_workers_init(&f->ws, &f->vdev, current->mm, &f->stats, 901);
	/* Tiny inline bounds: most passes hand work to the worker. */
	f->ws.opts.inline_requests = 3;
	f->ws.opts.inline_bytes = 4096;
	f->ws.opts.inline_us = 50;
	f->ws.opts.budget_requests = 5;
	test->priv = f;
	return 0;
}

static void inline_test_exit(struct kunit *test)
{
	struct ifix *f = test->priv;

	kvirtio_workers_destroy(&f->ws);
	kvirtio_queue_teardown(&f->vq);
	kvirtio_test_mem_destroy(&f->tm);
}

static void inline_ownership_stress(struct kunit *test)
{
	struct ifix *f = test->priv;
	unsigned long deadline;
	unsigned int i, pauses = 0;

	KUNIT_ASSERT_EQ(test, kvirtio_workers_start(&f->ws), 0);
	hrtimer_init(&f->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	f->timer.function = kick_timer;
	hrtimer_start(&f->timer, ns_to_ktime(300 * NSEC_PER_USEC),
		      HRTIMER_MODE_REL);
	for (i = 0; i < I_VCPUS; i++) {
		f->vcpu[i].f = f;
		init_completion(&f->vcpu[i].done);
		f->vcpu[i].task = kthread_run(vcpu_fn, &f->vcpu[i],
					      "kvt-vcpu%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(f->vcpu[i].task));
	}

	/* The config path: pause, look, resume, as config writes do. */
	deadline = jiffies + 30 * HZ;
	while ((!completion_done(&f->vcpu[0].done) ||
		!completion_done(&f->vcpu[1].done)) &&
	       time_before(jiffies, deadline)) {
		KUNIT_ASSERT_EQ(test, kvirtio_workers_pause(&f->ws), 0);
		atomic_inc(&f->in_config);
		usleep_range(20, 60);
		atomic_dec(&f->in_config);
		kvirtio_workers_resume(&f->ws);
		pauses++;
		usleep_range(100, 300);
	}
	for (i = 0; i < I_VCPUS; i++)
		KUNIT_EXPECT_TRUE(test, completion_done(&f->vcpu[i].done));
	WRITE_ONCE(f->stop_timer, true);
	hrtimer_cancel(&f->timer);
	for (i = 0; i < I_VCPUS; i++)
		kthread_stop(f->vcpu[i].task);

	/* Whatever is left: the worker drains it. */
	kvirtio_workers_kick(&f->ws, 0);
	deadline = jiffies + 5 * HZ;
	while (kvirtio_test_used_idx(&f->r) != f->added &&
	       time_before(jiffies, deadline))
		usleep_range(5000, 10000);
	KUNIT_EXPECT_EQ(test, kvirtio_test_used_idx(&f->r), f->added);
	KUNIT_EXPECT_EQ(test, f->added, (u16)(I_VCPUS * I_CHAINS));
	KUNIT_EXPECT_EQ(test, atomic_read(&f->violations), 0);
	/* Both kinds of owner really took part, and handed over. */
	KUNIT_EXPECT_GT(test, atomic_read(&f->inline_served), 0);
	KUNIT_EXPECT_GT(test, atomic64_read(&f->stats.inline_handoffs), 0LL);
	KUNIT_EXPECT_GT(test, atomic64_read(&f->stats.wakeups), 0LL);
	kunit_info(test, "%d process calls, %d inline passes, %lld handoffs, %lld worker wakeups, %u pauses",
		   atomic_read(&f->calls), atomic_read(&f->inline_served),
		   atomic64_read(&f->stats.inline_handoffs),
		   atomic64_read(&f->stats.wakeups), pauses);
}

static struct kunit_case host_inline_cases[] = {
	KUNIT_CASE_SLOW(inline_ownership_stress),
	{}
};

static struct kunit_suite host_inline_suite = {
	.name = "kvirtio_host_inline",
	.init = inline_test_init,
	.exit = inline_test_exit,
	.test_cases = host_inline_cases,
};

kunit_test_suite(host_inline_suite);
