// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio statistics: live-object counters of the module and per-device
 * counters, in debugfs (kvirtio/live, kvirtio/<id>/stats) and through
 * KVIRTIO_DEVICE_GET_STATS.  The e2e leak checks read "live": every
 * counter is back to 0 once every device fd is closed.  "totals" holds
 * monotonic counts since the module was loaded (threads ever created;
 * blk requests that released devices' files completed asynchronously).
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "host.h"
#include "../devices/net.h"

struct kvirtio_live_counters kvirtio_live;

static struct dentry *kvirtio_dbg_root;

/* Requests popped and not yet completed, over every live device. */
static u64 live_inflight(void)
{
	struct kvirtio_hdev *hdev;
	u64 sum = 0;
	u16 q;

	mutex_lock(&kvirtio_devices_lock);
	list_for_each_entry(hdev, &kvirtio_devices, node)
		for (q = 0; q < hdev->vdev->num_queues; q++)
			sum += READ_ONCE(hdev->vdev->queues[q].inflight);
	mutex_unlock(&kvirtio_devices_lock);
	return sum;
}

static int live_show(struct seq_file *m, void *v)
{
	seq_printf(m, "devices %ld\n", atomic_long_read(&kvirtio_live.devices));
	seq_printf(m, "pinned_pages %ld\n",
		   atomic_long_read(&kvirtio_live.pinned_pages));
	seq_printf(m, "mapped_rings %ld\n",
		   atomic_long_read(&kvirtio_live.mapped_rings));
	seq_printf(m, "workers %ld\n", atomic_long_read(&kvirtio_live.workers));
	seq_printf(m, "kick_fds %ld\n", atomic_long_read(&kvirtio_live.kick_fds));
	seq_printf(m, "irq_fds %ld\n", atomic_long_read(&kvirtio_live.irq_fds));
	seq_printf(m, "vm_attachments %ld\n",
		   atomic_long_read(&kvirtio_live.vm_attachments));
	seq_printf(m, "inflight %llu\n", live_inflight());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(live);

static int totals_show(struct seq_file *m, void *v)
{
	seq_printf(m, "worker_creations %ld\n",
		   atomic_long_read(&kvirtio_live.worker_creations));
	seq_printf(m, "file_async %ld\n",
		   atomic_long_read(&kvirtio_live.file_async));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(totals);

/* The net_* counters: the device's drop reasons summed per direction. */
static void stats_fill_net(struct kvirtio_hdev *hdev, struct kvirtio_stats *st)
{
	struct kvirtio_net_stats ns;

	kvirtio_net_get_stats(hdev->vdev, &ns);
	st->net_tx_packets = ns.tx_packets;
	st->net_rx_packets = ns.rx_packets;
	st->net_tx_dropped = ns.tx_bad_hdr + ns.tx_bad_len + ns.tx_backend_err;
	st->net_rx_dropped = ns.rx_too_big + ns.rx_filtered + ns.rx_bad_hdr +
			     ns.rx_backend_err;
	st->net_ctrl_errors = ns.ctrl_err;
}

/**
 * kvirtio_stats_fill - the counters of KVIRTIO_DEVICE_GET_STATS
 * @hdev: the device
 * @st: filled in (argsz and flags are left alone)
 */
void kvirtio_stats_fill(struct kvirtio_hdev *hdev, struct kvirtio_stats *st)
{
	struct kvirtio_hstats *s = &hdev->stats;

	st->requests = atomic64_read(&s->requests);
	st->bytes = atomic64_read(&s->bytes);
	st->kicks = atomic64_read(&s->kicks);
	st->interrupts = atomic64_read(&s->interrupts);
	st->errors = atomic64_read(&s->errors);
	st->wakeups = atomic64_read(&s->wakeups);
	st->budget_exhausted = atomic64_read(&s->budget_exhausted);
	st->poll_hits = atomic64_read(&s->poll_hits);
	st->pinned_pages = atomic_long_read(&hdev->mem.pinned_pages);
	st->mapped_rings = READ_ONCE(hdev->mem.nr_maps);
	st->inline_passes = atomic64_read(&s->inline_passes);
	st->inline_handoffs = atomic64_read(&s->inline_handoffs);
	st->direct_accesses = atomic64_read(&s->direct_accesses);
	st->direct_kicks = atomic64_read(&s->direct_kicks);
	if (hdev->type->type == KVIRTIO_DEV_NET)
		stats_fill_net(hdev, st);
}

static int dev_stats_show(struct seq_file *m, void *v)
{
	struct kvirtio_hdev *hdev = m->private;
	struct kvirtio_stats st = {};

	kvirtio_stats_fill(hdev, &st);
	seq_printf(m, "type %s\n", hdev->type->name);
	seq_printf(m, "requests %llu\nbytes %llu\nkicks %llu\n", st.requests,
		   st.bytes, st.kicks);
	seq_printf(m, "interrupts %llu\nerrors %llu\nwakeups %llu\n",
		   st.interrupts, st.errors, st.wakeups);
	seq_printf(m, "budget_exhausted %llu\npoll_hits %llu\n",
		   st.budget_exhausted, st.poll_hits);
	seq_printf(m, "pinned_pages %llu\nmapped_rings %llu\n", st.pinned_pages,
		   st.mapped_rings);
	seq_printf(m, "inline_passes %llu\ninline_handoffs %llu\n",
		   st.inline_passes, st.inline_handoffs);
	seq_printf(m, "direct_accesses %llu\ndirect_kicks %llu\nvm_attached %d\n",
		   st.direct_accesses, st.direct_kicks,
		   kvirtio_kvm_attached(hdev));
	seq_printf(m, "workers %u\n", READ_ONCE(hdev->workers.nr));
	seq_printf(m, "worker_kind %s\n",
		   kvirtio_workers_uses_vhost_task(&hdev->workers) ?
		   "vhost_task" : READ_ONCE(hdev->workers.nr) ? "kthread" :
		   "none");
	if (hdev->type->show)
		hdev->type->show(hdev->vdev, hdev->type_priv, m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dev_stats);

void kvirtio_debugfs_add(struct kvirtio_hdev *hdev)
{
	char name[16];

	if (IS_ERR_OR_NULL(kvirtio_dbg_root))
		return;
	snprintf(name, sizeof(name), "%d", hdev->id);
	hdev->dbg = debugfs_create_dir(name, kvirtio_dbg_root);
	debugfs_create_file("stats", 0444, hdev->dbg, hdev, &dev_stats_fops);
}

/* Waits for readers of the device's files before the device goes away. */
void kvirtio_debugfs_remove(struct kvirtio_hdev *hdev)
{
	debugfs_remove(hdev->dbg);
	hdev->dbg = NULL;
}

/* The module's debugfs directory (kvirtio/), for the vDPA front end. */
struct dentry *kvirtio_debugfs_root(void)
{
	return kvirtio_dbg_root;
}

void kvirtio_debugfs_init(void)
{
	kvirtio_dbg_root = debugfs_create_dir("kvirtio", NULL);
	debugfs_create_file("live", 0444, kvirtio_dbg_root, NULL, &live_fops);
	debugfs_create_file("totals", 0444, kvirtio_dbg_root, NULL,
			    &totals_fops);
}

void kvirtio_debugfs_exit(void)
{
	debugfs_remove(kvirtio_dbg_root);
	kvirtio_dbg_root = NULL;
}
