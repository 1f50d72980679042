// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio module: /dev/kvirtio, module parameters, debugfs.
 *
 * /dev/kvirtio only creates devices (KVIRTIO_CREATE_DEVICE); each device
 * is its own anon fd (host/device.c) holding a module reference, so the
 * module cannot be removed while a device exists.
 */
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/fs.h>

#include "host/host.h"

unsigned int kvirtio_budget_requests = 256;
module_param_named(budget_requests, kvirtio_budget_requests, uint, 0644);
MODULE_PARM_DESC(budget_requests,
		 "Requests per queue per worker wakeup for new devices (default 256)");

unsigned int kvirtio_budget_kbytes = 512;
module_param_named(budget_kbytes, kvirtio_budget_kbytes, uint, 0644);
MODULE_PARM_DESC(budget_kbytes,
		 "KiB per queue per worker wakeup for new devices (default 512)");

unsigned int kvirtio_busy_poll_us;
module_param_named(busy_poll_us, kvirtio_busy_poll_us, uint, 0644);
MODULE_PARM_DESC(busy_poll_us,
		 "Busy-poll window in microseconds for new devices (default 0: off)");

bool kvirtio_worker_per_queue;
module_param_named(worker_per_queue, kvirtio_worker_per_queue, bool, 0644);
MODULE_PARM_DESC(worker_per_queue,
		 "One worker thread per queue for new devices (default: N, one per device)");

bool kvirtio_inline_kicks = true;
module_param_named(inline_kicks, kvirtio_inline_kicks, bool, 0644);
MODULE_PARM_DESC(inline_kicks,
		 "Serve a kick in the kicking vCPU's thread before it re-enters the guest, for new devices (default: Y)");

unsigned int kvirtio_inline_requests = 64;
module_param_named(inline_requests, kvirtio_inline_requests, uint, 0644);
MODULE_PARM_DESC(inline_requests,
		 "Requests per inline pass for new devices (default 64)");

unsigned int kvirtio_inline_us = 200;
module_param_named(inline_us, kvirtio_inline_us, uint, 0644);
MODULE_PARM_DESC(inline_us,
		 "Microseconds an inline pass may start new work for, for new devices (default 200)");

unsigned int kvirtio_inline_kbytes = 256;
module_param_named(inline_kbytes, kvirtio_inline_kbytes, uint, 0644);
MODULE_PARM_DESC(inline_kbytes,
		 "KiB per inline pass for new devices (default 256); larger requests go to the worker");

bool kvirtio_worker_kthread;
module_param_named(worker_kthread, kvirtio_worker_kthread, bool, 0644);
MODULE_PARM_DESC(worker_kthread,
		 "Kernel threads instead of vhost_tasks of the VMM for new devices' workers, where the kernel has vhost_task (default: N)");

static long kvirtio_misc_ioctl(struct file *file, unsigned int cmd,
			       unsigned long arg)
{
	switch (cmd) {
	case KVIRTIO_GET_API_VERSION:
		return KVIRTIO_API_VERSION;
	case KVIRTIO_CREATE_DEVICE:
		return kvirtio_create_device((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations kvirtio_misc_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = kvirtio_misc_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice kvirtio_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kvirtio",
	.fops = &kvirtio_misc_fops,
	.mode = 0600,
};

static int __init kvirtio_init(void)
{
	int ret;

	kvirtio_debugfs_init();
	ret = misc_register(&kvirtio_misc);
	if (ret) {
		kvirtio_debugfs_exit();
		return ret;
	}
	return 0;
}

static void __exit kvirtio_exit(void)
{
	misc_deregister(&kvirtio_misc);
	kvirtio_debugfs_exit();
}

module_init(kvirtio_init);
module_exit(kvirtio_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kvirtio: in-kernel virtio device backends for KVM guests");
/* KVIRTIO_VERSION comes from ./VERSION through the top-level Kbuild. */
MODULE_VERSION(KVIRTIO_VERSION);
