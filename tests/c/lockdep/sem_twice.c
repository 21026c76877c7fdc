// SPDX-License-Identifier: GPL-2.0
/*
 * A semaphore used as a mutex, taken twice by the same work function: the
 * second down sleeps for ever (until rmmod interrupts it).
 */
#include <linux/module.h>
#include <linux/semaphore.h>
#include <linux/workqueue.h>

static DEFINE_SEMAPHORE(guard, 1);

static void update(void)
{
	if (down_interruptible(&guard))
		return;
	pr_info("sem_twice: updated\n");
	up(&guard);
}

static void twice(struct work_struct *work)
{
	down(&guard);
	update();
	up(&guard);
}

static DECLARE_WORK(job, twice);

static int __init sem_twice_init(void)
{
	schedule_work(&job);
	return 0;
}

static void __exit sem_twice_exit(void)
{
	cancel_work_sync(&job);
}

module_init(sem_twice_init);
module_exit(sem_twice_exit);
MODULE_LICENSE("GPL");
