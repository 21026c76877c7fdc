/* SPDX-License-Identifier: GPL-2.0 */
/* Rounding and division helpers of the kernel's <linux/math.h>. */
#ifndef _LINUX_MATH_H
#define _LINUX_MATH_H

#include <linux/types.h>

#define __round_mask(x, y) ((__typeof__(x))((y) - 1))
/* y must be a power of two */
#define round_up(x, y) ((((x) - 1) | __round_mask(x, y)) + 1)
#define round_down(x, y) ((x) & ~__round_mask(x, y))

#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define DIV_ROUND_UP_ULL(ll, d) DIV_ROUND_UP((unsigned long long)(ll), (d))
#define DIV_ROUND_DOWN_ULL(ll, d) ((unsigned long long)(ll) / (d))

#define roundup(x, y) ({				\
	__typeof__(y) __y = y;				\
	(((x) + (__y - 1)) / __y) * __y; })
#define rounddown(x, y) ({				\
	__typeof__(x) __x = (x);			\
	__x - (__x % (y)); })

/* Rounds to the closest integer; both signed operands must not overflow. */
#define DIV_ROUND_CLOSEST(x, divisor) ({				\
	__typeof__(x) __x = x;						\
	__typeof__(divisor) __d = divisor;				\
	(((__typeof__(x))-1) > 0 ||					\
	 ((__typeof__(divisor))-1) > 0 ||				\
	 (((__x) > 0) == ((__d) > 0))) ?				\
		(((__x) + ((__d) / 2)) / (__d)) :			\
		(((__x) - ((__d) / 2)) / (__d));			\
})
#define DIV_ROUND_CLOSEST_ULL(x, divisor) ({		\
	__typeof__(divisor) __d = divisor;		\
	unsigned long long _tmp = (x) + (__d) / 2;	\
	_tmp / __d; })

#define mult_frac(x, numer, denom) ({			\
	__typeof__(x) quot = (x) / (denom);		\
	__typeof__(x) rem = (x) % (denom);		\
	(quot * (numer)) + ((rem * (numer)) / (denom)); })

#define abs(x) __builtin_choose_expr(						\
	__builtin_types_compatible_p(__typeof__(x), long long) ||		\
	__builtin_types_compatible_p(__typeof__(x), unsigned long long),	\
	__builtin_llabs((long long)(x)),					\
	__builtin_choose_expr(							\
		__builtin_types_compatible_p(__typeof__(x), long) ||		\
		__builtin_types_compatible_p(__typeof__(x), unsigned long),	\
		__builtin_labs((long)(x)), __builtin_abs((int)(x))))

#define abs_diff(a, b) ({			\
	__typeof__(a) __a = (a);		\
	__typeof__(b) __b = (b);		\
	(void)(&__a == &__b);			\
	__a > __b ? (__a - __b) : (__b - __a); })

/* The kernel's do_div(n, base): divides the u64 lvalue n in place and
 * yields the remainder. */
#define do_div(n, base) ({				\
	u32 __base = (base);				\
	u32 __rem = (u32)((n) % __base);		\
	(n) = (n) / __base;				\
	__rem; })

static inline u64 div_u64_rem(u64 dividend, u32 divisor, u32 *remainder)
{
	*remainder = dividend % divisor;
	return dividend / divisor;
}
static inline u64 div_u64(u64 dividend, u32 divisor) { return dividend / divisor; }
static inline s64 div_s64(s64 dividend, s32 divisor) { return dividend / divisor; }
static inline u64 div64_u64(u64 dividend, u64 divisor) { return dividend / divisor; }
static inline s64 div64_s64(s64 dividend, s64 divisor) { return dividend / divisor; }
static inline u64 div64_ul(u64 dividend, unsigned long divisor) { return dividend / divisor; }

static inline u32 reciprocal_scale(u32 val, u32 ep_ro)
{
	return (u32)(((u64)val * ep_ro) >> 32);
}

#endif
