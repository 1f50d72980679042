// SPDX-License-Identifier: GPL-2.0-only
/*
 * The config path of a userspace host of the virtio-pci transport: what
 * the kernel host does after a guest config write (hdev_config_end() in
 * drivers/kvirtio/host/device.c), for the reference VMM's backend=user.
 */
#include "pci_user.h"

/**
 * kvirtio_pci_user_config_end() - after a config write: start the queues
 * @vp: the transport, after kvirtio_pci_config_write() or
 *	kvirtio_pci_bar_write()
 * @driver_ok: the host's record of DRIVER_OK, false at creation; updated
 *
 * A driver may make buffers available before it sets DRIVER_OK, when it
 * must not notify yet, and not notify them afterwards.  The kernel host
 * looks at every queue once when the device reaches DRIVER_OK
 * (kvirtio_workers_start()); a userspace host calls this after each
 * config-path write, under the lock that serializes those with its queue
 * processing, to do the same.  On the transition to DRIVER_OK it
 * calls vdev->host->kick() for each live queue, as if the driver had
 * notified it.  Any other write, including one that leaves DRIVER_OK set,
 * kicks nothing: a reset clears @driver_ok, so the next DRIVER_OK looks
 * again.
 *
 * Return: the number of queues kicked.
 */
unsigned int kvirtio_pci_user_config_end(struct kvirtio_pci *vp,
					 bool *driver_ok)
{
	struct kvirtio_device *vdev = vp->vdev;
	bool was = *driver_ok;
	unsigned int n = 0;
	u16 q;

	*driver_ok = READ_ONCE(vp->status) & VIRTIO_CONFIG_S_DRIVER_OK;
	if (!*driver_ok || was)
		return 0;
	for (q = 0; q < vdev->num_queues; q++) {
		if (!READ_ONCE(vp->queues[q].live))
			continue;
		vdev->host->kick(vdev, q);
		n++;
	}
	return n;
}
