/* SPDX-License-Identifier: GPL-2.0-only */
/* The compiler's vocabulary as the kernel spells it. */
#ifndef _LINUX_COMPILER_H
#define _LINUX_COMPILER_H

#define __always_inline inline __attribute__((__always_inline__))
#define noinline __attribute__((__noinline__))
#define __noreturn __attribute__((__noreturn__))
#define __packed __attribute__((__packed__))
#define __aligned(x) __attribute__((__aligned__(x)))
#define __section(s) __attribute__((__section__(s)))
#define __used __attribute__((__used__))
#define __maybe_unused __attribute__((__unused__))
#define __always_unused __attribute__((__unused__))
#define __weak __attribute__((__weak__))
#define __cold __attribute__((__cold__))
#define __printf(a, b) __attribute__((__format__(printf, a, b)))
#define __scanf(a, b) __attribute__((__format__(scanf, a, b)))
#define __must_check __attribute__((__warn_unused_result__))
#define __pure __attribute__((__pure__))
#define __visible __attribute__((__externally_visible__))
#define __deprecated
#define __user
#define __kernel
#define __iomem
#define __force
#define __rcu
#define __percpu
#define __acquires(x)
#define __releases(x)
#define __must_hold(x)
#define notrace
#define fallthrough __attribute__((__fallthrough__))

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define barrier() __asm__ __volatile__("" : : : "memory")

#define ___PASTE(a, b) a##b
#define __PASTE(a, b) ___PASTE(a, b)
#define __UNIQUE_ID(prefix) __PASTE(__PASTE(__UNIQUE_ID_, prefix), __COUNTER__)

#define __stringify_1(x...) #x
#define __stringify(x...) __stringify_1(x)

#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, val) do { *(volatile __typeof__(x) *)&(x) = (val); } while (0)

#define __same_type(a, b) __builtin_types_compatible_p(__typeof__(a), __typeof__(b))
#define BUILD_BUG_ON_ZERO(e) ((int)(sizeof(struct { int : (-!!(e)); })))
#define __must_be_array(a) BUILD_BUG_ON_ZERO(__same_type((a), &(a)[0]))
#define BUILD_BUG_ON(condition) ((void)sizeof(char[1 - 2 * !!(condition)]))
#define static_assert(expr, ...) _Static_assert(expr, #expr)

/* Added for the C library (kernel.h, slab.h, string.h, module.h). */
#define __malloc __attribute__((__malloc__))
#define __alloc_size(x, ...) __attribute__((__alloc_size__(x, ##__VA_ARGS__)))
#define __copy(symbol) __attribute__((__copy__(symbol)))
#define __realloc_size(x, ...) __alloc_size(x, ##__VA_ARGS__)
#define __read_mostly
#define __ro_after_init
#define noinline_for_stack noinline
#define __nocast
#define __safe
#define __bitwise
#define __private
#define __cond_lock(x, c) (c)
#define __native_word(t) \
	(sizeof(t) == sizeof(char) || sizeof(t) == sizeof(short) || \
	 sizeof(t) == sizeof(int) || sizeof(t) == sizeof(long))
#define __is_constexpr(x) \
	(sizeof(int) == sizeof(*(8 ? ((void *)((long)(x) * 0l)) : (int *)8)))
#define __ADDRESSABLE(sym) \
	static void *__UNIQUE_ID(__addressable_##sym) __used = (void *)(unsigned long)&sym;

#endif
