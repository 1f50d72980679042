/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio virtio-blk backend on a struct file (regular file or block
 * device), kernel module only.
 */
#ifndef KVIRTIO_HOST_BLK_FILE_H
#define KVIRTIO_HOST_BLK_FILE_H

#include <linux/types.h>
#include "../devices/blk_backend.h"

struct file;

struct kvirtio_blk_backend *
kvirtio_blk_file_create(struct file *file, u64 capacity, u32 blk_size,
			bool read_only, u32 seg_max);
void kvirtio_blk_file_destroy(struct kvirtio_blk_backend *be);
/**
 * struct kvirtio_blk_file_counts - how a file backend served read/write
 * @kiocbs: requests submitted as kiocbs (on the VMM's memory or on pages)
 * @pagevecs: those of them over guest pages (vDPA memory), with no copy
 * @bounced: requests copied through the bounce page
 * @queued: kiocbs the file completed asynchronously
 */
struct kvirtio_blk_file_counts {
	u64 kiocbs;
	u64 pagevecs;
	u64 bounced;
	u64 queued;
};

void kvirtio_blk_file_get_counts(struct kvirtio_blk_backend *be,
				 struct kvirtio_blk_file_counts *c);

#endif /* KVIRTIO_HOST_BLK_FILE_H */
