/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Workqueues and work items, with the kernel's rules (the host keeps them):
 * queueing a pending item returns false and does nothing; an item never
 * runs concurrently with itself; a delay of 0 queues at once;
 * cancel_*_sync waits for a running instance and defeats an item that
 * re-queues itself; destroy_workqueue drains the queue, but cannot see
 * delayed work whose timer is still armed: cancel it first.
 *
 * A work function may free the struct holding its item (kfree of a
 * kmalloc'd struct): the host object goes with it.
 *
 * A `struct workqueue_struct *` is the host's handle, not memory: compare
 * it with NULL, pass it back, never look inside.
 */
#ifndef _LINUX_WORKQUEUE_H
#define _LINUX_WORKQUEUE_H

#include <linux/types.h>
#include <linux/version.h>
#include <linux/container_of.h>
#include <linux/timer.h>
#include <modhost/object.h>

struct workqueue_struct;
struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);

struct work_struct {
	atomic_long_t data;
	struct list_head entry;
	work_func_t func;
	modhost_handle_t __handle;
	unsigned int __static;
	/* modhost: a delayed_work's item (made by the host as one). */
	unsigned int __delayed;
};

struct delayed_work {
	struct work_struct work;
	struct timer_list timer;	/* the host arms its own; kept for layout */
	struct workqueue_struct *wq;
	int cpu;
};

static inline struct delayed_work *to_delayed_work(struct work_struct *work)
{
	return container_of(work, struct delayed_work, work);
}

/* Flags of alloc_workqueue(). */
enum wq_flags {
	WQ_BH			= 1 << 0,	/* softirq context: may not sleep */
	WQ_UNBOUND		= 1 << 1,
	WQ_FREEZABLE		= 1 << 2,
	WQ_MEM_RECLAIM		= 1 << 3,
	WQ_HIGHPRI		= 1 << 4,
	WQ_CPU_INTENSIVE	= 1 << 5,
	WQ_SYSFS		= 1 << 6,
	WQ_POWER_EFFICIENT	= 1 << 7,
	__WQ_DESTROYING		= 1 << 15,
	__WQ_DRAINING		= 1 << 16,
	__WQ_ORDERED		= 1 << 17,
	__WQ_LEGACY		= 1 << 18,
};

enum wq_consts {
	WQ_MAX_ACTIVE		= 512,
	WQ_UNBOUND_MAX_ACTIVE	= WQ_MAX_ACTIVE,
	WQ_DFL_ACTIVE		= WQ_MAX_ACTIVE / 2,
	WQ_NAME_LEN		= 32,
};

#define WORK_CPU_UNBOUND	64

#define __WORK_INITIALIZER(n, f) {						\
	.entry = { &(n).entry, &(n).entry }, .func = (f),			\
	.__static = MODHOST_OBJECT_STATIC }
#define __DELAYED_WORK_INITIALIZER(n, f, tflags) {				\
	.work = { .entry = { &(n).work.entry, &(n).work.entry }, .func = (f),	\
		  .__static = MODHOST_OBJECT_STATIC, .__delayed = 1 } }
#define DECLARE_WORK(n, f)		struct work_struct n = __WORK_INITIALIZER(n, f)
#define DECLARE_DELAYED_WORK(n, f)	struct delayed_work n = __DELAYED_WORK_INITIALIZER(n, f, 0)
#define DECLARE_DEFERRABLE_WORK(n, f)	struct delayed_work n = __DELAYED_WORK_INITIALIZER(n, f, TIMER_DEFERRABLE)

void __modhost_init_work(struct work_struct *work, unsigned int delayed, struct modhost_site site);

/* The function is set here, in the module's code, so that its type is
 * checked: a lab-era `void f(void)` is a warning, as it was then. */
#define __INIT_WORK(_work, _func, _onstack) do {				\
	struct work_struct *__work = (_work);					\
	__work->func = (_func);							\
	__modhost_init_work(__work, 0, MODHOST_SITE());				\
} while (0)
#define INIT_WORK(_work, _func)		__INIT_WORK(_work, _func, 0)
#define INIT_WORK_ONSTACK(_work, _func)	__INIT_WORK(_work, _func, 1)
#define __INIT_DELAYED_WORK(_dwork, _func, _tflags) do {			\
	struct delayed_work *__dwork = (_dwork);				\
	__dwork->work.func = (_func);						\
	__modhost_init_work(&__dwork->work, 1, MODHOST_SITE());			\
} while (0)
#define INIT_DELAYED_WORK(_work, _func)	__INIT_DELAYED_WORK(_work, _func, 0)
#define INIT_DELAYED_WORK_ONSTACK(_work, _func) __INIT_DELAYED_WORK(_work, _func, 0)
#define INIT_DEFERRABLE_WORK(_work, _func) __INIT_DELAYED_WORK(_work, _func, TIMER_DEFERRABLE)

/* Workqueues. */
struct workqueue_struct *__modhost_alloc_workqueue(struct modhost_site site, const char *fmt, unsigned int flags,
						   int max_active, ...) __printf(2, 5);
void __modhost_flush_workqueue(struct workqueue_struct *wq, struct modhost_site site);
void __modhost_drain_workqueue(struct workqueue_struct *wq, struct modhost_site site);
void __modhost_destroy_workqueue(struct workqueue_struct *wq, struct modhost_site site);
struct workqueue_struct *__modhost_system_wq(unsigned int which);

#define alloc_workqueue(fmt, flags, max_active, ...) \
	__modhost_alloc_workqueue(MODHOST_SITE(), fmt, flags, max_active, ##__VA_ARGS__)
#define alloc_ordered_workqueue(fmt, flags, ...) \
	alloc_workqueue(fmt, WQ_UNBOUND | __WQ_ORDERED | (flags), 1, ##__VA_ARGS__)
#define create_workqueue(name) \
	alloc_workqueue("%s", __WQ_LEGACY | WQ_MEM_RECLAIM, 1, (name))
#define create_freezable_workqueue(name) \
	alloc_workqueue("%s", __WQ_LEGACY | WQ_FREEZABLE | WQ_UNBOUND | WQ_MEM_RECLAIM, 1, (name))
#define create_singlethread_workqueue(name) \
	alloc_ordered_workqueue("%s", __WQ_LEGACY | WQ_MEM_RECLAIM, (name))
#define flush_workqueue(wq)	__modhost_flush_workqueue(wq, MODHOST_SITE())
#define drain_workqueue(wq)	__modhost_drain_workqueue(wq, MODHOST_SITE())
#define destroy_workqueue(wq)	__modhost_destroy_workqueue(wq, MODHOST_SITE())

/* The system workqueues: expressions, as the host makes them on first use. */
#define system_wq			__modhost_system_wq(MODHOST_WQ_SYSTEM)
#define system_highpri_wq		__modhost_system_wq(MODHOST_WQ_SYSTEM_HIGHPRI)
#define system_long_wq			__modhost_system_wq(MODHOST_WQ_SYSTEM_LONG)
#define system_unbound_wq		__modhost_system_wq(MODHOST_WQ_SYSTEM_UNBOUND)
#define system_freezable_wq		__modhost_system_wq(MODHOST_WQ_SYSTEM_FREEZABLE)
#define system_power_efficient_wq	__modhost_system_wq(MODHOST_WQ_SYSTEM_POWER_EFFICIENT)
#define system_freezable_power_efficient_wq __modhost_system_wq(MODHOST_WQ_SYSTEM_FREEZABLE)
#define system_bh_wq			__modhost_system_wq(MODHOST_WQ_SYSTEM_BH)
#define system_bh_highpri_wq		__modhost_system_wq(MODHOST_WQ_SYSTEM_BH)
#define system_percpu_wq		system_wq
#define system_dfl_wq			system_unbound_wq

/* Queueing: true if queued, false if it was already pending. */
bool __modhost_queue_work(struct workqueue_struct *wq, struct work_struct *work, struct modhost_site site);
bool __modhost_queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork, unsigned long delay,
				  struct modhost_site site);
/* true if it was pending (and is now re-armed), false if it was idle. */
bool __modhost_mod_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork, unsigned long delay,
				struct modhost_site site);

#define queue_work(wq, work)		__modhost_queue_work(wq, work, MODHOST_SITE())
#define queue_work_on(cpu, wq, work)	((void)(cpu), queue_work(wq, work))
#define queue_delayed_work(wq, dwork, delay) \
	__modhost_queue_delayed_work(wq, dwork, delay, MODHOST_SITE())
#define queue_delayed_work_on(cpu, wq, dwork, delay) ((void)(cpu), queue_delayed_work(wq, dwork, delay))
#define mod_delayed_work(wq, dwork, delay) \
	__modhost_mod_delayed_work(wq, dwork, delay, MODHOST_SITE())
#define mod_delayed_work_on(cpu, wq, dwork, delay) ((void)(cpu), mod_delayed_work(wq, dwork, delay))
#define schedule_work(work)		queue_work(system_wq, work)
#define schedule_work_on(cpu, work)	queue_work_on(cpu, system_wq, work)
#define schedule_delayed_work(dwork, delay) queue_delayed_work(system_wq, dwork, delay)
#define schedule_delayed_work_on(cpu, dwork, delay) queue_delayed_work_on(cpu, system_wq, dwork, delay)

/* Cancelling: true if it was pending. The _sync ones also wait for a
 * running instance; the disable ones also refuse queueing until enabled. */
bool __modhost_work_cancel(struct work_struct *work, unsigned int how, struct modhost_site site);
bool __modhost_flush_work(struct work_struct *work, struct modhost_site site);
bool __modhost_work_pending(struct work_struct *work, struct modhost_site site);
bool __modhost_enable_work(struct work_struct *work, struct modhost_site site);
void __modhost_destroy_work(struct work_struct *work, struct modhost_site site);

#define cancel_work(work)		__modhost_work_cancel(work, MODHOST_WORK_CANCEL, MODHOST_SITE())
#define cancel_work_sync(work)		__modhost_work_cancel(work, MODHOST_WORK_CANCEL_SYNC, MODHOST_SITE())
#define cancel_delayed_work(dwork)	__modhost_work_cancel(&(dwork)->work, MODHOST_WORK_CANCEL, MODHOST_SITE())
#define cancel_delayed_work_sync(dwork) \
	__modhost_work_cancel(&(dwork)->work, MODHOST_WORK_CANCEL_SYNC, MODHOST_SITE())
#define disable_work(work)		__modhost_work_cancel(work, MODHOST_WORK_DISABLE, MODHOST_SITE())
#define disable_work_sync(work)		__modhost_work_cancel(work, MODHOST_WORK_DISABLE_SYNC, MODHOST_SITE())
#define enable_work(work)		__modhost_enable_work(work, MODHOST_SITE())
#define disable_delayed_work(dwork)	disable_work(&(dwork)->work)
#define disable_delayed_work_sync(dwork) disable_work_sync(&(dwork)->work)
#define enable_delayed_work(dwork)	enable_work(&(dwork)->work)

/* true if it waited for the item, false if it was idle. flush_delayed_work
 * runs an armed item now and waits for it. */
#define flush_work(work)		__modhost_flush_work(work, MODHOST_SITE())
#define flush_delayed_work(dwork)	__modhost_flush_work(&(dwork)->work, MODHOST_SITE())

#define work_pending(work)		__modhost_work_pending(work, MODHOST_SITE())
#define delayed_work_pending(dwork)	work_pending(&(dwork)->work)

/* Items on the stack, or freed by other means than kfree: free the host
 * object first (after cancelling; it waits for a running instance). */
#define destroy_work_on_stack(work)	__modhost_destroy_work(work, MODHOST_SITE())
#define destroy_delayed_work_on_stack(dwork) __modhost_destroy_work(&(dwork)->work, MODHOST_SITE())

/* Flushing a system-wide workqueue is deprecated: warned about when built
 * and when run, as the kernel does, and done. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 19, 0)
void __modhost_warn_flushing_systemwide_wq(struct modhost_site site)
	__attribute__((__warning__("Please avoid flushing system-wide workqueues.")));
#define flush_scheduled_work() ({						\
	__modhost_warn_flushing_systemwide_wq(MODHOST_SITE());			\
	__modhost_flush_workqueue(system_wq, MODHOST_SITE());			\
})
#else
#define flush_scheduled_work()	__modhost_flush_workqueue(system_wq, MODHOST_SITE())
#endif

#endif /* _LINUX_WORKQUEUE_H */
