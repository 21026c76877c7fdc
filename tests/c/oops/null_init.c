// SPDX-License-Identifier: GPL-2.0
/* A NULL write in init: the insmod fails with an Oops. */
#include <linux/init.h>
#include <linux/module.h>

static int *target;

static int __init null_init(void)
{
	pr_info("writing through a NULL pointer\n");
	*target = 42;
	pr_info("still here?\n");
	return 0;
}

static void __exit null_exit(void)
{
}

module_init(null_init);
module_exit(null_exit);
MODULE_LICENSE("GPL");
