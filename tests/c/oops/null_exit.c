// SPDX-License-Identifier: GPL-2.0
/* A NULL write in exit: rmmod reports the Oops and the module is gone. */
#include <linux/module.h>
#include <linux/timer.h>
#include <linux/jiffies.h>

static int *target;
static struct timer_list left_timer;

static void tick(struct timer_list *t)
{
	mod_timer(&left_timer, jiffies + HZ);
}

static int __init null_exit_init(void)
{
	timer_setup(&left_timer, tick, 0);
	mod_timer(&left_timer, jiffies + HZ);
	return 0;
}

static void __exit null_exit_exit(void)
{
	*target = 42;
	del_timer_sync(&left_timer);
}

module_init(null_exit_init);
module_exit(null_exit_exit);
MODULE_LICENSE("GPL");
