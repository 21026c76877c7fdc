// SPDX-License-Identifier: GPL-2.0
/* A NULL write in a kthread: the thread dies, kthread_stop still returns. */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/err.h>

static int *target;
static struct task_struct *thread;

static int boom_fn(void *data)
{
	pr_info("kthread runs\n");
	*target = 42;
	return 0;
}

static int __init null_kthread_init(void)
{
	thread = kthread_run(boom_fn, NULL, "boom_thread");
	return PTR_ERR_OR_ZERO(thread);
}

static void __exit null_kthread_exit(void)
{
	pr_info("kthread_stop returned %d\n", kthread_stop(thread));
}

module_init(null_kthread_init);
module_exit(null_kthread_exit);
MODULE_LICENSE("GPL");
