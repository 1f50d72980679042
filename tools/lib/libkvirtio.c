// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkvirtio: see libkvirtio.h and Documentation/library.rst.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_tun.h>

#include "libkvirtio.h"

#define PCI_COMMAND		0x04
#define PCI_COMMAND_MEMORY	0x0002
#define PCI_CAP_PTR		0x34
#define PCI_CAP_ID_MSIX		0x11
#define MSIX_CTRL_ENABLE	0x8000
#define MSIX_CTRL_FMASK		0x4000
#define MSIX_ENTRY_SIZE		16

struct kvirtio_dev {
	int fd;
	struct kvirtio_device_info info;
	uint32_t msix_cap;
	int vm_fd;
	uint64_t notify_bar_gpa;	/* 0: kick eventfds not in KVM */
	uint16_t pio_notify_port;	/* 0: no port I/O kick eventfds */
	bool direct;			/* BARs on KVM's buses (no ioeventfds) */
	int intx_trigger;		/* INTx eventfds, -1: none */
	int intx_resample;
	uint32_t intx_gsi;
	uint32_t gsi_base;
	int *kick_fds;
	int *irq_fds;
};

/* ---- KVM helpers ------------------------------------------------------ */

static int ioeventfd(int vm_fd, uint64_t addr, uint32_t len, int efd,
		     bool datamatch, uint64_t data, bool assign, uint32_t flags)
{
	struct kvm_ioeventfd io = {
		.datamatch = data,
		.addr = addr,
		.len = len,
		.fd = efd,
		.flags = flags,
	};

	if (datamatch)
		io.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
	if (!assign)
		io.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
	return ioctl(vm_fd, KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}

int kvirtio_kvm_ioeventfd(int vm_fd, uint64_t addr, uint32_t len, int efd,
			  bool datamatch, uint64_t data, bool assign)
{
	return ioeventfd(vm_fd, addr, len, efd, datamatch, data, assign, 0);
}

int kvirtio_kvm_pio_ioeventfd(int vm_fd, uint16_t port, uint32_t len, int efd,
			      bool datamatch, uint64_t data, bool assign)
{
	return ioeventfd(vm_fd, port, len, efd, datamatch, data, assign,
			 KVM_IOEVENTFD_FLAG_PIO);
}

int kvirtio_kvm_irqfd(int vm_fd, uint32_t gsi, int efd, bool assign)
{
	struct kvm_irqfd irqfd = {
		.fd = efd,
		.gsi = gsi,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	return ioctl(vm_fd, KVM_IRQFD, &irqfd) < 0 ? -errno : 0;
}

void kvirtio_kvm_msi_route(struct kvm_irq_routing_entry *e, uint32_t gsi,
			   uint64_t addr, uint32_t data)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_MSI;
	e->u.msi.address_lo = (uint32_t)addr;
	e->u.msi.address_hi = (uint32_t)(addr >> 32);
	e->u.msi.data = data;
}

static void irqchip_route(struct kvm_irq_routing_entry *e, uint32_t gsi,
			  uint32_t chip, uint32_t pin)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

unsigned int kvirtio_kvm_irqchip_routes(struct kvm_irq_routing_entry *e)
{
	unsigned int n = 0, gsi;

	/* The same table KVM installs with KVM_CREATE_IRQCHIP on x86. */
	for (gsi = 0; gsi < 16; gsi++)
		irqchip_route(&e[n++], gsi, gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
			      KVM_IRQCHIP_PIC_SLAVE, gsi & 7);
	for (gsi = 0; gsi < 24; gsi++)
		irqchip_route(&e[n++], gsi, KVM_IRQCHIP_IOAPIC, gsi);
	return n;
}

/* ---- /dev/kvirtio devices --------------------------------------------- */

int kvirtio_open(void)
{
	int fd, ver;

	fd = open(KVIRTIO_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ver = ioctl(fd, KVIRTIO_GET_API_VERSION, 0);
	if (ver != KVIRTIO_API_VERSION) {
		close(fd);
		return ver < 0 ? -errno : -EPROTO;
	}
	return fd;
}

static int region_io(struct kvirtio_dev *dev, unsigned int region,
		     uint64_t off, void *buf, uint32_t len, bool write)
{
	const struct kvirtio_region_info *r;
	ssize_t n;

	if (region >= KVIRTIO_NUM_REGIONS)
		return -EINVAL;
	r = &dev->info.regions[region];
	if (!r->size || off >= r->size || len > r->size - off)
		return -EINVAL;
	if (write)
		n = pwrite(dev->fd, buf, len, r->offset + off);
	else
		n = pread(dev->fd, buf, len, r->offset + off);
	if (n < 0)
		return -errno;
	return (uint32_t)n == len ? 0 : -EIO;
}

int kvirtio_dev_config_read(struct kvirtio_dev *dev, uint32_t off,
			    uint32_t width, uint32_t *val)
{
	uint32_t v = 0;
	int ret;

	*val = 0xffffffffU;
	if (width < 1 || width > 4)
		return -EINVAL;
	ret = region_io(dev, KVIRTIO_REGION_CONFIG, off, &v, width, false);
	if (!ret)
		*val = v;
	else if (width < 4)
		*val = (1U << (8 * width)) - 1;
	return ret;
}

int kvirtio_dev_config_write(struct kvirtio_dev *dev, uint32_t off,
			     uint32_t width, uint32_t val)
{
	if (width < 1 || width > 4)
		return -EINVAL;
	return region_io(dev, KVIRTIO_REGION_CONFIG, off, &val, width, true);
}

int kvirtio_dev_bar_read(struct kvirtio_dev *dev, unsigned int bar,
			 uint64_t off, void *buf, uint32_t len)
{
	int ret;

	if (bar > KVIRTIO_REGION_BAR5)
		return -EINVAL;
	ret = region_io(dev, bar, off, buf, len, false);
	if (ret)
		memset(buf, 0xff, len);
	return ret;
}

int kvirtio_dev_bar_write(struct kvirtio_dev *dev, unsigned int bar,
			  uint64_t off, const void *buf, uint32_t len)
{
	if (bar > KVIRTIO_REGION_BAR5)
		return -EINVAL;
	return region_io(dev, bar, off, (void *)buf, len, true);
}

static uint32_t find_msix_cap(struct kvirtio_dev *dev)
{
	uint32_t off, id;
	unsigned int n;

	if (kvirtio_dev_config_read(dev, PCI_CAP_PTR, 1, &off))
		return 0;
	for (n = 0; (off &= 0xfc) && n < 48; n++) {
		if (kvirtio_dev_config_read(dev, off, 1, &id))
			return 0;
		if (id == PCI_CAP_ID_MSIX)
			return off;
		if (kvirtio_dev_config_read(dev, off + 1, 1, &off))
			return 0;
	}
	return 0;
}

int kvirtio_dev_create(int ctl_fd, struct kvirtio_create_device *arg,
		       struct kvirtio_dev **out)
{
	struct kvirtio_dev *dev;
	int fd, ret;

	arg->argsz = sizeof(*arg);
	fd = ioctl(ctl_fd, KVIRTIO_CREATE_DEVICE, arg);
	if (fd < 0)
		return -errno;
	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		close(fd);
		return -ENOMEM;
	}
	dev->fd = fd;
	dev->vm_fd = -1;
	dev->intx_trigger = -1;
	dev->intx_resample = -1;
	dev->info.argsz = sizeof(dev->info);
	if (ioctl(fd, KVIRTIO_DEVICE_GET_INFO, &dev->info) < 0) {
		ret = -errno;
		close(fd);
		free(dev);
		return ret;
	}
	dev->msix_cap = find_msix_cap(dev);
	*out = dev;
	return 0;
}

int kvirtio_dev_create_rng(int ctl_fd, uint16_t queue_size, uint32_t flags,
			   struct kvirtio_dev **out)
{
	struct kvirtio_create_device arg;

	memset(&arg, 0, sizeof(arg));
	arg.flags = flags;
	arg.type = KVIRTIO_DEV_RNG;
	arg.queue_size_max = queue_size;
	return kvirtio_dev_create(ctl_fd, &arg, out);
}

int kvirtio_dev_create_blk(int ctl_fd, int file_fd, bool read_only,
			   uint16_t num_queues, const char *serial,
			   uint32_t flags, struct kvirtio_dev **out)
{
	struct kvirtio_create_device arg;

	memset(&arg, 0, sizeof(arg));
	arg.flags = flags;
	arg.type = KVIRTIO_DEV_BLK;
	arg.num_queues = num_queues;
	arg.blk.fd = file_fd;
	arg.blk.flags = KVIRTIO_BLK_F_FLUSH |
			(read_only ? KVIRTIO_BLK_F_READ_ONLY : 0);
	/* NUL padded, not necessarily terminated: 20 bytes at most. */
	if (serial)
		memcpy(arg.blk.serial, serial,
		       strnlen(serial, sizeof(arg.blk.serial)));
	return kvirtio_dev_create(ctl_fd, &arg, out);
}

/* The vnet header a kvirtio net device reads and writes: virtio_net_hdr_v1. */
#define NET_HDR_LEN	12

/*
 * Is @fd a tap queue as KVIRTIO_DEV_NET needs it?  Its interface name goes
 * to @name (IFNAMSIZ bytes).  0, -EBADF, or -EINVAL.
 */
static int net_check_tap(int fd, char *name)
{
	struct ifreq ifr;
	int hdr = 0;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr))
		return errno == EBADF ? -EBADF : -EINVAL;
	if ((ifr.ifr_flags & (IFF_TAP | IFF_TUN)) != IFF_TAP ||
	    !(ifr.ifr_flags & IFF_NO_PI) || !(ifr.ifr_flags & IFF_VNET_HDR))
		return -EINVAL;
	if (ioctl(fd, TUNGETVNETHDRSZ, &hdr) || hdr != NET_HDR_LEN)
		return -EINVAL;
	memcpy(name, ifr.ifr_name, IFNAMSIZ);
	return 0;
}

int kvirtio_dev_create_net(int ctl_fd, const struct kvirtio_net_params *p,
			   uint16_t queue_size, uint32_t flags,
			   struct kvirtio_dev **out)
{
	char first[IFNAMSIZ], name[IFNAMSIZ];
	struct kvirtio_create_device arg;
	unsigned int i;
	int ret;

	/* A bad count is the kernel's to refuse; check what it cannot see. */
	for (i = 0; i < p->num_pairs && i < KVIRTIO_NET_PAIRS_MAX; i++) {
		if (p->tap_fds[i] < 0)
			break;
		ret = net_check_tap(p->tap_fds[i], i ? name : first);
		if (ret)
			return ret;
		if (i && memcmp(first, name, IFNAMSIZ))
			return -EINVAL;
	}
	memset(&arg, 0, sizeof(arg));
	arg.flags = flags;
	arg.type = KVIRTIO_DEV_NET;
	arg.queue_size_max = queue_size;
	arg.net = *p;
	return kvirtio_dev_create(ctl_fd, &arg, out);
}

int kvirtio_dev_set_link(struct kvirtio_dev *dev, bool up)
{
	struct kvirtio_net_link l;

	memset(&l, 0, sizeof(l));
	l.argsz = sizeof(l);
	l.up = up;
	return ioctl(dev->fd, KVIRTIO_DEVICE_SET_LINK, &l) < 0 ? -errno : 0;
}

const struct kvirtio_device_info *kvirtio_dev_info(const struct kvirtio_dev *dev)
{
	return &dev->info;
}

int kvirtio_dev_fd(const struct kvirtio_dev *dev)
{
	return dev->fd;
}

int kvirtio_dev_set_mem_table(struct kvirtio_dev *dev,
			      const struct kvirtio_mem_region *regions,
			      unsigned int n)
{
	struct kvirtio_mem_table *t;
	size_t sz;
	int ret;

	if (n > KVIRTIO_MEM_REGIONS_MAX)
		return -E2BIG;
	sz = sizeof(*t) + n * sizeof(t->regions[0]);
	t = calloc(1, sz);
	if (!t)
		return -ENOMEM;
	t->argsz = sz;
	t->nregions = n;
	memcpy(t->regions, regions, n * sizeof(t->regions[0]));
	ret = ioctl(dev->fd, KVIRTIO_DEVICE_SET_MEM_TABLE, t) < 0 ? -errno : 0;
	free(t);
	return ret;
}

/* One queue's notify ioeventfd in the MMIO or in the port notify area. */
static int kick_to_kvm(struct kvirtio_dev *dev, uint64_t base, bool pio,
		       unsigned int q, bool assign)
{
	uint64_t off = pio ? dev->info.pio_notify_offset :
			     dev->info.notify_offset;
	uint32_t mult = pio ? dev->info.pio_notify_off_multiplier :
			      dev->info.notify_off_multiplier;
	/* A shared notify address needs the queue index to match. */
	bool shared = !mult;

	if (pio)
		return kvirtio_kvm_pio_ioeventfd(dev->vm_fd, base + off + q * mult,
						 2, dev->kick_fds[q], shared,
						 q, assign);
	return kvirtio_kvm_ioeventfd(dev->vm_fd, base + off + (uint64_t)q * mult,
				     2, dev->kick_fds[q], shared, q, assign);
}

/*
 * Register (or remove) every queue's ioeventfd in the notify area of the
 * BAR at @base (a port with @pio).  The same kick eventfd serves both
 * areas.
 */
static int kicks_to_kvm(struct kvirtio_dev *dev, uint64_t base, bool pio,
			bool assign)
{
	unsigned int q;
	int ret = 0;

	for (q = 0; q < dev->info.num_queues; q++) {
		ret = kick_to_kvm(dev, base, pio, q, assign);
		if (ret && assign) {
			while (q--)
				kick_to_kvm(dev, base, pio, q, false);
			return ret;
		}
	}
	return assign ? 0 : ret;
}

static int set_kick_fd(struct kvirtio_dev *dev, unsigned int q, int fd)
{
	struct kvirtio_queue_fd a = {
		.argsz = sizeof(a), .index = q, .fd = fd,
	};

	return ioctl(dev->fd, KVIRTIO_DEVICE_SET_KICK_FD, &a) < 0 ? -errno : 0;
}

/* An MSI-X vector's eventfd, or INTx's pair (@resample_fd). */
static int set_irq_fd(struct kvirtio_dev *dev, uint32_t type, unsigned int v,
		      int fd, int resample_fd)
{
	struct kvirtio_irq_fd a = {
		.argsz = sizeof(a), .type = type, .index = v,
		.fd = fd, .resample_fd = resample_fd,
	};

	return ioctl(dev->fd, KVIRTIO_DEVICE_SET_IRQ_FD, &a) < 0 ? -errno : 0;
}

static void intx_detach(struct kvirtio_dev *dev, int vm_fd);
static int attach_vm(struct kvirtio_dev *dev, int vm_fd,
		     const uint64_t *bar_addr)
{
	struct kvirtio_vm_attach a = { .argsz = sizeof(a), .vm_fd = vm_fd };
	unsigned int b;

	/* Only the BARs the device serves on KVM's buses; never MSI-X. */
	for (b = 0; bar_addr && b < 6; b++)
		if (b == 0 || b == dev->info.notify_bar ||
		    ((dev->info.flags & KVIRTIO_INFO_F_PIO_NOTIFY) &&
		     b == dev->info.pio_notify_bar))
			a.bar_addr[b] = bar_addr[b];
	return ioctl(dev->fd, KVIRTIO_DEVICE_ATTACH_VM, &a) < 0 ? -errno : 0;
}

static void direct_detach(struct kvirtio_dev *dev)
{
	attach_vm(dev, -1, NULL);
	dev->direct = false;
}

static void detach(struct kvirtio_dev *dev)
{
	unsigned int i;

	if (dev->vm_fd < 0)
		return;
	if (dev->direct)
		direct_detach(dev);
	if (dev->notify_bar_gpa)
		kicks_to_kvm(dev, dev->notify_bar_gpa, false, false);
	if (dev->pio_notify_port)
		kicks_to_kvm(dev, dev->pio_notify_port, true, false);
	for (i = 0; dev->kick_fds && i < dev->info.num_queues; i++) {
		if (dev->kick_fds[i] < 0)
			continue;
		set_kick_fd(dev, i, -1);
		close(dev->kick_fds[i]);
	}
	for (i = 0; dev->irq_fds && i < dev->info.num_msix; i++) {
		if (dev->irq_fds[i] < 0)
			continue;
		set_irq_fd(dev, KVIRTIO_IRQ_MSIX, i, -1, -1);
		kvirtio_kvm_irqfd(dev->vm_fd, dev->gsi_base + i,
				  dev->irq_fds[i], false);
		close(dev->irq_fds[i]);
	}
	free(dev->kick_fds);
	free(dev->irq_fds);
	dev->kick_fds = NULL;
	dev->irq_fds = NULL;
	intx_detach(dev, dev->vm_fd);
	dev->notify_bar_gpa = 0;
	dev->pio_notify_port = 0;
	dev->vm_fd = -1;
}

static int *new_fds(unsigned int n)
{
	int *fds = malloc((n ? n : 1) * sizeof(*fds));
	unsigned int i;

	if (fds)
		for (i = 0; i < n; i++)
			fds[i] = -1;
	return fds;
}

int kvirtio_dev_attach_kvm(struct kvirtio_dev *dev, int vm_fd,
			   uint64_t notify_bar_gpa, uint32_t gsi_base)
{
	unsigned int i;
	int ret = -ENOMEM;

	if (dev->vm_fd >= 0)
		return -EBUSY;
	dev->vm_fd = vm_fd;
	dev->gsi_base = gsi_base;
	dev->kick_fds = new_fds(dev->info.num_queues);
	dev->irq_fds = new_fds(dev->info.num_msix);
	if (!dev->kick_fds || !dev->irq_fds)
		goto fail;
	for (i = 0; i < dev->info.num_msix; i++) {
		dev->irq_fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (dev->irq_fds[i] < 0) {
			ret = -errno;
			goto fail;
		}
		ret = kvirtio_kvm_irqfd(vm_fd, gsi_base + i, dev->irq_fds[i],
					true);
		if (!ret)
			ret = set_irq_fd(dev, KVIRTIO_IRQ_MSIX, i, dev->irq_fds[i], -1);
		if (ret)
			goto fail;
	}
	for (i = 0; i < dev->info.num_queues; i++) {
		dev->kick_fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (dev->kick_fds[i] < 0) {
			ret = -errno;
			goto fail;
		}
		ret = set_kick_fd(dev, i, dev->kick_fds[i]);
		if (ret)
			goto fail;
	}
	if (notify_bar_gpa) {
		ret = kicks_to_kvm(dev, notify_bar_gpa, false, true);
		if (ret)
			goto fail;
		dev->notify_bar_gpa = notify_bar_gpa;
	}
	return 0;
fail:
	detach(dev);
	return ret;
}

int kvirtio_dev_move_notify(struct kvirtio_dev *dev, uint64_t notify_bar_gpa)
{
	int ret;

	if (dev->vm_fd < 0)
		return -ENOTCONN;
	if (dev->direct)
		return 0;	/* the device serves the notify area itself */
	if (notify_bar_gpa == dev->notify_bar_gpa)
		return 0;
	if (dev->notify_bar_gpa)
		kicks_to_kvm(dev, dev->notify_bar_gpa, false, false);
	dev->notify_bar_gpa = 0;
	if (!notify_bar_gpa)
		return 0;
	ret = kicks_to_kvm(dev, notify_bar_gpa, false, true);
	if (!ret)
		dev->notify_bar_gpa = notify_bar_gpa;
	return ret;
}

int kvirtio_dev_move_pio_notify(struct kvirtio_dev *dev, uint16_t port)
{
	int ret;

	if (dev->vm_fd < 0)
		return -ENOTCONN;
	if (!(dev->info.flags & KVIRTIO_INFO_F_PIO_NOTIFY))
		return -EOPNOTSUPP;
	if (dev->direct)
		return 0;
	if (port == dev->pio_notify_port)
		return 0;
	if (dev->pio_notify_port)
		kicks_to_kvm(dev, dev->pio_notify_port, true, false);
	dev->pio_notify_port = 0;
	if (!port)
		return 0;
	ret = kicks_to_kvm(dev, port, true, true);
	if (!ret)
		dev->pio_notify_port = port;
	return ret;
}

int kvirtio_dev_place_direct(struct kvirtio_dev *dev, const uint64_t *bar_addr)
{
	uint64_t notify = dev->notify_bar_gpa;
	uint16_t port = dev->pio_notify_port;
	int ret;

	if (dev->vm_fd < 0)
		return -ENOTCONN;
	/* KVM would refuse ranges that its ioeventfds overlap (-EEXIST). */
	if (notify)
		kicks_to_kvm(dev, notify, false, false);
	if (port)
		kicks_to_kvm(dev, port, true, false);
	dev->notify_bar_gpa = 0;
	dev->pio_notify_port = 0;
	ret = attach_vm(dev, dev->vm_fd, bar_addr);
	if (!ret) {
		dev->direct = true;
		return 0;
	}
	/* Forwarding goes on, with its kicks where they were. */
	if (notify && !kicks_to_kvm(dev, notify, false, true))
		dev->notify_bar_gpa = notify;
	if (port && !kicks_to_kvm(dev, port, true, true))
		dev->pio_notify_port = port;
	return ret;
}

bool kvirtio_dev_is_direct(const struct kvirtio_dev *dev)
{
	return dev->direct;
}

/*
 * 0 when the guest has memory decoding on, -EAGAIN when it is off: the
 * device then answers BAR reads with all-ones (and success), as a PCI
 * function does, so the MSI-X table cannot be read through its BAR.
 */
static int table_readable(struct kvirtio_dev *dev)
{
	uint32_t cmd;
	int ret;

	ret = kvirtio_dev_config_read(dev, PCI_COMMAND, 2, &cmd);
	if (ret)
		return ret;
	return cmd & PCI_COMMAND_MEMORY ? 0 : -EAGAIN;
}

int kvirtio_dev_msix_entry(struct kvirtio_dev *dev, uint16_t vec,
			   uint64_t *addr, uint32_t *data, bool *deliverable)
{
	uint32_t e[4], ctrl = 0;
	uint64_t off;
	unsigned int i;
	int ret;

	if (vec >= dev->info.num_msix || !dev->msix_cap)
		return -EINVAL;
	/*
	 * The guest may program the table with decoding off, through the
	 * PCI_CFG window.  Asked again after the reads: a guest may have
	 * turned decoding off meanwhile (a caller that rebuilds routes when
	 * decoding comes on gets the entries right then).
	 */
	ret = table_readable(dev);
	if (ret)
		return ret;
	off = dev->info.msix_table_offset + (uint64_t)vec * MSIX_ENTRY_SIZE;
	for (i = 0; i < 4; i++) {
		ret = kvirtio_dev_bar_read(dev, dev->info.msix_bar,
					   off + 4 * i, &e[i], 4);
		if (ret)
			return ret;
	}
	ret = table_readable(dev);
	if (ret)
		return ret;
	ret = kvirtio_dev_config_read(dev, dev->msix_cap + 2, 2, &ctrl);
	if (ret)
		return ret;
	*addr = (uint64_t)e[1] << 32 | e[0];
	*data = e[2];
	*deliverable = (ctrl & MSIX_CTRL_ENABLE) && !(ctrl & MSIX_CTRL_FMASK) &&
		       !(e[3] & 1);
	return 0;
}

int kvirtio_dev_msix_route(struct kvirtio_dev *dev, uint16_t vec,
			   struct kvm_irq_routing_entry *e)
{
	bool deliverable;
	uint64_t addr;
	uint32_t data;
	int ret;

	if (dev->vm_fd < 0)
		return -ENOTCONN;
	ret = kvirtio_dev_msix_entry(dev, vec, &addr, &data, &deliverable);
	if (ret)
		return ret;
	if (!addr)
		return 0;
	kvirtio_kvm_msi_route(e, dev->gsi_base + vec, addr, data);
	return 1;
}

int kvirtio_dev_set_options(struct kvirtio_dev *dev,
			    struct kvirtio_options *opts)
{
	opts->argsz = sizeof(*opts);
	return ioctl(dev->fd, KVIRTIO_DEVICE_SET_OPTIONS, opts) < 0 ? -errno : 0;
}

int kvirtio_dev_get_stats(struct kvirtio_dev *dev, struct kvirtio_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->argsz = sizeof(*st);
	return ioctl(dev->fd, KVIRTIO_DEVICE_GET_STATS, st) < 0 ? -errno : 0;
}

void kvirtio_dev_destroy(struct kvirtio_dev *dev)
{
	if (!dev)
		return;
	detach(dev);
	close(dev->fd);
	free(dev);
}

/* ---- INTx ------------------------------------------------------------- */

/* KVM_IRQFD of the pair: level-triggered, deasserted and resampled on EOI. */
static int intx_irqfd(struct kvirtio_dev *dev, int vm_fd, bool assign)
{
	struct kvm_irqfd irqfd = {
		.fd = dev->intx_trigger,
		.gsi = dev->intx_gsi,
		.flags = assign ? KVM_IRQFD_FLAG_RESAMPLE :
				  KVM_IRQFD_FLAG_DEASSIGN,
		.resamplefd = assign ? dev->intx_resample : 0,
	};

	return ioctl(vm_fd, KVM_IRQFD, &irqfd) < 0 ? -errno : 0;
}

static void intx_close(struct kvirtio_dev *dev)
{
	if (dev->intx_trigger >= 0)
		close(dev->intx_trigger);
	if (dev->intx_resample >= 0)
		close(dev->intx_resample);
	dev->intx_trigger = -1;
	dev->intx_resample = -1;
}

int kvirtio_dev_attach_intx(struct kvirtio_dev *dev, uint32_t gsi)
{
	int ret;

	if (dev->vm_fd < 0)
		return -ENOTCONN;
	if (!(dev->info.flags & KVIRTIO_INFO_F_INTX))
		return -EOPNOTSUPP;
	if (dev->intx_trigger >= 0)
		return -EBUSY;
	dev->intx_gsi = gsi;
	dev->intx_trigger = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	dev->intx_resample = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (dev->intx_trigger < 0 || dev->intx_resample < 0) {
		ret = -errno;
		intx_close(dev);
		return ret;
	}
	ret = intx_irqfd(dev, dev->vm_fd, true);
	if (ret) {
		intx_close(dev);
		return ret;
	}
	ret = set_irq_fd(dev, KVIRTIO_IRQ_INTX, 0, dev->intx_trigger,
			 dev->intx_resample);
	if (ret) {
		intx_irqfd(dev, dev->vm_fd, false);
		intx_close(dev);
	}
	return ret;
}

/* From detach(): the device first (it stops signalling), then KVM. */
static void intx_detach(struct kvirtio_dev *dev, int vm_fd)
{
	if (dev->intx_trigger < 0)
		return;
	set_irq_fd(dev, KVIRTIO_IRQ_INTX, 0, -1, -1);
	intx_irqfd(dev, vm_fd, false);
	intx_close(dev);
}
