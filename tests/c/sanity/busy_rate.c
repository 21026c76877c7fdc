// SPDX-License-Identifier: GPL-2.0
/* The lab's producer period as HZ / rate: with rate above HZ it is 0 jiffies. */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/workqueue.h>
#include <linux/jiffies.h>

static int rate = 1000;
module_param(rate, int, 0444);

static struct workqueue_struct *wq;
static struct delayed_work produce_work;
static unsigned long produced;

static void produce(struct work_struct *work)
{
	produced++;
	queue_delayed_work(wq, &produce_work, HZ / rate);
}

static int __init busy_rate_init(void)
{
	wq = create_singlethread_workqueue("busy_rate");
	if (!wq)
		return -ENOMEM;
	INIT_DELAYED_WORK(&produce_work, produce);
	queue_delayed_work(wq, &produce_work, HZ / rate);
	return 0;
}

static void __exit busy_rate_exit(void)
{
	cancel_delayed_work_sync(&produce_work);
	destroy_workqueue(wq);
	pr_info("produced %lu\n", produced);
}

module_init(busy_rate_init);
module_exit(busy_rate_exit);
MODULE_LICENSE("GPL");
