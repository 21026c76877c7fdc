// SPDX-License-Identifier: GPL-2.0
/*
 * cproducer: a producer in C for the Rust fifo, through the fifo.h that
 * fifo-plugin/api publishes.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include <fifo.h>

static char *item = "C";
module_param(item, charp, 0444);

static int count = 3;
module_param(count, int, 0444);

static int __init cproducer_init(void)
{
	struct fifo_item it = { .len = strlen(item) };
	struct fifo_stats stats;
	int i;

	if (!it.len || it.len > FIFO_ITEM_MAX)
		return -EINVAL;
	memcpy(it.data, item, it.len);
	it.producer_len = strlen(THIS_MODULE->name);
	memcpy(it.producer, THIS_MODULE->name, it.producer_len);
	for (i = 0; i < count; i++) {
		it.seq = i;
		if (fifo_try_put(&it))
			break;
	}
	fifo_stats(&stats);
	pr_info("cproducer: put %d of %d, fifo holds %u of %u\n", i, count, stats.fill, stats.capacity);
	return 0;
}

static void __exit cproducer_exit(void)
{
}

module_init(cproducer_init);
module_exit(cproducer_exit);
MODULE_LICENSE("GPL");
