// SPDX-License-Identifier: GPL-2.0
/* A work function that returns on an error path without its mutex_unlock. */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>

static DEFINE_MUTEX(state_lock);
static int broken = 1;

static void refresh(struct work_struct *work)
{
	mutex_lock(&state_lock);
	if (broken)
		return;
	mutex_unlock(&state_lock);
}

static DECLARE_WORK(job, refresh);

static int __init work_leak_init(void)
{
	schedule_work(&job);
	flush_work(&job);
	return 0;
}

static void __exit work_leak_exit(void)
{
}

module_init(work_leak_init);
module_exit(work_leak_exit);
MODULE_LICENSE("GPL");
