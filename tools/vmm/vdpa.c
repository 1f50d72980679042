// SPDX-License-Identifier: GPL-2.0-only
/*
 * --vdpa: a virtio-pci function backed by a vhost-vdpa device
 * (/dev/vhost-vdpa-N), of whatever type the device reports.
 *
 * The guest sees the kvirtio core's virtio-pci transport (virtio_pci.c),
 * as for backend=user, in front of a proxy struct kvirtio_device whose
 * ops forward to the vhost-vdpa fd: device config (VHOST_VDPA_GET_CONFIG
 * and SET_CONFIG), the accepted features and the status at FEATURES_OK
 * and DRIVER_OK (VHOST_SET_FEATURES, VHOST_VDPA_SET_STATUS, read back
 * with GET_STATUS: a refusal is the guest's refusal), and reset
 * (SET_STATUS 0).  The VMM never serves a queue.  Guest RAM is mapped
 * into the device's IOTLB with IOVA = GPA (VHOST_IOTLB_UPDATE, which
 * pins it in the kernel), and at DRIVER_OK every enabled queue's size and
 * ring GPAs go to vhost-vdpa; from then on the data path bypasses the
 * VMM:
 *  - kicks: each queue's notify addresses (memory and port) are KVM
 *    ioeventfds on the eventfd given to VHOST_SET_VRING_KICK;
 *  - queue interrupts: the eventfd given to VHOST_SET_VRING_CALL is a KVM
 *    irqfd on the GSI of the queue's MSI-X vector while that vector can
 *    be delivered (MSI-X on, neither vector nor function masked).  Any
 *    other time the VMM's interrupt thread reads it and hands the event
 *    to the transport, which keeps it pending (masked), raises INTx
 *    (MSI-X off) or drops it (NO_VECTOR), as for its own devices;
 *  - config interrupts (VHOST_VDPA_SET_CONFIG_CALL) always take that
 *    thread: the transport bumps config_generation and sets the ISR
 *    config bit, and a device status with NEEDS_RESET becomes the
 *    transport's NEEDS_RESET.
 *
 * The features offered to the guest are the device's, less
 * VIRTIO_F_ACCESS_PLATFORM (the guest programs GPAs and is not behind an
 * IOMMU) and the transport bits neither the transport nor this proxy
 * implements; towards vhost-vdpa the VMM accepts ACCESS_PLATFORM whenever
 * the device offers it, since its IOVAs are the GPAs (QEMU does the same).
 *
 * Locking: the config path runs under the function's lock (pci.c), the
 * interrupt thread only enters the transport's data path, which takes
 * its own lock.  vhost-vdpa serializes the ioctls of both.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <linux/vhost.h>

#include "compat.h"
#include "virtio_pci.h"

#include "../lib/libkvirtio.h"
#include "intx.h"
#include "vmm.h"

#define WAKE_TAG		0xffffffffU
#define CONFIG_TAG		0xfffffffeU
/* Guest-triggered ioctl failures printed per device; the rest are counted. */
#define ERRORS_PRINTED		16

/* Backend feature of 6.8+; the build's UAPI headers may predate it. */
#ifndef VHOST_BACKEND_F_IOTLB_PERSIST
#define VHOST_BACKEND_F_IOTLB_PERSIST	0x8
#endif

#define STATUS_ACK_DRIVER	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER)
#define STATUS_BROKEN		(VIRTIO_CONFIG_S_NEEDS_RESET | VIRTIO_CONFIG_S_FAILED)

/*
 * Feature bits 24..49 belong to the transport.  These may pass (the device
 * implements them in its rings); every other one in that range is dropped
 * before the guest sees it: ACCESS_PLATFORM, the legacy and vhost bits,
 * and the mechanisms this proxy cannot forward (packed ring, notification
 * data, queue reset, admin queues, SR-IOV).
 */
#define TRANSPORT_BITS		(((1ULL << 50) - 1) & ~((1ULL << 24) - 1))
#define TRANSPORT_PASSED	((1ULL << VIRTIO_RING_F_INDIRECT_DESC) | \
				 (1ULL << VIRTIO_RING_F_EVENT_IDX) | \
				 (1ULL << VIRTIO_F_VERSION_1) | \
				 (1ULL << VIRTIO_F_IN_ORDER) | \
				 (1ULL << VIRTIO_F_ORDER_PLATFORM))

/* Bytes of guest RAM pinned by this VMM's vhost-vdpa devices so far. */
static uint64_t pinned_bytes;
/* Orders KVM_IRQ_LINE calls of --vdpa functions (see vd_intx()). */
static pthread_mutex_t intx_lock = PTHREAD_MUTEX_INITIALIZER;

struct vd_region {
	uint64_t gpa;
	uint64_t size;
	void *host;
};

/**
 * struct vdpa_fn - one --vdpa PCI function
 * @d: the VMM's view
 * @vdev: the proxy device behind the transport
 * @gmem: guest memory for the transport's ring checks
 * @host_ops: kicks that exit to the VMM go to vhost-vdpa's kick eventfd
 * @vp: the virtio-pci transport
 * @path: the vhost-vdpa node
 * @fd: its file
 * @device_id: VIRTIO_ID_* of the device
 * @features: features the device offers
 * @backend: vhost backend features acked
 * @range: the IOVA range the device accepts
 * @need_pinned: RLIMIT_MEMLOCK this device's mapping needs (bytes, all
 *	--vdpa devices up to this one)
 * @status: the status last set on the device (it only grows until reset)
 * @mapped: guest RAM is in the device's IOTLB
 * @started: the interrupt thread runs (call eventfds are being routed)
 * @stopping: the VM is going away: reset needs no new mapping
 * @kick_fds: per queue, VHOST_SET_VRING_KICK
 * @call_fds: per queue, VHOST_SET_VRING_CALL
 * @call_gsi: per queue, the GSI its call eventfd is bound to (-1: none)
 * @call_polled: per queue, the call eventfd is in the interrupt thread's set
 * @config_fd: VHOST_VDPA_SET_CONFIG_CALL
 * @wake_fd: stops the interrupt thread
 * @epfd: the interrupt thread's epoll set
 * @thread: the interrupt thread
 * @stop: the thread is to stop
 * @errors_printed: failures printed so far (guest-triggered ones are many)
 */
struct vdpa_fn {
	struct vmm_dev d;
	struct kvirtio_device vdev;
	struct kvirtio_guest_mem gmem;
	struct kvirtio_host_ops host_ops;
	struct kvirtio_pci vp;
	const char *path;
	int fd;
	uint32_t device_id;
	uint64_t features;
	uint64_t backend;
	struct vhost_vdpa_iova_range range;
	uint64_t need_pinned;
	uint8_t status;
	bool mapped;
	bool started;
	bool stopping;
	int *kick_fds;
	int *call_fds;
	int *call_gsi;
	bool *call_polled;
	int config_fd;
	int wake_fd;
	int epfd;
	pthread_t thread;
	atomic_bool stop;
	atomic_uint errors_printed;
	/* --stats */
	atomic_ulong kick_exits;	/* kicks the VMM forwarded */
	atomic_ulong vmm_irqs;		/* call events routed by the VMM */
	atomic_ulong config_irqs;	/* config events */
	atomic_ulong irqfd_binds;
	atomic_ulong irqfd_unbinds;
	atomic_ulong maps;		/* IOTLB (re)mappings of guest RAM */
	atomic_ulong vdpa_resets;	/* SET_STATUS 0 sent */
	atomic_ulong errors;
	atomic_ulong intx_lines;
};

static const struct vmm_dev_ops vdpa_ops;

static void vd_err(struct vdpa_fn *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void vd_err(struct vdpa_fn *v, const char *fmt, ...)
{
	unsigned int n = atomic_fetch_add(&v->errors_printed, 1);
	va_list ap;

	atomic_fetch_add(&v->errors, 1);
	if (n > ERRORS_PRINTED)
		return;
	if (n == ERRORS_PRINTED) {
		fprintf(stderr, "vmm: vdpa %s: further errors are only counted (--stats)\n",
			v->path);
		return;
	}
	va_start(ap, fmt);
	fprintf(stderr, "vmm: vdpa %s: ", v->path);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* One ioctl on the vhost-vdpa fd; a failure names it and its errno. */
static int vd_ioctl(struct vdpa_fn *v, unsigned long req, const char *name,
		    void *arg)
{
	int ret;

	if (ioctl(v->fd, req, arg) >= 0)
		return 0;
	ret = -errno;
	vd_err(v, "%s: %s", name, strerror(-ret));
	return ret;
}

#define VD_IOCTL(v, req, arg)	vd_ioctl(v, req, #req, arg)

/* ---- guest RAM in the device's IOTLB ---------------------------------- */

static unsigned int ram_regions(const struct vmm *vmm, struct vd_region r[2])
{
	unsigned int n = 0;

	r[n].gpa = 0;
	r[n].size = vmm->low_size;
	r[n++].host = vmm->ram;
	if (vmm->high_size) {
		r[n].gpa = VMM_HIGHMEM_START;
		r[n].size = vmm->high_size;
		r[n++].host = vmm->ram + vmm->low_size;
	}
	return n;
}

static int iotlb_msg(struct vdpa_fn *v, uint8_t type, const struct vd_region *r)
{
	struct vhost_msg_v2 m;
	ssize_t n;

	memset(&m, 0, sizeof(m));
	m.type = VHOST_IOTLB_MSG_V2;
	m.iotlb.type = type;
	if (r) {
		m.iotlb.iova = r->gpa;
		m.iotlb.size = r->size;
		m.iotlb.uaddr = (uintptr_t)r->host;
		m.iotlb.perm = VHOST_ACCESS_RW;
	}
	n = write(v->fd, &m, sizeof(m));
	if (n == (ssize_t)sizeof(m))
		return 0;
	return n < 0 ? -errno : -EIO;
}

/*
 * vhost-vdpa turns every failure of an IOTLB message into EFAULT; the
 * usual one is pinning past RLIMIT_MEMLOCK, so say where it stands.
 */
static void update_failed(struct vdpa_fn *v, const struct vd_region *r,
			  int err)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_MEMLOCK, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < v->need_pinned) {
		vd_err(v, "VHOST_IOTLB_UPDATE (iova %#llx, %llu MiB): %s: vhost-vdpa pins guest RAM, and RLIMIT_MEMLOCK is %llu KiB where %llu KiB are needed: raise it (ulimit -l), or run the VMM as root (CAP_SYS_RESOURCE)",
		       (unsigned long long)r->gpa,
		       (unsigned long long)(r->size >> 20), strerror(-err),
		       (unsigned long long)(rl.rlim_cur >> 10),
		       (unsigned long long)(v->need_pinned >> 10));
		return;
	}
	vd_err(v, "VHOST_IOTLB_UPDATE (iova %#llx, %llu MiB): %s (the device refused the mapping, pinning it failed, or it took more than vhost_vdpa's max_iotlb_entries)",
	       (unsigned long long)r->gpa, (unsigned long long)(r->size >> 20),
	       strerror(-err));
}

/* Map (or unmap) every RAM region, in one batch where the device takes one. */
static int map_ram(struct vdpa_fn *v, bool map)
{
	bool batch = v->backend & (1ULL << VHOST_BACKEND_F_IOTLB_BATCH);
	struct vd_region r[2];
	unsigned int i, n = ram_regions(v->d.vmm, r);
	int ret = 0, end;

	if (batch) {
		ret = iotlb_msg(v, VHOST_IOTLB_BATCH_BEGIN, NULL);
		if (ret) {
			vd_err(v, "VHOST_IOTLB_BATCH_BEGIN: %s", strerror(-ret));
			return ret;
		}
	}
	for (i = 0; i < n && !ret; i++) {
		ret = iotlb_msg(v, map ? VHOST_IOTLB_UPDATE :
				VHOST_IOTLB_INVALIDATE, &r[i]);
		if (ret && map)
			update_failed(v, &r[i], ret);
		else if (ret)
			vd_err(v, "VHOST_IOTLB_INVALIDATE (iova %#llx): %s",
			       (unsigned long long)r[i].gpa, strerror(-ret));
	}
	if (batch) {
		end = iotlb_msg(v, VHOST_IOTLB_BATCH_END, NULL);
		if (end)
			vd_err(v, "VHOST_IOTLB_BATCH_END: %s", strerror(-end));
		if (!ret)
			ret = end;
	}
	if (!ret && map)
		atomic_fetch_add(&v->maps, 1);
	return ret;
}

/*
 * PA-mode vhost-vdpa pins guest RAM against RLIMIT_MEMLOCK, once per
 * device.  Raise the limit to what every --vdpa device so far needs (the
 * hard limit too, where CAP_SYS_RESOURCE allows: root, as a rule); what
 * cannot be raised is reported if the mapping then fails.
 */
static void raise_memlock(struct vdpa_fn *v)
{
	struct rlimit rl, want;

	v->need_pinned = pinned_bytes + v->d.vmm->mem_size;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= v->need_pinned)
		return;
	want.rlim_cur = v->need_pinned;
	want.rlim_max = rl.rlim_max;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < v->need_pinned)
		want.rlim_max = v->need_pinned;
	if (setrlimit(RLIMIT_MEMLOCK, &want) && want.rlim_max != rl.rlim_max) {
		/* Not allowed to raise the hard limit: up to it, then. */
		want.rlim_cur = rl.rlim_max;
		want.rlim_max = rl.rlim_max;
		setrlimit(RLIMIT_MEMLOCK, &want);
	}
}

/* ---- the proxy device --------------------------------------------------- */

static struct vdpa_fn *fn_of(struct kvirtio_device *vdev)
{
	return container_of(vdev, struct vdpa_fn, vdev);
}

static int config_access(struct vdpa_fn *v, bool write, u32 off, void *buf,
			 u32 len)
{
	/* struct vhost_vdpa_config and up to 64 bytes of buf. */
	uint64_t raw[(sizeof(struct vhost_vdpa_config) + 64) / 8 + 1];
	struct vhost_vdpa_config *c = (void *)raw;
	int ret;

	if (!len || len > 64)
		return -EINVAL;
	c->off = off;
	c->len = len;
	if (write) {
		memcpy(c->buf, buf, len);
		return VD_IOCTL(v, VHOST_VDPA_SET_CONFIG, c);
	}
	ret = VD_IOCTL(v, VHOST_VDPA_GET_CONFIG, c);
	if (!ret)
		memcpy(buf, c->buf, len);
	return ret;
}

static int vd_config_read(struct kvirtio_device *vdev, u32 off, void *buf,
			  u32 len)
{
	return config_access(fn_of(vdev), false, off, buf, len);
}

static int vd_config_write(struct kvirtio_device *vdev, u32 off,
			   const void *buf, u32 len)
{
	return config_access(fn_of(vdev), true, off, (void *)buf, len);
}

/*
 * Add @bits to the device status and read back what the device took.
 * vhost-vdpa refuses a status that drops a bit the device holds (only a
 * reset clears), so the next one starts from what was read back.
 */
static int add_status(struct vdpa_fn *v, uint8_t bits)
{
	uint8_t s = v->status | bits;
	int ret;

	ret = VD_IOCTL(v, VHOST_VDPA_SET_STATUS, &s);
	if (ret)
		return ret;
	v->status = s;
	ret = VD_IOCTL(v, VHOST_VDPA_GET_STATUS, &s);
	if (ret)
		return ret;
	v->status = s;
	if ((s & bits) != bits || (s & STATUS_BROKEN)) {
		vd_err(v, "the device did not take status %#x (it reads %#x)",
		       bits, s);
		return -EIO;
	}
	return 0;
}

/*
 * FEATURES_OK: the guest's set (plus ACCESS_PLATFORM where offered) goes
 * to the device, which may still refuse it; the transport then leaves
 * FEATURES_OK clear for the guest.
 */
static int vd_validate_features(struct kvirtio_device *vdev, u64 features)
{
	struct vdpa_fn *v = fn_of(vdev);
	uint64_t f = features |
		     (v->features & (1ULL << VIRTIO_F_ACCESS_PLATFORM));
	int ret;

	/* A reset may have dropped it: set it for every negotiation. */
	ret = VD_IOCTL(v, VHOST_VDPA_SET_CONFIG_CALL, &v->config_fd);
	if (!ret)
		ret = add_status(v, STATUS_ACK_DRIVER);
	if (!ret)
		ret = VD_IOCTL(v, VHOST_SET_FEATURES, &f);
	if (!ret)
		ret = add_status(v, VIRTIO_CONFIG_S_FEATURES_OK);
	return ret;
}

/* Hand one enabled queue to vhost-vdpa: its size and ring GPAs. */
static int program_queue(struct vdpa_fn *v, u16 q)
{
	const struct kvirtio_pci_queue *pq = &v->vp.queues[q];
	struct vhost_vring_state num = { .index = q, .num = pq->size };
	struct vhost_vring_state base = { .index = q, .num = 0 };
	struct vhost_vring_state enable = { .index = q, .num = 1 };
	struct vhost_vring_file kick = { .index = q, .fd = v->kick_fds[q] };
	struct vhost_vring_file call = { .index = q, .fd = v->call_fds[q] };
	/* With an IOTLB, the "user addresses" are IOVAs: the GPAs. */
	struct vhost_vring_addr addr = {
		.index = q,
		.desc_user_addr = pq->desc,
		.avail_user_addr = pq->driver,
		.used_user_addr = pq->device,
	};
	int ret;

	ret = VD_IOCTL(v, VHOST_SET_VRING_NUM, &num);
	if (!ret)
		ret = VD_IOCTL(v, VHOST_SET_VRING_BASE, &base);
	if (!ret)
		ret = VD_IOCTL(v, VHOST_SET_VRING_ADDR, &addr);
	if (!ret)
		ret = VD_IOCTL(v, VHOST_SET_VRING_KICK, &kick);
	if (!ret)
		ret = VD_IOCTL(v, VHOST_SET_VRING_CALL, &call);
	if (!ret)
		ret = VD_IOCTL(v, VHOST_VDPA_SET_VRING_ENABLE, &enable);
	if (ret)
		vd_err(v, "queue %u not started", q);
	return ret;
}

/*
 * DRIVER_OK: map guest RAM again if a reset dropped it, start every
 * enabled queue, then DRIVER_OK on the device.  A failure is the
 * transport's NEEDS_RESET.  Each started queue gets one kick afterwards,
 * so that the device looks at buffers made available before DRIVER_OK.
 */
static int vd_driver_ok(struct kvirtio_device *vdev)
{
	struct vdpa_fn *v = fn_of(vdev);
	uint64_t one = 1;
	u16 q;
	int ret = 0;

	if (!v->mapped) {
		ret = map_ram(v, true);
		v->mapped = !ret;
	}
	for (q = 0; q < v->d.num_queues && !ret; q++) {
		if (v->vp.queues[q].enabled)
			ret = program_queue(v, q);
	}
	if (!ret)
		ret = add_status(v, VIRTIO_CONFIG_S_DRIVER_OK);
	if (ret)
		return ret;
	for (q = 0; q < v->d.num_queues; q++) {
		if (v->vp.queues[q].enabled &&
		    write(v->kick_fds[q], &one, sizeof(one)) < 0)
			atomic_fetch_add(&v->errors, 1);
	}
	return 0;
}

/*
 * Reset: SET_STATUS 0, if the device ever left 0.  Unless it keeps its
 * IOTLB across resets (VHOST_BACKEND_F_IOTLB_PERSIST), drop guest RAM
 * from it: vhost-vdpa would refuse to map a range it still holds, and the
 * device may have forgotten it; vd_driver_ok() maps it again.
 */
static void vd_reset(struct kvirtio_device *vdev)
{
	struct vdpa_fn *v = fn_of(vdev);
	uint8_t zero = 0;

	if (!v->status)
		return;
	if (!VD_IOCTL(v, VHOST_VDPA_SET_STATUS, &zero))
		v->status = 0;
	atomic_fetch_add(&v->vdpa_resets, 1);
	if (v->stopping || !v->mapped ||
	    (v->backend & (1ULL << VHOST_BACKEND_F_IOTLB_PERSIST)))
		return;
	map_ram(v, false);
	v->mapped = false;
}

static const struct kvirtio_device_ops proxy_ops = {
	.config_read = vd_config_read,
	.config_write = vd_config_write,
	.validate_features = vd_validate_features,
	.driver_ok = vd_driver_ok,
	.reset = vd_reset,
};

/* The transport checks and maps rings in guest RAM; the VMM maps it all. */
static struct vmm *gmem_vmm(struct kvirtio_guest_mem *mem)
{
	return container_of(mem, struct vdpa_fn, gmem)->d.vmm;
}

static void *vd_map_ring(struct kvirtio_guest_mem *mem, u64 gpa, u32 len)
{
	return vmm_gpa(gmem_vmm(mem), gpa, len);
}

static void vd_unmap_ring(struct kvirtio_guest_mem *mem, void *ptr, u64 gpa,
			  u32 len)
{
}

static bool vd_range_ok(struct kvirtio_guest_mem *mem, u64 gpa, u64 len)
{
	return !!vmm_gpa(gmem_vmm(mem), gpa, len);
}

/* The proxy never serves a queue: nothing reads or writes buffers. */
static int vd_no_copy(struct kvirtio_guest_mem *mem, u64 gpa, void *dst,
		      u32 len)
{
	return -EFAULT;
}

static int vd_no_write(struct kvirtio_guest_mem *mem, u64 gpa,
		       const void *src, u32 len)
{
	return -EFAULT;
}

static const struct kvirtio_guest_mem_ops proxy_mem_ops = {
	.map_ring = vd_map_ring,
	.unmap_ring = vd_unmap_ring,
	.range_ok = vd_range_ok,
	.read = vd_no_copy,
	.write = vd_no_write,
};

/* A kick that exited to the VMM (no ioeventfd yet): pass it on. */
static void vd_kick(struct kvirtio_device *vdev, u16 qid)
{
	struct vdpa_fn *v = fn_of(vdev);
	uint64_t one = 1;

	if (qid >= v->d.num_queues)
		return;
	atomic_fetch_add(&v->kick_exits, 1);
	if (write(v->kick_fds[qid], &one, sizeof(one)) < 0)
		atomic_fetch_add(&v->errors, 1);
}

/* ---- interrupts --------------------------------------------------------- */

/*
 * The transport sends vector @vector (an unmasked vector's pending
 * message, or an event the interrupt thread handed it): an MSI with the
 * table's address and data.
 */
static void vd_msix(struct kvirtio_pci *vp, u16 vector)
{
	struct vdpa_fn *v = vp->host_priv;
	struct kvirtio_pci_msix_entry e;
	struct kvm_msi msi = { 0 };

	if (kvirtio_pci_msix_entry(vp, vector, &e) || !e.addr)
		return;
	msi.address_lo = (uint32_t)e.addr;
	msi.address_hi = (uint32_t)(e.addr >> 32);
	msi.data = e.data;
	if (ioctl(v->d.vmm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0)
		atomic_fetch_add(&v->errors, 1);
}

/*
 * INT A with KVM_IRQ_LINE, at the current level of every --vdpa function
 * on the pin (KVM keeps one userspace level per pin).
 */
static void vd_intx(struct kvirtio_pci *vp, bool level)
{
	struct vdpa_fn *v = vp->host_priv;
	struct vmm *vmm = v->d.vmm;
	struct kvm_irq_level line = { 0 };
	unsigned int i;

	(void)level;	/* may arrive out of order: read the levels */
	if (!v->d.slot)
		return;
	line.irq = vmm_pci_intx_gsi(v->d.slot);
	pthread_mutex_lock(&intx_lock);
	for (i = 0; i < vmm->ndevs && !line.level; i++) {
		struct vmm_dev *d = vmm->devs[i];

		if (d->ops == &vdpa_ops && vmm_pci_intx_gsi(d->slot) == line.irq)
			line.level = kvirtio_pci_intx_level(&((struct vdpa_fn *)d->priv)->vp);
	}
	if (ioctl(vmm->vm_fd, KVM_IRQ_LINE, &line) < 0)
		atomic_fetch_add(&v->errors, 1);
	else
		atomic_fetch_add(&v->intx_lines, 1);
	pthread_mutex_unlock(&intx_lock);
}

static const struct kvirtio_pci_host_ops proxy_pci_ops = {
	.msix = vd_msix,
	.intx = vd_intx,
};

static int epoll_tag(int epfd, int op, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(epfd, op, fd, &ev) < 0 ? -errno : 0;
}

/* Put queue @q's call eventfd in the interrupt thread's set, or take it out. */
static void poll_call(struct vdpa_fn *v, u16 q, bool on)
{
	int ret;

	if (v->call_polled[q] == on)
		return;
	ret = epoll_tag(v->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL,
			v->call_fds[q], q);
	if (ret)
		vd_err(v, "epoll_ctl (queue %u): %s", q, strerror(-ret));
	else
		v->call_polled[q] = on;
}

/* The GSI queue @q's interrupts may go to directly now, or -1. */
static int direct_gsi(struct vdpa_fn *v, u16 q)
{
	struct kvirtio_pci_msix_entry e;
	u16 vec = v->vp.queues[q].msix_vector;

	if (!v->vp.queues[q].enabled || vec >= v->d.num_msix ||
	    kvirtio_pci_msix_entry(&v->vp, vec, &e) ||
	    !e.enabled || e.masked || e.function_masked)
		return -1;
	return v->d.gsi_base + vec;
}

/*
 * After every config-path access: bind each queue's call eventfd as an
 * irqfd to its vector's GSI while the vector can be delivered, else let
 * the interrupt thread take its events to the transport.  Unbinding
 * first and polling after leaves an event that came meanwhile in the
 * eventfd for the thread; KVM delivers one that is pending when it binds.
 */
static void route_calls(struct vdpa_fn *v)
{
	int vm_fd = v->d.vmm->vm_fd;
	int want, ret;
	u16 q;

	if (!v->started)
		return;
	for (q = 0; q < v->d.num_queues; q++) {
		want = direct_gsi(v, q);
		if (want == v->call_gsi[q] && (want >= 0 || v->call_polled[q]))
			continue;
		if (v->call_gsi[q] >= 0) {
			ret = kvirtio_kvm_irqfd(vm_fd, v->call_gsi[q],
						v->call_fds[q], false);
			if (ret)
				vd_err(v, "KVM_IRQFD deassign (queue %u): %s",
				       q, strerror(-ret));
			v->call_gsi[q] = -1;
			atomic_fetch_add(&v->irqfd_unbinds, 1);
		}
		if (want >= 0) {
			poll_call(v, q, false);
			ret = kvirtio_kvm_irqfd(vm_fd, want, v->call_fds[q],
						true);
			if (!ret) {
				v->call_gsi[q] = want;
				atomic_fetch_add(&v->irqfd_binds, 1);
				continue;
			}
			vd_err(v, "KVM_IRQFD (queue %u, GSI %d): %s", q, want,
			       strerror(-ret));
		}
		poll_call(v, q, true);
	}
}

/* A config event: a change of config space, or the device broke. */
static void config_event(struct vdpa_fn *v)
{
	uint8_t s = 0;

	atomic_fetch_add(&v->config_irqs, 1);
	if (!VD_IOCTL(v, VHOST_VDPA_GET_STATUS, &s) &&
	    (s & VIRTIO_CONFIG_S_NEEDS_RESET))
		kvirtio_device_needs_reset(&v->vdev);
	else
		kvirtio_device_config_changed(&v->vdev);
}

static void *irq_thread(void *arg)
{
	struct vdpa_fn *v = arg;
	struct epoll_event ev[16];
	uint64_t cnt;
	int i, n;

	while (!atomic_load(&v->stop)) {
		n = epoll_wait(v->epfd, ev, ARRAY_SIZE(ev), -1);
		if (n < 0 && errno != EINTR)
			break;
		for (i = 0; i < n && !atomic_load(&v->stop); i++) {
			uint32_t tag = ev[i].data.u32;

			if (tag == WAKE_TAG)
				continue;
			/* EAGAIN: an irqfd bound meanwhile took the event. */
			if (read(tag == CONFIG_TAG ? v->config_fd :
				 v->call_fds[tag], &cnt, sizeof(cnt)) < 0)
				continue;
			if (tag == CONFIG_TAG) {
				config_event(v);
				continue;
			}
			atomic_fetch_add(&v->vmm_irqs, 1);
			kvirtio_device_queue_interrupt(&v->vdev, tag);
		}
	}
	return NULL;
}

/* ---- vmm_dev ops -------------------------------------------------------- */

static struct vdpa_fn *vfn(struct vmm_dev *d)
{
	return d->priv;
}

static uint32_t v_cfg_read(struct vmm_dev *d, uint32_t off, uint32_t width)
{
	return kvirtio_pci_config_read(&vfn(d)->vp, off, width);
}

static void v_cfg_write(struct vmm_dev *d, uint32_t off, uint32_t width,
			uint32_t val)
{
	kvirtio_pci_config_write(&vfn(d)->vp, off, width, val);
	route_calls(vfn(d));
}

static int v_bar_read(struct vmm_dev *d, unsigned int bar, uint64_t off,
		      void *buf, uint32_t len)
{
	return kvirtio_pci_bar_read(&vfn(d)->vp, bar, off, buf, len);
}

static int v_bar_write(struct vmm_dev *d, unsigned int bar, uint64_t off,
		       const void *buf, uint32_t len)
{
	int ret = kvirtio_pci_bar_write(&vfn(d)->vp, bar, off, buf, len);

	route_calls(vfn(d));
	return ret;
}

static int v_msix_entry(struct vmm_dev *d, uint16_t vec, uint64_t *addr,
			uint32_t *data, bool *deliverable)
{
	struct kvirtio_pci_msix_entry e;
	int ret;

	ret = kvirtio_pci_msix_entry(&vfn(d)->vp, vec, &e);
	if (ret)
		return ret;
	*addr = e.addr;
	*data = e.data;
	*deliverable = e.enabled && !e.masked && !e.function_masked;
	return 0;
}

/* (Un)register queue q's kick eventfd at @base + q * mult, for all q. */
static int bind_kicks(struct vdpa_fn *v, uint64_t base, bool pio, bool assign)
{
	int vm_fd = v->d.vmm->vm_fd;
	uint64_t addr;
	unsigned int q;
	int ret = 0;

	for (q = 0; q < v->d.num_queues && (!ret || !assign); q++) {
		addr = base + (uint64_t)q * v->d.notify_mult;
		ret = pio ? kvirtio_kvm_pio_ioeventfd(vm_fd, addr, 2,
						      v->kick_fds[q], false, 0,
						      assign) :
			    kvirtio_kvm_ioeventfd(vm_fd, addr, 2, v->kick_fds[q],
						  false, 0, assign);
	}
	if (ret && assign) {
		bind_kicks(v, base, pio, false);
		vd_err(v, "KVM_IOEVENTFD%s at %#llx: %s", pio ? " (port)" : "",
		       (unsigned long long)base, strerror(-ret));
	}
	return assign ? ret : 0;
}

/* A notify area moved to @base: its kick eventfds follow. */
static int move_notify(struct vdpa_fn *v, uint64_t *cur, uint64_t base,
		       bool pio)
{
	int ret;

	if (*cur)
		bind_kicks(v, *cur, pio, false);
	*cur = 0;
	ret = bind_kicks(v, base, pio, true);
	if (!ret)
		*cur = base;
	return ret;
}

static int v_notify_moved(struct vmm_dev *d, uint64_t base)
{
	return move_notify(vfn(d), &d->notify_base, base, false);
}

static int v_pio_notify_moved(struct vmm_dev *d, uint64_t base)
{
	return move_notify(vfn(d), &d->pio_notify_base, base, true);
}

static int v_start(struct vmm_dev *d)
{
	struct vdpa_fn *v = vfn(d);
	int ret;

	ret = epoll_tag(v->epfd, EPOLL_CTL_ADD, v->wake_fd, WAKE_TAG);
	if (!ret)
		ret = epoll_tag(v->epfd, EPOLL_CTL_ADD, v->config_fd,
				CONFIG_TAG);
	if (ret)
		return ret;
	if (pthread_create(&v->thread, NULL, irq_thread, v))
		return -EAGAIN;
	pthread_mutex_lock(&d->lock);
	v->started = true;
	route_calls(v);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void close_fds(int *fds, unsigned int n)
{
	unsigned int i;

	for (i = 0; fds && i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
	}
	free(fds);
}

/*
 * VM exit, or a failed creation: stop the interrupt thread, unhook the
 * eventfds from KVM, reset the device (SET_STATUS 0) and close it, which
 * makes vhost-vdpa drop and unpin the mapping.
 */
static void v_stop(struct vmm_dev *d)
{
	struct vdpa_fn *v = vfn(d);
	uint64_t one = 1;
	u16 q;

	if (v->started) {
		atomic_store(&v->stop, true);
		if (write(v->wake_fd, &one, sizeof(one)) < 0)
			atomic_fetch_add(&v->errors, 1);
		pthread_join(v->thread, NULL);
		v->started = false;
	}
	if (d->notify_base)
		bind_kicks(v, d->notify_base, false, false);
	d->notify_base = 0;
	if (d->pio_notify_base)
		bind_kicks(v, d->pio_notify_base, true, false);
	d->pio_notify_base = 0;
	for (q = 0; v->call_gsi && q < d->num_queues; q++) {
		if (v->call_gsi[q] >= 0)
			kvirtio_kvm_irqfd(d->vmm->vm_fd, v->call_gsi[q],
					  v->call_fds[q], false);
	}
	v->stopping = true;
	if (v->vdev.transport_priv)
		kvirtio_pci_destroy(&v->vp);
	close_fds(v->kick_fds, d->num_queues);
	close_fds(v->call_fds, d->num_queues);
	free(v->call_gsi);
	free(v->call_polled);
	v->kick_fds = NULL;
	v->call_fds = NULL;
	v->call_gsi = NULL;
	v->call_polled = NULL;
	close_fd(&v->config_fd);
	close_fd(&v->wake_fd);
	close_fd(&v->epfd);
	close_fd(&v->fd);
}

static void v_print_stats(struct vmm_dev *d)
{
	static const char * const names[] = {
		"kick_exits", "vmm_irqs", "config_irqs", "irqfd_binds",
		"irqfd_unbinds", "maps", "resets", "errors", "intx_lines",
	};
	static const char * const pci_names[] = {
		"kicks_ignored", "irq_msix", "irq_pending", "irq_suppressed",
		"irq_no_vector", "bad_access", "status_refused",
		"features_refused", "queue_enable_failed", "resets",
		"irq_intx",
	};
	struct vdpa_fn *v = vfn(d);
	const struct kvirtio_pci_stats *ps = &v->vp.stats;
	const unsigned long long w[] = {
		atomic_load(&v->kick_exits), atomic_load(&v->vmm_irqs),
		atomic_load(&v->config_irqs), atomic_load(&v->irqfd_binds),
		atomic_load(&v->irqfd_unbinds), atomic_load(&v->maps),
		atomic_load(&v->vdpa_resets), atomic_load(&v->errors),
		atomic_load(&v->intx_lines),
	};
	const unsigned long long p[] = {
		atomic64_read(&ps->kicks_ignored), ps->irq_msix,
		ps->irq_pending, ps->irq_suppressed, ps->irq_no_vector,
		ps->bad_access, ps->status_refused, ps->features_refused,
		ps->queue_enable_failed, ps->resets, ps->irq_intx,
	};

	_Static_assert(ARRAY_SIZE(w) == ARRAY_SIZE(names), "one name per counter");
	_Static_assert(ARRAY_SIZE(p) == ARRAY_SIZE(pci_names),
		       "one name per transport counter");
	vmm_print_counters("  vdpa", names, w, ARRAY_SIZE(w));
	vmm_print_counters("  transport", pci_names, p, ARRAY_SIZE(p));
}

static const struct vmm_dev_ops vdpa_ops = {
	.cfg_read = v_cfg_read,
	.cfg_write = v_cfg_write,
	.bar_read = v_bar_read,
	.bar_write = v_bar_write,
	.msix_entry = v_msix_entry,
	.start = v_start,
	.notify_moved = v_notify_moved,
	.pio_notify_moved = v_pio_notify_moved,
	.stop = v_stop,
	.print_stats = v_print_stats,
};

/* ---- creation ------------------------------------------------------------ */

static const char *type_name(uint32_t id, uint32_t *pci_class)
{
	*pci_class = 0xff0000;
	switch (id) {
	case VIRTIO_ID_NET:
		*pci_class = 0x020000;
		return "net";
	case VIRTIO_ID_BLOCK:
		*pci_class = 0x018000;
		return "blk";
	case VIRTIO_ID_CONSOLE:
		*pci_class = 0x078000;
		return "console";
	case VIRTIO_ID_RNG:
		return "rng";
	case VIRTIO_ID_SCSI:
		*pci_class = 0x010000;
		return "scsi";
	}
	return "vdpa";
}

static int new_eventfds(int **fds, unsigned int n)
{
	unsigned int i;

	*fds = malloc(n * sizeof(**fds));
	if (!*fds)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		(*fds)[i] = -1;
	for (i = 0; i < n; i++) {
		(*fds)[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if ((*fds)[i] < 0)
			return -errno;
	}
	return 0;
}

/* The largest power of two not above @n (n > 0). */
static uint32_t pow2_floor(uint32_t n)
{
	uint32_t p = 1;

	while (p <= n / 2)
		p <<= 1;
	return p;
}

/*
 * What the device is: its type, features, config size, queues and their
 * largest size, and the IOVA range it maps; the backend features taken.
 */
static int probe(struct vdpa_fn *v, const struct vmm_dev_spec *spec)
{
	uint64_t bf, want;
	uint32_t vqs, cfg_size;
	uint16_t vq_max;
	struct vd_region r[2];
	unsigned int i, n;
	int ret;

	ret = VD_IOCTL(v, VHOST_SET_OWNER, NULL);
	if (!ret)
		ret = VD_IOCTL(v, VHOST_VDPA_GET_DEVICE_ID, &v->device_id);
	if (!ret)
		ret = VD_IOCTL(v, VHOST_GET_FEATURES, &v->features);
	if (!ret)
		ret = VD_IOCTL(v, VHOST_GET_BACKEND_FEATURES, &bf);
	if (!ret)
		ret = VD_IOCTL(v, VHOST_VDPA_GET_CONFIG_SIZE, &cfg_size);
	if (!ret)
		ret = VD_IOCTL(v, VHOST_VDPA_GET_VQS_COUNT, &vqs);
	if (!ret)
		ret = VD_IOCTL(v, VHOST_VDPA_GET_VRING_NUM, &vq_max);
	if (!ret)
		ret = VD_IOCTL(v, VHOST_VDPA_GET_IOVA_RANGE, &v->range);
	if (ret)
		return ret;

	if (!v->device_id || v->device_id > 0x3f) {
		vd_err(v, "device id %u: not a virtio device type a PCI function can carry",
		       v->device_id);
		return -EINVAL;
	}
	if (!(v->features & (1ULL << VIRTIO_F_VERSION_1))) {
		vd_err(v, "the device does not offer VIRTIO_F_VERSION_1 (features %#llx)",
		       (unsigned long long)v->features);
		return -EINVAL;
	}
	if (!(bf & (1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2))) {
		vd_err(v, "vhost-vdpa does not offer IOTLB_MSG_V2 (backend features %#llx)",
		       (unsigned long long)bf);
		return -EINVAL;
	}
	want = bf & ((1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2) |
		     (1ULL << VHOST_BACKEND_F_IOTLB_BATCH) |
		     (1ULL << VHOST_BACKEND_F_IOTLB_PERSIST));
	ret = VD_IOCTL(v, VHOST_SET_BACKEND_FEATURES, &want);
	if (ret)
		return ret;
	v->backend = want;

	if (!vqs || (spec->queues && spec->queues > vqs)) {
		vd_err(v, "the device has %u queues%s", vqs,
		       vqs ? ": queues= asks for more" : "");
		return -EINVAL;
	}
	v->vdev.num_queues = spec->queues ? spec->queues : vqs;
	if (v->vdev.num_queues > KVIRTIO_PCI_MAX_QUEUES) {
		vd_err(v, "%u queues: at most %u fit the transport: use queues=",
		       v->vdev.num_queues, KVIRTIO_PCI_MAX_QUEUES);
		return -EINVAL;
	}
	if (!vq_max || (spec->queue_size && spec->queue_size > vq_max)) {
		vd_err(v, "the device's queues hold at most %u entries%s",
		       vq_max, vq_max ? ": queue_size= asks for more" : "");
		return -EINVAL;
	}
	v->vdev.queue_size_max = pow2_floor(spec->queue_size ? spec->queue_size :
					    vq_max < KVIRTIO_QUEUE_SIZE_MAX ?
					    vq_max : KVIRTIO_QUEUE_SIZE_MAX);

	/* More config than BAR 0 has room for stays out of the guest's reach. */
	v->vdev.config_size = cfg_size < KVIRTIO_PCI_DEVCFG_MAX ?
			      cfg_size : KVIRTIO_PCI_DEVCFG_MAX;
	n = ram_regions(v->d.vmm, r);
	for (i = 0; i < n; i++) {
		if (r[i].gpa < v->range.first ||
		    r[i].gpa + r[i].size - 1 > v->range.last) {
			vd_err(v, "guest RAM [%#llx, %#llx] is outside the device's IOVA range [%#llx, %#llx]",
			       (unsigned long long)r[i].gpa,
			       (unsigned long long)(r[i].gpa + r[i].size - 1),
			       (unsigned long long)v->range.first,
			       (unsigned long long)v->range.last);
			return -ERANGE;
		}
	}
	return 0;
}

/* The proxy device and its transport; the VMM's view of the function. */
static int build_function(struct vdpa_fn *v, const struct vmm_dev_spec *spec)
{
	struct kvirtio_pci_layout lay;
	unsigned int i, nq = v->vdev.num_queues;
	uint32_t flags = 0;
	int ret;

	v->vdev.ops = &proxy_ops;
	v->vdev.name = type_name(v->device_id, &v->vdev.pci_class);
	v->vdev.device_id = v->device_id;
	v->vdev.device_features = v->features &
				  (~TRANSPORT_BITS | TRANSPORT_PASSED);
	v->vdev.mem = &v->gmem;
	v->vdev.host = &v->host_ops;
	v->vdev.host_priv = v;
	v->gmem.ops = &proxy_mem_ops;
	v->host_ops.kick = vd_kick;
	/* A port notify area holds 64 queues: more go memory-mapped only. */
	if (spec->pio_notify && nq <= KVIRTIO_PCI_PIO_NOTIFY_MAX_QUEUES)
		flags = KVIRTIO_PCI_F_PIO_NOTIFY;
	ret = kvirtio_pci_init(&v->vp, &v->vdev, flags, &proxy_pci_ops, v);
	if (ret) {
		vd_err(v, "building the virtio-pci function: %s",
		       strerror(-ret));
		return ret;
	}
	kvirtio_pci_get_layout(&v->vp, &lay);
	v->d.ops = &vdpa_ops;
	v->d.name = v->vdev.name;
	v->d.backend = "vdpa";
	v->d.priv = v;
	for (i = 0; i < 6; i++)
		v->d.bar_size[i] = lay.bar_size[i];
	v->d.notify_bar = lay.notify_bar;
	v->d.notify_off = lay.notify_offset;
	v->d.notify_mult = lay.notify_off_multiplier;
	v->d.pio_notify = lay.pio_notify;
	v->d.pio_notify_bar = lay.pio_notify_bar;
	v->d.pio_notify_off = lay.pio_notify_offset;
	v->d.msix_bar = lay.msix_bar;
	v->d.msix_table_off = lay.msix_table_offset;
	v->d.num_queues = lay.num_queues;
	v->d.num_msix = lay.num_msix;
	return 0;
}

/**
 * vmm_dev_vdpa_create() - a PCI function on a vhost-vdpa device
 * @vmm: the VM, with its RAM (the device maps all of it)
 * @spec: --vdpa PATH[,queues=N][,queue_size=N][,notify=pio|mmio]
 * @out: the function
 *
 * Every failure has been printed, naming the ioctl or the check.
 * Return: 0 or a negative errno.
 */
int vmm_dev_vdpa_create(struct vmm *vmm, const struct vmm_dev_spec *spec,
			struct vmm_dev **out)
{
	unsigned int i, nq;
	struct vdpa_fn *v;
	int ret;

	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->d.vmm = vmm;
	v->d.priv = v;
	v->path = spec->path;
	v->config_fd = -1;
	v->wake_fd = -1;
	v->epfd = -1;
	v->fd = open(spec->path, O_RDWR | O_CLOEXEC);
	if (v->fd < 0) {
		ret = -errno;
		vd_err(v, "open: %s (vhost_vdpa loaded, and the device bound to it with 'vdpa dev add'?)",
		       strerror(-ret));
		free(v);
		return ret;
	}
	ret = probe(v, spec);
	if (ret)
		goto fail;
	nq = v->vdev.num_queues;
	v->d.num_queues = nq;
	v->call_gsi = malloc(nq * sizeof(*v->call_gsi));
	v->call_polled = calloc(nq, sizeof(*v->call_polled));
	ret = -ENOMEM;
	if (!v->call_gsi || !v->call_polled)
		goto fail;
	for (i = 0; i < nq; i++)
		v->call_gsi[i] = -1;
	ret = new_eventfds(&v->kick_fds, nq);
	if (!ret)
		ret = new_eventfds(&v->call_fds, nq);
	if (ret)
		goto fail;
	v->config_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	v->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	v->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (v->config_fd < 0 || v->wake_fd < 0 || v->epfd < 0) {
		ret = -errno;
		goto fail;
	}
	ret = VD_IOCTL(v, VHOST_VDPA_SET_CONFIG_CALL, &v->config_fd);
	if (ret)
		goto fail;
	/*
	 * Mapped now, so that a limit or a refusal shows before the guest
	 * runs.  vhost-vdpa maps each physically contiguous run of pinned
	 * pages as one IOTLB entry (at most max_iotlb_entries, 2048 by
	 * default): huge pages keep them few.
	 */
	madvise(vmm->ram, vmm->mem_size, MADV_HUGEPAGE);
	raise_memlock(v);
	ret = map_ram(v, true);
	if (ret)
		goto fail;
	v->mapped = true;
	pinned_bytes = v->need_pinned;
	ret = build_function(v, spec);
	if (ret)
		goto fail;
	*out = &v->d;
	return 0;
fail:
	v_stop(&v->d);
	free(v);
	return ret;
}
