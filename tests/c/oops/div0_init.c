// SPDX-License-Identifier: GPL-2.0
/* The lab's rate=0: HZ / rate in init is a divide error. */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/jiffies.h>

static int rate = 1;
module_param(rate, int, 0444);

static int __init div0_init(void)
{
	pr_info("period %d jiffies\n", HZ / rate);
	return 0;
}

static void __exit div0_exit(void)
{
}

module_init(div0_init);
module_exit(div0_exit);
MODULE_LICENSE("GPL");
