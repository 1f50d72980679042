// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvdirect - KVIRTIO_DEVICE_ATTACH_VM ("direct mode") checks for L1.
 *
 *   kvdirect stock        KVM without the kvm_io_bus exports: attaching
 *                         an rng device to a VM fails with EOPNOTSUPP
 *   kvdirect errors       patched KVM: every bad argument gets its
 *                         documented errno and changes nothing (the
 *                         ranges of an attached device stay where they
 *                         were, a failed first attach attaches nothing),
 *                         moves, collisions and detach
 *   kvdirect run          patched KVM: a real-mode vCPU reads BAR0 and
 *                         kicks queue 0 through the notify area; they are
 *                         served on KVM's bus (no KVM_EXIT_MMIO); then the
 *                         device fd is closed under the running vCPU and
 *                         the same accesses exit to us as MMIO
 *   kvdirect run vmfirst  the same first half; then the vCPU and VM fds
 *                         are closed while the device still holds the VM,
 *                         and the device is closed last
 *
 * Prints one line, "KVDIRECT OK <cmd> ..." or "KVDIRECT FAIL <cmd>: ..."
 * (exit 1), on stdout; progress goes to stderr.  x86 only (the run guest
 * is 16-bit code).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/kvirtio.h>

/* PCI config space and virtio-pci capabilities, by offset. */
#define CFG_COMMAND		0x04
#define CFG_COMMAND_MEMORY	0x2
#define CFG_CAP_PTR		0x34
#define CFG_BAR0		0x10
#define CAP_ID_VNDR		0x09
#define VCAP_CFG_TYPE		3
#define VCAP_BAR		4
#define VCAP_OFFSET		8
#define VCAP_COMMON_CFG		1

/* Common config fields (virtio 1.2, 4.1.4.3). */
#define COMMON_NUM_QUEUES	0x12
#define COMMON_DEVICE_STATUS	0x14

/* Watchdog for the whole program: a hang is reported, not waited out. */
#define TIMEOUT_S		180
#define STR_(x)			#x
#define STR(x)			STR_(x)

static const char *cmd = "?";
static unsigned int nchecks;
static const char *stage = "start";	/* for the watchdog */

__attribute__((format(printf, 1, 2), noreturn))
static void fail(const char *fmt, ...);
static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("KVDIRECT FAIL %s: ", cmd);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

__attribute__((format(printf, 1, 2)))
static void say(const char *fmt, ...);
static void say(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kvdirect: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

static void put(const char *s)
{
	if (write(STDOUT_FILENO, s, strlen(s)) < 0)
		return;
}

static void watchdog(int sig)
{
	(void)sig;
	put("KVDIRECT FAIL ");
	put(cmd);
	put(": timed out after " STR(TIMEOUT_S) " s in: ");
	put(stage);
	put("\n");
	_exit(1);
}

static const char *ename(int err)
{
	static char buf[32];

	switch (err) {
	case 0:		return "success";
	case EPERM:	return "EPERM";
	case EBADF:	return "EBADF";
	case ENOMEM:	return "ENOMEM";
	case EFAULT:	return "EFAULT";
	case EBUSY:	return "EBUSY";
	case EEXIST:	return "EEXIST";
	case EINVAL:	return "EINVAL";
	case ENOTTY:	return "ENOTTY (no such ioctl: an older kvirtio.ko?)";
	case ENOSPC:	return "ENOSPC";
	case E2BIG:	return "E2BIG";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	}
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

static bool is_pow2(__u64 v)
{
	return v && !(v & (v - 1));
}

static __u64 round_up(__u64 v, __u64 align)
{
	return (v + align - 1) & ~(align - 1);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- kvirtio devices ---------------------------------------------------- */

struct dev {
	int fd;
	struct kvirtio_device_info info;
	__u64 size0;		/* BAR0 */
	unsigned int nbar;	/* the notify BAR */
	__u64 nsize;
	unsigned int pbar;	/* the port notify BAR, 0: none */
	__u64 psize;
};

static int open_ctl(void)
{
	int kv = open("/dev/kvirtio", O_RDWR | O_CLOEXEC);

	if (kv < 0)
		fail("/dev/kvirtio: %s", strerror(errno));
	return kv;
}

/* A BAR of @d that must exist, with a power-of-two size: its size. */
static __u64 bar_size(const struct dev *d, unsigned int bar, bool io)
{
	const struct kvirtio_region_info *r;

	if (bar > KVIRTIO_REGION_BAR5)
		fail("GET_INFO: BAR index %u", bar);
	r = &d->info.regions[bar];
	if (!is_pow2(r->size))
		fail("GET_INFO: BAR%u size %llu", bar, r->size);
	if (!!(r->flags & KVIRTIO_REGION_F_IO) != io)
		fail("GET_INFO: BAR%u is%s an I/O BAR", bar, io ? " not" : "");
	return r->size;
}

/* An rng device (with @flags KVIRTIO_CREATE_F_*), and what GET_INFO says. */
static void dev_create(struct dev *d, int kv, __u32 flags)
{
	struct kvirtio_create_device a = {
		.argsz = sizeof(a),
		.flags = flags,
		.type = KVIRTIO_DEV_RNG,
	};
	__u64 area;

	memset(d, 0, sizeof(*d));
	d->fd = ioctl(kv, KVIRTIO_CREATE_DEVICE, &a);
	if (d->fd < 0)
		fail("KVIRTIO_CREATE_DEVICE: %s", strerror(errno));
	d->info.argsz = sizeof(d->info);
	if (ioctl(d->fd, KVIRTIO_DEVICE_GET_INFO, &d->info) < 0)
		fail("KVIRTIO_DEVICE_GET_INFO: %s", strerror(errno));
	if (!d->info.num_queues)
		fail("GET_INFO: no queues");
	d->size0 = bar_size(d, KVIRTIO_REGION_BAR0, false);
	d->nbar = d->info.notify_bar;
	if (d->nbar == KVIRTIO_REGION_BAR0 || d->nbar == d->info.msix_bar)
		fail("GET_INFO: notify BAR %u shared with BAR0 or MSI-X",
		     d->nbar);
	d->nsize = bar_size(d, d->nbar, false);
	area = d->info.notify_offset +
	       (__u64)d->info.num_queues * d->info.notify_off_multiplier;
	if (d->info.notify_offset + 2 > d->nsize || area > d->nsize)
		fail("GET_INFO: notify area past its %llu-byte BAR", d->nsize);
	if (!(flags & KVIRTIO_CREATE_F_PIO_NOTIFY))
		return;
	if (!(d->info.flags & KVIRTIO_INFO_F_PIO_NOTIFY))
		fail("GET_INFO: no port notify area on a PIO_NOTIFY device");
	d->pbar = d->info.pio_notify_bar;
	if (d->pbar == KVIRTIO_REGION_BAR0 || d->pbar == d->nbar)
		fail("GET_INFO: port notify BAR %u", d->pbar);
	d->psize = bar_size(d, d->pbar, true);
	if (d->info.pio_notify_offset + 2 > d->psize)
		fail("GET_INFO: port notify area past its BAR");
}

/* An argument from a future UAPI: larger, with a tail we do not know. */
struct attach_big {
	struct kvirtio_vm_attach a;
	__u64 tail;
};

/* KVIRTIO_DEVICE_ATTACH_VM with @a as given: 0 or -errno. */
static int attach_raw(int fd, void *a)
{
	return ioctl(fd, KVIRTIO_DEVICE_ATTACH_VM, a) < 0 ? -errno : 0;
}

static void attach_arg(struct kvirtio_vm_attach *a, int vm, __u64 bar0,
		       unsigned int nbar, __u64 naddr)
{
	memset(a, 0, sizeof(*a));
	a->argsz = sizeof(*a);
	a->vm_fd = vm;
	a->bar_addr[KVIRTIO_REGION_BAR0] = bar0;
	a->bar_addr[nbar] = naddr;
}

/* Attach @d to @vm with BAR0 at @bar0 and its notify BAR at @naddr. */
static int attach(const struct dev *d, int vm, __u64 bar0, __u64 naddr)
{
	struct kvirtio_vm_attach a;

	attach_arg(&a, vm, bar0, d->nbar, naddr);
	return attach_raw(d->fd, &a);
}

/* Attach @d with only BAR @bar placed, at @addr. */
static int attach_one(const struct dev *d, int vm, unsigned int bar,
		      __u64 addr)
{
	struct kvirtio_vm_attach a;

	attach_arg(&a, vm, 0, d->nbar, 0);
	a.bar_addr[bar] = addr;
	return attach_raw(d->fd, &a);
}

static int detach(const struct dev *d)
{
	struct kvirtio_vm_attach a;

	attach_arg(&a, -1, 0, d->nbar, 0);
	return attach_raw(d->fd, &a);
}

static void get_stats(const struct dev *d, struct kvirtio_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->argsz = sizeof(*st);
	if (ioctl(d->fd, KVIRTIO_DEVICE_GET_STATS, st) < 0)
		fail("KVIRTIO_DEVICE_GET_STATS: %s", strerror(errno));
}

static void cfg_rw(const struct dev *d, unsigned int off, void *buf,
		   size_t len, bool write)
{
	off_t pos = KVIRTIO_REGION_OFFSET(KVIRTIO_REGION_CONFIG) + off;
	ssize_t n;

	n = write ? pwrite(d->fd, buf, len, pos) : pread(d->fd, buf, len, pos);
	if (n != (ssize_t)len)
		fail("config space %s at 0x%x: %s", write ? "write" : "read",
		     off, n < 0 ? strerror(errno) : "short");
}

static unsigned int cfg_read(const struct dev *d, unsigned int off,
			     size_t len)
{
	__u32 v = 0;

	cfg_rw(d, off, &v, len, false);
	return v;		/* little-endian host */
}

static void cfg_write(const struct dev *d, unsigned int off, __u32 v,
		      size_t len)
{
	cfg_rw(d, off, &v, len, true);
}

/* Offset of the common config in BAR0, from its virtio capability. */
static unsigned int common_cfg_offset(const struct dev *d)
{
	unsigned int off = cfg_read(d, CFG_CAP_PTR, 1), n;

	for (n = 0; (off &= 0xfc) && n < 48; n++) {
		if (cfg_read(d, off, 1) == CAP_ID_VNDR &&
		    cfg_read(d, off + VCAP_CFG_TYPE, 1) == VCAP_COMMON_CFG) {
			if (cfg_read(d, off + VCAP_BAR, 1) != KVIRTIO_REGION_BAR0)
				fail("common config is not in BAR0");
			return cfg_read(d, off + VCAP_OFFSET, 4);
		}
		off = cfg_read(d, off + 1, 1);
	}
	fail("no virtio common config capability");
}

/* Program a memory BAR as firmware would and turn on memory decoding. */
static void place_bar(const struct dev *d, unsigned int bar, __u64 addr)
{
	cfg_write(d, CFG_BAR0 + 4 * bar, (__u32)addr, 4);
	if (d->info.regions[bar].flags & KVIRTIO_REGION_F_MEM64)
		cfg_write(d, CFG_BAR0 + 4 * bar + 4, addr >> 32, 4);
	cfg_write(d, CFG_COMMAND,
		  cfg_read(d, CFG_COMMAND, 2) | CFG_COMMAND_MEMORY, 2);
}

/* ---- KVM ---------------------------------------------------------------- */

static int open_kvm(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (kvm < 0)
		fail("/dev/kvm: %s", strerror(errno));
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		fail("KVM_GET_API_VERSION is not %d", KVM_API_VERSION);
	return kvm;
}

/*
 * A VM, with an in-kernel irqchip if it will have vCPUs: a vCPU without
 * an in-kernel local APIC flips a static key (kvm_has_noapic_vcpu), and
 * text patching is what the testbed avoids (see tools/guest/kvhold.c).
 */
static int create_vm(int kvm, bool irqchip)
{
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);

	if (vm < 0)
		fail("KVM_CREATE_VM: %s", strerror(errno));
	if (irqchip && ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
		fail("KVM_CREATE_IRQCHIP: %s", strerror(errno));
	return vm;
}

static void ioeventfd(int vm, __u64 addr, bool pio, bool assign, int *efd)
{
	struct kvm_ioeventfd io = {
		.addr = addr,
		.len = 2,
		.flags = (pio ? KVM_IOEVENTFD_FLAG_PIO : 0) |
			 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	if (assign) {
		*efd = eventfd(0, EFD_CLOEXEC);
		if (*efd < 0)
			fail("eventfd: %s", strerror(errno));
	}
	io.fd = *efd;
	if (ioctl(vm, KVM_IOEVENTFD, &io) < 0)
		fail("KVM_IOEVENTFD %s %s 0x%llx: %s",
		     assign ? "assign" : "deassign", pio ? "port" : "mmio",
		     addr, strerror(errno));
	if (!assign)
		close(*efd);
}

/* ---- stock -------------------------------------------------------------- */

static void stock(void)
{
	struct kvirtio_stats st;
	struct dev d;
	int kv, kvm, vm, ret;
	__u64 bar0, naddr;

	kv = open_ctl();
	dev_create(&d, kv, 0);
	kvm = open_kvm();
	vm = create_vm(kvm, false);
	bar0 = round_up(0xd0000000ULL, d.size0);
	naddr = round_up(bar0 + d.size0, d.nsize);
	ret = attach(&d, vm, bar0, naddr);
	if (!ret)
		fail("attach succeeded: this KVM has the exports (patched kvm.ko?)");
	if (ret != -EOPNOTSUPP)
		fail("attach: %s, not EOPNOTSUPP", ename(-ret));
	get_stats(&d, &st);
	if (st.direct_accesses || st.direct_kicks)
		fail("direct counters %llu/%llu on a device never attached",
		     st.direct_accesses, st.direct_kicks);
	ret = detach(&d);
	printf("KVDIRECT OK stock: attach EOPNOTSUPP (detach: %s)\n",
	       ename(-ret));
	close(d.fd);
	close(vm);
	close(kvm);
	close(kv);
}

/* ---- errors ------------------------------------------------------------- */

/*
 * Device A is the one under test; P probes what is on vm1's bus: P's
 * attach at an address a range of A's holds must be EEXIST, at a free one
 * it must succeed (and P detaches again).  Addresses are slots of the
 * largest BAR size in an unbacked part of guest-physical space.
 */
struct errs {
	int kv, kvm, vm1, vm2;
	struct dev a, p;
	__u64 base, slot;
	__u64 cur0, curn;	/* where A's BAR0 and notify BAR are */
};

static __u64 slot(const struct errs *c, unsigned int i)
{
	return c->base + i * c->slot;
}

static void expect(int ret, int err, const char *what)
{
	nchecks++;
	if (ret != -err)
		fail("%s: %s, not %s", what, ename(-ret), ename(err));
	say("%s: %s", what, ename(err));
}

/* Probe BAR @bar of @p at @addr on @vm: must be @err (0: free). */
static void probe(const struct dev *p, int vm,
		  unsigned int bar, __u64 addr, int err)
{
	int ret = attach_one(p, vm, bar, addr), ret2;

	nchecks++;
	if (!ret) {
		ret2 = detach(p);
		if (ret2)
			fail("detaching the probe device: %s", ename(-ret2));
	}
	if (ret == -err)
		return;
	if (err)
		fail("BAR%u at 0x%llx should be taken (%s), probe got %s",
		     bar, addr, ename(err), ename(-ret));
	fail("BAR%u at 0x%llx should be free, probe got %s", bar, addr,
	     ename(-ret));
}

static void taken0(struct errs *c, __u64 addr)
{
	probe(&c->p, c->vm1, KVIRTIO_REGION_BAR0, addr, EEXIST);
}

static void free0(struct errs *c, __u64 addr)
{
	probe(&c->p, c->vm1, KVIRTIO_REGION_BAR0, addr, 0);
}

static void freen(struct errs *c, __u64 addr)
{
	probe(&c->p, c->vm1, c->p.nbar, addr, 0);
}

/* A's ranges are still at cur0/curn. */
static void unchanged(struct errs *c)
{
	taken0(c, c->cur0);
	probe(&c->p, c->vm1, c->p.nbar, c->curn, EEXIST);
}

/* A call on A that must fail with @err and leave A where it was. */
static void bad(struct errs *c, void *arg, int err, const char *what)
{
	expect(attach_raw(c->a.fd, arg), err, what);
	unchanged(c);
}

/* Move A; must succeed. */
static void move(struct errs *c, __u64 bar0, __u64 naddr, const char *what)
{
	expect(attach(&c->a, c->vm1, bar0, naddr), 0, what);
	c->cur0 = bar0;
	c->curn = naddr;
	unchanged(c);
}

/* vm_fd values that are not a VM of ours. */
static void bad_fds(struct errs *c)
{
	struct kvirtio_vm_attach a;
	int fd, vcpu;

	stage = "errors: vm_fd";
	attach_arg(&a, -1, slot(c, 2), c->a.nbar, slot(c, 3));
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail("/dev/null: %s", strerror(errno));
	close(fd);
	a.vm_fd = fd;
	bad(c, &a, EBADF, "vm_fd not open");
	a.vm_fd = -2;
	bad(c, &a, EBADF, "vm_fd -2");

	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fail("/dev/null: %s", strerror(errno));
	a.vm_fd = fd;
	bad(c, &a, EINVAL, "vm_fd /dev/null");
	close(fd);
	a.vm_fd = c->a.fd;
	bad(c, &a, EINVAL, "vm_fd the device itself");
	a.vm_fd = c->kv;
	bad(c, &a, EINVAL, "vm_fd /dev/kvirtio");
	a.vm_fd = c->kvm;
	bad(c, &a, EINVAL, "vm_fd /dev/kvm");
	vcpu = ioctl(c->vm2, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		fail("KVM_CREATE_VCPU: %s", strerror(errno));
	a.vm_fd = vcpu;
	bad(c, &a, EINVAL, "vm_fd a vCPU");
	close(vcpu);
	free0(c, slot(c, 2));
	freen(c, slot(c, 3));
}

/* Flags, reserved fields, argsz, BAR indices, alignment, overlap. */
static void bad_args(struct errs *c)
{
	struct attach_big big;
	struct kvirtio_vm_attach a;
	const struct dev *d = &c->a;
	unsigned int i;
	char what[64];

	stage = "errors: arguments";
	attach_arg(&a, c->vm1, slot(c, 2), d->nbar, slot(c, 3));
	a.flags = 1;
	bad(c, &a, EINVAL, "flags 1");
	a.flags = 1U << 31;
	bad(c, &a, EINVAL, "flags bit 31");
	a.flags = 0;
	a.reserved = 1;
	bad(c, &a, EINVAL, "reserved 1");
	a.reserved = 0;

	a.argsz = offsetof(struct kvirtio_vm_attach, vm_fd);
	bad(c, &a, EINVAL, "argsz 8");
	a.argsz = KVIRTIO_ARGSZ_MAX + 1;
	bad(c, &a, E2BIG, "argsz past KVIRTIO_ARGSZ_MAX");
	a.argsz = sizeof(a);
	big.a = a;
	big.a.argsz = sizeof(big);
	big.tail = 1;
	bad(c, &big, E2BIG, "argsz larger, non-zero tail");

	a.bar_addr[d->info.msix_bar] = slot(c, 6);
	bad(c, &a, EINVAL, "an address for the MSI-X BAR");
	a.bar_addr[d->info.msix_bar] = 0;
	for (i = KVIRTIO_REGION_BAR0; i <= KVIRTIO_REGION_BAR5; i++) {
		if (d->info.regions[i].size)
			continue;
		a.bar_addr[i] = slot(c, 6);
		snprintf(what, sizeof(what), "an address for BAR%u (no BAR)", i);
		bad(c, &a, EINVAL, what);
		a.bar_addr[i] = 0;
	}

	a.bar_addr[KVIRTIO_REGION_BAR0] = slot(c, 2) + d->size0 / 2;
	bad(c, &a, EINVAL, "BAR0 not aligned to its size");
	a.bar_addr[KVIRTIO_REGION_BAR0] = slot(c, 2);
	if (d->nsize > 1) {
		a.bar_addr[d->nbar] = slot(c, 3) + d->nsize / 2;
		bad(c, &a, EINVAL, "notify BAR not aligned to its size");
	}
	/* The notify area inside BAR0: both aligned, ranges overlapping. */
	a.bar_addr[d->nbar] = slot(c, 2);
	a.bar_addr[KVIRTIO_REGION_BAR0] = slot(c, 2) +
		(d->info.notify_offset & ~(d->size0 - 1));
	bad(c, &a, EINVAL, "notify area inside BAR0");
	free0(c, slot(c, 2));
	freen(c, slot(c, 3));
}

/* A second VM, and a VM of another process. */
static void other_vms(struct errs *c)
{
	struct kvirtio_vm_attach a;
	int pfd[2], res[2] = { -1, -1 }, status, kv, kvm, vm;
	struct dev d;
	pid_t pid;

	stage = "errors: another VM";
	attach_arg(&a, c->vm2, slot(c, 2), c->a.nbar, slot(c, 3));
	bad(c, &a, EBUSY, "another VM while attached");
	/* Nor did A land on vm2. */
	probe(&c->p, c->vm2, KVIRTIO_REGION_BAR0, c->cur0, 0);

	stage = "errors: another process";
	if (pipe(pfd))
		fail("pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (!pid) {
		/* Its own device, the parent's VM, then a VM of its own. */
		kv = open_ctl();
		dev_create(&d, kv, 0);
		res[0] = attach(&d, c->vm1, slot(c, 6), slot(c, 7));
		kvm = open_kvm();
		vm = create_vm(kvm, false);
		res[1] = attach(&d, vm, slot(c, 6), slot(c, 7));
		if (write(pfd[1], res, sizeof(res)) != sizeof(res))
			_exit(2);
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], res, sizeof(res)) != sizeof(res))
		fail("the child process died before reporting");
	close(pfd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		fail("the child process failed (status 0x%x)", status);
	expect(res[0], EPERM, "the VM of another process");
	expect(res[1], 0, "... and that process's own VM");
	unchanged(c);
	free0(c, slot(c, 6));
	freen(c, slot(c, 7));
}

/* Collisions with ioeventfds and another device; rollback of a half. */
static void collisions(struct errs *c)
{
	__u64 ev_bar = slot(c, 4) + ((c->a.size0 / 2) & ~7ULL);
	__u64 ev_notify = slot(c, 5) + c->a.info.notify_offset;
	int efd_bar, efd_notify;
	struct dev d;

	stage = "errors: collisions";
	ioeventfd(c->vm1, ev_bar, false, true, &efd_bar);
	ioeventfd(c->vm1, ev_notify, false, true, &efd_notify);
	expect(attach(&c->a, c->vm1, slot(c, 4), slot(c, 7)), EEXIST,
	       "BAR0 over an ioeventfd");
	unchanged(c);
	freen(c, slot(c, 7));
	expect(attach(&c->a, c->vm1, slot(c, 6), slot(c, 5)), EEXIST,
	       "notify area over an ioeventfd");
	unchanged(c);
	free0(c, slot(c, 6));

	/* A first attach that fails halfway attaches nothing at all. */
	dev_create(&d, c->kv, 0);
	expect(attach(&d, c->vm1, slot(c, 6), slot(c, 5)), EEXIST,
	       "first attach, notify area over an ioeventfd");
	free0(c, slot(c, 6));
	expect(attach(&d, c->vm1, slot(c, 4), slot(c, 7)), EEXIST,
	       "first attach, BAR0 over an ioeventfd");
	freen(c, slot(c, 7));
	expect(attach(&d, c->vm2, slot(c, 6), slot(c, 7)), 0,
	       "... the device is not attached (another VM is fine)");
	expect(detach(&d), 0, "... detach");
	close(d.fd);

	/* Two devices at one address. */
	expect(attach(&c->p, c->vm1, c->cur0, slot(c, 7)), EEXIST,
	       "a second device at A's BAR0");
	expect(attach(&c->p, c->vm1, slot(c, 6), c->curn), EEXIST,
	       "a second device at A's notify BAR");
	free0(c, slot(c, 6));
	freen(c, slot(c, 7));
	unchanged(c);

	ioeventfd(c->vm1, ev_notify, false, false, &efd_notify);
	move(c, slot(c, 6), slot(c, 5), "moved where the ioeventfd was");
	free0(c, slot(c, 2));
	freen(c, slot(c, 3));
	ioeventfd(c->vm1, ev_bar, false, false, &efd_bar);
}

/* KVM's own device on the MMIO bus: vm2's in-kernel IOAPIC. */
static void kvm_own(struct errs *c)
{
	const __u64 ioapic = 0xfec00000ULL;
	struct dev d;
	int ret;

	stage = "errors: KVM's IOAPIC";
	dev_create(&d, c->kv, 0);
	ret = attach_one(&d, c->vm2, KVIRTIO_REGION_BAR0,
			 ioapic & ~(d.size0 - 1));
	expect(ret, EEXIST, "BAR0 over KVM's IOAPIC");
	expect(attach(&d, c->vm2, slot(c, 0), slot(c, 1)), 0,
	       "... elsewhere in that VM");
	expect(detach(&d), 0, "... detach");
	close(d.fd);
}

/* A device with a port notify area: the port bus. */
static void ports(struct errs *c)
{
	struct kvirtio_vm_attach a;
	struct dev e, f;
	__u64 pslot, p0, p1, p2, ev;
	int efd;

	stage = "errors: port notify";
	dev_create(&e, c->kv, KVIRTIO_CREATE_F_PIO_NOTIFY);
	dev_create(&f, c->kv, KVIRTIO_CREATE_F_PIO_NOTIFY);
	pslot = e.psize > 0x40 ? e.psize : 0x40;
	p0 = round_up(0xc000, pslot);
	p1 = p0 + pslot;
	p2 = p1 + pslot;
	if (p2 + pslot > 0x10000)
		fail("port notify BAR of %llu bytes", e.psize);

	attach_arg(&a, c->vm1, slot(c, 8), e.nbar, slot(c, 9));
	a.bar_addr[e.pbar] = p0;
	expect(attach_raw(e.fd, &a), 0, "port notify BAR placed");
	probe(&f, c->vm1, f.pbar, p0, EEXIST);
	a.bar_addr[e.pbar] = 0x10000;
	expect(attach_raw(e.fd, &a), EINVAL, "port BAR at 0x10000");
	probe(&f, c->vm1, f.pbar, p0, EEXIST);
	if (e.psize > 1) {
		a.bar_addr[e.pbar] = p1 + e.psize / 2;
		expect(attach_raw(e.fd, &a), EINVAL,
		       "port BAR not aligned to its size");
		probe(&f, c->vm1, f.pbar, p0, EEXIST);
	}
	ev = p2 + e.info.pio_notify_offset;
	ioeventfd(c->vm1, ev, true, true, &efd);
	a.bar_addr[e.pbar] = p2;
	expect(attach_raw(e.fd, &a), EEXIST,
	       "port notify area over a port ioeventfd");
	probe(&f, c->vm1, f.pbar, p0, EEXIST);
	a.bar_addr[e.pbar] = p1;
	expect(attach_raw(e.fd, &a), 0, "port notify BAR moved");
	probe(&f, c->vm1, f.pbar, p1, EEXIST);
	probe(&f, c->vm1, f.pbar, p0, 0);
	expect(detach(&e), 0, "detach");
	probe(&f, c->vm1, f.pbar, p1, 0);
	probe(&c->p, c->vm1, KVIRTIO_REGION_BAR0, slot(c, 8), 0);
	ioeventfd(c->vm1, ev, true, false, &efd);
	close(e.fd);
	close(f.fd);
}

static void errors(void)
{
	struct kvirtio_vm_attach a;
	struct attach_big big;
	struct kvirtio_stats st;
	struct errs c = { 0 };
	struct dev d;
	int ret;

	c.kv = open_ctl();
	dev_create(&c.a, c.kv, 0);
	dev_create(&c.p, c.kv, 0);
	c.kvm = open_kvm();
	c.vm1 = create_vm(c.kvm, false);
	c.vm2 = create_vm(c.kvm, true);	/* has a vCPU and KVM's IOAPIC */
	c.slot = c.a.size0 > c.a.nsize ? c.a.size0 : c.a.nsize;
	c.base = round_up(0xd0000000ULL, c.slot);

	stage = "errors: first attach";
	ret = attach(&c.a, c.vm1, slot(&c, 0), slot(&c, 1));
	if (ret == -EOPNOTSUPP)
		fail("attach: EOPNOTSUPP: this KVM lacks the exports (stock kvm.ko?)");
	expect(ret, 0, "attach");
	c.cur0 = slot(&c, 0);
	c.curn = slot(&c, 1);
	unchanged(&c);
	say("a second device at BAR0 0x%llx or notify 0x%llx: EEXIST",
	    c.cur0, c.curn);

	bad_fds(&c);
	bad_args(&c);
	other_vms(&c);

	stage = "errors: moves";
	move(&c, slot(&c, 2), slot(&c, 3), "moved");
	free0(&c, slot(&c, 0));
	freen(&c, slot(&c, 1));
	move(&c, slot(&c, 2), slot(&c, 3), "called again, same place");
	memset(&big, 0, sizeof(big));
	attach_arg(&big.a, c.vm1, slot(&c, 2), c.a.nbar, slot(&c, 3));
	big.a.argsz = sizeof(big);
	expect(attach_raw(c.a.fd, &big), 0, "argsz larger, zero tail");
	unchanged(&c);
	move(&c, slot(&c, 3), slot(&c, 2), "BAR0 and notify BAR swapped");
	move(&c, slot(&c, 2), slot(&c, 3), "swapped back");

	collisions(&c);
	kvm_own(&c);
	ports(&c);

	stage = "errors: detach";
	get_stats(&c.a, &st);
	if (st.direct_accesses || st.direct_kicks)
		fail("direct counters %llu/%llu with no vCPU running",
		     st.direct_accesses, st.direct_kicks);
	expect(detach(&c.a), 0, "detach");
	free0(&c, c.cur0);
	freen(&c, c.curn);
	ret = detach(&c.a);
	say("detach again: %s (not checked)", ename(-ret));
	expect(attach(&c.a, c.vm2, slot(&c, 0), slot(&c, 1)), 0,
	       "after detach, another VM");
	expect(detach(&c.a), 0, "detach");

	/* A failed first attach leaves the device unattached. */
	dev_create(&d, c.kv, 0);
	attach_arg(&a, c.vm1, slot(&c, 0), d.nbar, slot(&c, 1));
	a.flags = 1;
	expect(attach_raw(d.fd, &a), EINVAL, "first attach, flags 1");
	free0(&c, slot(&c, 0));
	expect(attach(&d, c.vm2, slot(&c, 0), slot(&c, 1)), 0,
	       "... the device is not attached (another VM is fine)");
	close(d.fd);		/* closed while attached */

	printf("KVDIRECT OK errors: %u checks passed %s\n", nchecks,
	       "(EBADF EINVAL E2BIG EBUSY EPERM EEXIST; failures move nothing)");
	close(c.a.fd);
	close(c.p.fd);
	close(c.vm1);
	close(c.vm2);
	close(c.kvm);
	close(c.kv);
}

/* ---- run ---------------------------------------------------------------- */

#define RAM_SIZE	0x10000ULL
#define CODE_GPA	0x1000
#define LOOPS_GPA	0x500	/* dword: loop iterations */
#define NQ_GPA		0x504	/* word: the last num_queues read */
#define STATUS_GPA	0x506	/* byte: the last device_status read */
#define NQ_POISON	0xa5a5

/* What the vCPU thread counts; the guest's loop count is in its RAM. */
struct counts {
	unsigned long loops;
	unsigned long mmio_bar0;	/* KVM_EXIT_MMIO in BAR0 */
	unsigned long mmio_notify;	/* ... in queue 0's notify slot */
	unsigned long mmio_other;	/* ... anywhere else */
	unsigned long intr;		/* KVM_EXIT_INTR, EINTR */
	unsigned long other;		/* other exit reasons */
};

struct rig {
	struct dev d;
	int kvm, vm, vcpu;
	unsigned char *ram;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	unsigned int common;		/* common config offset in BAR0 */
	__u64 bar0, nbar, notify;	/* guest-physical */
	__u64 nlen;			/* notify slot length */
	struct counts n;		/* written by the vCPU thread only */
	unsigned int last_other;
	int stop, done;
	char error[160];
};

static unsigned long get(const unsigned long *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

static void inc(unsigned long *v)
{
	__atomic_store_n(v, *v + 1, __ATOMIC_RELAXED);
}

/* The counts now, and since @base if given. */
static void snap(const struct rig *r, struct counts *c,
		 const struct counts *base)
{
	c->loops = __atomic_load_n((__u32 *)(r->ram + LOOPS_GPA),
				   __ATOMIC_RELAXED);
	c->mmio_bar0 = get(&r->n.mmio_bar0);
	c->mmio_notify = get(&r->n.mmio_notify);
	c->mmio_other = get(&r->n.mmio_other);
	c->intr = get(&r->n.intr);
	c->other = get(&r->n.other);
	if (!base)
		return;
	c->loops -= base->loops;
	c->mmio_bar0 -= base->mmio_bar0;
	c->mmio_notify -= base->mmio_notify;
	c->mmio_other -= base->mmio_other;
	c->intr -= base->intr;
	c->other -= base->other;
}

static __u16 guest_nq(const struct rig *r)
{
	return __atomic_load_n((__u16 *)(r->ram + NQ_GPA), __ATOMIC_RELAXED);
}

static void say_exits(const struct rig *r, const struct counts *c)
{
	say("MMIO exits: %lu BAR0, %lu notify, %lu elsewhere", c->mmio_bar0,
	    c->mmio_notify, c->mmio_other);
	say("other exits: %lu interrupted, %lu other (last reason %u)",
	    c->intr, c->other, r->last_other);
}

static void *vcpu_thread(void *arg)
{
	struct rig *r = arg;
	struct kvm_run *run = r->run;
	__u64 gpa;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		if (ioctl(r->vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				inc(&r->n.intr);
				continue;
			}
			snprintf(r->error, sizeof(r->error), "KVM_RUN: %s",
				 strerror(errno));
			break;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_MMIO:
			gpa = run->mmio.phys_addr;
			if (gpa - r->bar0 < r->d.size0)
				inc(&r->n.mmio_bar0);
			else if (gpa - r->notify < r->nlen)
				inc(&r->n.mmio_notify);
			else
				inc(&r->n.mmio_other);
			/* Nobody behind it any more: reads float high. */
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0xff,
				       sizeof(run->mmio.data));
			continue;
		case KVM_EXIT_INTR:
			inc(&r->n.intr);
			continue;
		case KVM_EXIT_HLT:
		case KVM_EXIT_SHUTDOWN:
		case KVM_EXIT_FAIL_ENTRY:
		case KVM_EXIT_INTERNAL_ERROR:
			snprintf(r->error, sizeof(r->error),
				 "the guest stopped: exit reason %u",
				 run->exit_reason);
			break;
		default:
			r->last_other = run->exit_reason;
			inc(&r->n.other);
			continue;
		}
		break;
	}
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void no_op(int sig)
{
	(void)sig;
}

static void vcpu_check(const struct rig *r)
{
	if (__atomic_load_n(&r->done, __ATOMIC_ACQUIRE) && r->error[0])
		fail("vCPU: %s", r->error);
}

static void vcpu_start(struct rig *r)
{
	struct sigaction sa = { .sa_handler = no_op };
	int err;

	/* No SA_RESTART: SIGUSR1 makes KVM_RUN return EINTR. */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		fail("sigaction: %s", strerror(errno));
	err = pthread_create(&r->thread, NULL, vcpu_thread, r);
	if (err)
		fail("pthread_create: %s", strerror(err));
}

/* Get the vCPU out of KVM_RUN for good and join its thread. */
static void vcpu_stop(struct rig *r)
{
	int i;

	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	/* Set before the signal: a KVM_RUN entered after it returns. */
	__atomic_store_n(&r->run->immediate_exit, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 500 && !__atomic_load_n(&r->done, __ATOMIC_ACQUIRE);
	     i++) {
		pthread_kill(r->thread, SIGUSR1);
		sleep_ms(10);
	}
	if (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE))
		fail("the vCPU thread does not stop");
	pthread_join(r->thread, NULL);
	vcpu_check(r);
}

#define LO(v)		((v) & 0xff)
#define HI(v)		(((v) >> 8) & 0xff)

/*
 * The guest: 16-bit real-mode code at CODE_GPA that reads two BAR0
 * registers (through DS), kicks queue 0 (through ES), keeps what it read
 * and counts its loops in RAM (through CS, base 0), forever.
 */
static void guest_code(unsigned char *ram, __u64 bar0, unsigned int common,
		       __u64 notify)
{
	unsigned int ds = bar0 >> 4, es = notify >> 4, noff = notify & 15;
	unsigned int st = common + COMMON_DEVICE_STATUS;
	unsigned int nq = common + COMMON_NUM_QUEUES;
	unsigned char code[] = {
		0xb8, LO(ds), HI(ds),			/* mov ax, ds */
		0x8e, 0xd8,				/* mov ds, ax */
		0xb8, LO(es), HI(es),			/* mov ax, es */
		0x8e, 0xc0,				/* mov es, ax */
		/* loop: */
		0xa0, LO(st), HI(st),			/* mov al, [st] */
		0x2e, 0xa2, LO(STATUS_GPA), HI(STATUS_GPA),
							/* mov cs:[..], al */
		0xa1, LO(nq), HI(nq),			/* mov ax, [nq] */
		0x2e, 0xa3, LO(NQ_GPA), HI(NQ_GPA),	/* mov cs:[..], ax */
		0x31, 0xc0,				/* xor ax, ax */
		0x26, 0xa3, LO(noff), HI(noff),		/* mov es:[..], ax */
		0x2e, 0x66, 0xff, 0x06, LO(LOOPS_GPA), HI(LOOPS_GPA),
						/* inc dword cs:[..] */
		0xeb, 0x00,				/* jmp loop */
	};

	code[sizeof(code) - 1] = (unsigned char)(10 - (int)sizeof(code));
	memcpy(ram + CODE_GPA, code, sizeof(code));
}

/* The device, its BARs programmed; where the guest will find them. */
static void rig_device(struct rig *r)
{
	struct dev *d = &r->d;
	int kv = open_ctl();

	dev_create(d, kv, 0);
	close(kv);
	r->common = common_cfg_offset(d);
	if (r->common + COMMON_DEVICE_STATUS >= d->size0)
		fail("common config at 0x%x is past BAR0", r->common);
	/* Outside RAM, aligned to their sizes, below 1 MiB (real mode). */
	r->bar0 = round_up(0x20000, d->size0);
	r->nbar = round_up(r->bar0 + d->size0 > 0x40000 ?
			   r->bar0 + d->size0 : 0x40000, d->nsize);
	if (r->nbar + d->nsize > 0x100000)
		fail("BAR0 (%llu bytes) and notify BAR (%llu) do not fit below 1 MiB",
		     d->size0, d->nsize);
	r->notify = r->nbar + d->info.notify_offset;	/* queue 0 */
	r->nlen = d->info.notify_off_multiplier > 2 ?
		  d->info.notify_off_multiplier : 2;
	place_bar(d, KVIRTIO_REGION_BAR0, r->bar0);
	place_bar(d, d->nbar, r->nbar);
}

/* A VM with RAM at 0 holding the guest, and its vCPU at CODE_GPA. */
static void rig_vm(struct rig *r)
{
	struct kvm_userspace_memory_region mem = {
		.memory_size = RAM_SIZE,
	};
	struct kvm_regs regs = { .rip = CODE_GPA, .rflags = 2 };
	struct kvm_sregs sregs;
	int size;

	r->kvm = open_kvm();
	r->vm = create_vm(r->kvm, true);
	/* Real mode on VMX without unrestricted guest needs it. */
	if (ioctl(r->vm, KVM_SET_TSS_ADDR, 0xfffbd000UL) < 0)
		fail("KVM_SET_TSS_ADDR: %s", strerror(errno));
	r->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->ram == MAP_FAILED)
		fail("mmap: %s", strerror(errno));
	memset(r->ram, 0xf4, RAM_SIZE);	/* hlt: a lost guest stops counting */
	memset(r->ram + LOOPS_GPA, 0, 4);
	r->ram[NQ_GPA] = LO(NQ_POISON);
	r->ram[NQ_GPA + 1] = HI(NQ_POISON);
	guest_code(r->ram, r->bar0, r->common, r->notify);
	mem.userspace_addr = (unsigned long)r->ram;
	if (ioctl(r->vm, KVM_SET_USER_MEMORY_REGION, &mem) < 0)
		fail("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));

	r->vcpu = ioctl(r->vm, KVM_CREATE_VCPU, 0);
	if (r->vcpu < 0)
		fail("KVM_CREATE_VCPU: %s", strerror(errno));
	size = ioctl(r->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(*r->run))
		fail("KVM_GET_VCPU_MMAP_SIZE: %d", size);
	r->run_size = size;
	r->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      r->vcpu, 0);
	if (r->run == MAP_FAILED)
		fail("mmap of kvm_run: %s", strerror(errno));
	if (ioctl(r->vcpu, KVM_GET_SREGS, &sregs) < 0)
		fail("KVM_GET_SREGS: %s", strerror(errno));
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(r->vcpu, KVM_SET_SREGS, &sregs) < 0)
		fail("KVM_SET_SREGS: %s", strerror(errno));
	if (ioctl(r->vcpu, KVM_SET_REGS, &regs) < 0)
		fail("KVM_SET_REGS: %s", strerror(errno));
}

static void rig_close_vm(struct rig *r)
{
	munmap(r->run, r->run_size);
	close(r->vcpu);
	close(r->vm);
	close(r->kvm);
}

/* Enough to judge: direct counts seen, or an access that left KVM. */
static bool direct_seen(const struct rig *r, const struct counts *base)
{
	struct kvirtio_stats st;
	struct counts c;

	snap(r, &c, base);
	if (c.mmio_bar0 || c.mmio_notify || c.mmio_other)
		return true;
	get_stats(&r->d, &st);
	return c.loops > 2 && st.direct_accesses && st.direct_kicks;
}

static bool exits_seen(const struct rig *r, const struct counts *base)
{
	struct counts c;

	snap(r, &c, base);
	return c.loops > 2 && c.mmio_bar0 && c.mmio_notify;
}

/* Let the guest run at least @min_ms, then until @ready or 20 s. */
static void let_run(const struct rig *r, unsigned int min_ms,
		    bool (*ready)(const struct rig *, const struct counts *),
		    const struct counts *base)
{
	unsigned int t;

	sleep_ms(min_ms);
	for (t = min_ms; t < 20000 && !ready(r, base); t += 50) {
		vcpu_check(r);
		sleep_ms(50);
	}
	vcpu_check(r);
}

/* Attached: the guest's BAR0 reads and kicks never exit to us. */
static void direct_phase(struct rig *r, struct kvirtio_stats *st,
			 struct counts *c)
{
	unsigned int status;
	__u16 nq;
	int ret;

	ret = attach(&r->d, r->vm, r->bar0, r->nbar);
	if (ret == -EOPNOTSUPP)
		fail("attach: EOPNOTSUPP: this KVM lacks the exports (stock kvm.ko?)");
	if (ret)
		fail("attach BAR0 0x%llx, notify BAR 0x%llx: %s", r->bar0,
		     r->nbar, ename(-ret));
	say("BAR0 at 0x%llx, queue 0 notify at 0x%llx", r->bar0, r->notify);

	stage = "run: direct";
	vcpu_start(r);
	let_run(r, 500, direct_seen, NULL);
	get_stats(&r->d, st);
	snap(r, c, NULL);
	nq = guest_nq(r);
	status = __atomic_load_n(r->ram + STATUS_GPA, __ATOMIC_RELAXED);
	say("direct: %lu loops; stats: direct_accesses %llu, direct_kicks %llu, kicks %llu",
	    c->loops, st->direct_accesses, st->direct_kicks, st->kicks);
	say_exits(r, c);
	if (!c->loops)
		fail("the guest made no progress in direct mode");
	if (c->mmio_bar0 || c->mmio_notify || c->mmio_other)
		fail("%lu BAR0, %lu notify, %lu other MMIO exits while attached",
		     c->mmio_bar0, c->mmio_notify, c->mmio_other);
	if (!st->direct_accesses || !st->direct_kicks)
		fail("direct_accesses %llu, direct_kicks %llu after %lu loops",
		     st->direct_accesses, st->direct_kicks, c->loops);
	if (st->kicks < st->direct_kicks)
		fail("kicks %llu < direct_kicks %llu", st->kicks,
		     st->direct_kicks);
	if (nq != r->d.info.num_queues)
		fail("the guest read num_queues 0x%x, not %u", nq,
		     r->d.info.num_queues);
	if (status)
		fail("the guest read device_status 0x%x of a fresh device",
		     status);
}

/* The device fd closed under the running vCPU: its accesses exit now. */
static void close_device_first(struct rig *r)
{
	struct kvirtio_stats st;
	struct counts c0, c;
	__u16 nq;

	direct_phase(r, &st, &c0);
	stage = "run: device closed under the vCPU";
	snap(r, &c0, NULL);
	close(r->d.fd);
	let_run(r, 500, exits_seen, &c0);
	snap(r, &c, &c0);
	vcpu_stop(r);
	say("after close: %lu loops", c.loops);
	say_exits(r, &c);
	if (!c.loops)
		fail("the guest stopped when the device was closed");
	if (!c.mmio_bar0 || !c.mmio_notify)
		fail("%lu BAR0, %lu notify MMIO exits after close: still on KVM's bus?",
		     c.mmio_bar0, c.mmio_notify);
	if (c.mmio_other)
		fail("%lu MMIO exits outside the BARs", c.mmio_other);
	nq = guest_nq(r);
	if (nq != 0xffff)
		fail("the guest read num_queues 0x%x after close, not 0xffff",
		     nq);
	printf("KVDIRECT OK run: attached: %lu loops, %llu direct accesses, %llu direct kicks, ",
	       c0.loops, st.direct_accesses, st.direct_kicks);
	printf("0 MMIO exits, %lu others; device fd closed under the vCPU: ",
	       c0.other + c0.intr);
	printf("%lu loops, %lu BAR0 + %lu notify MMIO exits, %lu others\n",
	       c.loops, c.mmio_bar0, c.mmio_notify, c.other + c.intr);
	rig_close_vm(r);
}

/* The vCPU and VM fds closed first; the device holds the VM, closed last. */
static void close_vm_first(struct rig *r)
{
	struct kvirtio_stats st, st2;
	struct counts c;
	__u16 nq = 0;
	off_t pos;

	direct_phase(r, &st, &c);
	stage = "run: VM closed first";
	vcpu_stop(r);
	rig_close_vm(r);
	get_stats(&r->d, &st);
	sleep_ms(100);
	get_stats(&r->d, &st2);
	if (st2.direct_accesses != st.direct_accesses ||
	    st2.direct_kicks != st.direct_kicks)
		fail("direct counters moved with no vCPU");
	/* The device still answers its VMM. */
	pos = KVIRTIO_REGION_OFFSET(KVIRTIO_REGION_BAR0) + r->common +
	      COMMON_NUM_QUEUES;
	if (pread(r->d.fd, &nq, 2, pos) != 2 || nq != r->d.info.num_queues)
		fail("BAR0 num_queues after the VM was closed: 0x%x (%s)", nq,
		     strerror(errno));
	stage = "run: device closed last";
	close(r->d.fd);
	printf("KVDIRECT OK run vmfirst: attached: %lu loops, %llu direct accesses, ",
	       c.loops, st.direct_accesses);
	printf("%llu direct kicks, 0 MMIO exits; vCPU, VM, then device closed\n",
	       st.direct_kicks);
}

static void run(bool vm_first)
{
	struct rig r = { 0 };

	stage = "run: setup";
	rig_device(&r);
	rig_vm(&r);
	if (vm_first)
		close_vm_first(&r);
	else
		close_device_first(&r);
	munmap(r.ram, RAM_SIZE);
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr,
			"usage: kvdirect stock | errors | run [vmfirst]\n");
		return 2;
	}
	cmd = argv[1];
	signal(SIGALRM, watchdog);
	alarm(TIMEOUT_S);
	if (!strcmp(cmd, "stock") && argc == 2) {
		stock();
	} else if (!strcmp(cmd, "errors") && argc == 2) {
		errors();
	} else if (!strcmp(cmd, "run") && argc == 2) {
		run(false);
	} else if (!strcmp(cmd, "run") && !strcmp(argv[2], "vmfirst")) {
		cmd = "run vmfirst";
		run(true);
	} else {
		fail("unknown command");
	}
	return 0;
}
