// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the kvirtio device fd (host/device.c, host/eventfd.c),
 * driven as a VMM drives it: real file descriptors, real eventfds, ioctl
 * arguments in user memory of the test's own mm (kunit_vm_mmap), and the
 * guest's register accesses forwarded as region reads and writes.
 *
 * The end-to-end case plays both the VMM and a virtio-rng driver: it
 * programs the transport through BAR0, enables a queue whose rings live in
 * user memory (pinned by the device), kicks through the eventfd (the path
 * a KVM ioeventfd takes), and waits for the INTx eventfd (the path into a
 * KVM irqfd), then closes the fd with the queue live and checks that every
 * live-object counter returns to where it was.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/eventfd.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/syscalls.h>
#include <linux/task_work.h>
#include <linux/uaccess.h>
#include <uapi/linux/eventfd.h>
#include <uapi/linux/virtio_blk.h>

#include "host/host.h"
#include "host/blk_file.h"
#include "devices/blk.h"

#define D_UMEM_PAGES	16
#define D_GPA		0x100000ULL	/* guest RAM: user pages 1.. */
#define D_RAM_PAGES	8
#define D_QSIZE		16
#define D_DESC		(D_GPA)
#define D_AVAIL		(D_GPA + 0x400)
#define D_USED		(D_GPA + 0x800)
#define D_DATA		(D_GPA + 0x2000)

struct dfix {
	unsigned long ua;		/* page 0: ioctl scratch */
	int fd;
	struct file *file;
	struct kvirtio_hdev *hdev;
	struct kvirtio_live_counters live0;
	bool use_msix;
	u32 features_lo;		/* driver features 0-31 besides none */
};

static void snap_live(struct kvirtio_live_counters *c)
{
	atomic_long_set(&c->devices, atomic_long_read(&kvirtio_live.devices));
	atomic_long_set(&c->pinned_pages,
			atomic_long_read(&kvirtio_live.pinned_pages));
	atomic_long_set(&c->mapped_rings,
			atomic_long_read(&kvirtio_live.mapped_rings));
	atomic_long_set(&c->workers, atomic_long_read(&kvirtio_live.workers));
	atomic_long_set(&c->kick_fds, atomic_long_read(&kvirtio_live.kick_fds));
	atomic_long_set(&c->irq_fds, atomic_long_read(&kvirtio_live.irq_fds));
}

static void live_eq(struct kunit *test, const char *name, atomic_long_t *now,
		    atomic_long_t *then)
{
	KUNIT_EXPECT_EQ_MSG(test, atomic_long_read(now), atomic_long_read(then),
			    "%s", name);
}

static void expect_live_back(struct kunit *test, struct dfix *f)
{
	live_eq(test, "devices", &kvirtio_live.devices, &f->live0.devices);
	live_eq(test, "pinned_pages", &kvirtio_live.pinned_pages,
		&f->live0.pinned_pages);
	live_eq(test, "mapped_rings", &kvirtio_live.mapped_rings,
		&f->live0.mapped_rings);
	live_eq(test, "workers", &kvirtio_live.workers, &f->live0.workers);
	live_eq(test, "kick_fds", &kvirtio_live.kick_fds, &f->live0.kick_fds);
	live_eq(test, "irq_fds", &kvirtio_live.irq_fds, &f->live0.irq_fds);
}

static void __user *scratch(struct dfix *f)
{
	return (void __user *)f->ua;
}

static void __user *guest_ptr(struct dfix *f, u64 gpa)
{
	return (void __user *)(f->ua + PAGE_SIZE + (gpa - D_GPA));
}

static long create_dev(struct dfix *f, const struct kvirtio_create_device *a,
		       size_t size)
{
	if (copy_to_user(scratch(f), a, size))
		return -EFAULT;
	return kvirtio_create_device(scratch(f));
}

static long dev_ioctl(struct dfix *f, unsigned int cmd, void *arg, size_t size)
{
	long ret;

	if (size && copy_to_user(scratch(f), arg, size))
		return -EFAULT;
	ret = kvirtio_hdev_ioctl(f->hdev, cmd, size ? scratch(f) : NULL);
	if (size && copy_from_user(arg, scratch(f), size))
		return -EFAULT;
	return ret;
}

static ssize_t rw(struct dfix *f, u32 region, u64 off, void *buf, size_t n,
		  bool write)
{
	ssize_t ret;

	if (write && copy_to_user(scratch(f), buf, n))
		return -EFAULT;
	ret = kvirtio_hdev_rw(f->hdev, scratch(f), n,
			      KVIRTIO_REGION_OFFSET(region) + off, write);
	if (!write && ret > 0 && copy_from_user(buf, scratch(f), n))
		return -EFAULT;
	return ret;
}

static void wr(struct kunit *test, struct dfix *f, u32 region, u64 off,
	       u64 val, size_t n)
{
	__le64 v = cpu_to_le64(val);

	KUNIT_ASSERT_EQ(test, rw(f, region, off, &v, n, true), (ssize_t)n);
}

static u64 rd(struct kunit *test, struct dfix *f, u32 region, u64 off,
	      size_t n)
{
	__le64 v = 0;

	KUNIT_EXPECT_EQ(test, rw(f, region, off, &v, n, false), (ssize_t)n);
	return le64_to_cpu(v);
}

static int new_eventfd(struct kunit *test)
{
	int fd = sys_eventfd2(0, EFD_CLOEXEC | EFD_NONBLOCK);

	KUNIT_ASSERT_GE(test, fd, 0);
	return fd;
}

static void close_fd_sync(int fd)
{
	close_fd(fd);
	/* Kernel threads defer the final fput: run the release now. */
	flush_delayed_fput();
}

/* Read and clear an eventfd's count (0 if nothing is pending). */
static u64 efd_take(int fd)
{
	struct file *file = fget(fd);
	loff_t pos = 0;
	u64 cnt = 0;

	if (!file)
		return 0;
	if (kernel_read(file, &cnt, sizeof(cnt), &pos) != sizeof(cnt))
		cnt = 0;
	fput(file);
	return cnt;
}

static u64 efd_wait(int fd, unsigned int ms)
{
	u64 c;

	while (!(c = efd_take(fd)) && ms--)
		usleep_range(1000, 2000);
	return c;
}

static void efd_signal(int fd)
{
	struct eventfd_ctx *ctx = eventfd_ctx_fdget(fd);

	if (!IS_ERR(ctx)) {
		kvirtio_irq_signal(ctx);
		eventfd_ctx_put(ctx);
	}
}

static int dev_test_init(struct kunit *test)
{
	struct dfix *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->ua = kunit_vm_mmap(test, NULL, 0, D_UMEM_PAGES * PAGE_SIZE,
			      PROT_READ | PROT_WRITE,
			      MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE(test, f->ua, 0UL);
	KUNIT_ASSERT_NOT_NULL(test, current->mm);
	f->fd = -1;
	snap_live(&f->live0);
	test->priv = f;
	return 0;
}

static void open_rng(struct kunit *test, struct dfix *f)
{
	struct kvirtio_create_device a = {
		.argsz = sizeof(a),
		.type = KVIRTIO_DEV_RNG,
		.queue_size_max = D_QSIZE,
	};

	f->fd = create_dev(f, &a, sizeof(a));
	KUNIT_ASSERT_GE(test, f->fd, 0);
	f->file = fget(f->fd);
	KUNIT_ASSERT_NOT_NULL(test, f->file);
	f->hdev = kvirtio_hdev_from_file(f->file);
	KUNIT_ASSERT_NOT_NULL(test, f->hdev);
}

static void close_dev(struct dfix *f)
{
	if (f->fd < 0)
		return;
	fput(f->file);
	close_fd_sync(f->fd);
	f->fd = -1;
	f->hdev = NULL;
}

static void dev_create_errnos(struct kunit *test)
{
	struct dfix *f = test->priv;
	struct kvirtio_create_device a = {
		.argsz = sizeof(a), .type = KVIRTIO_DEV_RNG,
	};
	struct kvirtio_create_device b;
	u8 big[sizeof(a) + 8] = {};
	int efd;

	b = a;
	b.argsz = sizeof(a) - 8;
	KUNIT_EXPECT_EQ(test, create_dev(f, &b, sizeof(b)), -EINVAL);
	b = a;
	b.flags = KVIRTIO_CREATE_F_PIO_NOTIFY << 1;
	KUNIT_EXPECT_EQ(test, create_dev(f, &b, sizeof(b)), -EINVAL);
	b = a;
	b.reserved[3] = 1;
	KUNIT_EXPECT_EQ(test, create_dev(f, &b, sizeof(b)), -EINVAL);
	b = a;
	b.reserved1 = 1;
	KUNIT_EXPECT_EQ(test, create_dev(f, &b, sizeof(b)), -EINVAL);
	b = a;
	b.type = 99;
	KUNIT_EXPECT_EQ(test, create_dev(f, &b, sizeof(b)), -ENODEV);
	b = a;
	b.num_queues = 2;
	KUNIT_EXPECT_EQ(test, create_dev(f, &b, sizeof(b)), -EINVAL);
	b = a;
	b.num_queues = KVIRTIO_MAX_QUEUES + 1;
	KUNIT_EXPECT_EQ(test, create_dev(f, &b, sizeof(b)), -EINVAL);
	b = a;
	b.queue_size_max = 48;
	KUNIT_EXPECT_EQ(test, create_dev(f, &b, sizeof(b)), -EINVAL);
	b = a;
	b.blk.fd = 3;		/* rng takes no type parameters */
	KUNIT_EXPECT_EQ(test, create_dev(f, &b, sizeof(b)), -EINVAL);
	/* A newer, larger struct: unknown tail must be zero. */
	memcpy(big, &a, sizeof(a));
	((struct kvirtio_create_device *)big)->argsz = sizeof(big);
	big[sizeof(a) + 3] = 1;
	KUNIT_EXPECT_EQ(test, create_dev(f, (void *)big, sizeof(big)), -E2BIG);
	/* blk: bad backing fds. */
	b = a;
	b.type = KVIRTIO_DEV_BLK;
	b.blk.fd = -1;
	KUNIT_EXPECT_EQ(test, create_dev(f, &b, sizeof(b)), -EBADF);
	b.blk.fd = 1000;
	KUNIT_EXPECT_EQ(test, create_dev(f, &b, sizeof(b)), -EBADF);
	efd = new_eventfd(test);
	b.blk.fd = efd;		/* open, but not a file or block device */
	KUNIT_EXPECT_EQ(test, create_dev(f, &b, sizeof(b)), -EINVAL);
	b.blk.logical_block_size = 1000;
	KUNIT_EXPECT_EQ(test, create_dev(f, &b, sizeof(b)), -EINVAL);
	close_fd_sync(efd);
	expect_live_back(test, f);

	/* Controls: the plain struct and the larger one with a zero tail. */
	big[sizeof(a) + 3] = 0;
	f->fd = create_dev(f, (void *)big, sizeof(big));
	KUNIT_ASSERT_GE(test, f->fd, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&kvirtio_live.devices),
			atomic_long_read(&f->live0.devices) + 1);
	f->file = fget(f->fd);
	KUNIT_EXPECT_NOT_NULL(test, kvirtio_hdev_from_file(f->file));
	KUNIT_EXPECT_TRUE(test, get_close_on_exec(f->fd));
	close_dev(f);
	expect_live_back(test, f);
}

static void dev_get_info(struct kunit *test)
{
	struct dfix *f = test->priv;
	struct kvirtio_device_info info = { .argsz = sizeof(info) };
	unsigned int i;

	open_rng(test, f);
	KUNIT_ASSERT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_GET_INFO, &info,
					sizeof(info)), 0L);
	KUNIT_EXPECT_EQ(test, info.device_id, (u32)KVIRTIO_DEV_RNG);
	KUNIT_EXPECT_EQ(test, info.num_queues, 1);
	KUNIT_EXPECT_EQ(test, info.queue_size_max, D_QSIZE);
	KUNIT_EXPECT_EQ(test, info.num_msix, 2U);
	KUNIT_EXPECT_TRUE(test, info.flags & KVIRTIO_INFO_F_MSIX);
	KUNIT_EXPECT_EQ(test, info.notify_bar, (u32)KVIRTIO_REGION_BAR2);
	KUNIT_EXPECT_EQ(test, info.msix_bar, (u32)KVIRTIO_REGION_BAR4);
	KUNIT_EXPECT_NE(test, info.notify_off_multiplier, 0U);
	KUNIT_EXPECT_EQ(test, info.regions[KVIRTIO_REGION_CONFIG].size, 256ULL);
	KUNIT_EXPECT_EQ(test, info.regions[KVIRTIO_REGION_CONFIG].offset,
			KVIRTIO_REGION_OFFSET(KVIRTIO_REGION_CONFIG));
	for (i = 0; i < KVIRTIO_PCI_NUM_BARS; i++) {
		bool present = i == 0 || i == 2 || i == 4;

		KUNIT_EXPECT_EQ(test, !!info.regions[i].size, present);
		if (present) {
			KUNIT_EXPECT_EQ(test, hweight64(info.regions[i].size),
					1U);
			KUNIT_EXPECT_EQ(test, info.regions[i].flags,
					KVIRTIO_REGION_F_READ |
					KVIRTIO_REGION_F_WRITE |
					KVIRTIO_REGION_F_MEM64);
		}
	}
	KUNIT_EXPECT_EQ(test, info.regions[6].size, 0ULL);
	KUNIT_EXPECT_FALSE(test, info.flags & KVIRTIO_INFO_F_PIO_NOTIFY);
	KUNIT_EXPECT_EQ(test, info.pio_notify_bar, 0U);

	/* A caller built before the pio_notify_* fields: nothing past it. */
	memset(&info, 0xa5, sizeof(info));
	info.argsz = offsetof(struct kvirtio_device_info, pio_notify_bar);
	info.flags = 0;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_GET_INFO, &info,
					sizeof(info)), 0L);
	KUNIT_EXPECT_EQ(test, info.device_id, (u32)KVIRTIO_DEV_RNG);
	KUNIT_EXPECT_EQ(test, info.pio_notify_bar, 0xa5a5a5a5U);
	KUNIT_EXPECT_EQ(test, info.pio_notify_offset, 0xa5a5a5a5a5a5a5a5ULL);
	info.argsz = offsetof(struct kvirtio_device_info, pio_notify_bar) - 1;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_GET_INFO, &info,
					sizeof(info)), -EINVAL);
	info.argsz = sizeof(info);
	info.flags = 1;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_GET_INFO, &info,
					sizeof(info)), -EINVAL);
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, _IO(KVIRTIO_TYPE, 0x7f), NULL, 0),
			-ENOTTY);
	close_dev(f);
	expect_live_back(test, f);
}

/*
 * KVIRTIO_CREATE_F_PIO_NOTIFY: GET_INFO describes the I/O BAR, and a port
 * write forwarded through region 5 is a notify, decoded only while the
 * guest has I/O space enabled.
 */
static void dev_pio_notify(struct kunit *test)
{
	struct dfix *f = test->priv;
	struct kvirtio_create_device a = {
		.argsz = sizeof(a), .type = KVIRTIO_DEV_RNG,
		.flags = KVIRTIO_CREATE_F_PIO_NOTIFY,
	};
	struct kvirtio_device_info info = { .argsz = sizeof(info) };
	u64 ignored, bad;

	f->fd = create_dev(f, &a, sizeof(a));
	KUNIT_ASSERT_GE(test, f->fd, 0);
	f->file = fget(f->fd);
	f->hdev = kvirtio_hdev_from_file(f->file);
	KUNIT_ASSERT_NOT_NULL(test, f->hdev);

	KUNIT_ASSERT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_GET_INFO, &info,
					sizeof(info)), 0L);
	KUNIT_EXPECT_TRUE(test, info.flags & KVIRTIO_INFO_F_PIO_NOTIFY);
	KUNIT_EXPECT_EQ(test, info.pio_notify_bar, (u32)KVIRTIO_REGION_BAR5);
	KUNIT_EXPECT_EQ(test, info.pio_notify_off_multiplier,
			info.notify_off_multiplier);
	KUNIT_EXPECT_EQ(test, info.pio_notify_offset, 0ULL);
	KUNIT_EXPECT_EQ(test, info.regions[5].flags, KVIRTIO_REGION_F_READ |
			KVIRTIO_REGION_F_WRITE | KVIRTIO_REGION_F_IO);
	KUNIT_EXPECT_EQ(test, info.regions[5].size, 4ULL);
	/* The MSI-X BAR gave up its upper half to the I/O BAR. */
	KUNIT_EXPECT_EQ(test, info.regions[4].flags, KVIRTIO_REGION_F_READ |
			KVIRTIO_REGION_F_WRITE);
	KUNIT_EXPECT_EQ(test, rd(test, f, KVIRTIO_REGION_CONFIG, 0x24, 4) & 3,
			1ULL);

	/* I/O decoding off: the OUT is dropped as a bad access. */
	bad = f->hdev->vp.stats.bad_access;
	ignored = atomic64_read(&f->hdev->vp.stats.kicks_ignored);
	wr(test, f, KVIRTIO_REGION_BAR5, 0, 0, 2);
	KUNIT_EXPECT_EQ(test, f->hdev->vp.stats.bad_access, bad + 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->hdev->vp.stats.kicks_ignored),
			ignored);
	/* On: it reaches the notify path (ignored before DRIVER_OK). */
	wr(test, f, KVIRTIO_REGION_CONFIG, KVIRTIO_PCI_COMMAND,
	   KVIRTIO_PCI_CMD_IO, 2);
	wr(test, f, KVIRTIO_REGION_BAR5, 0, 0, 2);
	KUNIT_EXPECT_EQ(test, f->hdev->vp.stats.bad_access, bad + 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->hdev->vp.stats.kicks_ignored),
			ignored + 1);
	/* The area is write-only, and queue 1 does not exist. */
	KUNIT_EXPECT_EQ(test, rd(test, f, KVIRTIO_REGION_BAR5, 0, 2), 0xffffULL);
	KUNIT_EXPECT_EQ(test, rw(f, KVIRTIO_REGION_BAR5, 4, &bad, 2, true),
			-EINVAL);
	close_dev(f);
	expect_live_back(test, f);
}

static long set_table(struct dfix *f, const struct kvirtio_mem_region *r,
		      u32 n, u32 argsz)
{
	struct kvirtio_mem_table *t;
	size_t sz = struct_size(t, regions, n);
	long ret;

	t = kzalloc(sz, GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->argsz = argsz ? argsz : sz;
	t->nregions = n;
	memcpy(t->regions, r, n * sizeof(*r));
	ret = dev_ioctl(f, KVIRTIO_DEVICE_SET_MEM_TABLE, t, sz);
	kfree(t);
	return ret;
}

static struct kvirtio_mem_region ram(struct dfix *f)
{
	return (struct kvirtio_mem_region){
		.gpa = D_GPA, .size = D_RAM_PAGES * PAGE_SIZE,
		.uaddr = f->ua + PAGE_SIZE,
	};
}

static void dev_mem_table_errnos(struct kunit *test)
{
	struct dfix *f = test->priv;
	struct kvirtio_mem_region r[2];
	struct kvirtio_mem_table t = { .argsz = sizeof(t),
				       .nregions = KVIRTIO_MEM_REGIONS_MAX + 1 };

	open_rng(test, f);
	r[0] = ram(f);
	r[1] = ram(f);
	KUNIT_EXPECT_EQ(test, set_table(f, r, 2, 0), -EEXIST);
	KUNIT_EXPECT_EQ(test, set_table(f, r, 1, sizeof(t)), -EINVAL);
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_MEM_TABLE, &t,
					sizeof(t)), -E2BIG);
	t.nregions = 0;
	t.reserved = 1;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_MEM_TABLE, &t,
					sizeof(t)), -EINVAL);
	r[0].uaddr += 1;
	KUNIT_EXPECT_EQ(test, set_table(f, r, 1, 0), -EINVAL);
	r[0] = ram(f);
	KUNIT_EXPECT_EQ(test, set_table(f, r, 1, 0), 0L);
	KUNIT_EXPECT_EQ(test, set_table(f, r, 0, 0), 0L);
	close_dev(f);
}

static void dev_fd_errnos(struct kunit *test)
{
	struct dfix *f = test->priv;
	struct kvirtio_queue_fd q = { .argsz = sizeof(q) };
	struct kvirtio_irq_fd irq = { .argsz = sizeof(irq), .resample_fd = -1 };
	int efd = new_eventfd(test), efd2 = new_eventfd(test);
	long kicks0 = atomic_long_read(&kvirtio_live.kick_fds);
	long irqs0 = atomic_long_read(&kvirtio_live.irq_fds);

	open_rng(test, f);
	q.index = 1;
	q.fd = efd;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_KICK_FD, &q,
					sizeof(q)), -EINVAL);
	q.index = 0;
	q.fd = -2;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_KICK_FD, &q,
					sizeof(q)), -EBADF);
	q.fd = 1000;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_KICK_FD, &q,
					sizeof(q)), -EBADF);
	q.fd = f->fd;		/* open, not an eventfd */
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_KICK_FD, &q,
					sizeof(q)), -EINVAL);
	q.fd = efd;
	q.reserved = 1;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_KICK_FD, &q,
					sizeof(q)), -EINVAL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&kvirtio_live.kick_fds), kicks0);
	q.reserved = 0;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_KICK_FD, &q,
					sizeof(q)), 0L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&kvirtio_live.kick_fds),
			kicks0 + 1);
	/* Replacing keeps one hook. */
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_KICK_FD, &q,
					sizeof(q)), 0L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&kvirtio_live.kick_fds),
			kicks0 + 1);
	q.fd = -1;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_KICK_FD, &q,
					sizeof(q)), 0L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&kvirtio_live.kick_fds), kicks0);

	irq.type = KVIRTIO_IRQ_MSIX;
	irq.index = 2;
	irq.fd = efd;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_IRQ_FD, &irq,
					sizeof(irq)), -EINVAL);
	irq.index = 1;
	irq.resample_fd = efd;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_IRQ_FD, &irq,
					sizeof(irq)), -EINVAL);
	irq.resample_fd = -1;
	irq.type = 7;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_IRQ_FD, &irq,
					sizeof(irq)), -EINVAL);
	irq.type = KVIRTIO_IRQ_INTX;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_IRQ_FD, &irq,
					sizeof(irq)), -EINVAL);
	irq.index = 0;
	irq.fd = -1;
	irq.resample_fd = efd;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_IRQ_FD, &irq,
					sizeof(irq)), -EINVAL);
	irq.fd = efd;
	irq.resample_fd = f->fd;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_IRQ_FD, &irq,
					sizeof(irq)), -EINVAL);
	/* A trigger that is its own resample eventfd would fire forever. */
	irq.resample_fd = efd;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_IRQ_FD, &irq,
					sizeof(irq)), -EBUSY);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&kvirtio_live.irq_fds), irqs0);
	/* Controls. */
	irq.resample_fd = efd2;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_IRQ_FD, &irq,
					sizeof(irq)), 0L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&kvirtio_live.irq_fds),
			irqs0 + 2);
	irq.type = KVIRTIO_IRQ_MSIX;
	irq.index = 1;
	irq.resample_fd = -1;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_IRQ_FD, &irq,
					sizeof(irq)), 0L);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&kvirtio_live.irq_fds),
			irqs0 + 3);
	/* Close with everything attached: all of it is released. */
	close_dev(f);
	close_fd_sync(efd);
	close_fd_sync(efd2);
	expect_live_back(test, f);
}

static long set_kick(struct dfix *f, u16 q, int fd)
{
	struct kvirtio_queue_fd a = { .argsz = sizeof(a), .index = q, .fd = fd };

	return dev_ioctl(f, KVIRTIO_DEVICE_SET_KICK_FD, &a, sizeof(a));
}

static long set_irq(struct dfix *f, u32 type, u32 index, int fd, int rfd)
{
	struct kvirtio_irq_fd a = { .argsz = sizeof(a), .type = type,
				    .index = index, .fd = fd,
				    .resample_fd = rfd };

	return dev_ioctl(f, KVIRTIO_DEVICE_SET_IRQ_FD, &a, sizeof(a));
}

/*
 * An eventfd the device waits on (kick, resample) is never one it
 * signals (MSI-X, INTx trigger), on one device or across two: signalling
 * it would run the kick callback inside eventfd_signal() under the same
 * eventfd lock class (a hard lockup with interrupts off before the fix).
 */
static void dev_fd_roles(struct kunit *test)
{
	struct dfix *f = test->priv;
	struct dfix g = *f;
	int e = new_eventfd(test), m = new_eventfd(test), t = new_eventfd(test);
	long kicks0 = atomic_long_read(&kvirtio_live.kick_fds);
	long irqs0 = atomic_long_read(&kvirtio_live.irq_fds);

	open_rng(test, f);
	open_rng(test, &g);
	KUNIT_ASSERT_EQ(test, set_kick(f, 0, e), 0L);
	KUNIT_ASSERT_EQ(test, set_irq(f, KVIRTIO_IRQ_MSIX, 1, m, -1), 0L);
	/* One device: kick as interrupt, interrupt as kick. */
	KUNIT_EXPECT_EQ(test, set_irq(f, KVIRTIO_IRQ_MSIX, 0, e, -1), -EBUSY);
	KUNIT_EXPECT_EQ(test, set_irq(f, KVIRTIO_IRQ_INTX, 0, e, -1), -EBUSY);
	KUNIT_EXPECT_EQ(test, set_irq(f, KVIRTIO_IRQ_INTX, 0, t, m), -EBUSY);
	KUNIT_EXPECT_EQ(test, set_kick(f, 0, m), -EBUSY);
	/* Crosswise, on a second device. */
	KUNIT_EXPECT_EQ(test, set_irq(&g, KVIRTIO_IRQ_MSIX, 1, e, -1), -EBUSY);
	KUNIT_EXPECT_EQ(test, set_kick(&g, 0, m), -EBUSY);
	KUNIT_EXPECT_EQ(test, set_irq(&g, KVIRTIO_IRQ_INTX, 0, t, e), 0L);
	/* The same role twice is fine: one vector fd for two devices. */
	KUNIT_EXPECT_EQ(test, set_irq(&g, KVIRTIO_IRQ_MSIX, 0, m, -1), 0L);
	/* Nothing the refusals touched was attached. */
	KUNIT_EXPECT_EQ(test, atomic_long_read(&kvirtio_live.kick_fds),
			kicks0 + 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&kvirtio_live.irq_fds),
			irqs0 + 4);
	/* Once released, an eventfd may take the other role. */
	KUNIT_EXPECT_EQ(test, set_irq(&g, KVIRTIO_IRQ_INTX, 0, -1, -1), 0L);
	KUNIT_EXPECT_EQ(test, set_kick(f, 0, -1), 0L);
	KUNIT_EXPECT_EQ(test, set_irq(&g, KVIRTIO_IRQ_MSIX, 1, e, -1), 0L);
	close_dev(&g);
	/* Closing a device releases its roles too. */
	KUNIT_EXPECT_EQ(test, set_kick(f, 0, e), 0L);
	close_dev(f);
	close_fd_sync(e);
	close_fd_sync(m);
	close_fd_sync(t);
	expect_live_back(test, f);
}

static void dev_options(struct kunit *test)
{
	struct dfix *f = test->priv;
	struct kvirtio_options o = { .argsz = sizeof(o) };
	struct kvirtio_wopts before;

	open_rng(test, f);
	before = f->hdev->workers.opts;
	KUNIT_EXPECT_EQ(test, before.budget_requests, 256U);
	KUNIT_EXPECT_EQ(test, before.budget_bytes, 512ULL << 10);

	o.flags = 1U << 7;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_OPTIONS, &o,
					sizeof(o)), -EINVAL);
	/* One valid and one invalid field: nothing is applied. */
	o.flags = KVIRTIO_OPT_BUSY_POLL | KVIRTIO_OPT_BUDGET;
	o.busy_poll_us = 50;
	o.budget_requests = 0;
	o.budget_bytes = 1 << 20;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_OPTIONS, &o,
					sizeof(o)), -EINVAL);
	KUNIT_EXPECT_EQ(test, f->hdev->workers.opts.busy_poll_us,
			before.busy_poll_us);
	o.budget_requests = 8;
	o.budget_bytes = 100;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_OPTIONS, &o,
					sizeof(o)), -EINVAL);
	o.budget_bytes = 1 << 20;
	o.busy_poll_us = KVIRTIO_BUSY_POLL_US_MAX + 1;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_OPTIONS, &o,
					sizeof(o)), -EINVAL);
	/* A field that is not selected must be zero. */
	o.busy_poll_us = 50;
	o.flags = KVIRTIO_OPT_BUDGET;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_OPTIONS, &o,
					sizeof(o)), -EINVAL);
	o.flags = KVIRTIO_OPT_BUSY_POLL | KVIRTIO_OPT_BUDGET;
	o.inline_us = 1;	/* inline fields without KVIRTIO_OPT_INLINE */
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_OPTIONS, &o,
					sizeof(o)), -EINVAL);
	o.inline_us = 0;
	/* Inline bounds out of range. */
	o.flags |= KVIRTIO_OPT_INLINE;
	o.inline_kicks = 1;
	o.inline_requests = 0;
	o.inline_us = 100;
	o.inline_bytes = 64 << 10;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_OPTIONS, &o,
					sizeof(o)), -EINVAL);
	o.inline_requests = 16;
	o.inline_bytes = KVIRTIO_INLINE_BYTES_MAX + 1;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_OPTIONS, &o,
					sizeof(o)), -EINVAL);
	o.inline_bytes = 64 << 10;
	o.inline_kicks = 2;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_OPTIONS, &o,
					sizeof(o)), -EINVAL);
	o.inline_kicks = 0;
	o.flags |= KVIRTIO_OPT_WORKER_PER_QUEUE;
	o.worker_per_queue = 2;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_OPTIONS, &o,
					sizeof(o)), -EINVAL);
	KUNIT_EXPECT_EQ(test, f->hdev->workers.opts.budget_requests,
			before.budget_requests);
	/* Control. */
	o.worker_per_queue = 1;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_OPTIONS, &o,
					sizeof(o)), 0L);
	KUNIT_EXPECT_EQ(test, f->hdev->workers.opts.busy_poll_us, 50U);
	KUNIT_EXPECT_EQ(test, f->hdev->workers.opts.budget_requests, 8U);
	KUNIT_EXPECT_EQ(test, f->hdev->workers.opts.budget_bytes, 1ULL << 20);
	KUNIT_EXPECT_TRUE(test, f->hdev->workers.opts.per_queue);
	KUNIT_EXPECT_FALSE(test, f->hdev->workers.opts.inline_kicks);
	KUNIT_EXPECT_EQ(test, f->hdev->workers.opts.inline_requests, 16U);
	KUNIT_EXPECT_EQ(test, f->hdev->workers.opts.inline_us, 100U);
	KUNIT_EXPECT_EQ(test, f->hdev->workers.opts.inline_bytes, 64ULL << 10);
	close_dev(f);
}

static void dev_region_errnos(struct kunit *test)
{
	struct dfix *f = test->priv;
	u8 b[8] = {};

	open_rng(test, f);
	/* Identity through config space (control for the errors below). */
	KUNIT_EXPECT_EQ(test, rd(test, f, KVIRTIO_REGION_CONFIG, 0, 2),
			0x1af4ULL);
	KUNIT_EXPECT_EQ(test, rd(test, f, KVIRTIO_REGION_CONFIG, 2, 2),
			0x1040ULL + KVIRTIO_DEV_RNG);
	KUNIT_EXPECT_EQ(test, rw(f, 1, 0, b, 4, false), -EINVAL);
	KUNIT_EXPECT_EQ(test, rw(f, 6, 0, b, 4, false), -EINVAL);
	KUNIT_EXPECT_EQ(test, rw(f, 9, 0, b, 4, false), -EINVAL);
	KUNIT_EXPECT_EQ(test, rw(f, 0, 0, b, 3, false), -EINVAL);
	KUNIT_EXPECT_EQ(test, rw(f, 0, 2, b, 4, false), -EINVAL);
	KUNIT_EXPECT_EQ(test, rw(f, 0, KVIRTIO_PCI_BAR_CFG_SIZE, b, 4, false),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, rw(f, KVIRTIO_REGION_CONFIG, 0, b, 8, false),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, rw(f, KVIRTIO_REGION_CONFIG, 254, b, 4, false),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, rw(f, KVIRTIO_REGION_CONFIG, 1, b, 2, false),
			2L);
	close_dev(f);
}

/* Another mm may not use the device, even with a valid fd. */
static void dev_foreign_mm(struct kunit *test)
{
	struct dfix *f = test->priv;
	struct kvirtio_device_info info = { .argsz = sizeof(info) };
	struct mm_struct *mine = current->mm, *other;
	long r1, r2;

	open_rng(test, f);
	other = mm_alloc();
	KUNIT_ASSERT_NOT_NULL(test, other);
	KUNIT_ASSERT_EQ(test, copy_to_user(scratch(f), &info, sizeof(info)),
			0UL);
	kthread_unuse_mm(mine);
	kthread_use_mm(other);
	r1 = kvirtio_hdev_ioctl(f->hdev, KVIRTIO_DEVICE_GET_INFO, scratch(f));
	r2 = kvirtio_hdev_rw(f->hdev, scratch(f), 2,
			     KVIRTIO_REGION_OFFSET(KVIRTIO_REGION_CONFIG), false);
	kthread_unuse_mm(other);
	kthread_use_mm(mine);
	mmput(other);
	KUNIT_EXPECT_EQ(test, r1, -EPERM);
	KUNIT_EXPECT_EQ(test, r2, (long)-EPERM);
	/* Control: the creator's mm. */
	r1 = kvirtio_hdev_ioctl(f->hdev, KVIRTIO_DEVICE_GET_INFO, scratch(f));
	KUNIT_EXPECT_EQ(test, r1, 0L);
	close_dev(f);
}

/* Play a virtio-rng driver through BAR0 up to DRIVER_OK with one queue. */
static void drive_to_driver_ok(struct kunit *test, struct dfix *f)
{
	struct kvirtio_mem_region r = ram(f);
	u8 st;

	KUNIT_ASSERT_EQ(test, set_table(f, &r, 1, 0), 0L);
	/* Memory decoding on; MSI-X only if asked, else INTx. */
	wr(test, f, KVIRTIO_REGION_CONFIG, 4, KVIRTIO_PCI_CMD_MEMORY, 2);
	if (f->use_msix) {
		/* Enable (message control bit 15), unmask both vectors. */
		wr(test, f, KVIRTIO_REGION_CONFIG, f->hdev->vp.cap_msix + 2,
		   0x8000, 2);
		wr(test, f, KVIRTIO_REGION_BAR4, 12, 0, 4);
		wr(test, f, KVIRTIO_REGION_BAR4, 16 + 12, 0, 4);
	}
	wr(test, f, 0, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER, 1);
	wr(test, f, 0, VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
	wr(test, f, 0, VIRTIO_PCI_COMMON_GF, f->features_lo, 4);
	wr(test, f, 0, VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
	wr(test, f, 0, VIRTIO_PCI_COMMON_GF, 1, 4);	/* VERSION_1 */
	wr(test, f, 0, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK, 1);
	st = rd(test, f, 0, VIRTIO_PCI_COMMON_STATUS, 1);
	KUNIT_ASSERT_TRUE(test, st & VIRTIO_CONFIG_S_FEATURES_OK);
	wr(test, f, 0, VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
	wr(test, f, 0, VIRTIO_PCI_COMMON_Q_SIZE, D_QSIZE, 2);
	if (f->use_msix) {
		wr(test, f, 0, VIRTIO_PCI_COMMON_MSIX, 0, 2);
		wr(test, f, 0, VIRTIO_PCI_COMMON_Q_MSIX, 1, 2);
		KUNIT_ASSERT_EQ(test,
				rd(test, f, 0, VIRTIO_PCI_COMMON_Q_MSIX, 2), 1ULL);
	}
	wr(test, f, 0, VIRTIO_PCI_COMMON_Q_DESCLO, D_DESC, 4);
	wr(test, f, 0, VIRTIO_PCI_COMMON_Q_DESCHI, 0, 4);
	wr(test, f, 0, VIRTIO_PCI_COMMON_Q_AVAILLO, D_AVAIL, 4);
	wr(test, f, 0, VIRTIO_PCI_COMMON_Q_AVAILHI, 0, 4);
	wr(test, f, 0, VIRTIO_PCI_COMMON_Q_USEDLO, D_USED, 4);
	wr(test, f, 0, VIRTIO_PCI_COMMON_Q_USEDHI, 0, 4);
	wr(test, f, 0, VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	KUNIT_ASSERT_EQ(test, rd(test, f, 0, VIRTIO_PCI_COMMON_Q_ENABLE, 2),
			1ULL);
	KUNIT_EXPECT_FALSE(test, f->hdev->workers.enabled);
	wr(test, f, 0, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
	   VIRTIO_CONFIG_S_DRIVER_OK, 1);
	KUNIT_ASSERT_TRUE(test, f->hdev->workers.enabled);
}

/* The driver posts one 64-byte writable buffer as avail entry @n. */
static void post_buffer(struct kunit *test, struct dfix *f, u16 n)
{
	struct kvirtio_vring_desc d = {
		.addr = cpu_to_le64(D_DATA + 64 * n),
		.len = cpu_to_le32(64),
		.flags = cpu_to_le16(VRING_DESC_F_WRITE),
	};
	__le16 head = cpu_to_le16(n), idx = cpu_to_le16(n + 1);

	KUNIT_ASSERT_EQ(test, copy_to_user(guest_ptr(f, D_DESC + 16 * n), &d,
					   sizeof(d)), 0UL);
	KUNIT_ASSERT_EQ(test, copy_to_user(guest_ptr(f, D_AVAIL + 4 + 2 * n),
					   &head, 2), 0UL);
	KUNIT_ASSERT_EQ(test, copy_to_user(guest_ptr(f, D_AVAIL + 2), &idx, 2),
			0UL);
}

static u16 used_idx(struct kunit *test, struct dfix *f)
{
	__le16 v = 0;

	KUNIT_EXPECT_EQ(test, copy_from_user(&v, guest_ptr(f, D_USED + 2), 2),
			0UL);
	return le16_to_cpu(v);
}

static void dev_rng_end_to_end(struct kunit *test)
{
	struct dfix *f = test->priv;
	int kick = new_eventfd(test);
	int trig = new_eventfd(test);
	int resample = new_eventfd(test);
	struct kvirtio_queue_fd q = { .argsz = sizeof(q), .fd = kick };
	struct kvirtio_irq_fd irq = { .argsz = sizeof(irq),
				      .type = KVIRTIO_IRQ_INTX, .fd = trig,
				      .resample_fd = resample };
	struct kvirtio_stats st = { .argsz = sizeof(st) };
	struct kvirtio_mem_region r;
	u8 data[64], zero[64] = {};
	__le32 ulen = 0;

	open_rng(test, f);
	KUNIT_ASSERT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_KICK_FD, &q,
					sizeof(q)), 0L);
	KUNIT_ASSERT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_IRQ_FD, &irq,
					sizeof(irq)), 0L);
	drive_to_driver_ok(test, f);
	/* The three ring areas are pinned while the queue is enabled. */
	KUNIT_EXPECT_EQ(test, f->hdev->mem.nr_maps, 3U);
	KUNIT_EXPECT_GT(test, atomic_long_read(&f->hdev->mem.pinned_pages), 0L);
	/* And the table cannot change under them. */
	r = ram(f);
	KUNIT_EXPECT_EQ(test, set_table(f, &r, 1, 0), -EBUSY);

	post_buffer(test, f, 0);
	efd_take(trig);
	efd_signal(kick);			/* what KVM's ioeventfd does */
	KUNIT_ASSERT_GT(test, efd_wait(trig, 2000), 0ULL);
	KUNIT_EXPECT_EQ(test, used_idx(test, f), 1);
	KUNIT_EXPECT_EQ(test, copy_from_user(&ulen, guest_ptr(f, D_USED + 8),
					     4), 0UL);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(ulen), 64U);
	KUNIT_EXPECT_EQ(test, copy_from_user(data, guest_ptr(f, D_DATA), 64),
			0UL);
	KUNIT_EXPECT_NE(test, memcmp(data, zero, 64), 0);

	/* EOI with ISR still set: the line is asserted again. */
	efd_signal(resample);
	KUNIT_EXPECT_GT(test, efd_wait(trig, 2000), 0ULL);
	/* The driver reads ISR (clears it); the next EOI asserts nothing. */
	KUNIT_EXPECT_EQ(test, rd(test, f, 0, KVIRTIO_PCI_ISR_OFF, 1), 1ULL);
	efd_signal(resample);
	KUNIT_EXPECT_EQ(test, efd_wait(trig, 50), 0ULL);

	/* Slow path: a notify write instead of the eventfd. */
	post_buffer(test, f, 1);
	wr(test, f, KVIRTIO_REGION_BAR2, 0, 0, 2);
	KUNIT_EXPECT_GT(test, efd_wait(trig, 2000), 0ULL);
	KUNIT_EXPECT_EQ(test, used_idx(test, f), 2);

	KUNIT_ASSERT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_GET_STATS, &st,
					sizeof(st)), 0L);
	KUNIT_EXPECT_EQ(test, st.requests, 2ULL);
	KUNIT_EXPECT_EQ(test, st.bytes, 128ULL);
	KUNIT_EXPECT_EQ(test, st.kicks, 2ULL);
	KUNIT_EXPECT_GE(test, st.interrupts, 3ULL);
	KUNIT_EXPECT_EQ(test, st.mapped_rings, 3ULL);
	KUNIT_EXPECT_EQ(test, st.errors, 0ULL);

	/* Close with the queue live and every eventfd attached. */
	close_dev(f);
	expect_live_back(test, f);
	close_fd_sync(kick);
	close_fd_sync(trig);
	close_fd_sync(resample);
}

/* MSI-X: the queue's vector eventfd fires; a masked vector waits. */
static void dev_rng_msix(struct kunit *test)
{
	struct dfix *f = test->priv;
	int kick = new_eventfd(test), v0 = new_eventfd(test);
	int v1 = new_eventfd(test);
	struct kvirtio_queue_fd q = { .argsz = sizeof(q), .fd = kick };
	struct kvirtio_irq_fd irq = { .argsz = sizeof(irq), .resample_fd = -1,
				      .type = KVIRTIO_IRQ_MSIX };

	open_rng(test, f);
	f->use_msix = true;
	KUNIT_ASSERT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_KICK_FD, &q,
					sizeof(q)), 0L);
	irq.index = 0;
	irq.fd = v0;
	KUNIT_ASSERT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_IRQ_FD, &irq,
					sizeof(irq)), 0L);
	irq.index = 1;
	irq.fd = v1;
	KUNIT_ASSERT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_IRQ_FD, &irq,
					sizeof(irq)), 0L);
	drive_to_driver_ok(test, f);

	post_buffer(test, f, 0);
	efd_signal(kick);
	KUNIT_ASSERT_GT(test, efd_wait(v1, 2000), 0ULL);
	KUNIT_EXPECT_EQ(test, used_idx(test, f), 1);
	KUNIT_EXPECT_EQ(test, efd_take(v0), 0ULL);	/* not the config vector */

	/* Mask vector 1: the completion is held pending... */
	wr(test, f, KVIRTIO_REGION_BAR4, 16 + 12, 1, 4);
	post_buffer(test, f, 1);
	efd_signal(kick);
	while (used_idx(test, f) < 2 && !fatal_signal_pending(current))
		usleep_range(1000, 2000);
	KUNIT_EXPECT_EQ(test, efd_wait(v1, 50), 0ULL);
	/* ...and delivered on unmask. */
	wr(test, f, KVIRTIO_REGION_BAR4, 16 + 12, 0, 4);
	KUNIT_EXPECT_GT(test, efd_wait(v1, 2000), 0ULL);

	close_dev(f);
	expect_live_back(test, f);
	close_fd_sync(kick);
	close_fd_sync(v0);
	close_fd_sync(v1);
}

/*
 * A driver reset stops processing and unpins the rings, but keeps the
 * worker threads: a guest that resets in a loop creates none.
 */
static void dev_reset_releases(struct kunit *test)
{
	struct dfix *f = test->priv;
	struct kvirtio_mem_region r;
	long made;
	int i;

	open_rng(test, f);
	drive_to_driver_ok(test, f);
	made = atomic_long_read(&kvirtio_live.worker_creations);
	KUNIT_EXPECT_EQ(test, f->hdev->workers.nr, 1U);
	KUNIT_EXPECT_EQ(test, f->hdev->mem.nr_maps, 3U);
	wr(test, f, 0, VIRTIO_PCI_COMMON_STATUS, 0, 1);
	KUNIT_EXPECT_EQ(test, rd(test, f, 0, VIRTIO_PCI_COMMON_STATUS, 1), 0ULL);
	KUNIT_EXPECT_FALSE(test, f->hdev->workers.enabled);
	KUNIT_EXPECT_EQ(test, f->hdev->workers.nr, 1U);
	KUNIT_EXPECT_EQ(test, f->hdev->mem.nr_maps, 0U);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&f->hdev->mem.pinned_pages), 0L);
	r = ram(f);
	KUNIT_EXPECT_EQ(test, set_table(f, &r, 1, 0), 0L);
	/* Again, then a function reset from the VMM. */
	drive_to_driver_ok(test, f);
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_RESET, NULL, 0), 0L);
	KUNIT_EXPECT_FALSE(test, f->hdev->workers.enabled);
	KUNIT_EXPECT_EQ(test, f->hdev->mem.nr_maps, 0U);
	/* A reset loop: no thread is created or destroyed. */
	for (i = 0; i < 5; i++) {
		drive_to_driver_ok(test, f);
		wr(test, f, 0, VIRTIO_PCI_COMMON_STATUS, 0, 1);
	}
	KUNIT_EXPECT_EQ(test, atomic_long_read(&kvirtio_live.worker_creations),
			made);
	KUNIT_EXPECT_EQ(test, f->hdev->workers.nr, 1U);
	close_dev(f);
	expect_live_back(test, f);
}

/* ---- blk on a real file ------------------------------------------------ */

/* An unnamed file of @size bytes, installed as an fd of this task. */
static int blk_backing_fd(struct kunit *test, size_t size)
{
	static const u8 zero[512];
	struct file *file;
	loff_t pos = 0;
	int fd;

	file = filp_open("/", O_TMPFILE | O_RDWR, 0600);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	while (pos < size)
		KUNIT_ASSERT_EQ(test, kernel_write(file, zero, sizeof(zero),
						   &pos), (ssize_t)sizeof(zero));
	fd = get_unused_fd_flags(O_CLOEXEC);
	KUNIT_ASSERT_GE(test, fd, 0);
	fd_install(fd, file);
	return fd;
}

/* One virtio-blk request at @sector as three descriptors from 3 * @n. */
static void post_blk_at(struct kunit *test, struct dfix *f, u16 n, u32 type,
			u64 data, bool in, u64 sector)
{
	/* The modern (little-endian) layout of struct virtio_blk_outhdr. */
	struct { __le32 type; __le32 ioprio; __le64 sector; } hdr = {
		.type = cpu_to_le32(type),
		.sector = cpu_to_le64(sector),
	};
	u16 d0 = 3 * n;
	struct kvirtio_vring_desc d[3] = {
		{ .addr = cpu_to_le64(D_DATA + 0x800), .len = cpu_to_le32(16),
		  .flags = cpu_to_le16(VRING_DESC_F_NEXT),
		  .next = cpu_to_le16(d0 + 1) },
		{ .addr = cpu_to_le64(data), .len = cpu_to_le32(512),
		  .flags = cpu_to_le16(VRING_DESC_F_NEXT |
				       (in ? VRING_DESC_F_WRITE : 0)),
		  .next = cpu_to_le16(d0 + 2) },
		{ .addr = cpu_to_le64(D_DATA + 0x900), .len = cpu_to_le32(1),
		  .flags = cpu_to_le16(VRING_DESC_F_WRITE) },
	};
	__le16 head = cpu_to_le16(d0), idx = cpu_to_le16(n + 1);
	u8 status = 0xff;

	KUNIT_ASSERT_EQ(test, copy_to_user(guest_ptr(f, D_DATA + 0x800), &hdr,
					   sizeof(hdr)), 0UL);
	KUNIT_ASSERT_EQ(test, copy_to_user(guest_ptr(f, D_DATA + 0x900),
					   &status, 1), 0UL);
	KUNIT_ASSERT_EQ(test, copy_to_user(guest_ptr(f, D_DESC + 16 * d0), d,
					   sizeof(d)), 0UL);
	KUNIT_ASSERT_EQ(test, copy_to_user(guest_ptr(f, D_AVAIL + 4 + 2 * n),
					   &head, 2), 0UL);
	KUNIT_ASSERT_EQ(test, copy_to_user(guest_ptr(f, D_AVAIL + 2), &idx, 2),
			0UL);
}

static void post_blk(struct kunit *test, struct dfix *f, u16 n, u32 type,
		     u64 data, bool in)
{
	post_blk_at(test, f, n, type, data, in, 0);
}

static u8 blk_status(struct kunit *test, struct dfix *f)
{
	u8 st = 0xee;

	KUNIT_EXPECT_EQ(test, copy_from_user(&st, guest_ptr(f, D_DATA + 0x900),
					     1), 0UL);
	return st;
}

static void dev_blk_create_and_io(struct kunit *test)
{
	struct dfix *f = test->priv;
	struct kvirtio_create_device a = {
		.argsz = sizeof(a), .type = KVIRTIO_DEV_BLK,
		.queue_size_max = D_QSIZE,
	};
	struct kvirtio_create_device b;
	int bfd = blk_backing_fd(test, 64 << 10);
	int kick = new_eventfd(test), trig = new_eventfd(test);
	struct kvirtio_queue_fd q = { .argsz = sizeof(q), .fd = kick };
	struct kvirtio_irq_fd irq = { .argsz = sizeof(irq), .resample_fd = -1,
				      .type = KVIRTIO_IRQ_INTX, .fd = trig };
	u8 out[512], back[512];
	unsigned int i;

	a.blk.fd = bfd;
	b = a;
	b.blk.capacity = (64 << 10) / 512 + 1;	/* more than the file */
	KUNIT_EXPECT_EQ(test, create_dev(f, &b, sizeof(b)), -EINVAL);
	b = a;
	b.blk.flags = 0x80;
	KUNIT_EXPECT_EQ(test, create_dev(f, &b, sizeof(b)), -EINVAL);
	b = a;
	b.blk.reserved[2] = 1;
	KUNIT_EXPECT_EQ(test, create_dev(f, &b, sizeof(b)), -EINVAL);
	b = a;
	b.blk.size_max = 100;
	KUNIT_EXPECT_EQ(test, create_dev(f, &b, sizeof(b)), -EINVAL);
	b = a;
	b.blk.seg_max = KVIRTIO_BLK_SEG_MAX_LIMIT + 1;
	KUNIT_EXPECT_EQ(test, create_dev(f, &b, sizeof(b)), -EINVAL);
	b = a;
	b.queue_size_max = 2;
	KUNIT_EXPECT_EQ(test, create_dev(f, &b, sizeof(b)), -EINVAL);
	expect_live_back(test, f);

	f->fd = create_dev(f, &a, sizeof(a));
	KUNIT_ASSERT_GE(test, f->fd, 0);
	/* The device keeps its own reference to the backing file. */
	close_fd_sync(bfd);
	f->file = fget(f->fd);
	f->hdev = kvirtio_hdev_from_file(f->file);
	KUNIT_ASSERT_NOT_NULL(test, f->hdev);
	KUNIT_ASSERT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_KICK_FD, &q,
					sizeof(q)), 0L);
	KUNIT_ASSERT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_IRQ_FD, &irq,
					sizeof(irq)), 0L);
	drive_to_driver_ok(test, f);
	/* capacity in the device config: 128 sectors */
	KUNIT_EXPECT_EQ(test, rd(test, f, 0, KVIRTIO_PCI_DEVCFG_OFF, 8), 128ULL);

	/* Write one sector from guest memory, read it back elsewhere. */
	for (i = 0; i < sizeof(out); i++)
		out[i] = i * 7 + 1;
	KUNIT_ASSERT_EQ(test, copy_to_user(guest_ptr(f, D_DATA), out,
					   sizeof(out)), 0UL);
	post_blk(test, f, 0, VIRTIO_BLK_T_OUT, D_DATA, false);
	efd_signal(kick);
	KUNIT_ASSERT_GT(test, efd_wait(trig, 2000), 0ULL);
	KUNIT_EXPECT_EQ(test, used_idx(test, f), 1);
	KUNIT_EXPECT_EQ(test, blk_status(test, f), VIRTIO_BLK_S_OK);
	rd(test, f, 0, KVIRTIO_PCI_ISR_OFF, 1);		/* lower INTx */

	post_blk(test, f, 1, VIRTIO_BLK_T_IN, D_DATA + 0x1000, true);
	efd_signal(kick);
	KUNIT_ASSERT_GT(test, efd_wait(trig, 2000), 0ULL);
	KUNIT_EXPECT_EQ(test, used_idx(test, f), 2);
	KUNIT_EXPECT_EQ(test, blk_status(test, f), VIRTIO_BLK_S_OK);
	KUNIT_ASSERT_EQ(test, copy_from_user(back, guest_ptr(f, D_DATA + 0x1000),
					     sizeof(back)), 0UL);
	KUNIT_EXPECT_EQ(test, memcmp(out, back, sizeof(out)), 0);

	close_dev(f);
	expect_live_back(test, f);
	close_fd_sync(kick);
	close_fd_sync(trig);
}

/* A blk device on file @bfd (closed here), at DRIVER_OK, INTx on @trig. */
static void open_blk(struct kunit *test, struct dfix *f, int bfd, int kick,
		     int trig)
{
	struct kvirtio_create_device a = {
		.argsz = sizeof(a), .type = KVIRTIO_DEV_BLK,
		.queue_size_max = D_QSIZE,
	};

	a.blk.fd = bfd;
	f->fd = create_dev(f, &a, sizeof(a));
	close_fd_sync(bfd);
	KUNIT_ASSERT_GE(test, f->fd, 0);
	f->file = fget(f->fd);
	f->hdev = kvirtio_hdev_from_file(f->file);
	KUNIT_ASSERT_NOT_NULL(test, f->hdev);
	KUNIT_ASSERT_EQ(test, set_kick(f, 0, kick), 0L);
	KUNIT_ASSERT_EQ(test, set_irq(f, KVIRTIO_IRQ_INTX, 0, trig, -1), 0L);
	drive_to_driver_ok(test, f);
}

/* Post request @n, kick, wait for its completion; the status byte. */
static u8 blk_io(struct kunit *test, struct dfix *f, u16 n, u32 type,
		 u64 sector, int kick, int trig)
{
	post_blk_at(test, f, n, type, D_DATA, type == VIRTIO_BLK_T_IN, sector);
	efd_signal(kick);
	KUNIT_EXPECT_GT(test, efd_wait(trig, 2000), 0ULL);
	rd(test, f, 0, KVIRTIO_PCI_ISR_OFF, 1);		/* lower INTx */
	KUNIT_EXPECT_EQ(test, used_idx(test, f), n + 1);
	return blk_status(test, f);
}

static const char * const worker_kinds[] = { "vhost_task", "kthread" };

static void worker_kind_desc(const char * const *kind, char *desc)
{
	strscpy(desc, *kind, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(worker_kind, worker_kinds, worker_kind_desc);

/*
 * The worker does the VMM's file I/O as the VMM: its RLIMIT_FSIZE holds
 * (as do its credentials, quotas and LSM checks, which KUnit cannot set
 * up; the e2e quota scenario covers those).  Before, a kthread with the
 * kernel's credentials and limits wrote past any limit.  Also: the real
 * kiocb path on the VMM's memory serves the requests, not the bounce
 * copy.
 */
static void dev_blk_acts_as_vmm(struct kunit *test)
{
	const char * const *kind = test->param_value;
	bool kthread = !strcmp(*kind, "kthread");
	struct rlimit *rl = &current->signal->rlim[RLIMIT_FSIZE];
	struct dfix *f = test->priv;
	int kick = new_eventfd(test), trig = new_eventfd(test);
	bool old_kind = kvirtio_worker_kthread;
	struct rlimit old_rl = *rl;
	struct kvirtio_blk_file_counts counts;
	int bfd;

	if (!kthread && !kvirtio_workers_have_vhost_task())
		kunit_skip(test, "no vhost_task in this kernel");
	kvirtio_worker_kthread = kthread;
	bfd = blk_backing_fd(test, 1 << 20);
	/* The VMM's limit when its workers start, at DRIVER_OK. */
	task_lock(current->group_leader);
	rl->rlim_cur = 64 << 10;
	task_unlock(current->group_leader);
	open_blk(test, f, bfd, kick, trig);
	KUNIT_EXPECT_EQ(test, kvirtio_workers_uses_vhost_task(&f->hdev->workers),
			!kthread);
	/* Inside the limit, then past it: the VMM itself could not write. */
	KUNIT_EXPECT_EQ(test, blk_io(test, f, 0, VIRTIO_BLK_T_OUT, 0, kick,
				     trig), VIRTIO_BLK_S_OK);
	KUNIT_EXPECT_EQ(test, blk_io(test, f, 1, VIRTIO_BLK_T_OUT, 256, kick,
				     trig), VIRTIO_BLK_S_IOERR);
	KUNIT_EXPECT_EQ(test, blk_io(test, f, 2, VIRTIO_BLK_T_IN, 256, kick,
				     trig), VIRTIO_BLK_S_OK);
	kvirtio_blk_file_get_counts(f->hdev->type_priv, &counts);
	KUNIT_EXPECT_EQ(test, counts.kiocbs, 3ULL);
	KUNIT_EXPECT_EQ(test, counts.pagevecs, 0ULL);
	KUNIT_EXPECT_EQ(test, counts.bounced, 0ULL);

	task_lock(current->group_leader);
	*rl = old_rl;
	task_unlock(current->group_leader);
	kvirtio_worker_kthread = old_kind;
	close_dev(f);
	close_fd_sync(kick);
	close_fd_sync(trig);
	expect_live_back(test, f);
}

/*
 * A device holds its creator's mm struct, not its address space: an fd
 * that escaped to another process must not keep guest RAM alive after
 * the VMM exits (vhost held mm_users; vdpa_sim takes it per work item).
 */
static void dev_mm_not_held(struct kunit *test)
{
	struct dfix *f = test->priv;
	int users = atomic_read(&current->mm->mm_users);

	open_rng(test, f);
	KUNIT_EXPECT_EQ(test, atomic_read(&current->mm->mm_users), users);
	close_dev(f);
	KUNIT_EXPECT_EQ(test, atomic_read(&current->mm->mm_users), users);
	expect_live_back(test, f);
}

/* argsz is capped; GET_STATS fills what the caller knows; union tails. */
static void dev_arg_sizes(struct kunit *test)
{
	struct dfix *f = test->priv;
	struct kvirtio_create_device a = {
		.argsz = sizeof(a), .type = KVIRTIO_DEV_BLK,
	};
	size_t known = offsetofend(struct kvirtio_stats, errors);
	struct kvirtio_stats st;
	int bfd = blk_backing_fd(test, 64 << 10);

	/* A huge argsz is refused before its tail is read. */
	a.argsz = 1U << 30;
	KUNIT_EXPECT_EQ(test, create_dev(f, &a, sizeof(a)), -E2BIG);
	a.argsz = KVIRTIO_ARGSZ_MAX + 1;
	KUNIT_EXPECT_EQ(test, create_dev(f, &a, sizeof(a)), -E2BIG);
	/* The union's bytes past the blk parameters are reserved. */
	a.argsz = sizeof(a);
	a.blk.fd = bfd;
	a.type_params[ARRAY_SIZE(a.type_params) - 1] = 1;
	KUNIT_EXPECT_EQ(test, create_dev(f, &a, sizeof(a)), -EINVAL);
	close_fd_sync(bfd);
	expect_live_back(test, f);

	open_rng(test, f);
	/* An older caller that knows the struct up to @errors. */
	memset(&st, 0xa5, sizeof(st));
	st.argsz = known;
	st.flags = 0;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_GET_STATS, &st,
					sizeof(st)), 0L);
	KUNIT_EXPECT_EQ(test, st.errors, 0ULL);
	KUNIT_EXPECT_EQ(test, st.wakeups, 0xa5a5a5a5a5a5a5a5ULL);
	st.argsz = known - 1;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_GET_STATS, &st,
					sizeof(st)), -EINVAL);
	st.argsz = KVIRTIO_ARGSZ_MAX + 1;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_GET_STATS, &st,
					sizeof(st)), -E2BIG);
	close_dev(f);
	expect_live_back(test, f);
}

/*
 * Closing a device waits for one RCU grace period for all its interrupt
 * eventfds, not one per vector.  Counted where it can be: tiny RCU (UML)
 * advances its counter once per synchronize_rcu() and quiescent state.
 */
static void dev_release_one_grace_period(struct kunit *test)
{
	struct dfix *f = test->priv;
	struct kvirtio_create_device a = {
		.argsz = sizeof(a), .type = KVIRTIO_DEV_BLK,
		.num_queues = KVIRTIO_MAX_QUEUES, .queue_size_max = D_QSIZE,
	};
	int efd[KVIRTIO_MAX_QUEUES + 1];
	unsigned long gp0, gps;
	int bfd, i;

	if (!IS_ENABLED(CONFIG_TINY_RCU))
		kunit_skip(test, "counts grace periods of tiny RCU only");
	bfd = blk_backing_fd(test, 64 << 10);
	a.blk.fd = bfd;
	f->fd = create_dev(f, &a, sizeof(a));
	close_fd_sync(bfd);
	KUNIT_ASSERT_GE(test, f->fd, 0);
	f->file = fget(f->fd);
	f->hdev = kvirtio_hdev_from_file(f->file);
	KUNIT_ASSERT_EQ(test, f->hdev->num_msix, KVIRTIO_MAX_QUEUES + 1);
	for (i = 0; i < ARRAY_SIZE(efd); i++) {
		efd[i] = new_eventfd(test);
		KUNIT_ASSERT_EQ(test, set_irq(f, KVIRTIO_IRQ_MSIX, i, efd[i],
					      -1), 0L);
	}
	mutex_lock(&f->hdev->lock);
	gp0 = get_state_synchronize_rcu();
	kvirtio_irq_release_all(f->hdev);
	gps = (get_state_synchronize_rcu() - gp0) / 2;
	mutex_unlock(&f->hdev->lock);
	KUNIT_EXPECT_LE_MSG(test, gps, 2UL, "%zu vectors", ARRAY_SIZE(efd));
	close_dev(f);
	for (i = 0; i < ARRAY_SIZE(efd); i++)
		close_fd_sync(efd[i]);
	expect_live_back(test, f);
}

/*
 * A VMM that unmaps guest RAM under a live queue (doubt settled): the
 * rings stay readable through their long-term pins, buffer accesses
 * fault, the queue breaks with NEEDS_RESET, and closing releases every
 * pin.  Nothing of the host is touched.
 */
static void dev_guest_ram_unmapped(struct kunit *test)
{
	struct dfix *f = test->priv;
	int kick = new_eventfd(test), trig = new_eventfd(test);
	unsigned int i;

	open_rng(test, f);
	KUNIT_ASSERT_EQ(test, set_kick(f, 0, kick), 0L);
	KUNIT_ASSERT_EQ(test, set_irq(f, KVIRTIO_IRQ_INTX, 0, trig, -1), 0L);
	drive_to_driver_ok(test, f);
	post_buffer(test, f, 0);
	KUNIT_ASSERT_EQ(test, vm_munmap(f->ua + PAGE_SIZE,
					D_RAM_PAGES * PAGE_SIZE), 0);
	efd_signal(kick);
	for (i = 0; i < 2000 && !(rd(test, f, 0, VIRTIO_PCI_COMMON_STATUS, 1) &
				  VIRTIO_CONFIG_S_NEEDS_RESET); i++)
		usleep_range(1000, 2000);
	KUNIT_EXPECT_TRUE(test, rd(test, f, 0, VIRTIO_PCI_COMMON_STATUS, 1) &
			  VIRTIO_CONFIG_S_NEEDS_RESET);
	KUNIT_EXPECT_GT(test, atomic_long_read(&f->hdev->mem.pinned_pages), 0L);
	close_dev(f);
	close_fd_sync(kick);
	close_fd_sync(trig);
	expect_live_back(test, f);
}

static long set_inline(struct dfix *f, u32 on)
{
	struct kvirtio_options o = {
		.argsz = sizeof(o), .flags = KVIRTIO_OPT_INLINE,
		.inline_kicks = on, .inline_requests = 64, .inline_us = 200,
		.inline_bytes = 256 << 10,
	};

	return dev_ioctl(f, KVIRTIO_DEVICE_SET_OPTIONS, &o, sizeof(o));
}

static s64 hstat(struct dfix *f, atomic64_t *c)
{
	return atomic64_read(c);
}

/*
 * Inline kicks (host/inline.c): a kick from a thread of the device's mm
 * queues a pass on that thread, which serves the queue and signals the
 * interrupt before the thread goes back to the guest, without waking the
 * worker.  KUnit runs in a kthread: kvirtio_inline_any_task lets it stand
 * in for a vCPU thread, and task_work_run() is its way back to the guest.
 * Also the lifetimes: a pass that runs after the thread left the mm (a
 * VMM killed with the pass queued runs it after exit_mm()), an exiting
 * thread, and the device fd closed with a pass queued.
 */
static void dev_inline_kick(struct kunit *test)
{
	struct dfix *f = test->priv;
	int kick = new_eventfd(test), trig = new_eventfd(test);
	struct mm_struct *mm = current->mm;
	struct kvirtio_hstats *st;
	long devices0 = atomic_long_read(&kvirtio_live.devices);
	s64 wake0;

	kvirtio_inline_any_task = true;
	open_rng(test, f);
	st = &f->hdev->stats;
	KUNIT_ASSERT_EQ(test, set_kick(f, 0, kick), 0L);
	KUNIT_ASSERT_EQ(test, set_irq(f, KVIRTIO_IRQ_INTX, 0, trig, -1), 0L);
	KUNIT_ASSERT_EQ(test, set_inline(f, 1), 0L);
	drive_to_driver_ok(test, f);
	msleep(20);		/* the DRIVER_OK rescan by the worker */
	wake0 = hstat(f, &st->wakeups);

	/* The kick queues a pass here; it runs on the way "to the guest". */
	post_buffer(test, f, 0);
	efd_signal(kick);
	KUNIT_EXPECT_EQ(test, used_idx(test, f), 0);
	task_work_run();
	KUNIT_EXPECT_EQ(test, used_idx(test, f), 1);
	KUNIT_EXPECT_GT(test, efd_take(trig), 0ULL);
	KUNIT_EXPECT_EQ(test, hstat(f, &st->inline_passes), 1LL);
	KUNIT_EXPECT_EQ(test, hstat(f, &st->wakeups), wake0);
	rd(test, f, 0, KVIRTIO_PCI_ISR_OFF, 1);		/* lower INTx */

	/* Two kicks before the thread returns: one pass serves both. */
	post_buffer(test, f, 1);
	efd_signal(kick);
	post_buffer(test, f, 2);
	efd_signal(kick);
	task_work_run();
	KUNIT_EXPECT_EQ(test, used_idx(test, f), 3);
	KUNIT_EXPECT_EQ(test, hstat(f, &st->inline_passes), 2LL);
	rd(test, f, 0, KVIRTIO_PCI_ISR_OFF, 1);

	/* Inline kicks off: the worker serves. */
	KUNIT_ASSERT_EQ(test, set_inline(f, 0), 0L);
	efd_take(trig);
	post_buffer(test, f, 3);
	efd_signal(kick);
	KUNIT_EXPECT_GT(test, efd_wait(trig, 2000), 0ULL);
	KUNIT_EXPECT_EQ(test, used_idx(test, f), 4);
	KUNIT_EXPECT_EQ(test, hstat(f, &st->inline_passes), 2LL);
	KUNIT_ASSERT_EQ(test, set_inline(f, 1), 0L);
	rd(test, f, 0, KVIRTIO_PCI_ISR_OFF, 1);

	/* The pass runs after the thread left the mm: the worker serves. */
	efd_take(trig);
	post_buffer(test, f, 4);
	efd_signal(kick);
	mmgrab(mm);
	kthread_unuse_mm(mm);
	task_work_run();
	kthread_use_mm(mm);
	mmdrop(mm);
	KUNIT_EXPECT_GT(test, efd_wait(trig, 2000), 0ULL);
	KUNIT_EXPECT_EQ(test, used_idx(test, f), 5);
	KUNIT_EXPECT_EQ(test, hstat(f, &st->inline_passes), 2LL);
	rd(test, f, 0, KVIRTIO_PCI_ISR_OFF, 1);

	/* An exiting thread queues nothing: the worker serves. */
	efd_take(trig);
	post_buffer(test, f, 5);
	current->flags |= PF_EXITING;
	efd_signal(kick);
	current->flags &= ~PF_EXITING;
	KUNIT_EXPECT_FALSE(test, task_work_pending(current));
	KUNIT_EXPECT_GT(test, efd_wait(trig, 2000), 0ULL);
	KUNIT_EXPECT_EQ(test, used_idx(test, f), 6);
	rd(test, f, 0, KVIRTIO_PCI_ISR_OFF, 1);

	/* Closed with a pass queued: the pass keeps the device until it ran. */
	post_buffer(test, f, 6);
	efd_signal(kick);
	close_dev(f);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&kvirtio_live.devices),
			devices0 + 1);
	task_work_run();
	KUNIT_EXPECT_EQ(test, used_idx(test, f), 7);
	flush_delayed_fput();	/* the pass dropped the last reference */
	kvirtio_inline_any_task = false;
	close_fd_sync(kick);
	close_fd_sync(trig);
	expect_live_back(test, f);
}

/*
 * Direct mode's notify: a notify write taken on KVM's bus kicks like an
 * eventfd, without the device mutex (a BAR0 handler may hold it, and KVM
 * calls both inside its SRCU), and is served inline.  Anything but one
 * queue's slot is refused, so the VMM gets the exit.
 */
static void dev_direct_notify(struct kunit *test)
{
	struct dfix *f = test->priv;
	int trig = new_eventfd(test);
	struct kvirtio_hstats *st;
	u64 past;
	u32 mult;

	kvirtio_inline_any_task = true;
	open_rng(test, f);
	st = &f->hdev->stats;
	mult = kvirtio_pci_notify_multiplier(&f->hdev->vp);
	KUNIT_ASSERT_EQ(test, set_irq(f, KVIRTIO_IRQ_INTX, 0, trig, -1), 0L);
	KUNIT_ASSERT_EQ(test, set_inline(f, 1), 0L);
	drive_to_driver_ok(test, f);
	msleep(20);		/* the DRIVER_OK rescan by the worker */

	post_buffer(test, f, 0);
	/* With the config path's lock held: lockdep and a hang would tell. */
	mutex_lock(&f->hdev->lock);
	KUNIT_EXPECT_EQ(test, kvirtio_hdev_direct_notify(f->hdev,
							 KVIRTIO_PCI_NOTIFY_OFF,
							 2), 0);
	mutex_unlock(&f->hdev->lock);
	task_work_run();
	KUNIT_EXPECT_EQ(test, used_idx(test, f), 1);
	KUNIT_EXPECT_GT(test, efd_take(trig), 0ULL);
	KUNIT_EXPECT_EQ(test, hstat(f, &st->direct_kicks), 1LL);
	KUNIT_EXPECT_EQ(test, hstat(f, &st->inline_passes), 1LL);

	/* Not a queue's slot: past the last queue, misaligned, too wide. */
	past = KVIRTIO_PCI_NOTIFY_OFF + f->hdev->vdev->num_queues * mult;
	KUNIT_EXPECT_EQ(test, kvirtio_hdev_direct_notify(f->hdev, past, 2),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, kvirtio_hdev_direct_notify(f->hdev,
							 KVIRTIO_PCI_NOTIFY_OFF + 1,
							 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, kvirtio_hdev_direct_notify(f->hdev,
							 KVIRTIO_PCI_NOTIFY_OFF,
							 8), -EINVAL);
	KUNIT_EXPECT_EQ(test, hstat(f, &st->direct_kicks), 1LL);
	kvirtio_inline_any_task = false;
	close_dev(f);
	close_fd_sync(trig);
	expect_live_back(test, f);
}

/*
 * KVIRTIO_DEVICE_ATTACH_VM: arguments are checked before KVM is looked
 * for; a kernel without KVM (UML) says -EOPNOTSUPP and attaches nothing.
 */
static void dev_attach_vm_args(struct kunit *test)
{
	struct dfix *f = test->priv;
	struct kvirtio_vm_attach a = { .argsz = sizeof(a) };
	int efd;

	if (IS_ENABLED(CONFIG_KVM))
		kunit_skip(test, "the e2e testbed checks a kernel with KVM");
	efd = new_eventfd(test);
	open_rng(test, f);
	a.vm_fd = efd;
	a.flags = 1;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_ATTACH_VM, &a,
					sizeof(a)), -EINVAL);
	a.flags = 0;
	a.reserved = 1;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_ATTACH_VM, &a,
					sizeof(a)), -EINVAL);
	a.reserved = 0;
	a.argsz = sizeof(a) - 8;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_ATTACH_VM, &a,
					sizeof(a)), -EINVAL);
	a.argsz = sizeof(a);
	/* Detaching what is not attached is no error. */
	a.vm_fd = -1;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_ATTACH_VM, &a,
					sizeof(a)), 0L);
	a.vm_fd = efd;
	a.bar_addr[KVIRTIO_PCI_BAR_CFG] = 0x20000;
	KUNIT_EXPECT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_ATTACH_VM, &a,
					sizeof(a)), -EOPNOTSUPP);
	KUNIT_EXPECT_FALSE(test, kvirtio_kvm_attached(f->hdev));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&kvirtio_live.vm_attachments),
			0L);
	close_dev(f);
	close_fd_sync(efd);
	expect_live_back(test, f);
}

/*
 * The inline path against everything the config path and the VMM do at
 * once, on a real device: two "vCPU" threads of the device's mm post
 * buffers and kick (each kick queues a pass on the kicking thread, which
 * runs it in task_work_run(), as KVM's run loop does), with tiny inline
 * bounds so that passes hand queues to the worker, while this thread
 * resets the device and brings it up again, over and over; then closes
 * the device fd while the vCPUs still kick.  Run under KASAN and lockdep
 * by those stages; what it checks here: both kinds of pass ran, every
 * queued pass ran, and every object is released.
 */
struct stress_vcpu {
	struct dfix *f;
	struct mm_struct *mm;
	struct eventfd_ctx *kick;
	struct mutex *ring;	/* the driver's side: one writer at a time */
	u16 *posted;
	unsigned long kicks;
	unsigned long faults;
};

/* The driver posts one more buffer, if the ring has room. */
static void stress_post(struct stress_vcpu *v)
{
	struct dfix *f = v->f;
	struct kvirtio_vring_desc d = {
		.len = cpu_to_le32(64),
		.flags = cpu_to_le16(VRING_DESC_F_WRITE),
	};
	__le16 used, head, idx;
	u16 n, slot;

	mutex_lock(v->ring);
	n = *v->posted;
	slot = n % D_QSIZE;
	d.addr = cpu_to_le64(D_DATA + 64 * slot);
	head = cpu_to_le16(slot);
	idx = cpu_to_le16(n + 1);
	if (copy_from_user(&used, guest_ptr(f, D_USED + 2), 2))
		v->faults++;
	else if ((u16)(n - le16_to_cpu(used)) >= D_QSIZE)
		;	/* full */
	else if (copy_to_user(guest_ptr(f, D_DESC + 16 * slot), &d, sizeof(d)) ||
		 copy_to_user(guest_ptr(f, D_AVAIL + 4 + 2 * slot), &head, 2) ||
		 copy_to_user(guest_ptr(f, D_AVAIL + 2), &idx, 2))
		v->faults++;
	else
		*v->posted = n + 1;
	mutex_unlock(v->ring);
}

static int stress_vcpu_fn(void *data)
{
	struct stress_vcpu *v = data;
	unsigned long i;

	kthread_use_mm(v->mm);
	while (!kthread_should_stop()) {
		/* One to three buffers per kick; two fit one inline pass. */
		for (i = 0; i <= v->kicks % 3; i++)
			stress_post(v);
		kvirtio_irq_signal(v->kick);
		v->kicks++;
		/* Back to the guest: the queued pass runs here. */
		task_work_run();
		if (!(v->kicks % 16))
			usleep_range(20, 80);
	}
	task_work_run();
	kthread_unuse_mm(v->mm);
	return 0;
}

static void dev_inline_stress(struct kunit *test)
{
	struct dfix *f = test->priv;
	int kick = new_eventfd(test), trig = new_eventfd(test);
	struct kvirtio_options o = {
		.argsz = sizeof(o), .flags = KVIRTIO_OPT_INLINE,
		.inline_kicks = 1, .inline_requests = 2, .inline_us = 50,
		.inline_bytes = 4096,
	};
	struct stress_vcpu v[2];
	struct task_struct *t[2];
	struct eventfd_ctx *kctx;
	struct kvirtio_hstats *st;
	unsigned long deadline;
	unsigned int i, resets = 0;
	__le16 zero = 0;
	struct mutex ring;	/* the driver side of the ring */
	u16 posted = 0;
	s64 passes, handoffs, wakeups;

	mutex_init(&ring);
	kvirtio_inline_any_task = true;
	open_rng(test, f);
	st = &f->hdev->stats;
	KUNIT_ASSERT_EQ(test, set_kick(f, 0, kick), 0L);
	KUNIT_ASSERT_EQ(test, set_irq(f, KVIRTIO_IRQ_INTX, 0, trig, -1), 0L);
	KUNIT_ASSERT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_OPTIONS, &o,
					sizeof(o)), 0L);
	drive_to_driver_ok(test, f);
	kctx = eventfd_ctx_fdget(kick);
	KUNIT_ASSERT_FALSE(test, IS_ERR(kctx));
	mmgrab(current->mm);
	for (i = 0; i < 2; i++) {
		v[i] = (struct stress_vcpu){ .f = f, .mm = current->mm,
					     .kick = kctx, .ring = &ring,
					     .posted = &posted };
		t[i] = kthread_run(stress_vcpu_fn, &v[i], "kvt-stress%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t[i]));
	}

	/* The config path: device resets and bring-ups while they kick. */
	deadline = jiffies + 3 * HZ;
	while (time_before(jiffies, deadline)) {
		usleep_range(2000, 4000);
		rd(test, f, 0, KVIRTIO_PCI_ISR_OFF, 1);	/* lower INTx */
		wr(test, f, 0, VIRTIO_PCI_COMMON_STATUS, 0, 1);
		mutex_lock(&ring);
		posted = 0;
		KUNIT_EXPECT_EQ(test, copy_to_user(guest_ptr(f, D_AVAIL + 2),
						   &zero, 2), 0UL);
		KUNIT_EXPECT_EQ(test, copy_to_user(guest_ptr(f, D_USED + 2),
						   &zero, 2), 0UL);
		mutex_unlock(&ring);
		drive_to_driver_ok(test, f);
		resets++;
	}
	passes = hstat(f, &st->inline_passes);
	handoffs = hstat(f, &st->inline_handoffs);
	wakeups = hstat(f, &st->wakeups);

	/* Release while the vCPUs still kick: queued passes hold the file. */
	close_dev(f);
	msleep(50);
	for (i = 0; i < 2; i++)
		kthread_stop(t[i]);
	mmdrop(current->mm);
	eventfd_ctx_put(kctx);
	flush_delayed_fput();
	kvirtio_inline_any_task = false;
	kunit_info(test, "%u resets, %lu+%lu kicks, %lld inline passes (%lld handed over), %lld worker wake-ups",
		   resets, v[0].kicks, v[1].kicks, passes, handoffs, wakeups);
	KUNIT_EXPECT_GT(test, resets, 10U);
	KUNIT_EXPECT_GT(test, passes, 0LL);
	KUNIT_EXPECT_GT(test, handoffs, 0LL);
	KUNIT_EXPECT_GT(test, wakeups, (s64)resets);
	KUNIT_EXPECT_EQ(test, v[0].faults + v[1].faults, 0UL);
	close_fd_sync(kick);
	close_fd_sync(trig);
	expect_live_back(test, f);
}

/*
 * EVENT_IDX with a busy-polling worker, driven like Linux's driver: one
 * buffer at a time, a kick only when vring_need_event() asks for one
 * (avail_event in the used ring), then a wait for the used entry, with
 * pauses that land before, inside and after the worker's poll window.
 * Every request must complete: a kick suppressed while nobody polls
 * hangs it.  How many kicks polling saved is the bench's to measure
 * (kpoll's exits/IO); under UML the guest thread ends every poll window.
 */
static void dev_event_idx_busy_poll(struct kunit *test)
{
	struct dfix *f = test->priv;
	int kick = new_eventfd(test), trig = new_eventfd(test);
	struct kvirtio_options o = {
		.argsz = sizeof(o), .flags = KVIRTIO_OPT_BUSY_POLL,
		.busy_poll_us = 300,
	};
	unsigned int i, kicks = 0, lost = 0;
	unsigned long deadline;
	__le16 ae, used;

	f->features_lo = BIT(VIRTIO_RING_F_EVENT_IDX);
	open_rng(test, f);
	KUNIT_ASSERT_EQ(test, set_kick(f, 0, kick), 0L);
	KUNIT_ASSERT_EQ(test, set_irq(f, KVIRTIO_IRQ_INTX, 0, trig, -1), 0L);
	KUNIT_ASSERT_EQ(test, set_inline(f, 0), 0L);
	KUNIT_ASSERT_EQ(test, dev_ioctl(f, KVIRTIO_DEVICE_SET_OPTIONS, &o,
					sizeof(o)), 0L);
	drive_to_driver_ok(test, f);
	KUNIT_ASSERT_TRUE(test, f->hdev->vdev->queues[0].event_idx);

	for (i = 0; i < 1500 && !lost; i++) {
		struct kvirtio_vring_desc d = {
			.addr = cpu_to_le64(D_DATA + 64 * (i % D_QSIZE)),
			.len = cpu_to_le32(64),
			.flags = cpu_to_le16(VRING_DESC_F_WRITE),
		};
		__le16 head = cpu_to_le16(i % D_QSIZE), idx = cpu_to_le16(i + 1);

		KUNIT_ASSERT_EQ(test, copy_to_user(guest_ptr(f, D_DESC + 16 *
							     (i % D_QSIZE)),
						   &d, sizeof(d)), 0UL);
		KUNIT_ASSERT_EQ(test, copy_to_user(guest_ptr(f, D_AVAIL + 4 + 2 *
							     (i % D_QSIZE)),
						   &head, 2), 0UL);
		smp_mb();	/* the entry before the index */
		KUNIT_ASSERT_EQ(test, copy_to_user(guest_ptr(f, D_AVAIL + 2), &idx,
						   2), 0UL);
		smp_mb();	/* the index before avail_event is read */
		KUNIT_ASSERT_EQ(test, copy_from_user(&ae, guest_ptr(f, D_USED +
							       4 + 8 * D_QSIZE),
						     2), 0UL);
		if (vring_need_event(le16_to_cpu(ae), i + 1, i)) {
			efd_signal(kick);
			kicks++;
		}
		deadline = jiffies + 2 * HZ;
		do {
			KUNIT_ASSERT_EQ(test, copy_from_user(&used,
							     guest_ptr(f, D_USED + 2),
							     2), 0UL);
			if (le16_to_cpu(used) == (u16)(i + 1))
				break;
			usleep_range(20, 40);
		} while (time_before(jiffies, deadline));
		if (le16_to_cpu(used) != (u16)(i + 1))
			lost = i + 1;
		/* The guest's next request: soon, or after the window. */
		usleep_range((i % 7) * 80, (i % 7) * 80 + 20);
	}
	kunit_info(test, "%u requests, %u kicks", i, kicks);
	KUNIT_EXPECT_EQ_MSG(test, lost, 0U, "request %u never completed", lost);
	close_dev(f);
	close_fd_sync(kick);
	close_fd_sync(trig);
	expect_live_back(test, f);
}

static struct kunit_case host_dev_cases[] = {
	KUNIT_CASE(dev_create_errnos),
	KUNIT_CASE(dev_get_info),
	KUNIT_CASE(dev_pio_notify),
	KUNIT_CASE(dev_mem_table_errnos),
	KUNIT_CASE(dev_fd_errnos),
	KUNIT_CASE(dev_fd_roles),
	KUNIT_CASE(dev_options),
	KUNIT_CASE(dev_region_errnos),
	KUNIT_CASE(dev_foreign_mm),
	KUNIT_CASE(dev_rng_end_to_end),
	KUNIT_CASE(dev_rng_msix),
	KUNIT_CASE(dev_reset_releases),
	KUNIT_CASE(dev_blk_create_and_io),
	KUNIT_CASE_PARAM(dev_blk_acts_as_vmm, worker_kind_gen_params),
	KUNIT_CASE(dev_mm_not_held),
	KUNIT_CASE(dev_arg_sizes),
	KUNIT_CASE(dev_release_one_grace_period),
	KUNIT_CASE(dev_guest_ram_unmapped),
	KUNIT_CASE(dev_inline_kick),
	KUNIT_CASE(dev_direct_notify),
	KUNIT_CASE(dev_attach_vm_args),
	KUNIT_CASE_SLOW(dev_inline_stress),
	KUNIT_CASE_SLOW(dev_event_idx_busy_poll),
	{}
};

static struct kunit_suite host_dev_suite = {
	.name = "kvirtio_host_dev",
	.init = dev_test_init,
	.test_cases = host_dev_cases,
};

kunit_test_suite(host_dev_suite);
