// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvpriv - privilege helpers for the kvirtio end-to-end tests in L1.
 *
 *   kvpriv quota DEV UID KIB        set UID's hard block limit on the file
 *                                   system on DEV (quotactl; ext4 with the
 *                                   quota feature)
 *   kvpriv runas UID MEMLOCK_KIB CMD [ARGS...]
 *                                   run CMD as UID (gid UID, no
 *                                   supplementary groups, no capabilities)
 *                                   with RLIMIT_MEMLOCK raised first, as a
 *                                   service manager would start a VMM
 *
 * Busybox in L1 has neither setquota nor a setuid runner that keeps a
 * raised rlimit, and the quota scenario needs both.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/quota.h>
#include <sys/resource.h>
#include <unistd.h>

static unsigned long num(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "kvpriv: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static int set_quota(const char *dev, unsigned long uid, unsigned long kib)
{
	struct dqblk dq = {
		/* Quota blocks are 1 KiB. */
		.dqb_bhardlimit = kib,
		.dqb_bsoftlimit = kib,
		.dqb_valid = QIF_BLIMITS,
	};

	if (quotactl(QCMD(Q_SETQUOTA, USRQUOTA), dev, uid, (void *)&dq)) {
		fprintf(stderr, "kvpriv: quotactl(%s, uid %lu): %s\n", dev, uid,
			strerror(errno));
		return 1;
	}
	printf("kvpriv: uid %lu limited to %lu KiB on %s\n", uid, kib, dev);
	return 0;
}

static int run_as(unsigned long uid, unsigned long memlock_kib, char **argv)
{
	struct rlimit rl = {
		.rlim_cur = (rlim_t)memlock_kib << 10,
		.rlim_max = (rlim_t)memlock_kib << 10,
	};

	if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgroups(0, NULL) ||
	    setgid(uid) || setuid(uid)) {
		fprintf(stderr, "kvpriv: dropping to uid %lu: %s\n", uid,
			strerror(errno));
		return 1;
	}
	execvp(argv[0], argv);
	fprintf(stderr, "kvpriv: exec %s: %s\n", argv[0], strerror(errno));
	return 127;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "quota"))
		return set_quota(argv[2], num(argv[3]), num(argv[4]));
	if (argc >= 5 && !strcmp(argv[1], "runas"))
		return run_as(num(argv[2]), num(argv[3]), argv + 4);
	fprintf(stderr,
		"usage: kvpriv quota DEV UID KIB\n"
		"       kvpriv runas UID MEMLOCK_KIB CMD [ARGS...]\n");
	return 2;
}
