/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BUG and WARN. WARN_ON(cond) and WARN(cond, fmt, ...) report at the
 * caller's file:line through the host (which taints W and logs the
 * kernel's "WARNING: ... at file:line" report) and yield the condition.
 * BUG() prints "kernel BUG at file:line!" and then traps (ud2) right at
 * the site: the host's Oops ("invalid opcode") kills the task there.
 */
#ifndef _LINUX_BUG_H
#define _LINUX_BUG_H

#include <linux/compiler.h>
#include <linux/build_bug.h>
#include <linux/types.h>
#include <modhost/lib.h>

extern void __modhost_warn(struct modhost_site site, const char *fmt, ...) __printf(2, 3) __cold;
extern void __modhost_bug(struct modhost_site site) __cold;

#define BUG() do { __modhost_bug(MODHOST_SITE()); __builtin_trap(); } while (0)
#define BUG_ON(condition) do { if (unlikely(condition)) BUG(); } while (0)

#define __WARN() __modhost_warn(MODHOST_SITE(), NULL)
#define __WARN_printf(taint, fmt, ...) __modhost_warn(MODHOST_SITE(), fmt, ##__VA_ARGS__)

#define WARN_ON(condition) ({						\
	int __ret_warn_on = !!(condition);				\
	if (unlikely(__ret_warn_on))					\
		__WARN();						\
	unlikely(__ret_warn_on);					\
})

#define WARN(condition, format, ...) ({					\
	int __ret_warn_on = !!(condition);				\
	if (unlikely(__ret_warn_on))					\
		__WARN_printf(0, format, ##__VA_ARGS__);		\
	unlikely(__ret_warn_on);					\
})

#define WARN_TAINT(condition, taint, format, ...) WARN(condition, format, ##__VA_ARGS__)

/* Once per module instance: the flag lives in the module's data. */
#define __modhost_once(condition, report) ({				\
	static bool __warned;						\
	int __ret_warn_once = !!(condition);				\
	if (unlikely(__ret_warn_once) &&				\
	    !__atomic_exchange_n(&__warned, true, __ATOMIC_RELAXED))	\
		report;							\
	unlikely(__ret_warn_once);					\
})
#define WARN_ON_ONCE(condition) __modhost_once(condition, __WARN())
#define WARN_ONCE(condition, format, ...) \
	__modhost_once(condition, __WARN_printf(0, format, ##__VA_ARGS__))
#define WARN_TAINT_ONCE(condition, taint, format, ...) WARN_ONCE(condition, format, ##__VA_ARGS__)

#endif
