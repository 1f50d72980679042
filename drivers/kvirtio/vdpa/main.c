// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio vDPA front end (kvirtio_vdpa.ko): module init, the control
 * device /dev/kvirtio-vdpa, the registry of recorded devices and the vDPA
 * management device "kvirtio".
 *
 * Lifetime of one device:
 *   KVIRTIO_VDPA_CREATE: arguments checked, the files they name taken
 *	(our references), the device built once and freed again to prove the
 *	arguments, then recorded under its name (struct kvdpa_entry)
 *   "vdpa dev add name NAME mgmtdev kvirtio" (dev_add): a vDPA device
 *	allocated, the kvirtio device built from the entry
 *	(kvdpa_dev_build()), registered on the vDPA bus
 *   "vdpa dev del NAME" (dev_del): unregistered; the entry forgets it; the
 *	vDPA device's release (kvdpa_config_ops.free) frees the kvirtio
 *	device once the last reference goes
 *   KVIRTIO_VDPA_DESTROY: the entry and its files are dropped (-EBUSY
 *	while the device is on the bus)
 *   module exit: no new command, every device of the management device
 *	deleted, their releases waited for, every entry dropped
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/ctype.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <uapi/linux/virtio_ids.h>

#include "kvdpa.h"

/* Protects kvdpa_entries, kvdpa_nr and every entry's @dev. */
static DEFINE_MUTEX(kvdpa_lock);
static LIST_HEAD(kvdpa_entries);
static unsigned int kvdpa_nr;

/* vDPA devices allocated and not yet released (module exit waits). */
static atomic_t kvdpa_live_devs = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(kvdpa_free_wq);

static struct device *kvdpa_root;

/* Called at the end of every vDPA device's release. */
void kvdpa_dev_freed(void)
{
	if (atomic_dec_and_test(&kvdpa_live_devs))
		wake_up(&kvdpa_free_wq);
}

/* Caller holds kvdpa_lock. */
static struct kvdpa_entry *entry_find(const char *name)
{
	struct kvdpa_entry *e;

	lockdep_assert_held(&kvdpa_lock);
	list_for_each_entry(e, &kvdpa_entries, node)
		if (!strcmp(e->name, name))
			return e;
	return NULL;
}

static void entry_free(struct kvdpa_entry *e)
{
	kvirtio_type_put_files(e->files, e->nfiles);
	put_cred(e->cred);
	kfree(e);
}

/* ---- management device ---------------------------------------------- */

static int kvdpa_dev_add(struct vdpa_mgmt_dev *mdev, const char *name,
			 const struct vdpa_dev_set_config *config)
{
	struct kvdpa_entry *e;
	struct kvdpa_dev *d;
	int ret;

	/* No vDPA attribute applies: the device was described at create. */
	if (config->mask)
		return -EOPNOTSUPP;
	mutex_lock(&kvdpa_lock);
	e = entry_find(name);
	if (!e) {
		mutex_unlock(&kvdpa_lock);
		pr_info_ratelimited("kvirtio_vdpa: no device named %s: create it with kvirtio-vdpa add first\n",
				    name);
		return -ENOENT;
	}
	if (e->dev) {
		mutex_unlock(&kvdpa_lock);
		return -EEXIST;
	}
	d = vdpa_alloc_device(struct kvdpa_dev, vdpa, kvdpa_root,
			      &kvdpa_config_ops, 1, 1, name, false);
	if (IS_ERR(d)) {
		mutex_unlock(&kvdpa_lock);
		return PTR_ERR(d);
	}
	atomic_inc(&kvdpa_live_devs);
	ret = kvdpa_dev_build(d, e);
	if (ret)
		goto err_put;
	/* Claimed: KVIRTIO_VDPA_DESTROY now says -EBUSY. */
	e->dev = d;
	d->entry = e;
	mutex_unlock(&kvdpa_lock);

	kvdpa_dev_debugfs(d);
	d->vdpa.mdev = mdev;
	/* A driver may bind and drive the device before this returns. */
	ret = _vdpa_register_device(&d->vdpa, d->vdev->num_queues);
	if (ret) {
		mutex_lock(&kvdpa_lock);
		e->dev = NULL;
		d->entry = NULL;
		goto err_put;
	}
	return 0;

err_put:
	mutex_unlock(&kvdpa_lock);
	/* The release (kvdpa_config_ops.free) undoes the build. */
	put_device(&d->vdpa.dev);
	return ret;
}

static void kvdpa_dev_del(struct vdpa_mgmt_dev *mdev, struct vdpa_device *vdpa)
{
	struct kvdpa_dev *d = container_of(vdpa, struct kvdpa_dev, vdpa);

	mutex_lock(&kvdpa_lock);
	if (d->entry) {
		d->entry->dev = NULL;
		d->entry = NULL;
	}
	mutex_unlock(&kvdpa_lock);
	/* Unbinds the driver, which resets the device, then drops it. */
	_vdpa_unregister_device(vdpa);
}

static const struct vdpa_mgmtdev_ops kvdpa_mgmt_ops = {
	.dev_add = kvdpa_dev_add,
	.dev_del = kvdpa_dev_del,
};

static struct virtio_device_id kvdpa_id_table[] = {
	{ VIRTIO_ID_BLOCK, VIRTIO_DEV_ANY_ID },
	{ VIRTIO_ID_NET, VIRTIO_DEV_ANY_ID },
	{ 0 },
};

static struct vdpa_mgmt_dev kvdpa_mgmt = {
	.ops = &kvdpa_mgmt_ops,
	.id_table = kvdpa_id_table,
	.supported_features = BIT_ULL(VIRTIO_F_VERSION_1) |
			      BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) |
			      BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC) |
			      BIT_ULL(VIRTIO_RING_F_EVENT_IDX),
	.max_supported_vqs = KVIRTIO_MAX_QUEUES,
};

/* ---- /dev/kvirtio-vdpa ---------------------------------------------- */

/*
 * Copy an argsz-prefixed struct of @size bytes (its only version): a
 * smaller argsz is -EINVAL, a larger one must have a zero tail (-E2BIG).
 */
static int get_arg(void *dst, size_t size, const void __user *uarg)
{
	u32 argsz;

	if (get_user(argsz, (const u32 __user *)uarg))
		return -EFAULT;
	if (argsz < size)
		return -EINVAL;
	if (argsz > KVIRTIO_ARGSZ_MAX)
		return -E2BIG;
	return copy_struct_from_user(dst, size, uarg, argsz);
}

/* 1..31 of [A-Za-z0-9_.-], NUL-terminated and NUL-padded, no leading '.'. */
static bool name_ok(const char *name)
{
	size_t len = strnlen(name, KVIRTIO_VDPA_NAME_LEN), i;

	if (!len || len == KVIRTIO_VDPA_NAME_LEN || name[0] == '.')
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(name[i]) && !strchr("_.-", name[i]))
			return false;
	return !memchr_inv(name + len, 0, KVIRTIO_VDPA_NAME_LEN - len);
}

static long ctl_create(void __user *uarg)
{
	struct kvdpa_entry *e;
	struct kvirtio_vdpa_create a;
	struct kvirtio_device *vdev;
	void *priv;
	int ret;

	ret = get_arg(&a, sizeof(a), uarg);
	if (ret)
		return ret;
	if (a.flags || !name_ok(a.name) ||
	    a.dev.argsz != sizeof(a.dev) || a.dev.flags)
		return -EINVAL;
	ret = kvirtio_check_create_args(&a.dev);
	if (ret)
		return ret;
	if (a.dev.type != KVIRTIO_DEV_BLK && a.dev.type != KVIRTIO_DEV_NET)
		return kvirtio_hdev_type_find(a.dev.type) ? -EOPNOTSUPP :
							     -ENODEV;
	if (!capable(CAP_SYS_ADMIN) ||
	    (a.dev.type == KVIRTIO_DEV_NET && !capable(CAP_NET_ADMIN)))
		return -EPERM;

	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return -ENOMEM;
	memcpy(e->name, a.name, sizeof(e->name));
	e->args = a.dev;
	e->type = kvirtio_hdev_type_find(a.dev.type);
	e->cred = get_current_cred();
	ret = e->type->get_files(&e->args, e->files);
	if (ret < 0)
		goto err;
	e->nfiles = ret;
	/*
	 * Build the device once, now, so that bad arguments or files fail
	 * here with their own error rather than at "vdpa dev add".
	 */
	ret = e->type->create(&e->args, e->files, &vdev, &priv);
	if (ret)
		goto err;
	e->type->destroy(vdev, priv);

	mutex_lock(&kvdpa_lock);
	if (entry_find(e->name))
		ret = -EEXIST;
	else if (kvdpa_nr >= KVIRTIO_VDPA_MAX_DEVICES)
		ret = -ENOSPC;
	if (!ret) {
		list_add_tail(&e->node, &kvdpa_entries);
		kvdpa_nr++;
	}
	mutex_unlock(&kvdpa_lock);
	if (ret)
		goto err;
	return 0;
err:
	entry_free(e);
	return ret;
}

static long ctl_destroy(void __user *uarg)
{
	struct kvirtio_vdpa_destroy a;
	struct kvdpa_entry *e;
	int ret = 0;

	ret = get_arg(&a, sizeof(a), uarg);
	if (ret)
		return ret;
	if (a.flags || !name_ok(a.name))
		return -EINVAL;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	mutex_lock(&kvdpa_lock);
	e = entry_find(a.name);
	if (!e) {
		ret = -ENOENT;
	} else if (e->dev) {
		ret = -EBUSY;
	} else if (e->args.type == KVIRTIO_DEV_NET && !capable(CAP_NET_ADMIN)) {
		ret = -EPERM;
	} else {
		list_del(&e->node);
		kvdpa_nr--;
	}
	mutex_unlock(&kvdpa_lock);
	if (!ret)
		entry_free(e);
	return ret;
}

static long ctl_list(void __user *uarg)
{
	struct kvirtio_vdpa_list __user *ul = uarg;
	struct kvirtio_vdpa_list hdr;
	struct kvdpa_entry *e;
	u32 i = 0;
	int ret = 0;

	if (copy_from_user(&hdr, ul, sizeof(hdr)))
		return -EFAULT;
	if (hdr.argsz < sizeof(hdr) || hdr.flags || hdr.reserved)
		return -EINVAL;
	if (hdr.argsz > KVIRTIO_ARGSZ_MAX)
		return -E2BIG;
	if (hdr.count > (hdr.argsz - sizeof(hdr)) / sizeof(ul->entries[0]))
		return -EINVAL;

	mutex_lock(&kvdpa_lock);
	list_for_each_entry(e, &kvdpa_entries, node) {
		struct kvirtio_vdpa_entry out = {};

		if (i < hdr.count) {
			memcpy(out.name, e->name, sizeof(out.name));
			out.type = e->args.type;
			out.flags = e->dev ? KVIRTIO_VDPA_ENTRY_F_BOUND : 0;
			if (copy_to_user(&ul->entries[i], &out, sizeof(out))) {
				ret = -EFAULT;
				break;
			}
		}
		i++;
	}
	mutex_unlock(&kvdpa_lock);
	if (!ret && put_user(i, &ul->count))
		ret = -EFAULT;
	return ret;
}

static long kvdpa_ctl_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case KVIRTIO_VDPA_CREATE:
		return ctl_create(uarg);
	case KVIRTIO_VDPA_DESTROY:
		return ctl_destroy(uarg);
	case KVIRTIO_VDPA_LIST:
		return ctl_list(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations kvdpa_ctl_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = kvdpa_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice kvdpa_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kvirtio-vdpa",
	.fops = &kvdpa_ctl_fops,
	.mode = 0600,
};

/* ---- module ----------------------------------------------------------- */

static int __init kvdpa_init(void)
{
	int ret;

	/* The management device's name is its device's: "kvirtio". */
	kvdpa_root = root_device_register(KVIRTIO_VDPA_MGMTDEV);
	if (IS_ERR(kvdpa_root))
		return PTR_ERR(kvdpa_root);
	kvdpa_mgmt.device = kvdpa_root;
	ret = vdpa_mgmtdev_register(&kvdpa_mgmt);
	if (ret)
		goto err_root;
	ret = misc_register(&kvdpa_misc);
	if (ret)
		goto err_mgmt;
	return 0;

err_mgmt:
	vdpa_mgmtdev_unregister(&kvdpa_mgmt);
err_root:
	root_device_unregister(kvdpa_root);
	return ret;
}

static void __exit kvdpa_exit(void)
{
	struct kvdpa_entry *e, *tmp;

	misc_deregister(&kvdpa_misc);
	/* Deletes every device on the bus (dev_del), as "vdpa dev del" does. */
	vdpa_mgmtdev_unregister(&kvdpa_mgmt);
	/* Their releases run our code: wait for the last one. */
	wait_event(kvdpa_free_wq, !atomic_read(&kvdpa_live_devs));
	mutex_lock(&kvdpa_lock);
	list_for_each_entry_safe(e, tmp, &kvdpa_entries, node) {
		list_del(&e->node);
		entry_free(e);
	}
	kvdpa_nr = 0;
	mutex_unlock(&kvdpa_lock);
	root_device_unregister(kvdpa_root);
}

module_init(kvdpa_init);
module_exit(kvdpa_exit);

MODULE_IMPORT_NS(KVIRTIO);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kvirtio devices on the vDPA bus (vhost_vdpa, virtio_vdpa)");
MODULE_VERSION(KVIRTIO_VERSION);
