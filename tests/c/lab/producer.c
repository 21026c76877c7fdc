// SPDX-License-Identifier: GPL-2.0
/*
 * producer: puts `item` into the fifo `rate` times per second, from
 * delayed work on its own workqueue.
 */
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/workqueue.h>

#include "fifo.h"

static char *item = "A";
module_param(item, charp, 0444);
MODULE_PARM_DESC(item, "The item to produce");

static int rate = 1;
module_param(rate, int, 0644);
MODULE_PARM_DESC(rate, "Items per second");

static struct workqueue_struct *wq;
static unsigned long produced;

static void produce(struct work_struct *work);
static DECLARE_DELAYED_WORK(produce_work, produce);

static void produce(struct work_struct *work)
{
	if (put_item(item[0]))
		return;
	produced++;
	pr_debug("producer: put %c #%lu\n", item[0], produced);
	queue_delayed_work(wq, &produce_work, HZ / rate);
}

static int __init producer_init(void)
{
	if (rate < 1 || rate > HZ) {
		pr_err("producer: rate must be 1-%d\n", HZ);
		return -EINVAL;
	}
	wq = alloc_workqueue("producer", WQ_UNBOUND, 1);
	if (!wq)
		return -ENOMEM;
	queue_delayed_work(wq, &produce_work, HZ / rate);
	pr_info("producer: producing %c at %d items/s\n", item[0], rate);
	return 0;
}

static void __exit producer_exit(void)
{
	cancel_delayed_work_sync(&produce_work);
	destroy_workqueue(wq);
	pr_info("producer: produced %lu items\n", produced);
}

module_init(producer_init);
module_exit(producer_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Puts items into the fifo at a rate");
