/* The courseware's "kt2": the fix for kt1's race with rmmod. The thread
 * loops on kthread_should_stop() and exit stops it, so no thread runs the
 * module's code after it is gone. A signal it does not allow changes
 * nothing.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/delay.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A kernel thread that exit stops");

static struct task_struct *task;

static int kt2(void *data)
{
	int rounds = 0;

	printk(KERN_INFO "%s: pid %d\n", current->comm, current->pid);
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		schedule_timeout(HZ);
		rounds++;
	}
	printk(KERN_INFO "%s: stopped, signal pending %d\n", current->comm, signal_pending(current));
	return 0;
}

static int __init kt2_init(void)
{
	task = kthread_run(kt2, NULL, "mykt2");
	if (IS_ERR(task))
		return PTR_ERR(task);
	return 0;
}

static void __exit kt2_exit(void)
{
	printk(KERN_INFO "kt2: kthread_stop: %d\n", kthread_stop(task));
}

module_init(kt2_init);
module_exit(kt2_exit);
