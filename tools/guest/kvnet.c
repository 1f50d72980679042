// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvnet - network exerciser for the kvirtio end-to-end tests and bench.
 *
 * Runs statically linked in L1 (on the tap, as the peer) and in the L2
 * guest (on eth0).  Busybox has ping and nc but nothing that measures
 * throughput or latency or proves that a stream arrived intact; kvnet does.
 * IPv4 only: HOST is a dotted quad.  Every command prints one result line of
 * key=value pairs on stdout and exits 0, or prints "kvnet CMD: reason" on
 * stderr and exits 1 (2 for a usage error).  Nothing waits forever.
 *
 *   tcp-sink PORT
 *	accept one connection and read it to EOF:
 *	"tcp-sink bytes=N sum=HEX16 secs=S mbps=M"
 *   tcp-source HOST PORT BYTES [SEED]
 *	send BYTES (k/M/G suffixes) of seeded pseudo-random data, then wait
 *	for the sink to close: "tcp-source bytes=N sum=HEX16 secs=S mbps=M"
 *   tcp-stream HOST PORT SECONDS
 *	send as fast as possible for SECONDS to a tcp-sink:
 *	"tcp-stream bytes=N secs=S mbps=M"
 *   echo udp|tcp PORT
 *	echo server for rr (tcp: one connection at a time, loops); exits
 *	after KVNET_WAIT seconds without a peer
 *   rr udp|tcp HOST PORT [-n N] [-w WARMUP] [-s SIZE]
 *	ping-pong of SIZE-byte messages (default 64; N 10000, WARMUP 1000):
 *	"rr proto=P n=N lost=L p50_us=.. p99_us=.. mean_us=.. min_us=..
 *	max_us=.. unanswered=U"; a UDP message unanswered for KVNET_RR_MS ms
 *	(default 1000) is sent again (up to 3 times); each timeout counts in
 *	lost, a message that needed one is left out of the statistics (n)
 *	and one never answered counts in unanswered
 *   udp-flood HOST PORT SECONDS SIZE
 *	send SIZE-byte datagrams for SECONDS: "udp-flood sent=N secs=S pps=P"
 *	(sends refused with ENOBUFS/EAGAIN are not counted)
 *   udp-count PORT SECONDS
 *	count datagrams; the window opens at the first one and closes
 *	SECONDS later or after 2 s without one:
 *	"udp-count rcvd=N secs=S pps=P bytes=B" (secs: first to last)
 *   mktap NAME [multi]
 *	create a persistent tap (IFF_TAP | IFF_NO_PI, IFF_MULTI_QUEUE with
 *	"multi") for a VMM to attach to: "mktap name=NAME"
 *   rmtap NAME [multi]
 *	remove a persistent tap: "rmtap name=NAME"
 *   ethstats IFACE [SUBSTRING]
 *	the driver's ethtool statistics (ethtool -S), those whose name holds
 *	SUBSTRING: "ethstats iface=IFACE NAME=VALUE ..."
 *   offload IFACE on|off
 *	switch the checksum, scatter-gather, TSO, GSO and GRO offloads, as
 *	ethtool -K does (a driver may refuse some), and print what holds:
 *	"offload iface=IFACE tx_csum=B rx_csum=B sg=B tso=B gso=B gro=B"
 *
 * The data of tcp-source is word i (at byte 8 * i) = splitmix64(SEED, i),
 * default SEED 1.  sum is FNV-1a-64 over the stream's little-endian 8-byte
 * words (a partial last word zero-padded) and then over the byte count, so
 * the same sum at both ends means the same bytes arrived in order.  Both the
 * generator and the hash cost a few multiplies per word: the guests run
 * under nested TCG.
 *
 * Environment: KVNET_WAIT (default 300) seconds a server waits for its
 * first peer and a client retries connecting; KVNET_IDLE (default 30)
 * seconds without progress on an open connection before giving up.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/ethtool.h>
#include <linux/if.h>
#include <linux/sockios.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BUFSZ (256 * 1024)
#define UDP_MAX 65507
_Static_assert(BUFSZ >= UDP_MAX, "a receive buffer holds any datagram");
#define RR_RETRIES 3
#define MAX_SAMPLES 10000000UL

static const char *cmd = "kvnet";
static int wait_s = 300;
static int idle_s = 30;

__attribute__((format(printf, 1, 2), noreturn))
static void fail(const char *fmt, ...);
static void fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "kvnet %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: kvnet CMD ARGS\n"
		"  tcp-sink PORT\n"
		"  tcp-source HOST PORT BYTES [SEED]\n"
		"  tcp-stream HOST PORT SECONDS\n"
		"  echo udp|tcp PORT\n"
		"  rr udp|tcp HOST PORT [-n N] [-w WARMUP] [-s SIZE]\n"
		"  udp-flood HOST PORT SECONDS SIZE\n"
		"  udp-count PORT SECONDS\n"
		"  mktap NAME [multi]\n"
		"  rmtap NAME [multi]\n"
		"  ethstats IFACE [SUBSTRING]\n"
		"  offload IFACE on|off\n"
		"env: KVNET_WAIT=secs (300) KVNET_IDLE=secs (30) KVNET_RR_MS=ms (1000)\n");
	exit(2);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static double secs_since(uint64_t t0)
{
	return (now_ns() - t0) / 1e9;
}

/* A decimal number with an optional k/M/G (binary) suffix, within [lo, hi]. */
static uint64_t parse_num(const char *what, const char *s, uint64_t lo,
			  uint64_t hi)
{
	char *end;
	uint64_t v, m = 1;

	errno = 0;
	if (!s || !*s || *s == '-')
		fail("bad %s '%s'", what, s ? s : "");
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		fail("bad %s '%s'", what, s);
	switch (*end) {
	case 'k':
	case 'K':
		m = 1ULL << 10;
		end++;
		break;
	case 'm':
	case 'M':
		m = 1ULL << 20;
		end++;
		break;
	case 'g':
	case 'G':
		m = 1ULL << 30;
		end++;
		break;
	}
	if (*end || (v && m > UINT64_MAX / v))
		fail("bad %s '%s'", what, s);
	v *= m;
	if (v < lo || v > hi)
		fail("%s %s out of range [%" PRIu64 ", %" PRIu64 "]", what, s,
		     lo, hi);
	return v;
}

static int env_int(const char *name, int def, int lo, int hi)
{
	const char *s = getenv(name);

	if (!s || !*s)
		return def;
	return (int)parse_num(name, s, lo, hi);
}

static struct sockaddr_in parse_addr(const char *host, const char *port)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	if (host && inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		fail("bad IPv4 address '%s'", host);
	if (!host)
		sa.sin_addr.s_addr = htonl(INADDR_ANY);
	sa.sin_port = htons((uint16_t)parse_num("port", port, 1, 65535));
	return sa;
}

/* splitmix64 finaliser: the data word i of stream seed. */
static uint64_t mix(uint64_t seed, uint64_t idx)
{
	uint64_t z = seed * 0x9e3779b97f4a7c15ULL + idx + 0x632be59bd9b4e019ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Streaming FNV-1a-64 over 8-byte words, whatever the read sizes. */
struct hash {
	uint64_t h;
	uint64_t len;
	uint8_t carry[8];
	unsigned int ncarry;
};

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static void hash_init(struct hash *s)
{
	memset(s, 0, sizeof(*s));
	s->h = FNV_OFFSET;
}

static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

static void hash_update(struct hash *s, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t h = s->h;

	s->len += len;
	if (s->ncarry) {
		while (len && s->ncarry < 8) {
			s->carry[s->ncarry++] = *p++;
			len--;
		}
		if (s->ncarry < 8) {
			s->h = h;
			return;
		}
		h = (h ^ load_le64(s->carry)) * FNV_PRIME;
		s->ncarry = 0;
	}
	for (; len >= 8; p += 8, len -= 8)
		h = (h ^ load_le64(p)) * FNV_PRIME;
	memcpy(s->carry, p, len);
	s->ncarry = len;
	s->h = h;
}

static uint64_t hash_final(struct hash *s)
{
	uint64_t h = s->h;

	if (s->ncarry) {
		memset(s->carry + s->ncarry, 0, 8 - s->ncarry);
		h = (h ^ load_le64(s->carry)) * FNV_PRIME;
	}
	return (h ^ s->len) * FNV_PRIME;
}

static void set_timeouts(int fd, int secs)
{
	struct timeval tv = { .tv_sec = secs };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		fail("SO_RCVTIMEO/SO_SNDTIMEO: %s", strerror(errno));
}

/* Wait up to secs for fd to be readable: 1 if it is, 0 on timeout. */
static int wait_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do {
		r = poll(&p, 1, ms);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		fail("poll: %s", strerror(errno));
	return r > 0;
}

static int listen_on(int type, const char *port)
{
	struct sockaddr_in sa = parse_addr(NULL, port);
	int one = 1, fd;

	fd = socket(AF_INET, type, 0);
	if (fd < 0)
		fail("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		fail("bind port %s: %s", port, strerror(errno));
	if (type == SOCK_STREAM && listen(fd, 4))
		fail("listen: %s", strerror(errno));
	return fd;
}

static int accept_one(int lfd)
{
	int fd;

	if (!wait_readable(lfd, wait_s * 1000))
		fail("no connection within %d s", wait_s);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		fail("accept: %s", strerror(errno));
	set_timeouts(fd, idle_s);
	return fd;
}

/* Connect, retrying while the server is not up yet (for KVNET_WAIT s). */
static int connect_to(const char *host, const char *port)
{
	struct sockaddr_in sa = parse_addr(host, port);
	uint64_t t0 = now_ns();
	int fd, err;

	for (;;) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			fail("socket: %s", strerror(errno));
		set_timeouts(fd, idle_s);
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return fd;
		err = errno;
		close(fd);
		if ((err != ECONNREFUSED && err != EHOSTUNREACH &&
		     err != ENETUNREACH && err != ETIMEDOUT &&
		     err != EINPROGRESS && err != EAGAIN) ||
		    secs_since(t0) > wait_s)
			fail("connect %s:%s: %s", host, port, strerror(err));
		usleep(200000);
	}
}

static size_t read_some(int fd, void *buf, size_t len, uint64_t done)
{
	ssize_t n;

	do {
		n = read(fd, buf, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		fail("read after %" PRIu64 " bytes: %s", done,
		     errno == EAGAIN ? "idle timeout" : strerror(errno));
	return n;
}

static void write_all(int fd, const void *buf, size_t len, uint64_t done)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail("write after %" PRIu64 " bytes: %s", done,
			     n < 0 && errno == EAGAIN ? "idle timeout" :
			     n < 0 ? strerror(errno) : "short write");
		buf = (const char *)buf + n;
		len -= n;
		done += n;
	}
}

/* After our shutdown(SHUT_WR): wait for the peer's EOF (all data taken). */
static void drain_to_eof(int fd, void *buf, uint64_t done)
{
	while (read_some(fd, buf, BUFSZ, done))
		;
}

static double mbps(uint64_t bytes, double secs)
{
	return secs > 0 ? bytes * 8 / secs / 1e6 : 0;
}

static void *xmalloc(size_t len)
{
	void *p = malloc(len);

	if (!p)
		fail("out of memory (%zu bytes)", len);
	return p;
}

static int cmd_tcp_sink(int argc, char **argv)
{
	uint8_t *buf = xmalloc(BUFSZ);
	uint64_t t0, bytes = 0;
	struct hash hs;
	int lfd, fd;
	size_t n;
	double s;

	if (argc != 1)
		usage();
	lfd = listen_on(SOCK_STREAM, argv[0]);
	fd = accept_one(lfd);
	close(lfd);
	hash_init(&hs);
	t0 = now_ns();
	while ((n = read_some(fd, buf, BUFSZ, bytes))) {
		hash_update(&hs, buf, n);
		bytes += n;
	}
	s = secs_since(t0);
	close(fd);
	printf("tcp-sink bytes=%" PRIu64 " sum=%016" PRIx64
	       " secs=%.3f mbps=%.1f\n", bytes, hash_final(&hs), s,
	       mbps(bytes, s));
	return 0;
}

static int cmd_tcp_source(int argc, char **argv)
{
	uint64_t total, seed = 1, off = 0, t0, *w;
	uint8_t *buf = xmalloc(BUFSZ);
	struct hash hs;
	size_t i, len;
	double s;
	int fd;

	if (argc != 3 && argc != 4)
		usage();
	total = parse_num("byte count", argv[2], 0, 1ULL << 50);
	if (argc == 4)
		seed = parse_num("seed", argv[3], 0, UINT64_MAX);
	fd = connect_to(argv[0], argv[1]);
	hash_init(&hs);
	w = (uint64_t *)buf;
	t0 = now_ns();
	while (off < total) {
		len = total - off < BUFSZ ? total - off : BUFSZ;
		for (i = 0; i < (len + 7) / 8; i++)
			w[i] = mix(seed, off / 8 + i);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		for (i = 0; i < (len + 7) / 8; i++)
			w[i] = __builtin_bswap64(w[i]);
#endif
		write_all(fd, buf, len, off);
		hash_update(&hs, buf, len);
		off += len;
	}
	if (shutdown(fd, SHUT_WR))
		fail("shutdown: %s", strerror(errno));
	drain_to_eof(fd, buf, off);
	s = secs_since(t0);
	close(fd);
	printf("tcp-source bytes=%" PRIu64 " sum=%016" PRIx64
	       " secs=%.3f mbps=%.1f\n", off, hash_final(&hs), s,
	       mbps(off, s));
	return 0;
}

static int cmd_tcp_stream(int argc, char **argv)
{
	uint64_t dur, t0, end, bytes = 0, *w;
	uint8_t *buf = xmalloc(BUFSZ);
	size_t i;
	double s;
	int fd;

	if (argc != 3)
		usage();
	dur = parse_num("seconds", argv[2], 1, 86400);
	w = (uint64_t *)buf;
	for (i = 0; i < BUFSZ / 8; i++)
		w[i] = mix(1, i);
	fd = connect_to(argv[0], argv[1]);
	t0 = now_ns();
	end = t0 + dur * 1000000000ULL;
	while (now_ns() < end) {
		write_all(fd, buf, BUFSZ, bytes);
		bytes += BUFSZ;
	}
	if (shutdown(fd, SHUT_WR))
		fail("shutdown: %s", strerror(errno));
	drain_to_eof(fd, buf, bytes);
	s = secs_since(t0);
	close(fd);
	printf("tcp-stream bytes=%" PRIu64 " secs=%.3f mbps=%.1f\n", bytes, s,
	       mbps(bytes, s));
	return 0;
}

static int parse_proto(const char *s)
{
	if (!strcmp(s, "udp"))
		return SOCK_DGRAM;
	if (!strcmp(s, "tcp"))
		return SOCK_STREAM;
	fail("protocol '%s' is neither udp nor tcp", s);
}

static void nodelay(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		fail("TCP_NODELAY: %s", strerror(errno));
}

static int cmd_echo(int argc, char **argv)
{
	uint8_t *buf = xmalloc(BUFSZ);
	struct sockaddr_in peer;
	socklen_t plen;
	int type, lfd, fd;
	uint64_t done;
	ssize_t n;

	if (argc != 2)
		usage();
	type = parse_proto(argv[0]);
	lfd = listen_on(type, argv[1]);
	if (type == SOCK_DGRAM) {
		for (;;) {
			if (!wait_readable(lfd, wait_s * 1000))
				fail("no datagram for %d s", wait_s);
			plen = sizeof(peer);
			n = recvfrom(lfd, buf, UDP_MAX, 0,
				     (struct sockaddr *)&peer, &plen);
			if (n < 0) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				fail("recvfrom: %s", strerror(errno));
			}
			/* A lost reply is the client's to retry. */
			sendto(lfd, buf, n, 0, (struct sockaddr *)&peer, plen);
		}
	}
	for (;;) {
		fd = accept_one(lfd);
		nodelay(fd);
		done = 0;
		for (;;) {
			do {
				n = read(fd, buf, BUFSZ);
			} while (n < 0 && errno == EINTR);
			if (n <= 0)
				break;	/* EOF, reset or idle: next client */
			write_all(fd, buf, n, done);
			done += n;
		}
		close(fd);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* One UDP round trip of msg[0..size): its time in ns, or 0 if it timed out. */
static uint64_t rr_udp_one(int fd, uint8_t *msg, uint8_t *rbuf, size_t size,
			   uint64_t seq, int ms, uint64_t *lost,
			   uint64_t *unanswered)
{
	size_t k = size < 8 ? size : 8;
	uint64_t t0, deadline;
	int tries, left;
	ssize_t n;

	memcpy(msg, &seq, k);
	for (tries = 0; tries <= RR_RETRIES; tries++) {
		t0 = now_ns();
		if (send(fd, msg, size, 0) < 0 && errno != ENOBUFS &&
		    errno != EAGAIN && errno != ECONNREFUSED)
			fail("send: %s", strerror(errno));
		deadline = t0 + (uint64_t)ms * 1000000;
		for (;;) {
			uint64_t t = now_ns();

			if (t >= deadline)
				break;
			left = (int)((deadline - t + 999999) / 1000000);
			if (!wait_readable(fd, left))
				break;
			n = recv(fd, rbuf, UDP_MAX, 0);
			if (n < 0) {
				if (errno == EINTR || errno == EAGAIN ||
				    errno == ECONNREFUSED)
					continue;
				fail("recv: %s", strerror(errno));
			}
			/* A late reply to an earlier message: skip it. */
			if ((size_t)n != size || memcmp(rbuf, msg, k))
				continue;
			return tries ? 0 : now_ns() - t0;
		}
		(*lost)++;
	}
	(*unanswered)++;
	return 0;
}

static void rr_tcp_one(int fd, uint8_t *msg, uint8_t *rbuf, size_t size,
		       uint64_t seq)
{
	size_t k = size < 8 ? size : 8, got = 0;
	size_t n;

	memcpy(msg, &seq, k);
	write_all(fd, msg, size, seq * size);
	while (got < size) {
		n = read_some(fd, rbuf + got, size - got, seq * size + got);
		if (!n)
			fail("echo server closed the connection");
		got += n;
	}
	if (memcmp(rbuf, msg, size))
		fail("message %" PRIu64 " came back altered", seq);
}

static int cmd_rr(int argc, char **argv)
{
	uint64_t n = 10000, warm = 1000, size = 64, lost = 0, i, cnt = 0;
	uint64_t unanswered = 0;
	uint64_t *lat, sum = 0, t, seq;
	struct sockaddr_in sa;
	uint8_t *msg, *rbuf;
	int type, fd, ms, c;

	if (argc < 3)
		usage();
	type = parse_proto(argv[0]);
	sa = parse_addr(argv[1], argv[2]);
	optind = 3;
	opterr = 0;
	while ((c = getopt(argc, argv, "+n:w:s:")) != -1) {
		switch (c) {
		case 'n':
			n = parse_num("-n", optarg, 1, MAX_SAMPLES);
			break;
		case 'w':
			warm = parse_num("-w", optarg, 0, MAX_SAMPLES);
			break;
		case 's':
			size = parse_num("-s", optarg, 1,
					 type == SOCK_DGRAM ? UDP_MAX : BUFSZ);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	ms = env_int("KVNET_RR_MS", 1000, 1, 600000);
	lat = xmalloc(n * sizeof(*lat));
	msg = xmalloc(size < 8 ? 8 : size);
	/* BUFSZ holds the largest datagram (static assert at its definition). */
	rbuf = xmalloc(BUFSZ);
	memset(msg, 0xa5, size);
	if (type == SOCK_STREAM) {
		fd = connect_to(argv[1], argv[2]);
		nodelay(fd);
	} else {
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0)
			fail("socket: %s", strerror(errno));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			fail("connect: %s", strerror(errno));
	}
	for (seq = 0; seq < warm + n; seq++) {
		if (type == SOCK_STREAM) {
			t = now_ns();
			rr_tcp_one(fd, msg, rbuf, size, seq);
			t = now_ns() - t;
		} else {
			t = rr_udp_one(fd, msg, rbuf, size, seq, ms, &lost,
				       &unanswered);
		}
		if (seq < warm || !t)
			continue;
		lat[cnt++] = t;
		sum += t;
	}
	close(fd);
	if (!cnt)
		fail("no reply from %s:%s (lost=%" PRIu64 ")", argv[1],
		     argv[2], lost);
	qsort(lat, cnt, sizeof(*lat), cmp_u64);
	i = (cnt * 99 + 99) / 100 - 1;
	printf("rr proto=%s n=%" PRIu64 " lost=%" PRIu64, argv[0], cnt, lost);
	printf(" p50_us=%.1f p99_us=%.1f mean_us=%.1f",
	       lat[(cnt - 1) / 2] / 1e3, lat[i] / 1e3, (double)sum / cnt / 1e3);
	printf(" min_us=%.1f max_us=%.1f unanswered=%" PRIu64 "\n",
	       lat[0] / 1e3, lat[cnt - 1] / 1e3, unanswered);
	return 0;
}

static int cmd_udp_flood(int argc, char **argv)
{
	uint64_t dur, size, sent = 0, t0, end, seq = 0;
	struct sockaddr_in sa;
	uint8_t *buf;
	double s;
	int fd;

	if (argc != 4)
		usage();
	sa = parse_addr(argv[0], argv[1]);
	dur = parse_num("seconds", argv[2], 1, 86400);
	size = parse_num("size", argv[3], 1, UDP_MAX);
	buf = xmalloc(size < 8 ? 8 : size);
	memset(buf, 0x5a, size);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		fail("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		fail("connect: %s", strerror(errno));
	t0 = now_ns();
	end = t0 + dur * 1000000000ULL;
	while (now_ns() < end) {
		memcpy(buf, &seq, size < 8 ? size : 8);
		seq++;
		if (send(fd, buf, size, 0) == (ssize_t)size) {
			sent++;
			continue;
		}
		/* Full queues and an absent receiver are not errors here. */
		if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR &&
		    errno != ECONNREFUSED)
			fail("send: %s", strerror(errno));
	}
	s = secs_since(t0);
	close(fd);
	printf("udp-flood sent=%" PRIu64 " secs=%.3f pps=%.0f\n", sent, s,
	       s > 0 ? sent / s : 0);
	return 0;
}

static int cmd_udp_count(int argc, char **argv)
{
	uint64_t dur, rcvd = 0, bytes = 0, first = 0, last = 0, end = 0, t;
	int fd, rcvbuf = 4 << 20, ms;
	uint8_t *buf;
	ssize_t n;
	double s;

	if (argc != 2)
		usage();
	dur = parse_num("seconds", argv[1], 1, 86400);
	buf = xmalloc(UDP_MAX);
	fd = listen_on(SOCK_DGRAM, argv[0]);
	/* Best effort: a bigger queue loses fewer datagrams to bursts. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	for (;;) {
		t = now_ns();
		if (!rcvd) {
			ms = wait_s * 1000;
		} else {
			if (t >= end)
				break;
			ms = (int)((end - t) / 1000000) + 1;
			if (ms > 2000)
				ms = 2000;
		}
		if (!wait_readable(fd, ms)) {
			if (!rcvd)
				fail("no datagram within %d s", wait_s);
			if (now_ns() - last >= 2000000000ULL)
				break;	/* 2 s idle: the sender is done */
			continue;
		}
		n = recv(fd, buf, UDP_MAX, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fail("recv: %s", strerror(errno));
		}
		last = now_ns();
		if (!rcvd++) {
			first = last;
			end = first + dur * 1000000000ULL;
		}
		bytes += n;
	}
	close(fd);
	s = (last - first) / 1e9;
	printf("udp-count rcvd=%" PRIu64 " secs=%.3f pps=%.0f bytes=%" PRIu64
	       "\n", rcvd, s, s > 0 ? rcvd / s : 0, bytes);
	return 0;
}

static int tap_open(const char *name, int multi)
{
	struct ifreq ifr;
	int fd;

	if (strlen(name) >= IFNAMSIZ || !*name)
		fail("bad interface name '%s'", name);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fail("open /dev/net/tun: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (multi ? IFF_MULTI_QUEUE : 0);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr))
		fail("TUNSETIFF %s: %s", name, strerror(errno));
	return fd;
}

static int cmd_tap(int argc, char **argv, int persist)
{
	int fd, multi = 0;

	if (argc == 2 && !strcmp(argv[1], "multi"))
		multi = 1;
	else if (argc != 1)
		usage();
	fd = tap_open(argv[0], multi);
	if (ioctl(fd, TUNSETPERSIST, persist))
		fail("TUNSETPERSIST %s: %s", argv[0], strerror(errno));
	close(fd);
	printf("%s name=%s\n", persist ? "mktap" : "rmtap", argv[0]);
	return 0;
}

static int ethtool(int fd, const char *ifname, void *data)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	ifr.ifr_data = data;
	return ioctl(fd, SIOCETHTOOL, &ifr);
}

static int ethtool_socket(const char *ifname)
{
	int fd;

	if (strlen(ifname) >= IFNAMSIZ || !*ifname)
		fail("bad interface name '%s'", ifname);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		fail("socket: %s", strerror(errno));
	return fd;
}

static int cmd_ethstats(int argc, char **argv)
{
	struct {
		struct ethtool_sset_info hdr;
		uint32_t len;
	} sset = { .hdr = { .cmd = ETHTOOL_GSSET_INFO,
			    .sset_mask = 1ULL << ETH_SS_STATS } };
	struct ethtool_gstrings *names;
	struct ethtool_stats *vals;
	const char *name;
	uint32_t n, i;
	int fd;

	if (argc != 1 && argc != 2)
		usage();
	fd = ethtool_socket(argv[0]);
	if (ethtool(fd, argv[0], &sset))
		fail("ETHTOOL_GSSET_INFO %s: %s", argv[0], strerror(errno));
	n = sset.hdr.sset_mask ? sset.len : 0;
	if (n > 65536)
		fail("%s reports %u statistics", argv[0], n);
	names = xmalloc(sizeof(*names) + (size_t)n * ETH_GSTRING_LEN);
	vals = xmalloc(sizeof(*vals) + (size_t)n * sizeof(uint64_t));
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_STATS;
	names->len = n;
	vals->cmd = ETHTOOL_GSTATS;
	vals->n_stats = n;
	if (n && (ethtool(fd, argv[0], names) || ethtool(fd, argv[0], vals)))
		fail("ETHTOOL_GSTRINGS/GSTATS %s: %s", argv[0],
		     strerror(errno));
	close(fd);
	printf("ethstats iface=%s", argv[0]);
	for (i = 0; i < n && i < names->len && i < vals->n_stats; i++) {
		name = (const char *)names->data + (size_t)i * ETH_GSTRING_LEN;
		if (argc == 2 && !strstr(name, argv[1]))
			continue;
		printf(" %.*s=%llu", ETH_GSTRING_LEN, name,
		       (unsigned long long)vals->data[i]);
	}
	printf("\n");
	return 0;
}

/* The legacy per-offload ethtool commands: busybox has no ethtool. */
static const struct {
	const char *name;
	uint32_t get, set;
	int must;	/* turning it off must work */
} offloads[] = {
	{ "tx_csum", ETHTOOL_GTXCSUM, ETHTOOL_STXCSUM, 1 },
	{ "rx_csum", ETHTOOL_GRXCSUM, ETHTOOL_SRXCSUM, 0 },
	{ "sg", ETHTOOL_GSG, ETHTOOL_SSG, 0 },
	{ "tso", ETHTOOL_GTSO, ETHTOOL_STSO, 1 },
	{ "gso", ETHTOOL_GGSO, ETHTOOL_SGSO, 0 },
	{ "gro", ETHTOOL_GGRO, ETHTOOL_SGRO, 0 },
};

static int cmd_offload(int argc, char **argv)
{
	int state[ARRAY_SIZE(offloads)];
	struct ethtool_value v;
	unsigned int i;
	int fd, on;

	if (argc != 2)
		usage();
	if (!strcmp(argv[1], "on"))
		on = 1;
	else if (!strcmp(argv[1], "off"))
		on = 0;
	else
		usage();
	fd = ethtool_socket(argv[0]);
	for (i = 0; i < ARRAY_SIZE(offloads); i++) {
		v.cmd = offloads[i].set;
		v.data = on;
		/* A device without the offload refuses it: only a must. */
		if (ethtool(fd, argv[0], &v) && !on && offloads[i].must)
			fail("turning %s off on %s: %s", offloads[i].name,
			     argv[0], strerror(errno));
	}
	for (i = 0; i < ARRAY_SIZE(offloads); i++) {
		v.cmd = offloads[i].get;
		v.data = 0;
		if (ethtool(fd, argv[0], &v))
			fail("reading %s of %s: %s", offloads[i].name, argv[0],
			     strerror(errno));
		if (!on && offloads[i].must && v.data)
			fail("%s of %s is still on", offloads[i].name,
			     argv[0]);
		state[i] = !!v.data;
	}
	printf("offload iface=%s", argv[0]);
	for (i = 0; i < ARRAY_SIZE(offloads); i++)
		printf(" %s=%d", offloads[i].name, state[i]);
	printf("\n");
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		usage();
	cmd = argv[1];
	wait_s = env_int("KVNET_WAIT", 300, 1, 86400);
	idle_s = env_int("KVNET_IDLE", 30, 1, 86400);
	argc -= 2;
	argv += 2;
	if (!strcmp(cmd, "tcp-sink"))
		return cmd_tcp_sink(argc, argv);
	if (!strcmp(cmd, "tcp-source"))
		return cmd_tcp_source(argc, argv);
	if (!strcmp(cmd, "tcp-stream"))
		return cmd_tcp_stream(argc, argv);
	if (!strcmp(cmd, "echo"))
		return cmd_echo(argc, argv);
	if (!strcmp(cmd, "rr"))
		return cmd_rr(argc, argv);
	if (!strcmp(cmd, "udp-flood"))
		return cmd_udp_flood(argc, argv);
	if (!strcmp(cmd, "udp-count"))
		return cmd_udp_count(argc, argv);
	if (!strcmp(cmd, "mktap"))
		return cmd_tap(argc, argv, 1);
	if (!strcmp(cmd, "rmtap"))
		return cmd_tap(argc, argv, 0);
	if (!strcmp(cmd, "ethstats"))
		return cmd_ethstats(argc, argv);
	if (!strcmp(cmd, "offload"))
		return cmd_offload(argc, argv);
	usage();
	return 2;
}
