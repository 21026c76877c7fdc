// SPDX-License-Identifier: GPL-2.0
/*
 * exit takes the lock its work item needs, then waits for the item: the
 * item sleeps in mutex_lock() until exit unlocks, and exit waits for it.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/completion.h>

static DEFINE_MUTEX(state_lock);
static DECLARE_COMPLETION(started);
static int updates;

static void update(struct work_struct *work)
{
	complete(&started);
	mutex_lock(&state_lock);
	updates++;
	mutex_unlock(&state_lock);
}

static DECLARE_WORK(update_work, update);

static int __init exit_lock_init(void)
{
	return 0;
}

static void __exit exit_lock_exit(void)
{
	mutex_lock(&state_lock);
	schedule_work(&update_work);
	wait_for_completion(&started);
	cancel_work_sync(&update_work);
	mutex_unlock(&state_lock);
}

module_init(exit_lock_init);
module_exit(exit_lock_exit);
MODULE_LICENSE("GPL");
