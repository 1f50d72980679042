// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio module identity.  The module's init and exit (the /dev/kvirtio
 * misc device) are added with the KVM glue.
 */
#include <linux/module.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kvirtio: in-kernel virtio device backends for KVM guests");
