/* Spinlocks (every form), a reader-writer lock, and completions: static,
 * dynamic and on the stack, waited for in every way.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/init.h>
#include <linux/spinlock.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/wait.h>

MODULE_LICENSE("GPL");

static DEFINE_SPINLOCK(counter_lock);
static DEFINE_RWLOCK(table_lock);
static DECLARE_COMPLETION(ready);
static struct completion done;
static DECLARE_WAIT_QUEUE_HEAD(idle);
static int counter;

static int helper(void *data)
{
	struct completion *started = data;

	complete(started);
	wait_for_completion(&ready);
	complete_all(&done);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ);
	return 0;
}

static int __init sync_init(void)
{
	DECLARE_COMPLETION_ONSTACK(started);
	struct task_struct *t;
	unsigned long flags;
	spinlock_t local;
	unsigned long left;
	int ret;

	spin_lock_init(&local);
	spin_lock(&local);
	spin_unlock(&local);
	spin_lock_irqsave(&counter_lock, flags);
	counter++;
	spin_unlock_irqrestore(&counter_lock, flags);
	spin_lock_bh(&counter_lock);
	spin_unlock_bh(&counter_lock);
	spin_lock_irq(&counter_lock);
	spin_unlock_irq(&counter_lock);
	if (spin_trylock(&counter_lock))
		spin_unlock(&counter_lock);
	read_lock(&table_lock);
	read_unlock(&table_lock);
	write_lock_irqsave(&table_lock, flags);
	write_unlock_irqrestore(&table_lock, flags);

	init_completion(&done);
	t = kthread_run(helper, &started, "helper");
	if (IS_ERR(t))
		return PTR_ERR(t);
	wait_for_completion(&started);
	complete(&ready);
	left = wait_for_completion_timeout(&done, HZ);
	ret = wait_for_completion_interruptible(&done);
	if (wait_for_completion_killable_timeout(&done, HZ) > 0 && completion_done(&done))
		reinit_completion(&done);
	pr_info("left %lu, ret %d\n", left, ret);
	wait_event(idle, counter > 0);
	wait_event_killable(idle, counter > 0);
	return kthread_stop(t);
}

module_init(sync_init);
