// SPDX-License-Identifier: GPL-2.0
/*
 * A completion waited for under a mutex that its completer holds when it
 * signals. It is signalled twice, so neither wait here blocks, but the
 * order is one that hangs as soon as the second wait comes first.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/completion.h>
#include <linux/kthread.h>

static DEFINE_MUTEX(setup_lock);
static DECLARE_COMPLETION(ready);
static struct task_struct *helper;

static int helper_fn(void *data)
{
	mutex_lock(&setup_lock);
	complete(&ready);
	complete(&ready);
	mutex_unlock(&setup_lock);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ);
	return 0;
}

static int __init done_deadlock_init(void)
{
	helper = kthread_run(helper_fn, NULL, "done_helper");
	if (IS_ERR(helper))
		return PTR_ERR(helper);
	wait_for_completion(&ready);
	mutex_lock(&setup_lock);
	wait_for_completion(&ready);
	mutex_unlock(&setup_lock);
	return 0;
}

static void __exit done_deadlock_exit(void)
{
	kthread_stop(helper);
}

module_init(done_deadlock_init);
module_exit(done_deadlock_exit);
MODULE_LICENSE("GPL");
