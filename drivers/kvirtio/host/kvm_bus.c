// SPDX-License-Identifier: GPL-2.0-only
/*
 * Direct mode: a device's BAR0 and notify areas on KVM's own buses.
 *
 * KVIRTIO_DEVICE_ATTACH_VM registers the device's ranges as KVM I/O
 * devices (struct kvm_io_device) on the VM's MMIO and port buses.  A
 * guest access then reaches kvirtio in the vCPU's own exit, under the VM's
 * SRCU read lock, and returns to the guest without an exit to the VMM:
 * config reads and writes take the same path as a forwarded pread/pwrite
 * (kvirtio_hdev_access()), notify writes the same as a kick eventfd
 * (kvirtio_hdev_direct_notify(), lock-free, served inline when allowed).
 *
 * KVM does not export kvm_io_bus_register_dev() and
 * kvm_io_bus_unregister_dev(); a KVM built with patches/kvm does.  They,
 * file_is_kvm(), kvm_get_kvm() and kvm_put_kvm() are looked up with
 * symbol_get() at attach, so kvirtio.ko loads on any kernel, takes no
 * reference on kvm.ko while detached, and the ioctl says -EOPNOTSUPP
 * where the exports are missing.
 *
 * Locking: KVM calls the handlers inside kvm->srcu; registering and
 * unregistering take kvm->slots_lock and wait for that SRCU.  So the
 * attach path must never hold what a handler may wait for: it runs under
 * its own hdev->attach_lock, never under hdev->lock (the config path's
 * lock, which a BAR0 handler takes).  Order: attach_lock -> slots_lock.
 *
 * Lifetimes: the device holds a reference on the VM (kvm_get_kvm(), as
 * VFIO does) and on kvm.ko (symbol_get()) while attached, so the VM and
 * KVM outlive the registrations.  Detach, called at release before
 * anything else, unregisters: after kvm_io_bus_unregister_dev() returns,
 * no handler runs (KVM waits for its SRCU).  Whether KVM calls a range's
 * destructor differs: 6.12 calls it from a successful unregister, 6.1
 * does not; when KVM fails to shrink a bus it drops the whole bus and
 * calls the destructors of the devices left on it (6.12: all; 6.1: all
 * but the caller's).  So the ranges live in the attachment, the
 * destructor only records that KVM let go, and unregister_all() clears
 * the same flag itself.
 */
#include <linux/file.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "host.h"

#if IS_ENABLED(CONFIG_KVM) && IS_ENABLED(CONFIG_X86)
#define KVIRTIO_HAVE_KVM_BUS	1
#else
#define KVIRTIO_HAVE_KVM_BUS	0
#endif

#if KVIRTIO_HAVE_KVM_BUS
#include <linux/kvm_host.h>
#include <kvm/iodev.h>

/* What direct mode needs from kvm.ko, held while attached. */
struct kvirtio_kvm_syms {
	bool (*file_is_kvm)(struct file *file);
	void (*get_kvm)(struct kvm *kvm);
	void (*put_kvm)(struct kvm *kvm);
	int (*bus_register)(struct kvm *kvm, enum kvm_bus bus_idx, gpa_t addr,
			    int len, struct kvm_io_device *dev);
	int (*bus_unregister)(struct kvm *kvm, enum kvm_bus bus_idx,
			      struct kvm_io_device *dev);
};

enum { KR_CFG, KR_NOTIFY, KR_PIO_NOTIFY, KR_NUM };

/* One range on one of KVM's buses. */
struct kvirtio_kvm_range {
	struct kvm_io_device iodev;
	struct kvirtio_hdev *hdev;
	unsigned int bar;
	enum kvm_bus bus;
	u64 addr;		/* guest-physical address or port */
	u64 bar_off;		/* of @addr in the BAR */
	u32 len;		/* 0: not in use */
	bool on_bus;		/* registered, no destructor seen */
};

/**
 * struct kvirtio_kvm_attach - a device attached to a VM
 * @syms: kvm.ko's functions (each holds a module reference)
 * @kvm: the VM (referenced)
 * @range: BAR0, notify and port-notify ranges
 */
struct kvirtio_kvm_attach {
	struct kvirtio_kvm_syms syms;
	struct kvm *kvm;
	struct kvirtio_kvm_range range[KR_NUM];
};

static void syms_put(struct kvirtio_kvm_syms *s)
{
	if (s->file_is_kvm)
		symbol_put(file_is_kvm);
	if (s->get_kvm)
		symbol_put(kvm_get_kvm);
	if (s->put_kvm)
		symbol_put(kvm_put_kvm);
	if (s->bus_register)
		symbol_put(kvm_io_bus_register_dev);
	if (s->bus_unregister)
		symbol_put(kvm_io_bus_unregister_dev);
	memset(s, 0, sizeof(*s));
}

static int syms_get(struct kvirtio_kvm_syms *s)
{
	s->file_is_kvm = symbol_get(file_is_kvm);
	s->get_kvm = symbol_get(kvm_get_kvm);
	s->put_kvm = symbol_get(kvm_put_kvm);
	s->bus_register = symbol_get(kvm_io_bus_register_dev);
	s->bus_unregister = symbol_get(kvm_io_bus_unregister_dev);
	if (s->file_is_kvm && s->get_kvm && s->put_kvm && s->bus_register &&
	    s->bus_unregister)
		return 0;
	syms_put(s);
	return -EOPNOTSUPP;
}

static struct kvirtio_kvm_range *to_range(struct kvm_io_device *dev)
{
	return container_of(dev, struct kvirtio_kvm_range, iodev);
}

/*
 * The handlers: 0 when served; -EOPNOTSUPP hands the access to the next
 * device or to the VMM, which forwards it (an odd width or alignment, a
 * dying thread), so the guest sees what forwarding gives.
 */
static int range_read(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
		      gpa_t addr, int len, void *val)
{
	struct kvirtio_kvm_range *r = to_range(dev);
	u64 off = addr - r->addr + r->bar_off;

	if (addr < r->addr || addr - r->addr >= r->len || len <= 0 ||
	    len > r->len - (addr - r->addr))
		return -EOPNOTSUPP;
	if (kvirtio_hdev_access(r->hdev, r->bar, off, val, len, false))
		return -EOPNOTSUPP;
	atomic64_inc(&r->hdev->stats.direct_accesses);
	return 0;
}

static int range_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev,
		       gpa_t addr, int len, const void *val)
{
	struct kvirtio_kvm_range *r = to_range(dev);
	u64 off = addr - r->addr + r->bar_off;
	u8 data[8];

	if (addr < r->addr || addr - r->addr >= r->len || len <= 0 ||
	    len > sizeof(data) || len > r->len - (addr - r->addr))
		return -EOPNOTSUPP;
	if (r->bar != KVIRTIO_PCI_BAR_CFG)
		return kvirtio_hdev_direct_notify(r->hdev, off, len) ?
			-EOPNOTSUPP : 0;
	memcpy(data, val, len);
	if (kvirtio_hdev_access(r->hdev, r->bar, off, data, len, true))
		return -EOPNOTSUPP;
	atomic64_inc(&r->hdev->stats.direct_accesses);
	return 0;
}

static void range_destructor(struct kvm_io_device *dev)
{
	WRITE_ONCE(to_range(dev)->on_bus, false);
}

static const struct kvm_io_device_ops kvirtio_range_ops = {
	.read = range_read,
	.write = range_write,
	.destructor = range_destructor,
};

/* Without sums: a range at the top of the address space cannot wrap. */
static bool ranges_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a >= b ? a - b < blen : b - a < alen;
}

/* Under slots_lock: does [addr, addr + len) hit a device on the bus? */
static bool bus_busy(struct kvm *kvm, enum kvm_bus idx, u64 addr, u64 len,
		     const struct kvirtio_kvm_attach *self)
{
	struct kvm_io_bus *bus = kvm_get_bus(kvm, idx);
	int i, k;

	for (i = 0; bus && i < bus->dev_count; i++) {
		const struct kvm_io_range *r = &bus->range[i];
		bool ours = false;

		for (k = 0; self && k < KR_NUM; k++)
			ours |= r->dev == &self->range[k].iodev;
		if (!ours && ranges_overlap(addr, len, r->addr, r->len))
			return true;
	}
	return false;
}

/* The ranges a placement asks for; -EINVAL for a bad one. */
static int plan_ranges(struct kvirtio_hdev *hdev,
		       const struct kvirtio_vm_attach *a,
		       struct kvirtio_kvm_range *plan)
{
	struct kvirtio_pci *vp = &hdev->vp;
	u32 nq = hdev->vdev->num_queues;
	unsigned int b, i, j;

	memset(plan, 0, KR_NUM * sizeof(*plan));
	plan[KR_CFG].bar = KVIRTIO_PCI_BAR_CFG;
	plan[KR_CFG].bus = KVM_MMIO_BUS;
	plan[KR_CFG].len = kvirtio_pci_bar_size(vp, KVIRTIO_PCI_BAR_CFG);
	plan[KR_NOTIFY].bar = KVIRTIO_PCI_BAR_NOTIFY;
	plan[KR_NOTIFY].bus = KVM_MMIO_BUS;
	plan[KR_NOTIFY].bar_off = KVIRTIO_PCI_NOTIFY_OFF;
	plan[KR_NOTIFY].len = nq * kvirtio_pci_notify_multiplier(vp);
	plan[KR_PIO_NOTIFY].bar = KVIRTIO_PCI_BAR_PIO_NOTIFY;
	plan[KR_PIO_NOTIFY].bus = KVM_PIO_BUS;
	plan[KR_PIO_NOTIFY].bar_off = KVIRTIO_PCI_NOTIFY_OFF;
	plan[KR_PIO_NOTIFY].len = vp->pio_notify_size ?
		nq * kvirtio_pci_notify_multiplier(vp) : 0;

	for (b = 0; b < ARRAY_SIZE(a->bar_addr); b++) {
		u64 addr = a->bar_addr[b], size, limit;
		struct kvirtio_kvm_range *r = NULL;

		if (!addr)
			continue;
		for (i = 0; i < KR_NUM; i++)
			if (plan[i].bar == b && plan[i].len)
				r = &plan[i];
		if (!r)
			return -EINVAL;	/* not served on KVM's bus */
		size = kvirtio_pci_bar_size(vp, b);
		limit = r->bus == KVM_PIO_BUS ? 0x10000 : 1ULL << 52;
		if (addr & (size - 1) || addr >= limit || size > limit - addr)
			return -EINVAL;
		r->addr = addr + r->bar_off;
		r->hdev = hdev;
	}
	/* Unplaced ranges are not registered. */
	for (i = 0; i < KR_NUM; i++)
		if (!plan[i].hdev)
			plan[i].len = 0;
	for (i = 0; i < KR_NUM; i++)
		for (j = i + 1; j < KR_NUM; j++)
			if (plan[i].len && plan[j].len &&
			    plan[i].bus == plan[j].bus &&
			    ranges_overlap(plan[i].addr, plan[i].len,
					   plan[j].addr, plan[j].len))
				return -EINVAL;
	return 0;
}

/* Under slots_lock: take every range off the bus. */
static void unregister_all(struct kvirtio_kvm_attach *at)
{
	unsigned int i;

	for (i = 0; i < KR_NUM; i++) {
		struct kvirtio_kvm_range *r = &at->range[i];

		if (!READ_ONCE(r->on_bus))
			continue;
		/* Waits for handlers; on failure KVM drops the whole bus. */
		at->syms.bus_unregister(at->kvm, r->bus, &r->iodev);
		WRITE_ONCE(r->on_bus, false);
	}
}

/* Under slots_lock: put the ranges of @at on the bus, all or none. */
static int register_all(struct kvirtio_kvm_attach *at)
{
	unsigned int i;
	int ret;

	for (i = 0; i < KR_NUM; i++) {
		struct kvirtio_kvm_range *r = &at->range[i];

		if (!r->len)
			continue;
		kvm_iodevice_init(&r->iodev, &kvirtio_range_ops);
		WRITE_ONCE(r->on_bus, true);
		ret = at->syms.bus_register(at->kvm, r->bus, r->addr, r->len,
					    &r->iodev);
		if (ret) {
			WRITE_ONCE(r->on_bus, false);
			unregister_all(at);
			return ret;
		}
	}
	return 0;
}

/* Move an attachment to @plan; on failure the old placement is back. */
static int place(struct kvirtio_hdev *hdev, struct kvirtio_kvm_attach *at,
		 const struct kvirtio_kvm_range *plan)
{
	struct kvirtio_kvm_range old[KR_NUM];
	struct kvm *kvm = at->kvm;
	unsigned int i;
	int ret = 0;

	mutex_lock(&kvm->slots_lock);
	for (i = 0; i < KR_NUM; i++)
		if (plan[i].len && bus_busy(kvm, plan[i].bus, plan[i].addr,
					    plan[i].len, at))
			ret = -EEXIST;
	if (ret)
		goto out;
	memcpy(old, at->range, sizeof(old));
	unregister_all(at);
	memcpy(at->range, plan, sizeof(at->range));
	ret = register_all(at);
	if (ret) {
		memcpy(at->range, old, sizeof(old));
		for (i = 0; i < KR_NUM; i++)
			at->range[i].on_bus = false;
		if (register_all(at))
			pr_warn_ratelimited("kvirtio-%d: lost direct mode: accesses exit to the VMM\n",
					    hdev->id);
	}
out:
	mutex_unlock(&kvm->slots_lock);
	return ret;
}

static void attach_free(struct kvirtio_kvm_attach *at)
{
	struct kvirtio_kvm_syms syms = at->syms;

	mutex_lock(&at->kvm->slots_lock);
	unregister_all(at);
	mutex_unlock(&at->kvm->slots_lock);
	/* May be the VM's last reference: KVM tears it down here. */
	syms.put_kvm(at->kvm);
	kfree(at);
	syms_put(&syms);
	atomic_long_dec(&kvirtio_live.vm_attachments);
}

/* A referenced VM of the caller's process from @fd, or an ERR_PTR. */
static struct kvm *vm_from_fd(const struct kvirtio_kvm_syms *s, int fd)
{
	struct file *file = fget(fd);
	struct kvm *kvm;

	if (!file)
		return ERR_PTR(-EBADF);
	if (!s->file_is_kvm(file)) {
		fput(file);
		return ERR_PTR(-EINVAL);
	}
	kvm = file->private_data;
	if (kvm->mm != current->mm) {
		fput(file);
		return ERR_PTR(-EPERM);
	}
	s->get_kvm(kvm);
	fput(file);
	return kvm;
}

static int attach(struct kvirtio_hdev *hdev, const struct kvirtio_vm_attach *a)
{
	struct kvirtio_kvm_range plan[KR_NUM];
	struct kvirtio_kvm_attach *at = hdev->kvm_attach, *fresh;
	struct kvirtio_kvm_syms syms = {};
	struct kvm *kvm;
	int ret;

	ret = plan_ranges(hdev, a, plan);
	if (ret)
		return ret;
	ret = syms_get(&syms);
	if (ret)
		return ret;
	kvm = vm_from_fd(&syms, a->vm_fd);
	if (IS_ERR(kvm)) {
		syms_put(&syms);
		return PTR_ERR(kvm);
	}
	if (at) {
		/* Moving BARs: the same VM only, references already held. */
		ret = at->kvm == kvm ? place(hdev, at, plan) : -EBUSY;
		syms.put_kvm(kvm);
		syms_put(&syms);
		return ret;
	}
	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
	if (!fresh) {
		syms.put_kvm(kvm);
		syms_put(&syms);
		return -ENOMEM;
	}
	fresh->syms = syms;
	fresh->kvm = kvm;
	atomic_long_inc(&kvirtio_live.vm_attachments);
	ret = place(hdev, fresh, plan);
	if (ret) {
		attach_free(fresh);
		return ret;
	}
	hdev->kvm_attach = fresh;
	return 0;
}

void kvirtio_kvm_detach(struct kvirtio_hdev *hdev)
{
	struct kvirtio_kvm_attach *at;

	mutex_lock(&hdev->attach_lock);
	at = hdev->kvm_attach;
	hdev->kvm_attach = NULL;
	mutex_unlock(&hdev->attach_lock);
	if (at)
		attach_free(at);
}

bool kvirtio_kvm_attached(struct kvirtio_hdev *hdev)
{
	return READ_ONCE(hdev->kvm_attach);
}
#else /* !KVIRTIO_HAVE_KVM_BUS */
static int attach(struct kvirtio_hdev *hdev, const struct kvirtio_vm_attach *a)
{
	return -EOPNOTSUPP;	/* a kernel without KVM */
}

void kvirtio_kvm_detach(struct kvirtio_hdev *hdev)
{
}

bool kvirtio_kvm_attached(struct kvirtio_hdev *hdev)
{
	return false;
}
#endif

/**
 * kvirtio_kvm_attach_ioctl - KVIRTIO_DEVICE_ATTACH_VM
 * @hdev: the device
 * @uarg: struct kvirtio_vm_attach in user memory
 *
 * Context: process, the device's mm; not under hdev->lock (see the top of
 * this file).
 * Return: 0 or an errno of struct kvirtio_vm_attach's kernel-doc.
 */
long kvirtio_kvm_attach_ioctl(struct kvirtio_hdev *hdev, void __user *uarg)
{
	struct kvirtio_vm_attach a;
	long ret;

	ret = kvirtio_get_arg(&a, sizeof(a), sizeof(a), uarg);
	if (ret)
		return ret;
	if (a.flags || a.reserved)
		return -EINVAL;
	if (a.vm_fd == -1) {
		kvirtio_kvm_detach(hdev);
		return 0;
	}
	if (mutex_lock_killable(&hdev->attach_lock))
		return -EINTR;
	ret = attach(hdev, &a);
	mutex_unlock(&hdev->attach_lock);
	return ret;
}
