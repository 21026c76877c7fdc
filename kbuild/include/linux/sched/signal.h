/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Signals of tasks.
 *
 * A module's task, as a kernel thread, ignores every signal until it
 * allow_signal()s it, and SIGKILL and SIGSTOP always. An allowed signal
 * (`kill -INT PID` in the shell, send_sig() from a module) stays pending
 * until flush_signals(): signal_pending() is true and interruptible sleeps
 * end at once. signal_pending() is also true when the host interrupts the
 * task: kthread_stop(), an rmmod (for a work item's sleep), a forced
 * unload (fatal_signal_pending() too).
 *
 * signal_pending() and fatal_signal_pending() answer for the calling task,
 * whatever task they are given: module code asks them of `current`.
 */
#ifndef _LINUX_SCHED_SIGNAL_H
#define _LINUX_SCHED_SIGNAL_H

#include <linux/types.h>
#include <linux/signal.h>
#include <modhost/lib.h>

struct task_struct;

static inline int signal_pending(struct task_struct *p)
{
	(void)p;
	return mh_call(time, signal_pending);
}

static inline int fatal_signal_pending(struct task_struct *p)
{
	(void)p;
	return mh_call(time, fatal_signal_pending);
}

static inline void allow_signal(int sig)
{
	mh_call(kthread, allow_signal, sig);
}

static inline void disallow_signal(int sig)
{
	mh_call(kthread, disallow_signal, sig);
}

/* The calling task's pending signals are forgotten. */
static inline void flush_signals(struct task_struct *t)
{
	(void)t;
	mh_call(kthread, flush_signals);
}

/* 0, -ESRCH (the task is gone) or -EINVAL (no such signal). */
int send_sig(int sig, struct task_struct *p, int priv);

#endif /* _LINUX_SCHED_SIGNAL_H */
