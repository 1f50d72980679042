// SPDX-License-Identifier: GPL-2.0-only
/*
 * backend=kernel: the device lives in kvirtio.ko.  Everything goes
 * through libkvirtio: the VMM creates the device, hands over its memory
 * table, lets the library bind the kick and interrupt eventfds to KVM,
 * and forwards config space and BAR accesses that still exit to it
 * (configuration, never the data path).  With kvmbus=on (direct mode)
 * the device serves BAR0 and its notify areas on KVM's buses itself, and
 * only config space and the MSI-X BAR exit here; where KVM lacks the
 * exports that takes, the device is forwarded as before.
 */
#define _GNU_SOURCE	/* O_DIRECT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/libkvirtio.h"
#include "intx.h"
#include "vmm.h"

_Static_assert(VMM_NET_PAIRS_MAX == KVIRTIO_NET_PAIRS_MAX,
	       "--net queues= must match the UAPI's pair limit");

struct kdev {
	struct vmm_dev d;
	struct kvirtio_dev *kv;
	struct kvirtio_options opts;
	bool kvm_bus;		/* direct mode wanted and not refused */
	bool net;		/* a net device: link and net counters */
	bool link_down;		/* net: as last set */
	uint64_t placed[6];	/* BAR addresses given to the device */
};

static struct kvirtio_dev *kv_of(struct vmm_dev *d)
{
	return ((struct kdev *)d->priv)->kv;
}

static uint32_t k_cfg_read(struct vmm_dev *d, uint32_t off, uint32_t width)
{
	uint32_t v;

	kvirtio_dev_config_read(kv_of(d), off, width, &v);
	return v;
}

static void k_cfg_write(struct vmm_dev *d, uint32_t off, uint32_t width,
			uint32_t val)
{
	kvirtio_dev_config_write(kv_of(d), off, width, val);
}

static int k_bar_read(struct vmm_dev *d, unsigned int bar, uint64_t off,
		      void *buf, uint32_t len)
{
	return kvirtio_dev_bar_read(kv_of(d), bar, off, buf, len);
}

static int k_bar_write(struct vmm_dev *d, unsigned int bar, uint64_t off,
		       const void *buf, uint32_t len)
{
	return kvirtio_dev_bar_write(kv_of(d), bar, off, buf, len);
}

static int k_msix_entry(struct vmm_dev *d, uint16_t vec, uint64_t *addr,
			uint32_t *data, bool *deliverable)
{
	return kvirtio_dev_msix_entry(kv_of(d), vec, addr, data, deliverable);
}

static int k_start(struct vmm_dev *d)
{
	struct kdev *k = d->priv;
	struct vmm *vmm = d->vmm;
	struct kvirtio_mem_region r[2];
	unsigned int n = 0;
	int ret;

	r[n].gpa = 0;
	r[n].size = vmm->low_size;
	r[n].uaddr = (uintptr_t)vmm->ram;
	r[n++].flags = 0;
	if (vmm->high_size) {
		r[n].gpa = VMM_HIGHMEM_START;
		r[n].size = vmm->high_size;
		r[n].uaddr = (uintptr_t)(vmm->ram + vmm->low_size);
		r[n++].flags = 0;
	}
	ret = kvirtio_dev_set_mem_table(kv_of(d), r, n);
	if (ret)
		return ret;
	if (k->opts.flags) {
		ret = kvirtio_dev_set_options(k->kv, &k->opts);
		if (ret)
			return ret;
	}
	/* Kicks are bound when the guest turns on memory decoding. */
	ret = kvirtio_dev_attach_kvm(kv_of(d), vmm->vm_fd, 0, d->gsi_base);
	/* INT A on the pin the MP table gives the slot. */
	if (!ret)
		ret = kvirtio_dev_attach_intx(kv_of(d), vmm_pci_intx_gsi(d->slot));
	return ret;
}

static int k_notify_moved(struct vmm_dev *d, uint64_t base)
{
	int ret;

	/* The library adds the notify offset itself: give it the BAR. */
	ret = kvirtio_dev_move_notify(kv_of(d), base - d->notify_off);
	if (!ret)
		d->notify_base = base;
	else
		fprintf(stderr, "vmm: %s: moving ioeventfds: %s\n", d->name,
			strerror(-ret));
	return ret;
}

static int k_pio_notify_moved(struct vmm_dev *d, uint64_t base)
{
	int ret;

	ret = kvirtio_dev_move_pio_notify(kv_of(d), base - d->pio_notify_off);
	if (!ret)
		d->pio_notify_base = base;
	else
		fprintf(stderr, "vmm: %s: moving port ioeventfds: %s\n",
			d->name, strerror(-ret));
	return ret;
}

/* Direct mode: give the device its BAR addresses (again after a move). */
static void k_bars_moved(struct vmm_dev *d)
{
	struct kdev *k = d->priv;
	uint64_t addr[6];
	unsigned int b;
	int ret;

	if (!k->kvm_bus)
		return;
	for (b = 0; b < 6; b++)
		addr[b] = (d->io_bars & (1U << b)) && !d->io_on ? 0 :
			  d->bar_addr[b];
	if (!memcmp(addr, k->placed, sizeof(addr)))
		return;
	ret = kvirtio_dev_place_direct(k->kv, addr);
	if (!ret) {
		memcpy(k->placed, addr, sizeof(addr));
		return;
	}
	if (ret == -EOPNOTSUPP) {
		k->kvm_bus = false;
		/* Documentation/kvm-patch.rst */
		fprintf(stderr,
			"vmm: %s: kvmbus=on: this KVM does not export the bus API: forwarding\n",
			d->name);
		/* Put the ioeventfds back where the notify areas are now. */
		d->notify_base = 0;
		d->pio_notify_base = 0;
		return;
	}
	fprintf(stderr, "vmm: %s: placing BARs on KVM's buses: %s\n", d->name,
		strerror(-ret));
}

static void k_stop(struct vmm_dev *d)
{
	struct kdev *k = d->priv;

	kvirtio_dev_destroy(k->kv);
	k->kv = NULL;
}

static void k_print_stats(struct vmm_dev *d)
{
	static const char * const names[] = {
		"requests", "bytes", "kicks", "interrupts", "errors",
		"wakeups", "budget_exhausted", "poll_hits", "inline_passes",
		"inline_handoffs", "direct_accesses", "direct_kicks",
	};
	static const char * const net_names[] = {
		"tx_packets", "rx_packets", "tx_dropped", "rx_dropped",
		"ctrl_errors",
	};
	struct kdev *k = d->priv;
	struct kvirtio_stats st;

	if (kvirtio_dev_get_stats(kv_of(d), &st))
		return;
	{
		const unsigned long long v[] = {
			st.requests, st.bytes, st.kicks, st.interrupts,
			st.errors, st.wakeups, st.budget_exhausted,
			st.poll_hits, st.inline_passes, st.inline_handoffs,
			st.direct_accesses, st.direct_kicks,
		};
		const unsigned long long n[] = {
			st.net_tx_packets, st.net_rx_packets,
			st.net_tx_dropped, st.net_rx_dropped,
			st.net_ctrl_errors,
		};

		_Static_assert(ARRAY_SIZE(v) == ARRAY_SIZE(names),
			       "one name per counter");
		_Static_assert(ARRAY_SIZE(n) == ARRAY_SIZE(net_names),
			       "one name per net counter");
		vmm_print_counters("  kernel", names, v, ARRAY_SIZE(v));
		if (k->net)
			vmm_print_counters("  net", net_names, n,
					   ARRAY_SIZE(n));
	}
}

static int k_toggle_link(struct vmm_dev *d)
{
	struct kdev *k = d->priv;
	int ret;

	if (!k->net)
		return -EOPNOTSUPP;
	ret = kvirtio_dev_set_link(k->kv, k->link_down);
	if (ret)
		return ret;
	k->link_down = !k->link_down;
	return !k->link_down;
}

static const struct vmm_dev_ops kernel_ops = {
	.cfg_read = k_cfg_read,
	.cfg_write = k_cfg_write,
	.bar_read = k_bar_read,
	.bar_write = k_bar_write,
	.msix_entry = k_msix_entry,
	.start = k_start,
	.notify_moved = k_notify_moved,
	.pio_notify_moved = k_pio_notify_moved,
	.bars_moved = k_bars_moved,
	.stop = k_stop,
	.print_stats = k_print_stats,
	.toggle_link = k_toggle_link,
};

/*
 * A net device on the tap's queues, one per pair: the device takes its
 * own references, so ours are closed either way.
 */
static int create_net(struct vmm *vmm, int ctl, const struct vmm_dev_spec *spec,
		      uint32_t flags, struct kvirtio_dev **out)
{
	struct kvirtio_net_params p;
	unsigned int i, pairs = vmm_net_pairs(vmm, spec);
	int fds[VMM_NET_PAIRS_MAX];
	int ret;

	memset(&p, 0, sizeof(p));
	for (i = 0; i < ARRAY_SIZE(p.tap_fds); i++)
		p.tap_fds[i] = -1;
	ret = vmm_tap_open(spec->tap, pairs, fds);
	if (ret)
		return ret;
	for (i = 0; i < pairs; i++)
		p.tap_fds[i] = fds[i];
	p.num_pairs = pairs;
	p.mtu = spec->mtu;
	vmm_net_mac(spec, p.mac);
	p.features_off = vmm_net_features_off(spec);
	ret = kvirtio_dev_create_net(ctl, &p, 0, flags, out);
	vmm_tap_close(fds, pairs);
	return ret;
}

int vmm_dev_kernel_create(struct vmm *vmm, const struct vmm_dev_spec *spec,
			  struct vmm_dev **out)
{
	const struct kvirtio_device_info *info;
	uint32_t flags = spec->pio_notify ? KVIRTIO_CREATE_F_PIO_NOTIFY : 0;
	struct kdev *k;
	unsigned int i;
	int ctl, ret, fd;

	ctl = kvirtio_open();
	if (ctl < 0) {
		fprintf(stderr, "vmm: %s: %s (is kvirtio.ko loaded?)\n",
			KVIRTIO_DEV_PATH, strerror(-ctl));
		return ctl;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		close(ctl);
		return -ENOMEM;
	}
	if (!strcmp(spec->type, "rng")) {
		ret = kvirtio_dev_create_rng(ctl, 0, flags, &k->kv);
	} else if (!strcmp(spec->type, "net")) {
		ret = create_net(vmm, ctl, spec, flags, &k->kv);
		k->net = true;
	} else {
		fd = open(spec->path, (spec->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC |
			  (spec->direct ? O_DIRECT : 0));
		if (fd < 0) {
			ret = -errno;
		} else {
			/* The same serial as backend=user: same GET_ID. */
			ret = kvirtio_dev_create_blk(ctl, fd, spec->ro,
						     spec->queues,
						     VMM_BLK_SERIAL, flags, &k->kv);
			close(fd);	/* the device holds its own reference */
		}
	}
	close(ctl);
	if (ret) {
		free(k);
		return ret;
	}
	if (spec->poll_us >= 0) {
		k->opts.flags |= KVIRTIO_OPT_BUSY_POLL;
		k->opts.busy_poll_us = spec->poll_us;
	}
	if (spec->worker_per_queue >= 0) {
		k->opts.flags |= KVIRTIO_OPT_WORKER_PER_QUEUE;
		k->opts.worker_per_queue = spec->worker_per_queue;
	}
	if (spec->inline_kicks >= 0) {
		/* The module's default bounds, with kicks on or off. */
		k->opts.flags |= KVIRTIO_OPT_INLINE;
		k->opts.inline_kicks = spec->inline_kicks;
		k->opts.inline_requests = 64;
		k->opts.inline_us = 200;
		k->opts.inline_bytes = 256 << 10;
	}
	info = kvirtio_dev_info(k->kv);
	k->d.ops = &kernel_ops;
	k->d.name = spec->type;
	k->d.backend = "kernel";
	k->d.priv = k;
	for (i = 0; i < 6; i++)
		k->d.bar_size[i] = info->regions[i].size;
	k->d.notify_bar = info->notify_bar;
	k->d.notify_off = info->notify_offset;
	k->d.notify_mult = info->notify_off_multiplier;
	if (info->flags & KVIRTIO_INFO_F_PIO_NOTIFY) {
		k->d.pio_notify = true;
		k->d.pio_notify_bar = info->pio_notify_bar;
		k->d.pio_notify_off = info->pio_notify_offset;
	}
	k->kvm_bus = spec->kvm_bus;
	k->d.msix_bar = info->msix_bar;
	k->d.msix_table_off = info->msix_table_offset;
	k->d.num_queues = info->num_queues;
	k->d.num_msix = info->num_msix;
	*out = &k->d;
	return 0;
}
