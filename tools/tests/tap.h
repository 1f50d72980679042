/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Minimal TAP output for the kvirtio userspace tests.
 *
 * A test program calls tap_check() for each assertion inside a named
 * test, tap_test_end() after it ("ok N - name" / "not ok N - name"),
 * and returns tap_exit() from main (prints the plan, non-zero on any
 * failure).
 */
#ifndef KVIRTIO_TAP_H
#define KVIRTIO_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

struct tap_state {
	unsigned int n;
	unsigned int failed;
	bool cur_failed;
};

static struct tap_state tap;

/* Record one assertion of the current test; print why when it fails. */
#define tap_check(cond)							\
	do {								\
		if (!(cond)) {						\
			tap.cur_failed = true;				\
			printf("#   %s:%d: check failed: %s\n",		\
			       __FILE__, __LINE__, #cond);		\
		}							\
	} while (0)

/* Like tap_check for a == b on integers, printing both values. */
#define tap_check_eq(a, b)						\
	do {								\
		long long __ta = (long long)(a), __tb = (long long)(b);	\
		if (__ta != __tb) {					\
			tap.cur_failed = true;				\
			printf("#   %s:%d: %s == %s: %lld != %lld\n",	\
			       __FILE__, __LINE__, #a, #b, __ta, __tb);	\
		}							\
	} while (0)

static inline void tap_test_end(const char *name)
{
	tap.n++;
	if (tap.cur_failed)
		tap.failed++;
	printf("%sok %u - %s\n", tap.cur_failed ? "not " : "", tap.n, name);
	tap.cur_failed = false;
	fflush(stdout);
}

static inline int tap_exit(void)
{
	printf("1..%u\n", tap.n);
	printf("# %u passed, %u failed\n", tap.n - tap.failed, tap.failed);
	return tap.failed ? 1 : 0;
}

#endif /* KVIRTIO_TAP_H */
