/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio virtio-blk device (virtio 1.2, section 5.2), host-agnostic.
 *
 * The device validates every request read from the guest and hands the
 * valid ones to a struct kvirtio_blk_backend (blk_backend.h).  Requests
 * complete asynchronously; process_queue reaps them, writes the status
 * byte and pushes the used element.
 */
#ifndef KVIRTIO_DEVICES_BLK_H
#define KVIRTIO_DEVICES_BLK_H

#include "../compat.h"
#include "../virtio_dev.h"
#include "blk_backend.h"

/* Limits the device enforces on what its creator asks for. */
#define KVIRTIO_BLK_QUEUES_MAX		64
#define KVIRTIO_BLK_QUEUE_SIZE_MAX	1024
#define KVIRTIO_BLK_SEG_MAX_LIMIT	1022
#define KVIRTIO_BLK_REQ_PRIV_MAX	(64 * 1024)
#define KVIRTIO_BLK_DISCARD_SEG_MAX	256
/* All request pools of one device together (kvirtio_blk_create()). */
#define KVIRTIO_BLK_POOL_BYTES_MAX	(64ULL << 20)

/* Defaults used for a zero field of struct kvirtio_blk_opts. */
#define KVIRTIO_BLK_DEF_QUEUE_SIZE	256
#define KVIRTIO_BLK_DEF_SEG_MAX		126
#define KVIRTIO_BLK_DEF_SIZE_MAX	(1024U * 1024)
#define KVIRTIO_BLK_DEF_DISCARD_SEG	16
#define KVIRTIO_BLK_DEF_DISCARD_SECTORS	(4U * 1024 * 1024)

/* Bytes of the config space the device exposes (through unused1[]). */
#define KVIRTIO_BLK_CONFIG_SIZE		60

/**
 * struct kvirtio_blk_config - device config space, little-endian
 *
 * The layout of struct virtio_blk_config up to write_zeroes_may_unmap
 * (checked against the UAPI header at build time); modern devices are
 * little-endian so the fields are __le.
 */
struct kvirtio_blk_config {
	__le64 capacity;
	__le32 size_max;
	__le32 seg_max;
	__le16 cylinders;
	u8 heads;
	u8 sectors;
	__le32 blk_size;
	u8 physical_block_exp;
	u8 alignment_offset;
	__le16 min_io_size;
	__le32 opt_io_size;
	u8 wce;
	u8 unused;
	__le16 num_queues;
	__le32 max_discard_sectors;
	__le32 max_discard_seg;
	__le32 discard_sector_alignment;
	__le32 max_write_zeroes_sectors;
	__le32 max_write_zeroes_seg;
	u8 write_zeroes_may_unmap;
	u8 unused1[3];
} __packed;

/**
 * struct kvirtio_blk_opts - what the creator chooses
 * @num_queues: request queues, 1..KVIRTIO_BLK_QUEUES_MAX (0: 1)
 * @queue_size: largest queue size offered, a power of two up to
 *	KVIRTIO_BLK_QUEUE_SIZE_MAX (0: default); one request pool entry per
 *	slot is preallocated
 * @seg_max: data segments per request, 1..KVIRTIO_BLK_SEG_MAX_LIMIT and
 *	at most @queue_size - 2 (0: default)
 * @size_max: bytes per data segment, >= 4096 (0: default)
 * @read_only: offer VIRTIO_BLK_F_RO even if the backend could write
 * @discard_seg: max_discard_seg and max_write_zeroes_seg, at most
 *	KVIRTIO_BLK_DISCARD_SEG_MAX (0: default)
 * @discard_sectors: max_discard_sectors and max_write_zeroes_sectors
 *	(0: default)
 * @flush: offer VIRTIO_BLK_F_FLUSH (a volatile write cache).  Without it,
 *	or when the driver does not accept it, every write is submitted with
 *	kvirtio_blk_req.sync so it is durable when completed.
 * @serial: GET_ID answer, not necessarily NUL-terminated
 */
struct kvirtio_blk_opts {
	u16 num_queues;
	u16 queue_size;
	u32 seg_max;
	u32 size_max;
	u32 discard_seg;
	u32 discard_sectors;
	bool read_only;
	bool flush;
	char serial[VIRTIO_BLK_ID_BYTES];
};

int kvirtio_blk_create(const struct kvirtio_blk_opts *opts,
		       struct kvirtio_blk_backend *be,
		       struct kvirtio_device **out);
void kvirtio_blk_destroy(struct kvirtio_device *vdev);

#endif /* KVIRTIO_DEVICES_BLK_H */
