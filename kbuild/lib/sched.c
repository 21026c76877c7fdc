// SPDX-License-Identifier: GPL-2.0-only
/*
 * Task states: set_current_state(), schedule_timeout() and the first half
 * of wake_up_process().
 *
 * What the kernel keeps in each task_struct's state, this module keeps in
 * a small table keyed by the host's pid (a thread-local would keep the
 * module from unloading; `current` itself is task.c's):
 *
 * The state set_current_state() set is a 64-bit word per task,
 * pid << 32 | state; a free slot is 0, and a task in TASK_RUNNING holds
 * none unless it is on a wait queue (add_wait_queue, prepare_to_wait). A
 * task sleeps in schedule_timeout() until its word says TASK_RUNNING:
 * wake_up_process() writes that (compare-and-swap on the whole word, so a
 * slot the task has left is never touched) and then wakes it; or, on a
 * queue, until the queue's wake-up count moved since the state was set.
 * So a wake-up between set_current_state() and schedule() is not lost.
 *
 * The sleep itself is a host wait_event on the task's queue, or on one of
 * the module's own, whose condition is "woken since the state was set".
 *
 * Kernel counterpart: kernel/sched/core.c (schedule, wake_up_process),
 * kernel/time/sleep_timeout.c (schedule_timeout).
 */
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/wait.h>
#include <linux/kernel.h>
#include "object.h"
#include "sched.h"

#define STATE_SLOTS 256

/* One task's state. Only the task writes wq and seen; a waker only turns
 * the word's state to TASK_RUNNING, keeping its pid. */
struct task_state {
	modhost_u64 word;			/* pid << 32 | TASK_*; 0: free */
	struct wait_queue_head *wq;		/* add_wait_queue/prepare_to_wait's queue */
	unsigned long seen;			/* its wake-ups when the state was set */
};

static struct task_state states[STATE_SLOTS];
static modhost_handle_t sleepers;	/* the wait queue schedule() sleeps on */

static modhost_u64 state_word(pid_t pid, unsigned int state)
{
	return (modhost_u64)(u32)pid << 32 | state;
}

static pid_t word_pid(modhost_u64 word)
{
	return (pid_t)(word >> 32);
}

static u32 slot_state(const struct task_state *slot)
{
	return (u32)__atomic_load_n(&slot->word, __ATOMIC_SEQ_CST);
}

/* The calling task's slot; with `claim`, a free one if it has none. */
static struct task_state *state_slot(pid_t pid, bool claim)
{
	for (int i = 0; i < STATE_SLOTS; i++) {
		modhost_u64 word = __atomic_load_n(&states[i].word, __ATOMIC_ACQUIRE);

		if (word && word_pid(word) == pid)
			return &states[i];
	}
	if (!claim)
		return NULL;
	for (int i = 0; i < STATE_SLOTS; i++) {
		modhost_u64 none = 0;

		if (__atomic_compare_exchange_n(&states[i].word, &none, state_word(pid, TASK_RUNNING), false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			states[i].wq = NULL;
			return &states[i];
		}
	}
	return NULL;
}

static struct task_state *claim_slot(pid_t pid, struct modhost_site site)
{
	static const char text[] = "more tasks between set_current_state() and schedule() than modhost's "
				   "table holds; this one will not sleep";
	struct task_state *slot = state_slot(pid, true);

	if (!slot)
		mh_call(module, warn, ((struct modhost_str){ text, sizeof(text) - 1 }), site);
	return slot;
}

/* Back to TASK_RUNNING: the slot stays only while the task is on a queue. */
static void slot_running(struct task_state *slot, pid_t pid)
{
	__atomic_store_n(&slot->word, slot->wq ? state_word(pid, TASK_RUNNING) : 0, __ATOMIC_SEQ_CST);
}

void __modhost_set_current_state(unsigned int state, struct modhost_site site)
{
	pid_t pid = mh_call(time, current_pid);
	struct task_state *slot = state_slot(pid, false);

	if (state == TASK_RUNNING) {
		if (slot)
			slot_running(slot, pid);
		return;
	}
	if (!slot)
		slot = claim_slot(pid, site);
	if (!slot)
		return;
	/* A wake_up() of the queue from now on ends the sleep. */
	if (slot->wq)
		slot->seen = __atomic_load_n(&slot->wq->__wakeups, __ATOMIC_SEQ_CST);
	/* The kernel's smp_store_mb(): the state is seen before the condition is read. */
	__atomic_store_n(&slot->word, state_word(pid, state), __ATOMIC_SEQ_CST);
}

void modhost_task_on_queue(struct wait_queue_head *wq_head, struct modhost_site site)
{
	pid_t pid = mh_call(time, current_pid);
	struct task_state *slot = state_slot(pid, false);

	if (!slot)
		slot = claim_slot(pid, site);
	if (slot)
		slot->wq = wq_head;
}

void modhost_task_off_queue(void)
{
	pid_t pid = mh_call(time, current_pid);
	struct task_state *slot = state_slot(pid, false);

	if (!slot)
		return;
	slot->wq = NULL;
	if (slot_state(slot) == TASK_RUNNING)
		__atomic_store_n(&slot->word, 0, __ATOMIC_SEQ_CST);
}

void modhost_task_exits(void)
{
	struct task_state *slot = state_slot(mh_call(time, current_pid), false);

	if (slot) {
		slot->wq = NULL;
		__atomic_store_n(&slot->word, 0, __ATOMIC_SEQ_CST);
	}
}

/* Sets the task's word to TASK_RUNNING if it is in a state; true if it was. */
static bool wake_state(pid_t pid)
{
	for (int i = 0; i < STATE_SLOTS; i++) {
		modhost_u64 word = __atomic_load_n(&states[i].word, __ATOMIC_SEQ_CST);

		if (word && word_pid(word) == pid && (u32)word != TASK_RUNNING)
			return __atomic_compare_exchange_n(&states[i].word, &word, state_word(pid, TASK_RUNNING), false,
							   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	}
	return false;
}

void modhost_wake_task(struct task_struct *p)
{
	pid_t pid;

	/* The waker's half of the kernel's barrier pair. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	pid = __atomic_load_n(&p->pid, __ATOMIC_SEQ_CST);
	if (pid)
		wake_state(pid);
}

/* The sleep is over once woken: by wake_up_process(), or by a wake_up()
 * of the queue the task is on. */
static bool is_woken(const void *context)
{
	const struct task_state *slot = context;

	if (slot_state(slot) == TASK_RUNNING)
		return true;
	return slot->wq && __atomic_load_n(&slot->wq->__wakeups, __ATOMIC_SEQ_CST) != slot->seen;
}

static modhost_handle_t make_sleepers(const void *object, struct modhost_site site)
{
	(void)object;
	return mh_call(wait, init_waitqueue_head, site);
}

/* What the task sleeps on: its queue, else the module's own. */
static modhost_handle_t sleep_queue(struct task_state *slot, struct modhost_site site)
{
	if (slot->wq)
		return modhost_waitqueue(slot->wq, site);
	return modhost_object(&sleepers, MODHOST_OBJECT_STATIC, &sleepers, make_sleepers,
			      __modhost_services->wait->waitqueue_free, site);
}

/* A negative timeout (MAX_SCHEDULE_TIMEOUT aside) is the caller's bug:
 * the kernel's words and stack, and no sleep. */
static void wrong_timeout(long timeout, struct modhost_site site)
{
	char text[64];
	int len = snprintf(text, sizeof(text), "schedule_timeout: wrong timeout value %lx", timeout);

	mh_call(module, vprintk, 3, ((struct modhost_str){ text, (modhost_size_t)len }));
	mh_call(debug, dump_stack, site);
}

long __modhost_schedule_timeout(long timeout, struct modhost_site site)
{
	pid_t pid = mh_call(time, current_pid);
	struct task_state *slot = state_slot(pid, false);
	u32 state = slot ? slot_state(slot) : TASK_RUNNING;
	unsigned long expire = jiffies + timeout;
	modhost_s64 ret;

	if (timeout < 0) {
		wrong_timeout(timeout, site);
		state = TASK_RUNNING;
	}
	/* In TASK_RUNNING (never set, or already woken) it does not sleep. */
	if (state == TASK_RUNNING) {
		if (slot)
			slot_running(slot, pid);
		return timeout < 0 ? 0 : timeout;
	}
	ret = mh_call(wait, wait_event, sleep_queue(slot, site), ((struct modhost_condition){ is_woken, slot }),
		      modhost_sleep_mode(state), modhost_timeout(timeout), site);
	/* schedule() returns in TASK_RUNNING, whatever woke it. */
	slot_running(slot, pid);
	if (timeout == MAX_SCHEDULE_TIMEOUT)
		return MAX_SCHEDULE_TIMEOUT;
	if (ret < 0) {
		/* A signal: the time that was left. */
		long left = (long)(expire - jiffies);

		return left < 0 ? 0 : left;
	}
	return ret;
}

long __modhost_schedule_timeout_in(unsigned int state, long timeout, struct modhost_site site)
{
	__modhost_set_current_state(state, site);
	return __modhost_schedule_timeout(timeout, site);
}
