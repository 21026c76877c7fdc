/* What a task can ask about itself and the time: in_task(), in_atomic(),
 * in_interrupt(), in_softirq(), in_serving_softirq() in process context,
 * under a spinlock, in a timer callback, a tasklet and a work item; the
 * wall clock; try_wait_for_completion(); and a kthread's pid before it
 * ever runs.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/interrupt.h>
#include <linux/hardirq.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <linux/completion.h>
#include <linux/spinlock.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("The context of a task, the wall clock, completions tried");

static DEFINE_SPINLOCK(lock);
static struct timer_list timer;
static struct tasklet_struct tasklet;
static struct work_struct work;
static struct task_struct *thread;
static DECLARE_COMPLETION(started);

static void context(const char *where)
{
	pr_info("%s: in_task %d in_atomic %d in_interrupt %d in_softirq %d in_serving_softirq %d\n", where,
		!!in_task(), !!in_atomic(), !!in_interrupt(), !!in_softirq(), !!in_serving_softirq());
}

static void timer_fn(struct timer_list *t)
{
	context("timer");
}

static void tasklet_fn(struct tasklet_struct *t)
{
	context("tasklet");
}

static void work_fn(struct work_struct *w)
{
	context("work");
}

static int thread_fn(void *data)
{
	pr_info("running as pid %d\n", current->pid);
	complete(&started);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(MAX_SCHEDULE_TIMEOUT);
	return 0;
}

static void wall_clock(void)
{
	struct timespec64 ts;
	u64 real = ktime_get_real_ns();
	u64 boot = real - ktime_get_ns();

	ktime_get_real_ts64(&ts);
	pr_info("boot at %llu ns since the epoch\n", boot);
	pr_info("real: ns %d, ts64 %d, seconds %d\n", real == ktime_get_real(), timespec64_to_ns(&ts) == real,
		ktime_get_real_seconds() == ts.tv_sec);
}

static void try_waits(void)
{
	struct completion done;
	int tries[5];

	init_completion(&done);
	tries[0] = try_wait_for_completion(&done);
	complete(&done);
	tries[1] = try_wait_for_completion(&done);
	tries[2] = try_wait_for_completion(&done);
	complete_all(&done);
	tries[3] = try_wait_for_completion(&done);
	tries[4] = try_wait_for_completion(&done);
	pr_info("try_wait_for_completion: %d %d %d %d %d\n", tries[0], tries[1], tries[2], tries[3], tries[4]);
}

static int __init kcontext_init(void)
{
	context("init");
	spin_lock(&lock);
	context("spinlock");
	spin_unlock(&lock);
	wall_clock();
	try_waits();

	thread = kthread_create(thread_fn, NULL, "kctx");
	if (IS_ERR(thread))
		return PTR_ERR(thread);
	pr_info("created pid %d\n", thread->pid);
	wake_up_process(thread);
	wait_for_completion(&started);

	timer_setup(&timer, timer_fn, 0);
	mod_timer(&timer, jiffies + 1);
	tasklet_setup(&tasklet, tasklet_fn);
	tasklet_schedule(&tasklet);
	INIT_WORK(&work, work_fn);
	schedule_work(&work);
	return 0;
}

static void __exit kcontext_exit(void)
{
	timer_shutdown_sync(&timer);
	tasklet_kill(&tasklet);
	cancel_work_sync(&work);
	kthread_stop(thread);
}

module_init(kcontext_init);
module_exit(kcontext_exit);
