/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * kvirtio vDPA front end: /dev/kvirtio-vdpa (module kvirtio_vdpa).
 *
 * The same kvirtio devices as /dev/kvirtio (blk on a file, net on tap
 * queues), presented on the kernel's vDPA bus instead of to one VMM.  It
 * works like VDUSE: KVIRTIO_VDPA_CREATE records a device under a name
 * with the creation arguments of /dev/kvirtio and the module's own
 * references to the files they name, so the device outlives the command;
 * then
 *
 *	vdpa dev add name NAME mgmtdev kvirtio
 *
 * builds the device and registers it on the vDPA bus, where vhost_vdpa
 * (/dev/vhost-vdpa-N, for a VMM) or virtio_vdpa (the host's own virtio
 * drivers) binds to it; "vdpa dev del NAME" unregisters it again.
 * KVIRTIO_VDPA_DESTROY forgets the name and drops the files; it is
 * refused (-EBUSY) while the device is on the bus.
 *
 * Every ioctl takes a struct starting with argsz (its size as the caller
 * knows it) and flags (0); unknown flags and non-zero reserved fields are
 * refused with -EINVAL.  Creating and destroying needs CAP_SYS_ADMIN, and
 * CAP_NET_ADMIN as well for a net device.
 */
#ifndef _UAPI_LINUX_KVIRTIO_VDPA_H
#define _UAPI_LINUX_KVIRTIO_VDPA_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/kvirtio.h>

/* A name: 1..31 of [A-Za-z0-9_.-], not starting with '.', NUL-padded. */
#define KVIRTIO_VDPA_NAME_LEN	32

/* Devices the module keeps at most. */
#define KVIRTIO_VDPA_MAX_DEVICES	64

/* The management device name for "vdpa dev add ... mgmtdev kvirtio". */
#define KVIRTIO_VDPA_MGMTDEV	"kvirtio"

/**
 * struct kvirtio_vdpa_create - argument of KVIRTIO_VDPA_CREATE
 * @argsz: sizeof(struct kvirtio_vdpa_create)
 * @flags: 0
 * @name: the device's name on the vDPA bus (see KVIRTIO_VDPA_NAME_LEN)
 * @dev: creation arguments as for KVIRTIO_CREATE_DEVICE; @dev.argsz is
 *	sizeof(struct kvirtio_create_device), @dev.flags 0, @dev.type
 *	KVIRTIO_DEV_BLK or KVIRTIO_DEV_NET; the fds are the caller's
 *
 * Return: 0; -EEXIST for a name already recorded; -ENOSPC beyond
 * KVIRTIO_VDPA_MAX_DEVICES; -EOPNOTSUPP for a type the vDPA front end does
 * not serve (rng); -EPERM without the capabilities; the errors of
 * KVIRTIO_CREATE_DEVICE for the arguments and the files.
 */
struct kvirtio_vdpa_create {
	__u32 argsz;
	__u32 flags;
	char name[KVIRTIO_VDPA_NAME_LEN];
	struct kvirtio_create_device dev;
};

/**
 * struct kvirtio_vdpa_destroy - argument of KVIRTIO_VDPA_DESTROY
 * @argsz: sizeof(struct kvirtio_vdpa_destroy)
 * @flags: 0
 * @name: a recorded device
 *
 * Return: 0; -ENOENT for an unknown name; -EBUSY while it is on the vDPA
 * bus ("vdpa dev del" it first).
 */
struct kvirtio_vdpa_destroy {
	__u32 argsz;
	__u32 flags;
	char name[KVIRTIO_VDPA_NAME_LEN];
};

/* struct kvirtio_vdpa_entry.flags */
#define KVIRTIO_VDPA_ENTRY_F_BOUND	0x1U	/* on the vDPA bus */

/**
 * struct kvirtio_vdpa_entry - one recorded device
 * @name: its name
 * @type: KVIRTIO_DEV_*
 * @flags: KVIRTIO_VDPA_ENTRY_F_*
 */
struct kvirtio_vdpa_entry {
	char name[KVIRTIO_VDPA_NAME_LEN];
	__u32 type;
	__u32 flags;
};

/**
 * struct kvirtio_vdpa_list - argument of KVIRTIO_VDPA_LIST
 * @argsz: the header plus room for @count entries
 * @flags: 0
 * @count: in: entries the caller has room for; out: devices recorded (the
 *	first min(in, out) are filled, in creation order)
 * @reserved: 0
 * @entries: the devices
 */
struct kvirtio_vdpa_list {
	__u32 argsz;
	__u32 flags;
	__u32 count;
	__u32 reserved;
	struct kvirtio_vdpa_entry entries[];
};

#define KVIRTIO_VDPA_CREATE	_IO(KVIRTIO_TYPE, 0x40)
#define KVIRTIO_VDPA_DESTROY	_IO(KVIRTIO_TYPE, 0x41)
#define KVIRTIO_VDPA_LIST	_IO(KVIRTIO_TYPE, 0x42)

#endif /* _UAPI_LINUX_KVIRTIO_VDPA_H */
