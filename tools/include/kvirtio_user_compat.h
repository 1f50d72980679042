/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvirtio userspace compatibility layer.
 *
 * drivers/kvirtio/compat.h includes this header when __KERNEL__ is not
 * defined, so that the host-agnostic core (virtqueue engine, virtio-pci
 * transport, device logic) builds unchanged into userspace: the fuzzers,
 * the userspace unit tests and the reference VMM's userspace backend.
 *
 * Every name here has the semantics of the kernel name it stands for, as
 * far as a single userspace process can give them:
 *  - types: u8..u64, s8..s64, __le16/32/64 (from <linux/types.h>; the
 *    sparse annotations __bitwise, __force, __user, __iomem are empty);
 *  - byte order: le*_to_cpu()/cpu_to_le*() from <endian.h>;
 *  - READ_ONCE()/WRITE_ONCE(): one volatile access of the object's size;
 *  - barriers: virt_/smp_ rmb/wmb/mb as C11 fences (acquire, release,
 *    seq_cst), dma_ variants the same, barrier() a compiler barrier;
 *  - errors: the <errno.h> codes plus the kernel-only ones used here;
 *  - helpers: is_power_of_2, check_add/sub/mul_overflow, min/max/min_t/
 *    max_t/clamp, ARRAY_SIZE, container_of, BIT/BIT_ULL/GENMASK,
 *    lower/upper_32_bits, ERR_PTR/IS_ERR/PTR_ERR;
 *  - memory: kmalloc/kzalloc/kcalloc/kmalloc_array/kvzalloc/kfree/kvfree
 *    on the C heap (GFP flags accepted and ignored);
 *  - locks: spinlock_t and struct mutex on pthread mutexes
 *    (spin_lock_irqsave() just stores 0 in its flags); lockdep
 *    assertions and might_sleep() compile to nothing;
 *  - atomic64_t with set/read/inc on C11 atomics;
 *  - logging: pr_debug (only with DEBUG), pr_info, pr_warn, pr_err and
 *    their _ratelimited forms on stderr; define KVIRTIO_USER_QUIET to
 *    silence all of them (the fuzzer does), or set KVIRTIO_QUIET in the
 *    environment (the userspace tests do);
 *  - WARN_ON/WARN_ON_ONCE print and evaluate to the condition (the core
 *    must never use them on guest input); BUILD_BUG_ON is a static assert;
 *  - the virtio UAPI headers (virtio_ring.h, virtio_config.h,
 *    virtio_ids.h, virtio_pci.h, virtio_blk.h) from /usr/include/linux.
 *
 * Keep this list in step with the kernel side of compat.h: a core file
 * that builds here must also build in the kernel, and the reverse.
 */
#ifndef KVIRTIO_USER_COMPAT_H
#define KVIRTIO_USER_COMPAT_H

#ifdef __KERNEL__
#error "kvirtio_user_compat.h is for userspace builds only"
#endif

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <endian.h>
#include <limits.h>
#include <pthread.h>

#include <linux/types.h>
#include <linux/virtio_types.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_blk.h>

/* ---- Compiler annotations ------------------------------------------- */

#ifndef __user
#define __user
#endif
#ifndef __iomem
#define __iomem
#endif
#ifndef __force
#define __force
#endif
#ifndef __bitwise
#define __bitwise
#endif
#ifndef __must_check
#define __must_check		__attribute__((warn_unused_result))
#endif
#ifndef __maybe_unused
#define __maybe_unused		__attribute__((unused))
#endif
#ifndef __always_unused
#define __always_unused		__attribute__((unused))
#endif
#ifndef __always_inline
#define __always_inline		inline __attribute__((always_inline))
#endif
#ifndef noinline
#define noinline		__attribute__((noinline))
#endif
#ifndef __packed
#define __packed		__attribute__((packed))
#endif
#ifndef __aligned
#define __aligned(x)		__attribute__((aligned(x)))
#endif
#ifndef __printf
#define __printf(a, b)		__attribute__((format(printf, a, b)))
#endif
#ifndef fallthrough
#define fallthrough		__attribute__((fallthrough))
#endif

#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)

/* Kernel symbol exports mean nothing in a static library. */
#define EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_GPL(sym)

/* ---- Types ----------------------------------------------------------- */

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

typedef unsigned int gfp_t;
#define GFP_KERNEL		0u
#define GFP_ATOMIC		0u
#define GFP_NOWAIT		0u
#define GFP_KERNEL_ACCOUNT	0u
#define __GFP_ZERO		0u
#define __GFP_NOWARN		0u
#define __GFP_RETRY_MAYFAIL	0u

#define U8_MAX			((u8)~0U)
#define U16_MAX			((u16)~0U)
#define U32_MAX			((u32)~0U)
#define U64_MAX			((u64)~0ULL)
#define S32_MAX			((s32)(U32_MAX >> 1))

#define BITS_PER_LONG		(sizeof(long) * CHAR_BIT)

/* ---- Byte order (ring fields are little-endian) ----------------------- */

#define le16_to_cpu(x)		((u16)le16toh((__force u16)(x)))
#define le32_to_cpu(x)		((u32)le32toh((__force u32)(x)))
#define le64_to_cpu(x)		((u64)le64toh((__force u64)(x)))
#define cpu_to_le16(x)		((__force __le16)htole16((u16)(x)))
#define cpu_to_le32(x)		((__force __le32)htole32((u32)(x)))
#define cpu_to_le64(x)		((__force __le64)htole64((u64)(x)))
#define be16_to_cpu(x)		((u16)be16toh((__force u16)(x)))
#define be32_to_cpu(x)		((u32)be32toh((__force u32)(x)))
#define be64_to_cpu(x)		((u64)be64toh((__force u64)(x)))
#define cpu_to_be16(x)		((__force __be16)htobe16((u16)(x)))
#define cpu_to_be32(x)		((__force __be32)htobe32((u32)(x)))
#define cpu_to_be64(x)		((__force __be64)htobe64((u64)(x)))

/* ---- Single accesses and barriers -------------------------------------- */

/*
 * One access of the object's natural size that the compiler may neither
 * merge, split, repeat nor elide: the guest may change the memory at any
 * time, so the value read is the one and only fetch.
 */
#define READ_ONCE(x)		(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, val)	\
	do { *(volatile __typeof__(x) *)&(x) = (val); } while (0)

#define barrier()		__asm__ __volatile__("" ::: "memory")

/*
 * The guest driver runs on other CPUs and uses the kernel's virt_*
 * barriers.  A read barrier orders earlier loads before later loads
 * (acquire fence), a write barrier earlier stores before later stores
 * (release fence), a full barrier everything (seq_cst fence).
 */
#define virt_rmb()		atomic_thread_fence(memory_order_acquire)
#define virt_wmb()		atomic_thread_fence(memory_order_release)
#define virt_mb()		atomic_thread_fence(memory_order_seq_cst)
#define smp_rmb()		virt_rmb()
#define smp_wmb()		virt_wmb()
#define smp_mb()		virt_mb()
#define rmb()			virt_rmb()
#define wmb()			virt_wmb()
#define mb()			virt_mb()
#define dma_rmb()		virt_rmb()
#define dma_wmb()		virt_wmb()

/* ---- Error codes ------------------------------------------------------- */

/* Kernel-internal codes that <errno.h> does not have. */
#ifndef ERESTARTSYS
#define ERESTARTSYS		512
#endif
#ifndef ENOTSUPP
#define ENOTSUPP		524
#endif
#ifndef EPROBE_DEFER
#define EPROBE_DEFER		517
#endif

#define MAX_ERRNO		4095
#define IS_ERR_VALUE(x)		unlikely((unsigned long)(void *)(x) >= \
					 (unsigned long)-MAX_ERRNO)

static inline void *ERR_PTR(long error)
{
	return (void *)error;
}

static inline long PTR_ERR(const void *ptr)
{
	return (long)ptr;
}

static inline bool IS_ERR(const void *ptr)
{
	return IS_ERR_VALUE((unsigned long)ptr);
}

static inline bool IS_ERR_OR_NULL(const void *ptr)
{
	return !ptr || IS_ERR(ptr);
}

static inline int PTR_ERR_OR_ZERO(const void *ptr)
{
	return IS_ERR(ptr) ? (int)PTR_ERR(ptr) : 0;
}

/* ---- Arithmetic helpers ------------------------------------------------ */

static inline bool is_power_of_2(unsigned long n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

/* True when the mathematical result does not fit *d (which is then set). */
#define check_add_overflow(a, b, d)	__builtin_add_overflow(a, b, d)
#define check_sub_overflow(a, b, d)	__builtin_sub_overflow(a, b, d)
#define check_mul_overflow(a, b, d)	__builtin_mul_overflow(a, b, d)

#define __kv_cmp(x, y, op)	((x) op (y) ? (x) : (y))
#define __kv_cmp_once(x, y, op) ({			\
	__typeof__(x) __kv_x = (x);			\
	__typeof__(y) __kv_y = (y);			\
	__kv_cmp(__kv_x, __kv_y, op); })

#define min(x, y)		__kv_cmp_once(x, y, <)
#define max(x, y)		__kv_cmp_once(x, y, >)
#define min_t(type, x, y)	__kv_cmp_once((type)(x), (type)(y), <)
#define max_t(type, x, y)	__kv_cmp_once((type)(x), (type)(y), >)
#define clamp(val, lo, hi)	min(max(val, lo), hi)
#define clamp_t(type, val, lo, hi) min_t(type, max_t(type, val, lo), hi)

#define ARRAY_SIZE(arr)		(sizeof(arr) / sizeof((arr)[0]))
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define ALIGN(x, a)		(((x) + ((__typeof__(x))(a) - 1)) & \
				 ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a)	(((x) & ((__typeof__(x))(a) - 1)) == 0)

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define BIT(nr)			(1UL << (nr))
#define BIT_ULL(nr)		(1ULL << (nr))
#define GENMASK(h, l)		(((~0UL) << (l)) & (~0UL >> (BITS_PER_LONG - 1 - (h))))
#define GENMASK_ULL(h, l)	(((~0ULL) << (l)) & (~0ULL >> (63 - (h))))

#define lower_32_bits(n)	((u32)((n) & 0xffffffff))
#define upper_32_bits(n)	((u32)(((u64)(n)) >> 32))

#define BUILD_BUG_ON(cond)	_Static_assert(!(cond), #cond)

/* ---- Logging ------------------------------------------------------------ */

/*
 * Messages go to stderr unless KVIRTIO_USER_QUIET is defined at build time
 * or the KVIRTIO_QUIET environment variable is set at run time (tests
 * that break queues on purpose set it).
 */
#ifdef KVIRTIO_USER_QUIET
static inline bool __kv_quiet(void)
{
	return true;
}
#else
static inline bool __kv_quiet(void)
{
	static int quiet = -1;

	if (quiet < 0)
		quiet = getenv("KVIRTIO_QUIET") != NULL;
	return quiet;
}
#endif

#define __kv_log(fmt, ...) \
	do { \
		if (!__kv_quiet()) \
			fprintf(stderr, fmt, ##__VA_ARGS__); \
	} while (0)

#ifndef pr_fmt
#define pr_fmt(fmt)		fmt
#endif

#ifdef DEBUG
#define pr_debug(fmt, ...)	__kv_log(pr_fmt(fmt), ##__VA_ARGS__)
#else
#define pr_debug(fmt, ...) \
	do { if (0) fprintf(stderr, pr_fmt(fmt), ##__VA_ARGS__); } while (0)
#endif
#define pr_info(fmt, ...)	__kv_log(pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice(fmt, ...)	__kv_log(pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...)	__kv_log(pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err(fmt, ...)	__kv_log(pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info_ratelimited(fmt, ...)	pr_info(fmt, ##__VA_ARGS__)
#define pr_warn_ratelimited(fmt, ...)	pr_warn(fmt, ##__VA_ARGS__)
#define pr_err_ratelimited(fmt, ...)	pr_err(fmt, ##__VA_ARGS__)
#define pr_warn_once(fmt, ...)		pr_warn(fmt, ##__VA_ARGS__)

/* Internal-invariant checks only: never on guest input. */
#define WARN_ON(cond) ({						\
	bool __kv_c = !!(cond);						\
	if (unlikely(__kv_c))						\
		__kv_log("WARNING: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	unlikely(__kv_c); })
#define WARN_ON_ONCE(cond)	WARN_ON(cond)

/* ---- Memory allocation -------------------------------------------------- */

static inline void *kmalloc(size_t size, gfp_t gfp)
{
	(void)gfp;
	return malloc(size ? size : 1);
}

static inline void *kzalloc(size_t size, gfp_t gfp)
{
	(void)gfp;
	return calloc(1, size ? size : 1);
}

static inline void *kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (check_mul_overflow(n, size, &bytes))
		return NULL;
	return kmalloc(bytes, gfp);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (check_mul_overflow(n, size, &bytes))
		return NULL;
	return kzalloc(bytes, gfp);
}

static inline void kfree(const void *ptr)
{
	free((void *)ptr);
}

#define kvmalloc(size, gfp)	kmalloc(size, gfp)
#define kvzalloc(size, gfp)	kzalloc(size, gfp)
#define kvcalloc(n, size, gfp)	kcalloc(n, size, gfp)
#define kvfree(ptr)		kfree(ptr)
#define vzalloc(size)		kzalloc(size, GFP_KERNEL)
#define vfree(ptr)		kfree(ptr)

/* ---- Locks --------------------------------------------------------------- */

/*
 * Userspace has no interrupts to mask: a spinlock is a mutex and the irq
 * variants behave like the plain ones.
 */
typedef struct {
	pthread_mutex_t m;
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED(name)	{ PTHREAD_MUTEX_INITIALIZER }
#define DEFINE_SPINLOCK(name)	spinlock_t name = __SPIN_LOCK_UNLOCKED(name)

static inline void spin_lock_init(spinlock_t *lock)
{
	pthread_mutex_init(&lock->m, NULL);
}

static inline void spin_lock(spinlock_t *lock)
{
	pthread_mutex_lock(&lock->m);
}

static inline void spin_unlock(spinlock_t *lock)
{
	pthread_mutex_unlock(&lock->m);
}

#define spin_lock_irq(lock)		spin_lock(lock)
#define spin_unlock_irq(lock)		spin_unlock(lock)
#define spin_lock_bh(lock)		spin_lock(lock)
#define spin_unlock_bh(lock)		spin_unlock(lock)
#define spin_lock_irqsave(lock, flags) \
	do { (flags) = 0; spin_lock(lock); } while (0)
#define spin_unlock_irqrestore(lock, flags) \
	do { (void)(flags); spin_unlock(lock); } while (0)

struct mutex {
	pthread_mutex_t m;
};

#define DEFINE_MUTEX(name)	struct mutex name = { PTHREAD_MUTEX_INITIALIZER }

static inline void mutex_init(struct mutex *lock)
{
	pthread_mutex_init(&lock->m, NULL);
}

static inline void mutex_destroy(struct mutex *lock)
{
	pthread_mutex_destroy(&lock->m);
}

static inline void mutex_lock(struct mutex *lock)
{
	pthread_mutex_lock(&lock->m);
}

static inline void mutex_unlock(struct mutex *lock)
{
	pthread_mutex_unlock(&lock->m);
}

static inline int mutex_trylock(struct mutex *lock)
{
	return pthread_mutex_trylock(&lock->m) == 0;
}

#define lockdep_assert_held(lock)	do { (void)(lock); } while (0)
#define lockdep_assert_not_held(lock)	do { (void)(lock); } while (0)
#define might_sleep()			do { } while (0)

/* ---- Atomic counters ---------------------------------------------------- */

typedef struct {
	_Atomic long long counter;
} atomic64_t;

#define ATOMIC64_INIT(i)	{ (i) }

static inline void atomic64_set(atomic64_t *v, long long i)
{
	atomic_store(&v->counter, i);
}

static inline long long atomic64_read(const atomic64_t *v)
{
	return atomic_load((_Atomic long long *)&v->counter);
}

static inline void atomic64_inc(atomic64_t *v)
{
	atomic_fetch_add(&v->counter, 1);
}

#endif /* KVIRTIO_USER_COMPAT_H */
