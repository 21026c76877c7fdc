// SPDX-License-Identifier: GPL-2.0
/* A timer armed in init that exit forgets: active when the module's memory goes. */
#include <linux/module.h>
#include <linux/timer.h>
#include <linux/jiffies.h>

static void fire(struct timer_list *t)
{
	pr_info("fired\n");
}

static DEFINE_TIMER(later, fire);

static int __init timer_left_init(void)
{
	mod_timer(&later, jiffies + 100 * HZ);
	return 0;
}

static void __exit timer_left_exit(void)
{
}

module_init(timer_left_init);
module_exit(timer_left_exit);
MODULE_LICENSE("GPL");
