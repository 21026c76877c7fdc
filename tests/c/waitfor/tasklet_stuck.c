// SPDX-License-Identifier: GPL-2.0
/*
 * A tasklet that sleeps on a semaphore nobody ups: sleeping in softirq
 * context is a bug of its own, and the tasklet_kill() in exit then waits
 * for a run that never ends.
 */
#include <linux/module.h>
#include <linux/interrupt.h>
#include <linux/semaphore.h>

static struct semaphore ready;

static void drain(struct tasklet_struct *t)
{
	down(&ready);
	pr_info("tasklet_stuck: drained\n");
}

static DECLARE_TASKLET(drainer, drain);

static int __init tasklet_stuck_init(void)
{
	sema_init(&ready, 0);
	tasklet_schedule(&drainer);
	return 0;
}

static void __exit tasklet_stuck_exit(void)
{
	tasklet_kill(&drainer);
}

module_init(tasklet_stuck_init);
module_exit(tasklet_stuck_exit);
MODULE_LICENSE("GPL");
