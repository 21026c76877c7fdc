/* SPDX-License-Identifier: GPL-2.0 */
/* min/max/clamp that evaluate their arguments once, and swap. Unlike the
 * kernel's, mixed signedness is not diagnosed; min_t/max_t cast as the
 * kernel's do. */
#ifndef _LINUX_MINMAX_H
#define _LINUX_MINMAX_H

#include <linux/compiler.h>

#define __cmp_op_min <
#define __cmp_op_max >
#define __cmp(op, x, y) ((x) __cmp_op_##op (y) ? (x) : (y))

#define __cmp_once(op, x, y) ({			\
	__typeof__(x) __x = (x);			\
	__typeof__(y) __y = (y);			\
	(void)(&__x == &__y);	/* warn on distinct types, as the kernel */ \
	__cmp(op, __x, __y); })

#define min(x, y)	__cmp_once(min, x, y)
#define max(x, y)	__cmp_once(max, x, y)
#define umin(x, y)	__cmp_once(min, (x) + 0u + 0ul + 0ull, (y) + 0u + 0ul + 0ull)
#define umax(x, y)	__cmp_once(max, (x) + 0u + 0ul + 0ull, (y) + 0u + 0ul + 0ull)
#define min3(x, y, z)	min((__typeof__(x))min(x, y), z)
#define max3(x, y, z)	max((__typeof__(x))max(x, y), z)
#define min_not_zero(x, y) ({			\
	__typeof__(x) __x = (x);			\
	__typeof__(y) __y = (y);			\
	__x == 0 ? __y : ((__y == 0) ? __x : min(__x, __y)); })

#define min_t(type, x, y)	__cmp_once(min, (type)(x), (type)(y))
#define max_t(type, x, y)	__cmp_once(max, (type)(x), (type)(y))

#define clamp(val, lo, hi)	min((__typeof__(val))max(val, lo), hi)
#define clamp_t(type, val, lo, hi) min_t(type, max_t(type, val, lo), hi)
#define clamp_val(val, lo, hi)	clamp_t(__typeof__(val), val, lo, hi)

#define swap(a, b) \
	do { __typeof__(a) __tmp = (a); (a) = (b); (b) = __tmp; } while (0)

#endif
