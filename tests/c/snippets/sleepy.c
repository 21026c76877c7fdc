/* The courseware's "sleepy" demo, without the device: readers sleep on a
 * wait queue until a writer wakes them; the writer's deferred work starts
 * a timer ("whee") that re-arms itself and prints a count.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/sched.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/timer.h>

MODULE_LICENSE("GPL");

static DECLARE_WAIT_QUEUE_HEAD(readers);
static int flag;
static int count;
static struct timer_list whee;

static void whee_fn(struct timer_list *t)
{
	pr_info("whee %d\n", ++count);
	dump_stack();
	mod_timer(t, jiffies + 2 * HZ);
}

static void start_whee(struct work_struct *work)
{
	timer_setup(&whee, whee_fn, 0);
	mod_timer(&whee, jiffies + HZ);
}

static DECLARE_WORK(starter, start_whee);

int sleepy_read(void)
{
	pr_info("process %i (%s) going to sleep\n", current->pid, current->comm);
	if (wait_event_interruptible(readers, flag != 0))
		return -ERESTARTSYS;
	flag = 0;
	pr_info("awoken %i (%s)\n", current->pid, current->comm);
	return 0;
}

void sleepy_write(void)
{
	pr_info("process %i (%s) awakening the readers...\n", current->pid, current->comm);
	flag = 1;
	schedule_work(&starter);
	if (waitqueue_active(&readers))
		wake_up_interruptible(&readers);
}

static int __init sleepy_init(void)
{
	sleepy_write();
	return sleepy_read();
}

static void __exit sleepy_exit(void)
{
	cancel_work_sync(&starter);
	timer_shutdown_sync(&whee);
}

module_init(sleepy_init);
module_exit(sleepy_exit);
