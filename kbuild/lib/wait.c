// SPDX-License-Identifier: GPL-2.0-only
/*
 * Wait queues: the host side of <linux/wait.h>'s wait_event loop.
 *
 * The loop (in the module's code) checks the condition; between checks the
 * task sleeps in the host's wait_event, on a condition of ours: "the
 * queue's wake-up count moved since my last check". wake_up() moves the
 * count before it asks the host to wake the sleepers, so a wake-up that
 * comes after the module's check and before the host's sleep still ends
 * that sleep.
 *
 * The hand-written waits (prepare_to_wait or add_wait_queue, then
 * schedule()) put the task on the queue in sched.c's table, and its
 * schedule() sleeps on the queue with the same condition.
 *
 * Kernel counterpart: include/linux/wait.h (___wait_event),
 * kernel/sched/wait.c.
 */
#include <linux/wait.h>
#include "object.h"
#include "sched.h"

static modhost_handle_t make_waitqueue(const void *object, struct modhost_site site)
{
	(void)object;
	return mh_call(wait, init_waitqueue_head, site);
}

modhost_handle_t modhost_waitqueue(struct wait_queue_head *wq_head, struct modhost_site site)
{
	return modhost_object(&wq_head->__handle, wq_head->__static, wq_head, make_waitqueue,
			      __modhost_services->wait->waitqueue_free, site);
}

void __modhost_init_waitqueue_head(struct wait_queue_head *wq_head, struct modhost_site site)
{
	wq_head->__static = 0;
	wq_head->__waiters = 0;
	wq_head->__wakeups = 0;
	modhost_object_made(&wq_head->__handle, wq_head, make_waitqueue(wq_head, site));
}

void __modhost_wake_up(struct wait_queue_head *wq_head, struct modhost_site site)
{
	__atomic_add_fetch(&wq_head->__wakeups, 1, __ATOMIC_SEQ_CST);
	mh_call(wait, wake_up, modhost_waitqueue(wq_head, site), site);
}

void __modhost_wait_begin(struct __modhost_wait *wait, struct wait_queue_head *wq_head, unsigned int state,
			  bool timed, long timeout, struct modhost_site site)
{
	wait->wq_head = wq_head;
	wait->seen = 0;
	wait->state = state;
	wait->timed = timed;
	wait->ret = timed ? timeout : 0;
	wait->error = 0;
	wait->site = site;
	/* Counted before the first check: a waker that tests waitqueue_active()
	 * after changing the condition then sees this task. */
	__atomic_add_fetch(&wq_head->__waiters, 1, __ATOMIC_SEQ_CST);
}

static bool woken_since_check(const void *context)
{
	const struct __modhost_wait *wait = context;

	return __atomic_load_n(&wait->wq_head->__wakeups, __ATOMIC_SEQ_CST) != wait->seen;
}

bool __modhost_wait_sleep(struct __modhost_wait *wait)
{
	struct modhost_timeout timeout = modhost_timeout(wait->timed ? wait->ret : MAX_SCHEDULE_TIMEOUT);
	modhost_s64 ret = mh_call(wait, wait_event, modhost_waitqueue(wait->wq_head, wait->site),
				  ((struct modhost_condition){ woken_since_check, wait }),
				  modhost_sleep_mode(wait->state), timeout, wait->site);

	if (ret < 0) {
		wait->error = ret;
		return false;
	}
	if (!wait->timed)
		return true;
	/* The time left (at least 1) after a wake-up; 0 when it ran out. */
	wait->ret = ret;
	return ret != 0;
}

void __modhost_wait_end(struct __modhost_wait *wait)
{
	__atomic_sub_fetch(&wait->wq_head->__waiters, 1, __ATOMIC_SEQ_CST);
}

/* On the queue, counted in __waiters, once per entry. */
static void enqueue(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry, struct modhost_site site)
{
	if (wq_entry->__head)
		return;
	wq_entry->__head = wq_head;
	__atomic_add_fetch(&wq_head->__waiters, 1, __ATOMIC_SEQ_CST);
	modhost_task_on_queue(wq_head, site);
}

static void dequeue(struct wait_queue_entry *wq_entry)
{
	if (!wq_entry->__head)
		return;
	__atomic_sub_fetch(&wq_entry->__head->__waiters, 1, __ATOMIC_SEQ_CST);
	wq_entry->__head = NULL;
	modhost_task_off_queue();
}

void __modhost_add_wait_queue(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry,
			      struct modhost_site site)
{
	wq_entry->__head = NULL;
	enqueue(wq_head, wq_entry, site);
}

void __modhost_remove_wait_queue(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry)
{
	(void)wq_head;
	dequeue(wq_entry);
}

void __modhost_prepare_to_wait(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry,
			       unsigned int state, struct modhost_site site)
{
	enqueue(wq_head, wq_entry, site);
	__modhost_set_current_state(state, site);
}

void __modhost_finish_wait(struct wait_queue_head *wq_head, struct wait_queue_entry *wq_entry,
			   struct modhost_site site)
{
	(void)wq_head;
	__modhost_set_current_state(TASK_RUNNING, site);
	dequeue(wq_entry);
}
