/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * kvirtio: in-kernel virtio devices for KVM guests.
 *
 * A VMM opens /dev/kvirtio and creates virtio-pci devices with
 * KVIRTIO_CREATE_DEVICE.  Each device is an anonymous file descriptor that
 * lives until its last reference is closed.  The VMM forwards the guest's
 * PCI config space and BAR accesses to it with pread()/pwrite() at fixed
 * region offsets (as with VFIO regions), registers one eventfd per queue
 * with KVM_IOEVENTFD (the kick) and one eventfd per MSI-X vector (or the
 * INTx pair) with KVM_IRQFD (the interrupt).  From then on the data path
 * runs in the host kernel without exits to userspace.
 *
 * Every argument structure starts with @argsz and @flags so that it can
 * grow: the caller sets @argsz to the size it knows; the kernel accepts a
 * larger structure only when the bytes it does not know are zero (-E2BIG
 * otherwise) and rejects a smaller one than the first version (-EINVAL).
 * An @argsz above KVIRTIO_ARGSZ_MAX is rejected with -E2BIG.  Unknown
 * @flags bits and non-zero reserved fields are rejected with -EINVAL.  An
 * ioctl that fails changes nothing.
 *
 * See Documentation/userspace-api.rst for every ioctl, region and errno.
 */
#ifndef _UAPI_LINUX_KVIRTIO_H
#define _UAPI_LINUX_KVIRTIO_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define KVIRTIO_API_VERSION	1

/* Largest @argsz of any argument structure. */
#define KVIRTIO_ARGSZ_MAX	4096

/* Not claimed in ioctl-number.rst by anyone else in 6.12. */
#define KVIRTIO_TYPE		0xB9

/* ---------------------------------------------------------------------- */
/* ioctls on /dev/kvirtio                                                  */
/* ---------------------------------------------------------------------- */

/*
 * KVIRTIO_GET_API_VERSION: returns KVIRTIO_API_VERSION (no argument).
 */
#define KVIRTIO_GET_API_VERSION	_IO(KVIRTIO_TYPE, 0x00)

/* Device types: the virtio device IDs. */
#define KVIRTIO_DEV_NET		1
#define KVIRTIO_DEV_BLK		2
#define KVIRTIO_DEV_RNG		4

/* struct kvirtio_blk_params.flags */
#define KVIRTIO_BLK_F_READ_ONLY	0x1U	/* offer VIRTIO_BLK_F_RO */
#define KVIRTIO_BLK_F_FLUSH	0x2U	/* offer VIRTIO_BLK_F_FLUSH */
#define KVIRTIO_BLK_F_ALL	(KVIRTIO_BLK_F_READ_ONLY | KVIRTIO_BLK_F_FLUSH)

#define KVIRTIO_BLK_SERIAL_LEN	20	/* VIRTIO_BLK_ID_BYTES */

/**
 * struct kvirtio_blk_params - block device parameters
 * @fd: backing file (regular file or block device), opened by the VMM.
 *	The device takes its own reference; the VMM may close @fd after
 *	creation.  Opened O_RDWR unless KVIRTIO_BLK_F_READ_ONLY is set.
 * @flags: KVIRTIO_BLK_F_*
 * @capacity: size in 512-byte sectors; 0: the size of the backing file.
 *	May not exceed the backing file.
 * @logical_block_size: 0 (512) or a power of two 512..4096
 * @serial: VIRTIO_BLK_T_GET_ID string, NUL-padded
 * @seg_max: data segments per request (0: device default, 126)
 * @size_max: bytes per data segment, 0 (default, 1 MiB) or >= 4096
 * @reserved: must be zero
 */
struct kvirtio_blk_params {
	__s32 fd;
	__u32 flags;
	__u64 capacity;
	__u32 logical_block_size;
	__u8 serial[KVIRTIO_BLK_SERIAL_LEN];
	__u32 seg_max;
	__u32 size_max;
	__u64 reserved[3];
};

/* Queue pairs of a net device: with the control queue, 15 queues. */
#define KVIRTIO_NET_PAIRS_MAX	7

/* struct kvirtio_net_params.flags */
#define KVIRTIO_NET_F_LINK_DOWN	0x1U	/* start with the link down */
#define KVIRTIO_NET_F_ALL	KVIRTIO_NET_F_LINK_DOWN

/**
 * struct kvirtio_net_params - network device parameters
 * @tap_fds: one tap per queue pair, opened by the VMM with IFF_TAP |
 *	IFF_NO_PI | IFF_VNET_HDR (and IFF_MULTI_QUEUE for more than one
 *	pair), queues of the same tap device, with a vnet header size of 12
 *	(TUNSETVNETHDRSZ).  The device takes its own references; the VMM may
 *	close them after creation.  Entries past @num_pairs must be -1.
 * @num_pairs: queue pairs, 1..KVIRTIO_NET_PAIRS_MAX.  The device has
 *	2 * @num_pairs + 1 queues (2 * @num_pairs when @features_off removes
 *	VIRTIO_NET_F_CTRL_VQ); struct kvirtio_create_device.num_queues must
 *	be 0 or that number.
 * @mtu: 0 (no VIRTIO_NET_F_MTU) or the MTU offered, 68..65535
 * @mac: the MAC address offered, unicast and not all zero
 * @flags: KVIRTIO_NET_F_*
 * @features_off: 1ULL << VIRTIO_NET_F_* bits the device must not offer,
 *	out of CSUM, GUEST_CSUM, HOST_TSO4/6, GUEST_TSO4/6, HOST_ECN,
 *	GUEST_ECN, MRG_RXBUF, CTRL_VQ, CTRL_RX, CTRL_MAC_ADDR,
 *	CTRL_GUEST_OFFLOADS and MQ; what depends on a removed bit goes too
 *	(e.g. to compare with and without offloads)
 * @reserved: must be zero
 */
struct kvirtio_net_params {
	__s32 tap_fds[8];
	__u16 num_pairs;
	__u16 mtu;
	__u8 mac[6];
	__u16 reserved0;
	__u32 flags;
	__u32 reserved1;
	__u64 features_off;
	__u64 reserved[4];
};

/*
 * struct kvirtio_create_device.flags
 *
 * KVIRTIO_CREATE_F_PIO_NOTIFY: add an I/O port BAR (region 5) with a
 * second notify area, listed first among the NOTIFY capabilities, so that
 * a driver that takes the first usable one (Linux) kicks with an OUT.  KVM
 * serves a port write to an ioeventfd without decoding the instruction,
 * where an MMIO write on AMD and in nested guests is a decoded NPF.  The
 * MSI-X BAR then becomes a 32-bit BAR in region 4 only.  At most
 * KVIRTIO_PIO_NOTIFY_MAX_QUEUES queues.
 */
#define KVIRTIO_CREATE_F_PIO_NOTIFY	0x1U
#define KVIRTIO_PIO_NOTIFY_MAX_QUEUES	64

/**
 * struct kvirtio_create_device - argument of KVIRTIO_CREATE_DEVICE
 * @argsz: sizeof(struct kvirtio_create_device)
 * @flags: KVIRTIO_CREATE_F_*
 * @type: KVIRTIO_DEV_RNG, KVIRTIO_DEV_BLK or KVIRTIO_DEV_NET
 * @num_queues: 0 for the type's default, else 1..KVIRTIO_MAX_QUEUES (rng: 1)
 * @queue_size_max: largest queue size offered; 0 for the default (256),
 *	else a power of two 1..32768
 * @reserved0: must be zero
 * @reserved1: must be zero
 * @blk: parameters for KVIRTIO_DEV_BLK (must be all zero for rng)
 * @net: parameters for KVIRTIO_DEV_NET
 * @reserved: must be zero
 *
 * Returns a new device file descriptor (O_CLOEXEC, O_RDWR) on success.
 */
struct kvirtio_create_device {
	__u32 argsz;
	__u32 flags;
	__u32 type;
	__u16 num_queues;
	__u16 queue_size_max;
	__u32 reserved0;
	__u32 reserved1;
	union {
		struct kvirtio_blk_params blk;
		struct kvirtio_net_params net;
		__u64 type_params[16];
	};
	__u64 reserved[4];
};

#define KVIRTIO_MAX_QUEUES	16
#define KVIRTIO_DEFAULT_QUEUE_SIZE 256

#define KVIRTIO_CREATE_DEVICE	_IO(KVIRTIO_TYPE, 0x01)

/* ---------------------------------------------------------------------- */
/* Regions of a device fd (pread/pwrite)                                   */
/* ---------------------------------------------------------------------- */

/*
 * Region N occupies file offsets [N << 40, (N << 40) + size).  Indices
 * follow VFIO's PCI layout: 0-5 are BAR0-BAR5, 7 is PCI config space.
 * A region of size 0 does not exist.  Accesses are 1, 2, 4 or 8 bytes,
 * naturally aligned, inside one region (BARs), or 1..4 bytes inside config
 * space, exactly as the guest made them.
 */
#define KVIRTIO_REGION_SHIFT		40
#define KVIRTIO_REGION_OFFSET(index)	((__u64)(index) << KVIRTIO_REGION_SHIFT)
#define KVIRTIO_REGION_BAR0		0
#define KVIRTIO_REGION_BAR1		1
#define KVIRTIO_REGION_BAR2		2
#define KVIRTIO_REGION_BAR3		3
#define KVIRTIO_REGION_BAR4		4
#define KVIRTIO_REGION_BAR5		5
#define KVIRTIO_REGION_CONFIG		7
#define KVIRTIO_NUM_REGIONS		8

/* struct kvirtio_region_info.flags */
#define KVIRTIO_REGION_F_READ		0x1U
#define KVIRTIO_REGION_F_WRITE		0x2U
#define KVIRTIO_REGION_F_MEM64		0x4U	/* 64-bit memory BAR */
#define KVIRTIO_REGION_F_PREFETCH	0x8U
#define KVIRTIO_REGION_F_IO		0x10U	/* I/O port BAR */

/**
 * struct kvirtio_region_info - one region of a device fd
 * @flags: KVIRTIO_REGION_F_*
 * @reserved: zero
 * @size: bytes (a BAR size is a power of two); 0: no such region
 * @offset: file offset of the region, KVIRTIO_REGION_OFFSET(index)
 */
struct kvirtio_region_info {
	__u32 flags;
	__u32 reserved;
	__u64 size;
	__u64 offset;
};

/* ---------------------------------------------------------------------- */
/* ioctls on a device fd                                                   */
/* ---------------------------------------------------------------------- */

/* struct kvirtio_device_info.flags (output) */
#define KVIRTIO_INFO_F_MSIX	0x1U	/* device has an MSI-X cap */
#define KVIRTIO_INFO_F_INTX	0x2U	/* device raises INTx (pin A) */
#define KVIRTIO_INFO_F_PIO_NOTIFY 0x4U	/* the pio_notify_* fields are valid */

/**
 * struct kvirtio_device_info - argument of KVIRTIO_DEVICE_GET_INFO
 * @argsz: in: bytes available at the argument (at least up to @regions)
 * @flags: out: KVIRTIO_INFO_F_*; in: must be 0
 * @device_id: virtio device id (KVIRTIO_DEV_*)
 * @num_queues: virtqueues
 * @queue_size_max: largest queue size offered
 * @num_msix: MSI-X vectors (table entries)
 * @notify_bar: BAR holding the notify area
 * @notify_off_multiplier: notify_off_multiplier of the notify capability
 * @msix_bar: BAR holding the MSI-X table and PBA
 * @notify_offset: offset of the notify area in @notify_bar; queue q is
 *	notified at notify_offset + q * @notify_off_multiplier (the device's
 *	queue_notify_off of queue q is q), a 16-bit write of q.
 * @msix_table_offset: offset of the MSI-X table in @msix_bar
 * @msix_pba_offset: offset of the MSI-X PBA in @msix_bar
 * @regions: KVIRTIO_NUM_REGIONS regions, indexed by KVIRTIO_REGION_*
 * @pio_notify_bar: with KVIRTIO_INFO_F_PIO_NOTIFY, the I/O BAR holding the
 *	port notify area (a region with KVIRTIO_REGION_F_IO)
 * @pio_notify_off_multiplier: its notify_off_multiplier
 * @pio_notify_offset: queue q is notified at port BAR base +
 *	@pio_notify_offset + q * @pio_notify_off_multiplier, a 16-bit OUT
 *	of q
 *
 * The kernel writes min(@argsz, sizeof(struct kvirtio_device_info))
 * bytes: a caller built before the pio_notify_* fields gets the rest.
 */
struct kvirtio_device_info {
	__u32 argsz;
	__u32 flags;
	__u32 device_id;
	__u16 num_queues;
	__u16 queue_size_max;
	__u32 num_msix;
	__u32 notify_bar;
	__u32 notify_off_multiplier;
	__u32 msix_bar;
	__u64 notify_offset;
	__u64 msix_table_offset;
	__u64 msix_pba_offset;
	struct kvirtio_region_info regions[KVIRTIO_NUM_REGIONS];
	__u32 pio_notify_bar;
	__u32 pio_notify_off_multiplier;
	__u64 pio_notify_offset;
};

#define KVIRTIO_DEVICE_GET_INFO		_IO(KVIRTIO_TYPE, 0x10)

/**
 * struct kvirtio_mem_region - one range of guest RAM
 * @gpa: guest-physical base, page aligned
 * @size: bytes, page aligned, non-zero
 * @uaddr: address of the range in the VMM (the creator's mm), page aligned
 * @flags: must be 0
 */
struct kvirtio_mem_region {
	__u64 gpa;
	__u64 size;
	__u64 uaddr;
	__u64 flags;
};

#define KVIRTIO_MEM_REGIONS_MAX	64

/**
 * struct kvirtio_mem_table - argument of KVIRTIO_DEVICE_SET_MEM_TABLE
 * @argsz: offsetof(regions) + nregions * sizeof(struct kvirtio_mem_region)
 * @flags: must be 0
 * @nregions: 0..KVIRTIO_MEM_REGIONS_MAX; 0 removes all guest memory
 * @reserved: must be 0
 * @regions: the table; ranges may not overlap in guest-physical space
 *
 * Replaces the whole table.  Refused with -EBUSY while any queue is
 * enabled (its rings are pinned through the current table).
 */
struct kvirtio_mem_table {
	__u32 argsz;
	__u32 flags;
	__u32 nregions;
	__u32 reserved;
	struct kvirtio_mem_region regions[];
};

#define KVIRTIO_DEVICE_SET_MEM_TABLE	_IO(KVIRTIO_TYPE, 0x11)

/**
 * struct kvirtio_queue_fd - argument of KVIRTIO_DEVICE_SET_KICK_FD
 * @argsz: sizeof(struct kvirtio_queue_fd)
 * @flags: must be 0
 * @index: queue, < num_queues
 * @fd: an eventfd to attach (replacing any previous one), or -1 to detach
 * @reserved: must be 0
 */
struct kvirtio_queue_fd {
	__u32 argsz;
	__u32 flags;
	__u32 index;
	__s32 fd;
	__u64 reserved;
};

#define KVIRTIO_DEVICE_SET_KICK_FD	_IO(KVIRTIO_TYPE, 0x12)

/* struct kvirtio_irq_fd.type */
#define KVIRTIO_IRQ_MSIX	0	/* @index is an MSI-X vector */
#define KVIRTIO_IRQ_INTX	1	/* @index must be 0 */

/**
 * struct kvirtio_irq_fd - argument of KVIRTIO_DEVICE_SET_IRQ_FD
 * @argsz: sizeof(struct kvirtio_irq_fd)
 * @flags: must be 0
 * @type: KVIRTIO_IRQ_MSIX or KVIRTIO_IRQ_INTX
 * @index: MSI-X vector (< num_msix) or 0 for INTx
 * @fd: eventfd the device signals (the VMM gives it to KVM_IRQFD), or -1
 *	to detach (then @resample_fd must be -1 too)
 * @resample_fd: INTx only: the eventfd given to KVM_IRQFD as resamplefd
 *	(KVM_IRQFD_FLAG_RESAMPLE), or -1 for none; MSI-X: must be -1
 * @reserved: must be 0
 */
struct kvirtio_irq_fd {
	__u32 argsz;
	__u32 flags;
	__u32 type;
	__u32 index;
	__s32 fd;
	__s32 resample_fd;
	__u64 reserved;
};

#define KVIRTIO_DEVICE_SET_IRQ_FD	_IO(KVIRTIO_TYPE, 0x13)

/* struct kvirtio_options.flags: which fields to apply */
#define KVIRTIO_OPT_BUSY_POLL		0x1U
#define KVIRTIO_OPT_BUDGET		0x2U
#define KVIRTIO_OPT_WORKER_PER_QUEUE	0x4U
#define KVIRTIO_OPT_INLINE		0x8U
#define KVIRTIO_OPT_ALL			(KVIRTIO_OPT_BUSY_POLL | \
					 KVIRTIO_OPT_BUDGET | \
					 KVIRTIO_OPT_WORKER_PER_QUEUE | \
					 KVIRTIO_OPT_INLINE)

#define KVIRTIO_BUSY_POLL_US_MAX	10000
#define KVIRTIO_BUDGET_REQUESTS_MAX	65536
#define KVIRTIO_BUDGET_BYTES_MIN	4096
#define KVIRTIO_BUDGET_BYTES_MAX	(64ULL << 20)
/* Bounds of an inline pass (KVIRTIO_OPT_INLINE). */
#define KVIRTIO_INLINE_REQUESTS_MAX	1024
#define KVIRTIO_INLINE_US_MAX		10000
#define KVIRTIO_INLINE_BYTES_MAX	(4ULL << 20)

/**
 * struct kvirtio_options - argument of KVIRTIO_DEVICE_SET_OPTIONS
 * @argsz: sizeof(struct kvirtio_options)
 * @flags: KVIRTIO_OPT_* selecting the fields to apply (others ignored
 *	but must be zero)
 * @busy_poll_us: 0..KVIRTIO_BUSY_POLL_US_MAX: after a queue drains, the
 *	worker keeps polling the avail ring this long with kicks suppressed
 * @budget_requests: 1..KVIRTIO_BUDGET_REQUESTS_MAX chains per queue per
 *	wakeup
 * @worker_per_queue: 0: one worker thread per device; 1: one per queue.
 *	Changing it is refused with -EBUSY after DRIVER_OK.
 * @inline_kicks: 0: every kick wakes a worker; 1: a kick from a thread of
 *	the VMM (a vCPU's notify write, through its ioeventfd) is served in
 *	that thread before it returns to the guest or to userspace
 * @budget_bytes: KVIRTIO_BUDGET_BYTES_MIN..KVIRTIO_BUDGET_BYTES_MAX
 *	payload bytes per queue per wakeup
 * @inline_requests: 1..KVIRTIO_INLINE_REQUESTS_MAX chains per inline pass
 * @inline_us: 1..KVIRTIO_INLINE_US_MAX microseconds an inline pass may
 *	start new work for
 * @inline_bytes: KVIRTIO_BUDGET_BYTES_MIN..KVIRTIO_INLINE_BYTES_MAX payload
 *	bytes per inline pass; a larger request goes to the worker
 *
 * An inline pass that reaches one of its bounds hands the queue to the
 * worker.  The inline fields are applied with KVIRTIO_OPT_INLINE.
 */
struct kvirtio_options {
	__u32 argsz;
	__u32 flags;
	__u32 busy_poll_us;
	__u32 budget_requests;
	__u32 worker_per_queue;
	__u32 inline_kicks;
	__u64 budget_bytes;
	__u32 inline_requests;
	__u32 inline_us;
	__u64 inline_bytes;
};

#define KVIRTIO_DEVICE_SET_OPTIONS	_IO(KVIRTIO_TYPE, 0x14)

/**
 * struct kvirtio_stats - argument of KVIRTIO_DEVICE_GET_STATS
 * @argsz: in: bytes available (at least up to @errors); the kernel fills
 *	min(@argsz, sizeof) bytes
 * @flags: must be 0
 * @requests: chains completed (used elements pushed)
 * @bytes: payload bytes moved
 * @kicks: kicks received (eventfd or BAR notify writes)
 * @interrupts: interrupts raised (MSI-X eventfd or INTx)
 * @errors: broken queues and worker start failures (requests that
 *	completed with an error status are answered, not counted)
 * @wakeups: worker wakeups
 * @budget_exhausted: passes that stopped on the per-wakeup budget
 * @poll_hits: work found while busy-polling (a kick avoided)
 * @pinned_pages: ring pages currently pinned by this device
 * @mapped_rings: rings currently mapped by this device
 * @inline_passes: queues served in a kicking vCPU's thread
 * @inline_handoffs: inline passes that reached a bound and left the rest
 *	to the worker
 * @direct_accesses: BAR accesses served in a vCPU's exit on KVM's bus
 *	(KVIRTIO_DEVICE_ATTACH_VM), with no exit to the VMM
 * @direct_kicks: notify writes taken on KVM's bus (also in @kicks)
 * @net_tx_packets: net: frames sent to the tap
 * @net_rx_packets: net: frames placed in receive buffers
 * @net_tx_dropped: net: transmit frames dropped (bad header, bad length,
 *	refused by the tap)
 * @net_rx_dropped: net: received frames dropped (no buffers could hold
 *	them, filtered by MAC, an offload the guest did not accept, errors)
 * @net_ctrl_errors: net: control commands answered VIRTIO_NET_ERR
 */
struct kvirtio_stats {
	__u32 argsz;
	__u32 flags;
	__u64 requests;
	__u64 bytes;
	__u64 kicks;
	__u64 interrupts;
	__u64 errors;
	__u64 wakeups;
	__u64 budget_exhausted;
	__u64 poll_hits;
	__u64 pinned_pages;
	__u64 mapped_rings;
	__u64 inline_passes;
	__u64 inline_handoffs;
	__u64 direct_accesses;
	__u64 direct_kicks;
	__u64 net_tx_packets;
	__u64 net_rx_packets;
	__u64 net_tx_dropped;
	__u64 net_rx_dropped;
	__u64 net_ctrl_errors;
};

#define KVIRTIO_DEVICE_GET_STATS	_IO(KVIRTIO_TYPE, 0x15)

/*
 * KVIRTIO_DEVICE_RESET: PCI function reset (VM reset): the virtio device
 * is reset, config space, BAR addresses and the MSI-X table return to
 * their power-on values.  Eventfds and the memory table stay.  No argument.
 */
#define KVIRTIO_DEVICE_RESET		_IO(KVIRTIO_TYPE, 0x16)

/**
 * struct kvirtio_net_link - argument of KVIRTIO_DEVICE_SET_LINK
 * @argsz: sizeof(struct kvirtio_net_link)
 * @flags: must be 0
 * @up: 1 link up, 0 link down; a change raises a config interrupt
 * @reserved: must be 0
 *
 * Net devices only (-ENOTTY for the others).
 */
struct kvirtio_net_link {
	__u32 argsz;
	__u32 flags;
	__u32 up;
	__u32 reserved;
};

#define KVIRTIO_DEVICE_SET_LINK		_IO(KVIRTIO_TYPE, 0x18)

/**
 * struct kvirtio_vm_attach - argument of KVIRTIO_DEVICE_ATTACH_VM
 * @argsz: sizeof(struct kvirtio_vm_attach)
 * @flags: must be 0
 * @vm_fd: a KVM VM fd of the calling process; -1 detaches
 * @reserved: must be 0
 * @bar_addr: per BAR register index, where the guest placed the BAR (a
 *	guest-physical address, or a port for an I/O BAR); 0: not placed,
 *	not served on KVM's bus.  Only BAR0 (common config, ISR, device
 *	config), the notify BAR and the port notify BAR (see struct
 *	kvirtio_device_info) may be given; the MSI-X BAR stays with the VMM.
 *
 * "Direct mode": the device registers these ranges on KVM's MMIO and
 * port buses, so the guest's accesses are served in its vCPU's exit,
 * with no exit to the VMM.  For BAR0 that is the whole BAR; for the
 * notify BARs, the notify area (one slot per queue).  Calling again with
 * the same VM moves the ranges (the guest moved a BAR); a failed call
 * leaves the previous placement in force.  The device holds a reference
 * on the VM until it is detached or closed.
 *
 * Needs a KVM that exports kvm_io_bus_register_dev() and
 * kvm_io_bus_unregister_dev() (Documentation/kvm-patch.rst); found at
 * run time.  Errors: -EOPNOTSUPP without them (forward BAR accesses
 * instead); -EBADF: @vm_fd is not open; -EINVAL: not a KVM VM fd, a
 * non-zero @flags or @reserved, an address for another BAR, a BAR not
 * aligned to its size, a range past the address space or two of the
 * device's ranges overlapping; -EPERM: the VM belongs to another
 * process; -EBUSY: attached to another VM (detach first); -EEXIST: a
 * range overlaps another device on KVM's bus (an ioeventfd, another
 * kvirtio device, KVM's own); -ENOSPC, -ENOMEM from KVM.
 */
struct kvirtio_vm_attach {
	__u32 argsz;
	__u32 flags;
	__s32 vm_fd;
	__u32 reserved;
	__u64 bar_addr[6];
};

#define KVIRTIO_DEVICE_ATTACH_VM	_IO(KVIRTIO_TYPE, 0x17)

#endif /* _UAPI_LINUX_KVIRTIO_H */
