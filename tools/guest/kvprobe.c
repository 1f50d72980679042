// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvprobe - /dev/kvirtio checks that need a real host (L1), not KUnit.
 *
 *   kvprobe memcg CGROUP FILE   in cgroup CGROUP (whose memory.max the
 *                               caller set small), creating a large blk
 *                               device on FILE must fail with ENOMEM and
 *                               leave this process alive; back in the
 *                               parent cgroup the same creation succeeds
 *   kvprobe badfile FILE        a read-only blk device on FILE must be
 *                               refused with EINVAL (procfs, sysfs and
 *                               other pseudo file systems)
 *   kvprobe goodfile FILE       ... and accepted (a control)
 *
 * Prints "KVPROBE OK <cmd> ..." or "KVPROBE FAIL <cmd>: ..." (exit 1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvirtio.h>

static const char *cmd = "?";

__attribute__((format(printf, 1, 2), noreturn))
static void fail(const char *fmt, ...);
static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("KVPROBE FAIL %s: ", cmd);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

/* Create a blk device on @file; the device fd or -errno. */
static int create_blk(const char *file, bool ro, unsigned int queues,
		      unsigned int qsize, unsigned int seg_max)
{
	struct kvirtio_create_device a = {
		.argsz = sizeof(a),
		.type = KVIRTIO_DEV_BLK,
		.num_queues = queues,
		.queue_size_max = qsize,
	};
	int kv, fd, ret;

	kv = open("/dev/kvirtio", O_RDWR | O_CLOEXEC);
	if (kv < 0)
		fail("/dev/kvirtio: %s", strerror(errno));
	fd = open(file, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		fail("%s: %s", file, strerror(errno));
	a.blk.fd = fd;
	a.blk.flags = ro ? KVIRTIO_BLK_F_READ_ONLY : 0;
	a.blk.seg_max = seg_max;
	ret = ioctl(kv, KVIRTIO_CREATE_DEVICE, &a);
	if (ret < 0)
		ret = -errno;
	close(fd);
	close(kv);
	return ret;
}

static void join_cgroup(const char *dir)
{
	char path[512], pid[32];
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, pid, strlen(pid)) < 0)
		fail("joining %s: %s", dir, strerror(errno));
	close(fd);
}

/* 8 queues of 1024 requests with 254 segments: about 36 MiB of pools. */
static void memcg(const char *cg, const char *file)
{
	char parent[512];
	char *slash;
	int ret;

	snprintf(parent, sizeof(parent), "%s", cg);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		fail("cgroup path %s has no parent", cg);
	*slash = 0;

	join_cgroup(cg);
	ret = create_blk(file, false, 8, 1024, 254);
	if (ret >= 0)
		fail("created a ~36 MiB device inside %s", cg);
	if (ret != -ENOMEM)
		fail("inside %s: %s, not ENOMEM", cg, strerror(-ret));
	join_cgroup(parent);
	ret = create_blk(file, false, 8, 1024, 254);
	if (ret < 0)
		fail("outside the cgroup: %s", strerror(-ret));
	close(ret);
	printf("KVPROBE OK memcg: ENOMEM inside %s, created outside\n", cg);
}

int main(int argc, char **argv)
{
	int ret;

	if (argc < 3) {
		fprintf(stderr,
			"usage: kvprobe memcg CGROUP FILE | badfile FILE | goodfile FILE\n");
		return 2;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "memcg") && argc == 4) {
		memcg(argv[2], argv[3]);
	} else if (!strcmp(cmd, "badfile")) {
		ret = create_blk(argv[2], true, 1, 0, 0);
		if (ret >= 0)
			fail("%s accepted as a disk", argv[2]);
		if (ret != -EINVAL)
			fail("%s: %s, not EINVAL", argv[2], strerror(-ret));
		printf("KVPROBE OK badfile %s: EINVAL\n", argv[2]);
	} else if (!strcmp(cmd, "goodfile")) {
		ret = create_blk(argv[2], true, 1, 0, 0);
		if (ret < 0)
			fail("%s: %s", argv[2], strerror(-ret));
		close(ret);
		printf("KVPROBE OK goodfile %s\n", argv[2]);
	} else {
		fail("unknown command");
	}
	return 0;
}
