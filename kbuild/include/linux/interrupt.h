/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tasklets, over the host's softirq workqueue (system_bh_wq): a tasklet
 * runs in softirq context (sleeping is reported), never concurrently with
 * itself, once however often it was scheduled before it ran.
 * tasklet_disable() waits for a running one; a disabled tasklet stays
 * scheduled and runs after tasklet_enable(). tasklet_kill() waits for a
 * running one and unschedules it.
 *
 * Before 5.9 the function is `void f(unsigned long data)`:
 * DECLARE_TASKLET(name, func, data), tasklet_init(). From 5.9 the callback
 * is `void f(struct tasklet_struct *t)`: DECLARE_TASKLET(name, callback),
 * tasklet_setup(), from_tasklet(); DECLARE_TASKLET_OLD and tasklet_init()
 * keep the old form. Only DECLARE_TASKLET's arguments depend on
 * <linux/version.h>; the other names are all here.
 */
#ifndef _LINUX_INTERRUPT_H
#define _LINUX_INTERRUPT_H

#include <linux/types.h>
#include <linux/version.h>
#include <linux/container_of.h>
#include <linux/hardirq.h>
#include <linux/irqflags.h>
#include <modhost/object.h>

struct tasklet_struct {
	struct tasklet_struct *next;
	unsigned long state;
	atomic_t count;			/* > 0: disabled */
	bool use_callback;
	union {
		void (*func)(unsigned long data);
		void (*callback)(struct tasklet_struct *t);
	};
	unsigned long data;
	modhost_handle_t __handle;	/* its work item on system_bh_wq */
	unsigned int __static;
	unsigned int __held;		/* ran while disabled: runs at enable */
};

#define __MODHOST_TASKLET(_count, ...) { .count = { (_count) }, __VA_ARGS__, \
	.__static = MODHOST_OBJECT_STATIC }

/* DECLARE_TASKLET's arguments differ by generation: LINUX_VERSION_CODE picks. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 9, 0)
#define DECLARE_TASKLET(name, _callback) struct tasklet_struct name = \
	__MODHOST_TASKLET(0, .callback = (_callback), .use_callback = true)
#define DECLARE_TASKLET_DISABLED(name, _callback) struct tasklet_struct name = \
	__MODHOST_TASKLET(1, .callback = (_callback), .use_callback = true)
#else
#define DECLARE_TASKLET(name, _func, _data) struct tasklet_struct name = \
	__MODHOST_TASKLET(0, .func = (_func), .data = (_data))
#define DECLARE_TASKLET_DISABLED(name, _func, _data) struct tasklet_struct name = \
	__MODHOST_TASKLET(1, .func = (_func), .data = (_data))
#endif
#define DECLARE_TASKLET_OLD(name, _func) struct tasklet_struct name = \
	__MODHOST_TASKLET(0, .func = (_func))
#define DECLARE_TASKLET_DISABLED_OLD(name, _func) struct tasklet_struct name = \
	__MODHOST_TASKLET(1, .func = (_func))
#define from_tasklet(var, callback_tasklet, tasklet_fieldname) \
	container_of(callback_tasklet, __typeof__(*var), tasklet_fieldname)

void __modhost_tasklet_init(struct tasklet_struct *t, struct modhost_site site);
void __modhost_tasklet_schedule(struct tasklet_struct *t, struct modhost_site site);
void __modhost_tasklet_kill(struct tasklet_struct *t, struct modhost_site site);
void __modhost_tasklet_disable(struct tasklet_struct *t, bool sync, struct modhost_site site);
void __modhost_tasklet_enable(struct tasklet_struct *t, struct modhost_site site);

#define tasklet_init(t, _func, _data) do {					\
	struct tasklet_struct *__t = (t);					\
	__t->func = (_func);							\
	__t->data = (_data);							\
	__t->use_callback = false;						\
	__modhost_tasklet_init(__t, MODHOST_SITE());				\
} while (0)
#define tasklet_setup(t, _callback) do {					\
	struct tasklet_struct *__t = (t);					\
	__t->callback = (_callback);						\
	__t->use_callback = true;						\
	__modhost_tasklet_init(__t, MODHOST_SITE());				\
} while (0)

#define tasklet_schedule(t)		__modhost_tasklet_schedule(t, MODHOST_SITE())
#define tasklet_hi_schedule(t)		__modhost_tasklet_schedule(t, MODHOST_SITE())
#define tasklet_kill(t)			__modhost_tasklet_kill(t, MODHOST_SITE())
#define tasklet_disable_nosync(t)	__modhost_tasklet_disable(t, false, MODHOST_SITE())
#define tasklet_disable(t)		__modhost_tasklet_disable(t, true, MODHOST_SITE())
#define tasklet_disable_in_atomic(t)	__modhost_tasklet_disable(t, false, MODHOST_SITE())
#define tasklet_enable(t)		__modhost_tasklet_enable(t, MODHOST_SITE())

#endif /* _LINUX_INTERRUPT_H */
