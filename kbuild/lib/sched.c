// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tasks: `current`, task states, schedule_timeout() and wake_up_process().
 *
 * What the kernel keeps in each task_struct, this module keeps in two
 * small tables keyed by the host's pid (a thread-local would keep the
 * module from unloading):
 *
 * - states[]: the state set_current_state() set, one 64-bit word per task,
 *   pid << 32 | state; a free slot is 0, and a task in TASK_RUNNING (0)
 *   holds none. A task sleeps in schedule_timeout() until its word says
 *   TASK_RUNNING: wake_up_process() writes that (compare-and-swap on the
 *   whole word, so a slot the task has left is never touched) and then
 *   wakes it, so a wake-up between set_current_state() and schedule() is
 *   not lost.
 * - kthreads: this module's running kthreads, so that `current` in one is
 *   the task_struct kthread_create() returned.
 *
 * The sleep itself is a wait on one wait queue of the module's whose
 * condition is "my word says TASK_RUNNING".
 *
 * Kernel counterpart: kernel/sched/core.c (schedule, wake_up_process),
 * kernel/time/sleep_timeout.c (schedule_timeout).
 */
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "object.h"
#include "sched.h"

#define STATE_SLOTS 256

static modhost_u64 states[STATE_SLOTS];
static modhost_handle_t sleepers;	/* the wait queue schedule() sleeps on */
static struct task_struct *kthreads;	/* this module's running kthreads */
static int kthreads_lock;

static modhost_u64 state_word(pid_t pid, unsigned int state)
{
	return (modhost_u64)(u32)pid << 32 | state;
}

static pid_t word_pid(modhost_u64 word)
{
	return (pid_t)(word >> 32);
}

/* The calling task's slot; with `claim`, a free one if it has none. */
static modhost_u64 *state_slot(pid_t pid, bool claim)
{
	for (int i = 0; i < STATE_SLOTS; i++) {
		modhost_u64 word = __atomic_load_n(&states[i], __ATOMIC_ACQUIRE);

		if (word && word_pid(word) == pid)
			return &states[i];
	}
	if (!claim)
		return NULL;
	for (int i = 0; i < STATE_SLOTS; i++) {
		modhost_u64 none = 0;

		if (__atomic_compare_exchange_n(&states[i], &none, state_word(pid, 0), false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return &states[i];
	}
	return NULL;
}

void __modhost_set_current_state(unsigned int state, struct modhost_site site)
{
	pid_t pid = mh_call(time, current_pid);
	modhost_u64 *slot = state_slot(pid, state != TASK_RUNNING);

	if (state == TASK_RUNNING) {
		if (slot)
			__atomic_store_n(slot, 0, __ATOMIC_SEQ_CST);
		return;
	}
	if (!slot) {
		static const char text[] = "set_current_state: more tasks between set_current_state() "
					   "and schedule() than modhost's table holds; this one will not sleep";
		mh_call(module, warn, ((struct modhost_str){ text, sizeof(text) - 1 }), site);
		return;
	}
	/* The kernel's smp_store_mb(): the state is seen before the condition is read. */
	__atomic_store_n(slot, state_word(pid, state), __ATOMIC_SEQ_CST);
}

void modhost_task_exits(void)
{
	modhost_u64 *slot = state_slot(mh_call(time, current_pid), false);

	if (slot)
		__atomic_store_n(slot, 0, __ATOMIC_SEQ_CST);
}

/* Sets the task's word to TASK_RUNNING if it is in a state; true if it was. */
static bool wake_state(pid_t pid)
{
	for (int i = 0; i < STATE_SLOTS; i++) {
		modhost_u64 word = __atomic_load_n(&states[i], __ATOMIC_SEQ_CST);

		if (word && word_pid(word) == pid && (u32)word != TASK_RUNNING)
			return __atomic_compare_exchange_n(&states[i], &word, state_word(pid, TASK_RUNNING), false,
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

static bool is_running(const void *context)
{
	const modhost_u64 *slot = context;

	return (u32)__atomic_load_n(slot, __ATOMIC_SEQ_CST) == TASK_RUNNING;
}

static modhost_handle_t make_sleepers(const void *object, struct modhost_site site)
{
	(void)object;
	return mh_call(wait, init_waitqueue_head, site);
}

long __modhost_schedule_timeout(long timeout, struct modhost_site site)
{
	pid_t pid = mh_call(time, current_pid);
	modhost_u64 *slot = state_slot(pid, false);
	u32 state = slot ? (u32)__atomic_load_n(slot, __ATOMIC_SEQ_CST) : TASK_RUNNING;
	unsigned long expire = jiffies + timeout;
	modhost_handle_t wq;
	modhost_s64 ret;

	/* In TASK_RUNNING (never set, or already woken) it does not sleep. */
	if (state == TASK_RUNNING) {
		if (slot)
			__atomic_store_n(slot, 0, __ATOMIC_SEQ_CST);
		return timeout;
	}
	wq = modhost_object(&sleepers, MODHOST_OBJECT_STATIC, &sleepers, make_sleepers,
			    __modhost_services->wait->waitqueue_free, site);
	ret = mh_call(wait, wait_event, wq, ((struct modhost_condition){ is_running, slot }),
		      modhost_sleep_mode(state), modhost_timeout(timeout), site);
	/* schedule() returns in TASK_RUNNING, whatever woke it. */
	__atomic_store_n(slot, 0, __ATOMIC_SEQ_CST);
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

static void kthreads_lock_take(void)
{
	while (__atomic_exchange_n(&kthreads_lock, 1, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

static void kthreads_lock_drop(void)
{
	__atomic_store_n(&kthreads_lock, 0, __ATOMIC_RELEASE);
}

void modhost_kthread_enter(struct task_struct *k)
{
	kthreads_lock_take();
	k->__next = kthreads;
	kthreads = k;
	kthreads_lock_drop();
}

void modhost_kthread_leave(struct task_struct *k)
{
	kthreads_lock_take();
	for (struct task_struct **link = &kthreads; *link; link = &(*link)->__next) {
		if (*link == k) {
			*link = k->__next;
			break;
		}
	}
	kthreads_lock_drop();
}

static struct task_struct *running_kthread(pid_t pid)
{
	struct task_struct *found = NULL;

	kthreads_lock_take();
	for (struct task_struct *k = kthreads; k; k = k->__next) {
		if (k->pid == pid) {
			found = k;
			break;
		}
	}
	kthreads_lock_drop();
	return found;
}

void modhost_task_comm(char comm[TASK_COMM_LEN])
{
	char name[64];
	size_t len = mh_call(time, get_task_comm, name, sizeof(name));

	/* The host writes nothing when the name does not fit. */
	if (len > sizeof(name))
		len = 0;
	if (len > TASK_COMM_LEN - 1)
		len = TASK_COMM_LEN - 1;
	memcpy(comm, name, len);
	comm[len] = '\0';
}

struct task_struct *__modhost_current(struct task_struct *scratch)
{
	pid_t pid = mh_call(time, current_pid);
	struct task_struct *k = running_kthread(pid);

	if (k)
		return k;
	scratch->pid = pid;
	scratch->tgid = pid;
	modhost_task_comm(scratch->comm);
	return scratch;
}

void allow_signal(int sig)
{
	struct task_struct *k = running_kthread(mh_call(time, current_pid));

	if (k && sig > 0 && sig <= 64)
		__atomic_fetch_or(&k->__allowed_signals, 1UL << (sig - 1), __ATOMIC_RELAXED);
}

void disallow_signal(int sig)
{
	struct task_struct *k = running_kthread(mh_call(time, current_pid));

	if (k && sig > 0 && sig <= 64)
		__atomic_fetch_and(&k->__allowed_signals, ~(1UL << (sig - 1)), __ATOMIC_RELAXED);
}

struct task_struct *get_task_struct(struct task_struct *t)
{
	__atomic_fetch_add(&t->__usage, 1, __ATOMIC_RELAXED);
	return t;
}

void put_task_struct(struct task_struct *t)
{
	/* Only kthreads are counted: `current` of another task is a copy. */
	if (t->__handle && __atomic_sub_fetch(&t->__usage, 1, __ATOMIC_ACQ_REL) == 0)
		kfree(t);
}
