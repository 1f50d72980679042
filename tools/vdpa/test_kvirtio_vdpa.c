// SPDX-License-Identifier: GPL-2.0-only
/*
 * Userspace test of kvirtio-vdpa's argument parsing: each command line is
 * either turned into the creation arguments the module expects, or
 * refused with a reason, without opening anything.
 */
#define KVIRTIO_VDPA_NO_MAIN
#include "kvirtio-vdpa.c"

#include "tap.h"

#define ARGV(...)	((char *[]){ "kvirtio-vdpa", __VA_ARGS__, NULL })
#define ARGC(...)	((int)(sizeof((char *[]){ "kvirtio-vdpa", __VA_ARGS__ }) / \
			       sizeof(char *)))
#define PARSE(c, err, ...)	kvv_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), \
					  c, err)

static void test_blk(void)
{
	char err[KVV_ERR_LEN] = "";
	struct kvv_cmd c;

	tap_check_eq(PARSE(&c, err, "add", "blk0", "blk", "/tmp/disk.img"), 0);
	tap_check_eq(c.op, KVV_ADD);
	tap_check(!strcmp(c.name, "blk0"));
	tap_check(!strcmp(c.path, "/tmp/disk.img"));
	tap_check_eq(c.dev.argsz, sizeof(c.dev));
	tap_check_eq(c.dev.type, KVIRTIO_DEV_BLK);
	tap_check_eq(c.dev.num_queues, 1);
	tap_check_eq(c.dev.blk.flags, 0);
	tap_check_eq(c.dev.flags, 0);
	tap_check(!c.ro && !c.direct);

	tap_check_eq(PARSE(&c, err, "add", "d.1_x-y", "blk", "/dev/vdb", "ro",
			   "flush", "queues=4", "serial=abc", "direct"), 0);
	tap_check(c.ro);
	tap_check(c.direct);
	tap_check_eq(c.dev.blk.flags,
		     KVIRTIO_BLK_F_READ_ONLY | KVIRTIO_BLK_F_FLUSH);
	tap_check_eq(c.dev.num_queues, 4);
	tap_check(!memcmp(c.dev.blk.serial, "abc", 4));
	tap_test_end("blk: defaults and every option");
}

static void test_blk_refused(void)
{
	char err[KVV_ERR_LEN];
	struct kvv_cmd c;

	err[0] = 0;
	tap_check_eq(PARSE(&c, err, "add", "b", "blk", "f", "queues=0"), -1);
	tap_check(strstr(err, "queues"));
	tap_check_eq(PARSE(&c, err, "add", "b", "blk", "f", "queues=17"), -1);
	tap_check_eq(PARSE(&c, err, "add", "b", "blk", "f", "queues=1x"), -1);
	tap_check_eq(PARSE(&c, err, "add", "b", "blk", "f", "ro", "ro"), -1);
	tap_check(strstr(err, "repeated"));
	tap_check_eq(PARSE(&c, err, "add", "b", "blk", "f", "direct", "direct"),
		     -1);
	tap_check_eq(PARSE(&c, err, "add", "b", "blk", "f", "direct=1"), -1);
	tap_check_eq(PARSE(&c, err, "add", "b", "blk", "f",
			   "serial=123456789012345678901"), -1);
	tap_check_eq(PARSE(&c, err, "add", "b", "blk", "f", "size=1"), -1);
	tap_check_eq(PARSE(&c, err, "add", "b", "blk", ""), -1);
	tap_check_eq(PARSE(&c, err, "add", "b", "rng", "f"), -1);
	tap_check(strstr(err, "blk or net"));
	tap_test_end("blk: bad options are refused with a reason");
}

static void test_names(void)
{
	char err[KVV_ERR_LEN];
	struct kvv_cmd c;

	tap_check_eq(PARSE(&c, err, "del", "x"), 0);
	tap_check_eq(c.op, KVV_DEL);
	tap_check_eq(PARSE(&c, err, "del",
			   "abcdefghijklmnopqrstuvwxyz01234"), 0);
	tap_check_eq(PARSE(&c, err, "del",
			   "abcdefghijklmnopqrstuvwxyz012345"), -1);
	tap_check_eq(PARSE(&c, err, "del", ""), -1);
	tap_check_eq(PARSE(&c, err, "del", ".hidden"), -1);
	tap_check_eq(PARSE(&c, err, "del", "a/b"), -1);
	tap_check_eq(PARSE(&c, err, "del", "a b"), -1);
	tap_check_eq(PARSE(&c, err, "del", "caf\xc3\xa9"), -1);
	tap_check_eq(PARSE(&c, err, "del", "x", "y"), -1);
	tap_check_eq(PARSE(&c, err, "list"), 0);
	tap_check_eq(c.op, KVV_LIST);
	tap_check_eq(PARSE(&c, err, "list", "x"), -1);
	tap_check_eq(PARSE(&c, err, "frob"), -1);
	tap_check_eq(kvv_parse(1, ARGV("x"), &c, err), -1);
	tap_test_end("names and commands");
}

static void test_net(void)
{
	char err[KVV_ERR_LEN];
	struct kvv_cmd c;
	unsigned int i;

	tap_check_eq(PARSE(&c, err, "add", "n0", "net", "tap0"), 0);
	tap_check_eq(c.dev.type, KVIRTIO_DEV_NET);
	tap_check_eq(c.dev.net.num_pairs, 1);
	tap_check_eq(c.dev.num_queues, 0);
	for (i = 0; i < 8; i++)
		tap_check_eq(c.dev.net.tap_fds[i], -1);
	/* A stable, locally administered unicast default. */
	tap_check_eq(c.dev.net.mac[0] & 3, 2);
	tap_check_eq(c.dev.net.mtu, 0);
	tap_check_eq(c.dev.net.features_off, 0);

	tap_check_eq(PARSE(&c, err, "add", "n0", "net", "tap0", "queues=7",
			   "mac=52:54:00:12:34:56", "mtu=9000", "offloads=off"),
		     0);
	tap_check_eq(c.dev.net.num_pairs, 7);
	tap_check_eq(c.dev.net.mac[0], 0x52);
	tap_check_eq(c.dev.net.mac[5], 0x56);
	tap_check_eq(c.dev.net.mtu, 9000);
	tap_check(c.dev.net.features_off & (1ULL << VIRTIO_NET_F_CSUM));
	tap_check(!(c.dev.net.features_off & (1ULL << VIRTIO_NET_F_MQ)));
	tap_test_end("net: defaults and every option");

	tap_check_eq(PARSE(&c, err, "add", "n0", "net", "tap0", "queues=8"), -1);
	tap_check_eq(PARSE(&c, err, "add", "n0", "net", "tap0",
			   "mac=01:00:00:00:00:01"), -1);
	tap_check_eq(PARSE(&c, err, "add", "n0", "net", "tap0",
			   "mac=00:00:00:00:00:00"), -1);
	tap_check_eq(PARSE(&c, err, "add", "n0", "net", "tap0",
			   "mac=52:54:00:12:34"), -1);
	tap_check_eq(PARSE(&c, err, "add", "n0", "net", "tap0",
			   "mac=52:54:00:12:34:567"), -1);
	tap_check_eq(PARSE(&c, err, "add", "n0", "net", "tap0", "mtu=67"), -1);
	tap_check_eq(PARSE(&c, err, "add", "n0", "net", "tap0", "mtu=65536"),
		     -1);
	tap_check_eq(PARSE(&c, err, "add", "n0", "net", "tap0", "offloads=on"),
		     -1);
	tap_check_eq(PARSE(&c, err, "add", "n0", "net", "tap%d"), -1);
	tap_check_eq(PARSE(&c, err, "add", "n0", "net", "a-very-long-tapname"),
		     -1);
	tap_check_eq(PARSE(&c, err, "add", "n0", "net", "tap0", "ro"), -1);
	tap_test_end("net: bad options are refused");
}

int main(void)
{
	test_blk();
	test_blk_refused();
	test_names();
	test_net();
	return tap_exit();
}
