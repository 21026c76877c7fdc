// SPDX-License-Identifier: GPL-2.0
/* A NULL write in a timer callback: the timer thread dies, a new one runs the other timers. */
#include <linux/module.h>
#include <linux/timer.h>
#include <linux/jiffies.h>

static int *target;
static struct timer_list boom_timer;

static void boom(struct timer_list *t)
{
	pr_info("timer fires\n");
	*target = 42;
}

static int __init null_timer_init(void)
{
	timer_setup(&boom_timer, boom, 0);
	mod_timer(&boom_timer, jiffies + 1);
	return 0;
}

static void __exit null_timer_exit(void)
{
	del_timer_sync(&boom_timer);
	pr_info("exit\n");
}

module_init(null_timer_init);
module_exit(null_timer_exit);
MODULE_LICENSE("GPL");
