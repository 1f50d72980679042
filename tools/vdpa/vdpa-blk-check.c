// SPDX-License-Identifier: GPL-2.0-only
/*
 * vdpa-blk-check: drive a virtio-blk vDPA device through vhost-vdpa as a
 * tiny VMM would, and check what comes back.
 *
 *   vdpa-blk-check /dev/vhost-vdpa-N [SECTOR]
 *
 * It maps a buffer of its own through the IOTLB (IOVA = 0x10000000),
 * sets up queue 0 with ring addresses in it, and then, with a kick
 * eventfd and a call eventfd as KVM would have them:
 *  1. writes 4 KiB of a pattern at SECTOR (default 2048) and reads it
 *     back; the pattern is byte i = (i * 7 + 3) & 0xff, so the caller can
 *     check the backing file too;
 *  2. reads into a buffer mapped read-only: the device must fail the
 *     request (VIRTIO_BLK_S_IOERR) and leave the buffer alone;
 *  3. asks where the queue is (VHOST_GET_VRING_BASE: 3);
 *  4. resets, starts again at avail index 100 (VHOST_SET_VRING_BASE) and
 *     reads once more: the device must continue from there;
 *  5. hands the device a descriptor outside every mapping: the queue must
 *     break, with NEEDS_RESET in the status and a config interrupt;
 *  6. resets the device.
 * One line per step; exit status 0 when every check held.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vhost.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#define IOVA		0x10000000ULL
#define IOVA_RO		0x11000000ULL
#define IOVA_NONE	0x20000000ULL	/* never mapped */
#define MAP_LEN		(1UL << 20)
#define QSIZE		16
#define BLK		4096
/* Offsets in the mapped buffer. */
#define OFF_DESC	0x0000
#define OFF_AVAIL	0x1000
#define OFF_USED	0x2000
#define OFF_HDR		0x3000
#define OFF_STATUS	0x3100
#define OFF_WBUF	0x4000
#define OFF_RBUF	0x5000

struct chk {
	int fd;
	int kick;
	int call;
	int cfg;
	uint8_t *mem;
	uint8_t *ro;
	uint16_t avail_idx;
	uint16_t used_seen;
	uint16_t next_desc;
	int failed;
};

static void say(struct chk *c, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct chk *c, bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("vdpa-blk-check: %s: ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		c->failed++;
}

static int xioctl(struct chk *c, unsigned long req, void *arg, const char *what)
{
	if (ioctl(c->fd, req, arg) == 0)
		return 0;
	say(c, false, "%s: %s", what, strerror(errno));
	return -1;
}

static int iotlb(struct chk *c, uint8_t type, uint64_t iova, void *uaddr,
		 uint64_t len, uint8_t perm)
{
	struct vhost_msg_v2 m;

	memset(&m, 0, sizeof(m));
	m.type = VHOST_IOTLB_MSG_V2;
	m.iotlb.type = type;
	m.iotlb.iova = iova;
	m.iotlb.size = len;
	m.iotlb.uaddr = (uintptr_t)uaddr;
	m.iotlb.perm = perm;
	if (write(c->fd, &m, sizeof(m)) == sizeof(m))
		return 0;
	say(c, false, "IOTLB message %u at 0x%llx: %s", type,
	    (unsigned long long)iova, strerror(errno));
	return -1;
}

static uint8_t status(struct chk *c)
{
	uint8_t s = 0xff;

	ioctl(c->fd, VHOST_VDPA_GET_STATUS, &s);
	return s;
}

static int set_status(struct chk *c, uint8_t s)
{
	return xioctl(c, VHOST_VDPA_SET_STATUS, &s, "VHOST_VDPA_SET_STATUS");
}

/* Wait for eventfd @fd for up to 3 s; true when it fired. */
static bool wait_fd(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v;

	if (poll(&p, 1, 3000) != 1)
		return false;
	return read(fd, &v, sizeof(v)) == sizeof(v);
}

/* Status through DRIVER_OK, queue 0 at avail index @base. */
static int start(struct chk *c, uint16_t base)
{
	struct vhost_vring_addr a = {
		.index = 0,
		.desc_user_addr = IOVA + OFF_DESC,
		.avail_user_addr = IOVA + OFF_AVAIL,
		.used_user_addr = IOVA + OFF_USED,
	};
	struct vhost_vring_state st = { .index = 0, .num = QSIZE };
	struct vhost_vring_file f = { .index = 0 };
	uint64_t feat, want;

	if (set_status(c, 0) ||
	    set_status(c, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER))
		return -1;
	if (xioctl(c, VHOST_GET_FEATURES, &feat, "VHOST_GET_FEATURES"))
		return -1;
	want = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_ACCESS_PLATFORM;
	if ((feat & want) != want) {
		say(c, false, "device features 0x%llx lack VERSION_1 or ACCESS_PLATFORM",
		    (unsigned long long)feat);
		return -1;
	}
	if (xioctl(c, VHOST_SET_FEATURES, &want, "VHOST_SET_FEATURES") ||
	    set_status(c, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		       VIRTIO_CONFIG_S_FEATURES_OK))
		return -1;
	if (!(status(c) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		say(c, false, "FEATURES_OK refused");
		return -1;
	}
	memset(c->mem, 0, OFF_HDR);
	c->avail_idx = base;
	c->used_seen = base;
	c->next_desc = 0;
	if (xioctl(c, VHOST_SET_VRING_NUM, &st, "VHOST_SET_VRING_NUM") ||
	    xioctl(c, VHOST_SET_VRING_ADDR, &a, "VHOST_SET_VRING_ADDR"))
		return -1;
	st.num = base;
	/* The driver's avail->idx starts where the device will. */
	*(uint16_t *)(c->mem + OFF_AVAIL + 2) = htole16(base);
	if (xioctl(c, VHOST_SET_VRING_BASE, &st, "VHOST_SET_VRING_BASE"))
		return -1;
	f.fd = c->kick;
	if (xioctl(c, VHOST_SET_VRING_KICK, &f, "VHOST_SET_VRING_KICK"))
		return -1;
	f.fd = c->call;
	if (xioctl(c, VHOST_SET_VRING_CALL, &f, "VHOST_SET_VRING_CALL"))
		return -1;
	if (xioctl(c, VHOST_VDPA_SET_CONFIG_CALL, &c->cfg,
		   "VHOST_VDPA_SET_CONFIG_CALL"))
		return -1;
	st.num = 1;
	if (xioctl(c, VHOST_VDPA_SET_VRING_ENABLE, &st,
		   "VHOST_VDPA_SET_VRING_ENABLE"))
		return -1;
	if (set_status(c, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		       VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK))
		return -1;
	if (status(c) & VIRTIO_CONFIG_S_NEEDS_RESET) {
		say(c, false, "NEEDS_RESET right after DRIVER_OK (status 0x%x)",
		    status(c));
		return -1;
	}
	return 0;
}

static void put_desc(struct chk *c, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	struct vring_desc *d = (struct vring_desc *)(c->mem + OFF_DESC) + i;

	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

/*
 * One request: header, @len bytes at @data (device-writable for a read),
 * status byte.  Return: the status byte, -1 when nothing came back, -2
 * when the caller wants no completion (@wait false).
 */
static int request(struct chk *c, uint32_t type, uint64_t sector,
		   uint64_t data, uint32_t len, bool wait)
{
	struct virtio_blk_outhdr *h = (void *)(c->mem + OFF_HDR);
	struct vring_avail *av = (void *)(c->mem + OFF_AVAIL);
	struct vring_used *us = (void *)(c->mem + OFF_USED);
	uint16_t d = c->next_desc, used;
	uint64_t one = 1;

	h->type = htole32(type);
	h->ioprio = 0;
	h->sector = htole64(sector);
	c->mem[OFF_STATUS] = 0xff;
	put_desc(c, d, IOVA + OFF_HDR, sizeof(*h), VRING_DESC_F_NEXT, d + 1);
	put_desc(c, d + 1, data, len, VRING_DESC_F_NEXT |
		 (type == VIRTIO_BLK_T_IN ? VRING_DESC_F_WRITE : 0), d + 2);
	put_desc(c, d + 2, IOVA + OFF_STATUS, 1, VRING_DESC_F_WRITE, 0);
	c->next_desc = (d + 3) % (QSIZE - 2);
	av->ring[c->avail_idx % QSIZE] = htole16(d);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	c->avail_idx++;
	av->idx = htole16(c->avail_idx);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (write(c->kick, &one, sizeof(one)) != sizeof(one))
		return -1;
	if (!wait)
		return -2;
	if (!wait_fd(c->call))
		return -1;
	used = le16toh(__atomic_load_n(&us->idx, __ATOMIC_ACQUIRE));
	if (used != (uint16_t)(c->used_seen + 1))
		return -1;
	c->used_seen = used;
	return c->mem[OFF_STATUS];
}

static void pattern(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (i * 7 + 3) & 0xff;
}

int main(int argc, char **argv)
{
	struct vhost_vring_state st = { .index = 0 };
	struct chk c = { .fd = -1 };
	uint64_t sector = 2048, bf;
	bool cfg_irq;
	uint32_t id;
	uint8_t st8;
	int s;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: vdpa-blk-check /dev/vhost-vdpa-N [SECTOR]\n");
		return 2;
	}
	if (argc == 3)
		sector = strtoull(argv[2], NULL, 0);
	c.fd = open(argv[1], O_RDWR | O_CLOEXEC);
	if (c.fd < 0) {
		fprintf(stderr, "vdpa-blk-check: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	c.kick = eventfd(0, EFD_CLOEXEC);
	c.call = eventfd(0, EFD_CLOEXEC);
	c.cfg = eventfd(0, EFD_CLOEXEC);
	c.mem = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	c.ro = mmap(NULL, BLK, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (c.kick < 0 || c.call < 0 || c.cfg < 0 || c.mem == MAP_FAILED ||
	    c.ro == MAP_FAILED) {
		perror("vdpa-blk-check: setup");
		return 1;
	}
	memset(c.ro, 0x5a, BLK);

	if (xioctl(&c, VHOST_SET_OWNER, NULL, "VHOST_SET_OWNER") ||
	    xioctl(&c, VHOST_VDPA_GET_DEVICE_ID, &id, "VHOST_VDPA_GET_DEVICE_ID"))
		return 1;
	if (id != VIRTIO_ID_BLOCK) {
		say(&c, false, "device id %u, not block", id);
		return 1;
	}
	if (xioctl(&c, VHOST_GET_BACKEND_FEATURES, &bf,
		   "VHOST_GET_BACKEND_FEATURES"))
		return 1;
	bf &= 1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2;
	if (!bf || xioctl(&c, VHOST_SET_BACKEND_FEATURES, &bf,
			  "VHOST_SET_BACKEND_FEATURES"))
		return 1;
	if (iotlb(&c, VHOST_IOTLB_UPDATE, IOVA, c.mem, MAP_LEN, VHOST_ACCESS_RW) ||
	    iotlb(&c, VHOST_IOTLB_UPDATE, IOVA_RO, c.ro, BLK, VHOST_ACCESS_RO))
		return 1;
	if (start(&c, 0))
		return 1;
	say(&c, true, "DRIVER_OK, status 0x%x", status(&c));

	/* 1. Write, read back. */
	pattern(c.mem + OFF_WBUF, BLK);
	s = request(&c, VIRTIO_BLK_T_OUT, sector, IOVA + OFF_WBUF, BLK, true);
	say(&c, s == VIRTIO_BLK_S_OK, "write 4 KiB at sector %llu: status %d",
	    (unsigned long long)sector, s);
	memset(c.mem + OFF_RBUF, 0, BLK);
	s = request(&c, VIRTIO_BLK_T_IN, sector, IOVA + OFF_RBUF, BLK, true);
	say(&c, s == VIRTIO_BLK_S_OK &&
	    !memcmp(c.mem + OFF_RBUF, c.mem + OFF_WBUF, BLK),
	    "read back: status %d, data %s", s,
	    memcmp(c.mem + OFF_RBUF, c.mem + OFF_WBUF, BLK) ? "differs" : "matches");

	/* 2. A read into a read-only mapping fails and writes nothing. */
	s = request(&c, VIRTIO_BLK_T_IN, sector, IOVA_RO, BLK, true);
	say(&c, s == VIRTIO_BLK_S_IOERR && c.ro[0] == 0x5a && c.ro[BLK - 1] == 0x5a,
	    "read into a read-only mapping: status %d (IOERR %d), buffer %s",
	    s, VIRTIO_BLK_S_IOERR, c.ro[0] == 0x5a ? "untouched" : "WRITTEN");

	/* 3. Where the queue is. */
	st.index = 0;
	if (!xioctl(&c, VHOST_GET_VRING_BASE, &st, "VHOST_GET_VRING_BASE"))
		say(&c, st.num == 3, "VHOST_GET_VRING_BASE: %u (3 requests)", st.num);

	/* 4. Reset, resume at avail index 100. */
	if (start(&c, 100))
		return 1;
	memset(c.mem + OFF_RBUF, 0, BLK);
	s = request(&c, VIRTIO_BLK_T_IN, sector, IOVA + OFF_RBUF, BLK, true);
	say(&c, s == VIRTIO_BLK_S_OK && c.used_seen == 101 &&
	    !memcmp(c.mem + OFF_RBUF, c.mem + OFF_WBUF, BLK),
	    "after reset at base 100: status %d, used idx %u", s, c.used_seen);

	/* 5. A buffer outside every mapping breaks the queue. */
	request(&c, VIRTIO_BLK_T_IN, sector, IOVA_NONE, BLK, false);
	cfg_irq = wait_fd(c.cfg);
	st8 = status(&c);
	say(&c, cfg_irq && (st8 & VIRTIO_CONFIG_S_NEEDS_RESET),
	    "unmapped buffer: config interrupt %s, status 0x%x (NEEDS_RESET 0x%x)",
	    cfg_irq ? "yes" : "no", st8, VIRTIO_CONFIG_S_NEEDS_RESET);

	/* 6. Reset. */
	set_status(&c, 0);
	say(&c, status(&c) == 0, "reset: status 0x%x", status(&c));
	iotlb(&c, VHOST_IOTLB_INVALIDATE, IOVA, NULL, MAP_LEN, 0);
	iotlb(&c, VHOST_IOTLB_INVALIDATE, IOVA_RO, NULL, BLK, 0);
	close(c.fd);
	printf("vdpa-blk-check: %s\n", c.failed ? "FAILED" : "all passed");
	return c.failed ? 1 : 0;
}
