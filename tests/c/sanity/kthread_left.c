// SPDX-License-Identifier: GPL-2.0
/* A kthread started in init that exit forgets to stop. */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/delay.h>

static struct task_struct *ticker;

static int tick_fn(void *data)
{
	while (!kthread_should_stop())
		msleep_interruptible(100);
	return 0;
}

static int __init kthread_left_init(void)
{
	ticker = kthread_run(tick_fn, NULL, "ticker");
	return PTR_ERR_OR_ZERO(ticker);
}

static void __exit kthread_left_exit(void)
{
}

module_init(kthread_left_init);
module_exit(kthread_left_exit);
MODULE_LICENSE("GPL");
