// SPDX-License-Identifier: GPL-2.0-only
/*
 * PCI bus 0 behind configuration mechanism #1 (ports 0xcf8/0xcfc): a host
 * bridge at 00.0 and one kvirtio function per slot from 01.0 on.  The VMM
 * plays firmware: it places every memory BAR in the MMIO window and every
 * I/O BAR in the port window at start-up, and Linux keeps those
 * addresses.  It follows what the guest does later by
 * decoding the BAR and command registers after each config write that
 * touches them (ioeventfds move with the notify BAR), and reprograms the
 * MSI routes after writes to the MSI-X capability or table, whether the
 * table is written through its BAR or through the virtio PCI_CFG window,
 * and when the guest turns memory decoding on: a backend=kernel device's
 * table cannot be read while decoding is off (see msi.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm.h"

#define CONF_ADDR		0xcf8
#define CONF_DATA		0xcfc
#define CONF_ENABLE		0x80000000U
#define PCI_CMD			0x04
#define PCI_BAR0		0x10
#define PCI_BAR_END		0x28
#define PCI_CAP_PTR		0x34
#define PCI_CAP_MSIX		0x11
#define PCI_CAP_VNDR		0x09
#define VIRTIO_CAP_CFG_TYPE	3	/* virtio capability: cfg_type byte */
#define VIRTIO_CAP_BAR		4	/* bar byte */
#define VIRTIO_CAP_PCI_CFG	5	/* cfg_type of the PCI_CFG window */
#define VIRTIO_PCI_CFG_DATA	16	/* pci_cfg_data, 4 bytes */
#define PCI_CMD_IO		0x0001
#define PCI_CMD_MEMORY		0x0002
#define BAR_IO			0x1
#define BAR_MEM64		0x4

/* Host bridge: a Red Hat PCIe host bridge id, class 06.00.00. */
static const uint8_t host_bridge_cfg[64] = {
	[0x00] = 0x36, [0x01] = 0x1b, [0x02] = 0x08, [0x03] = 0x00,
	[0x0a] = 0x00, [0x0b] = 0x06,
};

void vmm_pci_init(struct vmm *vmm)
{
	pthread_mutex_init(&vmm->pci_lock, NULL);
	pthread_mutex_init(&vmm->route_lock, NULL);
	vmm->mmio_next = VMM_MMIO_START;
	vmm->pio_next = VMM_PIO_START;
	vmm->gsi_next = VMM_GSI_MSI_BASE;
}

/*
 * Config offset of the first capability @id (a virtio vendor capability:
 * with that @cfg_type, unless @cfg_type is negative), or 0.
 */
static uint32_t find_cap(struct vmm_dev *d, uint32_t id, int cfg_type)
{
	uint32_t off = d->ops->cfg_read(d, PCI_CAP_PTR, 1) & 0xfc;
	uint32_t cap_id, type;
	unsigned int n;

	for (n = 0; off && n < 48; n++) {
		cap_id = d->ops->cfg_read(d, off, 1) & 0xff;
		type = d->ops->cfg_read(d, off + VIRTIO_CAP_CFG_TYPE, 1) & 0xff;
		if (cap_id == id && (cfg_type < 0 || type == (uint32_t)cfg_type))
			return off;
		off = d->ops->cfg_read(d, off + 1, 1) & 0xfc;
	}
	return 0;
}

/* Valid from vmm_pci_add() on: the type bits are read-only. */
static bool bar_is_io(const struct vmm_dev *d, unsigned int i)
{
	return d->io_bars & (1U << i);
}

static bool bar_is_64(struct vmm_dev *d, unsigned int i)
{
	uint32_t lo = d->ops->cfg_read(d, PCI_BAR0 + 4 * i, 4);

	return !(lo & BAR_IO) && (lo & 0x6) == BAR_MEM64 && i < 5;
}

/* Re-read the command and BAR registers and follow moved notify BARs. */
static void refresh_bars(struct vmm_dev *d)
{
	uint16_t cmd = d->ops->cfg_read(d, PCI_CMD, 2);
	unsigned int i;
	uint64_t notify;

	d->mem_on = cmd & PCI_CMD_MEMORY;
	d->io_on = cmd & PCI_CMD_IO;
	for (i = 0; i < 6; i++) {
		uint32_t lo;
		uint64_t addr;

		if (!d->bar_size[i])
			continue;
		lo = d->ops->cfg_read(d, PCI_BAR0 + 4 * i, 4);
		if (bar_is_io(d, i)) {
			d->bar_addr[i] = lo & 0xfffc;
			continue;
		}
		addr = lo & ~0xfULL;
		if (bar_is_64(d, i))
			addr |= (uint64_t)d->ops->cfg_read(d, PCI_BAR0 + 4 * (i + 1), 4) << 32;
		d->bar_addr[i] = addr;
	}
	if (d->mem_on && d->ops->bars_moved)
		d->ops->bars_moved(d);
	notify = d->bar_addr[d->notify_bar] + d->notify_off;
	if (d->mem_on && d->bar_addr[d->notify_bar] &&
	    notify != d->notify_base && d->ops->notify_moved)
		d->ops->notify_moved(d, notify);
	if (!d->pio_notify)
		return;
	notify = d->bar_addr[d->pio_notify_bar] + d->pio_notify_off;
	if (d->io_on && d->bar_addr[d->pio_notify_bar] &&
	    notify != d->pio_notify_base && d->ops->pio_notify_moved)
		d->ops->pio_notify_moved(d, notify);
}

/* Memory BARs go to the MMIO window, I/O BARs to the port window. */
static void place_bars(struct vmm *vmm, struct vmm_dev *d)
{
	unsigned int i;

	for (i = 0; i < 6; i++) {
		uint64_t size = d->bar_size[i];
		uint64_t *next = bar_is_io(d, i) ? &vmm->pio_next :
						   &vmm->mmio_next;
		uint64_t addr;

		if (!size)
			continue;
		addr = (*next + size - 1) & ~(size - 1);
		*next = addr + size;
		d->ops->cfg_write(d, PCI_BAR0 + 4 * i, 4, (uint32_t)addr);
		if (bar_is_64(d, i))
			d->ops->cfg_write(d, PCI_BAR0 + 4 * (i + 1), 4,
					  (uint32_t)(addr >> 32));
	}
	refresh_bars(d);
}

/**
 * vmm_pci_add() - put a function on the bus and give its BARs addresses
 * @vmm: the VM
 * @d: the function, with ops, bar_size, notify and MSI-X fields set
 *
 * Return: 0, or -ENOSPC when the bus, the MMIO or the port window is full.
 */
int vmm_pci_add(struct vmm *vmm, struct vmm_dev *d)
{
	uint64_t need = 0, need_io = 0;
	unsigned int i;

	if (vmm->ndevs >= VMM_MAX_DEVS)
		return -ENOSPC;
	/* Twice the size: room for each BAR's alignment. */
	d->io_bars = 0;
	for (i = 0; i < 6; i++) {
		if (d->bar_size[i] &&
		    (d->ops->cfg_read(d, PCI_BAR0 + 4 * i, 4) & BAR_IO))
			d->io_bars |= 1U << i;
		if (bar_is_io(d, i))
			need_io += 2 * d->bar_size[i];
		else
			need += 2 * d->bar_size[i];
	}
	if (vmm->mmio_next + need > VMM_MMIO_END ||
	    vmm->pio_next + need_io > VMM_PIO_END)
		return -ENOSPC;
	d->vmm = vmm;
	d->slot = vmm->ndevs + 1;
	pthread_mutex_init(&d->lock, NULL);
	place_bars(vmm, d);
	d->msix_cap = find_cap(d, PCI_CAP_MSIX, -1);
	d->pcicfg_cap = find_cap(d, PCI_CAP_VNDR, VIRTIO_CAP_PCI_CFG);
	vmm->devs[vmm->ndevs++] = d;
	return 0;
}

static struct vmm_dev *slot_dev(struct vmm *vmm, unsigned int slot)
{
	if (slot == 0 || slot > vmm->ndevs)
		return NULL;
	return vmm->devs[slot - 1];
}

static bool overlaps(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
	return a < b + blen && b < a + alen;
}

/*
 * The device performs a config write to pci_cfg_data of the virtio
 * PCI_CFG capability on BAR cap.bar, as the PCI configuration access
 * capability requires: when that is the MSI-X BAR, the write may have
 * changed a vector just as a write to the table through the BAR would,
 * so the routes must follow.  Called after the write, under the
 * function's lock.  Any write through the window to that BAR counts (the
 * PBA included): a needless rebuild costs one ioctl.
 */
static bool pcicfg_hits_msix(struct vmm_dev *d, uint32_t off, uint32_t len)
{
	uint32_t bar;

	if (!d->pcicfg_cap ||
	    !overlaps(off, len, d->pcicfg_cap + VIRTIO_PCI_CFG_DATA, 4))
		return false;
	bar = d->ops->cfg_read(d, d->pcicfg_cap + VIRTIO_CAP_BAR, 1) & 0xff;
	return bar == d->msix_bar;
}

static void cfg_access(struct vmm *vmm, uint32_t addr, uint32_t off,
		       bool write, uint8_t *data, uint32_t len)
{
	unsigned int bus = (addr >> 16) & 0xff, slot = (addr >> 11) & 0x1f;
	unsigned int fn = (addr >> 8) & 0x7;
	struct vmm_dev *d;
	uint32_t val = 0;
	bool routes = false, mem_was_on;

	memcpy(&val, data, len);
	if (bus || fn) {
		if (!write)
			memset(data, 0xff, len);
		return;
	}
	if (slot == 0) {
		if (!write) {
			memset(data, 0, len);
			if (off + len <= sizeof(host_bridge_cfg))
				memcpy(data, host_bridge_cfg + off, len);
		}
		return;
	}
	d = slot_dev(vmm, slot);
	if (!d) {
		if (!write)
			memset(data, 0xff, len);
		return;
	}
	atomic_fetch_add(&d->stats.cfg_exits, 1);
	vmm_dev_cfg_lock(d);
	if (write) {
		mem_was_on = d->mem_on;
		d->ops->cfg_write(d, off, len, val);
		if (overlaps(off, len, PCI_CMD, 2) ||
		    overlaps(off, len, PCI_BAR0, PCI_BAR_END - PCI_BAR0))
			refresh_bars(d);
		/*
		 * Decoding just came on: the table reads again, and a vector
		 * programmed through the PCI_CFG window meanwhile gets its
		 * route now.
		 */
		routes = (!mem_was_on && d->mem_on) ||
			 (d->msix_cap && overlaps(off, len, d->msix_cap, 12)) ||
			 pcicfg_hits_msix(d, off, len);
	} else {
		val = d->ops->cfg_read(d, off, len);
		memcpy(data, &val, len);
	}
	pthread_mutex_unlock(&d->lock);
	if (routes) {
		atomic_fetch_add(&d->stats.route_updates, 1);
		vmm_msi_update(vmm);
	}
}

/*
 * A port in a decoding I/O BAR: a PIO notify that no ioeventfd caught
 * (before the guest enabled I/O decoding at the BAR's current port).
 */
static bool bar_io(struct vmm *vmm, uint16_t port, bool write, void *data,
		   uint32_t len)
{
	unsigned int i, b;

	for (i = 0; i < vmm->ndevs; i++) {
		struct vmm_dev *d = vmm->devs[i];

		if (!d->io_on)
			continue;
		for (b = 0; b < 6; b++) {
			if (!bar_is_io(d, b) ||
			    port < d->bar_addr[b] ||
			    port - d->bar_addr[b] >= d->bar_size[b])
				continue;
			atomic_fetch_add(&d->stats.pio_exits, 1);
			if (write && d->pio_notify && b == d->pio_notify_bar)
				atomic_fetch_add(&d->stats.notify_exits, 1);
			vmm_dev_cfg_lock(d);
			if (write)
				d->ops->bar_write(d, b, port - d->bar_addr[b],
						  data, len);
			else
				d->ops->bar_read(d, b, port - d->bar_addr[b],
						 data, len);
			pthread_mutex_unlock(&d->lock);
			return true;
		}
	}
	return false;
}

/**
 * vmm_pci_io() - port I/O on the configuration mechanism #1 ports or on
 *	a function's I/O BAR
 * @vmm: the VM
 * @port: port
 * @write: direction
 * @data: @len bytes
 * @len: 1, 2 or 4
 *
 * Return: true when the port is 0xcf8..0xcff or in a decoding I/O BAR.
 */
bool vmm_pci_io(struct vmm *vmm, uint16_t port, bool write, void *data,
		uint32_t len)
{
	uint32_t addr;

	if (port == CONF_ADDR && len == 4) {
		pthread_mutex_lock(&vmm->pci_lock);
		if (write)
			memcpy(&vmm->pci_addr, data, 4);
		else
			memcpy(data, &vmm->pci_addr, 4);
		pthread_mutex_unlock(&vmm->pci_lock);
		return true;
	}
	if (port < CONF_ADDR || port >= CONF_DATA + 4)
		return bar_io(vmm, port, write, data, len);
	if (port < CONF_DATA || port + len > CONF_DATA + 4) {
		/* Not a dword at 0xcf8 nor inside the data window: float. */
		if (!write)
			memset(data, 0xff, len);
		return true;
	}
	pthread_mutex_lock(&vmm->pci_lock);
	addr = vmm->pci_addr;
	pthread_mutex_unlock(&vmm->pci_lock);
	if (!(addr & CONF_ENABLE)) {
		if (!write)
			memset(data, 0xff, len);
		return true;
	}
	cfg_access(vmm, addr, (addr & 0xfc) + (port - CONF_DATA), write, data,
		   len);
	return true;
}

/**
 * vmm_pci_mmio() - a guest access to a BAR that exited to userspace
 * @vmm: the VM
 * @addr: guest-physical address
 * @write: direction
 * @data: @len bytes
 * @len: access size
 *
 * Return: true when a decoding BAR claims @addr.
 */
bool vmm_pci_mmio(struct vmm *vmm, uint64_t addr, bool write, void *data,
		  uint32_t len)
{
	unsigned int i, b;

	for (i = 0; i < vmm->ndevs; i++) {
		struct vmm_dev *d = vmm->devs[i];
		bool routes = false;
		uint64_t off;

		if (!d->mem_on)
			continue;
		for (b = 0; b < 6; b++) {
			if (!d->bar_size[b] || addr < d->bar_addr[b] ||
			    addr - d->bar_addr[b] >= d->bar_size[b])
				continue;
			off = addr - d->bar_addr[b];
			atomic_fetch_add(&d->stats.mmio_exits, 1);
			if (b == 0)
				atomic_fetch_add(&d->stats.bar0_exits, 1);
			/* A kick that no ioeventfd caught. */
			if (write && b == d->notify_bar)
				atomic_fetch_add(&d->stats.notify_exits, 1);
			vmm_dev_cfg_lock(d);
			if (write) {
				d->ops->bar_write(d, b, off, data, len);
				routes = b == d->msix_bar &&
					 off >= d->msix_table_off &&
					 off - d->msix_table_off < 16ULL * d->num_msix;
			} else {
				d->ops->bar_read(d, b, off, data, len);
			}
			pthread_mutex_unlock(&d->lock);
			if (routes) {
				atomic_fetch_add(&d->stats.route_updates, 1);
				vmm_msi_update(vmm);
			}
			return true;
		}
	}
	return false;
}

int vmm_pci_start(struct vmm *vmm)
{
	unsigned int i;
	int ret;

	for (i = 0; i < vmm->ndevs; i++) {
		struct vmm_dev *d = vmm->devs[i];

		ret = vmm_msi_alloc(d);
		if (!ret && d->ops->start)
			ret = d->ops->start(d);
		if (ret) {
			fprintf(stderr, "vmm: starting %s (%s backend): %s\n",
				d->name, d->backend, strerror(-ret));
			return ret;
		}
		pthread_mutex_lock(&d->lock);
		refresh_bars(d);
		pthread_mutex_unlock(&d->lock);
	}
	return vmm_msi_update(vmm);
}

void vmm_pci_stop(struct vmm *vmm)
{
	unsigned int i;

	for (i = 0; i < vmm->ndevs; i++) {
		struct vmm_dev *d = vmm->devs[i];

		if (d->ops->stop)
			d->ops->stop(d);
	}
}

void vmm_pci_print_stats(struct vmm *vmm)
{
	static const char * const names[] = {
		"cfg_exits", "mmio_exits", "bar0_exits", "pio_exits",
		"route_updates", "notify_exits",
	};
	unsigned int i;

	for (i = 0; i < vmm->ndevs; i++) {
		struct vmm_dev *d = vmm->devs[i];

		unsigned long long v[ARRAY_SIZE(names)] = {
			atomic_load(&d->stats.cfg_exits),
			atomic_load(&d->stats.mmio_exits),
			atomic_load(&d->stats.bar0_exits),
			atomic_load(&d->stats.pio_exits),
			atomic_load(&d->stats.route_updates),
			atomic_load(&d->stats.notify_exits),
		};
		char what[48];

		snprintf(what, sizeof(what), "dev %02x.0 %s backend=%s",
			 d->slot, d->name, d->backend);
		vmm_print_counters(what, names, v, ARRAY_SIZE(v));
		if (d->ops->print_stats)
			d->ops->print_stats(d);
	}
}
