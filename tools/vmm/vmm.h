/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio reference VMM: a small x86-64 KVM VMM that boots a Linux bzImage
 * and offers kvirtio devices on a PCI bus, either serviced by a VMM thread
 * (backend=user) or by kvirtio.ko (backend=kernel), and vhost-vdpa
 * devices (--vdpa) behind the same virtio-pci transport.
 */
#ifndef KVIRTIO_VMM_H
#define KVIRTIO_VMM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <linux/kvm.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif
#define VMM_MAX_CPUS		32
#define VMM_MAX_DEVS		16
/* Queue pairs of a net device (KVIRTIO_NET_PAIRS_MAX of both hosts). */
#define VMM_NET_PAIRS_MAX	7
/* The GET_ID answer of a blk device, whichever backend serves it. */
#define VMM_BLK_SERIAL		"kvirtio-blk0"

/* Guest-physical map. */
#define VMM_GDT_ADDR		0x0500
#define VMM_ZERO_PAGE		0x7000
#define VMM_PML4_ADDR		0x9000
#define VMM_PDPT_ADDR		0xa000
#define VMM_PD_ADDR		0xb000	/* four pages: the first 4 GiB */
#define VMM_CMDLINE_ADDR	0x20000
#define VMM_CMDLINE_MAX		4096
#define VMM_EBDA_START		0x9fc00
#define VMM_BIOS_START		0xf0000	/* MP table lives here */
#define VMM_KERNEL_ADDR		0x100000
#define VMM_LOWMEM_END		0xc0000000ULL	/* RAM below the PCI hole */
#define VMM_HIGHMEM_START	0x100000000ULL
#define VMM_MMIO_START		0xd0000000ULL	/* BAR window */
#define VMM_MMIO_END		0xfe000000ULL
#define VMM_PIO_START		0xc000	/* I/O BAR window */
#define VMM_PIO_END		0x10000
#define VMM_IOAPIC_ADDR		0xfec00000U
#define VMM_LAPIC_ADDR		0xfee00000U

/* Ports. */
#define VMM_PORT_EXIT		0x501	/* debug exit: status = value written */

/*
 * Interrupts a vCPU thread's KVM_RUN (cpu.c).  Not SIGUSR1: main.c blocks
 * that one in every thread and takes it for the net link (SIGUSR1 sent
 * to a blocking vCPU thread would stay pending and never stop it).
 */
#define VMM_KICK_SIGNAL		SIGUSR2

/* First GSI used for MSI routes (0-23 are the irqchip pins). */
#define VMM_GSI_MSI_BASE	24
#define VMM_IRQCHIP_PINS	24

struct vmm;
struct vmm_dev;

/**
 * struct vmm_dev_ops - how the VMM reaches one PCI function's model
 * @cfg_read: config space read, @width 1, 2 or 4
 * @cfg_write: config space write
 * @bar_read: BAR access (@bar is the BAR register index)
 * @bar_write: BAR access
 * @msix_entry: MSI-X vector @vec: address, data and whether it is
 *	deliverable (enabled, unmasked); 0 or negative errno
 * @start: after the VM is built: register kick and interrupt eventfds
 * @notify_moved: the notify BAR moved to @base: move the ioeventfds
 * @pio_notify_moved: the port notify area moved to port @base (may be
 *	NULL without one)
 * @bars_moved: the guest placed or moved BARs with memory decoding on
 *	(bar_addr[] is current; called before @notify_moved; may be NULL)
 * @stop: stop the data path and free everything
 * @print_stats: --stats output of the backend
 * @toggle_link: a net device's link goes down if up, up if down (SIGUSR1);
 *	return the new state (1 up, 0 down) or a negative errno,
 *	-EOPNOTSUPP for a device without a link (or NULL)
 */
struct vmm_dev_ops {
	uint32_t (*cfg_read)(struct vmm_dev *d, uint32_t off, uint32_t width);
	void (*cfg_write)(struct vmm_dev *d, uint32_t off, uint32_t width,
			  uint32_t val);
	int (*bar_read)(struct vmm_dev *d, unsigned int bar, uint64_t off,
			void *buf, uint32_t len);
	int (*bar_write)(struct vmm_dev *d, unsigned int bar, uint64_t off,
			 const void *buf, uint32_t len);
	int (*msix_entry)(struct vmm_dev *d, uint16_t vec, uint64_t *addr,
			  uint32_t *data, bool *deliverable);
	int (*start)(struct vmm_dev *d);
	int (*notify_moved)(struct vmm_dev *d, uint64_t base);
	int (*pio_notify_moved)(struct vmm_dev *d, uint64_t base);
	void (*bars_moved)(struct vmm_dev *d);
	void (*stop)(struct vmm_dev *d);
	void (*print_stats)(struct vmm_dev *d);
	int (*toggle_link)(struct vmm_dev *d);
};

/* Counters of one PCI function (--stats). */
struct vmm_dev_stats {
	atomic_ulong cfg_exits;		/* config space accesses (port I/O) */
	atomic_ulong mmio_exits;	/* memory BAR accesses that exited to us */
	atomic_ulong bar0_exits;	/* ... of them to BAR0: virtio config */
	atomic_ulong pio_exits;		/* I/O BAR accesses that exited to us */
	atomic_ulong route_updates;	/* MSI route reprogramming */
	atomic_ulong notify_exits;	/* notify writes that exited (both kinds) */
};

/**
 * struct vmm_dev - one PCI function on bus 0
 * @vmm: the VM
 * @ops: model access
 * @name: "rng", "blk", "net" (a --vdpa function: its device's type)
 * @backend: "user", "kernel" or "vdpa"
 * @slot: PCI device number
 * @bar_size: BAR sizes by BAR register (0: none or upper half)
 * @bar_addr: decoded BAR addresses (valid with @mem_on, or @io_on for
 *	an I/O BAR, whose address is a port)
 * @io_bars: bit i set: BAR register i is an I/O BAR
 * @mem_on: memory decoding enabled
 * @io_on: I/O decoding enabled
 * @notify_bar: BAR register of the notify area
 * @notify_off: offset of queue 0's notify address in it
 * @notify_mult: bytes between two queues' notify addresses
 * @pio_notify: the function has a port notify area (notify=pio)
 * @pio_notify_bar: its I/O BAR
 * @pio_notify_off: offset of queue 0's port in it (same multiplier)
 * @pio_notify_base: port the PIO ioeventfds are registered at (0: none)
 * @msix_bar: BAR register of the MSI-X table
 * @msix_table_off: offset of the table
 * @msix_cap: config offset of the MSI-X capability
 * @pcicfg_cap: config offset of the virtio PCI_CFG capability (0: none)
 * @num_queues: queues
 * @num_msix: MSI-X vectors
 * @gsi_base: GSI of vector 0
 * @msi_addr: last MSI address read per vector (0: not programmed)
 * @msi_data: last MSI data read per vector
 * @notify_base: guest address the ioeventfds are registered at (0: none)
 * @lock: serializes config-path accesses from several vCPUs (and, for
 *	backend=user, the worker's passes); vCPUs take it with
 *	vmm_dev_cfg_lock()
 * @cfg_waiting: vCPUs waiting for @lock: the worker lets them go first
 * @stats: counters
 * @priv: backend state
 */
struct vmm_dev {
	struct vmm *vmm;
	const struct vmm_dev_ops *ops;
	const char *name;
	const char *backend;
	unsigned int slot;
	uint64_t bar_size[6];
	uint64_t bar_addr[6];
	uint32_t io_bars;
	bool mem_on;
	bool io_on;
	unsigned int notify_bar;
	uint64_t notify_off;
	uint32_t notify_mult;
	bool pio_notify;
	unsigned int pio_notify_bar;
	uint64_t pio_notify_off;
	uint64_t pio_notify_base;
	unsigned int msix_bar;
	uint64_t msix_table_off;
	uint32_t msix_cap;
	uint32_t pcicfg_cap;
	unsigned int num_queues;
	unsigned int num_msix;
	unsigned int gsi_base;
	uint64_t *msi_addr;
	uint32_t *msi_data;
	uint64_t notify_base;
	pthread_mutex_t lock;
	atomic_uint cfg_waiting;
	struct vmm_dev_stats stats;
	void *priv;
};

/*
 * The config path's side of @lock.  A mutex is not fair: a worker that
 * unlocks and relocks between passes could keep a vCPU's config access
 * waiting for a whole series of passes; it yields to @cfg_waiting.
 */
static inline void vmm_dev_cfg_lock(struct vmm_dev *d)
{
	atomic_fetch_add(&d->cfg_waiting, 1);
	pthread_mutex_lock(&d->lock);
	atomic_fetch_sub(&d->cfg_waiting, 1);
}

/* Exit counters (--stats). */
enum vmm_exit_kind {
	VMM_EXIT_IO,
	VMM_EXIT_MMIO,
	VMM_EXIT_SHUTDOWN,
	VMM_EXIT_HLT,
	VMM_EXIT_INTR,
	VMM_EXIT_SYSTEM_EVENT,
	VMM_EXIT_OTHER,
	VMM_EXIT_KINDS,
};

struct vmm_stats {
	atomic_ulong exits[VMM_EXIT_KINDS];
	atomic_ulong io_uart;
	atomic_ulong io_rtc;
	atomic_ulong io_pci;
	atomic_ulong io_other;
	atomic_ulong io_port[65536];	/* unclaimed port I/O by port */
	atomic_ulong mmio_unclaimed;
	atomic_ulong uart_irqs;
};

/* What the user asked for, one per --rng/--blk/--net/--vdpa. */
struct vmm_dev_spec {
	const char *type;	/* "rng", "blk", "net" or "vdpa" */
	bool kernel;		/* backend=kernel */
	const char *path;	/* blk: backing file; vdpa: the vhost-vdpa node */
	bool ro;
	bool direct;		/* open the file O_DIRECT */
	/* net: queue pairs, 0: one per vCPU; vdpa: queues offered, 0: all */
	unsigned int queues;
	unsigned int queue_size; /* vdpa: 0 or the largest queue size offered */
	int poll_us;		/* backend=kernel: busy poll, -1: default */
	int worker_per_queue;	/* backend=kernel: -1: default */
	int inline_kicks;	/* backend=kernel: 0/1, -1: module default */
	bool pio_notify;	/* notify=pio: kicks by port I/O */
	bool kvm_bus;		/* backend=kernel, kvmbus=on: direct mode */
	const char *tap;	/* net: the tap's name */
	bool mac_set;		/* net: mac= given */
	uint8_t mac[6];		/* net: the MAC address offered */
	unsigned int mtu;	/* net: 0 or the MTU offered */
	bool offloads_off;	/* net: offer no checksum or TSO offloads */
};

struct vmm_cpu {
	struct vmm *vmm;
	int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
};

/**
 * struct vmm - the VM
 */
struct vmm {
	/* configuration */
	unsigned int ncpus;
	uint64_t mem_size;
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	bool stats_on;
	struct vmm_dev_spec specs[VMM_MAX_DEVS];
	unsigned int nspecs;

	/* KVM */
	int kvm_fd;
	int vm_fd;
	int run_size;
	struct vmm_cpu cpus[VMM_MAX_CPUS];

	/* memory */
	uint8_t *ram;
	uint64_t low_size;	/* bytes at GPA 0 */
	uint64_t high_size;	/* bytes at GPA 4 GiB */

	/* PCI */
	pthread_mutex_t pci_lock;
	uint32_t pci_addr;	/* 0xcf8 */
	struct vmm_dev *devs[VMM_MAX_DEVS];
	unsigned int ndevs;
	uint64_t mmio_next;
	uint64_t pio_next;
	unsigned int gsi_next;
	pthread_mutex_t route_lock;

	/* lifecycle */
	atomic_bool stopping;
	int exit_status;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	pthread_mutex_t link_lock;	/* SIGUSR1 against device teardown */
	bool links_live;		/* devices exist (link_lock) */

	struct vmm_stats stats;
};

/* lifecycle.c */
void vmm_print_counters(const char *prefix, const char * const *names,
			const unsigned long long *vals, unsigned int n);
void vmm_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void vmm_request_stop(struct vmm *vmm, int status, const char *why);

/* mem.c */
int vmm_mem_init(struct vmm *vmm);
void *vmm_gpa(struct vmm *vmm, uint64_t gpa, uint64_t len);

/* boot.c */
int vmm_boot_load(struct vmm *vmm, uint64_t *entry);
int vmm_boot_regs(struct vmm *vmm, struct vmm_cpu *cpu, uint64_t entry);

/* mptable.c */
int vmm_mptable_build(struct vmm *vmm);

/* cpu.c */
int vmm_cpus_create(struct vmm *vmm);
int vmm_cpus_start(struct vmm *vmm);
void vmm_cpus_stop(struct vmm *vmm);

/* uart.c */
void vmm_uart_init(struct vmm *vmm);
bool vmm_uart_io(struct vmm *vmm, uint16_t port, bool write, uint8_t *data);

/* rtc.c */
bool vmm_rtc_io(uint16_t port, bool write, uint8_t *data);

/* pci.c */
void vmm_pci_init(struct vmm *vmm);
int vmm_pci_add(struct vmm *vmm, struct vmm_dev *d);
bool vmm_pci_io(struct vmm *vmm, uint16_t port, bool write, void *data,
		uint32_t len);
bool vmm_pci_mmio(struct vmm *vmm, uint64_t addr, bool write, void *data,
		  uint32_t len);
int vmm_pci_start(struct vmm *vmm);
void vmm_pci_stop(struct vmm *vmm);
void vmm_pci_print_stats(struct vmm *vmm);

/* msi.c */
int vmm_msi_alloc(struct vmm_dev *d);
int vmm_msi_update(struct vmm *vmm);

/* tap.c: --net */
unsigned int vmm_net_pairs(const struct vmm *vmm,
			   const struct vmm_dev_spec *spec);
void vmm_net_mac(const struct vmm_dev_spec *spec, uint8_t mac[6]);
uint64_t vmm_net_features_off(const struct vmm_dev_spec *spec);
int vmm_tap_open(const char *name, unsigned int n, int *fds);
void vmm_tap_close(int *fds, unsigned int n);

/* dev_user.c: backend=user */
int vmm_dev_user_create(struct vmm *vmm, const struct vmm_dev_spec *spec,
			struct vmm_dev **out);
/* dev_kernel.c: backend=kernel */
int vmm_dev_kernel_create(struct vmm *vmm, const struct vmm_dev_spec *spec,
			  struct vmm_dev **out);
/* vdpa.c: --vdpa, a function backed by a vhost-vdpa device */
int vmm_dev_vdpa_create(struct vmm *vmm, const struct vmm_dev_spec *spec,
			struct vmm_dev **out);

#endif /* KVIRTIO_VMM_H */
