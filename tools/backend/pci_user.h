/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The config path of a userspace host of the virtio-pci transport, shared
 * by the reference VMM's backend=user and the userspace tests.
 */
#ifndef KVIRTIO_PCI_USER_H
#define KVIRTIO_PCI_USER_H

#include "../../drivers/kvirtio/virtio_pci.h"

unsigned int kvirtio_pci_user_config_end(struct kvirtio_pci *vp,
					 bool *driver_ok);

#endif /* KVIRTIO_PCI_USER_H */
