// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio device fds: creation, ioctls, the pread/pwrite regions and
 * teardown.
 *
 * Every entry point checks that the caller runs in the mm that created the
 * device, then takes the device mutex, which serializes the transport's
 * config path.  Processing is paused around every config-path write so
 * that the transport may set up, reset and tear down queues with no pass
 * running, as the engine requires; the pause waits killably for at most
 * one budgeted pass.  Notify writes (the slow path of a kick) go straight
 * to the transport's data-path entry.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "host.h"
#include "trace.h"
#include "../devices/net.h"

#define KVIRTIO_REGION_OFF_MASK	(KVIRTIO_REGION_OFFSET(1) - 1)

static DEFINE_IDA(kvirtio_ida);

/* Protects kvirtio_devices, the list debugfs walks. */
DEFINE_MUTEX(kvirtio_devices_lock);
LIST_HEAD(kvirtio_devices);

static const struct file_operations kvirtio_hdev_fops;

struct kvirtio_hdev *kvirtio_hdev_from_file(struct file *file)
{
	if (!file || file->f_op != &kvirtio_hdev_fops)
		return NULL;
	return file->private_data;
}

/*
 * A queue has work: served in the kicking thread when that is a thread of
 * the VMM and inline kicks are on (host/inline.c), else by its worker.
 */
static void hdev_kick(struct kvirtio_device *vdev, u16 qid)
{
	struct kvirtio_hdev *hdev = vdev->host_priv;

	if (qid < KVIRTIO_MAX_QUEUES && kvirtio_inline_kick(hdev, qid))
		return;
	kvirtio_workers_kick(&hdev->workers, qid);
}

static const struct kvirtio_host_ops kvirtio_hdev_host_ops = {
	.kick = hdev_kick,
};

/* ---- argument helpers ------------------------------------------------ */

/*
 * KVIRTIO_ARGSZ_MAX bounds argsz: every argument is far smaller, and a
 * larger struct's unknown tail is read through to check it is zero.
 */

/* Read an argument's argsz: -EINVAL below @minsz, -E2BIG above the cap. */
static int get_argsz(const void __user *uarg, size_t minsz, u32 *argsz)
{
	if (get_user(*argsz, (const u32 __user *)uarg))
		return -EFAULT;
	if (*argsz < minsz)
		return -EINVAL;
	return *argsz > KVIRTIO_ARGSZ_MAX ? -E2BIG : 0;
}

/*
 * Copy an argsz-prefixed input struct: @minsz is the first version's size.
 * A larger user struct is accepted when the unknown tail is zero.
 */
int kvirtio_get_arg(void *dst, size_t size, size_t minsz,
		    const void __user *uarg)
{
	u32 argsz;
	int ret;

	ret = get_argsz(uarg, minsz, &argsz);
	if (ret)
		return ret;
	return copy_struct_from_user(dst, size, uarg, argsz);
}

static bool all_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

/* ---- the config path around the transport ---------------------------- */

/* Before a config write: no pass may run.  0 or -EINTR. */
static int hdev_config_begin(struct kvirtio_hdev *hdev)
{
	lockdep_assert_held(&hdev->lock);
	return kvirtio_workers_pause(&hdev->workers);
}

/*
 * After a config write: processing follows DRIVER_OK.  The threads are
 * made at the first DRIVER_OK and kept across resets.
 */
static void hdev_config_end(struct kvirtio_hdev *hdev)
{
	bool live = READ_ONCE(hdev->vp.status) & VIRTIO_CONFIG_S_DRIVER_OK;
	struct kvirtio_workers *ws = &hdev->workers;

	lockdep_assert_held(&hdev->lock);
	if (live && !ws->enabled) {
		if (kvirtio_workers_start(ws)) {
			atomic64_inc(&hdev->stats.errors);
			pr_warn_ratelimited("kvirtio-%d: cannot start workers\n",
					    hdev->id);
			/* Tell the driver rather than leave it waiting. */
			kvirtio_device_needs_reset(hdev->vdev);
		}
	} else if (!live && ws->enabled) {
		kvirtio_workers_disable(ws);
	}
	kvirtio_workers_resume(ws);
}

/* ---- regions --------------------------------------------------------- */

static bool hdev_is_notify(struct kvirtio_hdev *hdev, u32 index, u64 off,
			   u32 len)
{
	u64 mult = kvirtio_pci_notify_multiplier(&hdev->vp);
	u64 base = KVIRTIO_PCI_NOTIFY_OFF;
	u64 end = base + (hdev->vdev->num_queues - 1) * mult + 2;

	if (index != KVIRTIO_PCI_BAR_NOTIFY &&
	    !(index == KVIRTIO_PCI_BAR_PIO_NOTIFY && hdev->vp.pio_notify_size))
		return false;
	return off >= base && off + len <= end;
}

/**
 * kvirtio_hdev_access - one guest access to a region of the device
 * @hdev: the device
 * @index: KVIRTIO_REGION_* (a BAR register index or the config space)
 * @off: offset in the region
 * @data: the bytes, in guest (little-endian) order; filled for a read
 * @count: access width: 1, 2, 4 or 8 for BARs, 1, 2 or 4 for config space
 * @write: a guest write
 *
 * Forwarded by the VMM (kvirtio_hdev_rw()) or, in direct mode, taken from
 * KVM's bus in the vCPU's exit (kvm_bus.c).  Sleeps: the device mutex,
 * and for config writes the pause of processing.
 *
 * Return: 0; -EINVAL for a missing region, a bad width, a misaligned BAR
 * access or one past the region; -EINTR when a fatal signal interrupted
 * the wait for the device lock or for processing to pause (the write was
 * then not done).
 */
int kvirtio_hdev_access(struct kvirtio_hdev *hdev, u64 index, u64 off,
			u8 *data, u32 count, bool write)
{
	bool notify = false;
	u64 size;

	if (count != 1 && count != 2 && count != 4 && count != 8)
		return -EINVAL;
	if (index == KVIRTIO_REGION_CONFIG) {
		if (count > 4 || off + count > KVIRTIO_PCI_CFG_SIZE)
			return -EINVAL;
	} else if (index < KVIRTIO_PCI_NUM_BARS) {
		size = kvirtio_pci_bar_size(&hdev->vp, index);
		if (!size || off >= size || count > size - off ||
		    (off & (count - 1)))
			return -EINVAL;
		notify = write && hdev_is_notify(hdev, index, off, count);
	} else {
		return -EINVAL;
	}

	if (mutex_lock_killable(&hdev->lock))
		return -EINTR;
	if (write && !notify && hdev_config_begin(hdev)) {
		mutex_unlock(&hdev->lock);
		return -EINTR;
	}
	if (index == KVIRTIO_REGION_CONFIG) {
		if (write) {
			u32 val = 0;

			memcpy(&val, data, count);
			kvirtio_pci_config_write(&hdev->vp, off, count,
						 le32_to_cpu((__force __le32)val));
			hdev_config_end(hdev);
		} else {
			__le32 val = cpu_to_le32(kvirtio_pci_config_read(&hdev->vp,
									 off, count));

			memcpy(data, &val, count);
		}
	} else if (!write) {
		/* A refused read (decoding off) gives the guest all-ones. */
		kvirtio_pci_bar_read(&hdev->vp, index, off, data, count);
	} else if (notify) {
		u32 mult = max(1U, kvirtio_pci_notify_multiplier(&hdev->vp));

		atomic64_inc(&hdev->stats.kicks);
		trace_kvirtio_kick(hdev->id, div_u64(off, mult),
				   KVIRTIO_KICK_MMIO);
		kvirtio_pci_bar_write(&hdev->vp, index, off, data, count);
	} else {
		kvirtio_pci_bar_write(&hdev->vp, index, off, data, count);
		hdev_config_end(hdev);
	}
	mutex_unlock(&hdev->lock);
	return 0;
}

/**
 * kvirtio_hdev_direct_notify - a notify write taken on KVM's bus
 * @hdev: the device
 * @off: offset in the notify BAR (MMIO or port)
 * @len: access width
 *
 * Like a kick eventfd: no lock, any context that may queue a task_work.
 * Return: 0 when taken; -EINVAL for an access that is not one queue's
 * notify slot (the caller lets the VMM have it).
 */
int kvirtio_hdev_direct_notify(struct kvirtio_hdev *hdev, u64 off, u32 len)
{
	u32 mult = kvirtio_pci_notify_multiplier(&hdev->vp);
	u64 qid;

	if (off < KVIRTIO_PCI_NOTIFY_OFF || len > 4 || !mult)
		return -EINVAL;
	off -= KVIRTIO_PCI_NOTIFY_OFF;
	qid = div_u64(off, mult);
	if (off % mult || qid >= hdev->vdev->num_queues)
		return -EINVAL;
	atomic64_inc(&hdev->stats.kicks);
	atomic64_inc(&hdev->stats.direct_kicks);
	trace_kvirtio_kick(hdev->id, qid, KVIRTIO_KICK_DIRECT);
	kvirtio_pci_notify(&hdev->vp, qid);
	return 0;
}

/**
 * kvirtio_hdev_rw - one guest access forwarded by the VMM
 * @hdev: the device
 * @buf: the bytes, in guest (little-endian) order
 * @count: access width (see kvirtio_hdev_access())
 * @pos: KVIRTIO_REGION_OFFSET(index) + offset
 * @write: a guest write
 *
 * Return: @count; -EPERM from another mm; -EFAULT; the errors of
 * kvirtio_hdev_access().
 */
ssize_t kvirtio_hdev_rw(struct kvirtio_hdev *hdev, char __user *buf,
			size_t count, loff_t pos, bool write)
{
	u64 index = (u64)pos >> KVIRTIO_REGION_SHIFT;
	u64 off = (u64)pos & KVIRTIO_REGION_OFF_MASK;
	u8 data[8];
	int ret;

	if (current->mm != hdev->mm)
		return -EPERM;
	if (pos < 0 || count > sizeof(data))
		return -EINVAL;
	if (write && copy_from_user(data, buf, count))
		return -EFAULT;
	ret = kvirtio_hdev_access(hdev, index, off, data, count, write);
	if (ret)
		return ret;
	if (!write && copy_to_user(buf, data, count))
		return -EFAULT;
	return count;
}

static ssize_t hdev_read(struct file *file, char __user *buf, size_t count,
			 loff_t *ppos)
{
	return kvirtio_hdev_rw(file->private_data, buf, count, *ppos, false);
}

static ssize_t hdev_write(struct file *file, const char __user *buf,
			  size_t count, loff_t *ppos)
{
	return kvirtio_hdev_rw(file->private_data, (char __user *)buf, count,
			       *ppos, true);
}

/* ---- ioctls ---------------------------------------------------------- */

static long hdev_get_info(struct kvirtio_hdev *hdev, void __user *uarg)
{
	struct kvirtio_device_info info = {};
	struct kvirtio_pci_layout lay;
	u32 argsz, flags;
	unsigned int i;
	int ret;

	ret = get_argsz(uarg, offsetof(struct kvirtio_device_info,
				       pio_notify_bar), &argsz);
	if (ret)
		return ret;
	if (get_user(flags, (u32 __user *)uarg + 1))
		return -EFAULT;
	if (flags)
		return -EINVAL;

	kvirtio_pci_get_layout(&hdev->vp, &lay);
	info.argsz = argsz;
	info.flags = KVIRTIO_INFO_F_MSIX;
	if (kvirtio_pci_dev_get8(&hdev->vp.pdev, KVIRTIO_PCI_INTERRUPT_PIN))
		info.flags |= KVIRTIO_INFO_F_INTX;
	info.device_id = hdev->vdev->device_id;
	info.num_queues = lay.num_queues;
	info.queue_size_max = hdev->vdev->queue_size_max;
	info.num_msix = lay.num_msix;
	info.notify_bar = lay.notify_bar;
	info.notify_off_multiplier = lay.notify_off_multiplier;
	info.msix_bar = lay.msix_bar;
	info.notify_offset = lay.notify_offset;
	info.msix_table_offset = lay.msix_table_offset;
	info.msix_pba_offset = lay.msix_pba_offset;
	for (i = 0; i < KVIRTIO_PCI_NUM_BARS; i++) {
		if (!lay.bar_size[i])
			continue;
		info.regions[i].flags = KVIRTIO_REGION_F_READ |
					KVIRTIO_REGION_F_WRITE;
		if (kvirtio_pci_dev_bar_is_io(&hdev->vp.pdev, i))
			info.regions[i].flags |= KVIRTIO_REGION_F_IO;
		else if (kvirtio_pci_dev_bar_is_64(&hdev->vp.pdev, i))
			info.regions[i].flags |= KVIRTIO_REGION_F_MEM64;
		info.regions[i].size = lay.bar_size[i];
		info.regions[i].offset = KVIRTIO_REGION_OFFSET(i);
	}
	info.regions[KVIRTIO_REGION_CONFIG].flags = KVIRTIO_REGION_F_READ |
						    KVIRTIO_REGION_F_WRITE;
	info.regions[KVIRTIO_REGION_CONFIG].size = KVIRTIO_PCI_CFG_SIZE;
	info.regions[KVIRTIO_REGION_CONFIG].offset =
		KVIRTIO_REGION_OFFSET(KVIRTIO_REGION_CONFIG);
	if (lay.pio_notify) {
		info.flags |= KVIRTIO_INFO_F_PIO_NOTIFY;
		info.pio_notify_bar = lay.pio_notify_bar;
		info.pio_notify_off_multiplier = lay.pio_notify_off_multiplier;
		info.pio_notify_offset = lay.pio_notify_offset;
	}

	if (copy_to_user(uarg, &info, min_t(size_t, argsz, sizeof(info))))
		return -EFAULT;
	return 0;
}

static long hdev_set_mem_table(struct kvirtio_hdev *hdev, void __user *uarg)
{
	struct kvirtio_mem_table __user *ut = uarg;
	struct kvirtio_mem_region *regs = NULL;
	struct kvirtio_mem_table hdr;
	size_t need;
	long ret;

	if (copy_from_user(&hdr, ut, sizeof(hdr)))
		return -EFAULT;
	if (hdr.argsz < sizeof(hdr) || hdr.flags || hdr.reserved)
		return -EINVAL;
	if (hdr.argsz > KVIRTIO_ARGSZ_MAX)
		return -E2BIG;
	if (hdr.nregions > KVIRTIO_MEM_REGIONS_MAX)
		return -E2BIG;
	need = struct_size(&hdr, regions, hdr.nregions);
	if (hdr.argsz < need)
		return -EINVAL;
	if (hdr.nregions) {
		regs = memdup_user(ut->regions,
				   array_size(hdr.nregions, sizeof(*regs)));
		if (IS_ERR(regs))
			return PTR_ERR(regs);
	}
	ret = kvirtio_kmem_set_table(&hdev->mem, regs, hdr.nregions);
	kfree(regs);
	return ret;
}

static long hdev_set_kick_fd(struct kvirtio_hdev *hdev, void __user *uarg)
{
	struct kvirtio_queue_fd a;
	int ret;

	ret = kvirtio_get_arg(&a, sizeof(a), sizeof(a), uarg);
	if (ret)
		return ret;
	if (a.flags || a.reserved || a.index >= hdev->vdev->num_queues)
		return -EINVAL;
	if (a.fd < -1)
		return -EBADF;
	if (a.fd == -1) {
		kvirtio_kick_detach(hdev, a.index);
		return 0;
	}
	return kvirtio_kick_attach(hdev, a.index, a.fd);
}

static long hdev_set_irq_fd(struct kvirtio_hdev *hdev, void __user *uarg)
{
	struct kvirtio_irq_fd a;
	int ret;

	ret = kvirtio_get_arg(&a, sizeof(a), sizeof(a), uarg);
	if (ret)
		return ret;
	if (a.flags || a.reserved)
		return -EINVAL;
	return kvirtio_irq_set(hdev, &a);
}

static long hdev_set_options(struct kvirtio_hdev *hdev, void __user *uarg)
{
	struct kvirtio_workers *ws = &hdev->workers;
	struct kvirtio_options o;
	int ret;

	ret = kvirtio_get_arg(&o, sizeof(o), sizeof(o), uarg);
	if (ret)
		return ret;
	if (o.flags & ~KVIRTIO_OPT_ALL)
		return -EINVAL;
	if (o.flags & KVIRTIO_OPT_INLINE) {
		if (o.inline_kicks > 1 || !o.inline_requests ||
		    o.inline_requests > KVIRTIO_INLINE_REQUESTS_MAX ||
		    !o.inline_us || o.inline_us > KVIRTIO_INLINE_US_MAX ||
		    o.inline_bytes < KVIRTIO_BUDGET_BYTES_MIN ||
		    o.inline_bytes > KVIRTIO_INLINE_BYTES_MAX)
			return -EINVAL;
	} else if (o.inline_kicks || o.inline_requests || o.inline_us ||
		   o.inline_bytes) {
		return -EINVAL;
	}
	if (o.flags & KVIRTIO_OPT_BUSY_POLL) {
		if (o.busy_poll_us > KVIRTIO_BUSY_POLL_US_MAX)
			return -EINVAL;
	} else if (o.busy_poll_us) {
		return -EINVAL;
	}
	if (o.flags & KVIRTIO_OPT_BUDGET) {
		if (!o.budget_requests ||
		    o.budget_requests > KVIRTIO_BUDGET_REQUESTS_MAX ||
		    o.budget_bytes < KVIRTIO_BUDGET_BYTES_MIN ||
		    o.budget_bytes > KVIRTIO_BUDGET_BYTES_MAX)
			return -EINVAL;
	} else if (o.budget_requests || o.budget_bytes) {
		return -EINVAL;
	}
	if (o.flags & KVIRTIO_OPT_WORKER_PER_QUEUE) {
		if (o.worker_per_queue > 1)
			return -EINVAL;
		/* The threads are made once: their layout is fixed then. */
		if (ws->nr && !!o.worker_per_queue != ws->opts.per_queue)
			return -EBUSY;
	} else if (o.worker_per_queue) {
		return -EINVAL;
	}

	/* Validated: apply everything. */
	if (o.flags & KVIRTIO_OPT_BUSY_POLL)
		WRITE_ONCE(ws->opts.busy_poll_us, o.busy_poll_us);
	if (o.flags & KVIRTIO_OPT_BUDGET) {
		WRITE_ONCE(ws->opts.budget_requests, o.budget_requests);
		WRITE_ONCE(ws->opts.budget_bytes, o.budget_bytes);
	}
	if (o.flags & KVIRTIO_OPT_WORKER_PER_QUEUE)
		ws->opts.per_queue = o.worker_per_queue;
	if (o.flags & KVIRTIO_OPT_INLINE) {
		WRITE_ONCE(ws->opts.inline_requests, o.inline_requests);
		WRITE_ONCE(ws->opts.inline_us, o.inline_us);
		WRITE_ONCE(ws->opts.inline_bytes, o.inline_bytes);
		WRITE_ONCE(ws->opts.inline_kicks, o.inline_kicks);
	}
	return 0;
}

/*
 * As documented in the UAPI: a caller that knows the struct only up to
 * @errors gets that much, a newer one gets everything this kernel has.
 */
static long hdev_get_stats(struct kvirtio_hdev *hdev, void __user *uarg)
{
	struct kvirtio_stats st = {};
	u32 argsz, flags;
	int ret;

	ret = get_argsz(uarg, offsetofend(struct kvirtio_stats, errors),
			&argsz);
	if (ret)
		return ret;
	if (get_user(flags, (u32 __user *)uarg + 1))
		return -EFAULT;
	if (flags)
		return -EINVAL;
	kvirtio_stats_fill(hdev, &st);
	st.argsz = argsz;
	if (copy_to_user(uarg, &st, min_t(size_t, argsz, sizeof(st))))
		return -EFAULT;
	return 0;
}

/* Net devices only: the link status in config space, with an interrupt. */
static long hdev_set_link(struct kvirtio_hdev *hdev, void __user *uarg)
{
	struct kvirtio_net_link a;
	int ret;

	if (hdev->type->type != KVIRTIO_DEV_NET)
		return -ENOTTY;
	ret = kvirtio_get_arg(&a, sizeof(a), sizeof(a), uarg);
	if (ret)
		return ret;
	if (a.flags || a.reserved || a.up > 1)
		return -EINVAL;
	kvirtio_net_set_link(hdev->vdev, a.up);
	return 0;
}

static long hdev_reset(struct kvirtio_hdev *hdev)
{
	if (hdev_config_begin(hdev))
		return -EINTR;
	kvirtio_pci_function_reset(&hdev->vp);
	hdev_config_end(hdev);
	return 0;
}

/**
 * kvirtio_hdev_ioctl - one device-fd ioctl
 * @hdev: the device
 * @cmd: KVIRTIO_DEVICE_*
 * @argp: user argument
 *
 * Return: see Documentation/userspace-api.rst; -EPERM from another mm,
 * -ENOTTY for an unknown command.
 */
long kvirtio_hdev_ioctl(struct kvirtio_hdev *hdev, unsigned int cmd,
			void __user *argp)
{
	long ret;

	if (current->mm != hdev->mm)
		return -EPERM;
	/* Waits for KVM's SRCU, which BAR0 handlers wait on @lock inside. */
	if (cmd == KVIRTIO_DEVICE_ATTACH_VM)
		return kvirtio_kvm_attach_ioctl(hdev, argp);
	if (mutex_lock_killable(&hdev->lock))
		return -EINTR;
	switch (cmd) {
	case KVIRTIO_DEVICE_GET_INFO:
		ret = hdev_get_info(hdev, argp);
		break;
	case KVIRTIO_DEVICE_SET_MEM_TABLE:
		ret = hdev_set_mem_table(hdev, argp);
		break;
	case KVIRTIO_DEVICE_SET_KICK_FD:
		ret = hdev_set_kick_fd(hdev, argp);
		break;
	case KVIRTIO_DEVICE_SET_IRQ_FD:
		ret = hdev_set_irq_fd(hdev, argp);
		break;
	case KVIRTIO_DEVICE_SET_OPTIONS:
		ret = hdev_set_options(hdev, argp);
		break;
	case KVIRTIO_DEVICE_GET_STATS:
		ret = hdev_get_stats(hdev, argp);
		break;
	case KVIRTIO_DEVICE_RESET:
		ret = hdev_reset(hdev);
		break;
	case KVIRTIO_DEVICE_SET_LINK:
		ret = hdev_set_link(hdev, argp);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	mutex_unlock(&hdev->lock);
	return ret;
}

static long hdev_unlocked_ioctl(struct file *file, unsigned int cmd,
				unsigned long arg)
{
	return kvirtio_hdev_ioctl(file->private_data, cmd,
				  (void __user *)arg);
}

/* ---- lifetime ------------------------------------------------------- */

static void hdev_free(struct kvirtio_hdev *hdev)
{
	kvirtio_kmem_destroy(&hdev->mem);
	ida_free(&kvirtio_ida, hdev->id);
	kfree(hdev->msix);
	mutex_destroy(&hdev->lock);
	mutex_destroy(&hdev->attach_lock);
	kfree(hdev);
	atomic_long_dec(&kvirtio_live.devices);
}

/*
 * Teardown order: no new kicks (eventfd hooks off), no processing
 * (workers stopped), device reset by the transport (queue_disable
 * completes or cancels in-flight requests, then the rings are unmapped
 * and unpinned), no interrupt eventfds, device freed, memory table and
 * mm dropped.
 */
static int hdev_release(struct inode *inode, struct file *file)
{
	struct kvirtio_hdev *hdev = file->private_data;
	u16 q;

	/* First: no vCPU reaches the device through KVM's buses after it. */
	kvirtio_kvm_detach(hdev);
	kvirtio_debugfs_remove(hdev);
	mutex_lock(&kvirtio_devices_lock);
	list_del(&hdev->node);
	mutex_unlock(&kvirtio_devices_lock);

	mutex_lock(&hdev->lock);
	for (q = 0; q < hdev->vdev->num_queues; q++)
		kvirtio_kick_detach(hdev, q);
	kvirtio_workers_destroy(&hdev->workers);
	kvirtio_pci_destroy(&hdev->vp);
	kvirtio_irq_release_all(hdev);
	hdev->type->destroy(hdev->vdev, hdev->type_priv);
	hdev->vdev = NULL;
	hdev->type_priv = NULL;
	mutex_unlock(&hdev->lock);

	hdev_free(hdev);
	return 0;
}

static const struct file_operations kvirtio_hdev_fops = {
	.owner = THIS_MODULE,
	.release = hdev_release,
	.read = hdev_read,
	.write = hdev_write,
	.unlocked_ioctl = hdev_unlocked_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/**
 * kvirtio_check_create_args - the checks common to every device type
 * @a: creation arguments
 *
 * Return: 0, or -EINVAL for an unknown flag, a non-zero reserved field,
 * too many queues or a queue size that is not a power of two in range.
 */
int kvirtio_check_create_args(const struct kvirtio_create_device *a)
{
	if ((a->flags & ~KVIRTIO_CREATE_F_PIO_NOTIFY) ||
	    a->reserved0 || a->reserved1 ||
	    !all_zero(a->reserved, sizeof(a->reserved)))
		return -EINVAL;
	if (a->num_queues > KVIRTIO_MAX_QUEUES)
		return -EINVAL;
	if (a->queue_size_max && (!is_power_of_2(a->queue_size_max) ||
				  a->queue_size_max > KVIRTIO_QUEUE_SIZE_MAX))
		return -EINVAL;
	return 0;
}

/**
 * kvirtio_create_device - KVIRTIO_CREATE_DEVICE
 * @uarg: struct kvirtio_create_device in user memory
 *
 * Return: a new O_CLOEXEC device fd; -EINVAL for a bad argument; -E2BIG
 * for a larger struct with non-zero unknown bytes; -ENODEV for an unknown
 * device type; -EPERM without a user mm; errors of the type's
 * constructor (-EBADF for a bad backing fd...); -ENOMEM; -EMFILE.
 */
long kvirtio_create_device(const struct kvirtio_create_device __user *uarg)
{
	struct file *files[KVIRTIO_TYPE_FILES_MAX] = {};
	const struct kvirtio_hdev_type *type;
	struct kvirtio_create_device args;
	struct kvirtio_hdev *hdev;
	struct file *file;
	int ret, fd, nfiles;

	ret = kvirtio_get_arg(&args, sizeof(args), sizeof(args), uarg);
	if (ret)
		return ret;
	ret = kvirtio_check_create_args(&args);
	if (ret)
		return ret;
	type = kvirtio_hdev_type_find(args.type);
	if (!type)
		return -ENODEV;
	if (!current->mm)
		return -EPERM;

	hdev = kzalloc(sizeof(*hdev), GFP_KERNEL_ACCOUNT);
	if (!hdev)
		return -ENOMEM;
	ret = ida_alloc(&kvirtio_ida, GFP_KERNEL);
	if (ret < 0) {
		kfree(hdev);
		return ret;
	}
	hdev->id = ret;
	hdev->type = type;
	/*
	 * The struct only (kvirtio_kmem_init grabs it), not the address
	 * space: an fd that outlives its VMM must not keep guest RAM alive.
	 * Whoever touches user memory takes a user reference or runs in it.
	 */
	hdev->mm = current->mm;
	kvirtio_kmem_init(&hdev->mem, hdev->mm);
	mutex_init(&hdev->lock);
	mutex_init(&hdev->attach_lock);
	INIT_LIST_HEAD(&hdev->node);
	kvirtio_intx_init(hdev);
	kvirtio_inline_init(hdev);
	atomic_long_inc(&kvirtio_live.devices);

	nfiles = type->get_files(&args, files);
	if (nfiles < 0) {
		ret = nfiles;
		goto err_free;
	}
	ret = type->create(&args, files, &hdev->vdev, &hdev->type_priv);
	kvirtio_type_put_files(files, nfiles);
	if (ret)
		goto err_free;
	hdev->vdev->mem = &hdev->mem.gmem;
	hdev->vdev->host = &kvirtio_hdev_host_ops;
	hdev->vdev->host_priv = hdev;
	/* Vectors: num_queues + 1, as kvirtio_irq_release_all() expects. */
	if (hdev->vdev->num_queues > KVIRTIO_MAX_QUEUES) {
		ret = -EINVAL;
		goto err_type;
	}
	ret = kvirtio_pci_init(&hdev->vp, hdev->vdev,
			       (args.flags & KVIRTIO_CREATE_F_PIO_NOTIFY) ?
			       KVIRTIO_PCI_F_PIO_NOTIFY : 0,
			       &kvirtio_host_pci_ops, hdev);
	if (ret)
		goto err_type;
	hdev->msix = kcalloc(kvirtio_pci_msix_vectors(&hdev->vp),
			     sizeof(*hdev->msix), GFP_KERNEL_ACCOUNT);
	if (!hdev->msix) {
		ret = -ENOMEM;
		goto err_pci;
	}
	hdev->num_msix = kvirtio_pci_msix_vectors(&hdev->vp);
	kvirtio_workers_init(&hdev->workers, hdev->vdev, hdev->mm,
			     &hdev->stats, hdev->id);
	if (type->worker_kicks)
		hdev->workers.opts.inline_kicks = false;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_pci;
	}
	/* Holds a module reference through fops->owner until release. */
	file = anon_inode_getfile("[kvirtio]", &kvirtio_hdev_fops, hdev,
				  O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		ret = PTR_ERR(file);
		goto err_pci;
	}
	file->f_mode |= FMODE_PREAD | FMODE_PWRITE;
	hdev->file = file;

	mutex_lock(&kvirtio_devices_lock);
	list_add_tail(&hdev->node, &kvirtio_devices);
	mutex_unlock(&kvirtio_devices_lock);
	kvirtio_debugfs_add(hdev);
	fd_install(fd, file);
	return fd;

err_pci:
	kvirtio_pci_destroy(&hdev->vp);
err_type:
	type->destroy(hdev->vdev, hdev->type_priv);
err_free:
	hdev_free(hdev);
	return ret;
}
