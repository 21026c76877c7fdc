/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Timers: struct timer_list, both generations.
 *
 * Before 4.15 the callback is `void f(unsigned long data)`, set up with
 * init_timer() + .function/.data or setup_timer(); from 4.15 it is
 * `void f(struct timer_list *t)`, set up with timer_setup() and recovered
 * with from_timer() or timer_container_of(). Where the generations
 * differ, <linux/version.h> picks; names that can live together are all
 * here. kbuild/lib serves both kinds of callback, by the struct's
 * __data_call, which the old set-ups set.
 *
 * add_timer() arms at .expires, so a module may set .expires by hand
 * first. Callbacks run in softirq context: they may not sleep.
 */
#ifndef _LINUX_TIMER_H
#define _LINUX_TIMER_H

#include <linux/types.h>
#include <linux/version.h>
#include <linux/container_of.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <modhost/object.h>

#define TIMER_CPUMASK		0x0003FFFF
#define TIMER_MIGRATING		0x00040000
#define TIMER_BASEMASK		(TIMER_CPUMASK | TIMER_MIGRATING)
#define TIMER_DEFERRABLE	0x00080000
#define TIMER_PINNED		0x00200000
#define TIMER_IRQSAFE		0x00100000
#define TIMER_INIT_FLAGS	(TIMER_DEFERRABLE | TIMER_PINNED | TIMER_IRQSAFE)

struct timer_list {
	struct hlist_node entry;
	unsigned long expires;
#if LINUX_VERSION_CODE < KERNEL_VERSION(4, 15, 0)
	void (*function)(unsigned long);
#else
	void (*function)(struct timer_list *);
#endif
	unsigned long data;
	u32 flags;
	/* modhost: 1 = call function(data), the old generation's way. */
	unsigned int __data_call;
	modhost_handle_t __handle;
	unsigned int __static;
};

void __modhost_timer_init(struct timer_list *timer, unsigned int flags, unsigned int data_call,
			  struct modhost_site site);
void __modhost_add_timer(struct timer_list *timer, struct modhost_site site);
int __modhost_mod_timer(struct timer_list *timer, unsigned long expires, struct modhost_site site);
int __modhost_timer_delete(struct timer_list *timer, unsigned int how, struct modhost_site site);
int __modhost_timer_pending(const struct timer_list *timer, struct modhost_site site);
void __modhost_destroy_timer(struct timer_list *timer, struct modhost_site site);

#define add_timer(timer)		__modhost_add_timer(timer, MODHOST_SITE())
#define mod_timer(timer, expires)	__modhost_mod_timer(timer, expires, MODHOST_SITE())
#define timer_pending(timer)		__modhost_timer_pending(timer, MODHOST_SITE())
#define timer_reduce(timer, expires)	__modhost_mod_timer(timer, expires, MODHOST_SITE())
#define destroy_timer_on_stack(timer)	__modhost_destroy_timer(timer, MODHOST_SITE())
#define add_timer_on(timer, cpu)	((void)(cpu), add_timer(timer))

/* The generations differ in the callback's type, and so in the set-up
 * calls and in DEFINE_TIMER's arguments: LINUX_VERSION_CODE picks. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(4, 15, 0)
#define TIMER_DATA_TYPE		unsigned long
#define TIMER_FUNC_TYPE		void (*)(TIMER_DATA_TYPE)
/* As 4.14 has it: the callback of the struct, in the old field. */
#define timer_setup(timer, callback, _flags) do {				\
	struct timer_list *__timer = (timer);					\
	__timer->function = (TIMER_FUNC_TYPE)(callback);			\
	__modhost_timer_init(__timer, _flags, 0, MODHOST_SITE());		\
} while (0)
#define init_timer(timer)	__modhost_timer_init(timer, 0, 1, MODHOST_SITE())
#define init_timer_on_stack(timer) init_timer(timer)
#define setup_timer(timer, fn, data_value) do {					\
	struct timer_list *__timer = (timer);					\
	__timer->function = (fn);						\
	__timer->data = (data_value);						\
	__modhost_timer_init(__timer, 0, 1, MODHOST_SITE());			\
} while (0)
#define setup_timer_on_stack(timer, fn, data_value) setup_timer(timer, fn, data_value)
#define __TIMER_INITIALIZER(_function, _expires, _data, _flags) {		\
		.expires = (_expires), .function = (_function), .data = (_data),	\
		.flags = (_flags), .__data_call = 1, .__static = MODHOST_OBJECT_STATIC }
#define TIMER_INITIALIZER(_function, _expires, _data) __TIMER_INITIALIZER(_function, _expires, _data, 0)
#define DEFINE_TIMER(_name, _function, _expires, _data) \
	struct timer_list _name = TIMER_INITIALIZER(_function, _expires, _data)
#else
#define timer_setup(timer, callback, _flags) do {				\
	struct timer_list *__timer = (timer);					\
	__timer->function = (callback);						\
	__modhost_timer_init(__timer, _flags, 0, MODHOST_SITE());		\
} while (0)
#define __TIMER_INITIALIZER(_function, _flags) {				\
		.function = (_function), .flags = (_flags),			\
		.__static = MODHOST_OBJECT_STATIC }
#define DEFINE_TIMER(_name, _function) \
	struct timer_list _name = __TIMER_INITIALIZER(_function, 0)
#endif
#define timer_setup_on_stack(timer, callback, flags) timer_setup(timer, callback, flags)

/* Names that came and went without changing what they do live together:
 * from_timer (until 6.16) and timer_container_of, del_timer (until 6.15)
 * and timer_delete. */
#define from_timer(var, callback_timer, timer_fieldname) \
	container_of(callback_timer, __typeof__(*var), timer_fieldname)
#define timer_container_of(var, callback_timer, timer_fieldname) \
	container_of(callback_timer, __typeof__(*var), timer_fieldname)

/* Deactivation: 1 if it was pending. The _sync ones wait for a running
 * callback (not from the callback itself: reported, not waited for). */
#define timer_delete(timer)	 __modhost_timer_delete(timer, MODHOST_TIMER_DELETE, MODHOST_SITE())
#define timer_delete_sync(timer) __modhost_timer_delete(timer, MODHOST_TIMER_DELETE_SYNC, MODHOST_SITE())
#define del_timer(timer)	timer_delete(timer)
#define del_timer_sync(timer)	timer_delete_sync(timer)
/* After a shutdown every arming is ignored: for timers that re-arm. */
#define timer_shutdown(timer)	 __modhost_timer_delete(timer, MODHOST_TIMER_SHUTDOWN, MODHOST_SITE())
#define timer_shutdown_sync(timer) __modhost_timer_delete(timer, MODHOST_TIMER_SHUTDOWN_SYNC, MODHOST_SITE())

#endif /* _LINUX_TIMER_H */
