// SPDX-License-Identifier: GPL-2.0
/* Recursion without end in a kthread: its stack overflows. */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/err.h>
#include <linux/moduleparam.h>

static int limit = 1 << 30;
module_param(limit, int, 0444);

static struct task_struct *thread;

static noinline int descend(int depth)
{
	volatile char frame[512];

	frame[0] = depth;
	if (depth > limit)
		return 0;
	return descend(depth + 1) + frame[0];
}

static int deep_fn(void *data)
{
	pr_info("descending\n");
	return descend(0);
}

static int __init deep_init(void)
{
	thread = kthread_run(deep_fn, NULL, "deep_thread");
	return PTR_ERR_OR_ZERO(thread);
}

static void __exit deep_exit(void)
{
	kthread_stop(thread);
}

module_init(deep_init);
module_exit(deep_exit);
MODULE_LICENSE("GPL");
