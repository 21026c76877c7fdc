/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Signals of the current task.
 *
 * The host delivers no POSIX signals to module tasks yet. What it does
 * deliver: rmmod interrupts the module's interruptible sleeps, kthread_stop
 * interrupts the kthread's, and a forced unload kills the module's tasks
 * (a fatal signal). signal_pending() and fatal_signal_pending() report
 * those, for the calling task whatever task they are given.
 * allow_signal() records which signals a kthread accepts, for the day the
 * host delivers them; until then `kill -INT` does not reach a kthread.
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

void allow_signal(int sig);
void disallow_signal(int sig);

#endif /* _LINUX_SCHED_SIGNAL_H */
