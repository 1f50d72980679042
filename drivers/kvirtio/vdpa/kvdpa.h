/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio vDPA front end (kvirtio_vdpa.ko): internal interfaces between
 * the control device and registry (main.c), the vdpa_config_ops over a
 * kvirtio device (transport.c) and guest memory from the vDPA mapping
 * (mem.c).  Documentation/vdpa.rst describes the design.
 *
 * Locks, outermost first:
 *   vdpa_dev_lock (vDPA core, around dev_add/dev_del)
 *   kvdpa_lock (registry, main.c)
 *   struct kvdpa_dev.lock (a device's config path)
 *   struct kvirtio_workers pause (waits for passes, holds no lock)
 *   struct kvdpa_mem.lock, kvdpa_dev.cb_lock and .status_lock, kvdpa_vq.cb_lock
 *	(leaf spinlocks, also taken by worker passes)
 */
#ifndef KVIRTIO_VDPA_KVDPA_H
#define KVIRTIO_VDPA_KVDPA_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/vdpa.h>
#include <linux/vhost_iotlb.h>

#include <uapi/linux/kvirtio_vdpa.h>

#include "../host/host.h"

struct dentry;

/* ---- guest memory (mem.c) ------------------------------------------- */

/**
 * struct kvdpa_mem - what the device's driver may reach, and how
 * @gmem: the core's door (ops = kvdpa_mem_ops)
 * @lock: protects @iotlb, @identity and @wr_*; held across each copy so
 *	that an unmap returns only once no access through it is running
 * @iotlb: IOVA -> host physical address, from dma_map/dma_unmap
 *	(vhost_vdpa pins the pages); empty until the driver maps something
 * @identity: addresses are physical (DMA addresses of the vDPA device
 *	under dma-direct): the driver is the host kernel itself (virtio_vdpa)
 * @wr_gpa: the ring area the next map_ring must be able to write (the
 *	used ring being set up), with @wr_len; 0/0 for none
 * @wr_len: see @wr_gpa
 * @maps_lock: protects @maps
 * @maps: ring areas mapped (struct kvdpa_ring_map)
 * @nr_maps: entries on @maps
 * @faults: accesses refused (not mapped, no permission, no page)
 */
struct kvdpa_mem {
	struct kvirtio_guest_mem gmem;
	spinlock_t lock;	/* see @lock above */
	struct vhost_iotlb *iotlb;
	bool identity;
	u64 wr_gpa;
	u32 wr_len;
	struct mutex maps_lock;	/* see @maps_lock above */
	struct list_head maps;
	unsigned int nr_maps;
	atomic64_t faults;
};

int kvdpa_mem_init(struct kvdpa_mem *m);
void kvdpa_mem_destroy(struct kvdpa_mem *m);
void kvdpa_mem_set_identity(struct kvdpa_mem *m, bool identity);
void kvdpa_mem_expect_write(struct kvdpa_mem *m, u64 gpa, u32 len);
int kvdpa_mem_dma_map(struct kvdpa_mem *m, u64 iova, u64 size, u64 pa,
		      u32 perm);
int kvdpa_mem_dma_unmap(struct kvdpa_mem *m, u64 iova, u64 size);

/* ---- devices (transport.c) -------------------------------------------- */

/**
 * struct kvdpa_vq - what the driver programmed for one queue
 * @desc: descriptor table address (IOVA)
 * @driver: driver area address
 * @device: device area address
 * @num: queue size
 * @base: avail index to start from (set_vq_state), and where a stopped
 *	queue had got to
 * @ready: the driver's ready bit
 * @live: the queue is set up in the engine (ready and DRIVER_OK); kicks
 *	and interrupts pass only while it is set
 * @cb_lock: @cb against its delivery
 * @cb: the driver's interrupt callback
 */
struct kvdpa_vq {
	u64 desc;
	u64 driver;
	u64 device;
	u32 num;
	u16 base;
	bool ready;
	bool live;
	spinlock_t cb_lock;	/* see @cb_lock above */
	struct vdpa_callback cb;
};

struct kvdpa_entry;

/**
 * struct kvdpa_dev - one kvirtio device on the vDPA bus
 * @vdpa: the vDPA device (first: vdpa_alloc_device() requires it)
 * @entry: the registry entry it was made from, NULL once "vdpa dev del"
 *	ran (under kvdpa_lock)
 * @type: the device type
 * @type_priv: the type's state (backend)
 * @vdev: the kvirtio device, NULL until built
 * @vqs: @vdev->num_queues queue programmings
 * @mem: guest memory
 * @lock: the config path: every vdpa_config_op that changes state
 * @status_lock: @status against NEEDS_RESET from a worker
 * @cb_lock: @config_cb against its delivery
 * @status: virtio device status
 * @offered: device features offered (with ACCESS_PLATFORM)
 * @features: features the driver set (with ACCESS_PLATFORM)
 * @config_cb: config interrupt callback
 * @generation: config generation
 * @suspended: suspend op ran (processing stopped, state kept)
 * @workers: worker threads (kthreads, no user mm)
 * @wstarted: the workers were initialised (kvirtio_workers_init_kernel)
 * @counted: counted in kvirtio_live.devices
 * @stats: counters (the workers', kicks, interrupts)
 * @status_refused: status writes refused
 * @dbg: debugfs directory kvirtio/vdpa-NAME
 * @name: the device's name
 */
struct kvdpa_dev {
	struct vdpa_device vdpa;
	struct kvdpa_entry *entry;
	const struct kvirtio_hdev_type *type;
	void *type_priv;
	struct kvirtio_device *vdev;
	struct kvdpa_vq *vqs;
	struct kvdpa_mem mem;
	struct mutex lock;	/* see @lock above */
	spinlock_t status_lock;	/* see @status_lock above */
	spinlock_t cb_lock;	/* see @cb_lock above */
	u8 status;
	u64 offered;
	u64 features;
	struct vdpa_callback config_cb;
	atomic_t generation;
	bool suspended;
	struct kvirtio_workers workers;
	bool wstarted;
	bool counted;
	struct kvirtio_hstats stats;
	atomic64_t status_refused;
	struct dentry *dbg;
	char name[KVIRTIO_VDPA_NAME_LEN];
};

extern const struct vdpa_config_ops kvdpa_config_ops;

int kvdpa_dev_build(struct kvdpa_dev *d, struct kvdpa_entry *e);
void kvdpa_dev_debugfs(struct kvdpa_dev *d);

/* ---- registry (main.c) -------------------------------------------------- */

/**
 * struct kvdpa_entry - a device recorded by KVIRTIO_VDPA_CREATE
 * @node: on the registry list
 * @name: its name
 * @args: the creation arguments, checked (the fds in them are not used
 *	again: @files are)
 * @type: the device type
 * @files: our references to the files @args named
 * @nfiles: entries in @files
 * @cred: the creator's credentials, for the worker threads
 * @dev: the device on the vDPA bus, or NULL
 */
struct kvdpa_entry {
	struct list_head node;
	char name[KVIRTIO_VDPA_NAME_LEN];
	struct kvirtio_create_device args;
	const struct kvirtio_hdev_type *type;
	struct file *files[KVIRTIO_TYPE_FILES_MAX];
	unsigned int nfiles;
	const struct cred *cred;
	struct kvdpa_dev *dev;
};

void kvdpa_dev_freed(void);

#endif /* KVIRTIO_VDPA_KVDPA_H */
