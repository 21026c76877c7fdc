/* The courseware's ways to delay: a busy loop on jiffies, the calibrated
 * delays, schedule_timeout after set_current_state (and a wrong, negative
 * timeout), the sleeps, and a wait for an event with a timeout (the caller
 * checks why it woke).
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/delay.h>
#include <linux/sched.h>
#include <linux/wait.h>

MODULE_LICENSE("GPL");

static DECLARE_WAIT_QUEUE_HEAD(wq);
static int event;

static int __init delays_init(void)
{
	unsigned long timeout = jiffies + 10;
	long left;

	while (time_before(jiffies, timeout))
		cond_resched();
	udelay(50);
	ndelay(200);
	mdelay(1);

	set_current_state(TASK_INTERRUPTIBLE);
	left = schedule_timeout(1 * HZ / 10);
	pr_info("schedule_timeout: %ld jiffies left\n", left);
	left = schedule_timeout_uninterruptible(msecs_to_jiffies(20));
	pr_info("a negative timeout: %ld\n", schedule_timeout_uninterruptible(-5));

	msleep(20);
	ssleep(0);
	pr_info("msleep_interruptible: %lu ms left\n", msleep_interruptible(30));
	usleep_range(100, 200);
	fsleep(50);

	left = wait_event_timeout(wq, event != 0, HZ / 10);
	if (left == 0)
		pr_info("timed out\n");
	left = wait_event_interruptible_timeout(wq, event != 0, msecs_to_jiffies(10));
	if (left == -ERESTARTSYS)
		pr_info("signalled\n");
	else if (left > 0)
		pr_info("event with %ld jiffies left\n", left);
	return 0;
}

static void __exit delays_exit(void)
{
	event = 1;
	wake_up(&wq);
}

module_init(delays_init);
module_exit(delays_exit);
