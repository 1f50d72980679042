// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio exports for the front ends built as separate modules (today
 * kvirtio_vdpa.ko, which exists only where the kernel has vDPA).
 *
 * Collected here, in namespace KVIRTIO, so that the host-agnostic core
 * files stay free of kernel macros and kvirtio.ko never depends on the
 * front ends: they import the namespace and link against kvirtio.ko.
 * Each export names the file that defines it.
 */
#include <linux/export.h>
#include <linux/module.h>

#include "host.h"
#include "net_tap.h"
#include "../virtqueue.h"

/* virtqueue.c */
EXPORT_SYMBOL_NS_GPL(kvirtio_queue_setup, KVIRTIO);
/* virtqueue.c */
EXPORT_SYMBOL_NS_GPL(kvirtio_queue_teardown, KVIRTIO);
/* host/device.c */
EXPORT_SYMBOL_NS_GPL(kvirtio_check_create_args, KVIRTIO);
/* host/types.c */
EXPORT_SYMBOL_NS_GPL(kvirtio_hdev_type_find, KVIRTIO);
/* host/types.c */
EXPORT_SYMBOL_NS_GPL(kvirtio_type_put_files, KVIRTIO);
/* host/worker.c */
EXPORT_SYMBOL_NS_GPL(kvirtio_workers_init_kernel, KVIRTIO);
/* host/worker.c */
EXPORT_SYMBOL_NS_GPL(kvirtio_workers_start, KVIRTIO);
/* host/worker.c */
EXPORT_SYMBOL_NS_GPL(kvirtio_workers_disable, KVIRTIO);
/* host/worker.c */
EXPORT_SYMBOL_NS_GPL(kvirtio_workers_destroy, KVIRTIO);
/* host/worker.c */
EXPORT_SYMBOL_NS_GPL(kvirtio_workers_pause_sync, KVIRTIO);
/* host/worker.c */
EXPORT_SYMBOL_NS_GPL(kvirtio_workers_resume, KVIRTIO);
/* host/worker.c */
EXPORT_SYMBOL_NS_GPL(kvirtio_workers_kick, KVIRTIO);
/* host/net_tap.c */
EXPORT_SYMBOL_NS_GPL(kvirtio_net_tap_defer_offloads, KVIRTIO);
/* host/stats.c: the leak counters */
EXPORT_SYMBOL_NS_GPL(kvirtio_live, KVIRTIO);
/* host/stats.c */
EXPORT_SYMBOL_NS_GPL(kvirtio_debugfs_root, KVIRTIO);
