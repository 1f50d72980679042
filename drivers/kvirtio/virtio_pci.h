/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio virtio-pci transport (the seed's VirtioPci): a modern,
 * non-transitional virtio 1.2 PCI function (virtio 1.2, section 4.1) in
 * front of one struct kvirtio_device.
 *
 * Layout (see Documentation/transport.rst for the full table).  Every BAR
 * is a 64-bit memory BAR and so occupies two BAR registers; the three
 * BARs are therefore BAR registers 0, 2 and 4:
 *
 *   BAR 0  config:  common cfg @0x0000, ISR @0x1000, device cfg @0x2000
 *   BAR 2  notify:  queue q at q * KVIRTIO_PCI_NOTIFY_MULT, nothing else,
 *		     so the whole BAR can be handed to KVM ioeventfds
 *   BAR 4  MSI-X:   table @0, PBA at the next 4 KiB boundary
 *
 * With %KVIRTIO_PCI_F_PIO_NOTIFY the MSI-X BAR is a 32-bit BAR (register 4
 * only) and register 5 is a small I/O BAR with a second notify area, same
 * multiplier.  Its NOTIFY_CFG capability comes first in the list, so a
 * driver that takes the first one it can use (Linux) kicks with an OUT,
 * which KVM handles without decoding an instruction; the MMIO notify
 * capability stays for drivers that cannot use port I/O.
 *
 * Host-facing API.  The host (the KVM glue, the VMM's userspace backend,
 * KUnit) decodes guest accesses and calls:
 *  - config path: kvirtio_pci_config_read/write() for config space and
 *    kvirtio_pci_bar_read/write() for BAR accesses.  Config-path calls of
 *    one device must be serialized by the caller (one lock or one thread);
 *    they may sleep (queue setup maps rings, the device may wait for its
 *    worker to stop).
 *  - data path: kvirtio_pci_notify() (the in-kernel ioeventfd path) and the
 *    device's transport ops (queue/config interrupts, needs_reset).  These
 *    never sleep and never wait for the config path.  kvirtio_pci_notify()
 *    takes no lock at all: it runs inside a kick eventfd's wake-up, under
 *    that eventfd's wait-queue lock.  The interrupt ops decide under
 *    @irq_lock, a spinlock taken with interrupts disabled, and call the
 *    host's hooks only after dropping it.
 * Interrupts leave through &struct kvirtio_pci_host_ops.
 */
#ifndef KVIRTIO_VIRTIO_PCI_H
#define KVIRTIO_VIRTIO_PCI_H

#include "compat.h"
#include "pci_dev.h"
#include "virtio_dev.h"

/* PCI identity of a modern virtio function (virtio 1.2, 4.1.2). */
#define KVIRTIO_PCI_VENDOR		0x1af4
#define KVIRTIO_PCI_DEVICE_BASE		0x1040
#define KVIRTIO_PCI_REVISION		1
#define KVIRTIO_PCI_SUBSYS_VENDOR	0x1af4
#define KVIRTIO_PCI_SUBSYS_ID		0x1100	/* >= 0x40, as recommended */

/* BAR registers used (each BAR is 64-bit: two registers). */
#define KVIRTIO_PCI_BAR_CFG		0
#define KVIRTIO_PCI_BAR_NOTIFY		2
#define KVIRTIO_PCI_BAR_MSIX		4
#define KVIRTIO_PCI_BAR_PIO_NOTIFY	5	/* I/O BAR, PIO notify only */

/* BAR 0 layout. */
#define KVIRTIO_PCI_COMMON_OFF		0x0000
#define KVIRTIO_PCI_COMMON_LEN		0x0040	/* up to admin_queue_num */
#define KVIRTIO_PCI_ISR_OFF		0x1000
#define KVIRTIO_PCI_ISR_LEN		0x0004
#define KVIRTIO_PCI_DEVCFG_OFF		0x2000
#define KVIRTIO_PCI_DEVCFG_MAX		0x1000
#define KVIRTIO_PCI_BAR_CFG_SIZE	0x4000

/*
 * BAR 2: queue q is notified by a write at q * 4.  Four bytes per queue
 * gives every queue its own address (one ioeventfd per queue, no
 * datamatch needed) and keeps room for a 32-bit notification value.
 */
#define KVIRTIO_PCI_NOTIFY_OFF		0
#define KVIRTIO_PCI_NOTIFY_MULT		4

/*
 * BAR 5 (PIO notify): queue q at port q * 4 as well.  An I/O BAR holds at
 * most 256 bytes, so PIO notify is offered up to 64 queues.
 */
#define KVIRTIO_PCI_PIO_NOTIFY_MAX_QUEUES	64

/* kvirtio_pci_init() flags */
#define KVIRTIO_PCI_F_PIO_NOTIFY	0x1U	/* add the port I/O notify BAR */

/* BAR 4: the MSI-X table, then the PBA on its own 4 KiB page. */
#define KVIRTIO_PCI_MSIX_TABLE_OFF	0
#define KVIRTIO_PCI_MSIX_ENTRY_SIZE	16

/* Largest number of queues a device may have here (vectors: +1). */
#define KVIRTIO_PCI_MAX_QUEUES		1024

/* kvirtio_pci_host_ops.msix_changed: every vector (enable/function mask). */
#define KVIRTIO_PCI_MSIX_ALL		0xffff

struct kvirtio_pci;

/**
 * struct kvirtio_pci_host_ops - interrupt and mapping hooks of the host
 * @msix: send MSI-X message @vector (the entry was enabled and unmasked
 *	when the transport decided to send it).  Called from the data path or
 *	the config path with no transport lock held, possibly with
 *	interrupts disabled by the caller (a hard-interrupt completion): must
 *	not sleep.  An irqfd's eventfd_signal() is what it is for; @irq_lock
 *	is never held here, so the eventfd's wait-queue lock never nests
 *	inside it.
 * @intx: the INTx level changed to @level.  Same context rules as @msix.
 *	Two changes on different CPUs may reach the host in either order; a
 *	host that needs the current level (a resample after EOI) reads
 *	kvirtio_pci_intx_level() instead of remembering @level.
 * @msix_changed: the guest changed table entry @vector (address, data or
 *	mask) or, with %KVIRTIO_PCI_MSIX_ALL, the MSI-X enable or function
 *	mask bit.  Config path; may sleep (a VMM reprograms its KVM GSI
 *	route here, reading the entry with kvirtio_pci_msix_entry()).
 *	May be NULL.
 * @bar_changed: the guest moved BAR @bar or toggled the decoding of its
 *	space (memory, or I/O for the PIO notify BAR).  Config path; may
 *	sleep (a VMM moves its ioeventfds and mappings, reading
 *	kvirtio_pci_bar_addr() and kvirtio_pci_bar_decoded()).
 *	May be NULL.
 *
 * @msix and @intx may be NULL only for hosts that never expect interrupts.
 */
struct kvirtio_pci_host_ops {
	void (*msix)(struct kvirtio_pci *vp, u16 vector);
	void (*intx)(struct kvirtio_pci *vp, bool level);
	void (*msix_changed)(struct kvirtio_pci *vp, u16 vector);
	void (*bar_changed)(struct kvirtio_pci *vp, unsigned int bar);
};

/**
 * struct kvirtio_pci_msix_entry - one MSI-X vector as a VMM needs it
 * @addr: message address
 * @data: message data
 * @masked: the entry's own mask bit
 * @function_masked: the function mask bit of the MSI-X capability
 * @enabled: MSI-X is enabled in the capability
 *
 * A message is delivered only when @enabled && !@masked &&
 * !@function_masked; otherwise its pending bit is set.
 */
struct kvirtio_pci_msix_entry {
	u64 addr;
	u32 data;
	bool masked;
	bool function_masked;
	bool enabled;
};

/**
 * struct kvirtio_pci_layout - where everything is, for the host
 * @bar_size: size of each BAR register's BAR (0: none, or the upper half
 *	of a 64-bit BAR)
 * @notify_bar: BAR with the notify area (%KVIRTIO_PCI_BAR_NOTIFY)
 * @notify_offset: offset of the notify area in @notify_bar
 * @notify_off_multiplier: queue q is notified at
 *	@notify_offset + q * @notify_off_multiplier (queue_notify_off is q)
 * @msix_bar: BAR with the MSI-X table and PBA (%KVIRTIO_PCI_BAR_MSIX)
 * @msix_table_offset: offset of the table in @msix_bar
 * @msix_pba_offset: offset of the PBA in @msix_bar
 * @pio_notify: the function has the port I/O notify BAR
 * @pio_notify_bar: its BAR (%KVIRTIO_PCI_BAR_PIO_NOTIFY) when @pio_notify
 * @pio_notify_offset: offset of the notify area in @pio_notify_bar
 * @pio_notify_off_multiplier: queue q is notified at port
 *	@pio_notify_offset + q * @pio_notify_off_multiplier
 * @num_msix: table entries: num_queues + 1
 * @num_queues: queues
 */
struct kvirtio_pci_layout {
	u64 bar_size[KVIRTIO_PCI_NUM_BARS];
	u32 notify_bar;
	u64 notify_offset;
	u32 notify_off_multiplier;
	u32 msix_bar;
	u64 msix_table_offset;
	u64 msix_pba_offset;
	bool pio_notify;
	u32 pio_notify_bar;
	u64 pio_notify_offset;
	u32 pio_notify_off_multiplier;
	u16 num_msix;
	u16 num_queues;
};

/**
 * struct kvirtio_pci_stats - transport counters (tests and debugging)
 * @bad_access: BAR accesses refused: unknown BAR, out of range, bad width
 *	or alignment, memory decoding off (reads returned all-ones)
 * @ignored_writes: writes to read-only fields or forbidden in the current
 *	state (queue enabled, after DRIVER_OK, bad value)
 * @status_refused: device_status writes whose new bits were refused
 *	(wrong order, or the feature set failed FEATURES_OK validation)
 * @features_refused: FEATURES_OK validations that failed
 * @queue_enable_failed: queue_enable refused (bad ring, device refused)
 * @resets: device resets (status 0)
 * @queue_resets: VIRTIO_F_RING_RESET queue resets
 * @kicks: notifications passed to the host's kick hook
 * @kicks_ignored: notifications dropped (queue not live, bad queue)
 * @irq_msix: MSI-X messages sent
 * @irq_intx: INTx assertions
 * @irq_suppressed: interrupts not sent: before DRIVER_OK or queue not live
 * @irq_no_vector: interrupts not sent: event mapped to NO_VECTOR
 * @irq_pending: MSI-X messages held as pending (vector masked)
 *
 * @kicks and @kicks_ignored are atomic (kvirtio_pci_notify() takes no
 * lock); the @irq_* counters are updated under @irq_lock.
 */
struct kvirtio_pci_stats {
	u64 bad_access;
	u64 ignored_writes;
	u64 status_refused;
	u64 features_refused;
	u64 queue_enable_failed;
	u64 resets;
	u64 queue_resets;
	atomic64_t kicks;
	atomic64_t kicks_ignored;
	u64 irq_msix;
	u64 irq_intx;
	u64 irq_suppressed;
	u64 irq_no_vector;
	u64 irq_pending;
};

/**
 * struct kvirtio_pci_queue - per-queue registers of the common config
 * @size: queue_size (power of two; the driver may shrink it)
 * @msix_vector: queue_msix_vector (NO_VECTOR or a valid table index)
 * @enabled: queue_enable reads 1
 * @live: enabled and DRIVER_OK: kicks and interrupts pass (data path;
 *	written under @irq_lock, read locklessly by kvirtio_pci_notify())
 * @resetting: queue_reset reads 1 (a RING_RESET queue reset is running)
 * @was_reset: reset by queue_reset after DRIVER_OK: may be reprogrammed
 *	and re-enabled while the device runs
 * @desc: queue_desc
 * @driver: queue_driver
 * @device: queue_device
 */
struct kvirtio_pci_queue {
	u16 size;
	u16 msix_vector;
	bool enabled;
	bool live;
	bool resetting;
	bool was_reset;
	u64 desc;
	u64 driver;
	u64 device;
};

/**
 * struct kvirtio_pci_msix_vec - one MSI-X table entry (little-endian words)
 * @addr_lo: Message Address
 * @addr_hi: Message Upper Address
 * @data: Message Data
 * @ctrl: Vector Control (bit 0: mask)
 */
struct kvirtio_pci_msix_vec {
	u32 addr_lo;
	u32 addr_hi;
	u32 data;
	u32 ctrl;
};

/**
 * struct kvirtio_pci - one virtio-pci function
 * @pdev: the PCI config space
 * @vdev: the device behind the transport
 * @host_ops: the host's interrupt hooks
 * @host_priv: for the host
 * @queues: per-queue common config registers, vdev->num_queues of them
 * @own_vqs: the transport allocated vdev->queues and frees it
 * @offered: features offered (device_feature)
 * @dfselect: device_feature_select
 * @gfselect: driver_feature_select
 * @driver_features: driver_feature as written by the driver
 * @queue_select: queue_select
 * @status: device_status (written under @irq_lock: the data path sets
 *	NEEDS_RESET; read with READ_ONCE)
 * @generation: config_generation (written under @irq_lock)
 * @isr: ISR status (under @irq_lock)
 * @msix_config: config_msix_vector (under @irq_lock)
 * @intx_level: current INTx level (written under @irq_lock; see
 *	kvirtio_pci_intx_level())
 * @msix_enabled: MSI-X Enable (under @irq_lock)
 * @msix_fmask: MSI-X Function Mask (under @irq_lock)
 * @intx_disabled: command register Interrupt Disable (under @irq_lock)
 * @mem_enabled: command register Memory Space Enable, as last seen
 * @io_enabled: command register I/O Space Enable, as last seen
 * @config_irq_deferred: a config interrupt waits for DRIVER_OK
 * @num_msix: MSI-X table entries
 * @msix: the MSI-X table (under @irq_lock)
 * @pba: pending bits, one per vector (under @irq_lock)
 * @msix_pba_off: offset of the PBA in the MSI-X BAR
 * @msix_bar_size: size of the MSI-X BAR
 * @notify_bar_size: size of the notify BAR
 * @pio_notify_size: size of the PIO notify BAR (0: none)
 * @cap_common: config-space offset of the COMMON_CFG capability
 * @cap_notify: ... NOTIFY_CFG (memory)
 * @cap_pio_notify: ... NOTIFY_CFG (port I/O; 0 without PIO notify)
 * @cap_isr: ... ISR_CFG
 * @cap_device: ... DEVICE_CFG (0 when the device has no config)
 * @cap_pcicfg: ... PCI_CFG
 * @cap_msix: ... MSI-X
 * @irq_lock: protects the interrupt state marked above
 * @stats: counters
 */
struct kvirtio_pci {
	struct kvirtio_pci_dev pdev;
	struct kvirtio_device *vdev;
	const struct kvirtio_pci_host_ops *host_ops;
	void *host_priv;
	struct kvirtio_pci_queue *queues;
	bool own_vqs;
	u64 offered;
	u32 dfselect;
	u32 gfselect;
	u64 driver_features;
	u16 queue_select;
	u8 status;
	u8 generation;
	u8 isr;
	u16 msix_config;
	bool intx_level;
	bool msix_enabled;
	bool msix_fmask;
	bool intx_disabled;
	bool mem_enabled;
	bool io_enabled;
	bool config_irq_deferred;
	u16 num_msix;
	struct kvirtio_pci_msix_vec *msix;
	u64 *pba;
	u32 msix_pba_off;
	u32 msix_bar_size;
	u32 notify_bar_size;
	u32 pio_notify_size;
	u32 cap_common;
	u32 cap_notify;
	u32 cap_pio_notify;
	u32 cap_isr;
	u32 cap_device;
	u32 cap_pcicfg;
	u32 cap_msix;
	spinlock_t irq_lock;	/* interrupt state, see above */
	struct kvirtio_pci_stats stats;
};

/**
 * kvirtio_pci_init() - build the PCI function in front of a device
 * @vp: the transport, caller-allocated (contents are overwritten)
 * @vdev: the device; its ops, device_id, pci_class, device_features,
 *	config_size (<= %KVIRTIO_PCI_DEVCFG_MAX), num_queues
 *	(1..%KVIRTIO_PCI_MAX_QUEUES) and queue_size_max (power of two,
 *	<= 32768) must be set; @vdev->mem and @vdev->host before the driver
 *	enables a queue.  If @vdev->queues is NULL the transport allocates it.
 *	Sets @vdev->transport and @vdev->transport_priv.
 * @flags: KVIRTIO_PCI_F_* (%KVIRTIO_PCI_F_PIO_NOTIFY: at most
 *	%KVIRTIO_PCI_PIO_NOTIFY_MAX_QUEUES queues)
 * @host_ops: interrupt hooks
 * @host_priv: stored in @vp->host_priv
 *
 * Context: may sleep (allocates).
 * Return: 0, -EINVAL for a device description or flags out of range,
 * -ENOMEM.
 */
int kvirtio_pci_init(struct kvirtio_pci *vp, struct kvirtio_device *vdev,
		     unsigned int flags,
		     const struct kvirtio_pci_host_ops *host_ops,
		     void *host_priv);

/**
 * kvirtio_pci_destroy() - reset the device and free the transport's memory
 * @vp: the transport
 *
 * The device is reset first (ops->queue_disable, ops->reset): no hook is
 * called afterwards.  The caller stops the data path (ioeventfds) first.
 */
void kvirtio_pci_destroy(struct kvirtio_pci *vp);

/**
 * kvirtio_pci_function_reset() - PCI function reset (VM reset)
 * @vp: the transport
 *
 * Resets the virtio device, then config space (BAR addresses, command,
 * MSI-X enable) and the MSI-X table to their power-on values.
 */
void kvirtio_pci_function_reset(struct kvirtio_pci *vp);

/**
 * kvirtio_pci_config_read() - guest read of PCI config space
 * @vp: the transport
 * @off: offset, 0..255
 * @width: 1, 2 or 4 (any alignment inside the 256 bytes)
 *
 * Return: the value (little-endian register contents, as a number), or
 * all-ones for a bad width or range (counted in pdev.stats).
 */
u32 kvirtio_pci_config_read(struct kvirtio_pci *vp, u32 off, u32 width);

/**
 * kvirtio_pci_config_write() - guest write of PCI config space
 * @vp: the transport
 * @off: offset, 0..255
 * @width: 1, 2 or 4
 * @val: value; bits outside the writable mask are dropped
 *
 * A bad width or range is ignored and counted.
 */
void kvirtio_pci_config_write(struct kvirtio_pci *vp, u32 off, u32 width,
			      u32 val);

/**
 * kvirtio_pci_bar_read() - guest read of a BAR
 * @vp: the transport
 * @bar: BAR register index (%KVIRTIO_PCI_BAR_CFG, _NOTIFY, _MSIX or
 *	_PIO_NOTIFY)
 * @off: offset inside the BAR
 * @buf: @len bytes, filled in guest (little-endian) byte order
 * @len: 1, 2, 4 or 8, naturally aligned
 *
 * Decoding of the BAR's space (memory or I/O) must be enabled in the
 * command register.
 * Return: 0, or -EINVAL when refused (@buf is then all-ones; counted).
 */
int kvirtio_pci_bar_read(struct kvirtio_pci *vp, unsigned int bar, u64 off,
			 void *buf, u32 len);

/**
 * kvirtio_pci_bar_write() - guest write of a BAR
 * @vp: the transport
 * @bar: BAR register index
 * @off: offset inside the BAR
 * @buf: @len bytes in guest (little-endian) byte order
 * @len: 1, 2, 4 or 8, naturally aligned
 *
 * A write to a notify BAR ends in kvirtio_pci_notify().
 * Return: 0, or -EINVAL when refused (ignored and counted).
 */
int kvirtio_pci_bar_write(struct kvirtio_pci *vp, unsigned int bar, u64 off,
			  const void *buf, u32 len);

/**
 * kvirtio_pci_notify() - the driver notified queue @qid (data path)
 * @vp: the transport
 * @qid: queue index
 *
 * The in-kernel ioeventfd path calls this directly.  If the queue is
 * enabled and the driver has set DRIVER_OK, calls vdev->host->kick();
 * otherwise the kick is dropped and counted.
 * Context: any, including hard interrupt and under an eventfd's wait-queue
 * lock; takes no lock and does not sleep.
 */
void kvirtio_pci_notify(struct kvirtio_pci *vp, u16 qid);

/**
 * kvirtio_pci_intx_level() - the INTx level as of now
 * @vp: the transport
 *
 * Context: any; takes no lock.
 * Return: true while the device asserts INTx.
 */
bool kvirtio_pci_intx_level(const struct kvirtio_pci *vp);

/**
 * kvirtio_pci_get_layout() - BAR sizes, notify and MSI-X placement
 * @vp: the transport
 * @layout: filled in
 */
void kvirtio_pci_get_layout(const struct kvirtio_pci *vp,
			    struct kvirtio_pci_layout *layout);

/* Size of BAR register @bar's BAR (0: none). */
u64 kvirtio_pci_bar_size(const struct kvirtio_pci *vp, unsigned int bar);
/* Address the guest programmed into BAR @bar (both halves of a 64-bit BAR). */
u64 kvirtio_pci_bar_addr(const struct kvirtio_pci *vp, unsigned int bar);
/* Memory Space Enable of the command register. */
bool kvirtio_pci_memory_enabled(const struct kvirtio_pci *vp);
/* I/O Space Enable of the command register. */
bool kvirtio_pci_io_enabled(const struct kvirtio_pci *vp);
/* The command register enables the space (memory or I/O) of BAR @bar. */
bool kvirtio_pci_bar_decoded(const struct kvirtio_pci *vp, unsigned int bar);
/* notify_off_multiplier of the NOTIFY_CFG capability. */
u32 kvirtio_pci_notify_multiplier(const struct kvirtio_pci *vp);
/* Offset of queue @qid's notify address in the notify BAR. */
u64 kvirtio_pci_queue_notify_offset(const struct kvirtio_pci *vp, u16 qid);
/* MSI-X table entries (num_queues + 1). */
u16 kvirtio_pci_msix_vectors(const struct kvirtio_pci *vp);

/**
 * kvirtio_pci_msix_entry() - read one MSI-X vector for a KVM GSI route
 * @vp: the transport
 * @vector: table index
 * @entry: filled in
 *
 * Context: takes @irq_lock; does not sleep.
 * Return: 0, or -EINVAL when @vector is out of range.
 */
int kvirtio_pci_msix_entry(struct kvirtio_pci *vp, u16 vector,
			   struct kvirtio_pci_msix_entry *entry);

static inline struct kvirtio_pci *kvirtio_pci_from_vdev(struct kvirtio_device *vdev)
{
	return vdev->transport_priv;
}

#endif /* KVIRTIO_VIRTIO_PCI_H */
