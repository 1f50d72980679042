// SPDX-License-Identifier: GPL-2.0-only
/*
 * backend=user: the kvirtio core (virtqueue engine, virtio-pci transport,
 * device) built into the VMM and serviced by one VMM thread per device.
 *
 * The data path is the one a good userspace VMM uses: each queue's notify
 * address is a KVM ioeventfd, the worker sleeps in epoll on those
 * eventfds and each MSI-X vector is an eventfd bound to a GSI with
 * KVM_IRQFD, so a request costs no exit to the VMM's vCPU threads (INTx,
 * for guests without MSI-X, is a KVM_IRQ_LINE level instead).  Config
 * space and BAR 0 accesses still exit and call the transport directly.
 * Only the place of the backend differs from backend=kernel.
 *
 * Locking: the device's lock (struct vmm_dev.lock) serializes the config
 * path (vCPU threads) with the worker's queue processing, which is what
 * the transport and the devices expect of a host.
 */
#define _GNU_SOURCE	/* O_DIRECT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compat.h"
#include "virtio_pci.h"
#include "devices/rng.h"
#include "devices/blk.h"
#include "devices/net.h"
#include "backend/blk_user.h"
#include "backend/net_user.h"
#include "backend/pci_user.h"

#include "../lib/libkvirtio.h"
#include "intx.h"
#include "vmm.h"

_Static_assert(VMM_NET_PAIRS_MAX == KVIRTIO_NET_PAIRS_MAX,
	       "--net queues= must match the device's pair limit");

#define WAKE_TAG		0xffffffffU
/* Epoll tags of a net backend: above every queue's kick tag. */
#define NET_TAG_BASE		0x10000U
#define BUDGET_REQUESTS		256
#define BUDGET_BYTES		(1ULL << 20)

struct udev {
	struct vmm_dev d;
	struct kvirtio_guest_mem gmem;
	struct kvirtio_host_ops host_ops;
	struct kvirtio_device *vdev;
	struct kvirtio_pci vp;
	struct kvirtio_blk_backend *blk;
	struct kvirtio_net_backend *net;
	bool link_down;		/* net: as last set (d.lock) */
	int *kick_fds;
	int *irq_fds;
	int wake_fd;
	int epfd;
	pthread_t worker;
	bool worker_running;
	bool driver_ok;		/* as of the last config write (d.lock) */
	atomic_bool stop;
	atomic_bool *pending;
	atomic_ulong kicks;
	atomic_ulong wakeups;
	atomic_ulong irqs;
	atomic_ulong intx_lines;
	atomic_ulong errors;
};

/* ---- guest memory: the VMM's own mapping of guest RAM ------------------ */

static struct vmm *gmem_vmm(struct kvirtio_guest_mem *mem)
{
	return container_of(mem, struct udev, gmem)->d.vmm;
}

static void *u_map_ring(struct kvirtio_guest_mem *mem, u64 gpa, u32 len)
{
	return vmm_gpa(gmem_vmm(mem), gpa, len);
}

static void u_unmap_ring(struct kvirtio_guest_mem *mem, void *ptr, u64 gpa,
			 u32 len)
{
	(void)mem;
	(void)ptr;
	(void)gpa;
	(void)len;
}

static bool u_range_ok(struct kvirtio_guest_mem *mem, u64 gpa, u64 len)
{
	return !!vmm_gpa(gmem_vmm(mem), gpa, len);
}

static int u_read(struct kvirtio_guest_mem *mem, u64 gpa, void *dst, u32 len)
{
	void *src = vmm_gpa(gmem_vmm(mem), gpa, len);

	if (!src)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

static int u_write(struct kvirtio_guest_mem *mem, u64 gpa, const void *src,
		   u32 len)
{
	void *dst = vmm_gpa(gmem_vmm(mem), gpa, len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

static const struct kvirtio_guest_mem_ops user_gmem_ops = {
	.map_ring = u_map_ring,
	.unmap_ring = u_unmap_ring,
	.range_ok = u_range_ok,
	.read = u_read,
	.write = u_write,
};

/* ---- host hooks --------------------------------------------------------- */

static void signal_fd(int fd)
{
	uint64_t one = 1;
	ssize_t n;

	n = write(fd, &one, sizeof(one));
	(void)n;	/* a full counter (EAGAIN) still wakes the reader */
}

/* Set in the worker thread: its own kicks need no wake-up. */
static __thread bool in_worker;

/* Queue @qid has work: mark it and wake the worker. */
static void u_kick(struct kvirtio_device *vdev, u16 qid)
{
	struct udev *u = vdev->host_priv;

	if (qid >= u->d.num_queues)
		return;
	atomic_store(&u->pending[qid], true);
	if (!in_worker)
		signal_fd(u->wake_fd);
}

static void u_msix(struct kvirtio_pci *vp, u16 vector)
{
	struct udev *u = vp->host_priv;

	if (vector >= u->d.num_msix || !u->irq_fds)
		return;
	atomic_fetch_add(&u->irqs, 1);
	signal_fd(u->irq_fds[vector]);
}

static const struct vmm_dev_ops user_ops;

/* Orders KVM_IRQ_LINE calls: the last one says the current level. */
static pthread_mutex_t intx_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * INT A is a level on the slot's I/O APIC pin (mptable.c), held with
 * KVM_IRQ_LINE: KVM delivers it again after the guest's EOI while it
 * stays high, and the guest lowers it by reading ISR.  Two changes may
 * arrive here in either order from different threads, so @level is not
 * trusted: the line is set from the current levels of every
 * backend=user function on the pin (slots 9-16 share pins with 1-8, and
 * KVM_IRQ_LINE has one level per pin for all of userspace).
 */
static void u_intx(struct kvirtio_pci *vp, bool level)
{
	struct udev *u = vp->host_priv;
	struct vmm *vmm = u->d.vmm;
	struct kvm_irq_level line = { 0 };
	unsigned int i;

	(void)level;
	if (!u->d.slot)
		return;		/* not on the bus yet */
	line.irq = vmm_pci_intx_gsi(u->d.slot);
	pthread_mutex_lock(&intx_lock);
	for (i = 0; i < vmm->ndevs && !line.level; i++) {
		struct vmm_dev *d = vmm->devs[i];
		struct udev *other = d->priv;

		if (d->ops == &user_ops &&
		    vmm_pci_intx_gsi(d->slot) == line.irq)
			line.level = kvirtio_pci_intx_level(&other->vp);
	}
	if (ioctl(vmm->vm_fd, KVM_IRQ_LINE, &line) < 0)
		atomic_fetch_add(&u->errors, 1);
	else
		atomic_fetch_add(&u->intx_lines, 1);
	pthread_mutex_unlock(&intx_lock);
}

static const struct kvirtio_pci_host_ops user_pci_ops = {
	.msix = u_msix,
	.intx = u_intx,
};

/* ---- worker -------------------------------------------------------------- */

/*
 * One budgeted pass over a queue: the same core pass the kernel host's
 * worker runs (kvirtio_device_service_queue).
 * Return: true when the budget ran out with work left.
 */
static bool run_queue(struct udev *u, u16 qid)
{
	struct kvirtio_budget budget = {
		.requests = BUDGET_REQUESTS,
		.bytes = BUDGET_BYTES,
	};
	int ret;

	if (!u->vp.queues[qid].live)
		return false;
	ret = kvirtio_device_service_queue(u->vdev, qid, &budget);
	if (ret < 0)
		atomic_fetch_add(&u->errors, 1);
	return ret > 0;
}

static void *worker(void *arg)
{
	struct udev *u = arg;
	struct epoll_event ev[16];
	bool more = false;
	uint64_t cnt;
	int i, n;
	u16 q;

	in_worker = true;
	while (!atomic_load(&u->stop)) {
		n = epoll_wait(u->epfd, ev, 16, more ? 0 : -1);
		if (n < 0 && errno != EINTR)
			break;
		atomic_fetch_add(&u->wakeups, 1);
		for (i = 0; i < n; i++) {
			uint32_t tag = ev[i].data.u32;

			if (tag == WAKE_TAG) {
				if (read(u->wake_fd, &cnt, sizeof(cnt)) < 0)
					continue;
				continue;
			}
			if (tag >= NET_TAG_BASE) {
				/* Frames on a tap: kicks its receive queue. */
				if (u->net)
					kvirtio_net_user_event(u->net, tag);
				continue;
			}
			if (read(u->kick_fds[tag], &cnt, sizeof(cnt)) < 0)
				continue;
			atomic_fetch_add(&u->kicks, 1);
			/* Drops the kick unless the queue is live. */
			kvirtio_pci_notify(&u->vp, tag);
		}
		if (atomic_load(&u->stop))
			break;
		more = false;
		/* A pass is bounded; a waiting config access goes first. */
		while (atomic_load(&u->d.cfg_waiting))
			sched_yield();
		pthread_mutex_lock(&u->d.lock);
		for (q = 0; q < u->d.num_queues; q++) {
			if (!atomic_exchange(&u->pending[q], false))
				continue;
			if (run_queue(u, q))
				atomic_store(&u->pending[q], true);
		}
		pthread_mutex_unlock(&u->d.lock);
		/* Budget left over, or kicked by a completion during the pass. */
		for (q = 0; q < u->d.num_queues && !more; q++)
			more = atomic_load(&u->pending[q]);
	}
	return NULL;
}

/* ---- vmm_dev ops -------------------------------------------------------- */

static struct udev *udev_of(struct vmm_dev *d)
{
	return d->priv;
}

static uint32_t u_cfg_read(struct vmm_dev *d, uint32_t off, uint32_t width)
{
	return kvirtio_pci_config_read(&udev_of(d)->vp, off, width);
}

/*
 * After every config-path write: on the transition to DRIVER_OK look at
 * every enabled queue once, as kvirtio.ko does, so that a buffer made
 * available before DRIVER_OK without a kick is served by both backends.
 * Config space counts too: the PCI_CFG window reaches the common config.
 */
static void u_config_end(struct udev *u)
{
	kvirtio_pci_user_config_end(&u->vp, &u->driver_ok);
}

static void u_cfg_write(struct vmm_dev *d, uint32_t off, uint32_t width,
			uint32_t val)
{
	kvirtio_pci_config_write(&udev_of(d)->vp, off, width, val);
	u_config_end(udev_of(d));
}

static int u_bar_read(struct vmm_dev *d, unsigned int bar, uint64_t off,
		      void *buf, uint32_t len)
{
	return kvirtio_pci_bar_read(&udev_of(d)->vp, bar, off, buf, len);
}

static int u_bar_write(struct vmm_dev *d, unsigned int bar, uint64_t off,
		       const void *buf, uint32_t len)
{
	int ret = kvirtio_pci_bar_write(&udev_of(d)->vp, bar, off, buf, len);

	u_config_end(udev_of(d));
	return ret;
}

static int u_msix_entry(struct vmm_dev *d, uint16_t vec, uint64_t *addr,
			uint32_t *data, bool *deliverable)
{
	struct kvirtio_pci_msix_entry e;
	int ret;

	ret = kvirtio_pci_msix_entry(&udev_of(d)->vp, vec, &e);
	if (ret)
		return ret;
	*addr = e.addr;
	*data = e.data;
	*deliverable = e.enabled && !e.masked && !e.function_masked;
	return 0;
}

/*
 * Every queue's ioeventfd at @base (queue 0's notify address, a port with
 * @pio).  Both notify areas share the kick eventfds, as in kvirtio.ko.
 */
static int kicks_to_kvm(struct udev *u, uint64_t base, bool pio, bool assign)
{
	bool shared = !u->d.notify_mult;
	uint64_t addr;
	unsigned int q;
	int ret;

	for (q = 0; q < u->d.num_queues; q++) {
		addr = base + (uint64_t)q * u->d.notify_mult;
		if (pio)
			ret = kvirtio_kvm_pio_ioeventfd(u->d.vmm->vm_fd, addr, 2,
							u->kick_fds[q], shared,
							q, assign);
		else
			ret = kvirtio_kvm_ioeventfd(u->d.vmm->vm_fd, addr, 2,
						    u->kick_fds[q], shared, q,
						    assign);
		if (ret && assign)
			return ret;
	}
	return 0;
}

/* Move the ioeventfds of one notify area from *@cur to @base. */
static int move_kicks(struct udev *u, uint64_t *cur, uint64_t base, bool pio)
{
	int ret;

	if (!u->kick_fds)
		return 0;	/* not started: u_start registers them */
	if (*cur)
		kicks_to_kvm(u, *cur, pio, false);
	*cur = 0;
	ret = kicks_to_kvm(u, base, pio, true);
	if (ret) {
		kicks_to_kvm(u, base, pio, false);
		fprintf(stderr, "vmm: %s: KVM_IOEVENTFD%s: %s\n", u->d.name,
			pio ? " (port)" : "", strerror(-ret));
		return ret;
	}
	*cur = base;
	return 0;
}

static int u_notify_moved(struct vmm_dev *d, uint64_t base)
{
	return move_kicks(udev_of(d), &d->notify_base, base, false);
}

static int u_pio_notify_moved(struct vmm_dev *d, uint64_t base)
{
	return move_kicks(udev_of(d), &d->pio_notify_base, base, true);
}

static int new_eventfds(int **fds, unsigned int n)
{
	unsigned int i;

	*fds = malloc((n ? n : 1) * sizeof(**fds));
	if (!*fds)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		(*fds)[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if ((*fds)[i] < 0)
			return -errno;
	}
	return 0;
}

static int epoll_add(int epfd, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int u_start(struct vmm_dev *d)
{
	struct udev *u = udev_of(d);
	int vm_fd = d->vmm->vm_fd;
	unsigned int i;
	int ret;

	ret = new_eventfds(&u->irq_fds, d->num_msix);
	for (i = 0; !ret && i < d->num_msix; i++)
		ret = kvirtio_kvm_irqfd(vm_fd, d->gsi_base + i, u->irq_fds[i],
					true);
	if (ret)
		return ret;
	ret = new_eventfds(&u->kick_fds, d->num_queues);
	if (ret)
		return ret;
	ret = epoll_add(u->epfd, u->wake_fd, WAKE_TAG);
	for (i = 0; !ret && i < d->num_queues; i++)
		ret = epoll_add(u->epfd, u->kick_fds[i], i);
	if (ret)
		return ret;
	if (pthread_create(&u->worker, NULL, worker, u))
		return -EAGAIN;
	u->worker_running = true;
	return 0;
}

static void u_stop(struct vmm_dev *d)
{
	struct udev *u = udev_of(d);
	unsigned int i;

	if (u->worker_running) {
		atomic_store(&u->stop, true);
		signal_fd(u->wake_fd);
		pthread_join(u->worker, NULL);
		u->worker_running = false;
	}
	if (d->notify_base)
		kicks_to_kvm(u, d->notify_base, false, false);
	d->notify_base = 0;
	if (d->pio_notify_base)
		kicks_to_kvm(u, d->pio_notify_base, true, false);
	d->pio_notify_base = 0;
	for (i = 0; u->irq_fds && i < d->num_msix; i++)
		kvirtio_kvm_irqfd(d->vmm->vm_fd, d->gsi_base + i,
				  u->irq_fds[i], false);
	kvirtio_pci_destroy(&u->vp);
	if (u->blk) {
		kvirtio_blk_destroy(u->vdev);
		kvirtio_blk_user_destroy(u->blk);
	} else if (u->net) {
		kvirtio_net_destroy(u->vdev);
		kvirtio_net_user_destroy(u->net);
	} else {
		kvirtio_rng_destroy(u->vdev);
	}
}

static void print_net_stats(struct udev *u)
{
	static const char * const net_names[] = {
		"tx_packets", "tx_bytes", "tx_bad_hdr", "tx_bad_len",
		"tx_backend_err", "rx_packets", "rx_bytes", "rx_merged",
		"rx_too_big", "rx_filtered", "rx_bad_hdr", "rx_bad_buf",
		"rx_backend_err", "rx_no_buffers", "ctrl_ok", "ctrl_err",
		"link_changes", "active_pairs",
		/* the sums KVIRTIO_DEVICE_GET_STATS gives backend=kernel */
		"tx_dropped", "rx_dropped", "ctrl_errors",
	};
	static const char * const tap_names[] = {
		"reads", "read_errors", "runts", "drops", "writes",
		"write_errors", "events",
	};
	struct kvirtio_net_user_stats ts;
	struct kvirtio_net_stats ns;
	u16 pairs;

	pthread_mutex_lock(&u->d.lock);
	kvirtio_net_get_stats(u->vdev, &ns);
	pairs = kvirtio_net_active_pairs(u->vdev);
	pthread_mutex_unlock(&u->d.lock);
	kvirtio_net_user_get_stats(u->net, &ts);
	{
		const unsigned long long v[] = {
			ns.tx_packets, ns.tx_bytes, ns.tx_bad_hdr,
			ns.tx_bad_len, ns.tx_backend_err, ns.rx_packets,
			ns.rx_bytes, ns.rx_merged, ns.rx_too_big,
			ns.rx_filtered, ns.rx_bad_hdr, ns.rx_bad_buf,
			ns.rx_backend_err, ns.rx_no_buffers, ns.ctrl_ok,
			ns.ctrl_err, ns.link_changes, pairs,
			ns.tx_bad_hdr + ns.tx_bad_len + ns.tx_backend_err,
			ns.rx_too_big + ns.rx_filtered + ns.rx_bad_hdr +
			ns.rx_backend_err, ns.ctrl_err,
		};
		const unsigned long long t[] = {
			ts.reads, ts.read_errors, ts.runts, ts.drops,
			ts.writes, ts.write_errors, ts.events,
		};

		_Static_assert(ARRAY_SIZE(v) == ARRAY_SIZE(net_names),
			       "one name per net counter");
		_Static_assert(ARRAY_SIZE(t) == ARRAY_SIZE(tap_names),
			       "one name per tap counter");
		vmm_print_counters("  net", net_names, v, ARRAY_SIZE(v));
		vmm_print_counters("  tap", tap_names, t, ARRAY_SIZE(t));
	}
}

/* SIGUSR1: the link as kvirtio.ko's KVIRTIO_DEVICE_SET_LINK sets it. */
static int u_toggle_link(struct vmm_dev *d)
{
	struct udev *u = udev_of(d);
	bool up;

	if (!u->net)
		return -EOPNOTSUPP;
	vmm_dev_cfg_lock(d);
	u->link_down = !u->link_down;
	up = !u->link_down;
	kvirtio_net_set_link(u->vdev, up);
	pthread_mutex_unlock(&d->lock);
	return up;
}

static void u_print_stats(struct vmm_dev *d)
{
	static const char * const worker_names[] = {
		"worker_wakeups", "kick_eventfds", "msix_signals", "errors",
		"intx_lines",
	};
	static const char * const pci_names[] = {
		"kicks", "kicks_ignored", "irq_msix", "irq_pending",
		"irq_suppressed", "irq_no_vector", "bad_access", "resets",
		"irq_intx",
	};
	static const char * const queue_names[] = {
		"chains", "used", "notifies", "suppressed", "errors",
	};
	struct udev *u = udev_of(d);
	const struct kvirtio_pci_stats *ps = &u->vp.stats;
	unsigned long long w[ARRAY_SIZE(worker_names)] = {
		atomic_load(&u->wakeups), atomic_load(&u->kicks),
		atomic_load(&u->irqs), atomic_load(&u->errors),
		atomic_load(&u->intx_lines),
	};
	unsigned long long p[ARRAY_SIZE(pci_names)] = {
		atomic64_read(&ps->kicks), atomic64_read(&ps->kicks_ignored),
		ps->irq_msix, ps->irq_pending,
		ps->irq_suppressed, ps->irq_no_vector, ps->bad_access,
		ps->resets, ps->irq_intx,
	};
	char what[24];
	unsigned int q;

	vmm_print_counters("  user", worker_names, w, ARRAY_SIZE(w));
	vmm_print_counters("  transport", pci_names, p, ARRAY_SIZE(p));
	for (q = 0; q < d->num_queues; q++) {
		const struct kvirtio_queue_stats *qs = &u->vdev->queues[q].stats;
		unsigned long long v[ARRAY_SIZE(queue_names)] = {
			qs->chains, qs->used, qs->notifies,
			qs->notifies_suppressed, qs->errors,
		};

		snprintf(what, sizeof(what), "  queue %u", q);
		vmm_print_counters(what, queue_names, v, ARRAY_SIZE(v));
	}
	if (u->net)
		print_net_stats(u);
}

static const struct vmm_dev_ops user_ops = {
	.cfg_read = u_cfg_read,
	.cfg_write = u_cfg_write,
	.bar_read = u_bar_read,
	.bar_write = u_bar_write,
	.msix_entry = u_msix_entry,
	.start = u_start,
	.notify_moved = u_notify_moved,
	.pio_notify_moved = u_pio_notify_moved,
	.stop = u_stop,
	.print_stats = u_print_stats,
	.toggle_link = u_toggle_link,
};

/* The blk backend reads and writes guest buffers in place. */
static void *u_translate(void *opaque, u64 gpa, u64 len)
{
	return vmm_gpa(opaque, gpa, len);
}

static int create_blk(struct udev *u, const struct vmm_dev_spec *spec)
{
	struct kvirtio_blk_user_opts bo = {
		.read_only = spec->ro,
		.translate = u_translate,
		.translate_opaque = u->d.vmm,
	};
	struct kvirtio_blk_opts bp = {
		.num_queues = spec->queues,
		.read_only = spec->ro,
		.flush = true,
	};
	int ret;

	bo.fd = open(spec->path, (spec->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC |
		     (spec->direct ? O_DIRECT : 0));
	if (bo.fd < 0)
		return -errno;
	ret = kvirtio_blk_user_create(&bo, &u->blk);
	close(bo.fd);	/* the backend keeps its own dup */
	if (ret)
		return ret;
	memcpy(bp.serial, VMM_BLK_SERIAL, sizeof(VMM_BLK_SERIAL) - 1);
	ret = kvirtio_blk_create(&bp, u->blk, &u->vdev);
	if (ret) {
		kvirtio_blk_user_destroy(u->blk);
		u->blk = NULL;
	}
	return ret;
}

/*
 * A net device on the tap's queues, one per pair; the backend keeps its
 * own dups, and the worker's epoll set watches them for it.
 */
static int create_net(struct udev *u, const struct vmm_dev_spec *spec)
{
	unsigned int pairs = vmm_net_pairs(u->d.vmm, spec);
	struct kvirtio_net_user_opts no = {
		.num_queues = pairs,
		.epfd = u->epfd,
		.tag_base = NET_TAG_BASE,
		.translate = u_translate,
		.translate_opaque = u->d.vmm,
	};
	struct kvirtio_net_opts op = {
		.num_pairs = pairs,
		.mtu = spec->mtu,
		.features_off = vmm_net_features_off(spec),
	};
	int fds[VMM_NET_PAIRS_MAX];
	int ret;

	ret = vmm_tap_open(spec->tap, pairs, fds);
	if (ret)
		return ret;
	no.fds = fds;
	ret = kvirtio_net_user_create(&no, &u->net);
	vmm_tap_close(fds, pairs);
	if (ret)
		return ret;
	vmm_net_mac(spec, op.mac);
	ret = kvirtio_net_create(&op, u->net, &u->vdev);
	if (ret) {
		kvirtio_net_user_destroy(u->net);
		u->net = NULL;
	}
	return ret;
}

static int create_model(struct udev *u, const struct vmm_dev_spec *spec)
{
	struct kvirtio_rng_opts ro = {
		.fill = kvirtio_rng_fill_user,
	};

	if (!strcmp(spec->type, "blk"))
		return create_blk(u, spec);
	if (!strcmp(spec->type, "net"))
		return create_net(u, spec);
	return kvirtio_rng_create(&ro, &u->vdev);
}

int vmm_dev_user_create(struct vmm *vmm, const struct vmm_dev_spec *spec,
			struct vmm_dev **out)
{
	struct kvirtio_pci_layout lay;
	struct udev *u;
	unsigned int i;
	int ret;

	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->d.vmm = vmm;
	u->gmem.ops = &user_gmem_ops;
	u->host_ops.kick = u_kick;
	u->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	u->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (u->wake_fd < 0 || u->epfd < 0) {
		ret = -errno;
		goto fail;
	}
	ret = create_model(u, spec);
	if (ret)
		goto fail;
	u->vdev->mem = &u->gmem;
	u->vdev->host = &u->host_ops;
	u->vdev->host_priv = u;
	ret = kvirtio_pci_init(&u->vp, u->vdev,
			       spec->pio_notify ? KVIRTIO_PCI_F_PIO_NOTIFY : 0,
			       &user_pci_ops, u);
	if (ret)
		return ret;
	kvirtio_pci_get_layout(&u->vp, &lay);

	u->d.ops = &user_ops;
	u->d.name = spec->type;
	u->d.backend = "user";
	u->d.priv = u;
	for (i = 0; i < 6; i++)
		u->d.bar_size[i] = lay.bar_size[i];
	u->d.notify_bar = lay.notify_bar;
	u->d.notify_off = lay.notify_offset;
	u->d.notify_mult = lay.notify_off_multiplier;
	u->d.pio_notify = lay.pio_notify;
	u->d.pio_notify_bar = lay.pio_notify_bar;
	u->d.pio_notify_off = lay.pio_notify_offset;
	u->d.msix_bar = lay.msix_bar;
	u->d.msix_table_off = lay.msix_table_offset;
	u->d.num_queues = lay.num_queues;
	u->d.num_msix = lay.num_msix;
	u->pending = calloc(lay.num_queues ? lay.num_queues : 1,
			    sizeof(*u->pending));
	if (!u->pending)
		return -ENOMEM;
	*out = &u->d;
	return 0;
fail:
	if (u->epfd >= 0)
		close(u->epfd);
	if (u->wake_fd >= 0)
		close(u->wake_fd);
	free(u);
	return ret;
}
