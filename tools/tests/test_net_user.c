// SPDX-License-Identifier: GPL-2.0-only
/*
 * Userspace test of the virtio-net device over the tap-fd backend
 * (tools/backend/net_user.c): the same devices/net.c as the kernel, the
 * backend on SOCK_SEQPACKET socket pairs (a tap's frame-at-a-time reads
 * and writes, without root), the flat guest memory double as guest RAM.
 * Where this process may create taps (CAP_NET_ADMIN), the backend's tap
 * checks and TUNSETOFFLOAD run on a real one too.
 *
 * Prints TAP; exit status 0 when every check passed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../backend/net_user.h"
#include "devices/net.h"
#include "kvirtio_dev_harness.h"
#include "tap.h"

#define CHECK(cond)	tap_check(cond)
#define CHECK_EQ(a, b)	tap_check_eq(a, b)
#define TAG_BASE	100
#define HDR		KVIRTIO_NET_HDR_LEN
#define NQ		2

struct rig {
	struct kvt_dev h;
	struct kvirtio_net_backend *be;
	struct kvirtio_device *vdev;
	int fd[NQ];		/* the backend's side */
	int peer[NQ];		/* the "network" side */
	int epfd;
};

static void *translate(void *opaque, u64 gpa, u64 len)
{
	return kvirtio_test_mem_ptr(opaque, gpa, len);
}

/*
 * A device with one pair and a control queue, after DRIVER_OK, on a
 * backend of NQ packet queues; @map: transmit from mapped guest memory.
 */
static int rig_init(struct rig *r, bool map)
{
	struct kvirtio_net_opts opts = {
		.num_pairs = 1,
		.mac = { 0x02, 0, 0, 0, 0, 1 },
	};
	struct kvirtio_net_user_opts o = {
		.fds = r->fd,
		.num_queues = NQ,
		.tag_base = TAG_BASE,
	};
	u64 f = BIT_ULL(VIRTIO_F_VERSION_1) | BIT_ULL(VIRTIO_NET_F_MAC) |
		BIT_ULL(VIRTIO_NET_F_MRG_RXBUF) | BIT_ULL(VIRTIO_NET_F_CTRL_VQ);
	unsigned int i;
	int sv[2], ret;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < NQ; i++) {
		r->fd[i] = -1;
		r->peer[i] = -1;
	}
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	for (i = 0; i < NQ; i++) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
			return -errno;
		r->fd[i] = sv[0];
		r->peer[i] = sv[1];
	}
	o.epfd = r->epfd;
	if (map) {
		/* Looked up per frame: the buffer may come later. */
		o.translate = translate;
		o.translate_opaque = &r->h.tm;
	}
	ret = kvirtio_net_user_create(&o, &r->be);
	if (!ret)
		ret = kvirtio_net_create(&opts, r->be, &r->vdev);
	if (!ret)
		ret = kvt_dev_attach(&r->h, r->vdev, f, 64);
	if (!ret)
		ret = r->vdev->ops->driver_ok(r->vdev);
	return ret;
}

static void rig_fini(struct rig *r)
{
	unsigned int i;

	kvt_dev_detach(&r->h);
	kvirtio_net_destroy(r->vdev);
	kvirtio_net_user_destroy(r->be);
	for (i = 0; i < NQ; i++) {
		if (r->fd[i] >= 0)
			close(r->fd[i]);
		if (r->peer[i] >= 0)
			close(r->peer[i]);
	}
	close(r->epfd);
}

/* Zero header, then a broadcast Ethernet frame carrying a pattern. */
static void make_frame(u8 *buf, u32 len, u8 seed)
{
	u32 i;

	memset(buf, 0, HDR);
	for (i = HDR; i < len; i++)
		buf[i] = (u8)(i * 7 + seed);
	memset(buf + HDR, 0xff, 6);
}

/* Wait up to @ms for one epoll event: its tag, or -1. */
static long long wait_tag(int epfd, int ms)
{
	struct epoll_event ev;

	if (epoll_wait(epfd, &ev, 1, ms) != 1)
		return -1;
	return ev.data.u32;
}

/* One pass of the host's worker over queue @qid (used ring published). */
static int service(struct rig *r, u16 qid)
{
	struct kvirtio_budget b = { .requests = 64, .bytes = 1 << 20 };

	return kvirtio_device_service_queue(r->vdev, qid, &b);
}

static void test_receive(void)
{
	static u8 frame[HDR + 2988], got[3 * 1500];
	struct kvirtio_test_buf b;
	struct kvirtio_net_user_stats st;
	u64 gpa[3];
	u32 id, len;
	struct rig r;
	long long tag;
	u16 i;
	int ret;

	ret = rig_init(&r, false);
	CHECK_EQ(ret, 0);
	if (ret)
		goto out;
	CHECK_EQ(wait_tag(r.epfd, 0), -1);
	make_frame(frame, sizeof(frame), 3);
	CHECK_EQ(write(r.peer[1], frame, sizeof(frame)), sizeof(frame));
	/* Packet queue 1 is served by the only active pair: rx queue 0. */
	tag = wait_tag(r.epfd, 1000);
	CHECK_EQ(tag, TAG_BASE + 1);
	kvirtio_net_user_event(r.be, tag);
	CHECK_EQ(r.h.kicks[0], 1);
	/* Edge-triggered: the frame still waits, but no second event. */
	CHECK_EQ(wait_tag(r.epfd, 0), -1);

	/* No buffers: the frame stays with the backend. */
	CHECK_EQ(service(&r, 0), 0);
	CHECK_EQ(kvirtio_test_used_idx(&r.h.rings[0]), 0);
	/* Three 1500-byte buffers: the 3000-byte frame takes two. */
	for (i = 0; i < 3; i++) {
		gpa[i] = kvt_alloc(&r.h, 1500);
		b.addr = gpa[i];
		b.len = 1500;
		b.writable = true;
		kvt_post(&r.h, 0, &b, 1);
	}
	CHECK_EQ(service(&r, 0), 0);
	CHECK_EQ(kvirtio_test_used_idx(&r.h.rings[0]), 2);
	CHECK(kvirtio_test_used_get(&r.h.rings[0], &id, &len));
	CHECK_EQ(len, 1500);
	CHECK(kvirtio_test_used_get(&r.h.rings[0], &id, &len));
	CHECK_EQ(len, sizeof(frame) - 1500);
	kvirtio_test_peek(&r.h.tm, gpa[0], got, 1500);
	kvirtio_test_peek(&r.h.tm, gpa[1], got + 1500, sizeof(frame) - 1500);
	/* num_buffers is the device's: 2; the rest as the peer sent it. */
	CHECK_EQ(got[10] | got[11] << 8, 2);
	CHECK(!memcmp(got + HDR, frame + HDR, sizeof(frame) - HDR));
	kvirtio_net_user_get_stats(r.be, &st);
	CHECK_EQ(st.reads, 1);
	CHECK_EQ(st.drops, 0);
	CHECK_EQ(st.events, 1);
out:
	rig_fini(&r);
	tap_test_end("receive: event, wait for buffers, merged buffers");
}

static void do_transmit(bool map)
{
	static u8 frame[HDR + 100], got[HDR + 200];
	struct kvirtio_test_buf b[2];
	struct kvirtio_net_user_stats st;
	struct rig r;
	int ret;

	ret = rig_init(&r, map);
	CHECK_EQ(ret, 0);
	if (ret)
		goto out;
	make_frame(frame, sizeof(frame), 9);
	b[0].addr = kvt_alloc(&r.h, HDR);
	b[0].len = HDR;
	b[0].writable = false;
	b[1].addr = kvt_alloc(&r.h, 100);
	b[1].len = 100;
	b[1].writable = false;
	kvirtio_test_poke(&r.h.tm, b[0].addr, frame, HDR);
	kvirtio_test_poke(&r.h.tm, b[1].addr, frame + HDR, 100);
	kvt_post(&r.h, 1, b, 2);
	CHECK_EQ(service(&r, 1), 0);
	CHECK_EQ(kvirtio_test_used_idx(&r.h.rings[1]), 1);
	/* Pair 0 transmits on packet queue 0, as one frame. */
	CHECK_EQ(recv(r.peer[0], got, sizeof(got), MSG_DONTWAIT),
		 sizeof(frame));
	CHECK(!memcmp(got, frame, sizeof(frame)));
	CHECK_EQ(recv(r.peer[1], got, sizeof(got), MSG_DONTWAIT), -1);
	kvirtio_net_user_get_stats(r.be, &st);
	CHECK_EQ(st.writes, 1);
	CHECK_EQ(st.write_errors, 0);
	/* Mapped guest memory needs no copy: one read of the header only. */
	if (map)
		CHECK_EQ(r.h.tm.read_bytes, HDR);
	else
		CHECK_EQ(r.h.tm.read_bytes, HDR + sizeof(frame));
out:
	rig_fini(&r);
}

static void test_transmit(void)
{
	do_transmit(false);
	tap_test_end("transmit: copied through the bounce buffer");
	do_transmit(true);
	tap_test_end("transmit: writev from mapped guest memory");
}

/* The backend's calls alone: peek keeps, drop and recv consume. */
static void test_peek_drop_recv(void)
{
	static u8 frame[HDR + 500], got[HDR + 500];
	const struct kvirtio_net_backend_ops *ops;
	struct kvirtio_net_seg seg;
	struct kvirtio_net_frame fr = { .segs = &seg, .nr_segs = 1 };
	struct kvirtio_net_user_stats st;
	struct rig r;
	int ret;

	ret = rig_init(&r, false);
	CHECK_EQ(ret, 0);
	if (ret)
		goto out;
	ops = r.be->ops;
	fr.mem = &r.h.tm.mem;
	seg.gpa = kvt_alloc(&r.h, sizeof(got));
	CHECK_EQ(ops->peek(r.be, 0), 0);
	CHECK_EQ(ops->peek(r.be, NQ), 0);	/* no such queue */
	make_frame(frame, sizeof(frame), 1);
	CHECK_EQ(write(r.peer[0], "runt", 4), 4);
	CHECK_EQ(write(r.peer[0], frame, 100), 100);
	CHECK_EQ(write(r.peer[0], frame, 200), 200);
	CHECK_EQ(write(r.peer[0], frame, 300), 300);
	/* A runt (never from a tap) is skipped and counted. */
	CHECK_EQ(ops->peek(r.be, 0), 100);
	CHECK_EQ(ops->peek(r.be, 0), 100);
	ops->drop(r.be, 0);
	CHECK_EQ(ops->peek(r.be, 0), 200);
	/* Buffers too short for the frame: it is gone, nothing written. */
	seg.len = 150;
	fr.len = 150;
	CHECK_EQ(ops->recv(r.be, 0, &fr), -EMSGSIZE);
	CHECK_EQ(r.h.tm.write_calls, 0);
	seg.len = sizeof(got);
	fr.len = sizeof(got);
	CHECK_EQ(ops->recv(r.be, 0, &fr), 300);
	kvirtio_test_peek(&r.h.tm, seg.gpa, got, 300);
	CHECK(!memcmp(got, frame, 300));
	CHECK_EQ(ops->recv(r.be, 0, &fr), 0);
	ops->drop(r.be, 0);	/* nothing to drop */
	kvirtio_net_user_get_stats(r.be, &st);
	CHECK_EQ(st.runts, 1);
	CHECK_EQ(st.reads, 4);
	CHECK_EQ(st.drops, 2);
out:
	rig_fini(&r);
	tap_test_end("peek keeps the frame, drop and recv consume it");
}

/* A frame read ahead before watching has no edge: the eventfd gives one. */
static void test_pending_at_watch(void)
{
	static u8 frame[HDR + 60];
	const struct kvirtio_net_backend_ops *ops;
	struct rig r;
	long long tag;
	int ret;

	ret = rig_init(&r, false);
	CHECK_EQ(ret, 0);
	if (ret)
		goto out;
	ops = r.be->ops;
	ops->watch(r.be, 0, false);
	make_frame(frame, sizeof(frame), 5);
	CHECK_EQ(write(r.peer[0], frame, sizeof(frame)), sizeof(frame));
	CHECK_EQ(wait_tag(r.epfd, 0), -1);
	CHECK_EQ(ops->peek(r.be, 0), sizeof(frame));
	ops->watch(r.be, 0, true);
	tag = wait_tag(r.epfd, 1000);
	CHECK_EQ(tag, TAG_BASE + NQ);
	kvirtio_net_user_event(r.be, tag);
	CHECK_EQ(r.h.kicks[0], 1);
	/* Unwatched queues and foreign tags tell the device nothing. */
	ops->watch(r.be, 1, false);
	kvirtio_net_user_event(r.be, TAG_BASE + 1);
	kvirtio_net_user_event(r.be, TAG_BASE + NQ + 1);
	kvirtio_net_user_event(r.be, TAG_BASE - 1);
	CHECK_EQ(r.h.kicks[0], 1);
out:
	rig_fini(&r);
	tap_test_end("a frame read ahead is announced when watching starts");
}

static void test_create_errors(void)
{
	struct kvirtio_net_user_opts o = { .epfd = -1 };
	struct kvirtio_net_backend *be = NULL;
	int fds[8] = { -1, -1, -1, -1, -1, -1, -1, -1 };
	int sv[2];

	o.fds = fds;
	o.num_queues = 1;
	CHECK_EQ(kvirtio_net_user_create(&o, &be), -EBADF);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	fds[0] = sv[0];
	o.num_queues = 0;
	CHECK_EQ(kvirtio_net_user_create(&o, &be), -EINVAL);
	o.num_queues = KVIRTIO_NET_PAIRS_MAX + 1;
	CHECK_EQ(kvirtio_net_user_create(&o, &be), -EINVAL);
	o.num_queues = 1;
	o.tag_base = U32_MAX;
	CHECK_EQ(kvirtio_net_user_create(&o, &be), -EINVAL);
	/* No epoll set to join: the eventfd cannot be added. */
	o.tag_base = 0;
	CHECK_EQ(kvirtio_net_user_create(&o, &be), -EBADF);
	CHECK(!be);
	close(sv[0]);
	close(sv[1]);
	tap_test_end("create: bad fds, queue counts and tags");
}

/* A real tap, where this process may create one. */
static int open_tap(char *name, short flags, int hdr)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "kvnt%%d");
	ifr.ifr_flags = flags;
	if (ioctl(fd, TUNSETIFF, &ifr) ||
	    (hdr && ioctl(fd, TUNSETVNETHDRSZ, &hdr))) {
		close(fd);
		return -1;
	}
	snprintf(name, IFNAMSIZ, "%s", ifr.ifr_name);
	return fd;
}

static void test_real_tap(void)
{
	const short good = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	struct kvirtio_net_user_opts o = { .num_queues = 1 };
	struct kvirtio_net_backend *be;
	char name[IFNAMSIZ];
	int fd, ret;

	fd = open_tap(name, good, HDR);
	if (fd < 0) {
		tap.n++;
		printf("ok %u - real tap # SKIP cannot create a tap: %s\n",
		       tap.n, strerror(errno));
		return;
	}
	o.fds = &fd;
	o.epfd = epoll_create1(EPOLL_CLOEXEC);
	ret = kvirtio_net_user_create(&o, &be);
	CHECK_EQ(ret, 0);
	if (!ret) {
		CHECK_EQ(be->offloads, BIT_ULL(VIRTIO_NET_F_CSUM) |
			 BIT_ULL(VIRTIO_NET_F_GUEST_CSUM) |
			 BIT_ULL(VIRTIO_NET_F_HOST_TSO4) |
			 BIT_ULL(VIRTIO_NET_F_HOST_TSO6) |
			 BIT_ULL(VIRTIO_NET_F_HOST_ECN) |
			 BIT_ULL(VIRTIO_NET_F_GUEST_TSO4) |
			 BIT_ULL(VIRTIO_NET_F_GUEST_TSO6) |
			 BIT_ULL(VIRTIO_NET_F_GUEST_ECN));
		CHECK_EQ(be->ops->set_offloads(be, BIT_ULL(VIRTIO_NET_F_GUEST_CSUM) |
					       BIT_ULL(VIRTIO_NET_F_GUEST_TSO4) |
					       BIT_ULL(VIRTIO_NET_F_GUEST_TSO6) |
					       BIT_ULL(VIRTIO_NET_F_GUEST_ECN)), 0);
		/* TSO without checksum is more than a tap takes: none. */
		CHECK_EQ(be->ops->set_offloads(be, BIT_ULL(VIRTIO_NET_F_GUEST_TSO4)), 0);
		CHECK_EQ(be->ops->set_offloads(be, 0), 0);
		CHECK_EQ(be->ops->peek(be, 0), 0);
		kvirtio_net_user_destroy(be);
	}
	close(fd);
	/* A tap without the vnet header, or with a 10-byte one. */
	fd = open_tap(name, IFF_TAP | IFF_NO_PI, 0);
	CHECK(fd >= 0);
	CHECK_EQ(kvirtio_net_user_create(&o, &be), -EINVAL);
	close(fd);
	fd = open_tap(name, good, 0);
	CHECK(fd >= 0);
	CHECK_EQ(kvirtio_net_user_create(&o, &be), -EINVAL);
	close(fd);
	close(o.epfd);
	tap_test_end("real tap: checks, offloads and TUNSETOFFLOAD");
}

int main(void)
{
	test_receive();
	test_transmit();
	test_peek_drop_recv();
	test_pending_at_watch();
	test_create_errors();
	test_real_tap();
	return tap_exit();
}
