/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio KVM/Linux host layer: internal interfaces between the misc
 * device, the device fds, eventfds, workers and guest memory.
 *
 * Lifetime of one device (struct kvirtio_hdev), owned by its anon fd:
 *   create: mm struct grabbed, type constructor, transport, debugfs entry
 *   first DRIVER_OK seen after a config write: worker threads created
 *	(once) and enabled
 *   config writes: processing paused around the transport call
 *   reset seen (DRIVER_OK cleared): processing disabled, threads kept
 *   release: kick hooks removed -> workers destroyed -> transport
 *	destroyed (queue_disable completes in-flight I/O, rings unmapped)
 *	-> irq eventfds dropped -> memory table freed -> mm struct dropped
 *
 * Locks and their order: Documentation/locking.rst.
 */
#ifndef KVIRTIO_HOST_H
#define KVIRTIO_HOST_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/wait.h>
#include <linux/poll.h>
#include <linux/workqueue.h>
#include <linux/eventfd.h>
#include <linux/resource.h>
#include <uapi/linux/kvirtio.h>

#include "../virtio_dev.h"
#include "../virtio_pci.h"
#include "kmem.h"

struct dentry;
struct cred;

/*
 * vhost_task (6.4+) with a kill callback (6.11+), in a kernel built with
 * it: Kbuild probes the header, the kernel's config says whether it is
 * there (x86 KVM selects it on 6.12).
 */
#if defined(KVIRTIO_VHOST_TASK_HANDLE_KILL) && IS_ENABLED(CONFIG_VHOST_TASK)
#define KVIRTIO_HAVE_VHOST_TASK	1
#else
#define KVIRTIO_HAVE_VHOST_TASK	0
#endif

/* Live objects of the whole module, for leak checks (debugfs "live"). */
struct kvirtio_live_counters {
	atomic_long_t devices;
	atomic_long_t pinned_pages;
	atomic_long_t mapped_rings;
	atomic_long_t workers;
	atomic_long_t worker_creations;	/* monotonic: threads ever made */
	atomic_long_t file_async;	/* monotonic: of released blk devices */
	atomic_long_t kick_fds;
	atomic_long_t irq_fds;
	atomic_long_t vm_attachments;	/* devices attached to a VM */
};

extern struct kvirtio_live_counters kvirtio_live;

/* Module parameters: defaults for new devices. */
extern unsigned int kvirtio_budget_requests;
extern unsigned int kvirtio_budget_kbytes;
extern unsigned int kvirtio_busy_poll_us;
extern bool kvirtio_worker_per_queue;
extern bool kvirtio_worker_kthread;
extern bool kvirtio_inline_kicks;
extern unsigned int kvirtio_inline_requests;
extern unsigned int kvirtio_inline_us;
extern unsigned int kvirtio_inline_kbytes;

/* ---- statistics ----------------------------------------------------- */

/* Per-device counters; updated from any context. */
struct kvirtio_hstats {
	atomic64_t requests;
	atomic64_t bytes;
	atomic64_t kicks;
	atomic64_t interrupts;
	atomic64_t errors;
	atomic64_t wakeups;
	atomic64_t budget_exhausted;
	atomic64_t poll_hits;
	atomic64_t inline_passes;
	atomic64_t inline_handoffs;
	atomic64_t direct_accesses;
	atomic64_t direct_kicks;
};

/* ---- workers -------------------------------------------------------- */

/* Options the worker and inline passes read on every pass (READ_ONCE). */
struct kvirtio_wopts {
	u32 busy_poll_us;
	u32 budget_requests;
	u64 budget_bytes;
	bool per_queue;
	bool inline_kicks;
	u32 inline_requests;
	u32 inline_us;
	u64 inline_bytes;
};

struct kvirtio_worker;

/**
 * struct kvirtio_workers - the worker threads of one device
 * @vdev: the device (ops->process_queue, transport->queue_interrupt)
 * @mm: the creator's mm (the caller keeps the struct alive with mmgrab;
 *	kthread workers take a user reference for each pass), or NULL for a
 *	device with no VMM (kvirtio_workers_init_kernel())
 * @opts: current options
 * @stats: counters
 * @name_id: number in the thread names
 * @prefix: start of the thread names ("kvirtio")
 * @nr: threads (0: not created yet, or destroyed)
 * @w: the threads; queue q belongs to w[q % nr]
 * @enabled: passes allowed (the device is DRIVER_OK)
 * @paused: the config path holds processing (kvirtio_workers_pause())
 * @use_vhost_task: the threads are vhost_tasks of the VMM
 * @idle_wq: kvirtio_workers_pause() waits here for passes to end
 * @cred: kthread workers: the creator's credentials
 * @fsize: kthread workers: the creator's RLIMIT_FSIZE
 * @owner: kthread workers: the creator's thread group leader, whose
 *	cgroup freezing they follow
 * @qbusy: a pass (worker or inline) owns queue q while bit q is set: one
 *	owner per queue at any time
 * @inline_active: inline passes running or starting (the config path's
 *	pause waits for 0)
 * @lock: protects @w and @nr against concurrent kicks
 */
struct kvirtio_workers {
	struct kvirtio_device *vdev;
	struct mm_struct *mm;
	struct kvirtio_wopts opts;
	struct kvirtio_hstats *stats;
	int name_id;
	const char *prefix;
	unsigned int nr;
	struct kvirtio_worker *w[KVIRTIO_MAX_QUEUES];
	bool enabled;
	bool paused;
	bool use_vhost_task;
	wait_queue_head_t idle_wq;
	const struct cred *cred;
	struct rlimit fsize;
	struct task_struct *owner;
	unsigned long qbusy;
	atomic_t inline_active;
	spinlock_t lock;	/* see @lock above */
};

void kvirtio_workers_init(struct kvirtio_workers *ws,
			  struct kvirtio_device *vdev, struct mm_struct *mm,
			  struct kvirtio_hstats *stats, int name_id);
void kvirtio_workers_init_kernel(struct kvirtio_workers *ws,
				 struct kvirtio_device *vdev,
				 struct kvirtio_hstats *stats, int name_id,
				 const char *prefix);
int kvirtio_workers_start(struct kvirtio_workers *ws);
void kvirtio_workers_disable(struct kvirtio_workers *ws);
void kvirtio_workers_destroy(struct kvirtio_workers *ws);
int __must_check kvirtio_workers_pause(struct kvirtio_workers *ws);
void kvirtio_workers_pause_sync(struct kvirtio_workers *ws);
void kvirtio_workers_resume(struct kvirtio_workers *ws);
bool kvirtio_workers_uses_vhost_task(const struct kvirtio_workers *ws);
bool kvirtio_workers_have_vhost_task(void);
bool kvirtio_workers_inline_pass(struct kvirtio_workers *ws, u16 qid);

/* ---- vCPU-context (inline) processing --------------------------------- */

struct kvirtio_hdev;

/**
 * struct kvirtio_inline_q - one queue's task_work for inline processing
 * @cb: queued on the kicking thread with task_work_add()
 * @hdev: the device
 * @qid: the queue
 * @queued: bit 0 set while @cb is queued (one task_work per queue)
 * @runner: the thread running the queue's inline pass, if any
 */
struct kvirtio_inline_q {
	struct callback_head cb;
	struct kvirtio_hdev *hdev;
	u16 qid;
	unsigned long queued;
	struct task_struct *runner;
};

bool kvirtio_inline_kick(struct kvirtio_hdev *hdev, u16 qid);
void kvirtio_inline_init(struct kvirtio_hdev *hdev);
#if IS_ENABLED(CONFIG_KVIRTIO_KUNIT_TEST)
/* KUnit: let a kthread with the device's mm stand in for a vCPU thread. */
extern bool kvirtio_inline_any_task;
#endif
void kvirtio_workers_kick(struct kvirtio_workers *ws, u16 qid);
void kvirtio_workers_kick_all(struct kvirtio_workers *ws);
int kvirtio_workers_run_queue(struct kvirtio_workers *ws, u16 qid,
			      bool *more);

/* ---- eventfds ------------------------------------------------------- */

struct kvirtio_hdev;

/* A kick eventfd hooked like KVM's irqfd: its wakeup kicks a queue. */
struct kvirtio_kick {
	struct kvirtio_hdev *hdev;
	u16 qid;
	struct eventfd_ctx *ctx;
	wait_queue_entry_t wait;
	poll_table pt;
	wait_queue_head_t *wqh;
};

/* INTx: trigger eventfd plus the resample eventfd's hook. */
struct kvirtio_intx {
	struct eventfd_ctx __rcu *trigger;
	struct eventfd_ctx *resample;
	wait_queue_entry_t wait;
	poll_table pt;
	wait_queue_head_t *wqh;
	struct work_struct resample_work;
};

int kvirtio_kick_attach(struct kvirtio_hdev *hdev, u16 qid, int fd);
void kvirtio_kick_detach(struct kvirtio_hdev *hdev, u16 qid);
int kvirtio_irq_set(struct kvirtio_hdev *hdev,
		    const struct kvirtio_irq_fd *arg);
void kvirtio_irq_release_all(struct kvirtio_hdev *hdev);
void kvirtio_irq_signal(struct eventfd_ctx *ctx);
void kvirtio_intx_init(struct kvirtio_hdev *hdev);

extern const struct kvirtio_pci_host_ops kvirtio_host_pci_ops;

/* ---- devices -------------------------------------------------------- */

/* Files one device's creation arguments name at most (net: a tap a pair). */
#define KVIRTIO_TYPE_FILES_MAX	KVIRTIO_NET_PAIRS_MAX

/**
 * struct kvirtio_hdev_type - one device type the host can create
 * @type: KVIRTIO_DEV_*
 * @name: for logs
 * @get_files: check the creation arguments (already checked for the
 *	common reserved fields) and take a reference to each file they name,
 *	in the caller's fd table, into @files (at most KVIRTIO_TYPE_FILES_MAX);
 *	return how many, or a negative errno with none taken
 * @create: build the device from the checked arguments and the files of
 *	@get_files; the device's backend takes its own file references
 * @destroy: undo @create; the transport is gone and no queue runs
 * @show: extra lines of the device's debugfs stats (may be NULL)
 * @worker_kicks: kicks go to the worker, not inline passes in the kicking
 *	vCPU, unless the VMM asks for them (KVIRTIO_OPT_INLINE); the module
 *	parameter inline_kicks then does not apply
 */
struct kvirtio_hdev_type {
	u32 type;
	const char *name;
	int (*get_files)(const struct kvirtio_create_device *args,
			 struct file **files);
	int (*create)(const struct kvirtio_create_device *args,
		      struct file **files, struct kvirtio_device **vdev,
		      void **type_priv);
	void (*destroy)(struct kvirtio_device *vdev, void *type_priv);
	void (*show)(struct kvirtio_device *vdev, void *type_priv,
		     struct seq_file *m);
	bool worker_kicks;
};

const struct kvirtio_hdev_type *kvirtio_hdev_type_find(u32 type);
void kvirtio_type_put_files(struct file **files, unsigned int nr);
int kvirtio_check_create_args(const struct kvirtio_create_device *a);

/**
 * struct kvirtio_hdev - one device behind an anon fd
 * @vdev: the device, built by @type
 * @type: its type
 * @type_priv: the type's state (e.g. the blk file backend)
 * @vp: the virtio-pci transport
 * @mem: guest memory
 * @mm: the creator's mm (mmget for the device's lifetime, like vhost)
 * @lock: serializes ioctls and region accesses (the transport's config path)
 * @kick: per-queue kick eventfds (NULL: none)
 * @msix: per-vector irq eventfds
 * @intx: INTx eventfds
 * @workers: worker threads
 * @stats: counters
 * @id: device number (debugfs, thread names)
 * @node: on the global device list
 * @dbg: debugfs directory
 * @file: the device's file (inline task_works hold references on it)
 * @inline_q: per-queue inline task_work state
 * @attach_lock: serializes attaching to a VM (never held with @lock)
 * @kvm_attach: the VM this device serves its BARs on (direct mode), or
 *	NULL
 */
struct kvirtio_hdev {
	struct kvirtio_device *vdev;
	const struct kvirtio_hdev_type *type;
	void *type_priv;
	struct kvirtio_pci vp;
	struct kvirtio_kmem mem;
	struct mm_struct *mm;
	struct mutex lock;	/* the config path, see @lock above */
	struct kvirtio_kick *kick[KVIRTIO_MAX_QUEUES];
	struct eventfd_ctx __rcu **msix;
	u16 num_msix;
	struct kvirtio_intx intx;
	struct kvirtio_workers workers;
	struct kvirtio_hstats stats;
	int id;
	struct list_head node;
	struct dentry *dbg;
	struct file *file;
	struct kvirtio_inline_q inline_q[KVIRTIO_MAX_QUEUES];
	struct mutex attach_lock;	/* see @attach_lock above */
	struct kvirtio_kvm_attach *kvm_attach;
};

long kvirtio_create_device(const struct kvirtio_create_device __user *uarg);
long kvirtio_hdev_ioctl(struct kvirtio_hdev *hdev, unsigned int cmd,
			void __user *argp);
ssize_t kvirtio_hdev_rw(struct kvirtio_hdev *hdev, char __user *buf,
			size_t count, loff_t pos, bool write);
struct kvirtio_hdev *kvirtio_hdev_from_file(struct file *file);
int kvirtio_hdev_access(struct kvirtio_hdev *hdev, u64 index, u64 off,
			u8 *data, u32 count, bool write);
int kvirtio_hdev_direct_notify(struct kvirtio_hdev *hdev, u64 off, u32 len);
int kvirtio_get_arg(void *dst, size_t size, size_t minsz,
		    const void __user *uarg);

/* ---- direct mode: BARs on KVM's buses (kvm_bus.c) --------------------- */

struct kvirtio_kvm_attach;

long kvirtio_kvm_attach_ioctl(struct kvirtio_hdev *hdev, void __user *uarg);
void kvirtio_kvm_detach(struct kvirtio_hdev *hdev);
bool kvirtio_kvm_attached(struct kvirtio_hdev *hdev);

/* ---- debugfs -------------------------------------------------------- */

void kvirtio_debugfs_init(void);
struct dentry *kvirtio_debugfs_root(void);
void kvirtio_debugfs_exit(void);
void kvirtio_debugfs_add(struct kvirtio_hdev *hdev);
void kvirtio_debugfs_remove(struct kvirtio_hdev *hdev);
void kvirtio_stats_fill(struct kvirtio_hdev *hdev, struct kvirtio_stats *st);

/* Devices currently alive (for debugfs and tests). */
extern struct mutex kvirtio_devices_lock;
extern struct list_head kvirtio_devices;

#endif /* KVIRTIO_HOST_H */
