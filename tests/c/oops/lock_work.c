// SPDX-License-Identifier: GPL-2.0
/* A work item that faults holding a mutex: the mutex stays held, and exit waits for it. */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>

static int *target;
static DEFINE_MUTEX(lock);
static struct work_struct grab_work;

static void grab(struct work_struct *work)
{
	mutex_lock(&lock);
	pr_info("locked\n");
	*target = 1;
	mutex_unlock(&lock);
}

static int __init lock_work_init(void)
{
	INIT_WORK(&grab_work, grab);
	schedule_work(&grab_work);
	return 0;
}

static void __exit lock_work_exit(void)
{
	pr_info("exit takes the lock\n");
	mutex_lock(&lock);
	mutex_unlock(&lock);
}

module_init(lock_work_init);
module_exit(lock_work_exit);
MODULE_LICENSE("GPL");
