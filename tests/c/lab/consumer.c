// SPDX-License-Identifier: GPL-2.0
/*
 * consumer: takes an item from the fifo `rate` times per second, from
 * delayed work on its own workqueue.
 */
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/workqueue.h>

#include "fifo.h"

static int rate = 1;
module_param(rate, int, 0644);
MODULE_PARM_DESC(rate, "Items per second");

static struct workqueue_struct *wq;
static unsigned long consumed;

static void consume(struct work_struct *work);
static DECLARE_DELAYED_WORK(consume_work, consume);

static void consume(struct work_struct *work)
{
	char item;

	if (get_item(&item))
		return;
	consumed++;
	pr_debug("consumer: got %c #%lu\n", item, consumed);
	queue_delayed_work(wq, &consume_work, HZ / rate);
}

static int __init consumer_init(void)
{
	if (rate < 1 || rate > HZ) {
		pr_err("consumer: rate must be 1-%d\n", HZ);
		return -EINVAL;
	}
	wq = alloc_workqueue("consumer", WQ_UNBOUND, 1);
	if (!wq)
		return -ENOMEM;
	queue_delayed_work(wq, &consume_work, HZ / rate);
	pr_info("consumer: consuming at %d items/s\n", rate);
	return 0;
}

static void __exit consumer_exit(void)
{
	cancel_delayed_work_sync(&consume_work);
	destroy_workqueue(wq);
	pr_info("consumer: consumed %lu items\n", consumed);
}

module_init(consumer_init);
module_exit(consumer_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Takes items from the fifo at a rate");
