// SPDX-License-Identifier: GPL-2.0-only
/*
 * Timers: struct timer_list over the host's timer.
 *
 * The host calls back with the struct's address (call_timer_fn, the
 * kernel's name, which stack traces show); the struct says how to
 * call the module's function: with the struct (timer_setup) or, for the
 * old generation's set-ups, with .data (__data_call). The function is read
 * when the timer fires, so setting .function after init_timer() works.
 * add_timer() arms at .expires, so a module may set .expires by hand.
 *
 * Kernel counterpart: kernel/time/timer.c.
 */
#include <linux/timer.h>
#include "object.h"
#include "sched.h"

static modhost_s32 call_timer_fn(const void *context, modhost_handle_t handle)
{
	struct timer_list *timer = (struct timer_list *)context;
	void *function = (void *)timer->function;

	(void)handle;
	if (timer->__data_call)
		((void (*)(unsigned long))function)(timer->data);
	else
		((void (*)(struct timer_list *))function)(timer);
	modhost_task_exits();
	return 0;
}

static modhost_handle_t make_timer(const void *object, struct modhost_site site)
{
	const struct timer_list *timer = object;

	site.ip = (unsigned long)timer->function;	/* reports name the timer by its function */
	return mh_call(timer, timer_setup,
		       ((struct modhost_callback){ call_timer_fn, timer, modhost_release_nothing }),
		       timer->flags & TIMER_INIT_FLAGS, site);
}

static modhost_handle_t timer_handle(const struct timer_list *timer, struct modhost_site site)
{
	struct timer_list *t = (struct timer_list *)timer;

	return modhost_object(&t->__handle, t->__static, t, make_timer, __modhost_services->timer->timer_free, site);
}

void __modhost_timer_init(struct timer_list *timer, unsigned int flags, unsigned int data_call,
			  struct modhost_site site)
{
	timer->flags = flags;
	timer->__data_call = data_call;
	timer->__static = 0;
	modhost_object_made(&timer->__handle, timer, make_timer(timer, site));
}

void __modhost_add_timer(struct timer_list *timer, struct modhost_site site)
{
	mh_call(timer, add_timer, timer_handle(timer, site), timer->expires, site);
}

int __modhost_mod_timer(struct timer_list *timer, unsigned long expires, struct modhost_site site)
{
	timer->expires = expires;
	return mh_call(timer, mod_timer, timer_handle(timer, site), expires, site);
}

int __modhost_timer_delete(struct timer_list *timer, unsigned int how, struct modhost_site site)
{
	int ret = mh_call(timer, timer_delete, timer_handle(timer, site), how, site);

	/* Killed while waiting for the callback: the kernel's value says "was not pending". */
	return ret < 0 ? 0 : ret;
}

int __modhost_timer_pending(const struct timer_list *timer, struct modhost_site site)
{
	return mh_call(timer, timer_pending, timer_handle(timer, site), site);
}

void __modhost_destroy_timer(struct timer_list *timer, struct modhost_site site)
{
	modhost_object_free(&timer->__handle, __modhost_services->timer->timer_free, site);
}
