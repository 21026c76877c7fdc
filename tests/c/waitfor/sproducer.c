// SPDX-License-Identifier: GPL-2.0
/* Puts an item into sfifo every HZ / rate jiffies. */
#include <linux/module.h>
#include <linux/workqueue.h>

void put_item(char item);

static int rate = 50;
module_param(rate, int, 0444);

static struct workqueue_struct *wq;

static void produce(struct work_struct *work);
static DECLARE_DELAYED_WORK(produce_work, produce);

static void produce(struct work_struct *work)
{
	put_item('A');
	queue_delayed_work(wq, &produce_work, HZ / rate);
}

static int __init sproducer_init(void)
{
	wq = alloc_workqueue("sproducer", WQ_UNBOUND, 1);
	if (!wq)
		return -ENOMEM;
	queue_delayed_work(wq, &produce_work, HZ / rate);
	return 0;
}

static void __exit sproducer_exit(void)
{
	cancel_delayed_work_sync(&produce_work);
	destroy_workqueue(wq);
}

module_init(sproducer_init);
module_exit(sproducer_exit);
MODULE_LICENSE("GPL");
