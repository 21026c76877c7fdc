/* The courseware's "kt2": kthread_create, wake_up_process, a loop on
 * kthread_should_stop, and kthread_stop in exit.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/kthread.h>
#include <linux/delay.h>

MODULE_LICENSE("GPL");

static struct task_struct *workers[2];

static int worker(void *data)
{
	long n = (long)data;

	while (!kthread_should_stop()) {
		pr_info("worker %ld (%s, pid %d)\n", n, current->comm, task_pid_nr(current));
		msleep_interruptible(100);
	}
	return (int)n;
}

static int __init kt2_init(void)
{
	for (long i = 0; i < 2; i++) {
		workers[i] = kthread_create(worker, (void *)i, "kt2/%ld", i);
		if (IS_ERR(workers[i]))
			return PTR_ERR(workers[i]);
		kthread_bind(workers[i], 0);
		wake_up_process(workers[i]);
	}
	return 0;
}

static void __exit kt2_exit(void)
{
	for (int i = 0; i < 2; i++)
		pr_info("worker %d returned %d\n", i, kthread_stop(workers[i]));
}

module_init(kt2_init);
module_exit(kt2_exit);
