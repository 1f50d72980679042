/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio virtio-blk backend on a file descriptor, for the reference VMM's
 * userspace device model (the same device logic as the kernel module).
 */
#ifndef KVIRTIO_BLK_USER_H
#define KVIRTIO_BLK_USER_H

#include "../../drivers/kvirtio/devices/blk_backend.h"

/*
 * Map [gpa, gpa + len) of guest RAM into the VMM: a pointer when the whole
 * range is RAM and contiguous in the VMM, NULL otherwise (the backend then
 * copies through the device's guest memory ops).
 */
typedef void *(*kvirtio_blk_user_translate_t)(void *opaque, u64 gpa, u64 len);

/**
 * struct kvirtio_blk_user_opts - how to open the backend
 * @fd: the disk (regular file or block device); the backend dup()s it
 * @capacity: bytes to expose, 0 for the whole file (never more)
 * @blk_size: logical block size, 0 for 512
 * @read_only: refuse writes even if @fd is writable
 * @threads: I/O threads, 0 to run every request inside submit
 * @translate: guest RAM mapping, or NULL to always copy
 * @translate_opaque: passed to @translate
 */
struct kvirtio_blk_user_opts {
	int fd;
	u64 capacity;
	u32 blk_size;
	bool read_only;
	unsigned int threads;
	kvirtio_blk_user_translate_t translate;
	void *translate_opaque;
};

int kvirtio_blk_user_create(const struct kvirtio_blk_user_opts *opts,
			    struct kvirtio_blk_backend **out);
void kvirtio_blk_user_destroy(struct kvirtio_blk_backend *be);

#endif /* KVIRTIO_BLK_USER_H */
