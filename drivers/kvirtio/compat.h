/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio host abstraction.
 *
 * The virtqueue engine, the PCI/virtio-pci transport and the device logic
 * are written once and built in three places: the kernel module, the UML
 * KUnit kernel and userspace (fuzzers, unit tests, the reference VMM's
 * userspace backend).  Core files include only this header for their
 * basic types, byte order, barriers and error codes.  In the kernel it
 * maps to the real headers; in userspace tools/include/kvirtio_user_compat.h
 * provides the same names with the same semantics.
 */
#ifndef KVIRTIO_COMPAT_H
#define KVIRTIO_COMPAT_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/bitops.h>
#include <linux/slab.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/lockdep.h>
#include <asm/barrier.h>
#include <asm/byteorder.h>
#include <uapi/linux/virtio_ids.h>
#include <uapi/linux/virtio_config.h>
#include <uapi/linux/virtio_ring.h>
#include <uapi/linux/virtio_pci.h>
#else
#include "kvirtio_user_compat.h"
#endif

#endif /* KVIRTIO_COMPAT_H */
