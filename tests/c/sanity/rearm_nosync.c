// SPDX-License-Identifier: GPL-2.0
/*
 * A self-re-arming work item cancelled with the plain call while it runs:
 * cancel_delayed_work() returns at once, and the run in progress queues
 * the item again. init makes the timing certain: it cancels while the
 * work function waits for it to.
 */
#include <linux/module.h>
#include <linux/workqueue.h>
#include <linux/completion.h>

static DECLARE_COMPLETION(started);
static DECLARE_COMPLETION(resume);

static void tick(struct work_struct *work);
static DECLARE_DELAYED_WORK(tick_work, tick);

static void tick(struct work_struct *work)
{
	complete(&started);
	wait_for_completion(&resume);
	schedule_delayed_work(&tick_work, HZ);
}

static int __init rearm_nosync_init(void)
{
	schedule_delayed_work(&tick_work, 0);
	wait_for_completion(&started);
	cancel_delayed_work(&tick_work);
	complete_all(&resume);
	return 0;
}

static void __exit rearm_nosync_exit(void)
{
	cancel_delayed_work_sync(&tick_work);
}

module_init(rearm_nosync_init);
module_exit(rearm_nosync_exit);
MODULE_LICENSE("GPL");
