/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TEST DOUBLE: a recording virtio device and PCI host for the transport
 * suites (pci_dev_test.c, virtio_pci_test.c).  Not a real device.
 *
 * The device has a small config space, device-specific feature bits with
 * one dependency (B needs A), and records every op the transport calls.
 * From inside queue_disable and reset it reads the transport's registers
 * back through the BAR, to prove that queue_reset reads 1 and status
 * stays non-zero while a reset is in progress.  The host hooks record
 * kicks, MSI-X messages, INTx levels and table/BAR change notices.
 */
#ifndef KVIRTIO_TEST_VDEV_H
#define KVIRTIO_TEST_VDEV_H

#include "compat.h"
#include "virtio_dev.h"
#include "virtio_pci.h"
#include "kvirtio_test_mem.h"

#define KVTD_MAX_QUEUES		4
#define KVTD_CONFIG_SIZE	12
#define KVTD_MEM_BASE		0x100000ULL
#define KVTD_MEM_SIZE		0x100000ULL
#define KVTD_MSIX_LOG		64

/* Device-specific feature bits of the double. */
#define KVTD_F_A		0	/* stand-alone */
#define KVTD_F_B		1	/* requires KVTD_F_A */
#define KVTD_F_HIGH		50	/* a bit above 32, offered when asked */

/**
 * struct kvtd - the test double
 * @vdev: the device
 * @tm: guest memory (flat buffer)
 * @vp: the transport under test
 * @vqs: the device's queues
 * @config: device config space contents
 * @kicks: host kicks per queue
 * @kick_total: all host kicks
 * @enable_calls: ops->queue_enable calls
 * @enable_ret: value ops->queue_enable returns
 * @disable_calls: ops->queue_disable calls
 * @disabled_mask: queues passed to ops->queue_disable
 * @driver_ok_calls: ops->driver_ok calls
 * @driver_ok_ret: value ops->driver_ok returns
 * @reset_calls: ops->reset calls
 * @validate_calls: ops->validate_features calls
 * @config_writes: accepted ops->config_write calls
 * @qreset_seen: queue_reset as read from inside queue_disable
 * @qenable_seen: queue_enable as read from inside queue_disable
 * @status_seen: device_status as read from inside reset
 * @msix_log: MSI-X vectors signalled, in order
 * @nmsix: entries in @msix_log (may exceed its size: count)
 * @intx_level: last INTx level
 * @intx_raises: INTx 0 -> 1 transitions
 * @intx_calls: intx hook calls
 * @hooks_locked: msix/intx hook calls made with the transport's irq_lock
 *	held (must stay 0)
 * @msix_changed_calls: msix_changed hook calls
 * @msix_changed_last: last vector passed to msix_changed
 * @bar_changed_calls: bar_changed hook calls
 */
struct kvtd {
	struct kvirtio_device vdev;
	struct kvirtio_test_mem tm;
	struct kvirtio_pci vp;
	struct kvirtio_queue vqs[KVTD_MAX_QUEUES];
	u8 config[KVTD_CONFIG_SIZE];
	unsigned int kicks[KVTD_MAX_QUEUES];
	unsigned int kick_total;
	unsigned int enable_calls;
	int enable_ret;
	unsigned int disable_calls;
	unsigned int disabled_mask;
	unsigned int driver_ok_calls;
	int driver_ok_ret;
	unsigned int reset_calls;
	unsigned int validate_calls;
	unsigned int config_writes;
	u16 qreset_seen;
	u16 qenable_seen;
	u8 status_seen;
	u16 msix_log[KVTD_MSIX_LOG];
	unsigned int nmsix;
	bool intx_level;
	unsigned int intx_raises;
	unsigned int intx_calls;
	unsigned int hooks_locked;
	unsigned int msix_changed_calls;
	u16 msix_changed_last;
	unsigned int bar_changed_calls;
};

int kvtd_init_flags(struct kvtd *d, u16 num_queues, u16 queue_size_max,
		    u64 device_features, unsigned int pci_flags);
int kvtd_init(struct kvtd *d, u16 num_queues, u16 queue_size_max,
	      u64 device_features);
void kvtd_destroy(struct kvtd *d);

#endif /* KVIRTIO_TEST_VDEV_H */
