/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkvirtio: wire a kvirtio in-kernel virtio device into any KVM VMM.
 *
 * A VMM that already emulates a PCI bus adds a kvirtio device in a few
 * calls:
 *
 *	ctl = kvirtio_open();
 *	kvirtio_dev_create_blk(ctl, file_fd, false, 4, "disk0", &dev);
 *	info = kvirtio_dev_info(dev);           // BAR sizes, notify, MSI-X
 *	kvirtio_dev_set_mem_table(dev, regions, n);
 *	... place the BARs (config writes), then:
 *	kvirtio_dev_attach_kvm(dev, vm_fd, notify_bar_gpa, gsi_base);
 *	... on config/BAR exits: kvirtio_dev_config_read/write(),
 *	    kvirtio_dev_bar_read/write();
 *	... when the guest programs MSI-X: kvirtio_dev_msix_route() for each
 *	    vector into the VMM's KVM_SET_GSI_ROUTING table (see
 *	    kvirtio_dev_msix_route() for the writes that program it);
 *	kvirtio_dev_destroy(dev);
 *
 * After attach, queue kicks reach the kernel through KVM ioeventfds and
 * interrupts leave through KVM irqfds: the data path never exits to the
 * VMM.  The KVM helpers (kvirtio_kvm_*) are independent of /dev/kvirtio
 * and serve a VMM's own userspace devices as well.
 *
 * Every function returns 0 (or a count) on success and a negative errno
 * on failure; none prints anything.  A struct kvirtio_dev is not
 * thread-safe for config accesses: serialize them per device, as PCI
 * config and BAR accesses of one function are in any VMM.
 *
 * The kernel's workers act as the VMM (threads of its process where the
 * kernel has vhost_task, else kthreads with its RLIMIT_FSIZE): a blk write
 * past the limit fails with EFBIG, which the guest sees as
 * VIRTIO_BLK_S_IOERR.  The SIGXFSZ raised with it goes to the worker
 * thread only, which blocks it (vhost_task) or ignores it (kthread): it
 * never kills the VMM.  The VMM's own writes past the limit do: a VMM
 * that limits file size must ignore SIGXFSZ (SIG_IGN at startup).
 */
#ifndef LIBKVIRTIO_H
#define LIBKVIRTIO_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>
#include <linux/kvirtio.h>

#define KVIRTIO_DEV_PATH	"/dev/kvirtio"

/* ---- KVM helpers ------------------------------------------------------ */

/**
 * kvirtio_kvm_ioeventfd() - (un)register an eventfd for guest writes
 * @vm_fd: KVM VM fd
 * @addr: guest-physical MMIO address
 * @len: access length to match (1, 2, 4, 8), or 0 for any
 * @efd: eventfd
 * @datamatch: match only writes of @data
 * @data: value for @datamatch
 * @assign: true to register, false to remove
 *
 * Return: 0 or a negative errno.
 */
int kvirtio_kvm_ioeventfd(int vm_fd, uint64_t addr, uint32_t len, int efd,
			  bool datamatch, uint64_t data, bool assign);

/**
 * kvirtio_kvm_pio_ioeventfd() - (un)register an eventfd for guest OUTs
 * @vm_fd: KVM VM fd
 * @port: I/O port
 * @len: access length to match (1, 2, 4), or 0 for any
 * @efd: eventfd
 * @datamatch: match only writes of @data
 * @data: value for @datamatch
 * @assign: true to register, false to remove
 *
 * KVM serves a port write without decoding the instruction: on AMD and
 * in nested guests it is a cheaper kick than an MMIO write.
 * Return: 0 or a negative errno.
 */
int kvirtio_kvm_pio_ioeventfd(int vm_fd, uint16_t port, uint32_t len,
			      int efd, bool datamatch, uint64_t data,
			      bool assign);

/**
 * kvirtio_kvm_irqfd() - (un)bind an eventfd to a KVM GSI
 * @vm_fd: KVM VM fd
 * @gsi: the GSI (give it an MSI route with KVM_SET_GSI_ROUTING)
 * @efd: eventfd
 * @assign: true to bind, false to unbind
 *
 * Return: 0 or a negative errno.
 */
int kvirtio_kvm_irqfd(int vm_fd, uint32_t gsi, int efd, bool assign);

/**
 * kvirtio_kvm_msi_route() - fill an MSI routing entry
 * @e: the entry
 * @gsi: the GSI
 * @addr: MSI message address
 * @data: MSI message data
 */
void kvirtio_kvm_msi_route(struct kvm_irq_routing_entry *e, uint32_t gsi,
			   uint64_t addr, uint32_t data);

/**
 * kvirtio_kvm_irqchip_routes() - x86 default PIC and IOAPIC routes
 * @e: room for at least 40 entries
 *
 * KVM_SET_GSI_ROUTING replaces the whole table: a VMM with the in-kernel
 * irqchip must pass these along with its MSI routes (GSIs 0-23).
 *
 * Return: the number of entries written.
 */
unsigned int kvirtio_kvm_irqchip_routes(struct kvm_irq_routing_entry *e);

/* ---- /dev/kvirtio devices --------------------------------------------- */

struct kvirtio_dev;

/**
 * kvirtio_open() - open /dev/kvirtio and check the API version
 *
 * Return: the control fd (close it when no more devices are created), or
 * a negative errno (-EPROTO on an API version mismatch).
 */
int kvirtio_open(void);

/**
 * kvirtio_dev_create() - create a device from a full argument structure
 * @ctl_fd: from kvirtio_open()
 * @arg: argument of KVIRTIO_CREATE_DEVICE (argsz is filled in here)
 * @out: the new device
 *
 * Reads the device's info and locates its MSI-X capability.
 * Return: 0 or a negative errno.
 */
int kvirtio_dev_create(int ctl_fd, struct kvirtio_create_device *arg,
		       struct kvirtio_dev **out);

/**
 * kvirtio_dev_create_rng() - create a virtio-rng device
 * @ctl_fd: from kvirtio_open()
 * @queue_size: largest queue size offered (0: default)
 * @flags: KVIRTIO_CREATE_F_* (KVIRTIO_CREATE_F_PIO_NOTIFY)
 * @out: the new device
 *
 * Return: 0 or a negative errno.
 */
int kvirtio_dev_create_rng(int ctl_fd, uint16_t queue_size, uint32_t flags,
			   struct kvirtio_dev **out);

/**
 * kvirtio_dev_create_blk() - create a virtio-blk device on a file
 * @ctl_fd: from kvirtio_open()
 * @file_fd: backing file or block device (the device takes a reference)
 * @read_only: offer VIRTIO_BLK_F_RO
 * @num_queues: request queues (0: default)
 * @serial: the GET_ID answer, at most 20 bytes used (NULL: empty)
 * @flags: KVIRTIO_CREATE_F_* (KVIRTIO_CREATE_F_PIO_NOTIFY)
 * @out: the new device
 *
 * Return: 0 or a negative errno.
 */
int kvirtio_dev_create_blk(int ctl_fd, int file_fd, bool read_only,
			   uint16_t num_queues, const char *serial,
			   uint32_t flags, struct kvirtio_dev **out);

/**
 * kvirtio_dev_create_net() - create a virtio-net device on tap queues
 * @ctl_fd: from kvirtio_open()
 * @p: the parameters: one tap fd per queue pair in p->tap_fds (the rest
 *	-1), the MAC, MTU, flags and features_off (see the UAPI header)
 * @queue_size: largest queue size offered (0: default)
 * @flags: KVIRTIO_CREATE_F_* (KVIRTIO_CREATE_F_PIO_NOTIFY)
 * @out: the new device
 *
 * The kernel cannot see how a tap was set up, so the fds are checked
 * here first: each must be a tap (IFF_TAP) with IFF_NO_PI and
 * IFF_VNET_HDR, a vnet header size of 12 (TUNSETVNETHDRSZ), and all must
 * be queues of the same tap device.  The device takes its own references:
 * the caller may close the fds afterwards.
 *
 * Return: 0; -EINVAL for a tap set up otherwise (or an fd that is not a
 * tap), and the kernel's errors for the rest (see
 * Documentation/userspace-api.rst); -EBADF for an fd that is not open.
 */
int kvirtio_dev_create_net(int ctl_fd, const struct kvirtio_net_params *p,
			   uint16_t queue_size, uint32_t flags,
			   struct kvirtio_dev **out);

/**
 * kvirtio_dev_set_link() - KVIRTIO_DEVICE_SET_LINK: net devices only
 * @dev: a net device
 * @up: the link state the guest sees; a change raises a config interrupt
 *
 * Return: 0; -ENOTTY for a device that is not a net device.
 */
int kvirtio_dev_set_link(struct kvirtio_dev *dev, bool up);

/* The device's layout (regions, notify area, MSI-X) as GET_INFO gave it. */
const struct kvirtio_device_info *kvirtio_dev_info(const struct kvirtio_dev *dev);

/* The device fd, for the ioctls this library does not wrap. */
int kvirtio_dev_fd(const struct kvirtio_dev *dev);

/**
 * kvirtio_dev_set_mem_table() - tell the device where guest RAM is
 * @dev: the device
 * @regions: guest-physical ranges and their addresses in this process
 * @n: number of regions (<= KVIRTIO_MEM_REGIONS_MAX)
 *
 * Return: 0 or a negative errno (-EBUSY while a queue is enabled).
 */
int kvirtio_dev_set_mem_table(struct kvirtio_dev *dev,
			      const struct kvirtio_mem_region *regions,
			      unsigned int n);

/**
 * kvirtio_dev_attach_kvm() - connect kicks and interrupts through KVM
 * @dev: the device
 * @vm_fd: KVM VM fd (the device must live in the same process)
 * @notify_bar_gpa: guest-physical address of the notify BAR, or 0 to
 *	register the kick eventfds later with kvirtio_dev_move_notify()
 * @gsi_base: GSI for MSI-X vector 0; vector v uses @gsi_base + v
 *
 * Creates one eventfd per queue (KVM_IOEVENTFD at the queue's notify
 * address, KVIRTIO_DEVICE_SET_KICK_FD) and one per MSI-X vector
 * (KVM_IRQFD on its GSI, KVIRTIO_DEVICE_SET_IRQ_FD).  The VMM still owns
 * the GSI routing table: see kvirtio_dev_msix_route().
 * Return: 0 or a negative errno (nothing stays attached on failure).
 */
int kvirtio_dev_attach_kvm(struct kvirtio_dev *dev, int vm_fd,
			   uint64_t notify_bar_gpa, uint32_t gsi_base);

/**
 * kvirtio_dev_move_notify() - the guest moved the notify BAR
 * @dev: an attached device
 * @notify_bar_gpa: the new BAR address
 *
 * Return: 0 or a negative errno.
 */
int kvirtio_dev_move_notify(struct kvirtio_dev *dev, uint64_t notify_bar_gpa);

/**
 * kvirtio_dev_move_pio_notify() - the guest placed the port notify BAR
 * @dev: an attached device created with KVIRTIO_CREATE_F_PIO_NOTIFY
 * @port: the I/O BAR's base port (info->pio_notify_bar), 0 to remove
 *
 * Registers port I/O ioeventfds on the same kick eventfds as the MMIO
 * notify area: a guest may use either.  Call it when the guest moves the
 * I/O BAR or turns I/O decoding on.
 * Return: 0, -EOPNOTSUPP for a device without the port notify BAR, or
 * another negative errno.
 */
int kvirtio_dev_move_pio_notify(struct kvirtio_dev *dev, uint16_t port);

/**
 * kvirtio_dev_place_direct() - serve BAR0 and the notify areas in KVM
 * @dev: an attached device (kvirtio_dev_attach_kvm())
 * @bar_addr: six BAR addresses, by BAR register index, where the guest
 *	placed them (0: not placed); only BAR0 and the notify BARs are used
 *
 * Direct mode (KVIRTIO_DEVICE_ATTACH_VM): the device registers BAR0 and
 * its notify areas on KVM's buses, so those guest accesses no longer exit
 * to the VMM, and the library drops its notify ioeventfds (the device
 * takes the notify writes itself).  Call it again whenever the guest
 * moves one of these BARs.  The MSI-X BAR stays with the VMM.
 * Return: 0; -EOPNOTSUPP when KVM lacks the exports (the device goes on
 * being forwarded, its ioeventfds in place; see
 * Documentation/kvm-patch.rst); or another negative errno of the ioctl,
 * the previous placement then standing.
 */
int kvirtio_dev_place_direct(struct kvirtio_dev *dev, const uint64_t *bar_addr);

/* kvirtio_dev_is_direct() - whether kvirtio_dev_place_direct() succeeded */
bool kvirtio_dev_is_direct(const struct kvirtio_dev *dev);

/**
 * kvirtio_dev_msix_entry() - read one MSI-X vector from the device
 * @dev: the device
 * @vec: vector, < info->num_msix
 * @addr: message address
 * @data: message data
 * @deliverable: MSI-X enabled, function and vector unmasked
 *
 * The table is read through its BAR, which the device answers only while
 * the guest has memory decoding on (PCI command register bit 1).  The
 * guest can still program the table with decoding off, through the virtio
 * PCI_CFG window: a VMM that gets -EAGAIN keeps the vector's last route and
 * must read it again when the guest turns decoding on (a config write to
 * the command register that sets bit 1).
 *
 * Return: 0, -EAGAIN while memory decoding is off (nothing read), or
 * another negative errno.
 */
int kvirtio_dev_msix_entry(struct kvirtio_dev *dev, uint16_t vec,
			   uint64_t *addr, uint32_t *data, bool *deliverable);

/**
 * kvirtio_dev_msix_route() - KVM MSI route of one vector
 * @dev: an attached device
 * @vec: vector
 * @e: filled with an MSI route for gsi_base + @vec
 *
 * Call it for every vector after the guest writes the MSI-X capability or
 * table: a BAR write to the table, and also a config write to pci_cfg_data
 * of the virtio PCI_CFG capability (cfg_type 5) while its cap.bar selects
 * the MSI-X BAR, which the device performs on the table; and when the
 * guest turns memory decoding on (see kvirtio_dev_msix_entry()).
 *
 * Return: 1 when @e was filled, 0 when the guest has not programmed the
 * vector (no route needed), -EAGAIN while memory decoding is off (keep
 * the vector's last route), or another negative errno.
 */
int kvirtio_dev_msix_route(struct kvirtio_dev *dev, uint16_t vec,
			   struct kvm_irq_routing_entry *e);

/**
 * kvirtio_dev_attach_intx() - connect the device's INT A through KVM
 * @dev: a device attached with kvirtio_dev_attach_kvm()
 * @gsi: the GSI of the I/O APIC pin the VMM's firmware tables (MP table,
 *	ACPI _PRT) give the function's INT A, routed to that pin (KVM's
 *	default routing, kvirtio_kvm_irqchip_routes(), has GSI n on pin n)
 *
 * For a guest without MSI-X (Linux with pci=nomsi, older drivers): one
 * trigger eventfd and one resample eventfd, bound with KVM_IRQFD and
 * KVM_IRQFD_FLAG_RESAMPLE (a level interrupt that KVM deasserts on the
 * guest's EOI, signalling the resample eventfd), and handed to the device
 * with KVIRTIO_DEVICE_SET_IRQ_FD (KVIRTIO_IRQ_INTX), which asserts again
 * while its level is still high.  Several functions may share a GSI.
 * kvirtio_dev_destroy() undoes it.
 *
 * Return: 0, -ENOTCONN before kvirtio_dev_attach_kvm(), -EOPNOTSUPP for a
 * device without an interrupt pin, -EBUSY when already attached, or
 * another negative errno (nothing stays attached on failure).
 */
int kvirtio_dev_attach_intx(struct kvirtio_dev *dev, uint32_t gsi);

/**
 * kvirtio_dev_config_read() - forward a guest PCI config space read
 * @dev: the device
 * @off: offset 0..255
 * @width: 1, 2 or 4
 * @val: the value (all-ones on failure)
 *
 * Return: 0 or a negative errno.
 */
int kvirtio_dev_config_read(struct kvirtio_dev *dev, uint32_t off,
			    uint32_t width, uint32_t *val);
/* Forward a guest PCI config space write; see kvirtio_dev_config_read(). */
int kvirtio_dev_config_write(struct kvirtio_dev *dev, uint32_t off,
			     uint32_t width, uint32_t val);

/**
 * kvirtio_dev_bar_read() - forward a guest BAR read
 * @dev: the device
 * @bar: BAR register index (KVIRTIO_REGION_BAR0..5)
 * @off: offset in the BAR
 * @buf: @len bytes, guest byte order (all-ones on failure)
 * @len: 1, 2, 4 or 8, naturally aligned
 *
 * Return: 0 or a negative errno.
 */
int kvirtio_dev_bar_read(struct kvirtio_dev *dev, unsigned int bar,
			 uint64_t off, void *buf, uint32_t len);
/* Forward a guest BAR write; see kvirtio_dev_bar_read(). */
int kvirtio_dev_bar_write(struct kvirtio_dev *dev, unsigned int bar,
			  uint64_t off, const void *buf, uint32_t len);

/**
 * kvirtio_dev_set_options() - KVIRTIO_DEVICE_SET_OPTIONS
 * @dev: the device
 * @opts: the options; @opts->flags selects the fields to apply (argsz is
 *	filled in here)
 *
 * Return: 0 or a negative errno (-EBUSY for worker_per_queue after
 * DRIVER_OK, -EINVAL for a value out of range).
 */
int kvirtio_dev_set_options(struct kvirtio_dev *dev,
			    struct kvirtio_options *opts);

/* KVIRTIO_DEVICE_GET_STATS. */
int kvirtio_dev_get_stats(struct kvirtio_dev *dev, struct kvirtio_stats *st);

/**
 * kvirtio_dev_destroy() - detach from KVM and release the device
 * @dev: the device, or NULL
 *
 * Unregisters the ioeventfds and irqfds, closes every eventfd and the
 * device fd (the kernel resets the device when its last reference goes).
 */
void kvirtio_dev_destroy(struct kvirtio_dev *dev);

#endif /* LIBKVIRTIO_H */
