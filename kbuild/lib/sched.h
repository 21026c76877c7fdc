/* SPDX-License-Identifier: GPL-2.0-only */
/* What sched.c shares with the rest of kbuild/lib. */
#ifndef _KBUILD_LIB_SCHED_H
#define _KBUILD_LIB_SCHED_H

#include <linux/sched.h>

/* wake_up_process()'s first half: the task's state becomes TASK_RUNNING,
 * so that its schedule() returns even if it has not begun to sleep. */
void modhost_wake_task(struct task_struct *p);

/* A task leaves module code (a callback returns): it keeps no state. */
void modhost_task_exits(void);

/* A kthread's body starts and ends: `current` in it is `k`. */
void modhost_kthread_enter(struct task_struct *k);
void modhost_kthread_leave(struct task_struct *k);

/* The calling task's name, cut to TASK_COMM_LEN - 1 bytes. */
void modhost_task_comm(char comm[TASK_COMM_LEN]);

#endif /* _KBUILD_LIB_SCHED_H */
