// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio reference VMM: command line, VM assembly and lifecycle.
 *
 *   vmm --kernel bzImage [--initrd FILE] [--cmdline STR] [--cpus N]
 *       [--mem MB] [--rng backend=user|kernel]
 *       [--blk FILE[,ro][,backend=user|kernel][,queues=N]]
 *       [--net tap=NAME[,backend=user|kernel][,queues=N][,mac=M]]
 *       [--vdpa /dev/vhost-vdpa-N[,queues=N][,queue_size=N]] [--stats]
 *
 * See Documentation/vmm.rst.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm.h"

#define DEFAULT_CMDLINE	"console=ttyS0 reboot=k panic=-1"
#define MEM_MIN_MB	32
#define MEM_MAX_MB	(64 * 1024)

static const char usage_text[] =
"usage: vmm --kernel BZIMAGE [options]\n"
"  --kernel FILE       Linux bzImage (64-bit boot protocol)\n"
"  --initrd FILE       initramfs\n"
"  --cmdline STR       kernel command line (default: \"" DEFAULT_CMDLINE "\")\n"
"  --cpus N            vCPUs, 1..32 (default 1)\n"
"  --mem MB            guest RAM in MiB, 32..65536 (default 512)\n"
"  --rng backend=user|kernel[,notify=pio|mmio][,KOPTS]\n"
"                      virtio-rng device\n"
"  --blk FILE[,ro][,direct][,backend=user|kernel][,queues=N][,notify=pio|mmio]\n"
"      [,KOPTS]        virtio-blk device on FILE; direct: open it O_DIRECT\n"
"                      (a block device then completes I/O asynchronously)\n"
"  --net tap=NAME[,backend=user|kernel][,queues=N][,mac=XX:XX:XX:XX:XX:XX]\n"
"      [,mtu=N][,offloads=on|off][,notify=pio|mmio][,KOPTS]\n"
"                      virtio-net device on tap NAME (attached to, or\n"
"                      created); queues: queue pairs, 1..7 (default: one\n"
"                      per vCPU, at most 7); mac: default derived from\n"
"                      NAME; mtu: offer VIRTIO_NET_F_MTU, 68..65535;\n"
"                      offloads=off: no checksum, TSO or ECN offloads.\n"
"                      SIGUSR1 toggles the link of every net device\n"
"      notify=pio      the device offers a port I/O notify area first: the\n"
"                      guest kicks with an OUT, which KVM serves without\n"
"                      decoding an instruction (default)\n"
"      notify=mmio     memory-mapped notify only\n"
"      KOPTS (backend=kernel): poll=US (busy poll 0..10000 us),\n"
"                      workers=queue|device (one worker per queue or device),\n"
"                      inline=on|off (serve a kick in the kicking vCPU's\n"
"                      thread before it re-enters the guest; default: the\n"
"                      module's inline_kicks, on)\n"
"                      kvmbus=on|off (direct mode: the device serves BAR0\n"
"                      and its notify areas on KVM's buses, no exit to\n"
"                      the VMM; needs a KVM with patches/kvm, else falls\n"
"                      back to forwarding; default off)\n"
"  --vdpa /dev/vhost-vdpa-N[,queues=N][,queue_size=N][,notify=pio|mmio]\n"
"                      a virtio-pci function on a vhost-vdpa device, of the\n"
"                      device's type; the queues run in the device, which\n"
"                      maps all guest RAM (pinned: RLIMIT_MEMLOCK must allow\n"
"                      it; the VMM raises it where it may); queues: offer\n"
"                      the first N of its queues (default all); queue_size:\n"
"                      largest queue size offered, a power of two (default:\n"
"                      the device's)\n"
"  --stats             print exit and device counters at exit\n"
"  --help              this text\n"
"The guest stops the VM by rebooting (reboot=k, i8042 or 0xcf9 reset,\n"
"triple fault: exit status 0) or by writing a byte to port 0x501 (exit\n"
"status = that byte).\n";

static struct vmm the_vmm;

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("vmm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\n(try --help)\n", stderr);
	va_end(ap);
	exit(2);
}

static unsigned long parse_num(const char *opt, const char *s,
			       unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		usage_error("%s: '%s' is not a number in %lu..%lu", opt, s,
			    min, max);
	return v;
}

/*
 * Options every device takes: backend=, and for backend=kernel the
 * worker tuning of KVIRTIO_DEVICE_SET_OPTIONS.  Return false when @tok is
 * none of them.
 */
static bool parse_common(const char *opt, struct vmm_dev_spec *s, char *tok);

/* "backend=user|kernel" */
static bool parse_backend(const char *opt, const char *val)
{
	if (!strcmp(val, "user"))
		return false;
	if (!strcmp(val, "kernel"))
		return true;
	usage_error("%s: backend must be user or kernel, not '%s'", opt, val);
}

static struct vmm_dev_spec *new_spec(struct vmm *vmm, const char *type)
{
	struct vmm_dev_spec *s;

	if (vmm->nspecs >= VMM_MAX_DEVS)
		usage_error("at most %d devices", VMM_MAX_DEVS);
	s = &vmm->specs[vmm->nspecs++];
	memset(s, 0, sizeof(*s));
	s->type = type;
	s->queues = 1;
	s->poll_us = -1;
	s->worker_per_queue = -1;
	s->inline_kicks = -1;
	s->pio_notify = true;
	return s;
}

static bool parse_common(const char *opt, struct vmm_dev_spec *s, char *tok)
{
	if (!strncmp(tok, "backend=", 8))
		s->kernel = parse_backend(opt, tok + 8);
	else if (!strncmp(tok, "poll=", 5))
		s->poll_us = parse_num("poll (microseconds)", tok + 5, 0, 10000);
	else if (!strcmp(tok, "workers=queue"))
		s->worker_per_queue = 1;
	else if (!strcmp(tok, "workers=device"))
		s->worker_per_queue = 0;
	else if (!strcmp(tok, "inline=on"))
		s->inline_kicks = 1;
	else if (!strcmp(tok, "inline=off"))
		s->inline_kicks = 0;
	else if (!strcmp(tok, "notify=pio"))
		s->pio_notify = true;
	else if (!strcmp(tok, "notify=mmio"))
		s->pio_notify = false;
	else if (!strcmp(tok, "kvmbus=on"))
		s->kvm_bus = true;
	else if (!strcmp(tok, "kvmbus=off"))
		s->kvm_bus = false;
	else
		return false;
	return true;
}

/* Worker tuning is a property of kvirtio.ko's workers. */
static void check_kernel_only(const char *opt, const struct vmm_dev_spec *s)
{
	if (!s->kernel && (s->poll_us >= 0 || s->worker_per_queue >= 0 ||
			   s->inline_kicks >= 0 || s->kvm_bus))
		usage_error("%s: poll=, workers=, inline= and kvmbus= need backend=kernel",
			    opt);
}

static void parse_rng(struct vmm *vmm, char *arg)
{
	struct vmm_dev_spec *s = new_spec(vmm, "rng");
	char *tok, *save = NULL;

	for (tok = strtok_r(arg, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!parse_common("--rng", s, tok))
			usage_error("--rng: unknown option '%s'", tok);
	}
	check_kernel_only("--rng", s);
}

static void parse_blk(struct vmm *vmm, char *arg)
{
	struct vmm_dev_spec *s = new_spec(vmm, "blk");
	char *tok, *save = NULL;

	tok = strtok_r(arg, ",", &save);
	if (!tok || strchr(tok, '='))
		usage_error("--blk: the first item must be the file name");
	s->path = tok;
	while ((tok = strtok_r(NULL, ",", &save))) {
		if (!strcmp(tok, "ro"))
			s->ro = true;
		else if (!strcmp(tok, "direct"))
			s->direct = true;
		else if (parse_common("--blk", s, tok))
			continue;
		else if (!strncmp(tok, "queues=", 7))
			s->queues = parse_num("--blk queues", tok + 7, 1, 16);
		else
			usage_error("--blk: unknown option '%s'", tok);
	}
	check_kernel_only("--blk", s);
	if (access(s->path, s->ro ? R_OK : R_OK | W_OK))
		usage_error("--blk: cannot %s '%s': %s",
			    s->ro ? "read" : "read and write", s->path,
			    strerror(errno));
}

/* A name TUNSETIFF takes as it is: no "%d" template, no path. */
static bool tap_name_ok(const char *name)
{
	size_t len = strlen(name);
	const char *p;

	if (!len || len >= IFNAMSIZ || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return false;
	for (p = name; *p; p++) {
		if (*p == '/' || *p == ':' || *p == '%' ||
		    !isgraph((unsigned char)*p))
			return false;
	}
	return true;
}

static void check_tap_name(const char *name)
{
	if (tap_name_ok(name))
		return;
	usage_error("--net: tap='%s': not an interface name (1..%d chars, no '/:%%' or blanks)",
		    name, IFNAMSIZ - 1);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "XX:XX:XX:XX:XX:XX", a unicast address other than all zeroes. */
static void parse_mac(const char *val, uint8_t mac[6])
{
	unsigned int i;
	int hi, lo;

	if (strlen(val) != 17)
		goto bad;
	for (i = 0; i < 6; i++) {
		const char *p = val + 3 * i;

		hi = hex_digit(p[0]);
		lo = hex_digit(p[1]);
		if (hi < 0 || lo < 0 || (i < 5 && p[2] != ':'))
			goto bad;
		mac[i] = hi << 4 | lo;
	}
	if (mac[0] & 1)
		usage_error("--net: mac=%s is a multicast address", val);
	if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		usage_error("--net: mac=%s is all zeroes", val);
	return;
bad:
	usage_error("--net: mac must be XX:XX:XX:XX:XX:XX (hex), not '%s'", val);
}

static void parse_net(struct vmm *vmm, char *arg)
{
	struct vmm_dev_spec *s = new_spec(vmm, "net");
	char *tok, *save = NULL;
	unsigned int i;

	s->queues = 0;	/* one pair per vCPU, once --cpus is known */
	for (tok = strtok_r(arg, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strncmp(tok, "tap=", 4)) {
			check_tap_name(tok + 4);
			s->tap = tok + 4;
		} else if (parse_common("--net", s, tok)) {
			continue;
		} else if (!strncmp(tok, "queues=", 7)) {
			s->queues = parse_num("--net queues", tok + 7, 1,
					      VMM_NET_PAIRS_MAX);
		} else if (!strncmp(tok, "mac=", 4)) {
			parse_mac(tok + 4, s->mac);
			s->mac_set = true;
		} else if (!strncmp(tok, "mtu=", 4)) {
			s->mtu = parse_num("--net mtu", tok + 4, 68, 65535);
		} else if (!strncmp(tok, "offloads=", 9)) {
			if (strcmp(tok + 9, "on") && strcmp(tok + 9, "off"))
				usage_error("--net: offloads must be on or off, not '%s'",
					    tok + 9);
			s->offloads_off = !strcmp(tok + 9, "off");
		} else {
			usage_error("--net: unknown option '%s'", tok);
		}
	}
	check_kernel_only("--net", s);
	if (!s->tap)
		usage_error("--net: tap=NAME is required");
	/* Two devices would fight over one tap's queues. */
	for (i = 0; i + 1 < vmm->nspecs; i++) {
		if (vmm->specs[i].tap && !strcmp(vmm->specs[i].tap, s->tap))
			usage_error("--net: tap '%s' is given twice", s->tap);
	}
}

/* "/dev/vhost-vdpa-N[,queues=N][,queue_size=N][,notify=pio|mmio]" */
static void parse_vdpa(struct vmm *vmm, char *arg)
{
	struct vmm_dev_spec *s = new_spec(vmm, "vdpa");
	char *tok, *save = NULL;

	s->queues = 0;	/* all the device has */
	tok = strtok_r(arg, ",", &save);
	if (!tok || strchr(tok, '='))
		usage_error("--vdpa: the first item must be the device (/dev/vhost-vdpa-N)");
	s->path = tok;
	while ((tok = strtok_r(NULL, ",", &save))) {
		if (!strncmp(tok, "queues=", 7)) {
			s->queues = parse_num("--vdpa queues", tok + 7, 1, 1024);
		} else if (!strncmp(tok, "queue_size=", 11)) {
			s->queue_size = parse_num("--vdpa queue_size", tok + 11,
						  1, 32768);
			if (s->queue_size & (s->queue_size - 1))
				usage_error("--vdpa: queue_size=%u is not a power of two",
					    s->queue_size);
		} else if (!strcmp(tok, "notify=pio")) {
			s->pio_notify = true;
		} else if (!strcmp(tok, "notify=mmio")) {
			s->pio_notify = false;
		} else {
			usage_error("--vdpa: unknown option '%s'", tok);
		}
	}
	if (access(s->path, R_OK | W_OK))
		usage_error("--vdpa: cannot open '%s' for reading and writing: %s",
			    s->path, strerror(errno));
}

static void parse_args(struct vmm *vmm, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "cpus", required_argument, NULL, 'n' },
		{ "mem", required_argument, NULL, 'm' },
		{ "rng", required_argument, NULL, 'r' },
		{ "blk", required_argument, NULL, 'b' },
		{ "net", required_argument, NULL, 'N' },
		{ "vdpa", required_argument, NULL, 'V' },
		{ "stats", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int c;

	vmm->ncpus = 1;
	vmm->mem_size = 512ULL << 20;
	vmm->cmdline = DEFAULT_CMDLINE;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			vmm->kernel = optarg;
			break;
		case 'i':
			vmm->initrd = optarg;
			break;
		case 'c':
			vmm->cmdline = optarg;
			break;
		case 'n':
			vmm->ncpus = parse_num("--cpus", optarg, 1,
					       VMM_MAX_CPUS);
			break;
		case 'm':
			vmm->mem_size = (uint64_t)parse_num("--mem", optarg,
							    MEM_MIN_MB,
							    MEM_MAX_MB) << 20;
			break;
		case 'r':
			parse_rng(vmm, optarg);
			break;
		case 'b':
			parse_blk(vmm, optarg);
			break;
		case 'N':
			parse_net(vmm, optarg);
			break;
		case 'V':
			parse_vdpa(vmm, optarg);
			break;
		case 's':
			vmm->stats_on = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case ':':
			usage_error("option '%s' needs a value",
				    argv[optind - 1]);
		default:
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (!vmm->kernel)
		usage_error("--kernel is required");
}

static int kvm_init(struct vmm *vmm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	int ret;

	vmm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vmm->kvm_fd < 0) {
		fprintf(stderr, "vmm: cannot open /dev/kvm: %s\n",
			strerror(errno));
		return -errno;
	}
	ret = ioctl(vmm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (ret != KVM_API_VERSION) {
		fprintf(stderr, "vmm: KVM API version %d, want %d\n", ret,
			KVM_API_VERSION);
		return -EINVAL;
	}
	if (ioctl(vmm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD) <= 0 ||
	    ioctl(vmm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD) <= 0 ||
	    ioctl(vmm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING) <= 0 ||
	    ioctl(vmm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0) {
		fprintf(stderr, "vmm: KVM lacks irqfd, ioeventfd, IRQ routing or immediate_exit\n");
		return -EINVAL;
	}
	vmm->run_size = ioctl(vmm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	vmm->vm_fd = ioctl(vmm->kvm_fd, KVM_CREATE_VM, 0);
	if (vmm->run_size <= 0 || vmm->vm_fd < 0) {
		fprintf(stderr, "vmm: KVM_CREATE_VM: %s\n", strerror(errno));
		return -errno;
	}
	/* Needed on Intel only; harmless elsewhere. */
	ioctl(vmm->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000UL);
	if (ioctl(vmm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0 ||
	    ioctl(vmm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		fprintf(stderr, "vmm: in-kernel irqchip/PIT: %s\n",
			strerror(errno));
		return -errno;
	}
	return 0;
}

static int create_devices(struct vmm *vmm)
{
	unsigned int i;
	int ret;

	for (i = 0; i < vmm->nspecs; i++) {
		const struct vmm_dev_spec *s = &vmm->specs[i];
		struct vmm_dev *d;

		if (!strcmp(s->type, "vdpa")) {
			/* vdpa.c has said what failed. */
			ret = vmm_dev_vdpa_create(vmm, s, &d);
			if (ret)
				return ret;
		} else if (s->kernel) {
			ret = vmm_dev_kernel_create(vmm, s, &d);
		} else {
			ret = vmm_dev_user_create(vmm, s, &d);
		}
		if (ret) {
			fprintf(stderr, "vmm: cannot create %s device (backend=%s): %s\n",
				s->type, s->kernel ? "kernel" : "user",
				strerror(-ret));
			return ret;
		}
		ret = vmm_pci_add(vmm, d);
		if (ret) {
			fprintf(stderr, "vmm: no room on the PCI bus for %s\n",
				s->type);
			return ret;
		}
	}
	return 0;
}

/*
 * SIGUSR1: every net device's link goes down if it is up, up if it is
 * down (the guest gets a config interrupt).  Only while the devices exist:
 * main() clears links_live under link_lock before it destroys them.
 */
static void toggle_links(struct vmm *vmm)
{
	unsigned int i;
	int up;

	pthread_mutex_lock(&vmm->link_lock);
	for (i = 0; vmm->links_live && i < vmm->ndevs; i++) {
		struct vmm_dev *d = vmm->devs[i];

		if (!d->ops->toggle_link)
			continue;
		up = d->ops->toggle_link(d);
		if (up == -EOPNOTSUPP)
			continue;
		if (up < 0)
			fprintf(stderr, "vmm: %02x.0 %s: setting the link: %s\n",
				d->slot, d->name, strerror(-up));
		else
			fprintf(stderr, "vmm: %02x.0 %s: link %s\n", d->slot,
				d->name, up ? "up" : "down");
	}
	pthread_mutex_unlock(&vmm->link_lock);
}

/*
 * SIGINT, SIGTERM and SIGHUP stop the VM like a guest reboot would (vCPUs
 * stopped, --stats printed, devices destroyed), with status 128 + signal;
 * SIGUSR1 toggles net links.  They are blocked in every thread and taken
 * here with sigwait().
 */
static void *signal_thread(void *arg)
{
	sigset_t *set = arg;
	int sig;

	while (!sigwait(set, &sig)) {
		if (sig == SIGUSR1) {
			toggle_links(&the_vmm);
			continue;
		}
		vmm_request_stop(&the_vmm, 128 + sig, strsignal(sig));
		break;
	}
	return NULL;
}

static int catch_signals(void)
{
	static sigset_t set;
	pthread_t t;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) ||
	    pthread_create(&t, NULL, signal_thread, &set))
		return -1;
	pthread_detach(t);
	return 0;
}

/*
 * A write past RLIMIT_FSIZE fails with EFBIG and raises SIGXFSZ in the
 * writing thread, whose default action kills the whole process.  The blk
 * backend (backend=user) writes from a thread of ours.  Ignored, the
 * signal leaves only the EFBIG, which the device turns into
 * VIRTIO_BLK_S_IOERR: a guest must not be able to kill its VMM by writing
 * past the VMM's file size limit.  kvirtio.ko's workers get the same
 * EFBIG under our limit, but their SIGXFSZ stays with the worker (a
 * vhost_task blocks all but SIGKILL and SIGSTOP; a kthread ignores it).
 */
static int ignore_sigxfsz(void)
{
	struct sigaction sa = { .sa_handler = SIG_IGN };

	sigemptyset(&sa.sa_mask);
	return sigaction(SIGXFSZ, &sa, NULL);
}

static void print_stats(struct vmm *vmm)
{
	static const char * const exit_names[VMM_EXIT_KINDS + 1] = {
		"io", "mmio", "shutdown", "hlt", "intr", "system_event",
		"other", "total",
	};
	static const char * const io_names[] = {
		"uart", "rtc", "pci_cfg", "other", "mmio_unclaimed", "uart_irqs",
	};
	unsigned long long v[VMM_EXIT_KINDS + 1] = { 0 };
	unsigned long long io[ARRAY_SIZE(io_names)];
	char what[32];
	unsigned int i;

	for (i = 0; i < VMM_EXIT_KINDS; i++) {
		v[i] = atomic_load(&vmm->stats.exits[i]);
		v[VMM_EXIT_KINDS] += v[i];
	}
	vmm_print_counters("exits", exit_names, v, VMM_EXIT_KINDS + 1);
	io[0] = atomic_load(&vmm->stats.io_uart);
	io[1] = atomic_load(&vmm->stats.io_rtc);
	io[2] = atomic_load(&vmm->stats.io_pci);
	io[3] = atomic_load(&vmm->stats.io_other);
	io[4] = atomic_load(&vmm->stats.mmio_unclaimed);
	io[5] = atomic_load(&vmm->stats.uart_irqs);
	vmm_print_counters("io", io_names, io, ARRAY_SIZE(io_names));
	for (i = 0; i < 65536; i++) {
		static const char * const count[] = { "count" };
		unsigned long long n = atomic_load(&vmm->stats.io_port[i]);

		if (!n)
			continue;
		snprintf(what, sizeof(what), "unclaimed_port %#06x", i);
		vmm_print_counters(what, count, &n, 1);
	}
	vmm_pci_print_stats(vmm);
}

int main(int argc, char **argv)
{
	struct vmm *vmm = &the_vmm;
	uint64_t entry;
	int ret;

	pthread_mutex_init(&vmm->stop_lock, NULL);
	pthread_cond_init(&vmm->stop_cond, NULL);
	pthread_mutex_init(&vmm->link_lock, NULL);
	parse_args(vmm, argc, argv);

	if (ignore_sigxfsz() || catch_signals() || kvm_init(vmm) ||
	    vmm_mem_init(vmm))
		return 1;
	if (vmm_boot_load(vmm, &entry) || vmm_mptable_build(vmm))
		return 1;
	vmm_uart_init(vmm);
	vmm_pci_init(vmm);
	if (create_devices(vmm) || vmm_pci_start(vmm))
		return 1;
	pthread_mutex_lock(&vmm->link_lock);
	vmm->links_live = true;
	pthread_mutex_unlock(&vmm->link_lock);
	if (vmm_cpus_create(vmm))
		return 1;
	ret = vmm_boot_regs(vmm, &vmm->cpus[0], entry);
	if (ret) {
		fprintf(stderr, "vmm: setting boot registers: %s\n",
			strerror(-ret));
		return 1;
	}
	if (vmm_cpus_start(vmm))
		return 1;

	pthread_mutex_lock(&vmm->stop_lock);
	while (!atomic_load(&vmm->stopping))
		pthread_cond_wait(&vmm->stop_cond, &vmm->stop_lock);
	pthread_mutex_unlock(&vmm->stop_lock);

	vmm_cpus_stop(vmm);
	if (vmm->stats_on)
		print_stats(vmm);
	pthread_mutex_lock(&vmm->link_lock);
	vmm->links_live = false;
	pthread_mutex_unlock(&vmm->link_lock);
	vmm_pci_stop(vmm);
	return vmm->exit_status;
}
