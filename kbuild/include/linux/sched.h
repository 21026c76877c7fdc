/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tasks: `current`, task states, schedule() and schedule_timeout().
 *
 * The host runs module code on its tasks (insmod's, the workers, the timer
 * thread, kthreads) and says which one calls: current_pid. What the kernel
 * keeps in the task_struct, kbuild/lib keeps per task in small tables keyed
 * by pid (never in thread-local storage: a module's thread-locals would
 * keep it from unloading):
 *
 * - `current` is a task_struct filled for the calling task: a kthread's own
 *   (the pointer kthread_create returned) or, for any other task, a copy
 *   that lives until the end of the enclosing block. Read it, compare it;
 *   do not keep it past that block.
 * - set_current_state() records the state; schedule() sleeps in it until
 *   wake_up_process(), a signal the state honours, or the timeout, and
 *   returns at once in TASK_RUNNING. A wake-up between set_current_state()
 *   and schedule() is not lost, as in the kernel.
 */
#ifndef _LINUX_SCHED_H
#define _LINUX_SCHED_H

#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/jiffies.h>
#include <linux/sched/signal.h>
#include <modhost/lib.h>

#define TASK_RUNNING		0x00000000
#define TASK_INTERRUPTIBLE	0x00000001
#define TASK_UNINTERRUPTIBLE	0x00000002
#define __TASK_STOPPED		0x00000004
#define __TASK_TRACED		0x00000008
#define TASK_PARKED		0x00000040
#define TASK_DEAD		0x00000080
#define TASK_WAKEKILL		0x00000100
#define TASK_WAKING		0x00000200
#define TASK_NOLOAD		0x00000400
#define TASK_KILLABLE		(TASK_WAKEKILL | TASK_UNINTERRUPTIBLE)
#define TASK_IDLE		(TASK_UNINTERRUPTIBLE | TASK_NOLOAD)
#define TASK_NORMAL		(TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)

#define TASK_COMM_LEN		16
#define PF_KTHREAD		0x00200000

#define MAX_SCHEDULE_TIMEOUT	((long)(~0UL >> 1))

struct task_struct {
	pid_t pid;
	pid_t tgid;
	unsigned int flags;		/* PF_KTHREAD for a kthread */
	char comm[TASK_COMM_LEN];
	/* modhost: a kthread's host object, body and references. */
	modhost_handle_t __handle;
	int (*__threadfn)(void *data);
	void *__data;
	int __usage;
	int __started;
	struct task_struct *__next;
};

/* The calling task (see the top of this file). */
struct task_struct *__modhost_current(struct task_struct *scratch);
#define current		__modhost_current(&(struct task_struct){ .pid = 0 })
#define get_current()	current

static inline pid_t task_pid_nr(struct task_struct *tsk)
{
	return tsk->pid;
}

static inline pid_t task_tgid_nr(struct task_struct *tsk)
{
	return tsk->tgid;
}

#define get_task_comm(buf, tsk) \
	({ __builtin_memcpy(buf, (tsk)->comm, sizeof(buf) < TASK_COMM_LEN ? sizeof(buf) : TASK_COMM_LEN); \
	   (buf)[sizeof(buf) - 1] = '\0'; (buf); })

void __modhost_set_current_state(unsigned int state, struct modhost_site site);
#define set_current_state(state_value)	__modhost_set_current_state(state_value, MODHOST_SITE())
#define __set_current_state(state_value) __modhost_set_current_state(state_value, MODHOST_SITE())

long __modhost_schedule_timeout(long timeout, struct modhost_site site);
#define schedule()		((void)__modhost_schedule_timeout(MAX_SCHEDULE_TIMEOUT, MODHOST_SITE()))
#define schedule_timeout(timeout) __modhost_schedule_timeout(timeout, MODHOST_SITE())

long __modhost_schedule_timeout_in(unsigned int state, long timeout, struct modhost_site site);
#define schedule_timeout_interruptible(timeout) \
	__modhost_schedule_timeout_in(TASK_INTERRUPTIBLE, timeout, MODHOST_SITE())
#define schedule_timeout_killable(timeout) \
	__modhost_schedule_timeout_in(TASK_KILLABLE, timeout, MODHOST_SITE())
#define schedule_timeout_uninterruptible(timeout) \
	__modhost_schedule_timeout_in(TASK_UNINTERRUPTIBLE, timeout, MODHOST_SITE())
#define schedule_timeout_idle(timeout) \
	__modhost_schedule_timeout_in(TASK_IDLE, timeout, MODHOST_SITE())

/* 1 if the task was asleep (or not started), as the kernel's. */
int __modhost_wake_up_process(struct task_struct *p, struct modhost_site site);
#define wake_up_process(p)	__modhost_wake_up_process(p, MODHOST_SITE())

/* A kthread's task_struct lives while referenced (see <linux/kthread.h>). */
struct task_struct *get_task_struct(struct task_struct *t);
void put_task_struct(struct task_struct *t);

/* Preemption is the host's: module code never needs to give the CPU up. */
#define cond_resched()		({ 0; })
#define yield()			__builtin_ia32_pause()

#endif /* _LINUX_SCHED_H */
