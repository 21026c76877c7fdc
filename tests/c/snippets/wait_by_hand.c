/* Waiting by hand, as older drivers do: prepare_to_wait/finish_wait around
 * schedule(), and add_wait_queue with set_current_state.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/wait.h>
#include <linux/kthread.h>

MODULE_LICENSE("GPL");

static DECLARE_WAIT_QUEUE_HEAD(inq);
static int available;
static struct task_struct *writer;

static int wait_for_data(void)
{
	DEFINE_WAIT(wait);

	while (!available) {
		prepare_to_wait(&inq, &wait, TASK_INTERRUPTIBLE);
		if (!available)
			schedule();
		finish_wait(&inq, &wait);
		if (signal_pending(current))
			return -ERESTARTSYS;
	}
	available--;
	return 0;
}

static int wait_for_data_old_style(void)
{
	DECLARE_WAITQUEUE(wait, current);
	int ret = 0;

	add_wait_queue(&inq, &wait);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (available)
			break;
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	remove_wait_queue(&inq, &wait);
	if (!ret)
		available--;
	return ret;
}

static int write_data(void *data)
{
	while (!kthread_should_stop()) {
		available++;
		wake_up_interruptible(&inq);
		schedule_timeout_interruptible(HZ / 50);
	}
	return 0;
}

static int __init hand_init(void)
{
	int got = 0;

	writer = kthread_run(write_data, NULL, "writer");
	if (IS_ERR(writer))
		return PTR_ERR(writer);
	for (int i = 0; i < 10; i++)
		got += !wait_for_data() + !wait_for_data_old_style();
	pr_info("got %d items, queue active: %d\n", got, waitqueue_active(&inq));
	return 0;
}

static void __exit hand_exit(void)
{
	kthread_stop(writer);
}

module_init(hand_init);
module_exit(hand_exit);
