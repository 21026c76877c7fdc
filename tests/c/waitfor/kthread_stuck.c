// SPDX-License-Identifier: GPL-2.0
/*
 * A kthread that waits for a signal nobody sends, with down(): the
 * kthread_stop() in exit cannot end that sleep.
 */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/semaphore.h>

static struct semaphore go;
static struct task_struct *worker;

static int worker_fn(void *data)
{
	while (!kthread_should_stop()) {
		down(&go);
		pr_info("kthread_stuck: go\n");
	}
	return 0;
}

static int __init kthread_stuck_init(void)
{
	sema_init(&go, 0);
	worker = kthread_run(worker_fn, NULL, "stuck_worker");
	return PTR_ERR_OR_ZERO(worker);
}

static void __exit kthread_stuck_exit(void)
{
	kthread_stop(worker);
}

module_init(kthread_stuck_init);
module_exit(kthread_stuck_exit);
MODULE_LICENSE("GPL");
