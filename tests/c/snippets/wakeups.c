/* Wake-ups that must never be lost: a kthread that sleeps by hand in
 * TASK_UNINTERRUPTIBLE (no signal would save it) woken `rounds` times by
 * another with wake_up_process(); four readers on a wait queue woken every
 * 100 rounds, each of which the waker waits for; and a tasklet disabled
 * while scheduled, which runs once enabled.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/moduleparam.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/wait.h>
#include <linux/interrupt.h>
#include <linux/mutex.h>
#include <linux/completion.h>

MODULE_LICENSE("GPL");

static int rounds = 20000;
module_param(rounds, int, 0444);

static struct task_struct *sleeper, *waker, *readers[4];
static int flag, acked, tick;
static DECLARE_WAIT_QUEUE_HEAD(ack_wq);
static DECLARE_WAIT_QUEUE_HEAD(tick_wq);
static int reader_rounds[4];
static DEFINE_MUTEX(lock);
static int locked;
static DECLARE_COMPLETION(done);
static int tasklet_runs;

static void count_run(unsigned long data)
{
	tasklet_runs++;
}

static DECLARE_TASKLET_OLD(counted, count_run);

static int sleeper_fn(void *data)
{
	int seen = 0;

	for (;;) {
		set_current_state(TASK_UNINTERRUPTIBLE);
		if (READ_ONCE(flag) != seen) {
			__set_current_state(TASK_RUNNING);
			seen = READ_ONCE(flag);
			WRITE_ONCE(acked, seen);
			wake_up(&ack_wq);
			continue;
		}
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return seen;
}

static int reader_fn(void *data)
{
	long n = (long)data;
	int want = 1;

	while (!kthread_should_stop()) {
		if (wait_event_interruptible(tick_wq, READ_ONCE(tick) >= want || kthread_should_stop()))
			break;
		want = READ_ONCE(tick) + 1;
		reader_rounds[n]++;
		mutex_lock(&lock);
		locked++;
		mutex_unlock(&lock);
		wake_up(&ack_wq);
	}
	return 0;
}

static int readers_woken(void)
{
	int n;

	mutex_lock(&lock);
	n = locked;
	mutex_unlock(&lock);
	return n;
}

static int waker_fn(void *data)
{
	for (int i = 1; i <= rounds; i++) {
		WRITE_ONCE(flag, i);
		wake_up_process(sleeper);
		wait_event(ack_wq, READ_ONCE(acked) == i);
		if (i % 100 == 0) {
			WRITE_ONCE(tick, tick + 1);
			wake_up_interruptible(&tick_wq);
			wait_event(ack_wq, readers_woken() == 4 * READ_ONCE(tick));
		}
	}
	complete(&done);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ);
	return 0;
}

static int __init wakeups_init(void)
{
	sleeper = kthread_run(sleeper_fn, NULL, "sleeper");
	for (long i = 0; i < 4; i++)
		readers[i] = kthread_run(reader_fn, (void *)i, "reader%ld", i);
	waker = kthread_run(waker_fn, NULL, "waker");
	tasklet_disable(&counted);
	tasklet_schedule(&counted);
	tasklet_schedule(&counted);
	wait_for_completion(&done);
	pr_info("%d rounds; the disabled tasklet ran %d times\n", rounds, tasklet_runs);
	tasklet_enable(&counted);
	return 0;
}

static void __exit wakeups_exit(void)
{
	pr_info("sleeper saw %d, waker returned %d\n", kthread_stop(sleeper), kthread_stop(waker));
	for (int i = 0; i < 4; i++)
		kthread_stop(readers[i]);
	tasklet_kill(&counted);
	pr_info("readers woke %d times, the tasklet ran %d times\n", locked, tasklet_runs);
}

module_init(wakeups_init);
module_exit(wakeups_exit);
