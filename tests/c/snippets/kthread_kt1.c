/* The courseware's "kt1" thread, with kthread_run: it prints its name and
 * pid, allows SIGINT and SIGQUIT, and sleeps until a signal or a stop.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>

MODULE_LICENSE("GPL");

static struct task_struct *task;

static int kt1(void *data)
{
	pr_info("%s: pid %d, data %p\n", current->comm, current->pid, data);
	allow_signal(SIGINT);
	allow_signal(SIGQUIT);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
		if (signal_pending(current))
			break;
	}
	__set_current_state(TASK_RUNNING);
	pr_info("%s exits\n", current->comm);
	return 0;
}

static int __init kt1_init(void)
{
	task = kthread_run(kt1, NULL, "mykt");
	if (IS_ERR(task))
		return PTR_ERR(task);
	get_task_struct(task);
	return 0;
}

static void __exit kt1_exit(void)
{
	pr_info("kthread_stop: %d\n", kthread_stop(task));
	put_task_struct(task);
}

module_init(kt1_init);
module_exit(kt1_exit);
