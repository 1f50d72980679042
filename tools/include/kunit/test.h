/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A userspace stand-in for <kunit/test.h>, so that a host-agnostic KUnit
 * suite (one that uses only compat.h and kvirtio_test_mem) also builds
 * and runs as a plain program: tools/Makefile builds kunit/<x>_test.c
 * into kunit_<x> when <x> is listed in KUNIT_USER_SUITES.  This lets the
 * suites run under ASan/UBSan and against deliberately broken engines
 * (tools/tests/mutants_virtqueue.py) without a kernel build.
 *
 * Supported: struct kunit (priv, param_value), suites with init/exit,
 * KUNIT_CASE, KUNIT_CASE_PARAM, KUNIT_ARRAY_PARAM, KUNIT_EXPECT_ and
 * KUNIT_ASSERT_ EQ/NE/LT/LE/GT/GE/TRUE/FALSE/NULL/NOT_NULL/PTR_EQ/STREQ
 * (and _MSG forms of NOT_NULL), kunit_kzalloc/kunit_kmalloc/kunit_kcalloc
 * (freed after the case), kunit_test_suite (one suite per program: it
 * defines main()).  Output is TAP, one line per case or parameter.
 * An ASSERT failure ends the case (longjmp), as in the kernel, and the
 * suite's exit still runs.  Comparisons follow the kernel's types: the
 * kernel does not warn on mixed signedness, so neither does this header.
 */
#ifndef KVIRTIO_USER_KUNIT_TEST_H
#define KVIRTIO_USER_KUNIT_TEST_H

#include <setjmp.h>
#include <stdarg.h>

#include "kvirtio_user_compat.h"

#pragma GCC diagnostic ignored "-Wsign-compare"

#define KUNIT_PARAM_DESC_SIZE	128

struct kunit_resource_user {
	struct kunit_resource_user *next;
};

struct kunit {
	void *priv;
	const void *param_value;
	bool failed;
	jmp_buf abort;
	struct kunit_resource_user *allocs;
};

struct kunit_case {
	void (*run_case)(struct kunit *test);
	const char *name;
	const void *(*generate_params)(const void *prev, char *desc);
};

struct kunit_suite {
	const char *name;
	int (*init)(struct kunit *test);
	void (*exit)(struct kunit *test);
	struct kunit_case *test_cases;
};

#define KUNIT_CASE(fn)			{ .run_case = fn, .name = #fn }
#define KUNIT_CASE_PARAM(fn, gen) \
	{ .run_case = fn, .name = #fn, .generate_params = gen }

#define KUNIT_ARRAY_PARAM(name, array, get_desc)			\
	static const void *name##_gen_params(const void *prev, char *desc) \
	{								\
		__typeof__((array)[0]) *__next = prev ?			\
			((__typeof__(__next))prev) + 1 : (array);	\
		void (*__get_desc)(__typeof__(__next), char *) = get_desc; \
		if ((size_t)(__next - (array)) < ARRAY_SIZE(array)) {	\
			if (__get_desc)					\
				__get_desc(__next, desc);		\
			return __next;					\
		}							\
		return NULL;						\
	}

static inline ssize_t strscpy(char *dst, const char *src, size_t size)
{
	size_t len = strnlen(src, size);

	if (!size)
		return -E2BIG;
	if (len == size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -E2BIG;
	}
	memcpy(dst, src, len + 1);
	return len;
}

static inline void *kunit_kmalloc(struct kunit *test, size_t size, gfp_t gfp)
{
	struct kunit_resource_user *r;

	(void)gfp;
	r = calloc(1, sizeof(*r) + (size ? size : 1));
	if (!r)
		return NULL;
	r->next = test->allocs;
	test->allocs = r;
	return r + 1;
}

static inline void *kunit_kzalloc(struct kunit *test, size_t size, gfp_t gfp)
{
	return kunit_kmalloc(test, size, gfp);	/* calloc'ed */
}

static inline void *kunit_kcalloc(struct kunit *test, size_t n, size_t size,
				  gfp_t gfp)
{
	size_t bytes;

	if (check_mul_overflow(n, size, &bytes))
		return NULL;
	return kunit_kmalloc(test, bytes, gfp);
}

static inline __printf(5, 6) void kunit_user_fail(struct kunit *test,
						  const char *file, int line,
						  bool assert, const char *fmt,
						  ...)
{
	va_list ap;

	test->failed = true;
	printf("    # %s:%d: %s failed: ", file, line,
	       assert ? "ASSERTION" : "EXPECTATION");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (assert)
		longjmp(test->abort, 1);
}

#define __KUNIT_BINARY(test, assert, left, op, right)			\
	do {								\
		__typeof__(left) __kl = (left);				\
		__typeof__(right) __kr = (right);			\
		if (!(__kl op __kr))					\
			kunit_user_fail(test, __FILE__, __LINE__, assert, \
					"%s %s %s (%lld vs %lld)",	\
					#left, #op, #right,		\
					(long long)__kl, (long long)__kr); \
	} while (0)

#define __KUNIT_PTR(test, assert, left, op, right)			\
	do {								\
		const void *__kl = (left), *__kr = (right);		\
		if (!(__kl op __kr))					\
			kunit_user_fail(test, __FILE__, __LINE__, assert, \
					"%s %s %s (%p vs %p)", #left, #op, \
					#right, __kl, __kr);		\
	} while (0)

#define __KUNIT_COND(test, assert, cond)				\
	do {								\
		if (!(cond))						\
			kunit_user_fail(test, __FILE__, __LINE__, assert, \
					"%s", #cond);			\
	} while (0)

#define __KUNIT_STREQ(test, assert, left, right)			\
	do {								\
		const char *__kl = (left), *__kr = (right);		\
		if (!__kl || !__kr || strcmp(__kl, __kr))		\
			kunit_user_fail(test, __FILE__, __LINE__, assert, \
					"%s == %s (\"%s\" vs \"%s\")",	\
					#left, #right,			\
					__kl ? __kl : "(null)",		\
					__kr ? __kr : "(null)");	\
	} while (0)

#define KUNIT_EXPECT_EQ(t, l, r)	__KUNIT_BINARY(t, false, l, ==, r)
#define KUNIT_EXPECT_NE(t, l, r)	__KUNIT_BINARY(t, false, l, !=, r)
#define KUNIT_EXPECT_LT(t, l, r)	__KUNIT_BINARY(t, false, l, <, r)
#define KUNIT_EXPECT_LE(t, l, r)	__KUNIT_BINARY(t, false, l, <=, r)
#define KUNIT_EXPECT_GT(t, l, r)	__KUNIT_BINARY(t, false, l, >, r)
#define KUNIT_EXPECT_GE(t, l, r)	__KUNIT_BINARY(t, false, l, >=, r)
#define KUNIT_ASSERT_EQ(t, l, r)	__KUNIT_BINARY(t, true, l, ==, r)
#define KUNIT_ASSERT_NE(t, l, r)	__KUNIT_BINARY(t, true, l, !=, r)
#define KUNIT_ASSERT_LT(t, l, r)	__KUNIT_BINARY(t, true, l, <, r)
#define KUNIT_ASSERT_LE(t, l, r)	__KUNIT_BINARY(t, true, l, <=, r)
#define KUNIT_ASSERT_GT(t, l, r)	__KUNIT_BINARY(t, true, l, >, r)
#define KUNIT_ASSERT_GE(t, l, r)	__KUNIT_BINARY(t, true, l, >=, r)
#define KUNIT_EXPECT_TRUE(t, c)		__KUNIT_COND(t, false, c)
#define KUNIT_EXPECT_FALSE(t, c)	__KUNIT_COND(t, false, !(c))
#define KUNIT_ASSERT_TRUE(t, c)		__KUNIT_COND(t, true, c)
#define KUNIT_ASSERT_FALSE(t, c)	__KUNIT_COND(t, true, !(c))
#define KUNIT_EXPECT_NULL(t, p)		__KUNIT_PTR(t, false, p, ==, NULL)
#define KUNIT_EXPECT_NOT_NULL(t, p)	__KUNIT_PTR(t, false, p, !=, NULL)
#define KUNIT_ASSERT_NULL(t, p)		__KUNIT_PTR(t, true, p, ==, NULL)
#define KUNIT_ASSERT_NOT_NULL(t, p)	__KUNIT_PTR(t, true, p, !=, NULL)
#define KUNIT_EXPECT_PTR_EQ(t, l, r)	__KUNIT_PTR(t, false, l, ==, r)
#define KUNIT_ASSERT_PTR_EQ(t, l, r)	__KUNIT_PTR(t, true, l, ==, r)
#define KUNIT_EXPECT_STREQ(t, l, r)	__KUNIT_STREQ(t, false, l, r)
#define KUNIT_ASSERT_STREQ(t, l, r)	__KUNIT_STREQ(t, true, l, r)
#define KUNIT_EXPECT_NOT_NULL_MSG(t, p, fmt, ...)			\
	do {								\
		if (!(p)) {						\
			printf("    # " fmt "\n", ##__VA_ARGS__);	\
			__KUNIT_PTR(t, false, p, !=, NULL);		\
		}							\
	} while (0)

/* Run one case (or one parameter of it); print its TAP line. */
static inline bool kunit_user_run_one(struct kunit_suite *s,
				      struct kunit_case *c, const void *param,
				      const char *desc, unsigned int n)
{
	struct kunit t;
	volatile bool inited = false;
	struct kunit_resource_user *r;

	memset(&t, 0, sizeof(t));
	t.param_value = param;
	if (!setjmp(t.abort)) {
		if (s->init && s->init(&t)) {
			t.failed = true;
		} else {
			inited = true;
			c->run_case(&t);
		}
	}
	if (inited && s->exit && !setjmp(t.abort))
		s->exit(&t);
	while ((r = t.allocs)) {
		t.allocs = r->next;
		free(r);
	}
	printf("%sok %u - %s.%s%s%s\n", t.failed ? "not " : "", n, s->name,
	       c->name, desc ? " " : "", desc ? desc : "");
	fflush(stdout);
	return !t.failed;
}

static inline int kunit_user_run(struct kunit_suite *s)
{
	char desc[KUNIT_PARAM_DESC_SIZE];
	unsigned int n = 0, failed = 0;
	struct kunit_case *c;
	const void *p;

	for (c = s->test_cases; c->run_case; c++) {
		if (!c->generate_params) {
			if (!kunit_user_run_one(s, c, NULL, NULL, ++n))
				failed++;
			continue;
		}
		desc[0] = '\0';
		for (p = c->generate_params(NULL, desc); p;
		     p = c->generate_params(p, desc)) {
			if (!kunit_user_run_one(s, c, p, desc, ++n))
				failed++;
			desc[0] = '\0';
		}
	}
	printf("1..%u\n# %u passed, %u failed\n", n, n - failed, failed);
	return failed ? 1 : 0;
}

#define kunit_test_suite(suite)						\
	int main(void);							\
	int main(void)							\
	{								\
		return kunit_user_run(&(suite));			\
	}

#endif /* KVIRTIO_USER_KUNIT_TEST_H */
