/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal to kbuild/include and kbuild/lib: how the kernel API reaches the
 * host. Module code never includes this directly.
 *
 * Every .ko links its own copy of kbuild/lib (hidden symbols), so these
 * globals are per module instance: `start` sets them before init.
 */
#ifndef _MODHOST_LIB_H
#define _MODHOST_LIB_H

#include <modhost/kmod.h>
#include <linux/instruction_pointer.h>

#define __modhost_hidden __attribute__((visibility("hidden")))

extern const struct modhost_services *__modhost_services __modhost_hidden;
extern modhost_module_t __modhost_self __modhost_hidden;
extern struct module __this_module;

/* The caller's place in its source, for reports: API calls that take a
 * site are macros that pass MODHOST_SITE() to a __modhost_ function. */
#define MODHOST_SITE() \
	((struct modhost_site){ { __FILE__, sizeof(__FILE__) - 1 }, __LINE__, 0, _THIS_IP_ })

/* A C string as the table takes it. */
static inline struct modhost_str modhost_str(const char *s)
{
	return (struct modhost_str){ s, s ? __builtin_strlen(s) : 0 };
}

/* A call into the host: mh_call(timer, mod_timer, handle, expires, site).
 * The parentheses around the member keep a function-like macro of the same
 * name (the API's `#define mod_timer(timer, expires) ...`) from expanding. */
#define mh_call(group, fn, ...) \
	((__modhost_services->group->fn)(__modhost_self, ##__VA_ARGS__))

#endif /* _MODHOST_LIB_H */
