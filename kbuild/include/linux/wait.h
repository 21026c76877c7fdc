/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Wait queues: wait_event*() and wake_up*().
 *
 * The condition is a C expression of the module's, so the loop that checks
 * it is here, in the module's code, as the kernel's ___wait_event is; the
 * host does the sleeping. Each wake_up() counts in the queue head
 * (__wakeups) before the host wakes the sleepers, and a sleep ends when the
 * count moved since the waiter last checked its condition: so a wake-up
 * between the check and the sleep is not lost, and every wake-up makes the
 * waiter check again.
 *
 * Return values are the kernel's: wait_event_timeout() gives the jiffies
 * left (at least 1) once the condition is true, 1 if it became true only as
 * the time ran out, 0 if it is still false; the interruptible and killable
 * ones give -ERESTARTSYS when a signal (rmmod, kthread_stop) ended them.
 * A task killed by a forced unload leaves even wait_event().
 *
 * The hand-written wait works too: prepare_to_wait() (or add_wait_queue()
 * and set_current_state()), check, schedule(), finish_wait(); a wake_up()
 * of the queue after the state was set ends the schedule(). The host wakes
 * every waiter (exclusive waits included: they loop on their condition);
 * custom wake functions (DEFINE_WAIT_FUNC) are not supported.
 */
#ifndef _LINUX_WAIT_H
#define _LINUX_WAIT_H

#include <linux/types.h>
#include <linux/errno.h>
#include <linux/sched.h>
#include <modhost/object.h>

struct wait_queue_head {
	modhost_handle_t __handle;
	unsigned int __static;
	unsigned int __waiters;		/* tasks between check and wake-up */
	unsigned long __wakeups;	/* wake_up() calls so far */
};
typedef struct wait_queue_head wait_queue_head_t;

#define __WAIT_QUEUE_HEAD_INITIALIZER(name) { .__static = MODHOST_OBJECT_STATIC }
#define DECLARE_WAIT_QUEUE_HEAD(name) \
	struct wait_queue_head name = __WAIT_QUEUE_HEAD_INITIALIZER(name)
#define DECLARE_WAIT_QUEUE_HEAD_ONSTACK(name) \
	struct wait_queue_head name = { .__static = MODHOST_OBJECT_ONSTACK }

void __modhost_init_waitqueue_head(struct wait_queue_head *wq_head, struct modhost_site site);
#define init_waitqueue_head(wq_head)	__modhost_init_waitqueue_head(wq_head, MODHOST_SITE())

void __modhost_wake_up(struct wait_queue_head *wq_head, struct modhost_site site);
#define wake_up(x)			__modhost_wake_up(x, MODHOST_SITE())
#define wake_up_all(x)			__modhost_wake_up(x, MODHOST_SITE())
#define wake_up_nr(x, nr)		((void)(nr), __modhost_wake_up(x, MODHOST_SITE()))
#define wake_up_interruptible(x)	__modhost_wake_up(x, MODHOST_SITE())
#define wake_up_interruptible_all(x)	__modhost_wake_up(x, MODHOST_SITE())
#define wake_up_interruptible_nr(x, nr)	((void)(nr), __modhost_wake_up(x, MODHOST_SITE()))
#define wake_up_interruptible_sync(x)	__modhost_wake_up(x, MODHOST_SITE())

/* A task's place on a queue, for the hand-written waits. */
struct wait_queue_entry;
typedef int (*wait_queue_func_t)(struct wait_queue_entry *wq_entry, unsigned int mode, int flags, void *key);

struct wait_queue_entry {
	unsigned int flags;
	void *private;			/* the task */
	wait_queue_func_t func;		/* never called: the host wakes */
	struct list_head entry;
	struct wait_queue_head *__head;	/* modhost: the queue it is on */
};
typedef struct wait_queue_entry wait_queue_entry_t;
typedef struct wait_queue_entry wait_queue_t;	/* its name before 4.13 */

#define WQ_FLAG_EXCLUSIVE	0x01

#define __WAITQUEUE_INITIALIZER(name, tsk) { .private = (tsk), .entry = { &(name).entry, &(name).entry } }
#define DECLARE_WAITQUEUE(name, tsk)	struct wait_queue_entry name = __WAITQUEUE_INITIALIZER(name, tsk)
#define DEFINE_WAIT(name)		DECLARE_WAITQUEUE(name, current)
#define init_wait(wait) do {						\
	struct wait_queue_entry *__entry = (wait);				\
	__entry->flags = 0;							\
	__entry->private = current;						\
	__entry->func = NULL;							\
	__entry->entry.next = __entry->entry.prev = &__entry->entry;		\
	__entry->__head = NULL;							\
} while (0)
#define init_waitqueue_entry(wq_entry, p) do {					\
	init_wait(wq_entry);							\
	(wq_entry)->private = (p);						\
} while (0)

void __modhost_add_wait_queue(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry,
			      struct modhost_site site);
void __modhost_remove_wait_queue(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry);
void __modhost_prepare_to_wait(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry,
			       unsigned int state, struct modhost_site site);
void __modhost_finish_wait(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry,
			   struct modhost_site site);

#define add_wait_queue(wq_head, wq_entry)	__modhost_add_wait_queue(wq_head, wq_entry, MODHOST_SITE())
#define add_wait_queue_exclusive(wq_head, wq_entry) __modhost_add_wait_queue(wq_head, wq_entry, MODHOST_SITE())
#define remove_wait_queue(wq_head, wq_entry)	__modhost_remove_wait_queue(wq_head, wq_entry)
#define prepare_to_wait(wq_head, wq_entry, state) \
	__modhost_prepare_to_wait(wq_head, wq_entry, state, MODHOST_SITE())
#define prepare_to_wait_exclusive(wq_head, wq_entry, state) \
	__modhost_prepare_to_wait(wq_head, wq_entry, state, MODHOST_SITE())
#define finish_wait(wq_head, wq_entry)	__modhost_finish_wait(wq_head, wq_entry, MODHOST_SITE())

/* Whether a task waits on the queue: one of this module's, in a
 * wait_event or on the queue by hand. */
static inline int waitqueue_active(struct wait_queue_head *wq_head)
{
	return __atomic_load_n(&wq_head->__waiters, __ATOMIC_SEQ_CST) != 0;
}

/* One wait_event*() in progress: kbuild/lib/wait.c. */
struct __modhost_wait {
	struct wait_queue_head *wq_head;
	unsigned long seen;		/* __wakeups when last checked */
	unsigned int state;		/* TASK_* */
	bool timed;
	long ret;			/* the result; for a timed wait, the time left */
	long error;			/* -ERESTARTSYS once a signal ended the sleep */
	struct modhost_site site;
};

void __modhost_wait_begin(struct __modhost_wait *wait, struct wait_queue_head *wq_head, unsigned int state,
			  bool timed, long timeout, struct modhost_site site);
/* Sleeps until a wake-up since the last check; false when the wait is
 * over: a signal or a kill (error set), or the time ran out (ret 0). */
bool __modhost_wait_sleep(struct __modhost_wait *wait);
void __modhost_wait_end(struct __modhost_wait *wait);

static inline void __modhost_wait_prepare(struct __modhost_wait *wait)
{
	wait->seen = __atomic_load_n(&wait->wq_head->__wakeups, __ATOMIC_SEQ_CST);
}

/* ___wait_cond_timeout: true when the wait is done, with its result set. */
static inline bool __modhost_wait_done(struct __modhost_wait *wait, bool cond)
{
	if (!wait->timed)
		return cond;
	if (cond && !wait->ret)
		wait->ret = 1;
	return cond || !wait->ret;
}

/* The last check, as the kernel's loop makes it: a condition that is true
 * wins over the signal that ended the sleep. */
static inline void __modhost_wait_over(struct __modhost_wait *wait, bool cond)
{
	if (wait->error && !cond)
		wait->ret = wait->error;
	else
		__modhost_wait_done(wait, cond);
}

#define __modhost_wait_event(wq_head, condition, state, timed, timeout) ({	\
	struct __modhost_wait __wait;						\
	__modhost_wait_begin(&__wait, &(wq_head), state, timed, timeout, MODHOST_SITE()); \
	for (;;) {								\
		__modhost_wait_prepare(&__wait);				\
		if (__modhost_wait_done(&__wait, (condition)))			\
			break;							\
		if (!__modhost_wait_sleep(&__wait)) {				\
			__modhost_wait_over(&__wait, (condition));		\
			break;							\
		}								\
	}									\
	__modhost_wait_end(&__wait);						\
	__wait.ret;								\
})

#define wait_event(wq_head, condition) \
	((void)__modhost_wait_event(wq_head, condition, TASK_UNINTERRUPTIBLE, false, 0))
#define wait_event_timeout(wq_head, condition, timeout) \
	__modhost_wait_event(wq_head, condition, TASK_UNINTERRUPTIBLE, true, timeout)
#define wait_event_interruptible(wq_head, condition) \
	({ int __ret = __modhost_wait_event(wq_head, condition, TASK_INTERRUPTIBLE, false, 0); __ret; })
#define wait_event_interruptible_timeout(wq_head, condition, timeout) \
	__modhost_wait_event(wq_head, condition, TASK_INTERRUPTIBLE, true, timeout)
#define wait_event_killable(wq_head, condition) \
	({ int __ret = __modhost_wait_event(wq_head, condition, TASK_KILLABLE, false, 0); __ret; })
#define wait_event_killable_timeout(wq_head, condition, timeout) \
	__modhost_wait_event(wq_head, condition, TASK_KILLABLE, true, timeout)
#define wait_event_idle(wq_head, condition) \
	((void)__modhost_wait_event(wq_head, condition, TASK_IDLE, false, 0))
#define wait_event_idle_timeout(wq_head, condition, timeout) \
	__modhost_wait_event(wq_head, condition, TASK_IDLE, true, timeout)
#define wait_event_freezable(wq_head, condition) wait_event_interruptible(wq_head, condition)

#endif /* _LINUX_WAIT_H */
