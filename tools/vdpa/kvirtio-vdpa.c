// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvirtio-vdpa: record kvirtio devices for the vDPA bus (/dev/kvirtio-vdpa
 * of kvirtio_vdpa.ko), forget them, list them.
 *
 *   kvirtio-vdpa add NAME blk FILE [ro] [direct] [flush] [queues=N] [serial=S]
 *   kvirtio-vdpa add NAME net TAP [queues=N] [mac=MAC] [mtu=N] [offloads=off]
 *   kvirtio-vdpa del NAME
 *   kvirtio-vdpa list
 *
 * "add" opens the file (or the tap's queues) and hands it to the module,
 * which keeps its own references: the device outlives this command.
 * "vdpa dev add name NAME mgmtdev kvirtio" then puts it on the vDPA bus
 * (/dev/vhost-vdpa-N, or the host's own driver through virtio_vdpa), and
 * "vdpa dev del NAME" takes it off again before "kvirtio-vdpa del NAME".
 *
 * The argument parsing (kvv_parse()) does no I/O, so that the userspace
 * tests can run it (tools/vdpa/test_kvirtio_vdpa.c includes this file with
 * KVIRTIO_VDPA_NO_MAIN).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* O_DIRECT */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/kvirtio_vdpa.h>
#include <linux/virtio_net.h>

#define KVV_CTL_PATH	"/dev/kvirtio-vdpa"
#define KVV_TUN_PATH	"/dev/net/tun"
/* struct virtio_net_hdr_v1 with num_buffers, as the net device wants. */
#define KVV_VNET_HDR_LEN	12
#define KVV_ERR_LEN	160
#define KVV_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
/* The smallest MTU the net device offers (IPv4's minimum). */
#define KVV_MTU_MIN	68

enum kvv_op { KVV_ADD, KVV_DEL, KVV_LIST };

/**
 * struct kvv_cmd - one parsed command line
 * @op: what to do
 * @name: the device's name (add, del)
 * @type: KVIRTIO_DEV_BLK or KVIRTIO_DEV_NET (add)
 * @path: blk: the backing file; net: the tap's name
 * @ro: blk: read-only
 * @queues: blk: queues; net: queue pairs; 0 for the default (1)
 * @dev: the creation arguments, but the fds (filled when they are opened)
 */
struct kvv_cmd {
	enum kvv_op op;
	char name[KVIRTIO_VDPA_NAME_LEN];
	uint32_t type;
	const char *path;
	bool ro;
	bool direct;
	unsigned int queues;
	struct kvirtio_create_device dev;
};

static const char kvv_usage[] =
	"usage: kvirtio-vdpa add NAME blk FILE [ro] [direct] [flush] [queues=N] [serial=S]\n"
	"       kvirtio-vdpa add NAME net TAP [queues=N] [mac=MAC] [mtu=N] [offloads=off]\n"
	"       kvirtio-vdpa del NAME\n"
	"       kvirtio-vdpa list\n"
	"then: vdpa dev add name NAME mgmtdev " KVIRTIO_VDPA_MGMTDEV "\n";

static int kvv_fail(char *err, const char *msg, const char *what)
{
	snprintf(err, KVV_ERR_LEN, "%s%s%s%s", msg, what ? " '" : "",
		 what ? what : "", what ? "'" : "");
	return -1;
}

/* What the module accepts: 1..31 of [A-Za-z0-9_.-], not starting with '.'. */
static bool kvv_name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n >= KVIRTIO_VDPA_NAME_LEN || s[0] == '.')
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* A tap name TUNSETIFF takes as it is: no "%d" template, no path. */
static bool kvv_ifname_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n < IFNAMSIZ && strcmp(s, ".") && strcmp(s, "..") &&
	       !strpbrk(s, "/% \t\n:");
}

/* A decimal in [lo, hi], the whole string. */
static bool kvv_uint(const char *s, unsigned long lo, unsigned long hi,
		     unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !errno && !*end && *out >= lo && *out <= hi;
}

/* xx:xx:xx:xx:xx:xx, unicast and not all zero. */
static bool kvv_mac(const char *s, uint8_t mac[6])
{
	unsigned int i, v[6];
	char tail;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &tail) != 6)
		return false;
	for (i = 0; i < 6; i++) {
		if (s[3 * i + 2] != (i < 5 ? ':' : '\0'))
			return false;
		mac[i] = v[i];
	}
	return !(mac[0] & 1) && (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] |
				 mac[5]);
}

/* A locally administered unicast MAC hashed from the tap's name. */
static void kvv_default_mac(const char *tap, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned int i;

	for (; *tap; tap++) {
		h ^= (uint8_t)*tap;
		h *= 0x100000001b3ULL;
	}
	for (i = 0; i < 6; i++)
		mac[i] = h >> (8 * i);
	mac[0] = (mac[0] & ~0x01) | 0x02;
}

#define KVV_OFFLOADS	(1ULL << VIRTIO_NET_F_CSUM |			\
			 1ULL << VIRTIO_NET_F_GUEST_CSUM |		\
			 1ULL << VIRTIO_NET_F_HOST_TSO4 |		\
			 1ULL << VIRTIO_NET_F_HOST_TSO6 |		\
			 1ULL << VIRTIO_NET_F_HOST_ECN |		\
			 1ULL << VIRTIO_NET_F_GUEST_TSO4 |		\
			 1ULL << VIRTIO_NET_F_GUEST_TSO6 |		\
			 1ULL << VIRTIO_NET_F_GUEST_ECN)

/* Options of "add NAME blk FILE ...". */
static int kvv_parse_blk(char **opt, int n, struct kvv_cmd *c, char *err)
{
	struct kvirtio_blk_params *b = &c->dev.blk;
	bool seen_ro = false, seen_flush = false, seen_serial = false;
	bool seen_direct = false;
	unsigned long v;
	int i;

	b->fd = -1;
	for (i = 0; i < n; i++) {
		const char *o = opt[i];

		if (!strcmp(o, "ro") && !seen_ro) {
			seen_ro = true;
			c->ro = true;
			b->flags |= KVIRTIO_BLK_F_READ_ONLY;
		} else if (!strcmp(o, "direct") && !seen_direct) {
			/* O_DIRECT: the device's I/O bypasses the page cache. */
			seen_direct = true;
			c->direct = true;
		} else if (!strcmp(o, "flush") && !seen_flush) {
			seen_flush = true;
			b->flags |= KVIRTIO_BLK_F_FLUSH;
		} else if (!strncmp(o, "queues=", 7) && !c->queues) {
			if (!kvv_uint(o + 7, 1, KVIRTIO_MAX_QUEUES, &v))
				return kvv_fail(err, "blk: queues must be 1..16:", o);
			c->queues = v;
		} else if (!strncmp(o, "serial=", 7) && !seen_serial) {
			seen_serial = true;
			if (strlen(o + 7) > KVIRTIO_BLK_SERIAL_LEN)
				return kvv_fail(err, "blk: serial is 20 bytes at most:", o);
			memcpy(b->serial, o + 7, strlen(o + 7));
		} else {
			return kvv_fail(err, "blk: unknown or repeated option", o);
		}
	}
	c->dev.num_queues = c->queues ? c->queues : 1;
	return 0;
}

/* Options of "add NAME net TAP ...". */
static int kvv_parse_net(char **opt, int n, struct kvv_cmd *c, char *err)
{
	struct kvirtio_net_params *p = &c->dev.net;
	bool seen_mac = false, seen_off = false;
	unsigned long v;
	int i;

	if (!kvv_ifname_ok(c->path))
		return kvv_fail(err, "net: not a usable tap name:", c->path);
	for (i = 0; i < (int)KVV_ARRAY_SIZE(p->tap_fds); i++)
		p->tap_fds[i] = -1;
	for (i = 0; i < n; i++) {
		const char *o = opt[i];

		if (!strncmp(o, "queues=", 7) && !c->queues) {
			if (!kvv_uint(o + 7, 1, KVIRTIO_NET_PAIRS_MAX, &v))
				return kvv_fail(err, "net: queues (pairs) must be 1..7:", o);
			c->queues = v;
		} else if (!strncmp(o, "mac=", 4) && !seen_mac) {
			seen_mac = true;
			if (!kvv_mac(o + 4, p->mac))
				return kvv_fail(err, "net: mac is a unicast xx:xx:xx:xx:xx:xx:",
						o);
		} else if (!strncmp(o, "mtu=", 4) && !p->mtu) {
			if (!kvv_uint(o + 4, KVV_MTU_MIN, 65535, &v))
				return kvv_fail(err, "net: mtu must be 68..65535:", o);
			p->mtu = v;
		} else if (!strcmp(o, "offloads=off") && !seen_off) {
			seen_off = true;
			p->features_off |= KVV_OFFLOADS;
		} else {
			return kvv_fail(err, "net: unknown or repeated option", o);
		}
	}
	if (!seen_mac)
		kvv_default_mac(c->path, p->mac);
	p->num_pairs = c->queues ? c->queues : 1;
	return 0;
}

/**
 * kvv_parse() - the command line, checked, into @c
 * @argc: as main's
 * @argv: as main's
 * @c: the command (zeroed here)
 * @err: KVV_ERR_LEN bytes for a one-line reason on failure
 *
 * Return: 0, or -1 with @err set.
 */
static int kvv_parse(int argc, char **argv, struct kvv_cmd *c, char *err)
{
	memset(c, 0, sizeof(*c));
	c->dev.argsz = sizeof(c->dev);
	if (argc < 2)
		return kvv_fail(err, "no command", NULL);
	if (!strcmp(argv[1], "list")) {
		if (argc != 2)
			return kvv_fail(err, "list takes no arguments", NULL);
		c->op = KVV_LIST;
		return 0;
	}
	if (!strcmp(argv[1], "del")) {
		if (argc != 3)
			return kvv_fail(err, "del takes one NAME", NULL);
		c->op = KVV_DEL;
	} else if (!strcmp(argv[1], "add")) {
		if (argc < 5)
			return kvv_fail(err, "add needs NAME, a type and a FILE or TAP", NULL);
		c->op = KVV_ADD;
	} else {
		return kvv_fail(err, "unknown command", argv[1]);
	}
	if (!kvv_name_ok(argv[2]))
		return kvv_fail(err, "a NAME is 1..31 of A-Z a-z 0-9 _ . - (no leading '.'):",
				argv[2]);
	snprintf(c->name, sizeof(c->name), "%s", argv[2]);
	if (c->op == KVV_DEL)
		return 0;

	c->path = argv[4];
	if (!*c->path)
		return kvv_fail(err, "empty FILE or TAP", NULL);
	if (!strcmp(argv[3], "blk")) {
		c->type = KVIRTIO_DEV_BLK;
		c->dev.type = c->type;
		return kvv_parse_blk(argv + 5, argc - 5, c, err);
	}
	if (!strcmp(argv[3], "net")) {
		c->type = KVIRTIO_DEV_NET;
		c->dev.type = c->type;
		return kvv_parse_net(argv + 5, argc - 5, c, err);
	}
	return kvv_fail(err, "the type is blk or net, not", argv[3]);
}

#ifndef KVIRTIO_VDPA_NO_MAIN

/* Why the module refused, in the user's terms. */
static const char *kvv_hint(int cmd, int err)
{
	switch (err) {
	case ENOENT:
		return cmd == KVIRTIO_VDPA_DESTROY ?
		       " (no device of that name: see kvirtio-vdpa list)" : "";
	case EEXIST:
		return " (a device of that name exists: kvirtio-vdpa list)";
	case EBUSY:
		return " (it is on the vDPA bus: run 'vdpa dev del NAME' first)";
	case EPERM:
		return " (needs CAP_SYS_ADMIN, and CAP_NET_ADMIN for net)";
	case EBADF:
		return " (the file is not open for what the device needs: ro?)";
	case ENOSPC:
		return " (too many devices recorded)";
	case EINVAL:
		return " (an argument the module refused: see dmesg)";
	default:
		return "";
	}
}

static int kvv_ctl_open(void)
{
	int fd = open(KVV_CTL_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fprintf(stderr, "kvirtio-vdpa: %s: %s%s\n", KVV_CTL_PATH,
			strerror(errno), errno == ENOENT ?
			" (modprobe kvirtio_vdpa first)" : "");
	return fd;
}

/* Open @n queues of tap @name as the net device wants them; -1 on error. */
static int kvv_tap_open(const char *name, unsigned int n, int32_t *fds)
{
	int hdr = KVV_VNET_HDR_LEN, le = 1;
	const char *step = "open " KVV_TUN_PATH;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct ifreq ifr;

		fds[i] = open(KVV_TUN_PATH, O_RDWR | O_CLOEXEC);
		if (fds[i] < 0)
			goto fail;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
		if (n > 1)
			ifr.ifr_flags |= IFF_MULTI_QUEUE;
		step = "TUNSETIFF";
		if (ioctl(fds[i], TUNSETIFF, &ifr))
			goto fail;
		step = "TUNSETVNETHDRSZ";
		if (ioctl(fds[i], TUNSETVNETHDRSZ, &hdr))
			goto fail;
		if (ioctl(fds[i], TUNSETVNETLE, &le) && errno != EINVAL &&
		    errno != ENOTTY) {
			step = "TUNSETVNETLE";
			goto fail;
		}
		step = "open " KVV_TUN_PATH;
	}
	/* The device turns on the offloads its driver accepts. */
	step = "TUNSETOFFLOAD";
	if (ioctl(fds[0], TUNSETOFFLOAD, 0))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "kvirtio-vdpa: tap '%s' queue %u: %s: %s\n", name, i,
		step, strerror(errno));
	return -1;
}

static int kvv_add(int ctl, struct kvv_cmd *c)
{
	struct kvirtio_vdpa_create a;
	unsigned int i, n = 0;
	int32_t *fds;
	int ret;

	memset(&a, 0, sizeof(a));
	a.argsz = sizeof(a);
	memcpy(a.name, c->name, sizeof(a.name));
	if (c->type == KVIRTIO_DEV_BLK) {
		fds = &c->dev.blk.fd;
		fds[0] = open(c->path, (c->ro ? O_RDONLY : O_RDWR) |
			      (c->direct ? O_DIRECT : 0) | O_CLOEXEC);
		if (fds[0] < 0) {
			fprintf(stderr, "kvirtio-vdpa: %s: %s\n", c->path,
				strerror(errno));
			return 1;
		}
		n = 1;
	} else {
		fds = c->dev.net.tap_fds;
		n = c->dev.net.num_pairs;
		if (kvv_tap_open(c->path, n, fds)) {
			ret = 1;
			goto out;
		}
	}
	a.dev = c->dev;
	ret = ioctl(ctl, KVIRTIO_VDPA_CREATE, &a);
	if (ret)
		fprintf(stderr, "kvirtio-vdpa: add %s: %s%s\n", c->name,
			strerror(errno), kvv_hint(KVIRTIO_VDPA_CREATE, errno));
	else
		printf("%s: recorded; now: vdpa dev add name %s mgmtdev %s\n",
		       c->name, c->name, KVIRTIO_VDPA_MGMTDEV);
	ret = ret ? 1 : 0;
out:
	/* The module holds its own references. */
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return ret;
}

static int kvv_del(int ctl, const struct kvv_cmd *c)
{
	struct kvirtio_vdpa_destroy a;

	memset(&a, 0, sizeof(a));
	a.argsz = sizeof(a);
	memcpy(a.name, c->name, sizeof(a.name));
	if (ioctl(ctl, KVIRTIO_VDPA_DESTROY, &a)) {
		fprintf(stderr, "kvirtio-vdpa: del %s: %s%s\n", c->name,
			strerror(errno), kvv_hint(KVIRTIO_VDPA_DESTROY, errno));
		return 1;
	}
	return 0;
}

static int kvv_list(int ctl)
{
	struct {
		struct kvirtio_vdpa_list hdr;
		struct kvirtio_vdpa_entry e[KVIRTIO_VDPA_MAX_DEVICES];
	} l;
	unsigned int i;

	memset(&l, 0, sizeof(l));
	l.hdr.argsz = sizeof(l);
	l.hdr.count = KVIRTIO_VDPA_MAX_DEVICES;
	if (ioctl(ctl, KVIRTIO_VDPA_LIST, &l)) {
		fprintf(stderr, "kvirtio-vdpa: list: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < l.hdr.count && i < KVIRTIO_VDPA_MAX_DEVICES; i++) {
		const struct kvirtio_vdpa_entry *e = &l.e[i];

		printf("%.*s %s %s\n", KVIRTIO_VDPA_NAME_LEN, e->name,
		       e->type == KVIRTIO_DEV_BLK ? "blk" :
		       e->type == KVIRTIO_DEV_NET ? "net" : "?",
		       e->flags & KVIRTIO_VDPA_ENTRY_F_BOUND ? "bound" :
		       "unbound");
	}
	return 0;
}

int main(int argc, char **argv)
{
	char err[KVV_ERR_LEN];
	struct kvv_cmd c;
	int ctl, ret;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(kvv_usage, stdout);
		return 0;
	}
	if (kvv_parse(argc, argv, &c, err)) {
		fprintf(stderr, "kvirtio-vdpa: %s\n%s", err, kvv_usage);
		return 2;
	}
	ctl = kvv_ctl_open();
	if (ctl < 0)
		return 1;
	switch (c.op) {
	case KVV_ADD:
		ret = kvv_add(ctl, &c);
		break;
	case KVV_DEL:
		ret = kvv_del(ctl, &c);
		break;
	default:
		ret = kvv_list(ctl);
		break;
	}
	close(ctl);
	return ret;
}

#endif /* KVIRTIO_VDPA_NO_MAIN */
