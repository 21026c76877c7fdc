/* SPDX-License-Identifier: GPL-2.0-only */
/* What sched.c and task.c share with the rest of kbuild/lib. */
#ifndef _KBUILD_LIB_SCHED_H
#define _KBUILD_LIB_SCHED_H

#include <linux/sched.h>

/* wake_up_process()'s first half: the task's state becomes TASK_RUNNING,
 * so that its schedule() returns even if it has not begun to sleep. */
void modhost_wake_task(struct task_struct *p);

struct wait_queue_head;

/* add_wait_queue/prepare_to_wait: the calling task's schedule() sleeps on
 * the queue, and a wake_up() of it wakes the task; and the way back. */
void modhost_task_on_queue(struct wait_queue_head *wq_head, struct modhost_site site);
void modhost_task_off_queue(void);

/* The queue's host object (wait.c). */
modhost_handle_t modhost_waitqueue(struct wait_queue_head *wq_head, struct modhost_site site);

/* A task leaves module code (a callback returns): it keeps no state. */
void modhost_task_exits(void);

/* A kthread's body starts and ends: `current` in it is `k`. */
void modhost_kthread_enter(struct task_struct *k);
void modhost_kthread_leave(struct task_struct *k);

/* The calling task's name, cut to TASK_COMM_LEN - 1 bytes. */
void modhost_task_comm(char comm[TASK_COMM_LEN]);

#endif /* _KBUILD_LIB_SCHED_H */
