/* The courseware's "kt1", with kthread_run instead of kernel_thread and
 * daemonize: the thread prints its name and pid, allows SIGINT and
 * SIGQUIT, and sleeps until a signal comes. `kill -9 PID` does nothing (a
 * kernel thread never takes SIGKILL); `kill -2 PID` ends it.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A kernel thread that a signal ends");

static struct task_struct *task;

static int kt1(void *data)
{
	allow_signal(SIGINT);
	allow_signal(SIGQUIT);
	printk(KERN_INFO "%s: pid %d\n", current->comm, current->pid);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		schedule();
		if (signal_pending(current))
			break;
	}
	__set_current_state(TASK_RUNNING);
	printk(KERN_INFO "%s: signal received, exiting\n", current->comm);
	flush_signals(current);
	return 0;
}

static int __init kt1_init(void)
{
	task = kthread_run(kt1, NULL, "mykt");
	if (IS_ERR(task))
		return PTR_ERR(task);
	get_task_struct(task);
	printk(KERN_INFO "kt1: started thread %d\n", task->pid);
	return 0;
}

static void __exit kt1_exit(void)
{
	/* Ended by a signal already, or stopped now: either way it is over. */
	printk(KERN_INFO "kt1: kthread_stop: %d\n", kthread_stop(task));
	put_task_struct(task);
}

module_init(kt1_init);
module_exit(kt1_exit);
