// SPDX-License-Identifier: GPL-2.0
/*
 * A timer callback that puts into a fifo guarded by a semaphore: down()
 * may sleep, and a timer callback runs in softirq context, where nothing
 * may. And a spinlock held across a mutex_lock, the same mistake.
 */
#include <linux/module.h>
#include <linux/timer.h>
#include <linux/semaphore.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>

static DEFINE_SEMAPHORE(slots, 4);
static DEFINE_SPINLOCK(stats_lock);
static DEFINE_MUTEX(log_lock);
static struct timer_list tick;

static void fire(struct timer_list *t)
{
	down(&slots);
	up(&slots);
}

static int __init atomic_sleep_init(void)
{
	spin_lock(&stats_lock);
	mutex_lock(&log_lock);
	mutex_unlock(&log_lock);
	spin_unlock(&stats_lock);
	timer_setup(&tick, fire, 0);
	mod_timer(&tick, jiffies + 1);
	return 0;
}

static void __exit atomic_sleep_exit(void)
{
	del_timer_sync(&tick);
}

module_init(atomic_sleep_init);
module_exit(atomic_sleep_exit);
MODULE_LICENSE("GPL");
