// SPDX-License-Identifier: GPL-2.0-only
/*
 * A userspace stand-in for vhost-vdpa and a vDPA device behind it, linked
 * into a test build of the VMM (vmm-fakevdpa) so that --vdpa can be
 * proven on a host without vDPA: the link wraps open, ioctl, write and
 * close (ld --wrap), and a file whose name starts with "fake-vhost-vdpa-"
 * becomes a device:
 *   fake-vhost-vdpa-rng       virtio-rng
 *   fake-vhost-vdpa-blk       virtio-blk on the file of the same name
 *                             plus ".img"
 * Every other call goes to libc.
 *
 * It keeps the rules of drivers/vhost/vdpa.c that a VMM must follow:
 * SET_OWNER first; IOTLB messages only as MSG_V2, UPDATE refused over a
 * mapped range and, with FAKE_VDPA_MEMLOCK=1 in the environment, past
 * RLIMIT_MEMLOCK (in pages, as vhost-vdpa counts pinned memory; off by
 * default, for hosts whose hard limit is small and cannot be raised),
 * any failure reported as EFAULT; status bits only added
 * until a reset to 0; SET_FEATURES refused after FEATURES_OK; config
 * accesses inside the config size; ring sizes powers of two up to the
 * maximum.  The device refuses FEATURES_OK without ACCESS_PLATFORM (as
 * vdpa_sim and VDUSE do), starts the ready queues at DRIVER_OK with the
 * rings at the IOVAs given, translating through its IOTLB, and does not
 * look at a queue until it is kicked.  One thread serves the kick
 * eventfds with the kvirtio core's device pass and signals the call
 * eventfds.  At close it prints its counters:
 *   fake-vdpa rng: kicks=N calls=N config_calls=N resets=N maps=N unmaps=N
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>
#include <linux/vhost.h>

#include "compat.h"
#include "virtio_dev.h"
#include "devices/rng.h"
#include "devices/blk.h"
#include "backend/blk_user.h"
#include "fake_vdpa.h"

#define FAKE_PREFIX	"fake-vhost-vdpa-"
#define FAKE_MAX	4
#define FAKE_VQS	4	/* queues at most */
#define FAKE_VQ_MAX	256
#define FAKE_REGIONS	8
#define WAKE_TAG	0xffffffffU
#define PAGE		4096ULL

struct fake_vq {
	u32 num;
	u64 desc, avail, used;
	int kick;
	int call;
	bool ready;
	bool started;
	atomic_bool pending;
};

struct fake_region {
	u64 iova, size, uaddr;
};

struct fake {
	int fd;
	const char *type;
	bool owner;
	bool memlock;	/* enforce RLIMIT_MEMLOCK */
	struct kvirtio_device *vdev;
	struct kvirtio_blk_backend *blk;
	struct kvirtio_guest_mem gmem;
	struct kvirtio_host_ops host;
	struct kvirtio_transport_ops tops;
	u64 offered;
	u64 backend;
	u8 status;
	bool needs_reset;
	struct fake_vq vq[FAKE_VQS];
	unsigned int nvqs;
	int config_call;
	struct fake_region map[FAKE_REGIONS];
	unsigned int nmap;
	pthread_mutex_t lock;	/* ioctls and the worker's passes */
	pthread_t worker;
	int epfd;
	int wake;
	atomic_bool stop;
	atomic_ulong kicks, calls, config_calls, resets, maps, unmaps;
};

static struct fake *_Atomic fakes[FAKE_MAX];

static struct fake *fake_of(int fd)
{
	unsigned int i;

	for (i = 0; i < FAKE_MAX; i++) {
		struct fake *f = atomic_load(&fakes[i]);

		if (f && f->fd == fd)
			return f;
	}
	return NULL;
}

static void signal_fd(int fd)
{
	uint64_t one = 1;

	if (fd >= 0 && __real_write(fd, &one, sizeof(one)) < 0)
		perror("fake-vdpa: signalling an eventfd");
}

/* ---- the device's IOTLB -------------------------------------------------- */

/* The host address of [@iova, @iova + @len), inside one mapping. */
static void *translate(struct fake *f, u64 iova, u64 len)
{
	unsigned int i;

	if (iova + len < iova)
		return NULL;
	for (i = 0; i < f->nmap; i++) {
		struct fake_region *r = &f->map[i];

		if (iova >= r->iova && iova + len <= r->iova + r->size)
			return (void *)(uintptr_t)(r->uaddr + (iova - r->iova));
	}
	return NULL;
}

static struct fake *gmem_fake(struct kvirtio_guest_mem *mem)
{
	return container_of(mem, struct fake, gmem);
}

static void *g_map(struct kvirtio_guest_mem *mem, u64 gpa, u32 len)
{
	return translate(gmem_fake(mem), gpa, len);
}

static void g_unmap(struct kvirtio_guest_mem *mem, void *p, u64 gpa, u32 len)
{
}

static bool g_range_ok(struct kvirtio_guest_mem *mem, u64 gpa, u64 len)
{
	return !!translate(gmem_fake(mem), gpa, len);
}

static int g_read(struct kvirtio_guest_mem *mem, u64 gpa, void *dst, u32 len)
{
	void *p = translate(gmem_fake(mem), gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

static int g_write(struct kvirtio_guest_mem *mem, u64 gpa, const void *src,
		   u32 len)
{
	void *p = translate(gmem_fake(mem), gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}

static const struct kvirtio_guest_mem_ops fake_mem_ops = {
	.map_ring = g_map,
	.unmap_ring = g_unmap,
	.range_ok = g_range_ok,
	.read = g_read,
	.write = g_write,
};

static void *blk_translate(void *opaque, u64 gpa, u64 len)
{
	return translate(opaque, gpa, len);
}

static u64 mapped_bytes(struct fake *f)
{
	u64 sum = 0;
	unsigned int i;

	for (i = 0; i < f->nmap; i++)
		sum += f->map[i].size;
	return sum;
}

static int iotlb_update(struct fake *f, const struct vhost_iotlb_msg *m)
{
	struct rlimit rl;
	unsigned int i;

	if (!m->size || m->iova + m->size - 1 < m->iova ||
	    f->nmap == FAKE_REGIONS || m->perm != VHOST_ACCESS_RW)
		return -EINVAL;
	for (i = 0; i < f->nmap; i++) {
		if (m->iova < f->map[i].iova + f->map[i].size &&
		    f->map[i].iova < m->iova + m->size)
			return -EEXIST;
	}
	/* Pinned as vhost-vdpa pins: in pages, against RLIMIT_MEMLOCK. */
	if (f->memlock && !getrlimit(RLIMIT_MEMLOCK, &rl) &&
	    rl.rlim_cur != RLIM_INFINITY &&
	    (mapped_bytes(f) + m->size + PAGE - 1) / PAGE > rl.rlim_cur / PAGE)
		return -ENOMEM;
	f->map[f->nmap].iova = m->iova;
	f->map[f->nmap].size = m->size;
	f->map[f->nmap++].uaddr = m->uaddr;
	atomic_fetch_add(&f->maps, 1);
	return 0;
}

static int iotlb_invalidate(struct fake *f, const struct vhost_iotlb_msg *m)
{
	unsigned int i = 0;

	while (i < f->nmap) {
		struct fake_region *r = &f->map[i];

		if (r->iova >= m->iova && r->iova + r->size <= m->iova + m->size) {
			*r = f->map[--f->nmap];
			atomic_fetch_add(&f->unmaps, 1);
			continue;
		}
		i++;
	}
	return 0;
}

static ssize_t fake_write(struct fake *f, const void *buf, size_t n)
{
	const struct vhost_msg_v2 *m = buf;
	int ret = -EINVAL;

	if (n < sizeof(*m) || m->type != VHOST_IOTLB_MSG_V2 || m->asid ||
	    !(f->backend & (1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2))) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&f->lock);
	if (!f->owner)
		ret = -EPERM;
	else if (m->iotlb.type == VHOST_IOTLB_UPDATE)
		ret = iotlb_update(f, &m->iotlb);
	else if (m->iotlb.type == VHOST_IOTLB_INVALIDATE)
		ret = iotlb_invalidate(f, &m->iotlb);
	else if (m->iotlb.type == VHOST_IOTLB_BATCH_BEGIN ||
		 m->iotlb.type == VHOST_IOTLB_BATCH_END)
		ret = 0;
	pthread_mutex_unlock(&f->lock);
	if (ret) {
		fprintf(stderr, "fake-vdpa %s: IOTLB message %u: %s\n", f->type,
			m->iotlb.type, strerror(-ret));
		errno = EFAULT;	/* as vhost_chr_write_iter() reports it */
		return -1;
	}
	return sizeof(*m);
}

/* ---- the device ------------------------------------------------------------ */

static void t_queue_interrupt(struct kvirtio_device *vdev, u16 qid)
{
	struct fake *f = vdev->host_priv;

	atomic_fetch_add(&f->calls, 1);
	signal_fd(f->vq[qid].call);
}

static void t_config_interrupt(struct kvirtio_device *vdev)
{
	struct fake *f = vdev->host_priv;

	atomic_fetch_add(&f->config_calls, 1);
	signal_fd(f->config_call);
}

static void t_needs_reset(struct kvirtio_device *vdev)
{
	struct fake *f = vdev->host_priv;

	f->needs_reset = true;
	t_config_interrupt(vdev);
}

/* An asynchronous completion: the worker comes back to the queue. */
static void h_kick(struct kvirtio_device *vdev, u16 qid)
{
	struct fake *f = vdev->host_priv;

	atomic_store(&f->vq[qid].pending, true);
	signal_fd(f->wake);
}

static void stop_queues(struct fake *f)
{
	unsigned int q;

	for (q = 0; q < f->nvqs; q++) {
		if (!f->vq[q].started)
			continue;
		if (f->vdev->ops->queue_disable)
			f->vdev->ops->queue_disable(f->vdev, q);
		kvirtio_queue_teardown(&f->vdev->queues[q]);
		f->vq[q].started = false;
	}
}

static void reset(struct fake *f)
{
	unsigned int q;

	stop_queues(f);
	if (f->vdev->ops->reset)
		f->vdev->ops->reset(f->vdev);
	for (q = 0; q < f->nvqs; q++) {
		f->vq[q].ready = false;
		f->vq[q].num = 0;
	}
	f->vdev->driver_features = 0;
	f->status = 0;
	f->needs_reset = false;
	atomic_fetch_add(&f->resets, 1);
}

static int features_ok(struct fake *f)
{
	u64 acked = f->vdev->driver_features;
	u64 dev = acked & ~(1ULL << VIRTIO_F_ACCESS_PLATFORM);

	if ((acked & ~f->offered) ||
	    !(acked & (1ULL << VIRTIO_F_VERSION_1)) ||
	    !(acked & (1ULL << VIRTIO_F_ACCESS_PLATFORM)))
		return -EINVAL;
	if (f->vdev->ops->validate_features &&
	    f->vdev->ops->validate_features(f->vdev, dev))
		return -EINVAL;
	f->vdev->driver_features = dev;
	return 0;
}

static int driver_ok(struct fake *f)
{
	unsigned int q;
	int ret;

	for (q = 0; q < f->nvqs; q++) {
		struct fake_vq *vq = &f->vq[q];
		struct kvirtio_queue_config cfg = {
			.size = vq->num,
			.desc = vq->desc,
			.avail = vq->avail,
			.used = vq->used,
			.features = f->vdev->driver_features,
			.max_chain = f->vdev->max_chain,
		};

		if (!vq->ready || q >= f->vdev->num_queues)
			continue;
		ret = kvirtio_queue_setup(&f->vdev->queues[q], &f->gmem, &cfg);
		if (!ret && f->vdev->ops->queue_enable)
			ret = f->vdev->ops->queue_enable(f->vdev, q);
		if (ret) {
			fprintf(stderr, "fake-vdpa %s: queue %u: %s\n", f->type,
				q, strerror(-ret));
			return ret;
		}
		vq->started = true;
	}
	return f->vdev->ops->driver_ok ? f->vdev->ops->driver_ok(f->vdev) : 0;
}

static int set_status(struct fake *f, u8 s)
{
	u8 old = f->status;
	u8 add = s & ~old;

	if (!s) {
		reset(f);
		return 0;
	}
	if (old & ~s)
		return -EINVAL;	/* bits go away only by reset */
	if ((add & VIRTIO_CONFIG_S_FEATURES_OK) && features_ok(f))
		s &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	if ((add & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    (!(s & VIRTIO_CONFIG_S_FEATURES_OK) || driver_ok(f))) {
		stop_queues(f);
		s &= ~VIRTIO_CONFIG_S_DRIVER_OK;
		f->needs_reset = true;
	}
	f->status = s;
	return 0;
}

static int config_io(struct fake *f, struct vhost_vdpa_config *c, bool wr)
{
	if (!c->len || c->off > f->vdev->config_size ||
	    c->len > f->vdev->config_size - c->off)
		return -EINVAL;
	if (wr)
		return f->vdev->ops->config_write ?
		       f->vdev->ops->config_write(f->vdev, c->off, c->buf,
						  c->len) : 0;
	return f->vdev->ops->config_read(f->vdev, c->off, c->buf, c->len);
}

static int watch_kick(struct fake *f, unsigned int q, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = q };

	if (f->vq[q].kick >= 0)
		epoll_ctl(f->epfd, EPOLL_CTL_DEL, f->vq[q].kick, NULL);
	f->vq[q].kick = fd;
	if (fd < 0)
		return 0;
	return epoll_ctl(f->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int vring_ioctl(struct fake *f, unsigned long req, void *arg)
{
	struct vhost_vring_state *s = arg;
	struct vhost_vring_addr *a = arg;
	struct vhost_vring_file *file = arg;
	struct fake_vq *vq;

	if (s->index >= f->nvqs)
		return -ENOBUFS;
	vq = &f->vq[s->index];
	switch (req) {
	case VHOST_SET_VRING_NUM:
		if (!s->num || s->num > FAKE_VQ_MAX || (s->num & (s->num - 1)))
			return -EINVAL;
		vq->num = s->num;
		return 0;
	case VHOST_SET_VRING_BASE:
		return s->num ? -EINVAL : 0;	/* only a fresh ring here */
	case VHOST_SET_VRING_ADDR:
		if (a->flags || (a->avail_user_addr & 1) ||
		    (a->used_user_addr & 3))
			return -EINVAL;
		vq->desc = a->desc_user_addr;
		vq->avail = a->avail_user_addr;
		vq->used = a->used_user_addr;
		return 0;
	case VHOST_SET_VRING_KICK:
		return watch_kick(f, s->index, file->fd);
	case VHOST_SET_VRING_CALL:
		vq->call = file->fd;
		return 0;
	case VHOST_VDPA_SET_VRING_ENABLE:
		vq->ready = s->num;
		return 0;
	}
	return -ENOTTY;
}

static int fake_ioctl(struct fake *f, unsigned long req, void *arg)
{
	struct vhost_vdpa_iova_range *range = arg;
	u64 *u64p = arg;
	u32 *u32p = arg;

	if (req == VHOST_SET_OWNER) {
		if (f->owner)
			return -EBUSY;
		f->owner = true;
		return 0;
	}
	if (!f->owner)
		return -EPERM;
	switch (req) {
	case VHOST_VDPA_GET_DEVICE_ID:
		*u32p = f->vdev->device_id;
		return 0;
	case VHOST_GET_FEATURES:
		*u64p = f->offered;
		return 0;
	case VHOST_SET_FEATURES:
		if (f->status & VIRTIO_CONFIG_S_FEATURES_OK)
			return -EBUSY;
		if (*u64p & ~f->offered)
			return -EINVAL;
		f->vdev->driver_features = *u64p;
		return 0;
	case VHOST_GET_BACKEND_FEATURES:
		*u64p = (1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2) |
			(1ULL << VHOST_BACKEND_F_IOTLB_BATCH);
		return 0;
	case VHOST_SET_BACKEND_FEATURES:
		if (*u64p & ~((1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2) |
			      (1ULL << VHOST_BACKEND_F_IOTLB_BATCH)))
			return -EOPNOTSUPP;
		f->backend = *u64p;
		return 0;
	case VHOST_VDPA_GET_CONFIG_SIZE:
		*u32p = f->vdev->config_size;
		return 0;
	case VHOST_VDPA_GET_VQS_COUNT:
		*u32p = f->nvqs;
		return 0;
	case VHOST_VDPA_GET_VRING_NUM:
		*(u16 *)arg = FAKE_VQ_MAX;
		return 0;
	case VHOST_VDPA_GET_IOVA_RANGE:
		range->first = 0;
		range->last = ~0ULL;
		return 0;
	case VHOST_VDPA_GET_STATUS:
		*(u8 *)arg = f->status |
			     (f->needs_reset ? VIRTIO_CONFIG_S_NEEDS_RESET : 0);
		return 0;
	case VHOST_VDPA_SET_STATUS:
		return set_status(f, *(u8 *)arg);
	case VHOST_VDPA_GET_CONFIG:
		return config_io(f, arg, false);
	case VHOST_VDPA_SET_CONFIG:
		return config_io(f, arg, true);
	case VHOST_VDPA_SET_CONFIG_CALL:
		f->config_call = *(int *)arg;
		return 0;
	}
	return vring_ioctl(f, req, arg);
}

static void *worker(void *arg)
{
	struct fake *f = arg;
	struct epoll_event ev[8];
	uint64_t cnt;
	unsigned int q;
	int i, n;

	while (!atomic_load(&f->stop)) {
		n = epoll_wait(f->epfd, ev, 8, -1);
		for (i = 0; i < n; i++) {
			q = ev[i].data.u32;
			if (q == WAKE_TAG) {
				if (read(f->wake, &cnt, sizeof(cnt)) < 0)
					continue;
				continue;
			}
			if (q < f->nvqs && read(f->vq[q].kick, &cnt,
						sizeof(cnt)) == sizeof(cnt)) {
				atomic_fetch_add(&f->kicks, 1);
				atomic_store(&f->vq[q].pending, true);
			}
		}
		pthread_mutex_lock(&f->lock);
		for (q = 0; q < f->nvqs; q++) {
			struct kvirtio_budget b = {
				.requests = 64, .bytes = 1 << 20,
			};

			if (!atomic_exchange(&f->vq[q].pending, false) ||
			    !f->vq[q].started ||
			    !(f->status & VIRTIO_CONFIG_S_DRIVER_OK))
				continue;
			if (kvirtio_device_service_queue(f->vdev, q, &b) > 0)
				h_kick(f->vdev, q);
		}
		pthread_mutex_unlock(&f->lock);
	}
	return NULL;
}

static int create_model(struct fake *f, const char *path)
{
	struct kvirtio_rng_opts ro = { .fill = kvirtio_rng_fill_user };
	struct kvirtio_blk_user_opts bo = {
		.translate = blk_translate,
		.translate_opaque = f,
	};
	struct kvirtio_blk_opts bp = { .num_queues = 1, .flush = true };
	char img[4096];
	int ret;

	if (!strcmp(f->type, "rng"))
		return kvirtio_rng_create(&ro, &f->vdev);
	if (strcmp(f->type, "blk"))
		return -ENODEV;
	snprintf(img, sizeof(img), "%s.img", path);
	bo.fd = __real_open(img, O_RDWR | O_CLOEXEC);
	if (bo.fd < 0)
		return -errno;
	ret = kvirtio_blk_user_create(&bo, &f->blk);
	__real_close(bo.fd);
	if (ret)
		return ret;
	memcpy(bp.serial, "fake-vdpa-blk", 13);
	return kvirtio_blk_create(&bp, f->blk, &f->vdev);
}

static int fake_open(const char *path, int fd)
{
	const char *base = strrchr(path, '/');
	struct fake *f;
	unsigned int i;
	int ret;

	base = base ? base + 1 : path;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->fd = fd;
	f->type = strdup(base + strlen(FAKE_PREFIX));
	f->config_call = -1;
	f->memlock = getenv("FAKE_VDPA_MEMLOCK") &&
		     !strcmp(getenv("FAKE_VDPA_MEMLOCK"), "1");
	pthread_mutex_init(&f->lock, NULL);
	ret = f->type ? create_model(f, path) : -ENOMEM;
	if (ret)
		return ret;
	f->nvqs = f->vdev->num_queues;
	if (!f->nvqs || f->nvqs > FAKE_VQS)
		return -EINVAL;
	/* The device may own its queues (rng does): then they are used. */
	if (!f->vdev->queues)
		f->vdev->queues = calloc(f->nvqs, sizeof(*f->vdev->queues));
	f->gmem.ops = &fake_mem_ops;
	f->host.kick = h_kick;
	f->tops.queue_interrupt = t_queue_interrupt;
	f->tops.config_interrupt = t_config_interrupt;
	f->tops.needs_reset = t_needs_reset;
	f->vdev->mem = &f->gmem;
	f->vdev->host = &f->host;
	f->vdev->host_priv = f;
	f->vdev->transport = &f->tops;
	/* Bits the VMM must not pass on: ACCESS_PLATFORM and packed rings. */
	f->offered = f->vdev->device_features | (1ULL << VIRTIO_F_VERSION_1) |
		     (1ULL << VIRTIO_F_ACCESS_PLATFORM) |
		     (1ULL << VIRTIO_F_RING_PACKED);
	for (i = 0; i < FAKE_VQS; i++) {
		f->vq[i].kick = -1;
		f->vq[i].call = -1;
	}
	f->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!f->vdev->queues || f->wake < 0 || f->epfd < 0)
		return -ENOMEM;
	{
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.u32 = WAKE_TAG };

		if (epoll_ctl(f->epfd, EPOLL_CTL_ADD, f->wake, &ev))
			return -errno;
	}
	if (pthread_create(&f->worker, NULL, worker, f))
		return -EAGAIN;
	for (i = 0; i < FAKE_MAX; i++) {
		struct fake *none = NULL;

		if (atomic_compare_exchange_strong(&fakes[i], &none, f))
			return 0;
	}
	return -EMFILE;
}

static void fake_close(struct fake *f)
{
	unsigned int i;

	atomic_store(&f->stop, true);
	signal_fd(f->wake);
	pthread_join(f->worker, NULL);
	pthread_mutex_lock(&f->lock);
	if (f->status)
		reset(f);
	pthread_mutex_unlock(&f->lock);
	fprintf(stderr, "fake-vdpa %s: kicks=%lu calls=%lu config_calls=%lu",
		f->type, atomic_load(&f->kicks), atomic_load(&f->calls),
		atomic_load(&f->config_calls));
	fprintf(stderr, " resets=%lu maps=%lu unmaps=%lu\n",
		atomic_load(&f->resets),
		atomic_load(&f->maps), atomic_load(&f->unmaps));
	for (i = 0; i < FAKE_MAX; i++) {
		struct fake *me = f;

		atomic_compare_exchange_strong(&fakes[i], &me, NULL);
	}
}

/* ---- the wrapped calls ------------------------------------------------------ */

int __wrap_open(const char *path, int flags, ...)
{
	const char *base = strrchr(path, '/');
	mode_t mode = 0;
	va_list ap;
	int fd, ret;

	va_start(ap, flags);
	if (flags & O_CREAT)
		mode = va_arg(ap, mode_t);
	va_end(ap);
	fd = __real_open(path, flags, mode);
	base = base ? base + 1 : path;
	if (fd < 0 || strncmp(base, FAKE_PREFIX, strlen(FAKE_PREFIX)))
		return fd;
	ret = fake_open(path, fd);
	if (ret) {
		fprintf(stderr, "fake-vdpa: %s: %s\n", path, strerror(-ret));
		__real_close(fd);
		errno = -ret;
		return -1;
	}
	return fd;
}

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	struct fake *f = fake_of(fd);
	va_list ap;
	void *arg;
	int ret;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!f)
		return __real_ioctl(fd, req, arg);
	pthread_mutex_lock(&f->lock);
	ret = fake_ioctl(f, req, arg);
	pthread_mutex_unlock(&f->lock);
	if (ret) {
		errno = -ret;
		return -1;
	}
	return 0;
}

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
	struct fake *f = fake_of(fd);

	return f ? fake_write(f, buf, n) : __real_write(fd, buf, n);
}

int __wrap_close(int fd)
{
	struct fake *f = fake_of(fd);

	if (f)
		fake_close(f);
	return __real_close(fd);
}
